"""Answers shaped like Portainer's and Docker's, with body faults applied."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
import json
from typing import Any

from aiohttp import web

from .faults import FaultKind
from .request_log import RequestRecord

# The record of the request being handled, for handlers that stream.
current_record: ContextVar[RequestRecord | None] = ContextVar(
    "gateway_current_record", default=None
)

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain"
# Statuses whose answers carry no body.
EMPTY_STATUSES = frozenset({204, 304})


class GatewayError(Exception):
    """An error answered as Portainer does: a status, a message and details."""

    def __init__(self, status: int, message: str, details: str = "") -> None:
        """Keep the parts of the answer."""
        super().__init__(f"{status} {message}: {details}")
        self.status = status
        self.message = message
        self.details = details or message

    def response(self) -> web.Response:
        """Return the Portainer-style answer."""
        return portainer_error(self.status, self.message, self.details)


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """Return data as compact JSON, the way Go's encoder writes it."""
    return web.Response(
        body=json.dumps(data, separators=(",", ":")).encode() + b"\n",
        status=status,
        content_type=JSON_TYPE,
        headers=headers,
    )


def portainer_error(status: int, message: str, details: str = "") -> web.Response:
    """Return Portainer's error body: {"message": ..., "details": ...}."""
    return json_response({"message": message, "details": details or message}, status)


def docker_error(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    """Return Docker's error body: {"message": ...}."""
    return json_response({"message": message}, status, headers)


def apply_body_fault(response: web.Response, fault: FaultKind | None) -> None:
    """Cut the body in half or relabel it text/plain, as the fault says."""
    if fault is FaultKind.TEXT_PLAIN:
        response.content_type = TEXT_TYPE
    elif fault is FaultKind.MALFORMED and response.status not in EMPTY_STATUSES:
        body = response.body if isinstance(response.body, bytes) else b""
        response.body = body[: len(body) // 2] if len(body) > 1 else b"{"


class BodyStream:
    """A streamed answer that applies body faults and counts the bytes sent."""

    def __init__(
        self,
        request: web.Request,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        content_length: int | None = None,
    ) -> None:
        """Prepare an answer; headers must include the Content-Type."""
        self._request = request
        self._record = current_record.get()
        self._fault = None if self._record is None else self._record.fault
        self.response = web.StreamResponse(status=status, headers=headers)
        if self._fault is FaultKind.TEXT_PLAIN:
            self.response.content_type = TEXT_TYPE
        if content_length is not None and self._fault is not FaultKind.MALFORMED:
            self.response.content_length = content_length
        self._cut = False
        self._gone = False

    async def prepare(self) -> None:
        """Send the status line and headers."""
        await self.response.prepare(self._request)
        if self._record is not None:
            self._record.status = self.response.status

    async def write(self, chunk: bytes) -> bool:
        """Send a chunk; return False once the stream must end.

        A malformed-body fault sends half of the first chunk and ends there.
        """
        if self._cut or self._gone:
            return False
        if self._fault is FaultKind.MALFORMED and chunk:
            chunk = chunk[: max(1, len(chunk) // 2)]
            self._cut = True
        try:
            await self.response.write(chunk)
        except ConnectionResetError:
            # The client left; the stream ends quietly, as Go's would.
            self._gone = True
            return False
        if self._record is not None:
            self._record.bytes_sent += len(chunk)
        return not self._cut

    async def finish(self) -> web.StreamResponse:
        """End the answer and return it for the handler to return."""
        if not self._gone:
            try:
                await self.response.write_eof()
            except ConnectionResetError:
                self._gone = True
        return self.response
