"""Tests for the figures derived from container stats samples."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from custom_components.portainer_control.api import (
    ContainerStats,
    cpu_percent,
    memory_percent,
    memory_used,
    network_rates,
)

from . import load_fixture


def sample(name: str, **changes: Any) -> ContainerStats:
    """Return a parsed stats fixture, with some fields changed."""
    stats = ContainerStats.from_dict(load_fixture(name))
    assert stats is not None
    return replace(stats, **changes)


def v1_later() -> dict[str, Any]:
    """Return the cgroup v1 sample 5 s later: 1 s of CPU time on 4 CPUs."""
    data = load_fixture("stats_cgroup_v1.json")
    data["read"] = "2024-06-04T10:00:05.223456789Z"
    usage = data["cpu_stats"]["cpu_usage"]
    usage["percpu_usage"] = [value + 250_000_000 for value in usage["percpu_usage"]]
    usage["total_usage"] += 1_000_000_000
    data["cpu_stats"]["system_cpu_usage"] += 20_000_000_000
    data["networks"]["eth0"]["rx_bytes"] += 5000
    data["networks"]["eth1"]["tx_bytes"] += 2500
    return data


def test_cgroup_v2_figures() -> None:
    """Test the figures of two cgroup v2 samples."""
    before = sample("stats_cgroup_v2.json")
    after = sample("stats_cgroup_v2_later.json")

    # 2 s of CPU time in 10 s on 4 CPUs: 20 % of all, shown as 400 % max.
    assert cpu_percent(before, after) == 20.0
    assert memory_used(before) == 536870912 - 104857600
    assert memory_percent(before) == 5.25
    assert network_rates(before, after) == (100000.0, 50000.0)


def test_cgroup_v1_figures() -> None:
    """Test the figures of two cgroup v1 samples."""
    before = sample("stats_cgroup_v1.json")
    after = ContainerStats.from_dict(v1_later())
    assert after is not None

    assert cpu_percent(before, after) == 20.0
    assert memory_used(before) == 12582912 - 4194304
    assert memory_percent(before) == 0.1
    assert network_rates(before, after) == (1000.0, 500.0)


def test_cpu_count_falls_back_to_percpu_usage() -> None:
    """Test counting CPUs from percpu_usage."""
    before_data = load_fixture("stats_cgroup_v1.json")
    after_data = v1_later()
    for data in (before_data, after_data):
        del data["cpu_stats"]["online_cpus"]
        data["cpu_stats"]["cpu_usage"]["percpu_usage"].pop()
    before = ContainerStats.from_dict(before_data)
    after = ContainerStats.from_dict(after_data)
    assert before is not None
    assert after is not None

    assert after.online_cpus == 3
    assert cpu_percent(before, after) == 15.0


def test_cpu_count_defaults_to_one() -> None:
    """Test a sample without any CPU count."""
    data = load_fixture("stats_cgroup_v2.json")
    del data["cpu_stats"]["online_cpus"]

    stats = ContainerStats.from_dict(data)

    assert stats is not None
    assert stats.online_cpus == 1


@pytest.mark.parametrize(
    ("previous_changes", "current_changes"),
    [
        # A restarted container counts its CPU time from zero again.
        ({}, {"cpu_total_usage": 1000}),
        ({}, {"system_cpu_usage": 987654320000000}),
        ({}, {"system_cpu_usage": 1}),
        ({"system_cpu_usage": None}, {}),
        ({}, {"system_cpu_usage": None}),
    ],
)
def test_cpu_percent_without_usable_baseline(
    previous_changes: dict[str, Any], current_changes: dict[str, Any]
) -> None:
    """Test CPU use without a usable baseline."""
    previous = sample("stats_cgroup_v2.json", **previous_changes)
    current = sample("stats_cgroup_v2_later.json", **current_changes)

    assert cpu_percent(previous, current) is None


def test_cpu_percent_without_previous_sample() -> None:
    """Test CPU use on the first poll."""
    assert cpu_percent(None, sample("stats_cgroup_v2.json")) is None


def test_cpu_percent_of_idle_container() -> None:
    """Test CPU use of an idle container."""
    previous = sample("stats_cgroup_v2.json")
    current = sample(
        "stats_cgroup_v2_later.json", cpu_total_usage=previous.cpu_total_usage
    )

    assert cpu_percent(previous, current) == 0.0


@pytest.mark.parametrize(
    ("changes", "used", "percent"),
    [
        ({"memory_usage": None}, None, None),
        ({"memory_inactive_file": None}, 536870912, 6.52),
        ({"memory_inactive_file": 600000000}, 0, 0.0),
        ({"memory_limit": None}, 432013312, None),
        ({"memory_limit": 0}, 432013312, None),
        ({"memory_limit": 864026624}, 432013312, 50.0),
    ],
)
def test_memory(
    changes: dict[str, Any], used: int | None, percent: float | None
) -> None:
    """Test memory in use and its share of the limit."""
    stats = sample("stats_cgroup_v2.json", **changes)

    assert memory_used(stats) == used
    assert memory_percent(stats) == percent


def test_network_rates_without_previous_sample() -> None:
    """Test network rates on the first poll."""
    assert network_rates(None, sample("stats_cgroup_v2.json")) is None


@pytest.mark.parametrize(
    ("previous_changes", "current_changes"),
    [
        ({"read": None}, {}),
        ({}, {"read": None}),
        ({"network_rx_bytes": None}, {}),
        ({"network_tx_bytes": None}, {}),
        ({}, {"network_rx_bytes": None}),
        ({}, {"network_tx_bytes": None}),
        # Counters restart from zero with the container.
        ({}, {"network_rx_bytes": 10}),
        ({}, {"network_tx_bytes": 10}),
    ],
)
def test_network_rates_without_usable_baseline(
    previous_changes: dict[str, Any], current_changes: dict[str, Any]
) -> None:
    """Test network rates without a usable baseline."""
    previous = sample("stats_cgroup_v2.json", **previous_changes)
    current = sample("stats_cgroup_v2_later.json", **current_changes)

    assert network_rates(previous, current) is None


@pytest.mark.parametrize("seconds", [0, -10])
def test_network_rates_need_time_to_pass(seconds: int) -> None:
    """Test network rates of samples taken at once."""
    previous = sample("stats_cgroup_v2.json")
    assert previous.read is not None
    current = sample(
        "stats_cgroup_v2_later.json", read=previous.read + timedelta(seconds=seconds)
    )

    assert network_rates(previous, current) is None
