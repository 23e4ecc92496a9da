"""Docker's event stream: container changes applied between polls."""

from __future__ import annotations

import asyncio
from typing import Any, Final

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .api import (
    ContainerHealth,
    ContainerState,
    DockerEvent,
    PortainerAuthenticationError,
    PortainerError,
)
from .const import DOMAIN, EVENT_REFRESH_DELAY, EVENT_STREAM_BACKOFF, LOGGER
from .coordinator import PortainerConfigEntry, PortainerCoordinator
from .helpers import ContainerKey

# The container events the stream is asked for.
WATCHED_ACTIONS: Final = [
    "create",
    "destroy",
    "die",
    "health_status",
    "kill",
    "oom",
    "pause",
    "rename",
    "restart",
    "start",
    "stop",
    "unpause",
]
_STATES: Final = {
    "start": ContainerState.RUNNING,
    "restart": ContainerState.RUNNING,
    "unpause": ContainerState.RUNNING,
    "pause": ContainerState.PAUSED,
    "die": ContainerState.EXITED,
    "stop": ContainerState.EXITED,
}
# Events that change which containers exist: the next poll lists them.
_LIST_CHANGES: Final = {"create", "destroy", "rename"}

EVENT_DIED: Final = "died"
EVENT_OOM_KILLED: Final = "oom_killed"
EVENT_BECAME_UNHEALTHY: Final = "became_unhealthy"
EVENT_RESTARTED: Final = "restarted"
EVENT_TYPES: Final = [
    EVENT_DIED,
    EVENT_OOM_KILLED,
    EVENT_BECAME_UNHEALTHY,
    EVENT_RESTARTED,
]


def container_event_signal(entry_id: str, key: ContainerKey) -> str:
    """Return the dispatcher signal carrying a container's events."""
    return f"{DOMAIN}_{entry_id}_{key[0]}_{key[1]}_event"


def _event_type(action: str, detail: str) -> str | None:
    """Return the event entity's type for a Docker action, if it has one."""
    match action:
        case "die":
            return EVENT_DIED
        case "oom":
            return EVENT_OOM_KILLED
        case "restart":
            return EVENT_RESTARTED
        case "health_status" if detail == ContainerHealth.UNHEALTHY:
            return EVENT_BECAME_UNHEALTHY
    return None


class EventWatcher:
    """Keeps one event stream open per reachable environment."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PortainerConfigEntry,
        coordinator: PortainerCoordinator,
    ) -> None:
        """Initialize the watcher."""
        self._hass = hass
        self._entry = entry
        self._coordinator = coordinator
        self._streams: dict[int, asyncio.Task[None]] = {}
        self._list_refresh: asyncio.TimerHandle | None = None

    @callback
    def async_start(self) -> None:
        """Watch every reachable environment, now and after each poll."""
        self._entry.async_on_unload(
            self._coordinator.async_add_listener(self._sync_streams)
        )
        self._entry.async_on_unload(self._stop)
        self._entry.async_on_unload(
            self._hass.bus.async_listen_once(
                EVENT_HOMEASSISTANT_STOP, lambda _: self._stop()
            )
        )
        self._sync_streams()

    @callback
    def _sync_streams(self) -> None:
        """Open streams for environments that answer; close removed ones."""
        environments = self._coordinator.data.environments
        for endpoint_id, environment in environments.items():
            if environment.reachable and endpoint_id not in self._streams:
                # Streams never end: unlike background tasks, waiting for
                # Home Assistant to settle must not wait for them.
                self._streams[endpoint_id] = asyncio.create_task(
                    self._watch(endpoint_id),
                    name=f"{DOMAIN} events of environment {endpoint_id}",
                )
        # A stream of an unreachable environment reconnects on its own.
        for endpoint_id in set(self._streams) - set(environments):
            self._streams.pop(endpoint_id).cancel()

    @callback
    def _stop(self) -> None:
        """Close every stream."""
        for task in self._streams.values():
            task.cancel()
        self._streams.clear()
        if self._list_refresh is not None:
            self._list_refresh.cancel()
            self._list_refresh = None

    async def _watch(self, endpoint_id: int) -> None:
        """Read one environment's events, reconnecting with a growing delay."""
        attempt = 0
        while True:
            try:
                async for event in self._coordinator.client.events(
                    endpoint_id,
                    filters={"type": ["container"], "event": WATCHED_ACTIONS},
                ):
                    attempt = 0
                    self._apply(endpoint_id, event)
            except PortainerAuthenticationError:
                # The main poll starts reauthentication; a reload reopens us.
                return
            except PortainerError as err:
                LOGGER.debug("Event stream of %s dropped: %s", endpoint_id, err)
            delay = EVENT_STREAM_BACKOFF[min(attempt, len(EVENT_STREAM_BACKOFF) - 1)]
            attempt += 1
            await asyncio.sleep(delay)

    @callback
    def _schedule_list_refresh(self) -> None:
        """Poll once the list has stopped changing for EVENT_REFRESH_DELAY."""
        if self._list_refresh is not None:
            self._list_refresh.cancel()
        self._list_refresh = self._hass.loop.call_later(
            EVENT_REFRESH_DELAY, self._refresh_list
        )

    @callback
    def _refresh_list(self) -> None:
        """Ask the coordinator for a poll."""
        self._list_refresh = None
        self._hass.async_create_task(self._coordinator.async_request_refresh())

    @callback
    def _apply(self, endpoint_id: int, event: DockerEvent) -> None:
        """Apply one container event to the latest poll's data."""
        action, _, detail = event.action.partition(":")
        detail = detail.strip()
        if action in _LIST_CHANGES:
            self._schedule_list_refresh()
            return
        name = event.container_name
        if name is None:
            return
        key = (endpoint_id, name)
        data = self._coordinator.data.container(key)
        if data is None:
            return

        if (state := _STATES.get(action)) is not None:
            data.event_state = state
        elif action == "health_status":
            data.event_health = ContainerHealth(detail)
        if (event_type := _event_type(action, detail)) is not None:
            attributes: dict[str, Any] = {"container": name}
            if exit_code := event.attributes.get("exitCode"):
                attributes["exit_code"] = int(exit_code)
            async_dispatcher_send(
                self._hass,
                container_event_signal(self._entry.entry_id, key),
                event_type,
                attributes,
            )
        self._coordinator.async_update_listeners()
