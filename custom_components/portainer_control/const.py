"""Constants of the Portainer Control integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "portainer_control"
LOGGER = logging.getLogger(__package__)

CONF_API_TOKEN: Final = "api_token"  # noqa: S105 - a config key, not a secret

DEFAULT_SCAN_INTERVAL: Final = timedelta(seconds=30)
DISK_USAGE_INTERVAL: Final = timedelta(minutes=30)
# Docker info and version rarely change; refreshing them this seldom keeps them
# off nearly every main poll.
SYSTEM_INFO_INTERVAL: Final = timedelta(hours=6)
# A container missing from the list this long is taken as gone for good.
STALE_CONTAINER_AGE: Final = timedelta(hours=24)

# Docker answers parallel one-shot stats requests together at its next
# collection tick, so a wide cap keeps a poll close to one tick.
STATS_CONCURRENCY: Final = 32
REQUEST_TIMEOUT: Final = 10.0
DISK_USAGE_TIMEOUT: Final = 60.0
RECREATE_TIMEOUT: Final = 300.0

CONF_ENVIRONMENTS: Final = "environments"
CONF_INCLUDE_CONTAINERS: Final = "include_containers"
CONF_EXCLUDE_CONTAINERS: Final = "exclude_containers"
CONF_CONTAINER_STATS: Final = "container_stats"
CONF_DISK_USAGE_INTERVAL: Final = "disk_usage_interval"
CONF_STATS_CONCURRENCY: Final = "stats_concurrency"

SCAN_INTERVAL_RANGE: Final = (10, 3600)
DISK_USAGE_INTERVAL_RANGE: Final = (5, 1440)
STATS_CONCURRENCY_RANGE: Final = (1, 128)

# Stacks rarely change on their own: they are listed at start, on this
# cadence, after a stack action, and whenever the Compose projects change.
STACKS_INTERVAL: Final = timedelta(hours=1)
# Consecutive failed polls of an environment before a repair issue says so.
ENVIRONMENT_DOWN_POLLS: Final = 3

CONF_IMAGE_UPDATE_INTERVAL: Final = "image_update_interval"
IMAGE_UPDATE_INTERVAL: Final = timedelta(hours=6)
IMAGE_UPDATE_INTERVAL_RANGE: Final = (1, 168)
# Registries limit anonymous manifest requests: a few at a time is polite.
IMAGE_CHECK_CONCURRENCY: Final = 4

# Seconds to wait before reconnecting a dropped event stream, attempt by attempt.
EVENT_STREAM_BACKOFF: Final = (1, 2, 5, 10, 30, 60)
# Seconds without create, destroy or rename events before the list is polled:
# a recreate renames the old container, creates the new one and removes the
# old one within a second, and a poll in between would see both.
EVENT_REFRESH_DELAY: Final = 2.0
