"""Fix flows of the Portainer Control repair issues."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant

from .compat import RepairsFlowResult, vol


class InsufficientPermissionsRepairFlow(RepairsFlow):
    """Ask for an administrator's token by starting reauthentication."""

    def __init__(self, entry_id: str) -> None:
        """Initialize the flow."""
        self._entry_id = entry_id

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Explain what needs an administrator's token."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Start reauthentication once the user confirms."""
        if user_input is not None:
            if entry := self.hass.config_entries.async_get_entry(self._entry_id):
                entry.async_start_reauth(self.hass)
            return self.async_create_entry(data={})
        return self.async_show_form(step_id="confirm", data_schema=vol.Schema({}))


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Return the fix flow of an issue."""
    entry_id = str((data or {}).get("entry_id", ""))
    return InsufficientPermissionsRepairFlow(entry_id)
