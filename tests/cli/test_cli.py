"""The `lingxi` CLI: migrations, demo data, doctor, JSON output and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

LINGXI = [sys.executable, "-m", "lingxi.cli"]


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "LINGXI_DB__URL": f"sqlite:///{tmp_path / 'cli.db'}",
        **env,
    }
    return subprocess.run(
        [*LINGXI, *args], capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=120
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    """--help names the contract's commands."""
    out = run(["--help"], tmp_path).stdout
    for name in ("serve", "db", "demo", "doctor", "guide", "dispatch", "home", "chat"):
        assert name in out


def test_db_upgrade_and_doctor_json(tmp_path: Path) -> None:
    """`db upgrade` migrates; `doctor --json` prints one JSON document of the parts."""
    r = run(["db", "upgrade"], tmp_path)
    assert r.returncode == 0, r.stderr
    r = run(["doctor", "--json"], tmp_path, LINGXI_MQTT__URL="mqtt://127.0.0.1:1")
    assert r.returncode == 0, r.stderr
    parts = json.loads(r.stdout)
    assert parts["database"]["status"] == "up"
    assert parts["broker"]["status"] == "down"
    assert parts["llm"]["status"] == "not_configured"


@pytest.mark.slow
def test_demo_load_json_twice(tmp_path: Path) -> None:
    """`demo load --json` prints only JSON, and the second run creates nothing."""
    first = json.loads(run(["demo", "load", "--json"], tmp_path).stdout)
    second = json.loads(run(["demo", "load", "--json"], tmp_path).stdout)
    assert first["catalogue_inserted"] == 1472
    assert second["catalogue_inserted"] == 0 and second["households_created"] == 0


def test_unreachable_database_exits_3(tmp_path: Path) -> None:
    """A database that is down gives a one-line error and exit code 3, not a traceback."""
    r = run(
        ["db", "upgrade"],
        tmp_path,
        LINGXI_DB__URL="postgresql+psycopg://nobody@127.0.0.1:1/none",
    )
    assert r.returncode == 3, r.stderr
    assert "Traceback" not in r.stderr and "database" in r.stderr.lower()


def test_bad_option_exits_2(tmp_path: Path) -> None:
    """A bad option value is a usage error (exit 2)."""
    r = run(["serve", "--port", "99999"], tmp_path)
    assert r.returncode == 2
