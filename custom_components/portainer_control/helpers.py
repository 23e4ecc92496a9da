"""Identities of the devices and entities of a config entry."""

from __future__ import annotations

# A container is known by its environment and name, not by its Id: a
# recreate gives it a new Id, and two environments may share a name.
type ContainerKey = tuple[int, str]

_CONTAINER_ID_PARTS = 3


def environment_device_id(entry_id: str, endpoint_id: int) -> str:
    """Return the device identifier of an environment."""
    return f"{entry_id}:{endpoint_id}"


def container_device_id(entry_id: str, key: ContainerKey) -> str:
    """Return the device identifier of a container.

    Docker container names cannot hold a colon, so the parts stay apart.
    """
    endpoint_id, name = key
    return f"{entry_id}:{endpoint_id}:{name}"


def parse_container_device_id(entry_id: str, identifier: str) -> ContainerKey | None:
    """Return the container a device identifier of this entry names, if any."""
    parts = identifier.split(":")
    if (
        len(parts) != _CONTAINER_ID_PARTS
        or parts[0] != entry_id
        or not parts[1].isdigit()
    ):
        return None
    return (int(parts[1]), parts[2])


def environment_url(base_url: str, endpoint_id: int, *, docker: bool) -> str:
    """Return an environment's page in Portainer's web UI."""
    section = "docker" if docker else "kubernetes"
    return f"{base_url.rstrip('/')}/#!/{endpoint_id}/{section}/dashboard"


def container_url(base_url: str, endpoint_id: int, container_id: str) -> str:
    """Return a container's page in Portainer's web UI."""
    return f"{base_url.rstrip('/')}/#!/{endpoint_id}/docker/containers/{container_id}"
