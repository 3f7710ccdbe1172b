"""The person's account: profile, consents, export and erasure, for chat and API alike.

Consent changes and erasure are risky acts (:mod:`lingxi.policy`): the functions that do them
take ``confirmed`` and refuse to act without it, so a model's tool call can only *propose*
them; the person's "yes" (or their own click in the web app) is what confirms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lingxi.data import Database
from lingxi.data.repos import conversation as conv_repo, identity, orders as order_repo
from lingxi.data.repos.identity import Member, ProfileView
from lingxi.errors import ConfirmationRequiredError, InvalidInputError
from lingxi.policy import Act, check

__all__ = [
    "PURPOSES",
    "ConsentView",
    "ProfileChange",
    "delete_all",
    "export_data",
    "forget",
    "get_profile",
    "list_consents",
    "set_consent",
    "update_profile",
]

PURPOSES = ("profile", "personalisation", "automation", "marketing")


@dataclass(frozen=True, slots=True)
class ConsentView:
    """One consent purpose and whether it is active now."""

    purpose: str
    active: bool
    granted_at: str | None
    revoked_at: str | None


@dataclass(frozen=True, slots=True)
class ProfileChange:
    """The profile after a change, and the fields that were not stored (no consent)."""

    profile: ProfileView
    not_stored: tuple[str, ...]


def _require_yes(act: Act, member: Member, confirmed: bool, what: str) -> None:
    if check(act, member.role, confirmed=confirmed).needs_confirmation:
        raise ConfirmationRequiredError(
            f"{what} needs the person's explicit yes.", token="", field="confirmed", act=act.value
        )


def get_profile(db: Database, member: Member) -> ProfileView:
    """The stored preference profile."""
    with db.session() as session:
        return identity.get_profile(session, customer_id=member.customer_id)


def list_consents(db: Database, member: Member) -> list[ConsentView]:
    """Every consent purpose that was ever set, with its times."""
    with db.session() as session:
        rows = identity.list_consents(session, customer_id=member.customer_id)
    return [
        ConsentView(
            str(r["purpose"]),
            bool(r["active"]),
            r.get("granted_at"),
            r.get("revoked_at"),
        )
        for r in rows
    ]


def set_consent(
    db: Database, member: Member, purpose: str, granted: bool, *, confirmed: bool
) -> list[ConsentView]:
    """Grant or revoke ``purpose``; revoking ``profile`` erases skin type and concerns at once.

    Raises
    ------
    ConfirmationRequiredError
        ``confirmed`` is False: only the person's yes changes a consent.
    """
    if purpose not in PURPOSES:
        raise InvalidInputError.for_field("purpose", f"one of {PURPOSES}", purpose)
    _require_yes(Act.CONSENT_CHANGE, member, confirmed, "Changing a consent")
    with db.session() as session:
        if granted:
            identity.grant_consent(session, customer_id=member.customer_id, purpose=purpose)
        else:
            identity.revoke_consent(session, customer_id=member.customer_id, purpose=purpose)
    return list_consents(db, member)


def update_profile(db: Database, member: Member, **changes: Any) -> ProfileChange:
    """Change stored preferences; skin type and concerns are kept only under ``profile``."""
    with db.session() as session:
        view = identity.update_profile(session, customer_id=member.customer_id, **changes)
        consented = identity.has_consent(session, customer_id=member.customer_id, purpose="profile")
    dropped = tuple(f for f in identity.SENSITIVE_FIELDS if f in changes and not consented)
    return ProfileChange(view, dropped)


def forget(
    db: Database,
    member: Member,
    *,
    fields: list[str] | None = None,
    remove_avoid: list[str] | None = None,
    confirmed: bool,
) -> ProfileView:
    """Erase ``fields`` of the profile (all when None), or some ingredients from the avoid list.

    Raises
    ------
    ConfirmationRequiredError
        ``confirmed`` is False.
    """
    _require_yes(Act.FORGET_PROFILE, member, confirmed, "Erasing the profile")
    with db.session() as session:
        if remove_avoid:
            profile = identity.get_profile(session, customer_id=member.customer_id)
            keep = [i for i in profile.avoid_ingredients if i not in remove_avoid]
            identity.update_profile(session, customer_id=member.customer_id, avoid_ingredients=keep)
        else:
            identity.delete_profile(session, customer_id=member.customer_id, fields=fields)
        return identity.get_profile(session, customer_id=member.customer_id)


def export_data(db: Database, member: Member) -> dict[str, Any]:
    """Everything stored about the member: identity, addresses, consents, profile, own orders."""
    with db.session() as session:
        doc = identity.export_customer(session, customer_id=member.customer_id)
        doc["orders"] = [
            o.to_dict()
            for o in order_repo.list_orders(
                session, household_id=member.household_id, customer_id=member.customer_id
            )
        ]
    return doc


def delete_all(db: Database, member: Member, *, confirmed: bool) -> dict[str, Any]:
    """Revoke every consent and erase the profile, sign-ins and conversation history.

    Orders stay (they are the household's records of sale). Returns what was erased.

    Raises
    ------
    ConfirmationRequiredError
        ``confirmed`` is False.
    """
    _require_yes(Act.DELETE_DATA, member, confirmed, "Deleting your data")
    with db.session() as session:
        for purpose in PURPOSES:
            identity.revoke_consent(session, customer_id=member.customer_id, purpose=purpose)
        identity.delete_customer_data(session, customer_id=member.customer_id)
        erased = conv_repo.erase_customer_history(session, customer_id=member.customer_id)
    return {"deleted": ["profile", "consents", "sign_ins", "conversation_turns"], **erased}
