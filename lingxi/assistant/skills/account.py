"""The account skill: what is stored, stated preferences, consents, export and erasure.

Consent changes, forgetting and deleting everything are always a proposal first, whoever
asked (the person, or a model's tool call): :mod:`lingxi.commerce` refuses them without
``confirmed=True``, which only a runner below passes, after the person's yes.
"""

from __future__ import annotations

from typing import Any

from lingxi import commerce
from lingxi.assistant.router import Route
from lingxi.assistant.turn import Runner, Turn, matches, money

__all__ = ["FIELDS", "RUNNERS", "answer", "distill"]

FIELDS = (
    "skin_types",
    "concerns",
    "max_price_minor",
    "brands",
    "avoid_ingredients",
    "include_ingredients",
)
_INGREDIENTS = ("fragrance", "alcohol", "parabens", "sulfates", "silicones")


def _need(text: str) -> Any:
    """The guide's reading of ``text`` (None when it has no words to read)."""
    from lingxi.errors import InvalidInputError
    from lingxi.guide import parse_need

    try:
        return parse_need(text)
    except InvalidInputError:
        return None


def _preferences(text: str, current: commerce.ProfileView) -> dict[str, Any]:
    """The profile changes a self-statement makes ("I'm allergic to fragrance")."""
    need = _need(text)
    if need is None:
        return {}
    changes: dict[str, Any] = {}
    if need.skin_types:
        changes["skin_types"] = list(need.skin_types)
    if need.concerns:
        changes["concerns"] = sorted(set(current.concerns) | set(need.concerns))
    if need.exclude_ingredients:
        changes["avoid_ingredients"] = sorted(
            set(current.avoid_ingredients) | set(need.exclude_ingredients)
        )
    if need.brands and matches("likes", text):
        changes["brands"] = sorted(set(current.brands) | set(need.brands))
    if need.max_price_minor is not None and matches("budget", text):
        changes["max_price_minor"] = need.max_price_minor
    return changes


def _label(turn: Turn, key: str) -> str:
    return str(turn.words("field_names").get(key, key))


def _describe(turn: Turn, changes: dict[str, Any]) -> str:
    def value(key: str, v: Any) -> str:
        if key == "max_price_minor" and v is not None:
            return money(int(v))
        return ", ".join(v) if isinstance(v, list) else str(v)

    return "; ".join(f"{_label(turn, k)}: {value(k, v)}" for k, v in changes.items())


def distill(turn: Turn, *, quiet: bool) -> str:
    """Store preferences the person stated about themselves; what to say about it."""
    if not matches("self_statement", turn.text):
        return ""
    current = commerce.get_profile(turn.db, turn.member)
    changes = _preferences(turn.text, current)
    if not changes:
        return ""
    change = commerce.update_profile(turn.db, turn.member, **changes)
    kept = {k: v for k, v in changes.items() if getattr(change.profile, k) == v}
    if kept:  # what "undo that change" puts back
        turn.state["profile_undo"] = {k: _plain(getattr(current, k)) for k in kept}
    refused = {k: changes[k] for k in change.not_stored}
    turn.audit(
        "account.remember",
        changes,
        {"saved": kept, "refused_without_consent": sorted(refused)},
    )
    parts = [turn.say("saved_undo", facts=_describe(turn, kept))] if kept else []
    if refused:
        turn.state["unsaved_profile"] = refused
        parts.append(turn.say("not_saved_consent"))
    if quiet and not refused:
        return parts[0] if parts else ""
    return " ".join(parts)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


def _undo_remember(turn: Turn) -> str:
    """Put back what the last noted preference replaced (chat never keeps a change unasked)."""
    before = turn.state.pop("profile_undo", None)
    if not isinstance(before, dict) or not before:
        return turn.say("nothing_to_undo")
    commerce.update_profile(turn.db, turn.member, **before)
    turn.audit("account.undo_remember", before, {"restored": sorted(before)})
    return turn.say("undone", fields=", ".join(_label(turn, k) for k in before))


def _fields_in(text: str) -> list[str]:
    if matches("all_fields", text) and not matches("field_skin_types", text):
        return []
    fields = [
        name for name in FIELDS if name != "include_ingredients" and matches(f"field_{name}", text)
    ]
    if "skin_types" in fields and "concerns" not in fields and matches("skin_info", text):
        fields.append("concerns")
    if "avoid_ingredients" not in fields and any(
        matches(f"ingredient_{i}", text) for i in _INGREDIENTS
    ):
        fields.append("avoid_ingredients")
    return fields


