"""Async client for the Portainer API and the Docker API Portainer proxies."""

# Every call takes a timeout on purpose: callers bound slow Docker operations
# (stop, recreate, pull) differently, and the client applies asyncio.timeout.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from http import HTTPStatus
import json as jsonlib
import logging
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

import aiohttp

from .exceptions import (
    PortainerAuthenticationError,
    PortainerConnectionError,
    PortainerEnvironmentUnavailableError,
    PortainerError,
    PortainerForbiddenError,
    PortainerNotFoundError,
    PortainerRateLimitError,
    PortainerResponseError,
    PortainerStreamError,
    PortainerTimeoutError,
)
from .models import (
    Container,
    ContainerDetails,
    ContainerStats,
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
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence

    type _Params = Mapping[str, str] | Sequence[tuple[str, str]]

_LOGGER = logging.getLogger(__name__)

# Stale keep-alive connections fail on first use: one retry covers that.
_GET_RETRIES = 1

# Docker waits for the container's stop timeout (10 s by default) before it
# kills the process, so stop and restart need more than a plain request.
_STOP_TIMEOUT = 60.0
_RECREATE_TIMEOUT = 300.0
_DISK_USAGE_TIMEOUT = 60.0
_PRUNE_TIMEOUT = 300.0
_PULL_TIMEOUT = 600.0

# asyncio.timeout bounds every call; aiohttp's own total timeout (or the
# injected session's default) must not cut long calls or streams short.
_NO_CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=None)

_ERRORS_BY_STATUS: dict[int, type[PortainerError]] = {
    HTTPStatus.UNAUTHORIZED: PortainerAuthenticationError,
    HTTPStatus.FORBIDDEN: PortainerForbiddenError,
    HTTPStatus.NOT_FOUND: PortainerNotFoundError,
    HTTPStatus.TOO_MANY_REQUESTS: PortainerRateLimitError,
    HTTPStatus.BAD_GATEWAY: PortainerEnvironmentUnavailableError,
    HTTPStatus.SERVICE_UNAVAILABLE: PortainerEnvironmentUnavailableError,
}
_NO_CONTENT = (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED)


