"""Chat details: it follows the newest message, the reply beside cards does not repeat them, the
one message limit is counted and never cuts, a comparison never widens a phone's page, a
dismissed toast is gone, and signing in never switches the language unasked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lingxi.text import MAX_MESSAGE_CHARS
from tests.web.conftest import (
    Console,
    Server,
    demo_sign_in,
    new_page,
    open_app,
    shot,
    wait_until,
)

pytestmark = pytest.mark.integration


def _ask(page: Any, text: str, *, cards: bool = True) -> None:
    before = page.locator(".msg-bot").count()
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")
    page.wait_for_selector(f".msg-bot >> nth={before}")
    if cards:
        page.wait_for_selector(".msg-bot:last-child:not(.pending) .product", timeout=60_000)
    page.wait_for_selector(".chat[data-busy=false]", timeout=60_000)


def _newest_in_view(page: Any) -> bool:
    return bool(
        page.evaluate(
            """() => { const m = [...document.querySelectorAll('.chat-log .msg')].pop();
                 const r = m.getBoundingClientRect();
                 return r.top < innerHeight && r.bottom > 0; }"""
        )
    )


def test_chat_follows_keeps_cards_and_counts(page: Any, server: Server) -> None:
    demo_sign_in(page, server, "alex@demo.lingxi")
    for ask in ("a cleanser for oily skin", "a moisturiser for dry skin", "a sunscreen"):
        _ask(page, ask)
        assert _newest_in_view(page), ask  # the reply is on screen, not below it
    # Each message keeps its own cards; the text beside them names none of them.
    assert page.locator(".msg-bot").count() == 3
    for n in range(3):
        bot = page.locator(".msg-bot").nth(n)
        names = bot.locator(".product-name").all_text_contents()
        assert names
        text = bot.locator(".msg-text").text_content() or ""
        assert not any(name in text for name in names), (text, names)
    # Compare the first two from the chat, by position: the page stays as wide as the screen.
    _ask(page, "compare the first two", cards=False)
    page.wait_for_selector(".msg-bot:last-child .comparison")
    table = page.text_content(".msg-bot:last-child .comparison") or ""
    assert "skin_types" not in table and "notable_ingredients" not in table
    assert "Skin types" in table and page.locator(".comparison tr.differs").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert _newest_in_view(page)
    # The limit is counted, over it the box keeps every character and Send is off.
    long = "a" * (MAX_MESSAGE_CHARS + 1)
    page.fill("#chat-input", long)
    assert page.input_value("#chat-input") == long  # never cut
    assert page.text_content("#chat-count") == f"{MAX_MESSAGE_CHARS + 1}/{MAX_MESSAGE_CHARS}"
    assert page.get_attribute("#chat-count", "data-over") == "true"
    assert page.is_disabled(".composer button[type=submit]")
    page.fill("#chat-input", "a" * MAX_MESSAGE_CHARS)
    assert not page.is_disabled(".composer button[type=submit]")
    shot(page, "chat-follow")


def test_the_api_keeps_the_same_limit(page: Any, server: Server) -> None:
    demo_sign_in(page, server, "alex@demo.lingxi")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    headers = {"Origin": server.url, "X-CSRF-Token": cookies["lingxi_csrf"]}  # as the page sends
    with httpx.Client(base_url=server.url, cookies=cookies, headers=headers, timeout=60) as c:
        assert c.get("/api/web/session").json()["max_message_chars"] == MAX_MESSAGE_CHARS
        conv = c.post("/api/assistant/conversations", json={}).json()["id"]
        over = c.post(
            f"/api/assistant/conversations/{conv}/messages",
            json={"text": "x" * (MAX_MESSAGE_CHARS + 1)},
        )
        assert over.status_code == 422 and "text" in over.text


def test_sign_in_keeps_the_browsers_language_and_toasts_go(
    browser: Any, server: Server, console: Console
) -> None:
    """Mei's locale is zh; an English browser stays English after her sign-in. The welcome toast,
    once dismissed, is invisible and lets taps through to the navigation under it."""
    page = new_page(browser, "phone", console, locale="en-GB")
    try:
        page.goto(f"{server.url}/")
        page.wait_for_selector("html[data-ready='true']")
        page.click("button[data-demo='mei@demo.lingxi']")
        page.wait_for_selector("#mainnav:not([hidden])")
        page.wait_for_selector("#main .view h1")
        assert page.get_attribute("html", "lang") == "en"
        page.wait_for_selector("#toast.show")
        page.click("#toast")
        page.wait_for_selector("#toast:not(.show)", state="attached")
        wait_until(
            page, "getComputedStyle(document.getElementById('toast')).visibility === 'hidden'"
        )
        page.click("#mainnav a[data-view='orders']")
        page.wait_for_selector(".view-orders h1")
    finally:
        page.context.close()
    assert console.unexpected() == []
    zh = new_page(browser, "phone", console, locale="zh-CN")
    try:
        open_app(zh, server, lang="zh")
        assert zh.get_attribute("html", "lang") == "zh-CN"
    finally:
        zh.context.close()
