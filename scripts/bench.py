"""Measure the main poll against the gateway, side by side with core's portainer.

Run it through scripts/bench, which picks the interpreter and its venv. The
Home Assistant half lives in bench/ and runs under pytest with Home
Assistant's test harness; this file chooses the cases, starts pytest, then
summarises, checks the request budget and writes the reports.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
import json
import math
import os
from pathlib import Path
import platform
import re
import shlex
import statistics
import sys
import time
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
# This file is also named bench: the repository, not scripts/, must come first
# so that "bench" is the package.
sys.path[0] = str(REPO)

from bench.common import (  # noqa: E402
    CORE,
    ENGINE,
    FAULT,
    OURS,
    PROFILE,
    RSS,
    SCALE,
    BenchPlugin,
    Case,
    CaseResult,
    PollSample,
)

SIZES = (10, 100, 500, 1000)
ENVIRONMENTS = (1, 3)
QUICK_SIZES = (10, 100)
# Docker answers one-shot stats at its 1-second collection tick.
DOCKER_TICK = 1.0
LARGE = 500
COMPARE_SIZE = 100
RSS_SIZE = 100
PROFILE_SIZE = 1000
# Budget lines.
WALL_FACTOR = 1.5
CORE_FACTOR = 0.5
LINEAR_R2 = 0.95
FAULT_TOLERANCE = 0.10
MIB = 1024 * 1024
KIB = 1024
MS = 1000
# Core's main poll waits 10 s per try on a slow system/df and tries four
# times: a handful of polls is all the fault case can afford.
CORE_FAULT_POLLS = 1
CORE_FAULT_BASELINE = 3
FAULT_POLLS = 10
PROFILE_POLLS = 3
# Core's polls on the real engine retry the unreachable registry for every
# running container, one after the other: half a minute a poll.
CASE_SECONDS = 120.0
RSS_POLLS = 200
PERCENTILE = 0.95
RSS_WARMUP_FRACTION = 4
RSS_TREND = 256 * 1024
PROFILE_ROWS = 15
DOCS = REPO / "docs" / "performance.md"
SHORT_ROUTE = re.compile(r"^(GET|POST|DELETE) /api/endpoints/\{id\}/docker")


# Cases


def _tick(args: argparse.Namespace, containers: int) -> float:
    """Return the stats tick of a case: Docker's, shorter for large N."""
    if args.tick is not None:
        return float(args.tick)
    return args.large_tick if containers >= LARGE else DOCKER_TICK


def _cases(args: argparse.Namespace, core: bool) -> list[Case]:
    """Return the cases to run, in order."""
    integrations = [OURS, CORE] if core else [OURS]
    polls = args.polls
    common: dict[str, Any] = {"latency": args.latency, "warmup": args.warmup}
    sizes = QUICK_SIZES if args.quick else SIZES
    environment_counts = (1,) if args.quick else ENVIRONMENTS
    # First: a fresh process has a small heap, so a full collection before
    # every RSS sample is quick.
    cases = [
        Case(
            integration=OURS,
            purpose=RSS,
            containers=RSS_SIZE,
            environments=1,
            tick=args.rss_tick,
            polls=args.rss_polls,
            **common,
        )
    ]
    cases += [
        Case(
            integration=integration,
            purpose=SCALE,
            containers=size,
            environments=environments,
            tick=_tick(args, size),
            polls=polls,
            **common,
        )
        for size in sizes
        for environments in environment_counts
        for integration in integrations
        # Core polls environments one after the other: N = 100 shows it, and
        # its large cases are the slowest of the run.
        if integration == OURS
        or args.core_all
        or environments == 1
        or size == COMPARE_SIZE
    ]
    for integration in integrations:
        ours = integration == OURS
        if args.quick and not ours:
            continue
        cases.append(
            Case(
                integration=integration,
                purpose=FAULT,
                containers=COMPARE_SIZE,
                environments=1,
                tick=_tick(args, COMPARE_SIZE),
                polls=args.fault_polls if ours else CORE_FAULT_BASELINE,
                fault_polls=args.fault_polls if ours else CORE_FAULT_POLLS,
                fault_seconds=args.fault_seconds,
                **common,
            )
        )
    cases.extend(
        Case(
            integration=integration,
            purpose=ENGINE,
            containers=0,
            environments=1,
            tick=DOCKER_TICK,
            polls=polls,
            latency=0.0,
            warmup=args.warmup,
            max_seconds=args.case_seconds,
        )
        for integration in integrations
    )
    profile_size = COMPARE_SIZE if args.quick else PROFILE_SIZE
    cases.append(
        Case(
            integration=OURS,
            purpose=PROFILE,
            containers=profile_size,
            environments=1,
            tick=_tick(args, profile_size),
            polls=args.profile_polls,
            **common,
        )
    )
    if args.only:
        pattern = re.compile(args.only)
        cases = [case for case in cases if pattern.search(case.key)]
    return cases