class PortainerClient:
    """Talk to one Portainer server with an API access token.

    Every call takes a timeout in seconds; None means the client's
    request_timeout. Errors are PortainerError subclasses.
    """

    def __init__(
        self,
        url: str,
        api_token: str,
        *,
        session: aiohttp.ClientSession | None = None,
        request_timeout: float = 10.0,
    ) -> None:
        """Store the connection settings; no request is made yet."""
        self._url = url.rstrip("/")
        self._headers = {"X-API-Key": api_token, "Accept": "application/json"}
        self._session = session
        self._owns_session = session is None
        self._request_timeout = request_timeout

    @property
    def url(self) -> str:
        """Return the base URL of the Portainer server, path prefix included."""
        return self._url

    async def __aenter__(self) -> Self:
        """Return the client for use in an async with block."""
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        """Close the session the client created."""
        await self.close()

    async def close(self) -> None:
        """Close the session the client created; an injected one stays open."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def system_status(self, *, timeout: float | None = None) -> SystemStatus:
        """Return the Portainer version and instance ID."""
        data = await self._request("GET", "/api/system/status", timeout=timeout)
        return SystemStatus.from_dict(data)

    async def endpoints(self, *, timeout: float | None = None) -> list[Endpoint]:
        """Return every environment the token can see."""
        path = "/api/endpoints"
        data = await self._request("GET", path, timeout=timeout)
        return [Endpoint.from_dict(item) for item in _as_list("GET", path, data)]

    async def containers(
        self, endpoint_id: int, *, timeout: float | None = None
    ) -> list[Container]:
        """Return every container of an environment, stopped ones included."""
        path = _docker_path(endpoint_id, "/containers/json")
        data = await self._request("GET", path, params={"all": "1"}, timeout=timeout)
        return [Container.from_dict(item) for item in _as_list("GET", path, data)]

    async def container_inspect(
        self, endpoint_id: int, container_id: str, *, timeout: float | None = None
    ) -> ContainerDetails:
        """Return the details of one container."""
        path = _container_path(endpoint_id, container_id, "/json")
        data = await self._request("GET", path, timeout=timeout)
        return ContainerDetails.from_dict(data)

    async def container_stats(
        self, endpoint_id: int, container_id: str, *, timeout: float | None = None
    ) -> ContainerStats | None:
        """Return one stats sample; None for a container that is not running."""
        path = _container_path(endpoint_id, container_id, "/stats")
        params = {"stream": "false", "one-shot": "true"}
        data = await self._request("GET", path, params=params, timeout=timeout)
        return ContainerStats.from_dict(data)

    async def container_start(
        self, endpoint_id: int, container_id: str, *, timeout: float | None = None
    ) -> None:
        """Start a container; one already running is not an error."""
        await self._container_action(endpoint_id, container_id, "start", timeout)

    async def container_stop(
        self,
        endpoint_id: int,
        container_id: str,
        *,
        timeout: float | None = _STOP_TIMEOUT,
    ) -> None:
        """Stop a container; one already stopped is not an error."""
        await self._container_action(endpoint_id, container_id, "stop", timeout)

    async def container_restart(
        self,
        endpoint_id: int,
        container_id: str,
        *,
        timeout: float | None = _STOP_TIMEOUT,
    ) -> None:
        """Restart a container."""
        await self._container_action(endpoint_id, container_id, "restart", timeout)

    async def container_pause(
        self, endpoint_id: int, container_id: str, *, timeout: float | None = None
    ) -> None:
        """Pause every process of a container."""
        await self._container_action(endpoint_id, container_id, "pause", timeout)

    async def container_unpause(
        self, endpoint_id: int, container_id: str, *, timeout: float | None = None
    ) -> None:
        """Resume a paused container."""
        await self._container_action(endpoint_id, container_id, "unpause", timeout)

    async def container_kill(
        self, endpoint_id: int, container_id: str, *, timeout: float | None = None
    ) -> None:
        """Send SIGKILL to a container."""
        await self._container_action(endpoint_id, container_id, "kill", timeout)

    async def container_remove(
        self,
        endpoint_id: int,
        container_id: str,
        *,
        force: bool = False,
        volumes: bool = False,
        timeout: float | None = None,
    ) -> None:
        """Remove a container, and its anonymous volumes when asked."""
        path = _container_path(endpoint_id, container_id, "")
        params = {"force": _bool_param(force), "v": _bool_param(volumes)}
        await self._request("DELETE", path, params=params, timeout=timeout)

    async def container_recreate(
        self,
        endpoint_id: int,
        container_id: str,
        *,
        pull_image: bool,
        timeout: float | None = _RECREATE_TIMEOUT,
    ) -> ContainerDetails:
        """Recreate a container with Portainer, optionally pulling its image first.

        Returns the details of the new container, which has a new ID.
        """
        path = f"/api/docker/{endpoint_id}/containers/{_segment(container_id)}/recreate"
        data = await self._request(
            "POST", path, json={"PullImage": pull_image}, timeout=timeout
        )
        return ContainerDetails.from_dict(data)

    async def docker_info(
        self, endpoint_id: int, *, timeout: float | None = None
    ) -> DockerInfo:
        """Return Docker's system information for an environment."""
        path = _docker_path(endpoint_id, "/info")
        return DockerInfo.from_dict(await self._request("GET", path, timeout=timeout))

    async def docker_version(
        self, endpoint_id: int, *, timeout: float | None = None
    ) -> DockerVersion:
        """Return the Docker Engine version of an environment."""
        path = _docker_path(endpoint_id, "/version")
        data = await self._request("GET", path, timeout=timeout)
        return DockerVersion.from_dict(data)

    async def disk_usage(
        self,
        endpoint_id: int,
        *,
        types: Sequence[str] | None = None,
        timeout: float | None = _DISK_USAGE_TIMEOUT,
    ) -> DiskUsage:
        """Return Docker's disk usage, limited to some object types when given."""
        path = _docker_path(endpoint_id, "/system/df")
        params = [("type", kind) for kind in types or ()]
        data = await self._request("GET", path, params=params, timeout=timeout)
        return DiskUsage.from_dict(data)

    async def image_inspect(
        self, endpoint_id: int, image: str, *, timeout: float | None = None
    ) -> ImageDetails:
        """Return the details of a local image."""
        path = _docker_path(endpoint_id, f"/images/{_image_segment(image)}/json")
        data = await self._request("GET", path, timeout=timeout)
        return ImageDetails.from_dict(data)

    async def distribution_inspect(
        self, endpoint_id: int, image: str, *, timeout: float | None = None
    ) -> DistributionInspect:
        """Return the manifest digest the registry holds for an image."""
        segment = _image_segment(image)
        path = _docker_path(endpoint_id, f"/distribution/{segment}/json")
        data = await self._request("GET", path, timeout=timeout)
        return DistributionInspect.from_dict(data)

    async def image_pull(
        self, endpoint_id: int, image: str, *, timeout: float | None = _PULL_TIMEOUT
    ) -> None:
        """Pull an image and wait until Docker has finished."""
        method = "POST"
        path = _docker_path(endpoint_id, "/images/create")
        name, tag = split_image_reference(image)
        params = {"fromImage": name, "tag": tag}
        seconds = self._seconds(timeout)

        with _translate_errors(method, path, seconds):
            async with asyncio.timeout(seconds):
                response = await self._open(method, path, params=params)
                async with response:
                    async for line in response.content:
                        if (message := _stream_error(line)) is not None:
                            msg = f"{method} {path}: pulling {image} failed: {message}"
                            raise PortainerStreamError(msg)

    async def images_prune(
        self,
        endpoint_id: int,
        *,
        dangling: bool = True,
        until: str | None = None,
        timeout: float | None = _PRUNE_TIMEOUT,
    ) -> PruneResult:
        """Remove unused images: only untagged ones unless dangling is False."""
        path = _docker_path(endpoint_id, "/images/prune")
        filters = {"dangling": [_bool_param(dangling)]}
        if until is not None:
            filters["until"] = [until]

        # Docker only reads the filters parameter, ignoring bare ones.
        params = {"filters": _json_param(filters)}
        data = await self._request("POST", path, params=params, timeout=timeout)
        return PruneResult.from_dict(data)

    async def stacks(
        self, endpoint_id: int | None = None, *, timeout: float | None = None
    ) -> list[Stack]:
        """Return the stacks Portainer manages, optionally of one environment."""
        path = "/api/stacks"
        params: dict[str, str] = {}
        if endpoint_id is not None:
            params["filters"] = _json_param({"EndpointID": endpoint_id})
        data = await self._request("GET", path, params=params, timeout=timeout)
        return [Stack.from_dict(item) for item in _as_list("GET", path, data)]

    async def stack_start(
        self, stack_id: int, endpoint_id: int, *, timeout: float | None = None
    ) -> None:
        """Start a stopped stack."""
        await self._stack_action(stack_id, endpoint_id, "start", timeout)

    async def stack_stop(
        self, stack_id: int, endpoint_id: int, *, timeout: float | None = None
    ) -> None:
        """Stop a stack, removing its containers."""
        await self._stack_action(stack_id, endpoint_id, "stop", timeout)

    async def events(
        self,
        endpoint_id: int,
        *,
        filters: Mapping[str, list[str]] | None = None,
        since: int | None = None,
        timeout: float | None = None,
    ) -> AsyncGenerator[DockerEvent]:
        """Yield Docker events as they happen.

        The timeout only bounds opening the stream. The stream never ends by
        itself: losing or closing the connection raises
        PortainerConnectionError.
        """
        method = "GET"
        path = _docker_path(endpoint_id, "/events")
        params: dict[str, str] = {}
        if filters:
            params["filters"] = _json_param(dict(filters))
        if since is not None:
            params["since"] = str(since)
        seconds = self._seconds(timeout)
        stream_timeout = aiohttp.ClientTimeout(total=None, sock_connect=seconds)

        with _translate_errors(method, path, seconds):
            async with asyncio.timeout(seconds):
                response = await self._open(
                    method, path, params=params, client_timeout=stream_timeout
                )

            # A stream never completes: drop the connection, do not reuse it.
            try:
                async for line in response.content:
                    if isinstance(data := _loads_line(line), dict):
                        yield DockerEvent.from_dict(data)
            finally:
                response.close()

        msg = f"{method} {path}: Portainer closed the event stream"
        raise PortainerConnectionError(msg)

    async def _container_action(
        self,
        endpoint_id: int,
        container_id: str,
        action: str,
        timeout: float | None,
    ) -> None:
        """POST one of Docker's container actions; 304 means already done."""
        path = _container_path(endpoint_id, container_id, f"/{action}")
        await self._request("POST", path, timeout=timeout)

    async def _stack_action(
        self, stack_id: int, endpoint_id: int, action: str, timeout: float | None
    ) -> None:
        """POST one of Portainer's stack actions."""
        path = f"/api/stacks/{stack_id}/{action}"
        params = {"endpointId": str(endpoint_id)}
        await self._request("POST", path, params=params, timeout=timeout)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: _Params | None = None,
        json: Any = None,
        timeout: float | None = None,
    ) -> Any:
        """Send a request and return its decoded JSON; None for no content."""
        retries = _GET_RETRIES if method == "GET" else 0
        seconds = self._seconds(timeout)

        with _translate_errors(method, path, seconds):
            async with asyncio.timeout(seconds):
                while True:
                    try:
                        return await self._send(method, path, params, json)
                    except aiohttp.ClientConnectionError as err:
                        # A timeout is no stale connection: retrying would not help.
                        if retries == 0 or isinstance(err, TimeoutError):
                            raise
                        retries -= 1
                        _LOGGER.debug("Retrying %s %s after: %s", method, path, err)

    async def _send(
        self, method: str, path: str, params: _Params | None, json: Any
    ) -> Any:
        """Send one request and decode its answer."""
        response = await self._open(method, path, params=params, json=json)
        async with response:
            if response.status in _NO_CONTENT:
                return None
            body = await response.read()
        return _decode(method, path, response.status, body)

    async def _open(
        self,
        method: str,
        path: str,
        *,
        params: _Params | None = None,
        json: Any = None,
        client_timeout: aiohttp.ClientTimeout = _NO_CLIENT_TIMEOUT,
    ) -> aiohttp.ClientResponse:
        """Send a request and return the response once its status is good."""
        response = await self._get_session().request(
            method,
            f"{self._url}{path}",
            params=params,
            json=json,
            headers=self._headers,
            timeout=client_timeout,
        )
        if response.status >= HTTPStatus.BAD_REQUEST:
            async with response:
                body = await response.read()
            raise _status_error(method, path, response.status, body)
        return response

    def _get_session(self) -> aiohttp.ClientSession:
        """Return the session, creating the client's own one on first use."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def _seconds(self, timeout: float | None) -> float:
        """Return the timeout of a call: its own, else the client's default."""
        return self._request_timeout if timeout is None else timeout


