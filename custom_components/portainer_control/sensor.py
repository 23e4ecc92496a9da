"""Sensors of Portainer environments and containers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfDataRate,
    UnitOfInformation,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import (
    ContainerHealth,
    ContainerState,
    DiskUsage,
    DiskUsageCategory,
    StackType,
    memory_percent,
    memory_used,
)
from .coordinator import PortainerConfigEntry, PortainerDiskUsageCoordinator
from .data import ContainerData, EnvironmentData, StackData
from .devices import environment_device_info
from .entity import (
    PortainerContainerEntity,
    PortainerEnvironmentEntity,
    PortainerStackEntity,
    add_new_entities,
)
from .helpers import environment_device_id

# Coordinators poll; entities never update on their own.
PARALLEL_UPDATES = 0

STOPPED_STATES = (ContainerState.CREATED, ContainerState.EXITED, ContainerState.DEAD)


@dataclass(frozen=True, kw_only=True)
class PortainerContainerSensorDescription(SensorEntityDescription):
    """Describes a container sensor."""

    value_fn: Callable[[ContainerData], StateType | datetime]


@dataclass(frozen=True, kw_only=True)
class PortainerEnvironmentSensorDescription(SensorEntityDescription):
    """Describes an environment sensor."""

    value_fn: Callable[[EnvironmentData], StateType]


@dataclass(frozen=True, kw_only=True)
class PortainerStackSensorDescription(SensorEntityDescription):
    """Describes a stack sensor."""

    value_fn: Callable[[StackData], StateType]


@dataclass(frozen=True, kw_only=True)
class PortainerDiskUsageSensorDescription(SensorEntityDescription):
    """Describes a disk-usage sensor of an environment."""

    value_fn: Callable[[DiskUsage], int | None]


def _when_running(
    value_fn: Callable[[ContainerData], float | None],
) -> Callable[[ContainerData], float | None]:
    """Report 0 for a stopped container: it uses nothing.

    Stats are fetched for running containers only, so a paused one, which
    still holds its memory, reports unknown rather than a wrong 0.
    """

    def _value(data: ContainerData) -> float | None:
        if data.state in STOPPED_STATES:
            return 0
        if data.state is not ContainerState.RUNNING:
            return None
        return value_fn(data)

    return _value


def _memory_used(data: ContainerData) -> float | None:
    """Return memory in use, without the reclaimable page cache."""
    return memory_used(data.stats) if data.stats is not None else None


def _memory_percent(data: ContainerData) -> float | None:
    """Return memory in use as a share of the container's limit."""
    return memory_percent(data.stats) if data.stats is not None else None


def _rx_rate(data: ContainerData) -> float | None:
    """Return bytes received per second since the previous poll."""
    return data.network_rates[0] if data.network_rates is not None else None


def _tx_rate(data: ContainerData) -> float | None:
    """Return bytes sent per second since the previous poll."""
    return data.network_rates[1] if data.network_rates is not None else None


CONTAINER_SENSORS: tuple[PortainerContainerSensorDescription, ...] = (
    PortainerContainerSensorDescription(
        key="state",
        translation_key="state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in ContainerState],
        value_fn=lambda data: data.state.value,
    ),
    PortainerContainerSensorDescription(
        key="health",
        translation_key="health",
        device_class=SensorDeviceClass.ENUM,
        options=[health.value for health in ContainerHealth],
        value_fn=lambda data: data.health.value,
    ),
    PortainerContainerSensorDescription(
        key="cpu_percent",
        translation_key="cpu_percent",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_when_running(lambda data: data.cpu_percent),
    ),
    PortainerContainerSensorDescription(
        key="memory_used",
        translation_key="memory_used",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.MEBIBYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_when_running(_memory_used),
    ),
    PortainerContainerSensorDescription(
        key="memory_percent",
        translation_key="memory_percent",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_when_running(_memory_percent),
    ),
    PortainerContainerSensorDescription(
        key="memory_limit",
        translation_key="memory_limit",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.MEBIBYTES,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.stats.memory_limit if data.stats else None,
    ),
    PortainerContainerSensorDescription(
        key="network_rx_rate",
        translation_key="network_rx_rate",
        device_class=SensorDeviceClass.DATA_RATE,
        native_unit_of_measurement=UnitOfDataRate.BYTES_PER_SECOND,
        suggested_unit_of_measurement=UnitOfDataRate.KIBIBYTES_PER_SECOND,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_when_running(_rx_rate),
    ),
    PortainerContainerSensorDescription(
        key="network_tx_rate",
        translation_key="network_tx_rate",
        device_class=SensorDeviceClass.DATA_RATE,
        native_unit_of_measurement=UnitOfDataRate.BYTES_PER_SECOND,
        suggested_unit_of_measurement=UnitOfDataRate.KIBIBYTES_PER_SECOND,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_when_running(_tx_rate),
    ),
    PortainerContainerSensorDescription(
        key="network_rx_total",
        translation_key="network_rx_total",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.MEBIBYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda data: data.stats.network_rx_bytes if data.stats else None,
    ),
    PortainerContainerSensorDescription(
        key="network_tx_total",
        translation_key="network_tx_total",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.MEBIBYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda data: data.stats.network_tx_bytes if data.stats else None,
    ),
    PortainerContainerSensorDescription(
        key="block_read_total",
        translation_key="block_read_total",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.MEBIBYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.stats.block_read_bytes if data.stats else None,
    ),
    PortainerContainerSensorDescription(
        key="block_write_total",
        translation_key="block_write_total",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.MEBIBYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.stats.block_write_bytes if data.stats else None,
    ),
    PortainerContainerSensorDescription(
        key="started_at",
        translation_key="started_at",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda data: data.details.started_at if data.details else None,
    ),
    PortainerContainerSensorDescription(
        key="restart_count",
        translation_key="restart_count",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.details.restart_count if data.details else None,
    ),
    PortainerContainerSensorDescription(
        key="image",
        translation_key="image",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.container.image,
    ),
)