# Figures


def _percentile(values: list[float], fraction: float) -> float:
    """Return a percentile with linear interpolation between ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(slots=True, kw_only=True)
class Fit:
    """A least-squares line y = slope * x + intercept."""

    slope: float
    intercept: float
    r2: float
    # Standard error of the slope.
    stderr: float


def _fit(xs: list[float], ys: list[float]) -> Fit | None:
    """Return the least-squares line through the points, if there are enough."""
    count = len(xs)
    if count < 2 or len(set(xs)) < 2:  # noqa: PLR2004 - a line needs two points
        return None
    mean_x = statistics.fmean(xs)
    mean_y = statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    residual = sum(
        (y - (slope * x + intercept)) ** 2 for x, y in zip(xs, ys, strict=True)
    )
    total = sum((y - mean_y) ** 2 for y in ys)
    r2 = 1.0 - residual / total if total else 1.0
    # A line through two points fits exactly: its slope has no error estimate.
    points_for_error = 3
    stderr = (
        math.sqrt(residual / (count - 2) / sxx) if count >= points_for_error else 0.0
    )
    return Fit(slope=slope, intercept=intercept, r2=r2, stderr=stderr)


@dataclass(slots=True, kw_only=True)
class Summary:
    """The figures of one case's steady-state polls."""

    polls: int
    failed_polls: int
    wall_median: float
    wall_p95: float
    cpu_median: float
    bytes_median: float
    requests_median: float
    requests_max: int
    by_route: dict[str, float]
    list_round_trip: float
    # State writes per poll, and how many of them changed nothing.
    state_writes: float
    unchanged_writes: float
    # Stats requests the integration makes per poll, and in how many waves.
    stats_requests: int
    waves: int
    bound: float
    budget: int

    @property
    def wall_over_bound(self) -> float:
        """Return the median wall time as a multiple of the lower bound."""
        return self.wall_median / self.bound if self.bound else math.inf


def _summary(result: CaseResult, samples: list[PollSample]) -> Summary | None:
    """Return the figures of a list of polls."""
    if not samples:
        return None
    case = result.case
    routes = sorted({route for sample in samples for route in sample.requests})
    totals = [sum(sample.requests.values()) for sample in samples]
    # Ours asks stats of running containers; core also of paused ones.
    stats_requests = result.running + (result.paused if case.integration == CORE else 0)
    waves = math.ceil(stats_requests / result.cap) if result.cap else 0
    list_round_trip = statistics.median(s.list_round_trip for s in samples)
    return Summary(
        polls=len(samples),
        failed_polls=sum(not sample.ok for sample in samples),
        wall_median=statistics.median(s.wall for s in samples),
        wall_p95=_percentile([s.wall for s in samples], PERCENTILE),
        cpu_median=statistics.median(s.cpu for s in samples),
        bytes_median=statistics.median(s.bytes for s in samples),
        requests_median=statistics.median(totals),
        requests_max=max(totals),
        by_route={
            route: statistics.median(s.requests.get(route, 0) for s in samples)
            for route in routes
        },
        list_round_trip=list_round_trip,
        state_writes=statistics.median(
            s.states_changed + s.states_unchanged for s in samples
        ),
        unchanged_writes=statistics.median(s.states_unchanged for s in samples),
        stats_requests=stats_requests,
        waves=waves,
        bound=list_round_trip + waves * case.tick,
        budget=result.docker_environments + result.running + 1,
    )


