"""Pages whose clock is pinned to the shared server's, for tests that open their own."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import WIDTHS, Console, Server, watch


def pinned_page(browser: Any, server: Server, console: Console, size: str, locale: str) -> Any:
    """A page in a fresh context at ``WIDTHS[size]`` whose clock reads the server's pinned "now".

    conftest's ``new_page`` installs that clock only from its own module copy: under
    ``--import-mode=importlib`` a test that imports it gets a second copy that never saw the
    server start, so the pages it opens read the real clock.
    """
    w, hgt = WIDTHS[size]
    context = browser.new_context(viewport={"width": w, "height": hgt}, locale=locale)
    context.clock.install(time=server.now())
    return watch(context.new_page(), console)
