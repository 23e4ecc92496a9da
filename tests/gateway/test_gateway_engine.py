"""Tests of the gateway in front of the real test Docker engine."""

from __future__ import annotations

import asyncio
import io
import json
import time
from typing import Any

import aiohttp
import pytest

from gateway import EnvironmentStatus, FaultKind, Gateway, GatewayConfig
from tests.engine import TEST_LABEL, EngineSetup

pytestmark = pytest.mark.engine


async def call(
    http: aiohttp.ClientSession,
    setup: EngineSetup,
    method: str,
    path: str,
    *,
    restricted: bool = False,
    **kwargs: Any,
) -> tuple[int, Any]:
    """Call the gateway; return the status and decoded body."""
    gateway = setup.gateway
    headers = gateway.restricted_headers if restricted else gateway.admin_headers
    async with http.request(
        method, gateway.url + path, headers=headers, **kwargs
    ) as response:
        text = await response.text()
        return response.status, json.loads(text) if text.strip() else None


async def test_environments(engine_gateway, http):
    status, environments = await call(http, engine_gateway, "GET", "/api/endpoints")

    assert status == 200
    local, offline, cluster = environments
    assert (local["Id"], local["Name"], local["Type"], local["Status"]) == (
        1,
        "local",
        1,
        1,
    )
    (snapshot,) = local["Snapshots"]
    assert snapshot["DockerVersion"].startswith("20.10")
    assert snapshot["RunningContainerCount"] >= 4
    assert snapshot["StoppedContainerCount"] >= 1
    assert snapshot["HealthyContainerCount"] == 0
    assert snapshot["ImageCount"] >= 1
    assert snapshot["StackCount"] >= 1
    assert snapshot["TotalCPU"] >= 1
    assert (offline["Status"], offline["Snapshots"]) == (2, [])
    assert cluster["Type"] == 5

    async with http.get(
        engine_gateway.url + "/api/endpoints/2/docker/containers/json",
        headers=engine_gateway.gateway.admin_headers,
    ) as response:
        assert response.status == 502
    async with http.get(
        engine_gateway.url + "/api/endpoints/3/docker/containers/json",
        headers=engine_gateway.gateway.admin_headers,
    ) as response:
        assert response.status == 404


async def test_proxy_forwards_unchanged(engine_gateway, http):
    filters = json.dumps({"label": [f"{TEST_LABEL}={engine_gateway.run_id}"]})
    async with http.get(
        engine_gateway.url + "/api/endpoints/1/docker/v1.41/containers/json",
        params={"all": "1", "filters": filters},
        headers=engine_gateway.gateway.admin_headers,
    ) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        assert response.headers["Api-Version"] == "1.41"
        listed = await response.json()

    assert sorted(item["Names"][0] for item in listed) == sorted(
        f"/{name}" for name in engine_gateway.names.values()
    )
    states = {item["Names"][0].split("-")[-1]: item["State"] for item in listed}
    assert states == {
        "sleeper": "running",
        "unhealthy": "running",
        "web": "running",
        "db": "running",
        "exited": "exited",
    }
    status, body = await call(
        http, engine_gateway, "GET", "/api/endpoints/1/docker/containers/nope/json"
    )
    assert (status, body) == (404, {"message": "No such container: nope"})


async def test_stats_and_health(engine_gateway, http):
    await engine_gateway.wait_for_health("unhealthy")
    name = engine_gateway.names["unhealthy"]

    status, inspected = await call(
        http, engine_gateway, "GET", f"/api/endpoints/1/docker/containers/{name}/json"
    )
    assert status == 200
    assert inspected["State"]["Health"]["Status"] == "unhealthy"

    status, stats = await call(
        http,
        engine_gateway,
        "GET",
        f"/api/endpoints/1/docker/containers/{name}/stats",
        params={"stream": "false", "one-shot": "true"},
    )
    assert status == 200
    assert stats["cpu_stats"]["cpu_usage"]["total_usage"] > 0
    assert "system_cpu_usage" not in stats["precpu_stats"]
    assert stats["memory_stats"]["usage"] > 0


async def test_streams_events_chunk_by_chunk(engine_gateway, http):
    filters = json.dumps({"label": [f"{TEST_LABEL}={engine_gateway.run_id}"]})
    name = engine_gateway.names["sleeper"]
    async with http.get(
        engine_gateway.url + "/api/endpoints/1/docker/events",
        params={"filters": filters},
        headers=engine_gateway.gateway.admin_headers,
    ) as response:
        assert response.status == 200
        status, _ = await call(
            http,
            engine_gateway,
            "POST",
            f"/api/endpoints/1/docker/containers/{name}/stop",
        )
        assert status == 204
        actions = set()
        async with asyncio.timeout(10):
            while "stop" not in actions:
                event = json.loads(await response.content.readline())
                assert event["Actor"]["Attributes"]["name"] == name
                actions.add(event["Action"])
    assert {"kill", "die", "stop"} <= actions


