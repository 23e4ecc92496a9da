"""What the gateway needs from whatever serves the Docker side."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from aiohttp import web

    from .config import Environment

COMPOSE_PROJECT_LABEL = "com.docker.compose.project"


@dataclass(slots=True, frozen=True, kw_only=True)
class EngineFacts:
    """The engine figures a Portainer snapshot is made of."""

    docker_version: str
    total_cpu: int
    total_memory: int
    containers: int
    running: int
    stopped: int
    volumes: int
    images: int


async def wait_unless_stopped(stopping: asyncio.Event, delay: float) -> bool:
    """Wait delay seconds; return False at once when the gateway is stopping."""
    if stopping.is_set():
        return False
    if delay <= 0:
        return True
    try:
        async with asyncio.timeout(delay):
            await stopping.wait()
    except TimeoutError:
        return True
    return False


class Backend(Protocol):
    """The Docker side of the gateway: a real engine or generated data."""

    def serves(self, environment: Environment) -> bool:
        """Return whether this backend holds the environment's engine."""

    async def close(self) -> None:
        """Release connections and end open streams."""

    async def docker(
        self, request: web.Request, environment: Environment, path: str
    ) -> web.StreamResponse:
        """Answer a Docker API request; path is the raw path and query."""

    async def facts(self, environment: Environment) -> EngineFacts:
        """Return the snapshot figures; raise GatewayError when unreachable."""

    async def projects(self, environment: Environment) -> dict[str, bool]:
        """Return compose project names, each with whether a container runs."""

    async def set_project_running(
        self, environment: Environment, project: str, running: bool
    ) -> None:
        """Start or stop a compose project's containers."""

    async def recreate(
        self, environment: Environment, container: str, pull: bool
    ) -> dict[str, Any]:
        """Recreate a container as Portainer does; return the new inspect JSON."""
