"""The synthetic engine's data, rendered as Docker's API renders it."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
import hashlib
import json
import re
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multidict import MultiDictProxy

    from .config import Environment

GO_ZERO_TIME = "0001-01-01T00:00:00Z"
NS = 1_000_000_000
RUNNING_STATES = frozenset({"running", "paused", "restarting"})
_SECONDS_PER_UNIT = {"s": 1, "m": 60, "h": 3600}
# (below this many hours, hours per unit, unit) as Docker's go-units words it.
_LONG_UNITS = (
    (48, 1, "hours"),
    (24 * 7 * 2, 24, "days"),
    (24 * 30 * 2, 24 * 7, "weeks"),
    (24 * 365 * 2, 24 * 30, "months"),
)


class DockerError(Exception):
    """An error the synthetic engine answers with Docker's error body."""

    def __init__(self, status: int, message: str) -> None:
        """Keep the status and message."""
        super().__init__(message)
        self.status = status
        self.message = message


def rfc3339(timestamp: float) -> str:
    """Return a Unix time as Docker's RFC 3339 with nanoseconds."""
    if timestamp <= 0:
        return GO_ZERO_TIME
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def human_duration(seconds: float) -> str:
    """Return a duration the way Docker's Status column words it."""
    if seconds < 1:
        return "Less than a second"
    if int(seconds) == 1:
        return "1 second"
    if seconds < 60:  # noqa: PLR2004
        return f"{int(seconds)} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:  # noqa: PLR2004
        return f"{minutes} minutes"
    hours = round(seconds / 3600)
    if hours == 1:
        return "About an hour"
    for limit, hours_per_unit, unit in _LONG_UNITS:
        if hours < limit:
            return f"{hours // hours_per_unit} {unit}"
    return f"{hours // (24 * 365)} years"


def flag(value: str | None, default: bool) -> bool:
    """Return a Docker boolean query parameter."""
    if value is None or value == "":
        return default
    return value.lower() in ("1", "true", "yes")


def parse_filters(query: MultiDictProxy[str]) -> dict[str, list[str]]:
    """Return Docker's filters parameter; both of its JSON shapes are accepted."""
    raw = query.get("filters")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise DockerError(400, f"invalid filter: {err}") from err
    if not isinstance(data, dict):
        raise DockerError(400, "invalid filter")
    filters: dict[str, list[str]] = {}
    for name, values in data.items():
        if isinstance(values, dict):
            filters[name] = [key for key, wanted in values.items() if wanted]
        elif isinstance(values, list):
            filters[name] = [str(value) for value in values]
        else:
            filters[name] = [str(values)]
    return filters


def go_duration(duration: str) -> float:
    """Return a Go duration such as "24h" or "1h30m" in seconds."""
    parts = re.findall(r"(\d+(?:\.\d+)?)([hms])", duration)
    if not parts or "".join(number + unit for number, unit in parts) != duration:
        raise DockerError(400, f"invalid filter 'until={duration}'")
    return sum(float(number) * _SECONDS_PER_UNIT[unit] for number, unit in parts)


@dataclass(slots=True, kw_only=True)
class Image:
    """An image of a synthetic engine."""

    id: str
    tags: list[str]
    size: int
    created: int


@dataclass(slots=True, kw_only=True)
class Sample:
    """A container's counters at one collection tick."""

    tick: int
    read: str
    cpu_total: int
    system: int
    memory: int
    inactive_file: int
    rx_bytes: int
    tx_bytes: int
    read_bytes: int
    write_bytes: int


@dataclass(slots=True, kw_only=True)
class Container:
    """A synthetic container and its cumulative counters."""

    id: str
    name: str
    environment_id: int
    image: str
    image_id: str
    command: list[str]
    labels: dict[str, str]
    created: float
    state: str
    exit_code: int = 0
    started_at: float = 0.0
    finished_at: float = 0.0
    health: str | None = None
    cpu_load: float = 0.0
    memory: int = 0
    net_rate: float = 0.0
    disk_rate: float = 0.0
    pids: int = 1
    phase: float = 0.0
    cpu_total: float = 0.0
    rx_bytes: float = 0.0
    tx_bytes: float = 0.0
    read_bytes: float = 0.0
    write_bytes: float = 0.0
    sampled_tick: int = 0
    samples: dict[int, Sample] = field(default_factory=dict)

    @property
    def is_running(self) -> bool:
        """Return whether Docker counts the container as running (paused too)."""
        return self.state in RUNNING_STATES

    def reset_counters(self, tick: int) -> None:
        """Start new cgroup counters, as a (re)started container gets."""
        self.cpu_total = self.rx_bytes = self.tx_bytes = 0.0
        self.read_bytes = self.write_bytes = 0.0
        self.sampled_tick = tick
        self.samples.clear()


