"""Figures derived from container stats samples, as the Docker CLI shows them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import ContainerStats


def cpu_percent(
    previous: ContainerStats | None, current: ContainerStats
) -> float | None:
    """Return the CPU use between two samples, 100 % per busy CPU.

    One-shot answers carry no usable precpu_stats, so the previous poll's
    sample is the baseline. None without a baseline or after a restart.
    """
    if previous is None:
        return None
    if current.system_cpu_usage is None or previous.system_cpu_usage is None:
        return None
    cpu_delta = current.cpu_total_usage - previous.cpu_total_usage
    system_delta = current.system_cpu_usage - previous.system_cpu_usage

    # A restarted container starts its counter from zero again.
    if cpu_delta < 0 or system_delta <= 0:
        return None
    return round(cpu_delta / system_delta * current.online_cpus * 100, 2)


def memory_used(sample: ContainerStats) -> int | None:
    """Return the memory in use, without the page cache the kernel can drop."""
    if sample.memory_usage is None:
        return None
    inactive_file = sample.memory_inactive_file or 0
    return max(sample.memory_usage - inactive_file, 0)


def memory_percent(sample: ContainerStats) -> float | None:
    """Return the memory in use as a share of the container's limit."""
    used = memory_used(sample)
    if used is None or not sample.memory_limit:
        return None
    return round(used / sample.memory_limit * 100, 2)


def network_rates(
    previous: ContainerStats | None, current: ContainerStats
) -> tuple[float, float] | None:
    """Return received and sent bytes per second between two samples."""
    if previous is None or previous.read is None or current.read is None:
        return None
    rx_before, tx_before = previous.network_rx_bytes, previous.network_tx_bytes
    rx_now, tx_now = current.network_rx_bytes, current.network_tx_bytes
    if rx_before is None or tx_before is None or rx_now is None or tx_now is None:
        return None
    seconds = (current.read - previous.read).total_seconds()
    rx_delta = rx_now - rx_before
    tx_delta = tx_now - tx_before

    # Counters go backwards when the container restarted.
    if seconds <= 0 or rx_delta < 0 or tx_delta < 0:
        return None
    return round(rx_delta / seconds, 2), round(tx_delta / seconds, 2)
