"""Prepare a fresh Home Assistant for the README screenshots.

Run it through scripts/screenshots, which starts the gateway and Home
Assistant. This onboards Home Assistant through its REST API, adds Portainer
Control with the config flow, waits until the containers have CPU samples,
saves an example dashboard and writes what the browser needs (tokens, device
pages) as JSON for scripts/screenshots.mjs.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import itertools
import json
from pathlib import Path
import sys
import time
from typing import Any

import aiohttp

USER = "demo"
PASSWORD = "demo-password"  # noqa: S105 - a throwaway instance on 127.0.0.1
DASHBOARD = "portainer-demo"
# The default polling interval. Changing it in the options reloads the entry,
# which leaves "became unavailable" lines in the device pages' logbooks.
POLL_SECONDS = 30
# CPU % needs two polls: the graph starts about this long after the entry is
# added.
HISTORY_LEAD = POLL_SECONDS + 5
# What Home Assistant 2025.4 sets up when onboarding's core_config step ends.
ONBOARDING_EXTRAS = {"google_translate", "met", "radio_browser", "shopping_list"}


class HomeAssistant:
    """Talk to one Home Assistant instance over REST and the websocket API."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        """Remember the session and the base URL."""
        self.session = session
        self.url = url.rstrip("/")
        self.client_id = f"{self.url}/"
        self.tokens: dict[str, Any] = {}
        self._ids = itertools.count(1)
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    async def post(self, path: str, data: dict[str, Any] | None = None) -> Any:
        """POST JSON with the access token and return the JSON answer."""
        async with self.session.post(
            f"{self.url}{path}", json=data or {}, headers=self._auth
        ) as response:
            body = await response.text()
            if not response.ok:
                raise RuntimeError(f"POST {path}: {response.status} {body}")
            return json.loads(body) if body else None

    async def get(self, path: str) -> Any:
        """GET with the access token and return the JSON answer."""
        async with self.session.get(
            f"{self.url}{path}", headers=self._auth
        ) as response:
            response.raise_for_status()
            return await response.json()

    async def onboard(self) -> None:
        """Create the owner, log in and finish the remaining onboarding steps."""
        async with self.session.post(
            f"{self.url}/api/onboarding/users",
            json={
                "client_id": self.client_id,
                "name": "Demo",
                "username": USER,
                "password": PASSWORD,
                "language": "en",
            },
        ) as response:
            if not response.ok:
                text = await response.text()
                raise RuntimeError(f"Onboarding refused: {response.status} {text}")
            code = (await response.json())["auth_code"]

        async with self.session.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        ) as response:
            response.raise_for_status()
            self.tokens = await response.json()
        self.tokens["expires"] = int((time.time() + self.tokens["expires_in"]) * 1000)

        await self.post("/api/onboarding/core_config")
        await self.post("/api/onboarding/analytics")
        await self.post(
            "/api/onboarding/integration",
            {
                "client_id": self.client_id,
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
        )

    async def remove_onboarding_extras(self) -> None:
        """Delete the entries that finishing onboarding adds on its own."""
        # They need the internet (Radio Browser fails to set up here) and
        # would clutter the integrations page behind the config flow.
        for entry in await self.get("/api/config/config_entries/entry"):
            if entry["domain"] in ONBOARDING_EXTRAS:
                async with self.session.delete(
                    f"{self.url}/api/config/config_entries/entry/{entry['entry_id']}",
                    headers=self._auth,
                ) as response:
                    response.raise_for_status()

    async def ws(self, message_type: str, **data: Any) -> Any:
        """Send one websocket command and return its result."""
        if self._ws is None:
            self._ws = await self.session.ws_connect(f"{self.url}/api/websocket")
            await self._ws.receive_json()  # auth_required
            await self._ws.send_json(
                {"type": "auth", "access_token": self.tokens["access_token"]}
            )
            answer = await self._ws.receive_json()
            if answer["type"] != "auth_ok":
                raise RuntimeError(f"Websocket login failed: {answer}")
        message_id = next(self._ids)
        await self._ws.send_json({"id": message_id, "type": message_type, **data})
        while True:
            answer = await self._ws.receive_json()
            if answer.get("id") == message_id and answer["type"] == "result":
                break
        if not answer["success"]:
            raise RuntimeError(f"{message_type}: {answer['error']}")
        return answer["result"]

    async def close(self) -> None:
        """Close the websocket."""
        if self._ws is not None:
            await self._ws.close()


async def add_integration(
    hass: HomeAssistant, gateway: str, api_token: str
) -> dict[str, Any]:
    """Run the config flow as the form would, and keep the default options."""
    flow = await hass.post(
        "/api/config/config_entries/flow",
        {"handler": "portainer_control", "show_advanced_options": False},
    )
    result = await hass.post(
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        {"url": gateway, "api_token": api_token, "verify_ssl": False},
    )
    if result.get("type") != "create_entry":
        raise RuntimeError(f"Config flow did not create an entry: {result}")
    entry: dict[str, Any] = result["result"]

    return entry


async def wait_for(
    what: str, check: Callable[[], Awaitable[bool]], seconds: int
) -> None:
    """Call check every 2 seconds until it returns True."""
    for _ in range(seconds // 2):
        if await check():
            return
        await asyncio.sleep(2)
    raise RuntimeError(f"Timed out waiting for {what}")


def _is_number(state: dict[str, Any]) -> bool:
    try:
        float(state["state"])
    except ValueError:
        return False
    return True


async def find_devices(hass: HomeAssistant, entry_id: str) -> dict[str, Any]:
    """Pick the environment, the container and the entities to show."""
    devices = {
        device["id"]: device
        for device in await hass.ws("config/device_registry/list")
        if entry_id in device["config_entries"]
    }
    states = {state["entity_id"]: state for state in await hass.get("/api/states")}
    entities: dict[str, list[str]] = {}
    for entry in await hass.ws("config/entity_registry/list"):
        if entry["config_entry_id"] == entry_id:
            entities.setdefault(entry["device_id"], []).append(entry["entity_id"])

    # Entity Ids follow the English names: this is a fresh instance.
    def entity(device: dict[str, Any], suffix: str) -> str | None:
        return next(
            (i for i in entities.get(device["id"], []) if i.endswith(suffix)), None
        )

    def environment_of(device: dict[str, Any]) -> dict[str, Any]:
        while entity(device, "_prune_unused_images") is None:
            device = devices[device["via_device_id"]]
        return device

    environments = sorted(
        (d for d in devices.values() if entity(d, "_prune_unused_images")),
        key=lambda d: d["name"],
    )
    environment = environments[0]
    containers = sorted(
        (
            d
            for d in devices.values()
            if entity(d, "_cpu_usage") and environment_of(d) is environment
        ),
        key=lambda d: d["name"],
    )
    # A running container in a stack, with CPU and memory to show.
    running = [
        d
        for d in containers
        if d["via_device_id"] != environment["id"]
        and states[str(entity(d, "_running"))]["state"] == "on"
        and _is_number(states[str(entity(d, "_cpu_usage"))])
    ]
    if not running:
        raise RuntimeError("No running container with CPU usage found")

    return {
        "environment": environment,
        "environment_entities": {
            key: entity(environment, f"_{key}")
            for key in (
                "reachable",
                "containers_running",
                "containers_unhealthy",
                "images_reclaimable",
                "prune_unused_images",
            )
        },
        "container": running[0],
        # The first six, stopped ones included, as a glance at their switches.
        "switches": [(d["name"], entity(d, "_running")) for d in containers[:6]],
        "restart": entity(running[0], "_restart"),
        # Others than the one restarted, whose graph would have a gap.
        "cpu": [(d["name"], entity(d, "_cpu_usage")) for d in running[1:4]],
    }


def dashboard(found: dict[str, Any], hours: float) -> dict[str, Any]:
    """Return the README's example dashboard for the entities found."""
    env = found["environment_entities"]
    # Home Assistant 2025.4 puts the device name before each entity name:
    # short names keep the rows readable.
    rows = [
        {"entity": env["reachable"], "name": "Reachable"},
        {"entity": env["containers_running"], "name": "Containers running"},
        {"entity": env["containers_unhealthy"], "name": "Containers unhealthy"},
        {"entity": env["images_reclaimable"], "name": "Images reclaimable"},
        {"entity": env["prune_unused_images"], "name": "Prune unused images"},
    ]
    return {
        "title": "Homelab",
        "views": [
            {
                "title": "Containers",
                "path": "containers",
                "type": "sections",
                "max_columns": 2,
                "sections": [
                    {
                        "type": "grid",
                        "cards": [
                            {
                                "type": "entities",
                                "title": found["environment"]["name"],
                                "state_color": True,
                                "entities": rows,
                            },
                            {
                                "type": "glance",
                                "title": "Containers",
                                "columns": 3,
                                "state_color": True,
                                "entities": [
                                    {"entity": entity_id, "name": name}
                                    for name, entity_id in found["switches"]
                                ],
                            },
                        ],
                    },
                    {
                        "type": "grid",
                        "cards": [
                            {
                                "type": "history-graph",
                                "title": "CPU",
                                "hours_to_show": hours,
                                "grid_options": {"columns": "full", "rows": 6},
                                "entities": [
                                    {"entity": entity_id, "name": name}
                                    for name, entity_id in found["cpu"]
                                ],
                            },
                        ],
                    },
                ],
            }
        ],
    }


