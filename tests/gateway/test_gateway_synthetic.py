"""Tests of the gateway in synthetic mode: Portainer's API over generated data."""

from __future__ import annotations

import asyncio
from collections import Counter
import json
import time
from typing import Any

import aiohttp
import pytest

from gateway import (
    Environment,
    EnvironmentStatus,
    EnvironmentType,
    Gateway,
    GatewayConfig,
    SyntheticConfig,
)
from gateway.synthetic_model import human_duration

TICK = 0.2
PROJECT_LABEL = "com.docker.compose.project"
ADMIN_ONLY = [
    ("POST", "/api/endpoints/1/docker/containers/app-0001/start"),
    ("POST", "/api/endpoints/1/docker/containers/app-0001/stop"),
    ("POST", "/api/endpoints/1/docker/containers/app-0001/restart"),
    ("POST", "/api/endpoints/1/docker/containers/app-0001/kill"),
    ("POST", "/api/endpoints/1/docker/containers/app-0001/pause"),
    ("POST", "/api/endpoints/1/docker/containers/app-0001/unpause"),
    ("DELETE", "/api/endpoints/1/docker/containers/app-0001?force=1"),
    ("POST", "/api/endpoints/1/docker/images/prune"),
    ("POST", "/api/docker/1/containers/app-0001/recreate"),
    ("POST", "/api/stacks/1/start?endpointId=1"),
    ("POST", "/api/stacks/1/stop?endpointId=1"),
]


async def call(
    http: aiohttp.ClientSession,
    gateway: Gateway,
    method: str,
    path: str,
    *,
    key: str | None = "admin",
    **kwargs: Any,
) -> tuple[int, Any]:
    """Call the gateway with a key role; return the status and decoded body."""
    headers = {}
    if key == "admin":
        headers = gateway.admin_headers
    elif key == "restricted":
        headers = gateway.restricted_headers
    elif key is not None:
        headers = {"X-API-Key": key}
    async with http.request(
        method, gateway.url + path, headers=headers, **kwargs
    ) as response:
        text = await response.text()
        return response.status, json.loads(text) if text.strip() else None


async def containers(
    http: aiohttp.ClientSession, gateway: Gateway, environment: int = 1
) -> dict[str, dict[str, Any]]:
    """Return the environment's containers by name."""
    status, listed = await call(
        http,
        gateway,
        "GET",
        f"/api/endpoints/{environment}/docker/containers/json?all=1",
    )
    assert status == 200
    return {item["Names"][0].lstrip("/"): item for item in listed}


async def test_system_status_needs_no_key(synthetic_gateway, http):
    status, body = await call(
        http, synthetic_gateway, "GET", "/api/system/status", key=None
    )

    assert status == 200
    assert body == {
        "Version": "2.27.0",
        "InstanceID": synthetic_gateway.config.instance_id,
    }
    assert (await call(http, synthetic_gateway, "GET", "/api/system/status"))[1] == body


@pytest.mark.parametrize(
    "path",
    ["/api/endpoints", "/api/endpoints/1/docker/containers/json", "/api/stacks"],
)
@pytest.mark.parametrize(
    ("key", "details"),
    [(None, "A valid authorisation token is missing"), ("wrong", "Invalid API key")],
)
async def test_missing_or_wrong_key_is_401(synthetic_gateway, http, path, key, details):
    status, body = await call(http, synthetic_gateway, "GET", path, key=key)

    assert status == 401
    assert body == {"message": "Unauthorized", "details": details}


@pytest.mark.parametrize(("method", "path"), ADMIN_ONLY)
async def test_restricted_key_is_403_on_admin_routes(
    synthetic_gateway, http, method, path
):
    before = await containers(http, synthetic_gateway)

    status, body = await call(
        http, synthetic_gateway, method, path, key="restricted", json={}
    )

    assert status == 403
    assert body["message"] == "Access denied to resource"
    assert await containers(http, synthetic_gateway) == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/endpoints",
        "/api/endpoints/1",
        "/api/endpoints/1/docker/containers/json?all=1",
        "/api/endpoints/1/docker/containers/app-0001/json",
        "/api/endpoints/1/docker/info",
        "/api/endpoints/1/docker/system/df",
        "/api/stacks",
    ],
)
async def test_restricted_key_reads_everything(synthetic_gateway, http, path):
    status, _ = await call(http, synthetic_gateway, "GET", path, key="restricted")

    assert status == 200


