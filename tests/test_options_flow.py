"""Tests of the options flow and what changing the options does."""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.portainer_control.const import (
    CONF_CONTAINER_STATS,
    CONF_DISK_USAGE_INTERVAL,
    CONF_ENVIRONMENTS,
    CONF_EXCLUDE_CONTAINERS,
    CONF_IMAGE_UPDATE_INTERVAL,
    CONF_INCLUDE_CONTAINERS,
    CONF_STATS_CONCURRENCY,
    DOMAIN,
)

VALID: dict[str, Any] = {
    CONF_ENVIRONMENTS: ["1", "2", "3", "4"],
    CONF_INCLUDE_CONTAINERS: [],
    CONF_EXCLUDE_CONTAINERS: [],
    CONF_CONTAINER_STATS: True,
    CONF_SCAN_INTERVAL: 30,
    CONF_DISK_USAGE_INTERVAL: 30,
    CONF_STATS_CONCURRENCY: 32,
    CONF_IMAGE_UPDATE_INTERVAL: 6,
}


def _suggested(result: dict[str, Any], key: str) -> Any:
    """Return the value the form suggests for a field."""
    for marker in result["data_schema"].schema:
        if marker == key:
            return (marker.description or {}).get("suggested_value")
    raise KeyError(key)


async def test_defaults_shown(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The form offers every environment Portainer lists, all chosen."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)

    assert result["type"] is FlowResultType.FORM
    assert _suggested(result, CONF_ENVIRONMENTS) == ["1", "2", "3", "4"]
    assert _suggested(result, CONF_SCAN_INTERVAL) == 30
    assert _suggested(result, CONF_CONTAINER_STATS) is True


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({CONF_ENVIRONMENTS: []}, CONF_ENVIRONMENTS, "no_environments"),
        (
            {CONF_INCLUDE_CONTAINERS: ["web-("]},
            CONF_INCLUDE_CONTAINERS,
            "invalid_pattern",
        ),
        ({CONF_EXCLUDE_CONTAINERS: ["*"]}, CONF_EXCLUDE_CONTAINERS, "invalid_pattern"),
        ({CONF_SCAN_INTERVAL: 5}, CONF_SCAN_INTERVAL, "scan_interval_out_of_range"),
        ({CONF_SCAN_INTERVAL: 3601}, CONF_SCAN_INTERVAL, "scan_interval_out_of_range"),
        (
            {CONF_DISK_USAGE_INTERVAL: 1},
            CONF_DISK_USAGE_INTERVAL,
            "disk_usage_interval_out_of_range",
        ),
        (
            {CONF_IMAGE_UPDATE_INTERVAL: 0},
            CONF_IMAGE_UPDATE_INTERVAL,
            "image_update_interval_out_of_range",
        ),
        (
            {CONF_STATS_CONCURRENCY: 0},
            CONF_STATS_CONCURRENCY,
            "stats_concurrency_out_of_range",
        ),
    ],
)
async def test_bad_input(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    changes: dict[str, Any],
    field: str,
    error: str,
) -> None:
    """Bad input gets an error on its field, keeps the input, then recovers."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**VALID, **changes}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert _suggested(result, field) == changes[field]

    result = await hass.config_entries.options.async_configure(result["flow_id"], VALID)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_every_environment_means_all(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Choosing every environment stores "all", so new ones are included too."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**VALID, CONF_INCLUDE_CONTAINERS: ["", "home.*"]}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_ENVIRONMENTS] == []
    assert init_integration.options[CONF_INCLUDE_CONTAINERS] == ["home.*"]


async def test_options_reload_and_remove_devices(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    device_registry: dr.DeviceRegistry,
) -> None:
    """New options reload the entry; what they leave out loses its devices."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            **VALID,
            CONF_ENVIRONMENTS: ["1", "4"],
            CONF_EXCLUDE_CONTAINERS: ["back.*", "flaky"],
            CONF_CONTAINER_STATS: False,
            CONF_SCAN_INTERVAL: 60,
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert init_integration.state is ConfigEntryState.LOADED
    names = {
        device.name
        for device in dr.async_entries_for_config_entry(
            device_registry, init_integration.entry_id
        )
    }
    assert {"backup", "flaky", "remote", "edge"}.isdisjoint(names)
    assert {"homeassistant", "local", "k8s"} <= names
    coordinator = init_integration.runtime_data.coordinator
    assert coordinator.update_interval.total_seconds() == 60

    mock_portainer_client.container_stats.reset_mock()
    await coordinator.async_refresh()
    mock_portainer_client.container_stats.assert_not_called()
    assert hass.states.get("sensor.homeassistant_memory_used").state == "unknown"


async def test_options_of_an_unloaded_entry(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An entry that did not load still offers what was chosen before."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={**VALID, CONF_ENVIRONMENTS: ["1"]}
    )

    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)

    assert _suggested(result, CONF_ENVIRONMENTS) == ["1"]
    assert mock_config_entry.domain == DOMAIN
