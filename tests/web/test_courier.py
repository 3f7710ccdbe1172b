"""The courier's phone (375 px, Chromium): the day's stops, delivering two of them (a double tap
records one event) and sharing the device's position, which re-computes the ETAs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from lingxi.data import Database
from lingxi.data.models import Customer, Order, Shipment, TrackingEvent
from tests.web.conftest import (
    RESTAMP,
    Console,
    Server,
    demo_sign_in,
    keep_document,
    new_page,
    open_app,
    same_document,
    shot,
    wait_until,
    watch,
)

pytestmark = pytest.mark.integration

CASINO = {"latitude": 43.7396, "longitude": 7.4276, "accuracy": 15}
PORT = {"latitude": 43.7347, "longitude": 7.4218, "accuracy": 9}


def _ops(server: Server) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=120)
    r = client.post(
        "/api/auth/login", json={"email": "ops@demo.lingxi", "password": "lingxi-demo-ops"}
    )
    client.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return client


def _others(db: Database) -> set[int]:
    """Shipments of the demo's anonymous "Monaco customers" (no other test follows them)."""
    with db.session() as s:
        return set(
            s.scalars(
                select(Shipment.id)
                .join(Order, Order.id == Shipment.order_id)
                .join(Customer, Customer.id == Order.customer_id)
                .where(Customer.email == "customers@demo.lingxi")
            )
        )


def _delivered_events(db: Database, shipment_id: int) -> int:
    with db.session() as s:
        return int(
            s.scalar(
                select(func.count(TrackingEvent.id)).where(
                    TrackingEvent.shipment_id == shipment_id, TrackingEvent.status == "delivered"
                )
            )
            or 0
        )


def _top_up(db: Database, count: int) -> None:
    """New confirmed orders for the demo's other customers: the started round keeps its stops,
    so the later journeys on this shared server still find a day to plan."""
    from lingxi.data.models import Address, Product
    from lingxi.data.repos import orders

    with db.session() as s:
        customer = s.scalars(
            select(Customer).where(Customer.email == "customers@demo.lingxi")
        ).one()
        addresses = list(s.scalars(select(Address.id).where(Address.customer_id == customer.id)))
        product = s.scalars(select(Product.id).order_by(Product.id).limit(1)).one()
        for address in addresses[:count]:
            o = orders.create_order(
                s,
                household_id=customer.household_id,
                customer_id=customer.id,
                lines=[orders.LineRequest(product, 1)],
                address_id=address,
            )
            orders.confirm_order(s, household_id=customer.household_id, order_id=o.id)


def _eta(db: Database, shipment_id: int) -> datetime | None:
    with db.session() as s:
        return s.scalar(select(Shipment.eta).where(Shipment.id == shipment_id))


