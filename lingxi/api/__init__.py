"""The FastAPI app and web UI. Outermost layer: nothing imports it."""

from lingxi.api.app import create_app as create_app

__all__ = ["create_app"]
