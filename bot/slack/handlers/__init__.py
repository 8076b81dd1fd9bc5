"""Slack listeners, one module per feature; each module's `register(app, services)` wires it."""
