"""Tests for the models parsed from Portainer and Docker JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import json
from typing import Any

import pytest

from custom_components.portainer_control.api import (
    Container,
    ContainerDetails,
    ContainerHealth,
    ContainerState,
    ContainerStats,
    DiskUsage,
    DiskUsageCategory,
    DistributionInspect,
    DockerEvent,
    DockerInfo,
    DockerVersion,
    Endpoint,
    EndpointStatus,
    EndpointType,
    ImageDetails,
    PruneResult,
    Stack,
    StackStatus,
    StackType,
    SystemStatus,
    parse_docker_time,
)

from . import load_fixture, load_fixture_text

ALL_MODELS = [
    Container,
    ContainerDetails,
    DiskUsage,
    DistributionInspect,
    DockerEvent,
    DockerInfo,
    DockerVersion,
    Endpoint,
    ImageDetails,
    PruneResult,
    Stack,
    SystemStatus,
]


def test_containers() -> None:
    """Test parsing the container list."""
    containers = {
        container.name: container
        for container in map(Container.from_dict, load_fixture("containers.json"))
    }

    assert {
        name: (c.state, c.health, c.compose_project) for name, c in containers.items()
    } == {
        "homeassistant": (ContainerState.RUNNING, ContainerHealth.HEALTHY, "home"),
        "mosquitto": (ContainerState.RUNNING, ContainerHealth.NONE, "home"),
        "grafana": (ContainerState.PAUSED, ContainerHealth.NONE, None),
        "backup": (ContainerState.EXITED, ContainerHealth.NONE, None),
        "flaky": (ContainerState.RUNNING, ContainerHealth.UNHEALTHY, None),
    }
    home = containers["homeassistant"]
    assert home.image == "ghcr.io/home-assistant/home-assistant:stable"
    assert home.image_id.startswith("sha256:")
    assert home.created == 1717402542
    assert home.status == "Up 3 days (healthy)"


@pytest.mark.parametrize(
    ("status", "health"),
    [
        ("Up 5 seconds (health: starting)", ContainerHealth.STARTING),
        ("Up 2 hours (unhealthy)", ContainerHealth.UNHEALTHY),
        ("Up 2 hours (healthy)", ContainerHealth.HEALTHY),
        ("Exited (137) 2 minutes ago", ContainerHealth.NONE),
    ],
)
def test_container_health_from_status(status: str, health: ContainerHealth) -> None:
    """Test reading health from the status text."""
    assert Container.from_dict({"Status": status}).health is health


def test_container_tolerates_odd_entries() -> None:
    """Test a container entry with odd values."""
    container = Container.from_dict(
        {
            "Id": "0123456789abcdef0123",
            "Names": [],
            "State": "Hibernating",
            "Labels": None,
            "Created": "yesterday",
            "NewField": {"x": 1},
        }
    )

    assert container.name == "0123456789ab"
    assert container.state is ContainerState.UNKNOWN
    assert container.labels == {}
    assert container.created == 0


def test_swarm_stack_namespace_is_a_project() -> None:
    """Test a Swarm stack counts as a project."""
    container = Container.from_dict(
        {"Labels": {"com.docker.stack.namespace": "monitoring"}}
    )

    assert container.compose_project == "monitoring"


def test_inspect_healthy() -> None:
    """Test inspecting a healthy container."""
    details = ContainerDetails.from_dict(load_fixture("container_inspect_healthy.json"))

    assert details.name == "homeassistant"
    assert details.image == "ghcr.io/home-assistant/home-assistant:stable"
    assert details.state is ContainerState.RUNNING
    assert details.health is ContainerHealth.HEALTHY
    assert details.started_at == datetime(2024, 6, 1, 8, 15, 43, 456789, tzinfo=UTC)
    assert details.finished_at is None
    assert details.restart_count == 0
    assert details.exit_code == 0
    assert details.oom_killed is False
    assert details.memory_limit is None
    assert details.labels["com.docker.compose.project"] == "home"


def test_inspect_unhealthy() -> None:
    """Test inspecting an unhealthy container."""
    details = ContainerDetails.from_dict(
        load_fixture("container_inspect_unhealthy.json")
    )

    assert details.name == "flaky"
    assert details.health is ContainerHealth.UNHEALTHY
    assert details.restart_count == 3
    assert details.memory_limit == 268435456


def test_inspect_stopped() -> None:
    """Test inspecting a stopped container."""
    details = ContainerDetails.from_dict(load_fixture("container_inspect_stopped.json"))

    assert details.name == "backup"
    assert details.state is ContainerState.EXITED
    assert details.health is ContainerHealth.NONE
    assert details.finished_at == datetime(2024, 6, 4, 4, 3, 27, 876543, tzinfo=UTC)


def test_recreate_answer_is_a_new_container() -> None:
    """Test the recreate answer."""
    old = ContainerDetails.from_dict(load_fixture("container_inspect_healthy.json"))
    new = ContainerDetails.from_dict(load_fixture("container_recreate.json"))

    assert new.name == old.name
    assert new.id != old.id
    assert new.health is ContainerHealth.STARTING


def test_endpoints() -> None:
    """Test parsing the environments."""
    local, remote, edge, k8s = map(Endpoint.from_dict, load_fixture("endpoints.json"))

    assert (local.status, local.is_reachable, local.has_docker_api) == (
        EndpointStatus.UP,
        True,
        True,
    )
    assert local.url == "unix:///var/run/docker.sock"
    assert local.heartbeat is None
    assert local.snapshot is not None
    assert local.snapshot.docker_version == "26.1.4"
    assert local.snapshot.running_container_count == 3
    assert local.snapshot.total_memory == 8232304640

    assert (remote.status, remote.is_reachable) == (EndpointStatus.DOWN, False)

    assert edge.type is EndpointType.EDGE_AGENT
    assert edge.heartbeat is True
    assert edge.is_reachable
    assert edge.has_docker_api

    assert k8s.type is EndpointType.KUBERNETES
    assert not k8s.has_docker_api
    assert k8s.snapshot is None


def test_edge_agent_without_heartbeat_is_unreachable() -> None:
    """Test an edge agent that stopped checking in."""
    data = load_fixture("endpoints.json")[2]
    data["Heartbeat"] = False

    assert not Endpoint.from_dict(data).is_reachable


def test_unknown_endpoint_type_and_status() -> None:
    """Test types and statuses of newer releases."""
    endpoint = Endpoint.from_dict({"Id": 9, "Type": 42, "Status": 7})

    assert endpoint.type is EndpointType.UNKNOWN
    assert endpoint.status is EndpointStatus.UNKNOWN
    assert not endpoint.has_docker_api
    assert not endpoint.is_reachable


def test_stacks() -> None:
    """Test parsing the stacks."""
    home, monitoring = map(Stack.from_dict, load_fixture("stacks.json"))

    assert (home.id, home.name, home.type, home.status, home.endpoint_id) == (
        1,
        "home",
        StackType.COMPOSE,
        StackStatus.ACTIVE,
        1,
    )
    assert monitoring.status is StackStatus.INACTIVE


def test_unknown_stack_type_and_status() -> None:
    """Test stack types and statuses of newer releases."""
    stack = Stack.from_dict({"Type": 9, "Status": 9})

    assert stack.type is StackType.UNKNOWN
    assert stack.status is StackStatus.UNKNOWN


def test_info_version_and_status() -> None:
    """Test parsing info, version and status."""
    info = DockerInfo.from_dict(load_fixture("info.json"))
    version = DockerVersion.from_dict(load_fixture("version.json"))
    status = SystemStatus.from_dict(load_fixture("system_status.json"))

    assert (info.name, info.ncpu, info.mem_total) == ("nuc", 4, 8232304640)
    assert (info.containers, info.containers_running, info.images) == (5, 3, 6)
    assert info.operating_system == "Debian GNU/Linux 12 (bookworm)"
    assert (version.version, version.os, version.arch) == ("26.1.4", "linux", "amd64")
    assert status.version == "2.21.4"


def test_images() -> None:
    """Test parsing image and distribution inspect."""
    image = ImageDetails.from_dict(load_fixture("image_inspect.json"))
    distribution = DistributionInspect.from_dict(
        load_fixture("distribution_inspect.json")
    )

    assert image.size == 1712345678
    (local_digest,) = image.digests
    assert local_digest.startswith("sha256:")
    # The fixtures describe an update: the registry has a newer manifest.
    assert distribution.digest.startswith("sha256:")
    assert distribution.digest != local_digest


def test_prune_result() -> None:
    """Test parsing a prune answer."""
    result = PruneResult.from_dict(load_fixture("images_prune.json"))

    assert result.images_deleted[0] == "grafana/grafana:10.4.2"
    assert len(result.images_deleted) == 5
    assert result.space_reclaimed == 412345678


def test_prune_result_of_nothing() -> None:
    """Test a prune that removed nothing."""
    # Docker answers null when nothing was deleted.
    result = PruneResult.from_dict({"ImagesDeleted": None, "SpaceReclaimed": 0})

    assert result == PruneResult(images_deleted=[], space_reclaimed=0)


def test_prune_result_skips_odd_entries() -> None:
    """Test a prune answer with odd entries."""
    result = PruneResult.from_dict({"ImagesDeleted": [{}, None, {"Deleted": "a"}]})

    assert result.images_deleted == ["a"]


def test_stats_cgroup_v1() -> None:
    """Test parsing a cgroup v1 stats sample."""
    stats = ContainerStats.from_dict(load_fixture("stats_cgroup_v1.json"))

    assert stats is not None
    assert stats.read == datetime(2024, 6, 4, 10, 0, 0, 223456, tzinfo=UTC)
    assert stats.online_cpus == 4
    assert stats.memory_inactive_file == 4194304
    assert stats.memory_limit == 8232304640
    # Both interfaces count; only Read and Write count, not Sync or Total.
    assert (stats.network_rx_bytes, stats.network_tx_bytes) == (45679901, 34569890)
    assert (stats.block_read_bytes, stats.block_write_bytes) == (7340032, 1048576)
    assert stats.pids == 1


def test_stats_cgroup_v2() -> None:
    """Test parsing a cgroup v2 stats sample."""
    stats = ContainerStats.from_dict(load_fixture("stats_cgroup_v2.json"))

    assert stats is not None
    assert stats.cpu_total_usage == 1234567890000
    assert stats.system_cpu_usage == 987654320000000
    assert stats.memory_usage == 536870912
    assert stats.memory_inactive_file == 104857600
    assert (stats.block_read_bytes, stats.block_write_bytes) == (52428800, 10485760)
    assert stats.pids == 42


def test_stats_of_stopped_container() -> None:
    """Test a stopped container's empty sample."""
    assert ContainerStats.from_dict(load_fixture("stats_stopped.json")) is None


