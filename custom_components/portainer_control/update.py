"""Image update entities of Portainer containers."""

from __future__ import annotations

from typing import Any

from homeassistant.components.update import (
    UpdateEntity,
    UpdateEntityDescription,
    UpdateEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import RECREATE_TIMEOUT
from .coordinator import Control, PortainerConfigEntry, PortainerCoordinator
from .data import ContainerData
from .entity import PortainerContainerEntity, add_new_entities, portainer_action
from .image_updates import ImageUpdate, ImageUpdateCoordinator, short_digest

PARALLEL_UPDATES = 1

IMAGE_UPDATE = UpdateEntityDescription(key="image", translation_key="image")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PortainerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up an image update entity per container."""
    coordinator = entry.runtime_data.coordinator
    updates = entry.runtime_data.image_updates
    add_new_entities(
        coordinator,
        async_add_entities,
        container_entities=lambda data: [
            PortainerImageUpdate(coordinator, updates, data, IMAGE_UPDATE)
        ],
    )


class PortainerImageUpdate(PortainerContainerEntity, UpdateEntity):
    """Whether the registry has a newer image; installing recreates with a pull."""

    # Installing recreates the container.
    control = Control.RECREATE
    _attr_supported_features = (
        UpdateEntityFeature.INSTALL | UpdateEntityFeature.RELEASE_NOTES
    )

    def __init__(
        self,
        coordinator: PortainerCoordinator,
        updates: ImageUpdateCoordinator,
        data: ContainerData,
        description: UpdateEntityDescription,
    ) -> None:
        """Initialize the entity."""
        super().__init__(coordinator, data, description)
        self._updates = updates
        self._attr_in_progress = False

    async def async_added_to_hass(self) -> None:
        """Follow the image checks as well as the main poll."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._updates.async_add_listener(self._handle_coordinator_update)
        )

    def _shown(self) -> object:
        """Return what the state shows, from both coordinators."""
        update = self._update
        return (update, self._attr_in_progress)

    @property
    def _update(self) -> ImageUpdate | None:
        """Return the latest check of this container's image."""
        if (data := self.container) is None or self._updates.data is None:
            return None
        return self._updates.data.get((data.endpoint_id, data.container.image))

    @property
    def installed_version(self) -> str | None:
        """Return the short digest of the image the container runs."""
        update = self._update
        return short_digest(update.installed) if update else None

    @property
    def latest_version(self) -> str | None:
        """Return the short digest the registry has; unknown when not checked."""
        update = self._update
        return short_digest(update.latest) if update else None

    @property
    def release_summary(self) -> str | None:
        """Name the image, its tag and both digests."""
        if (update := self._update) is None or update.latest is None:
            return None
        return (
            f"{update.image} ({update.tag}): "
            f"{short_digest(update.installed)} → {short_digest(update.latest)}"
        )

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Say why there is no "latest" when the image could not be checked."""
        update = self._update
        return {"check_status": update.status.value if update else None}

    async def async_release_notes(self) -> str | None:
        """Return the summary: registries publish no release notes."""
        return self.release_summary

    async def async_install(
        self, version: str | None, backup: bool, **kwargs: Any
    ) -> None:
        """Recreate the container with a freshly pulled image."""
        await self._async_recreate()

    @portainer_action
    async def _async_recreate(self) -> None:
        """Recreate with a pull, showing progress, then check the image again."""
        data = self._listed_container()
        self._attr_in_progress = True
        self.async_write_ha_state()
        try:
            details = await self.coordinator.client.container_recreate(
                data.endpoint_id,
                data.container.id,
                pull_image=True,
                timeout=RECREATE_TIMEOUT,
            )
            await self._updates.async_recheck(
                (data.endpoint_id, data.container.image), details.image_id
            )
        finally:
            self._attr_in_progress = False
            self._written = None
            self.async_write_ha_state()
