"""Order intake from a CSV: 30 orders become confirmed orders with delivery shipments, once;
every bad row is named with its field and value; one external id never makes two orders."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lingxi import commerce
from lingxi.data import Database
from lingxi.data.models import Order, Shipment
from tests.helpers import Seeded, at_once, seed

HEADER = "external_id,customer_email,household_id,customer_name,line1,city,postcode,country,lat,lon,items,window_start,window_end"


def _rows(n: int, seeded: Seeded) -> list[str]:
    rows = []
    for i in range(n):
        who = ("alice@example.org", "") if i % 3 else ("", str(seeded.household_b))
        hour = 8 + i % 8
        rows.append(
            f"SHOP-{1000 + i},{who[0]},{who[1]},,{i} Boulevard des Moulins,Monaco,98000,MC,"
            f"{43.73 + i / 10000:.5f},{7.42 + i / 10000:.5f},T-1:{1 + i % 3}; T-3,"
            f"2026-12-03T{hour:02d}:00:00+01:00,2026-12-03T{hour + 2:02d}:00:00+01:00"
        )
    return rows


def _csv(rows: list[str]) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def _count(db: Database, model: type[Order] | type[Shipment]) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def lite(sqlite_db: Database) -> tuple[Database, Seeded]:
    """SQLite with the two households and three products."""
    return sqlite_db, seed(sqlite_db)


def test_thirty_orders_from_a_csv_once(lite: tuple[Database, Seeded]) -> None:
    """30 rows: 30 confirmed orders with one delivery shipment each (with its window), at the
    row's address; a dry run writes nothing; importing the file again makes no new order."""
    db, seeded = lite
    orders, unreadable = commerce.read_orders_csv(_csv(_rows(30, seeded)))
    assert len(orders) == 30 and unreadable == []
    dry = commerce.import_orders(db, orders, dry_run=True)
    assert dry.counts["would_create"] == 30 and _count(db, Order) == 0
    seen: list[str] = []
    report = commerce.import_orders(db, orders, progress=lambda r: seen.append(r.status))
    assert report.counts == {"created": 30, "duplicate": 0, "would_create": 0, "invalid": 0}
    assert seen == ["created"] * 30
    assert _count(db, Order) == 30 and _count(db, Shipment) == 30
    first = report.results[1]  # row 3: Alice, two T-1 and one T-3
    with db.session() as s:
        shipment = s.get(Shipment, first.shipment_id)
        assert shipment is not None and shipment.window_start is not None
        assert shipment.window_start == datetime(2026, 12, 3, 8, tzinfo=UTC)
        order = s.get(Order, first.order_id)
        assert order is not None and order.status == "confirmed"
        assert [(line.sku, line.quantity) for line in order.lines] == [("T-1", 2), ("T-3", 1)]
    bob_orders = [r for r in report.results if r.customer_id == seeded.bob]
    assert len(bob_orders) == 10  # household B's owner-less adult orders for it
    again = commerce.import_orders(db, orders)
    assert again.counts["duplicate"] == 30 and _count(db, Order) == 30
    assert [r.order_id for r in again.results] == [r.order_id for r in report.results]


def test_bad_rows_are_named_and_nothing_is_imported(lite: tuple[Database, Seeded]) -> None:
    """Each bad row is reported with row, field and value; without --skip-invalid nothing is
    imported, with it the good rows are."""
    db, seeded = lite
    good = _rows(3, seeded)
    bad = [
        good[0].replace("SHOP-1000", "SHOP-2000").replace("43.73000", "north"),
        good[1].replace("SHOP-1001", "SHOP-2001").replace("T-1:2", "T-9:2"),
        good[1].replace("SHOP-1001", "SHOP-2002").replace("alice@", "kid@"),
        good[1].replace("SHOP-1001", "SHOP-2003").replace("alice@", "nobody@"),
        good[1].replace("SHOP-1001", "SHOP-2004").replace("T-1:2", "T-1:500"),
        good[1].replace("SHOP-1001", "SHOP-2005").replace("2026-12-03T11:00:00+01:00", "soon"),
        good[1].replace("SHOP-1001", "SHOP-2006").replace(",2026-12-03T11:00", ",2026-12-03T08:00"),
        good[2],  # the same external id as the third good row
    ]
    orders, unreadable = commerce.read_orders_csv(_csv(good + bad))
    report = commerce.import_orders(db, orders, unreadable=unreadable)
    assert report.refused and _count(db, Order) == 0
    found = {(p.row, p.field, p.value) for p in report.problems}
    assert found == {
        (5, "lat", "north"),
        (6, "items", "T-9"),
        (7, "customer_email", "kid@example.org"),
        (8, "customer_email", "nobody@example.org"),
        (9, "items", "T-1:500"),
        (10, "window_end", "soon"),
        (11, "window_end", "2026-12-03T08:00:00+01:00"),
        (12, "external_id", "SHOP-1002"),
    }
    kid = next(p for p in report.problems if p.row == 7)
    assert "child" in kid.message
    skipped = commerce.import_orders(db, orders, unreadable=unreadable, skip_invalid=True)
    assert not skipped.refused and skipped.counts["created"] == 3 and _count(db, Order) == 3
    created = commerce.import_orders(db, orders, skip_invalid=True, create_customers=True)
    assert created.counts["created"] == 1  # nobody@ gets an account and a household


def test_missing_columns_are_named(tmp_path: Path) -> None:
    """A file without a required column is refused at row 1, naming the column."""
    orders, problems = commerce.read_orders_csv("external_id,customer_email,items\nA,a@b.c,T-1\n")
    assert orders == []
    assert {(p.row, p.field) for p in problems} == {
        (1, "line1"),
        (1, "city"),
        (1, "lat"),
        (1, "lon"),
    }


def test_one_external_id_one_order_under_concurrency(db: Database, seeded: Seeded) -> None:
    """Four concurrent deliveries of one external id (a webhook retried while the CSV runs)
    make exactly one order; every caller gets that order."""
    orders, _ = commerce.read_orders_csv(_csv(_rows(1, seeded)))
    results = at_once(
        4, lambda _: commerce.take_order(db, orders[0], source="webhook"), timeout_s=30
    )
    assert sorted(r.status for r in results) == ["created", "duplicate", "duplicate", "duplicate"]
    assert len({r.order_id for r in results}) == 1
    assert _count(db, Order) == 1 and _count(db, Shipment) == 1