async def test_environments_with_snapshots(synthetic_gateway, http):
    status, environments = await call(http, synthetic_gateway, "GET", "/api/endpoints")

    assert status == 200
    assert [
        (env["Id"], env["Name"], env["Type"], env["Status"]) for env in environments
    ] == [
        (1, "synthetic-1", 1, 1),
        (2, "synthetic-2", 1, 1),
    ]
    for environment in environments:
        (snapshot,) = environment["Snapshots"]
        listed = await containers(http, synthetic_gateway, environment["Id"])
        states = Counter(item["State"] for item in listed.values())
        assert snapshot["RunningContainerCount"] == states["running"]
        assert snapshot["StoppedContainerCount"] == states["exited"]
        assert snapshot["HealthyContainerCount"] == 0
        assert snapshot["UnhealthyContainerCount"] == 0
        assert snapshot["DockerVersion"] == "24.0.7"
        assert snapshot["TotalCPU"] > 0
        assert snapshot["TotalMemory"] > 0
        assert snapshot["ImageCount"] == 7
        assert snapshot["VolumeCount"] == 3
        assert snapshot["StackCount"] == 2
        assert snapshot["Time"] == pytest.approx(time.time(), abs=5)

    status, single = await call(http, synthetic_gateway, "GET", "/api/endpoints/2")
    assert status == 200
    assert single["Name"] == "synthetic-2"


async def test_generated_containers(synthetic_gateway, http):
    everything = await containers(http, synthetic_gateway) | await containers(
        http, synthetic_gateway, 2
    )

    assert sorted(everything) == [f"app-{number:04d}" for number in range(1, 41)]
    states = Counter(item["State"] for item in everything.values())
    assert states == {"running": 32, "paused": 2, "exited": 6}
    statuses = [item["Status"] for item in everything.values()]
    assert sum("(unhealthy)" in status for status in statuses) == 2
    assert sum("(healthy)" in status for status in statuses) == 2
    assert sum("(Paused)" in status for status in statuses) == 2
    projects = Counter(
        item["Labels"].get(PROJECT_LABEL) for item in everything.values()
    )
    assert projects == {
        None: 20,
        "stack-01": 5,
        "stack-02": 5,
        "stack-03": 5,
        "stack-04": 5,
    }

    status, running = await call(
        http, synthetic_gateway, "GET", "/api/endpoints/1/docker/containers/json"
    )
    assert status == 200
    assert {item["State"] for item in running} <= {"running", "paused"}


async def test_container_filters_and_inspect(synthetic_gateway, http):
    filters = json.dumps({"status": ["exited"], "label": [f"{PROJECT_LABEL}=stack-03"]})
    status, listed = await call(
        http,
        synthetic_gateway,
        "GET",
        "/api/endpoints/1/docker/containers/json",
        params={"all": "1", "filters": filters},
    )
    assert status == 200
    assert [item["Names"] for item in listed] == [["/app-0024"]]

    status, inspected = await call(
        http,
        synthetic_gateway,
        "GET",
        "/api/endpoints/1/docker/containers/app-0012/json",
    )
    assert status == 200
    assert inspected["State"]["Health"]["Status"] == "unhealthy"
    by_id = await call(
        http,
        synthetic_gateway,
        "GET",
        f"/api/endpoints/1/docker/containers/{inspected['Id'][:10]}/json",
    )
    assert by_id == (200, inspected)

    status, body = await call(
        http, synthetic_gateway, "GET", "/api/endpoints/1/docker/containers/nope/json"
    )
    assert (status, body) == (404, {"message": "No such container: nope"})


async def test_container_actions(synthetic_gateway, http):
    base = "/api/endpoints/1/docker/containers/app-0001"

    async def action(name: str, method: str = "POST", query: str = "") -> int:
        return (await call(http, synthetic_gateway, method, f"{base}{name}{query}"))[0]

    async def state() -> str:
        return (await call(http, synthetic_gateway, "GET", f"{base}/json"))[1]["State"][
            "Status"
        ]

    assert await action("/stop") == 204
    assert await state() == "exited"
    assert await action("/stop") == 304
    assert await action("/kill") == 409
    assert await action("/start") == 204
    assert await action("/start") == 304
    assert await action("/pause") == 204
    assert await state() == "paused"
    assert await action("/pause") == 409
    assert await action("/start") == 409
    assert await action("/unpause") == 204
    assert await action("/unpause") == 409
    assert await action("/restart") == 204
    assert await state() == "running"
    assert await action("/kill") == 204
    inspected = (await call(http, synthetic_gateway, "GET", f"{base}/json"))[1]
    assert inspected["State"]["ExitCode"] == 137
    assert await action("/start") == 204
    assert await action("", "DELETE") == 409
    assert await action("", "DELETE", "?force=1") == 204
    assert await action("/json", "GET") == 404


