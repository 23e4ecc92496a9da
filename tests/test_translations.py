"""Tests that strings, translations and icons match what the code uses."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.helpers.entity import EntityDescription
import pytest

from custom_components.portainer_control import api, entity
from custom_components.portainer_control.api import ContainerHealth, ContainerState
from custom_components.portainer_control.binary_sensor import (
    CONTAINER_BINARY_SENSORS,
    REACHABLE,
)
from custom_components.portainer_control.button import CONTAINER_BUTTONS, PRUNE_IMAGES
from custom_components.portainer_control.event import CONTAINER_EVENT
from custom_components.portainer_control.sensor import (
    CONTAINER_SENSORS,
    DISK_USAGE_SENSORS,
    ENVIRONMENT_SENSORS,
    STACK_SENSORS,
)
from custom_components.portainer_control.switch import CONTAINER_SWITCH, STACK_SWITCH
from custom_components.portainer_control.update import IMAGE_UPDATE

INTEGRATION = Path(entity.__file__).parent

DESCRIPTIONS: dict[str, tuple[EntityDescription, ...]] = {
    "sensor": (
        *CONTAINER_SENSORS,
        *ENVIRONMENT_SENSORS,
        *STACK_SENSORS,
        *DISK_USAGE_SENSORS,
    ),
    "binary_sensor": (*CONTAINER_BINARY_SENSORS, REACHABLE),
    "switch": (CONTAINER_SWITCH, STACK_SWITCH),
    "button": (*CONTAINER_BUTTONS, PRUNE_IMAGES),
    "update": (IMAGE_UPDATE,),
    "event": (CONTAINER_EVENT,),
}

# A translated exception of Home Assistant, up to its closing parenthesis.
EXCEPTION_CALL = re.compile(
    r"\b(?:HomeAssistantError|ServiceValidationError|UpdateFailed"
    r"|ConfigEntryAuthFailed|ConfigEntryNotReady|ConfigEntryError)"
    r"\((?P<args>[^()]*(?:\([^()]*\)[^()]*)*)\)"
)
TRANSLATION_KEY = re.compile(r'translation_key="(\w+)"')


def _load(name: str) -> dict[str, Any]:
    """Return a JSON file of the integration."""
    return json.loads((INTEGRATION / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def strings() -> dict[str, Any]:
    """Return strings.json."""
    return _load("strings.json")


def _translation_keys(platform: str) -> set[str]:
    """Return the translation keys of a platform's entity descriptions."""
    keys = {description.translation_key for description in DESCRIPTIONS[platform]}
    assert None not in keys, f"a {platform} description has no translation key"
    return {key for key in keys if key is not None}


def _exception_keys_in_source() -> set[str]:
    """Return the literal translation keys of exceptions raised in the code."""
    keys: set[str] = set()
    for path in INTEGRATION.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for call in EXCEPTION_CALL.finditer(source):
            keys.update(TRANSLATION_KEY.findall(call["args"]))
    return keys


def _portainer_errors() -> list[type[api.PortainerError]]:
    """Return every error class of the client."""
    return [
        value
        for value in vars(api).values()
        if isinstance(value, type) and issubclass(value, api.PortainerError)
    ]


def test_english_translation_is_strings() -> None:
    """translations/en.json is strings.json, so English matches the source."""
    assert _load("translations/en.json") == _load("strings.json")


@pytest.mark.parametrize("platform", list(DESCRIPTIONS))
def test_entity_translations(strings: dict[str, Any], platform: str) -> None:
    """Every entity has a name in strings.json, and every name an entity."""
    assert set(strings["entity"][platform]) == _translation_keys(platform)


@pytest.mark.parametrize("platform", list(DESCRIPTIONS))
def test_entity_icons(platform: str) -> None:
    """Every entity has an icon in icons.json, and every icon an entity."""
    assert set(_load("icons.json")["entity"][platform]) == _translation_keys(platform)


def test_no_platform_left_out(strings: dict[str, Any]) -> None:
    """Strings and icons describe only the platforms checked here."""
    assert set(strings["entity"]) == set(DESCRIPTIONS)
    assert set(_load("icons.json")["entity"]) == set(DESCRIPTIONS)


@pytest.mark.parametrize(
    ("key", "options"),
    [("state", list(ContainerState)), ("health", list(ContainerHealth))],
)
def test_enum_sensor_states(
    strings: dict[str, Any], key: str, options: list[str]
) -> None:
    """Every state of an enum sensor has a text; state icons exist as states."""
    description = next(d for d in CONTAINER_SENSORS if d.key == key)
    assert description.options == [str(option) for option in options]
    assert set(strings["entity"]["sensor"][key]["state"]) == set(options)
    icons = _load("icons.json")["entity"]["sensor"][key]
    assert set(icons.get("state", {})) <= set(options)


@pytest.mark.parametrize("error", _portainer_errors(), ids=lambda error: error.__name__)
def test_action_errors_translated(
    strings: dict[str, Any], error: type[api.PortainerError]
) -> None:
    """A failed action raises a translated error whose placeholders are given."""
    raised = entity.action_error(error("GET /api/endpoints: 500"))

    assert raised.translation_key in strings["exceptions"]
    message = strings["exceptions"][raised.translation_key]["message"]
    placeholders = set(re.findall(r"\{(\w+)\}", message))
    assert placeholders <= set(raised.translation_placeholders or {})


def test_exception_translations(strings: dict[str, Any]) -> None:
    """Raised exceptions have messages in strings.json, and no message is unused."""
    raised = _exception_keys_in_source()
    actions = {
        entity.action_error(error("failed")).translation_key
        for error in _portainer_errors()
    }

    # The regex finds the known call sites: a broken pattern cannot pass.
    assert {"invalid_auth", "timeout", "container_missing"} <= raised
    assert raised <= set(strings["exceptions"])
    assert raised | actions == set(strings["exceptions"])
