"""Commands for later: stored (not done) when asked, through the controller, the CLI and HTTP;
carried out once by the scheduler when due, on a pinned clock; risky ones ask first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lingxi.api import create_app
from lingxi.cli.home import app as cli_app
from lingxi.config import HomeSettings, Settings, get_settings
from lingxi.data import Database
from lingxi.data.repos.home_automations import list_automations
from lingxi.data.repos.identity import Member, issue_token
from lingxi.errors import ConfirmationRequiredError, ConflictError, ForbiddenError
from lingxi.home import HomeController
from lingxi.home.automations import AutomationScheduler
from lingxi.home.drivers.memory import MemoryDriver
from tests.home.conftest import load_home

NOON = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
runner = CliRunner()


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def home(db: Database) -> tuple[HomeController, dict[str, Member], Clock]:
    """A controller over the in-memory driver, clock times in UTC, the wall clock at noon."""
    clock = Clock(NOON)
    controller = HomeController(
        db, settings=HomeSettings(timezone="UTC"), driver=MemoryDriver(), wall_clock=clock
    )
    return controller, load_home(db), clock


def _state(controller: HomeController, household_id: int, entity_id: str) -> str:
    return str(controller.state(household_id, entity_id)[0]["state"])


@pytest.mark.parametrize(
    ("text", "intent", "state"),
    [
        ("turn on the bedroom light at nine thirty pm", "HassTurnOn", "on"),
        ("晚上九点半打开卧室的灯", "HassTurnOn", "on"),
    ],
)
def test_a_command_for_later_is_stored_and_done_once_when_due(
    home: tuple[HomeController, dict[str, Member], Clock], text: str, intent: str, state: str
) -> None:
    """Nothing happens when it is asked; at 21:29 nothing either; at 21:30 it is done, once."""
    controller, members, clock = home
    owner = members["owner"]
    hid = owner.household_id
    result = controller.handle(text, owner)
    assert result.ok and result.automation is not None and not result.changes
    assert result.automation["schedule"] == {"at": "21:30"}
    assert result.automation["due_at"] == "2026-12-04T21:30:00+00:00"
    assert result.automation["commands"][0]["intent"] == intent
    assert _state(controller, hid, "light.bedroom") == "off"
    scheduler = AutomationScheduler(lambda: controller, wall_clock=clock)
    clock.now = NOON.replace(hour=21, minute=29)
    assert scheduler.tick() == []
    assert _state(controller, hid, "light.bedroom") == "off"
    clock.now = NOON.replace(hour=21, minute=30, second=5)
    assert [a.id for a in scheduler.tick()] == [result.automation["id"]]
    assert _state(controller, hid, "light.bedroom") == state
    assert scheduler.tick() == []  # done once
    with controller.db.session() as s:
        (row,) = list_automations(s, household_id=hid, include_finished=True)
    assert (row.status, row.finished_at) == ("done", clock.now)
    history = controller.history(hid, entity_id="light.bedroom", limit=1)
    assert history[0]["source"] == "automation"


def test_clock_times_are_read_in_the_households_zone(db: Database) -> None:
    """21:30 said in Shanghai is 13:30 UTC; said after 21:30, it is tomorrow's."""
    members = load_home(db)
    clock = Clock(datetime(2026, 12, 4, 14, 0, tzinfo=UTC))  # 22:00 in Shanghai
    controller = HomeController(
        db,
        settings=HomeSettings(timezone="Asia/Shanghai"),
        driver=MemoryDriver(),
        wall_clock=clock,
    )
    result = controller.handle("晚上九点半关掉卧室的灯", members["owner"])
    assert result.automation is not None
    assert result.automation["due_at"] == "2026-12-05T13:30:00+00:00"
    later = controller.handle("turn on the kitchen light in ten minutes", members["owner"])
    assert later.automation is not None
    assert later.automation["due_at"] == (clock.now + timedelta(minutes=10)).isoformat()


def test_a_risky_command_for_later_asks_before_it_is_stored(
    home: tuple[HomeController, dict[str, Member], Clock],
) -> None:
    """Unlocking later needs the yes now: nothing is stored until it; a child is refused."""
    controller, members, clock = home
    adult, child = members["adult"], members["child"]
    hid = adult.household_id
    with pytest.raises(ConfirmationRequiredError) as asked:
        controller.handle("unlock the front door at ten pm", adult)
    with controller.db.session() as s:
        assert list_automations(s, household_id=hid) == []
    done = controller.confirm(asked.value.token, adult)
    assert done.automation is not None and done.automation["confirmed"] is True
    assert _state(controller, hid, "lock.front_door") == "locked"
    with pytest.raises(ForbiddenError):
        controller.handle("unlock the front door at ten pm", child)
    clock.now = NOON.replace(hour=22)
    AutomationScheduler(lambda: controller, wall_clock=clock).tick()
    assert _state(controller, hid, "lock.front_door") == "unlocked"


