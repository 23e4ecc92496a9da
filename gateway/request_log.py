"""In-memory log of the requests the gateway served."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
import re
import time
from typing import Any

from .faults import FaultKind

# Generous for a benchmark, bounded so a long run cannot exhaust memory.
DEFAULT_LIMIT = 200_000

_PORTAINER_RULES = (
    (re.compile(r"^/api/endpoints/\d+/docker(?=/|$)"), "/api/endpoints/{id}/docker"),
    (re.compile(r"^/api/endpoints/\d+(?=/|$)"), "/api/endpoints/{id}"),
    (
        re.compile(r"^/api/docker/\d+/containers/[^/]+"),
        "/api/docker/{id}/containers/{id}",
    ),
    (re.compile(r"^/api/stacks/\d+(?=/|$)"), "/api/stacks/{id}"),
)
_DOCKER_PREFIX = "/api/endpoints/{id}/docker"
_API_VERSION = re.compile(r"^/v\d+(\.\d+)?(?=/)")
_COLLECTION_VERBS = "json|create|prune|load|search|get"
_DOCKER_RULES = (
    (
        re.compile(
            r"^/(containers|exec|networks|volumes|plugins|services|tasks|secrets"
            rf"|configs|nodes)/(?!(?:{_COLLECTION_VERBS})$)[^/]+"
        ),
        r"/\1/{id}",
    ),
    # Image names carry slashes, so the action is matched from the end.
    (
        re.compile(
            rf"^/images/(?!(?:{_COLLECTION_VERBS})$).+?(/(json|history|push|tag))?$"
        ),
        r"/images/{name}\1",
    ),
    (re.compile(r"^/distribution/.+/json$"), "/distribution/{name}/json"),
)


def normalise_route(path: str) -> str:
    """Return the route template of a path: ids become {id}, no API version.

    /api/endpoints/1/docker/v1.41/containers/3f2a/stats becomes
    /api/endpoints/{id}/docker/containers/{id}/stats.
    """
    for pattern, template in _PORTAINER_RULES:
        path, replaced = pattern.subn(template, path, count=1)
        if replaced:
            break
    if not path.startswith(_DOCKER_PREFIX):
        return path

    docker_path = _API_VERSION.sub("", path.removeprefix(_DOCKER_PREFIX), count=1)
    for pattern, template in _DOCKER_RULES:
        docker_path, replaced = pattern.subn(template, docker_path, count=1)
        if replaced:
            break
    return _DOCKER_PREFIX + docker_path


@dataclass(slots=True, kw_only=True)
class RequestRecord:
    """One request; recorded on arrival and completed when the answer is done."""

    method: str
    # Path after the prefix, without the query string.
    path: str
    query: str
    route: str
    started: float
    # "admin", "restricted" or None when no valid key was given.
    role: str | None = None
    fault: FaultKind | None = None
    # None until the status line is sent; 0 when no answer was sent (dropped,
    # timed out, or the client left first).
    status: int | None = None
    duration: float | None = None
    bytes_sent: int = 0

    @property
    def done(self) -> bool:
        """Return whether the request has finished."""
        return self.duration is not None

    @property
    def key(self) -> str:
        """Return "METHOD route", the key requests are counted by."""
        return f"{self.method} {self.route}"

    def finish(self, status: int) -> None:
        """Mark the request finished with the status sent (0 for none)."""
        self.status = status
        self.duration = time.monotonic() - self.started

    def as_dict(self) -> dict[str, Any]:
        """Return the record as JSON for the control route."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "route": self.route,
            "role": self.role,
            "fault": None if self.fault is None else str(self.fault),
            "status": self.status,
            "duration": self.duration,
            "bytes_sent": self.bytes_sent,
        }


class RequestLog:
    """The requests served, oldest first."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        """Start empty, keeping at most limit records."""
        self._records: deque[RequestRecord] = deque(maxlen=limit)

    def record(self, method: str, path: str, query: str) -> RequestRecord:
        """Record a request on arrival and return its record to complete."""
        entry = RequestRecord(
            method=method,
            path=path,
            query=query,
            route=normalise_route(path),
            started=time.monotonic(),
        )
        self._records.append(entry)
        return entry

    @property
    def records(self) -> list[RequestRecord]:
        """Return a copy of the records."""
        return list(self._records)

    def find(
        self, path: str = "", *, method: str | None = None, route: str | None = None
    ) -> list[RequestRecord]:
        """Return the records whose path matches the regex and method, route."""
        pattern = re.compile(path)
        return [
            entry
            for entry in self._records
            if (method is None or entry.method == method.upper())
            and (route is None or entry.route == route)
            and pattern.search(entry.path) is not None
        ]

    def count(
        self, path: str = "", *, method: str | None = None, route: str | None = None
    ) -> int:
        """Return how many records match, as find does."""
        return len(self.find(path, method=method, route=route))

    def by_route(self) -> Counter[str]:
        """Return request counts by "METHOD route"."""
        return Counter(entry.key for entry in self._records)

    def clear(self) -> None:
        """Forget all records."""
        self._records.clear()

    def __iter__(self) -> Iterator[RequestRecord]:
        """Iterate over a copy of the records."""
        return iter(list(self._records))

    def __len__(self) -> int:
        """Return the number of records."""
        return len(self._records)
