"""`lingxi catalogue import|versions|rollback` on the two other Sephora catalogues, with the
mapping files shipped in examples/catalogues/, then `lingxi guide recommend` over each.

Each test imports a slice of the real file (every n-th row, so every category is present) to
keep the embedding time small; the full files are imported by `test_full_files` (slow)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lingxi.cli import catalogue, guide
from lingxi.config import get_settings
from lingxi.data import Database, upgrade
from tests.conftest import SHARED_DATA

runner = CliRunner()
app = typer.Typer()
app.add_typer(catalogue.app, name="catalogue")
app.add_typer(guide.app, name="guide")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalogues"
DATA = SHARED_DATA / "guide"
SEPHORA = "sephora_product_info_skincare_subset"
JJONE36 = "jjone36_cosmetic_raw"
pytestmark = pytest.mark.skipif(not (DATA / f"{SEPHORA}.csv").exists(), reason="no shared data")


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A migrated SQLite database that the CLI's settings point at."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = Database.from_url(url)
    upgrade(db.engine)
    monkeypatch.setenv("LINGXI_DB__URL", url)
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()
    db.dispose()


def _slice(name: str, step: int, tmp_path: Path, *, repeat_first: bool = False) -> Path:
    """Every ``step``-th row of a shared catalogue, its header kept (and the first row again)."""
    with (DATA / f"{name}.csv").open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)[::step]
    if repeat_first:
        rows.append(rows[0])
    path = tmp_path / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _json(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = runner.invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def _recommend(text: str) -> dict:  # type: ignore[type-arg]
    code, doc = _json("guide", "recommend", text, "--k", "5")
    assert code == 0, doc
    return doc


def test_sephora_subset_import_then_recommend(cli_db: Database, tmp_path: Path) -> None:
    """Import the Kaggle subset with its mapping; a second import changes nothing; the guide
    recommends cleansers of that catalogue under $30 without fragrance."""
    path = _slice(SEPHORA, 17, tmp_path)
    mapping = str(EXAMPLES / f"{SEPHORA}.mapping.yaml")
    code, dry = _json("catalogue", "import", str(path), "--mapping", mapping, "--dry-run")
    assert code == 0 and (dry["inserted"], dry["applied"]) == (16, False)
    code, report = _json("catalogue", "import", str(path), "--mapping", mapping)
    assert code == 0, report
    assert (report["inserted"], report["invalid"], report["version"]) == (16, 0, 1)
    assert report["reembedded"] == 16
    code, again = _json("catalogue", "import", str(path), "--mapping", mapping)
    assert code == 0 and (again["unchanged"], again["version"]) == (16, None)
    assert again["message"].startswith("Nothing changed")

    with path.open(encoding="utf-8", newline="") as fh:
        names = {row["product_name"] for row in csv.DictReader(fh)}
    doc = _recommend("a cleanser under $30 without fragrance")
    assert doc["relaxed"] == [] and doc["items"]
    for item in doc["items"]:
        assert item["name"] in names
        assert item["category"] == "Cleanser" and item["price"] <= 30
        assert "no fragrance" in item["reason"]


def test_jjone36_import_report_skip_invalid_and_rollback(cli_db: Database, tmp_path: Path) -> None:
    """The raw scrape: a repeated SKU is named in the report and refused (exit 2) until
    --skip-invalid; the guide then finds oily-skin face masks under $100; rollback empties it."""
    path = _slice(JJONE36, 90, tmp_path, repeat_first=True)
    mapping = str(EXAMPLES / f"{JJONE36}.mapping.yaml")
    code, refused = _json("catalogue", "import", str(path), "--mapping", mapping)
    assert code == 2 and refused["applied"] is False
    assert refused["issues"] == [
        {
            "row": 20,
            "field": "sku",
            "value": "P416341",
            "problem": "duplicate_sku",
            "message": "row 20: sku must be unique in the file; got 'P416341' (first in row 1)",
        }
    ]
    code, report = _json("catalogue", "import", str(path), "--mapping", mapping, "--skip-invalid")
    assert code == 0 and (report["inserted"], report["invalid"]) == (19, 1)

    doc = _recommend("face mask for oily skin under $100")
    assert doc["relaxed"] == [] and doc["items"]
    for item in doc["items"]:
        assert item["category"] == "Face Mask" and item["price"] <= 100
        assert "oily" in item["skin_types"]

    code, versions = _json("catalogue", "versions")
    assert code == 0 and [v["status"] for v in versions["data"]] == ["applied"]
    code, undone = _json("catalogue", "rollback", "1")
    assert code == 0 and (undone["versions"], undone["deleted"]) == ([1], 19)
    code, again = _json("catalogue", "rollback", "1")
    assert code == 1 and again["error"]["code"] == "conflict"


def test_a_bad_mapping_or_file_exits_2_naming_the_field(cli_db: Database, tmp_path: Path) -> None:
    """A mapping naming a column the file lacks, or a missing file: one line, exit 2."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("fields: {sku: id, name: n, brand: b, category: c, price: p}\n")
    result = runner.invoke(
        app, ["catalogue", "import", str(DATA / f"{SEPHORA}.csv"), "--mapping", str(bad)]
    )
    assert result.exit_code == 2 and "'id'" in result.output and "Traceback" not in result.output
    code, doc = _json("catalogue", "import", str(tmp_path / "missing.csv"))
    assert code == 2 and doc["error"]["details"]["field"] == "file"


@pytest.mark.slow
def test_full_files(cli_db: Database) -> None:
    """Both whole files, without embedding (timed in the report): 257 products, then the
    scrape's 1,477 distinct SKUs (51 of which are the same Sephora products, updated)."""
    for name, inserted, updated in ((SEPHORA, 257, 0), (JJONE36, 1426, 51)):
        code, report = _json(
            "catalogue",
            "import",
            str(DATA / f"{name}.csv"),
            "--mapping",
            str(EXAMPLES / f"{name}.mapping.yaml"),
            "--skip-invalid",
            "--no-embed",
        )
        assert code == 0, report
        assert (report["inserted"], report["updated"]) == (inserted, updated)
