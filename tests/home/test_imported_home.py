"""What a new user says to a home they imported (examples/homes/small_flat.yaml), through
`lingxi home do --json` to the stored state. Written from a new user's first session: each
request here once did the wrong thing or nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lingxi.cli.home import app
from lingxi.config import get_settings
from lingxi.data import Database

SMALL_FLAT = Path(__file__).resolve().parents[2] / "examples" / "homes" / "small_flat.yaml"
runner = CliRunner()


@pytest.fixture
def flat(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LINGXI_DB__URL", db.engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("LINGXI_MQTT__URL", raising=False)
    get_settings.cache_clear()
    assert runner.invoke(app, ["import", str(SMALL_FLAT), "--json"]).exit_code == 0
    yield
    get_settings.cache_clear()


def _do(text: str) -> tuple[int, dict[str, Any]]:
    r = runner.invoke(app, ["do", text, "--json"])
    return r.exit_code, json.loads(r.stdout)


def _state() -> dict[str, dict[str, Any]]:
    r = runner.invoke(app, ["state", "--json"])
    return {e["entity_id"]: e for e in json.loads(r.stdout)["entities"]}


@pytest.mark.parametrize(
    ("text", "item", "reply"),
    [
        ("add oat milk to the shopping list", "oat milk", "Added oat milk to Shopping List."),
        ("把燕麦奶加到购物清单", "燕麦奶", "已把燕麦奶加到购物清单。"),
    ],
)
def test_an_item_goes_onto_the_homes_shopping_list(
    flat: None, text: str, item: str, reply: str
) -> None:
    code, doc = _do(text)
    assert code == 0, doc
    assert doc["reply"] == reply
    assert _state()["todo.shopping_list"]["attributes"]["items"] == ["milk", "eggs", item]


@pytest.mark.parametrize("text", ["shut off the water", "turn off the water main", "关掉总水阀"])
def test_the_water_means_the_valve(flat: None, text: str) -> None:
    before = _state()
    code, doc = _do(text)
    assert code == 0, doc
    after = _state()
    assert after["valve.water_main"]["state"] == "closed", doc
    for other in ("cover.living_room_blind", "switch.kettle"):
        assert after[other]["state"] == before[other]["state"], doc


@pytest.mark.parametrize(
    "text", ["what's the temperature in the bathroom", "how warm is the bathroom", "浴室温度多少"]
)
def test_a_sensor_is_read_by_its_room(flat: None, text: str) -> None:
    code, doc = _do(text)
    assert code == 0, doc
    assert "22.4" in doc["reply"], doc


@pytest.mark.parametrize("text", ["make the bedroom fan go faster", "卧室风扇开大一点"])
def test_a_fan_speeds_up(flat: None, text: str) -> None:
    assert _do("set the bedroom fan to 30 percent")[0] == 0
    code, doc = _do(text)
    assert code == 0, doc
    fan = _state()["fan.bedroom_fan"]
    assert fan["state"] == "on" and fan["attributes"]["percentage"] > 30, doc


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("boil the kettle", "Please confirm: switch on Kettle, which heats."),
        ("打开电水壶", "请确认：打开电水壶（会加热）。"),
    ],
)
def test_a_heating_appliance_asks_in_its_own_words(flat: None, text: str, message: str) -> None:
    r = runner.invoke(app, ["do", text, "--json"])
    assert r.exit_code == 1
    error = json.loads(r.stdout)["error"]
    assert error["code"] == "confirmation_required" and error["message"] == message
    assert error["details"]["acts"] == ["heat_above_limit"]
    assert _state()["switch.kettle"]["state"] == "off"  # nothing until the yes
    r = runner.invoke(app, ["do", text, "--yes", "--json"])
    assert r.exit_code == 0, r.stdout
    assert _state()["switch.kettle"]["state"] == "on"
