"""`lingxi home ...` through Typer's runner on a temporary database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lingxi.cli.home import app
from lingxi.config import get_settings
from lingxi.data import Database, upgrade
from tests.home.conftest import load_home

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A migrated SQLite file with the demo home, configured through the environment."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = Database.from_url(url)
    upgrade(db.engine)
    members = load_home(db)
    db.dispose()
    monkeypatch.setenv("LINGXI_DB__URL", url)
    monkeypatch.delenv("LINGXI_MQTT__URL", raising=False)
    get_settings.cache_clear()
    yield members["owner"].household_id
    get_settings.cache_clear()


def test_parse_json_prints_one_document(cli_db: int) -> None:
    """`lingxi home parse TEXT --json` prints {"commands", "reason"} and nothing else."""
    r = runner.invoke(
        app,
        [
            "parse",
            "关灯然后把空调调到26度",
            "--json",
            "--household",
            str(cli_db),
            "--area",
            "living_room",
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [c["intent"] for c in doc["commands"]] == ["HassTurnOff", "HassClimateSetTemperature"]
    assert doc["commands"][1]["slots"]["temperature"] == 26
    assert doc["reason"] is None


def test_parse_no_match_has_a_reason(cli_db: int) -> None:
    """Gibberish is no command with reason no_intent."""
    r = runner.invoke(
        app, ["parse", "purple monkey dishwasher", "--json", "--household", str(cli_db)]
    )
    assert json.loads(r.stdout)["commands"] == []
    assert json.loads(r.stdout)["reason"] in ("no_intent", "no_target")


def test_do_acts_and_unknown_area_is_exit_2(cli_db: int) -> None:
    """`lingxi home do` carries the request out; a bad --area names the field, exit 2."""
    r = runner.invoke(app, ["do", "turn on the porch light", "--household", str(cli_db)])
    assert r.exit_code == 0, r.output
    assert "Porch Light" in r.stdout
    r = runner.invoke(app, ["parse", "lights on", "--household", str(cli_db), "--area", "garage"])
    assert r.exit_code == 2
    assert "area" in r.output


def test_empty_household_is_a_clear_error(cli_db: int) -> None:
    """A household without devices says how to load the demo (exit 2)."""
    r = runner.invoke(app, ["parse", "lights on", "--json", "--household", "999"])
    assert r.exit_code == 2
    assert "demo" in json.loads(r.stdout)["error"]["message"]


def test_state_json_is_home_assistant_entities(cli_db: int) -> None:
    """`lingxi home state --json` prints {"entities": [...]} with HA's names and states."""
    r = runner.invoke(app, ["state", "--json", "--household", str(cli_db)])
    assert r.exit_code == 0, r.output
    entities = {e["entity_id"]: e for e in json.loads(r.stdout)["entities"]}
    assert set(next(iter(entities.values()))) == {
        "entity_id",
        "name",
        "area",
        "state",
        "attributes",
    }
    assert entities["lock.front_door"]["state"] == "locked"
    porch = entities["light.porch"]["attributes"]
    assert porch["supported_color_modes"] == ["brightness"]
    assert "current_position" in entities["cover.bedroom_blinds"]["attributes"]


def test_do_json_acts_as_the_owner_and_yes_confirms(cli_db: int) -> None:
    """A risky act asks for a yes (confirmation_required, exit 1); with --yes it is carried out,
    as the owner would."""
    r = runner.invoke(app, ["do", "unlock the front door", "--json", "--household", str(cli_db)])
    asked = json.loads(r.stdout)
    assert r.exit_code == 1 and asked["error"]["code"] == "confirmation_required", r.stdout
    r = runner.invoke(
        app, ["do", "unlock the front door", "--json", "--yes", "--household", str(cli_db)]
    )
    assert r.exit_code == 0, r.output
    done = json.loads(r.stdout)
    assert done["ok"] and done["changes"][0]["state"] == "unlocked"
    r = runner.invoke(app, ["state", "--json", "--household", str(cli_db)])
    states = {e["entity_id"]: e["state"] for e in json.loads(r.stdout)["entities"]}
    assert states["lock.front_door"] == "unlocked"
