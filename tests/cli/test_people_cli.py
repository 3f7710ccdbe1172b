"""`lingxi user invite | reset-password` print one-time links; `lingxi orders import` takes in
an operator's CSV (dry run, report naming row, field and value, exit 2; idempotent)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lingxi import commerce
from lingxi.cli.main import app
from lingxi.config import get_settings
from lingxi.data import Database, upgrade
from tests.helpers import Seeded, seed

HEADER = "external_id,customer_email,household_id,line1,city,lat,lon,items,window_start,window_end"


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Database, Seeded]]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LINGXI_DB__URL", url)
    monkeypatch.setenv("LINGXI_PUBLIC_URL", "https://lingxi.example")
    get_settings.cache_clear()
    db = Database.from_url(url)
    upgrade(db.engine)
    yield db, seed(db)
    db.dispose()
    get_settings.cache_clear()


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_invite_and_reset_print_links_that_work(cli_db: tuple[Database, Seeded]) -> None:
    """The CLI's invitation link joins the household; its reset link sets a new password."""
    db, seeded = cli_db
    code, out, _ = _run(
        "user",
        "invite",
        "Kim@Example.org",
        "--household",
        str(seeded.household_a),
        "--role",
        "adult",
        "--json",
    )
    assert code == 0, out
    doc = json.loads(out)
    assert doc["link"] == f"https://lingxi.example/#/join/{doc['token']}"
    joined = commerce.accept_invitation(db, doc["token"], "Kim", "kims-password", ttl_s=60)
    assert (joined.member.household_id, joined.member.role) == (seeded.household_a, "adult")
    code, out, _ = _run("user", "reset-password", "kim@example.org", "--ttl-minutes", "5")
    assert code == 0 and "works once" in out
    token = out.strip().rsplit("/#/reset/", 1)[1].split()[0]
    assert commerce.reset_password(db, token, "kims-new-password") == 1
    code, _, err = _run("user", "reset-password", "ghost@example.org")
    assert code == 2 and "ghost@example.org" in err
    code, _, err = _run("user", "invite", "x@example.org", "--role", "child")
    assert code == 2 and "household_id" in err


def test_orders_import_reports_then_imports_once(
    cli_db: tuple[Database, Seeded], tmp_path: Path
) -> None:
    """A bad row: exit 2, one line naming row, field and value, nothing written; --dry-run of a
    good file writes nothing; the import creates; a second import creates nothing new."""
    _, seeded = cli_db
    good = [
        f"S-{i},alice@example.org,,{i} Rue Grimaldi,Monaco,43.73,7.42,T-1:1; T-2:2,"
        "2026-12-03T09:00:00Z,2026-12-03T12:00:00Z"
        for i in range(3)
    ] + [f"S-9,,{seeded.household_b},9 Rue Grimaldi,Monaco,43.73,7.42,T-3,,"]
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([HEADER, *good, "S-5,alice@example.org,,x,Monaco,43.7,7.4,T-404,,"]))
    code, _, err = _run("orders", "import", str(path))
    assert code == 2 and "row 6: items = 'T-404'" in err and "nothing imported" in err
    path.write_text("\n".join([HEADER, *good]))
    code, out, _ = _run("orders", "import", str(path), "--dry-run", "--json")
    assert code == 0 and json.loads(out)["counts"]["would_create"] == 4
    code, out, _ = _run("orders", "import", str(path))
    assert code == 0 and "created 4 order(s)" in out
    code, out, _ = _run("orders", "import", str(path), "--json")
    assert code == 0 and json.loads(out)["counts"] == {
        "created": 0,
        "duplicate": 4,
        "would_create": 0,
        "invalid": 0,
    }
    code, _, err = _run("orders", "import", str(tmp_path / "missing.csv"))
    assert code == 2 and "missing.csv" in err
