"""Both languages everywhere: a Chinese browser gets every view in Chinese (no English label left
but brand, product and people's names), and the interface language is the browser's or the
person's choice, never the account's."""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from lingxi.text import load_yaml
from tests.web.conftest import Console, Server, wait_until
from tests.web.pages import pinned_page

pytestmark = pytest.mark.integration

DEMO = Path(__file__).resolve().parents[2] / "lingxi" / "data" / "demo"
PROPER_NAMES = ("Lingxi", "JSON Lines", "JSON", "CSV", "YAML", "OpenStreetMap", "US$")
"""Names of the product itself, of file formats and of a currency sign: no UI word belongs here."""
OTHER_DEMO_NAMES = ("Monaco customers",)
"""The demo's household of the other delivery stops (made by lingxi/data/repos/demo.py)."""
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
"""Two Latin letters in a row are a word; one (°C, 维生素C) is a symbol."""

LABELS = """() => {
  const skip = (el) => el.closest("code, kbd, samp, [lang=en]");
  const seen = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    const text = node.textContent.trim();
    if (!text || !el || skip(el)) continue;
    if (el.closest("option") ? !el.closest("select").checkVisibility() : !el.checkVisibility()) continue;
    seen.push(text);
  }
  for (const el of document.querySelectorAll("[aria-label], [placeholder], [title], [alt]")) {
    if (skip(el)) continue;
    for (const name of ["aria-label", "placeholder", "title", "alt"]) {
      const value = el.getAttribute(name);
      if (value) seen.push(`${value} [${name}]`);
    }
  }
  seen.push(`${document.title} [title]`);
  return seen;
}"""


