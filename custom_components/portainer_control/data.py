"""What a poll knows about environments, stacks and containers."""

from __future__ import annotations

from dataclasses import dataclass, field

from .api import (
    STACK_NAMESPACE_LABEL,
    Container,
    ContainerDetails,
    ContainerHealth,
    ContainerState,
    ContainerStats,
    DockerInfo,
    DockerVersion,
    Endpoint,
    Stack,
    StackStatus,
    StackType,
)
from .helpers import ContainerKey, StackKey


@dataclass(slots=True, kw_only=True)
class ContainerData:
    """A container as seen by the latest poll."""

    endpoint_id: int
    container: Container
    details: ContainerDetails | None = None
    stats: ContainerStats | None = None
    cpu_percent: float | None = None
    network_rates: tuple[float, float] | None = None
    # What Docker's event stream said since the poll; the next poll resets it.
    event_state: ContainerState | None = None
    event_health: ContainerHealth | None = None

    @property
    def key(self) -> ContainerKey:
        """Return the identity that survives a recreate."""
        return (self.endpoint_id, self.container.name)

    @property
    def stack_key(self) -> StackKey | None:
        """Return the stack (Compose project) the container belongs to."""
        project = self.container.compose_project
        return None if project is None else (self.endpoint_id, project)

    @property
    def state(self) -> ContainerState:
        """Return the container's state: from events since the poll, or the list."""
        return self.event_state or self.container.state

    @property
    def health(self) -> ContainerHealth:
        """Return the container's health: from events, or the list's status."""
        return self.event_health or self.container.health


@dataclass(slots=True, kw_only=True)
class StackData:
    """A stack: deployed by Portainer, or a Compose project it did not deploy."""

    endpoint_id: int
    name: str
    # None for a project known only from its containers' labels.
    stack: Stack | None = None
    containers: list[ContainerData] = field(default_factory=list)

    @property
    def key(self) -> StackKey:
        """Return the stack's identity."""
        return (self.endpoint_id, self.name)

    @property
    def managed(self) -> bool:
        """Return whether Portainer deployed the stack and can start or stop it."""
        return self.stack is not None

    @property
    def type(self) -> StackType:
        """Return the kind of stack."""
        if self.stack is not None:
            return self.stack.type
        swarm = any(
            STACK_NAMESPACE_LABEL in data.container.labels for data in self.containers
        )
        return StackType.SWARM if swarm else StackType.COMPOSE

    @property
    def running(self) -> int:
        """Return how many of the stack's containers run."""
        return sum(
            1 for data in self.containers if data.state is ContainerState.RUNNING
        )

    @property
    def active(self) -> bool:
        """Return whether the stack is started."""
        if self.stack is not None and self.stack.status is not StackStatus.UNKNOWN:
            return self.stack.status is StackStatus.ACTIVE
        return self.running > 0


@dataclass(slots=True, kw_only=True)
class EnvironmentData:
    """An environment as seen by the latest poll."""

    endpoint: Endpoint
    # Whether the environment's Docker API answered this poll.
    reachable: bool = False
    containers: dict[str, ContainerData] = field(default_factory=dict)
    stacks: dict[str, StackData] = field(default_factory=dict)
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

    def stack(self, key: StackKey) -> StackData | None:
        """Return the stack with this identity, if it is known."""
        if (environment := self.environments.get(key[0])) is None:
            return None
        return environment.stacks.get(key[1])

    @property
    def container_keys(self) -> set[ContainerKey]:
        """Return the identity of every listed container."""
        return {
            (endpoint_id, name)
            for endpoint_id, environment in self.environments.items()
            for name in environment.containers
        }

    @property
    def projects(self) -> frozenset[StackKey]:
        """Return every Compose project the containers name."""
        return frozenset(
            key
            for environment in self.environments.values()
            for data in environment.containers.values()
            if (key := data.stack_key) is not None
        )
