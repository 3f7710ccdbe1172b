"""Home dashboard: a risky tile (the front door) asks once in a dialog, the server's token
carries it out; cancelling leaves the door locked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.web.conftest import Console, Server, demo_sign_in, has_route, wait_until

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("width", ["desktop"], indirect=True)
def test_unlocking_by_touch_asks_once_and_redeems_the_token(
    page: Any, server: Server, console: Console
) -> None:
    """Journey: tap the locked front door; one dialog names the act; Cancel keeps it locked;
    tapping again and confirming unlocks it (the 409 that carries the token is expected)."""
    if not has_route(server, "/api/home/touch"):
        pytest.skip("the home routes have not landed")
    console.allow("409")
    demo_sign_in(page, server, "mei@demo.lingxi")
    page.click("#mainnav a[data-view=home]")
    tile = page.locator(".tile[data-entity-id='lock.front_door'] button.tile-main")
    tile.wait_for()
    if tile.get_attribute("aria-pressed") == "true":  # unlocked: lock it first (no dialog)
        tile.click()
        wait_until(page, "document.querySelector(\".tile[data-entity-id='lock.front_door'] "
                   "button.tile-main\").getAttribute('aria-pressed') === 'false'")  # fmt: skip
    tile.click()
    dialog = page.locator("dialog.dialog")
    dialog.wait_for()
    assert "unlock Front Door" in dialog.inner_text()
    dialog.locator("button[value=cancel]").click()
    assert tile.get_attribute("aria-pressed") == "false"
    tile.click()
    page.locator("dialog.dialog button[value=ok]").click()
    wait_until(page, "document.querySelector(\".tile[data-entity-id='lock.front_door'] "
               "button.tile-main\").getAttribute('aria-pressed') === 'true'")  # fmt: skip
    assert page.locator("dialog.dialog[open]").count() == 0
    # The stored record agrees: one unlock, by touch.
    history = json.loads(server.cli("home", "history", "--entity", "lock.front_door", "--json"))
    latest = history["data"][0]
    assert (latest["state"], latest["source"]) == ("unlocked", "touch")
