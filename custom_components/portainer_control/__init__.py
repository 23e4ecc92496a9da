"""The Portainer Control integration: Docker containers managed by Portainer."""

from __future__ import annotations

from homeassistant.const import CONF_URL, CONF_VERIFY_SSL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import PortainerClient
from .const import CONF_API_TOKEN, DOMAIN, REQUEST_TIMEOUT
from .coordinator import (
    PortainerConfigEntry,
    PortainerCoordinator,
    PortainerDiskUsageCoordinator,
    PortainerRuntimeData,
)
from .events import EventWatcher
from .helpers import DeviceKind, parse_device_id
from .image_updates import ImageUpdateCoordinator
from .services import async_setup_services

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.UPDATE,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: PortainerConfigEntry) -> bool:
    """Set up Portainer Control from a config entry."""
    session = async_get_clientsession(hass, verify_ssl=entry.data[CONF_VERIFY_SSL])
    client = PortainerClient(
        entry.data[CONF_URL],
        entry.data[CONF_API_TOKEN],
        session=session,
        request_timeout=REQUEST_TIMEOUT,
    )
    # A new token may be an administrator's: controls get another chance.
    ir.async_delete_issue(hass, DOMAIN, f"{entry.entry_id}_insufficient_permissions")
    coordinator = PortainerCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()

    disk_usage = PortainerDiskUsageCoordinator(hass, entry, client, coordinator)
    image_updates = ImageUpdateCoordinator(hass, entry, client, coordinator)
    entry.runtime_data = PortainerRuntimeData(
        client=client,
        coordinator=coordinator,
        disk_usage=disk_usage,
        image_updates=image_updates,
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))

    # Disk usage and registry checks can take many seconds: never hold up
    # setup for them.
    for slow in (disk_usage, image_updates):
        entry.async_create_background_task(
            hass, slow.async_refresh(), f"{DOMAIN} first {slow.name}"
        )
    EventWatcher(hass, entry, coordinator).async_start()
    return True


async def _async_options_updated(
    hass: HomeAssistant, entry: PortainerConfigEntry
) -> None:
    """Reload with the new options."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: PortainerConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: PortainerConfigEntry) -> None:
    """Remove the repair issues a deleted entry raised."""
    for issue_id in list(ir.async_get(hass).issues):
        if issue_id[0] == DOMAIN and issue_id[1].startswith(entry.entry_id):
            ir.async_delete_issue(hass, DOMAIN, issue_id[1])


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: PortainerConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow removing the device of a stack, container or environment gone."""
    data = entry.runtime_data.coordinator.data
    for domain, identifier in device.identifiers:
        if domain != DOMAIN:
            continue
        if (ref := parse_device_id(entry.entry_id, identifier)) is None:
            continue
        if ref.kind is DeviceKind.ENVIRONMENT:
            return ref.endpoint_id not in data.environments
        key = (ref.endpoint_id, ref.name or "")
        if ref.kind is DeviceKind.STACK:
            return data.stack(key) is None
        return data.container(key) is None
    return True
