"""Config flow of the Portainer Control integration."""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_SCAN_INTERVAL, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
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
from .compat import vol
from .const import (
    CONF_API_TOKEN,
    CONF_CONTAINER_STATS,
    CONF_DISK_USAGE_INTERVAL,
    CONF_ENVIRONMENTS,
    CONF_EXCLUDE_CONTAINERS,
    CONF_IMAGE_UPDATE_INTERVAL,
    CONF_INCLUDE_CONTAINERS,
    CONF_STATS_CONCURRENCY,
    DISK_USAGE_INTERVAL_RANGE,
    DOMAIN,
    IMAGE_UPDATE_INTERVAL_RANGE,
    LOGGER,
    SCAN_INTERVAL_RANGE,
    STATS_CONCURRENCY_RANGE,
)
from .settings import Settings, compile_patterns

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

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> PortainerOptionsFlow:
        """Return the options flow."""
        return PortainerOptionsFlow()

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


# Each number option: its unit for the form and its allowed range.
_NUMBER_OPTIONS: dict[str, tuple[str, tuple[int, int]]] = {
    CONF_SCAN_INTERVAL: ("s", SCAN_INTERVAL_RANGE),
    CONF_DISK_USAGE_INTERVAL: ("min", DISK_USAGE_INTERVAL_RANGE),
    CONF_STATS_CONCURRENCY: ("", STATS_CONCURRENCY_RANGE),
    CONF_IMAGE_UPDATE_INTERVAL: ("h", IMAGE_UPDATE_INTERVAL_RANGE),
}


def _options_schema(environments: Mapping[str, str]) -> vol.Schema:
    """Return the options form for the environments Portainer knows."""
    schema: dict[vol.Marker, Any] = {
        vol.Required(CONF_ENVIRONMENTS): SelectSelector(
            SelectSelectorConfig(
                options=[
                    SelectOptionDict(value=endpoint_id, label=name)
                    for endpoint_id, name in environments.items()
                ],
                multiple=True,
                mode=SelectSelectorMode.LIST,
            )
        ),
        vol.Optional(CONF_INCLUDE_CONTAINERS): TextSelector(
            TextSelectorConfig(multiple=True)
        ),
        vol.Optional(CONF_EXCLUDE_CONTAINERS): TextSelector(
            TextSelectorConfig(multiple=True)
        ),
        vol.Required(CONF_CONTAINER_STATS): BooleanSelector(),
    }
    for key, (unit, _) in _NUMBER_OPTIONS.items():
        config = NumberSelectorConfig(mode=NumberSelectorMode.BOX, step=1)
        if unit:
            config["unit_of_measurement"] = unit
        schema[vol.Required(key)] = NumberSelector(config)
    return vol.Schema(schema)


def _validate_options(
    user_input: dict[str, Any],
) -> tuple[dict[str, str], dict[str, str]]:
    """Return per-field errors and the placeholders their messages need."""
    errors: dict[str, str] = {}
    placeholders: dict[str, str] = {}
    if not user_input.get(CONF_ENVIRONMENTS):
        errors[CONF_ENVIRONMENTS] = "no_environments"
    for field in (CONF_INCLUDE_CONTAINERS, CONF_EXCLUDE_CONTAINERS):
        for pattern in user_input.get(field, []):
            try:
                compile_patterns([pattern])
            except re.error as err:
                errors[field] = "invalid_pattern"
                placeholders["pattern"] = f"{pattern} ({err})"
    for key, (_, (low, high)) in _NUMBER_OPTIONS.items():
        if not low <= user_input[key] <= high:
            errors[key] = f"{key}_out_of_range"
    return errors, placeholders


class PortainerOptionsFlow(OptionsFlow):
    """Choose what to watch and how often."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and check the options."""
        environments = self._known_environments()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"pattern": ""}
        if user_input is not None:
            errors, found = _validate_options(user_input)
            placeholders.update(found)
            if not errors:
                return self.async_create_entry(
                    data=self._options_to_store(user_input, environments)
                )

        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                _options_schema(environments), user_input or self._current_options()
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _known_environments(self) -> dict[str, str]:
        """Return the environments to choose from, by Id, with their names."""
        runtime = getattr(self.config_entry, "runtime_data", None)
        if runtime is not None:
            return {
                str(endpoint.id): endpoint.name
                for endpoint in runtime.coordinator.endpoints
            }
        # Not loaded: offer at least what the user chose before.
        stored = self.config_entry.options.get(CONF_ENVIRONMENTS, [])
        return {endpoint_id: endpoint_id for endpoint_id in stored}

    def _current_options(self) -> dict[str, Any]:
        """Return the stored options, with every default filled in."""
        settings = Settings.from_options(self.config_entry.options)
        environments = self._known_environments()
        return {
            CONF_ENVIRONMENTS: [
                endpoint_id
                for endpoint_id in environments
                if settings.includes_environment(int(endpoint_id))
            ],
            CONF_INCLUDE_CONTAINERS: [p.pattern for p in settings.include],
            CONF_EXCLUDE_CONTAINERS: [p.pattern for p in settings.exclude],
            CONF_CONTAINER_STATS: settings.container_stats,
            CONF_SCAN_INTERVAL: int(settings.scan_interval.total_seconds()),
            CONF_DISK_USAGE_INTERVAL: int(
                settings.disk_usage_interval.total_seconds() // 60
            ),
            CONF_STATS_CONCURRENCY: settings.stats_concurrency,
            CONF_IMAGE_UPDATE_INTERVAL: int(
                settings.image_update_interval.total_seconds() // 3600
            ),
        }

    @staticmethod
    def _options_to_store(
        user_input: dict[str, Any], environments: Mapping[str, str]
    ) -> dict[str, Any]:
        """Return the options as stored: every environment chosen means all."""
        chosen = sorted(user_input[CONF_ENVIRONMENTS])
        return {
            # Choosing every environment also takes the ones added later.
            CONF_ENVIRONMENTS: [] if set(chosen) >= set(environments) else chosen,
            CONF_INCLUDE_CONTAINERS: [
                p for p in user_input.get(CONF_INCLUDE_CONTAINERS, []) if p.strip()
            ],
            CONF_EXCLUDE_CONTAINERS: [
                p for p in user_input.get(CONF_EXCLUDE_CONTAINERS, []) if p.strip()
            ],
            CONF_CONTAINER_STATS: user_input[CONF_CONTAINER_STATS],
            **{key: int(user_input[key]) for key in _NUMBER_OPTIONS},
        }