async def test_recreate(synthetic_gateway, http):
    old = (
        await call(
            http,
            synthetic_gateway,
            "GET",
            "/api/endpoints/1/docker/containers/app-0002/json",
        )
    )[1]

    status, new = await call(
        http,
        synthetic_gateway,
        "POST",
        "/api/docker/1/containers/app-0002/recreate",
        json={"PullImage": True},
    )

    assert status == 200
    assert new["Id"] != old["Id"]
    assert new["Name"] == "/app-0002"
    assert new["Config"]["Labels"] == old["Config"]["Labels"]
    assert new["State"]["Running"] is True
    gone = await call(
        http,
        synthetic_gateway,
        "GET",
        f"/api/endpoints/1/docker/containers/{old['Id']}/json",
    )
    assert gone[0] == 404

    # An exited container is recreated but not started.
    status, created = await call(
        http, synthetic_gateway, "POST", "/api/docker/1/containers/app-0014/recreate"
    )
    assert status == 200
    assert created["State"]["Status"] == "created"


@pytest.mark.parametrize(
    ("path", "payload", "status", "message"),
    [
        (
            "/api/docker/1/containers/nope/recreate",
            {},
            500,
            "Error recreating container",
        ),
        (
            "/api/docker/1/containers/app-0001/recreate",
            [],
            400,
            "Invalid request payload",
        ),
        (
            "/api/docker/1/containers/app-0001/recreate",
            {"PullImage": "yes"},
            400,
            "Invalid request payload",
        ),
        (
            "/api/docker/9/containers/app-0001/recreate",
            {},
            404,
            "Unable to find an environment with the specified identifier inside "
            "the database",
        ),
    ],
)
async def test_recreate_errors(synthetic_gateway, http, path, payload, status, message):
    answer = await call(http, synthetic_gateway, "POST", path, json=payload)

    assert answer[0] == status
    assert answer[1]["message"] == message


async def test_stacks(synthetic_gateway, http):
    status, stacks = await call(
        http,
        synthetic_gateway,
        "GET",
        "/api/stacks",
        params={"filters": json.dumps({"EndpointID": 1})},
    )
    assert status == 200
    assert [(stack["Name"], stack["Type"], stack["Status"]) for stack in stacks] == [
        ("stack-01", 2, 1),
        ("stack-03", 2, 1),
    ]
    assert {stack["EndpointId"] for stack in stacks} == {1}
    everything = (await call(http, synthetic_gateway, "GET", "/api/stacks"))[1]
    assert len(everything) == 4
    assert (await call(http, synthetic_gateway, "GET", "/api/stacks"))[1] == everything

    stack_id = stacks[0]["Id"]
    stop = f"/api/stacks/{stack_id}/stop?endpointId=1"
    start = f"/api/stacks/{stack_id}/start?endpointId=1"
    status, stopped = await call(http, synthetic_gateway, "POST", stop)
    assert (status, stopped["Status"], stopped["Id"]) == (200, 2, stack_id)
    listed = await containers(http, synthetic_gateway)
    assert {
        item["State"]
        for item in listed.values()
        if item["Labels"].get(PROJECT_LABEL) == "stack-01"
    } == {"exited"}
    assert (await call(http, synthetic_gateway, "POST", stop))[1]["message"] == (
        "Stack is already inactive"
    )

    status, started = await call(http, synthetic_gateway, "POST", start)
    assert (status, started["Status"]) == (200, 1)
    status, body = await call(http, synthetic_gateway, "POST", start)
    assert (status, body["message"]) == (400, "Stack is already active")
    status, body = await call(
        http, synthetic_gateway, "POST", f"/api/stacks/{stack_id}/stop"
    )
    assert (status, body["message"]) == (400, "Invalid query parameter: endpointId")
    status, body = await call(
        http, synthetic_gateway, "POST", "/api/stacks/1/stop?endpointId=1"
    )
    assert status == 404
    status, single = await call(
        http, synthetic_gateway, "GET", f"/api/stacks/{stack_id}"
    )
    assert (status, single["Name"]) == (200, "stack-01")
    status, body = await call(
        http, synthetic_gateway, "GET", "/api/stacks?filters=nope"
    )
    assert (status, body["message"]) == (400, "Invalid query parameter: filters")


