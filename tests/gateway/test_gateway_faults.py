"""Tests of the gateway's fault injection."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from gateway import FaultKind, Gateway, GatewayConfig, SyntheticConfig

LIST = "/api/endpoints/1/docker/containers/json"
INFO = "/api/endpoints/1/docker/info"


async def get(http: aiohttp.ClientSession, gateway: Gateway, path: str, **kwargs):
    """GET with the admin key; return the status, content type and body."""
    async with http.get(
        gateway.url + path, headers=gateway.admin_headers, **kwargs
    ) as response:
        return response.status, response.content_type, await response.read()


async def test_latency_only_on_matching_routes(synthetic_gateway, http):
    synthetic_gateway.faults.add(FaultKind.LATENCY, r"containers/json$", seconds=0.3)

    started = time.monotonic()
    assert (await get(http, synthetic_gateway, INFO))[0] == 200
    assert time.monotonic() - started < 0.2
    started = time.monotonic()
    assert (await get(http, synthetic_gateway, LIST))[0] == 200
    assert time.monotonic() - started >= 0.3
    (record,) = synthetic_gateway.requests.find("containers/json$")
    assert record.fault is FaultKind.LATENCY


async def test_status_for_the_next_requests(synthetic_gateway, http):
    fault = synthetic_gateway.faults.add(FaultKind.STATUS, "containers/json$", count=2)

    answers = [await get(http, synthetic_gateway, LIST) for _ in range(3)]

    assert [status for status, _, _ in answers] == [500, 500, 200]
    assert json.loads(answers[0][2])["message"] == "Injected fault"
    assert fault.hits == 2
    assert len(synthetic_gateway.faults) == 0


async def test_status_by_method(synthetic_gateway, http):
    synthetic_gateway.faults.add(
        FaultKind.STATUS, "containers/", method="post", status=502
    )

    assert (await get(http, synthetic_gateway, LIST))[0] == 200
    async with http.post(
        synthetic_gateway.url + "/api/endpoints/1/docker/containers/app-0001/stop",
        headers=synthetic_gateway.admin_headers,
    ) as response:
        assert response.status == 502


async def test_latency_and_status_stack(synthetic_gateway, http):
    synthetic_gateway.faults.add(FaultKind.LATENCY, "endpoints$", seconds=0.2)
    synthetic_gateway.faults.add(FaultKind.STATUS, "endpoints$", status=503)
    synthetic_gateway.faults.add(FaultKind.STATUS, "endpoints$", status=504)

    started = time.monotonic()
    status, _, _ = await get(http, synthetic_gateway, "/api/endpoints")

    assert status == 503
    assert time.monotonic() - started >= 0.2


async def test_drop(synthetic_gateway, http):
    synthetic_gateway.faults.add(FaultKind.DROP, "containers/json$")

    with pytest.raises(aiohttp.ServerDisconnectedError):
        await get(http, synthetic_gateway, LIST)

    # aiohttp retries an idempotent request once on a dropped connection.
    records = synthetic_gateway.requests.find("containers/json$")
    assert [(item.status, item.fault, item.bytes_sent) for item in records] == [
        (0, FaultKind.DROP, 0),
        (0, FaultKind.DROP, 0),
    ]
    synthetic_gateway.faults.clear()
    assert (await get(http, synthetic_gateway, LIST))[0] == 200


async def test_drop_once_is_retried_by_aiohttp(synthetic_gateway, http):
    synthetic_gateway.faults.add(FaultKind.DROP, "containers/json$", count=1)

    assert (await get(http, synthetic_gateway, LIST))[0] == 200
    assert [item.status for item in synthetic_gateway.requests] == [0, 200]


async def test_timeout_and_a_quick_stop(socket_enabled, http):
    gateway = Gateway(GatewayConfig(synthetic=SyntheticConfig(containers=5)))
    await gateway.start()
    try:
        gateway.faults.add(FaultKind.TIMEOUT, "info$")
        with pytest.raises(TimeoutError):
            await get(http, gateway, INFO, timeout=aiohttp.ClientTimeout(total=0.3))
        # The server notices the client leaving on its next loop turns.
        await asyncio.sleep(0.1)
        (record,) = gateway.requests.find("info$")
        assert record.fault is FaultKind.TIMEOUT
        assert record.status == 0
    finally:
        started = time.monotonic()
        await gateway.stop()
    assert time.monotonic() - started < 2


async def test_timeout_while_the_client_waits(socket_enabled, http):
    gateway = Gateway(GatewayConfig(synthetic=SyntheticConfig(containers=5)))
    await gateway.start()
    gateway.faults.add(FaultKind.TIMEOUT, "info$", seconds=0.2)
    try:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await get(http, gateway, INFO)
    finally:
        await gateway.stop()


async def test_malformed_json(synthetic_gateway, http):
    path = "/api/endpoints/1/docker/version"
    _, _, whole = await get(http, synthetic_gateway, path)
    synthetic_gateway.faults.add(FaultKind.MALFORMED, "version$")

    status, content_type, body = await get(http, synthetic_gateway, path)

    assert (status, content_type) == (200, "application/json")
    assert whole.startswith(body)
    assert len(body) < len(whole)
    with pytest.raises(ValueError):
        json.loads(body)


async def test_malformed_stream(synthetic_gateway, http):
    synthetic_gateway.faults.add(FaultKind.MALFORMED, "stats$")

    status, _, body = await get(
        http, synthetic_gateway, "/api/endpoints/1/docker/containers/app-0001/stats"
    )

    assert status == 200
    assert body.startswith(b'{"read":')
    with pytest.raises(ValueError):
        json.loads(body)


@pytest.mark.parametrize(
    "path",
    [
        INFO,
        "/api/endpoints",
        "/api/endpoints/1/docker/containers/app-0001/stats?stream=false&one-shot=true",
    ],
)
async def test_text_plain(synthetic_gateway, http, path):
    synthetic_gateway.faults.add(FaultKind.TEXT_PLAIN, path.split("?")[0] + "$")

    async with http.get(
        synthetic_gateway.url + path, headers=synthetic_gateway.admin_headers
    ) as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        with pytest.raises(aiohttp.ContentTypeError):
            await response.json()
        assert json.loads(await response.text())


async def test_text_plain_stream(synthetic_gateway, http):
    synthetic_gateway.faults.add(FaultKind.TEXT_PLAIN, "stats$")

    async with http.get(
        synthetic_gateway.url + "/api/endpoints/1/docker/containers/app-0001/stats",
        headers=synthetic_gateway.admin_headers,
    ) as response:
        assert response.content_type == "text/plain"
        assert json.loads(await response.content.readline())["name"] == "/app-0001"


async def test_faults_apply_before_auth_and_clear(synthetic_gateway, http):
    synthetic_gateway.faults.add(FaultKind.STATUS, "", status=503)

    async with http.get(synthetic_gateway.url + "/api/system/status") as response:
        assert response.status == 503
    synthetic_gateway.faults.clear()
    async with http.get(synthetic_gateway.url + "/api/system/status") as response:
        assert response.status == 200


async def test_control_route(synthetic_gateway, http):
    control = synthetic_gateway.root_url + "/__gateway/faults"

    async with http.post(
        control,
        json={"kind": "status", "path": "endpoints$", "status": 418, "count": 1},
    ) as response:
        assert response.status == 201
        added = await response.json()
    assert added["kind"] == "status"
    async with http.get(control) as response:
        assert [fault["id"] for fault in await response.json()] == [added["id"]]
    assert (await get(http, synthetic_gateway, "/api/endpoints"))[0] == 418
    assert (await get(http, synthetic_gateway, "/api/endpoints"))[0] == 200

    async with http.post(control, json={"kind": "latency", "seconds": 5}) as response:
        latency = await response.json()
    async with http.delete(f"{control}/{latency['id']}") as response:
        assert response.status == 204
    async with http.delete(f"{control}/{latency['id']}") as response:
        assert response.status == 404
    async with http.post(control, json={"kind": "explode"}) as response:
        assert response.status == 400
    async with http.post(control, json={"kind": "drop", "path": "("}) as response:
        assert response.status == 400
    async with http.post(control, json={"kind": "drop"}) as response:
        assert response.status == 201
    async with http.delete(control) as response:
        assert response.status == 204
    assert len(synthetic_gateway.faults) == 0
    # Control requests are neither logged nor faulted.
    assert not synthetic_gateway.requests.find("__gateway")


async def test_environment_control_route(synthetic_gateway, http):
    url = synthetic_gateway.root_url + "/__gateway/environments/2"

    async with http.patch(url, json={"Status": 2}) as response:
        assert response.status == 200
        assert (await response.json())["Status"] == 2
    assert (await get(http, synthetic_gateway, "/api/endpoints/2/docker/info"))[
        0
    ] == 502
    async with http.patch(url, json={"Status": 7}) as response:
        assert response.status == 400
    async with http.patch(url.replace("/2", "/9"), json={"Status": 1}) as response:
        assert response.status == 404


def test_fault_validation():
    gateway = Gateway(GatewayConfig(synthetic=SyntheticConfig(containers=1)))
    with pytest.raises(ValueError):
        gateway.faults.add("nope")
    with pytest.raises(ValueError):
        gateway.faults.add(FaultKind.DROP, count=0)
    assert gateway.faults.add(FaultKind.TIMEOUT).seconds == 3600
    assert gateway.faults.add(FaultKind.LATENCY).seconds == 1.0
    assert [fault.kind for fault in gateway.faults] == [
        FaultKind.TIMEOUT,
        FaultKind.LATENCY,
    ]