@cache
def _allowed() -> tuple[str, ...]:
    """Brands and product names of the demo catalogue, the demo's people, vehicles and depot,
    and :data:`PROPER_NAMES`: names, longest first (a product name holds its brand's words)."""
    with (DEMO / "cosmetics.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    names = {r["Brand"] for r in rows} | {r["Name"] for r in rows}
    people = load_yaml((DEMO / "households.yaml").read_text(encoding="utf-8"))
    names.add(people["depot"]["name"])
    names |= {v["name"] for v in people["vehicles"]}
    members = [m for h in people["households"] for m in h["members"]] + people["staff"]
    names |= {h["name"] for h in people["households"]}
    # Street addresses are place names, read as written (the courier's stops show them).
    addresses = [m["address"] for m in members if m.get("address")] + people["other_stops"]
    names |= {a["line1"] for a in addresses} | {a["city"] for a in addresses if "city" in a}
    for m in members:  # "Alex (Smith 家)": a name's parts are names too
        names |= {m["display_name"], m["email"], *m["display_name"].split()}
    names |= {p.name.split(".")[0] for p in DEMO.glob("*.osm.pbf")}  # the demo city
    names |= set(OTHER_DEMO_NAMES)
    return tuple(sorted(names | set(PROPER_NAMES), key=len, reverse=True))


def english_left(labels: list[str]) -> list[str]:
    """The labels that still hold a Latin word once every allowed name is taken out."""
    left = []
    for label in labels:
        rest = label.replace(" [aria-label]", "").replace(" [placeholder]", "")
        rest = rest.replace(" [title]", "").replace(" [alt]", "")
        for name in _allowed():
            rest = rest.replace(name, " ")
        rest = re.sub(r"\bSEP-[0-9A-F]{10}\b", " ", rest)  # the catalogue's SKUs: codes, not words
        if LATIN_WORD.search(rest):
            left.append(label)
    return sorted(set(left))


def _view(page: Any, view: str) -> list[str]:
    page.click(f"#mainnav a[data-view={view}]")
    page.wait_for_selector(f"#main[data-rendered={view}]")
    page.wait_for_load_state("networkidle")
    labels: list[str] = page.evaluate(LABELS)
    return labels


def _sign_in(page: Any, email: str) -> None:
    page.click(f"button[data-demo='{email}']")
    page.wait_for_selector("#mainnav:not([hidden])")
    page.wait_for_selector("#main .view h1")


def _sign_out(page: Any) -> None:
    # A product image still loading when the session ends would answer 401.
    wait_until(page, "[...document.images].every((i) => i.complete)")
    page.click("#signout")
    page.wait_for_selector(".signin-form")


def test_every_view_reads_in_chinese(browser: Any, server: Server, console: Console) -> None:
    """Walk every view (sign-in, sign-up, chat with an answer and its cards, orders, home, the
    account with a dialog open, operations, fleet, catalogue, courier) in a zh-CN browser: no
    Latin-script label is left but brand, product and people's names."""
    page = pinned_page(browser, server, console, "desktop", "zh-CN")
    found: dict[str, list[str]] = {}
    try:
        page.goto(f"{server.url}/")
        page.wait_for_selector("html[data-ready='true']")
        assert page.get_attribute("html", "lang") == "zh-CN"  # the browser's language, unasked
        found["signin"] = english_left(page.evaluate(LABELS))
        page.goto(f"{server.url}/#/signup")
        page.wait_for_selector("#main[data-rendered=signup]")
        found["signup"] = english_left(page.evaluate(LABELS))
        page.goto(f"{server.url}/#/")
        page.wait_for_selector(".signin-form")

        _sign_in(page, "mei@demo.lingxi")
        page.fill("#chat-input", "推荐一款适合油性皮肤的洁面，30美元以内")
        page.keyboard.press("Enter")
        page.wait_for_selector(".msg-bot .products", timeout=60_000)
        page.wait_for_load_state("networkidle")
        found["chat"] = english_left(page.evaluate(LABELS))
        for view in ("orders", "home"):
            found[view] = english_left(_view(page, view))
        home = page.inner_text(".view-home")
        assert "客厅" in home and "大门" in home and "已上锁" in home  # the home's own names
        found["account"] = english_left(_view(page, "account"))
        assert page.inner_text("dd[data-field=concerns]") != "redness, flaking"
        page.click("button.btn-danger")
        page.wait_for_selector("dialog[open]")
        found["account dialog"] = english_left(page.evaluate(LABELS))
        page.click("dialog[open] button:not(.btn-danger)")
        _sign_out(page)

        _sign_in(page, "ops@demo.lingxi")
        for view in ("ops", "fleet", "catalogue"):
            found[view] = english_left(_view(page, view))
        _sign_out(page)
        _sign_in(page, "courier@demo.lingxi")
        found["courier"] = english_left(_view(page, "courier"))
    finally:
        page.context.close()
    assert {view: left for view, left in found.items() if left} == {}
    assert console.unexpected() == []


def test_the_language_is_the_browsers_or_the_persons_choice(
    browser: Any, server: Server, console: Console
) -> None:
    """A browser preferring French, then Chinese, gets Chinese (the first language the app
    speaks); the person's switch to English is kept across a reload, and signing in as a member
    whose stored locale is Chinese switches nothing."""
    page = pinned_page(browser, server, console, "phone", "fr-FR")
    try:
        page.add_init_script(
            "Object.defineProperty(navigator, 'languages', {get: () => ['fr-FR', 'zh-CN', 'en']})"
        )
        page.goto(f"{server.url}/")
        page.wait_for_selector("html[data-ready='true']")
        assert page.get_attribute("html", "lang") == "zh-CN"
        page.click("button[data-lang=en]")
        wait_until(page, "document.documentElement.lang === 'en'")
        page.reload()
        page.wait_for_selector("html[data-ready='true']")
        assert page.get_attribute("html", "lang") == "en"
        _sign_in(page, "mei@demo.lingxi")  # Mei's stored locale is zh
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("#mainnav a[data-view=orders]") == "Orders"
    finally:
        page.context.close()
    assert console.unexpected() == []
