"""Errors raised by the Portainer client."""

from __future__ import annotations


class PortainerError(Exception):
    """Base error of the Portainer client."""


class PortainerConnectionError(PortainerError):
    """Portainer could not be reached."""


class PortainerTimeoutError(PortainerConnectionError):
    """Portainer did not answer in time."""


class PortainerAuthenticationError(PortainerError):
    """The API token was missing or rejected (HTTP 401)."""


class PortainerForbiddenError(PortainerError):
    """The API token lacks permission for the request (HTTP 403)."""


class PortainerNotFoundError(PortainerError):
    """The requested object does not exist (HTTP 404)."""


class PortainerEnvironmentUnavailableError(PortainerError):
    """Portainer's Docker proxy could not reach the environment (HTTP 502/503)."""


class PortainerResponseError(PortainerError):
    """Portainer answered with an unexpected status or a body that is not JSON."""


class PortainerRateLimitError(PortainerResponseError):
    """A registry behind Docker refused for now: too many requests (HTTP 429)."""


class PortainerStreamError(PortainerError):
    """A streamed Docker answer reported an error line."""
