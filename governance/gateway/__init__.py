"""The enforcement gateway's domain: keys, the terms an approved use may call a model under, and
the pure decision applied to every live request (bot/gateway is its HTTP transport)."""
