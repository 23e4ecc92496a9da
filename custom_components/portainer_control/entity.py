"""Base entities of the Portainer Control integration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, Concatenate

from homeassistant.const import CONF_URL
from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import (
    EndpointType,
    PortainerAuthenticationError,
    PortainerConnectionError,
    PortainerEnvironmentUnavailableError,
    PortainerError,
    PortainerForbiddenError,
    PortainerNotFoundError,
    PortainerTimeoutError,
)
from .const import DOMAIN
from .coordinator import (
    ContainerData,
    EnvironmentData,
    PortainerConfigEntry,
    PortainerCoordinator,
)
from .helpers import (
    ContainerKey,
    container_device_id,
    container_url,
    environment_device_id,
    environment_url,
)

ENVIRONMENT_MODELS: dict[EndpointType, str] = {
    EndpointType.DOCKER: "Docker",
    EndpointType.AGENT: "Docker agent",
    EndpointType.AZURE: "Azure ACI",
    EndpointType.EDGE_AGENT: "Docker Edge agent",
    EndpointType.KUBERNETES: "Kubernetes",
    EndpointType.KUBERNETES_AGENT: "Kubernetes agent",
    EndpointType.KUBERNETES_EDGE_AGENT: "Kubernetes Edge agent",
}


def environment_device_info(
    entry: PortainerConfigEntry, environment: EnvironmentData
) -> DeviceInfo:
    """Return the device of an environment."""
    endpoint = environment.endpoint
    return DeviceInfo(
        identifiers={(DOMAIN, environment_device_id(entry.entry_id, endpoint.id))},
        name=endpoint.name,
        manufacturer="Portainer",
        model=ENVIRONMENT_MODELS.get(endpoint.type),
        sw_version=environment.docker_version,
        configuration_url=environment_url(
            entry.data[CONF_URL], endpoint.id, docker=endpoint.has_docker_api
        ),
    )


def container_device_info(
    entry: PortainerConfigEntry, data: ContainerData
) -> DeviceInfo:
    """Return the device of a container."""
    return DeviceInfo(
        identifiers={(DOMAIN, container_device_id(entry.entry_id, data.key))},
        name=data.container.name,
        manufacturer="Docker",
        model=data.container.image,
        via_device=(DOMAIN, environment_device_id(entry.entry_id, data.endpoint_id)),
        configuration_url=container_url(
            entry.data[CONF_URL], data.endpoint_id, data.container.id
        ),
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


def portainer_action[EntityT: PortainerEntity, **P](
    func: Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]],
) -> Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]:
    """Turn client errors of an entity action into translated errors.

    A rejected token also starts reauthentication. The coordinator refreshes
    afterwards, failed or not, so entities show what really happened.
    """

    async def handler(self: EntityT, /, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await func(self, *args, **kwargs)
        except PortainerError as err:
            if isinstance(err, PortainerAuthenticationError):
                self.coordinator.config_entry.async_start_reauth(self.hass)
            raise action_error(err) from err
        finally:
            await self.coordinator.async_request_refresh()

    return handler


class PortainerEntity(CoordinatorEntity[PortainerCoordinator]):
    """An entity fed by the main coordinator."""

    _attr_has_entity_name = True


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
        self.key: ContainerKey = data.key
        device_id = container_device_id(entry.entry_id, self.key)
        self._attr_unique_id = f"{device_id}:{description.key}"
        self._attr_device_info = container_device_info(entry, data)

    @property
    def container(self) -> ContainerData | None:
        """Return the container as seen by the latest poll."""
        return self.coordinator.data.container(self.key)

    @property
    def available(self) -> bool:
        """Return whether the container was listed by the latest poll."""
        return super().available and self.container is not None

    async def _container_call(
        self, method: Callable[[int, str], Awaitable[object]]
    ) -> None:
        """Call a client method on this container's current Id."""
        if (data := self.container) is None:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="container_missing",
                translation_placeholders={"container": self.key[1]},
            )
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
    container_entities: Callable[[ContainerData], Iterable[EntityT]] = _none,
) -> None:
    """Add entities now and for every environment or container seen later.

    Every environment gets its environment entities; Docker entities wait
    until its Docker API first answers, so an environment that is down or
    has no Docker API gets nothing more.
    """
    known_environments: set[int] = set()
    known_docker: set[int] = set()
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
            for name, data in environment.containers.items():
                if (endpoint_id, name) not in known_containers:
                    known_containers.add((endpoint_id, name))
                    new.extend(container_entities(data))
        if new:
            async_add_entities(new)

    _add_new()
    coordinator.config_entry.async_on_unload(coordinator.async_add_listener(_add_new))
