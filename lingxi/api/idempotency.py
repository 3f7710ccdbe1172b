"""``Idempotency-Key`` on every state-changing route: same key, same answer, one effect.

A pure ASGI middleware, so no route can forget it. For a signed-in member's POST, PUT, PATCH
or DELETE carrying the header, the first request with a key is stored as in progress (the
unique household+key constraint decides between concurrent first requests), runs, and its
answer is stored; any later request with that key gets the stored answer (with
``Idempotent-Replayed: true``) without running again. A request still in progress is waited
for; the same key with another method, path or body is refused with 422. A 5xx answer is not
kept, so a retry after a server fault runs again. Keys belong to the household.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lingxi.api.errors import error_body
from lingxi.data import Database
from lingxi.data.repos import requests as repo
from lingxi.data.repos.identity import Member, resolve_token
from lingxi.errors import LingxiError

__all__ = ["HEADER", "IdempotencyMiddleware"]

HEADER = "idempotency-key"
_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_WAIT_S = 30.0
_SESSION_COOKIE = "lingxi_session"


async def _refuse(send: Send, status: int, code: str, message: str, key: str) -> None:
    """An error answer about the Idempotency-Key header, from the error tree's JSON shape."""
    details: dict[str, Any] = {"field": "Idempotency-Key", "value": key[:80]}
    body = json.dumps(error_body(code, message, details)).encode()
    await _send(send, status, "application/json", body)


class IdempotencyMiddleware:
    """See the module docstring; the app's database is ``scope["app"].state.db``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _STATE_CHANGING:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not _KEY.match(key):
            await _refuse(
                send,
                422,
                "invalid_input",
                "The Idempotency-Key header must be 1 to 200 visible ASCII characters.",
                key,
            )
            return
        db: Database = scope["app"].state.db
        member = await run_in_threadpool(_member, db, headers)
        if member is None:  # not signed in: the route answers 401 as usual
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        digest = hashlib.sha256()
        for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode()):
            digest.update(part.encode() + b"\0")
        digest.update(body)
        fingerprint = digest.hexdigest()

        def claim() -> tuple[bool, repo.StoredRequest]:
            with db.session() as session:
                return repo.claim_key(
                    session,
                    household_id=member.household_id,
                    customer_id=member.customer_id,
                    key=key,
                    method=scope["method"],
                    path=scope["path"],
                    fingerprint=fingerprint,
                )

        first, stored = await run_in_threadpool(claim)
        if not first:
            await self._replay(db, member, key, fingerprint, stored, send)
            return
        await self._run_and_store(scope, body, send, db, stored.id)

    async def _replay(
        self,
        db: Database,
        member: Member,
        key: str,
        fingerprint: str,
        stored: repo.StoredRequest,
        send: Send,
    ) -> None:
        if stored.fingerprint != fingerprint:
            await _refuse(
                send,
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was used for another request (method, path or body "
                "differ); use a new key for a new request.",
                key,
            )
            return
        waited = 0.0
        while stored.status_code is None and waited < _WAIT_S:
            await asyncio.sleep(0.05)
            waited += 0.05

            def reread() -> repo.StoredRequest | None:
                with db.session() as session:
                    return repo.get_key(session, household_id=member.household_id, key=key)

            again = await run_in_threadpool(reread)
            if again is None:  # the first attempt failed on the server: the client may retry
                await _refuse(
                    send,
                    409,
                    "conflict",
                    "The first request with this Idempotency-Key failed; send it again.",
                    key,
                )
                return
            stored = again
        if stored.status_code is None:
            await _refuse(
                send,
                409,
                "conflict",
                "A request with this Idempotency-Key is still being answered; try again shortly.",
                key,
            )
            return
        await _send(
            send,
            stored.status_code,
            stored.content_type,
            stored.body.encode(),
            replayed=True,
        )

    async def _run_and_store(
        self, scope: Scope, body: bytes, send: Send, db: Database, request_id: int
    ) -> None:
        delivered = False

        async def receive_again() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        content_type = "application/json"
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = int(message["status"])
                content_type = Headers(raw=message.get("headers", [])).get(
                    "content-type", content_type
                )
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive_again, capture)
        finally:
            answer = b"".join(chunks)

            def store() -> None:
                with db.session() as session:
                    if status >= 500:
                        repo.abandon(session, request_id=request_id)
                    else:
                        repo.complete(
                            session,
                            request_id=request_id,
                            status_code=status,
                            content_type=content_type,
                            body=answer.decode("utf-8", errors="replace"),
                        )

            await run_in_threadpool(store)


def _member(db: Database, headers: Headers) -> Member | None:
    auth = headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    if not token:
        cookies = headers.get("cookie", "")
        for part in cookies.split(";"):
            name, _, value = part.strip().partition("=")
            if name == _SESSION_COOKIE:
                token = value
    if not token:
        return None
    try:
        with db.session() as session:
            return resolve_token(session, token=token)
    except LingxiError:
        return None


async def _read_body(receive: Receive) -> bytes:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


async def _send(
    send: Send, status: int, content_type: str, body: bytes, *, replayed: bool = False
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
