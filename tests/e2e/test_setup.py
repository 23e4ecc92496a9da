"""End to end: setup through the config flow, devices, environments, a URL prefix."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_URL,
    CONF_VERIFY_SSL,
    SERVICE_TURN_OFF,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from gateway import Gateway, GatewayConfig
from tests.engine import TEST_IMAGE, EngineSetup

from .conftest import CLUSTER, LOCAL, OFFLINE, Connect, Integration, wait_for

pytestmark = pytest.mark.engine

ROLES = ("sleeper", "unhealthy", "web", "db", "exited")
# What every container device holds, by platform and description key.
CONTAINER_ENTITIES = {
    ("binary_sensor", "running"),
    ("binary_sensor", "health_problem"),
    ("binary_sensor", "oom_killed"),
    ("button", "restart"),
    ("button", "pause"),
    ("button", "resume"),
    ("button", "kill"),
    ("button", "recreate"),
    ("event", "events"),
    ("sensor", "state"),
    ("sensor", "health"),
    ("sensor", "cpu_percent"),
    ("sensor", "memory_used"),
    ("sensor", "started_at"),
    ("switch", "running"),
    ("update", "image"),
}


def _entities(hass: HomeAssistant, device: dr.DeviceEntry) -> set[tuple[str, str]]:
    """Return the platform and description key of a device's entities."""
    return {
        (entry.domain, entry.unique_id.rsplit(":", 1)[1])
        for entry in er.async_entries_for_device(
            er.async_get(hass), device.id, include_disabled_entities=True
        )
    }


async def test_setup_through_the_config_flow(
    hass: HomeAssistant, integration: Integration
) -> None:
    """The flow adds the entry; each test container gets a device and entities."""
    entry = integration.entry
    assert entry.title == "127.0.0.1"
    assert entry.unique_id == integration.gateway.config.instance_id
    assert entry.data[CONF_URL] == integration.gateway.url
    assert entry.data[CONF_VERIFY_SSL] is False

    for role in ROLES:
        device = integration.device(role)
        assert device is not None, role
        assert device.name == integration.name(role)
        assert device.model == TEST_IMAGE
        assert _entities(hass, device) >= CONTAINER_ENTITIES
        running = role != "exited"
        assert integration.state("switch", role, "running").state == (
            STATE_ON if running else STATE_OFF
        )
        assert integration.state("sensor", role, "state").state == (
            "running" if running else "exited"
        )
        assert integration.state("sensor", role, "memory_used").state not in (
            "unknown",
            STATE_UNAVAILABLE,
        )

    # The Compose project is a stack between the environment and its containers.
    environment = integration.device_by_suffix(str(LOCAL))
    stack = integration.device_by_suffix(f"{LOCAL}:stack:{integration.setup.project}")
    assert environment is not None
    assert stack is not None
    assert stack.via_device_id == environment.id
    web, sleeper = integration.device("web"), integration.device("sleeper")
    assert web is not None
    assert sleeper is not None
    assert web.via_device_id == stack.id
    assert sleeper.via_device_id == environment.id

    # Docker's health check turns the container unhealthy after about 2 s.
    await integration.setup.wait_for_health("unhealthy")
    await integration.refresh()
    assert integration.state("sensor", "unhealthy", "health").state == "unhealthy"
    assert integration.state("binary_sensor", "unhealthy", "health_problem").state == (
        STATE_ON
    )


async def test_other_environments_never_break_the_engine(
    hass: HomeAssistant, integration: Integration
) -> None:
    """A down and a Kubernetes environment get a device; the engine's works."""
    await integration.refresh()

    for endpoint_id, reachable in ((OFFLINE, STATE_OFF), (CLUSTER, STATE_ON)):
        device = integration.device_by_suffix(str(endpoint_id))
        assert device is not None
        # Nothing but the Reachable sensor: no Docker API to ask.
        assert _entities(hass, device) == {("binary_sensor", "reachable")}
        entity_id = integration.environment_entity_id(
            "binary_sensor", "reachable", endpoint_id=endpoint_id
        )
        assert hass.states.get(entity_id).state == reachable

    reachable = integration.environment_entity_id("binary_sensor", "reachable")
    assert hass.states.get(reachable).state == STATE_ON
    assert integration.state("switch", "sleeper", "running").state == STATE_ON
    # Neither was asked for Docker calls it cannot answer.
    gateway = integration.gateway
    assert gateway.requests.count(rf"^/api/endpoints/({OFFLINE}|{CLUSTER})/") == 0
    assert gateway.requests.count(rf"^/api/endpoints/{LOCAL}/docker/") > 0


async def test_gateway_under_a_path_prefix(
    hass: HomeAssistant,
    connect: Connect,
    engine_gateway: EngineSetup,
    docker_engine: Path,
) -> None:
    """A URL ending in /portainer reaches a Portainer served under that prefix."""
    config = GatewayConfig(engine=f"unix://{docker_engine}", prefix="/portainer")
    async with Gateway(config) as gateway:
        setup = dataclasses.replace(engine_gateway, gateway=gateway)
        integration = await connect(setup, config.admin_key)
        assert integration.entry.data[CONF_URL].endswith("/portainer")

        device = integration.device("sleeper")
        assert device is not None
        assert device.configuration_url is not None
        assert device.configuration_url.startswith(f"{gateway.url}/#!/{LOCAL}/")
        assert integration.state("switch", "sleeper", "running").state == STATE_ON

        await wait_for(integration.events_stream_open, what="the event stream")
        await hass.services.async_call(
            SWITCH_DOMAIN,
            SERVICE_TURN_OFF,
            {ATTR_ENTITY_ID: integration.entity_id("switch", "sleeper", "running")},
            blocking=True,
        )
        assert (await integration.engine_state("sleeper"))["Running"] is False
        # A request that missed the prefix would have found no route (404).
        statuses = {record.status for record in gateway.requests}
        assert statuses <= {200, 204, None}
        await hass.config_entries.async_unload(integration.entry.entry_id)
