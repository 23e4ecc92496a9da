"""Tests for setting up and unloading the integration."""

from __future__ import annotations

from unittest.mock import AsyncMock

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.portainer_control.api import (
    PortainerAuthenticationError,
    PortainerConnectionError,
)
from custom_components.portainer_control.const import DOMAIN
from custom_components.portainer_control.devices import device_by_identifier

from .conftest import FakePortainer


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The entry loads, then unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (PortainerConnectionError("down"), ConfigEntryState.SETUP_RETRY),
        (PortainerAuthenticationError("401"), ConfigEntryState.SETUP_ERROR),
    ],
)
async def test_setup_failure(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    error: Exception,
    state: ConfigEntryState,
) -> None:
    """Portainer unreachable retries setup; a rejected token starts reauth."""
    mock_portainer_client.endpoints.side_effect = error
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is state
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert bool(flows) is (state is ConfigEntryState.SETUP_ERROR)


async def test_devices(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Every environment, stack and container gets a device, nested."""
    devices = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    names = sorted(device.name or "" for device in devices)
    assert names == [
        "backup",
        "edge",
        "flaky",
        "grafana",
        "home",
        "homeassistant",
        "k8s",
        "local",
        "monitoring",
        "mosquitto",
        "remote",
    ]
    by_name = {device.name: device for device in devices}
    assert by_name["homeassistant"].via_device_id == by_name["home"].id
    assert by_name["home"].via_device_id == by_name["local"].id
    assert by_name["grafana"].via_device_id == by_name["local"].id


async def test_remove_devices(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_portainer: FakePortainer,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Only a device whose environment, stack or container is gone may go."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    entry_id = init_integration.entry_id

    async def remove(suffix: str) -> bool:
        device = device_by_identifier(device_registry, entry_id, f"{entry_id}:{suffix}")
        assert device is not None
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": entry_id,
                "device_id": device.id,
            }
        )
        return bool((await client.receive_json())["success"])

    for suffix in ("1", "1:stack:home", "1:mosquitto"):
        assert not await remove(suffix)

    fake_portainer.remove_container(1, "mosquitto")
    fake_portainer.stacks.pop(0)
    fake_portainer.by_name(1, "homeassistant")["Labels"] = {}
    fake_portainer.endpoints.pop()
    await init_integration.runtime_data.coordinator.async_refresh()
    for suffix in ("4", "1:stack:home", "1:mosquitto"):
        assert await remove(suffix)
