"""The fleet view: the operator sees the active city's roads and depots, adds a depot and is told
which field is wrong when a vehicle's capacity is 0."""

from __future__ import annotations

import contextlib
import subprocess
from typing import Any

import pytest

from tests.web.conftest import Console, Server, demo_sign_in, shot, wait_until

pytestmark = pytest.mark.integration


def test_operator_adds_a_depot_on_the_city_map(
    page: Any, width: str, server: Server, console: Console
) -> None:
    """Journey: the operations desk opens Fleet (Monaco, the demo city, with its roads drawn from
    the city's own network), adds a depot, is refused a vehicle of capacity 0 naming the field,
    and removes the depot again."""
    name = f"Test depot {width}"
    console.allow("status of 422")  # the refused vehicle, on purpose
    demo_sign_in(page, server, "ops@demo.lingxi")
    page.click("#mainnav a[data-view=fleet]")
    page.wait_for_selector("[data-testid=fleet-map]")
    assert "monaco" in page.inner_text("[data-testid=active-city]")
    assert page.locator("[data-testid=fleet-map] .road path").count() > 100
    try:
        page.fill("#depot-form #name", name)
        page.fill("#depot-form #lat", "43.7350")
        page.fill("#depot-form #lon", "7.4210")
        page.click("#depot-form button[type=submit]")
        page.wait_for_selector(f"[data-testid=depots] td:text-is('{name}')")
        assert page.locator("[data-testid=fleet-map] .marker-depot").count() >= 2
        page.fill("#vehicle-form #vname", f"t-van-{width}")
        page.fill("#vehicle-form #capacity", "0")
        page.select_option("#vehicle-form #start_depot", name)
        page.click("#vehicle-form button[type=submit]")
        wait_until(page, "document.querySelector('#toast').textContent.includes('capacity')")
        shot(page, "fleet")
        page.click(f"[data-testid=depots] button[aria-label='Remove {name}']")
        page.wait_for_selector(f"[data-testid=depots] td:text-is('{name}')", state="detached")
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.cli("fleet", "depot", "remove", name)  # the session's server is shared
