"""Locust workload for ``bench_load``: the demo households using Lingxi at once.

Each simulated person is one of the demo members (signed in beforehand by ``bench_load``, which
passes the bearer tokens, conversation, order and shipment ids in ``LOAD_FIXTURES``, so only
the workload itself is measured) and, with a short think time, asks for recommendations, gives
home commands, chats with the assistant and tracks orders (weights 30/20/25/25). One extra operator user reports traffic every ``LOAD_TRAFFIC_EVERY_S``
seconds (which re-plans the routes under way), as a dispatcher would, independent of the number
of shoppers. ``LOAD_MAX_REQUESTS`` stops the run after that many requests (a hard bound next to
``--run-time``). Loopback only: the host must be 127.0.0.1.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from locust import HttpUser, between, constant_pacing, events, task

RECOMMEND = [
    "oily skin, a cleanser under $30 without alcohol",
    "moisturizer for dry sensitive skin",
    "油皮洗面奶 200元以内",
    "sunscreen for combination skin",
    "eye cream with niacinamide under 60 dollars",
    "fragrance-free face mask",
]
HOME = [
    "turn on the living room lights",
    "turn off the living room lights",
    "set the bedroom lights to 40%",
    "打开客厅的灯",
    "关闭客厅的灯",
]
CHAT = [
    "where is my order?",
    "recommend a gentle cleanser for dry skin",
    "turn off the kitchen lights",
    "hello",
    "我的快递到哪了",
]
_FIXTURES: list[dict[str, Any]] = json.loads(os.environ.get("LOAD_FIXTURES", "[]"))
_members = itertools.cycle(_FIXTURES)
_sent = 0


@events.init.add_listener
def _loopback_only(environment: Any, **_: Any) -> None:
    host = urlparse(environment.host or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"bench_load runs on loopback only, not {host!r}")


@events.request.add_listener
def _bound(**_: Any) -> None:
    global _sent
    _sent += 1
    limit = int(os.environ.get("LOAD_MAX_REQUESTS", "0"))
    env = _bound.environment  # type: ignore[attr-defined]
    if limit and _sent >= limit and env.runner is not None:
        env.runner.quit()


@events.init.add_listener
def _keep_env(environment: Any, **_: Any) -> None:
    _bound.environment = environment  # type: ignore[attr-defined]


class _Member(HttpUser):
    abstract = True

    def use(self, member: dict[str, Any]) -> None:
        self.member = member
        self.client.headers["Authorization"] = f"Bearer {member['token']}"


class Shopper(_Member):
    """A household member using the app."""

    wait_time = between(0.2, 0.6)
    weight = 1

    def on_start(self) -> None:
        self.use(next(_members))

    @task(30)
    def recommend(self) -> None:
        self.client.post(
            "/api/guide/recommend",
            json={"text": random.choice(RECOMMEND), "k": 5},
            name="recommend",
        )

    @task(20)
    def home(self) -> None:
        self.client.post("/api/home/command", json={"text": random.choice(HOME)}, name="home")

    @task(25)
    def chat(self) -> None:
        conversation = random.choice(self.member["conversations"])
        self.client.post(
            f"/api/assistant/conversations/{conversation}/messages",
            json={"text": random.choice(CHAT)},
            name="chat",
        )

    @task(25)
    def track(self) -> None:
        shipments, orders = self.member["shipments"], self.member["orders"]
        if shipments and random.random() < 0.5:
            sid = random.choice(shipments)
            self.client.get(f"/api/dispatch/shipments/{sid}/eta", name="shipment eta")
        elif orders:
            self.client.get(f"/api/orders/{random.choice(orders)}", name="order")
        else:
            self.client.get("/api/orders", name="orders")


class Dispatcher(_Member):
    """The operator: one traffic report every LOAD_TRAFFIC_EVERY_S seconds."""

    fixed_count = 1
    wait_time = constant_pacing(float(os.environ.get("LOAD_TRAFFIC_EVERY_S", "10")))

    def on_start(self) -> None:
        self.use(next(m for m in _FIXTURES if m["owner"]))

    @task
    def traffic(self) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        self.client.post(
            "/api/dispatch/traffic",
            json={
                "kind": "zone",
                "lat": 43.7384 + random.uniform(-0.004, 0.004),
                "lon": 7.4246 + random.uniform(-0.004, 0.004),
                "radius_m": 300,
                "speed_factor": round(random.uniform(0.3, 0.8), 2),
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(),
                "day": now.date().isoformat(),
            },
            name="traffic report",
        )
