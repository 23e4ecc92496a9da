"""Fixtures of the end-to-end tests: the integration on the gateway and an engine.

Home Assistant runs the real integration, added through its config flow, on
a gateway in engine mode in front of the test Docker engine; nothing is
mocked. Polls are driven with ``Integration.refresh``; waits poll a condition
with ``wait_for``, never sleep a fixed time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass, field
import inspect
import logging
import time
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.portainer_control.const import CONF_API_TOKEN, DOMAIN
from custom_components.portainer_control.coordinator import PortainerCoordinator
from custom_components.portainer_control.devices import device_by_identifier
from gateway import Gateway
from tests.engine import EngineSetup, docker_engine, engine_gateway

__all__ = ["docker_engine", "engine_gateway"]

# The environment the engine backs; 2 is down and 3 is Kubernetes.
LOCAL = 1
OFFLINE = 2
CLUSTER = 3
INTEGRATION_LOGGER = "custom_components.portainer_control"
_WAIT_STEP = 0.1
_FORMATTER = logging.Formatter()


async def wait_for(
    condition: Callable[[], bool | Awaitable[bool]],
    within: float = 5.0,
    what: str = "the condition",
) -> float:
    """Poll a condition every 0.1 s; return the seconds it took, fail after within."""
    start = time.monotonic()
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        waited = time.monotonic() - start
        if result:
            return waited
        if waited >= within:
            pytest.fail(f"{what} not reached within {within:g} s")
        await asyncio.sleep(_WAIT_STEP)


async def add_through_flow(
    hass: HomeAssistant, url: str, api_token: str
) -> ConfigEntry:
    """Add a config entry through the user step of the config flow."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: url, CONF_API_TOKEN: api_token, CONF_VERIFY_SSL: False},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    entry: ConfigEntry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


def find_device(
    hass: HomeAssistant, entry: ConfigEntry, identifier: str
) -> dr.DeviceEntry | None:
    """Return the entry's device with one of our identifiers."""
    return device_by_identifier(dr.async_get(hass), entry.entry_id, identifier)


@dataclass(slots=True, kw_only=True)
class Integration:
    """A loaded config entry and the engine behind it."""

    hass: HomeAssistant
    setup: EngineSetup
    entry: ConfigEntry
    gateway: Gateway = field(init=False)

    def __post_init__(self) -> None:
        """Take the gateway of the engine setup."""
        self.gateway = self.setup.gateway

    @property
    def coordinator(self) -> PortainerCoordinator:
        """Return the main coordinator of the loaded entry."""
        coordinator: PortainerCoordinator = self.entry.runtime_data.coordinator
        return coordinator

    async def refresh(self) -> None:
        """Poll now, as the scheduled refresh would."""
        await self.coordinator.async_refresh()
        await self.hass.async_block_till_done()

    def name(self, role: str) -> str:
        """Return the container name of a test role (or a name as is)."""
        return self.setup.names.get(role, role)

    def entity_id(
        self, platform: str, role: str, key: str, *, endpoint_id: int = LOCAL
    ) -> str:
        """Return the entity id of a container entity by its description key."""
        unique_id = f"{self.entry.entry_id}:{endpoint_id}:{self.name(role)}:{key}"
        return self._entity_id(platform, unique_id)

    def environment_entity_id(
        self, platform: str, key: str, *, endpoint_id: int = LOCAL
    ) -> str:
        """Return the entity id of an environment entity by its description key."""
        return self._entity_id(platform, f"{self.entry.entry_id}:{endpoint_id}:{key}")

    def _entity_id(self, platform: str, unique_id: str) -> str:
        """Return the registered entity id of a unique id."""
        registry = er.async_get(self.hass)
        entity_id = registry.async_get_entity_id(platform, DOMAIN, unique_id)
        assert entity_id is not None, f"no {platform} entity {unique_id}"
        return entity_id

    def state(self, platform: str, role: str, key: str) -> State:
        """Return the state of a container entity."""
        state = self.hass.states.get(self.entity_id(platform, role, key))
        assert state is not None
        return state

    def device(self, role: str) -> dr.DeviceEntry | None:
        """Return the device of a container, if registered."""
        return self.device_by_suffix(f"{LOCAL}:{self.name(role)}")

    def device_by_suffix(self, suffix: str) -> dr.DeviceEntry | None:
        """Return a device by its identifier after the entry id and a colon."""
        return find_device(self.hass, self.entry, f"{self.entry.entry_id}:{suffix}")

    def events_stream_open(self) -> bool:
        """Return whether the integration's event stream of LOCAL is connected."""
        return any(
            record.status == 200 and not record.done
            for record in self.gateway.requests.find(
                rf"^/api/endpoints/{LOCAL}/docker/events$"
            )
        )

    async def engine_state(self, role: str) -> dict[str, Any]:
        """Return the engine's State of a container, read without the gateway."""
        state: dict[str, Any] = (await self.setup.inspect(role))["State"]
        return state


type Connect = Callable[[EngineSetup, str], Awaitable[Integration]]


@pytest.fixture
async def connect(hass: HomeAssistant) -> AsyncGenerator[Connect]:
    """Return a function adding an entry through the flow; unload them after."""
    entries: list[ConfigEntry] = []

    async def _connect(setup: EngineSetup, api_token: str) -> Integration:
        entry = await add_through_flow(hass, setup.url, api_token)
        entries.append(entry)
        return Integration(hass=hass, setup=setup, entry=entry)

    yield _connect
    # Before the gateway stops: event streams end with their entry.
    for entry in entries:
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture
async def integration(connect: Connect, engine_gateway: EngineSetup) -> Integration:
    """Add the integration with the admin key through the config flow."""
    return await connect(engine_gateway, engine_gateway.gateway.config.admin_key)


@pytest.fixture(autouse=True)
def log_guard(
    caplog: pytest.LogCaptureFixture, engine_gateway: EngineSetup
) -> Generator[None]:
    """Fail a test that logged an error, or a Portainer key, anywhere."""
    caplog.set_level(logging.DEBUG)
    config = engine_gateway.gateway.config
    keys = {config.admin_key, config.restricted_key}
    yield
    # A test may change the keys the gateway accepts: check those too.
    keys |= {config.admin_key, config.restricted_key}
    for record in caplog.get_records("call") + caplog.get_records("teardown"):
        text = record.getMessage()
        if record.exc_info:
            text += _FORMATTER.formatException(record.exc_info)
        assert not any(key in text for key in keys), (
            f"a key leaked into a {record.levelname} record of {record.name}"
        )
        assert record.levelno < logging.ERROR, f"error logged: {record.name}: {text}"
