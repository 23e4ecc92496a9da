"""Tests of image update checks and the update entities."""

from __future__ import annotations

from unittest.mock import AsyncMock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.update import (
    ATTR_IN_PROGRESS,
    ATTR_INSTALLED_VERSION,
    ATTR_LATEST_VERSION,
    ATTR_RELEASE_SUMMARY,
    DOMAIN as UPDATE_DOMAIN,
    SERVICE_INSTALL,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.portainer_control.api import (
    ContainerDetails,
    PortainerAuthenticationError,
    PortainerConnectionError,
    PortainerError,
    PortainerNotFoundError,
    PortainerRateLimitError,
)
from custom_components.portainer_control.const import (
    IMAGE_CHECK_CONCURRENCY,
    IMAGE_UPDATE_INTERVAL,
    RECREATE_TIMEOUT,
)

from .api import load_fixture
from .conftest import FakePortainer

LATEST = "sha256:497e66eb4d377537249053a1de7b56f1b552c87ee1f965b24b91a8038e4a943b"


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up the entry and let the first image check finish."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.usefixtures("mock_portainer_client")
async def test_update_available(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A registry digest that no local digest matches is an update."""
    await _setup(hass, mock_config_entry)

    state = hass.states.get("update.homeassistant_image_update")
    assert state.state == STATE_ON
    assert state.attributes[ATTR_INSTALLED_VERSION] == "sha256:cfe840ea48ad"
    assert state.attributes[ATTR_LATEST_VERSION] == "sha256:497e66eb4d37"
    assert state.attributes[ATTR_RELEASE_SUMMARY] == (
        "ghcr.io/home-assistant/home-assistant:stable (stable): "
        "sha256:cfe840ea48ad → sha256:497e66eb4d37"
    )


@pytest.mark.usefixtures("mock_portainer_client")
async def test_up_to_date_with_any_local_digest(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    fake_portainer: FakePortainer,
) -> None:
    """Every local digest counts, not only the first."""
    fake_portainer.image["RepoDigests"].append(f"ghcr.io/x@{LATEST}")
    await _setup(hass, mock_config_entry)

    state = hass.states.get("update.homeassistant_image_update")
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_INSTALLED_VERSION] == "sha256:497e66eb4d37"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"Image": "sha256:" + "ab" * 32}, "untagged"),
        ({"Image": f"nginx@{LATEST}"}, "pinned"),
    ],
)
@pytest.mark.usefixtures("mock_portainer_client")
async def test_images_that_cannot_be_checked(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    fake_portainer: FakePortainer,
    change: dict[str, str],
    status: str,
) -> None:
    """An untagged or pinned image has no "latest", and says why."""
    fake_portainer.by_name(1, "homeassistant").update(change)
    await _setup(hass, mock_config_entry)

    state = hass.states.get("update.homeassistant_image_update")
    assert state.attributes[ATTR_LATEST_VERSION] is None
    assert state.attributes["check_status"] == status


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (PortainerAuthenticationError("401 from the registry"), "registry_auth"),
        (PortainerNotFoundError("manifest unknown"), "not_found"),
        (PortainerConnectionError("registry unreachable"), "registry_unavailable"),
        (PortainerRateLimitError("429 too many requests"), "rate_limited"),
    ],
)
async def test_registry_errors(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    caplog: pytest.LogCaptureFixture,
    error: PortainerError,
    status: str,
) -> None:
    """A registry error leaves "latest" unknown with the reason, not an error."""
    mock_portainer_client.distribution_inspect.side_effect = error
    await _setup(hass, mock_config_entry)

    state = hass.states.get("update.homeassistant_image_update")
    assert state.attributes[ATTR_LATEST_VERSION] is None
    assert state.attributes["check_status"] == status
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    # The registry's 401 is not Portainer's: no reauthentication.
    assert not hass.config_entries.flow.async_progress()


async def test_local_image(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
) -> None:
    """An image built locally has no registry digest to compare."""
    fake_portainer.image["RepoDigests"] = []
    await _setup(hass, mock_config_entry)

    state = hass.states.get("update.homeassistant_image_update")
    assert state.attributes["check_status"] == "local_image"
    mock_portainer_client.distribution_inspect.assert_not_called()


async def test_rate_limit_backs_off_and_keeps_results(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After a 429 no more images are asked this round; known results stay."""
    await _setup(hass, mock_config_entry)
    distribution = mock_portainer_client.distribution_inspect
    distribution.reset_mock()
    distribution.side_effect = PortainerRateLimitError("429")

    freezer.tick(IMAGE_UPDATE_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    # Only the checks already in flight reached the registry.
    assert distribution.await_count == IMAGE_CHECK_CONCURRENCY
    statuses = [
        state.attributes["check_status"]
        for state in hass.states.async_all(UPDATE_DOMAIN)
    ]
    assert statuses.count("rate_limited") == IMAGE_CHECK_CONCURRENCY
    # The rest keep what the previous round found.
    assert statuses.count("checked") == len(statuses) - IMAGE_CHECK_CONCURRENCY


async def test_one_registry_request_per_image(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each distinct image is asked once per round, on its own cadence."""
    for name in ("grafana", "backup"):
        fake_portainer.by_name(1, name)["Image"] = "nginx:1.27-alpine"
    await _setup(hass, mock_config_entry)

    images = {c["Image"] for c in fake_portainer.containers[1]}
    assert mock_portainer_client.distribution_inspect.await_count == len(images)

    # The main poll never checks images.
    mock_portainer_client.distribution_inspect.reset_mock()
    await init_poll(hass, freezer)
    mock_portainer_client.distribution_inspect.assert_not_called()


async def init_poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one main scan interval pass."""
    freezer.tick(30)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_install(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
    fake_portainer: FakePortainer,
) -> None:
    """Install recreates with a pull, shows progress, then reports up to date."""
    await _setup(hass, mock_config_entry)
    container_id = fake_portainer.by_name(1, "homeassistant")["Id"]
    progress: list[bool] = []

    async def recreate(*args: object, **kwargs: object) -> ContainerDetails:
        progress.append(
            hass.states.get("update.homeassistant_image_update").attributes[
                ATTR_IN_PROGRESS
            ]
        )
        fake_portainer.image["RepoDigests"] = [f"ghcr.io/x@{LATEST}"]
        return ContainerDetails.from_dict(load_fixture("container_recreate.json"))

    mock_portainer_client.container_recreate.side_effect = recreate

    await hass.services.async_call(
        UPDATE_DOMAIN,
        SERVICE_INSTALL,
        {ATTR_ENTITY_ID: "update.homeassistant_image_update"},
        blocking=True,
    )

    mock_portainer_client.container_recreate.assert_awaited_once_with(
        1, container_id, pull_image=True, timeout=RECREATE_TIMEOUT
    )
    assert progress == [True]
    state = hass.states.get("update.homeassistant_image_update")
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_IN_PROGRESS] is False


async def test_install_on_vanished_container(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_portainer_client: AsyncMock,
) -> None:
    """Installing for a container gone since the last poll says so."""
    await _setup(hass, mock_config_entry)
    # The action on an unavailable entity is refused before it runs: call
    # the entity as an install started just before the poll would.
    entity = next(
        entity
        for entity in hass.data["entity_components"][UPDATE_DOMAIN].entities
        if entity.entity_id == "update.homeassistant_image_update"
    )
    coordinator = mock_config_entry.runtime_data.coordinator
    del coordinator.data.environments[1].containers["homeassistant"]

    with pytest.raises(HomeAssistantError) as exc_info:
        await entity.async_install(None, backup=False)

    assert exc_info.value.translation_key == "container_missing"
    mock_portainer_client.container_recreate.assert_not_awaited()