async def test_images_prune_reads_only_filters(synthetic_gateway, http):
    prune = "/api/endpoints/1/docker/images/prune"

    # Bare dangling= is ignored: Docker prunes dangling images only.
    status, pruned = await call(
        http, synthetic_gateway, "POST", prune + "?dangling=false"
    )
    assert status == 200
    assert len([item for item in pruned["ImagesDeleted"] if "Deleted" in item]) == 2
    assert pruned["SpaceReclaimed"] == 195_000_000
    assert (await call(http, synthetic_gateway, "POST", prune))[1] == {
        "ImagesDeleted": None,
        "SpaceReclaimed": 0,
    }

    filters = json.dumps({"dangling": ["false"], "until": ["24h"]})
    status, pruned = await call(
        http, synthetic_gateway, "POST", prune, params={"filters": filters}
    )
    assert status == 200
    assert {"Untagged": "busybox:latest"} in pruned["ImagesDeleted"]


async def test_info_version_df(synthetic_gateway, http):
    base = "/api/endpoints/1/docker"

    status, info = await call(http, synthetic_gateway, "GET", f"{base}/v1.41/info")
    assert status == 200
    assert info["Containers"] == 20
    assert (
        info["ContainersRunning"] + info["ContainersPaused"] + info["ContainersStopped"]
        == 20
    )
    status, version = await call(http, synthetic_gateway, "GET", f"{base}/version")
    assert (status, version["ApiVersion"]) == (200, "1.43")
    status, usage = await call(http, synthetic_gateway, "GET", f"{base}/system/df")
    assert status == 200
    assert set(usage) == {"LayersSize", "Images", "Containers", "Volumes", "BuildCache"}
    assert all("SizeRw" in item for item in usage["Containers"])
    assert all("UsageData" in item for item in usage["Volumes"])
    status, body = await call(http, synthetic_gateway, "GET", f"{base}/v1.52/system/df")
    assert status == 400
    assert "too new" in body["message"]
    status, body = await call(http, synthetic_gateway, "GET", f"{base}/nothing/here")
    assert (status, body) == (404, {"message": "page not found"})
    async with http.get(
        synthetic_gateway.url + f"{base}/_ping", headers=synthetic_gateway.admin_headers
    ) as response:
        assert (response.status, await response.text()) == (200, "OK")
        assert response.headers["Api-Version"] == "1.43"


