"""Base entities of the Portainer Control integration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, Concatenate

from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import (
    PortainerAuthenticationError,
    PortainerConnectionError,
    PortainerEnvironmentUnavailableError,
    PortainerError,
    PortainerForbiddenError,
    PortainerNotFoundError,
    PortainerTimeoutError,
)
from .const import DOMAIN
from .coordinator import Control, PortainerCoordinator
from .data import ContainerData, EnvironmentData, StackData
from .devices import container_device_info, environment_device_info, stack_device_info
from .helpers import (
    ContainerKey,
    StackKey,
    container_device_id,
    environment_device_id,
    stack_device_id,
)

# Checked in order: subclasses before their bases.
_ACTION_ERRORS: tuple[tuple[type[PortainerError], str], ...] = (
    (PortainerAuthenticationError, "invalid_auth"),
    (PortainerForbiddenError, "forbidden"),
    (PortainerEnvironmentUnavailableError, "environment_unavailable"),
    (PortainerNotFoundError, "not_found"),
    (PortainerTimeoutError, "timeout"),
    (PortainerConnectionError, "cannot_connect"),
)


def action_error(err: PortainerError) -> HomeAssistantError:
    """Return the translated error a user sees for a failed action."""
    translation_key = next(
        (key for error_type, key in _ACTION_ERRORS if isinstance(err, error_type)),
        "action_failed",
    )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=translation_key,
        translation_placeholders={"error": str(err)},
    )


def handle_action_error(
    coordinator: PortainerCoordinator,
    err: PortainerError,
    endpoint_id: int,
    control: Control,
) -> None:
    """React to a failed action: reauthenticate, or note the refused control."""
    if isinstance(err, PortainerAuthenticationError):
        coordinator.config_entry.async_start_reauth(coordinator.hass)
    elif isinstance(err, PortainerForbiddenError):
        coordinator.async_refuse_control(endpoint_id, control)


def portainer_action[EntityT: PortainerEntity, **P](
    func: Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]],
) -> Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]:
    """Turn client errors of an entity action into translated errors.

    The coordinator refreshes afterwards, failed or not, so entities show
    what really happened.
    """

    async def handler(self: EntityT, /, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await func(self, *args, **kwargs)
        except PortainerError as err:
            if self.control is not None:
                handle_action_error(
                    self.coordinator, err, self.endpoint_id, self.control
                )
            raise action_error(err) from err
        finally:
            await self.coordinator.async_request_refresh()

    return handler


class PortainerEntity(CoordinatorEntity[PortainerCoordinator]):
    """An entity fed by the main coordinator."""

    _attr_has_entity_name = True
    # The environment the entity belongs to.
    endpoint_id: int
    # The kind of control an action of the entity is; None for sensors.
    control: Control | None = None
    # What the last written state showed; see _handle_coordinator_update.
    _written: tuple[bool, object] | None = None

    def _shown(self) -> object:
        """Return what the state shows, to compare between polls."""
        return None

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when what it shows changed.

        Most of a large homelab is unchanged from one poll to the next:
        skipping those writes keeps a poll's cost in the containers that
        changed.
        """
        shown = (self.available, self._shown())
        if shown == self._written:
            return
        self._written = shown
        self.async_write_ha_state()

    @property
    def available(self) -> bool:
        """Return whether the last poll worked and Portainer allows the control."""
        if (
            self.control is not None
            and (self.endpoint_id, self.control) in self.coordinator.refused_controls
        ):
            return False
        return super().available


class PortainerEnvironmentEntity(PortainerEntity):
    """An entity of an environment device."""

    def __init__(
        self,
        coordinator: PortainerCoordinator,
        environment: EnvironmentData,
        description: EntityDescription,
    ) -> None:
        """Initialize the entity."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self.endpoint_id = environment.endpoint.id
        device_id = environment_device_id(entry.entry_id, self.endpoint_id)
        self._attr_unique_id = f"{device_id}:{description.key}"
        self._attr_device_info = environment_device_info(entry, environment)

    @property
    def environment(self) -> EnvironmentData | None:
        """Return the environment as seen by the latest poll."""
        return self.coordinator.data.environments.get(self.endpoint_id)

    @property
    def available(self) -> bool:
        """Return whether the environment's Docker API answered the last poll."""
        environment = self.environment
        return super().available and environment is not None and environment.reachable


