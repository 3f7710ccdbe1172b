"""The web app calls fixed, known endpoints: each entry of engines.js's ENDPOINTS is an
operation of /openapi.json, and no script discovers routes from the schema any more."""

from __future__ import annotations

import re
from pathlib import Path

from lingxi.api import create_app
from lingxi.config import Settings

STATIC = Path(__file__).resolve().parents[2] / "lingxi" / "web" / "static" / "js"
ENTRY = re.compile(r'^\s+(\w+): "(GET|POST|PUT|PATCH|DELETE) (/api/[^"]+)",$', re.M)


def _endpoints() -> dict[str, tuple[str, str]]:
    text = (STATIC / "engines.js").read_text(encoding="utf-8")
    block = text[text.index("export const ENDPOINTS") :]
    block = block[: block.index("});")]
    return {name: (method, path) for name, method, path in ENTRY.findall(block)}


def test_every_endpoint_the_web_app_calls_is_in_the_schema() -> None:
    """Each fixed endpoint names a method and path /openapi.json documents."""
    endpoints = _endpoints()
    assert len(endpoints) >= 18 and "opsBoard" in endpoints and "messageStream" in endpoints
    spec = create_app(Settings(environment="test", db={"url": "sqlite:///unused.db"})).openapi()  # type: ignore[arg-type]
    missing = [
        f"{name}: {method} {path}"
        for name, (method, path) in endpoints.items()
        if method.lower() not in spec["paths"].get(path, {})
    ]
    assert missing == []


def test_no_script_reads_the_schema_to_find_routes() -> None:
    """No view fetches /openapi.json or matches operations with regular expressions."""
    for script in STATIC.rglob("*.js"):
        text = script.read_text(encoding="utf-8")
        assert "openapi.json" not in text, script.name
        assert "discover(" not in text, script.name