@dataclass(slots=True, kw_only=True)
class Verdict:
    """One budget line: met, not met, or not measured (None)."""

    name: str
    met: bool | None
    detail: str


@dataclass(slots=True, kw_only=True)
class Report:
    """Everything the run found, ready to print and write."""

    started: str
    command: str
    machine: dict[str, Any]
    results: list[CaseResult]
    summaries: dict[str, Summary | None]
    fault_summaries: dict[str, Summary | None]
    verdicts: list[Verdict] = field(default_factory=list)
    fits: dict[str, Fit | None] = field(default_factory=dict)
    rss: dict[str, Any] = field(default_factory=dict)


def _find(report: Report, purpose: str, integration: str, **where: int) -> str | None:
    """Return the key of a measured case matching purpose, integration, sizes."""
    for result in report.results:
        case = result.case
        if (
            case.purpose == purpose
            and case.integration == integration
            and all(getattr(case, name) == value for name, value in where.items())
            and report.summaries.get(case.key) is not None
        ):
            return case.key
    return None


def _verdict_requests(report: Report) -> None:
    """Check requests per poll against environments + running + 1, every poll."""
    lines = []
    met = True
    for result in report.results:
        summary = report.summaries.get(result.case.key)
        if result.case.integration != OURS or summary is None:
            continue
        if result.case.purpose not in (SCALE, ENGINE):
            continue
        ok = summary.requests_max <= summary.budget
        met = met and ok
        lines.append(
            f"{result.case.key}: max {summary.requests_max} / {summary.budget}"
        )
    report.verdicts.append(
        Verdict(
            name="requests per poll ≤ environments + running + 1 (every poll)",
            met=met if lines else None,
            detail="; ".join(lines) or "no case measured",
        )
    )


def _verdict_wall(report: Report) -> None:
    """Check the median wall time against 1.5 times the lower bound, at every N."""
    lines = []
    met = True
    for result in report.results:
        summary = report.summaries.get(result.case.key)
        if result.case.integration != OURS or summary is None:
            continue
        if result.case.purpose not in (SCALE, ENGINE):
            continue
        ok = summary.wall_over_bound <= WALL_FACTOR
        met = met and ok
        lines.append(
            f"{result.case.key}: {summary.wall_median:.2f} s / "
            f"{summary.bound:.2f} s = {summary.wall_over_bound:.2f}"
        )
    report.verdicts.append(
        Verdict(
            name=f"wall ≤ {WALL_FACTOR} x lower bound at every N (median)",
            met=met if lines else None,
            detail="; ".join(lines) or "no case measured",
        )
    )


def _verdict_core(report: Report) -> None:
    """Check requests and CPU time at N = 100 against half of core's."""
    ours = _find(report, SCALE, OURS, containers=COMPARE_SIZE, environments=1)
    core = _find(report, SCALE, CORE, containers=COMPARE_SIZE, environments=1)
    ours_summary = report.summaries.get(ours) if ours else None
    core_summary = report.summaries.get(core) if core else None
    for name, attribute, unit, scale in (
        ("requests", "requests_median", "", 1.0),
        ("CPU time", "cpu_median", " ms", MS),
    ):
        title = f"N = {COMPARE_SIZE}: {name} per poll ≤ {CORE_FACTOR} x core's"
        if ours_summary is None or core_summary is None:
            why = report.machine.get("core") or "a case failed or was not run"
            report.verdicts.append(Verdict(name=title, met=None, detail=why))
            continue
        mine = getattr(ours_summary, attribute) * scale
        theirs = getattr(core_summary, attribute) * scale
        ratio = mine / theirs if theirs else math.inf
        report.verdicts.append(
            Verdict(
                name=title,
                met=ratio <= CORE_FACTOR,
                detail=f"{mine:.0f}{unit} vs {theirs:.0f}{unit}: {ratio:.2f} x core's",
            )
        )


