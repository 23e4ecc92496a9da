"""The gateway's Docker side made of generated containers, for load and fault tests.

Containers are generated from a seed: in every 20, 16 run (one of them
healthy, one unhealthy), one is paused and three have exited. Groups of five
share an environment (round robin), and the first two groups of every four
are compose projects (stack-01, stack-02, ...). Stats answer at the next
collection tick like Docker's, with counters that advance with the
configured CPU load.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
import json
import math
import random
import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import MultiDictProxy
from yarl import URL

from .backend import COMPOSE_PROJECT_LABEL, EngineFacts, wait_unless_stopped
from .responses import BodyStream, GatewayError, docker_error, json_response
from .synthetic_model import (
    NS,
    Container,
    DockerError,
    Host,
    Image,
    Sample,
    container_inspect,
    container_summary,
    distribution_inspect,
    event_wanted,
    flag,
    go_duration,
    image_inspect,
    image_summary,
    parse_filters,
    rfc3339,
    stats_json,
)

if TYPE_CHECKING:
    from .config import Environment, SyntheticConfig

API_VERSION = "1.43"
DOCKER_VERSION = "24.0.7"
_MIN_API_VERSION = "1.12"
_HEADERS = {
    "Api-Version": API_VERSION,
    "Docker-Experimental": "false",
    "Ostype": "linux",
    "Server": f"Docker/{DOCKER_VERSION} (linux)",
}
_IMAGES = (
    ("nginx:1.27", 192_000_000, ["nginx", "-g", "daemon off;"]),
    ("postgres:16", 431_000_000, ["docker-entrypoint.sh", "postgres"]),
    ("redis:7.2", 138_000_000, ["docker-entrypoint.sh", "redis-server"]),
    ("ghcr.io/example/app:1.4.2", 88_000_000, ["/app/server", "--port", "8080"]),
)
_UNUSED_IMAGE = ("busybox:latest", 4_300_000)
_DANGLING_SIZES = (120_000_000, 75_000_000)
_GROUP = 5
# State by position in every 20 containers: 16 of 20 (80 %) run.
_CYCLE = 20
_PAUSED = frozenset({7})
_EXIT_CODES = {3: 0, 13: 137, 17: 1}
_HEALTH = {1: "healthy", 11: "unhealthy"}
_HOST_UPTIME = 3 * 86400.0


@dataclass(slots=True, frozen=True)
class _Call:
    """A Docker API request routed to a synthetic handler."""

    request: web.Request
    host: Host
    match: re.Match[str]
    query: MultiDictProxy[str]


_Handler = Callable[["SyntheticBackend", _Call], Awaitable[web.StreamResponse]]
_ROUTES: list[tuple[frozenset[str], re.Pattern[str], _Handler]] = []


def _route(methods: str, pattern: str) -> Callable[[_Handler], _Handler]:
    """Register a handler for methods and a full-match path pattern."""

    def register(handler: _Handler) -> _Handler:
        _ROUTES.append((frozenset(methods.split()), re.compile(pattern), handler))
        return handler

    return register


def _answer(data: Any, status: int = 200) -> web.Response:
    """Return JSON with the headers Docker sends."""
    return json_response(data, status, _HEADERS)


def _empty(status: int) -> web.Response:
    """Return a body-less answer (204, 304) with Docker's headers."""
    return web.Response(status=status, headers=_HEADERS)


def _has_tag(reference: str) -> bool:
    """Return whether an image reference names a tag or digest."""
    # A colon before the last slash belongs to a registry port.
    return "@" in reference or ":" in reference.rpartition("/")[2]


