"""Which real parts are configured and reachable: used by `/api/health` and `lingxi doctor`."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from lingxi.config import Settings, masked_url
from lingxi.data import Database

__all__ = ["check_parts"]


def _tcp_up(url: str, default_port: int, timeout_s: float) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout_s
        ):
            return True
    except OSError:
        return False


def _llm_part(settings: Settings, timeout_s: float) -> dict[str, Any]:
    """The LLM server is up only when ``GET {base_url}/models`` answers an OpenAI model list: an
    open port alone (another service, a proxy's error page) is not a model server."""
    import httpx

    llm = settings.llm
    url = f"{(llm.base_url or '').rstrip('/')}/models"
    headers = {"Authorization": f"Bearer {llm.api_key.get_secret_value()}"} if llm.api_key else {}
    detail = f"{llm.model} at {masked_url(llm.base_url or '')}"
    try:
        answer = httpx.get(url, headers=headers, timeout=timeout_s)
        models = answer.json().get("data") if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return {"status": "down", "detail": f"{detail}: GET /models did not answer"}
    if not isinstance(models, list):
        return {
            "status": "down",
            "detail": f"{detail}: GET /models answered {answer.status_code}, not a model list",
        }
    names = [str(m.get("id")) for m in models if isinstance(m, dict)]
    if llm.model not in names:
        return {"status": "down", "detail": f"{detail}: the server does not serve it ({names[:5]})"}
    return {"status": "up", "detail": detail}


def check_parts(
    settings: Settings,
    db: Database,
    *,
    timeout_s: float = 1.0,
    mqtt_worker: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``{"status": ok|degraded, "parts": {database, broker, llm}}``; each part up, down or not_configured.

    ``mqtt_worker`` is the running MQTT driver's :meth:`health` (the server's): the broker is
    then up only while the broker answers *and* the worker is connected with its network
    thread alive, and the report carries the worker's state.
    """
    db_up = db.ping()
    parts: dict[str, dict[str, Any]] = {
        "database": {"status": "up" if db_up else "down", "detail": db.dialect}
    }
    if settings.mqtt.url:
        up = _tcp_up(settings.mqtt.url, 1883, timeout_s)
        detail = masked_url(settings.mqtt.url)
        if mqtt_worker is not None:
            working = bool(mqtt_worker.get("connected")) and bool(mqtt_worker.get("thread_alive"))
            if up and not working:
                detail += " (reachable, but Lingxi's MQTT worker is not connected)"
            up = up and working
        parts["broker"] = {"status": "up" if up else "down", "detail": detail}
        if mqtt_worker is not None:
            parts["broker"]["worker"] = dict(mqtt_worker)
    else:
        parts["broker"] = {"status": "not_configured", "detail": "in-process driver"}
    if settings.llm.base_url:
        parts["llm"] = _llm_part(settings, timeout_s)
    else:
        parts["llm"] = {"status": "not_configured", "detail": "offline router"}
    return {"status": "ok" if db_up else "degraded", "parts": parts}
