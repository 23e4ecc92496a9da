"""End to end: CPU and memory agree with what `docker stats` shows."""

from __future__ import annotations

from typing import Any

from homeassistant.const import UnitOfInformation
from homeassistant.core import HomeAssistant
from homeassistant.util.unit_conversion import InformationConverter
import pytest

from .conftest import Integration

pytestmark = pytest.mark.engine

# Half a CPU, burnt by a busy loop, after 16 MiB of shared memory are filled:
# enough memory in use that the shell's own few hundred KiB of churn is noise.
NANO_CPUS = 500_000_000
BALLAST = 16 * 1024 * 1024
BURN_COMMAND = [
    "sh",
    "-c",
    f"head -c {BALLAST} /dev/zero > /dev/shm/ballast; while :; do :; done",
]
CPU_TOLERANCE = 5.0  # percentage points
MEMORY_TOLERANCE = 0.10  # of the reference


def docker_cpu_percent(stats: dict[str, Any]) -> float:
    """Return CPU % from a stats answer with precpu_stats, as the Docker CLI does."""
    cpu, precpu = stats["cpu_stats"], stats["precpu_stats"]
    cpu_delta = cpu["cpu_usage"]["total_usage"] - precpu["cpu_usage"]["total_usage"]
    system_delta = cpu["system_cpu_usage"] - precpu["system_cpu_usage"]
    online = cpu.get("online_cpus") or len(cpu["cpu_usage"].get("percpu_usage") or [])
    assert cpu_delta > 0
    assert system_delta > 0
    return cpu_delta / system_delta * online * 100


def docker_memory_used(stats: dict[str, Any]) -> int:
    """Return memory used without the page cache, as the Docker CLI does."""
    memory = stats["memory_stats"]
    details = memory.get("stats") or {}
    # cgroup v1 names the page cache total_inactive_file, v2 inactive_file.
    inactive = details.get("total_inactive_file", details.get("inactive_file", 0))
    usage = int(memory["usage"])
    return usage - inactive if inactive < usage else usage


def _bytes(hass: HomeAssistant, entity_id: str) -> float:
    """Return a data size sensor's state in bytes, whatever unit it shows."""
    state = hass.states.get(entity_id)
    assert state is not None
    unit = state.attributes["unit_of_measurement"]
    return InformationConverter.convert(
        float(state.state), unit, UnitOfInformation.BYTES
    )


async def test_cpu_and_memory_match_docker_stats(
    hass: HomeAssistant, integration: Integration
) -> None:
    """A container limited to half a CPU shows the CPU % and memory docker does."""
    setup = integration.setup
    burner = await setup.create(
        "burner", command=BURN_COMMAND, HostConfig={"NanoCpus": NANO_CPUS}
    )
    setup.ids["burner"] = burner
    setup.names["burner"] = f"pct-{setup.run_id}-burner"
    await integration.refresh()
    assert integration.device("burner") is not None

    # Not one-shot: Docker waits a collection tick and sends precpu_stats, so
    # this also spaces the integration's two samples about 2 s apart.
    reference = await setup.engine.call(
        "GET", f"/containers/{burner}/stats", params={"stream": "false"}
    )
    await integration.refresh()

    expected_cpu = docker_cpu_percent(reference)
    cpu = float(integration.state("sensor", "burner", "cpu_percent").state)
    assert abs(cpu - expected_cpu) <= CPU_TOLERANCE, (cpu, expected_cpu)
    # The limit holds the loop near 50 %: a real load, not two zeros agreeing.
    assert expected_cpu > NANO_CPUS / 1e9 * 100 / 2

    expected_memory = docker_memory_used(reference)
    assert expected_memory > BALLAST
    memory = _bytes(hass, integration.entity_id("sensor", "burner", "memory_used"))
    assert abs(memory - expected_memory) <= MEMORY_TOLERANCE * expected_memory, (
        memory,
        expected_memory,
    )
