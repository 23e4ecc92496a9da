"""Tests of the switches and buttons: the right requests, and their errors."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import AsyncMock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.portainer_control.api import (
    PortainerAuthenticationError,
    PortainerConnectionError,
    PortainerEnvironmentUnavailableError,
    PortainerError,
    PortainerForbiddenError,
    PortainerNotFoundError,
    PortainerResponseError,
    PortainerTimeoutError,
)
from custom_components.portainer_control.const import DOMAIN, RECREATE_TIMEOUT

from .conftest import FakePortainer

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


async def _call(hass: HomeAssistant, domain: str, service: str, entity_id: str) -> None:
    """Call an entity service and wait for the refresh it asks for."""
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_switch_stops_and_starts(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
) -> None:
    """Off stops the container, on starts it; the state follows at once."""
    container_id = fake_portainer.by_name(1, "mosquitto")["Id"]

    await _call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "switch.mosquitto_running")
    mock_portainer_client.container_stop.assert_awaited_once_with(1, container_id)
    assert hass.states.get("switch.mosquitto_running").state == STATE_OFF

    await _call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, "switch.mosquitto_running")
    mock_portainer_client.container_start.assert_awaited_once_with(1, container_id)
    assert hass.states.get("switch.mosquitto_running").state == STATE_ON


async def test_switch_state_is_assumed_until_the_poll(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Until a poll confirms it, the switch shows the state the action asked for."""
    await _call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "switch.mosquitto_running")
    # The refresh right after an action waits out the debouncer's cooldown.
    mock_portainer_client.container_start.side_effect = None

    await _call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, "switch.mosquitto_running")
    assert hass.states.get("switch.mosquitto_running").state == STATE_ON

    # The start did nothing after all: the poll shows the truth.
    freezer.tick(timedelta(seconds=15))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("switch.mosquitto_running").state == STATE_OFF


async def test_switch_resumes_a_paused_container(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
) -> None:
    """Turning on a paused container resumes it rather than starting it."""
    container_id = fake_portainer.by_name(1, "grafana")["Id"]

    await _call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, "switch.grafana_running")

    mock_portainer_client.container_unpause.assert_awaited_once_with(1, container_id)
    mock_portainer_client.container_start.assert_not_awaited()


@pytest.mark.parametrize(
    ("entity_id", "method", "container"),
    [
        ("button.mosquitto_restart", "container_restart", "mosquitto"),
        ("button.mosquitto_pause", "container_pause", "mosquitto"),
        ("button.grafana_resume", "container_unpause", "grafana"),
        ("button.mosquitto_kill", "container_kill", "mosquitto"),
    ],
)
async def test_container_buttons(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
    entity_id: str,
    method: str,
    container: str,
) -> None:
    """Each button calls its Docker action on the container's current Id."""
    container_id = fake_portainer.by_name(1, container)["Id"]

    await _call(hass, BUTTON_DOMAIN, SERVICE_PRESS, entity_id)

    getattr(mock_portainer_client, method).assert_awaited_once_with(1, container_id)


async def test_recreate_button(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
) -> None:
    """Recreate pulls the image through Portainer, with a long timeout."""
    container_id = fake_portainer.by_name(1, "homeassistant")["Id"]

    await _call(hass, BUTTON_DOMAIN, SERVICE_PRESS, "button.homeassistant_recreate")

    mock_portainer_client.container_recreate.assert_awaited_once_with(
        1, container_id, pull_image=True, timeout=RECREATE_TIMEOUT
    )


async def test_recreate_button_local_image(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
) -> None:
    """An image built on the host (no repository digest) is not pulled."""
    container_id = fake_portainer.by_name(1, "homeassistant")["Id"]
    fake_portainer.image["RepoDigests"] = []
    mock_portainer_client.image_inspect.reset_mock()

    await _call(hass, BUTTON_DOMAIN, SERVICE_PRESS, "button.homeassistant_recreate")

    image_id = fake_portainer.inspect(container_id)["Image"]
    mock_portainer_client.image_inspect.assert_awaited_once_with(1, image_id)
    mock_portainer_client.container_recreate.assert_awaited_once_with(
        1, container_id, pull_image=False, timeout=RECREATE_TIMEOUT
    )


@pytest.mark.parametrize(
    ("entity_id", "state"),
    [
        ("button.backup_restart", STATE_UNAVAILABLE),
        ("button.backup_pause", STATE_UNAVAILABLE),
        ("button.mosquitto_resume", STATE_UNAVAILABLE),
        ("button.backup_kill", STATE_UNAVAILABLE),
        ("button.grafana_pause", STATE_UNAVAILABLE),
        ("button.backup_recreate", "unknown"),
    ],
)
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_buttons_available_only_when_sensible(
    hass: HomeAssistant, entity_id: str, state: str
) -> None:
    """A button is available only in a state where its action makes sense."""
    assert hass.states.get(entity_id).state == state