@dataclass(slots=True, kw_only=True)
class Host:
    """The synthetic engine of one environment."""

    environment: Environment
    engine_id: str
    ncpu: int
    memory: int
    images: list[Image]
    volumes: list[str]
    containers: dict[str, Container] = field(default_factory=dict)
    events: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=1000))
    subscribers: set[asyncio.Queue[dict[str, Any] | None]] = field(default_factory=set)


def container_status(container: Container) -> str:
    """Return the Status column of docker ps."""
    now = time.time()
    if container.state in ("running", "paused"):
        status = f"Up {human_duration(now - container.started_at)}"
        if container.state == "paused":
            return f"{status} (Paused)"
        if container.health == "starting":
            return f"{status} (health: starting)"
        if container.health:
            return f"{status} ({container.health})"
        return status
    if container.state == "exited":
        ago = human_duration(now - container.finished_at)
        return f"Exited ({container.exit_code}) {ago} ago"
    return "Created"


def container_summary(container: Container) -> dict[str, Any]:
    """Return a container as containers/json lists it."""
    return {
        "Id": container.id,
        "Names": [f"/{container.name}"],
        "Image": container.image,
        "ImageID": container.image_id,
        "Command": " ".join(container.command),
        "Created": int(container.created),
        "Ports": [],
        "Labels": container.labels,
        "State": container.state,
        "Status": container_status(container),
        "HostConfig": {"NetworkMode": "bridge"},
        "NetworkSettings": {"Networks": {"bridge": network_endpoint(container)}},
        "Mounts": [],
    }


def network_endpoint(container: Container) -> dict[str, Any]:
    """Return the container's bridge endpoint."""
    running = container.is_running
    octet = int(container.id[:2], 16) % 250 + 2
    return {
        "IPAMConfig": None,
        "Links": None,
        "Aliases": None,
        "NetworkID": "f" * 64,
        "EndpointID": container.id[::-1] if running else "",
        "Gateway": "172.17.0.1" if running else "",
        "IPAddress": f"172.17.0.{octet}" if running else "",
        "IPPrefixLen": 16 if running else 0,
        "MacAddress": f"02:42:ac:11:00:{octet:02x}" if running else "",
    }


def container_inspect(container: Container) -> dict[str, Any]:
    """Return a container as containers/{id}/json shows it."""
    state: dict[str, Any] = {
        "Status": container.state,
        "Running": container.is_running,
        "Paused": container.state == "paused",
        "Restarting": False,
        "OOMKilled": False,
        "Dead": False,
        "Pid": (int(container.id[:4], 16) + 100) if container.is_running else 0,
        "ExitCode": container.exit_code,
        "Error": "",
        "StartedAt": rfc3339(container.started_at),
        "FinishedAt": rfc3339(container.finished_at),
    }
    config: dict[str, Any] = {
        "Hostname": container.id[:12],
        "Domainname": "",
        "User": "",
        "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
        "Cmd": container.command,
        "Image": container.image,
        "Volumes": None,
        "WorkingDir": "",
        "Entrypoint": None,
        "Labels": container.labels,
    }
    if container.health:
        failing = 3 if container.health == "unhealthy" else 0
        state["Health"] = {
            "Status": container.health,
            "FailingStreak": failing,
            "Log": [],
        }
        config["Healthcheck"] = {
            "Test": ["CMD-SHELL", "check-health"],
            "Interval": 30 * NS,
        }
    return {
        "Id": container.id,
        "Created": rfc3339(container.created),
        "Path": container.command[0],
        "Args": container.command[1:],
        "State": state,
        "Image": container.image_id,
        "Name": f"/{container.name}",
        "RestartCount": 0,
        "Driver": "overlay2",
        "Platform": "linux",
        "HostConfig": {
            "NetworkMode": "bridge",
            "RestartPolicy": {"Name": "unless-stopped", "MaximumRetryCount": 0},
            "Memory": 0,
            "NanoCpus": 0,
        },
        "Config": config,
        "NetworkSettings": {"Networks": {"bridge": network_endpoint(container)}},
        "Mounts": [],
    }


