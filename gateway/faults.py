"""Faults injected into the gateway's answers, switchable at run time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
import re
from typing import Any

DEFAULT_LATENCY = 1.0
# Longer than any client timeout; the gateway's stop ends the wait early.
DEFAULT_TIMEOUT = 3600.0


class FaultKind(StrEnum):
    """What a fault does to a matching request."""

    LATENCY = "latency"  # wait, then answer normally
    STATUS = "status"  # answer with an error status instead
    DROP = "drop"  # close the connection without an answer
    TIMEOUT = "timeout"  # never answer, then close the connection
    MALFORMED = "malformed"  # answer with the body cut in half
    TEXT_PLAIN = "text_plain"  # answer with Content-Type text/plain


# Faults that add to the answer; the others replace it, and only one can.
STACKABLE = frozenset({FaultKind.LATENCY})


@dataclass(slots=True, kw_only=True)
class Fault:
    """One fault rule: which requests it hits and what it does to them."""

    kind: FaultKind
    # Regular expression searched in the path after the prefix ("" matches all).
    path: str = ""
    # None matches any method.
    method: str | None = None
    status: int = 500
    seconds: float = 0.0
    # None: until removed; N: the next N matching requests.
    count: int | None = None
    id: int = 0
    hits: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Compile the pattern and normalise the method."""
        self.kind = FaultKind(self.kind)
        try:
            self._pattern = re.compile(self.path)
        except re.error as err:
            raise ValueError(f"Invalid path pattern {self.path!r}: {err}") from err
        if self.method is not None:
            self.method = self.method.upper()
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1, or None for no limit")

    def matches(self, method: str, path: str) -> bool:
        """Return whether the fault applies to this request."""
        if self.method is not None and self.method != method.upper():
            return False
        return self._pattern.search(path) is not None

    def as_dict(self) -> dict[str, Any]:
        """Return the fault as JSON for the control route."""
        return {
            "id": self.id,
            "kind": str(self.kind),
            "path": self.path,
            "method": self.method,
            "status": self.status,
            "seconds": self.seconds,
            "count": self.count,
            "hits": self.hits,
        }


class FaultRegistry:
    """The active faults, in the order they were added."""

    def __init__(self) -> None:
        """Start without faults."""
        self._faults: list[Fault] = []
        self._next_id = 1

    def add(
        self,
        kind: FaultKind | str,
        path: str = "",
        *,
        method: str | None = None,
        status: int = 500,
        seconds: float | None = None,
        count: int | None = None,
    ) -> Fault:
        """Add a fault for requests whose path (after the prefix) matches path."""
        kind = FaultKind(kind)
        if seconds is None:
            seconds = {
                FaultKind.LATENCY: DEFAULT_LATENCY,
                FaultKind.TIMEOUT: DEFAULT_TIMEOUT,
            }.get(kind, 0.0)
        fault = Fault(
            kind=kind,
            path=path,
            method=method,
            status=status,
            seconds=seconds,
            count=count,
            id=self._next_id,
        )
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def remove(self, fault: Fault | int) -> bool:
        """Remove a fault by object or id; return whether it was active."""
        fault_id = fault if isinstance(fault, int) else fault.id
        before = len(self._faults)
        self._faults = [item for item in self._faults if item.id != fault_id]
        return len(self._faults) != before

    def clear(self) -> None:
        """Remove all faults."""
        self._faults.clear()

    def take(self, method: str, path: str) -> list[Fault]:
        """Return the faults for a request and count them as used.

        All matching latency faults apply, plus the first matching fault of
        another kind, since only one can replace the answer.
        """
        taken: list[Fault] = []
        replaced = False
        for fault in self._faults:
            if not fault.matches(method, path):
                continue
            if fault.kind not in STACKABLE:
                if replaced:
                    continue
                replaced = True
            taken.append(fault)

        for fault in taken:
            fault.hits += 1
            if fault.count is not None:
                fault.count -= 1
        self._faults = [
            fault for fault in self._faults if fault.count is None or fault.count > 0
        ]
        return taken

    def __iter__(self) -> Iterator[Fault]:
        """Iterate over the active faults."""
        return iter(list(self._faults))

    def __len__(self) -> int:
        """Return the number of active faults."""
        return len(self._faults)
