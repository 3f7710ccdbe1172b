"""`lingxi chat` through Typer: one-shot JSON, interactive, bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from lingxi.cli.chat import chat
from lingxi.config import get_settings
from tests.assistant.conftest import World

runner = CliRunner()
app = typer.Typer()
app.command("chat")(chat)
app.command("noop")(lambda: None)  # keep "chat" a sub-command


@pytest.fixture
def env(sqlite_world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The CLI's settings point at the small world's database."""
    monkeypatch.setenv("LINGXI_DB__URL", str(sqlite_world.db.engine.url))
    get_settings.cache_clear()
    yield sqlite_world
    get_settings.cache_clear()


def test_one_shot_json(env: World) -> None:
    """--json prints one document with reply, skill, actions and needs_confirmation."""
    result = runner.invoke(app, ["chat", "where is my order?", "--user", "mei@t.lingxi", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["skill"] == "orders" and doc["needs_confirmation"] is False
    assert doc["actions"][0]["tool"] == "orders.track"
    assert set(doc) >= {"reply", "skill", "actions", "needs_confirmation"}


def test_confirmation_across_invocations(env: World) -> None:
    """A yes in a second invocation (same conversation) completes the action."""
    first = runner.invoke(app, ["chat", "delete all my data", "-u", "mei@t.lingxi", "--json"])
    doc = json.loads(first.stdout)
    assert doc["needs_confirmation"] is True
    second = runner.invoke(
        app,
        ["chat", "yes", "-u", "mei@t.lingxi", "-c", str(doc["conversation_id"]), "--json"],
    )
    assert json.loads(second.stdout)["actions"][0]["confirmation"] == "confirmed"


def test_interactive(env: World) -> None:
    """Without TEXT it reads lines until exit and answers each."""
    result = runner.invoke(app, ["chat", "-u", "lei@t.lingxi"], input="hello\nthanks\nexit\n")
    assert result.exit_code == 0
    assert "Hello Lei" in result.stdout and "welcome" in result.stdout


def test_unknown_user_exits_2(env: World) -> None:
    """An unknown --user exits 2 naming the field and value."""
    result = runner.invoke(app, ["chat", "hi", "--user", "ghost@nowhere", "--json"])
    assert result.exit_code == 2
    assert "user" in result.stdout and "ghost@nowhere" in result.stdout


def test_empty_message_exits_2(env: World) -> None:
    """An empty message is bad input, not a crash."""
    result = runner.invoke(app, ["chat", "  ", "-u", "mei@t.lingxi", "--json"])
    assert result.exit_code == 2 and "message" in result.stdout


def test_yes_twice_through_the_cli_orders_once(env: World) -> None:
    """ "buy the first one", then "yes" in two invocations: one order; the second says done."""
    from lingxi.data.repos import orders

    def say(text: str, cid: int | None = None) -> dict:
        args = ["chat", text, "-u", "lei@t.lingxi", "--json"]
        result = runner.invoke(app, [*args, "-c", str(cid)] if cid else args)
        assert result.exit_code == 0, result.output
        doc: dict = json.loads(result.stdout)
        return doc

    def count() -> int:
        with env.db.session() as s:
            return len(
                orders.list_orders(
                    s, household_id=env.lei.household_id, customer_id=env.lei.customer_id
                )
            )

    cid = say("a cleanser for oily skin")["conversation_id"]
    asked = say("buy the first one", cid)
    assert asked["needs_confirmation"] and asked["action_id"]
    first, second = say("yes", cid), say("yes", cid)
    assert first["actions"][0]["confirmation"] == "confirmed"
    assert "already done" in second["reply"] and count() == 1
