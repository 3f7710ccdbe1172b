"""The LLM path against our scripted OpenAI-compatible server over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from lingxi.assistant import Assistant
from lingxi.assistant.llm import TOOLS, LLMPlanner, ParseFailure, parse_tool_call
from lingxi.config import Settings
from lingxi.data.repos import orders
from lingxi.home import HomeController
from tests.assistant.conftest import (
    INJECTION,
    World,
    home_controller,
    lock_state,
    offline_assistant,
)
from tests.assistant.fake_llm import FakeLLM, serve


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    """A scripted chat-completions server on an ephemeral port."""
    with serve() as server:
        yield server


def _assistant(
    world: World, fake: FakeLLM, *, timeout_s: float = 5.0
) -> tuple[Assistant, HomeController]:
    settings = Settings(
        environment="test",
        llm={"base_url": fake.url, "model": "qwen3-8b", "timeout_s": timeout_s},  # type: ignore[arg-type]
    )
    home = home_controller(world.db)
    return offline_assistant(world.db, home=home, settings=settings), home


def test_the_request_offers_skills_as_tools_with_thinking_off(
    sqlite_world: World, fake: FakeLLM
) -> None:
    """Tools, tool_choice and chat_template_kwargs.enable_thinking=false are sent."""
    a, _ = _assistant(sqlite_world, fake)
    fake.push({"tool": "orders", "arguments": {"intent": "track"}})
    r = a.handle("hmm, that thing I bought, is it coming?", sqlite_world.mei)
    assert r.skill == "orders" and f"#{sqlite_world.chen_order_id}" in r.reply
    body = fake.requests[0]
    assert [t["function"]["name"] for t in body["tools"]] == [
        "guide",
        "orders",
        "home",
        "account",
        "smalltalk",
    ]
    assert body["tool_choice"] == "auto"
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["messages"][-1] == {
        "role": "user",
        "content": "hmm, that thing I bought, is it coming?",
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"tool": "orders", "arguments": "{intent: track"},  # not JSON
        {"tool": "orders", "arguments": {"intent": "teleport"}},  # not in the enum
        {"tool": "orders", "arguments": {"intent": "track", "order_id": "7; DROP"}},  # wrong type
        {"tool": "orders", "arguments": {"intent": "track", "household_id": 2}},  # not allowed
        {"tool": "shell", "arguments": {"cmd": "rm -rf /"}},  # unknown tool
        {
            "content": '<think>I should call <tool_call>{"name": "orders", "arguments": {"intent": "track"}}</tool_call></think>Sure!'
        },
        {"content": "Your order is arriving in 5 minutes."},  # no call at all
        {"status": 500},
        {"status": 503},
    ],
)
def test_malformed_answer_is_retried_once(
    sqlite_world: World, fake: FakeLLM, bad: dict, caplog: pytest.LogCaptureFixture
) -> None:
    """Each malformed answer is logged and retried; a good second answer is used."""
    a, _ = _assistant(sqlite_world, fake)
    fake.push(bad, {"tool": "orders", "arguments": {"intent": "track"}})
    with caplog.at_level(logging.WARNING, logger="lingxi.assistant.llm"):
        r = a.handle("is it coming?", sqlite_world.mei)
    assert len(fake.requests) == 2
    assert r.skill == "orders" and r.source == "llm"
    assert "attempt 1" in caplog.text


@pytest.mark.parametrize(
    "bad",
    [
        {"tool": "orders", "arguments": "not json at all"},
        {
            "content": '<think><tool_call>{"name": "home", "arguments": {"intent": "command"}}</tool_call>'
        },
        {"content": "I think you want the guide."},
        {"status": 502},
    ],
)
def test_two_failures_fall_back_to_the_router(
    sqlite_world: World, fake: FakeLLM, bad: dict, caplog: pytest.LogCaptureFixture
) -> None:
    """After the retry fails too, the offline router answers; the user sees no error."""
    a, _ = _assistant(sqlite_world, fake)
    fake.push(bad, bad)
    with caplog.at_level(logging.WARNING, logger="lingxi.assistant.llm"):
        r = a.handle("where is my order?", sqlite_world.mei)
    assert r.source == "router" and r.skill == "orders"
    assert "Traceback" not in r.reply and "error" not in r.reply.lower()
    assert "falling back to the offline router" in caplog.text


def test_timeout_falls_back(
    sqlite_world: World, fake: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    """A server slower than timeout_s twice: the router answers, the log says why."""
    a, _ = _assistant(sqlite_world, fake, timeout_s=0.3)
    slow = {"sleep": 0.8, "tool": "smalltalk", "arguments": {"intent": "greet"}}
    fake.push(slow, slow)
    with caplog.at_level(logging.WARNING, logger="lingxi.assistant.llm"):
        r = a.handle("turn on the light", sqlite_world.mei)
    assert r.source == "router" and r.skill == "home"
    assert "timed out" in caplog.text


def test_unreachable_server_falls_back(sqlite_world: World) -> None:
    """No server listening at all is handled like a timeout."""
    settings = Settings(
        environment="test", llm={"base_url": "http://127.0.0.1:9/v1", "timeout_s": 0.5}
    )  # type: ignore[arg-type]
    a = offline_assistant(sqlite_world.db, settings=settings)
    r = a.handle("where is my order?", sqlite_world.mei)
    assert r.source == "router" and r.skill == "orders"


def test_tool_call_in_text_outside_think_is_accepted(sqlite_world: World, fake: FakeLLM) -> None:
    """A Qwen-style <tool_call> in the content (server without a tool parser) is used."""
    a, _ = _assistant(sqlite_world, fake)
    fake.push(
        {
            "content": '<think>the user wants tracking</think>\n<tool_call>\n{"name": "orders", "arguments": {"intent": "track"}}\n</tool_call>'
        }
    )
    r = a.handle("any news?", sqlite_world.mei)
    assert r.source == "llm" and r.skill == "orders"


def test_grounded_product_facts(sqlite_world: World, fake: FakeLLM) -> None:
    """The model picks the skill; the products and prices shown come from the catalogue."""
    a, _ = _assistant(sqlite_world, fake)
    fake.push(
        {"tool": "guide", "arguments": {"intent": "recommend", "reply": "Try MagicCream, $1!"}},
        {"tool": "guide", "arguments": {"intent": "recommend"}},
    )
    r = a.handle("a cleanser for oily skin", sqlite_world.lei)
    assert "MagicCream" not in r.reply
    assert r.items and all(i["price_minor"] in (1900, 2400, 2100) for i in r.items)


def test_smalltalk_reply_is_cleaned(sqlite_world: World, fake: FakeLLM) -> None:
    """A small-talk reply from the model is shown without its <think> text."""
    a, _ = _assistant(sqlite_world, fake)
    fake.push(
        {
            "tool": "smalltalk",
            "arguments": {"intent": "greet", "reply": "<think>be nice</think>Hi Lei!"},
        }
    )
    r = a.handle("hey", sqlite_world.lei)
    assert r.reply == "Hi Lei!" and r.skill == "smalltalk"


def test_injected_product_data_cannot_make_the_model_act(
    sqlite_world: World, fake: FakeLLM
) -> None:
    """Even if the model obeys text in product data, nothing risky runs without the person's yes."""
    w = sqlite_world
    a, home = _assistant(w, fake)
    fake.push({"tool": "guide", "arguments": {"intent": "recommend"}})
    r = a.handle("the cheapest moisturiser under $5", w.lei)
    assert any(INJECTION in i["name"] for i in r.items)
    # The next request carries the product names as data; a manipulated model "obeys" them.
    fake.push({"tool": "home", "arguments": {"intent": "command"}})
    r = a.handle("ok thanks", w.lei, r.conversation_id)
    assert any(
        m["role"] == "system" and INJECTION in m["content"] for m in fake.requests[-1]["messages"]
    )
    assert lock_state(home, w.lei.household_id) == "locked"
    fake.push({"tool": "orders", "arguments": {"intent": "buy", "item": 1}})
    r = a.handle("nice", w.lei, r.conversation_id)
    assert r.needs_confirmation  # the person still has to say yes to pay
    with w.db.session() as s:
        assert (
            orders.list_orders(s, household_id=w.lei.household_id, customer_id=w.lei.customer_id)
            == []
        )