def _show(turn: Turn) -> str:
    profile = commerce.get_profile(turn.db, turn.member)
    consents = commerce.list_consents(turn.db, turn.member)
    turn.audit("account.show", {}, {"profile": profile.to_dict()})
    facts = [
        f"{_label(turn, key)}: {', '.join(getattr(profile, key))}"
        for key in FIELDS
        if key != "max_price_minor" and getattr(profile, key)
    ]
    if profile.max_price_minor is not None:
        facts.append(f"{_label(turn, 'max_price_minor')}: {money(profile.max_price_minor)}")
    text = turn.say("profile", facts="; ".join(facts)) if facts else turn.say("profile_empty")
    active = sorted({c.purpose for c in consents if c.active})
    return text + " " + turn.say("consents", consents=", ".join(active) or "-")


def _forget(turn: Turn) -> str:
    fields = _fields_in(turn.text)
    remove: list[str] = []
    if "avoid_ingredients" in fields and matches("from_list", turn.text):
        remove = [i for i in _INGREDIENTS if matches(f"ingredient_{i}", turn.text)]
    arguments = {"fields": fields or None, "remove_avoid": remove}
    names = ", ".join(remove) or ", ".join(_label(turn, f) for f in fields)
    names = names or str(turn.words("whole_profile"))
    stored = commerce.get_profile(turn.db, turn.member)
    held = (
        [i for i in remove if i in stored.avoid_ingredients]
        if remove
        else [f for f in (fields or FIELDS) if getattr(stored, f) not in (None, [])]
    )
    if not held:
        turn.audit("account.forget", arguments, {"nothing_stored": True})
        return turn.say("nothing_to_forget", fields=names)
    return turn.ask("account.forget", arguments, turn.say("forget_confirm", fields=names))


def answer(route: Route, turn: Turn) -> str:
    """Show, export, remember; propose forgetting, deleting and consent changes."""
    intent = route.intent
    if intent == "show":
        return _show(turn)
    if intent == "export":
        doc = commerce.export_data(turn.db, turn.member)
        turn.audit("account.export", {}, {"orders": len(doc["orders"])})
        turn.actions[-1] = {**turn.actions[-1], "result": {"export": doc}}
        return turn.say("export", n=len(doc["orders"]))
    if intent == "delete_all":
        return turn.ask("account.delete_all", {}, turn.say("delete_all_confirm"))
    if intent == "forget":
        return _forget(turn)
    if intent == "undo_remember":
        return _undo_remember(turn)
    if intent in ("consent_grant", "consent_revoke"):
        purpose = "personalisation" if matches("personalisation", turn.text) else "profile"
        granted = intent == "consent_grant"
        key = "consent_grant_confirm" if granted else "consent_revoke_confirm"
        arguments = {"purpose": purpose, "granted": granted}
        return turn.ask("account.set_consent", arguments, turn.say(key, purpose=purpose))
    return distill(turn, quiet=False) or turn.say("nothing_to_save")


def _run_forget(turn: Turn, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
    fields: list[str] | None = args.get("fields")
    remove: list[str] = args.get("remove_avoid") or []
    after = commerce.forget(
        turn.db, turn.member, fields=fields, remove_avoid=remove, confirmed=True
    )
    names = ", ".join(remove) or ", ".join(_label(turn, f) for f in fields or [])
    return {"profile": after.to_dict()}, turn.say(
        "forgot", fields=names or turn.words("whole_profile")
    )


def _run_delete_all(turn: Turn, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
    erased = commerce.delete_all(turn.db, turn.member, confirmed=True)
    turn.state.clear()  # what this turn would still carry about the person goes too
    return erased, turn.say("deleted_all")


def _run_set_consent(turn: Turn, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
    purpose, granted = str(args["purpose"]), bool(args["granted"])
    consents = commerce.set_consent(turn.db, turn.member, purpose, granted, confirmed=True)
    result: dict[str, Any] = {"active": sorted(c.purpose for c in consents if c.active)}
    text = turn.say("consent_granted" if granted else "consent_revoked", purpose=purpose)
    unsaved = turn.state.pop("unsaved_profile", None)
    if granted and isinstance(unsaved, dict) and unsaved:
        change = commerce.update_profile(turn.db, turn.member, **unsaved)
        saved = {k: v for k, v in unsaved.items() if k not in change.not_stored}
        turn.audit("account.remember", unsaved, {"saved": saved})
        if saved:
            text += " " + turn.say("saved", facts=_describe(turn, saved))
    return result, text


RUNNERS: dict[str, Runner] = {
    "account.forget": _run_forget,
    "account.delete_all": _run_delete_all,
    "account.set_consent": _run_set_consent,
}