def test_courier_delivers_two_stops_and_shares_the_position(
    browser: Any, server: Server, console: Console
) -> None:
    """Journey at 375 px: the operator plans the day; the courier of the busiest van sees its
    stops in order with navigation links, starts the round, shares the position (the remaining
    ETAs move, and a customer's open order page follows without a reload), and delivers two
    stops, one with a double tap (one event)."""
    db = Database.from_url(server.env["LINGXI_DB__URL"])
    ops = _ops(server)
    try:
        day = server.now().date().isoformat()
        plan = ops.post("/api/dispatch/plan", json={"day": day, "time_limit_s": 1}).json()
        others = _others(db)
        route = max(
            plan["routes"], key=lambda r: sum(s["shipment_id"] in others for s in r["stops"])
        )
        order = [s["shipment_id"] for s in route["stops"]]
        mine = [sid for sid in order if sid in others]
        assert len(mine) >= 3, plan
        if route["vehicle"] == "van-1":
            email, password = "courier@demo.lingxi", "lingxi-demo-courier"
        else:
            email = f"driver-{route['vehicle']}@example.org"
            doc = server.cli(
                "user", "add", email, "--role", "courier", "--vehicle", route["vehicle"], "--json"
            )
            password = httpx.Response(200, text=doc).json()["password"]

        context = browser.new_context(
            viewport={"width": 375, "height": 812},
            locale="en-GB",
            geolocation=CASINO,
            permissions=["geolocation"],
        )
        context.clock.install(time=server.now())
        context.add_init_script(RESTAMP)
        page = watch(context.new_page(), console)
        open_app(page, server)
        page.fill("#signin-email", email)
        page.fill("#signin-password", password)
        page.click("form.signin-form button[type=submit]")
        page.wait_for_selector("[data-testid=courier-stops] li.stop")
        assert page.evaluate("location.hash") == "#/courier"
        shown = page.eval_on_selector_all(
            "li.stop", "els => els.map(e => Number(e.dataset.shipmentId))"
        )
        assert shown == order
        first = page.locator("li.stop").first
        assert first.locator("a[data-nav=geo]").get_attribute("href").startswith("geo:43.")
        osm = first.locator("a[data-nav=osm]").get_attribute("href")
        assert osm.startswith("https://www.openstreetmap.org/directions?")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        shot(page, "courier-stops")

        page.click("button[data-act=start]")
        page.wait_for_selector("li.stop[data-status=out_for_delivery]")

        # Mei follows her parcel (order 1, on this round when the plan put it there) in her own
        # browser.
        with db.session() as s:
            mei_parcel = s.scalar(select(Shipment.id).where(Shipment.order_id == 1))
        follow = mei_parcel in order
        customer = new_page(browser, "phone", console)
        demo_sign_in(customer, server, "mei@demo.lingxi")
        customer.goto(f"{server.url}/#/orders/1")
        customer.wait_for_selector("[data-testid=eta]")
        keep_document(customer)
        mei_before = customer.inner_text("[data-testid=eta]")

        # Share the position: the first fix, then the device moves and a second one is sent.
        last = mine[-1]
        before = _eta(db, last)
        page.click("button[data-act=share]")
        wait_until(
            page, "document.querySelector('[data-testid=position-status]').dataset.sent >= '1'"
        )
        context.set_geolocation(PORT)
        try:
            wait_until(
                page,
                "Number(document.querySelector('[data-testid=position-status]').dataset.sent) >= 2",
                timeout_s=25,
            )
        except AssertionError:
            status = page.inner_text("[data-testid=position-status]")
            raise AssertionError(f"{status}\n{server.log.read_text()[-3000:]}") from None
        assert _eta(db, last) != before  # re-computed from where the courier is
        if follow:
            wait_until(
                customer,
                f"document.querySelector('[data-testid=eta]').textContent !== {mei_before!r}",
                timeout_s=20,
            )
        assert same_document(customer)
        shot(customer, "courier-customer-eta")
        customer.context.close()
        with db.session() as s:
            from lingxi.data.models import CourierPosition

            latest = s.scalars(
                select(CourierPosition).order_by(CourierPosition.id.desc()).limit(1)
            ).one()
            assert (latest.lat, latest.lon) == (PORT["latitude"], PORT["longitude"])

        # Deliver two stops; the first with a double tap.
        a, b = mine[0], mine[1]
        page.dblclick(f"li.stop[data-shipment-id='{a}'] button[data-act=delivered]")
        page.wait_for_selector(f"li.stop[data-shipment-id='{a}'][data-status=delivered]")
        page.click(f"li.stop[data-shipment-id='{b}'] button[data-act=delivered]")
        page.wait_for_selector(f"li.stop[data-shipment-id='{b}'][data-status=delivered]")
        assert _delivered_events(db, a) == 1 and _delivered_events(db, b) == 1
        shot(page, "courier-delivered")
        context.close()
        with server.clock():
            _top_up(db, 6)
    finally:
        ops.close()
        db.dispose()
    assert console.unexpected() == []