def test_stats_without_network_or_block_io() -> None:
    """Test a sample without network or block I/O."""
    data = load_fixture("stats_cgroup_v2.json")
    del data["networks"]
    data["blkio_stats"]["io_service_bytes_recursive"] = None
    data["pids_stats"] = {}

    stats = ContainerStats.from_dict(data)

    assert stats is not None
    assert stats.network_rx_bytes is None
    assert stats.block_read_bytes is None
    assert stats.pids is None


def test_disk_usage_both_shapes_agree() -> None:
    """Test both disk usage shapes give the same figures."""
    legacy = DiskUsage.from_dict(load_fixture("system_df_api_1_51.json"))
    current = DiskUsage.from_dict(load_fixture("system_df_api_1_52.json"))

    assert legacy == current


def test_disk_usage_legacy_shape() -> None:
    """Test the per-object disk usage of API < 1.52."""
    data = load_fixture("system_df_api_1_51.json")

    usage = DiskUsage.from_dict(data)

    assert usage.images.total_count == 6
    assert usage.images.active_count == 5
    assert usage.images.size == data["LayersSize"]
    in_use = sum(
        image["Size"] - image["SharedSize"]
        for image in data["Images"]
        if image["Containers"]
    )
    assert usage.images.reclaimable == data["LayersSize"] - in_use
    # The paused container is active too: prune would not remove it.
    assert usage.containers == DiskUsageCategory(
        total_count=5, active_count=4, size=3232837, reclaimable=65536
    )
    assert usage.volumes == DiskUsageCategory(
        total_count=3, active_count=2, size=74448896, reclaimable=20971520
    )
    # Shared build cache records are not reclaimable on their own.
    assert usage.build_cache == DiskUsageCategory(
        total_count=2, active_count=0, size=12582912, reclaimable=10485760
    )


