"""Drive one benchmark case inside Home Assistant; scripts/bench.py reports.

Each case sets up one integration against its own gateway process, waits
until setup traffic is over, runs warm-up polls and then measures polls
driven back to back with ``async_refresh``. The gateway's request log is
cleared before and read after every poll, outside the timed part.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
import contextlib
import cProfile
from dataclasses import dataclass
import gc
import json
import os
from pathlib import Path
import pstats
import sys
import time
from typing import Any
import uuid

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_API_TOKEN,
    CONF_SCAN_INTERVAL,
    CONF_URL,
    CONF_VERIFY_SSL,
    EVENT_HOMEASSISTANT_FINAL_WRITE,
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_platform
from homeassistant.helpers.aiohttp_client import MAXIMUM_CONNECTIONS_PER_HOST
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from pytest_homeassistant_custom_component.common import MockConfigEntry

from bench.common import (
    CONTROL_PREFIX,
    FAULT,
    OURS,
    PROFILE,
    RSS,
    BenchPlugin,
    Case,
    CaseResult,
    GatewayProcess,
    PollSample,
)
from custom_components.portainer_control.const import (
    CONF_INCLUDE_CONTAINERS,
    SCAN_INTERVAL_RANGE,
)
from gateway import EngineClient
from tests.engine import (
    ENGINE_SOCKET,
    allow_unix_sockets,
    create_container,
    remove_test_containers,
)

# Environment types with a Docker API (Docker, Agent, Edge agent), and "up".
_DOCKER_TYPES = frozenset({1, 2, 4})
_UP = 1
_ENDPOINTS_ROUTE = "GET /api/endpoints"
_CONTAINERS_ROUTE = "GET /api/endpoints/{id}/docker/containers/json"
# Setup is over when nothing but event streams is open for this long.
_QUIET_CHECKS = 3
_QUIET_INTERVAL = 0.25
_SETTLE_TIMEOUT = 600.0
_PROFILE_ROWS = 30
# Polls a case measures at least, time cap or not.
_MIN_POLLS = 3
_DISK_USAGE_PATH = r"/docker/system/df$"
# Containers of the engine case: four sleepers and an unhealthy one running,
# one exited.
_ENGINE_ROLES: dict[str, dict[str, Any]] = {
    "sleeper-1": {},
    "sleeper-2": {},
    "sleeper-3": {},
    "sleeper-4": {},
    "unhealthy": {
        "Healthcheck": {
            "Test": ["CMD", "false"],
            "Interval": 2_000_000_000,
            "Retries": 1,
        }
    },
    "exited": {"command": ["sh", "-c", "exit 3"]},
}


class Control:
    """The gateway's request log, faults and data, seen from outside."""

    def __init__(self, session: aiohttp.ClientSession, gateway: GatewayProcess) -> None:
        """Talk to the gateway with its admin key."""
        self._session = session
        self._gateway = gateway
        self._headers = {"X-API-Key": gateway.admin_key}

    async def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        """Send a request; return the decoded JSON answer (None when empty)."""
        async with self._session.request(
            method, url, headers=self._headers, **kwargs
        ) as response:
            response.raise_for_status()
            text = await response.text()
        return json.loads(text) if text.strip() else None

    async def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call one of the gateway's control routes."""
        url = f"{self._gateway.root_url}{CONTROL_PREFIX}{path}"
        return await self._call(method, url, **kwargs)

    async def records(self) -> list[dict[str, Any]]:
        """Return the requests logged since the last clear."""
        answer = await self._control("GET", "/requests")
        return list(answer["requests"])

    async def clear(self) -> None:
        """Forget the logged requests."""
        await self._control("DELETE", "/requests")

    async def add_latency(self, path: str, seconds: float) -> None:
        """Delay every answer on matching paths."""
        fault = {"kind": "latency", "path": path, "seconds": seconds}
        await self._control("POST", "/faults", json=fault)

    async def clear_faults(self) -> None:
        """Remove every fault."""
        await self._control("DELETE", "/faults")

    async def endpoints(self) -> list[dict[str, Any]]:
        """Return Portainer's environment list."""
        return list(await self._call("GET", f"{self._gateway.url}/api/endpoints"))

    async def containers(self, endpoint_id: int) -> list[dict[str, Any]]:
        """Return every container of an environment."""
        url = f"{self._gateway.url}/api/endpoints/{endpoint_id}/docker/containers/json"
        return list(await self._call("GET", url, params={"all": "1"}))

    async def settle(self) -> None:
        """Wait until only event streams are open and nothing new arrives."""
        quiet = 0
        seen = -1
        async with asyncio.timeout(_SETTLE_TIMEOUT):
            while quiet < _QUIET_CHECKS:
                await asyncio.sleep(_QUIET_INTERVAL)
                records = await self.records()
                busy = any(
                    record["duration"] is None
                    and not record["route"].endswith("/events")
                    for record in records
                )
                quiet = 0 if busy or len(records) != seen else quiet + 1
                seen = len(records)