async def test_events_stream(synthetic_gateway, http):
    url = synthetic_gateway.url + "/api/endpoints/1/docker/events"
    filters = json.dumps({"type": ["container"], "container": ["app-0003"]})
    async with http.get(
        url, params={"filters": filters}, headers=synthetic_gateway.admin_headers
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        status, _ = await call(
            http,
            synthetic_gateway,
            "POST",
            "/api/endpoints/1/docker/containers/app-0003/stop",
        )
        assert status == 204
        actions = [
            json.loads(await response.content.readline())["Action"] for _ in range(3)
        ]
    assert actions == ["kill", "die", "stop"]

    # since= replays, and until= in the past ends the stream.
    now = time.time()
    async with http.get(
        url,
        params={"since": "0", "until": str(now), "filters": filters},
        headers=synthetic_gateway.admin_headers,
    ) as response:
        lines = (await response.text()).splitlines()
    assert [json.loads(line)["Action"] for line in lines] == ["kill", "die", "stop"]


async def test_stats_one_shot_shape(synthetic_gateway, http):
    status, stats = await call(
        http,
        synthetic_gateway,
        "GET",
        "/api/endpoints/1/docker/containers/app-0001/stats?stream=false&one-shot=true",
    )

    assert status == 200
    assert stats["name"] == "/app-0001"
    assert stats["cpu_stats"]["cpu_usage"]["total_usage"] > 0
    assert stats["cpu_stats"]["system_cpu_usage"] > 0
    assert stats["cpu_stats"]["online_cpus"] == 8
    # One-shot leaves precpu_stats empty: CPU % needs the previous poll.
    assert stats["precpu_stats"]["cpu_usage"]["total_usage"] == 0
    assert "system_cpu_usage" not in stats["precpu_stats"]
    assert stats["preread"] == "0001-01-01T00:00:00Z"
    memory = stats["memory_stats"]
    assert memory["usage"] > memory["stats"]["inactive_file"] > 0
    assert "max_usage" not in memory  # cgroup v2 shape
    assert stats["networks"]["eth0"]["rx_bytes"] > 0


async def test_stats_answered_together_at_the_tick(synthetic_gateway, http):
    path = "/api/endpoints/1/docker/containers/{}/stats?stream=false&one-shot=true"
    names = [f"app-{number:04d}" for number in (1, 2, 3, 4, 5, 11, 12, 13)]

    started = time.monotonic()
    answers = await asyncio.gather(
        *(call(http, synthetic_gateway, "GET", path.format(name)) for name in names)
    )
    elapsed = time.monotonic() - started

    assert elapsed < TICK * 2
    assert len({stats["read"] for _, stats in answers if stats["read"][0] != "0"}) == 1


async def test_stats_in_a_row_wait_a_tick_each(synthetic_gateway, http):
    path = (
        "/api/endpoints/1/docker/containers/app-0001/stats?stream=false&one-shot=true"
    )

    started = time.monotonic()
    reads = [
        (await call(http, synthetic_gateway, "GET", path))[1]["read"] for _ in range(4)
    ]
    elapsed = time.monotonic() - started

    assert len(set(reads)) == 4
    assert elapsed > TICK * 3 * 0.9


async def test_stats_without_one_shot_fill_precpu(synthetic_gateway, http):
    path = "/api/endpoints/1/docker/containers/app-0001/stats?stream=false"

    started = time.monotonic()
    status, stats = await call(http, synthetic_gateway, "GET", path)
    elapsed = time.monotonic() - started

    assert status == 200
    assert elapsed > TICK * 0.9
    cpu, precpu = stats["cpu_stats"], stats["precpu_stats"]
    cpu_delta = cpu["cpu_usage"]["total_usage"] - precpu["cpu_usage"]["total_usage"]
    system_delta = cpu["system_cpu_usage"] - precpu["system_cpu_usage"]
    percent = cpu_delta / system_delta * cpu["online_cpus"] * 100
    # Load 5 % of a core, varied by the seed within 0.35x to 1.95x.
    assert 1 < percent < 10


async def test_stats_counters_advance(synthetic_gateway, http):
    path = (
        "/api/endpoints/1/docker/containers/app-0001/stats?stream=false&one-shot=true"
    )

    first = (await call(http, synthetic_gateway, "GET", path))[1]
    second = (await call(http, synthetic_gateway, "GET", path))[1]

    assert (
        second["cpu_stats"]["cpu_usage"]["total_usage"]
        > first["cpu_stats"]["cpu_usage"]["total_usage"]
    )
    assert (
        second["cpu_stats"]["system_cpu_usage"] > first["cpu_stats"]["system_cpu_usage"]
    )
    assert (
        second["networks"]["eth0"]["rx_bytes"] > first["networks"]["eth0"]["rx_bytes"]
    )


async def test_stats_stream(synthetic_gateway, http):
    url = synthetic_gateway.url + "/api/endpoints/1/docker/containers/app-0001/stats"

    async with http.get(url, headers=synthetic_gateway.admin_headers) as response:
        frames = [json.loads(await response.content.readline()) for _ in range(3)]

    assert frames[0]["precpu_stats"]["cpu_usage"]["total_usage"] == 0
    assert frames[1]["precpu_stats"] == frames[0]["cpu_stats"]
    assert frames[2]["precpu_stats"] == frames[1]["cpu_stats"]


async def test_stats_of_a_stopped_container(synthetic_gateway, http):
    started = time.monotonic()
    status, stats = await call(
        http,
        synthetic_gateway,
        "GET",
        "/api/endpoints/1/docker/containers/app-0014/stats?stream=false&one-shot=true",
    )

    assert time.monotonic() - started < TICK
    assert status == 200
    assert stats["read"] == "0001-01-01T00:00:00Z"
    assert stats["memory_stats"] == {}


async def test_environment_down_kubernetes_and_unknown(socket_enabled, http):
    environments = [
        Environment(id=1, name="one"),
        Environment(id=4, name="edge", type=EnvironmentType.EDGE_AGENT),
        Environment(id=5, name="kube", type=EnvironmentType.KUBERNETES),
    ]
    config = GatewayConfig(
        synthetic=SyntheticConfig(containers=10, latency=0), environments=environments
    )
    async with Gateway(config) as gateway:
        assert (await call(http, gateway, "GET", "/api/endpoints/4/docker/info"))[
            0
        ] == 200
        async with http.get(
            gateway.url + "/api/endpoints/5/docker/containers/json",
            headers=gateway.admin_headers,
        ) as response:
            assert response.status == 404
            assert response.content_type == "text/plain"
        status, body = await call(http, gateway, "GET", "/api/endpoints/9/docker/info")
        assert status == 404
        assert body["message"].startswith("Unable to find an environment")

        before = (await call(http, gateway, "GET", "/api/endpoints/1"))[1]
        gateway.environment(1).status = EnvironmentStatus.DOWN
        async with http.get(
            gateway.url + "/api/endpoints/1/docker/containers/json",
            headers=gateway.admin_headers,
        ) as response:
            assert response.status == 502
            assert await response.read() == b""
        after = (await call(http, gateway, "GET", "/api/endpoints/1"))[1]
        assert after["Status"] == 2
        # Portainer keeps the last snapshot of an environment that went down.
        assert after["Snapshots"] == before["Snapshots"]
        _, kube = await call(http, gateway, "GET", "/api/endpoints/5")
        assert (kube["Type"], kube["Snapshots"]) == (5, [])
        assert kube["Kubernetes"]["Snapshots"][0]["NodeCount"] == 1

        _, listed = await call(http, gateway, "GET", "/api/endpoints?types=5")
        assert [item["Id"] for item in listed] == [5]


async def test_prefix(socket_enabled, http):
    config = GatewayConfig(synthetic=SyntheticConfig(containers=5), prefix="portainer/")
    assert config.prefix == "/portainer"
    async with Gateway(config) as gateway:
        assert gateway.url.endswith("/portainer")
        status, body = await call(http, gateway, "GET", "/api/system/status")
        assert (status, body["Version"]) == (200, "2.27.0")
        assert (await call(http, gateway, "GET", "/api/endpoints/1/docker/info"))[
            0
        ] == 200
        async with http.get(gateway.root_url + "/api/system/status") as response:
            assert response.status == 404
        assert [record.path for record in gateway.requests][:2] == [
            "/api/system/status",
            "/api/endpoints/1/docker/info",
        ]


async def test_latency(socket_enabled, http):
    config = GatewayConfig(synthetic=SyntheticConfig(containers=5, latency=0.15))
    async with Gateway(config) as gateway:
        started = time.monotonic()
        assert (await call(http, gateway, "GET", "/api/endpoints/1/docker/info"))[
            0
        ] == 200
        assert time.monotonic() - started >= 0.15


def test_config_validation():
    with pytest.raises(ValueError, match="exactly one"):
        GatewayConfig()
    with pytest.raises(ValueError, match="exactly one"):
        GatewayConfig(engine="unix:///x.sock", synthetic=SyntheticConfig())
    with pytest.raises(ValueError, match="differ"):
        GatewayConfig(engine="unix:///x.sock", admin_key="k", restricted_key="k")
    with pytest.raises(ValueError, match="stats_tick"):
        SyntheticConfig(stats_tick=0)
    assert GatewayConfig(engine="unix:///run/d.sock").engine_socket == "/run/d.sock"
    assert GatewayConfig(engine="/run/d.sock").engine_socket == "/run/d.sock"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0.5, "Less than a second"),
        (1, "1 second"),
        (59, "59 seconds"),
        (61, "About a minute"),
        (3599, "59 minutes"),
        (3600, "About an hour"),
        (47 * 3600, "47 hours"),
        (3 * 86400, "3 days"),
        (20 * 86400, "2 weeks"),
        (90 * 86400, "3 months"),
        (800 * 86400, "2 years"),
    ],
)
def test_human_duration(seconds, words):
    assert human_duration(seconds) == words


@pytest.mark.parametrize(("ttl", "changes"), [(0.0, True), (300.0, False)])
async def test_snapshot_ttl(socket_enabled, http, ttl, changes):
    config = GatewayConfig(
        synthetic=SyntheticConfig(containers=10, latency=0), snapshot_ttl=ttl
    )
    async with Gateway(config) as gateway:
        before = (await call(http, gateway, "GET", "/api/endpoints/1"))[1]
        status, _ = await call(
            http, gateway, "POST", "/api/endpoints/1/docker/containers/app-0001/stop"
        )
        assert status == 204
        after = (await call(http, gateway, "GET", "/api/endpoints/1"))[1]

    running = [
        item["Snapshots"][0]["RunningContainerCount"] for item in (before, after)
    ]
    assert (running[0] != running[1]) is changes
