"""Serves the web app's static files (no CDN: every asset comes from the package)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["mount_web"]


def _web_dir() -> Path:
    return Path(str(resources.files("lingxi") / "web"))


def mount_web(app: FastAPI) -> None:
    """Mount ``/static`` and serve ``/`` from ``lingxi/web``."""
    web = _web_dir()
    if (web / "static").is_dir():
        app.mount("/static", StaticFiles(directory=web / "static"), name="static")

    @app.get("/", include_in_schema=False, response_model=None)
    def index() -> FileResponse | RedirectResponse:
        page = web / "index.html"
        if page.is_file():
            return FileResponse(page)
        return RedirectResponse("/docs")
