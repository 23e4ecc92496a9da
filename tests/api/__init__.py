"""Tests for the standalone Portainer client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent.parent / "fixtures"


def load_fixture(name: str) -> Any:
    """Return the parsed JSON of a fixture in tests/fixtures."""
    return json.loads(load_fixture_text(name))


def load_fixture_text(name: str) -> str:
    """Return the raw text of a fixture, e.g. an NDJSON stream."""
    return (FIXTURES / name).read_text(encoding="utf-8")
