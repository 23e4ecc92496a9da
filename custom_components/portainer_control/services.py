"""Actions of the Portainer Control integration."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util.json import JsonValueType

from .api import PortainerError
from .compat import vol
from .const import DOMAIN, RECREATE_TIMEOUT
from .coordinator import Control, PortainerConfigEntry
from .devices import device_entry_ids
from .entity import action_error, handle_action_error
from .helpers import DeviceKind, DeviceRef, parse_device_id

SERVICE_PRUNE_IMAGES = "prune_images"
SERVICE_RECREATE_CONTAINER = "recreate_container"

ATTR_DANGLING = "dangling"
ATTR_UNTIL = "until"
ATTR_PULL_IMAGE = "pull_image"

_DEVICES = vol.All(cv.ensure_list, [cv.string])

PRUNE_IMAGES_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): _DEVICES,
        vol.Optional(ATTR_DANGLING, default=True): cv.boolean,
        vol.Optional(ATTR_UNTIL): cv.positive_time_period,
    }
)
RECREATE_CONTAINER_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): _DEVICES,
        vol.Optional(ATTR_PULL_IMAGE, default=False): cv.boolean,
    }
)


def _resolve(
    hass: HomeAssistant, device_id: str, kind: DeviceKind
) -> tuple[PortainerConfigEntry, DeviceRef]:
    """Return the loaded entry and object a target device stands for."""
    device = dr.async_get(hass).async_get(device_id)
    if device is not None:
        for entry_id in device_entry_ids(device):
            entry = hass.config_entries.async_get_entry(entry_id)
            if entry is None or entry.domain != DOMAIN:
                continue
            if entry.state is not ConfigEntryState.LOADED:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="entry_not_loaded",
                    translation_placeholders={"title": entry.title},
                )
            for domain, identifier in device.identifiers:
                ref = parse_device_id(entry_id, identifier)
                if domain == DOMAIN and ref is not None and ref.kind is kind:
                    return entry, ref
    if kind is DeviceKind.ENVIRONMENT:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_an_environment_device",
            translation_placeholders={"device_id": device_id},
        )
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="not_a_container_device",
        translation_placeholders={"device_id": device_id},
    )


async def _async_prune_images(call: ServiceCall) -> ServiceResponse:
    """Remove unused images of the targeted environments."""
    targets = [
        _resolve(call.hass, device_id, DeviceKind.ENVIRONMENT)
        for device_id in call.data[ATTR_DEVICE_ID]
    ]
    until = call.data.get(ATTR_UNTIL)
    results: list[JsonValueType] = []
    for entry, ref in targets:
        coordinator = entry.runtime_data.coordinator
        environment = coordinator.data.environments.get(ref.endpoint_id)
        try:
            result = await coordinator.client.images_prune(
                ref.endpoint_id,
                dangling=call.data[ATTR_DANGLING],
                until=f"{int(until.total_seconds())}s" if until else None,
            )
        except PortainerError as err:
            handle_action_error(coordinator, err, ref.endpoint_id, Control.PRUNE_IMAGES)
            raise action_error(err) from err
        results.append(
            {
                "environment": environment.endpoint.name
                if environment
                else str(ref.endpoint_id),
                "images_deleted": list[JsonValueType](result.images_deleted),
                "space_reclaimed": result.space_reclaimed,
            }
        )
    return {"environments": results}


async def _async_recreate_container(call: ServiceCall) -> ServiceResponse:
    """Recreate the targeted containers through Portainer."""
    targets = [
        _resolve(call.hass, device_id, DeviceKind.CONTAINER)
        for device_id in call.data[ATTR_DEVICE_ID]
    ]
    results: list[JsonValueType] = []
    for entry, ref in targets:
        coordinator = entry.runtime_data.coordinator
        data = coordinator.data.container((ref.endpoint_id, ref.name or ""))
        if data is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="container_missing",
                translation_placeholders={"container": ref.name or ""},
            )
        try:
            details = await coordinator.client.container_recreate(
                ref.endpoint_id,
                data.container.id,
                pull_image=call.data[ATTR_PULL_IMAGE],
                timeout=RECREATE_TIMEOUT,
            )
        except PortainerError as err:
            handle_action_error(coordinator, err, ref.endpoint_id, Control.RECREATE)
            raise action_error(err) from err
        finally:
            await coordinator.async_request_refresh()
        results.append({"container": data.container.name, "id": details.id})
    return {"containers": results}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_PRUNE_IMAGES,
        _async_prune_images,
        schema=PRUNE_IMAGES_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_RECREATE_CONTAINER,
        _async_recreate_container,
        schema=RECREATE_CONTAINER_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
