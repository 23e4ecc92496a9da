"""Tests of the synthetic image inspect and distribution routes.

Home Assistant core's portainer integration inspects every container's image
and asks for its registry manifest, so the benchmark needs both.
"""

from __future__ import annotations

import pytest

from .test_gateway_synthetic import call

IMAGES = "/api/endpoints/1/docker/images"
DISTRIBUTION = "/api/endpoints/1/docker/distribution"


async def test_image_inspect_by_tag_id_and_prefix(synthetic_gateway, http):
    _, listed = await call(http, synthetic_gateway, "GET", f"{IMAGES}/json")
    nginx = next(image for image in listed if image["RepoTags"] == ["nginx:1.27"])
    image_id = nginx["Id"]

    references = [
        "nginx:1.27",
        image_id,
        image_id.removeprefix("sha256:"),
        image_id.removeprefix("sha256:")[:12],
    ]
    for reference in references:
        status, body = await call(
            http, synthetic_gateway, "GET", f"{IMAGES}/{reference}/json"
        )
        assert status == 200, reference
        assert body["Id"] == image_id
        assert body["RepoTags"] == ["nginx:1.27"]
        assert body["Size"] == nginx["Size"]
        assert body["Created"].endswith("Z")


async def test_image_inspect_with_registry_path_and_latest(synthetic_gateway, http):
    status, body = await call(
        http, synthetic_gateway, "GET", f"{IMAGES}/ghcr.io/example/app:1.4.2/json"
    )
    assert status == 200
    assert body["RepoTags"] == ["ghcr.io/example/app:1.4.2"]

    # A name without a tag means :latest.
    status, body = await call(http, synthetic_gateway, "GET", f"{IMAGES}/busybox/json")
    assert status == 200
    assert body["RepoTags"] == ["busybox:latest"]


@pytest.mark.parametrize("reference", ["nginx:9.9", "nginx", "sha256:zz", "zz9"])
async def test_image_inspect_unknown_is_404(synthetic_gateway, http, reference):
    status, body = await call(
        http, synthetic_gateway, "GET", f"{IMAGES}/{reference}/json"
    )

    assert status == 404
    assert body == {"message": f"No such image: {reference}"}


async def test_distribution_inspect(synthetic_gateway, http):
    status, body = await call(
        http, synthetic_gateway, "GET", f"{DISTRIBUTION}/postgres:16/json"
    )
    again = await call(
        http, synthetic_gateway, "GET", f"{DISTRIBUTION}/postgres:16/json"
    )
    other = await call(http, synthetic_gateway, "GET", f"{DISTRIBUTION}/busybox/json")

    assert status == 200
    assert body["Descriptor"]["digest"].startswith("sha256:")
    assert len(body["Descriptor"]["digest"]) == len("sha256:") + 64
    assert body["Platforms"] == [{"architecture": "amd64", "os": "linux"}]
    assert again == (200, body)
    assert other[0] == 200
    assert other[1]["Descriptor"]["digest"] != body["Descriptor"]["digest"]


async def test_distribution_inspect_unknown_is_404(synthetic_gateway, http):
    status, body = await call(
        http, synthetic_gateway, "GET", f"{DISTRIBUTION}/unknown/app:1/json"
    )

    assert status == 404
    assert body == {"message": "manifest unknown: unknown/app:1"}


async def test_image_routes_are_logged_by_template(synthetic_gateway, http):
    synthetic_gateway.requests.clear()
    await call(http, synthetic_gateway, "GET", f"{IMAGES}/nginx:1.27/json")
    await call(http, synthetic_gateway, "GET", f"{DISTRIBUTION}/nginx:1.27/json")

    assert synthetic_gateway.requests.by_route() == {
        "GET /api/endpoints/{id}/docker/images/{name}/json": 1,
        "GET /api/endpoints/{id}/docker/distribution/{name}/json": 1,
    }
