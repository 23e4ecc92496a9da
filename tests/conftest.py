"""Fixtures of the integration tests: a fake Portainer behind a mocked client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Generator
import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import AsyncMock, PropertyMock, patch

from homeassistant.const import CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.portainer_control.api import (
    Container,
    ContainerDetails,
    ContainerStats,
    DiskUsage,
    DistributionInspect,
    DockerEvent,
    DockerInfo,
    DockerVersion,
    Endpoint,
    ImageDetails,
    PortainerEnvironmentUnavailableError,
    PortainerNotFoundError,
    PruneResult,
    Stack,
    SystemStatus,
)
from custom_components.portainer_control.const import CONF_API_TOKEN, DOMAIN

from .api import load_fixture

TOKEN = "ptr_s3cr3t-t0ken-value"
URL = "https://portainer.example.com:9443"
INSTANCE_ID = "299ab403-70a8-4c05-92f7-bf7a994d50df"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    enable_custom_integrations: None,
) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize Home Assistant objects without volatile fields."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Enable the entities that are disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


class FakePortainer:
    """Portainer and its Docker engines, as the mocked client sees them."""

    def __init__(self) -> None:
        """Load the fixtures: environment 1 answers, the others do not."""
        self.status: dict[str, Any] = load_fixture("system_status.json")
        self.endpoints: list[dict[str, Any]] = load_fixture("endpoints.json")
        self.containers: dict[int, list[dict[str, Any]]] = {
            1: load_fixture("containers.json")
        }
        self.stats_v1: dict[str, Any] = load_fixture("stats_cgroup_v1.json")
        self.stats_v2: dict[str, Any] = load_fixture("stats_cgroup_v2.json")
        self.inspect_base: dict[str, Any] = load_fixture(
            "container_inspect_healthy.json"
        )
        self.disk_usage: dict[str, Any] = load_fixture("system_df_api_1_51.json")
        self.stacks: list[dict[str, Any]] = load_fixture("stacks.json")
        self.image: dict[str, Any] = load_fixture("image_inspect.json")
        self.distribution: dict[str, Any] = load_fixture("distribution_inspect.json")
        # What each environment's event stream yields next; an error drops it.
        self.events: dict[int, asyncio.Queue[DockerEvent | Exception]] = {}
        # Cumulative CPU nanoseconds added per stats call, per container Id.
        self.cpu_step: int = 50_000_000
        self._calls: dict[str, int] = {}

    def event_queue(self, endpoint_id: int) -> asyncio.Queue[DockerEvent | Exception]:
        """Return the queue feeding an environment's event stream."""
        return self.events.setdefault(endpoint_id, asyncio.Queue())

    async def stream_events(self, endpoint_id: int) -> AsyncGenerator[DockerEvent]:
        """Yield queued events; raise a queued error as a dropped stream."""
        queue = self.event_queue(endpoint_id)
        while True:
            item = await queue.get()
            if isinstance(item, Exception):
                raise item
            yield item

    def find(self, container_id: str) -> tuple[int, dict[str, Any]]:
        """Return a container's environment and list entry by Id."""
        for endpoint_id, containers in self.containers.items():
            for container in containers:
                if container["Id"] == container_id:
                    return endpoint_id, container
        raise PortainerNotFoundError(f"GET /containers/{container_id}/json: 404")

    def by_name(self, endpoint_id: int, name: str) -> dict[str, Any]:
        """Return a container's list entry by name."""
        return next(
            container
            for container in self.containers[endpoint_id]
            if container["Names"][0] == f"/{name}"
        )

    def set_state(self, container_id: str, state: str, status: str) -> None:
        """Change a container's state as Docker would."""
        _, container = self.find(container_id)
        container["State"] = state
        container["Status"] = status

    def add_container(
        self, endpoint_id: int, name: str, container_id: str, state: str = "running"
    ) -> dict[str, Any]:
        """Create a container the way `docker run` would."""
        container = copy.deepcopy(self.containers[1][1])
        container.update(
            Id=container_id,
            Names=[f"/{name}"],
            State=state,
            Status="Up 1 second" if state == "running" else "Exited (0) 1 second ago",
            Labels={},
        )
        self.containers.setdefault(endpoint_id, []).append(container)
        return container

    def remove_container(self, endpoint_id: int, name: str) -> None:
        """Remove a container the way `docker rm` would."""
        self.containers[endpoint_id].remove(self.by_name(endpoint_id, name))

    def set_endpoint_status(self, endpoint_id: int, status: int) -> None:
        """Mark an environment up (1) or down (2) in Portainer."""
        for endpoint in self.endpoints:
            if endpoint["Id"] == endpoint_id:
                endpoint["Status"] = status

    def inspect(self, container_id: str) -> dict[str, Any]:
        """Return inspect JSON matching the container's list entry."""
        _, container = self.find(container_id)
        details = copy.deepcopy(self.inspect_base)
        details["Id"] = container_id
        details["Name"] = container["Names"][0]
        details["Config"]["Image"] = container["Image"]
        details["State"]["Status"] = container["State"]
        details["State"]["Running"] = container["State"] == "running"
        health = Container.from_dict(container).health.value
        if health == "none":
            details["State"].pop("Health", None)
        else:
            details["State"]["Health"] = {"Status": health}
        return details

    def stats(self, container_id: str) -> dict[str, Any]:
        """Return a stats sample whose counters advance on every call."""
        _, container = self.find(container_id)
        if container["State"] != "running":
            return load_fixture("stats_stopped.json")
        calls = self._calls[container_id] = self._calls.get(container_id, 0) + 1
        name = container["Names"][0]
        sample = copy.deepcopy(
            self.stats_v1 if name == "/homeassistant" else self.stats_v2
        )
        cpu = sample["cpu_stats"]
        cpu["cpu_usage"]["total_usage"] += calls * self.cpu_step
        cpu["system_cpu_usage"] += calls * 1_000_000_000 * cpu.get("online_cpus", 4)
        for network in sample.get("networks", {}).values():
            network["rx_bytes"] += calls * 30_000
            network["tx_bytes"] += calls * 10_000
        read = datetime(2026, 12, 3, 12, tzinfo=UTC) + calls * timedelta(seconds=30)
        sample["read"] = read.isoformat().replace("+00:00", "Z")
        return sample


