"""Tests of the prune_images and recreate_container actions."""

from __future__ import annotations

from unittest.mock import AsyncMock

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.portainer_control.api import (
    ContainerDetails,
    PortainerForbiddenError,
)
from custom_components.portainer_control.const import DOMAIN, RECREATE_TIMEOUT
from custom_components.portainer_control.coordinator import Control
from custom_components.portainer_control.devices import device_by_identifier
from custom_components.portainer_control.services import (
    SERVICE_PRUNE_IMAGES,
    SERVICE_RECREATE_CONTAINER,
)

from .api import load_fixture
from .conftest import FakePortainer


def _device(registry: dr.DeviceRegistry, entry: MockConfigEntry, suffix: str) -> str:
    """Return the registry Id of one of the entry's devices."""
    device = device_by_identifier(
        registry, entry.entry_id, f"{entry.entry_id}:{suffix}"
    )
    assert device is not None
    return device.id


async def test_prune_images(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Prune sends Docker's filters and returns what was removed."""
    response = await hass.services.async_call(
        DOMAIN,
        SERVICE_PRUNE_IMAGES,
        {
            ATTR_DEVICE_ID: _device(device_registry, init_integration, "1"),
            "dangling": False,
            "until": {"hours": 24},
        },
        blocking=True,
        return_response=True,
    )

    mock_portainer_client.images_prune.assert_awaited_once_with(
        1, dangling=False, until="86400s"
    )
    result = mock_portainer_client.images_prune.return_value
    assert response == {
        "environments": [
            {
                "environment": "local",
                "images_deleted": result.images_deleted,
                "space_reclaimed": result.space_reclaimed,
            }
        ]
    }


async def test_recreate_container(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Recreate goes through Portainer and returns the new container's Id."""
    details = ContainerDetails.from_dict(load_fixture("container_recreate.json"))
    mock_portainer_client.container_recreate.return_value = details
    old_id = fake_portainer.by_name(1, "homeassistant")["Id"]

    response = await hass.services.async_call(
        DOMAIN,
        SERVICE_RECREATE_CONTAINER,
        {
            ATTR_DEVICE_ID: [
                _device(device_registry, init_integration, "1:homeassistant")
            ],
            "pull_image": True,
        },
        blocking=True,
        return_response=True,
    )

    mock_portainer_client.container_recreate.assert_awaited_once_with(
        1, old_id, pull_image=True, timeout=RECREATE_TIMEOUT
    )
    assert response == {
        "containers": [{"container": "homeassistant", "id": details.id}]
    }


@pytest.mark.parametrize(
    ("service", "suffix", "translation_key"),
    [
        (SERVICE_PRUNE_IMAGES, "1:homeassistant", "not_an_environment_device"),
        (SERVICE_RECREATE_CONTAINER, "1", "not_a_container_device"),
        (SERVICE_RECREATE_CONTAINER, "1:stack:home", "not_a_container_device"),
    ],
)
async def test_wrong_kind_of_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    service: str,
    suffix: str,
    translation_key: str,
) -> None:
    """A device of the wrong kind is refused with a translated error."""
    with pytest.raises(ServiceValidationError) as exc_info:
        await hass.services.async_call(
            DOMAIN,
            service,
            {ATTR_DEVICE_ID: _device(device_registry, init_integration, suffix)},
            blocking=True,
            return_response=True,
        )
    assert exc_info.value.translation_key == translation_key


async def test_device_of_another_integration(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A device of another integration, or no device at all, is refused."""
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "x")}
    )
    for device_id in (device.id, "no-such-device"):
        with pytest.raises(ServiceValidationError) as exc_info:
            await hass.services.async_call(
                DOMAIN,
                SERVICE_RECREATE_CONTAINER,
                {ATTR_DEVICE_ID: device_id},
                blocking=True,
                return_response=True,
            )
        assert exc_info.value.translation_key == "not_a_container_device"


async def test_container_gone(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_portainer: FakePortainer,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A container that no longer exists is refused."""
    device_id = _device(device_registry, init_integration, "1:backup")
    fake_portainer.remove_container(1, "backup")
    await init_integration.runtime_data.coordinator.async_refresh()

    with pytest.raises(ServiceValidationError) as exc_info:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_RECREATE_CONTAINER,
            {ATTR_DEVICE_ID: device_id},
            blocking=True,
            return_response=True,
        )
    assert exc_info.value.translation_key == "container_missing"


async def test_entry_not_loaded(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A target whose entry is not loaded is refused."""
    device_id = _device(device_registry, init_integration, "1")
    await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED

    with pytest.raises(ServiceValidationError) as exc_info:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_PRUNE_IMAGES,
            {ATTR_DEVICE_ID: device_id},
            blocking=True,
            return_response=True,
        )
    assert exc_info.value.translation_key == "entry_not_loaded"


@pytest.mark.parametrize(
    ("service", "method", "suffix", "control"),
    [
        (SERVICE_PRUNE_IMAGES, "images_prune", "1", Control.PRUNE_IMAGES),
        (
            SERVICE_RECREATE_CONTAINER,
            "container_recreate",
            "1:mosquitto",
            Control.RECREATE,
        ),
    ],
)
async def test_forbidden(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    device_registry: dr.DeviceRegistry,
    service: str,
    method: str,
    suffix: str,
    control: Control,
) -> None:
    """A refused action gets a translated error; only its kind turns unavailable."""
    getattr(mock_portainer_client, method).side_effect = PortainerForbiddenError("403")

    with pytest.raises(HomeAssistantError) as exc_info:
        await hass.services.async_call(
            DOMAIN,
            service,
            {ATTR_DEVICE_ID: _device(device_registry, init_integration, suffix)},
            blocking=True,
            return_response=True,
        )

    assert exc_info.value.translation_key == "forbidden"
    assert init_integration.runtime_data.coordinator.refused_controls == {(1, control)}


async def test_until_must_be_a_duration(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A malformed duration is refused before anything is sent."""
    with pytest.raises(Exception, match="until"):
        await hass.services.async_call(
            DOMAIN,
            SERVICE_PRUNE_IMAGES,
            {
                ATTR_DEVICE_ID: _device(device_registry, init_integration, "1"),
                "until": "yesterday",
            },
            blocking=True,
            return_response=True,
        )