class PortainerStackEntity(PortainerEntity):
    """An entity of a stack device."""

    def __init__(
        self,
        coordinator: PortainerCoordinator,
        stack: StackData,
        description: EntityDescription,
    ) -> None:
        """Initialize the entity."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self.endpoint_id = stack.endpoint_id
        self.key: StackKey = stack.key
        device_id = stack_device_id(entry.entry_id, self.key)
        self._attr_unique_id = f"{device_id}:{description.key}"
        self._attr_device_info = stack_device_info(coordinator.hass, entry, stack)

    @property
    def stack(self) -> StackData | None:
        """Return the stack as seen by the latest poll."""
        return self.coordinator.data.stack(self.key)

    @property
    def available(self) -> bool:
        """Return whether the stack is known to the latest poll."""
        return super().available and self.stack is not None


class PortainerContainerEntity(PortainerEntity):
    """An entity of a container device."""

    def __init__(
        self,
        coordinator: PortainerCoordinator,
        data: ContainerData,
        description: EntityDescription,
    ) -> None:
        """Initialize the entity."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self.endpoint_id = data.endpoint_id
        self.key: ContainerKey = data.key
        device_id = container_device_id(entry.entry_id, self.key)
        self._attr_unique_id = f"{device_id}:{description.key}"
        self._attr_device_info = container_device_info(coordinator.hass, entry, data)

    @property
    def container(self) -> ContainerData | None:
        """Return the container as seen by the latest poll."""
        return self.coordinator.data.container(self.key)

    @property
    def available(self) -> bool:
        """Return whether the container was listed by the latest poll."""
        return super().available and self.container is not None

    def _listed_container(self) -> ContainerData:
        """Return the container an action targets; say so when it is gone."""
        if (data := self.container) is None:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="container_missing",
                translation_placeholders={"container": self.key[1]},
            )
        return data

    async def _container_call(
        self, method: Callable[[int, str], Awaitable[object]]
    ) -> None:
        """Call a client method on this container's current Id."""
        data = self._listed_container()
        await method(data.endpoint_id, data.container.id)


def _none(_: object) -> tuple[()]:
    """Return no entities."""
    return ()


def add_new_entities[EntityT: Entity](
    coordinator: PortainerCoordinator,
    async_add_entities: Callable[[Iterable[EntityT]], None],
    *,
    environment_entities: Callable[[EnvironmentData], Iterable[EntityT]] = _none,
    docker_entities: Callable[[EnvironmentData], Iterable[EntityT]] = _none,
    stack_entities: Callable[[StackData], Iterable[EntityT]] = _none,
    container_entities: Callable[[ContainerData], Iterable[EntityT]] = _none,
) -> None:
    """Add entities now and for every environment, stack or container seen later.

    Every environment gets its environment entities; Docker entities wait
    until its Docker API first answers, so an environment that is down or
    has no Docker API gets nothing more.
    """
    known_environments: set[int] = set()
    known_docker: set[int] = set()
    known_stacks: set[StackKey] = set()
    known_containers: set[ContainerKey] = set()

    @callback
    def _add_new() -> None:
        new: list[EntityT] = []
        for endpoint_id, environment in coordinator.data.environments.items():
            if endpoint_id not in known_environments:
                known_environments.add(endpoint_id)
                new.extend(environment_entities(environment))
            if environment.reachable and endpoint_id not in known_docker:
                known_docker.add(endpoint_id)
                new.extend(docker_entities(environment))
            for name, stack in environment.stacks.items():
                if (endpoint_id, name) not in known_stacks:
                    known_stacks.add((endpoint_id, name))
                    new.extend(stack_entities(stack))
            for name, data in environment.containers.items():
                if (endpoint_id, name) not in known_containers:
                    known_containers.add((endpoint_id, name))
                    new.extend(container_entities(data))
        if new:
            async_add_entities(new)

    _add_new()
    coordinator.config_entry.async_on_unload(coordinator.async_add_listener(_add_new))