@pytest.fixture
def fake_portainer() -> FakePortainer:
    """Return the fake Portainer the mocked client answers from."""
    return FakePortainer()


@pytest.fixture
def mock_portainer_client(
    fake_portainer: FakePortainer,
) -> Generator[AsyncMock]:
    """Mock the client in the integration and the config flow."""
    with (
        patch(
            "custom_components.portainer_control.PortainerClient", autospec=True
        ) as client_class,
        patch(
            "custom_components.portainer_control.config_flow.PortainerClient",
            new=client_class,
        ),
    ):
        client: AsyncMock = client_class.return_value
        fake = fake_portainer

        def containers(endpoint_id: int, **_: Any) -> list[Container]:
            if endpoint_id not in fake.containers:
                raise PortainerEnvironmentUnavailableError(
                    f"GET /api/endpoints/{endpoint_id}/docker/containers/json: 502"
                )
            return [Container.from_dict(c) for c in fake.containers[endpoint_id]]

        def set_state(state: str, status: str) -> Any:
            def _action(endpoint_id: int, container_id: str, **_: Any) -> None:
                fake.set_state(container_id, state, status)

            return _action

        client.system_status.side_effect = lambda **_: SystemStatus.from_dict(
            fake.status
        )
        client.endpoints.side_effect = lambda **_: [
            Endpoint.from_dict(endpoint) for endpoint in fake.endpoints
        ]
        client.containers.side_effect = containers
        client.container_inspect.side_effect = (
            lambda endpoint_id, container_id, **_: ContainerDetails.from_dict(
                fake.inspect(container_id)
            )
        )
        client.container_stats.side_effect = (
            lambda endpoint_id, container_id, **_: ContainerStats.from_dict(
                fake.stats(container_id)
            )
        )
        client.docker_info.side_effect = lambda endpoint_id, **_: DockerInfo.from_dict(
            load_fixture("info.json")
        )
        client.docker_version.side_effect = (
            lambda endpoint_id, **_: DockerVersion.from_dict(
                load_fixture("version.json")
            )
        )
        client.disk_usage.side_effect = lambda endpoint_id, **_: DiskUsage.from_dict(
            fake.disk_usage
        )
        client.container_start.side_effect = set_state("running", "Up 1 second")
        client.container_unpause.side_effect = set_state("running", "Up 1 second")
        client.container_stop.side_effect = set_state(
            "exited", "Exited (0) 1 second ago"
        )
        client.container_restart.side_effect = set_state("running", "Up 1 second")
        client.container_pause.side_effect = set_state("paused", "Up 1 hour (Paused)")
        client.container_kill.side_effect = set_state(
            "exited", "Exited (137) 1 second ago"
        )
        client.stacks.side_effect = lambda *_, **__: [
            Stack.from_dict(stack) for stack in fake.stacks
        ]
        client.events.side_effect = lambda endpoint_id, **_: fake.stream_events(
            endpoint_id
        )
        client.image_inspect.side_effect = lambda *_, **__: ImageDetails.from_dict(
            fake.image
        )
        client.distribution_inspect.side_effect = (
            lambda *_, **__: DistributionInspect.from_dict(fake.distribution)
        )
        client.images_prune.return_value = PruneResult.from_dict(
            load_fixture("images_prune.json")
        )
        yield client


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """Return a config entry of the fake Portainer."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id="01JPC0NTR0LTESTENTRY000000",
        title="portainer.example.com",
        unique_id=INSTANCE_ID,
        data={CONF_URL: URL, CONF_API_TOKEN: TOKEN, CONF_VERIFY_SSL: True},
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
) -> MockConfigEntry:
    """Set up the integration against the fake Portainer."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry
