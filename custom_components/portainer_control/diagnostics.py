"""Diagnostics of the Portainer Control integration."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant

from .const import CONF_API_TOKEN
from .coordinator import PortainerConfigEntry

# Container labels are free text: dashboards and proxies keep URLs and tokens there.
TO_REDACT = {CONF_API_TOKEN, CONF_URL, "URL", "url", "labels"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: PortainerConfigEntry
) -> dict[str, Any]:
    """Return diagnostics of a config entry, without the token or URL."""
    runtime = entry.runtime_data
    data = runtime.coordinator.data
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        "environments": {
            str(endpoint_id): async_redact_data(asdict(environment), TO_REDACT)
            for endpoint_id, environment in data.environments.items()
        },
        "disk_usage": {
            str(endpoint_id): asdict(usage)
            for endpoint_id, usage in (runtime.disk_usage.data or {}).items()
        },
    }
