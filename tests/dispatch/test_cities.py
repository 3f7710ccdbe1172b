"""`lingxi city import|list|use|show`: an operator's OSM extract becomes a cached, routable city."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lingxi.cli.city import app
from lingxi.config import DispatchSettings, Settings, get_settings
from lingxi.dispatch import active_city, city_network_path, load_network
from lingxi.dispatch.roadnet import RoadNetwork
from tests.conftest import SHARED_DATA

OAKLAND = SHARED_DATA / "osm" / "West-Oakland.osm.bz2"
MONACO = Path(__file__).parents[2] / "lingxi" / "data" / "demo" / "monaco.osm.pbf"

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The CLI's data dir (and database) in a temporary folder."""
    monkeypatch.setenv("LINGXI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LINGXI_DB__URL", f"sqlite:///{tmp_path / 'lingxi.db'}")
    monkeypatch.delenv("LINGXI_DISPATCH__CITY", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _json(args: list[str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = runner.invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_import_west_oakland_caches_the_network(data_dir: Path) -> None:
    """The extract is read once into ``<data_dir>/cities``; the cache is the same graph."""
    code, doc = _json(["import", str(OAKLAND), "--name", "West-Oakland"])
    assert code == 0, doc
    assert doc["name"] == "west-oakland" and doc["nodes"] > 50 and not doc["active"]
    cached = data_dir / "cities" / "west-oakland.npz"
    assert cached.is_file() and [p.name for p in cached.parent.iterdir()] == [cached.name]
    fresh = RoadNetwork.from_pbf(OAKLAND, city="west-oakland")
    loaded = load_network(cached)
    assert loaded.city == "west-oakland"
    for name in ("lat", "lon", "tail", "head", "length_m", "time_s", "way"):
        assert np.array_equal(getattr(loaded, name), getattr(fresh, name)), name
    code, listed = _json(["list"])
    assert code == 0
    assert [(c["name"], c["active"], c["builtin"]) for c in listed["cities"]] == [
        ("monaco", True, True),
        ("west-oakland", False, False),
    ]


def test_use_selects_the_active_city_and_the_setting_wins(data_dir: Path) -> None:
    """`city use` makes a city active; the default stays Monaco; LINGXI_DISPATCH__CITY wins."""
    settings = Settings(data_dir=data_dir)
    assert active_city(settings) == "monaco" and city_network_path(settings) is None
    assert runner.invoke(app, ["import", str(OAKLAND), "--name", "west-oakland"]).exit_code == 0
    code, doc = _json(["use", "west-oakland"])
    assert code == 0 and doc["active"]
    assert city_network_path(settings) == data_dir / "cities" / "west-oakland.npz"
    pinned = Settings(data_dir=data_dir, dispatch=DispatchSettings(city="monaco"))
    assert active_city(pinned) == "monaco"
    code, doc = _json(["use", "atlantis"])
    assert code == 2 and doc["error"]["details"] == {"field": "city", "value": "atlantis"}
    code, doc = _json(["import", str(OAKLAND), "--name", "no spaces"])
    assert code == 2 and doc["error"]["details"]["field"] == "name"


@pytest.mark.parametrize(
    ("source", "keep", "suffix"),
    [(MONACO, 400_000, ".osm.pbf"), (OAKLAND, 6_000, ".osm.bz2")],
    ids=["pbf", "bz2"],
)
def test_truncated_extract_exits_2_and_builds_nothing(
    data_dir: Path, source: Path, keep: int, suffix: str
) -> None:
    """A cut-off extract: exit 2 naming the file; the city imported before is left as it was."""
    assert runner.invoke(app, ["import", str(OAKLAND), "--name", "city"]).exit_code == 0
    cached = data_dir / "cities" / "city.npz"
    before = cached.read_bytes()
    broken = data_dir / f"broken{suffix}"
    broken.write_bytes(source.read_bytes()[:keep])
    result = runner.invoke(app, ["import", str(broken), "--name", "city"])
    assert result.exit_code == 2
    assert str(broken) in result.stderr and "Traceback" not in result.output + result.stderr
    assert cached.read_bytes() == before
    assert [p.name for p in cached.parent.iterdir()] == ["city.npz"]  # no temporary file left
    code, doc = _json(["import", str(broken), "--name", "other"])
    assert code == 2 and doc["error"]["details"]["field"] == "file"
    assert not (data_dir / "cities" / "other.npz").exists()
