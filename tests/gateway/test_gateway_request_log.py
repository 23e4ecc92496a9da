"""Tests of the gateway's request log."""

from __future__ import annotations

import asyncio

import pytest

from gateway import normalise_route


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/api/system/status", "/api/system/status"),
        ("/api/endpoints", "/api/endpoints"),
        ("/api/endpoints/12", "/api/endpoints/{id}"),
        (
            "/api/endpoints/1/docker/containers/json",
            "/api/endpoints/{id}/docker/containers/json",
        ),
        (
            "/api/endpoints/1/docker/v1.41/containers/3f2a/stats",
            "/api/endpoints/{id}/docker/containers/{id}/stats",
        ),
        (
            "/api/endpoints/3/docker/containers/my-app",
            "/api/endpoints/{id}/docker/containers/{id}",
        ),
        (
            "/api/endpoints/1/docker/images/ghcr.io/org/app:1.2/json",
            "/api/endpoints/{id}/docker/images/{name}/json",
        ),
        (
            "/api/endpoints/1/docker/images/sha256:abc",
            "/api/endpoints/{id}/docker/images/{name}",
        ),
        (
            "/api/endpoints/1/docker/images/prune",
            "/api/endpoints/{id}/docker/images/prune",
        ),
        ("/api/endpoints/1/docker/system/df", "/api/endpoints/{id}/docker/system/df"),
        (
            "/api/docker/1/containers/abc/recreate",
            "/api/docker/{id}/containers/{id}/recreate",
        ),
        ("/api/stacks/77/start", "/api/stacks/{id}/start"),
        ("/api/stacks", "/api/stacks"),
    ],
)
def test_normalise_route(path, route):
    assert normalise_route(path) == route


async def test_records(synthetic_gateway, http):
    base = synthetic_gateway.url
    async with http.get(
        base + "/api/endpoints/1/docker/containers/json?all=1",
        headers=synthetic_gateway.admin_headers,
    ) as response:
        body = await response.read()
    async with http.get(base + "/api/endpoints") as response:
        assert response.status == 401
    async with http.post(
        base + "/api/endpoints/1/docker/containers/app-0001/stop",
        headers=synthetic_gateway.restricted_headers,
    ) as response:
        assert response.status == 403

    listed, unauthorised, forbidden = synthetic_gateway.requests.records
    assert listed.method == "GET"
    assert listed.path == "/api/endpoints/1/docker/containers/json"
    assert listed.query == "all=1"
    assert listed.route == "/api/endpoints/{id}/docker/containers/json"
    assert listed.status == 200
    assert listed.role == "admin"
    assert listed.bytes_sent == len(body)
    assert listed.duration > 0
    assert listed.done
    assert (unauthorised.status, unauthorised.role) == (401, None)
    assert (forbidden.status, forbidden.role) == (403, "restricted")
    assert forbidden.key == "POST /api/endpoints/{id}/docker/containers/{id}/stop"


async def test_counts_per_poll(synthetic_gateway, http):
    headers = synthetic_gateway.admin_headers
    docker = synthetic_gateway.url + "/api/endpoints/1/docker"

    async def fetch(path: str) -> None:
        async with http.get(docker + path, headers=headers) as response:
            assert response.status == 200

    async def poll() -> None:
        await fetch("/containers/json?all=1")
        stats = "/containers/{}/stats?stream=false&one-shot=true"
        await asyncio.gather(
            *(
                fetch(stats.format(name))
                for name in ("app-0001", "app-0002", "app-0003")
            )
        )

    await poll()
    await poll()

    log = synthetic_gateway.requests
    assert log.by_route() == {
        "GET /api/endpoints/{id}/docker/containers/json": 2,
        "GET /api/endpoints/{id}/docker/containers/{id}/stats": 6,
    }
    assert log.count("stats$") == 6
    assert log.count(method="GET") == 8
    assert log.count(route="/api/endpoints/{id}/docker/containers/json") == 2
    assert log.count("app-0001") == 2
    assert len(log) == 8
    log.clear()
    assert len(log) == 0


async def test_streams_are_recorded_on_arrival(synthetic_gateway, http):
    async with http.get(
        synthetic_gateway.url + "/api/endpoints/1/docker/containers/app-0001/stats",
        headers=synthetic_gateway.admin_headers,
    ) as response:
        line = await response.content.readline()
        (record,) = synthetic_gateway.requests
        assert record.status == 200
        assert not record.done
        assert record.bytes_sent >= len(line)
    # The server notices the client leaving on its next loop turns.
    await asyncio.sleep(0.1)
    assert record.done
    assert record.status == 200


async def test_control_route(synthetic_gateway, http):
    async with http.get(
        synthetic_gateway.url + "/api/endpoints",
        headers=synthetic_gateway.admin_headers,
    ):
        pass
    url = synthetic_gateway.root_url + "/__gateway/requests"

    async with http.get(url) as response:
        data = await response.json()
    assert [record["route"] for record in data["requests"]] == ["/api/endpoints"]
    assert data["counts"] == {"GET /api/endpoints": 1}
    async with http.get(url, params={"path": "nothing"}) as response:
        assert (await response.json())["requests"] == []
    async with http.delete(url) as response:
        assert response.status == 204
    assert len(synthetic_gateway.requests) == 0
