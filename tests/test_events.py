"""Tests of Docker's event stream applied between polls."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import AsyncMock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.portainer_control.api import (
    DockerEvent,
    PortainerAuthenticationError,
    PortainerConnectionError,
)
from custom_components.portainer_control.const import (
    DEFAULT_SCAN_INTERVAL,
    EVENT_REFRESH_DELAY,
)

from .conftest import FakePortainer


def _event(action: str, name: str, **attributes: str) -> DockerEvent:
    """Return a container event as Docker sends it."""
    return DockerEvent.from_dict(
        {
            "Type": "container",
            "Action": action,
            "Actor": {"ID": "x" * 64, "Attributes": {"name": name, **attributes}},
            "timeNano": 1,
        }
    )


async def _send(
    hass: HomeAssistant, fake: FakePortainer, *items: DockerEvent | Exception
) -> None:
    """Queue events on environment 1's stream and let them be applied."""
    for item in items:
        fake.event_queue(1).put_nowait(item)
    await hass.async_block_till_done()


async def test_stop_applied_before_the_poll(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
) -> None:
    """A die event turns the container off at once and fires the event entity."""
    mock_portainer_client.containers.reset_mock()

    await _send(hass, fake_portainer, _event("die", "mosquitto", exitCode="137"))

    assert hass.states.get("switch.mosquitto_running").state == STATE_OFF
    assert hass.states.get("binary_sensor.mosquitto_running").state == STATE_OFF
    event = hass.states.get("event.mosquitto_events")
    assert event.attributes["event_type"] == "died"
    assert event.attributes["exit_code"] == 137
    mock_portainer_client.containers.assert_not_called()


async def test_health_and_restart_events(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_portainer: FakePortainer,
) -> None:
    """Health changes and restarts show at once."""
    await _send(
        hass, fake_portainer, _event("health_status: unhealthy", "homeassistant")
    )
    assert hass.states.get("sensor.homeassistant_health").state == "unhealthy"
    event = hass.states.get("event.homeassistant_events")
    assert event.attributes["event_type"] == "became_unhealthy"

    await _send(hass, fake_portainer, _event("pause", "homeassistant"))
    assert hass.states.get("sensor.homeassistant_state").state == "paused"

    await _send(hass, fake_portainer, _event("restart", "homeassistant"))
    assert hass.states.get("sensor.homeassistant_state").state == "running"
    event = hass.states.get("event.homeassistant_events")
    assert event.attributes["event_type"] == "restarted"


async def test_restart_event_inspects_again(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After a restart event the next poll reads the new start time."""
    container_id = fake_portainer.by_name(1, "homeassistant")["Id"]
    fake_portainer.inspect_base["State"]["StartedAt"] = "2026-12-03T12:00:00Z"
    await _send(hass, fake_portainer, _event("restart", "homeassistant"))
    mock_portainer_client.container_inspect.reset_mock()

    freezer.tick(timedelta(seconds=30))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    calls = mock_portainer_client.container_inspect.call_args_list
    assert [call.args for call in calls] == [(1, container_id)]
    started_at = hass.states.get("sensor.homeassistant_started_at").state
    assert started_at == "2026-12-03T12:00:00+00:00"


async def test_unknown_and_foreign_events_ignored(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_portainer: FakePortainer,
) -> None:
    """Events of unknown containers, or without a name, change nothing."""
    nameless = DockerEvent.from_dict({"Type": "container", "Action": "die"})
    await _send(hass, fake_portainer, _event("die", "stranger"), nameless)

    assert hass.states.get("switch.mosquitto_running").state == STATE_ON


async def _settle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the delay after the last list change pass."""
    freezer.tick(timedelta(seconds=EVENT_REFRESH_DELAY))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_new_container_triggers_a_poll(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_portainer: FakePortainer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A created container appears without waiting for the next poll."""
    fake_portainer.add_container(1, "whoami", "ab" * 32)

    await _send(hass, fake_portainer, _event("create", "whoami"))
    await _settle(hass, freezer)

    assert hass.states.get("switch.whoami_running").state == STATE_ON


async def test_recreate_polled_once_settled(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A recreate's rename, create and destroy: one poll after, no interim device."""
    # The scheduled poll first: then only events can ask for one.
    freezer.tick(DEFAULT_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    old = fake_portainer.by_name(1, "mosquitto")
    mock_portainer_client.containers.reset_mock()

    # Portainer renames the old container, creates the new one, removes the old.
    old["Names"] = ["/mosquitto-old"]
    await _send(hass, fake_portainer, _event("rename", "mosquitto-old"))
    new = fake_portainer.add_container(1, "mosquitto", "cd" * 32)
    await _send(hass, fake_portainer, _event("create", "mosquitto"))
    freezer.tick(timedelta(seconds=EVENT_REFRESH_DELAY / 2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    fake_portainer.remove_container(1, "mosquitto-old")
    await _send(hass, fake_portainer, _event("destroy", "mosquitto-old"))
    freezer.tick(timedelta(seconds=EVENT_REFRESH_DELAY / 2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    mock_portainer_client.containers.assert_not_called()

    await _settle(hass, freezer)

    mock_portainer_client.containers.assert_called()
    devices = {
        device.name: device
        for device in dr.async_entries_for_config_entry(
            device_registry, init_integration.entry_id
        )
    }
    assert "mosquitto-old" not in devices
    assert devices["mosquitto"].configuration_url.endswith(new["Id"])


async def test_poll_replaces_event_state(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_portainer: FakePortainer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The next poll's list wins over what events said."""
    await _send(hass, fake_portainer, _event("die", "mosquitto"))
    assert hass.states.get("switch.mosquitto_running").state == STATE_OFF

    freezer.tick(timedelta(seconds=30))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert hass.states.get("switch.mosquitto_running").state == STATE_ON


async def test_reconnect_after_a_dropped_stream(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A dropped stream reconnects after a delay and keeps applying events."""
    streams = mock_portainer_client.events.call_count
    await _send(hass, fake_portainer, PortainerConnectionError("reset"))
    assert mock_portainer_client.events.call_count == streams

    freezer.tick(timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    # asyncio.sleep is not driven by Home Assistant's clock: wait it out.
    for _ in range(50):
        if mock_portainer_client.events.call_count > streams:
            break
        await _sleep(0.05)
    assert mock_portainer_client.events.call_count == streams + 1

    await _send(hass, fake_portainer, _event("die", "mosquitto"))
    assert hass.states.get("switch.mosquitto_running").state == STATE_OFF


async def _sleep(seconds: float) -> None:
    """Sleep on the real event loop."""
    import asyncio  # noqa: PLC0415

    await asyncio.sleep(seconds)


async def test_auth_failure_stops_the_stream(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
) -> None:
    """A rejected token ends the stream; the main poll asks to reauthenticate."""
    streams = mock_portainer_client.events.call_count
    await _send(hass, fake_portainer, PortainerAuthenticationError("401"))
    await _sleep(1.2)

    assert mock_portainer_client.events.call_count == streams


async def test_unload_leaves_no_stream(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    """Unloading closes every event stream."""
    import asyncio  # noqa: PLC0415

    def streams() -> list[asyncio.Task[object]]:
        return [
            task
            for task in asyncio.all_tasks()
            if task.get_name().startswith("portainer_control events")
        ]

    assert streams()
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    await _sleep(0)

    assert not [task for task in streams() if not task.done()]
