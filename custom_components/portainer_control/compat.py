"""Names that moved between the Home Assistant releases we support.

Newer releases validate with probatio, a voluptuous-compatible library, and
type flows and schemas with it; older ones use voluptuous itself.
"""

from __future__ import annotations

try:
    import probatio as vol  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    import voluptuous as vol  # type: ignore[no-redef,unused-ignore]

# Each release's type checker sees only one of the two names.
# mypy: disable-error-code="attr-defined,assignment"
try:
    from homeassistant.components.repairs import RepairsFlowResult
except ImportError:
    from homeassistant.data_entry_flow import FlowResult as RepairsFlowResult

__all__ = ["RepairsFlowResult", "vol"]
