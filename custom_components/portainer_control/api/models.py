"""Typed models parsed from Portainer and Docker Engine JSON.

Every parser tolerates missing and extra fields: Portainer and Docker add
fields between releases and older servers omit newer ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Any, Self

COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
STACK_NAMESPACE_LABEL = "com.docker.stack.namespace"

# Docker reports "never" as the zero time of Go.
_GO_ZERO_TIME_PREFIX = "0001-01-01"


def _dict(value: Any) -> dict[str, Any]:
    """Return value when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    """Return value when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def _int(value: Any, default: int = 0) -> int:
    """Return value as an int, or default when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return int(value)


def _opt_int(value: Any) -> int | None:
    """Return value as an int, or None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _str(value: Any, default: str = "") -> str:
    """Return value when it is a string, else default."""
    return value if isinstance(value, str) else default


def parse_docker_time(value: Any) -> datetime | None:
    """Parse a Docker RFC 3339 timestamp with nanoseconds; None for "never"."""
    if not isinstance(value, str) or not value:
        return None
    if value.startswith(_GO_ZERO_TIME_PREFIX):
        return None
    text = value.replace("Z", "+00:00")

    # Python parses at most microseconds: cut the fraction to six digits.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = ""
        for char in rest:
            if not char.isdigit():
                break
            digits += char
        text = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


class EndpointType(IntEnum):
    """Kind of a Portainer environment."""

    UNKNOWN = 0
    DOCKER = 1
    AGENT = 2
    AZURE = 3
    EDGE_AGENT = 4
    KUBERNETES = 5
    KUBERNETES_AGENT = 6
    KUBERNETES_EDGE_AGENT = 7

    @classmethod
    def _missing_(cls, _value: object) -> EndpointType:
        """Map types added by newer Portainer releases to UNKNOWN."""
        return cls.UNKNOWN

    @property
    def has_docker_api(self) -> bool:
        """Return whether Portainer proxies a Docker Engine API for this type."""
        return self in (
            EndpointType.DOCKER,
            EndpointType.AGENT,
            EndpointType.EDGE_AGENT,
        )


class EndpointStatus(IntEnum):
    """Reachability of a Portainer environment."""

    UNKNOWN = 0
    UP = 1
    DOWN = 2

    @classmethod
    def _missing_(cls, _value: object) -> EndpointStatus:
        """Map statuses added by newer Portainer releases to UNKNOWN."""
        return cls.UNKNOWN


class ContainerState(StrEnum):
    """Docker container state."""

    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    RESTARTING = "restarting"
    EXITED = "exited"
    REMOVING = "removing"
    DEAD = "dead"
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, _value: object) -> ContainerState:
        """Map states added by newer Docker releases to UNKNOWN."""
        return cls.UNKNOWN


class ContainerHealth(StrEnum):
    """Docker health-check status; NONE when the container has no check."""

    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    STARTING = "starting"
    NONE = "none"

    @classmethod
    def _missing_(cls, _value: object) -> ContainerHealth:
        """Map unknown health values to NONE."""
        return cls.NONE

    @classmethod
    def from_status_text(cls, status: str) -> ContainerHealth:
        """Read health from the list's status text, e.g. "Up 2 hours (healthy)"."""
        if "(unhealthy)" in status:
            return cls.UNHEALTHY
        if "(healthy)" in status:
            return cls.HEALTHY
        if "(health: starting)" in status:
            return cls.STARTING
        return cls.NONE


class StackType(IntEnum):
    """Kind of a Portainer stack."""

    UNKNOWN = 0
    SWARM = 1
    COMPOSE = 2
    KUBERNETES = 3

    @classmethod
    def _missing_(cls, _value: object) -> StackType:
        """Map stack types added by newer Portainer releases to UNKNOWN."""
        return cls.UNKNOWN