class StateWrites:
    """Counts state writes: those that changed a state and those that did not."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Count from now until stop()."""
        self.changed = 0
        self.unchanged = 0
        # Counting in the event filter, which then declines: no listener runs.
        self._unsubscribe = [
            hass.bus.async_listen(EVENT_STATE_CHANGED, _never, self._count_changed),
            hass.bus.async_listen(EVENT_STATE_REPORTED, _never, self._count_unchanged),
        ]

    @callback
    def _count_changed(self, _: Any) -> bool:
        """Count a state_changed event."""
        self.changed += 1
        return False

    @callback
    def _count_unchanged(self, _: Any) -> bool:
        """Count a state_reported event."""
        self.unchanged += 1
        return False

    def take(self) -> tuple[int, int]:
        """Return the counts since the last take and start again."""
        counts = self.changed, self.unchanged
        self.changed = self.unchanged = 0
        return counts

    def stop(self) -> None:
        """Stop counting."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()


@callback
def _never(_: Any) -> None:
    """Do nothing: the filters decline every event."""


@dataclass(slots=True)
class Target:
    """One integration set up: its entry and the coordinators to drive."""

    entry: MockConfigEntry
    main: DataUpdateCoordinator[Any]
    disk_usage: DataUpdateCoordinator[Any] | None
    cap: int
    writes: StateWrites


async def _set_up(
    hass: HomeAssistant, case: Case, gateway: GatewayProcess, include: str | None
) -> Target:
    """Set up the case's integration against the gateway."""
    data = {
        CONF_URL: gateway.url,
        CONF_API_TOKEN: gateway.admin_key,
        CONF_VERIFY_SSL: False,
    }
    if case.integration == OURS:
        # Polls are driven by hand: the schedule must never add one.
        options: dict[str, Any] = {CONF_SCAN_INTERVAL: SCAN_INTERVAL_RANGE[1]}
        if include is not None:
            options[CONF_INCLUDE_CONTAINERS] = [include]
        entry = MockConfigEntry(domain=OURS, title="bench", data=data, options=options)
    else:
        # Version 5 is the current one: no migration runs.
        entry = MockConfigEntry(
            domain=case.integration, title="bench", data=data, version=5
        )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    if entry.state is not ConfigEntryState.LOADED:
        msg = f"{case.integration} did not load: {entry.state} {entry.reason}"
        raise RuntimeError(msg)

    runtime = entry.runtime_data
    if case.integration == OURS:
        return Target(
            entry=entry,
            main=runtime.coordinator,
            disk_usage=runtime.disk_usage,
            cap=runtime.coordinator.settings.stats_concurrency,
            writes=StateWrites(hass),
        )
    # Core's client has no cap of its own: the session's connection limit
    # per host is what bounds its parallel requests.
    return Target(
        entry=entry,
        main=runtime,
        disk_usage=runtime.docker_disk_space,
        cap=MAXIMUM_CONNECTIONS_PER_HOST,
        writes=StateWrites(hass),
    )


def _rss() -> int:
    """Return the resident set size of this process in bytes."""
    # os.open, not open(): the harness flags open() inside the event loop.
    descriptor = os.open("/proc/self/statm", os.O_RDONLY)
    try:
        pages = int(os.read(descriptor, 200).split()[1])
    finally:
        os.close(descriptor)
    return pages * os.sysconf("SC_PAGE_SIZE")


