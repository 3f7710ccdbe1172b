"""Layout: no view scrolls sideways at 320, 375, 768, 1280 or 1440 px, in any state (after a
comparison, with a dialog open, with a long product name), a pop-up never covers the navigation,
and every view and width leaves a screenshot in ``$LINGXI_SCREENSHOTS`` (default /tmp/shots)
for someone to look at.

Each role's views share one page that is resized from width to width (one sign-in per role)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import Console, Server, wait_until
from tests.web.pages import pinned_page

pytestmark = pytest.mark.integration

WIDTHS = (1440, 1280, 768, 375, 320)
SHOTS = Path(os.environ.get("LINGXI_SCREENSHOTS") or "/tmp/shots")
LONG_NAME = "DayWear Multi-Protection Anti-Oxidant Sheer Tint Release Moisturizer"
"""The start of the demo catalogue's longest product name (117 characters)."""
FITS = """() => {
  const doc = document.documentElement;
  // Inside a box that scrolls (a wide table, the phone's tab bar) sticking out is scrolling.
  const scrolled = (el) => {
    for (let up = el.parentElement; up; up = up.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(up).overflowX)) {
        return up.getBoundingClientRect().right <= innerWidth + 1;
      }
    }
    return false;
  };
  const wide = [...document.querySelectorAll("#main *, .topbar *, dialog[open] *")].filter((el) => {
    if (el.closest("svg") && el.tagName !== "svg") return false;  // an SVG clips its own drawing
    if (!el.checkVisibility() || el.getBoundingClientRect().right <= innerWidth + 1) return false;
    return !scrolled(el);
  });
  return {over: doc.scrollWidth - innerWidth,
          wide: wide.slice(0, 3).map((el) => `${el.tagName}.${el.className}`)};
}"""
"""How far the document runs past the window, and the first elements that stick out of it (but
inside a box that scrolls sideways on its own)."""
COVERED = """() => {
  const nav = document.getElementById("mainnav");
  const pop = document.querySelector("#toast.show");
  if (!pop || !nav || nav.hidden) return false;
  const a = pop.getBoundingClientRect(), b = nav.getBoundingClientRect();
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}"""

CURRENT_SHOWN = """() => {
  const link = document.querySelector("#mainnav:not([hidden]) a[aria-current]");
  if (!link) return true;
  const r = link.getBoundingClientRect();
  return r.left >= -1 && r.right <= innerWidth + 1;
}"""


BROKEN_NAMES = """() => [...document.querySelectorAll('.tile-name')].filter((el) => {
  if (el.scrollWidth > el.clientWidth + 1) return true;  // clipped
  const text = el.firstChild;
  if (!text || text.nodeType !== Node.TEXT_NODE) return false;
  let i = 0;
  for (const part of el.textContent.split(/(\\s+)/)) {  // a Latin word split over two lines
    if (/[A-Za-z]{2,}/.test(part)) {
      const r = document.createRange();
      r.setStart(text, i);
      r.setEnd(text, i + part.length);
      if (r.getClientRects().length > 1) return true;
    }
    i += part.length;
  }
  return false;
}).map((el) => el.textContent)"""
"""The home tiles whose name is clipped or breaks inside a word ("Temperat/ure")."""