def _verdict_linear(report: Report) -> None:
    """Fit cost against running containers by least squares over the scale cases."""
    points = [
        (result.running, summary)
        for result in report.results
        if result.case.integration == OURS
        and result.case.purpose == SCALE
        and (summary := report.summaries.get(result.case.key)) is not None
    ]
    running = [float(count) for count, _ in points]
    cpu = _fit(running, [summary.cpu_median for _, summary in points])
    wall = _fit(running, [summary.wall_median for _, summary in points])
    beyond = _fit(
        running,
        [summary.wall_median - summary.bound for _, summary in points],
    )
    report.fits = {"cpu": cpu, "wall": wall, "wall_beyond_bound": beyond}
    if cpu is None or wall is None or beyond is None:
        report.verdicts.append(
            Verdict(
                name="cost linear in running containers",
                met=None,
                detail="needs scale cases at two or more sizes",
            )
        )
        return
    report.verdicts.append(
        Verdict(
            name=f"cost linear in running containers (CPU fit R² ≥ {LINEAR_R2})",
            met=cpu.r2 >= LINEAR_R2,
            detail=(
                f"CPU {cpu.slope * MS:.3f} ms per running container "
                f"(+ {cpu.intercept * MS:.1f} ms, R² {cpu.r2:.3f}); "
                f"wall {wall.slope * MS:.2f} ms per running container "
                f"(R² {wall.r2:.3f}, ticks differ by size); wall beyond the "
                f"lower bound {beyond.slope * MS:.3f} ms per running container "
                f"(R² {beyond.r2:.3f})"
            ),
        )
    )


def _verdict_fault(report: Report) -> None:
    """Check that a slow system/df leaves the main poll's wall time unchanged."""
    for result in report.results:
        case = result.case
        if case.purpose != FAULT:
            continue
        title = (
            f"{case.integration}: {case.fault_seconds:g} s latency on system/df "
            "leaves the main poll's wall time unchanged"
        )
        before = report.summaries.get(case.key)
        after = report.fault_summaries.get(case.key)
        if before is None or after is None:
            detail = result.skipped or result.error or "not measured"
            report.verdicts.append(Verdict(name=title, met=None, detail=detail))
            continue
        allowed = max(
            before.wall_median * (1 + FAULT_TOLERANCE),
            before.wall_median + case.tick / 2,
        )
        busy = [s.disk_usage_busy for s in result.fault_samples]
        report.verdicts.append(
            Verdict(
                name=title,
                met=after.wall_median <= allowed,
                detail=(
                    f"median {before.wall_median:.2f} s without, "
                    f"{after.wall_median:.2f} s with (p95 {after.wall_p95:.2f} s, "
                    f"allowed {allowed:.2f} s); disk usage in flight through "
                    f"{sum(bool(b) for b in busy)}/{len(busy)} faulted polls"
                ),
            )
        )


def _rss_trend(report: Report) -> None:
    """Fit RSS and live objects against the poll number, after a warm-up.

    The first quarter of the polls fills caches, pools and allocator arenas:
    growth there levels off, so the trend is fitted on the rest.
    """
    for result in report.results:
        if result.case.purpose != RSS:
            continue
        samples = [s for s in result.samples if s.rss is not None]
        skip = len(samples) // RSS_WARMUP_FRACTION
        steady = samples[skip:]
        polls = [float(i) for i in range(skip, len(samples))]
        fit = _fit(polls, [float(s.rss or 0) for s in steady])
        objects = _fit(polls, [float(s.objects or 0) for s in steady])
        if fit is None or objects is None:
            continue
        first, last = samples[0].rss or 0, samples[-1].rss or 0
        per_100 = fit.slope * 100
        # A trend is a slope well outside its error and big enough to matter:
        # RSS_TREND per 100 polls is about 7 MiB a day at a 30 s interval.
        trend = fit.slope > 2 * fit.stderr and per_100 > RSS_TREND
        report.rss = {
            "case": result.case.key,
            "polls": len(samples),
            "warmup_polls": skip,
            "first_mib": first / MIB,
            "after_warmup_mib": (steady[0].rss or 0) / MIB,
            "last_mib": last / MIB,
            "slope_kib_per_100_polls": per_100 / KIB,
            "stderr_kib_per_100_polls": fit.stderr * 100 / KIB,
            "objects_per_100_polls": objects.slope * 100,
            "growth_trend": trend,
        }
        report.verdicts.append(
            Verdict(
                name=(
                    f"RSS over {len(samples)} polls at N = {result.case.containers}"
                    f" (trend fitted after the first {skip})"
                ),
                met=not trend,
                detail=(
                    f"{first / MIB:.1f} MiB at the first poll, "
                    f"{(steady[0].rss or 0) / MIB:.1f} after {skip}, "
                    f"{last / MIB:.1f} at the last; slope {per_100 / KIB:+.0f} "
                    f"± {fit.stderr * 100 / KIB:.0f} KiB and "
                    f"{objects.slope * 100:+.0f} live objects per 100 polls: "
                    f"{'growth trend' if trend else 'no growth trend'}"
                ),
            )
        )


