"""The operator console: staff only; the fleet board, a day plan as a job with a progress bar,
the server's history of plans, a traffic report that says what it changed, and the customer's
page following the new ETA."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import (
    Console,
    Server,
    demo_sign_in,
    keep_document,
    new_page,
    same_document,
    shot,
    wait_until,
)

pytestmark = pytest.mark.integration

MEI_HOME = "43.730465,7.4171885"


def _history_points(page: Any) -> int:
    return int(page.get_attribute("[data-testid=cost-chart]", "data-points") or 0)


def test_staff_plan_the_day_as_a_job_and_report_traffic(
    page: Any, browser: Any, width: str, server: Server, console: Console
) -> None:
    """Journey: the operations desk (staff) opens the console: routes with each vehicle's
    position (planned, as no courier reported one), the households' devices and the charts from
    the server's history. Two quick clicks on "plan the day" start one job, followed by a
    progress bar to 100 %; the history gains that plan. A traffic report around a stop re-plans
    and says so in one consistent sentence; the customer's open order page shows the new ETA."""
    demo_sign_in(page, server, "ops@demo.lingxi")
    assert page.is_visible("#mainnav a[data-view=ops]")
    page.click("#mainnav a[data-view=ops]")
    page.wait_for_selector("[data-testid=routes]", timeout=60_000)
    assert "Demo" not in page.inner_text("#main header")
    assert page.locator("[data-testid=ops-map] path.route").count() >= 1
    sources = page.locator("[data-testid=routes] [data-source]")
    assert sources.count() >= 1
    assert {sources.nth(i).get_attribute("data-source") for i in range(sources.count())} <= {
        "planned",
        "reported",
    }
    assert page.locator("[data-testid=ops-map] .marker-vehicle").count() == sources.count()
    page.wait_for_selector("[data-testid=homes] tbody tr")
    before = _history_points(page)
    assert before >= 1  # `lingxi demo load` planned the day: the server has it, not this browser

    plans: list[int] = []
    page.on("request", lambda r: plans.append(1) if r.url.endswith("/api/ops/plan") else None)
    page.evaluate(
        "() => { const b = document.querySelector('[data-testid=plan-day]'); b.click(); b.click(); }"
    )
    page.wait_for_selector(".job-progress:not([hidden])")
    seen = set()
    wait_until(page, "document.querySelector('[data-testid=job-progress]').value > 0", timeout_s=60)
    for _ in range(200):
        seen.add(page.evaluate("document.querySelector('[data-testid=job-progress]').value"))
        if page.evaluate("document.querySelector('.job-progress').dataset.status") == "done":
            break
        page.wait_for_timeout(100)
    assert page.get_attribute(".job-progress", "data-status") == "done"
    # The status can turn "done" between the loop's two reads: read the bar once more after it.
    seen.add(page.evaluate("document.querySelector('[data-testid=job-progress]').value"))
    assert max(seen) == 1 and len(seen) >= 2, seen
    assert plans == [1]
    wait_until(
        page,
        f"Number(document.querySelector('[data-testid=cost-chart]').dataset.points) > {before}",
    )
    assert page.locator(".chart").count() == 2
    assert page.locator("[data-testid=plan-history] tbody tr").count() >= 2
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the console overflows by {overflow}px"
    shot(page, "ops-planned")

    # The customer's view of the delivery, in a browser session of her own.
    customer = new_page(browser, width, console)
    demo_sign_in(customer, server, "mei@demo.lingxi")
    assert not customer.is_visible("#mainnav a[data-view=ops]")
    customer.goto(f"{server.url}/#/orders/1")
    customer.wait_for_selector("[data-testid=delivery-map] path.route", timeout=30_000)
    eta_before = customer.inner_text("[data-testid=eta]")
    keep_document(customer)
    assert "Arrives" in eta_before and "not known" not in eta_before

    page.select_option("#traffic-target", MEI_HOME)
    page.select_option("#traffic-radius", "800")
    page.select_option("#traffic-factor", "5")
    page.click(".traffic-form button[type=submit]")
    page.wait_for_selector("[data-testid=traffic-result]:not(:empty)", timeout=60_000)
    result = page.inner_text("[data-testid=traffic-result]")
    assert "re-planned" in result and not result.startswith("0 route")
    assert "the plan was updated" in result and "nothing was re-planned" not in result
    wait_until(
        page,
        "[...document.querySelectorAll('[data-testid=plan-history] td')].some(td => td.textContent === 'Traffic re-plan')",
    )
    shot(page, "ops-after-traffic")

    # A road segment picked on the map is reported the same way, as a job.
    page.locator("[data-testid=ops-map] .road-hit path").nth(40).dispatch_event("click")
    assert page.input_value("#traffic-target").startswith("way:")
    with page.expect_response(lambda r: r.url.endswith("/api/ops/traffic")) as sent:
        page.click(".traffic-form button[type=submit]")
    assert sent.value.status == 202
    assert sent.value.request.post_data_json["kind"] == "segment"
    page.wait_for_selector(".traffic-form button:not([disabled])", timeout=60_000)
    text = page.inner_text("[data-testid=traffic-result]")
    assert ("the plan was updated" in text) != ("nothing was re-planned" in text), text

    wait_until(
        customer,
        f"document.querySelector('[data-testid=eta]').textContent !== {eta_before!r}",
        timeout_s=30,
    )
    assert same_document(customer)
    shot(customer, "ops-customer-eta-changed")
    customer.context.close()


def test_a_household_owner_gets_no_operations_console(
    page: Any, server: Server, console: Console
) -> None:
    """An owner sees no operations entry in the menu; opening #/ops directly shows the
    staff-only notice and no board, and every ops API answers her 403."""
    console.allow("status of 403")  # the fetches below, on purpose
    demo_sign_in(page, server, "mei@demo.lingxi")
    assert page.locator("#mainnav a[data-view=ops]").is_hidden()
    page.goto(f"{server.url}/#/ops")
    page.wait_for_selector("#main .notice")
    assert "staff" in page.inner_text("#main .notice")
    assert (
        page.locator(".traffic-form, [data-testid=ops-map], [data-testid=job-progress]").count()
        == 0
    )
    statuses = page.evaluate(
        """async () => {
          const csrf = decodeURIComponent((document.cookie.split('; ')
            .find(c => c.startsWith('lingxi_csrf=')) || '=').split('=')[1]);
          const post = {method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf}, body: '{}'};
          const urls = ['/api/ops/board', '/api/ops/history', '/api/ops/homes',
            '/api/ops/jobs/1', '/api/web/ops'];
          const got = await Promise.all(urls.map(u => fetch(u, {credentials: 'same-origin'})));
          const plan = await fetch('/api/ops/plan', post);
          return [...got.map(r => r.status), plan.status];
        }"""
    )
    assert statuses == [403] * 6
