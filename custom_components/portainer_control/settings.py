"""What a user chose in the options, parsed once per setup."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
import re
from typing import Any

from homeassistant.const import CONF_SCAN_INTERVAL

from .const import (
    CONF_CONTAINER_STATS,
    CONF_DISK_USAGE_INTERVAL,
    CONF_ENVIRONMENTS,
    CONF_EXCLUDE_CONTAINERS,
    CONF_IMAGE_UPDATE_INTERVAL,
    CONF_INCLUDE_CONTAINERS,
    CONF_STATS_CONCURRENCY,
    DEFAULT_SCAN_INTERVAL,
    DISK_USAGE_INTERVAL,
    IMAGE_UPDATE_INTERVAL,
    STATS_CONCURRENCY,
)


def compile_patterns(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    """Compile container name patterns; raises re.error on a bad one."""
    return tuple(re.compile(pattern) for pattern in patterns if pattern.strip())


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Options of a config entry with their defaults applied."""

    # Empty means every environment, including ones added later.
    environments: frozenset[int] = frozenset()
    include: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()
    scan_interval: timedelta = DEFAULT_SCAN_INTERVAL
    container_stats: bool = True
    disk_usage_interval: timedelta = DISK_USAGE_INTERVAL
    stats_concurrency: int = STATS_CONCURRENCY
    image_update_interval: timedelta = IMAGE_UPDATE_INTERVAL

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Settings:
        """Parse stored options; ones that no longer compile are dropped."""
        return cls(
            environments=frozenset(
                int(endpoint_id) for endpoint_id in options.get(CONF_ENVIRONMENTS, [])
            ),
            include=_safe_patterns(options.get(CONF_INCLUDE_CONTAINERS, [])),
            exclude=_safe_patterns(options.get(CONF_EXCLUDE_CONTAINERS, [])),
            scan_interval=timedelta(
                seconds=options.get(
                    CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL.total_seconds()
                )
            ),
            container_stats=options.get(CONF_CONTAINER_STATS, True),
            disk_usage_interval=timedelta(
                minutes=options.get(
                    CONF_DISK_USAGE_INTERVAL, DISK_USAGE_INTERVAL.total_seconds() / 60
                )
            ),
            stats_concurrency=int(
                options.get(CONF_STATS_CONCURRENCY, STATS_CONCURRENCY)
            ),
            image_update_interval=timedelta(
                hours=options.get(
                    CONF_IMAGE_UPDATE_INTERVAL,
                    IMAGE_UPDATE_INTERVAL.total_seconds() / 3600,
                )
            ),
        )

    def includes_environment(self, endpoint_id: int) -> bool:
        """Return whether the user wants this environment."""
        return not self.environments or endpoint_id in self.environments

    def includes_container(self, name: str) -> bool:
        """Return whether the user wants this container.

        Patterns are regular expressions matched against the whole name.
        """
        if self.include and not any(p.fullmatch(name) for p in self.include):
            return False
        return not any(pattern.fullmatch(name) for pattern in self.exclude)


def _safe_patterns(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    """Compile the patterns that compile; the options flow refuses the others."""
    compiled: list[re.Pattern[str]] = []
    for pattern in patterns:
        try:
            compiled.extend(compile_patterns([pattern]))
        except re.error:
            continue
    return tuple(compiled)
