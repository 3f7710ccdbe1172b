"""Exactly-once paid acts against a real `lingxi serve`, on SQLite and on PostgreSQL.

Each database gets a fresh `lingxi db upgrade` + `lingxi demo load` and its own server process;
clients are threads released together by a barrier, speaking HTTP with bearer tokens from the
demo sign-in. Counted from the API's own answers and the orders the server then lists:

* 20 concurrent confirms of one pending order (status codes, shipments made);
* confirm racing cancel, 3 + 3 requests per round (answers vs the end state, live shipments);
* one Idempotency-Key sent five times at once (identical answers, shipments made);
* chat: "buy the first one" after a recommendation, then five concurrent "yes" (orders placed);
* chat: a stale "yes" (the order's action id) after "unlock the front door" (what it did).

``python -m benchmarks bench_exactly_once [--pg-url URL] [--rounds 10]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from benchmarks._common import ROOT, write_result
from tests.helpers import at_once, free_port, serve_subprocess

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SHOPPER = "mei@demo.lingxi"


def _client(base: str) -> httpx.Client:
    token = httpx.post(f"{base}/api/auth/demo-login", params={"email": SHOPPER}, timeout=30)
    token.raise_for_status()
    return httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token.json()['token']}"}, timeout=60
    )


def _product(api: httpx.Client) -> int:
    return int(api.get("/api/orders").json()["data"][0]["lines"][0]["product_id"])


def _pending(api: httpx.Client, product_id: int) -> int:
    r = api.post("/api/orders", json={"lines": [{"product_id": product_id}]})
    r.raise_for_status()
    return int(r.json()["id"])


def _live_shipments(api: httpx.Client, order_id: int) -> int:
    """Shipments of the order still meant to move (a cancel voids them as ``exception``)."""
    doc = api.get(f"/api/orders/{order_id}").json()
    return sum(1 for s in doc["shipments"] if s["status"] not in ("exception", "cancelled"))


def _confirms(api: httpx.Client, product_id: int) -> dict[str, Any]:
    order = _pending(api, product_id)
    answers = at_once(20, lambda _: api.post(f"/api/orders/{order}/confirm"))
    doc = api.get(f"/api/orders/{order}").json()
    return {
        "requests": 20,
        "status_codes": dict(Counter(r.status_code for r in answers)),
        "shipments": len(doc["shipments"]),
        "end_status": doc["status"],
    }


def _races(api: httpx.Client, product_id: int, rounds: int) -> dict[str, Any]:
    """Per round: at most one confirm and one cancel succeed, the end state is what the
    successes say (cancelled when a cancel won), and a cancelled order moves no parcel."""
    consistent, live, ends, winners = 0, 0, Counter[str](), Counter[str]()
    for _ in range(rounds):
        order = _pending(api, product_id)
        paths = [f"/api/orders/{order}/confirm", f"/api/orders/{order}/cancel"] * 3
        answers = at_once(len(paths), lambda i, paths=paths: api.post(paths[i]))
        won = [p.rsplit("/", 1)[1] for p, r in zip(paths, answers, strict=True) if r.is_success]
        winners["+".join(sorted(won))] += 1
        end = api.get(f"/api/orders/{order}").json()["status"]
        ends[end] += 1
        expected = "cancelled" if "cancel" in won else "confirmed"
        once_each = bool(won) and won.count("confirm") <= 1 and won.count("cancel") <= 1
        consistent += int(once_each and end == expected)
        live += _live_shipments(api, order) if end == "cancelled" else 0
    return {
        "rounds": rounds,
        "successes": dict(winners),
        "end_state_agrees_with_answers": consistent,
        "end_states": dict(ends),
        "live_shipments_on_cancelled_orders": live,
    }


def _replays(api: httpx.Client, product_id: int) -> dict[str, Any]:
    order = _pending(api, product_id)
    key = {"Idempotency-Key": f"bench-{uuid.uuid4().hex}"}
    answers = at_once(5, lambda _: api.post(f"/api/orders/{order}/confirm", headers=key))
    return {
        "requests": 5,
        "status_codes": dict(Counter(r.status_code for r in answers)),
        "identical_bodies": len({r.text for r in answers}) == 1,
        "shipments": len(api.get(f"/api/orders/{order}").json()["shipments"]),
    }


def _say(api: httpx.Client, conversation: str, said: str, **extra: Any) -> dict[str, Any]:
    r = api.post(
        f"/api/assistant/conversations/{conversation}/messages", json={"text": said, **extra}
    )
    r.raise_for_status()
    doc: dict[str, Any] = r.json()
    return doc


def _chat_yes(api: httpx.Client) -> dict[str, Any]:
    before = api.get("/api/orders").json()["count"]
    conversation = api.post("/api/assistant/conversations", json={"language": "en"}).json()["id"]
    _say(api, conversation, "a gentle cleanser for dry skin")
    asked = _say(api, conversation, "buy the first one")
    answers = at_once(
        5,
        lambda _: api.post(
            f"/api/assistant/conversations/{conversation}/messages", json={"text": "yes"}
        ),
    )
    return {
        "asked_for_confirmation": bool(asked.get("needs_confirmation")),
        "yes_status_codes": dict(Counter(r.status_code for r in answers)),
        "orders_placed": api.get("/api/orders").json()["count"] - before,
    }


def _stale_yes(api: httpx.Client) -> dict[str, Any]:
    conversation = api.post("/api/assistant/conversations", json={"language": "en"}).json()["id"]
    _say(api, conversation, "a gentle cleanser for dry skin")
    order = _say(api, conversation, "buy the first one")
    _say(api, conversation, "unlock the front door")
    late = _say(api, conversation, "yes", action_id=order.get("action_id"))
    lock = api.get("/api/home/state", params={"entity_id": "lock.front_door"}).json()["data"]
    return {
        "stale_yes_skill": late.get("skill"),
        "reply": str(late.get("reply", ""))[:160],
        "front_door_after": lock[0]["state"] if lock else None,
    }


def _run(url: str, rounds: int) -> dict[str, Any]:
    env = {**os.environ, "LINGXI_DB__URL": url, "LINGXI_ENVIRONMENT": "test"}
    lingxi = str(Path(sys.executable).with_name("lingxi"))
    for args in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([lingxi, *args], env=env, check=True, capture_output=True, timeout=600)
    port = free_port()
    proc = serve_subprocess(url, port, ROOT)
    try:
        api = _client(f"http://127.0.0.1:{port}")
        product = _product(api)
        return {
            "confirm_x20": _confirms(api, product),
            "confirm_vs_cancel": _races(api, product, rounds),
            "idempotency_key_x5": _replays(api, product),
            "chat_buy_then_5_yes": _chat_yes(api),
            "chat_stale_yes_after_unlock": _stale_yes(api),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_exactly_once")
    parser.add_argument(
        "--pg-url", default=PG_ADMIN, help="an admin URL; a scratch database is made"
    )
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv if argv is not None else [])
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = _run(f"sqlite:///{Path(tmp) / 'lingxi.db'}", args.rounds)
    name = f"lingxi_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        results["postgresql"] = _run(args.pg_url.rsplit("/", 1)[0] + f"/{name}", args.rounds)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    write_result("bench_exactly_once", results)


if __name__ == "__main__":
    main(sys.argv[1:])
