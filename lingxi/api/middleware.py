"""Body-size limit, security headers and CORS (an allow-list from settings, empty by default)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from lingxi.api.errors import error_body
from lingxi.config import Settings

__all__ = ["install_middleware"]

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
    ),
}


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Refuse bodies over ``settings.max_body_bytes`` with 413, add security headers, and
    answer cross-origin browsers only for ``settings.cors_origins``."""
    limit = settings.max_body_bytes

    @app.middleware("http")
    async def limits_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return JSONResponse(
                error_body(
                    "too_large",
                    f"The request body must be at most {limit} bytes. Got {length} bytes.",
                    {"field": "body", "limit": limit},
                ),
                status_code=413,
            )
        response = await call_next(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith(("/docs", "/redoc")):
            # Swagger UI needs inline scripts; it only shows public documentation.
            del response.headers["Content-Security-Policy"]
        return response

    # Outside the limits and headers: a browser's preflight from an origin not on the list gets
    # 400 and no Access-Control-Allow-Origin, so other sites' pages cannot read Lingxi's answers.
    origins = list(settings.cors_origins)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_credentials="*" not in origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
