"""Tests of the repair issues: an environment down, a non-admin token."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import AsyncMock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.portainer_control.const import DOMAIN, ENVIRONMENT_DOWN_POLLS
from custom_components.portainer_control.coordinator import Control
from custom_components.portainer_control.repairs import async_create_fix_flow

from .conftest import FakePortainer


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one scan interval pass."""
    freezer.tick(timedelta(seconds=30))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_environment_down_issue(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_portainer: FakePortainer,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Several failed polls raise an issue naming the environment; it clears."""
    issue_id = f"{init_integration.entry_id}_environment_down_2"
    # Environment 2 has been down since setup: one poll already counted.
    for _ in range(ENVIRONMENT_DOWN_POLLS - 2):
        await _poll(hass, freezer)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None

    await _poll(hass, freezer)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders["environment"] == "remote"

    await _poll(hass, freezer)
    fake_portainer.set_endpoint_status(2, 1)
    fake_portainer.containers[2] = []
    await _poll(hass, freezer)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_kubernetes_raises_no_issue(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An environment without a Docker API is not down."""
    for _ in range(ENVIRONMENT_DOWN_POLLS + 1):
        await _poll(hass, freezer)
    assert (
        issue_registry.async_get_issue(
            DOMAIN, f"{init_integration.entry_id}_environment_down_4"
        )
        is None
    )


async def test_permissions_fix_flow_starts_reauth(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_portainer_client: AsyncMock,
) -> None:
    """Fixing the permission issue asks for an administrator's token."""
    flow = await async_create_fix_flow(
        hass,
        f"{init_integration.entry_id}_insufficient_permissions",
        {"entry_id": init_integration.entry_id},
    )
    flow.hass = hass

    result = await flow.async_step_init()
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"

    result = await flow.async_step_confirm({})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == ["reauth"]


async def test_removed_entry_drops_its_issues(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Deleting the entry deletes the issues it raised."""
    init_integration.runtime_data.coordinator.async_refuse_control(1, Control.CONTAINER)
    assert issue_registry.async_get_issue(
        DOMAIN, f"{init_integration.entry_id}_insufficient_permissions"
    )

    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()

    assert not [i for i in issue_registry.issues if i[0] == DOMAIN]


async def test_refused_controls_are_per_environment(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A refusal in one environment leaves the others' controls alone."""
    coordinator = init_integration.runtime_data.coordinator
    names = {endpoint.id: endpoint.name for endpoint in coordinator.endpoints}

    coordinator.async_refuse_control(2, Control.CONTAINER)
    await hass.async_block_till_done()
    assert hass.states.get("switch.mosquitto_running").state == STATE_ON

    # The issue names every environment with a refusal, once each.
    coordinator.async_refuse_control(1, Control.STACK)
    coordinator.async_refuse_control(1, Control.RECREATE)
    coordinator.async_refuse_control(1, Control.RECREATE)
    await hass.async_block_till_done()
    assert coordinator.refused_controls == {
        (2, Control.CONTAINER),
        (1, Control.STACK),
        (1, Control.RECREATE),
    }
    assert hass.states.get("switch.mosquitto_running").state == STATE_ON
    assert hass.states.get("button.mosquitto_recreate").state == STATE_UNAVAILABLE
    issue = issue_registry.async_get_issue(
        DOMAIN, f"{init_integration.entry_id}_insufficient_permissions"
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["environments"] == ", ".join(
        sorted([names[1], names[2]])
    )
