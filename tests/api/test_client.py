"""Tests for the Portainer client: requests, answers and errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from typing import Any

import aiohttp
from aioresponses import CallbackResult, aioresponses
from aioresponses.compat import normalize_url
import pytest
from yarl import URL

from custom_components.portainer_control.api import (
    ContainerHealth,
    ContainerState,
    EndpointType,
    PortainerAuthenticationError,
    PortainerClient,
    PortainerConnectionError,
    PortainerEnvironmentUnavailableError,
    PortainerError,
    PortainerForbiddenError,
    PortainerNotFoundError,
    PortainerRateLimitError,
    PortainerResponseError,
    PortainerStreamError,
    PortainerTimeoutError,
    StackStatus,
    split_image_reference,
)

from . import load_fixture, load_fixture_text
from .conftest import BASE, DOCKER, TOKEN, URL as CLIENT_URL, MockResponse

CONTAINERS_URL = f"{DOCKER}/containers/json?all=1"
HA_ID = load_fixture("containers.json")[0]["Id"]
CONTAINER_URL = f"{DOCKER}/containers/{HA_ID}"


def calls(responses: aioresponses, method: str, url: str) -> list[Any]:
    """Return the recorded calls of one method and URL."""
    return responses.requests.get((method, normalize_url(url)), [])


async def slow_answer(url: URL, **kwargs: Any) -> CallbackResult:
    """Answer after longer than any timeout the tests use."""
    await asyncio.sleep(1)
    return CallbackResult(payload={})


# Requests and answers of every operation.


async def test_system_status(client: PortainerClient, responses: aioresponses) -> None:
    """Test reading Portainer's version."""
    responses.get(
        f"{BASE}/api/system/status", payload=load_fixture("system_status.json")
    )

    status = await client.system_status()

    assert status.version == "2.21.4"
    assert status.instance_id == "299ab403-70a8-4c05-92f7-bf7a994d50df"


async def test_endpoints(client: PortainerClient, responses: aioresponses) -> None:
    """Test listing the environments."""
    responses.get(f"{BASE}/api/endpoints", payload=load_fixture("endpoints.json"))

    endpoints = await client.endpoints()

    assert [(e.id, e.name, e.type) for e in endpoints] == [
        (1, "local", EndpointType.DOCKER),
        (2, "remote", EndpointType.DOCKER),
        (3, "edge", EndpointType.EDGE_AGENT),
        (4, "k8s", EndpointType.KUBERNETES),
    ]


async def test_containers(client: PortainerClient, responses: aioresponses) -> None:
    """Test listing every container, stopped ones included."""
    responses.get(CONTAINERS_URL, payload=load_fixture("containers.json"))

    containers = await client.containers(1)

    assert [(c.name, c.state) for c in containers] == [
        ("homeassistant", ContainerState.RUNNING),
        ("mosquitto", ContainerState.RUNNING),
        ("grafana", ContainerState.PAUSED),
        ("backup", ContainerState.EXITED),
        ("flaky", ContainerState.RUNNING),
    ]


