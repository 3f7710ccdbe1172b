"""The guard in front of every route, security headers, and CORS (an allow-list, empty by default).

:class:`RequestGuard` is a pure ASGI middleware, so it sees the body as the server receives it,
chunk by chunk, before anything else reads it. In order, for every HTTP request:

1. **Forged requests.** A state change (POST/PUT/PATCH/DELETE) that does not carry a bearer
   token must come from the app's own origin: ``Sec-Fetch-Site`` other than ``same-origin``, or
   an ``Origin`` other than the app's (or one in ``LINGXI_CORS_ORIGINS``), is refused. One that
   the session cookie authenticates must also name its origin and send the session's CSRF token
   (:func:`lingxi.api.deps.csrf_token`) in ``X-CSRF-Token``. The sign-in routes need no token
   (there is no session yet) but get the origin check, which stops login CSRF.
2. **Body size.** ``Content-Length`` over ``LINGXI_MAX_BODY_BYTES`` is refused unread; any other
   body (chunked too) is counted while it arrives and refused as soon as it passes the limit.
3. **Text.** NUL bytes and lone surrogates cannot be stored (PostgreSQL refuses NUL in text,
   and no driver can encode U+D800-U+DFFF), so they are refused in the JSON body, form fields,
   query parameters and the path, naming the first field that holds one.

Each refusal is the error tree's JSON (403, 413 or 422) with the security headers.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lingxi.api.deps import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, bearer_token, csrf_token
from lingxi.api.errors import error_body, status_for
from lingxi.config import Settings
from lingxi.errors import ForbiddenError, InvalidInputError, LingxiError

__all__ = ["HMAC_PATHS", "SIGN_IN_PATHS", "RequestGuard", "first_bad_text", "install_middleware"]

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
    ),
}
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SIGN_IN_PATHS = frozenset(
    {
        "/api/auth/login",
        "/api/auth/demo-login",
        "/api/auth/signup",
        "/api/auth/accept-invite",
        "/api/auth/reset",
    }
)
"""Routes that take credentials: no session yet, so no CSRF token, but the origin check."""
HMAC_PATHS = frozenset({"/api/integrations/orders"})
"""Server-to-server routes authenticated by an HMAC signature of the body, never by a cookie:
no origin or CSRF check (no browser sends them; a forged one has no valid signature)."""
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_TEXT_RULE = "text without NUL bytes or lone surrogates (U+D800 to U+DFFF)"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Guard every request (:class:`RequestGuard`), add security headers, and answer
    cross-origin browsers only for ``settings.cors_origins``."""
    app.add_middleware(RequestGuard, settings=settings)
    # Outside the guard: a browser's preflight from an origin not on the list gets 400 and no
    # Access-Control-Allow-Origin, so other sites' pages cannot read Lingxi's answers, nor send
    # the X-CSRF-Token header.
    origins = list(settings.cors_origins)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_credentials="*" not in origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", CSRF_HEADER, "Idempotency-Key"],
        max_age=600,
    )


