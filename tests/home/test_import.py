"""Bring your own home: `lingxi home import` of a Home Assistant-style inventory, then `home
state` and `home do` on it, through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lingxi.cli.home import app
from lingxi.config import get_settings
from lingxi.data import Database
from lingxi.home import HomeController
from lingxi.home.drivers.memory import MemoryDriver
from lingxi.home.model import Command

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
SMALL_FLAT = ROOT / "examples" / "homes" / "small_flat.yaml"


@pytest.fixture
def cli(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The CLI configured (through the environment) on the empty, migrated ``db``."""
    monkeypatch.setenv("LINGXI_DB__URL", db.engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("LINGXI_MQTT__URL", raising=False)
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def _run(*args: str) -> tuple[int, Any]:
    r = runner.invoke(app, [*args, "--json"])
    return r.exit_code, json.loads(r.stdout)


def _entities(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["entity_id"]: e for e in doc["entities"]}


def test_small_flat_imports_into_an_empty_database_once(cli: Database) -> None:
    """Household 1 is created; a second import of the same file changes nothing; `home state`
    shows every entity in Home Assistant's terms."""
    code, first = _run("import", str(SMALL_FLAT))
    assert code == 0, first
    assert first["household_id"] == 1 and first["household_created"] is True
    assert first["areas"] == {"created": 5}
    assert first["devices"] == {"created": 10}
    assert first["entities"] == {"created": 13}
    assert first["states_recorded"] == 13
    code, again = _run("import", str(SMALL_FLAT))
    assert code == 0
    assert again["household_created"] is False
    assert again["entities"] == {"unchanged": 13} and again["states_recorded"] == 0

    code, doc = _run("state")
    assert code == 0
    got = _entities(doc)
    assert set(doc["entities"][0]) == {"entity_id", "name", "area", "state", "attributes"}
    hall = got["light.hall_light"]
    assert hall["state"] == "off" and hall["area"] == "hall"
    assert hall["attributes"]["supported_color_modes"] == ["onoff"]
    assert "brightness" not in hall["attributes"]
    lamp = got["light.floor_lamp"]["attributes"]
    assert lamp["brightness"] == 128 and lamp["color_mode"] == "brightness"
    kitchen = got["light.kitchen_light"]["attributes"]
    assert kitchen["supported_color_modes"] == ["color_temp", "hs"]
    assert kitchen["color_temp_kelvin"] == 3000
    assert got["fan.bedroom_fan"]["area"] == "bedroom"  # from its device
    assert got["cover.living_room_blind"]["attributes"]["current_position"] == 80
    assert got["media_player.sonos_one"]["attributes"]["volume_level"] == 0.25
    assert got["climate.thermostat"]["attributes"]["temperature"] == 20.5
    assert got["valve.water_main"]["state"] == "open"
    assert got["sensor.bathroom_temperature"]["state"] == "22.4"
    assert got["todo.shopping_list"]["state"] == "2"
    assert got["vacuum.roborock_s7"]["attributes"]["supported_features"] == 13052


def test_names_per_language_are_imported_and_shown(cli: Database, tmp_path: Path) -> None:
    """An area's and an entity's ``names`` reach the state in that language (the English one
    stands in for a missing ``name``); importing again changes nothing; an unknown language or
    a name that is not text is refused naming its row and field."""
    assert _run("import", str(SMALL_FLAT))[0] == 0
    rows = HomeController(cli, driver=MemoryDriver()).state(1, "light.hall_light", language="zh-CN")
    assert (rows[0]["name"], rows[0]["area_name"], rows[0]["state_label"]) == (
        "门厅灯",
        "门厅",
        "关",
    )
    again = _run("import", str(SMALL_FLAT))[1]
    assert again["areas"] == {"unchanged": 5} and again["entities"] == {"unchanged": 13}
    doc = {
        "areas": [{"id": "den", "names": {"en": "Den", "zh": "小房间"}}],
        "entities": [
            {"id": "light.den", "names": {"en": "Den Lamp"}, "area": "den", "state": "on"}
        ],
    }
    path = tmp_path / "names.json"
    path.write_text(json.dumps(doc))
    assert _run("import", str(path))[0] == 0
    rows = HomeController(cli, driver=MemoryDriver()).state(1, "light.den", language="en")
    assert (rows[0]["name"], rows[0]["area_name"]) == ("Den Lamp", "Den")
    doc["areas"][0]["names"] = {"fr": "Tanière"}
    doc["entities"][0]["names"] = ["Den Lamp"]
    path.write_text(json.dumps(doc))
    code, refused = _run("import", str(path))
    assert code == 2
    where = {(e["row"], e["field"]) for e in refused["error"]["details"]["errors"]}
    assert ("areas[0] (den)", "names.fr") in where
    assert ("entities[0] (light.den)", "names") in where


def test_home_do_acts_as_the_owner_and_yes_confirms(cli: Database) -> None:
    """On the imported home: a plain act is done; unlocking asks for a yes (exit 1) and
    --yes gives it; every change is in `home state` afterwards."""
    assert _run("import", str(SMALL_FLAT))[0] == 0
    code, done = _run("do", "turn on the hall light")
    assert code == 0, done
    assert done["changes"][0]["entity_id"] == "light.hall_light"
    assert done["changes"][0]["state"] == "on"
    assert "brightness" not in done["changes"][0]["attributes"]  # an on/off-only light
    code, asked = _run("do", "unlock the front door")
    assert code == 1 and asked["error"]["code"] == "confirmation_required"
    code, unlocked = _run("do", "unlock the front door", "--yes")
    assert code == 0 and unlocked["changes"][0]["state"] == "unlocked"
    code, blind = _run("do", "set the living room blind to 30%")
    assert code == 0, blind
    got = _entities(_run("state")[1])
    assert got["lock.front_door"]["state"] == "unlocked"
    assert got["light.hall_light"]["state"] == "on"
    assert got["cover.living_room_blind"]["attributes"]["current_position"] == 30


BAD = {
    "areas": [{"id": "hall", "name": "Hall"}, {"id": "bad area", "name": "X"}],
    "devices": [{"id": "d1", "name": "Lamp", "area": "attic"}],
    "entities": [
        {"id": "light.hall", "name": "Hall", "area": "hall", "state": "on",
         "attributes": {"brightness": 300}},
        {"id": "toaster.t", "name": "Toaster", "state": "on"},
        {"id": "lock.door", "name": "Door", "state": "open-ish"},
        {"id": "fan.f", "device": "nope", "state": "off"},
        {"id": "light.ok", "name": "Ok", "state": "on",
         "attributes": {"supported_color_modes": ["onoff", "brightness"]}},
    ],
}  # fmt: skip


def test_bad_rows_are_refused_naming_row_and_field(cli: Database, tmp_path: Path) -> None:
    """Every bad row is reported (row, field, problem) with exit 2, and nothing is written."""
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(BAD))
    code, doc = _run("import", str(path))
    assert code == 2
    error = doc["error"]
    assert error["code"] == "invalid_input"
    assert "entities" in error["message"] or "areas" in error["message"]
    where = {(e["row"], e["field"]) for e in error["details"]["errors"]}
    assert ("areas[1]", "id") in where
    assert ("devices[0] (d1)", "area") in where
    assert ("entities[0] (light.hall)", "attributes.brightness") in where
    assert ("entities[1] (toaster.t)", "id") in where
    assert ("entities[2] (lock.door)", "state") in where
    assert ("entities[3] (fan.f)", "device") in where
    assert ("entities[4] (light.ok)", "attributes.supported_color_modes") in where
    code, state = _run("state")
    assert code == 2  # no household, no devices: nothing was imported


