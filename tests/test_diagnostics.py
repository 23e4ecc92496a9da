"""Tests for the diagnostics of a config entry."""

from __future__ import annotations

import json
from unittest.mock import AsyncMock
from urllib.parse import urlsplit

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from .conftest import TOKEN, URL, FakePortainer

HOST = urlsplit(URL).hostname


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics hold the entry, every environment and the disk usage."""
    # Disk usage is fetched in a background task after setup.
    await hass.async_block_till_done(wait_background_tasks=True)

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    assert diagnostics == snapshot


async def test_diagnostics_without_secrets(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
    fake_portainer: FakePortainer,
    mock_portainer_client: AsyncMock,
) -> None:
    """Neither the token nor the server's host leak, even through labels."""
    # A dashboard's service discovery labels on the Portainer container carry
    # both, as do a reverse proxy's routing labels.
    labels = {
        "homepage.widget.type": "portainer",
        "homepage.widget.url": URL,
        "homepage.widget.key": TOKEN,
        "traefik.http.routers.portainer.rule": f"Host(`{HOST}`)",
    }
    fake_portainer.containers[1][0]["Labels"].update(labels)
    fake_portainer.inspect_base["Config"]["Labels"].update(labels)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )
    dumped = json.dumps(diagnostics, default=str)

    assert HOST
    assert TOKEN not in dumped
    assert HOST not in dumped
    # Not vacuous: the environments and their containers are there.
    assert set(diagnostics["environments"]) == {"1", "2", "3", "4"}
    assert "homeassistant" in diagnostics["environments"]["1"]["containers"]