async def test_container_actions(engine_gateway, http):
    base = f"/api/endpoints/1/docker/containers/{engine_gateway.names['sleeper']}"

    assert (await call(http, engine_gateway, "POST", base + "/pause"))[0] == 204
    assert (await engine_gateway.inspect("sleeper"))["State"]["Status"] == "paused"
    assert (await call(http, engine_gateway, "POST", base + "/unpause"))[0] == 204
    assert (await call(http, engine_gateway, "POST", base + "/stop"))[0] == 204
    assert (await call(http, engine_gateway, "POST", base + "/stop"))[0] == 304
    assert (await call(http, engine_gateway, "POST", base + "/start"))[0] == 204
    assert (await call(http, engine_gateway, "POST", base + "/restart"))[0] == 204
    assert (await engine_gateway.inspect("sleeper"))["State"]["Running"] is True
    status, body = await call(
        http, engine_gateway, "POST", base + "/stop", restricted=True
    )
    assert (status, body["message"]) == (403, "Access denied to resource")
    assert (await call(http, engine_gateway, "GET", base + "/json", restricted=True))[
        0
    ] == 200


async def test_recreate(engine_gateway, http):
    old = await engine_gateway.inspect("sleeper")

    status, new = await call(
        http,
        engine_gateway,
        "POST",
        f"/api/docker/1/containers/{engine_gateway.names['sleeper']}/recreate",
        json={"PullImage": False},
    )

    assert status == 200
    assert new["Id"] != old["Id"]
    assert new["Name"] == old["Name"]
    assert new["State"]["Running"] is True
    assert new["Config"]["Labels"] == old["Config"]["Labels"]
    assert new["Config"]["Cmd"] == old["Config"]["Cmd"]
    assert new["HostConfig"]["NetworkMode"] == "none"
    status, _ = await call(
        http,
        engine_gateway,
        "GET",
        f"/api/endpoints/1/docker/containers/{old['Id']}/json",
    )
    assert status == 404

    # A stopped container is recreated without being started.
    status, created = await call(
        http,
        engine_gateway,
        "POST",
        f"/api/docker/1/containers/{engine_gateway.ids['exited']}/recreate",
        json={},
    )
    assert status == 200
    assert created["State"]["Status"] == "created"
    assert created["Name"] == "/" + engine_gateway.names["exited"]


async def test_recreate_with_failing_pull(engine_gateway, http):
    old = await engine_gateway.inspect("sleeper")

    status, body = await call(
        http,
        engine_gateway,
        "POST",
        f"/api/docker/1/containers/{old['Id']}/recreate",
        json={"PullImage": True},
    )

    # No registry is reachable here, as for an offline Portainer host.
    assert status == 500
    assert body["message"] == "Error recreating container"
    assert "failed to pull image busybox:e2e" in body["details"]
    current = await engine_gateway.inspect("sleeper")
    assert (current["Id"], current["State"]["Running"]) == (old["Id"], True)


async def test_recreate_rolls_back(engine_gateway, http):
    engine = engine_gateway.engine
    image = f"pct-{engine_gateway.run_id}:gone"
    await engine.call(
        "POST",
        "/images/busybox:e2e/tag",
        params={"repo": image.split(":")[0], "tag": "gone"},
    )
    doomed = await engine_gateway.create("doomed", Image=image)
    # Untagging makes the create step fail, after the stop and the rename.
    await engine.call("DELETE", f"/images/{image}")

    status, body = await call(
        http, engine_gateway, "POST", f"/api/docker/1/containers/{doomed}/recreate"
    )

    assert status == 500
    assert body["message"] == "Error recreating container"
    assert "No such image" in body["details"]
    current = await engine_gateway.inspect(doomed)
    assert current["Name"] == f"/pct-{engine_gateway.run_id}-doomed"
    assert current["State"]["Running"] is True


async def test_stacks(engine_gateway, http):
    status, stacks = await call(
        http,
        engine_gateway,
        "GET",
        "/api/stacks",
        params={"filters": json.dumps({"EndpointID": 1})},
    )
    assert status == 200
    (stack,) = [item for item in stacks if item["Name"] == engine_gateway.project]
    assert (stack["Type"], stack["Status"], stack["EndpointId"]) == (2, 1, 1)

    status, stopped = await call(
        http, engine_gateway, "POST", f"/api/stacks/{stack['Id']}/stop?endpointId=1"
    )
    assert (status, stopped["Status"], stopped["Id"]) == (200, 2, stack["Id"])
    for role in ("web", "db"):
        assert (await engine_gateway.inspect(role))["State"]["Running"] is False
    assert (await engine_gateway.inspect("sleeper"))["State"]["Running"] is True

    status, started = await call(
        http, engine_gateway, "POST", f"/api/stacks/{stack['Id']}/start?endpointId=1"
    )
    assert (status, started["Status"]) == (200, 1)
    for role in ("web", "db"):
        assert (await engine_gateway.inspect(role))["State"]["Running"] is True


