"""The one risk policy: which acts need the person's "yes" and which roles may do them.

Every source applies this same table: typed or spoken text in any wording, touch, gesture,
undo, an LLM tool call and the HTTP API. A caller classifies what it is about to do as an
:class:`Act` and calls :func:`check`; the answer does not depend on how the request was worded.

A leaf module: it imports only :mod:`lingxi.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lingxi.errors import ForbiddenError

__all__ = [
    "HOUSEHOLD_ROLES",
    "INVITABLE_ROLES",
    "RULES",
    "Act",
    "Decision",
    "Rule",
    "check",
    "rule_for",
]

HOUSEHOLD_ROLES = ("owner", "adult", "child", "guest")
"""Roles inside a household. ``staff`` and ``courier`` belong to the deployment."""


class Act(StrEnum):
    """A kind of act the policy knows. Anything not listed is an ordinary, safe act."""

    UNLOCK = "unlock"
    """Unlock a lock (locking is always safe)."""
    OPEN_ENTRANCE = "open_entrance"
    """Open a garage door, a gate or another cover that lets people in."""
    HEAT_ABOVE_LIMIT = "heat_above_limit"
    """Heating set above the household's limit, or a heater switched on."""
    PAY = "pay"
    """Confirm (pay for) an order."""
    PLACE_ORDER = "place_order"
    """Create an order (it stays pending until paid)."""
    CANCEL_ORDER = "cancel_order"
    RETURN_ORDER = "return_order"
    CONSENT_CHANGE = "consent_change"
    """Grant or revoke a consent."""
    FORGET_PROFILE = "forget_profile"
    """Erase part or all of the stored preference profile."""
    DELETE_DATA = "delete_data"
    """Erase everything stored about the person."""
    FLEET = "fleet"
    """Plan or re-plan the whole fleet, see every household's parcels (operator views)."""
    COURIER = "courier"
    """Serve a route: see its stops, close them, report the vehicle's position."""
    INVITE = "invite"
    """Invite a person: an owner into their household (adult, child), staff into the
    deployment (staff, courier)."""
    CATALOGUE = "catalogue"
    """Import, edit or roll back the product catalogue (operator views)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the policy table."""

    act: Act
    needs_confirmation: bool
    """True: the act happens only after an explicit "yes" (or a click on that action's button)."""
    roles: frozenset[str]
    """The roles that may do it at all."""
    what: str
    """A short description, used in refusals ("A child's account may not {what}.")."""


_ADULTS = frozenset({"owner", "adult"})
_MEMBERS = frozenset({"owner", "adult", "child"})

RULES: dict[Act, Rule] = {
    r.act: r
    for r in (
        Rule(Act.UNLOCK, True, _ADULTS, "unlock doors"),
        Rule(Act.OPEN_ENTRANCE, True, _ADULTS, "open garage doors or gates"),
        Rule(Act.HEAT_ABOVE_LIMIT, True, _ADULTS, "operate heating"),
        Rule(Act.PAY, True, _ADULTS, "pay for orders"),
        Rule(Act.PLACE_ORDER, False, _ADULTS, "place orders"),
        Rule(Act.CANCEL_ORDER, True, _ADULTS, "cancel orders"),
        Rule(Act.RETURN_ORDER, True, _ADULTS, "return orders"),
        Rule(Act.CONSENT_CHANGE, True, _MEMBERS, "change consents"),
        Rule(Act.FORGET_PROFILE, True, _MEMBERS, "erase the stored profile"),
        Rule(Act.DELETE_DATA, True, _MEMBERS, "delete stored data"),
        Rule(Act.FLEET, False, frozenset({"staff"}), "plan the fleet or see other households"),
        Rule(Act.COURIER, False, frozenset({"courier"}), "use the courier's route and positions"),
        Rule(Act.INVITE, False, frozenset({"owner", "staff"}), "invite people"),
        Rule(Act.CATALOGUE, False, frozenset({"staff"}), "manage the product catalogue"),
    )
}
"""The table. Owners confirm too: "asks before anything risky exactly once" holds for everyone."""

INVITABLE_ROLES: dict[str, frozenset[str]] = {
    "owner": frozenset({"adult", "child"}),
    "staff": frozenset({"staff", "courier"}),
}
"""Which roles each role allowed :attr:`Act.INVITE` may hand out."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What :func:`check` decided for an allowed act."""

    act: Act
    needs_confirmation: bool
    """True when the act still waits for the person's "yes"."""


def rule_for(act: Act | str) -> Rule:
    """The table row of ``act``."""
    return RULES[Act(act)]


def check(act: Act | str, role: str, *, confirmed: bool = False) -> Decision:
    """Apply the table to ``role`` doing ``act``.

    Raises
    ------
    ForbiddenError
        The role may not do the act at all, whatever the confirmation.
    """
    rule = rule_for(act)
    if role not in rule.roles:
        who = "A child's account" if role == "child" else f"The role {role!r}"
        raise ForbiddenError(
            f"{who} may not {rule.what}.", field="role", value=role, act=rule.act.value
        )
    return Decision(rule.act, rule.needs_confirmation and not confirmed)
