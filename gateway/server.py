"""The Portainer-compatible gateway: Portainer's API in front of a Docker side."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from typing import TYPE_CHECKING, Any, Self
import zlib

from aiohttp import web

from .backend import Backend, wait_unless_stopped
from .config import (
    Environment,
    EnvironmentStatus,
    EnvironmentType,
    GatewayConfig,
    default_environments,
)
from .engine import EngineBackend
from .faults import FaultKind, FaultRegistry
from .request_log import RequestLog, RequestRecord
from .responses import (
    GatewayError,
    apply_body_fault,
    current_record,
    json_response,
    portainer_error,
)
from .synthetic import SyntheticBackend

if TYPE_CHECKING:
    from types import TracebackType

    from aiohttp.typedefs import Handler

_LOGGER = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
CONTROL_PREFIX = "/__gateway"
ADMIN = "admin"
RESTRICTED = "restricted"
_PUBLIC_PATHS = frozenset({"/api/system/status", "/api/status"})
# The restricted key is read-only: admin-only routes (container actions,
# recreate, prunes, stack start/stop) all use other methods.
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_STACK_TYPE_COMPOSE = 2
_STACK_ACTIVE = 1
_STACK_INACTIVE = 2
# In-flight handlers get this long to finish when the gateway stops.
_SHUTDOWN_TIMEOUT = 1.0


class Gateway:
    """A Portainer-compatible HTTP server in front of an engine or generated data.

    Start it with ``url = await gateway.start()`` (or ``async with``), add
    faults with ``gateway.faults.add(...)``, read what was served from
    ``gateway.requests`` and take an environment down with
    ``gateway.environment(1).status = EnvironmentStatus.DOWN``.
    """

    def __init__(self, config: GatewayConfig) -> None:
        """Prepare the gateway; nothing listens before start()."""
        self.config = config
        self.faults = FaultRegistry()
        self.requests = RequestLog()
        environments = (
            config.environments
            if config.environments is not None
            else default_environments(config)
        )
        self.environments: dict[int, Environment] = {
            environment.id: environment for environment in environments
        }
        self._stopping = asyncio.Event()
        self.backend: Backend
        if config.synthetic is not None:
            self.backend = SyntheticBackend(
                config.synthetic, environments, self._stopping
            )
        else:
            self.backend = EngineBackend(config.engine_socket, environments)
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._started = int(time.time())
        self._snapshots: dict[int, tuple[float, dict[str, Any]]] = {}
        self._stack_ids: dict[tuple[int, str], int] = {}
        self._stack_keys: dict[int, tuple[int, str]] = {}

    # Life cycle

    async def start(self) -> str:
        """Listen and return the base URL (prefix included, no trailing slash)."""
        if self._runner is not None:
            raise RuntimeError("The gateway is already running")
        self._stopping.clear()
        runner = web.AppRunner(
            self._application(),
            handle_signals=False,
            access_log=None,
            shutdown_timeout=_SHUTDOWN_TIMEOUT,
            # Like Go's servers: a client that goes away cancels its request,
            # which also closes proxied engine streams.
            handler_cancellation=True,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        if ":" in host:
            host = f"[{host}]"
        self._url = f"http://{host}:{port}{self.config.prefix}"
        _LOGGER.info("Gateway listening at %s", self._url)
        return self._url

    async def stop(self) -> None:
        """End open streams and waits, close connections and stop listening."""
        self._stopping.set()
        await self.backend.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            _LOGGER.info("Gateway at %s stopped", self._url)

    async def __aenter__(self) -> Self:
        """Start the gateway."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the gateway."""
        await self.stop()

    @property
    def url(self) -> str:
        """Return the base URL, e.g. http://127.0.0.1:41234/portainer."""
        if self._url is None:
            raise RuntimeError("The gateway has not been started")
        return self._url

    @property
    def root_url(self) -> str:
        """Return the URL without the prefix, where the control routes live."""
        return self.url.removesuffix(self.config.prefix)

    @property
    def admin_headers(self) -> dict[str, str]:
        """Return the headers that authenticate with the admin key."""
        return {API_KEY_HEADER: self.config.admin_key}

    @property
    def restricted_headers(self) -> dict[str, str]:
        """Return the headers that authenticate with the restricted key."""
        return {API_KEY_HEADER: self.config.restricted_key}

    def environment(self, environment_id: int) -> Environment:
        """Return an environment; change its status to take it down or up."""
        return self.environments[environment_id]

    # Application

    def _application(self) -> web.Application:
        """Return the aiohttp application with Portainer's and the control routes."""
        app = web.Application(middlewares=[self._front, self._authenticate])
        api = f"{self.config.prefix}/api"
        router = app.router
        router.add_get(f"{api}/system/status", self._system_status)
        router.add_get(f"{api}/status", self._system_status)
        router.add_get(f"{api}/endpoints", self._list_environments)
        router.add_get(f"{api}/endpoints/{{endpoint_id:\\d+}}", self._get_environment)
        router.add_route(
            "*",
            f"{api}/endpoints/{{endpoint_id:\\d+}}/docker{{path:(/.*)?}}",
            self._docker,
        )
        router.add_post(
            f"{api}/docker/{{endpoint_id:\\d+}}/containers/{{container}}/recreate",
            self._recreate,
        )
        router.add_get(f"{api}/stacks", self._list_stacks)
        router.add_get(f"{api}/stacks/{{stack_id:\\d+}}", self._get_stack)
        router.add_post(
            f"{api}/stacks/{{stack_id:\\d+}}/{{action:start|stop}}", self._stack_action
        )

        control = CONTROL_PREFIX
        router.add_get(f"{control}/faults", self._control_faults)
        router.add_post(f"{control}/faults", self._control_add_fault)
        router.add_delete(f"{control}/faults", self._control_clear_faults)
        router.add_delete(
            f"{control}/faults/{{fault_id:\\d+}}", self._control_remove_fault
        )
        router.add_get(f"{control}/requests", self._control_requests)
        router.add_delete(f"{control}/requests", self._control_clear_requests)
        router.add_patch(
            f"{control}/environments/{{endpoint_id:\\d+}}", self._control_environment
        )
        return app

    def _local_path(self, path: str) -> str | None:
        """Return the path after the prefix, or None when it is outside it."""
        prefix = self.config.prefix
        if not prefix:
            return path
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :] or "/"
        return None

    @web.middleware
    async def _front(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Record the request, apply its faults and turn errors into answers."""
        if request.path.startswith(CONTROL_PREFIX + "/"):
            return await handler(request)
        path = self._local_path(request.path)
        record = self.requests.record(
            request.method, request.path if path is None else path, request.query_string
        )
        token = current_record.set(record)
        try:
            return await self._answer(request, handler, record)
        except web.HTTPException as err:
            record.bytes_sent = len(err.body) if isinstance(err.body, bytes) else 0
            record.finish(err.status)
            raise
        finally:
            current_record.reset(token)
            if not record.done:
                # Cancelled because the client left, or an unexpected error:
                # what was sent is a streamed answer's status or nothing.
                record.finish(record.status or 0)

    async def _answer(
        self, request: web.Request, handler: Handler, record: RequestRecord
    ) -> web.StreamResponse:
        """Answer a request, with its faults applied."""
        faults = self.faults.take(request.method, record.path)
        delay = sum(
            fault.seconds for fault in faults if fault.kind is FaultKind.LATENCY
        )
        replacing = next(
            (fault for fault in faults if fault.kind is not FaultKind.LATENCY), None
        )
        if delay:
            record.fault = FaultKind.LATENCY
            await wait_unless_stopped(self._stopping, delay)

        if replacing is not None:
            record.fault = replacing.kind
            if replacing.kind is FaultKind.STATUS:
                injected = self._fault_status(replacing.status)
                body = injected.body
                record.bytes_sent = len(body) if isinstance(body, bytes) else 0
                record.finish(injected.status)
                return injected
            if replacing.kind is FaultKind.TIMEOUT:
                await wait_unless_stopped(self._stopping, replacing.seconds)
            if replacing.kind in (FaultKind.DROP, FaultKind.TIMEOUT):
                if request.transport is not None:
                    request.transport.close()
                record.finish(0)
                # Never sent: the connection is closed.
                return web.Response(status=500)

        try:
            response = await handler(request)
        except GatewayError as err:
            response = err.response()
        if isinstance(response, web.Response) and not response.prepared:
            apply_body_fault(response, record.fault)
            body = response.body
            record.bytes_sent = len(body) if isinstance(body, bytes) else 0
        record.finish(response.status)
        return response

    @staticmethod
    def _fault_status(status: int) -> web.Response:
        """Return the answer of an injected status."""
        if status in (204, 304) or status < 200:  # noqa: PLR2004
            return web.Response(status=status)
        return portainer_error(
            status, "Injected fault", f"HTTP {status} injected by the gateway"
        )

    @web.middleware
    async def _authenticate(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Check the X-API-Key header; the restricted key may only read."""
        path = self._local_path(request.path)
        if (
            path is None
            or path in _PUBLIC_PATHS
            or request.path.startswith(CONTROL_PREFIX + "/")
        ):
            return await handler(request)

        key = request.headers.get(API_KEY_HEADER)
        if not key:
            return portainer_error(
                401, "Unauthorized", "A valid authorisation token is missing"
            )
        if hmac.compare_digest(key, self.config.admin_key):
            role = ADMIN
        elif hmac.compare_digest(key, self.config.restricted_key):
            role = RESTRICTED
        else:
            return portainer_error(401, "Unauthorized", "Invalid API key")

        record = current_record.get()
        if record is not None:
            record.role = role
        if role == RESTRICTED and request.method not in _READ_METHODS:
            return portainer_error(
                403, "Access denied to resource", "Access denied to resource"
            )
        return await handler(request)

    # Portainer routes

    async def _system_status(self, request: web.Request) -> web.StreamResponse:
        """Answer the version and instance id, without authentication."""
        return json_response(
            {"Version": self.config.version, "InstanceID": self.config.instance_id}
        )

    def _find_environment(self, request: web.Request) -> Environment:
        """Return the environment of the endpoint_id route part."""
        environment = self.environments.get(int(request.match_info["endpoint_id"]))
        if environment is None:
            raise GatewayError(
                404,
                "Unable to find an environment with the specified identifier "
                "inside the database",
                "object not found inside the database",
            )
        return environment

    async def _list_environments(self, request: web.Request) -> web.StreamResponse:
        """List the environments with their snapshots."""
        types = {
            int(value)
            for name in ("types", "types[]")
            for value in request.query.getall(name, [])
            if value.isdigit()
        }
        environments = [
            await self._environment_json(environment)
            for environment in sorted(self.environments.values(), key=lambda e: e.id)
            if not types or environment.type in types
        ]
        return json_response(
            environments, headers={"X-Total-Count": str(len(environments))}
        )

    async def _get_environment(self, request: web.Request) -> web.StreamResponse:
        """Answer one environment."""
        return json_response(
            await self._environment_json(self._find_environment(request))
        )

    async def _environment_json(self, environment: Environment) -> dict[str, Any]:
        """Return an environment as Portainer lists it."""
        status = environment.status
        snapshots: list[dict[str, Any]] = []
        kubernetes: list[dict[str, Any]] = []
        if environment.has_docker_api:
            snapshot, reachable = await self._snapshot(environment)
            if snapshot is not None:
                snapshots.append(snapshot)
            if not reachable:
                status = EnvironmentStatus.DOWN
        elif environment.type >= EnvironmentType.KUBERNETES:
            kubernetes.append(
                {
                    "Time": self._started,
                    "KubernetesVersion": "v1.30.2",
                    "NodeCount": 1,
                    "TotalCPU": 4,
                    "TotalMemory": 8 * 1024**3,
                }
            )
        return {
            "Id": environment.id,
            "Name": environment.name,
            "Type": int(environment.type),
            "URL": environment.url,
            "PublicURL": "",
            "GroupId": 1,
            "Status": int(status),
            "TagIds": [],
            "EdgeID": "",
            "Snapshots": snapshots,
            "Kubernetes": {"Snapshots": kubernetes},
        }

    async def _snapshot(
        self, environment: Environment
    ) -> tuple[dict[str, Any] | None, bool]:
        """Return the environment's snapshot and whether it was reachable.

        An unreachable environment keeps its last snapshot, as in Portainer.
        """
        cached = self._snapshots.get(environment.id)
        if not environment.is_up or not self.backend.serves(environment):
            return (None if cached is None else cached[1]), environment.is_up
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.config.snapshot_ttl:
            return cached[1], True

        try:
            facts = await self.backend.facts(environment)
            stacks = len(await self.backend.projects(environment))
        except GatewayError as err:
            _LOGGER.debug("No snapshot of environment %s: %s", environment.id, err)
            return (None if cached is None else cached[1]), False
        snapshot = {
            "Time": int(time.time()),
            "DockerVersion": facts.docker_version,
            "Swarm": False,
            "TotalCPU": facts.total_cpu,
            "TotalMemory": facts.total_memory,
            "ContainerCount": facts.containers,
            "RunningContainerCount": facts.running,
            "StoppedContainerCount": facts.stopped,
            # Real Portainer leaves these at 0 in the environment list.
            "HealthyContainerCount": 0,
            "UnhealthyContainerCount": 0,
            "VolumeCount": facts.volumes,
            "ImageCount": facts.images,
            "ServiceCount": 0,
            "StackCount": stacks,
            "NodeCount": 1,
            "GpuUseAll": False,
            "GpuUseList": [],
            "IsPodman": False,
        }
        self._snapshots[environment.id] = (now, snapshot)
        return snapshot, True

    async def _docker(self, request: web.Request) -> web.StreamResponse:
        """Forward a Docker API request to the environment's engine."""
        environment = self._find_environment(request)
        if not environment.has_docker_api:
            # Portainer hands the request to the Kubernetes API, which has
            # no such route.
            return web.Response(status=404, text="404 page not found\n")
        if not environment.is_up or not self.backend.serves(environment):
            # Go's reverse proxy answers an unreachable engine with an empty 502.
            return web.Response(status=502)

        marker = f"/api/endpoints/{request.match_info['endpoint_id']}/docker"
        raw = request.raw_path
        path = raw[raw.index(marker) + len(marker) :]
        if not path.startswith("/"):
            path = "/" + path
        return await self.backend.docker(request, environment, path)

    async def _recreate(self, request: web.Request) -> web.StreamResponse:
        """Recreate a container, optionally pulling its image first."""
        environment = self._find_environment(request)
        payload: Any = {}
        if request.body_exists:
            try:
                payload = await request.json()
            except ValueError as err:
                raise GatewayError(400, "Invalid request payload", str(err)) from err
        if not isinstance(payload, dict) or not isinstance(
            payload.get("PullImage", False), bool
        ):
            raise GatewayError(400, "Invalid request payload", "PullImage: bool")
        if (
            not environment.has_docker_api
            or not environment.is_up
            or not self.backend.serves(environment)
        ):
            raise GatewayError(
                500, "Error recreating container", "the environment is unreachable"
            )
        container = await self.backend.recreate(
            environment,
            request.match_info["container"],
            bool(payload.get("PullImage", False)),
        )
        return json_response(container)

    def _stack_id(self, environment_id: int, name: str) -> int:
        """Return a stack id that stays the same for a project name."""
        key = (environment_id, name)
        if key not in self._stack_ids:
            stack_id = zlib.crc32(f"{environment_id}/{name}".encode()) % 99_999 + 1
            while stack_id in self._stack_keys:
                stack_id = stack_id % 99_999 + 1
            self._stack_ids[key] = stack_id
            self._stack_keys[stack_id] = key
        return self._stack_ids[key]

    def _stack_json(
        self, environment: Environment, name: str, running: bool
    ) -> dict[str, Any]:
        """Return a compose project as Portainer lists a stack."""
        stack_id = self._stack_id(environment.id, name)
        return {
            "Id": stack_id,
            "Name": name,
            "Type": _STACK_TYPE_COMPOSE,
            "EndpointId": environment.id,
            "SwarmId": "",
            "EntryPoint": "docker-compose.yml",
            "Env": [],
            "ResourceControl": None,
            "Status": _STACK_ACTIVE if running else _STACK_INACTIVE,
            "ProjectPath": f"/data/compose/{stack_id}",
            "CreationDate": self._started,
            "CreatedBy": "admin",
            "UpdateDate": 0,
            "UpdatedBy": "",
            "AdditionalFiles": None,
            "AutoUpdate": None,
            "Option": None,
            "GitConfig": None,
            "FromAppTemplate": False,
            "Namespace": "",
            "IsComposeFormat": False,
        }

    async def _stacks(self, environment_id: int | None) -> list[dict[str, Any]]:
        """Return the stacks of one environment or all."""
        stacks: list[dict[str, Any]] = []
        for environment in sorted(self.environments.values(), key=lambda e: e.id):
            if environment_id is not None and environment.id != environment_id:
                continue
            if not environment.has_docker_api or not self.backend.serves(environment):
                continue
            projects = await self.backend.projects(environment)
            stacks.extend(
                self._stack_json(environment, name, running)
                for name, running in sorted(projects.items())
            )
        return stacks

    async def _list_stacks(self, request: web.Request) -> web.StreamResponse:
        """List stacks, filtered by filters={"EndpointID": n}."""
        environment_id = _endpoint_filter(request.query.get("filters"))
        return json_response(await self._stacks(environment_id))

    async def _find_stack(self, stack_id: int) -> tuple[Environment, str, bool]:
        """Return a stack's environment, project name and whether it runs."""
        if stack_id not in self._stack_keys:
            await self._stacks(None)
        key = self._stack_keys.get(stack_id)
        if key is not None and key[0] in self.environments:
            environment = self.environments[key[0]]
            if self.backend.serves(environment):
                projects = await self.backend.projects(environment)
                if key[1] in projects:
                    return environment, key[1], projects[key[1]]
        raise GatewayError(
            404,
            "Unable to find a stack with the specified identifier inside the database",
            "object not found inside the database",
        )

    async def _get_stack(self, request: web.Request) -> web.StreamResponse:
        """Answer one stack."""
        environment, name, running = await self._find_stack(
            int(request.match_info["stack_id"])
        )
        return json_response(self._stack_json(environment, name, running))

    async def _stack_action(self, request: web.Request) -> web.StreamResponse:
        """Start or stop a stack's containers."""
        action = request.match_info["action"]
        if not request.query.get("endpointId", "").isdigit():
            raise GatewayError(
                400, "Invalid query parameter: endpointId", "missing or not a number"
            )
        environment, name, running = await self._find_stack(
            int(request.match_info["stack_id"])
        )
        start = action == "start"
        if start and running:
            raise GatewayError(400, "Stack is already active")
        if not start and not running:
            raise GatewayError(400, "Stack is already inactive")
        if not environment.is_up:
            raise GatewayError(
                500, f"Unable to {action} stack", "the environment is unreachable"
            )
        await self.backend.set_project_running(environment, name, start)
        projects = await self.backend.projects(environment)
        return json_response(
            self._stack_json(environment, name, projects.get(name, False))
        )

    # Control routes (no key needed; they are test infrastructure)

    async def _control_faults(self, request: web.Request) -> web.StreamResponse:
        """List the active faults."""
        return json_response([fault.as_dict() for fault in self.faults])

    async def _control_add_fault(self, request: web.Request) -> web.StreamResponse:
        """Add a fault from {"kind", "path", "method", "status", "seconds", "count"}."""
        try:
            payload = await request.json()
            fault = self.faults.add(
                payload["kind"],
                payload.get("path", ""),
                method=payload.get("method"),
                status=int(payload.get("status", 500)),
                seconds=payload.get("seconds"),
                count=payload.get("count"),
            )
        except (ValueError, KeyError, TypeError) as err:
            return json_response({"message": f"Invalid fault: {err}"}, 400)
        return json_response(fault.as_dict(), 201)

    async def _control_clear_faults(self, request: web.Request) -> web.StreamResponse:
        """Remove all faults."""
        self.faults.clear()
        return web.Response(status=204)

    async def _control_remove_fault(self, request: web.Request) -> web.StreamResponse:
        """Remove one fault."""
        if self.faults.remove(int(request.match_info["fault_id"])):
            return web.Response(status=204)
        return json_response({"message": "No such fault"}, 404)

    async def _control_requests(self, request: web.Request) -> web.StreamResponse:
        """List the recorded requests (path= filters by regex) and their counts."""
        records = self.requests.find(request.query.get("path", ""))
        return json_response(
            {
                "requests": [record.as_dict() for record in records],
                "counts": self.requests.by_route(),
            }
        )

    async def _control_clear_requests(self, request: web.Request) -> web.StreamResponse:
        """Forget the recorded requests."""
        self.requests.clear()
        return web.Response(status=204)

    async def _control_environment(self, request: web.Request) -> web.StreamResponse:
        """Set an environment's status from {"Status": 1 or 2}."""
        environment = self.environments.get(int(request.match_info["endpoint_id"]))
        if environment is None:
            return json_response({"message": "No such environment"}, 404)
        try:
            payload = await request.json()
            environment.status = EnvironmentStatus(int(payload["Status"]))
        except (ValueError, KeyError, TypeError) as err:
            return json_response({"message": f"Invalid status: {err}"}, 400)
        return json_response(await self._environment_json(environment))


def _endpoint_filter(raw: str | None) -> int | None:
    """Return the EndpointID of a stacks filters parameter, if any."""
    if not raw:
        return None
    try:
        filters = json.loads(raw)
    except ValueError as err:
        raise GatewayError(400, "Invalid query parameter: filters", str(err)) from err
    value = filters.get("EndpointID") if isinstance(filters, dict) else None
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as err:
        raise GatewayError(400, "Invalid query parameter: filters", str(err)) from err
