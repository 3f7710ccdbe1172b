"""Serves the web app's static files (no CDN: every asset comes from the package)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from lingxi import extras

__all__ = ["mount_web"]


def _web_dir() -> Path:
    return Path(str(resources.files("lingxi") / "web"))


def mount_web(app: FastAPI) -> None:
    """Mount ``/static`` and serve ``/`` from ``lingxi/web``."""
    web = _web_dir()
    if (web / "static").is_dir():
        app.mount("/static", StaticFiles(directory=web / "static"), name="static")

    @app.get("/", include_in_schema=False, response_model=None)
    def index(request: Request) -> HTMLResponse | RedirectResponse:
        page = web / "index.html"
        if not page.is_file():
            return RedirectResponse("/docs")
        # The page hides a control whose extra is not installed (the mic without [voice]).
        html = page.read_text(encoding="utf-8").replace(
            "<head>", f'<head>\n  <meta name="lingxi-features" content="{_features(request)}">', 1
        )
        return HTMLResponse(html)


def _features(request: Request) -> str:
    """The optional features this server offers, space-separated (voice, vision, scale)."""
    on = {name for name in extras.EXTRAS if extras.available(name)}
    if request.app.state.settings.home.stt_url:
        on.add("voice")  # a transcription server stands in for the offline recognisers
    return " ".join(sorted(on))
