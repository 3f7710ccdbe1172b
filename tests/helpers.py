"""Small shared builders for tests: two households, a handful of products."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
from fastapi.testclient import TestClient

from lingxi.data import Database
from lingxi.data.models import Role
from lingxi.data.repos import catalog, identity, orders

PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class Seeded:
    """Ids of what :func:`seed` created."""

    household_a: int
    household_b: int
    alice: int
    bob: int
    child: int
    alice_address: int
    bob_address: int
    products: tuple[int, ...]


def products() -> list[catalog.ProductRecord]:
    """Three tiny products with INCI lists."""
    return [
        catalog.ProductRecord(
            sku="T-1",
            brand="ACME",
            name="Gentle Cleanser",
            category="Cleanser",
            price_minor=1800,
            rating=4.5,
            ingredients_raw="Water, Glycerin, Cetearyl Alcohol, Niacinamide.",
            skin_types=frozenset({"dry", "sensitive"}),
        ),
        catalog.ProductRecord(
            sku="T-2",
            brand="ACME",
            name="Matte Gel",
            category="Moisturizer",
            price_minor=3200,
            rating=4.0,
            ingredients_raw="Water, Alcohol Denat., Fragrance (Parfum), Methylparaben",
            skin_types=frozenset({"oily"}),
        ),
        catalog.ProductRecord(
            sku="T-3",
            brand="Other",
            name="Sun Milk SPF 50",
            category="Sun protect",
            price_minor=2500,
            rating=None,
            ingredients_raw="No Info",
        ),
    ]


def seed(db: Database) -> Seeded:
    """Two households (A: Alice + a child, B: Bob), addresses and three products."""
    with db.session() as s:
        ha = identity.create_household(s, name="A")
        hb = identity.create_household(s, name="B")
        alice = identity.create_customer(
            s,
            household_id=ha,
            email="alice@example.org",
            display_name="Alice",
            password=PASSWORD,
            role=Role.OWNER,
        )
        child = identity.create_customer(
            s, household_id=ha, email="kid@example.org", display_name="Kid", role=Role.CHILD
        )
        bob = identity.create_customer(
            s, household_id=hb, email="bob@example.org", display_name="Bob", password=PASSWORD
        )
        addr_a = identity.add_address(
            s, customer_id=alice, line1="1 Quai Antoine", city="Monaco", lat=43.735, lon=7.421
        )
        addr_b = identity.add_address(
            s, customer_id=bob, line1="2 Rue Grimaldi", city="Monaco", lat=43.732, lon=7.419
        )
        catalog.upsert_products(s, records=products())
        ids = tuple(p.id for p in catalog.list_products(s))
    return Seeded(ha, hb, alice, bob, child, addr_a, addr_b, ids)


def add_staff(db: Database, email: str = "ops@example.org") -> int:
    """A staff member (the deployment's operator) with :data:`PASSWORD`; their customer id."""
    with db.session() as s:
        return identity.create_customer(
            s,
            household_id=identity.deployment_household(s),
            email=email,
            display_name="Operator",
            password=PASSWORD,
            role=Role.STAFF,
        )


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Bearer headers for ``email`` (signed in through the real login route)."""
    r = client.post("/api/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


T = TypeVar("T")


def at_once(n: int, call: Callable[[int], T], *, timeout_s: float = 120) -> list[T]:
    """``call(i)`` for i in 0..n-1 from n threads released together by a barrier, their results
    in order; the first exception a call raised is raised here, after every thread ended."""
    barrier = threading.Barrier(n)
    out: list[tuple[T] | None] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            out[i] = (call(i),)
        except BaseException as err:  # surfaced below, never swallowed
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout_s)
    if errors:
        raise errors[0]
    assert all(r is not None for r in out), "a call did not finish"
    return [r[0] for r in out if r is not None]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_subprocess(
    url: str, port: int, cwd: Path, *, timeout_s: float = 60.0
) -> subprocess.Popen[bytes]:
    """``lingxi serve`` on ``url`` in its own process, returned once ``/api/health`` answers 200."""
    env = {**os.environ, "LINGXI_DB__URL": url, "LINGXI_ENVIRONMENT": "test"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lingxi.cli", "serve", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def seed_fleet(db: Database) -> tuple[Seeded, list[int]]:
    """:func:`seed`, a Fontvieille depot with two vans (capacity 10) and four confirmed orders,
    Alice's and Bob's in turn; their shipment ids."""
    from lingxi.data.models import Depot, Vehicle

    ids = seed(db)
    shipments: list[int] = []
    with db.session() as s:
        depot = Depot(name="Fontvieille", lat=43.72905, lon=7.41520)
        s.add(depot)
        s.flush()
        for name in ("van-1", "van-2"):
            s.add(Vehicle(depot_id=depot.id, name=name, capacity=10))
        for household, customer, address in (
            (ids.household_a, ids.alice, ids.alice_address),
            (ids.household_b, ids.bob, ids.bob_address),
        ) * 2:
            o = orders.create_order(
                s,
                household_id=household,
                customer_id=customer,
                lines=[orders.LineRequest(ids.products[0], 1)],
                address_id=address,
            )
            shipments.append(
                orders.confirm_order(s, household_id=household, order_id=o.id).shipments[0].id
            )
    return ids, shipments
