"""People: invitations into a household or the deployment, sign-up, and password resets.

Every token is one-time and expiring (see :mod:`lingxi.data.repos.accounts`); links carry it
after ``#``, so it never reaches a server log or a ``Referer`` header. Who may invite whom is
:mod:`lingxi.policy`'s table (:attr:`~lingxi.policy.Act.INVITE`, ``INVITABLE_ROLES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lingxi.commerce.signin import SignIn
from lingxi.data import Database
from lingxi.data.models import AccountTokenKind
from lingxi.data.repos import accounts, identity
from lingxi.data.repos.identity import Member
from lingxi.errors import ForbiddenError, InvalidInputError
from lingxi.policy import INVITABLE_ROLES, Act, check

__all__ = [
    "Invitation",
    "ResetLink",
    "accept_invitation",
    "invite",
    "list_invitations",
    "request_password_reset",
    "reset_password",
    "sign_up",
]

INVITE_PATH = "#/join/"
RESET_PATH = "#/reset/"
MAX_NAME_CHARS = 200


@dataclass(frozen=True, slots=True)
class Invitation:
    """A one-time invitation link (the token is shown only here, once)."""

    email: str
    household_id: int
    role: str
    expires_at: datetime
    token: str = ""
    link: str = ""
    """``{public_url}/#/join/{token}``; empty in listings."""


@dataclass(frozen=True, slots=True)
class ResetLink:
    """A one-time password-reset link (the token is shown only here, once)."""

    email: str
    expires_at: datetime
    token: str
    link: str
    """``{public_url}/#/reset/{token}``."""


def _link(public_url: str, path: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/{path}{token}"


def _name(display_name: str) -> str:
    name = display_name.strip()
    if not 1 <= len(name) <= MAX_NAME_CHARS:
        raise InvalidInputError.for_field(
            "display_name", f"1 to {MAX_NAME_CHARS} characters", display_name
        )
    return name


def invite(
    db: Database,
    inviter: Member | None,
    email: str,
    role: str,
    *,
    ttl_s: int,
    public_url: str,
    household_id: int | None = None,
    now: datetime | None = None,
) -> Invitation:
    """A one-time link that lets ``email`` join a household as ``role``.

    ``inviter`` None is the operator at the command line: any household, any role that fits
    it (``household_id`` is needed for household roles; staff and couriers always join the
    deployment). An owner invites adults and children into their own household; staff
    invite staff and couriers into the deployment.

    Raises
    ------
    ForbiddenError
        The inviter's role may not invite, or not into that role or household.
    InvalidInputError
        A bad e-mail, or a role that does not belong in the household.
    """
    with db.session() as session:
        deployment = identity.deployment_household(session)
        if inviter is not None:
            check(Act.INVITE, inviter.role)
            allowed = INVITABLE_ROLES.get(inviter.role, frozenset())
            if role not in allowed:
                raise ForbiddenError(
                    f"The role {inviter.role!r} may invite only {sorted(allowed)}, not {role!r}.",
                    field="role",
                    value=role,
                )
            if household_id not in (None, inviter.household_id):
                raise ForbiddenError(
                    "Invitations are only into your own household.",
                    field="household_id",
                    value=household_id,
                )
            household_id = inviter.household_id
        elif role in {r.value for r in identity.DEPLOYMENT_ROLES}:
            household_id = deployment if household_id is None else household_id
        elif household_id is None:
            raise InvalidInputError.for_field(
                "household_id", f"a household id for the role {role!r}", None
            )
        issued = accounts.issue_invitation(
            session,
            email=email,
            household_id=household_id,
            role=role,
            ttl_s=ttl_s,
            created_by=inviter.customer_id if inviter else None,
            now=now,
        )
    return Invitation(
        issued.email,
        household_id,
        issued.role or role,
        issued.expires_at,
        issued.token,
        _link(public_url, INVITE_PATH, issued.token),
    )


def list_invitations(db: Database, member: Member) -> list[Invitation]:
    """The open invitations of the member's household (owners and staff only)."""
    check(Act.INVITE, member.role)
    with db.session() as session:
        rows = accounts.list_invitations(session, household_id=member.household_id)
    return [Invitation(r.email, member.household_id, r.role or "", r.expires_at) for r in rows]


def accept_invitation(
    db: Database,
    token: str,
    display_name: str,
    password: str,
    *,
    ttl_s: int,
    now: datetime | None = None,
) -> SignIn:
    """Join the household the invitation names, with a name and a password, and sign in.

    Raises
    ------
    InvalidInputError
        The link was used, has expired or never existed (``invalid_token``); the name or the
        password is refused; the invited e-mail already has an account (sign in instead).
    """
    name = _name(display_name)
    identity.check_password(password)  # refuse a bad password before the link is spent
    with db.session() as session:
        used = accounts.redeem(session, token=token, kind=AccountTokenKind.INVITE, now=now)
        customer_id = identity.create_customer(
            session,
            household_id=int(used.household_id or 0),
            email=used.email,
            display_name=name,
            password=password,
            role=used.role or "",
        )
        member = identity.get_member(session, customer_id=customer_id)
        session_token = identity.issue_token(session, customer_id=customer_id, ttl_s=ttl_s)
    return SignIn(member, session_token)


def sign_up(
    db: Database,
    email: str,
    password: str,
    display_name: str,
    *,
    household_name: str | None = None,
) -> None:
    """Create an account and a new household with the person as its owner.

    Answers the same way whether or not the e-mail is taken (nothing happens then), so
    sign-up cannot be used to learn who has an account; the person then signs in.

    Raises
    ------
    InvalidInputError
        Not an e-mail address, a refused name or password (these say nothing about accounts).
    """
    name = _name(display_name)
    household = _name(household_name) if household_name else f"{name}'s household"
    identity.check_password(password)
    with db.session() as session:
        accounts.sign_up(
            session, email=email, password=password, display_name=name, household_name=household
        )


def request_password_reset(
    db: Database, email: str, *, ttl_s: int, public_url: str, now: datetime | None = None
) -> ResetLink:
    """A one-time password-reset link for the account of ``email`` (the operator's command).

    Raises
    ------
    NotFoundError
        No account has that e-mail.
    """
    with db.session() as session:
        issued = accounts.issue_reset(session, email=email, ttl_s=ttl_s, now=now)
    return ResetLink(
        issued.email, issued.expires_at, issued.token, _link(public_url, RESET_PATH, issued.token)
    )


def reset_password(db: Database, token: str, password: str, *, now: datetime | None = None) -> int:
    """Set a new password with a reset token, once; every session of the account ends.

    Returns how many sessions were signed out.

    Raises
    ------
    InvalidInputError
        The link was used (by a concurrent request too), has expired or never existed
        (``invalid_token``); or the password is refused.
    """
    identity.check_password(password)  # refuse a bad password before the link is spent
    with db.session() as session:
        used = accounts.redeem(session, token=token, kind=AccountTokenKind.RESET, now=now)
        return accounts.set_password(
            session, customer_id=int(used.customer_id or 0), password=password, now=now
        )
