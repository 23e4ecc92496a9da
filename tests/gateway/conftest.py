"""Fixtures for the gateway tests."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import aiohttp
import pytest

from gateway import Gateway, GatewayConfig, SyntheticConfig
from tests.engine import allow_unix_sockets, docker_engine, engine_gateway

__all__ = ["docker_engine", "engine_gateway"]

# Short ticks keep the stats tests fast; the behaviour is the same as 1 s.
TEST_TICK = 0.2


@pytest.fixture
async def synthetic_gateway(socket_enabled: None) -> AsyncGenerator[Gateway]:
    """Start a synthetic gateway: 40 containers in 2 environments, 0.2 s ticks."""
    gateway = Gateway(
        GatewayConfig(
            synthetic=SyntheticConfig(
                containers=40, environments=2, stats_tick=TEST_TICK, latency=0.0
            )
        )
    )
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


@pytest.fixture
def unix_sockets_enabled(socket_enabled: None) -> None:
    """Let the test connect to unix sockets (and 127.0.0.1)."""
    allow_unix_sockets()


@pytest.fixture
async def http(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """Return a client session, closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session