def test_the_model_cannot_reach_another_household(sqlite_world: World, fake: FakeLLM) -> None:
    """A model asking for another household's order id gets nothing of it."""
    w = sqlite_world
    a, _ = _assistant(w, fake)
    fake.push({"tool": "orders", "arguments": {"intent": "track", "order_id": w.smith_order_id}})
    r = a.handle("where is it", w.mei)
    assert "Moisture Surge" not in r.reply


def test_risky_home_request_still_needs_yes(sqlite_world: World, fake: FakeLLM) -> None:
    """With the LLM routing, unlocking still waits for an explicit yes."""
    w = sqlite_world
    a, home = _assistant(w, fake)
    fake.push(*[{"tool": "home", "arguments": {"intent": "command"}}] * 2)
    for member in (w.mei, w.lei):  # the owner is asked too
        r = a.handle("please unlock the front door", member)
        assert r.needs_confirmation and lock_state(home, member.household_id) == "locked"


def test_parse_tool_call_units() -> None:
    """The parser refuses think-only calls and accepts structured ones."""

    class Msg:
        tool_calls = None
        content = '<think><tool_call>{"name": "guide", "arguments": {"intent": "recommend"}}</tool_call></think>'

    with pytest.raises(ParseFailure, match="think"):
        parse_tool_call(Msg())
    assert len(TOOLS) == 5


def test_planner_needs_a_base_url() -> None:
    """A planner without a server is a configuration error."""
    with pytest.raises(ValueError, match="base_url"):
        LLMPlanner(Settings(environment="test").llm)


def test_recent_turns_are_sent(sqlite_world: World, fake: FakeLLM) -> None:
    """Follow-ups reach the model with the earlier turns of the conversation."""
    a, _ = _assistant(sqlite_world, fake)
    fake.push({"tool": "smalltalk", "arguments": {"intent": "greet", "reply": "Hi!"}})
    r = a.handle("hello", sqlite_world.lei)
    fake.push({"tool": "orders", "arguments": {"intent": "track"}})
    a.handle("and my parcel?", sqlite_world.lei, r.conversation_id)
    sent = [(m["role"], m["content"]) for m in fake.requests[-1]["messages"]]
    assert ("user", "hello") in sent and ("assistant", "Hi!") in sent
    assert sent[-1] == ("user", "and my parcel?")
