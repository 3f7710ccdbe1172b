"""Journey in Chromium: an operator's invitation link opens the join page, the invitee sets a
name and a password and is signed in to the household; later a reset link sets a new password
that signs in, while the old one no longer does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lingxi import commerce
from lingxi.data import Database
from lingxi.data.repos import identity
from tests.web.conftest import Server, open_app, shot

pytestmark = pytest.mark.integration


def _links(server: Server, email: str) -> tuple[str, Any]:
    """An invitation into Mei's household for ``email`` (what `lingxi user invite` prints, made
    in-process: the CLI itself is tested in tests/cli), and a way to make a reset link later."""
    db = Database.from_url(server.env["LINGXI_DB__URL"])
    with db.session() as s:
        mei = identity.find_customer_by_email(s, email="mei@demo.lingxi")
        assert mei is not None
    with server.clock():  # the links expire by the server's clock
        made = commerce.invite(
            db,
            None,
            email,
            "adult",
            household_id=mei.household_id,
            ttl_s=600,
            public_url=server.url,
        )

    def reset() -> str:
        with server.clock():
            link = commerce.request_password_reset(db, email, ttl_s=600, public_url=server.url)
        db.dispose()
        return link.link

    return made.link, reset


@pytest.mark.parametrize("width", ["phone"])  # one width: the form is the sign-in form's
def test_join_by_invitation_then_reset_the_password(page: Any, server: Server) -> None:
    """Invite -> #/join/<token> -> signed in as an adult of the Chen household; reset ->
    #/reset/<token> -> the new password signs in through the sign-in form."""
    email = "cousin@example.org"
    join, reset = _links(server, email)
    open_app(page, server)
    page.wait_for_selector("a[href='#/signup']:visible")  # sign-up is open outside production
    page.goto(join)
    page.wait_for_selector("section[data-mode=join] h1:text('Join your household')")
    page.fill("#access-name", "Cousin Lin")
    page.fill("#access-password", "cousins-password")
    shot(page, "people-join")
    page.click("button:has-text('Join and sign in')")
    page.wait_for_selector("#mainnav:not([hidden])")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    me = httpx.get(f"{server.url}/api/auth/me", cookies=cookies, timeout=10).json()
    assert (me["email"], me["role"]) == (email, "adult")

    page.click("#signout")
    page.wait_for_selector("#signin-email")
    page.goto(reset())
    page.wait_for_selector("section[data-mode=reset]")
    page.fill("#access-password", "a-brand-new-one")
    page.click("button:has-text('Set the password')")
    page.wait_for_selector("[data-testid=access-status]:text('Your password is changed')")
    page.click("a:has-text('Back to sign-in')")
    page.fill("#signin-email", email)
    page.fill("#signin-password", "a-brand-new-one")
    page.click("form.signin-form button[type=submit]")
    page.wait_for_selector("#mainnav:not([hidden])")
    old = httpx.post(
        f"{server.url}/api/auth/login",
        json={"email": email, "password": "cousins-password"},
        timeout=10,
    )
    assert old.status_code == 401
