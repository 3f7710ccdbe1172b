"""`lingxi chat`: the assistant, one-shot (with TEXT) or interactive (without)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lingxi.assistant import Assistant, Reply
from lingxi.cli._common import console, database, emit_json, err_console, handle_errors, settings
from lingxi.data.repos import identity
from lingxi.data.repos.identity import Member
from lingxi.errors import InvalidInputError, LingxiError, NotFoundError

__all__ = ["chat"]

DEFAULT_USER = "mei@demo.lingxi"


def _member(assistant: Assistant, email: str) -> Member:
    with assistant.db.session() as session:
        member = identity.find_customer_by_email(session, email=email)
    if member is None:
        raise NotFoundError(
            f"No customer with e-mail {email!r}; pass --user EMAIL of a household member "
            "(the demo's are loaded by `lingxi demo load`).",
            field="user",
            value=email,
        )
    return member


def _show(reply: Reply) -> None:
    console.print(f"[bold cyan]lingxi[/bold cyan] [dim]({reply.skill})[/dim] {reply.reply}")


def chat(
    text: Annotated[str | None, typer.Argument(help="One message; interactive without it.")] = None,
    user: Annotated[
        str, typer.Option("--user", "-u", help="E-mail of the household member speaking.")
    ] = DEFAULT_USER,
    conversation: Annotated[
        int | None,
        typer.Option(
            "--conversation", "-c", min=1, help="Continue this conversation (e.g. to say yes)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Talk to the assistant: shopping, orders and deliveries, the home, your data."""
    _chat(text, user, conversation, as_json=as_json)


@handle_errors
def _chat(text: str | None, user: str, conversation: int | None, *, as_json: bool) -> None:
    assistant = Assistant(database(), settings=settings())
    member = _member(assistant, user)
    if text is not None:
        if as_json:
            reply = assistant.handle(text, member, conversation)
            emit_json(
                {
                    "reply": reply.reply,
                    "skill": reply.skill,
                    "actions": list(reply.actions),
                    "needs_confirmation": reply.needs_confirmation,
                    "action_id": reply.action_id,
                    "conversation_id": reply.conversation_id,
                }
            )
            return
        with err_console.status("thinking..."):
            reply = assistant.handle(text, member, conversation)
        _show(reply)
        if reply.needs_confirmation:
            err_console.print(
                f'[dim]Answer with: lingxi chat "yes" --user {user} '
                f"--conversation {reply.conversation_id}[/dim]"
            )
        return
    if as_json:
        raise InvalidInputError.for_field("text", "given with --json (one message)", None)
    _interactive(assistant, member, conversation)


def _interactive(assistant: Assistant, member: Member, conversation: int | None) -> None:
    err_console.print(
        f"Chatting as {member.display_name}. Type your message; 'exit' or Ctrl-D to leave."
    )
    while True:
        try:
            line = console.input("[bold]you[/bold] > ")
        except (EOFError, KeyboardInterrupt):
            err_console.print()
            return
        if line.strip().lower() in ("exit", "quit", "bye!", "/exit", "退出"):
            return
        if not line.strip():
            continue
        try:
            with err_console.status("thinking..."):
                reply = assistant.handle(line, member, conversation)
        except LingxiError as err:
            err_console.print(f"[red]error[/red] ({err.code}): {err.message}")
            continue
        conversation = reply.conversation_id
        _show(reply)
        sys.stdout.flush()
