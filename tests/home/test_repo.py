"""The home repository on SQLite and PostgreSQL: aliases, state history with who/how/when, bindings."""

from __future__ import annotations

import pytest

from lingxi.data import Database
from lingxi.data.repos import home as repo
from lingxi.data.repos.identity import Member
from lingxi.errors import InvalidInputError, NotFoundError


def test_areas_and_entities_keep_aliases(db: Database, members: dict[str, Member]) -> None:
    """Aliases (客厅, lamp) come back with areas and entities, with area slugs."""
    hid = members["owner"].household_id
    with db.session() as s:
        areas = {a.area_id: a for a in repo.list_areas(s, household_id=hid)}
        entities = {e.entity_id: e for e in repo.list_entities(s, household_id=hid)}
    assert "客厅" in areas["living_room"].aliases
    assert entities["light.floor_lamp"].area_id == "living_room"
    assert "lamp" in entities["light.floor_lamp"].aliases
    assert entities["climate.living_room"].capabilities["max_temp"] == 30


def test_state_history_records_who_how_and_when(db: Database, members: dict[str, Member]) -> None:
    """Each recorded state keeps the actor and the channel; the newest is current."""
    owner = members["owner"]
    with db.session() as s:
        repo.record_state(
            s,
            household_id=owner.household_id,
            entity_id="light.kitchen",
            state="on",
            attributes={"brightness": 255},
            source="voice",
            actor_customer_id=owner.customer_id,
        )
    with db.session() as s:
        current = repo.current_states(s, household_id=owner.household_id)
        history = repo.state_history(s, household_id=owner.household_id, entity_id="light.kitchen")
    assert current["light.kitchen"].state == "on"
    assert current["light.kitchen"].source == "voice"
    assert current["light.kitchen"].actor_customer_id == owner.customer_id
    assert [h.state for h in history] == ["on", "off"]
    assert history[0].changed_at.tzinfo is not None


def test_bad_source_and_unknown_entity_are_refused(
    db: Database, members: dict[str, Member]
) -> None:
    """Errors name the field and the value."""
    hid = members["owner"].household_id
    with db.session() as s, pytest.raises(InvalidInputError, match="source"):
        repo.record_state(
            s, household_id=hid, entity_id="light.kitchen", state="on", source="telepathy"
        )
    with db.session() as s, pytest.raises(NotFoundError, match="light.garage"):
        repo.record_state(s, household_id=hid, entity_id="light.garage", state="on")


def test_other_households_do_not_see_the_home(db: Database, members: dict[str, Member]) -> None:
    """Every query is scoped to one household."""
    with db.session() as s:
        assert repo.list_entities(s, household_id=members["owner"].household_id + 1) == []
        assert repo.state_history(s, household_id=members["owner"].household_id + 1) == []


def test_gesture_bindings_are_set_replaced_and_deleted(
    db: Database, members: dict[str, Member]
) -> None:
    """One binding per gesture and household; setting again replaces it."""
    hid = members["owner"].household_id
    with db.session() as s:
        repo.set_gesture_binding(
            s,
            household_id=hid,
            gesture="clockwise",
            intent="HassLightSet",
            slots={"brightness_step": "up"},
        )
        repo.set_gesture_binding(
            s,
            household_id=hid,
            gesture="clockwise",
            intent="HassSetVolumeRelative",
            slots={"volume_step": "up"},
        )
    with db.session() as s:
        [binding] = repo.list_gesture_bindings(s, household_id=hid)
        assert binding.intent == "HassSetVolumeRelative"
        assert repo.delete_gesture_binding(s, household_id=hid, gesture="clockwise")
    with db.session() as s:
        assert repo.list_gesture_bindings(s, household_id=hid) == []