STACK_SENSORS: tuple[PortainerStackSensorDescription, ...] = (
    PortainerStackSensorDescription(
        key="stack_status",
        translation_key="stack_status",
        device_class=SensorDeviceClass.ENUM,
        options=["active", "inactive"],
        value_fn=lambda stack: "active" if stack.active else "inactive",
    ),
    PortainerStackSensorDescription(
        key="stack_type",
        translation_key="stack_type",
        device_class=SensorDeviceClass.ENUM,
        entity_category=EntityCategory.DIAGNOSTIC,
        options=[stack_type.name.lower() for stack_type in StackType],
        value_fn=lambda stack: stack.type.name.lower(),
    ),
    PortainerStackSensorDescription(
        key="stack_containers_running",
        translation_key="stack_containers_running",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda stack: stack.running,
    ),
    PortainerStackSensorDescription(
        key="stack_containers",
        translation_key="stack_containers",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda stack: len(stack.containers),
    ),
)


def _info_or_snapshot(
    info_fn: Callable[[EnvironmentData], int | None],
    snapshot_fn: Callable[[EnvironmentData], int | None],
) -> Callable[[EnvironmentData], int | None]:
    """Prefer the engine's own figure; fall back to Portainer's snapshot."""

    def _value(environment: EnvironmentData) -> int | None:
        if (value := info_fn(environment)) is not None:
            return value
        return snapshot_fn(environment)

    return _value


ENVIRONMENT_SENSORS: tuple[PortainerEnvironmentSensorDescription, ...] = (
    PortainerEnvironmentSensorDescription(
        key="containers_total",
        translation_key="containers_total",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda environment: len(environment.containers),
    ),
    PortainerEnvironmentSensorDescription(
        key="containers_running",
        translation_key="containers_running",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda environment: environment.count(ContainerState.RUNNING),
    ),
    PortainerEnvironmentSensorDescription(
        key="containers_stopped",
        translation_key="containers_stopped",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda environment: environment.count(*STOPPED_STATES),
    ),
    PortainerEnvironmentSensorDescription(
        key="containers_paused",
        translation_key="containers_paused",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda environment: environment.count(ContainerState.PAUSED),
    ),
    # Portainer's snapshot always reports 0 unhealthy: count from the list.
    PortainerEnvironmentSensorDescription(
        key="containers_unhealthy",
        translation_key="containers_unhealthy",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda environment: sum(
            1
            for data in environment.containers.values()
            if data.health is ContainerHealth.UNHEALTHY
        ),
    ),
    PortainerEnvironmentSensorDescription(
        key="images",
        translation_key="images",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_info_or_snapshot(
            lambda env: env.info.images if env.info else None,
            lambda env: env.endpoint.snapshot.image_count
            if env.endpoint.snapshot
            else None,
        ),
    ),
    PortainerEnvironmentSensorDescription(
        key="volumes",
        translation_key="volumes",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda env: env.endpoint.snapshot.volume_count
        if env.endpoint.snapshot
        else None,
    ),
    PortainerEnvironmentSensorDescription(
        key="docker_version",
        translation_key="docker_version",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda environment: environment.docker_version,
    ),
    PortainerEnvironmentSensorDescription(
        key="cpu_count",
        translation_key="cpu_count",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_info_or_snapshot(
            lambda env: env.info.ncpu if env.info else None,
            lambda env: env.endpoint.snapshot.total_cpu
            if env.endpoint.snapshot
            else None,
        ),
    ),
    PortainerEnvironmentSensorDescription(
        key="memory_total",
        translation_key="memory_total",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.GIBIBYTES,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_info_or_snapshot(
            lambda env: env.info.mem_total if env.info else None,
            lambda env: env.endpoint.snapshot.total_memory
            if env.endpoint.snapshot
            else None,
        ),
    ),
)