@pytest.mark.parametrize(
    ("text", "field"),
    [("[1, 2", "file"), ('{"areas": 3, "entities": []}', "areas."), ("{}", "entities.")],
)
def test_unreadable_inventories_are_refused(
    cli: Database, tmp_path: Path, text: str, field: str
) -> None:
    """Not JSON, a list where rows belong, no entities: exit 2 with the field named."""
    path = tmp_path / "inv.json"
    path.write_text(text)
    code, doc = _run("import", str(path))
    assert code == 2
    assert doc["error"]["details"]["field"] == field


def test_an_unknown_household_is_refused(cli: Database) -> None:
    """--household of a household that does not exist (and is not the first) is exit 2."""
    code, doc = _run("import", str(SMALL_FLAT), "--household", "7")
    assert code == 2 and doc["error"]["details"]["field"] == "household"


def test_a_to_do_list_takes_an_item(cli: Database) -> None:
    """HassListAddItem on the imported list adds the item; the state counts the open items."""
    assert _run("import", str(SMALL_FLAT))[0] == 0
    from lingxi.data.repos.identity import Member

    controller = HomeController(cli, driver=MemoryDriver())
    owner = Member(0, 1, "owner", "CLI", "")
    command = Command("HassListAddItem", {"item": "bread"}, targets=("todo.shopping_list",))
    result = controller.execute([command], owner)
    assert result.changes[0]["state"] == "3"
    assert result.changes[0]["attributes"]["items"] == ["milk", "eggs", "bread"]


def test_a_new_user_imports_and_acts_from_a_cold_cli(tmp_path: Path) -> None:
    """The README's steps as processes: db upgrade, home import, home do."""
    env = {**os.environ, "LINGXI_DB__URL": f"sqlite:///{tmp_path / 'new.db'}"}
    env.pop("LINGXI_MQTT__URL", None)
    lingxi = [sys.executable, "-m", "lingxi.cli"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*lingxi, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    assert run("db", "upgrade").returncode == 0
    imported = run("home", "import", str(SMALL_FLAT), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["entities"] == {"created": 13}
    done = run("home", "do", "turn off the floor lamp", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["changes"][0]["state"] == "off"
