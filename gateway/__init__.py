"""A Portainer-compatible gateway for tests and benchmarks.

It speaks the part of Portainer's API the integration uses, in front of a
real Docker engine (``GatewayConfig(engine="unix:///path/docker.sock")``) or
generated containers (``GatewayConfig(synthetic=SyntheticConfig(...))``),
with switchable faults and a log of the requests it served.
"""

from __future__ import annotations

from .config import (
    Environment,
    EnvironmentStatus,
    EnvironmentType,
    GatewayConfig,
    SyntheticConfig,
)
from .engine import EngineClient, EngineError
from .faults import Fault, FaultKind, FaultRegistry
from .request_log import RequestLog, RequestRecord, normalise_route
from .server import API_KEY_HEADER, CONTROL_PREFIX, Gateway

__all__ = [
    "API_KEY_HEADER",
    "CONTROL_PREFIX",
    "EngineClient",
    "EngineError",
    "Environment",
    "EnvironmentStatus",
    "EnvironmentType",
    "Fault",
    "FaultKind",
    "FaultRegistry",
    "Gateway",
    "GatewayConfig",
    "RequestLog",
    "RequestRecord",
    "SyntheticConfig",
    "normalise_route",
]