def _figure(
    category: Callable[[DiskUsage], DiskUsageCategory], figure: str
) -> Callable[[DiskUsage], int | None]:
    """Return a reader of one figure ("size" or "reclaimable") of a category."""

    def _value(usage: DiskUsage) -> int | None:
        value: int | None = getattr(category(usage), figure)
        return value

    return _value


def _disk_sensors(
    kind: str,
    category: Callable[[DiskUsage], DiskUsageCategory],
    *,
    enabled: bool,
) -> tuple[PortainerDiskUsageSensorDescription, ...]:
    """Describe the size and reclaimable sensors of one kind of object."""
    return tuple(
        PortainerDiskUsageSensorDescription(
            key=f"{kind}_{figure}",
            translation_key=f"{kind}_{figure}",
            device_class=SensorDeviceClass.DATA_SIZE,
            native_unit_of_measurement=UnitOfInformation.BYTES,
            suggested_unit_of_measurement=UnitOfInformation.GIBIBYTES,
            suggested_display_precision=2,
            state_class=SensorStateClass.MEASUREMENT,
            entity_registry_enabled_default=enabled,
            value_fn=_figure(category, figure),
        )
        for figure in ("size", "reclaimable")
    )


DISK_USAGE_SENSORS: tuple[PortainerDiskUsageSensorDescription, ...] = (
    *_disk_sensors("images_disk", lambda usage: usage.images, enabled=True),
    *_disk_sensors("containers_disk", lambda usage: usage.containers, enabled=False),
    *_disk_sensors("volumes_disk", lambda usage: usage.volumes, enabled=True),
    *_disk_sensors("build_cache_disk", lambda usage: usage.build_cache, enabled=False),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PortainerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up sensors of environments and containers."""
    coordinator = entry.runtime_data.coordinator
    disk_usage = entry.runtime_data.disk_usage

    def _docker_entities(environment: EnvironmentData) -> list[SensorEntity]:
        return [
            *(
                PortainerEnvironmentSensor(coordinator, environment, description)
                for description in ENVIRONMENT_SENSORS
            ),
            *(
                PortainerDiskUsageSensor(disk_usage, environment, description)
                for description in DISK_USAGE_SENSORS
            ),
        ]

    add_new_entities(
        coordinator,
        async_add_entities,
        docker_entities=_docker_entities,
        stack_entities=lambda stack: [
            PortainerStackSensor(coordinator, stack, description)
            for description in STACK_SENSORS
        ],
        container_entities=lambda data: [
            PortainerContainerSensor(coordinator, data, description)
            for description in CONTAINER_SENSORS
        ],
    )


class PortainerContainerSensor(PortainerContainerEntity, SensorEntity):
    """A sensor of a container."""

    entity_description: PortainerContainerSensorDescription

    def _shown(self) -> object:
        """Return the value: sensors carry no attributes of their own."""
        return self.native_value

    @property
    def native_value(self) -> StateType | datetime:
        """Return the sensor's value."""
        if (data := self.container) is None:
            return None
        return self.entity_description.value_fn(data)


class PortainerEnvironmentSensor(PortainerEnvironmentEntity, SensorEntity):
    """A sensor of an environment."""

    entity_description: PortainerEnvironmentSensorDescription

    def _shown(self) -> object:
        """Return the value: sensors carry no attributes of their own."""
        return self.native_value

    @property
    def native_value(self) -> StateType:
        """Return the sensor's value."""
        if (environment := self.environment) is None:
            return None
        return self.entity_description.value_fn(environment)


class PortainerStackSensor(PortainerStackEntity, SensorEntity):
    """A sensor of a stack."""

    entity_description: PortainerStackSensorDescription

    def _shown(self) -> object:
        """Return the value: sensors carry no attributes of their own."""
        return self.native_value

    @property
    def native_value(self) -> StateType:
        """Return the sensor's value."""
        if (stack := self.stack) is None:
            return None
        return self.entity_description.value_fn(stack)


class PortainerDiskUsageSensor(
    CoordinatorEntity[PortainerDiskUsageCoordinator], SensorEntity
):
    """A disk-usage sensor of an environment."""

    _attr_has_entity_name = True
    entity_description: PortainerDiskUsageSensorDescription

    def __init__(
        self,
        coordinator: PortainerDiskUsageCoordinator,
        environment: EnvironmentData,
        description: PortainerDiskUsageSensorDescription,
    ) -> None:
        """Initialize the sensor."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self.endpoint_id = environment.endpoint.id
        device_id = environment_device_id(entry.entry_id, self.endpoint_id)
        self._attr_unique_id = f"{device_id}:{description.key}"
        self._attr_device_info = environment_device_info(entry, environment)

    @property
    def available(self) -> bool:
        """Return whether disk usage of the environment is known."""
        data = self.coordinator.data
        return super().available and data is not None and self.endpoint_id in data

    @property
    def native_value(self) -> int | None:
        """Return the sensor's value."""
        if (usage := (self.coordinator.data or {}).get(self.endpoint_id)) is None:
            return None
        return self.entity_description.value_fn(usage)
