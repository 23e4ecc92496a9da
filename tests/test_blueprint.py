"""Tests of the automation blueprint that restarts an unhealthy container."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.components.button import ButtonDeviceClass
from homeassistant.const import STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import Input, load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.portainer_control.const import DOMAIN

ROOT = Path(__file__).resolve().parent.parent
RELATIVE = Path(DOMAIN) / "restart_unhealthy_container.yaml"
SOURCE = ROOT / "blueprints" / "automation" / RELATIVE

SENSOR = "binary_sensor.web_health_problem"
BUTTON = "button.web_restart"


@pytest.fixture
def blueprint_data() -> dict[str, Any]:
    """Return the blueprint as Home Assistant's YAML loader reads it."""
    return load_yaml_dict(SOURCE)


@pytest.fixture
async def calls(hass: HomeAssistant, tmp_path: Path) -> list[ServiceCall]:
    """Install the blueprint in a fresh config folder; record button presses."""
    # The test plugin's config folder lies inside the installed package.
    hass.config.config_dir = str(tmp_path)
    target = Path(hass.config.path("blueprints", "automation")) / RELATIVE
    target.parent.mkdir(parents=True)
    shutil.copyfile(SOURCE, target)
    return async_mock_service(hass, "button", "press")


async def _set_up(hass: HomeAssistant, **inputs: Any) -> None:
    """Set up an automation made from the blueprint."""
    hass.states.async_set(SENSOR, STATE_OFF)
    config = {
        "automation": {
            "id": "restart_web",
            "alias": "Restart web when unhealthy",
            "use_blueprint": {
                "path": str(RELATIVE),
                "input": {
                    "health_problem": SENSOR,
                    "restart_button": BUTTON,
                    **inputs,
                },
            },
        }
    }
    assert await async_setup_component(hass, "automation", config)
    await hass.async_block_till_done()
    assert hass.states.get("automation.restart_web_when_unhealthy") is not None


async def _wait(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Let time pass and the timers that came due run."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def test_blueprint_is_valid(blueprint_data: dict[str, Any]) -> None:
    """The blueprint passes Home Assistant's schema and version check."""
    blueprint = Blueprint(
        blueprint_data,
        path=str(SOURCE),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )

    assert blueprint.validate() is None
    assert blueprint.name == "Restart a container that stays unhealthy"
    assert set(blueprint.inputs) == {"health_problem", "duration", "restart_button"}
    assert blueprint.inputs["duration"]["default"] == {"minutes": 5}
    assert blueprint_data["mode"] == "single"
    assert blueprint_data["triggers"][0]["entity_id"] == Input("health_problem")
    assert blueprint_data["actions"][0]["action"] == "button.press"


def test_blueprint_selectors(blueprint_data: dict[str, Any]) -> None:
    """The inputs offer only this integration's problem sensors and buttons."""
    inputs = blueprint_data["blueprint"]["input"]

    assert inputs["health_problem"]["selector"]["entity"]["filter"] == [
        {
            "integration": DOMAIN,
            "domain": Platform.BINARY_SENSOR,
            "device_class": BinarySensorDeviceClass.PROBLEM,
        }
    ]
    assert inputs["restart_button"]["selector"]["entity"]["filter"] == [
        {
            "integration": DOMAIN,
            "domain": Platform.BUTTON,
            "device_class": ButtonDeviceClass.RESTART,
        }
    ]
    assert "duration" in inputs["duration"]["selector"]


async def test_selectors_match_the_integration(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    blueprint_data: dict[str, Any],
) -> None:
    """Each selector offers the integration's health sensors and restart buttons."""
    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    inputs = blueprint_data["blueprint"]["input"]

    def offered(name: str) -> set[str | None]:
        (wanted,) = inputs[name]["selector"]["entity"]["filter"]
        return {
            entry.translation_key
            for entry in entries
            if entry.platform == wanted["integration"]
            and entry.domain == wanted["domain"]
            and (entry.device_class or entry.original_device_class)
            == wanted["device_class"]
        }

    assert "health_problem" in offered("health_problem")
    assert offered("restart_button") == {"restart"}


async def test_restarts_after_the_duration(
    hass: HomeAssistant, calls: list[ServiceCall], freezer: FrozenDateTimeFactory
) -> None:
    """Five minutes of health problem press the restart button, once."""
    await _set_up(hass)

    hass.states.async_set(SENSOR, STATE_ON)
    await hass.async_block_till_done()
    await _wait(hass, freezer, timedelta(minutes=4, seconds=59))
    assert calls == []

    await _wait(hass, freezer, timedelta(seconds=1))
    assert len(calls) == 1
    assert calls[0].domain == "button"
    assert calls[0].service == "press"
    assert calls[0].data == {"entity_id": [BUTTON]}

    await _wait(hass, freezer, timedelta(minutes=10))
    assert len(calls) == 1


async def test_recovery_in_time_cancels(
    hass: HomeAssistant, calls: list[ServiceCall], freezer: FrozenDateTimeFactory
) -> None:
    """A container healthy again before the duration is left alone."""
    await _set_up(hass, duration={"minutes": 2})

    hass.states.async_set(SENSOR, STATE_ON)
    await hass.async_block_till_done()
    await _wait(hass, freezer, timedelta(minutes=1))
    hass.states.async_set(SENSOR, STATE_OFF)
    await hass.async_block_till_done()
    await _wait(hass, freezer, timedelta(minutes=5))

    assert calls == []

    hass.states.async_set(SENSOR, STATE_ON)
    await hass.async_block_till_done()
    await _wait(hass, freezer, timedelta(minutes=2))

    assert len(calls) == 1
