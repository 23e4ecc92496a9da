"""Identities and web addresses of the devices of a config entry."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# A container is known by its environment and name, not by its Id: a
# recreate gives it a new Id, and two environments may share a name.
type ContainerKey = tuple[int, str]
# A stack is known by its environment and its project name.
type StackKey = tuple[int, str]

_STACK_MARK = "stack"


class DeviceKind(StrEnum):
    """What a device of the integration stands for."""

    ENVIRONMENT = "environment"
    STACK = "stack"
    CONTAINER = "container"


@dataclass(frozen=True, slots=True)
class DeviceRef:
    """What a device identifier names."""

    kind: DeviceKind
    endpoint_id: int
    name: str | None = None


def environment_device_id(entry_id: str, endpoint_id: int) -> str:
    """Return the device identifier of an environment."""
    return f"{entry_id}:{endpoint_id}"


def stack_device_id(entry_id: str, key: StackKey) -> str:
    """Return the device identifier of a stack."""
    endpoint_id, name = key
    return f"{entry_id}:{endpoint_id}:{_STACK_MARK}:{name}"


def container_device_id(entry_id: str, key: ContainerKey) -> str:
    """Return the device identifier of a container.

    Docker container names cannot hold a colon, so the parts stay apart.
    """
    endpoint_id, name = key
    return f"{entry_id}:{endpoint_id}:{name}"


def parse_device_id(entry_id: str, identifier: str) -> DeviceRef | None:
    """Return what a device identifier of this entry names, if anything."""
    match identifier.split(":"):
        case [entry, endpoint] if entry == entry_id and endpoint.isdigit():
            return DeviceRef(DeviceKind.ENVIRONMENT, int(endpoint))
        case [entry, endpoint, name] if entry == entry_id and endpoint.isdigit():
            return DeviceRef(DeviceKind.CONTAINER, int(endpoint), name)
        case [entry, endpoint, mark, name] if (
            entry == entry_id and endpoint.isdigit() and mark == _STACK_MARK
        ):
            return DeviceRef(DeviceKind.STACK, int(endpoint), name)
    return None


def environment_url(base_url: str, endpoint_id: int, *, docker: bool) -> str:
    """Return an environment's page in Portainer's web UI."""
    section = "docker" if docker else "kubernetes"
    return f"{base_url.rstrip('/')}/#!/{endpoint_id}/{section}/dashboard"


def stack_url(base_url: str, endpoint_id: int, stack_id: int | None) -> str:
    """Return a stack's page, or the stack list for one Portainer did not deploy."""
    base = f"{base_url.rstrip('/')}/#!/{endpoint_id}/docker/stacks"
    return base if stack_id is None else f"{base}/{stack_id}"


def container_url(base_url: str, endpoint_id: int, container_id: str) -> str:
    """Return a container's page in Portainer's web UI."""
    return f"{base_url.rstrip('/')}/#!/{endpoint_id}/docker/containers/{container_id}"
