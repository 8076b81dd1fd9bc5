"""OpenAI-shaped error bodies, so every client library surfaces the gateway's reason."""

from __future__ import annotations

import secrets

from starlette.responses import JSONResponse

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}


def reference_id() -> str:
    """A short id a caller can quote and an operator can find in the logs and the ledger."""
    return "gw-" + secrets.token_hex(6)


def error_type(status: int) -> str:
    return ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")


def error_body(status: int, message: str, code: str) -> dict[str, dict[str, str | None]]:
    return {"error": {"message": message, "type": error_type(status), "code": code, "param": None}}


def error_response(
    status: int, message: str, code: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(status, message, code), status_code=status, headers=headers)