async def prepare(args: argparse.Namespace) -> dict[str, Any]:
    """Set everything up and return what the browser script needs."""
    async with aiohttp.ClientSession() as session:
        hass = HomeAssistant(session, args.hass)
        try:
            await hass.onboard()
            added = time.monotonic()
            entry = await add_integration(hass, args.gateway, args.api_token)
            print(f"Added {entry['title']} ({entry['entry_id']})", file=sys.stderr)

            async def cpu_samples() -> bool:
                states = await hass.get("/api/states")
                cpu = [
                    s
                    for s in states
                    if s["entity_id"].endswith("_cpu_usage") and _is_number(s)
                ]
                return len(cpu) >= int(args.min_containers)

            await wait_for("CPU usage of the containers", cpu_samples, 180)
            found = await find_devices(hass, entry["entry_id"])
            await hass.remove_onboarding_extras()
            # Something for the container's logbook: a restart from its page.
            await hass.post(
                "/api/services/button/press", {"entity_id": found["restart"]}
            )
            await hass.ws(
                "lovelace/dashboards/create",
                url_path=DASHBOARD,
                title="Homelab",
                icon="mdi:docker",
                show_in_sidebar=True,
                require_admin=False,
                mode="storage",
            )
            # The graph shows the last minutes, from the first CPU samples on.
            await hass.ws(
                "lovelace/config/save",
                url_path=DASHBOARD,
                config=dashboard(found, (args.history - HISTORY_LEAD) / 3600),
            )
            print(f"Collecting {args.history} s of history", file=sys.stderr)
            await asyncio.sleep(max(0, added + args.history - time.monotonic()))
        finally:
            await hass.close()

    return {
        "hassUrl": hass.url,
        "clientId": hass.client_id,
        "tokens": hass.tokens,
        "gateway": args.gateway,
        "apiToken": args.api_token,
        "environmentDevice": found["environment"]["id"],
        "environmentName": found["environment"]["name"],
        "containerDevice": found["container"]["id"],
        "containerName": found["container"]["name"],
        "dashboard": f"/{DASHBOARD}/containers",
    }


def main() -> None:
    """Parse the arguments, prepare Home Assistant, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hass", default="http://127.0.0.1:8123")
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--api-token", required=True)
    parser.add_argument("--min-containers", type=int, default=10)
    parser.add_argument(
        "--history", type=int, default=335, help="seconds of CPU history to collect"
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    state = asyncio.run(prepare(args))
    args.out.write_text(json.dumps(state, indent=2))


if __name__ == "__main__":
    main()