# Output


def _seconds(value: float) -> str:
    """Return seconds with a precision that fits their size."""
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


def _route(route: str) -> str:
    """Return a route shortened for tables: /api/endpoints/{id}/docker → …."""
    return SHORT_ROUTE.sub(r"\1 …", route)


def _main_table(report: Report) -> list[str]:
    """Return the Markdown table of every case's steady-state figures."""
    lines = [
        "| case | integration | N | E | running | tick s | polls | wall median s "
        "| wall p95 s | bound s | wall / bound | req/poll median (max) | budget "
        "| KiB/poll | CPU ms/poll | entities | state writes/poll (unchanged) "
        "| setup s |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    rows = [
        (result, result.case.purpose, report.summaries.get(result.case.key))
        for result in report.results
    ]
    for index in reversed(range(len(rows))):
        result = rows[index][0]
        if result.case.purpose == FAULT and result.fault_samples:
            label = f"{FAULT}: df +{result.case.fault_seconds:g} s"
            summary = report.fault_summaries.get(result.case.key)
            rows.insert(index + 1, (result, label, summary))
    for result, label, summary in rows:
        case = result.case
        size = str(case.containers) if case.synthetic else "engine"
        head = (
            f"| {label} | {case.integration} | {size} | "
            f"{result.docker_environments or case.environments} | "
            f"{result.running} | {case.tick:g} |"
        )
        if summary is None:
            why = result.skipped or result.error or "not measured"
            lines.append(f"{head} - | {why} ||||||||||||")
            continue
        failed = f" ({summary.failed_polls} failed)" if summary.failed_polls else ""
        lines.append(
            f"{head} {summary.polls}{failed} | {_seconds(summary.wall_median)} | "
            f"{_seconds(summary.wall_p95)} | {_seconds(summary.bound)} | "
            f"{summary.wall_over_bound:.2f} | {summary.requests_median:g} "
            f"({summary.requests_max}) | {summary.budget} | "
            f"{summary.bytes_median / KIB:.0f} | {summary.cpu_median * MS:.0f} | "
            f"{result.entities} | "
            f"{summary.state_writes:g} ({summary.unchanged_writes:g}) | "
            f"{result.setup_seconds:.1f} |"
        )
    return lines


def _route_table(report: Report) -> list[str]:
    """Return requests per poll by route, side by side, for N = 100 and engine."""
    keys = [
        key
        for key in (
            _find(report, SCALE, OURS, containers=COMPARE_SIZE, environments=1),
            _find(report, SCALE, CORE, containers=COMPARE_SIZE, environments=1),
            _find(report, ENGINE, OURS),
            _find(report, ENGINE, CORE),
        )
        if key is not None
    ]
    if not keys:
        return []
    summaries = {
        key: summary for key in keys if (summary := report.summaries[key]) is not None
    }
    keys = list(summaries)
    routes = sorted(
        {route for s in summaries.values() for route in s.by_route},
        key=lambda route: (
            -max(s.by_route.get(route, 0) for s in summaries.values()),
            route,
        ),
    )
    lines = [
        "| route (median per poll) | " + " | ".join(keys) + " |",
        "|---|" + "--:|" * len(keys),
    ]
    for route in routes:
        cells = [f"{summaries[key].by_route.get(route, 0):g}" for key in keys]
        lines.append(f"| `{_route(route)}` | " + " | ".join(cells) + " |")
    return lines