def _each_width(page: Any, name: str, failures: list[str]) -> None:
    """Resize through :data:`WIDTHS`: record any sideways scroll or covered navigation, and
    save ``<name>-<width>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 740})
        page.wait_for_timeout(150)  # let the layout settle after the resize
        fit = page.evaluate(FITS)
        if fit["over"] > 0 or fit["wide"]:
            failures.append(f"{name} at {width}px: {fit['over']}px too wide, {fit['wide']}")
        if page.evaluate(COVERED):
            failures.append(f"{name} at {width}px: the pop-up covers the navigation")
        broken = page.evaluate(BROKEN_NAMES)
        if broken:
            failures.append(f"{name} at {width}px: tile names clipped or split: {broken}")
        if not page.evaluate(CURRENT_SHOWN):
            failures.append(f"{name} at {width}px: the current view's link is out of sight")
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def _open(page: Any, view: str) -> None:
    page.click(f"#mainnav a[data-view={view}]")
    page.wait_for_selector(f"#main[data-rendered={view}]")
    page.wait_for_load_state("networkidle")


def _sign_in(page: Any, server: Server, email: str) -> None:
    page.goto(f"{server.url}/")
    page.evaluate("localStorage.setItem('lingxi.lang', 'en')")
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    page.click(f"button[data-demo='{email}']")
    page.wait_for_selector("#mainnav:not([hidden])")
    page.wait_for_selector("#main[data-rendered]")


def _ask(page: Any, text: str) -> None:
    before = page.locator(".msg-bot").count()
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")
    page.wait_for_selector(f".msg-bot >> nth={before}")
    page.wait_for_selector(".chat[data-busy=false]", timeout=60_000)


def _run(browser: Any, server: Server, console: Console, steps: Any) -> None:
    page = pinned_page(browser, server, console, "desktop", "en-GB")
    assert page.evaluate("new Date().getUTCFullYear()") == server.now().year
    failures: list[str] = []
    try:
        steps(page, failures)
        wait_until(page, "[...document.images].every((i) => i.complete)")
    finally:
        page.context.close()
    assert not failures, "\n".join(failures)
    assert console.unexpected() == []


def test_a_members_views_fit_every_width(browser: Any, server: Server, console: Console) -> None:
    """Sign-in, chat (with cards, after a comparison, with a long unbroken message), orders,
    home (the welcome toast showing) and account (its delete dialog open) fit 320-1440 px."""

    def steps(page: Any, failures: list[str]) -> None:
        page.goto(f"{server.url}/")
        page.wait_for_selector("html[data-ready='true']")
        _each_width(page, "signin", failures)
        _sign_in(page, server, "alex@demo.lingxi")
        _each_width(page, "chat-welcome-toast", failures)
        _ask(page, "a moisturizer for dry skin under $40")
        page.locator(".msg-bot:last-child .product input[type=checkbox]").nth(0).check()
        page.locator(".msg-bot:last-child .product input[type=checkbox]").nth(1).check()
        page.click(".compare-bar button")
        page.wait_for_selector(".comparison table", timeout=60_000)
        page.wait_for_selector(".chat[data-busy=false]", timeout=60_000)
        _each_width(page, "chat-compared", failures)
        _ask(page, "x" * 300)
        _each_width(page, "chat-long-message", failures)
        for view in ("orders", "home", "account"):
            _open(page, view)
            _each_width(page, view, failures)
        page.click("button.btn-danger")
        page.wait_for_selector("dialog[open]")
        _each_width(page, "account-dialog", failures)
        page.click("dialog[open] button:not(.btn-danger)")

    _run(browser, server, console, steps)


def test_staff_and_courier_views_fit_every_width(
    browser: Any, server: Server, console: Console
) -> None:
    """Operations, fleet and the catalogue (searched for its longest product name), and the
    courier's view, fit 320-1440 px."""

    def steps(page: Any, failures: list[str]) -> None:
        _sign_in(page, server, "ops@demo.lingxi")
        for view in ("ops", "fleet", "catalogue"):
            _open(page, view)
            _each_width(page, view, failures)
        page.fill("#catalogue-q", LONG_NAME)
        page.press("#catalogue-q", "Enter")
        page.wait_for_selector(f"tr:has-text('{LONG_NAME}')")
        _each_width(page, "catalogue-long-name", failures)
        wait_until(page, "[...document.images].every((i) => i.complete)")
        page.click("#signout")
        page.wait_for_selector(".signin-form")
        _sign_in(page, server, "courier@demo.lingxi")
        _open(page, "courier")
        _each_width(page, "courier", failures)

    _run(browser, server, console, steps)
