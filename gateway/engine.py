"""The gateway's Docker side backed by a real engine on a unix socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp
from aiohttp import web
from yarl import URL

from .backend import COMPOSE_PROJECT_LABEL, EngineFacts
from .responses import BodyStream, GatewayError

if TYPE_CHECKING:
    from .config import Environment

_LOGGER = logging.getLogger(__name__)

# The host part is ignored on a unix socket but needed for a valid URL.
_BASE = "http://docker"
# Stops wait up to the container's stop timeout (10 s by default).
_CALL_TIMEOUT = aiohttp.ClientTimeout(total=120, sock_connect=10)
# Streams (events, stats, pulls) stay open as long as the client wants.
_PROXY_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=10)
# Bodies up to this size are read whole; larger ones (image loads) stream.
_BUFFERED_BODY = 1 << 20
_CHUNK = 1 << 16

# Connection-level headers a proxy must not forward (RFC 9110 7.6.1), plus
# the ones the proxy recomputes or keeps to itself.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "host",
    }
)
_REQUEST_ONLY = frozenset({"x-api-key", "authorization", "cookie"})
_RUNNING_STATES = frozenset({"running", "paused", "restarting"})
_STOPPED_STATES = frozenset({"exited", "created", "dead"})
# Networks a container cannot be disconnected from.
_FIXED_NETWORKS = frozenset({"none", "host"})
# Endpoint settings Docker assigns itself; a create must not carry them.
_ENDPOINT_KEYS = ("IPAMConfig", "Links", "Aliases", "DriverOpts", "MacAddress")


class EngineError(Exception):
    """The engine answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        """Keep the status and Docker's message."""
        super().__init__(f"Error response from daemon: {message}")
        self.status = status
        self.message = message


class EngineClient:
    """A small client for the Docker Engine API on a unix socket."""

    def __init__(self, socket_path: str) -> None:
        """Remember the socket; the session opens on first use."""
        self.socket_path = socket_path
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """Return the session, opening it in the running loop when needed."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.UnixConnector(path=self.socket_path),
                # The proxy forwards bodies byte for byte, compressed or not.
                auto_decompress=False,
            )
        return self._session

    async def close(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Any:
        """Call the API; return the decoded JSON (None for no body).

        Raises EngineError for an error status and OSError or
        aiohttp.ClientError when the engine cannot be reached.
        """
        async with self.session.request(
            method,
            _BASE + path,
            params=params,
            json=body,
            timeout=_CALL_TIMEOUT,
        ) as response:
            text = await response.text()
            if response.status >= 400:  # noqa: PLR2004
                raise EngineError(response.status, _error_message(text))
            if not text.strip():
                return None
            return json.loads(text)

    async def ping(self) -> bool:
        """Return whether the engine answers."""
        try:
            async with self.session.get(
                _BASE + "/_ping", timeout=aiohttp.ClientTimeout(total=5)
            ) as response:
                return response.status == 200  # noqa: PLR2004
        except (aiohttp.ClientError, OSError, TimeoutError):
            return False

    async def pull(self, image: str) -> None:
        """Pull an image; raise EngineError when the engine reports a failure."""
        name, tag = split_image_reference(image)
        params = {"fromImage": name}
        if tag:
            params["tag"] = tag
        async with self.session.post(
            _BASE + "/images/create", params=params, timeout=_CALL_TIMEOUT
        ) as response:
            text = await response.text()
            if response.status >= 400:  # noqa: PLR2004
                raise EngineError(response.status, _error_message(text))

        # A pull answers 200 and reports failures inside its progress stream.
        for line in text.splitlines():
            try:
                progress = json.loads(line)
            except ValueError:
                continue
            if isinstance(progress, dict) and progress.get("error"):
                raise EngineError(500, str(progress["error"]))


def _error_message(text: str) -> str:
    """Return Docker's error message from an error body."""
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()
    if isinstance(data, dict) and "message" in data:
        return str(data["message"])
    return text.strip()


def split_image_reference(image: str) -> tuple[str, str]:
    """Split "repo[:tag][@digest]" into the fromImage and tag of a pull."""
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, digest
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = image.rsplit(":", 1)
        return name, tag
    return image, "latest"


def _path(container: str) -> str:
    """Return the API path of a container by id or name."""
    return f"/containers/{quote(container, safe='')}"


