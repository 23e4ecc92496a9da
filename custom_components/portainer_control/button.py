"""Buttons acting on Portainer containers and environments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from homeassistant.components.button import (
    ButtonDeviceClass,
    ButtonEntity,
    ButtonEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import ContainerState, PortainerClient
from .const import RECREATE_TIMEOUT
from .coordinator import Control, PortainerConfigEntry, PortainerCoordinator
from .data import ContainerData
from .entity import (
    PortainerContainerEntity,
    PortainerEnvironmentEntity,
    add_new_entities,
    portainer_action,
)

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class PortainerContainerButtonDescription(ButtonEntityDescription):
    """Describes a container button."""

    press_fn: Callable[[PortainerClient], Callable[[int, str], Awaitable[object]]]
    available_fn: Callable[[ContainerData], bool]
    control: Control = Control.CONTAINER


def _in_states(*states: ContainerState) -> Callable[[ContainerData], bool]:
    """Return a check that the container is in one of the states."""
    return lambda data: data.state in states


async def _recreate(
    client: PortainerClient, endpoint_id: int, container_id: str
) -> None:
    """Recreate a container, pulling its image first when a registry has it.

    An image built or imported on the host has no repository digest: a pull
    could only fail, and the recreate with it.
    """
    details = await client.container_inspect(endpoint_id, container_id)
    image = await client.image_inspect(endpoint_id, details.image_id or details.image)
    await client.container_recreate(
        endpoint_id,
        container_id,
        pull_image=bool(image.digests),
        timeout=RECREATE_TIMEOUT,
    )


CONTAINER_BUTTONS: tuple[PortainerContainerButtonDescription, ...] = (
    PortainerContainerButtonDescription(
        key="restart",
        translation_key="restart",
        device_class=ButtonDeviceClass.RESTART,
        press_fn=lambda client: client.container_restart,
        available_fn=_in_states(ContainerState.RUNNING),
    ),
    PortainerContainerButtonDescription(
        key="pause",
        translation_key="pause",
        press_fn=lambda client: client.container_pause,
        available_fn=_in_states(ContainerState.RUNNING),
    ),
    PortainerContainerButtonDescription(
        key="resume",
        translation_key="resume",
        press_fn=lambda client: client.container_unpause,
        available_fn=_in_states(ContainerState.PAUSED),
    ),
    PortainerContainerButtonDescription(
        key="kill",
        translation_key="kill",
        entity_registry_enabled_default=False,
        press_fn=lambda client: client.container_kill,
        available_fn=_in_states(
            ContainerState.RUNNING, ContainerState.PAUSED, ContainerState.RESTARTING
        ),
    ),
    PortainerContainerButtonDescription(
        key="recreate",
        translation_key="recreate",
        entity_category=EntityCategory.CONFIG,
        press_fn=lambda client: partial(_recreate, client),
        available_fn=lambda data: data.state is not ContainerState.REMOVING,
        control=Control.RECREATE,
    ),
)

PRUNE_IMAGES = ButtonEntityDescription(
    key="prune_images",
    translation_key="prune_images",
    entity_category=EntityCategory.CONFIG,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PortainerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up container and environment buttons."""
    coordinator = entry.runtime_data.coordinator
    add_new_entities(
        coordinator,
        async_add_entities,
        docker_entities=lambda environment: [
            PortainerPruneImagesButton(coordinator, environment, PRUNE_IMAGES)
        ],
        container_entities=lambda data: [
            PortainerContainerButton(coordinator, data, description)
            for description in CONTAINER_BUTTONS
        ],
    )


class PortainerContainerButton(PortainerContainerEntity, ButtonEntity):
    """A button acting on a container."""

    entity_description: PortainerContainerButtonDescription

    def __init__(
        self,
        coordinator: PortainerCoordinator,
        data: ContainerData,
        description: PortainerContainerButtonDescription,
    ) -> None:
        """Initialize the button."""
        super().__init__(coordinator, data, description)
        self.control = description.control

    @property
    def available(self) -> bool:
        """Return whether the action makes sense in the container's state."""
        data = self.container
        return (
            super().available
            and data is not None
            and self.entity_description.available_fn(data)
        )

    @portainer_action
    async def async_press(self) -> None:
        """Run the action."""
        await self._container_call(
            self.entity_description.press_fn(self.coordinator.client)
        )


class PortainerPruneImagesButton(PortainerEnvironmentEntity, ButtonEntity):
    """Removes dangling images of an environment."""

    control = Control.PRUNE_IMAGES

    @portainer_action
    async def async_press(self) -> None:
        """Prune dangling images and keep what was reclaimed as attributes."""
        result = await self.coordinator.client.images_prune(
            self.endpoint_id, dangling=True
        )
        self._attr_extra_state_attributes = {
            "images_deleted": len(result.images_deleted),
            "space_reclaimed": result.space_reclaimed,
        }
        self.async_write_ha_state()
