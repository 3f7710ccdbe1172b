"""The one table from Lingxi's error tree to HTTP status, and the JSON error handlers."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from lingxi.errors import (
    ConfirmationRequiredError,
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    LingxiError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
    UnavailableError,
    show_value,
)

__all__ = [
    "ERROR_RESPONSES",
    "STATUS_CODES",
    "ErrorBody",
    "error_body",
    "install_error_handlers",
    "status_for",
]

logger = logging.getLogger(__name__)

STATUS_CODES: tuple[tuple[type[LingxiError], int], ...] = (
    (InvalidInputError, 422),
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (UnauthorizedError, 401),
    (ConfirmationRequiredError, 409),
    (ConflictError, 409),
    (RateLimitedError, 429),
    (UnavailableError, 503),
    (LingxiError, 400),
)


class ErrorDetail(BaseModel):
    """What went wrong: a stable code, a sentence naming the field, rule and value, details."""

    code: str
    message: str
    details: dict[str, Any]


class ErrorBody(BaseModel):
    """Every error answer: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorDetail


_ERROR_STATUSES = {
    400: "The body could not be parsed (not UTF-8 JSON).",
    401: "Not signed in, or the credentials are wrong.",
    403: "Signed in, but not allowed (a role, or a setting).",
    404: "No such id in the member's household.",
    409: "The state forbids it, or it waits for a confirmation (with a token).",
    413: "The body is too large.",
    422: "Bad input: the message names the field, the rule and the value.",
    503: "A part Lingxi depends on is down; try again (Retry-After).",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in _ERROR_STATUSES.items()
}
"""The error answers documented on every operation of the OpenAPI schema."""


def status_for(err: LingxiError) -> int:
    """HTTP status of an error, from :data:`STATUS_CODES`."""
    for cls, status in STATUS_CODES:
        if isinstance(err, cls):
            return status
    return 400


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """``{"error": {"code", "message", "details"}}``."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _describe_validation(errors: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    details = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body",)]
        field = ".".join(loc) or "body"
        value = e.get("input")
        details.append({"field": field, "rule": e.get("msg", ""), "value": show_value(value)})
    first = details[0] if details else {"field": "body", "rule": "invalid", "value": ""}
    message = f"The {first['field']!r} field is invalid: {first['rule']}. Got {first['value']}."
    if first["rule"].startswith("JSON decode error"):
        message = "The request body is not valid JSON."
    return message, details


def install_error_handlers(app: FastAPI) -> None:
    """Register the JSON error handlers on ``app``."""

    async def lingxi_error(_: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, LingxiError)
        status = status_for(err)
        if status >= 500:
            logger.warning("%s: %s", err.code, err.message, exc_info=err.__cause__)
        headers = None
        if isinstance(err, RateLimitedError):
            headers = {"Retry-After": str(err.retry_after_s)}
        elif isinstance(err, UnavailableError):
            headers = {"Retry-After": "5"}
        return JSONResponse(
            error_body(err.code, err.message, err.details), status_code=status, headers=headers
        )

    async def validation_error(_: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, RequestValidationError)
        message, details = _describe_validation(list(err.errors()))
        return JSONResponse(
            error_body("invalid_input", message, {"errors": details}), status_code=422
        )

    async def http_error(_: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 401: "unauthorized"}
        message = str(err.detail)
        if err.status_code == 400 and "parsing the body" in message:
            code[400] = "invalid_body"
            message = "The request body could not be parsed: send UTF-8 JSON."
        return JSONResponse(
            error_body(code.get(err.status_code, "http_error"), message),
            status_code=err.status_code,
            headers=getattr(err, "headers", None),
        )

    async def unexpected(_: Request, err: Exception) -> JSONResponse:
        logger.exception("unexpected error", exc_info=err)
        return JSONResponse(
            error_body("internal_error", "Something went wrong on our side; it was logged."),
            status_code=500,
        )

    app.add_exception_handler(LingxiError, lingxi_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
