"""End to end: containers changed outside Home Assistant, seen through events."""

from __future__ import annotations

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest

from .conftest import Integration, wait_for

pytestmark = pytest.mark.engine

LIST_ROUTE = r"/docker/containers/json$"


async def test_created_appears_and_removed_goes(
    hass: HomeAssistant, integration: Integration
) -> None:
    """A container created outside appears; once removed, a restart drops it."""
    setup = integration.setup
    await wait_for(integration.events_stream_open, what="the event stream")

    # Docker's create event asks for a poll: no reload, no waiting for the next.
    setup.ids["outsider"] = await setup.create("outsider")
    setup.names["outsider"] = name = f"pct-{setup.run_id}-outsider"

    def running() -> bool:
        device = integration.device("outsider")
        return (
            device is not None
            and integration.state("switch", "outsider", "running").state == STATE_ON
        )

    await wait_for(running, within=8.0, what="the new container's device, running")
    device = integration.device("outsider")
    assert device is not None
    assert device.name == name
    entity_ids = [
        entry.entity_id
        for entry in er.async_entries_for_device(er.async_get(hass), device.id)
    ]

    await setup.engine.call(
        "DELETE", f"/containers/{setup.ids['outsider']}", params={"force": "1"}
    )
    await integration.refresh()
    assert integration.device("outsider") is not None
    for entity_id in entity_ids:
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE

    # Absent at the first poll after a start: the device goes.
    assert await hass.config_entries.async_reload(integration.entry.entry_id)
    await hass.async_block_till_done()
    assert integration.device("outsider") is None
    registry = er.async_get(hass)
    assert [
        entity_id for entity_id in entity_ids if registry.async_get(entity_id)
    ] == []
    assert integration.device("sleeper") is not None


async def test_stop_outside_applied_before_the_poll(
    hass: HomeAssistant, integration: Integration
) -> None:
    """A container stopped with the engine's API turns off within 2 s, unpolled."""
    await wait_for(integration.events_stream_open, what="the event stream")
    polls = integration.gateway.requests.count(LIST_ROUTE)
    entity_id = integration.entity_id("switch", "sleeper", "running")
    assert hass.states.get(entity_id).state == STATE_ON

    await integration.setup.engine.call(
        "POST", f"/containers/{integration.setup.ids['sleeper']}/stop"
    )
    await wait_for(
        lambda: hass.states.get(entity_id).state == STATE_OFF,
        within=2.0,
        what="the switch off",
    )

    binary_sensor = integration.entity_id("binary_sensor", "sleeper", "running")
    assert hass.states.get(binary_sensor).state == STATE_OFF
    assert integration.state("sensor", "sleeper", "state").state == "exited"
    assert integration.gateway.requests.count(LIST_ROUTE) == polls
