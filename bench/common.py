"""What scripts/bench.py and the pytest half share: cases, samples, the gateway.

Nothing here imports Home Assistant: scripts/bench.py imports this module
before pytest loads Home Assistant's test plugin, which must patch time and
JSON functions before anything else imports Home Assistant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
import secrets
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pytest

OURS = "portainer_control"
CORE = "portainer"
CONTROL_PREFIX = "/__gateway"

# What a case measures besides the figures every case gives.
SCALE = "scale"
RSS = "rss"
FAULT = "fault"
PROFILE = "profile"
ENGINE = "engine"

_URL_LINE = re.compile(r" at (?P<url>https?://\S+)\s*$")
_STOP_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One measured setup: an integration against one gateway configuration."""

    integration: str
    purpose: str
    # Generated containers (synthetic); 0 on the real engine.
    containers: int
    environments: int
    # The stats collection tick of the gateway; Docker's own (1 s) on the engine.
    tick: float
    latency: float
    polls: int
    warmup: int
    # Polls with the fault on (fault cases); the others run without it first.
    fault_polls: int = 0
    fault_seconds: float = 15.0
    # Measured polls stop when this is over (after a few), if set.
    max_seconds: float | None = None

    @property
    def key(self) -> str:
        """Return a short unique name, e.g. scale-n100-e1-portainer_control."""
        if self.purpose == ENGINE:
            return f"engine-{self.integration}"
        return (
            f"{self.purpose}-n{self.containers}-e{self.environments}-{self.integration}"
        )

    @property
    def synthetic(self) -> bool:
        """Return whether the case runs against generated containers."""
        return self.purpose != ENGINE


@dataclass(slots=True, kw_only=True)
class PollSample:
    """One steady-state poll as the process and the gateway saw it."""

    wall: float
    cpu: float
    # Requests by "METHOD route" that arrived during the poll.
    requests: dict[str, int]
    # Body bytes the gateway sent during the poll.
    bytes: int
    ok: bool
    # Gateway time of the environment list plus the slowest container list.
    list_round_trip: float
    # Resident set size and live objects tracked by the garbage collector,
    # after the poll and a full collection (RSS cases).
    rss: int | None = None
    objects: int | None = None
    # Whether the disk-usage refresh was in flight at the poll's start and end.
    disk_usage_busy: bool | None = None
    # State writes that changed a state, and those that changed nothing
    # (Home Assistant's state_changed and state_reported events).
    states_changed: int = 0
    states_unchanged: int = 0


@dataclass(slots=True, kw_only=True)
class CaseResult:
    """Everything one case measured."""

    case: Case
    skipped: str | None = None
    error: str | None = None
    samples: list[PollSample] = field(default_factory=list)
    fault_samples: list[PollSample] = field(default_factory=list)
    # Containers the integration polls, by state, from the gateway's list.
    running: int = 0
    paused: int = 0
    # Environments with a Docker API that answered.
    docker_environments: int = 0
    # How many stats requests run at once: the integration's cap.
    cap: int = 0
    setup_seconds: float = 0.0
    # The whole case, gateway start to stop.
    elapsed: float = 0.0
    entities: int = 0
    entities_by_domain: dict[str, int] = field(default_factory=dict)
    profile: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class BenchPlugin:
    """The pytest plugin scripts/bench.py hands its cases through."""

    def __init__(
        self,
        cases: list[Case],
        output: Path,
        on_result: Callable[[CaseResult], None] | None = None,
    ) -> None:
        """Keep the cases to run, where logs go and whom to tell of results."""
        self.cases = cases
        self.output = output
        self.results: dict[str, CaseResult] = {}
        self._on_result = on_result
        self._started: dict[str, float] = {}

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Run the benchmark test once per case."""
        if "case" in metafunc.fixturenames:
            metafunc.parametrize("case", self.cases, ids=[c.key for c in self.cases])

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        """Note when a case starts."""
        self._started[_case_key(nodeid)] = time.monotonic()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Hand a case's result on once its gateway has stopped."""
        key = _case_key(report.nodeid)
        result = self.results.get(key)
        if result is None:
            return
        if key in self._started:
            result.elapsed = time.monotonic() - self._started[key]
        if report.failed and result.error is None:
            lines = report.longreprtext.strip().splitlines()
            result.error = f"{report.when}: {lines[-1] if lines else 'failed'}"
        if report.when == "teardown" and self._on_result is not None:
            self._on_result(result)


def _case_key(nodeid: str) -> str:
    """Return the case key of a test id: test_case[KEY]."""
    return nodeid.rpartition("[")[2].rstrip("]")


class GatewayProcess:
    """The gateway started through its command line, in a process of its own.

    Its CPU time is then not the measured process's.
    """

    def __init__(
        self, cwd: Path, arguments: list[str], log: Path, module: str = "gateway"
    ) -> None:
        """Remember how to start it; nothing runs before start()."""
        self.cwd = cwd
        # Its log goes to a file: a full pipe would block it.
        self.log = log
        self.admin_key = "ptr_bench_" + secrets.token_urlsafe(24)
        self.arguments = [
            sys.executable,
            "-m",
            module,
            *arguments,
            "--port",
            "0",
            "--admin-key",
            self.admin_key,
        ]
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    @property
    def root_url(self) -> str:
        """Return the URL without a path, where the control routes live."""
        scheme, _, rest = self.url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"

    def start(self) -> str:
        """Start the gateway and return its URL once it listens."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("w") as log:
            # Our own interpreter and a fixed argument list.
            self._process = subprocess.Popen(  # noqa: S603
                self.arguments,
                cwd=self.cwd,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        stdout = self._process.stdout
        if stdout is None:
            raise RuntimeError("The gateway's output is not piped")
        for line in stdout:
            if match := _URL_LINE.search(line):
                self.url = match["url"]
                return self.url
            if self._process.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"The gateway did not start: {' '.join(self.arguments)}")

    def stop(self) -> None:
        """Stop the gateway and wait for it."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(_STOP_TIMEOUT)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None
