"""Tests for the config flow: setup, re-authentication and reconfiguration."""

from __future__ import annotations

from collections.abc import Generator
import json
import logging
from pathlib import Path
import re
from typing import Any
from unittest.mock import ANY, AsyncMock, MagicMock, patch

from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.const import CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.portainer_control import config_flow
from custom_components.portainer_control.api import (
    PortainerAuthenticationError,
    PortainerConnectionError,
    PortainerForbiddenError,
    PortainerResponseError,
    PortainerTimeoutError,
    SystemStatus,
)
from custom_components.portainer_control.const import CONF_API_TOKEN, DOMAIN

from .conftest import INSTANCE_ID, TOKEN, URL, FakePortainer

INTEGRATION = Path(config_flow.__file__).parent
NEW_TOKEN = "ptr_n3w-t0ken-value"
OTHER_URL = "http://192.168.1.5:9000"

# A fault of the mocked client: the method that fails and what it does instead,
# the field of the user form the error shows under, and the error.
FAULTS = [
    pytest.param(
        "system_status",
        PortainerConnectionError("Connection refused"),
        CONF_URL,
        "cannot_connect",
        id="connection_refused",
    ),
    pytest.param(
        "system_status",
        PortainerResponseError("GET /api/system/status: 404, not Portainer"),
        CONF_URL,
        "cannot_connect",
        id="not_portainer",
    ),
    pytest.param(
        "system_status",
        lambda **_: SystemStatus(version="2.21.4", instance_id=""),
        CONF_URL,
        "cannot_connect",
        id="no_instance_id",
    ),
    pytest.param(
        "system_status",
        PortainerTimeoutError("GET /api/system/status timed out"),
        CONF_URL,
        "timeout_connect",
        id="timeout",
    ),
    pytest.param(
        "endpoints",
        PortainerAuthenticationError("GET /api/endpoints: 401"),
        CONF_API_TOKEN,
        "invalid_auth",
        id="invalid_auth",
    ),
    pytest.param(
        "endpoints",
        PortainerForbiddenError("GET /api/endpoints: 403"),
        CONF_API_TOKEN,
        "insufficient_permissions",
        id="forbidden",
    ),
    pytest.param(
        "endpoints",
        Exception("boom"),
        "base",
        "unknown",
        id="unexpected",
    ),
]

