"""Configuration of the Portainer-compatible gateway."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
import secrets
import uuid

PORTAINER_VERSION = "2.27.0"


class EnvironmentType(IntEnum):
    """Portainer environment (endpoint) types."""

    DOCKER = 1
    AGENT = 2
    AZURE = 3
    EDGE_AGENT = 4
    KUBERNETES = 5
    KUBERNETES_AGENT = 6
    KUBERNETES_EDGE_AGENT = 7


class EnvironmentStatus(IntEnum):
    """Portainer environment status."""

    UP = 1
    DOWN = 2


DOCKER_API_TYPES = frozenset(
    {EnvironmentType.DOCKER, EnvironmentType.AGENT, EnvironmentType.EDGE_AGENT}
)


@dataclass(slots=True, kw_only=True)
class Environment:
    """One Portainer environment; tests may change its status at run time."""

    id: int
    name: str
    type: EnvironmentType = EnvironmentType.DOCKER
    status: EnvironmentStatus = EnvironmentStatus.UP
    url: str = ""

    @property
    def has_docker_api(self) -> bool:
        """Return whether Portainer proxies a Docker API for this environment."""
        return self.type in DOCKER_API_TYPES

    @property
    def is_up(self) -> bool:
        """Return whether the environment is marked up."""
        return self.status is EnvironmentStatus.UP


def new_api_key() -> str:
    """Return a random key shaped like a Portainer access token."""
    return "ptr_" + secrets.token_urlsafe(32)


@dataclass(slots=True, kw_only=True)
class SyntheticConfig:
    """Generated data served instead of a real engine."""

    containers: int = 20
    environments: int = 1
    seed: int = 1
    # Docker answers stats at its 1-second collection tick.
    stats_tick: float = 1.0
    latency: float = 0.02
    # Mean CPU use of a running container, in percent of one core.
    cpu_load: float = 5.0

    def __post_init__(self) -> None:
        """Reject values that cannot make a data set."""
        if self.containers < 0 or self.environments < 1:
            raise ValueError("Need containers >= 0 and environments >= 1")
        if self.stats_tick <= 0 or self.latency < 0 or self.cpu_load < 0:
            raise ValueError("Need stats_tick > 0, latency >= 0 and cpu_load >= 0")


@dataclass(slots=True, kw_only=True)
class GatewayConfig:
    """What the gateway serves and where; give exactly one of engine, synthetic."""

    engine: str | None = None
    synthetic: SyntheticConfig | None = None
    host: str = "127.0.0.1"
    port: int = 0
    prefix: str = ""
    admin_key: str = field(default_factory=new_api_key)
    restricted_key: str = field(default_factory=new_api_key)
    instance_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    version: str = PORTAINER_VERSION
    # None gives the mode's defaults (see default_environments).
    environments: list[Environment] | None = None
    # Portainer refreshes snapshots every 5 minutes; 0 computes one per request.
    snapshot_ttl: float = 0.0

    def __post_init__(self) -> None:
        """Validate the mode and normalise the prefix to "" or "/name"."""
        if (self.engine is None) == (self.synthetic is None):
            raise ValueError("Give exactly one of engine and synthetic")
        if self.admin_key == self.restricted_key:
            raise ValueError("The admin and restricted keys must differ")
        stripped = self.prefix.strip("/")
        self.prefix = f"/{stripped}" if stripped else ""

    @property
    def engine_socket(self) -> str:
        """Return the engine's unix socket path from unix:///path or a bare path."""
        if self.engine is None:
            raise ValueError("No engine configured")
        return self.engine.removeprefix("unix://")


def default_environments(config: GatewayConfig) -> list[Environment]:
    """Return the environments a mode serves when none are configured."""
    if config.synthetic is not None:
        return [
            Environment(
                id=number,
                name=f"synthetic-{number}",
                url=f"tcp://synthetic-{number}:2375",
            )
            for number in range(1, config.synthetic.environments + 1)
        ]
    return [
        Environment(id=1, name="local", url="unix:///var/run/docker.sock"),
        Environment(
            id=2,
            name="offline",
            status=EnvironmentStatus.DOWN,
            url="tcp://10.255.0.2:2375",
        ),
        Environment(
            id=3,
            name="cluster",
            type=EnvironmentType.KUBERNETES,
            url="https://kubernetes.default.svc",
        ),
    ]
