"""Config flow of the Portainer Control integration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_URL, CONF_VERIFY_SSL
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol
from yarl import URL

from .api import (
    PortainerAuthenticationError,
    PortainerClient,
    PortainerConnectionError,
    PortainerError,
    PortainerForbiddenError,
    PortainerTimeoutError,
    SystemStatus,
)
from .const import CONF_API_TOKEN, DOMAIN, LOGGER

URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def _schema(*fields: str, defaults: Mapping[str, Any]) -> vol.Schema:
    """Return a form schema of the given fields, filled with defaults."""
    schema: dict[vol.Marker, Any] = {}
    if CONF_URL in fields:
        schema[vol.Required(CONF_URL, default=defaults.get(CONF_URL, ""))] = (
            URL_SELECTOR
        )
    if CONF_API_TOKEN in fields:
        schema[vol.Required(CONF_API_TOKEN)] = TOKEN_SELECTOR
    if CONF_VERIFY_SSL in fields:
        schema[
            vol.Required(CONF_VERIFY_SSL, default=defaults.get(CONF_VERIFY_SSL, True))
        ] = bool
    return vol.Schema(schema)


def _normalize_url(url: str) -> str | None:
    """Return the URL without a trailing slash, or None when it is not http(s)."""
    url = url.strip().rstrip("/")
    try:
        parsed = URL(url)
    except ValueError:
        return None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return None
    return url


def _errors_on_form(errors: dict[str, str], *fields: str) -> dict[str, str]:
    """Return the errors, those of fields not on the form moved to base."""
    # The frontend shows errors only under the form's fields and at the top.
    return {key if key in fields else "base": error for key, error in errors.items()}


class PortainerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Portainer server, and re-authenticate or reconfigure it."""

    VERSION = 1
    MINOR_VERSION = 1

    async def _async_validate(
        self, data: Mapping[str, Any]
    ) -> tuple[SystemStatus | None, dict[str, str]]:
        """Call Portainer with the input; return its status or per-field errors."""
        if (url := _normalize_url(data[CONF_URL])) is None:
            return None, {CONF_URL: "invalid_url"}
        session = async_get_clientsession(self.hass, verify_ssl=data[CONF_VERIFY_SSL])
        client = PortainerClient(url, data[CONF_API_TOKEN], session=session)

        try:
            # The status needs no token: listing environments proves it works.
            status = await client.system_status()
            await client.endpoints()
        except PortainerAuthenticationError:
            return None, {CONF_API_TOKEN: "invalid_auth"}
        except PortainerForbiddenError:
            return None, {CONF_API_TOKEN: "insufficient_permissions"}
        except PortainerTimeoutError:
            return None, {CONF_URL: "timeout_connect"}
        except PortainerConnectionError:
            return None, {CONF_URL: "cannot_connect"}
        except PortainerError as err:
            # Something answered, but not as Portainer does.
            LOGGER.debug("Not a Portainer server at %s: %s", url, err)
            return None, {CONF_URL: "cannot_connect"}
        except Exception:  # noqa: BLE001 - the form shows "unknown", the log the cause
            LOGGER.exception("Unexpected error while validating Portainer")
            return None, {"base": "unknown"}

        if not status.instance_id:
            return None, {CONF_URL: "cannot_connect"}
        return status, {}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the URL, token and certificate check."""
        errors: dict[str, str] = {}
        if user_input is not None:
            status, errors = await self._async_validate(user_input)
            if status is not None:
                await self.async_set_unique_id(status.instance_id)
                self._abort_if_unique_id_configured()
                url = str(_normalize_url(user_input[CONF_URL]))
                return self.async_create_entry(
                    title=URL(url).host or url,
                    data={**user_input, CONF_URL: url},
                )

        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _schema(CONF_URL, CONF_API_TOKEN, CONF_VERIFY_SSL, defaults={}),
                user_input,
            ),
            errors=errors,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start re-authentication after Portainer rejected the token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new token."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            status, errors = await self._async_validate({**entry.data, **user_input})
            errors = _errors_on_form(errors, CONF_API_TOKEN)
            if status is not None:
                await self.async_set_unique_id(status.instance_id)
                self._abort_if_unique_id_mismatch(reason="different_instance")
                return self.async_update_reload_and_abort(
                    entry, data_updates=user_input
                )

        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=_schema(CONF_API_TOKEN, defaults={}),
            description_placeholders={"url": entry.data[CONF_URL]},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the URL or the certificate check of a configured server."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            status, errors = await self._async_validate({**entry.data, **user_input})
            errors = _errors_on_form(errors, CONF_URL, CONF_VERIFY_SSL)
            if status is not None:
                await self.async_set_unique_id(status.instance_id)
                self._abort_if_unique_id_mismatch(reason="different_instance")
                url = str(_normalize_url(user_input[CONF_URL]))
                return self.async_update_reload_and_abort(
                    entry, data_updates={**user_input, CONF_URL: url}
                )

        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _schema(CONF_URL, CONF_VERIFY_SSL, defaults=entry.data),
                user_input or entry.data,
            ),
            errors=errors,
        )