class SyntheticBackend:
    """Generated environments that answer the Docker API like an engine."""

    def __init__(
        self,
        config: SyntheticConfig,
        environments: Iterable[Environment],
        stopping: asyncio.Event,
    ) -> None:
        """Generate the data set from the configuration's seed."""
        self._config = config
        self._stopping = stopping
        self._rng = random.Random(config.seed)  # noqa: S311 - test data, not secrets
        # Ticks count from here; the wall clock is kept for timestamps.
        self._epoch = time.monotonic()
        self._wall_epoch = time.time()
        self._hosts: dict[int, Host] = {}
        for environment in environments:
            if environment.has_docker_api:
                self._hosts[environment.id] = self._new_host(environment)
        self._generate(config.containers)

    # Data set

    def _new_id(self) -> str:
        """Return a random 64-hex id."""
        return f"{self._rng.getrandbits(256):064x}"

    def _new_host(self, environment: Environment) -> Host:
        """Return an engine with images and volumes but no containers yet."""
        now = int(self._wall_epoch)
        images = [
            Image(
                id=f"sha256:{self._new_id()}",
                tags=[tag],
                size=size,
                created=now - 30 * 86400,
            )
            for tag, size, _ in _IMAGES
        ]
        images.append(
            Image(
                id=f"sha256:{self._new_id()}",
                tags=[_UNUSED_IMAGE[0]],
                size=_UNUSED_IMAGE[1],
                created=now - 60 * 86400,
            )
        )
        images.extend(
            Image(
                id=f"sha256:{self._new_id()}", tags=[], size=size, created=now - 86400
            )
            for size in _DANGLING_SIZES
        )
        return Host(
            environment=environment,
            engine_id=self._new_id()[:32],
            ncpu=4 * (1 + environment.id % 2),
            memory=16 * 1024**3 * (1 + environment.id % 2),
            images=images,
            volumes=[f"data-{environment.id}-{number}" for number in range(1, 4)],
        )

    def _generate(self, count: int) -> None:
        """Generate count containers spread over the environments in groups."""
        hosts = list(self._hosts.values())
        if not hosts:
            return
        for index in range(count):
            group = index // _GROUP
            host = hosts[group % len(hosts)]
            position = index % _CYCLE
            image_tag, _, command = _IMAGES[index % len(_IMAGES)]
            labels = {"org.example.index": str(index)}
            if group % 4 < 2:  # noqa: PLR2004
                project = f"stack-{group // 4 * 2 + group % 4 + 1:02d}"
                service = f"svc{index % _GROUP + 1}"
                labels |= {
                    COMPOSE_PROJECT_LABEL: project,
                    "com.docker.compose.service": service,
                    "com.docker.compose.container-number": "1",
                    "com.docker.compose.project.working_dir": f"/srv/{project}",
                }
            created = self._wall_epoch - 3600 * (index % 50 + 2)
            state = "running"
            if position in _PAUSED:
                state = "paused"
            elif position in _EXIT_CODES:
                state = "exited"
            image = next(image for image in host.images if image.tags == [image_tag])
            container = Container(
                id=self._new_id(),
                name=f"app-{index + 1:04d}",
                environment_id=host.environment.id,
                image=image_tag,
                image_id=image.id,
                command=command,
                labels=labels,
                created=created,
                state=state,
                exit_code=_EXIT_CODES.get(position, 0),
                started_at=created + 60,
                finished_at=created + 1800 if state == "exited" else 0.0,
                health=_HEALTH.get(position),
                cpu_load=self._config.cpu_load * self._rng.uniform(0.5, 1.5),
                memory=self._rng.randint(20, 400) * 1024**2,
                net_rate=self._rng.uniform(1_000, 50_000),
                disk_rate=self._rng.uniform(100, 20_000),
                pids=self._rng.randint(1, 30),
                phase=self._rng.uniform(0, 2 * math.pi),
            )
            container.reset_counters(self._tick_now())
            if container.is_running:
                # Counters start from the uptime so far, as a real cgroup's do.
                uptime = self._wall_epoch - container.started_at
                container.cpu_total = container.cpu_load / 100 * uptime * NS
                container.rx_bytes = container.net_rate * uptime
                container.tx_bytes = container.net_rate * uptime / 4
                container.read_bytes = container.disk_rate * uptime
                container.write_bytes = container.disk_rate * uptime / 2
            host.containers[container.id] = container

    # Time

    def _tick_now(self) -> int:
        """Return the index of the last collection tick."""
        return math.floor((time.monotonic() - self._epoch) / self._config.stats_tick)

    async def _wait(self, delay: float) -> bool:
        """Wait delay seconds; return False when the gateway stops first."""
        return await wait_unless_stopped(self._stopping, delay)

    async def _until_tick(self, tick: int) -> bool:
        """Wait for a collection tick; return False when the gateway stops."""
        deadline = self._epoch + tick * self._config.stats_tick
        return await self._wait(deadline - time.monotonic())

    # Backend protocol

    def serves(self, environment: Environment) -> bool:
        """Return whether the environment has a synthetic engine."""
        return environment.id in self._hosts

    async def close(self) -> None:
        """End the open event streams."""
        for host in self._hosts.values():
            for queue in host.subscribers:
                queue.put_nowait(None)

    async def docker(
        self, request: web.Request, environment: Environment, path: str
    ) -> web.StreamResponse:
        """Answer a Docker API request from the generated data."""
        url = URL(path, encoded=True)
        docker_path = url.path
        version = re.match(r"^/v(\d+)\.(\d+)(/.*)$", docker_path)
        if version:
            wanted = (int(version[1]), int(version[2]))
            newest = tuple(int(part) for part in API_VERSION.split("."))
            if wanted > newest:
                return docker_error(
                    400,
                    f"client version {version[1]}.{version[2]} is too new. "
                    f"Maximum supported API version is {API_VERSION}",
                    _HEADERS,
                )
            docker_path = version[3]

        await self._wait(self._config.latency)
        host = self._hosts[environment.id]
        for methods, pattern, handler in _ROUTES:
            match = pattern.fullmatch(docker_path)
            if match and request.method in methods:
                try:
                    return await handler(self, _Call(request, host, match, url.query))
                except DockerError as err:
                    return docker_error(err.status, err.message, _HEADERS)
        return docker_error(404, "page not found", _HEADERS)

    async def facts(self, environment: Environment) -> EngineFacts:
        """Return the snapshot figures of an environment."""
        host = self._host(environment)
        containers = host.containers.values()
        return EngineFacts(
            docker_version=DOCKER_VERSION,
            total_cpu=host.ncpu,
            total_memory=host.memory,
            containers=len(host.containers),
            running=sum(1 for item in containers if item.state == "running"),
            stopped=sum(1 for item in containers if not item.is_running),
            volumes=len(host.volumes),
            images=len(host.images),
        )

    async def projects(self, environment: Environment) -> dict[str, bool]:
        """Return the compose projects of an environment."""
        projects: dict[str, bool] = {}
        for container in self._host(environment).containers.values():
            project = container.labels.get(COMPOSE_PROJECT_LABEL)
            if project:
                running = container.state == "running"
                projects[project] = projects.get(project, False) or running
        return projects

    async def set_project_running(
        self, environment: Environment, project: str, running: bool
    ) -> None:
        """Start or stop the containers of a compose project."""
        await self._wait(self._config.latency)
        host = self._host(environment)
        for container in list(host.containers.values()):
            if container.labels.get(COMPOSE_PROJECT_LABEL) != project:
                continue
            if running and container.state in ("exited", "created"):
                self._start(host, container)
            elif not running and container.is_running:
                self._halt(host, container, 0, ("kill", "die", "stop"))

    async def recreate(
        self, environment: Environment, container: str, pull: bool
    ) -> dict[str, Any]:
        """Replace a container by a new one with the same name and config."""
        await self._wait(self._config.latency)
        host = self._host(environment)
        try:
            old = self._find(host, container)
        except DockerError as err:
            details = f"Error response from daemon: {err.message}"
            raise GatewayError(500, "Error recreating container", details) from err

        if pull:
            self._emit(host, "image", "pull", old.image, {"name": old.image})
        was_running = old.is_running
        if was_running:
            self._halt(host, old, 0, ("kill", "die", "stop"))
        del host.containers[old.id]
        self._emit_container(host, old, "destroy")

        now = time.time()
        new = Container(
            id=self._new_id(),
            name=old.name,
            environment_id=old.environment_id,
            image=old.image,
            image_id=old.image_id,
            command=list(old.command),
            labels=dict(old.labels),
            created=now,
            state="created",
            health=old.health,
            cpu_load=old.cpu_load,
            memory=old.memory,
            net_rate=old.net_rate,
            disk_rate=old.disk_rate,
            pids=old.pids,
            phase=old.phase,
        )
        new.reset_counters(self._tick_now())
        host.containers[new.id] = new
        self._emit_container(host, new, "create")
        if was_running:
            self._start(host, new)
        return container_inspect(new)

    # Helpers

    def _host(self, environment: Environment) -> Host:
        """Return an environment's engine."""
        try:
            return self._hosts[environment.id]
        except KeyError as err:
            raise GatewayError(502, "Unable to reach the environment") from err

    def _find(self, host: Host, reference: str) -> Container:
        """Return a container by id, unique id prefix or name."""
        if reference in host.containers:
            return host.containers[reference]
        name = reference.removeprefix("/")
        for container in host.containers.values():
            if container.name == name:
                return container
        found = [item for item in host.containers.values() if item.id.startswith(name)]
        if len(found) == 1 and name:
            return found[0]
        if len(found) > 1:
            raise DockerError(400, f"multiple IDs found with provided prefix: {name}")
        raise DockerError(404, f"No such container: {reference}")

    def _find_image(self, host: Host, reference: str) -> Image:
        """Return an image by name[:tag], Id or unique Id prefix, as Docker does."""
        tagged = reference if _has_tag(reference) else f"{reference}:latest"
        for image in host.images:
            if tagged in image.tags or reference == image.id:
                return image
        bare = reference.removeprefix("sha256:")
        found = [
            image
            for image in host.images
            if bare and image.id.removeprefix("sha256:").startswith(bare)
        ]
        if len(found) == 1:
            return found[0]
        raise DockerError(404, f"No such image: {reference}")

    def _emit(
        self,
        host: Host,
        kind: str,
        action: str,
        actor: str,
        attributes: dict[str, str],
    ) -> None:
        """Record an event and hand it to the open event streams."""
        now = time.time()
        event = {
            "status": action,
            "id": actor,
            "from": attributes.get("image", ""),
            "Type": kind,
            "Action": action,
            "Actor": {"ID": actor, "Attributes": attributes},
            "scope": "local",
            "time": int(now),
            "timeNano": int(now * NS),
        }
        host.events.append(event)
        for queue in host.subscribers:
            queue.put_nowait(event)

    def _emit_container(self, host: Host, container: Container, action: str) -> None:
        """Record a container event."""
        attributes = {"image": container.image, "name": container.name}
        attributes |= container.labels
        self._emit(host, "container", action, container.id, attributes)

    def _start(self, host: Host, container: Container) -> None:
        """Start a stopped container."""
        container.state = "running"
        container.exit_code = 0
        container.started_at = time.time()
        container.reset_counters(self._tick_now())
        self._emit_container(host, container, "start")

    def _halt(
        self,
        host: Host,
        container: Container,
        exit_code: int,
        actions: tuple[str, ...],
    ) -> None:
        """Stop a running or paused container with an exit code."""
        container.state = "exited"
        container.exit_code = exit_code
        container.finished_at = time.time()
        for action in actions:
            self._emit_container(host, container, action)

    def _sample(self, host: Host, container: Container, tick: int) -> Sample:
        """Return the counters at a tick, advancing them once per tick."""
        if tick in container.samples:
            return container.samples[tick]
        if tick < container.sampled_tick and container.samples:
            # Older than anything kept: the oldest sample is the best answer.
            return container.samples[min(container.samples)]

        tick_length = self._config.stats_tick
        elapsed = max(0, tick - container.sampled_tick) * tick_length
        if container.state == "running":
            load = container.cpu_load * self._rng.uniform(0.7, 1.3)
            container.cpu_total += load / 100 * elapsed * NS
            container.rx_bytes += container.net_rate * elapsed
            container.tx_bytes += container.net_rate * elapsed / 4
            container.read_bytes += container.disk_rate * elapsed
            container.write_bytes += container.disk_rate * elapsed / 2
        container.sampled_tick = tick

        seconds = tick * tick_length
        swing = 1 + 0.15 * math.sin(2 * math.pi * seconds / 300 + container.phase)
        inactive_file = container.memory // 10
        sample = Sample(
            tick=tick,
            read=rfc3339(self._wall_epoch + seconds),
            cpu_total=int(container.cpu_total),
            system=int(host.ncpu * (_HOST_UPTIME + seconds) * NS),
            memory=int(container.memory * swing) + inactive_file,
            inactive_file=inactive_file,
            rx_bytes=int(container.rx_bytes),
            tx_bytes=int(container.tx_bytes),
            read_bytes=int(container.read_bytes),
            write_bytes=int(container.write_bytes),
        )
        container.samples[tick] = sample
        # Two ticks are all a stats answer ever needs.
        for old in [key for key in container.samples if key < tick - 2]:
            del container.samples[old]
        return sample

    # Docker API handlers

    @_route("GET HEAD", r"/_ping")
    async def _ping(self, call: _Call) -> web.StreamResponse:
        """Answer the ping."""
        headers = _HEADERS | {"Cache-Control": "no-cache, no-store, must-revalidate"}
        return web.Response(text="OK", headers=headers)

    @_route("GET", r"/version")
    async def _version(self, call: _Call) -> web.StreamResponse:
        """Answer the version."""
        details = {
            "ApiVersion": API_VERSION,
            "Arch": "amd64",
            "GitCommit": "311b9ff",
            "GoVersion": "go1.20.10",
            "KernelVersion": "6.1.0-28-amd64",
            "MinAPIVersion": _MIN_API_VERSION,
            "Os": "linux",
        }
        return _answer(
            {
                "Platform": {"Name": "Docker Engine - Community"},
                "Components": [
                    {"Name": "Engine", "Version": DOCKER_VERSION, "Details": details}
                ],
                "Version": DOCKER_VERSION,
                "ApiVersion": API_VERSION,
                "MinAPIVersion": _MIN_API_VERSION,
                "GitCommit": "311b9ff",
                "GoVersion": "go1.20.10",
                "Os": "linux",
                "Arch": "amd64",
                "KernelVersion": "6.1.0-28-amd64",
            }
        )

    @_route("GET", r"/info")
    async def _info(self, call: _Call) -> web.StreamResponse:
        """Answer the engine information."""
        host = call.host
        containers = list(host.containers.values())
        return _answer(
            {
                "ID": host.engine_id,
                "Containers": len(containers),
                "ContainersRunning": sum(c.state == "running" for c in containers),
                "ContainersPaused": sum(c.state == "paused" for c in containers),
                "ContainersStopped": sum(not c.is_running for c in containers),
                "Images": len(host.images),
                "Driver": "overlay2",
                "SystemTime": rfc3339(time.time()),
                "LoggingDriver": "json-file",
                "CgroupDriver": "systemd",
                "CgroupVersion": "2",
                "NEventsListener": len(host.subscribers),
                "KernelVersion": "6.1.0-28-amd64",
                "OperatingSystem": "Debian GNU/Linux 12 (bookworm)",
                "OSVersion": "12",
                "OSType": "linux",
                "Architecture": "x86_64",
                "NCPU": host.ncpu,
                "MemTotal": host.memory,
                "DockerRootDir": "/var/lib/docker",
                "Name": host.environment.name,
                "Labels": [],
                "ServerVersion": DOCKER_VERSION,
                "Swarm": {"LocalNodeState": "inactive", "ControlAvailable": False},
                "Warnings": None,
            }
        )

    @_route("GET", r"/containers/json")
    async def _containers(self, call: _Call) -> web.StreamResponse:
        """List containers, newest first, with all= and the common filters."""
        show_all = flag(call.query.get("all"), default=False)
        filters = parse_filters(call.query)
        listed = []
        for container in sorted(
            call.host.containers.values(), key=lambda item: -item.created
        ):
            if not show_all and not container.is_running:
                continue
            if not self._filtered(container, filters):
                continue
            listed.append(container_summary(container))
        return _answer(listed)

    def _filtered(self, container: Container, filters: dict[str, list[str]]) -> bool:
        """Return whether a container passes the status, label, name, id filters."""
        if "status" in filters and container.state not in filters["status"]:
            return False
        for label in filters.get("label", []):
            key, has_value, value = label.partition("=")
            if key not in container.labels:
                return False
            if has_value and container.labels[key] != value:
                return False
        names = filters.get("name", [])
        if names and not any(re.search(name, container.name) for name in names):
            return False
        ids = filters.get("id", [])
        return not ids or any(container.id.startswith(item) for item in ids)

    @_route("GET", r"/containers/(?P<id>[^/]+)/json")
    async def _container(self, call: _Call) -> web.StreamResponse:
        """Inspect a container."""
        return _answer(container_inspect(self._find(call.host, call.match["id"])))

    @_route("GET", r"/containers/(?P<id>[^/]+)/stats")
    async def _container_stats(self, call: _Call) -> web.StreamResponse:
        """Answer stats at the next collection tick, as Docker does."""
        host = call.host
        container = self._find(host, call.match["id"])
        stream = flag(call.query.get("stream"), default=True)
        one_shot = flag(call.query.get("one-shot"), default=False)
        if not container.is_running:
            # A stopped container has no cgroup: Docker answers zeros at once.
            return _answer(stats_json(host, container, None, None))

        tick = self._tick_now() + 1
        if not stream:
            previous = None
            if not one_shot:
                # Without one-shot Docker collects twice to fill precpu_stats.
                if not await self._until_tick(tick):
                    return _empty(503)
                previous = self._sample(host, container, tick)
                tick += 1
            if not await self._until_tick(tick):
                return _empty(503)
            sample = self._sample(host, container, tick)
            return _answer(stats_json(host, container, sample, previous))

        body = BodyStream(
            call.request, headers=_HEADERS | {"Content-Type": "application/json"}
        )
        await body.prepare()
        previous = None
        while container.is_running and await self._until_tick(tick):
            sample = self._sample(host, container, tick)
            frame = json.dumps(stats_json(host, container, sample, previous))
            if not await body.write(frame.encode() + b"\n"):
                break
            previous = sample
            tick += 1
        return await body.finish()

    @_route("POST", r"/containers/(?P<id>[^/]+)/(?P<action>start|stop|restart|kill)")
    async def _container_run_action(self, call: _Call) -> web.StreamResponse:
        """Start, stop, restart or kill a container."""
        host = call.host
        container = self._find(host, call.match["id"])
        action = call.match["action"]
        if action == "start":
            if container.state == "paused":
                raise DockerError(
                    409, "cannot start a paused container, try unpause instead"
                )
            if container.is_running:
                return _empty(304)
            self._start(host, container)
        elif action == "stop":
            if not container.is_running:
                return _empty(304)
            self._halt(host, container, 0, ("kill", "die", "stop"))
        elif action == "restart":
            if container.is_running:
                self._halt(host, container, 0, ("kill", "die", "stop"))
            self._start(host, container)
            self._emit_container(host, container, "restart")
        else:
            if not container.is_running:
                message = f"Container {container.id} is not running"
                reference = call.match["id"]
                raise DockerError(409, f"Cannot kill container: {reference}: {message}")
            self._halt(host, container, 137, ("kill", "die"))
        return _empty(204)

    @_route("POST", r"/containers/(?P<id>[^/]+)/(?P<action>pause|unpause)")
    async def _container_pause_action(self, call: _Call) -> web.StreamResponse:
        """Pause or unpause a container."""
        host = call.host
        container = self._find(host, call.match["id"])
        if call.match["action"] == "pause":
            if container.state == "paused":
                raise DockerError(409, f"Container {container.id} is already paused")
            if not container.is_running:
                raise DockerError(409, f"Container {container.id} is not running")
            container.state = "paused"
            self._emit_container(host, container, "pause")
        else:
            if container.state != "paused":
                raise DockerError(409, f"Container {container.id} is not paused")
            container.state = "running"
            self._emit_container(host, container, "unpause")
        return _empty(204)

    @_route("DELETE", r"/containers/(?P<id>[^/]+)")
    async def _container_remove(self, call: _Call) -> web.StreamResponse:
        """Remove a container; a running one only with force."""
        host = call.host
        container = self._find(host, call.match["id"])
        if container.is_running and not flag(call.query.get("force"), default=False):
            raise DockerError(
                409,
                f"You cannot remove a {container.state} container {container.id}. "
                "Stop the container before attempting removal or force remove",
            )
        if container.is_running:
            self._halt(host, container, 137, ("kill", "die"))
        del host.containers[container.id]
        self._emit_container(host, container, "destroy")
        return _empty(204)

    @_route("GET", r"/images/json")
    async def _images(self, call: _Call) -> web.StreamResponse:
        """List images."""
        host = call.host
        return _answer([image_summary(host, image) for image in host.images])

    @_route("GET", r"/images/(?P<name>.+)/json")
    async def _image(self, call: _Call) -> web.StreamResponse:
        """Inspect an image by name[:tag], Id or unique Id prefix."""
        host = call.host
        return _answer(image_inspect(host, self._find_image(host, call.match["name"])))

    @_route("GET", r"/distribution/(?P<name>.+)/json")
    async def _distribution(self, call: _Call) -> web.StreamResponse:
        """Answer the registry's manifest of an image the engine knows by name."""
        name = call.match["name"]
        reference = name if _has_tag(name) else f"{name}:latest"
        if not any(reference in image.tags for image in call.host.images):
            raise DockerError(404, f"manifest unknown: {name}")
        return _answer(distribution_inspect(reference))

    @_route("POST", r"/images/prune")
    async def _images_prune(self, call: _Call) -> web.StreamResponse:
        """Prune unused images; only the filters parameter counts, as in Docker."""
        host = call.host
        filters = parse_filters(call.query)
        dangling = filters.get("dangling", ["true"])[0].lower() not in ("false", "0")
        cutoff = None
        if filters.get("until"):
            cutoff = time.time() - go_duration(filters["until"][0])
        used = {container.image_id for container in host.containers.values()}

        deleted: list[dict[str, str]] = []
        reclaimed = 0
        for image in list(host.images):
            if image.id in used or (dangling and image.tags):
                continue
            if cutoff is not None and image.created > cutoff:
                continue
            deleted.extend({"Untagged": tag} for tag in image.tags)
            deleted.append({"Deleted": image.id})
            reclaimed += image.size
            host.images.remove(image)
            self._emit(host, "image", "delete", image.id, {"name": image.id})
        return _answer({"ImagesDeleted": deleted or None, "SpaceReclaimed": reclaimed})

    @_route("GET", r"/volumes")
    async def _volumes(self, call: _Call) -> web.StreamResponse:
        """List volumes."""
        return _answer({"Volumes": self._volume_list(call.host), "Warnings": None})

    def _volume_list(self, host: Host) -> list[dict[str, Any]]:
        """Return the volumes as the API lists them."""
        return [
            {
                "CreatedAt": rfc3339(self._wall_epoch - 7 * 86400)[:19] + "Z",
                "Driver": "local",
                "Labels": {},
                "Mountpoint": f"/var/lib/docker/volumes/{name}/_data",
                "Name": name,
                "Options": {},
                "Scope": "local",
            }
            for name in host.volumes
        ]

    @_route("GET", r"/system/df")
    async def _system_df(self, call: _Call) -> web.StreamResponse:
        """Answer disk usage in the shape of API versions before 1.52."""
        host = call.host
        wanted = set(call.query.getall("type", [])) or {
            "container",
            "image",
            "volume",
            "build-cache",
        }
        images = [image_summary(host, image) for image in host.images]
        usage: dict[str, Any] = {"LayersSize": sum(image.size for image in host.images)}
        usage["Images"] = images if "image" in wanted else None
        containers = []
        for container in host.containers.values():
            summary = container_summary(container)
            summary["SizeRw"] = container.memory // 8
            summary["SizeRootFs"] = container.memory // 8 + 100_000_000
            containers.append(summary)
        usage["Containers"] = containers if "container" in wanted else None
        volumes = []
        for volume in self._volume_list(host):
            volume["UsageData"] = {"Size": 50_000_000, "RefCount": 1}
            volumes.append(volume)
        usage["Volumes"] = volumes if "volume" in wanted else None
        usage["BuildCache"] = [] if "build-cache" in wanted else None
        return _answer(usage)

    @_route("GET", r"/events")
    async def _events(self, call: _Call) -> web.StreamResponse:
        """Stream events: those since since=, then new ones until until= or stop."""
        host = call.host
        filters = parse_filters(call.query)
        try:
            since = float(call.query["since"]) if "since" in call.query else None
            until = float(call.query["until"]) if "until" in call.query else None
        except ValueError as err:
            raise DockerError(400, f"invalid time: {err}") from err

        body = BodyStream(
            call.request, headers=_HEADERS | {"Content-Type": "application/json"}
        )
        await body.prepare()
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        host.subscribers.add(queue)
        try:
            if since is not None:
                for past in list(host.events):
                    if since <= past["time"] and (
                        until is None or past["time"] <= until
                    ):
                        queue.put_nowait(past)
            while True:
                event = await self._next_event(queue, until)
                if event is None:
                    break
                if event_wanted(filters, event):
                    line = json.dumps(event, separators=(",", ":")) + "\n"
                    if not await body.write(line.encode()):
                        break
        finally:
            host.subscribers.discard(queue)
        return await body.finish()

    async def _next_event(
        self, queue: asyncio.Queue[dict[str, Any] | None], until: float | None
    ) -> dict[str, Any] | None:
        """Return the next event, or None at until=, at stop or at the end."""
        if self._stopping.is_set():
            return None
        timeout = None if until is None else until - time.time()
        if timeout is not None and timeout <= 0:
            return None if queue.empty() else queue.get_nowait()
        try:
            async with asyncio.timeout(timeout):
                return await queue.get()
        except TimeoutError:
            return None
