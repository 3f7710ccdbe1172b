"""The shop (issue 18 parts 2 and 4), on the real server in Chromium: a product page opened from a
chat card, ordering from it with one confirm, comparing there; the Return button (one return for
a double-click, none outside the window); a live ETA that goes stale on a pinned clock; and an
order placed in chat showing its planned ETA."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from lingxi.data import Database
from lingxi.data.repos import orders
from tests.web.conftest import Server, demo_sign_in, shot, wait_until

pytestmark = pytest.mark.integration


def _api(page: Any, server: Server) -> httpx.Client:
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    csrf = {"Origin": server.url, "X-CSRF-Token": cookies["lingxi_csrf"]}  # as the page sends
    return httpx.Client(base_url=server.url, cookies=cookies, headers=csrf, timeout=60)


def _ask(page: Any, text: str, *, cards: bool = True) -> None:
    before = page.locator(".msg-bot").count()
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")
    page.wait_for_selector(f".msg-bot >> nth={before}")
    if cards:
        page.wait_for_selector(".msg-bot:last-child:not(.pending) .product", timeout=60_000)
    page.wait_for_selector(".chat[data-busy=false]", timeout=60_000)


def _order(api: httpx.Client, *, delivered_days_ago: float | None, server: Server) -> int:
    """A confirmed order of one product (delivered ``delivered_days_ago`` days before the
    server's now, when given); its id."""
    product_id = api.get("/api/orders").json()["data"][0]["lines"][0]["product_id"]
    address_id = api.get("/api/account/export").json()["addresses"][0]["id"]
    made = api.post(
        "/api/orders", json={"lines": [{"product_id": product_id}], "address_id": address_id}
    ).json()
    placed = api.post(f"/api/orders/{made['id']}/confirm").json()
    if delivered_days_ago is not None:
        # The server's now, read before server.clock() moves this process to it.
        at = server.now() - timedelta(days=delivered_days_ago)
        db = Database.from_url(server.env["LINGXI_DB__URL"])
        try:
            with server.clock(), db.session() as s:
                orders.add_tracking_event(
                    s,
                    shipment_id=placed["shipments"][0]["id"],
                    status="delivered",
                    place="door",
                    occurred_at=at,
                )
        finally:
            db.dispose()
    return int(made["id"])


def test_product_page_from_a_chat_card_compare_and_order_once(page: Any, server: Server) -> None:
    """A card carries a picture, price, rating with its review count and a link; the page shows
    the price, the rating, every skin-type flag, the asked-about ingredient marked, compares
    with a human-labelled table, and orders after one confirm (one order, one shipment)."""
    demo_sign_in(page, server, "alex@demo.lingxi")
    api = _api(page, server)
    _ask(page, "a cleanser for oily skin without alcohol")
    card = page.locator(".msg-bot:last-child .product").first
    wait_until(page, "document.querySelector('.msg-bot:last-child .product-thumb img')?.complete")
    assert page.evaluate(
        "document.querySelector('.msg-bot:last-child .product-thumb img').naturalWidth > 0"
    )
    assert card.locator(".review-count").count() == 1
    assert card.locator(".product-price").inner_text().startswith("$")
    product_id = int(card.get_attribute("data-product-id"))
    shot(page, "shop-chat-cards")
    card.locator(".product-link").click()
    page.wait_for_selector(".shop-product")
    assert re.search(rf"#/product/{product_id}\?need=", page.url)
    assert page.locator("[data-testid=price]").inner_text().startswith("$")
    rating = page.locator("[data-testid=rating]").inner_text()
    assert "/ 5" in rating and ("reviews" in rating or "review count not known" in rating)
    flags = page.eval_on_selector_all(".skin-flags li", "els => els.map(e => e.dataset.skin)")
    assert flags == ["combination", "dry", "normal", "oily", "sensitive"]
    assert page.locator(".skin-flags li[data-skin=oily][data-suitable=true]").count() == 1
    asked = page.locator(".asked li[data-ingredient=alcohol]")
    assert asked.count() == 1 and asked.get_attribute("data-present") == "false"
    assert page.locator(".label-list li").count() > 3
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    shot(page, "shop-product")

    page.select_option("#compare-with", index=1)
    page.click(".btn-compare")
    page.wait_for_selector(".shop-compare .comparison table")
    table = page.inner_text(".shop-compare .comparison table")
    assert "Skin types" in table and "Key ingredients" in table
    assert "skin_types" not in table and "notable_ingredients" not in table
    assert page.locator(".shop-compare .comparison tr.differs").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    shot(page, "shop-compare")
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})  # the table scrolls in its box
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.set_viewport_size(size)

    before = {o["id"] for o in api.get("/api/orders").json()["data"]}
    page.click(".shop-actions .btn-order")
    dialog = page.locator("dialog[open]")
    assert "Place this order?" in dialog.inner_text()
    dialog.locator("button:has-text('Confirm order')").dblclick()
    page.wait_for_selector(".order-detail .badge[data-status=confirmed]")
    new = [o for o in api.get("/api/orders").json()["data"] if o["id"] not in before]
    assert len(new) == 1 and new[0]["status"] == "confirmed"
    assert [line["product_id"] for line in new[0]["lines"]] == [product_id]
    assert [s["kind"] for s in new[0]["shipments"]] == ["delivery"]


