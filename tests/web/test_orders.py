"""Orders and deliveries: the list with tracking, confirming an order, and following it on the map."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from lingxi.data import Database
from lingxi.data.repos import orders
from tests.web.conftest import (
    Server,
    demo_sign_in,
    keep_document,
    same_document,
    shot,
    wait_until,
)

pytestmark = pytest.mark.integration


def _api(page: Any, server: Server) -> httpx.Client:
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    csrf = {"Origin": server.url, "X-CSRF-Token": cookies["lingxi_csrf"]}  # as the page sends
    return httpx.Client(base_url=server.url, cookies=cookies, headers=csrf, timeout=30)


@pytest.mark.parametrize("width", ["desktop"], indirect=True)
def test_order_list_shows_status_and_tracking(page: Any, server: Server) -> None:
    """The list shows each order's status; the delivered one shows its tracking timeline."""
    demo_sign_in(page, server, "mei@demo.lingxi")
    page.click("#mainnav a[data-view=orders]")
    page.wait_for_selector(".order-list")
    statuses = page.eval_on_selector_all(".order .badge", "els => els.map(e => e.dataset.status)")
    assert "delivered" in statuses
    assert any(s in statuses for s in ("out_for_delivery", "shipped", "confirmed"))
    shot(page, "orders-list")
    delivered = page.locator(".order", has=page.locator(".badge[data-status=delivered]")).first
    delivered.locator("h2 a").click()
    page.wait_for_selector(".timeline li")
    events = page.inner_text(".timeline")
    assert "Picked up" in events and "Delivered" in events
    shot(page, "orders-delivered")


def test_confirm_an_order_and_follow_it_on_the_map(page: Any, server: Server) -> None:
    """Journey: confirm a pending order in a dialog; when the courier sets out, the map, the
    courier's position and the ETA appear and move without a reload."""
    demo_sign_in(page, server, "alex@demo.lingxi")
    api = _api(page, server)
    product_id = api.get("/api/orders").json()["data"][0]["lines"][0]["product_id"]
    address_id = api.get("/api/account/export").json()["addresses"][0]["id"]
    pending = api.post(
        "/api/orders", json={"lines": [{"product_id": product_id}], "address_id": address_id}
    ).json()
    page.goto(f"{server.url}/#/orders/{pending['id']}")
    page.wait_for_selector("button:has-text('Confirm and pay')")
    page.click("button:has-text('Confirm and pay')")
    dialog = page.locator("dialog[open]")
    assert "Place this order?" in dialog.inner_text()
    dialog.locator("button:has-text('Confirm order')").click()
    page.wait_for_selector(".order-detail .badge[data-status=confirmed]")
    assert api.get(f"/api/orders/{pending['id']}").json()["status"] == "confirmed"
    keep_document(page)
    shot(page, "orders-confirmed")

    # The courier sets out (as dispatch would record it): a position and an ETA.
    shipment_id = api.get(f"/api/orders/{pending['id']}").json()["shipments"][0]["id"]
    db = Database.from_url(server.env["LINGXI_DB__URL"])
    eta = server.now() + timedelta(minutes=25)
    try:
        with server.clock(), db.session() as s:
            orders.add_tracking_event(
                s,
                shipment_id=shipment_id,
                status="out_for_delivery",
                place="Boulevard Rainier III",
                lat=43.7300,
                lon=7.4160,
                eta=eta,
            )
        page.wait_for_selector("[data-testid=delivery-map]", timeout=20_000)
        assert page.get_attribute("[data-testid=delivery-map]", "data-vehicle") == "7.416,43.73"
        first_eta = page.inner_text("[data-testid=eta]")
        assert "Arrives" in first_eta
        shot(page, "orders-out-for-delivery")

        # Traffic: the courier moves on and the ETA slips; the page follows without a reload.
        later = eta + timedelta(minutes=17)
        with server.clock(), db.session() as s:
            orders.add_tracking_event(
                s,
                shipment_id=shipment_id,
                status="out_for_delivery",
                place="Avenue de la Costa",
                lat=43.7320,
                lon=7.4175,
                eta=later,
            )
        wait_until(
            page,
            "document.querySelector('[data-testid=delivery-map]').dataset.vehicle === '7.4175,43.732'",
            timeout_s=20,
        )
        wait_until(
            page, f"document.querySelector('[data-testid=eta]').textContent !== {first_eta!r}"
        )
        assert same_document(page)
        shot(page, "orders-eta-changed")
    finally:
        db.dispose()


@pytest.mark.parametrize("width", ["desktop"], indirect=True)
def test_double_click_on_confirm_pays_once(page: Any, server: Server) -> None:
    """A double-click on the dialog's Confirm (and a second confirm from the same page, as a
    retry would send): one shipment, no error shown, the order confirmed."""
    demo_sign_in(page, server, "alex@demo.lingxi")
    api = _api(page, server)
    product_id = api.get("/api/orders").json()["data"][0]["lines"][0]["product_id"]
    pending = api.post("/api/orders", json={"lines": [{"product_id": product_id}]}).json()
    page.goto(f"{server.url}/#/orders/{pending['id']}")
    page.click("button:has-text('Confirm and pay')")
    page.locator("dialog[open] button:has-text('Confirm order')").dblclick()
    page.wait_for_selector(".order-detail .badge[data-status=confirmed]")
    # The page's own api() again with the same act's key, as a double submit would.
    again = page.evaluate(
        """async (id) => {
            const { api } = await import('/static/js/api.js');
            return api(`/api/orders/${id}/confirm`, { method: 'POST', idempotencyKey: `confirm-${id}` });
        }""",
        pending["id"],
    )
    assert again["status"] == "confirmed"
    order = api.get(f"/api/orders/{pending['id']}").json()
    assert order["status"] == "confirmed"
    assert [s["kind"] for s in order["shipments"]] == ["delivery"]
    assert page.locator("#toast").get_attribute("data-kind") != "error"
