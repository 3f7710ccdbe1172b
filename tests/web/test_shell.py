"""The shell: sign-in, navigation, language switch, keyboard use and layout at 375 and 1280 px."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Console, Server, demo_sign_in, open_app, shot, wait_until

pytestmark = pytest.mark.integration

VIEWS = ["chat", "orders", "home", "account"]
"""A household member's views (the operations console is staff-only: tests/web/test_ops.py)."""


def test_sign_in_page_marks_the_demo_login_as_local_demo(page: Any, server: Server) -> None:
    """Before sign-in only the sign-in form shows, and the demo buttons say they are a local demo."""
    open_app(page, server)
    assert page.locator("#mainnav").is_hidden()
    assert page.locator("#signout").is_hidden()
    demo_box = page.locator(".demo-box")
    assert "Local demo" in demo_box.inner_text()
    assert "without a password" in demo_box.inner_text()
    shot(page, "shell-signin")


@pytest.mark.parametrize("width", ["desktop"], indirect=True)
def test_password_sign_in_and_a_wrong_password(page: Any, server: Server, console: Console) -> None:
    """A wrong password shows the API's message; the right one signs in."""
    console.allow("status of 401")  # Chromium logs the refused sign-in request itself.
    open_app(page, server)
    page.fill("#signin-email", "alex@demo.lingxi")
    page.fill("#signin-password", "wrong")
    page.click(".signin-form button[type=submit]")
    page.wait_for_selector(".form-error:not(:empty)")
    assert "Sign-in failed" in page.inner_text(".form-error")
    page.fill("#signin-password", "lingxi-demo-alex")
    page.click(".signin-form button[type=submit]")
    page.wait_for_selector("#mainnav:not([hidden])")
    assert page.locator("#toast").inner_text() == "Signed in as Alex Smith"


def test_every_view_is_reachable_and_marked_current(page: Any, server: Server) -> None:
    """Each navigation link opens its view, sets aria-current and focuses the view's heading;
    a household member has no link to the operations console."""
    demo_sign_in(page, server, "alex@demo.lingxi")
    assert page.locator("#mainnav a[data-view=ops]").is_hidden()
    for view in VIEWS:
        page.click(f"#mainnav a[data-view={view}]")
        page.wait_for_selector(f".view-{view} h1")
        assert page.get_attribute(f"#mainnav a[data-view={view}]", "aria-current") == "page"
        wait_until(page, "document.activeElement.tagName === 'H1'")
        shot(page, f"shell-{view}")
    current = page.locator("#mainnav a[aria-current=page]")
    assert current.count() == 1


def test_language_switch_translates_the_ui_and_is_remembered(page: Any, server: Server) -> None:
    """Switching to 中文 translates the navigation and the view, sets <html lang>, and survives a reload."""
    demo_sign_in(page, server, "alex@demo.lingxi")
    page.click("#mainnav a[data-view=account]")
    page.wait_for_selector(".view-account h1")
    page.click("button[data-lang=zh]")
    wait_until(page, "document.documentElement.lang === 'zh-CN'")
    assert page.inner_text("#mainnav a[data-view=orders]") == "订单"
    page.wait_for_selector(".view-account h1:text('账户与隐私')")
    assert page.get_attribute("button[data-lang=zh]", "aria-pressed") == "true"
    assert page.get_attribute("#mainnav", "aria-label") == "主导航"
    shot(page, "shell-account-zh")
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    assert page.inner_text("#signout") == "退出登录"
    page.click("button[data-lang=en]")
    page.wait_for_selector(".view-account h1:text('Account and privacy')")


@pytest.mark.parametrize("width", ["desktop"], indirect=True)
def test_every_string_exists_in_both_languages(page: Any, server: Server) -> None:
    """The English and Chinese tables have the same keys, and no Chinese string is left empty."""
    open_app(page, server)
    result = page.evaluate(
        """async () => {
            const i18n = await import('/static/js/i18n.js');
            return {en: i18n.keys('en'), zh: i18n.keys('zh')};
        }"""
    )
    assert sorted(result["en"]) == sorted(result["zh"])
    assert len(result["en"]) > 150


@pytest.mark.parametrize("width", ["desktop"], indirect=True)
def test_keyboard_only_sign_in_and_navigation(page: Any, server: Server) -> None:
    """The skip link comes first; the demo button and the navigation work from the keyboard."""
    open_app(page, server)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.focus("button[data-demo='alex@demo.lingxi']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#mainnav:not([hidden])")
    # Let the first signed-in view (the chat) finish rendering, as a person would, before moving
    # on: any '#main h1' matched the sign-in page's own heading before it was replaced.
    wait_until(
        page, "!!document.querySelector('#main .view-chat h1') && location.hash === '#/chat'"
    )
    page.focus("#mainnav a[data-view=orders]")
    page.keyboard.press("Enter")
    wait_until(page, "document.activeElement.textContent === 'Orders and deliveries'")


def test_layout_fits_the_viewport_without_horizontal_scrolling(page: Any, server: Server) -> None:
    """No view is wider than the screen, at 375 px and at 1280 px."""
    demo_sign_in(page, server, "alex@demo.lingxi")
    for view in VIEWS:
        page.click(f"#mainnav a[data-view={view}]")
        page.wait_for_selector(f".view-{view} h1")
        page.wait_for_timeout(300)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{view} overflows by {overflow}px"


@pytest.mark.parametrize("width", ["desktop"], indirect=True)
def test_every_asset_comes_from_the_app_itself(page: Any, server: Server) -> None:
    """No request leaves the app's own origin (no CDN, no web fonts, no tiles)."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    demo_sign_in(page, server, "alex@demo.lingxi")
    for view in VIEWS:
        page.click(f"#mainnav a[data-view={view}]")
        page.wait_for_selector(f".view-{view} h1")
    foreign = [
        u for u in seen if not u.startswith(server.url) and not u.startswith(("data:", "blob:"))
    ]
    assert seen and foreign == []


@pytest.mark.parametrize("width", ["desktop"], indirect=True)
def test_sign_out_returns_to_the_sign_in_page(page: Any, server: Server) -> None:
    """Signing out shows the sign-in form again and the session no longer works."""
    demo_sign_in(page, server, "alex@demo.lingxi")
    page.click("#signout")
    page.wait_for_selector(".signin-form")
    assert page.locator("#mainnav").is_hidden()
    page.reload()
    page.wait_for_selector(".signin-form")