@pytest.mark.parametrize("width", ["phone"], indirect=True)
def test_product_page_in_chinese(page: Any, server: Server) -> None:
    """zh: ¥ beside US$ at the configured rate, Chinese flags and labels, the comparison's rows
    in Chinese."""
    demo_sign_in(page, server, "alex@demo.lingxi", lang="zh")
    _ask(page, "油性皮肤的洁面，不含酒精")
    page.locator(".msg-bot:last-child .product .product-link").first.click()
    page.wait_for_selector(".shop-product")
    price = page.locator("[data-testid=price]").inner_text()
    assert re.fullmatch(r"¥[\d.]+（\$[\d.]+）", price), price
    assert "1 美元 = 7.2 元" in page.inner_text(".shop-price")
    assert "油性" in page.inner_text(".skin-flags")
    assert page.locator(".asked li[data-ingredient=alcohol]").inner_text().startswith("酒精")
    shot(page, "shop-product-zh")
    page.select_option("#compare-with", index=1)
    page.click(".btn-compare")
    page.wait_for_selector(".shop-compare .comparison table")
    rows = page.inner_text(".shop-compare .comparison tbody")
    assert "适合肤质" in rows and "Skin types" not in rows and "油性" in rows
    category = page.locator(".shop-compare .comparison tr[data-aspect=category] td")
    assert category.all_inner_texts() == ["洁面", "洁面"]  # the catalogue's label, in Chinese
    key = page.locator(".shop-compare .comparison tr[data-aspect=notable_ingredients] td")
    assert not any(re.search(r"[a-z]{3}", v) for v in key.all_inner_texts()), key.all_inner_texts()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    shot(page, "shop-compare-zh")


def test_double_click_on_return_makes_one_return(page: Any, server: Server) -> None:
    """A delivered order within the window has a Return button; a double-click on it and on the
    dialog's confirm (and a replay of the same act) book one pickup; an order delivered 31 days
    ago has no button and says the window ended."""
    demo_sign_in(page, server, "alex@demo.lingxi")
    api = _api(page, server)
    order_id = _order(api, delivered_days_ago=1, server=server)
    page.goto(f"{server.url}/#/orders/{order_id}")
    page.wait_for_selector(".btn-return")
    assert "Returns accepted until" in page.inner_text(".return-note")
    page.dblclick(".btn-return")
    page.wait_for_selector("dialog[open]")
    assert page.locator("dialog[open]").count() == 1
    assert "Return this order?" in page.inner_text("dialog[open]")
    page.locator("dialog[open] button:has-text('Request the return')").dblclick()
    page.wait_for_selector(".order-detail .badge[data-status=return_requested]")
    assert page.locator(".btn-return").count() == 0  # every unit is on its way back
    again = page.evaluate(
        """async (id) => {
            const { api } = await import('/static/js/api.js');
            return api(`/api/orders/${id}/return`, { method: 'POST', body: {}, idempotencyKey: `return-${id}-0` });
        }""",
        order_id,
    )
    assert again["status"] == "return_requested"
    got = api.get(f"/api/orders/{order_id}").json()
    assert [s["kind"] for s in got["shipments"]] == ["delivery", "return"]
    assert page.locator("#toast").get_attribute("data-kind") != "error"
    shot(page, "shop-order-returned")

    old = _order(api, delivered_days_ago=31, server=server)
    page.goto(f"{server.url}/#/orders/{old}")
    page.wait_for_selector(".return-note")
    assert "The return window ended" in page.inner_text(".return-note")
    assert page.locator(".btn-return").count() == 0
    # The rule the button hides is the server's: a return outside the window is refused (409).
    refused = api.post(f"/api/orders/{old}/return", json={})
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["field"] == "delivered_at"