def split_image_reference(image: str) -> tuple[str, str]:
    """Split an image reference into repository and tag (or digest)."""
    if "@" in image:
        name, _, digest = image.partition("@")
        return name, digest

    # A colon before the last slash belongs to a registry port.
    name, colon, tag = image.rpartition(":")
    if not colon or "/" in tag:
        return image, "latest"
    return name, tag


@contextmanager
def _translate_errors(method: str, path: str, seconds: float) -> Iterator[None]:
    """Turn aiohttp and timeout errors into Portainer errors."""
    try:
        yield
    except TimeoutError as err:
        msg = f"{method} {path}: no answer within {seconds:g} s"
        raise PortainerTimeoutError(msg) from err
    except aiohttp.ClientError as err:
        msg = f"{method} {path}: cannot talk to Portainer: {err}"
        raise PortainerConnectionError(msg) from err


def _status_error(method: str, path: str, status: int, body: bytes) -> PortainerError:
    """Return the error for an HTTP error status, with the server's message."""
    error_class = _ERRORS_BY_STATUS.get(status, PortainerResponseError)
    msg = f"{method} {path}: HTTP {status}"
    if detail := _error_detail(body):
        msg = f"{msg}: {detail}"
    return error_class(msg)


def _error_detail(body: bytes) -> str:
    """Return the message and details of a Docker or Portainer error body."""
    try:
        data = jsonlib.loads(body)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    message = str(data.get("message") or "")
    details = str(data.get("details") or "")
    if message and details and details != message:
        return f"{message} ({details})"
    return message or details


