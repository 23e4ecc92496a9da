"""Binary sensors of Portainer environments and containers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import ContainerHealth, ContainerState
from .coordinator import PortainerConfigEntry
from .data import ContainerData
from .entity import (
    PortainerContainerEntity,
    PortainerEnvironmentEntity,
    add_new_entities,
)

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class PortainerContainerBinarySensorDescription(BinarySensorEntityDescription):
    """Describes a container binary sensor."""

    is_on_fn: Callable[[ContainerData], bool | None]


CONTAINER_BINARY_SENSORS: tuple[PortainerContainerBinarySensorDescription, ...] = (
    PortainerContainerBinarySensorDescription(
        key="running",
        translation_key="running",
        device_class=BinarySensorDeviceClass.RUNNING,
        is_on_fn=lambda data: data.state is ContainerState.RUNNING,
    ),
    PortainerContainerBinarySensorDescription(
        key="health_problem",
        translation_key="health_problem",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda data: data.health is ContainerHealth.UNHEALTHY,
    ),
    PortainerContainerBinarySensorDescription(
        key="oom_killed",
        translation_key="oom_killed",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda data: data.details.oom_killed if data.details else None,
    ),
)

# Not diagnostic: it is the one entity of an environment that is down.
REACHABLE = BinarySensorEntityDescription(
    key="reachable",
    translation_key="reachable",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PortainerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up binary sensors of environments and containers."""
    coordinator = entry.runtime_data.coordinator
    add_new_entities(
        coordinator,
        async_add_entities,
        environment_entities=lambda environment: [
            PortainerReachableBinarySensor(coordinator, environment, REACHABLE)
        ],
        container_entities=lambda data: [
            PortainerContainerBinarySensor(coordinator, data, description)
            for description in CONTAINER_BINARY_SENSORS
        ],
    )


class PortainerContainerBinarySensor(PortainerContainerEntity, BinarySensorEntity):
    """A binary sensor of a container."""

    entity_description: PortainerContainerBinarySensorDescription

    def _shown(self) -> object:
        """Return the state."""
        return self.is_on

    @property
    def is_on(self) -> bool | None:
        """Return the sensor's state."""
        if (data := self.container) is None:
            return None
        return self.entity_description.is_on_fn(data)


class PortainerReachableBinarySensor(PortainerEnvironmentEntity, BinarySensorEntity):
    """Whether an environment is up."""

    def _shown(self) -> object:
        """Return the state."""
        return self.is_on

    @property
    def available(self) -> bool:
        """Return whether Portainer itself answered the last poll."""
        return self.coordinator.last_update_success and self.environment is not None

    @property
    def is_on(self) -> bool:
        """Return whether the environment is up."""
        environment = self.environment
        return environment is not None and environment.online
