"""The test Docker engine: find it, and run a gateway against it with containers.

Import the fixtures into a conftest.py to use them:

    from tests.engine import docker_engine, engine_gateway  # noqa: F401

``docker_engine`` gives the engine's socket path; without an answering
engine it skips the test, or fails it when CI=true (CI must never skip the
end-to-end tests). ``engine_gateway`` gives an ``EngineSetup``: a started
gateway in engine mode plus a few busybox containers, removed afterwards.
Start the engine with ``scripts/engine start && scripts/engine image``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import socket
from typing import Any
import uuid

import pytest
import pytest_socket

from gateway import EngineClient, EngineError, Gateway, GatewayConfig

REPO = Path(__file__).resolve().parent.parent
ENGINE_SOCKET = REPO / ".engine" / "docker.sock"
TEST_IMAGE = "busybox:e2e"
# Every test container carries it, valued with the run id, for clean-up.
TEST_LABEL = "portainer-control.test"
COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
# Traps SIGTERM so a stop takes milliseconds instead of the 10 s kill delay.
SLEEP_COMMAND = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
_PING_TIMEOUT = 3.0


def _get(socket_path: Path, path: str) -> int:
    """Return the status of a GET on the engine socket, without an event loop."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(_PING_TIMEOUT)
        client.connect(str(socket_path))
        client.sendall(f"GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
        status_line = client.recv(64).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def engine_problem(socket_path: Path = ENGINE_SOCKET) -> str | None:
    """Return why the test engine cannot be used, or None when it can."""
    if not socket_path.exists():
        return f"no Docker engine socket at {socket_path} (run: scripts/engine start)"
    try:
        if _get(socket_path, "/_ping") != 200:
            return f"Docker engine at {socket_path} does not answer /_ping with 200"
        if _get(socket_path, f"/images/{TEST_IMAGE}/json") != 200:
            return f"image {TEST_IMAGE} is missing (run: scripts/engine image)"
    except (OSError, ValueError, IndexError) as err:
        return f"Docker engine at {socket_path} does not answer ({err})"
    return None


def require_engine(socket_path: Path = ENGINE_SOCKET) -> Path:
    """Return the engine socket; skip the test without one, fail it in CI."""
    problem = engine_problem(socket_path)
    if problem is None:
        return socket_path
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs the test Docker engine: {problem}")
    pytest.skip(problem)


@dataclass(slots=True, kw_only=True)
class EngineSetup:
    """A gateway in engine mode and the test containers it shows."""

    gateway: Gateway
    engine: EngineClient
    run_id: str
    # Role ("sleeper", "unhealthy", "web", "db", "exited") to container name.
    names: dict[str, str] = field(default_factory=dict)
    # Role to container id.
    ids: dict[str, str] = field(default_factory=dict)
    # Compose project label of "web" and "db".
    project: str = ""

    @property
    def url(self) -> str:
        """Return the gateway's base URL."""
        return self.gateway.url

    async def create(
        self,
        role: str,
        *,
        command: list[str] | None = None,
        labels: dict[str, str] | None = None,
        start: bool = True,
        **config: Any,
    ) -> str:
        """Create (and start) a labelled busybox container; return its id."""
        return await create_container(
            self.engine,
            f"pct-{self.run_id}-{role}",
            run_id=self.run_id,
            command=command,
            labels=labels,
            start=start,
            **config,
        )

    async def inspect(self, role_or_id: str) -> dict[str, Any]:
        """Return the engine's inspect JSON of a test container."""
        reference = self.names.get(role_or_id, role_or_id)
        result: dict[str, Any] = await self.engine.call(
            "GET", f"/containers/{reference}/json"
        )
        return result

    async def wait_for_health(
        self, role: str, status: str = "unhealthy", within: float = 20.0
    ) -> None:
        """Wait until a container's health check reports status."""
        async with asyncio.timeout(within):
            while True:
                health = (await self.inspect(role))["State"].get("Health") or {}
                if health.get("Status") == status:
                    return
                await asyncio.sleep(0.25)


async def create_container(
    engine: EngineClient,
    name: str,
    *,
    run_id: str,
    command: list[str] | None = None,
    labels: dict[str, str] | None = None,
    start: bool = True,
    **config: Any,
) -> str:
    """Create a labelled busybox container without network; return its id."""
    host_config = {"NetworkMode": "none"} | config.pop("HostConfig", {})
    body = {
        "Image": TEST_IMAGE,
        "Cmd": command or SLEEP_COMMAND,
        "Labels": {TEST_LABEL: run_id} | (labels or {}),
        "StopTimeout": 2,
        "HostConfig": host_config,
    } | config
    created = await engine.call(
        "POST", "/containers/create", params={"name": name}, body=body
    )
    container_id = str(created["Id"])
    if start:
        await engine.call("POST", f"/containers/{container_id}/start")
    return container_id


async def remove_test_containers(engine: EngineClient, run_id: str) -> None:
    """Force-remove every container of a test run (recreated ones too)."""
    containers = await engine.call(
        "GET",
        "/containers/json",
        params={
            "all": "1",
            "filters": json.dumps({"label": [f"{TEST_LABEL}={run_id}"]}),
        },
    )
    for container in containers or []:
        try:
            await engine.call(
                "DELETE", f"/containers/{container['Id']}", params={"force": "1"}
            )
        except EngineError as err:
            if err.status != 404:
                raise


def allow_unix_sockets() -> None:
    """Let the running test connect to 127.0.0.1 and to unix sockets.

    Home Assistant's test plugin allows connections to 127.0.0.1 only, which
    blocks the engine's unix socket; pytest-socket resets this after the test.
    """
    pytest_socket.socket_allow_hosts(["127.0.0.1"], allow_unix_socket=True)


@pytest.fixture
def docker_engine(socket_enabled: None) -> Path:
    """Return the test engine's socket path (skip without it, fail in CI)."""
    allow_unix_sockets()
    return require_engine()


@pytest.fixture
async def engine_gateway(docker_engine: Path) -> AsyncGenerator[EngineSetup]:
    """Start a gateway on the engine with five test containers.

    sleeper: running; unhealthy: running, health check "false" every 2 s
    (unhealthy after about 2 s, see wait_for_health); web and db: running,
    compose project pct-<run>; exited: exited with code 3.
    """
    run_id = uuid.uuid4().hex[:8]
    engine = EngineClient(str(docker_engine))
    gateway = Gateway(GatewayConfig(engine=f"unix://{docker_engine}"))
    setup = EngineSetup(
        gateway=gateway, engine=engine, run_id=run_id, project=f"pct-{run_id}"
    )
    compose = {
        COMPOSE_PROJECT_LABEL: setup.project,
        "com.docker.compose.container-number": "1",
    }
    roles: dict[str, dict[str, Any]] = {
        "sleeper": {},
        "unhealthy": {
            "Healthcheck": {
                "Test": ["CMD", "false"],
                "Interval": 2_000_000_000,
                "Retries": 1,
            }
        },
        "web": {"labels": compose | {"com.docker.compose.service": "web"}},
        "db": {"labels": compose | {"com.docker.compose.service": "db"}},
        "exited": {"command": ["sh", "-c", "exit 3"]},
    }
    try:
        ids = await asyncio.gather(
            *(setup.create(role, **options) for role, options in roles.items())
        )
        setup.ids = dict(zip(roles, ids, strict=True))
        setup.names = {role: f"pct-{run_id}-{role}" for role in roles}
        # Answers once the container has exited, so tests see it exited.
        await engine.call("POST", f"/containers/{setup.ids['exited']}/wait")
        await gateway.start()
        yield setup
    finally:
        await gateway.stop()
        await remove_test_containers(engine, run_id)
        await engine.close()
