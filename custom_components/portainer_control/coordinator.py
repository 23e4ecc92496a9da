"""Coordinators polling Portainer for environments, containers and disk usage."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    Container,
    ContainerDetails,
    ContainerHealth,
    ContainerState,
    ContainerStats,
    DiskUsage,
    DockerInfo,
    DockerVersion,
    Endpoint,
    PortainerAuthenticationError,
    PortainerClient,
    PortainerError,
    PortainerNotFoundError,
    PortainerTimeoutError,
    cpu_percent,
    network_rates,
)
from .const import (
    DEFAULT_SCAN_INTERVAL,
    DISK_USAGE_INTERVAL,
    DISK_USAGE_TIMEOUT,
    DOMAIN,
    LOGGER,
    STALE_CONTAINER_AGE,
    STATS_CONCURRENCY,
    SYSTEM_INFO_INTERVAL,
)
from homeassistant.const import CONF_URL

from .helpers import (
    ContainerKey,
    container_device_id,
    container_url,
    parse_container_device_id,
)

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant


@dataclass(slots=True)
class PortainerRuntimeData:
    """What a loaded config entry holds."""

    client: PortainerClient
    coordinator: PortainerCoordinator
    disk_usage: PortainerDiskUsageCoordinator


type PortainerConfigEntry = ConfigEntry[PortainerRuntimeData]


@dataclass(slots=True, kw_only=True)
class ContainerData:
    """A container as seen by the latest poll."""

    endpoint_id: int
    container: Container
    details: ContainerDetails | None = None
    stats: ContainerStats | None = None
    cpu_percent: float | None = None
    network_rates: tuple[float, float] | None = None

    @property
    def key(self) -> ContainerKey:
        """Return the identity that survives a recreate."""
        return (self.endpoint_id, self.container.name)

    @property
    def state(self) -> ContainerState:
        """Return the container's state from the list."""
        return self.container.state

    @property
    def health(self) -> ContainerHealth:
        """Return the container's health from the list's status text."""
        return self.container.health


@dataclass(slots=True, kw_only=True)
class EnvironmentData:
    """An environment as seen by the latest poll."""

    endpoint: Endpoint
    # Whether the environment's Docker API answered this poll.
    reachable: bool = False
    containers: dict[str, ContainerData] = field(default_factory=dict)
    info: DockerInfo | None = None
    version: DockerVersion | None = None

    @property
    def docker_version(self) -> str | None:
        """Return the engine version from the engine, else from the snapshot."""
        if self.version is not None and self.version.version:
            return self.version.version
        if self.endpoint.snapshot is not None:
            return self.endpoint.snapshot.docker_version
        return None

    @property
    def online(self) -> bool:
        """Return whether the environment is up.

        For Docker environments that means their API answered; others are
        taken at Portainer's word.
        """
        if self.endpoint.has_docker_api:
            return self.reachable
        return self.endpoint.is_reachable

    def count(self, *states: ContainerState) -> int:
        """Return how many containers are in one of the given states."""
        return sum(1 for data in self.containers.values() if data.state in states)


@dataclass(slots=True)
class PortainerData:
    """Everything the main coordinator knows after a poll."""

    environments: dict[int, EnvironmentData]

    def container(self, key: ContainerKey) -> ContainerData | None:
        """Return the container with this identity, if it was listed."""
        if (environment := self.environments.get(key[0])) is None:
            return None
        return environment.containers.get(key[1])

    @property
    def container_keys(self) -> set[ContainerKey]:
        """Return the identity of every listed container."""
        return {
            (endpoint_id, name)
            for endpoint_id, environment in self.environments.items()
            for name in environment.containers
        }


@dataclass(slots=True)
class _SystemInfo:
    """Docker info and version of one environment, fetched on a slow cadence."""

    fetched: datetime
    info: DockerInfo | None
    version: DockerVersion | None