def _decode(method: str, path: str, status: int, body: bytes) -> Any:
    """Decode a JSON body whatever its Content-Type; None when empty."""
    if not body.strip():
        return None
    try:
        return jsonlib.loads(body)
    except ValueError as err:
        what = "an HTML page" if _looks_like_html(body) else "not JSON"
        msg = (
            f"{method} {path}: HTTP {status} answer is {what}; "
            "is the URL the address of Portainer?"
        )
        raise PortainerResponseError(msg) from err


def _looks_like_html(body: bytes) -> bool:
    """Return whether a body is an HTML page, e.g. a proxy's login page."""
    start = body.lstrip()[:15].lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _loads_line(line: bytes) -> Any:
    """Decode one NDJSON line; None for a blank or malformed one."""
    if not line.strip():
        return None
    try:
        return jsonlib.loads(line)
    except ValueError:
        _LOGGER.debug("Skipping a line that is not JSON: %r", line[:200])
        return None


def _stream_error(line: bytes) -> str | None:
    """Return the error a streamed Docker progress line reports, if any."""
    data = _loads_line(line)
    if not isinstance(data, dict):
        return None
    detail = data.get("errorDetail")
    if isinstance(detail, dict) and detail.get("message"):
        return str(detail["message"])
    if error := data.get("error"):
        return str(error)
    return None


def _as_list(method: str, path: str, data: Any) -> list[Any]:
    """Return a JSON array answer; raise when the answer is anything else."""
    if isinstance(data, list):
        return data
    msg = f"{method} {path}: expected a JSON array, got {type(data).__name__}"
    raise PortainerResponseError(msg)


def _docker_path(endpoint_id: int, path: str) -> str:
    """Return the path of a Docker API call through Portainer's proxy."""
    return f"/api/endpoints/{endpoint_id}/docker{path}"


def _container_path(endpoint_id: int, container_id: str, suffix: str) -> str:
    """Return the path of a call on one container."""
    return _docker_path(endpoint_id, f"/containers/{_segment(container_id)}{suffix}")


def _segment(value: str) -> str:
    """Quote a value used as one path segment."""
    return quote(value, safe="")


def _image_segment(image: str) -> str:
    """Quote an image reference, keeping the "/", ":" and "@" Docker reads."""
    return quote(image, safe="/:@")


def _bool_param(value: bool) -> str:
    """Return a boolean as Docker's query parameters spell it."""
    return "true" if value else "false"


def _json_param(value: Any) -> str:
    """Return a value as the compact JSON Docker's filters parameter takes."""
    return jsonlib.dumps(value, separators=(",", ":"))