class _Background:
    """The disk-usage coordinator, kept refreshing behind the main polls.

    Each poll starts with a refresh in flight: a new one when the last has
    finished, so a slow one spans several polls.
    """

    def __init__(self, hass: HomeAssistant, target: Target) -> None:
        """Drive the target's disk-usage coordinator."""
        if target.disk_usage is None:
            msg = "The integration has no disk-usage coordinator"
            raise RuntimeError(msg)
        self._hass = hass
        self._coordinator = target.disk_usage
        self._task: asyncio.Task[None] | None = None
        self.started = 0

    @property
    def busy(self) -> bool:
        """Return whether a refresh is in flight."""
        return self._task is not None and not self._task.done()

    def ensure(self) -> None:
        """Start a refresh unless one is in flight."""
        if not self.busy:
            self.started += 1
            # A background task: waiting for Home Assistant to settle after
            # a poll must not wait for it.
            self._task = self._hass.async_create_background_task(
                self._coordinator.async_refresh(), "bench disk usage"
            )

    async def stop(self) -> None:
        """Cancel the refresh in flight."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def _poll(
    hass: HomeAssistant,
    target: Target,
    control: Control,
    *,
    rss: bool = False,
    profiler: cProfile.Profile | None = None,
    background: _Background | None = None,
) -> PollSample:
    """Run one poll; time it, then read what the gateway served."""
    await control.clear()
    if rss:
        gc.collect()
    busy_before = None
    if background is not None:
        background.ensure()
        busy_before = background.busy

    target.writes.take()
    cpu = time.process_time()
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    await target.main.async_refresh()
    await hass.async_block_till_done()
    if profiler is not None:
        profiler.disable()
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    changed, unchanged = target.writes.take()

    resident = objects = None
    if rss:
        gc.collect()
        resident = _rss()
        objects = len(gc.get_objects())
    records = await control.records()
    requests = Counter(f"{record['method']} {record['route']}" for record in records)
    durations: dict[str, list[float]] = {}
    for record in records:
        if record["duration"] is not None:
            key = f"{record['method']} {record['route']}"
            durations.setdefault(key, []).append(record["duration"])
    list_round_trip = max(durations.get(_ENDPOINTS_ROUTE, [0.0])) + max(
        durations.get(_CONTAINERS_ROUTE, [0.0])
    )
    return PollSample(
        wall=wall,
        cpu=cpu,
        requests=dict(requests),
        bytes=sum(int(record["bytes_sent"]) for record in records),
        ok=target.main.last_update_success,
        list_round_trip=list_round_trip,
        rss=resident,
        objects=objects,
        disk_usage_busy=(
            None
            if background is None or busy_before is None
            else busy_before and background.busy
        ),
        states_changed=changed,
        states_unchanged=unchanged,
    )


async def _polls(
    count: int,
    poll: Callable[[], Awaitable[PollSample]],
    *,
    result: CaseResult | None = None,
    deadline: float | None = None,
) -> list[PollSample]:
    """Run polls back to back; past the deadline, stop after _MIN_POLLS."""
    samples: list[PollSample] = []
    for _ in range(count):
        if (
            deadline is not None
            and len(samples) >= _MIN_POLLS
            and time.monotonic() > deadline
        ):
            if result is not None:
                result.notes.append(
                    f"stopped after {len(samples)} of {count} polls: "
                    f"the case's time cap ({result.case.max_seconds:g} s) ran out"
                )
            break
        samples.append(await poll())
    return samples


def _profile_rows(stats: pstats.Stats, polls: int, key: int) -> list[dict[str, Any]]:
    """Return the top functions by one column (2 own time, 3 cumulative)."""
    rows = []
    entries = stats.stats  # type: ignore[attr-defined]
    for (filename, line, function), values in entries.items():
        if _idle_or_harness(filename, function):
            continue
        calls, total, cumulative = values[1], values[2], values[3]
        rows.append(
            {
                "function": f"{_short(filename)}:{line}({function})",
                "calls_per_poll": calls / polls,
                "own_ms_per_poll": total / polls * 1000,
                "cumulative_ms_per_poll": cumulative / polls * 1000,
                "_sort": values[key],
            }
        )
    rows.sort(key=lambda row: row["_sort"], reverse=True)
    for row in rows:
        del row["_sort"]
    return rows[:_PROFILE_ROWS]


def _idle_or_harness(filename: str, function: str) -> bool:
    """Return whether a profile row is the loop waiting, or the harness."""
    return (
        "select.epoll" in function
        or filename.endswith(
            (
                "/selectors.py",
                "/asyncio/base_events.py",
                "/asyncio/events.py",
                "bench/test_bench.py",
            )
        )
        or function == "<method 'run' of '_contextvars.Context' objects>"
    )


def _short(filename: str) -> str:
    """Return a path relative to site-packages or the repository."""
    for marker in ("site-packages/", "/src/", "/work/main/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    prefix = f"{sys.prefix}/"
    return filename.removeprefix(prefix)


async def _profile(
    hass: HomeAssistant,
    target: Target,
    control: Control,
    case: Case,
    result: CaseResult,
    output: Path,
) -> None:
    """Profile the event loop thread over the case's polls."""
    profiler = cProfile.Profile()
    result.samples = await _polls(
        case.polls, lambda: _poll(hass, target, control, profiler=profiler)
    )
    output.mkdir(parents=True, exist_ok=True)
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    path = output / f"profile-{case.key}-python-{version}.pstats"
    await hass.async_add_executor_job(profiler.dump_stats, str(path))
    stats = pstats.Stats(profiler)
    result.profile = {
        "own": _profile_rows(stats, case.polls, 2),
        "cumulative": _profile_rows(stats, case.polls, 3),
    }
    result.notes.append(f"profile written to {path.relative_to(output.parent)}")


