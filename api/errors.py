"""One renderer for every error: `{"error": {"code", "message", "details"}}` with the right status."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from agentflow.errors import AgentFlowError
from agentflow.logs import request_id_var
from api import validation_messages
from api.middleware.security_headers import security_headers

logger = logging.getLogger("agentflow.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "rate_limited",
}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "details": jsonable_encoder(details)}},
        status_code=status,
        headers=headers,
    )


async def handle_agentflow_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AgentFlowError)
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    # `details` keep pydantic's field path and type for programs; `message` is a sentence for people.
    errors = [
        {
            "loc": list(e.get("loc", ())),
            "msg": e.get("msg", ""),
            "type": e.get("type", ""),
            "message": validation_messages.human_message(e),
        }
        for e in raw
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return error_response(400, "malformed_json", "The request body is not valid JSON", errors)
    return error_response(422, "validation_error", validation_messages.summary(raw), errors)


async def handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and message == "Not Found":
        message = f"No route for {request.method} {request.url.path}"
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None) or request_id_var.get()
    logger.exception(
        "unhandled error on %s %s", request.method, request.url.path, extra={"request_id": request_id}
    )
    response = error_response(
        500,
        "internal_error",
        "Something went wrong on our side; the request id helps us find it",
        {"request_id": request_id},
        headers={"X-Request-ID": request_id} if request_id else None,
    )
    # Starlette sends a 500 from outside every middleware: it gets the security headers here.
    settings = getattr(request.app.state, "settings", None)
    hsts = settings is not None and settings.public_url_is_https
    for name, value in security_headers(request.url.path, docs_paths=(), hsts=hsts):
        response.headers[name.decode()] = value.decode()
    return response


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AgentFlowError, handle_agentflow_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(HTTPException, handle_http_exception)
    app.add_exception_handler(Exception, handle_unexpected)


# Documented on routes via `responses=`: the shape every error shares.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": code.replace("_", " ").capitalize(),
        "content": {
            "application/json": {
                "example": {"error": {"code": code, "message": "…", "details": None}},
            }
        },
    }
    for status, code in _HTTP_CODES.items()
    if status in (400, 401, 403, 404, 409, 413, 422, 429)
}