def _profile_table(report: Report) -> list[str]:
    """Return the top functions of the profiled case."""
    lines: list[str] = []
    for result in report.results:
        if result.case.purpose != PROFILE or not result.profile:
            continue
        for column, title in (("own", "own time"), ("cumulative", "cumulative time")):
            lines += [
                "",
                f"Top {PROFILE_ROWS} by {title}, {result.case.key}, "
                f"{len(result.samples)} polls (cProfile, event loop thread):",
                "",
                "| function | calls/poll | own ms/poll | cumulative ms/poll |",
                "|---|--:|--:|--:|",
            ]
            lines.extend(
                f"| `{row['function']}` | {row['calls_per_poll']:.0f} | "
                f"{row['own_ms_per_poll']:.1f} | {row['cumulative_ms_per_poll']:.1f} |"
                for row in result.profile[column][:PROFILE_ROWS]
            )
    return lines


def _markdown(report: Report) -> str:
    """Return the whole report as Markdown."""
    machine = report.machine
    lines = [
        f"Command: `{report.command}`  ",
        f"Date: {report.started}  ",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['system']}  ",
        f"Python {machine['python']}, Home Assistant {machine['homeassistant']}"
        + (f", pyportainer {machine['pyportainer']}" if machine["pyportainer"] else "")
        + "  ",
        f"Gateway: synthetic, latency {machine['latency'] * MS:g} ms, stats at the "
        "tick shown; own process (its CPU is not counted). Stats cap of ours: "
        f"{machine['cap']}; core has none (the session's 100 connections per "
        "host bound it).",
        "",
        *_main_table(report),
        "",
        "Lower bound = environment list + slowest container list (gateway time) "
        "+ ceil(stats requests / cap) x tick. Polls run back to back, so each "
        "starts just after a tick and every wave of stats waits a whole one.",
        "",
        "### Budget",
        "",
    ]
    for verdict in report.verdicts:
        mark = {True: "met", False: "NOT MET", None: "n/a"}[verdict.met]
        lines.append(f"- **{mark}** — {verdict.name}: {verdict.detail}")
    if route_lines := _route_table(report):
        lines += ["", "### Requests per poll by route", "", *route_lines]
    faults = [
        f"- {result.case.key}: {note}"
        for result in report.results
        for note in result.notes
    ]
    if faults:
        lines += ["", "### Notes", "", *faults]
    if profile := _profile_table(report):
        lines += ["", "### Profile", *profile]
    return "\n".join(lines) + "\n"


def _json(report: Report) -> dict[str, Any]:
    """Return the report as JSON-ready data."""
    return {
        "started": report.started,
        "command": report.command,
        "machine": report.machine,
        "verdicts": [asdict(verdict) for verdict in report.verdicts],
        "fits": {
            name: None if fit is None else asdict(fit)
            for name, fit in report.fits.items()
        },
        "rss": report.rss,
        "cases": [
            {
                "result": asdict(result),
                "summary": _as_dict(report.summaries.get(result.case.key)),
                "fault_summary": _as_dict(report.fault_summaries.get(result.case.key)),
            }
            for result in report.results
        ],
    }


def _as_dict(summary: Summary | None) -> dict[str, Any] | None:
    """Return a summary as a dict, with its derived figures."""
    if summary is None:
        return None
    return asdict(summary) | {"wall_over_bound": summary.wall_over_bound}


