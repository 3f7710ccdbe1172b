"""`lingxi dispatch solve` end to end through Typer."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lingxi.cli.dispatch import app

runner = CliRunner()


def test_solve_json_schema(tiny_solomon: Path) -> None:
    """--json prints one document with the DESIGN.md keys and client numbers 1..n."""
    result = runner.invoke(
        app,
        [
            "solve",
            str(tiny_solomon),
            "--format",
            "solomon",
            "--time-limit",
            "0.3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    for key in ("routes", "cost", "distance", "duration", "vehicles", "feasible", "unassigned"):
        assert key in doc
    assert sorted(c for r in doc["routes"] for c in r["stops"]) == list(range(1, 9))


def test_bad_input_exits_2_naming_field(tiny_solomon: Path) -> None:
    """An unknown format or a missing file exits 2 with the field and value."""
    result = runner.invoke(app, ["solve", str(tiny_solomon), "--format", "csv", "--json"])
    assert result.exit_code == 2
    assert "--format" in result.stdout and "csv" in result.stdout
    result = runner.invoke(app, ["solve", "missing.txt", "--json"])
    assert result.exit_code == 2
    assert "missing.txt" in json.loads(result.stdout)["error"]["message"]


def test_time_limit_must_be_positive(tiny_solomon: Path) -> None:
    """--time-limit 0 is refused naming the option."""
    result = runner.invoke(app, ["solve", str(tiny_solomon), "--time-limit", "0", "--json"])
    assert result.exit_code == 2
    assert "--time-limit" in json.loads(result.stdout)["error"]["message"]
