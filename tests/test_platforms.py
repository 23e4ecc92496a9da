"""Snapshot tests of every platform's entities."""

from __future__ import annotations

from unittest.mock import AsyncMock, patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from .snapshots_helper import snapshot_entities


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platform",
    [
        Platform.BINARY_SENSOR,
        Platform.BUTTON,
        Platform.EVENT,
        Platform.SENSOR,
        Platform.SWITCH,
        Platform.UPDATE,
    ],
)
async def test_platform_snapshot(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Entities and their states match the snapshot, for every platform."""
    with patch("custom_components.portainer_control.PLATFORMS", [platform]):
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)

    await snapshot_entities(hass, entity_registry, snapshot, mock_config_entry.entry_id)