class PortainerCoordinator(DataUpdateCoordinator[PortainerData]):
    """Polls environments, containers and container stats."""

    config_entry: PortainerConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PortainerConfigEntry,
        client: PortainerClient,
    ) -> None:
        """Initialize the coordinator."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=DEFAULT_SCAN_INTERVAL,
        )
        self.client = client
        self._stats_limit = asyncio.Semaphore(STATS_CONCURRENCY)
        self._system_info: dict[int, _SystemInfo] = {}
        self._missing_since: dict[ContainerKey, datetime] = {}
        self._removed_stale_at_start = False

    async def _async_refresh(
        self,
        log_failures: bool = True,
        raise_on_auth_failed: bool = False,
        scheduled: bool = False,
        raise_on_entry_error: bool = False,
    ) -> None:
        """Refresh, logging a lost connection once at info instead of error."""
        was_successful = self.last_update_success
        await super()._async_refresh(
            log_failures=False,
            raise_on_auth_failed=raise_on_auth_failed,
            scheduled=scheduled,
            raise_on_entry_error=raise_on_entry_error,
        )
        if log_failures and was_successful and not self.last_update_success:
            LOGGER.info("Lost connection to Portainer: %s", self.last_exception)

    @property
    def _previous_data(self) -> PortainerData | None:
        """Return the previous poll's data; None before the first success."""
        return self.data

    async def _async_update_data(self) -> PortainerData:
        """Fetch environments, then every reachable environment in parallel."""
        try:
            endpoints = await self.client.endpoints()
        except PortainerAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except PortainerTimeoutError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="timeout",
                translation_placeholders={"error": str(err)},
            ) from err
        except PortainerError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err

        try:
            environments = await asyncio.gather(
                *(self._poll_environment(endpoint) for endpoint in endpoints)
            )
        except PortainerAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err

        data = PortainerData({env.endpoint.id: env for env in environments})
        self._track_missing_containers(data)
        self._update_recreated_devices(data)
        return data

    async def _poll_environment(self, endpoint: Endpoint) -> EnvironmentData:
        """Poll one environment; its failure never fails the others."""
        environment = EnvironmentData(endpoint=endpoint)
        if not endpoint.has_docker_api or not endpoint.is_reachable:
            return environment

        try:
            containers = await self.client.containers(endpoint.id)
        except PortainerAuthenticationError:
            raise
        except PortainerError as err:
            LOGGER.debug("Environment %s is not answering: %s", endpoint.name, err)
            return environment
        environment.reachable = True

        previous = self._previous_environment(endpoint.id)
        await asyncio.gather(
            self._refresh_system_info(environment),
            *(
                self._poll_container(
                    environment, container, previous.get(container.name)
                )
                for container in containers
            ),
        )
        return environment

    def _previous_environment(self, endpoint_id: int) -> dict[str, ContainerData]:
        """Return the containers the previous poll saw in an environment."""
        previous = self._previous_data
        if previous is None or endpoint_id not in previous.environments:
            return {}
        return previous.environments[endpoint_id].containers

    async def _poll_container(
        self,
        environment: EnvironmentData,
        container: Container,
        previous: ContainerData | None,
    ) -> None:
        """Fetch stats for a running container and inspect it when it changed."""
        data = ContainerData(endpoint_id=environment.endpoint.id, container=container)
        environment.containers[container.name] = data

        # A recreate gives a new Id: nothing of the old container carries over.
        same_container = previous is not None and previous.container.id == container.id
        baseline = previous.stats if previous is not None and same_container else None
        changed = (
            previous is None
            or not same_container
            or previous.details is None
            or previous.state is not container.state
            or previous.health is not container.health
        )
        if previous is not None and not changed:
            data.details = previous.details

        running = container.state is ContainerState.RUNNING
        if running and changed:
            data.stats, data.details = await asyncio.gather(
                self._fetch(self.client.container_stats, data),
                self._fetch(self.client.container_inspect, data),
            )
        elif running:
            data.stats = await self._fetch(self.client.container_stats, data)
        elif changed:
            data.details = await self._fetch(self.client.container_inspect, data)

        if data.stats is None or baseline is None:
            return

        # Cumulative counters restart with the container: it restarted since
        # the last poll, so its start time and restart count changed too.
        if data.stats.cpu_total_usage < baseline.cpu_total_usage and not changed:
            data.details = await self._fetch(self.client.container_inspect, data)
        data.cpu_percent = cpu_percent(baseline, data.stats)
        data.network_rates = network_rates(baseline, data.stats)

    async def _fetch[T](
        self,
        method: Callable[[int, str], Awaitable[T]],
        data: ContainerData,
    ) -> T | None:
        """Call a per-container method under the concurrency cap.

        A container removed between the list and this call is not an error.
        """
        async with self._stats_limit:
            try:
                return await method(data.endpoint_id, data.container.id)
            except PortainerAuthenticationError:
                raise
            except PortainerNotFoundError:
                return None
            except PortainerError as err:
                LOGGER.debug("Polling %s failed: %s", data.container.name, err)
                return None

    async def _refresh_system_info(self, environment: EnvironmentData) -> None:
        """Fetch Docker info and version when missing or old."""
        endpoint_id = environment.endpoint.id
        now = dt_util.utcnow()
        cached = self._system_info.get(endpoint_id)
        if cached is None or now - cached.fetched > SYSTEM_INFO_INTERVAL:
            info, version = await asyncio.gather(
                self.client.docker_info(endpoint_id),
                self.client.docker_version(endpoint_id),
                return_exceptions=True,
            )
            cached = _SystemInfo(
                fetched=now,
                info=info if isinstance(info, DockerInfo) else None,
                version=version if isinstance(version, DockerVersion) else None,
            )
            self._system_info[endpoint_id] = cached
        environment.info = cached.info
        environment.version = cached.version

    def _update_recreated_devices(self, data: PortainerData) -> None:
        """Point the devices of recreated containers at their new Id and image."""
        if (previous_data := self._previous_data) is None:
            return
        registry = dr.async_get(self.hass)
        entry = self.config_entry
        for key in data.container_keys:
            previous = previous_data.container(key)
            current = data.container(key)
            if previous is None or current is None:
                continue
            if previous.container.id == current.container.id:
                continue
            identifier = (DOMAIN, container_device_id(entry.entry_id, key))
            if device := registry.async_get_device(identifiers={identifier}):
                registry.async_update_device(
                    device.id,
                    model=current.container.image,
                    configuration_url=container_url(
                        entry.data[CONF_URL], key[0], current.container.id
                    ),
                )

    def _track_missing_containers(self, data: PortainerData) -> None:
        """Note when containers left reachable environments; remove stale ones."""
        now = dt_util.utcnow()
        current = data.container_keys
        for key in current:
            self._missing_since.pop(key, None)
        if (previous := self._previous_data) is not None:
            for key in previous.container_keys - current:
                environment = data.environments.get(key[0])
                if environment is not None and environment.reachable:
                    self._missing_since.setdefault(key, now)

        expired = any(
            now - since >= STALE_CONTAINER_AGE for since in self._missing_since.values()
        )
        if expired or not self._removed_stale_at_start:
            self._remove_stale_devices(data, now)
            self._removed_stale_at_start = True

    def _remove_stale_devices(self, data: PortainerData, now: datetime) -> None:
        """Remove container devices gone for good.

        At the first poll after start, a container absent from a reachable
        environment is gone; later, one absent for STALE_CONTAINER_AGE is.
        """
        registry = dr.async_get(self.hass)
        entry_id = self.config_entry.entry_id
        for device in dr.async_entries_for_config_entry(registry, entry_id):
            key = next(
                (
                    parsed
                    for domain, identifier in device.identifiers
                    if domain == DOMAIN
                    and (parsed := parse_container_device_id(entry_id, identifier))
                    is not None
                ),
                None,
            )
            if key is None or data.container(key) is not None:
                continue
            environment = data.environments.get(key[0])
            since = self._missing_since.get(key)
            if environment is None or not environment.reachable:
                continue
            if self._removed_stale_at_start and (
                since is None or now - since < STALE_CONTAINER_AGE
            ):
                continue
            LOGGER.debug("Removing device of container %s", key[1])
            registry.async_update_device(device.id, remove_config_entry_id=entry_id)
            self._missing_since.pop(key, None)


