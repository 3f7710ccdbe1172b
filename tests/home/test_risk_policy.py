"""The one risk policy over HTTP: every risky act x every source x owner, adult and child.

Without the yes a risky act changes nothing (409 with a token, or 403 for a child); after one
redeem of the token it happened exactly once; a second redeem is refused. Each case reads the
device back from ``GET /api/home/state`` and counts its rows in ``GET /api/home/history``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.config import HomeSettings, Settings
from lingxi.data import Database
from lingxi.data.models import Household
from lingxi.data.repos import home as repo
from lingxi.data.repos.identity import Member, issue_token
from lingxi.errors import ForbiddenError
from lingxi.home import Command, HomeController
from lingxi.home.drivers.memory import MemoryDriver
from lingxi.home.voice import Transcript
from tests.helpers import at_once
from tests.home.conftest import load_home

ROLES = ("owner", "adult", "child")
Headers = dict[str, str]
Response = Any  # what TestClient answers (its httpx flavour varies by Starlette version)


# ---------------------------------------------------------------------- the household


def _entity(
    db: Database,
    hid: int,
    entity_id: str,
    name: str,
    area: str,
    state: str,
    *,
    attributes: dict[str, Any] | None = None,
    aliases: tuple[str, ...] = (),
    device_class: str | None = None,
    capabilities: dict[str, Any] | None = None,
) -> None:
    with db.session() as s:
        repo.create_entity(
            s,
            household_id=hid,
            entity_id=entity_id,
            name=name,
            area_id=area,
            aliases=list(aliases),
            device_class=device_class,
            capabilities=capabilities or {},
        )
        repo.record_state(
            s, household_id=hid, entity_id=entity_id, state=state, attributes=attributes or {}
        )


_HEATING = {
    "target_temperature": True,
    "min_temp": 7,
    "max_temp": 30,
    "hvac_modes": ["off", "heat"],
}


def risky_home(db: Database, *, tag: str, twins: bool = False) -> dict[str, Member]:
    """The demo home plus a garage door and a bedroom radiator (heating, 20 °C); with
    ``twins`` also a second device for each act, for "no, the other one": an unlocked back
    door, an open driveway gate, floor heating at 28 °C, and the coffee maker on."""
    members = load_home(db, tag=tag)
    hid = members["owner"].household_id
    with db.session() as s:
        repo.create_area(s, household_id=hid, area_id="garage", name="Garage", aliases=["车库"])
    _entity(db, hid, "cover.garage_door", "Garage Door", "garage", "closed",
            attributes={"position": 0}, aliases=("车库门",), device_class="garage",
            capabilities={"position": True})  # fmt: skip
    _entity(db, hid, "climate.bedroom", "Bedroom Radiator", "bedroom", "heat",
            attributes={"temperature": 20}, aliases=("radiator", "卧室暖气"),
            capabilities=_HEATING)  # fmt: skip
    if twins:
        _entity(db, hid, "lock.back_door", "Back Door", "porch", "unlocked", aliases=("后门",))
        _entity(db, hid, "cover.driveway_gate", "Driveway Gate", "garage", "open",
                attributes={"position": 100}, device_class="gate",
                capabilities={"position": True})  # fmt: skip
        _entity(db, hid, "climate.floor_heating", "Floor Heating", "bedroom", "heat",
                attributes={"temperature": 28}, aliases=("地暖",), capabilities=_HEATING)  # fmt: skip
        with db.session() as s:
            repo.record_state(s, household_id=hid, entity_id="switch.coffee_maker", state="on")
    return members


class Scripted:
    """The speech recogniser at the boundary: hears what the test says was said."""

    def __init__(self) -> None:
        self.text = ""

    def transcribe(self, pcm: bytes, *, language: str) -> Transcript:
        return Transcript(self.text, 0.95, "scripted", 1.0)


@dataclass
class Home:
    """A client on the app, bearer headers per role, and handles on the parts."""

    client: TestClient
    headers: dict[str, Headers]
    members: dict[str, Member]
    controller: HomeController
    ears: Scripted
    clock: dict[str, float] = field(default_factory=lambda: {"t": 1000.0})

    def post(self, role: str, path: str, body: dict[str, Any] | None = None) -> Response:
        return self.client.post(f"/api/home{path}", json=body, headers=self.headers[role])

    def do(self, role: str, text: str) -> Response:
        """A typed request that must be carried out (or confirmed at once, for setup)."""
        r = self.post(role, "/command", {"text": text})
        if r.status_code == 409:
            r = self.post(role, "/confirm", {"token": r.json()["error"]["details"]["token"]})
        assert r.status_code == 200 and r.json()["ok"], r.text
        return r

    def row(self, entity_id: str) -> dict[str, Any]:
        r = self.client.get(
            "/api/home/state", params={"entity_id": entity_id}, headers=self.headers["owner"]
        )
        assert r.status_code == 200, r.text
        [row] = r.json()["data"]
        return dict(row)

    def changes(self, entity_id: str) -> int:
        r = self.client.get(
            "/api/home/history",
            params={"entity_id": entity_id, "limit": 1000},
            headers=self.headers["owner"],
        )
        return int(r.json()["count"])


@contextmanager
def opened(db: Database, settings: Settings, *, twins: bool) -> Iterator[Home]:
    """The risky home over HTTP (with twins, for corrections)."""
    members = risky_home(db, tag="-twins" if twins else "", twins=twins)
    headers = {}
    with db.session() as s:
        for role, m in members.items():
            headers[role] = {"Authorization": f"Bearer {issue_token(s, customer_id=m.customer_id)}"}
    ears = Scripted()
    clock = {"t": 1000.0}
    app = create_app(settings, database=db)
    controller = HomeController(
        db, settings=settings.home, driver=MemoryDriver(), clock=lambda: clock["t"], recognizer=ears
    )
    app.state.services["home_controller"] = controller
    with TestClient(app) as client:
        yield Home(client, headers, members, controller, ears, clock)
    controller.close()


@pytest.fixture
def home(db: Database, settings: Settings) -> Iterator[Home]:
    """The risky home (one device of each kind) over HTTP, on SQLite and PostgreSQL."""
    with opened(db, settings, twins=False) as h:
        yield h


# ---------------------------------------------------------------------- the acts


@dataclass(frozen=True)
class Case:
    """One risky act on one device, and how each source asks for it."""

    entity: str
    done: Callable[[dict[str, Any]], bool]
    """True when the state row shows the act happened."""
    text_en: str
    text_zh: str
    reverse: str
    """A safe request that puts the device back (any role may say it)."""
    touch: tuple[str, dict[str, Any]]
    binding: tuple[str, dict[str, Any]]
    twin: str
    twin_reverse: str


CASES = {
    "unlock": Case(
        "lock.front_door",
        lambda r: r["state"] == "unlocked",
        "open the lock",
        "开锁",
        "lock the front door",
        ("HassTurnOff", {}),
        ("HassTurnOff", {}),
        "lock.back_door",
        "lock the back door",
    ),
    "open_entrance": Case(
        "cover.garage_door",
        lambda r: r["attributes"]["position"] > 0,
        "open the garage door",
        "把车库门打开",
        "close the garage door",
        ("HassSetPosition", {"position": 60}),
        ("HassTurnOn", {}),
        "cover.driveway_gate",
        "close the driveway gate",
    ),
    "heat_above_limit": Case(
        "climate.bedroom",
        lambda r: r["attributes"]["temperature"] > 24,
        "set the radiator to 28 degrees",
        "把卧室暖气调到28度",
        "set the radiator to 20 degrees",
        ("HassClimateSetTemperature", {"temperature": 27}),
        ("HassClimateSetTemperature", {"temperature": 26}),
        "climate.floor_heating",
        "set the floor heating to 20 degrees",
    ),
    "heater_on": Case(
        "switch.kettle",
        lambda r: r["state"] == "on",
        "turn on the kettle",
        "烧水",
        "turn off the kettle",
        ("HassTurnOn", {}),
        ("HassTurnOn", {}),
        "switch.coffee_maker",
        "turn off the coffee maker",
    ),
}

SOURCES = (
    "text_en",
    "text_zh",
    "voice_transcript",
    "voice_audio",
    "touch",
    "gesture_binding",
    "undo",
    "correction",
)


def _set_up(h: Home, case: Case, source: str, role: str) -> str:
    """Bring the home to where ``source`` can ask for the act; the entity to watch."""
    if source == "gesture_binding":  # the household binds a gesture to the act
        intent, slots = case.binding
        r = h.client.put(
            "/api/home/gestures/bindings/swipe_up",
            json={"intent": intent, "slots": slots},
            headers=h.headers["owner"],
        )
        assert r.status_code == 200, r.text
    if source == "undo":
        h.do("owner", case.text_en)  # the risky state, with the owner's yes
        h.do(role, case.reverse)  # safe for anyone; its undo is the risky act
    if source == "correction":
        h.do(role, case.twin_reverse)  # safe; "the other one" undoes it (the risky part)
        return case.twin
    return case.entity


def _ask(h: Home, case: Case, source: str, role: str) -> Response:
    """The risky request from ``source``."""
    if source in ("text_en", "text_zh", "voice_transcript"):
        text = case.text_zh if source == "text_zh" else case.text_en
        channel = "voice" if source == "voice_transcript" else "text"
        return h.post(role, "/command", {"text": text, "channel": channel})
    if source == "voice_audio":
        h.ears.text = case.text_en
        headers = {**h.headers[role], "Content-Type": "audio/wav"}
        return h.client.post("/api/home/audio", content=_silence_wav(), headers=headers)
    if source == "touch":
        intent, slots = case.touch
        return h.post(role, "/touch", {"entity_id": case.entity, "intent": intent, "slots": slots})
    if source == "gesture_binding":
        return h.post(role, "/gesture", {"gesture": "swipe_up", "target": case.entity})
    if source == "undo":
        return h.post(role, "/undo")
    if source == "correction":
        return h.post(role, "/command", {"text": "no, the other one"})
    raise AssertionError(source)


def _silence_wav() -> bytes:
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 8000)
    return buffer.getvalue()


@pytest.mark.parametrize("source", [s for s in SOURCES if s != "correction"])
@pytest.mark.parametrize("act", list(CASES))
def test_a_risky_act_happens_only_after_one_yes(
    db: Database, settings: Settings, act: str, source: str
) -> None:
    """For each role (owner, adult, child) in one home: no yes, nothing changes (409 with a
    token; 403 for a child). One redeem: the act happens exactly once. A second redeem: 409
    already_confirmed, nothing more happens."""
    with opened(db, settings, twins=False) as h:
        for i, role in enumerate(ROLES):
            if i:  # the previous role's yes did the act: put the home back, safely
                h.do("owner", CASES[act].reverse)
            try:
                _one_yes(h, act, source, role)
            except AssertionError as err:
                raise AssertionError(f"as {role}: {err}") from err


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("act", list(CASES))
def test_a_corrected_risky_act_happens_only_after_one_yes(
    db: Database, settings: Settings, act: str, role: str
) -> None:
    """The same through "no, the other one" (a fresh home per role: which one is "the other"
    depends on what was done before)."""
    with opened(db, settings, twins=True) as h:
        _one_yes(h, act, "correction", role)


def _one_yes(h: Home, act: str, source: str, role: str) -> None:
    case = CASES[act]
    watched = _set_up(h, case, source, role)
    before, rows = h.row(watched), h.changes(watched)
    assert not case.done(before)
    r = _ask(h, case, source, role)
    if role == "child":
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "forbidden"
        assert "token" not in r.json()["error"]["details"]
        assert h.row(watched) == before and h.changes(watched) == rows
        return
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert error["code"] == "confirmation_required"
    assert act.replace("heater_on", "heat_above_limit") in error["details"]["acts"]
    assert h.row(watched) == before and h.changes(watched) == rows  # nothing happened yet
    token = error["details"]["token"]
    done = h.post(role, "/confirm", {"token": token})
    assert done.status_code == 200, done.text
    assert case.done(h.row(watched))
    assert h.changes(watched) == rows + 1  # exactly once
    after = h.row(watched)
    again = h.post(role, "/confirm", {"token": token})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_confirmed"
    assert h.row(watched) == after and h.changes(watched) == rows + 1


UNLOCK_WORDINGS = (
    "open the lock",
    "unlock the front door",
    "let me in",
    "unlock the door",
    "open the front door",
    "can you unlock the front door",
    "please open the front door lock",
    "开锁",
    "把门打开",
    "解锁大门",
    "打开门锁",
    "开门",
    "让我进去",
)


@pytest.mark.parametrize("wording", UNLOCK_WORDINGS)
def test_every_wording_of_unlock_asks_even_the_owner(
    sqlite_db: Database, settings: Settings, wording: str
) -> None:
    """The policy reads what the command does to the lock, not the words: every wording asks
    the owner and the adult, and refuses the child; the door stays locked. (Nothing is
    stored on the way, so SQLite alone; the matrix above runs on both databases.)"""
    with opened(sqlite_db, settings, twins=False) as home:
        for role in ROLES:
            r = home.post(role, "/command", {"text": wording})
            assert r.status_code == (403 if role == "child" else 409), (role, r.text)
            assert home.row("lock.front_door")["state"] == "locked"
            details = r.json()["error"]["details"]
            if role == "child":
                assert (details["act"], details["entity_id"]) == ("unlock", "lock.front_door")
            else:
                assert details["acts"] == ["unlock"]
                assert details["entity_ids"] == ["lock.front_door"]


@pytest.mark.parametrize("role", ROLES)
def test_locking_and_safe_acts_need_no_yes(home: Home, role: str) -> None:
    """Locking, closing the garage, lowering the heating, the blinds and the lights just happen."""
    home.do("owner", "open the lock")
    home.do("owner", "open the garage door")
    for text in (
        "lock the front door",
        "close the garage door",
        "set the radiator to 18 degrees",
        "set the blinds to 30 percent",
        "turn on the kitchen light",
        "turn off the kettle",
    ):
        r = home.post(role, "/command", {"text": text})
        assert r.status_code == 200 and r.json()["ok"], (text, r.text)
    assert home.row("lock.front_door")["state"] == "locked"
    assert home.row("cover.garage_door")["attributes"]["position"] == 0


def test_a_client_sent_confirmed_flag_is_refused(home: Home) -> None:
    """POST /touch with ``confirmed: true`` is 422 naming the field; the door stays locked.
    The only way to confirm is redeeming the token."""
    body = {"entity_id": "lock.front_door", "intent": "HassTurnOff", "confirmed": True}
    r = home.post("owner", "/touch", body)
    assert r.status_code == 422
    assert "confirmed" in r.text
    assert home.row("lock.front_door")["state"] == "locked"
    body.pop("confirmed")
    assert home.post("owner", "/touch", body).status_code == 409
    assert home.row("lock.front_door")["state"] == "locked"


def test_a_child_cannot_lock_and_undo_into_an_open_door(home: Home) -> None:
    """The finding on main: a child refused "unlock" got the door open by lock + undo."""
    home.do("owner", "unlock the front door")
    assert home.row("lock.front_door")["state"] == "unlocked"
    home.do("child", "lock the front door")
    assert home.post("child", "/command", {"text": "unlock the front door"}).status_code == 403
    r = home.post("child", "/undo")
    assert r.status_code == 403
    assert home.row("lock.front_door")["state"] == "locked"
    r = home.post("child", "/command", {"text": "undo"})
    assert r.status_code == 403
    assert home.row("lock.front_door")["state"] == "locked"


def test_concurrent_redeems_carry_out_the_act_once(home: Home) -> None:
    """Ten redeems of one token at once: one 200, nine 409, one recorded change."""
    r = home.post("adult", "/command", {"text": "unlock the front door"})
    token = r.json()["error"]["details"]["token"]
    rows = home.changes("lock.front_door")
    statuses = at_once(
        10, lambda _: home.post("adult", "/confirm", {"token": token}).status_code, timeout_s=30
    )
    assert sorted(statuses) == [200] + [409] * 9
    assert home.changes("lock.front_door") == rows + 1
    assert home.row("lock.front_door")["state"] == "unlocked"


def test_a_token_confirms_only_its_own_act_for_its_own_member(home: Home) -> None:
    """An older token never confirms a newer act; another member's redeem is 404 and does not
    burn the token; a cancelled or expired token is 404."""
    unlock = home.post("adult", "/command", {"text": "unlock the front door"})
    garage = home.post("adult", "/command", {"text": "open the garage door"})
    unlock_token = unlock.json()["error"]["details"]["token"]
    garage_token = garage.json()["error"]["details"]["token"]
    assert home.post("owner", "/confirm", {"token": unlock_token}).status_code == 404
    assert home.row("lock.front_door")["state"] == "locked"
    assert home.post("adult", "/confirm", {"token": unlock_token}).status_code == 200
    assert home.row("lock.front_door")["state"] == "unlocked"
    assert home.row("cover.garage_door")["attributes"]["position"] == 0  # not the newer act
    assert home.post("adult", "/cancel", {"token": garage_token}).json() == {"cancelled": True}
    assert home.post("adult", "/confirm", {"token": garage_token}).status_code == 404
    assert home.row("cover.garage_door")["attributes"]["position"] == 0
    heat = home.post("adult", "/command", {"text": "set the radiator to 28 degrees"})
    home.clock["t"] += HomeSettings().confirm_ttl_s + 1
    r = home.post("adult", "/confirm", {"token": heat.json()["error"]["details"]["token"]})
    assert r.status_code == 404
    assert home.row("climate.bedroom")["attributes"]["temperature"] == 20


def test_any_intent_is_judged_by_what_it_does_to_the_device(home: Home) -> None:
    """However a command was produced (an LLM's pick of intent included), the resulting device
    command decides: HassTurnOff on a lock, a position on the garage door, a step up past the
    limit all ask; the same intents on safe devices do not."""
    owner = home.members["owner"]
    controller = home.controller
    for intent, slots, entity in (
        ("HassTurnOff", {}, "lock.front_door"),
        ("HassSetPosition", {"position": 5}, "cover.garage_door"),
        ("HassTurnOn", {}, "switch.coffee_maker"),
    ):
        r = home.post("owner", "/touch", {"entity_id": entity, "intent": intent, "slots": slots})
        assert r.status_code == 409, (intent, entity, r.text)
    home.do("owner", "set the radiator to 24 degrees")  # at the limit: no yes needed
    step = Command("HassClimateSetTemperature", {"temperature_step": "up"}, tier=3,
                   targets=("climate.bedroom",))  # fmt: skip
    from lingxi.errors import ConfirmationRequiredError

    with pytest.raises(ConfirmationRequiredError) as err:
        controller.execute([step], owner, channel="text")
    assert err.value.details["acts"] == ["heat_above_limit"]
    assert home.row("climate.bedroom")["attributes"]["temperature"] == 24
    r = home.post("owner", "/touch", {"entity_id": "light.kitchen", "intent": "HassTurnOff"})
    assert r.status_code == 200


def test_the_household_can_set_its_own_heating_limit(home: Home, db: Database) -> None:
    """A household's ``heat_limit_c`` of 29 lets 28 °C pass without a yes; 30 still asks."""
    hid = home.members["owner"].household_id
    with db.session() as s:
        household = s.get(Household, hid)
        assert household is not None
        household.settings = {**(household.settings or {}), "heat_limit_c": 29}
    home.controller.reload(hid)
    assert (
        home.post("adult", "/command", {"text": "set the radiator to 28 degrees"}).status_code
        == 200
    )
    r = home.post("adult", "/command", {"text": "set the radiator to 30 degrees"})
    assert r.status_code == 409
    assert "29" in r.json()["error"]["message"]


def test_automations_never_do_a_risky_act(home: Home) -> None:
    """An automation has no one to say yes: the porch light goes on, the kettle and the garage
    door are refused and stay as they were."""
    hid = home.members["owner"].household_id
    assert home.controller.turn_on(hid, "light.porch").ok
    for entity in ("switch.kettle", "cover.garage_door"):
        before = home.row(entity)
        with pytest.raises(ForbiddenError):
            home.controller.turn_on(hid, entity)
        assert home.row(entity) == before


# ---------------------------------------------------------------------- stored text


@pytest.mark.parametrize("bad", ["\ud800", "a\x00b"])
def test_nul_or_lone_surrogate_in_slots_is_422_and_nothing_happens(home: Home, bad: str) -> None:
    """Touch slots and gesture bindings refuse NUL and lone surrogates before acting."""
    headers = {**home.headers["owner"], "Content-Type": "application/json"}
    # json.dumps escapes a lone surrogate as \ud800, as a hostile client would send it.
    body = {"entity_id": "light.kitchen", "intent": "HassLightSet",
            "slots": {"brightness": 50, "note": bad}}  # fmt: skip
    r = home.client.post("/api/home/touch", content=json.dumps(body), headers=headers)
    assert r.status_code == 422, r.text
    assert "slots" in r.text
    assert home.row("light.kitchen")["state"] == "off"
    binding = json.dumps({"intent": "HassTurnOn", "slots": {"note": bad}})
    r = home.client.put("/api/home/gestures/bindings/swipe_up", content=binding, headers=headers)
    assert r.status_code == 422, r.text
    r = home.client.get("/api/home/gestures/bindings", headers=home.headers["owner"])
    assert r.status_code == 200 and r.json()["data"] == []


def test_a_bad_binding_stored_earlier_never_breaks_the_listing(home: Home, db: Database) -> None:
    """A binding stored before inputs were checked (a lone surrogate and a NUL in its slots)
    is listed with U+FFFD, and the gesture still works."""
    hid = home.members["owner"].household_id
    with db.session() as s:
        repo.set_gesture_binding(
            s, household_id=hid, gesture="swipe_up", intent="HassTurnOn",
            slots={"note": "x\ud800y\x00z"},
        )  # fmt: skip
    for role in ROLES:
        r = home.client.get("/api/home/gestures/bindings", headers=home.headers[role])
        assert r.status_code == 200, r.text
        assert r.json()["data"][0]["slots"] == {"note": "x\ufffdyz"}
    r = home.post("owner", "/gesture", {"gesture": "swipe_up", "target": "light.kitchen"})
    assert r.status_code == 200, r.text
    assert home.row("light.kitchen")["state"] == "on"
