"""Devices of environments, stacks and containers, kept in line with polls.

Removal rule: a device whose environment, stack or container is absent
while its environment answers is removed at the first poll after start,
or once it has been absent for STALE_CONTAINER_AGE.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.util import dt as dt_util

from .api import EndpointType
from .const import DOMAIN, LOGGER, STALE_CONTAINER_AGE
from .data import ContainerData, EnvironmentData, PortainerData, StackData
from .helpers import (
    DeviceKind,
    DeviceRef,
    container_device_id,
    container_url,
    environment_device_id,
    environment_url,
    parse_device_id,
    stack_device_id,
    stack_url,
)

ENVIRONMENT_MODELS: dict[EndpointType, str] = {
    EndpointType.DOCKER: "Docker",
    EndpointType.AGENT: "Docker agent",
    EndpointType.AZURE: "Azure ACI",
    EndpointType.EDGE_AGENT: "Docker Edge agent",
    EndpointType.KUBERNETES: "Kubernetes",
    EndpointType.KUBERNETES_AGENT: "Kubernetes agent",
    EndpointType.KUBERNETES_EDGE_AGENT: "Kubernetes Edge agent",
}


# Newer releases link a device to its parent by registry id; older ones take
# the parent's identifier.
_LINK_BY_ID = "via_device_id" in DeviceInfo.__annotations__


def device_by_identifier(
    registry: dr.DeviceRegistry, entry_id: str, identifier: str
) -> dr.DeviceEntry | None:
    """Return the entry's device with this identifier of ours."""
    # Newer releases scope identifiers to a config entry and deprecate the
    # unscoped look-up.
    if hasattr(registry, "async_get_device_by_identifier"):
        device: dr.DeviceEntry | None = registry.async_get_device_by_identifier(
            (DOMAIN, identifier), entry_id
        )
        return device
    return registry.async_get_device(identifiers={(DOMAIN, identifier)})


def device_entry_ids(device: object) -> set[str]:
    """Return the config entries a device of the registry belongs to."""
    # Newer releases give a device one config entry, deprecate the set and
    # may return a child device, whose type older releases do not know.
    entry_id: str | None = getattr(device, "config_entry_id", None)
    if entry_id:
        return {entry_id}
    entry_ids: set[str] = getattr(device, "config_entries", set())
    return set(entry_ids)


def _with_parent(
    hass: HomeAssistant, entry: ConfigEntry, info: DeviceInfo, parent: str
) -> DeviceInfo:
    """Return the device info linked to its parent device."""
    fields = cast("dict[str, Any]", info)
    if not _LINK_BY_ID:
        fields["via_device"] = (DOMAIN, parent)
    elif device := device_by_identifier(dr.async_get(hass), entry.entry_id, parent):
        fields["via_device_id"] = device.id
    return info


def environment_device_info(
    entry: ConfigEntry, environment: EnvironmentData
) -> DeviceInfo:
    """Return the device of an environment."""
    endpoint = environment.endpoint
    return DeviceInfo(
        identifiers={(DOMAIN, environment_device_id(entry.entry_id, endpoint.id))},
        name=endpoint.name,
        manufacturer="Portainer",
        model=ENVIRONMENT_MODELS.get(endpoint.type),
        sw_version=environment.docker_version,
        configuration_url=environment_url(
            entry.data[CONF_URL], endpoint.id, docker=endpoint.has_docker_api
        ),
    )


def stack_device_info(
    hass: HomeAssistant, entry: ConfigEntry, stack: StackData
) -> DeviceInfo:
    """Return the device of a stack, between its environment and containers."""
    info = DeviceInfo(
        identifiers={(DOMAIN, stack_device_id(entry.entry_id, stack.key))},
        name=stack.name,
        manufacturer="Portainer",
        model="Stack",
        configuration_url=stack_url(
            entry.data[CONF_URL],
            stack.endpoint_id,
            stack.stack.id if stack.stack is not None else None,
        ),
    )
    parent = environment_device_id(entry.entry_id, stack.endpoint_id)
    return _with_parent(hass, entry, info, parent)


def container_device_info(
    hass: HomeAssistant, entry: ConfigEntry, data: ContainerData
) -> DeviceInfo:
    """Return the device of a container, under its stack or environment."""
    info = DeviceInfo(
        identifiers={(DOMAIN, container_device_id(entry.entry_id, data.key))},
        name=data.container.name,
        manufacturer="Docker",
        model=data.container.image,
        configuration_url=container_url(
            entry.data[CONF_URL], data.endpoint_id, data.container.id
        ),
    )
    parent = (
        stack_device_id(entry.entry_id, data.stack_key)
        if data.stack_key is not None
        else environment_device_id(entry.entry_id, data.endpoint_id)
    )
    return _with_parent(hass, entry, info, parent)


