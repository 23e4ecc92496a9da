"""Tests of stacks: Portainer's own and Compose projects it did not deploy."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import AsyncMock

from freezegun.api import FrozenDateTimeFactory
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
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.portainer_control.api import PortainerConnectionError
from custom_components.portainer_control.const import STACKS_INTERVAL
from custom_components.portainer_control.devices import device_by_identifier

from .conftest import FakePortainer


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one scan interval pass."""
    freezer.tick(timedelta(seconds=30))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.usefixtures("init_integration")
async def test_portainer_stack(hass: HomeAssistant) -> None:
    """A stack Portainer deployed has sensors and a switch."""
    assert hass.states.get("sensor.home_status").state == "active"
    assert hass.states.get("sensor.home_type").state == "compose"
    assert hass.states.get("sensor.home_containers").state == "2"
    assert hass.states.get("sensor.home_containers_running").state == "2"
    assert hass.states.get("switch.home_running").state == STATE_ON
    assert hass.states.get("switch.monitoring_running").state == STATE_OFF


async def test_label_only_project(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A Compose project Portainer did not deploy gets sensors but no switch."""
    fake_portainer.stacks = []
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get("sensor.home_status").state == "active"
    assert hass.states.get("switch.home_running") is None
    assert hass.states.get("sensor.monitoring_status") is None
    entry_id = mock_config_entry.entry_id
    stack = device_by_identifier(device_registry, entry_id, f"{entry_id}:1:stack:home")
    assert stack is not None
    assert stack.configuration_url.endswith("/#!/1/docker/stacks")


async def test_swarm_project_from_labels(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
) -> None:
    """A Swarm stack known only from labels is typed swarm."""
    fake_portainer.stacks = []
    container = fake_portainer.add_container(1, "worker", "aa" * 32)
    container["Labels"] = {"com.docker.stack.namespace": "jobs"}
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get("sensor.jobs_type").state == "swarm"


async def test_stack_switch(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
) -> None:
    """The switch starts and stops a stack through Portainer's stacks API."""
    mock_portainer_client.stacks.reset_mock()
    fake_portainer.stacks[1]["Status"] = 1

    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: "switch.monitoring_running"},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    mock_portainer_client.stack_start.assert_awaited_once_with(2, 1)
    # The stacks are listed again right after the action.
    assert mock_portainer_client.stacks.await_count == 1
    assert hass.states.get("switch.monitoring_running").state == STATE_ON

    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: "switch.home_running"},
        blocking=True,
    )
    mock_portainer_client.stack_stop.assert_awaited_once_with(1, 1)


async def test_stack_gone(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_portainer: FakePortainer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A stack Portainer no longer lists goes unavailable; its switch refuses."""
    fake_portainer.stacks.pop()
    freezer.tick(STACKS_INTERVAL)
    await _poll(hass, freezer)

    assert hass.states.get("switch.monitoring_running").state == STATE_UNAVAILABLE
    entity = next(
        entity
        for entity in hass.data["entity_components"][SWITCH_DOMAIN].entities
        if entity.entity_id == "switch.monitoring_running"
    )
    with pytest.raises(HomeAssistantError) as exc_info:
        await entity.async_turn_on()
    assert exc_info.value.translation_key == "stack_missing"


async def test_stacks_listed_only_when_needed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Stacks are listed again on a new project or after the interval only."""
    mock_portainer_client.stacks.reset_mock()
    await _poll(hass, freezer)
    assert mock_portainer_client.stacks.await_count == 0

    fake_portainer.add_container(1, "cache", "bb" * 32)["Labels"] = {
        "com.docker.compose.project": "home"
    }
    await _poll(hass, freezer)
    assert mock_portainer_client.stacks.await_count == 0

    fake_portainer.add_container(1, "db", "cc" * 32)["Labels"] = {
        "com.docker.compose.project": "wiki"
    }
    await _poll(hass, freezer)
    assert mock_portainer_client.stacks.await_count == 1
    assert hass.states.get("sensor.wiki_containers").state == "1"

    # A failed listing keeps the stacks known so far.
    mock_portainer_client.stacks.side_effect = PortainerConnectionError("reset")
    freezer.tick(STACKS_INTERVAL)
    await _poll(hass, freezer)
    assert mock_portainer_client.stacks.await_count == 2
    assert hass.states.get("switch.monitoring_running").state == STATE_OFF
