"""Fixtures for the Portainer client tests."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

import aiohttp
from aioresponses import aioresponses
import pytest

from custom_components.portainer_control.api import PortainerClient

# The trailing slash is stripped; the /portainer prefix must stay.
URL = "https://portainer.example.com:9443/portainer/"
BASE = "https://portainer.example.com:9443/portainer"
TOKEN = "ptr_S3cr3tT0kenValue+/="
DOCKER = f"{BASE}/api/endpoints/1/docker"


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
