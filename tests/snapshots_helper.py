"""Snapshots of entities that read the same on every supported release."""

from __future__ import annotations

from enum import Enum
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from syrupy.assertion import SnapshotAssertion

# Registry fields we set. Others (aliases, object id hints) and the types of
# capability keys differ between Home Assistant releases.
REGISTRY_FIELDS = (
    "entity_id",
    "unique_id",
    "translation_key",
    "original_name",
    "original_device_class",
    "entity_category",
    "disabled_by",
    "unit_of_measurement",
    "capabilities",
    "options",
)


def _plain(value: Any) -> Any:
    """Return the value with enums as their values and keys as strings."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(_plain(key)): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


async def snapshot_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    config_entry_id: str,
) -> None:
    """Snapshot every entity of a config entry: its registry entry and state."""
    entries = er.async_entries_for_config_entry(entity_registry, config_entry_id)
    assert entries, "the config entry has no entities"
    for entry in sorted(entries, key=lambda entry: entry.entity_id):
        fields = {field: _plain(getattr(entry, field)) for field in REGISTRY_FIELDS}
        assert fields == snapshot(name=f"{entry.entity_id}-entry")
        state = hass.states.get(entry.entity_id)
        attributes = dict(state.attributes) if state else {}
        # Where Home Assistant serves brand images from changed between releases.
        attributes.pop("entity_picture", None)
        shown = {
            "state": state.state if state else None,
            "attributes": _plain(attributes),
        }
        assert shown == snapshot(name=f"{entry.entity_id}-state")