INVALID_URLS = [
    pytest.param("ftp://portainer.example.com", id="ftp"),
    pytest.param("not a url", id="no_scheme"),
    pytest.param("http://", id="no_host"),
    pytest.param("https://[::1", id="unparsable"),
]


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Keep created and reloaded entries from setting up the integration."""
    with patch(
        "custom_components.portainer_control.async_setup_entry", return_value=True
    ) as setup_entry:
        yield setup_entry


@pytest.fixture
def client_class(mock_portainer_client: AsyncMock) -> MagicMock:
    """Return the mocked client class the config flow builds its clients with."""
    return config_flow.PortainerClient


def _fields(result: ConfigFlowResult) -> set[str]:
    """Return the fields of a form."""
    return {str(key) for key in result["data_schema"].schema}


def _suggested(result: ConfigFlowResult, field: str) -> Any:
    """Return the value a form shows in a field."""
    for key in result["data_schema"].schema:
        if key == field:
            return (key.description or {}).get("suggested_value")
    msg = f"{field} is not on the form"
    raise AssertionError(msg)


def _assert_errors_shown(result: ConfigFlowResult, errors: dict[str, str]) -> None:
    """Assert a form shows these errors, each under a field of it or at the top."""
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert set(errors) <= _fields(result) | {"base"}


def _break(client: AsyncMock, method: str, side_effect: Any) -> Any:
    """Make a client method fail; return its working side effect."""
    mock = getattr(client, method)
    working = mock.side_effect
    mock.side_effect = side_effect
    return working


async def _start_user_flow(hass: HomeAssistant) -> ConfigFlowResult:
    """Open the user step."""
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )


async def test_user_flow_form(hass: HomeAssistant) -> None:
    """The user step asks for the URL, the token and the certificate check."""
    result = await _start_user_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    assert _fields(result) == {CONF_URL, CONF_API_TOKEN, CONF_VERIFY_SSL}


@pytest.mark.parametrize(
    ("url", "verify_ssl", "stored_url", "title"),
    [
        pytest.param(URL, True, URL, "portainer.example.com", id="plain"),
        pytest.param(
            f"{URL}/", False, URL, "portainer.example.com", id="trailing_slash"
        ),
        pytest.param(
            "https://nas.example.com/portainer/",
            True,
            "https://nas.example.com/portainer",
            "nas.example.com",
            id="path_prefix",
        ),
        pytest.param(
            f"  {OTHER_URL}/ ", False, OTHER_URL, "192.168.1.5", id="whitespace"
        ),
    ],
)
async def test_user_flow(
    hass: HomeAssistant,
    mock_portainer_client: AsyncMock,
    client_class: MagicMock,
    mock_setup_entry: AsyncMock,
    url: str,
    verify_ssl: bool,
    stored_url: str,
    title: str,
) -> None:
    """A working URL and token create an entry named by host, keyed by instance."""
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: url, CONF_API_TOKEN: TOKEN, CONF_VERIFY_SSL: verify_ssl},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    assert result["data"] == {
        CONF_URL: stored_url,
        CONF_API_TOKEN: TOKEN,
        CONF_VERIFY_SSL: verify_ssl,
    }
    assert result["result"].unique_id == INSTANCE_ID
    client_class.assert_called_once_with(stored_url, TOKEN, session=ANY)
    mock_portainer_client.endpoints.assert_awaited_once()
    assert len(mock_setup_entry.mock_calls) == 1


@pytest.mark.parametrize(("method", "side_effect", "field", "reason"), FAULTS)
async def test_user_flow_errors(
    hass: HomeAssistant,
    mock_portainer_client: AsyncMock,
    mock_setup_entry: AsyncMock,
    method: str,
    side_effect: Any,
    field: str,
    reason: str,
) -> None:
    """Each failure shows its error and keeps the input; a retry then succeeds."""
    user_input = {CONF_URL: URL, CONF_API_TOKEN: TOKEN, CONF_VERIFY_SSL: False}
    working = _break(mock_portainer_client, method, side_effect)
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )

    _assert_errors_shown(result, {field: reason})
    assert result["step_id"] == "user"
    assert _suggested(result, CONF_URL) == URL
    assert _suggested(result, CONF_VERIFY_SSL) is False

    getattr(mock_portainer_client, method).side_effect = working
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == user_input
    assert result["result"].unique_id == INSTANCE_ID


@pytest.mark.parametrize("url", INVALID_URLS)
async def test_user_flow_invalid_url(
    hass: HomeAssistant,
    mock_portainer_client: AsyncMock,
    mock_setup_entry: AsyncMock,
    url: str,
) -> None:
    """A URL that is not http(s) with a host is refused before any request."""
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: url, CONF_API_TOKEN: TOKEN, CONF_VERIFY_SSL: False},
    )

    _assert_errors_shown(result, {CONF_URL: "invalid_url"})
    assert _suggested(result, CONF_URL) == url
    assert _suggested(result, CONF_VERIFY_SSL) is False
    mock_portainer_client.system_status.assert_not_called()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: URL, CONF_API_TOKEN: TOKEN, CONF_VERIFY_SSL: False},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_URL] == URL


async def test_user_flow_unexpected_error_logged(
    hass: HomeAssistant,
    mock_portainer_client: AsyncMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected error is logged with its traceback, not only shown."""
    mock_portainer_client.endpoints.side_effect = ValueError("unexpected JSON shape")
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: URL, CONF_API_TOKEN: TOKEN, CONF_VERIFY_SSL: True},
    )

    assert result["errors"] == {"base": "unknown"}
    records = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert isinstance(records[0].exc_info[1], ValueError)
    assert "unexpected JSON shape" in caplog.text


async def test_user_flow_already_configured(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    mock_setup_entry: AsyncMock,
) -> None:
    """The same Portainer server, even under another address, is added once."""
    mock_config_entry.add_to_hass(hass)
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: OTHER_URL, CONF_API_TOKEN: NEW_TOKEN, CONF_VERIFY_SSL: False},
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data[CONF_URL] == URL
    assert mock_config_entry.data[CONF_API_TOKEN] == TOKEN
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    mock_setup_entry.assert_not_called()


