"""End-to-end tests: the integration in Home Assistant, the gateway, a real engine."""
