"""End to end: a lost engine, bad keys and faulty answers, then recovery."""

from __future__ import annotations

from dataclasses import dataclass
import logging
from unittest.mock import patch

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.portainer_control.const import (
    CONF_API_TOKEN,
    DOMAIN,
    ENVIRONMENT_DOWN_POLLS,
)
from gateway import EnvironmentStatus, FaultKind
from gateway.config import new_api_key
from tests.engine import EngineSetup

from .conftest import INTEGRATION_LOGGER, LOCAL, Connect, Integration

pytestmark = pytest.mark.engine

# Short enough that a request the gateway never answers fails fast.
TEST_REQUEST_TIMEOUT = 3.0


def _lines(caplog: pytest.LogCaptureFixture, start: int) -> list[str]:
    """Return the integration's info (and louder) lines logged since start."""
    return [
        record.getMessage()
        for record in caplog.records[start:]
        if record.name.startswith(INTEGRATION_LOGGER) and record.levelno >= logging.INFO
    ]


def _assert_engine_entities(
    integration: Integration, *, available: bool, portainer_lost: bool = False
) -> None:
    """Check the engine environment's container and environment entities."""
    hass = integration.hass
    switch = integration.state("switch", "sleeper", "running").state
    containers = integration.environment_entity_id("sensor", "containers_total")
    reachable = integration.environment_entity_id("binary_sensor", "reachable")
    if available:
        assert switch == STATE_ON
        assert hass.states.get(containers).state not in (STATE_UNAVAILABLE, "0")
        assert hass.states.get(reachable).state == STATE_ON
    else:
        assert switch == STATE_UNAVAILABLE
        assert hass.states.get(containers).state == STATE_UNAVAILABLE
        # Without Portainer nothing is known; without the engine, the
        # environment's own sensor says why.
        assert hass.states.get(reachable).state == (
            STATE_UNAVAILABLE if portainer_lost else STATE_OFF
        )


@pytest.mark.parametrize("how", ["proxy_502", "marked_down"])
async def test_engine_lost_and_back(
    hass: HomeAssistant,
    integration: Integration,
    caplog: pytest.LogCaptureFixture,
    how: str,
) -> None:
    """A lost engine: entities unavailable, one info line; back without reload."""
    gateway = integration.gateway
    issue_id = f"{integration.entry.entry_id}_environment_down_{LOCAL}"
    start = len(caplog.records)
    if how == "proxy_502":
        # Portainer still lists the environment up; its Docker proxy answers 502.
        fault = gateway.faults.add(
            FaultKind.STATUS, rf"^/api/endpoints/{LOCAL}/docker/", status=502
        )
    else:
        gateway.environment(LOCAL).status = EnvironmentStatus.DOWN

    for _ in range(ENVIRONMENT_DOWN_POLLS):
        await integration.refresh()

    assert integration.entry.state is ConfigEntryState.LOADED
    _assert_engine_entities(integration, available=False)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    assert _lines(caplog, start) == ["Environment local is not answering"]

    start = len(caplog.records)
    if how == "proxy_502":
        gateway.faults.remove(fault)
    else:
        gateway.environment(LOCAL).status = EnvironmentStatus.UP
    await integration.refresh()

    _assert_engine_entities(integration, available=True)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert _lines(caplog, start) == ["Environment local answers again"]


async def test_rejected_key_starts_reauth(
    hass: HomeAssistant, integration: Integration
) -> None:
    """A key Portainer stops accepting starts reauthentication; a new key heals."""
    entry = integration.entry
    config = integration.gateway.config
    config.admin_key = new_api_key()

    await integration.refresh()

    (flow,) = entry.async_get_active_flows(hass, {SOURCE_REAUTH})
    assert integration.state("switch", "sleeper", "running").state == (
        STATE_UNAVAILABLE
    )
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_TOKEN: config.admin_key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()

    assert entry.data[CONF_API_TOKEN] == config.admin_key
    assert entry.state is ConfigEntryState.LOADED
    assert integration.state("switch", "sleeper", "running").state == STATE_ON


