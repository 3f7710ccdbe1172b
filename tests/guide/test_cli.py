"""`lingxi guide parse` prints exactly one JSON document; bad input exits 2 naming the field."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lingxi.cli.guide import app

runner = CliRunner()


def test_parse_json() -> None:
    """The document has the DESIGN.md keys and nothing else is printed."""
    r = runner.invoke(app, ["parse", "不要含酒精，100块以内的洗面奶，油皮", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {
        "category": "Cleanser",
        "skin_types": ["oily"],
        "max_price": 13.89,
        "min_price": None,
        "brands": [],
        "exclude_ingredients": ["alcohol"],
        "include_ingredients": [],
    }


def test_parse_bad_input_exits_2() -> None:
    """Emoji-only text is refused with exit code 2 and the field named."""
    r = runner.invoke(app, ["parse", "😀😀", "--json"])
    assert r.exit_code == 2
    assert json.loads(r.stdout)["error"]["details"]["field"] == "text"
