"""Account and privacy: consents, the stored profile, export as a JSON download, and delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.conftest import Server, demo_sign_in, shot

pytestmark = pytest.mark.integration


def _open_account(page: Any, server: Server, email: str) -> None:
    demo_sign_in(page, server, email)
    page.click("#mainnav a[data-view=account]")
    page.wait_for_selector("[data-testid=profile]")


def test_delete_the_profile(page: Any, server: Server) -> None:
    """Journey: open the account, export the data, delete the profile after confirming; it is gone."""
    email = "mei@demo.lingxi"
    demo_sign_in(page, server, email)
    # Each run starts from a full profile (the other width's run may have deleted it).
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    csrf = {"Origin": server.url, "X-CSRF-Token": cookies["lingxi_csrf"]}  # as the page sends
    api = httpx.Client(base_url=server.url, cookies=cookies, headers=csrf)
    api.post("/api/account/consents", json={"purpose": "profile", "granted": True})
    api.patch(
        "/api/account/profile",
        json={"skin_types": ["dry"], "concerns": ["redness"], "avoid_ingredients": ["fragrance"]},
    ).raise_for_status()
    page.click("#mainnav a[data-view=account]")
    page.wait_for_selector("dd[data-field=skin_types]:text('dry')")
    shot(page, "account-before-delete")

    with page.expect_download() as download:
        page.click("text=Download my data (JSON)")
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["customer"]["email"] == email

    page.click("button.btn-danger:has-text('Delete my profile')")
    dialog = page.locator("dialog[open]")
    assert "cannot be undone" in dialog.inner_text()
    dialog.locator("button:has-text('Cancel')").click()
    assert page.locator("dialog[open]").count() == 0

    page.click("button.btn-danger:has-text('Delete my profile')")
    page.locator("dialog[open] button:has-text('Delete')").click()
    page.wait_for_selector("#toast:text('Your profile was deleted.')")
    for field in ("skin_types", "concerns", "avoid_ingredients", "brands"):
        assert page.inner_text(f"[data-testid=profile] dd[data-field={field}]") == "none"
    shot(page, "account-after-delete")

    stored = api.get("/api/account/profile").json()
    assert stored["skin_types"] == [] and stored["avoid_ingredients"] == []


@pytest.mark.parametrize("width", ["phone"], indirect=True)
def test_revoking_profile_consent_erases_skin_type(page: Any, server: Server) -> None:
    """Unticking the profile consent revokes it on the server and the skin types disappear."""
    _open_account(page, server, "alex@demo.lingxi")
    assert page.inner_text("dd[data-field=skin_types]") == "oily"
    page.uncheck("#consent-profile")
    page.wait_for_selector("dd[data-field=skin_types]:text('none')")
    assert page.is_checked("#consent-profile") is False
    page.check("#consent-marketing")
    page.wait_for_selector("#consent-marketing:checked")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    consents = httpx.get(f"{server.url}/api/account/consents", cookies=cookies).json()["data"]
    active = {c["purpose"] for c in consents if c["active"]}
    assert "profile" not in active and "marketing" in active
