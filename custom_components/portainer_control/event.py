"""Event entities of Portainer containers, for automations to trigger on."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import PortainerConfigEntry
from .entity import PortainerContainerEntity, add_new_entities
from .events import EVENT_TYPES, container_event_signal

PARALLEL_UPDATES = 0

CONTAINER_EVENT = EventEntityDescription(
    key="events", translation_key="events", event_types=EVENT_TYPES
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PortainerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up an event entity per container."""
    coordinator = entry.runtime_data.coordinator
    add_new_entities(
        coordinator,
        async_add_entities,
        container_entities=lambda data: [
            PortainerContainerEvent(coordinator, data, CONTAINER_EVENT)
        ],
    )


class PortainerContainerEvent(PortainerContainerEntity, EventEntity):
    """Fires when a container dies, runs out of memory, turns unhealthy or restarts."""

    async def async_added_to_hass(self) -> None:
        """Listen for the container's events."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                container_event_signal(
                    self.coordinator.config_entry.entry_id, self.key
                ),
                self._handle_event,
            )
        )

    @callback
    def _handle_event(self, event_type: str, attributes: dict[str, Any]) -> None:
        """Fire the event."""
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()
