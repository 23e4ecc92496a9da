"""End to end: switches, buttons and actions change the real containers."""

from __future__ import annotations

from http import HTTPStatus
import io
import json
import os
import tarfile

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.portainer_control.const import DOMAIN
from gateway import EngineClient, EngineError

from .conftest import LOCAL, Integration, wait_for

pytestmark = pytest.mark.engine

# Random content: every imported image gets layers of its own.
_LAYER_BYTES = 256 * 1024


async def _call(hass: HomeAssistant, domain: str, service: str, entity_id: str) -> None:
    """Call an entity action and wait for the refresh it asks for."""
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)


async def _press(integration: Integration, role: str, key: str) -> None:
    """Press a container button."""
    entity_id = integration.entity_id("button", role, key)
    await _call(integration.hass, BUTTON_DOMAIN, SERVICE_PRESS, entity_id)


async def _import_dangling_image(engine: EngineClient) -> tuple[str, int]:
    """Import an untagged image, as `docker import` without a name; return it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        content = os.urandom(_LAYER_BYTES)
        member = tarfile.TarInfo("payload.bin")
        member.size = len(content)
        archive.addfile(member, io.BytesIO(content))
    async with engine.session.post(
        "http://docker/images/create",
        params={"fromSrc": "-"},
        data=buffer.getvalue(),
        headers={"Content-Type": "application/x-tar"},
    ) as response:
        assert response.status == 200
        lines = (await response.text()).split()
    image_id = str(json.loads(lines[-1])["status"])
    image = await engine.call("GET", f"/images/{image_id}/json")
    assert image["RepoTags"] in (None, [])
    return image_id, int(image["Size"])


async def _image_exists(engine: EngineClient, image_id: str) -> bool:
    """Return whether the engine still holds an image."""
    try:
        await engine.call("GET", f"/images/{image_id}/json")
    except EngineError as err:
        if err.status == HTTPStatus.NOT_FOUND:
            return False
        raise
    return True


async def test_switch_stops_and_starts(
    hass: HomeAssistant, integration: Integration
) -> None:
    """Off stops the container in the engine, on starts it again."""
    entity_id = integration.entity_id("switch", "sleeper", "running")

    await _call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, entity_id)
    state = await integration.engine_state("sleeper")
    assert (state["Status"], state["Running"]) == ("exited", False)
    await integration.refresh()
    assert hass.states.get(entity_id).state == STATE_OFF
    assert integration.state("sensor", "sleeper", "state").state == "exited"

    await _call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, entity_id)
    state = await integration.engine_state("sleeper")
    assert (state["Status"], state["Running"]) == ("running", True)
    await integration.refresh()
    assert hass.states.get(entity_id).state == STATE_ON
    assert integration.state("sensor", "sleeper", "state").state == "running"


async def test_restart_pause_and_resume(
    hass: HomeAssistant, integration: Integration
) -> None:
    """Restart gives a new start time; pause and resume freeze and thaw."""
    started = (await integration.engine_state("sleeper"))["StartedAt"]

    await _press(integration, "sleeper", "restart")
    state = await integration.engine_state("sleeper")
    assert state["Running"] is True
    assert state["StartedAt"] != started
    # Docker's events say it restarted: a poll reads the new start time.
    seconds = state["StartedAt"][:19]

    async def shows_new_start() -> bool:
        await integration.refresh()
        shown = integration.state("sensor", "sleeper", "started_at").state
        return shown.startswith(seconds)

    await wait_for(shows_new_start, what="the new start time")

    await _press(integration, "sleeper", "pause")
    state = await integration.engine_state("sleeper")
    assert (state["Status"], state["Paused"]) == ("paused", True)
    await integration.refresh()
    assert integration.state("sensor", "sleeper", "state").state == "paused"
    assert integration.state("button", "sleeper", "pause").state == STATE_UNAVAILABLE
    # A paused container still has its processes: the switch stays on.
    assert integration.state("switch", "sleeper", "running").state == STATE_ON

    await _press(integration, "sleeper", "resume")
    state = await integration.engine_state("sleeper")
    assert (state["Status"], state["Paused"]) == ("running", False)
    await integration.refresh()
    assert integration.state("sensor", "sleeper", "state").state == "running"


async def test_kill_once_enabled(hass: HomeAssistant, integration: Integration) -> None:
    """The kill button, disabled by default, works once enabled and reloaded."""
    entity_id = integration.entity_id("button", "sleeper", "kill")
    registry = er.async_get(hass)
    assert registry.async_get(entity_id).disabled_by is er.RegistryEntryDisabler(
        "integration"
    )
    assert hass.states.get(entity_id) is None

    registry.async_update_entity(entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(integration.entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(entity_id).state != STATE_UNAVAILABLE

    await _press(integration, "sleeper", "kill")
    state = await integration.engine_state("sleeper")
    assert (state["Running"], state["ExitCode"]) == (False, 137)
    await integration.refresh()
    assert integration.state("sensor", "sleeper", "state").state == "exited"
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE


async def test_recreate_button_and_action(
    hass: HomeAssistant, integration: Integration
) -> None:
    """Recreating gives a new container Id behind the same, available entities."""
    registry = er.async_get(hass)
    setup = integration.setup

    def entity_ids(role: str) -> set[str]:
        device = integration.device(role)
        assert device is not None
        return {
            entry.entity_id
            for entry in er.async_entries_for_device(registry, device.id)
        }

    # The button: busybox:e2e was imported, so there is nothing to pull.
    before = entity_ids("web")
    await _press(integration, "web", "recreate")
    recreated = await setup.inspect("web")
    assert recreated["Id"] != setup.ids["web"]
    assert recreated["State"]["Running"] is True
    await integration.refresh()
    assert entity_ids("web") == before
    assert integration.state("switch", "web", "running").state == STATE_ON
    assert integration.state("sensor", "web", "state").state == "running"
    device = integration.device("web")
    assert device is not None
    assert device.configuration_url is not None
    assert device.configuration_url.endswith(recreated["Id"])

    # The action, without a pull.
    before = entity_ids("sleeper")
    device = integration.device("sleeper")
    assert device is not None
    response = await hass.services.async_call(
        DOMAIN,
        "recreate_container",
        {ATTR_DEVICE_ID: device.id, "pull_image": False},
        blocking=True,
        return_response=True,
    )
    recreated = await setup.inspect("sleeper")
    assert recreated["Id"] != setup.ids["sleeper"]
    assert response == {
        "containers": [
            {"container": integration.name("sleeper"), "id": recreated["Id"]}
        ]
    }
    await integration.refresh()
    assert entity_ids("sleeper") == before
    assert integration.state("switch", "sleeper", "running").state == STATE_ON
    assert integration.state("sensor", "sleeper", "state").state == "running"

    # The old containers, renamed for the time of the recreate, got no device.
    devices = dr.async_entries_for_config_entry(
        dr.async_get(hass), integration.entry.entry_id
    )
    assert not [device.name for device in devices if "-old" in (device.name or "")]


async def test_prune_button_and_action(
    hass: HomeAssistant, integration: Integration
) -> None:
    """Prune removes a real dangling image and says how much space it freed."""
    engine = integration.setup.engine
    image_id, size = await _import_dangling_image(engine)

    entity_id = integration.environment_entity_id("button", "prune_images")
    await _call(hass, BUTTON_DOMAIN, SERVICE_PRESS, entity_id)
    assert not await _image_exists(engine, image_id)
    attributes = hass.states.get(entity_id).attributes
    assert attributes["images_deleted"] >= 1
    assert attributes["space_reclaimed"] >= size

    image_id, size = await _import_dangling_image(engine)
    environment = integration.device_by_suffix(str(LOCAL))
    assert environment is not None
    response = await hass.services.async_call(
        DOMAIN,
        "prune_images",
        {ATTR_DEVICE_ID: environment.id},
        blocking=True,
        return_response=True,
    )
    assert not await _image_exists(engine, image_id)
    (result,) = response["environments"]
    assert result["environment"] == "local"
    assert image_id in result["images_deleted"]
    assert result["space_reclaimed"] >= size
