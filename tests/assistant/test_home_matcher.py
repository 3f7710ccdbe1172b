"""The home engine's parser as routing evidence (home_matcher) on the demo household."""

from __future__ import annotations

import pytest

from lingxi.assistant import Router, home_matcher
from lingxi.data import Database
from lingxi.data.repos import identity
from lingxi.data.repos.demo import load_demo
from lingxi.home import HomeController
from tests.assistant.conftest import World


@pytest.mark.slow
def test_home_parser_recognises_real_devices_and_not_look_alikes(sqlite_db: Database) -> None:
    """Resolved or ambiguous-among-real-devices commands match; skincare look-alikes do not."""
    load_demo(sqlite_db)
    with sqlite_db.session() as s:
        mei = identity.find_customer_by_email(s, email="mei@demo.lingxi")
    assert mei is not None
    matches = home_matcher(HomeController(sqlite_db))
    hh = mei.household_id
    for text in ("switch off the kitchen lights", "lock the front door", "把厨房的灯关了"):
        assert matches(text, "en", hh), text
    # Six lights in the demo home: ambiguous, but still a home request.
    assert matches("turn on the light", "en", hh)
    for text in ("a light moisturiser", "products that help with open pores", "where is my order"):
        assert not matches(text, "en", hh), text
    assert not matches("turn on the light", "en", None)
    router = Router(home_matcher=matches)
    assert router.route("turn on the light", household_id=hh).skill == "home"
    assert router.route("a light moisturiser for oily skin", household_id=hh).skill == "guide"
    # The home parser itself takes "lock in moisture" for the lock; the other evidence outweighs it.
    assert matches("something to lock in moisture", "en", hh)
    assert router.route("something to lock in moisture", household_id=hh).skill == "guide"


def test_a_command_for_later_is_a_home_request(sqlite_db: Database) -> None:
    """'... at nine thirty pm' parses to no command for now, yet it is routed to the home."""
    from tests.home.conftest import load_home

    hh = load_home(sqlite_db)["owner"].household_id
    matches = home_matcher(HomeController(sqlite_db))
    for text in ("turn off the bedroom light at nine thirty pm", "晚上九点半关掉卧室的灯"):
        assert matches(text, "en", hh), text
    assert not matches("a night cream to use at nine thirty pm", "en", hh)


def test_chat_stores_a_command_for_later_and_asks_first_for_a_risky_one(
    sqlite_world: World,
) -> None:
    """In chat, "... at nine thirty pm" is stored, not done; "unlock ... at ten pm" waits for
    the yes, and the yes stores it (the door stays locked until it is due)."""
    from datetime import UTC, datetime

    from lingxi.config import HomeSettings
    from lingxi.data.repos.home_automations import list_automations
    from lingxi.home.drivers.memory import MemoryDriver
    from tests.assistant.conftest import lock_state, offline_assistant

    world = sqlite_world
    noon = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    home = HomeController(
        world.db,
        settings=HomeSettings(timezone="UTC"),
        driver=MemoryDriver(),
        wall_clock=lambda: noon,
    )
    assistant = offline_assistant(world.db, home=home)
    hh = world.mei.household_id
    r = assistant.handle("晚上九点半关掉卧室的灯", world.mei)
    assert r.skill == "home" and not r.needs_confirmation, r.reply
    r = assistant.handle("unlock the front door at ten pm", world.mei)
    assert r.skill == "home" and r.needs_confirmation
    with world.db.session() as s:
        assert [a.text for a in list_automations(s, household_id=hh)] == ["晚上九点半关掉卧室的灯"]
    assistant.handle("yes", world.mei, r.conversation_id)
    with world.db.session() as s:
        stored = list_automations(s, household_id=hh)
    assert [(a.text, a.confirmed) for a in stored] == [
        ("晚上九点半关掉卧室的灯", False),
        ("unlock the front door at ten pm", True),
    ]
    assert lock_state(home, hh) == "locked"
