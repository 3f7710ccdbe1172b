"""/openapi.json describes every answer of the guide, dispatch, health and web routes: each
operation's 200/201 response has a schema with named, typed fields, not an empty object."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from fastapi.routing import APIRoute

from lingxi.api import create_app
from lingxi.api.routes import dispatch, guide, health, web
from lingxi.config import Settings

TYPED_ROUTERS = (guide.router, dispatch.router, health.router, web.router)


@cache
def _schema() -> dict[str, Any]:
    app = create_app(Settings(environment="test", db={"url": "sqlite:///unused.db"}))  # type: ignore[arg-type]
    return app.openapi()


def _operations() -> list[tuple[str, str]]:
    ops = []
    for router in TYPED_ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            ops += [(method.lower(), route.path) for method in sorted(route.methods)]
    return ops


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


def _described(schema: dict[str, Any], spec: dict[str, Any], depth: int = 0) -> bool:
    """True when the schema names its fields (objects) or its type (strings, lists)."""
    schema = _resolve(schema, spec)
    if "anyOf" in schema:
        return all(_described(s, spec, depth) for s in schema["anyOf"])
    if schema.get("type") == "object" or "properties" in schema or not schema:
        props = schema.get("properties", {})
        return bool(props) and (depth > 0 or all(_typed(p, spec) for p in props.values()))
    return "type" in schema


def _typed(prop: dict[str, Any], spec: dict[str, Any]) -> bool:
    """A top-level field has a type, a reference or a choice of them (no bare ``{}``)."""
    prop = _resolve(prop, spec)
    return any(k in prop for k in ("type", "anyOf", "enum", "const", "$ref"))


def test_the_check_refuses_a_free_form_object() -> None:
    """``dict[str, Any]`` (what the routes used to declare) does not count as described."""
    spec: dict[str, Any] = {"components": {"schemas": {}}}
    assert not _described({"type": "object", "additionalProperties": True}, spec)
    assert not _described({}, spec)
    assert _described({"type": "string"}, spec)


@pytest.mark.parametrize(("method", "path"), _operations())
def test_every_operation_declares_its_answer(method: str, path: str) -> None:
    """The success answer's schema (every media type) is a model with typed fields."""
    spec = _schema()
    responses = spec["paths"][path][method]["responses"]
    success = [code for code in ("200", "201") if code in responses]
    assert success, f"{method.upper()} {path} documents no 200/201 answer"
    content = responses[success[0]].get("content", {})
    assert content, f"{method.upper()} {path}: the answer has no content"
    for media, body in content.items():
        assert "schema" in body and _described(body["schema"], spec), (
            f"{method.upper()} {path} ({media}) answers an undescribed object: {body}"
        )