async def test_prune_images_button(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
) -> None:
    """Prune removes dangling images and shows what it reclaimed."""
    await _call(hass, BUTTON_DOMAIN, SERVICE_PRESS, "button.local_prune_unused_images")

    mock_portainer_client.images_prune.assert_awaited_once_with(1, dangling=True)
    attributes = hass.states.get("button.local_prune_unused_images").attributes
    result = mock_portainer_client.images_prune.return_value
    assert attributes["images_deleted"] == len(result.images_deleted)
    assert attributes["space_reclaimed"] == result.space_reclaimed


@pytest.mark.parametrize(
    ("error", "translation_key"),
    [
        (PortainerForbiddenError("403"), "forbidden"),
        (PortainerEnvironmentUnavailableError("502"), "environment_unavailable"),
        (PortainerNotFoundError("404"), "not_found"),
        (PortainerTimeoutError("slow"), "timeout"),
        (PortainerConnectionError("refused"), "cannot_connect"),
        (PortainerResponseError("HTTP 500: conflict"), "action_failed"),
        (PortainerAuthenticationError("401"), "invalid_auth"),
    ],
)
async def test_action_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    error: PortainerError,
    translation_key: str,
) -> None:
    """A failed action raises a translated error naming the reason."""
    mock_portainer_client.container_restart.side_effect = error

    with pytest.raises(HomeAssistantError) as exc_info:
        await _call(hass, BUTTON_DOMAIN, SERVICE_PRESS, "button.mosquitto_restart")

    assert exc_info.value.translation_domain == DOMAIN
    assert exc_info.value.translation_key == translation_key
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert bool(flows) is isinstance(error, PortainerAuthenticationError)


async def test_switch_error_keeps_state(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
) -> None:
    """A failed stop leaves the switch on and says why."""
    mock_portainer_client.container_stop.side_effect = PortainerTimeoutError("slow")

    with pytest.raises(HomeAssistantError) as exc_info:
        await _call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "switch.mosquitto_running")

    assert exc_info.value.translation_key == "timeout"
    assert hass.states.get("switch.mosquitto_running").state == STATE_ON


async def test_forbidden_control_raises_repair(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A refused control: its kind turns unavailable, a repair says why."""
    mock_portainer_client.container_stop.side_effect = PortainerForbiddenError("403")

    with pytest.raises(HomeAssistantError) as exc_info:
        await _call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "switch.mosquitto_running")

    assert exc_info.value.translation_key == "forbidden"
    assert hass.states.get("switch.mosquitto_running").state == STATE_UNAVAILABLE
    assert hass.states.get("button.mosquitto_restart").state == STATE_UNAVAILABLE
    assert hass.states.get("switch.grafana_running").state == STATE_UNAVAILABLE
    # Portainer authorizes recreating and pruning apart from start and stop.
    assert hass.states.get("button.mosquitto_recreate").state != STATE_UNAVAILABLE
    assert (
        hass.states.get("button.local_prune_unused_images").state != STATE_UNAVAILABLE
    )
    assert hass.states.get("sensor.mosquitto_state").state == "running"
    issue_id = f"{init_integration.entry_id}_insufficient_permissions"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {
        "title": init_integration.title,
        "environments": "local",
    }

    # A new token gets a fresh chance at setup.
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert hass.states.get("switch.mosquitto_running").state == STATE_ON


async def test_prune_error(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
) -> None:
    """A refused prune says the token lacks permission."""
    mock_portainer_client.images_prune.side_effect = PortainerForbiddenError("403")

    with pytest.raises(HomeAssistantError) as exc_info:
        await _call(
            hass, BUTTON_DOMAIN, SERVICE_PRESS, "button.local_prune_unused_images"
        )

    assert exc_info.value.translation_key == "forbidden"


async def test_action_on_vanished_container(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
) -> None:
    """An action on a container gone since the last poll says so."""
    entity = next(
        entity
        for entity in hass.data["entity_components"][SWITCH_DOMAIN].entities
        if entity.entity_id == "switch.mosquitto_running"
    )
    fake_portainer.remove_container(1, "mosquitto")
    coordinator = init_integration.runtime_data.coordinator
    del coordinator.data.environments[1].containers["mosquitto"]

    with pytest.raises(HomeAssistantError) as exc_info:
        await entity.async_turn_off()

    assert exc_info.value.translation_key == "container_missing"
    mock_portainer_client.container_stop.assert_not_awaited()
