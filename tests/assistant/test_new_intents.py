"""Order history, compare by position and refine by concern, end to end in both languages, and
the one message limit (lingxi.text.MAX_MESSAGE_CHARS) shared by the assistant and the guide."""

from __future__ import annotations

import pytest

from lingxi.errors import InvalidInputError
from lingxi.text import MAX_MESSAGE_CHARS
from tests.assistant.conftest import World, offline_assistant


@pytest.mark.parametrize(
    ("ask", "history"),
    [("what did I buy last time?", "Your recent orders"), ("上次买了什么", "你最近的订单")],
)
def test_what_did_i_buy_lists_past_orders(sqlite_world: World, ask: str, history: str) -> None:
    """Order history lists the member's own orders; it neither offers a purchase nor tracks."""
    r = offline_assistant(sqlite_world.db).handle(ask, sqlite_world.mei)
    assert r.skill == "orders" and not r.needs_confirmation
    assert history in r.reply and f"#{sqlite_world.chen_order_id}" in r.reply
    assert [a["tool"] for a in r.actions] == ["orders.list"]


@pytest.mark.parametrize(
    ("need", "compare", "refine", "picked"),
    [
        (
            "a cleanser for oily skin",
            "compare the first two",
            "which one is better for acne?",
            "fits that best",
        ),
        ("油皮洗面奶", "比较前两个", "哪个更适合痘痘肌", "最合适"),
    ],
)
def test_compare_by_position_and_refine_by_concern(
    sqlite_world: World, need: str, compare: str, refine: str, picked: str
) -> None:
    a = offline_assistant(sqlite_world.db)
    shown = a.handle(need, sqlite_world.lei)
    assert len(shown.items) >= 2
    cmp = a.handle(compare, sqlite_world.lei, shown.conversation_id)
    assert cmp.skill == "guide" and [a["tool"] for a in cmp.actions] == ["guide.compare"]
    assert [i["id"] for i in cmp.items] == [i["id"] for i in shown.items[:2]]
    better = a.handle(refine, sqlite_world.lei, shown.conversation_id)
    assert better.skill == "guide" and better.items
    parsed = [x for x in better.actions if x["tool"] == "guide.recommend"]
    # the need shown before plus the concern, not the concern ignored
    assert parsed and parsed[0]["arguments"]["text"] == f"{need}, {refine}"
    assert picked in better.reply or (
        "None of the ones" in better.reply or "都不太合适" in better.reply
    )


def test_reply_brief_leaves_the_cards_lines_out(sqlite_world: World) -> None:
    """The brief (shown beside the cards) names no product the cards show; the reply does."""
    r = offline_assistant(sqlite_world.db).handle("a cleanser for oily skin", sqlite_world.lei)
    assert r.items and r.brief
    for item in r.items:
        assert item["name"] in r.reply and item["name"] not in r.brief
    assert "compare the first and second" in r.brief


def test_one_message_limit(sqlite_world: World) -> None:
    """The assistant takes MAX_MESSAGE_CHARS characters and refuses one more, naming it."""
    a = offline_assistant(sqlite_world.db)
    long_need = ("a cleanser for oily skin " * 200)[:MAX_MESSAGE_CHARS]
    assert a.handle(long_need, sqlite_world.lei).skill == "guide"  # the guide takes it whole
    with pytest.raises(InvalidInputError, match=f"at most {MAX_MESSAGE_CHARS}"):
        a.handle("x" * (MAX_MESSAGE_CHARS + 1), sqlite_world.lei)