async def _fault(
    hass: HomeAssistant,
    target: Target,
    control: Control,
    case: Case,
    result: CaseResult,
) -> None:
    """Measure main polls beside a disk-usage refresh, without and with a fault.

    The fault is a latency on system/df, the disk-usage coordinator's route.
    """
    background = _Background(hass, target)
    try:
        result.samples = await _polls(
            case.polls, lambda: _poll(hass, target, control, background=background)
        )
        await background.stop()
        await control.add_latency(_DISK_USAGE_PATH, case.fault_seconds)
        started = background.started
        result.fault_samples = await _polls(
            case.fault_polls,
            lambda: _poll(hass, target, control, background=background),
        )
        result.notes.append(
            f"disk-usage refreshes started during the faulted polls: "
            f"{background.started - started}"
        )
    finally:
        await background.stop()
        await control.clear_faults()


async def _engine_containers(engine: EngineClient, run_id: str) -> None:
    """Create the engine case's busybox containers."""
    for role, options in _ENGINE_ROLES.items():
        config = dict(options)
        command = config.pop("command", None)
        container_id = await create_container(
            engine, f"pctb-{run_id}-{role}", run_id=run_id, command=command, **config
        )
        if command is not None:
            # Answers once the container has exited.
            await engine.call("POST", f"/containers/{container_id}/wait")


async def _run(
    hass: HomeAssistant,
    case: Case,
    result: CaseResult,
    control: Control,
    gateway: GatewayProcess,
    bench: BenchPlugin,
    prefix: str,
) -> None:
    """Set up, settle, warm up and measure one case."""
    environments = [
        item["Id"]
        for item in await control.endpoints()
        if item["Type"] in _DOCKER_TYPES and item["Status"] == _UP
    ]
    listed = [c for eid in environments for c in await control.containers(eid)]
    polled = [
        c
        for c in listed
        if case.integration != OURS or c["Names"][0].lstrip("/").startswith(prefix)
    ]
    result.running = sum(c["State"] == "running" for c in polled)
    result.paused = sum(c["State"] == "paused" for c in polled)
    result.docker_environments = len(environments)

    start = time.perf_counter()
    include = f"{prefix}.*" if prefix and case.integration == OURS else None
    target = await _set_up(hass, case, gateway, include)
    await control.settle()
    result.setup_seconds = time.perf_counter() - start
    result.cap = target.cap
    domains = Counter(
        entity_id.partition(".")[0] for entity_id in hass.states.async_entity_ids()
    )
    result.entities = sum(domains.values())
    result.entities_by_domain = dict(sorted(domains.items()))
    # Home Assistant 2026 adds at most this many enabled entities per entry.
    limit = getattr(entity_platform, "MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY", None)
    if limit is not None and result.entities >= limit:
        result.notes.append(
            f"{result.entities} entities: Home Assistant's limit of {limit} "
            "enabled entities per config entry was reached, the containers "
            "beyond it have none"
        )

    await _polls(case.warmup, lambda: _poll(hass, target, control))
    # The registries save 10 s after their last change, and setup changed
    # them: write now, as Home Assistant does before it stops, so that no
    # steady poll pays for setup's writes.
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    if case.purpose == PROFILE:
        await _profile(hass, target, control, case, result, bench.output)
    elif case.purpose == FAULT:
        await _fault(hass, target, control, case, result)
    else:
        deadline = None
        if case.max_seconds is not None:
            deadline = time.monotonic() + case.max_seconds
        result.samples = await _polls(
            case.polls,
            lambda: _poll(hass, target, control, rss=case.purpose == RSS),
            result=result,
            deadline=deadline,
        )
    target.writes.stop()
    await hass.config_entries.async_unload(target.entry.entry_id)
    await hass.async_block_till_done()


async def test_case(
    hass: HomeAssistant,
    socket_enabled: None,
    bench: BenchPlugin,
    case: Case,
    result: CaseResult,
    gateway: GatewayProcess,
) -> None:
    """Measure one case; the results go to scripts/bench.py through the plugin."""
    run_id = uuid.uuid4().hex[:8]
    engine: EngineClient | None = None
    async with aiohttp.ClientSession() as session:
        control = Control(session, gateway)
        try:
            prefix = ""
            if not case.synthetic:
                allow_unix_sockets()
                engine = EngineClient(str(ENGINE_SOCKET))
                await _engine_containers(engine, run_id)
                prefix = f"pctb-{run_id}-"
            await _run(hass, case, result, control, gateway, bench, prefix)
        except Exception as err:
            result.error = f"{type(err).__name__}: {err}"
            raise
        finally:
            if engine is not None:
                await remove_test_containers(engine, run_id)
                await engine.close()
