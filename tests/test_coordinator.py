"""Tests of polling: request budget, identity, failures and recovery."""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any
from unittest.mock import AsyncMock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.portainer_control.api import (
    PortainerAuthenticationError,
    PortainerConnectionError,
    PortainerError,
    PortainerNotFoundError,
    PortainerTimeoutError,
)
from custom_components.portainer_control.const import (
    DEFAULT_SCAN_INTERVAL,
    DISK_USAGE_INTERVAL,
    DOMAIN,
    STACKS_INTERVAL,
    STALE_CONTAINER_AGE,
    SYSTEM_INFO_INTERVAL,
)
from custom_components.portainer_control.devices import device_by_identifier

from .conftest import FakePortainer

HA_ID = "53d8bc1c4b2c"


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one scan interval pass."""
    freezer.tick(DEFAULT_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _calls(mock: AsyncMock) -> int:
    """Return how often a client method was called, then reset the count."""
    count = mock.call_count
    mock.reset_mock()
    return count


@pytest.mark.usefixtures("init_integration")
async def test_cpu_needs_two_samples(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """CPU % and network rates come from the previous poll's sample."""
    assert hass.states.get("sensor.homeassistant_cpu_usage").state == "unknown"

    await _poll(hass, freezer)

    # The fake adds 50 ms of CPU per 1 s of system time (all CPUs) per call.
    assert float(hass.states.get("sensor.homeassistant_cpu_usage").state) == 5.0
    assert hass.states.get("sensor.homeassistant_network_receive_rate").state not in (
        "unknown",
        STATE_UNAVAILABLE,
    )