async def test_reauth_flow(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    client_class: MagicMock,
    mock_setup_entry: AsyncMock,
) -> None:
    """A new token of the same server is stored and the entry reloaded."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reauth_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["url"] == URL
    assert _fields(result) == {CONF_API_TOKEN}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: NEW_TOKEN}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data == {
        CONF_URL: URL,
        CONF_API_TOKEN: NEW_TOKEN,
        CONF_VERIFY_SSL: True,
    }
    client_class.assert_called_once_with(URL, NEW_TOKEN, session=ANY)
    assert len(mock_setup_entry.mock_calls) == 1


@pytest.mark.parametrize(("method", "side_effect", "field", "reason"), FAULTS)
async def test_reauth_flow_errors(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    mock_setup_entry: AsyncMock,
    method: str,
    side_effect: Any,
    field: str,
    reason: str,
) -> None:
    """Each failure shows where the token form can show it; a retry succeeds."""
    mock_config_entry.add_to_hass(hass)
    working = _break(mock_portainer_client, method, side_effect)
    result = await mock_config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: NEW_TOKEN}
    )

    # The form has no URL field: errors about the server show at its top.
    _assert_errors_shown(
        result, {CONF_API_TOKEN if field == CONF_API_TOKEN else "base": reason}
    )
    assert result["step_id"] == "reauth_confirm"
    assert mock_config_entry.data[CONF_API_TOKEN] == TOKEN

    getattr(mock_portainer_client, method).side_effect = working
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: NEW_TOKEN}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data[CONF_API_TOKEN] == NEW_TOKEN


async def test_reauth_flow_different_instance(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    fake_portainer: FakePortainer,
    mock_portainer_client: AsyncMock,
    mock_setup_entry: AsyncMock,
) -> None:
    """A token that works on another Portainer server is not stored."""
    mock_config_entry.add_to_hass(hass)
    fake_portainer.status["InstanceID"] = "another-portainer-instance"
    result = await mock_config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: NEW_TOKEN}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "different_instance"
    assert mock_config_entry.data[CONF_API_TOKEN] == TOKEN
    assert mock_config_entry.unique_id == INSTANCE_ID
    mock_setup_entry.assert_not_called()


async def test_reconfigure_flow(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    client_class: MagicMock,
    mock_setup_entry: AsyncMock,
) -> None:
    """A new address of the same server is stored, keeping the token."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert _fields(result) == {CONF_URL, CONF_VERIFY_SSL}
    assert _suggested(result, CONF_URL) == URL
    assert _suggested(result, CONF_VERIFY_SSL) is True

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"{OTHER_URL}/", CONF_VERIFY_SSL: False}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data == {
        CONF_URL: OTHER_URL,
        CONF_API_TOKEN: TOKEN,
        CONF_VERIFY_SSL: False,
    }
    client_class.assert_called_once_with(OTHER_URL, TOKEN, session=ANY)
    assert len(mock_setup_entry.mock_calls) == 1


@pytest.mark.parametrize(("method", "side_effect", "field", "reason"), FAULTS)
async def test_reconfigure_flow_errors(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    mock_setup_entry: AsyncMock,
    method: str,
    side_effect: Any,
    field: str,
    reason: str,
) -> None:
    """Each failure shows where the address form can show it; a retry succeeds."""
    user_input = {CONF_URL: OTHER_URL, CONF_VERIFY_SSL: False}
    mock_config_entry.add_to_hass(hass)
    working = _break(mock_portainer_client, method, side_effect)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )

    # The form has no token field: errors about the token show at its top.
    _assert_errors_shown(result, {CONF_URL if field == CONF_URL else "base": reason})
    assert result["step_id"] == "reconfigure"
    assert _suggested(result, CONF_URL) == OTHER_URL
    assert _suggested(result, CONF_VERIFY_SSL) is False
    assert mock_config_entry.data[CONF_URL] == URL

    getattr(mock_portainer_client, method).side_effect = working
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data == {**user_input, CONF_API_TOKEN: TOKEN}


@pytest.mark.parametrize("url", INVALID_URLS)
async def test_reconfigure_flow_invalid_url(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    mock_setup_entry: AsyncMock,
    url: str,
) -> None:
    """An invalid new address is refused under the URL and kept on the form."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: url, CONF_VERIFY_SSL: True}
    )

    _assert_errors_shown(result, {CONF_URL: "invalid_url"})
    assert _suggested(result, CONF_URL) == url
    mock_portainer_client.system_status.assert_not_called()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: OTHER_URL, CONF_VERIFY_SSL: True}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_URL] == OTHER_URL


async def test_reconfigure_flow_different_instance(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    fake_portainer: FakePortainer,
    mock_portainer_client: AsyncMock,
    mock_setup_entry: AsyncMock,
) -> None:
    """An address leading to another Portainer server is not stored."""
    mock_config_entry.add_to_hass(hass)
    fake_portainer.status["InstanceID"] = "another-portainer-instance"
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: OTHER_URL, CONF_VERIFY_SSL: True}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "different_instance"
    assert mock_config_entry.data[CONF_URL] == URL
    mock_setup_entry.assert_not_called()


def test_flow_reasons_translated() -> None:
    """Every error and abort reason of the flow has a text, and no text is unused."""
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    source = (INTEGRATION / "config_flow.py").read_text(encoding="utf-8")

    errors = set(re.findall(r'\{(?:CONF_\w+|"base"): "(\w+)"\}', source))
    aborts = set(re.findall(r'reason="(\w+)"', source))
    # Reasons of Home Assistant's helpers the flow calls.
    if "_abort_if_unique_id_configured(" in source:
        aborts.add("already_configured")
    if "async_update_reload_and_abort(" in source:
        aborts |= {"reauth_successful", "reconfigure_successful"}

    assert errors >= {"invalid_url", "cannot_connect", "unknown"}
    assert errors == set(strings["config"]["error"])
    assert aborts == set(strings["config"]["abort"])