async def test_faults_on_proxied_answers(engine_gateway, http):
    gateway = engine_gateway.gateway
    name = engine_gateway.names["sleeper"]
    gateway.faults.add(FaultKind.TEXT_PLAIN, "stats$", count=1)
    gateway.faults.add(FaultKind.MALFORMED, "containers/json$", count=1)

    async with http.get(
        engine_gateway.url + f"/api/endpoints/1/docker/containers/{name}/stats",
        params={"stream": "false", "one-shot": "true"},
        headers=gateway.admin_headers,
    ) as response:
        # Podman-backed environments answer stats like this.
        assert response.content_type == "text/plain"
        assert json.loads(await response.text())["name"] == f"/{name}"
    async with http.get(
        engine_gateway.url + "/api/endpoints/1/docker/containers/json",
        headers=gateway.admin_headers,
    ) as response:
        with pytest.raises(ValueError):
            json.loads(await response.read())


async def test_engine_environment_down(engine_gateway, http):
    engine_gateway.gateway.environment(1).status = EnvironmentStatus.DOWN

    async with http.get(
        engine_gateway.url + "/api/endpoints/1/docker/info",
        headers=engine_gateway.gateway.admin_headers,
    ) as response:
        assert response.status == 502
    status, environment = await call(http, engine_gateway, "GET", "/api/endpoints/1")
    assert (status, environment["Status"]) == (200, 2)


async def test_unreachable_engine(tmp_path, unix_sockets_enabled, http):
    config = GatewayConfig(engine=f"unix://{tmp_path}/missing.sock")
    async with Gateway(config) as gateway:
        async with http.get(
            gateway.url + "/api/endpoints/1/docker/info", headers=gateway.admin_headers
        ) as response:
            assert response.status == 502
        async with http.get(
            gateway.url + "/api/endpoints/1", headers=gateway.admin_headers
        ) as response:
            environment = await response.json()
        assert (environment["Status"], environment["Snapshots"]) == (2, [])


async def test_proxy_forwards_bodies_small_and_large(engine_gateway, http):
    headers = engine_gateway.gateway.admin_headers
    # Over 1 MiB the gateway streams the body to the engine instead of reading it.
    for role, size in (("small", 10), ("large", 1_500_000)):
        name = f"pct-{engine_gateway.run_id}-{role}"
        body = {
            "Image": "busybox:e2e",
            "Cmd": ["true"],
            "Labels": {TEST_LABEL: engine_gateway.run_id, "blob": "x" * size},
            "HostConfig": {"NetworkMode": "none"},
        }
        async with http.post(
            engine_gateway.url + "/api/endpoints/1/docker/containers/create",
            params={"name": name},
            # A file object: aiohttp warns about raw bytes over 1 MiB.
            data=io.BytesIO(json.dumps(body).encode()),
            headers=headers | {"Content-Type": "application/json"},
        ) as response:
            assert response.status == 201
            created = await response.json()
        inspected = await engine_gateway.inspect(created["Id"])
        assert inspected["Name"] == f"/{name}"
        assert len(inspected["Config"]["Labels"]["blob"]) == size


async def test_proxy_streams_stats_and_answers_head(engine_gateway, http):
    headers = engine_gateway.gateway.admin_headers
    name = engine_gateway.names["sleeper"]

    async with http.get(
        engine_gateway.url + f"/api/endpoints/1/docker/containers/{name}/stats",
        headers=headers,
    ) as response:
        assert response.status == 200
        async with asyncio.timeout(10):
            first = json.loads(await response.content.readline())
            second = json.loads(await response.content.readline())
    assert first["name"] == second["name"] == f"/{name}"
    assert second["read"] > first["read"]

    async with http.head(
        engine_gateway.url + "/api/endpoints/1/docker/_ping", headers=headers
    ) as response:
        assert response.status == 200
        assert response.headers["Api-Version"] == "1.41"


async def test_stop_ends_open_proxied_streams(engine_gateway, http):
    gateway = engine_gateway.gateway
    async with http.get(
        engine_gateway.url + "/api/endpoints/1/docker/events",
        headers=gateway.admin_headers,
    ) as response:
        assert response.status == 200
        started = time.monotonic()
        await gateway.stop()
        assert time.monotonic() - started < 2
        async with asyncio.timeout(5):
            await response.read()
    (record,) = gateway.requests.find("events$")
    assert (record.done, record.status) == (True, 200)
