"""Serve the real engine through the gateway with only its Docker environment.

python -m gateway --engine also lists a down and a Kubernetes environment.
Core's portainer fails its whole poll on the Kubernetes one (its Docker
routes answer 404), so the side-by-side engine case lists the Docker one
only. Prints the same "... at URL" line as the gateway's command line.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from gateway import Environment, Gateway, GatewayConfig


async def _serve(config: GatewayConfig) -> None:
    """Run the gateway until SIGINT or SIGTERM."""
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, done.set)
    gateway = Gateway(config)
    url = await gateway.start()
    message = f"Portainer gateway (engine: {config.engine}) at {url}"
    print(message, flush=True)  # noqa: T201
    try:
        await done.wait()
    finally:
        await gateway.stop()


def main() -> None:
    """Parse the arguments the benchmark passes and serve."""
    parser = argparse.ArgumentParser(prog="python -m bench.engine_gateway")
    parser.add_argument("--engine", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--admin-key", required=True)
    args = parser.parse_args()
    config = GatewayConfig(
        engine=args.engine,
        port=args.port,
        admin_key=args.admin_key,
        environments=[
            Environment(id=1, name="local", url="unix:///var/run/docker.sock")
        ],
    )
    asyncio.run(_serve(config))


if __name__ == "__main__":
    main()