class StackStatus(IntEnum):
    """Whether a Portainer stack is started."""

    UNKNOWN = 0
    ACTIVE = 1
    INACTIVE = 2

    @classmethod
    def _missing_(cls, _value: object) -> StackStatus:
        """Map stack statuses added by newer Portainer releases to UNKNOWN."""
        return cls.UNKNOWN


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemStatus:
    """Answer of /api/system/status."""

    version: str
    instance_id: str

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse the status JSON."""
        data = _dict(data)
        return cls(
            version=_str(data.get("Version")),
            instance_id=_str(data.get("InstanceID")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """Portainer's periodic snapshot of an environment (refreshed every 5 min)."""

    docker_version: str | None
    total_cpu: int | None
    total_memory: int | None
    running_container_count: int | None
    stopped_container_count: int | None
    volume_count: int | None
    image_count: int | None
    stack_count: int | None
    time: int | None

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse one entry of an endpoint's Snapshots."""
        data = _dict(data)
        return cls(
            docker_version=_str(data.get("DockerVersion")) or None,
            total_cpu=_opt_int(data.get("TotalCPU")),
            total_memory=_opt_int(data.get("TotalMemory")),
            running_container_count=_opt_int(data.get("RunningContainerCount")),
            stopped_container_count=_opt_int(data.get("StoppedContainerCount")),
            volume_count=_opt_int(data.get("VolumeCount")),
            image_count=_opt_int(data.get("ImageCount")),
            stack_count=_opt_int(data.get("StackCount")),
            time=_opt_int(data.get("Time")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """A Portainer environment (called endpoint in the API)."""

    id: int
    name: str
    type: EndpointType
    status: EndpointStatus
    url: str
    snapshot: Snapshot | None
    # Edge agents only: whether the agent checked in recently.
    heartbeat: bool | None = None

    @property
    def has_docker_api(self) -> bool:
        """Return whether Docker calls can be made through this environment."""
        return self.type.has_docker_api

    @property
    def is_reachable(self) -> bool:
        """Return whether Portainer reports the environment as reachable."""
        if self.status is not EndpointStatus.UP:
            return False
        return self.heartbeat is not False

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse one entry of /api/endpoints."""
        data = _dict(data)
        snapshots = _list(data.get("Snapshots"))
        heartbeat = data.get("Heartbeat")
        is_edge = _int(data.get("Type")) in (
            EndpointType.EDGE_AGENT,
            EndpointType.KUBERNETES_EDGE_AGENT,
        )
        return cls(
            id=_int(data.get("Id")),
            name=_str(data.get("Name")),
            type=EndpointType(_int(data.get("Type"))),
            status=EndpointStatus(_int(data.get("Status"))),
            url=_str(data.get("URL")),
            snapshot=Snapshot.from_dict(snapshots[-1]) if snapshots else None,
            heartbeat=heartbeat if is_edge and isinstance(heartbeat, bool) else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Container:
    """One entry of Docker's container list."""

    id: str
    name: str
    image: str
    image_id: str
    state: ContainerState
    status: str
    created: int
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def health(self) -> ContainerHealth:
        """Return the health Docker shows in the list's status text."""
        return ContainerHealth.from_status_text(self.status)

    @property
    def compose_project(self) -> str | None:
        """Return the Compose project (or Swarm stack) this container belongs to."""
        return self.labels.get(COMPOSE_PROJECT_LABEL) or self.labels.get(
            STACK_NAMESPACE_LABEL
        )

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse one entry of /containers/json."""
        data = _dict(data)
        names = [_str(name) for name in _list(data.get("Names"))]
        container_id = _str(data.get("Id"))
        name = names[0].lstrip("/") if names else container_id[:12]
        labels = {
            str(key): _str(value) for key, value in _dict(data.get("Labels")).items()
        }
        return cls(
            id=container_id,
            name=name,
            image=_str(data.get("Image")),
            image_id=_str(data.get("ImageID")),
            state=ContainerState(_str(data.get("State"), "unknown").lower()),
            status=_str(data.get("Status")),
            created=_int(data.get("Created")),
            labels=labels,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerDetails:
    """Answer of /containers/{id}/json (inspect)."""

    id: str
    name: str
    image: str
    image_id: str
    state: ContainerState
    health: ContainerHealth
    started_at: datetime | None
    finished_at: datetime | None
    restart_count: int
    oom_killed: bool
    exit_code: int
    memory_limit: int | None
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse the inspect JSON."""
        data = _dict(data)
        state = _dict(data.get("State"))
        config = _dict(data.get("Config"))
        host_config = _dict(data.get("HostConfig"))
        health = _dict(state.get("Health"))
        memory_limit = _opt_int(host_config.get("Memory"))
        labels = {
            str(key): _str(value) for key, value in _dict(config.get("Labels")).items()
        }
        return cls(
            id=_str(data.get("Id")),
            name=_str(data.get("Name")).lstrip("/"),
            image=_str(config.get("Image")),
            image_id=_str(data.get("Image")),
            state=ContainerState(_str(state.get("Status"), "unknown").lower()),
            health=ContainerHealth(_str(health.get("Status"), "none").lower()),
            started_at=parse_docker_time(state.get("StartedAt")),
            finished_at=parse_docker_time(state.get("FinishedAt")),
            restart_count=_int(data.get("RestartCount")),
            oom_killed=state.get("OOMKilled") is True,
            exit_code=_int(state.get("ExitCode")),
            # Docker reports "no limit" as 0.
            memory_limit=memory_limit or None,
            labels=labels,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerStats:
    """One stats sample of a running container.

    CPU counters are cumulative nanoseconds; the percentage needs two samples,
    see the stats module.
    """

    read: datetime | None
    cpu_total_usage: int
    system_cpu_usage: int | None
    online_cpus: int
    memory_usage: int | None
    memory_limit: int | None
    # cgroup v1 "total_inactive_file" or cgroup v2 "inactive_file".
    memory_inactive_file: int | None
    network_rx_bytes: int | None
    network_tx_bytes: int | None
    block_read_bytes: int | None
    block_write_bytes: int | None
    pids: int | None

    @classmethod
    def from_dict(cls, data: Any) -> Self | None:
        """Parse a one-shot stats answer; None when it carries no sample.

        A stopped container answers with empty cpu and memory sections.
        """
        data = _dict(data)
        cpu = _dict(data.get("cpu_stats"))
        cpu_usage = _dict(cpu.get("cpu_usage"))
        memory = _dict(data.get("memory_stats"))
        total_usage = _opt_int(cpu_usage.get("total_usage"))
        if total_usage is None or not memory:
            return None

        online_cpus = _int(cpu.get("online_cpus")) or len(
            _list(cpu_usage.get("percpu_usage"))
        )
        mem_stats = _dict(memory.get("stats"))
        inactive_file = _opt_int(mem_stats.get("total_inactive_file"))
        if inactive_file is None:
            inactive_file = _opt_int(mem_stats.get("inactive_file"))

        networks = _dict(data.get("networks"))
        rx_bytes = tx_bytes = None
        if networks:
            rx_bytes = sum(_int(_dict(n).get("rx_bytes")) for n in networks.values())
            tx_bytes = sum(_int(_dict(n).get("tx_bytes")) for n in networks.values())

        block_read, block_write = _block_io(_dict(data.get("blkio_stats")))
        return cls(
            read=parse_docker_time(data.get("read")),
            cpu_total_usage=total_usage,
            system_cpu_usage=_opt_int(cpu.get("system_cpu_usage")),
            online_cpus=online_cpus or 1,
            memory_usage=_opt_int(memory.get("usage")),
            memory_limit=_opt_int(memory.get("limit")),
            memory_inactive_file=inactive_file,
            network_rx_bytes=rx_bytes,
            network_tx_bytes=tx_bytes,
            block_read_bytes=block_read,
            block_write_bytes=block_write,
            pids=_opt_int(_dict(data.get("pids_stats")).get("current")),
        )


def _block_io(blkio: dict[str, Any]) -> tuple[int | None, int | None]:
    """Sum block I/O bytes read and written over all devices."""
    entries = _list(blkio.get("io_service_bytes_recursive"))
    if not entries:
        return None, None
    read = write = 0
    for entry in entries:
        op = _str(_dict(entry).get("op")).lower()
        if op == "read":
            read += _int(entry.get("value"))
        elif op == "write":
            write += _int(entry.get("value"))
    return read, write


@dataclass(frozen=True, slots=True, kw_only=True)
class DockerInfo:
    """Answer of Docker's /info."""

    id: str
    name: str
    server_version: str
    operating_system: str
    architecture: str
    kernel_version: str
    ncpu: int | None
    mem_total: int | None
    containers: int | None
    containers_running: int | None
    containers_paused: int | None
    containers_stopped: int | None
    images: int | None

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse the info JSON."""
        data = _dict(data)
        return cls(
            id=_str(data.get("ID")),
            name=_str(data.get("Name")),
            server_version=_str(data.get("ServerVersion")),
            operating_system=_str(data.get("OperatingSystem")),
            architecture=_str(data.get("Architecture")),
            kernel_version=_str(data.get("KernelVersion")),
            ncpu=_opt_int(data.get("NCPU")),
            mem_total=_opt_int(data.get("MemTotal")),
            containers=_opt_int(data.get("Containers")),
            containers_running=_opt_int(data.get("ContainersRunning")),
            containers_paused=_opt_int(data.get("ContainersPaused")),
            containers_stopped=_opt_int(data.get("ContainersStopped")),
            images=_opt_int(data.get("Images")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DockerVersion:
    """Answer of Docker's /version."""

    version: str
    api_version: str
    os: str
    arch: str

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse the version JSON."""
        data = _dict(data)
        return cls(
            version=_str(data.get("Version")),
            api_version=_str(data.get("ApiVersion")),
            os=_str(data.get("Os")),
            arch=_str(data.get("Arch")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DiskUsageCategory:
    """Disk usage of one kind of Docker object."""

    total_count: int | None = None
    active_count: int | None = None
    size: int | None = None
    reclaimable: int | None = None

    @classmethod
    def from_usage(cls, data: Any) -> Self:
        """Parse one "*Usage" summary of API 1.52 and later."""
        data = _dict(data)
        return cls(
            total_count=_opt_int(data.get("TotalCount")),
            active_count=_opt_int(data.get("ActiveCount")),
            size=_opt_int(data.get("TotalSize")),
            reclaimable=_opt_int(data.get("Reclaimable")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DiskUsage:
    """Answer of Docker's /system/df, in one shape for every API version."""

    images: DiskUsageCategory
    containers: DiskUsageCategory
    volumes: DiskUsageCategory
    build_cache: DiskUsageCategory

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse either shape: per-object lists (< 1.52) or summaries (>= 1.52)."""
        data = _dict(data)
        if any(key in data for key in ("ImageUsage", "ContainerUsage")):
            return cls(
                images=DiskUsageCategory.from_usage(data.get("ImageUsage")),
                containers=DiskUsageCategory.from_usage(data.get("ContainerUsage")),
                volumes=DiskUsageCategory.from_usage(data.get("VolumeUsage")),
                build_cache=DiskUsageCategory.from_usage(data.get("BuildCacheUsage")),
            )
        return cls(
            images=_legacy_images(data),
            containers=_legacy_containers(data.get("Containers")),
            volumes=_legacy_volumes(data.get("Volumes")),
            build_cache=_legacy_build_cache(data.get("BuildCache")),
        )


def _legacy_images(data: dict[str, Any]) -> DiskUsageCategory:
    """Summarise the per-image list of API < 1.52."""
    if "Images" not in data and "LayersSize" not in data:
        return DiskUsageCategory()
    images = [_dict(image) for image in _list(data.get("Images"))]
    active = [image for image in images if _int(image.get("Containers")) > 0]

    # Layers are shared between images: LayersSize counts each layer once.
    total = _opt_int(data.get("LayersSize"))
    if total is None:
        total = sum(_int(image.get("Size")) for image in images)
    in_use = sum(
        _int(image.get("Size")) - _int(image.get("SharedSize")) for image in active
    )
    return DiskUsageCategory(
        total_count=len(images),
        active_count=len(active),
        size=total,
        reclaimable=max(total - in_use, 0),
    )


_ACTIVE_CONTAINER_STATES = ("running", "paused", "restarting")


def _legacy_containers(value: Any) -> DiskUsageCategory:
    """Summarise the per-container list of API < 1.52."""
    if value is None:
        return DiskUsageCategory()
    containers = [_dict(container) for container in _list(value)]
    size = sum(_int(container.get("SizeRw")) for container in containers)
    # As the Docker CLI counts: prune only removes containers that are down.
    stopped = [
        c for c in containers if _str(c.get("State")) not in _ACTIVE_CONTAINER_STATES
    ]
    return DiskUsageCategory(
        total_count=len(containers),
        active_count=len(containers) - len(stopped),
        size=size,
        reclaimable=sum(_int(container.get("SizeRw")) for container in stopped),
    )


def _legacy_volumes(value: Any) -> DiskUsageCategory:
    """Summarise the per-volume list of API < 1.52."""
    if value is None:
        return DiskUsageCategory()
    volumes = [_dict(volume) for volume in _list(value)]
    usage = [_dict(volume.get("UsageData")) for volume in volumes]
    # Docker reports -1 when a volume's size was not computed.
    sizes = [max(_int(data.get("Size")), 0) for data in usage]
    unused = [
        size
        for size, data in zip(sizes, usage, strict=True)
        if _int(data.get("RefCount")) == 0
    ]
    return DiskUsageCategory(
        total_count=len(volumes),
        active_count=len(volumes) - len(unused),
        size=sum(sizes),
        reclaimable=sum(unused),
    )


def _legacy_build_cache(value: Any) -> DiskUsageCategory:
    """Summarise the build-cache list of API < 1.52."""
    if value is None:
        return DiskUsageCategory()
    records = [_dict(record) for record in _list(value)]
    idle = [record for record in records if record.get("InUse") is not True]
    return DiskUsageCategory(
        total_count=len(records),
        active_count=len(records) - len(idle),
        size=sum(_int(record.get("Size")) for record in records),
        reclaimable=sum(
            _int(record.get("Size")) for record in idle if not record.get("Shared")
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageDetails:
    """Answer of Docker's /images/{name}/json."""

    id: str
    repo_tags: list[str]
    repo_digests: list[str]
    size: int | None

    @property
    def digests(self) -> set[str]:
        """Return the bare "sha256:…" digests of every repository digest."""
        return {digest.rpartition("@")[2] for digest in self.repo_digests if digest}

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse the image inspect JSON."""
        data = _dict(data)
        return cls(
            id=_str(data.get("Id")),
            repo_tags=[_str(tag) for tag in _list(data.get("RepoTags"))],
            repo_digests=[_str(d) for d in _list(data.get("RepoDigests"))],
            size=_opt_int(data.get("Size")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DistributionInspect:
    """Answer of Docker's /distribution/{name}/json: the registry's manifest."""

    digest: str

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse the distribution inspect JSON."""
        descriptor = _dict(_dict(data).get("Descriptor"))
        return cls(digest=_str(descriptor.get("digest")))


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneResult:
    """What an image prune removed."""

    images_deleted: list[str]
    space_reclaimed: int

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse the prune JSON."""
        data = _dict(data)
        deleted: list[str] = []
        for entry in _list(data.get("ImagesDeleted")):
            entry_dict = _dict(entry)
            if ref := _str(entry_dict.get("Deleted")) or _str(
                entry_dict.get("Untagged")
            ):
                deleted.append(ref)
        return cls(
            images_deleted=deleted,
            space_reclaimed=_int(data.get("SpaceReclaimed")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Stack:
    """A stack deployed by Portainer."""

    id: int
    name: str
    type: StackType
    status: StackStatus
    endpoint_id: int

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse one entry of /api/stacks."""
        data = _dict(data)
        return cls(
            id=_int(data.get("Id")),
            name=_str(data.get("Name")),
            type=StackType(_int(data.get("Type"))),
            status=StackStatus(_int(data.get("Status"))),
            endpoint_id=_int(data.get("EndpointId")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DockerEvent:
    """One line of Docker's event stream."""

    type: str
    action: str
    actor_id: str
    attributes: dict[str, str]
    time_nano: int

    @property
    def container_name(self) -> str | None:
        """Return the container name a container event carries."""
        return self.attributes.get("name")

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse one event object."""
        data = _dict(data)
        actor = _dict(data.get("Actor"))
        return cls(
            type=_str(data.get("Type")),
            action=_str(data.get("Action")),
            actor_id=_str(actor.get("ID")),
            attributes={
                str(key): _str(value)
                for key, value in _dict(actor.get("Attributes")).items()
            },
            time_nano=_int(data.get("timeNano")),
        )