def stats_json(
    host: Host,
    container: Container,
    sample: Sample | None,
    previous: Sample | None,
) -> dict[str, Any]:
    """Return a stats answer (cgroup v2 shape) for a sample and the one before."""
    throttling = {"periods": 0, "throttled_periods": 0, "throttled_time": 0}

    def cpu(item: Sample | None) -> dict[str, Any]:
        """Return cpu_stats, empty as Docker leaves it without a sample."""
        if item is None:
            return {
                "cpu_usage": {
                    "total_usage": 0,
                    "usage_in_kernelmode": 0,
                    "usage_in_usermode": 0,
                },
                "throttling_data": throttling,
            }
        return {
            "cpu_usage": {
                "total_usage": item.cpu_total,
                "usage_in_kernelmode": item.cpu_total // 5,
                "usage_in_usermode": item.cpu_total - item.cpu_total // 5,
            },
            "system_cpu_usage": item.system,
            "online_cpus": host.ncpu,
            "throttling_data": throttling,
        }

    stats: dict[str, Any] = {
        "read": sample.read if sample else GO_ZERO_TIME,
        "preread": previous.read if previous else GO_ZERO_TIME,
        "pids_stats": {"current": container.pids} if sample else {},
        "blkio_stats": {
            "io_service_bytes_recursive": None,
            "io_serviced_recursive": None,
            "io_queue_recursive": None,
            "io_service_time_recursive": None,
            "io_wait_time_recursive": None,
            "io_merged_recursive": None,
            "io_time_recursive": None,
            "sectors_recursive": None,
        },
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": cpu(sample),
        "precpu_stats": cpu(previous),
        "memory_stats": {},
        "name": f"/{container.name}",
        "id": container.id,
    }
    if sample is None:
        return stats

    stats["blkio_stats"]["io_service_bytes_recursive"] = [
        {"major": 259, "minor": 0, "op": "read", "value": sample.read_bytes},
        {"major": 259, "minor": 0, "op": "write", "value": sample.write_bytes},
    ]
    anon = sample.memory - sample.inactive_file
    stats["memory_stats"] = {
        "usage": sample.memory,
        "stats": {
            "active_anon": anon // 4,
            "active_file": sample.inactive_file // 2,
            "anon": anon,
            "anon_thp": 0,
            "file": sample.inactive_file * 3 // 2,
            "file_dirty": 0,
            "file_mapped": sample.inactive_file // 4,
            "file_writeback": 0,
            "inactive_anon": anon - anon // 4,
            "inactive_file": sample.inactive_file,
            "kernel_stack": 16384 * container.pids,
            "pgfault": sample.tick * 7 + 1000,
            "pgmajfault": 3,
            "shmem": 0,
            "slab": 262144,
            "sock": 0,
            "unevictable": 0,
        },
        "limit": host.memory,
    }
    packets_in = sample.rx_bytes // 700
    packets_out = sample.tx_bytes // 500
    stats["networks"] = {
        "eth0": {
            "rx_bytes": sample.rx_bytes,
            "rx_packets": packets_in,
            "rx_errors": 0,
            "rx_dropped": 0,
            "tx_bytes": sample.tx_bytes,
            "tx_packets": packets_out,
            "tx_errors": 0,
            "tx_dropped": 0,
        }
    }
    return stats


def image_summary(host: Host, image: Image) -> dict[str, Any]:
    """Return an image as images/json lists it."""
    return {
        "Id": image.id,
        "ParentId": "",
        "RepoTags": image.tags,
        "RepoDigests": [],
        "Created": image.created,
        "Size": image.size,
        "SharedSize": -1,
        "VirtualSize": image.size,
        "Labels": {},
        "Containers": sum(
            1 for item in host.containers.values() if item.image_id == image.id
        ),
    }


def image_inspect(host: Host, image: Image) -> dict[str, Any]:
    """Return an image as images/{name}/json shows it."""
    return {
        "Id": image.id,
        "RepoTags": image.tags,
        "RepoDigests": [],
        "Parent": "",
        "Comment": "",
        "Created": rfc3339(image.created),
        "DockerVersion": "",
        "Author": "",
        "Config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Labels": None},
        "Architecture": "amd64",
        "Os": "linux",
        "Size": image.size,
        "GraphDriver": {"Name": "overlay2", "Data": None},
        "RootFS": {"Type": "layers", "Layers": [image.id]},
        "Metadata": {"LastTagTime": GO_ZERO_TIME},
    }


def distribution_inspect(reference: str) -> dict[str, Any]:
    """Return the registry's manifest of an image reference, as Docker relays it.

    The digest depends on the reference only, so it stays the same run to run.
    """
    digest = hashlib.sha256(reference.encode()).hexdigest()
    return {
        "Descriptor": {
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": f"sha256:{digest}",
            "size": 1_609,
        },
        "Platforms": [{"architecture": "amd64", "os": "linux"}],
    }


def event_wanted(filters: dict[str, list[str]], event: dict[str, Any]) -> bool:
    """Return whether an event passes the type, event and container filters."""
    if "type" in filters and event["Type"] not in filters["type"]:
        return False
    if "event" in filters and event["Action"] not in filters["event"]:
        return False
    names = filters.get("container", [])
    actor = event["Actor"]
    return not names or any(
        name in (actor["ID"], actor["Attributes"].get("name"))
        or actor["ID"].startswith(name)
        for name in names
    )
