"""Switches starting and stopping Portainer containers."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import ContainerState
from .const import DOMAIN
from .coordinator import Control, PortainerConfigEntry
from .entity import (
    PortainerContainerEntity,
    PortainerStackEntity,
    add_new_entities,
    portainer_action,
)

# Actions go to one Portainer server: one at a time keeps it calm.
PARALLEL_UPDATES = 1

# A paused or restarting container still has its processes.
ON_STATES = (ContainerState.RUNNING, ContainerState.PAUSED, ContainerState.RESTARTING)

CONTAINER_SWITCH = SwitchEntityDescription(key="running", translation_key="running")
STACK_SWITCH = SwitchEntityDescription(
    key="stack_running", translation_key="stack_running"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PortainerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a running switch per container."""
    coordinator = entry.runtime_data.coordinator
    add_new_entities(
        coordinator,
        async_add_entities,
        # Only Portainer can start a stack it deployed; label-only projects
        # get no switch.
        stack_entities=lambda stack: (
            [PortainerStackSwitch(coordinator, stack, STACK_SWITCH)]
            if stack.managed
            else []
        ),
        container_entities=lambda data: [
            PortainerContainerSwitch(coordinator, data, CONTAINER_SWITCH)
        ],
    )


class PortainerContainerSwitch(PortainerContainerEntity, SwitchEntity):
    """Starts (on) and stops (off) a container."""

    control = Control.CONTAINER

    # The state the last action asked for, until the next poll confirms it.
    _assumed_on: bool | None = None

    @property
    def is_on(self) -> bool | None:
        """Return whether the container is running."""
        if self._assumed_on is not None:
            return self._assumed_on
        if (data := self.container) is None:
            return None
        return data.state in ON_STATES

    def _shown(self) -> object:
        """Return the state."""
        return self.is_on

    @callback
    def _handle_coordinator_update(self) -> None:
        """Drop the assumed state: the poll knows better."""
        self._assumed_on = None
        super()._handle_coordinator_update()

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start the container, or resume it when paused."""
        await self._async_set_running(running=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop the container."""
        await self._async_set_running(running=False)

    @portainer_action
    async def _async_set_running(self, running: bool) -> None:
        """Start or stop the container, then show the new state at once."""
        client = self.coordinator.client
        data = self.container
        if not running:
            method = client.container_stop
        elif data is not None and data.state is ContainerState.PAUSED:
            method = client.container_unpause
        else:
            method = client.container_start
        await self._container_call(method)
        self._assumed_on = running
        # Written outside a poll: the next poll must write whatever it shows.
        self._written = None
        self.async_write_ha_state()


class PortainerStackSwitch(PortainerStackEntity, SwitchEntity):
    """Starts (on) and stops (off) a stack through Portainer's stacks API."""

    control = Control.STACK

    def _shown(self) -> object:
        """Return the state."""
        return self.is_on

    @property
    def is_on(self) -> bool | None:
        """Return whether the stack is started."""
        if (stack := self.stack) is None:
            return None
        return stack.active

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start the stack."""
        await self._async_set_active(active=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop the stack."""
        await self._async_set_active(active=False)

    @portainer_action
    async def _async_set_active(self, active: bool) -> None:
        """Start or stop the stack, then list stacks again at the next poll."""
        stack = self.stack
        if stack is None or stack.stack is None:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="stack_missing",
                translation_placeholders={"stack": self.key[1]},
            )
        client = self.coordinator.client
        method = client.stack_start if active else client.stack_stop
        await method(stack.stack.id, stack.endpoint_id)
        self.coordinator.request_stacks_refresh()