async def test_request_budget(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A steady poll lists once per environment and reads stats of running ones."""
    client = mock_portainer_client
    for method in (client.endpoints, client.containers, client.container_stats):
        method.reset_mock()
    client.container_inspect.reset_mock()
    client.docker_info.reset_mock()

    await _poll(hass, freezer)

    assert _calls(client.endpoints) == 1
    # Environment 1 and the Edge agent that Portainer reports up; not the
    # down environment, nor Kubernetes.
    assert _calls(client.containers) == 2
    assert _calls(client.container_stats) == 3
    assert _calls(client.container_inspect) == 0
    assert _calls(client.docker_info) == 0


async def test_inspect_only_changed_containers(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A container whose state changed is inspected again; the others are not."""
    mosquitto = fake_portainer.by_name(1, "mosquitto")
    fake_portainer.set_state(mosquitto["Id"], "exited", "Exited (0) 1 second ago")
    mock_portainer_client.container_inspect.reset_mock()

    await _poll(hass, freezer)

    calls = mock_portainer_client.container_inspect.call_args_list
    assert [call.args for call in calls] == [(1, mosquitto["Id"])]
    assert hass.states.get("binary_sensor.mosquitto_running").state == STATE_OFF


async def test_restart_detected_from_stats(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """CPU counters that went backwards mean a restart: inspect again."""
    await _poll(hass, freezer)
    mock_portainer_client.container_inspect.reset_mock()
    fake_portainer.cpu_step = -(10**12)

    await _poll(hass, freezer)

    inspected = {
        call.args[1] for call in mock_portainer_client.container_inspect.call_args_list
    }
    assert len(inspected) == 3
    assert hass.states.get("sensor.homeassistant_cpu_usage").state == "unknown"


async def test_recreate_keeps_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_portainer: FakePortainer,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A recreated container (new Id, same name) keeps its entities and device."""
    entity = entity_registry.async_get("switch.homeassistant_running")
    assert entity is not None
    new_id = "0f" * 32
    fake_portainer.by_name(1, "homeassistant")["Id"] = new_id

    await _poll(hass, freezer)

    assert entity_registry.async_get("switch.homeassistant_running") == entity
    assert hass.states.get("switch.homeassistant_running").state == STATE_ON
    device = device_registry.async_get(entity.device_id)
    assert device is not None
    assert device.configuration_url.endswith(f"/containers/{new_id}")


async def test_new_and_removed_containers(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_portainer: FakePortainer,
    device_registry: dr.DeviceRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """New containers appear without a reload; gone ones go stale, then away."""
    fake_portainer.add_container(1, "whoami", "ab" * 32)
    fake_portainer.remove_container(1, "backup")

    await _poll(hass, freezer)

    assert hass.states.get("switch.whoami_running").state == STATE_ON
    assert hass.states.get("switch.backup_running").state == STATE_UNAVAILABLE
    entry_id = init_integration.entry_id
    identifier = f"{entry_id}:1:backup"
    assert device_by_identifier(device_registry, entry_id, identifier) is not None

    freezer.tick(STALE_CONTAINER_AGE - DEFAULT_SCAN_INTERVAL)
    await _poll(hass, freezer)

    assert device_by_identifier(device_registry, entry_id, identifier) is None


async def test_stale_devices_removed_at_start(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A container gone while Home Assistant was off loses its device at start.

    One of an environment that does not answer keeps it: it may come back.
    """
    mock_config_entry.add_to_hass(hass)
    gone = (DOMAIN, f"{mock_config_entry.entry_id}:1:gone")
    unreachable = (DOMAIN, f"{mock_config_entry.entry_id}:2:elsewhere")
    for identifier in (gone, unreachable):
        device_registry.async_get_or_create(
            config_entry_id=mock_config_entry.entry_id, identifiers={identifier}
        )

    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    entry_id = mock_config_entry.entry_id
    assert device_by_identifier(device_registry, entry_id, gone[1]) is None
    assert device_by_identifier(device_registry, entry_id, unreachable[1])


async def test_same_name_on_two_environments(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
    entity_registry: er.EntityRegistry,
) -> None:
    """Two environments may each run a container of the same name."""
    fake_portainer.set_endpoint_status(2, 1)
    fake_portainer.containers[2] = []
    fake_portainer.add_container(2, "homeassistant", "cd" * 32)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    ids = {
        entity.unique_id
        for entity in er.async_entries_for_config_entry(
            entity_registry, mock_config_entry.entry_id
        )
        if entity.unique_id.endswith(":homeassistant:running")
        and entity.domain == "switch"
    }
    entry_id = mock_config_entry.entry_id
    assert ids == {
        f"{entry_id}:1:homeassistant:running",
        f"{entry_id}:2:homeassistant:running",
    }


@pytest.mark.parametrize(
    "error", [PortainerConnectionError("refused"), PortainerTimeoutError("slow")]
)
async def test_connection_lost_and_recovered(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    error: PortainerError,
) -> None:
    """Entities go unavailable with one info line, then recover on their own."""
    caplog.set_level(logging.INFO, logger="custom_components.portainer_control")
    endpoints = mock_portainer_client.endpoints.side_effect
    mock_portainer_client.endpoints.side_effect = error

    await _poll(hass, freezer)
    await _poll(hass, freezer)

    assert hass.states.get("switch.homeassistant_running").state == STATE_UNAVAILABLE
    ours = [r for r in caplog.records if r.name.startswith("custom_components")]
    lost = [r for r in ours if "Lost connection" in r.getMessage()]
    assert [record.levelno for record in lost] == [logging.INFO]
    assert not [r for r in ours if r.levelno >= logging.WARNING]

    mock_portainer_client.endpoints.side_effect = endpoints
    await _poll(hass, freezer)
    await _poll(hass, freezer)

    assert hass.states.get("switch.homeassistant_running").state == STATE_ON
    ours = [r for r in caplog.records if r.name.startswith("custom_components")]
    recovered = [r for r in ours if "recovered" in r.getMessage()]
    assert len(recovered) == 1


@pytest.mark.parametrize(
    "method", ["endpoints", "containers", "container_stats", "stacks"]
)
async def test_auth_failure_starts_reauth(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
    method: str,
) -> None:
    """A rejected token anywhere in a poll starts reauthentication."""
    getattr(mock_portainer_client, method).side_effect = PortainerAuthenticationError(
        "401"
    )
    # Stacks are listed again only after a while.
    freezer.tick(STACKS_INTERVAL)

    await _poll(hass, freezer)

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_environment_failure_is_isolated(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_portainer: FakePortainer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An environment whose Docker API fails affects only its own entities."""
    fake_portainer.set_endpoint_status(2, 1)
    fake_portainer.containers[2] = []
    fake_portainer.add_container(2, "web", "ef" * 32)
    await _poll(hass, freezer)
    assert hass.states.get("switch.web_running").state == STATE_ON

    del fake_portainer.containers[1]
    await _poll(hass, freezer)

    assert hass.states.get("switch.homeassistant_running").state == STATE_UNAVAILABLE
    assert hass.states.get("binary_sensor.local_reachable").state == STATE_OFF
    assert hass.states.get("sensor.local_containers").state == STATE_UNAVAILABLE
    assert hass.states.get("switch.web_running").state == STATE_ON
    assert hass.states.get("binary_sensor.remote_reachable").state == STATE_ON


@pytest.mark.parametrize(
    "error", [PortainerNotFoundError("gone"), PortainerConnectionError("reset")]
)
async def test_container_call_failures_are_not_fatal(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
    error: PortainerError,
) -> None:
    """A container that vanished between list and stats is not an error."""
    mock_portainer_client.container_stats.side_effect = error

    await _poll(hass, freezer)

    assert hass.states.get("switch.homeassistant_running").state == STATE_ON
    assert hass.states.get("sensor.homeassistant_cpu_usage").state == "unknown"


async def test_system_info_on_slow_cadence(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Docker info and version are fetched at setup and every few hours."""
    mock_portainer_client.docker_info.reset_mock()
    mock_portainer_client.docker_version.side_effect = PortainerConnectionError("x")

    await _poll(hass, freezer)
    assert _calls(mock_portainer_client.docker_info) == 0

    freezer.tick(SYSTEM_INFO_INTERVAL)
    await _poll(hass, freezer)
    # Only environment 1 answers: the Edge agent's Docker proxy fails.
    assert _calls(mock_portainer_client.docker_info) == 1
    # Without the engine's version, the snapshot's is shown.
    assert hass.states.get("sensor.local_docker_version").state == "26.1.4"


async def test_disk_usage_failures(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A failed disk-usage poll keeps the last figures; a rejected token reauths."""
    size = hass.states.get("sensor.local_images_disk_usage").state
    assert size not in ("unknown", STATE_UNAVAILABLE)

    mock_portainer_client.disk_usage.side_effect = PortainerTimeoutError("slow")
    freezer.tick(DISK_USAGE_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("sensor.local_images_disk_usage").state == size

    mock_portainer_client.disk_usage.side_effect = PortainerAuthenticationError("401")
    freezer.tick(DISK_USAGE_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_disk_usage_unknown_until_answered(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
) -> None:
    """An environment whose disk usage never answered shows unavailable."""
    mock_portainer_client.disk_usage.side_effect = PortainerTimeoutError("slow")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    state = hass.states.get("sensor.local_images_disk_usage")
    assert state.state == STATE_UNAVAILABLE


async def test_environment_loss_logged_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_portainer: FakePortainer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An environment lost, then back, is one info line each way."""
    caplog.set_level(logging.INFO, logger="custom_components.portainer_control")
    containers = fake_portainer.containers.pop(1)
    await _poll(hass, freezer)
    await _poll(hass, freezer)
    fake_portainer.containers[1] = containers
    await _poll(hass, freezer)
    await _poll(hass, freezer)

    ours = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("custom_components") and "local" in r.getMessage()
    ]
    assert ours == [
        "Environment local is not answering",
        "Environment local answers again",
    ]


async def test_unchanged_states_not_written(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A poll writes only the states that changed."""
    await _poll(hass, freezer)
    written: list[str] = []

    @callback
    def _any(event_data: Mapping[str, Any]) -> bool:
        return True

    @callback
    def _record(event: Event) -> None:
        written.append(event.data["entity_id"])

    for event_type in (EVENT_STATE_CHANGED, EVENT_STATE_REPORTED):
        hass.bus.async_listen(event_type, _record, event_filter=_any)

    await _poll(hass, freezer)

    assert "sensor.homeassistant_network_received" in written
    for unchanged in (
        "sensor.homeassistant_image",
        "switch.homeassistant_running",
        "binary_sensor.local_reachable",
        "button.homeassistant_restart",
    ):
        assert unchanged not in written
