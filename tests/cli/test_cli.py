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
    r = run(["doctor", "--json"], tmp_path)
    assert r.returncode == 0, r.stderr  # nothing configured is down
    assert json.loads(r.stdout)["broker"]["status"] == "not_configured"
    r = run(["doctor", "--json"], tmp_path, LINGXI_MQTT__URL="mqtt://127.0.0.1:1")
    assert r.returncode == 3, r.stderr  # a configured part is down: the README's exit 3
    parts = json.loads(r.stdout)
    assert parts["database"]["status"] == "up"
    assert parts["broker"]["status"] == "down"
    assert parts["llm"]["status"] == "not_configured"


def test_simulate_on_a_file_of_the_wrong_format_exits_2(tmp_path: Path) -> None:
    """`dispatch simulate` on text that is no ORTEC instance: one line naming the field, exit 2."""
    bad = tmp_path / "bad.txt"
    for text in ("garbage\n", "NAME : x\nTYPE : CVRP\nDIMENSION : 3\n"):
        bad.write_text(text)
        r = run(["dispatch", "simulate", str(bad)], tmp_path)
        assert r.returncode == 2, r.stderr
        assert "instance" in r.stderr and "Traceback" not in r.stderr


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


PRODUCTION = {
    "LINGXI_ENVIRONMENT": "production",
    "LINGXI_AUTH__SECRET_KEY": "a-real-production-secret",
    "LINGXI_AUTH__DEMO_LOGIN": "false",
}


def test_demo_load_is_refused_in_production(tmp_path: Path) -> None:
    """`demo load` in production: one clear line, exit 2, and nothing written."""
    r = run(["demo", "load"], tmp_path, **PRODUCTION)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused in production" in lines[0], r.stderr
    assert not (tmp_path / "cli.db").exists()


def test_bad_production_settings_are_one_line_and_exit_2(tmp_path: Path) -> None:
    """Production with the demo sign-in left on is a configuration error, not a traceback."""
    r = run(["demo", "load"], tmp_path, **{**PRODUCTION, "LINGXI_AUTH__DEMO_LOGIN": "true"})
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "DEMO_LOGIN must be false" in r.stderr


def test_user_add_staff_signs_in_and_serve_refuses_a_demo_password(tmp_path: Path) -> None:
    """`user add --role staff --password-stdin` makes an operator who can sign in; a staff
    account on the demo domain is a published-password account, so production `serve` refuses
    with one line until `demo disable`."""
    from lingxi.data import Database
    from lingxi.data.repos import identity

    assert run(["db", "upgrade"], tmp_path).returncode == 0
    done = subprocess.run(
        [
            *LINGXI,
            "user",
            "add",
            "Desk@Example.org",
            "--role",
            "staff",
            "--password-stdin",
            "--json",
        ],
        input="a-long-staff-password\n",
        capture_output=True,
        text=True,
        env={**os.environ, "LINGXI_DB__URL": f"sqlite:///{tmp_path / 'cli.db'}", **PRODUCTION},
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["email"] == "desk@example.org" and doc["role"] == "staff" and "password" not in doc
    generated = json.loads(
        run(["user", "add", "ops@demo.lingxi", "--role", "courier", "--json"], tmp_path).stdout
    )
    assert len(generated["password"]) >= 16
    bad = run(["user", "add", "x@example.org", "--role", "owner"], tmp_path)
    assert bad.returncode == 2 and "owner" in bad.stderr
    db = Database.from_url(f"sqlite:///{tmp_path / 'cli.db'}")
    try:
        with db.session() as s:
            staff = identity.authenticate(
                s, email="desk@example.org", password="a-long-staff-password"
            )
            assert staff.role == "staff"
            assert identity.get_member(s, customer_id=generated["customer_id"]).role == "courier"
    finally:
        db.dispose()
    served = run(["serve", "--port", "1"], tmp_path, **PRODUCTION)
    assert served.returncode == 1, served.stderr
    assert "ops@demo.lingxi can sign in" in served.stderr and "Traceback" not in served.stderr
    disabled = json.loads(run(["demo", "disable", "--json"], tmp_path, **PRODUCTION).stdout)
    assert disabled == {"disabled": ["ops@demo.lingxi"]}