def _refs(data: PortainerData) -> set[DeviceRef]:
    """Return a reference to every device the data has an object for."""
    refs: set[DeviceRef] = set()
    for endpoint_id, environment in data.environments.items():
        refs.add(DeviceRef(DeviceKind.ENVIRONMENT, endpoint_id))
        refs.update(
            DeviceRef(DeviceKind.STACK, endpoint_id, n) for n in environment.stacks
        )
        refs.update(
            DeviceRef(DeviceKind.CONTAINER, endpoint_id, n)
            for n in environment.containers
        )
    return refs


def _absent(ref: DeviceRef, data: PortainerData) -> bool:
    """Return whether a device's object is known to be gone.

    Nothing is known of an environment that does not answer.
    """
    environment = data.environments.get(ref.endpoint_id)
    if environment is None:
        return True
    if ref.kind is DeviceKind.ENVIRONMENT or not environment.reachable:
        return False
    if ref.kind is DeviceKind.STACK:
        return ref.name not in environment.stacks
    return ref.name not in environment.containers


class DeviceManager:
    """Registers parent devices first and removes devices gone for good."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Initialize the manager."""
        self._hass = hass
        self._entry = entry
        self._registered: dict[DeviceRef, str | None] = {}
        self._missing_since: dict[DeviceRef, datetime] = {}
        self._cleaned_at_start = False

    def update(self, previous: PortainerData | None, data: PortainerData) -> None:
        """Bring the registry in line with a poll's data."""
        registry = dr.async_get(self._hass)
        self._register_parents(registry, data)
        if previous is not None:
            self._follow_recreated(registry, previous, data)
        if not self._cleaned_at_start:
            self._cleaned_at_start = True
            self._remove(registry, data, None)
            return

        now = dt_util.utcnow()
        if previous is not None:
            current = _refs(data)
            for ref in current:
                self._missing_since.pop(ref, None)
            for ref in _refs(previous) - current:
                if _absent(ref, data):
                    self._missing_since.setdefault(ref, now)
        if any(
            now - since >= STALE_CONTAINER_AGE for since in self._missing_since.values()
        ):
            self._remove(registry, data, now)

    def _register_parents(
        self, registry: dr.DeviceRegistry, data: PortainerData
    ) -> None:
        """Create environment and stack devices before entities point at them."""
        entry_id = self._entry.entry_id
        for endpoint_id, environment in data.environments.items():
            ref = DeviceRef(DeviceKind.ENVIRONMENT, endpoint_id)
            version = environment.docker_version
            if ref not in self._registered or self._registered[ref] != version:
                self._registered[ref] = version
                registry.async_get_or_create(
                    config_entry_id=entry_id,
                    **environment_device_info(self._entry, environment),
                )
            for name, stack in environment.stacks.items():
                ref = DeviceRef(DeviceKind.STACK, endpoint_id, name)
                if ref not in self._registered:
                    self._registered[ref] = None
                    registry.async_get_or_create(
                        config_entry_id=entry_id,
                        **stack_device_info(self._hass, self._entry, stack),
                    )

    def _follow_recreated(
        self, registry: dr.DeviceRegistry, previous: PortainerData, data: PortainerData
    ) -> None:
        """Point the devices of recreated containers at their new Id and image."""
        for environment in data.environments.values():
            for data_now in environment.containers.values():
                before = previous.container(data_now.key)
                if before is None or before.container.id == data_now.container.id:
                    continue
                info = container_device_info(self._hass, self._entry, data_now)
                identifier = container_device_id(self._entry.entry_id, data_now.key)
                device = device_by_identifier(
                    registry, self._entry.entry_id, identifier
                )
                if device is not None:
                    registry.async_update_device(
                        device.id,
                        model=info.get("model"),
                        configuration_url=info.get("configuration_url"),
                    )

    def _remove(
        self, registry: dr.DeviceRegistry, data: PortainerData, now: datetime | None
    ) -> None:
        """Remove absent devices: all of them at start, else the expired ones."""
        entry_id = self._entry.entry_id
        for device in dr.async_entries_for_config_entry(registry, entry_id):
            refs = [
                ref
                for domain, identifier in device.identifiers
                if domain == DOMAIN
                and (ref := parse_device_id(entry_id, identifier)) is not None
            ]
            if not refs or not _absent(refs[0], data):
                continue
            ref = refs[0]
            if now is not None:
                since = self._missing_since.get(ref)
                if since is None or now - since < STALE_CONTAINER_AGE:
                    continue
            LOGGER.debug(
                "Removing the device of %s %s", ref.kind, ref.name or ref.endpoint_id
            )
            registry.async_update_device(device.id, remove_config_entry_id=entry_id)
            self._missing_since.pop(ref, None)
            self._registered.pop(ref, None)