def _update_docs(report: Report, markdown: str) -> None:
    """Replace this Python's block in docs/performance.md, keeping the rest."""
    version = ".".join(platform.python_version_tuple()[:2])
    start = f"<!-- bench:python-{version}:start -->"
    end = f"<!-- bench:python-{version}:end -->"
    block = (
        f"{start}\n## Python {version}, Home Assistant "
        f"{report.machine['homeassistant']}\n\n{markdown}{end}"
    )
    text = DOCS.read_text() if DOCS.exists() else _DOCS_TEMPLATE
    if start in text and end in text:
        before, _, rest = text.partition(start)
        _, _, after = rest.partition(end)
        text = before + block + after
    else:
        marker = "<!-- bench:results -->"
        if marker not in text:
            text += f"\n{marker}\n"
        text = text.replace(marker, f"{marker}\n\n{block}\n", 1)
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text)


_DOCS_TEMPLATE = """# Performance

Measured by `scripts/bench`; see the bottom of this page for how.

## Results

<!-- bench:results -->
"""


# Run


def _machine(args: argparse.Namespace) -> dict[str, Any]:
    """Return what the results depend on besides the code."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "homeassistant": _version("homeassistant"),
        "pyportainer": _version("pyportainer"),
        "test_plugin": _version("pytest-homeassistant-custom-component"),
        "latency": args.latency,
    }


def _version(distribution: str) -> str | None:
    """Return an installed distribution's version, or None."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _core_available() -> str | None:
    """Return why core's portainer cannot run here, or None when it can."""
    components = Path(_distribution_path("homeassistant"), "components", "portainer")
    if not components.is_dir():
        return (
            f"Home Assistant {_version('homeassistant')} has no portainer "
            "integration; run under Python 3.14 for the side by side"
        )
    if _version("pyportainer") is None:
        return "pyportainer is missing (scripts/bench installs it)"
    return None


def _distribution_path(distribution: str) -> Path:
    """Return the package folder of an installed distribution."""
    files = metadata.files(distribution) or []
    init = next(f for f in files if str(f).endswith("__init__.py"))
    return Path(str(init.locate())).parent


def _command(argv: list[str]) -> str:
    """Return the command line that reproduces this run."""
    command = shlex.join(["scripts/bench", *argv])
    # py314 mounts the repository at /src.
    if Path("/src") == REPO:
        command = f"../shared/tools/py314 -- {command}"
    return command


def _progress(result: CaseResult) -> None:
    """Print one line per finished case."""
    case = result.case
    if result.skipped:
        print(f"  {case.key}: skipped: {result.skipped}", flush=True)
        return
    if not result.samples:
        print(f"  {case.key}: no polls measured: {result.error}", flush=True)
        return
    walls = [s.wall for s in result.samples]
    cpus = [s.cpu for s in result.samples]
    requests = [sum(s.requests.values()) for s in result.samples]
    error = f" [{result.error}]" if result.error else ""
    print(
        f"  {case.key}: {len(walls)} polls, wall {statistics.median(walls):.3f} s, "
        f"CPU {statistics.median(cpus) * MS:.0f} ms, "
        f"{statistics.median(requests):g} req/poll, setup "
        f"{result.setup_seconds:.1f} s, case {result.elapsed:.0f} s{error}",
        flush=True,
    )


