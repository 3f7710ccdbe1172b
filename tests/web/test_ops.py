"""Operations: plan the day, see the routes on the map, report traffic and watch an ETA change."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Console, Server, demo_sign_in, has_route, shot, wait_until, watch

pytestmark = pytest.mark.integration

MEI_HOME = "43.730465,7.4171885"


def test_report_traffic_and_see_the_eta_change(page: Any, server: Server, console: Console) -> None:
    """Journey: the operator plans the day and reports slow traffic around a stop; the routes
    re-plan, and the customer's open order page shows the new ETA without a reload."""
    if not has_route(server, "/api/dispatch/traffic"):
        pytest.skip("the dispatch traffic route has not landed")
    demo_sign_in(page, server, "mei@demo.lingxi")
    page.click("#mainnav a[data-view=ops]")
    page.wait_for_selector(".traffic-form")
    page.click("button:has-text('Plan the day again')")
    page.wait_for_selector("[data-testid=routes]", timeout=60_000)
    assert page.locator("[data-testid=ops-map] path.route").count() >= 1
    shot(page, "ops-planned")

    # The customer's view of the delivery, open in a second tab of the same browser.
    customer = watch(page.context.new_page(), console)
    customer.goto(f"{server.url}/#/orders/1")
    customer.wait_for_selector("[data-testid=delivery-map] path.route", timeout=30_000)
    before = customer.inner_text("[data-testid=eta]")
    assert "Arrives" in before and "not known" not in before

    page.select_option("#traffic-target", MEI_HOME)
    page.select_option("#traffic-radius", "800")
    page.select_option("#traffic-factor", "5")
    page.click(".traffic-form button[type=submit]")
    page.wait_for_selector("[data-testid=traffic-result]:not(:empty)", timeout=60_000)
    result = page.inner_text("[data-testid=traffic-result]")
    assert "re-planned" in result and not result.startswith("0 route")
    shot(page, "ops-after-traffic")
    assert page.locator(".chart").count() == 2

    # A road segment picked on the map is reported the same way.
    page.locator("[data-testid=ops-map] .road-hit path").nth(40).dispatch_event("click")
    assert page.input_value("#traffic-target").startswith("way:")
    with page.expect_response(lambda r: r.url.endswith("/api/dispatch/traffic")) as sent:
        page.click(".traffic-form button[type=submit]")
    assert sent.value.status == 200
    assert sent.value.request.post_data_json["kind"] == "segment"

    wait_until(
        customer,
        f"document.querySelector('[data-testid=eta]').textContent !== {before!r}",
        timeout_s=30,
    )
    assert customer.evaluate("performance.getEntriesByType('navigation').length") == 1
    shot(customer, "ops-customer-eta-changed")
