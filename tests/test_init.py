"""Tests for setting up and unloading the integration."""

from __future__ import annotations

from unittest.mock import AsyncMock

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.portainer_control.api import (
    PortainerAuthenticationError,
    PortainerConnectionError,
)
from custom_components.portainer_control.const import DOMAIN


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The entry loads, then unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (PortainerConnectionError("down"), ConfigEntryState.SETUP_RETRY),
        (PortainerAuthenticationError("401"), ConfigEntryState.SETUP_ERROR),
    ],
)
async def test_setup_failure(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    error: Exception,
    state: ConfigEntryState,
) -> None:
    """Portainer unreachable retries setup; a rejected token starts reauth."""
    mock_portainer_client.endpoints.side_effect = error
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is state
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert bool(flows) is (state is ConfigEntryState.SETUP_ERROR)


async def test_devices(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Every environment, stack and container gets a device, nested."""
    devices = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    names = sorted(device.name or "" for device in devices)
    assert names == [
        "backup",
        "edge",
        "flaky",
        "grafana",
        "home",
        "homeassistant",
        "k8s",
        "local",
        "monitoring",
        "mosquitto",
        "remote",
    ]
    by_name = {device.name: device for device in devices}
    assert by_name["homeassistant"].via_device_id == by_name["home"].id
    assert by_name["home"].via_device_id == by_name["local"].id
    assert by_name["grafana"].via_device_id == by_name["local"].id