async def test_restricted_key_reads_but_cannot_act(
    hass: HomeAssistant, connect: Connect, engine_gateway: EngineSetup
) -> None:
    """A restricted key: sensors work, refused actions fail clearly with a repair."""
    integration = await connect(
        engine_gateway, engine_gateway.gateway.config.restricted_key
    )
    entry_id = integration.entry.entry_id
    assert integration.state("sensor", "sleeper", "state").state == "running"
    started = (await integration.engine_state("sleeper"))["StartedAt"]

    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            BUTTON_DOMAIN,
            SERVICE_PRESS,
            {ATTR_ENTITY_ID: integration.entity_id("button", "sleeper", "restart")},
            blocking=True,
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "forbidden"
    assert "administrator" in str(err.value)
    assert (await integration.engine_state("sleeper"))["StartedAt"] == started
    issue_id = f"{entry_id}_insufficient_permissions"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

    await integration.refresh()
    assert integration.state("switch", "sleeper", "running").state == (
        STATE_UNAVAILABLE
    )
    assert integration.state("sensor", "sleeper", "state").state == "running"
    assert integration.state("sensor", "sleeper", "memory_used").state not in (
        STATE_UNKNOWN,
        STATE_UNAVAILABLE,
    )

    # Portainer authorizes pruning apart from container controls.
    prune = integration.environment_entity_id("button", "prune_images")
    assert hass.states.get(prune).state != STATE_UNAVAILABLE
    environment = integration.device_by_suffix(str(LOCAL))
    assert environment is not None
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "prune_images",
            {ATTR_DEVICE_ID: environment.id},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "forbidden"
    await hass.async_block_till_done()
    assert hass.states.get(prune).state == STATE_UNAVAILABLE


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultCase:
    """A fault to inject, and whether it fails the requests it hits."""

    kind: FaultKind
    status: int = 500
    seconds: float | None = None
    fails: bool = True


FAULTS = {
    "latency": FaultCase(kind=FaultKind.LATENCY, seconds=0.5, fails=False),
    "http_500": FaultCase(kind=FaultKind.STATUS, status=500),
    "http_502": FaultCase(kind=FaultKind.STATUS, status=502),
    "dropped": FaultCase(kind=FaultKind.DROP),
    "timeout": FaultCase(kind=FaultKind.TIMEOUT),
    "malformed_json": FaultCase(kind=FaultKind.MALFORMED),
    # Portainer relays Podman's stats as text/plain: the JSON must still count.
    "text_plain": FaultCase(kind=FaultKind.TEXT_PLAIN, fails=False),
}
ROUTES = {
    "environments": r"^/api/endpoints$",
    "containers": rf"^/api/endpoints/{LOCAL}/docker/containers/json$",
    "stats": rf"^/api/endpoints/{LOCAL}/docker/containers/[^/]+/stats$",
}


@pytest.mark.parametrize("case", FAULTS.values(), ids=FAULTS.keys())
async def test_faults_on_the_main_routes(
    hass: HomeAssistant,
    connect: Connect,
    engine_gateway: EngineSetup,
    caplog: pytest.LogCaptureFixture,
    case: FaultCase,
) -> None:
    """Each fault leaves the entry loaded, at worst unavailable; then recovery."""
    with patch(
        "custom_components.portainer_control.REQUEST_TIMEOUT", TEST_REQUEST_TIMEOUT
    ):
        integration = await connect(
            engine_gateway, engine_gateway.gateway.config.admin_key
        )
    gateway = integration.gateway
    memory = integration.entity_id("sensor", "sleeper", "memory_used")

    for route, path in ROUTES.items():
        start = len(caplog.records)
        fault = gateway.faults.add(
            case.kind, path, status=case.status, seconds=case.seconds
        )
        await integration.refresh()
        assert fault.hits > 0, route
        gateway.faults.remove(fault)

        assert integration.entry.state is ConfigEntryState.LOADED, route
        if not case.fails:
            _assert_engine_entities(integration, available=True)
            assert hass.states.get(memory).state != STATE_UNKNOWN
        elif route == "stats":
            # Without a sample the figures are unknown; the rest is as it was.
            _assert_engine_entities(integration, available=True)
            assert hass.states.get(memory).state == STATE_UNKNOWN
        else:
            _assert_engine_entities(
                integration,
                available=False,
                portainer_lost=route == "environments",
            )
        if case.fails and route != "stats":
            # One info line says what was lost, and one that it is back.
            assert len(_lines(caplog, start)) == 1, route

        start = len(caplog.records)
        await integration.refresh()
        _assert_engine_entities(integration, available=True)
        assert hass.states.get(memory).state not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
        if case.fails and route != "stats":
            assert len(_lines(caplog, start)) == 1, route

    # log_guard checks every test; said here too, where errors abound.
    admin_key = gateway.config.admin_key
    assert not [r for r in caplog.records if admin_key in r.getMessage()]
