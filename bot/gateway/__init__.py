"""The enforcement gateway's HTTP transport: an OpenAI-compatible surface (Starlette on uvicorn)
in front of the providers an approved use may call. It owns the wire (keys, bodies, streaming,
pooled upstream connections); what is allowed is decided by governance.gateway."""