def _parser() -> argparse.ArgumentParser:
    """Return the command line parser."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="a small smoke subset")
    parser.add_argument("--polls", type=int, default=20, help="steady-state polls")
    parser.add_argument("--warmup", type=int, default=2, help="polls before them")
    parser.add_argument(
        "--latency", type=float, default=0.02, help="gateway latency L (s)"
    )
    parser.add_argument(
        "--tick", type=float, default=None, help="stats tick for every case (s)"
    )
    parser.add_argument(
        "--large-tick",
        type=float,
        default=0.1,
        help=f"stats tick for N >= {LARGE} unless --tick (s); Docker's is 1",
    )
    parser.add_argument(
        "--rss-polls", type=int, default=RSS_POLLS, help="polls of the RSS case"
    )
    parser.add_argument(
        "--rss-tick", type=float, default=0.1, help="stats tick of the RSS case (s)"
    )
    parser.add_argument(
        "--fault-seconds",
        type=float,
        default=15.0,
        help="latency added to system/df in the fault case (s)",
    )
    parser.add_argument(
        "--fault-polls",
        type=int,
        default=FAULT_POLLS,
        help="polls without, then with the fault (ours; core: "
        f"{CORE_FAULT_BASELINE} and {CORE_FAULT_POLLS})",
    )
    parser.add_argument(
        "--case-seconds",
        type=float,
        default=CASE_SECONDS,
        help="time cap of the engine cases' measured polls (at least 3 run)",
    )
    parser.add_argument(
        "--profile-polls",
        type=int,
        default=PROFILE_POLLS,
        help=f"polls profiled at N = {PROFILE_SIZE}",
    )
    parser.add_argument("--no-core", action="store_true", help="skip core's portainer")
    parser.add_argument(
        "--core-all",
        action="store_true",
        help=f"core at 3 environments for every N too, not only N = {COMPARE_SIZE}",
    )
    parser.add_argument("--only", help="run the cases whose key matches this regex")
    parser.add_argument(
        "--output", type=Path, default=REPO / "bench-results", help="results folder"
    )
    parser.add_argument(
        "--docs",
        choices=("auto", "yes", "no"),
        default="auto",
        help="update docs/performance.md (auto: on full runs)",
    )
    return parser


def main(argv: list[str]) -> int:
    """Run the cases, then print and write the report."""
    args = _parser().parse_args(argv)
    if args.quick:
        args.polls = min(args.polls, 5)
        args.fault_polls = min(args.fault_polls, 3)
        args.rss_polls = min(args.rss_polls, 20)
        args.profile_polls = min(args.profile_polls, 2)

    core_problem = None if not args.no_core else "--no-core"
    core_problem = core_problem or _core_available()
    cases = _cases(args, core_problem is None)
    machine = _machine(args)
    started = datetime.now(UTC)
    print(
        f"Python {machine['python']}, Home Assistant {machine['homeassistant']}, "
        f"{machine['cores']} cores; {len(cases)} cases",
        flush=True,
    )
    if core_problem:
        print(f"  core's portainer: skipped: {core_problem}", flush=True)

    plugin = BenchPlugin(cases, args.output, on_result=_progress)
    clock = time.perf_counter()
    pytest.main(
        [
            str(REPO / "bench" / "test_bench.py"),
            f"--rootdir={REPO}",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:sugar",
            "-q",
            "-s",
            "--no-header",
            "-rN",
            "--tb=line",
        ],
        plugins=[plugin],
    )
    elapsed = time.perf_counter() - clock

    results = [plugin.results.get(c.key) or CaseResult(case=c) for c in cases]
    report = Report(
        started=started.strftime("%Y-%m-%d %H:%M UTC"),
        command=_command(argv),
        machine=machine | {"runtime_seconds": round(elapsed)},
        results=results,
        summaries={r.case.key: _summary(r, r.samples) for r in results},
        fault_summaries={r.case.key: _summary(r, r.fault_samples) for r in results},
    )
    report.machine["cap"] = next(
        (r.cap for r in results if r.case.integration == OURS and r.cap), None
    )
    if core_problem:
        report.machine["core"] = f"not measured: {core_problem}"
    _verdict_requests(report)
    _verdict_wall(report)
    _verdict_core(report)
    _verdict_linear(report)
    _verdict_fault(report)
    _rss_trend(report)

    markdown = _markdown(report) + f"\nRun time: {elapsed / 60:.1f} min.\n"
    print()
    print(markdown)
    args.output.mkdir(parents=True, exist_ok=True)
    version = ".".join(platform.python_version_tuple()[:2])
    data = json.dumps(_json(report), indent=2, default=str)
    for name in ("latest", f"python-{version}"):
        (args.output / f"{name}.json").write_text(data)
        (args.output / f"{name}.md").write_text(markdown)
    if args.docs == "yes" or (args.docs == "auto" and not (args.quick or args.only)):
        _update_docs(report, markdown)
        print(f"Updated {DOCS.relative_to(REPO)}")
    print(f"Wrote {args.output / 'latest.json'} and latest.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
