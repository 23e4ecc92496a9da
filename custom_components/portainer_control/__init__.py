"""The Portainer Control integration: Docker containers managed by Portainer."""

from __future__ import annotations

from homeassistant.const import CONF_URL, CONF_VERIFY_SSL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import PortainerClient
from .const import CONF_API_TOKEN, DOMAIN, REQUEST_TIMEOUT
from .coordinator import (
    PortainerConfigEntry,
    PortainerCoordinator,
    PortainerDiskUsageCoordinator,
    PortainerRuntimeData,
)
from .helpers import environment_device_id, parse_container_device_id

PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SENSOR, Platform.SWITCH]


async def async_setup_entry(hass: HomeAssistant, entry: PortainerConfigEntry) -> bool:
    """Set up Portainer Control from a config entry."""
    session = async_get_clientsession(hass, verify_ssl=entry.data[CONF_VERIFY_SSL])
    client = PortainerClient(
        entry.data[CONF_URL],
        entry.data[CONF_API_TOKEN],
        session=session,
        request_timeout=REQUEST_TIMEOUT,
    )
    coordinator = PortainerCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()

    disk_usage = PortainerDiskUsageCoordinator(hass, entry, client, coordinator)
    entry.runtime_data = PortainerRuntimeData(
        client=client, coordinator=coordinator, disk_usage=disk_usage
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)

    # Disk usage can take many seconds: never hold up setup for it.
    entry.async_create_background_task(
        hass, disk_usage.async_refresh(), f"{DOMAIN} first disk usage"
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: PortainerConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: PortainerConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow removing the device of a container or environment that is gone."""
    data = entry.runtime_data.coordinator.data
    for domain, identifier in device.identifiers:
        if domain != DOMAIN:
            continue
        if (key := parse_container_device_id(entry.entry_id, identifier)) is not None:
            return data.container(key) is None
        for endpoint_id in data.environments:
            if identifier == environment_device_id(entry.entry_id, endpoint_id):
                return False
    return True
