"""Checks whether a newer image than the one a container runs is published."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum

from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .api import (
    DistributionInspect,
    PortainerAuthenticationError,
    PortainerClient,
    PortainerError,
    PortainerForbiddenError,
    PortainerNotFoundError,
    PortainerRateLimitError,
    split_image_reference,
)
from .const import DOMAIN, IMAGE_CHECK_CONCURRENCY, LOGGER
from .coordinator import PortainerConfigEntry, PortainerCoordinator

# An image as a container names it, in one environment.
type ImageKey = tuple[int, str]

_DIGEST_PREFIX = "sha256:"
SHORT_DIGEST = len(_DIGEST_PREFIX) + 12


class CheckStatus(StrEnum):
    """Outcome of an image check; anything but CHECKED leaves "latest" unknown."""

    CHECKED = "checked"
    UNTAGGED = "untagged"
    PINNED = "pinned"
    LOCAL_IMAGE = "local_image"
    REGISTRY_AUTH = "registry_auth"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    REGISTRY_UNAVAILABLE = "registry_unavailable"


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageUpdate:
    """What is known about the image a container runs."""

    image: str
    status: CheckStatus
    installed: str | None = None
    latest: str | None = None

    @property
    def available(self) -> bool:
        """Return whether the registry has a different image than installed."""
        return self.latest is not None and self.latest != self.installed

    @property
    def tag(self) -> str:
        """Return the tag (or digest) the container asks for."""
        return split_image_reference(self.image)[1]


def short_digest(digest: str | None) -> str | None:
    """Return a digest cut to its first twelve hex digits."""
    return digest[:SHORT_DIGEST] if digest else None


class ImageUpdateCoordinator(DataUpdateCoordinator[dict[ImageKey, ImageUpdate]]):
    """Checks each distinct image once per cadence, apart from the main poll."""

    config_entry: PortainerConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PortainerConfigEntry,
        client: PortainerClient,
        main: PortainerCoordinator,
    ) -> None:
        """Initialize the coordinator."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title} image updates",
            update_interval=main.settings.image_update_interval,
        )
        self.client = client
        self.main = main
        self._limit = asyncio.Semaphore(IMAGE_CHECK_CONCURRENCY)

    def _images(self) -> dict[ImageKey, str]:
        """Return every image in use, with the local image Id to inspect."""
        return {
            (endpoint_id, data.container.image): data.container.image_id
            for endpoint_id, environment in self.main.data.environments.items()
            for data in environment.containers.values()
        }

    async def _async_update_data(self) -> dict[ImageKey, ImageUpdate]:
        """Check every image in use."""
        return await self._check(self._images())

    async def async_recheck(self, key: ImageKey, image_id: str) -> None:
        """Check one image again, after an update was installed."""
        results = await self._check({key: image_id})
        self.async_set_updated_data({**(self.data or {}), **results})

    async def _check(self, images: dict[ImageKey, str]) -> dict[ImageKey, ImageUpdate]:
        """Check images, asking the registry once per distinct reference."""
        round_ = _CheckRound(previous=self.data or {})
        keys = list(images)
        results = await asyncio.gather(
            *(self._check_one(round_, key, images[key]) for key in keys)
        )
        return dict(zip(keys, results, strict=True))

    async def _check_one(
        self, round_: _CheckRound, key: ImageKey, image_id: str
    ) -> ImageUpdate:
        """Compare one image's local digests with the registry's."""
        endpoint_id, image = key
        if image.startswith(_DIGEST_PREFIX):
            return ImageUpdate(image=image, status=CheckStatus.UNTAGGED)
        if "@" in image:
            return ImageUpdate(image=image, status=CheckStatus.PINNED)
        async with self._limit:
            # Checks waiting for a slot when a 429 came wait for the next round.
            if round_.rate_limited:
                return round_.previous.get(key) or ImageUpdate(
                    image=image, status=CheckStatus.RATE_LIMITED
                )
            try:
                local = await self.client.image_inspect(endpoint_id, image_id or image)
                if not local.digests:
                    return ImageUpdate(image=image, status=CheckStatus.LOCAL_IMAGE)
                if image not in round_.remote:
                    round_.remote[image] = asyncio.create_task(
                        self.client.distribution_inspect(endpoint_id, image)
                    )
                latest = (await round_.remote[image]).digest
            except PortainerRateLimitError:
                # Asking again before the next cadence only prolongs it.
                round_.rate_limited = True
                return ImageUpdate(image=image, status=CheckStatus.RATE_LIMITED)
            except PortainerError as err:
                LOGGER.debug("Cannot check image %s: %s", image, err)
                return ImageUpdate(image=image, status=_failure_status(err))

        # A multi-arch image has several local digests: any may match.
        installed = latest if latest in local.digests else min(local.digests)
        return ImageUpdate(
            image=image,
            status=CheckStatus.CHECKED,
            installed=installed,
            latest=latest,
        )


@dataclass(slots=True)
class _CheckRound:
    """What one round of checks shares: registry answers and a back-off."""

    previous: dict[ImageKey, ImageUpdate]
    remote: dict[str, asyncio.Task[DistributionInspect]] = field(default_factory=dict)
    rate_limited: bool = False


def _failure_status(err: PortainerError) -> CheckStatus:
    """Return why an image could not be checked."""
    # Docker relays the registry's refusal here, not Portainer's.
    if isinstance(err, PortainerAuthenticationError | PortainerForbiddenError):
        return CheckStatus.REGISTRY_AUTH
    if isinstance(err, PortainerNotFoundError):
        return CheckStatus.NOT_FOUND
    return CheckStatus.REGISTRY_UNAVAILABLE