def test_disk_usage_current_shape() -> None:
    """Test the disk usage summaries of API >= 1.52."""
    usage = DiskUsage.from_dict(load_fixture("system_df_api_1_52.json"))

    assert usage.images == DiskUsageCategory(
        total_count=6, active_count=5, size=2651336716, reclaimable=419685710
    )


def test_disk_usage_of_some_types() -> None:
    """Test disk usage limited to some types."""
    # Asked for ?type=volume, older engines send only the volume list.
    legacy = DiskUsage.from_dict({"Volumes": [], "LayersSize": None})
    current = DiskUsage.from_dict({"ImageUsage": {"TotalSize": 5}})

    assert legacy.images == DiskUsageCategory(
        total_count=0, active_count=0, size=0, reclaimable=0
    )
    assert legacy.containers == DiskUsageCategory()
    assert legacy.volumes == DiskUsageCategory(
        total_count=0, active_count=0, size=0, reclaimable=0
    )
    assert legacy.build_cache == DiskUsageCategory()
    assert current.images.size == 5
    assert current.volumes == DiskUsageCategory()


def test_disk_usage_legacy_odd_values() -> None:
    """Test odd values in the per-object shape."""
    usage = DiskUsage.from_dict(
        {
            "Images": [{"Size": 100, "Containers": 1, "SharedSize": -1}, "junk"],
            "Volumes": [{"UsageData": {"Size": -1, "RefCount": -1}}, {}],
        }
    )

    # Without LayersSize the image sizes add up; -1 means "not computed".
    assert usage.images.size == 100
    assert usage.images.reclaimable == 0
    assert usage.volumes.size == 0
    assert usage.volumes.total_count == 2


