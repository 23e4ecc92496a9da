"""Fixtures for the Portainer client tests."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
import inspect
from typing import Any
from unittest.mock import Mock

import aiohttp
from aioresponses import aioresponses, core as aioresponses_core
import pytest

from custom_components.portainer_control.api import PortainerClient

# The trailing slash is stripped; the /portainer prefix must stay.
URL = "https://portainer.example.com:9443/portainer/"
BASE = "https://portainer.example.com:9443/portainer"
TOKEN = "ptr_S3cr3tT0kenValue+/="
DOCKER = f"{BASE}/api/endpoints/1/docker"


class MockResponse(aiohttp.ClientResponse):
    """A mocked response for aiohttp releases that require a stream writer.

    aioresponses builds responses without one; aiohttp 3.14 (newest Home
    Assistant) reads its output size even for an answered request.
    """

    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        if _NEEDS_STREAM_WRITER:
            kwargs.setdefault("stream_writer", Mock(output_size=0))
        super().__init__(method, url, **kwargs)


_NEEDS_STREAM_WRITER = (
    "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters
)
aioresponses_core.ClientResponse = MockResponse  # type: ignore[misc]


@pytest.fixture
def responses() -> Generator[aioresponses]:
    """Mock every aiohttp request."""
    with aioresponses() as mocked:
        yield mocked


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """Return a session the test owns, as Home Assistant would inject it."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def client(
    responses: aioresponses, session: aiohttp.ClientSession
) -> PortainerClient:
    """Return a client using the injected session."""
    return PortainerClient(URL, TOKEN, session=session)
