"""The chat's product listing: honest about how many came back, and in the shopper's money."""

from __future__ import annotations

from tests.assistant.conftest import World, offline_assistant


def test_one_item_is_not_offered_for_comparison(sqlite_world: World) -> None:
    """With a single product shown, the reply never offers to compare the first and second."""
    a = offline_assistant(sqlite_world.db)
    r = a.handle("a sunscreen please", sqlite_world.lei)
    assert r.skill == "guide" and len(r.items) == 1
    assert "compare" not in r.reply.lower() and "buy it" in r.reply
    r = a.handle("a cleanser for oily skin", sqlite_world.lei)
    assert len(r.items) >= 2 and "compare the first and second" in r.reply


def test_chinese_prices_in_yuan_beside_dollars(sqlite_world: World) -> None:
    """A Chinese request lists ¥ prices with the US$ price beside them and says the rate."""
    a = offline_assistant(sqlite_world.db)
    r = a.handle("油皮洗面奶，200块以内", sqlite_world.lei)
    assert r.items and all(i["display_price"].startswith("¥") for i in r.items)
    assert "（$" in r.reply and "1 美元 = 7.2 元" in r.reply
    if len(r.items) < 2:
        assert "比较" not in r.reply
