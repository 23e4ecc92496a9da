"""Tests for the Portainer Control integration."""