class RequestGuard:
    """Refuse forged state changes, oversized bodies and unstorable text; add security headers."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.limit = settings.max_body_bytes
        # Routes that take files get their own bound (still counted while the body arrives).
        self.path_limits = {"/api/catalogue/import": settings.catalogue.max_import_bytes}
        # "*" lets any page read public answers, but never vouches for a cookie-borne request.
        self.trusted_origins = frozenset(o.rstrip("/") for o in settings.cors_origins) - {"*"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        send = self._decorated(scope, headers, send)
        limit = self.path_limits.get(scope["path"], self.limit)
        try:
            self._check_origin(scope, headers)
            body = await self._read_body(headers, receive, limit)
            if body is None:
                return  # the client went away mid-body
            bad = first_bad_text(scope, headers, body)
            if bad is not None:  # a key can be the bad text: escape it to name the field
                raise InvalidInputError.for_field(_escaped(bad[0]), _TEXT_RULE, bad[1])
        except _TooLarge as err:
            await _refuse(413, "too_large", err.message, {"field": "body", "limit": limit})(
                scope, receive, send
            )
            return
        except LingxiError as err:
            await _refuse(status_for(err), err.code, err.message, err.details)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    # -- 1. forged requests ----------------------------------------------------------------

    def _check_origin(self, scope: Scope, headers: Headers) -> None:
        if scope["method"] not in _UNSAFE_METHODS or bearer_token(headers.get("authorization")):
            return  # safe methods change nothing; a page cannot make a browser send a bearer
        if scope["path"] in HMAC_PATHS:
            return  # authenticated by the signature of the body (the route checks it)
        site = headers.get("sec-fetch-site")
        origin = headers.get("origin")
        trusted = origin is not None and origin.rstrip("/") in self.trusted_origins
        if site is not None and site != "same-origin" and not trusted:
            raise ForbiddenError(
                f"Cross-site request refused: Sec-Fetch-Site is {site!r}; state changes "
                "must come from Lingxi's own pages (same-origin) or carry a bearer token.",
                code="cross_site_request",
                header="Sec-Fetch-Site",
                value=site,
            )
        # A browser without Sec-Fetch-* headers: compare Origin with the Host it was sent to.
        if (
            site is None
            and origin is not None
            and not trusted
            and not _same_origin(origin, scope, headers)
        ):
            raise ForbiddenError(
                f"Cross-origin request refused: Origin {origin!r} is not this site; state "
                "changes must come from Lingxi's own pages or carry a bearer token.",
                code="cross_site_request",
                header="Origin",
                value=origin,
            )
        session = _cookie(headers, SESSION_COOKIE)
        if session is None or scope["path"] in SIGN_IN_PATHS:
            return  # nothing ambient to abuse (a script's anonymous call, or a sign-in)
        if site is None and origin is None:
            raise ForbiddenError(
                "A state change with the session cookie must say where it comes from: send "
                "Origin (browsers do) or use a bearer token instead of the cookie.",
                code="origin_missing",
                header="Origin",
            )
        sent = headers.get(CSRF_HEADER)
        if not sent:
            raise ForbiddenError(
                f"The {CSRF_HEADER} header is missing: a state change with the session cookie "
                f"must send the CSRF token from sign-in (cookie {CSRF_COOKIE!r}).",
                code="csrf_token_missing",
                header=CSRF_HEADER,
            )
        if not hmac.compare_digest(sent.encode(), csrf_token(self.settings, session).encode()):
            raise ForbiddenError(
                f"The {CSRF_HEADER} header does not match this session: sign in again.",
                code="csrf_token_mismatch",
                header=CSRF_HEADER,
            )

    # -- 2. body size ----------------------------------------------------------------------

    async def _read_body(self, headers: Headers, receive: Receive, limit: int) -> bytes | None:
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise _TooLarge(
                f"The request body must be at most {limit} bytes. Got {declared} bytes."
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:  # stop reading: the rest is never buffered
                raise _TooLarge(
                    f"The request body must be at most {limit} bytes. Got more than "
                    f"{limit} bytes (sent in chunks)."
                )
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    # -- responses -------------------------------------------------------------------------

    def _decorated(self, scope: Scope, headers: Headers, send: Send) -> Send:
        """``send`` adding the security headers, and the CSRF cookie to a session that lacks
        it (signed in before the cookie existed, or under another secret)."""
        session = _cookie(headers, SESSION_COOKIE)
        wanted = csrf_token(self.settings, session) if session else None
        if wanted is not None and _cookie(headers, CSRF_COOKIE) == wanted:
            wanted = None
        docs = scope["path"].startswith(("/docs", "/redoc"))

        async def decorated(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS.items():
                    if name.lower() not in out:
                        out[name] = value
                if docs:  # Swagger UI needs inline scripts; it only shows public documentation.
                    del out["content-security-policy"]
                cookies = " ".join(out.getlist("set-cookie"))
                if wanted is not None and SESSION_COOKIE not in cookies:
                    out.append("set-cookie", self._csrf_cookie(wanted))
            await send(message)

        return decorated

    def _csrf_cookie(self, value: str) -> str:
        secure = "; Secure" if self.settings.environment == "production" else ""
        return (
            f"{CSRF_COOKIE}={value}; Max-Age={self.settings.auth.session_ttl_s}; Path=/; "
            f"SameSite=Strict{secure}"
        )


class _TooLarge(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _refuse(status: int, code: str, message: str, details: dict[str, Any]) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then waits on the client."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _cookie(headers: Headers, name: str) -> str | None:
    # Starlette's own parser, as request.cookies uses it: were they to disagree about a
    # malformed Cookie header, a session could authenticate while the check saw none.
    value = cookie_parser(headers.get("cookie", "")).get(name)
    return value or None


def _host_port(host: str, port: int | None, scheme: str) -> tuple[str, int]:
    return host.lower(), port or _DEFAULT_PORTS[scheme]


def _same_origin(origin: str, scope: Scope, headers: Headers) -> bool:
    """Whether ``Origin`` names the host (and port) the request was sent to.

    Only for browsers that send no ``Sec-Fetch-Site``, which says this better."""
    host = headers.get("host", "")
    try:
        theirs, ours = urlsplit(origin), urlsplit(f"//{host}")
        their_port, our_port = theirs.port, ours.port
    except ValueError:
        return False
    if theirs.scheme not in _DEFAULT_PORTS or not theirs.hostname or not ours.hostname:
        return False  # "null" (a sandboxed frame, a file), no Host, anything odd
    scheme = scope.get("scheme", "http")
    if scheme == "https" and theirs.scheme != "https":
        return False
    # Seen as http, the page may still be https behind a TLS proxy that is not trusted: the
    # Host header then has no port, so compare ports under the page's scheme.
    return _host_port(theirs.hostname, their_port, theirs.scheme) == _host_port(
        ours.hostname, our_port, theirs.scheme
    )


# -- 3. text -------------------------------------------------------------------------------


def first_bad_text(scope: Scope, headers: Headers, body: bytes) -> tuple[str, str] | None:
    """The first field (dotted JSON path, ``query.NAME``, or ``path``) whose text holds a NUL
    byte or a lone surrogate, and that text; ``None`` when all text is storable."""
    path: str = scope.get("path", "")
    if _BAD_TEXT.search(path):
        return "path", path
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        for text in (name, value):
            if _BAD_TEXT.search(text):
                return f"query.{name}", text
    if not body:
        return None
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
            for text in (name, value):
                if _BAD_TEXT.search(text):
                    return name, text
        return None
    if kind and kind != "application/json" and not kind.endswith("+json"):
        return None  # audio, images: FastAPI parses only JSON bodies (and untyped ones) as JSON
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON, or nested too deep: the route answers that itself
    for where, text in _strings(document):
        if _BAD_TEXT.search(text):
            return where or "body", text
    return None


def _escaped(text: str) -> str:
    """``text`` with NUL and surrogates as ``\\x00`` / ``\\ud800`` (JSON cannot encode them)."""
    return _BAD_TEXT.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def _strings(document: Any) -> Iterator[tuple[str, str]]:
    """Every string of a JSON document (keys too) with its dotted path, depth first."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:  # iterative: a deeply nested body must not exhaust the call stack
        where, item = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            children = []
            for key, value in item.items():
                at = f"{where}.{key}" if where else str(key)
                yield at, key
                children.append((at, value))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(
                (f"{where}.{i}" if where else str(i), value)
                for i, value in reversed(list(enumerate(item)))
            )