class PortainerDiskUsageCoordinator(DataUpdateCoordinator[dict[int, DiskUsage]]):
    """Polls Docker disk usage on its own slow cadence.

    system/df can take many seconds on a busy host: polling it apart keeps the
    main poll fast.
    """

    config_entry: PortainerConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PortainerConfigEntry,
        client: PortainerClient,
        main: PortainerCoordinator,
    ) -> None:
        """Initialize the coordinator."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title} disk usage",
            update_interval=DISK_USAGE_INTERVAL,
        )
        self.client = client
        self.main = main

    async def _async_update_data(self) -> dict[int, DiskUsage]:
        """Fetch disk usage of every reachable environment."""
        endpoint_ids = [
            endpoint_id
            for endpoint_id, environment in self.main.data.environments.items()
            if environment.reachable
        ]
        results = await asyncio.gather(
            *(
                self.client.disk_usage(endpoint_id, timeout=DISK_USAGE_TIMEOUT)
                for endpoint_id in endpoint_ids
            ),
            return_exceptions=True,
        )

        usage: dict[int, DiskUsage] = {}
        previous = self.data or {}
        for endpoint_id, result in zip(endpoint_ids, results, strict=True):
            if isinstance(result, PortainerAuthenticationError):
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="invalid_auth"
                ) from result
            if isinstance(result, DiskUsage):
                usage[endpoint_id] = result
            elif endpoint_id in previous:
                # A slow or failed answer keeps the last known figures.
                LOGGER.debug("Disk usage of %s failed: %s", endpoint_id, result)
                usage[endpoint_id] = previous[endpoint_id]
        return usage
