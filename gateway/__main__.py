"""Run the gateway from the command line: python -m gateway --help."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from .config import GatewayConfig, SyntheticConfig, new_api_key
from .server import CONTROL_PREFIX, Gateway


def _parser() -> argparse.ArgumentParser:
    """Return the command line parser."""
    parser = argparse.ArgumentParser(
        prog="python -m gateway",
        description="Serve a Portainer-compatible API in front of a Docker "
        "engine or generated containers.",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--engine", metavar="URL", help="Docker engine socket: unix:///path/docker.sock"
    )
    mode.add_argument(
        "--synthetic", metavar="N", type=int, help="serve N generated containers"
    )
    parser.add_argument(
        "--environments",
        metavar="E",
        type=int,
        default=1,
        help="synthetic environments (default 1)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="0 picks a free port")
    parser.add_argument("--prefix", default="", help="path prefix, e.g. /portainer")
    parser.add_argument("--admin-key", default=None, help="default: random")
    parser.add_argument("--restricted-key", default=None, help="default: random")
    parser.add_argument("--instance-id", default=None, help="default: random UUID")
    parser.add_argument("--seed", type=int, default=1, help="synthetic data seed")
    parser.add_argument(
        "--stats-tick", type=float, default=1.0, help="synthetic stats tick (s)"
    )
    parser.add_argument(
        "--latency", type=float, default=0.02, help="synthetic answer latency (s)"
    )
    parser.add_argument(
        "--cpu-load",
        type=float,
        default=5.0,
        help="synthetic mean CPU %% of one core per running container",
    )
    parser.add_argument("--log-level", default="WARNING")
    return parser


def _config(args: argparse.Namespace) -> GatewayConfig:
    """Return the gateway configuration for the parsed arguments."""
    synthetic = None
    if args.synthetic is not None:
        synthetic = SyntheticConfig(
            containers=args.synthetic,
            environments=args.environments,
            seed=args.seed,
            stats_tick=args.stats_tick,
            latency=args.latency,
            cpu_load=args.cpu_load,
        )
    config = GatewayConfig(
        engine=args.engine,
        synthetic=synthetic,
        host=args.host,
        port=args.port,
        prefix=args.prefix,
        admin_key=args.admin_key or new_api_key(),
        restricted_key=args.restricted_key or new_api_key(),
    )
    if args.instance_id:
        config.instance_id = args.instance_id
    return config


async def _serve(config: GatewayConfig) -> None:
    """Run the gateway until SIGINT or SIGTERM."""
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, done.set)

    gateway = Gateway(config)
    url = await gateway.start()
    if config.synthetic is not None:
        mode = (
            f"synthetic: {config.synthetic.containers} containers in "
            f"{config.synthetic.environments} environment(s)"
        )
    else:
        mode = f"engine: {config.engine}"
    print(f"Portainer gateway ({mode}) at {url}", flush=True)
    print(f"  admin key:      {config.admin_key}", flush=True)
    print(f"  restricted key: {config.restricted_key}", flush=True)
    print(f"  faults:         {gateway.root_url}{CONTROL_PREFIX}/faults", flush=True)
    try:
        await done.wait()
    finally:
        await gateway.stop()


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and serve; return the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = _config(args)
    except ValueError as err:
        print(f"error: {err}")
        return 2
    asyncio.run(_serve(config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
