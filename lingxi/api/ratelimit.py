"""Rate limits on sign-in and on assistant messages (the ``limits`` library's moving window).

Sign-ins count per client address: the peer of the TCP connection, or the address a trusted
proxy (``LINGXI_TRUSTED_PROXIES``) put in ``X-Forwarded-For``; uvicorn resolves it before the
app runs (see :func:`lingxi.api.serve.uvicorn_options`), so a client cannot rotate its own.

The only module that imports ``limits``. Counters live in the process's memory: each
replica limits on its own, which bounds a brute-force or a flood per replica.
"""

from __future__ import annotations

import math
import time
from typing import Any

from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from lingxi.api.deps import CurrentMember
from lingxi.api.errors import ErrorBody
from lingxi.config import RateLimitSettings
from lingxi.errors import InvalidInputError, RateLimitedError

__all__ = [
    "RATE_LIMITED",
    "RateLimiter",
    "client_address",
    "limit_account",
    "limit_chat",
    "limit_demo_login",
    "limit_login",
]

RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorBody,
        "description": "Too many requests; the Retry-After header says when to try again.",
    }
}


class RateLimiter:
    """Named limits (``login``, ``demo_login``, ``chat``) from :class:`~lingxi.config.RateLimitSettings`."""

    def __init__(self, settings: RateLimitSettings) -> None:
        self.enabled = settings.enabled
        self._items: dict[str, RateLimitItem] = {}
        for name in ("login", "demo_login", "chat", "account"):
            value: str = getattr(settings, name)
            try:
                self._items[name] = parse(value)
            except ValueError:
                raise InvalidInputError.for_field(
                    f"rate_limit.{name}", 'a rate such as "10/minute"', value
                ) from None
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, name: str, key: str) -> None:
        """Count one request of kind ``name`` by ``key``; :class:`RateLimitedError` past the limit."""
        if not self.enabled:
            return
        item = self._items[name]
        if self._limiter.hit(item, name, key):
            return
        reset_at = self._limiter.get_window_stats(item, name, key).reset_time
        retry = max(1, math.ceil(reset_at - time.time()))
        raise RateLimitedError(
            f"Too many {name} requests: at most {item.amount} per "
            f"{item.get_expiry()} seconds. Try again in {retry} seconds.",
            retry_after_s=retry,
            limit=str(item),
        )


def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def client_address(request: Request) -> str:
    """The client's address as resolved by the server (trusted proxies only)."""
    return request.client.host if request.client else "unknown"


def limit_login(request: Request) -> None:
    """Dependency: count a password sign-in attempt by the client's address."""
    _limiter(request).hit("login", client_address(request))


def limit_demo_login(request: Request) -> None:
    """Dependency: count a demo sign-in by the client's address (each one mints a token)."""
    _limiter(request).hit("demo_login", client_address(request))


def limit_account(request: Request) -> None:
    """Dependency: count a sign-up, an invitation acceptance or a reset by the client's address."""
    _limiter(request).hit("account", client_address(request))


def limit_chat(request: Request, member: CurrentMember) -> None:
    """Dependency: count an assistant message by the signed-in member."""
    _limiter(request).hit("chat", str(member.customer_id))
