"""The demo data loads on both databases, and loading again changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lingxi.data import Base, Database
from lingxi.data.repos import identity, orders
from lingxi.data.repos.demo import load_demo


def _counts(db: Database) -> dict[str, int]:
    with db.session() as s:
        return {
            t.name: s.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
            if t.name not in ("domain_event", "auth_token")
        }


@pytest.mark.slow
def test_demo_loads_and_is_idempotent(db: Database) -> None:
    """A second load neither duplicates nor loses a row; the demo has what the app needs."""
    steps: list[str] = []
    report = load_demo(db, on_step=steps.append)
    assert steps == ["catalogue", "fleet", "households", "homes"]
    assert report["products"] == 1472 and report["households_created"] == 2
    first = _counts(db)
    again = load_demo(db)
    assert again["catalogue_inserted"] == 0 and again["households_created"] == 0
    assert _counts(db) == first
    # Chen, Smith, the other Monaco customers and the deployment's own (the staff account).
    assert first["household"] == 4 and first["vehicle"] == 3 and first["entity"] >= 15
    with db.session() as s:
        ops = identity.authenticate(s, email="ops@demo.lingxi", password="lingxi-demo-ops")
        assert ops.role == "staff" and ops.household_id == identity.deployment_household(s)
        mei = identity.authenticate(s, email="mei@demo.lingxi", password="lingxi-demo-mei")
        profile = identity.get_profile(s, customer_id=mei.customer_id)
        mine = orders.list_orders(s, household_id=mei.household_id)
    assert profile.skin_types == ["dry", "sensitive"]
    assert {o.status for o in mine} == {"shipped", "delivered"}
    # Demo histories are back-dated and in order: created, picked up, ..., delivered.
    for order in mine:
        times = [e.occurred_at for e in order.shipments[0].events]
        assert times == sorted(times) and order.shipments[0].events[0].status == "created"
        assert order.created_at <= times[0]
