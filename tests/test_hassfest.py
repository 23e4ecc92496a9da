"""Local checks of what hassfest and HACS would flag in the packaging.

Translations of entities and exceptions are checked in test_translations.py.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import struct
import tomllib
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol
import yaml

from custom_components.portainer_control.const import DOMAIN

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN

# The Home Assistant of pytest-homeassistant-custom-component 0.13.236, the
# minimum pinned in requirements_test.txt.
MINIMUM_HOME_ASSISTANT = "2025.4.4"

# The keys hassfest's CUSTOM_INTEGRATION_MANIFEST_SCHEMA knows.
MANIFEST_KEYS = {
    "after_dependencies",
    "bluetooth",
    "codeowners",
    "config_flow",
    "dependencies",
    "dhcp",
    "disabled",
    "documentation",
    "domain",
    "homekit",
    "import_executor",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "loggers",
    "mqtt",
    "name",
    "quality_scale",
    "requirements",
    "single_config_entry",
    "ssdp",
    "usb",
    "version",
    "zeroconf",
}
# The keys HACS reads from hacs.json.
HACS_KEYS = {
    "content_in_root",
    "country",
    "filename",
    "hacs",
    "hide_default_branch",
    "homeassistant",
    "name",
    "persistent_directory",
    "render_readme",
    "zip_release",
}
# What hassfest greps for to tell that an integration registers actions.
REGISTERS_SERVICES = re.compile(
    r"hass\.services\.(?:register|async_register)"
    r"|async_register_entity_service|async_register_admin_service"
)
SEMVER = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
# A step's `uses: owner/repo[/path]@ref  # comment`.
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<action>[^@\s]+)@(?P<ref>\S+)(?P<rest>.*)$")
FULL_SHA = re.compile(r"[0-9a-f]{40}")

# hassfest's service schema for custom integrations, without its core-only
# rules: a target or not, fields or sections of fields.
_FIELD = vol.Schema(
    {
        vol.Optional("name"): str,
        vol.Optional("description"): str,
        vol.Optional("example"): object,
        vol.Optional("default"): object,
        vol.Optional("required"): bool,
        vol.Optional("advanced"): bool,
        vol.Optional("filter"): dict,
        vol.Optional("selector"): selector.validate_selector,
    }
)
_SECTION = vol.Schema(
    {
        vol.Optional("name"): str,
        vol.Optional("description"): str,
        vol.Optional("collapsed"): bool,
        vol.Required("fields"): {str: _FIELD},
    }
)
_SERVICE = vol.Any(
    vol.Schema(
        {
            vol.Optional("name"): str,
            vol.Optional("description"): str,
            vol.Optional("target"): vol.Any(
                selector.TargetSelector.CONFIG_SCHEMA, None
            ),
            vol.Optional("fields"): {str: vol.Any(_FIELD, _SECTION)},
        }
    ),
    None,
)
SERVICES_SCHEMA = vol.Schema({cv.slug: _SERVICE})

# name → (width, height) in pixels; logos are checked apart, being landscape.
BRAND_ICONS = {"icon.png": (256, 256), "icon@2x.png": (512, 512)}
BRAND_LOGOS = ("logo.png", "logo@2x.png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# IHDR colour types with an alpha channel: grey + alpha, RGB + alpha.
PNG_ALPHA_TYPES = {4, 6}


def _json(path: Path) -> Any:
    """Return a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def _png_header(path: Path) -> tuple[int, int, int]:
    """Return a PNG's width, height and colour type from its IHDR chunk."""
    head = path.read_bytes()[:26]
    assert head[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR", f"{path.name} does not start with IHDR"
    width, height, _depth, color_type = struct.unpack(">IIBB", head[16:26])
    return width, height, color_type


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    """Return manifest.json."""
    data: dict[str, Any] = _json(INTEGRATION / "manifest.json")
    return data


@pytest.fixture(scope="module")
def services_yaml() -> dict[str, Any]:
    """Return services.yaml validated as hassfest would, or {} without one."""
    path = INTEGRATION / "services.yaml"
    if not path.exists():
        return {}
    data: dict[str, Any] = SERVICES_SCHEMA(load_yaml_dict(path))
    return data


def test_manifest_values(manifest: dict[str, Any]) -> None:
    """The manifest says what the integration is, as hassfest requires."""
    assert manifest["domain"] == DOMAIN == INTEGRATION.name
    assert manifest["name"] == "Portainer Control"
    assert manifest["config_flow"] is True
    assert manifest["integration_type"] == "hub"
    assert manifest["iot_class"] == "local_polling"
    assert manifest["requirements"] == []

    assert manifest["codeowners"]
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    assert manifest["documentation"].startswith("https://")
    assert manifest["issue_tracker"].startswith("https://")
    assert SEMVER.fullmatch(manifest["version"]), manifest["version"]
    AwesomeVersion(manifest["version"], ensure_strategy=AwesomeVersionStrategy.SEMVER)


def test_manifest_keys(manifest: dict[str, Any]) -> None:
    """Only keys hassfest knows, ordered: domain, name, then alphabetical."""
    keys = list(manifest)

    assert set(keys) <= MANIFEST_KEYS, set(keys) - MANIFEST_KEYS
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_hacs_json(manifest: dict[str, Any]) -> None:
    """hacs.json names the integration and its minimum Home Assistant."""
    hacs = _json(ROOT / "hacs.json")

    assert set(hacs) <= HACS_KEYS, set(hacs) - HACS_KEYS
    assert hacs["name"] == manifest["name"]
    assert hacs["homeassistant"] == MINIMUM_HOME_ASSISTANT
    if hacs.get("zip_release"):
        assert hacs["filename"] == f"{DOMAIN}.zip"


def test_minimum_matches_test_pin() -> None:
    """The minimum is the Home Assistant the oldest test plugin pin brings."""
    requirements = (ROOT / "requirements_test.txt").read_text(encoding="utf-8")
    pins = re.findall(r"pytest-homeassistant-custom-component==([\d.]+)", requirements)

    assert min(pins, key=AwesomeVersion) == "0.13.236"


def test_pyproject_version(manifest: dict[str, Any]) -> None:
    """pyproject.toml and the manifest carry the same version."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    assert project["project"]["version"] == manifest["version"]


def test_services_yaml_present_when_registering(services_yaml: dict[str, Any]) -> None:
    """Code that registers actions comes with a services.yaml (hassfest's grep)."""
    registers = any(
        REGISTERS_SERVICES.search(path.read_text(encoding="utf-8"))
        for path in INTEGRATION.rglob("*.py")
    )

    assert registers == bool(services_yaml)


async def test_services_yaml_lists_registered_services(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    services_yaml: dict[str, Any],
) -> None:
    """services.yaml describes exactly the actions registered after setup."""
    registered = set(hass.services.async_services_for_domain(DOMAIN))

    assert registered == set(services_yaml)


def test_service_strings(services_yaml: dict[str, Any]) -> None:
    """Every action and field has a name and description in strings.json."""
    strings = _json(INTEGRATION / "strings.json").get("services", {})

    assert set(strings) == set(services_yaml)
    for service, schema in services_yaml.items():
        assert strings[service].get("name"), service
        assert strings[service].get("description"), service
        fields: dict[str, Any] = (schema or {}).get("fields", {})
        for name, field in fields.items():
            section = "fields" in (field or {})
            texts = strings[service].get("sections" if section else "fields", {})
            assert texts.get(name, {}).get("name"), f"{service}.{name}"
            if not section:
                assert texts[name].get("description"), f"{service}.{name}"
            for inner in field.get("fields", {}) if section else ():
                field_texts = strings[service].get("fields", {}).get(inner, {})
                assert field_texts.get("name"), f"{service}.{inner}"
                assert field_texts.get("description"), f"{service}.{inner}"


def test_service_icons(services_yaml: dict[str, Any]) -> None:
    """Every action icon in icons.json belongs to an action."""
    icons = _json(INTEGRATION / "icons.json").get("services", {})

    assert set(icons) <= set(services_yaml), set(icons) - set(services_yaml)
    for service, icon in icons.items():
        # {"service": "mdi:..."}; older releases took a bare string.
        value = icon["service"] if isinstance(icon, dict) else icon
        assert value.startswith("mdi:"), service


@pytest.mark.parametrize(("name", "size"), BRAND_ICONS.items(), ids=list(BRAND_ICONS))
def test_brand_icon(name: str, size: tuple[int, int]) -> None:
    """The icons are square PNGs of the sizes the brands proxy serves."""
    width, height, color_type = _png_header(INTEGRATION / "brand" / name)

    assert (width, height) == size
    assert color_type in PNG_ALPHA_TYPES, "needs a transparent background"


def test_brand_logos() -> None:
    """The logos are landscape, 128 to 256 px high, and @2x is exactly double."""
    (width, height, color_type), (width_2x, height_2x, color_type_2x) = (
        _png_header(INTEGRATION / "brand" / name) for name in BRAND_LOGOS
    )

    assert width > height
    assert 128 <= height <= 256
    assert (width_2x, height_2x) == (2 * width, 2 * height)
    assert {color_type, color_type_2x} <= PNG_ALPHA_TYPES


def test_brand_has_only_known_images() -> None:
    """The brand folder holds only the names Home Assistant looks up."""
    known = {
        f"{dark}{kind}{scale}.png"
        for dark in ("", "dark_")
        for kind in ("icon", "logo")
        for scale in ("", "@2x")
    }

    assert {path.name for path in (INTEGRATION / "brand").iterdir()} <= known


@pytest.mark.parametrize(
    "path",
    sorted(
        [
            *(ROOT / ".github").rglob("*.yml"),
            *(ROOT / ".github").rglob("*.yaml"),
        ]
    ),
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_github_yaml(path: Path) -> None:
    """Workflows parse, and every action is pinned to a commit with its version."""
    text = path.read_text(encoding="utf-8")

    assert isinstance(yaml.safe_load(text), dict)
    for line in text.splitlines():
        if (use := USES.match(line)) is None or use["action"].startswith("./"):
            continue
        assert FULL_SHA.fullmatch(use["ref"]), line
        assert re.fullmatch(r"\s+# \S+", use["rest"]), f"no version comment: {line}"