def test_a_cancelled_automation_never_runs(
    home: tuple[HomeController, dict[str, Member], Clock],
) -> None:
    """Cancelled before it is due, it is not run; cancelling twice is a conflict."""
    from lingxi.home import automations

    controller, members, clock = home
    owner = members["owner"]
    result = controller.handle("turn on the bedroom light at nine thirty pm", owner)
    assert result.automation is not None
    automations.cancel(controller, result.automation["id"], owner)
    with pytest.raises(ConflictError, match="cancelled"):
        automations.cancel(controller, result.automation["id"], owner)
    clock.now = NOON.replace(hour=23)
    assert AutomationScheduler(lambda: controller, wall_clock=clock).tick() == []
    assert _state(controller, owner.household_id, "light.bedroom") == "off"


@pytest.fixture
def cli_home(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The CLI on this test's database (SQLite or PostgreSQL), clock times in UTC."""
    hid = load_home(db)["owner"].household_id
    monkeypatch.setenv("LINGXI_DB__URL", db.engine.url.render_as_string(False))
    monkeypatch.setenv("LINGXI_HOME__TIMEZONE", "UTC")
    monkeypatch.delenv("LINGXI_MQTT__URL", raising=False)
    get_settings.cache_clear()
    yield hid
    get_settings.cache_clear()


def _cli(*args: str) -> tuple[int, Any]:
    r = runner.invoke(cli_app, [*args, "--json"])
    return r.exit_code, json.loads(r.stdout)


def test_cli_stores_lists_and_cancels(cli_home: int) -> None:
    """`home do` stores it (done_now false), `home automations` lists it, `cancel ID` drops it;
    a risky one without --yes is asked for and not stored."""
    hid = str(cli_home)
    code, doc = _cli("do", "turn off the bedroom light at nine thirty pm", "--household", hid)
    assert code == 0 and doc["done_now"] is False and doc["changes"] == [], doc
    automation = doc["automation"]
    assert datetime.fromisoformat(automation["due_at"]).strftime("%H:%M") == "21:30"
    assert automation["commands"][0]["targets"] == ["light.bedroom"]
    code, doc = _cli("do", "unlock the front door at ten pm", "--household", hid)
    assert code == 1 and doc["error"]["code"] == "confirmation_required"
    code, listed = _cli("automations", "--household", hid)
    assert code == 0 and [a["id"] for a in listed["data"]] == [automation["id"]]
    code, doc = _cli("do", "unlock the front door at ten pm", "--household", hid, "--yes")
    assert code == 0 and doc["automation"]["confirmed"] is True
    code, cancelled = _cli("automations", "cancel", str(automation["id"]), "--household", hid)
    assert code == 0 and cancelled["status"] == "cancelled"
    code, listed = _cli("automations", "--household", hid)
    assert [a["text"] for a in listed["data"]] == ["unlock the front door at ten pm"]
    code, doc = _cli("automations", "cancel", str(automation["id"]), "--household", hid)
    assert code != 0 and doc["error"]["code"] == "automation_finished"


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, Any], Clock, Any]]:
    """The app with a home controller on a pinned wall clock, and bearer headers per role."""
    members = load_home(db)
    clock = Clock(NOON)
    settings = Settings(
        environment="test",
        db={"url": db.engine.url.render_as_string(False)},  # type: ignore[arg-type]
        home={"timezone": "UTC"},  # type: ignore[arg-type]
        data_dir=tmp_path,
    )
    headers = {}
    with db.session() as s:
        for role, m in members.items():
            headers[role] = {"Authorization": f"Bearer {issue_token(s, customer_id=m.customer_id)}"}
    app = create_app(settings, database=db)
    controller = HomeController(db, settings=settings.home, driver=MemoryDriver(), wall_clock=clock)
    app.state.services["home_controller"] = controller
    with TestClient(app) as client:
        yield client, headers, clock, controller


def test_http_stores_lists_cancels_and_the_scheduler_runs_it(
    api: tuple[TestClient, dict[str, Any], Clock, HomeController],
) -> None:
    """POST /command stores it; GET lists it; DELETE cancels another; the due one runs."""
    client, headers, clock, controller = api
    owner = headers["owner"]
    r = client.post("/api/home/command", json={"text": "晚上九点半打开卧室的灯"}, headers=owner)
    assert r.status_code == 200, r.text
    first = r.json()["automation"]
    assert first["status"] == "scheduled" and r.json()["changes"] == []
    r = client.post(
        "/api/home/command", json={"text": "turn on the kitchen light at ten pm"}, headers=owner
    )
    second = r.json()["automation"]
    listed = client.get("/api/home/automations", headers=headers["adult"]).json()
    assert listed["count"] == 2 and [a["id"] for a in listed["data"]] == [first["id"], second["id"]]
    r = client.delete(f"/api/home/automations/{second['id']}", headers=owner)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert client.delete(f"/api/home/automations/{second['id']}", headers=owner).status_code == 409
    assert client.delete("/api/home/automations/999999", headers=owner).status_code == 404
    r = client.post(
        "/api/home/command", json={"text": "unlock the front door at ten pm"}, headers=owner
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "confirmation_required"
    clock.now = NOON.replace(hour=22, minute=1)
    AutomationScheduler(lambda: controller, wall_clock=clock).tick()
    body = client.get("/api/home/state", headers=owner).json()
    states = {e["entity_id"]: e["state"] for e in body["data"]}
    assert (states["light.bedroom"], states["light.kitchen"]) == ("on", "off")
    assert client.get("/api/home/automations", headers=owner).json()["count"] == 0
