"""Coordinators polling Portainer for environments, containers and disk usage."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    Container,
    ContainerState,
    DiskUsage,
    DockerInfo,
    DockerVersion,
    Endpoint,
    PortainerAuthenticationError,
    PortainerClient,
    PortainerError,
    PortainerNotFoundError,
    PortainerTimeoutError,
    Stack,
    cpu_percent,
    network_rates,
)
from .const import (
    DISK_USAGE_TIMEOUT,
    DOMAIN,
    ENVIRONMENT_DOWN_POLLS,
    LOGGER,
    STACKS_INTERVAL,
    SYSTEM_INFO_INTERVAL,
)
from .data import ContainerData, EnvironmentData, PortainerData, StackData
from .devices import DeviceManager
from .settings import Settings

if TYPE_CHECKING:
    from .image_updates import ImageUpdateCoordinator


@dataclass(slots=True)
class PortainerRuntimeData:
    """What a loaded config entry holds."""

    client: PortainerClient
    coordinator: PortainerCoordinator
    disk_usage: PortainerDiskUsageCoordinator
    image_updates: ImageUpdateCoordinator


type PortainerConfigEntry = ConfigEntry[PortainerRuntimeData]


class Control(StrEnum):
    """A kind of control Portainer allows or refuses a user as one.

    Portainer decides per environment: the same user may control containers
    in one environment and only watch them in another.
    """

    # Start, stop, restart, pause, resume and kill.
    CONTAINER = "container"
    RECREATE = "recreate"
    PRUNE_IMAGES = "prune_images"
    STACK = "stack"


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
        self.settings = Settings.from_options(entry.options)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=self.settings.scan_interval,
        )
        self.client = client
        # Every environment Portainer lists, included by the options or not.
        self.endpoints: list[Endpoint] = []
        # The controls Portainer refused this token, by environment.
        self.refused_controls: set[tuple[int, Control]] = set()
        self._limit = asyncio.Semaphore(self.settings.stats_concurrency)
        self._system_info: dict[int, _SystemInfo] = {}
        self._stacks: list[Stack] = []
        self._stacks_fetched: datetime | None = None
        self._down_polls: dict[int, int] = {}
        self._devices = DeviceManager(hass, entry)

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
        # A rejected token is told by the reauthentication it starts.
        if (
            log_failures
            and was_successful
            and not self.last_update_success
            and not isinstance(self.last_exception, ConfigEntryAuthFailed)
        ):
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

        self.endpoints = endpoints
        try:
            environments = await asyncio.gather(
                *(
                    self._poll_environment(endpoint)
                    for endpoint in endpoints
                    if self.settings.includes_environment(endpoint.id)
                )
            )
            data = PortainerData({env.endpoint.id: env for env in environments})
            await self._attach_stacks(data)
        except PortainerAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err

        self._update_environment_issues(data)
        self._devices.update(self._previous_data, data)
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
                if self.settings.includes_container(container.name)
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
            or previous.container.state is not container.state
            or previous.container.health is not container.health
            # A restart since the last poll keeps the listed state but not
            # the start time; the events said something happened.
            or previous.event_state is not None
        )
        if previous is not None and not changed:
            data.details = previous.details

        running = (
            container.state is ContainerState.RUNNING and self.settings.container_stats
        )
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
        async with self._limit:
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

    async def _attach_stacks(self, data: PortainerData) -> None:
        """Group containers into stacks, listing Portainer's stacks when needed."""
        now = dt_util.utcnow()
        previous = self._previous_data
        if (
            self._stacks_fetched is None
            or now - self._stacks_fetched >= STACKS_INTERVAL
            or previous is None
            or previous.projects != data.projects
        ):
            try:
                self._stacks = await self.client.stacks()
            except PortainerAuthenticationError:
                raise
            except PortainerError as err:
                LOGGER.debug("Listing stacks failed: %s", err)
            self._stacks_fetched = now

        for environment in data.environments.values():
            if not environment.reachable:
                continue
            endpoint_id = environment.endpoint.id
            stacks = environment.stacks
            for stack in self._stacks:
                if stack.endpoint_id == endpoint_id:
                    stacks[stack.name] = StackData(
                        endpoint_id=endpoint_id, name=stack.name, stack=stack
                    )
            for container in environment.containers.values():
                if (key := container.stack_key) is None:
                    continue
                stack_data = stacks.setdefault(
                    key[1], StackData(endpoint_id=endpoint_id, name=key[1])
                )
                stack_data.containers.append(container)

    @callback
    def request_stacks_refresh(self) -> None:
        """List stacks again at the next poll, after a stack action."""
        self._stacks_fetched = None

    def _update_environment_issues(self, data: PortainerData) -> None:
        """Log an environment lost or back once; raise a repair when it stays down."""
        for endpoint_id, environment in data.environments.items():
            if not environment.endpoint.has_docker_api:
                continue
            name = environment.endpoint.name
            issue_id = f"{self.config_entry.entry_id}_environment_down_{endpoint_id}"
            if environment.reachable:
                if (polls := self._down_polls.pop(endpoint_id, 0)) > 0:
                    LOGGER.info("Environment %s answers again", name)
                if polls >= ENVIRONMENT_DOWN_POLLS:
                    ir.async_delete_issue(self.hass, DOMAIN, issue_id)
                continue
            polls = self._down_polls[endpoint_id] = (
                self._down_polls.get(endpoint_id, 0) + 1
            )
            if polls == 1:
                LOGGER.info("Environment %s is not answering", name)
            if polls == ENVIRONMENT_DOWN_POLLS:
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    issue_id,
                    is_fixable=False,
                    severity=ir.IssueSeverity.WARNING,
                    translation_key="environment_down",
                    translation_placeholders={
                        "environment": name,
                        "polls": str(polls),
                    },
                )

    @callback
    def async_refuse_control(self, endpoint_id: int, control: Control) -> None:
        """Mark a kind of control unavailable in an environment and say why."""
        if (endpoint_id, control) in self.refused_controls:
            return
        self.refused_controls.add((endpoint_id, control))

        names = {endpoint.id: endpoint.name for endpoint in self.endpoints}
        environments = sorted(
            {names.get(refused, str(refused)) for refused, _ in self.refused_controls}
        )
        # Raised again with the same id, the issue names every environment.
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{self.config_entry.entry_id}_insufficient_permissions",
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="insufficient_permissions",
            translation_placeholders={
                "title": self.config_entry.title,
                "environments": ", ".join(environments),
            },
            data={"entry_id": self.config_entry.entry_id},
        )
        self.async_update_listeners()


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
            update_interval=main.settings.disk_usage_interval,
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