def test_live_eta_goes_stale_on_a_pinned_clock(page: Any, server: Server) -> None:
    """A parcel on its way shows when its ETA was updated; once nothing updated it for longer
    than LINGXI_DISPATCH__ETA_STALE_AFTER_S, the page says it may be out of date."""
    demo_sign_in(page, server, "alex@demo.lingxi")
    api = _api(page, server)
    order_id = _order(api, delivered_days_ago=None, server=server)
    doc = api.get(f"/api/orders/{order_id}").json()
    limit_s = doc["eta_stale_after_s"]
    eta = server.now() + timedelta(hours=3)
    db = Database.from_url(server.env["LINGXI_DB__URL"])
    try:
        with server.clock(), db.session() as s:
            orders.add_tracking_event(
                s,
                shipment_id=doc["shipments"][0]["id"],
                status="out_for_delivery",
                place="Boulevard Rainier III",
                lat=43.7300,
                lon=7.4160,
                eta=eta,
            )
    finally:
        db.dispose()
    page.goto(f"{server.url}/#/orders/{order_id}")
    page.wait_for_selector("[data-testid=eta-age]:not([hidden])")
    assert page.get_attribute("[data-testid=eta]", "data-stale") == "false"
    assert "ETA updated" in page.inner_text("[data-testid=eta-age]")
    page.clock.fast_forward(int((limit_s + 120) * 1000))  # the page's clock only
    wait_until(
        page, "document.querySelector('[data-testid=eta]').dataset.stale === 'true'", timeout_s=20
    )
    assert "may be out of date" in page.inner_text("[data-testid=eta-age]")
    shot(page, "shop-eta-stale")
    # A fresh ETA (a courier's re-estimate, stamped at the page's moved-on time) reaches the page
    # by its poll of the order route, without a reload, and it is no longer stale.
    fresh_at = server.now() + timedelta(seconds=limit_s + 120)
    db = Database.from_url(server.env["LINGXI_DB__URL"])
    try:
        with db.session() as s:
            orders.add_tracking_event(
                s,
                shipment_id=doc["shipments"][0]["id"],
                status="out_for_delivery",
                place="Avenue de la Costa",
                eta=eta + timedelta(minutes=20),
                occurred_at=fresh_at,
            )
    finally:
        db.dispose()
    wait_until(
        page, "document.querySelector('[data-testid=eta]').dataset.stale === 'false'", timeout_s=20
    )
    assert "ETA updated" in page.inner_text("[data-testid=eta-age]")


@pytest.mark.parametrize("width", ["desktop"], indirect=True)
def test_an_order_placed_in_chat_shows_its_planned_eta(page: Any, server: Server) -> None:
    """ "buy the first one", yes: the reply carries the order with its ETA, and the order's
    page and the list show that ETA, never "ETA not known yet"."""
    demo_sign_in(page, server, "alex@demo.lingxi")
    api = _api(page, server)
    _ask(page, "a cleanser for oily skin")
    _ask(page, "buy the first one", cards=False)
    page.locator(".msg-bot:last-child .actions button").click()
    replies = page.locator(".msg-bot").count()
    page.locator("dialog[open] .btn-primary").click()
    page.wait_for_selector(f".msg-bot >> nth={replies}")
    page.wait_for_selector(".msg-bot:last-child .placed-order", timeout=60_000)
    placed = page.locator(".msg-bot:last-child .placed-order")
    order_id = int(placed.get_attribute("data-order-id"))
    eta = api.get(f"/api/orders/{order_id}").json()["shipments"][0]["eta"]
    assert eta is not None  # planned at once on the demo fleet
    assert "Arrives" in placed.inner_text()
    placed.locator("a").click()
    page.wait_for_selector(".order-detail [data-testid=eta]")
    wait_until(page, "document.querySelector('[data-testid=eta]').textContent.includes('Arrives')")
    assert "not known" not in page.inner_text(".order-detail")
    # The order's line leads back to the product's page.
    product_id = api.get(f"/api/orders/{order_id}").json()["lines"][0]["product_id"]
    assert page.get_attribute(".order-detail .line-product", "href") == f"#/product/{product_id}"
    page.click("#mainnav a[data-view=orders]")
    line = page.locator(f".order[data-order-id='{order_id}'] .eta-line")
    line.wait_for()
    assert "Arrives" in line.inner_text()
    shot(page, "shop-chat-order-eta")
