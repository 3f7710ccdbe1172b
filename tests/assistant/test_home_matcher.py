"""The home engine's parser as routing evidence (home_matcher) on the demo household."""

from __future__ import annotations

import pytest

from lingxi.assistant import Router, home_matcher
from lingxi.data import Database
from lingxi.data.repos import identity
from lingxi.data.repos.demo import load_demo
from lingxi.home import HomeController


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
