"""Tests of the Portainer-compatible gateway."""
