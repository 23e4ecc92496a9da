"""Fixtures of the benchmark: Home Assistant's test harness, tuned to measure."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
import logging
from pathlib import Path

import pytest

from bench.common import BenchPlugin, Case, CaseResult, GatewayProcess
from tests.engine import ENGINE_SOCKET, allow_unix_sockets, engine_problem

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Keep the event loop out of debug mode, which the test plugin turns on.

    Debug mode checks every callback and keeps coroutine origins: it would
    multiply the CPU time measured.
    """
    asyncio.get_running_loop().set_debug(False)


@pytest.fixture(autouse=True)
def warning_logs_only() -> None:
    """Log at warning level, Home Assistant's default; the plugin sets info."""
    logging.getLogger().setLevel(logging.WARNING)


@pytest.fixture
def expected_lingering_tasks() -> bool:
    """Warn, not fail, about tasks left behind: a case's results are kept."""
    return True


@pytest.fixture
def expected_lingering_timers() -> bool:
    """Warn, not fail, about timers left behind."""
    return True


@pytest.fixture
def bench(request: pytest.FixtureRequest) -> BenchPlugin:
    """Return the plugin scripts/bench.py passed its cases through."""
    for plugin in request.config.pluginmanager.get_plugins():
        if isinstance(plugin, BenchPlugin):
            return plugin
    pytest.skip("Run the benchmark with scripts/bench")


@pytest.fixture
def result(bench: BenchPlugin, case: Case) -> CaseResult:
    """Return the case's result, recorded even when the case fails half-way."""
    return bench.results.setdefault(case.key, CaseResult(case=case))


@pytest.fixture
def gateway(
    bench: BenchPlugin, case: Case, result: CaseResult
) -> Generator[GatewayProcess]:
    """Start the case's gateway in its own process; skip without an engine."""
    if case.synthetic:
        arguments = [
            "--synthetic",
            str(case.containers),
            "--environments",
            str(case.environments),
            "--stats-tick",
            str(case.tick),
            "--latency",
            str(case.latency),
        ]
    else:
        allow_unix_sockets()
        if (problem := engine_problem()) is not None:
            result.skipped = problem
            pytest.skip(problem)
        arguments = ["--engine", f"unix://{ENGINE_SOCKET}"]
    process = GatewayProcess(
        REPO,
        arguments,
        bench.output / "logs" / f"gateway-{case.key}.log",
        # The gateway's command line, or only its Docker environment for the
        # engine (see bench/engine_gateway.py).
        module="gateway" if case.synthetic else "bench.engine_gateway",
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()