def test_events() -> None:
    """Test parsing the event stream fixture."""
    lines = load_fixture_text("events.ndjson").splitlines()
    events = [DockerEvent.from_dict(json.loads(line)) for line in lines]

    kill = events[0]
    assert (kill.type, kill.action, kill.container_name) == (
        "container",
        "kill",
        "backup",
    )
    assert kill.attributes["signal"] == "15"
    assert kill.time_nano == 1717495200000000000
    assert events[3].action == "health_status: unhealthy"
    assert events[2].type == "network"


@pytest.mark.parametrize("model", ALL_MODELS)
@pytest.mark.parametrize("data", [None, [], "text", 1, {}])
def test_models_tolerate_wrong_json(model: Any, data: Any) -> None:
    """Test every model parses JSON of the wrong type."""
    parsed = model.from_dict(data)

    assert isinstance(parsed, model)


@pytest.mark.parametrize("data", [None, [], {}, {"cpu_stats": {}}])
def test_stats_tolerate_wrong_json(data: Any) -> None:
    """Test stats of the wrong type are no sample."""
    assert ContainerStats.from_dict(data) is None


def test_wrong_types_inside_objects() -> None:
    """Test fields of the wrong type."""
    details = ContainerDetails.from_dict(
        {
            "Id": 5,
            "State": {
                "Status": None,
                "Health": {"Status": "checking"},
                "OOMKilled": "true",
            },
            "HostConfig": {"Memory": True},
            "RestartCount": 1.0,
            "Config": {"Labels": {"a": 1}},
        }
    )

    assert details.id == ""
    assert details.state is ContainerState.UNKNOWN
    assert details.health is ContainerHealth.NONE
    assert details.oom_killed is False
    assert details.memory_limit is None
    assert details.restart_count == 1
    assert details.labels == {"a": ""}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-04T10:00:00Z", datetime(2024, 6, 4, 10, tzinfo=UTC)),
        (
            "2024-06-04T10:00:00.123456789Z",
            datetime(2024, 6, 4, 10, 0, 0, 123456, tzinfo=UTC),
        ),
        (
            "2024-06-04T12:00:00.5+02:00",
            datetime(2024, 6, 4, 12, 0, 0, 500000, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2024-06-04T10:00:00", datetime(2024, 6, 4, 10, tzinfo=UTC)),
        (
            "2024-06-04T10:00:00.1234567",
            datetime(2024, 6, 4, 10, 0, 0, 123456, tzinfo=UTC),
        ),
        ("0001-01-01T00:00:00Z", None),
        ("not a time", None),
        ("", None),
        (None, None),
        (1717495200, None),
    ],
)
def test_parse_docker_time(value: Any, expected: datetime | None) -> None:
    """Test parsing Docker's timestamps."""
    assert parse_docker_time(value) == expected
