"""Test support: fakes that speak the wire format (Slack Web API, policy sources) and shared helpers."""