class EngineBackend:
    """Forwards Docker API requests to a real engine, as Portainer's proxy does."""

    def __init__(self, socket_path: str, environments: Iterable[Environment]) -> None:
        """Serve the environments that have a Docker API and are up at start."""
        self.client = EngineClient(socket_path)
        # Answers being streamed; closing the session alone does not end them.
        self._upstreams: set[aiohttp.ClientResponse] = set()
        self._served = {
            environment.id
            for environment in environments
            if environment.has_docker_api and environment.is_up
        }

    def serves(self, environment: Environment) -> bool:
        """Return whether the environment is backed by the engine."""
        return environment.id in self._served

    async def close(self) -> None:
        """End the proxied streams and close the engine connections."""
        for upstream in list(self._upstreams):
            upstream.close()
        await self.client.close()

    async def docker(
        self, request: web.Request, environment: Environment, path: str
    ) -> web.StreamResponse:
        """Forward the request unchanged and stream the answer back."""
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in _HOP_BY_HOP | _REQUEST_ONLY
        }
        data: bytes | AsyncIterator[bytes] | None = None
        if request.body_exists:
            length = request.content_length
            if length is not None and length <= _BUFFERED_BODY:
                data = await request.read()
            else:
                data = request.content.iter_chunked(_CHUNK)

        try:
            upstream = await self.client.session.request(
                request.method,
                URL(_BASE + path, encoded=True),
                headers=headers,
                data=data,
                allow_redirects=False,
                timeout=_PROXY_TIMEOUT,
                # The proxy must not add headers the client did not send.
                skip_auto_headers=(
                    "Accept",
                    "Accept-Encoding",
                    "Content-Type",
                    "User-Agent",
                ),
            )
        except (aiohttp.ClientError, OSError) as err:
            # Go's reverse proxy answers an unreachable backend this way.
            _LOGGER.warning(
                "Engine unreachable for %s %s: %s", request.method, path, err
            )
            return web.Response(status=502)

        self._upstreams.add(upstream)
        try:
            answer_headers = {
                name: value
                for name, value in upstream.headers.items()
                if name.lower() not in _HOP_BY_HOP
            }
            stream = BodyStream(
                request,
                status=upstream.status,
                headers=answer_headers,
                content_length=upstream.content_length,
            )
            await stream.prepare()
            if request.method != "HEAD":
                try:
                    async for chunk in upstream.content.iter_any():
                        if not await stream.write(chunk):
                            break
                except aiohttp.ClientError as err:
                    # The engine went away mid-answer (or the gateway is
                    # stopping): end what was sent, as Go's proxy does.
                    _LOGGER.debug("Engine answer to %s ended early: %s", path, err)
            return await stream.finish()
        finally:
            self._upstreams.discard(upstream)
            upstream.release()

    async def facts(self, environment: Environment) -> EngineFacts:
        """Return the snapshot figures read from the engine now."""
        try:
            info, images, volumes = await asyncio.gather(
                self.client.call("GET", "/info"),
                self.client.call("GET", "/images/json"),
                self.client.call("GET", "/volumes"),
            )
        except (EngineError, aiohttp.ClientError, OSError, TimeoutError) as err:
            raise GatewayError(
                502, "Unable to reach the environment", str(err)
            ) from err
        return EngineFacts(
            docker_version=str(info.get("ServerVersion", "")),
            total_cpu=int(info.get("NCPU", 0)),
            total_memory=int(info.get("MemTotal", 0)),
            containers=int(info.get("Containers", 0)),
            running=int(info.get("ContainersRunning", 0)),
            stopped=int(info.get("ContainersStopped", 0)),
            volumes=len(volumes.get("Volumes") or []),
            images=len(images or []),
        )

    async def _project_containers(
        self, project: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the containers with a compose project label (or this one)."""
        label = COMPOSE_PROJECT_LABEL
        if project is not None:
            label = f"{label}={project}"
        containers = await self.client.call(
            "GET",
            "/containers/json",
            params={"all": "1", "filters": json.dumps({"label": [label]})},
        )
        return list(containers or [])

    async def projects(self, environment: Environment) -> dict[str, bool]:
        """Return the compose projects found in container labels."""
        try:
            containers = await self._project_containers()
        except (EngineError, aiohttp.ClientError, OSError, TimeoutError) as err:
            raise GatewayError(500, "Unable to retrieve stacks", str(err)) from err
        projects: dict[str, bool] = {}
        for container in containers:
            name = (container.get("Labels") or {}).get(COMPOSE_PROJECT_LABEL)
            if not name:
                continue
            running = container.get("State") == "running"
            projects[name] = projects.get(name, False) or running
        return projects

    async def set_project_running(
        self, environment: Environment, project: str, running: bool
    ) -> None:
        """Start the stopped containers of a project, or stop the running ones."""
        action = "start" if running else "stop"
        try:
            containers = await self._project_containers(project)
            targets = [
                container["Id"]
                for container in containers
                if container.get("State")
                in (_STOPPED_STATES if running else _RUNNING_STATES)
            ]
            await asyncio.gather(
                *(
                    self.client.call("POST", f"{_path(target)}/{action}")
                    for target in targets
                )
            )
        except (EngineError, aiohttp.ClientError, OSError, TimeoutError) as err:
            raise GatewayError(500, f"Unable to {action} stack", str(err)) from err

    async def recreate(
        self, environment: Environment, container: str, pull: bool
    ) -> dict[str, Any]:
        """Recreate a container as Portainer does; roll back on failure."""
        try:
            return await _Recreation(self.client, container, pull).run()
        except (EngineError, aiohttp.ClientError, OSError, TimeoutError) as err:
            raise GatewayError(500, "Error recreating container", str(err)) from err


class _Recreation:
    """One container recreation and what to undo if it fails."""

    def __init__(self, client: EngineClient, container: str, pull: bool) -> None:
        """Remember the request."""
        self._client = client
        self._container = container
        self._pull = pull
        self._old: dict[str, Any] = {}
        self._renamed = False
        self._disconnected: dict[str, dict[str, Any]] = {}
        self._new_id: str | None = None

    async def run(self) -> dict[str, Any]:
        """Pull, stop, rename, create, reconnect, start, remove; roll back on error."""
        old = self._old = await self._client.call(
            "GET", _path(self._container) + "/json"
        )
        if self._pull:
            image = str(old["Config"]["Image"])
            try:
                await self._client.pull(image)
            except EngineError as err:
                message = f"failed to pull image {image}: {err.message}"
                raise EngineError(err.status, message) from err

        try:
            return await self._replace()
        except BaseException:
            await self._roll_back()
            raise

    async def _replace(self) -> dict[str, Any]:
        """Replace the old container with a new one of the same name."""
        old = self._old
        old_id: str = old["Id"]
        name = str(old["Name"]).lstrip("/")
        was_running = bool(old["State"].get("Running"))
        networks: dict[str, dict[str, Any]] = (
            old["NetworkSettings"].get("Networks") or {}
        )
        mode = str(old["HostConfig"].get("NetworkMode") or "")

        if was_running:
            await self._client.call("POST", _path(old_id) + "/stop")
        await self._client.call(
            "POST",
            _path(old_id) + "/rename",
            params={"name": f"{name}-old-{old_id[:12]}"},
        )
        self._renamed = True

        # Disconnecting frees static addresses and aliases for the new container.
        movable = {
            network: settings
            for network, settings in networks.items()
            if network not in _FIXED_NETWORKS and not mode.startswith("container:")
        }
        for network, settings in movable.items():
            await self._client.call(
                "POST",
                f"/networks/{quote(network, safe='')}/disconnect",
                body={"Container": old_id, "Force": True},
            )
            self._disconnected[network] = settings

        # Create takes one network (API < 1.44); the others are connected after.
        primary = mode if mode in networks else next(iter(networks), None)
        config = dict(old["Config"])
        if config.get("Hostname") == old_id[:12]:
            # The old id as hostname would be wrong for the new container.
            config.pop("Hostname")
        config["HostConfig"] = old["HostConfig"]
        if primary is not None:
            config["NetworkingConfig"] = {
                "EndpointsConfig": {primary: _endpoint(networks[primary], old_id)}
            }
        created = await self._client.call(
            "POST", "/containers/create", params={"name": name}, body=config
        )
        self._new_id = new_id = str(created["Id"])

        for network, settings in networks.items():
            if network == primary or network not in movable:
                continue
            await self._client.call(
                "POST",
                f"/networks/{quote(network, safe='')}/connect",
                body={
                    "Container": new_id,
                    "EndpointConfig": _endpoint(settings, old_id),
                },
            )
        if was_running:
            await self._client.call("POST", _path(new_id) + "/start")
        await self._client.call("DELETE", _path(old_id))
        result: dict[str, Any] = await self._client.call("GET", _path(new_id) + "/json")
        return result

    async def _roll_back(self) -> None:
        """Undo what was done, best effort: the first error is what counts."""
        if not self._old:
            return
        old_id: str = self._old["Id"]
        steps: list[tuple[str, str, dict[str, str] | None, Any]] = []
        if self._new_id is not None:
            steps.append(("DELETE", _path(self._new_id), {"force": "1"}, None))
        if self._renamed:
            name = str(self._old["Name"]).lstrip("/")
            steps.append(("POST", _path(old_id) + "/rename", {"name": name}, None))
        steps.extend(
            (
                "POST",
                f"/networks/{quote(network, safe='')}/connect",
                None,
                {"Container": old_id, "EndpointConfig": _endpoint(settings, old_id)},
            )
            for network, settings in self._disconnected.items()
        )
        if self._old["State"].get("Running"):
            steps.append(("POST", _path(old_id) + "/start", None, None))

        for method, path, params, body in steps:
            try:
                await self._client.call(method, path, params=params, body=body)
            except (EngineError, aiohttp.ClientError, OSError, TimeoutError) as err:
                _LOGGER.warning(
                    "Recreate roll-back step %s %s failed: %s", method, path, err
                )


def _endpoint(settings: dict[str, Any], old_id: str) -> dict[str, Any]:
    """Return the endpoint settings a new container may take over."""
    endpoint = {key: settings[key] for key in _ENDPOINT_KEYS if settings.get(key)}
    # Docker adds the short id as an alias; the new container gets its own.
    aliases = [alias for alias in endpoint.get("Aliases", []) if alias != old_id[:12]]
    if aliases:
        endpoint["Aliases"] = aliases
    else:
        endpoint.pop("Aliases", None)
    return endpoint