async def test_container_list_must_be_an_array(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test a list answer that is an object."""
    responses.get(CONTAINERS_URL, payload={"message": "page not found"})

    with pytest.raises(PortainerResponseError, match="expected a JSON array, got dict"):
        await client.containers(1)


async def test_container_inspect(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test inspecting a container."""
    responses.get(
        f"{CONTAINER_URL}/json", payload=load_fixture("container_inspect_healthy.json")
    )

    details = await client.container_inspect(1, HA_ID)

    assert details.id == HA_ID
    assert details.health is ContainerHealth.HEALTHY


async def test_container_id_is_quoted(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test a container reference is one quoted path segment."""
    responses.get(f"{DOCKER}/containers/a%2Fb%20c/json", payload={"Id": "x"})

    details = await client.container_inspect(1, "a/b c")

    assert details.id == "x"


async def test_container_stats(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test reading a one-shot stats sample."""
    responses.get(
        f"{CONTAINER_URL}/stats?stream=false&one-shot=true",
        payload=load_fixture("stats_cgroup_v2.json"),
    )

    stats = await client.container_stats(1, HA_ID)

    assert stats is not None
    assert stats.memory_inactive_file == 104857600


async def test_container_stats_of_stopped_container(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test a stopped container has no stats sample."""
    responses.get(
        f"{CONTAINER_URL}/stats?stream=false&one-shot=true",
        payload=load_fixture("stats_stopped.json"),
    )

    assert await client.container_stats(1, HA_ID) is None


async def test_stats_labelled_text_plain_are_parsed(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test JSON is parsed whatever its Content-Type."""
    # Podman labels its stats JSON as text/plain.
    responses.get(
        f"{CONTAINER_URL}/stats?stream=false&one-shot=true",
        body=load_fixture_text("stats_cgroup_v1.json"),
        content_type="text/plain; charset=utf-8",
    )

    stats = await client.container_stats(1, HA_ID)

    assert stats is not None
    assert stats.online_cpus == 4


@pytest.mark.parametrize(
    "action", ["start", "stop", "restart", "pause", "unpause", "kill"]
)
@pytest.mark.parametrize("status", [204, 304])
async def test_container_actions(
    client: PortainerClient, responses: aioresponses, action: str, status: int
) -> None:
    """Test the container actions, done or already done."""
    # 304 means "already started" or "already stopped": not an error.
    responses.post(f"{CONTAINER_URL}/{action}", status=status)

    assert await getattr(client, f"container_{action}")(1, HA_ID) is None

    assert len(calls(responses, "POST", f"{CONTAINER_URL}/{action}")) == 1


@pytest.mark.parametrize(
    ("force", "volumes", "query"),
    [
        (False, False, "force=false&v=false"),
        (True, True, "force=true&v=true"),
    ],
)
async def test_container_remove(
    client: PortainerClient,
    responses: aioresponses,
    force: bool,
    volumes: bool,
    query: str,
) -> None:
    """Test removing a container."""
    responses.delete(f"{CONTAINER_URL}?{query}", status=204)

    await client.container_remove(1, HA_ID, force=force, volumes=volumes)

    assert len(calls(responses, "DELETE", f"{CONTAINER_URL}?{query}")) == 1


@pytest.mark.parametrize("pull_image", [True, False])
async def test_container_recreate(
    client: PortainerClient, responses: aioresponses, pull_image: bool
) -> None:
    """Test recreating a container with Portainer."""
    url = f"{BASE}/api/docker/1/containers/{HA_ID}/recreate"
    responses.post(url, payload=load_fixture("container_recreate.json"))

    details = await client.container_recreate(1, HA_ID, pull_image=pull_image)

    assert details.name == "homeassistant"
    assert details.id != HA_ID
    assert details.health is ContainerHealth.STARTING
    (call,) = calls(responses, "POST", url)
    assert call.kwargs["json"] == {"PullImage": pull_image}


async def test_docker_info_and_version(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test reading Docker's info and version."""
    responses.get(f"{DOCKER}/info", payload=load_fixture("info.json"))
    responses.get(f"{DOCKER}/version", payload=load_fixture("version.json"))

    info = await client.docker_info(1)
    version = await client.docker_version(1)

    assert info.server_version == "26.1.4"
    assert info.containers_paused == 1
    assert version.api_version == "1.45"


@pytest.mark.parametrize(
    "fixture", ["system_df_api_1_51.json", "system_df_api_1_52.json"]
)
async def test_disk_usage(
    client: PortainerClient, responses: aioresponses, fixture: str
) -> None:
    """Test reading disk usage in both shapes."""
    responses.get(f"{DOCKER}/system/df", payload=load_fixture(fixture))

    usage = await client.disk_usage(1)

    assert usage.volumes.total_count == 3
    assert usage.volumes.reclaimable == 20971520


async def test_disk_usage_of_some_types(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test asking disk usage of some object types."""
    url = f"{DOCKER}/system/df?type=image&type=volume"
    responses.get(url, payload=load_fixture("system_df_api_1_52.json"))

    await client.disk_usage(1, types=["image", "volume"])

    (call,) = calls(responses, "GET", url)
    assert call.kwargs["params"] == [("type", "image"), ("type", "volume")]


@pytest.mark.parametrize(
    ("image", "path"),
    [
        (
            "ghcr.io/home-assistant/home-assistant:stable",
            "ghcr.io/home-assistant/home-assistant:stable",
        ),
        ("localhost:5000/app:1", "localhost:5000/app:1"),
        ("nginx@sha256:0123abcd", "nginx@sha256:0123abcd"),
        ("odd name", "odd%20name"),
    ],
)
async def test_image_inspect(
    client: PortainerClient, responses: aioresponses, image: str, path: str
) -> None:
    """Test inspecting an image, its reference kept readable."""
    url = f"{DOCKER}/images/{path}/json"
    responses.get(url, payload=load_fixture("image_inspect.json"))

    details = await client.image_inspect(1, image)

    assert details.repo_tags == ["ghcr.io/home-assistant/home-assistant:stable"]
    assert len(calls(responses, "GET", url)) == 1


async def test_distribution_inspect(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test reading the registry's digest of an image."""
    image = "ghcr.io/home-assistant/home-assistant:stable"
    responses.get(
        f"{DOCKER}/distribution/{image}/json",
        payload=load_fixture("distribution_inspect.json"),
    )

    distribution = await client.distribution_inspect(1, image)

    assert distribution.digest.startswith("sha256:")


async def test_image_pull(client: PortainerClient, responses: aioresponses) -> None:
    """Test pulling an image to the end of the stream."""
    url = (
        f"{DOCKER}/images/create"
        "?fromImage=ghcr.io/home-assistant/home-assistant&tag=stable"
    )
    responses.post(
        url,
        body=load_fixture_text("image_pull.ndjson"),
        content_type="application/json",
    )

    await client.image_pull(1, "ghcr.io/home-assistant/home-assistant:stable")

    assert len(calls(responses, "POST", url)) == 1


async def test_image_pull_error_line(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test an error line in the pull stream."""
    responses.post(
        f"{DOCKER}/images/create?fromImage=ghcr.io/home-assistant/home-assistant"
        "&tag=stable",
        body=load_fixture_text("image_pull_error.ndjson"),
    )

    with pytest.raises(PortainerStreamError) as err:
        await client.image_pull(1, "ghcr.io/home-assistant/home-assistant:stable")

    assert str(err.value) == (
        "POST /api/endpoints/1/docker/images/create: pulling "
        "ghcr.io/home-assistant/home-assistant:stable failed: "
        "unauthorized: authentication required"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"error": "toomanyrequests: rate limit"}, "toomanyrequests: rate limit"),
        ({"errorDetail": {"message": "no space left"}}, "no space left"),
        ({"errorDetail": {}, "error": "short read"}, "short read"),
    ],
)
async def test_image_pull_error_shapes(
    client: PortainerClient,
    responses: aioresponses,
    line: dict[str, Any],
    message: str,
) -> None:
    """Test the shapes of error lines, past odd lines."""
    body = '{"status":"Pulling from library/nginx"}\nnot json\n\n[1]\n'
    responses.post(
        f"{DOCKER}/images/create?fromImage=nginx&tag=latest",
        body=body + json.dumps(line) + "\n",
    )

    with pytest.raises(PortainerStreamError, match=message):
        await client.image_pull(1, "nginx")


async def test_image_pull_refused(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test a pull refused before the stream starts."""
    # Docker answers 404 before streaming when the tag does not exist.
    responses.post(
        f"{DOCKER}/images/create?fromImage=nginx&tag=nope",
        status=404,
        payload={"message": "manifest for nginx:nope not found: manifest unknown"},
    )

    with pytest.raises(PortainerNotFoundError, match="manifest unknown"):
        await client.image_pull(1, "nginx:nope")


async def test_image_pull_timeout(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test a pull that takes too long."""
    responses.post(
        f"{DOCKER}/images/create?fromImage=nginx&tag=latest", callback=slow_answer
    )

    with pytest.raises(PortainerTimeoutError, match=r"no answer within 0\.01 s"):
        await client.image_pull(1, "nginx", timeout=0.01)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx", ("nginx", "latest")),
        ("nginx:1.27-alpine", ("nginx", "1.27-alpine")),
        ("localhost:5000/app", ("localhost:5000/app", "latest")),
        ("localhost:5000/app:2", ("localhost:5000/app", "2")),
        ("ghcr.io/a/b@sha256:abc", ("ghcr.io/a/b", "sha256:abc")),
    ],
)
def test_split_image_reference(image: str, expected: tuple[str, str]) -> None:
    """Test splitting image references into name and tag."""
    assert split_image_reference(image) == expected


@pytest.mark.parametrize(
    ("kwargs", "filters"),
    [
        ({}, {"dangling": ["true"]}),
        (
            {"dangling": False, "until": "24h"},
            {"dangling": ["false"], "until": ["24h"]},
        ),
    ],
)
async def test_images_prune(
    client: PortainerClient,
    responses: aioresponses,
    kwargs: dict[str, Any],
    filters: dict[str, list[str]],
) -> None:
    """Test pruning images with the filters parameter only."""
    # Docker ignores bare dangling= and until= parameters: only filters counts.
    encoded = json.dumps(filters, separators=(",", ":"))
    url = str(URL(f"{DOCKER}/images/prune").with_query(filters=encoded))
    responses.post(url, payload=load_fixture("images_prune.json"))

    result = await client.images_prune(1, **kwargs)

    assert result.space_reclaimed == 412345678
    (call,) = calls(responses, "POST", url)
    assert call.kwargs["params"] == {"filters": encoded}


async def test_stacks(client: PortainerClient, responses: aioresponses) -> None:
    """Test listing every stack."""
    responses.get(f"{BASE}/api/stacks", payload=load_fixture("stacks.json"))

    stacks = await client.stacks()

    assert [(s.name, s.status) for s in stacks] == [
        ("home", StackStatus.ACTIVE),
        ("monitoring", StackStatus.INACTIVE),
    ]
    (call,) = calls(responses, "GET", f"{BASE}/api/stacks")
    assert call.kwargs["params"] == {}


async def test_stacks_of_one_environment(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test listing the stacks of one environment."""
    url = str(URL(f"{BASE}/api/stacks").with_query(filters='{"EndpointID":1}'))
    responses.get(url, payload=load_fixture("stacks.json"))

    stacks = await client.stacks(1)

    assert len(stacks) == 2


@pytest.mark.parametrize("action", ["start", "stop"])
async def test_stack_actions(
    client: PortainerClient, responses: aioresponses, action: str
) -> None:
    """Test starting and stopping a stack."""
    url = f"{BASE}/api/stacks/1/{action}?endpointId=1"
    responses.post(url, payload=load_fixture("stacks.json")[0])

    assert await getattr(client, f"stack_{action}")(1, 1) is None

    assert len(calls(responses, "POST", url)) == 1


# The event stream.


async def collect_events(
    client: PortainerClient, **kwargs: Any
) -> tuple[list[Any], PortainerError]:
    """Read events until the stream fails; return them and the error."""
    events = []
    stream = client.events(1, **kwargs)
    while True:
        try:
            events.append(await anext(stream))
        except PortainerError as err:
            return events, err


async def test_events(client: PortainerClient, responses: aioresponses) -> None:
    """Test reading the event stream with filters."""
    filters = {"type": ["container"], "event": ["start", "die"]}
    encoded = json.dumps(filters, separators=(",", ":"))
    url = str(URL(f"{DOCKER}/events").with_query(filters=encoded, since="1717495200"))
    lines = load_fixture_text("events.ndjson").splitlines()
    body = "\n".join([lines[0], "{not json", "", "[]", *lines[1:]]) + "\n"
    responses.get(url, body=body)

    events, error = await collect_events(client, filters=filters, since=1717495200)

    # Malformed lines are skipped; the end of the stream is a lost connection.
    assert [(e.action, e.container_name) for e in events] == [
        ("kill", "backup"),
        ("die", "backup"),
        ("disconnect", "bridge"),
        ("health_status: unhealthy", "flaky"),
        ("pause", "grafana"),
        ("start", "homeassistant"),
    ]
    assert isinstance(error, PortainerConnectionError)
    assert "closed the event stream" in str(error)

    # No total timeout: the stream may stay open for days.
    (call,) = calls(responses, "GET", url)
    assert call.kwargs["timeout"].total is None
    assert call.kwargs["timeout"].sock_connect == 10


async def test_events_without_filters(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test the event stream without filters."""
    responses.get(f"{DOCKER}/events", body="")

    events, error = await collect_events(client)

    assert events == []
    assert isinstance(error, PortainerConnectionError)


class BrokenStream:
    """A response stream that breaks after its first event."""

    def feed_data(self, data: bytes) -> None:
        """Ignore the body aioresponses feeds."""

    def feed_eof(self) -> None:
        """Ignore the end of the body aioresponses feeds."""

    def exception(self) -> BaseException | None:
        """Report no error before the stream is read."""
        return None

    def set_exception(self, exc: BaseException, cause: Any = None) -> None:
        """Ignore the error aiohttp sets when the response is released."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """Yield one line, then fail as a dropped connection does."""
        yield load_fixture_text("events.ndjson").splitlines()[0].encode()
        raise aiohttp.ClientPayloadError("Response payload is not completed")


class LostConnectionResponse(MockResponse):
    """A response whose stream breaks after one event."""

    @property
    def content(self) -> Any:
        """Return the broken stream."""
        return self._broken

    @content.setter
    def content(self, value: Any) -> None:
        """Replace the stream aioresponses sets."""
        self._broken = BrokenStream()


async def test_events_connection_lost(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test losing the connection mid-stream."""
    responses.get(f"{DOCKER}/events", response_class=LostConnectionResponse)

    events, error = await collect_events(client)

    assert len(events) == 1
    assert isinstance(error, PortainerConnectionError)
    assert not isinstance(error, PortainerTimeoutError)
    assert "payload is not completed" in str(error)


async def test_events_refused(client: PortainerClient, responses: aioresponses) -> None:
    """Test an event stream refused by Portainer."""
    responses.get(f"{DOCKER}/events", status=502, payload={"message": "agent down"})

    events, error = await collect_events(client)

    assert events == []
    assert isinstance(error, PortainerEnvironmentUnavailableError)


async def test_events_open_timeout(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test an event stream that does not open in time."""
    responses.get(f"{DOCKER}/events", callback=slow_answer)

    events, error = await collect_events(client, timeout=0.01)

    assert events == []
    assert isinstance(error, PortainerTimeoutError)


async def test_events_stop_early(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test closing the event stream from the caller's side."""
    responses.get(f"{DOCKER}/events", body=load_fixture_text("events.ndjson"))

    stream = client.events(1)
    async for event in stream:
        assert event.action == "kill"
        break
    await stream.aclose()


# Error mapping.


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, PortainerResponseError),
        (401, PortainerAuthenticationError),
        (403, PortainerForbiddenError),
        (404, PortainerNotFoundError),
        (409, PortainerResponseError),
        (429, PortainerRateLimitError),
        (500, PortainerResponseError),
        (502, PortainerEnvironmentUnavailableError),
        (503, PortainerEnvironmentUnavailableError),
    ],
)
async def test_error_status(
    client: PortainerClient,
    responses: aioresponses,
    status: int,
    error: type[PortainerError],
) -> None:
    """Test the error raised for each HTTP error status."""
    responses.get(CONTAINERS_URL, status=status, body="")

    with pytest.raises(error) as err:
        await client.containers(1)

    assert type(err.value) is error
    assert str(err.value) == (
        f"GET /api/endpoints/1/docker/containers/json: HTTP {status}"
    )
    # Errors are not retried: only connection errors are.
    assert len(calls(responses, "GET", CONTAINERS_URL)) == 1


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"message": "No such container: abc"}, "No such container: abc"),
        (
            {"message": "Unable to find an environment", "details": "Object not found"},
            "Unable to find an environment (Object not found)",
        ),
        ({"message": "Access denied", "details": "Access denied"}, "Access denied"),
        ({"details": "Invalid request payload"}, "Invalid request payload"),
        ({"message": ""}, ""),
        (["not", "an", "object"], ""),
    ],
)
async def test_error_message_from_body(
    client: PortainerClient,
    responses: aioresponses,
    body: Any,
    detail: str,
) -> None:
    """Test the server's message in the error."""
    responses.get(f"{CONTAINER_URL}/json", status=404, payload=body)

    with pytest.raises(PortainerNotFoundError) as err:
        await client.container_inspect(1, HA_ID)

    expected = f"GET /api/endpoints/1/docker/containers/{HA_ID}/json: HTTP 404"
    assert str(err.value) == (f"{expected}: {detail}" if detail else expected)


async def test_server_error_with_message(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test a server error with Docker's message."""
    responses.post(
        f"{CONTAINER_URL}/start",
        status=500,
        payload={"message": "driver failed programming external connectivity"},
    )

    with pytest.raises(PortainerResponseError) as err:
        await client.container_start(1, HA_ID)

    assert str(err.value) == (
        f"POST /api/endpoints/1/docker/containers/{HA_ID}/start: HTTP 500: "
        "driver failed programming external connectivity"
    )


async def test_error_page_in_html(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test an error page in HTML adds no detail."""
    responses.get(
        CONTAINERS_URL,
        status=502,
        body="<html><body><h1>502 Bad Gateway</h1></body></html>",
        content_type="text/html",
    )

    with pytest.raises(PortainerEnvironmentUnavailableError) as err:
        await client.containers(1)

    assert str(err.value) == "GET /api/endpoints/1/docker/containers/json: HTTP 502"


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ("<!DOCTYPE html>\n<html><title>Login</title></html>", "an HTML page"),
        ("  <html lang='en'></html>", "an HTML page"),
        (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "not JSON"),
        ("Hello, world", "not JSON"),
        ('{"Version": "2.21', "not JSON"),
    ],
)
async def test_body_that_is_not_json(
    client: PortainerClient, responses: aioresponses, body: str | bytes, what: str
) -> None:
    """Test an answer that is not JSON."""
    responses.get(f"{BASE}/api/system/status", body=body, content_type="text/html")

    with pytest.raises(PortainerResponseError) as err:
        await client.system_status()

    assert str(err.value) == (
        f"GET /api/system/status: HTTP 200 answer is {what}; "
        "is the URL the address of Portainer?"
    )
    assert isinstance(err.value.__cause__, ValueError)


async def test_empty_body_is_none(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test an empty answer parses as nothing."""
    responses.get(f"{BASE}/api/system/status", body=" \n")

    status = await client.system_status()

    assert status.version == ""


async def test_connection_error(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test a connection error."""
    error = aiohttp.ClientConnectionError("Cannot connect to host portainer")
    responses.get(f"{BASE}/api/system/status", exception=error, repeat=True)

    with pytest.raises(PortainerConnectionError) as err:
        await client.system_status()

    assert type(err.value) is PortainerConnectionError
    assert str(err.value) == (
        "GET /api/system/status: cannot talk to Portainer: "
        "Cannot connect to host portainer"
    )
    assert err.value.__cause__ is error


async def test_other_client_error(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test an aiohttp error that is no connection error."""
    responses.get(
        f"{BASE}/api/system/status",
        exception=aiohttp.ClientPayloadError("Response payload is not completed"),
    )

    with pytest.raises(PortainerConnectionError, match="payload is not completed"):
        await client.system_status()

    # Only a connection error suggests a stale connection worth a retry.
    assert len(calls(responses, "GET", f"{BASE}/api/system/status")) == 1


@pytest.mark.parametrize(
    "error",
    [TimeoutError(), aiohttp.ServerTimeoutError("Timeout on reading data")],
)
async def test_timeout_error(
    client: PortainerClient, responses: aioresponses, error: Exception
) -> None:
    """Test a timeout error is not retried."""
    responses.get(f"{BASE}/api/system/status", exception=error)
    responses.get(f"{BASE}/api/system/status", payload={"Version": "2.21.4"})

    with pytest.raises(PortainerTimeoutError) as err:
        await client.system_status()

    assert str(err.value) == "GET /api/system/status: no answer within 10 s"
    assert err.value.__cause__ is error
    # A timeout is not retried, even on a GET.
    assert len(calls(responses, "GET", f"{BASE}/api/system/status")) == 1


async def test_timeout_override(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test a call's own timeout."""
    responses.get(f"{BASE}/api/system/status", callback=slow_answer)

    with pytest.raises(PortainerTimeoutError, match=r"no answer within 0\.05 s"):
        await client.system_status(timeout=0.05)


async def test_default_timeout(
    responses: aioresponses, session: aiohttp.ClientSession
) -> None:
    """Test the client's default timeout."""
    client = PortainerClient(CLIENT_URL, TOKEN, session=session, request_timeout=0.05)
    responses.get(f"{BASE}/api/endpoints", callback=slow_answer)

    with pytest.raises(PortainerTimeoutError, match=r"no answer within 0\.05 s"):
        await client.endpoints()


async def test_client_timeout_does_not_cut_calls_short(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test aiohttp's timeout is lifted."""
    # asyncio.timeout bounds the call; the session's own timeout must not.
    responses.get(f"{BASE}/api/endpoints", payload=[])

    await client.endpoints()

    (call,) = calls(responses, "GET", f"{BASE}/api/endpoints")
    assert call.kwargs["timeout"].total is None


# Retries.


async def test_get_is_retried_once_on_connection_error(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test a GET is retried after a connection error."""
    responses.get(CONTAINERS_URL, exception=aiohttp.ServerDisconnectedError())
    responses.get(CONTAINERS_URL, payload=load_fixture("containers.json"))

    containers = await client.containers(1)

    assert len(containers) == 5
    assert len(calls(responses, "GET", CONTAINERS_URL)) == 2


async def test_get_is_retried_only_once(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test a GET is retried only once."""
    responses.get(CONTAINERS_URL, exception=aiohttp.ServerDisconnectedError())
    responses.get(CONTAINERS_URL, exception=aiohttp.ServerDisconnectedError())
    responses.get(CONTAINERS_URL, payload=[])

    with pytest.raises(PortainerConnectionError, match="Server disconnected"):
        await client.containers(1)

    assert len(calls(responses, "GET", CONTAINERS_URL)) == 2


@pytest.mark.parametrize(
    ("method", "call", "url"),
    [
        ("POST", "container_start", f"{CONTAINER_URL}/start"),
        ("POST", "container_stop", f"{CONTAINER_URL}/stop"),
        ("POST", "container_restart", f"{CONTAINER_URL}/restart"),
        ("POST", "container_kill", f"{CONTAINER_URL}/kill"),
        ("POST", "container_pause", f"{CONTAINER_URL}/pause"),
        ("POST", "container_unpause", f"{CONTAINER_URL}/unpause"),
        ("DELETE", "container_remove", f"{CONTAINER_URL}?force=false&v=false"),
    ],
)
async def test_actions_are_never_retried(
    client: PortainerClient,
    responses: aioresponses,
    method: str,
    call: str,
    url: str,
) -> None:
    """Test container actions are never retried."""
    responses.add(url, method, exception=aiohttp.ServerDisconnectedError())
    responses.add(url, method, status=204)

    with pytest.raises(PortainerConnectionError):
        await getattr(client, call)(1, HA_ID)

    assert len(calls(responses, method, url)) == 1


async def test_recreate_prune_and_stack_actions_are_never_retried(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test other POSTs are never retried."""
    recreate = f"{BASE}/api/docker/1/containers/{HA_ID}/recreate"
    prune = str(
        URL(f"{DOCKER}/images/prune").with_query(filters='{"dangling":["true"]}')
    )
    stack = f"{BASE}/api/stacks/1/stop?endpointId=1"
    pull = f"{DOCKER}/images/create?fromImage=nginx&tag=latest"
    for url in (recreate, prune, stack, pull):
        responses.post(url, exception=aiohttp.ClientOSError(104, "Connection reset"))
        responses.post(url, payload={})

    with pytest.raises(PortainerConnectionError):
        await client.container_recreate(1, HA_ID, pull_image=True)
    with pytest.raises(PortainerConnectionError):
        await client.images_prune(1)
    with pytest.raises(PortainerConnectionError):
        await client.stack_stop(1, 1)
    with pytest.raises(PortainerConnectionError):
        await client.image_pull(1, "nginx")

    for url in (recreate, prune, stack, pull):
        assert len(calls(responses, "POST", url)) == 1


# Token, URL and session handling.


async def test_token_header_and_path_prefix(
    client: PortainerClient, responses: aioresponses
) -> None:
    """Test the token header and the URL path prefix."""
    responses.get(f"{BASE}/api/endpoints", payload=[])

    await client.endpoints()

    assert client.url == BASE
    (call,) = calls(responses, "GET", f"{BASE}/api/endpoints")
    assert call.kwargs["headers"]["X-API-Key"] == TOKEN
    assert call.kwargs["headers"]["Accept"] == "application/json"


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 401, "payload": {"message": "Invalid API key"}},
        {"status": 403, "payload": {"message": "Access denied"}},
        {"status": 500, "body": "oops"},
        {"exception": aiohttp.ClientConnectionError("Connection refused")},
        {"exception": TimeoutError()},
        {"body": "<html>login</html>"},
    ],
)
async def test_token_never_in_error_message(
    client: PortainerClient, responses: aioresponses, answer: dict[str, Any]
) -> None:
    """Test no error message holds the token."""
    responses.get(CONTAINERS_URL, repeat=True, **answer)

    with pytest.raises(PortainerError) as err:
        await client.containers(1)

    message = str(err.value)
    assert message.startswith("GET /api/endpoints/1/docker/containers/json: ")
    assert TOKEN not in message
    assert TOKEN not in repr(err.value)


async def test_own_session_is_created_and_closed(responses: aioresponses) -> None:
    """Test the client's own session."""
    responses.get(f"{BASE}/api/system/status", payload={"Version": "2.21.4"})

    async with PortainerClient(CLIENT_URL, TOKEN) as client:
        assert client._session is None
        status = await client.system_status()
        session = client._session
        assert session is not None
        assert not session.closed

    assert status.version == "2.21.4"
    assert session.closed
    assert client._session is None


async def test_close_without_session() -> None:
    """Test closing a client that never made a request."""
    client = PortainerClient(CLIENT_URL, TOKEN)

    await client.close()

    assert client._session is None


async def test_injected_session_is_not_closed(
    responses: aioresponses, session: aiohttp.ClientSession
) -> None:
    """Test an injected session stays open."""
    responses.get(f"{BASE}/api/system/status", payload={"Version": "2.21.4"})

    async with PortainerClient(CLIENT_URL, TOKEN, session=session) as client:
        await client.system_status()
        assert client._session is session

    assert not session.closed
    assert client._session is session
