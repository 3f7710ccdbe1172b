"""One-time account tokens (invitations, password resets), sign-up and new passwords.

A token is 32 random bytes shown once; only its SHA-256 is stored. Redeeming one is a single
conditional UPDATE (``used_at IS NULL AND expires_at > now``), so of any number of concurrent
uses exactly one succeeds, on SQLite and PostgreSQL alike. It is the first statement of its
transaction: whatever fails after it (a taken e-mail) rolls the redemption back too.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lingxi.data.base import utcnow
from lingxi.data.models import AccountToken, AccountTokenKind, AuthToken, Customer, Household, Role
from lingxi.data.repos import identity
from lingxi.data.repos._values import as_enum
from lingxi.errors import InvalidInputError, NotFoundError

__all__ = [
    "IssuedToken",
    "RedeemedToken",
    "check_role_fits",
    "issue_invitation",
    "issue_reset",
    "list_invitations",
    "normalise_email",
    "redeem",
    "set_password",
    "sign_up",
]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new one-time token (shown once) and when it stops working."""

    token: str
    email: str
    expires_at: datetime
    household_id: int | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class RedeemedToken:
    """What a token that was just used (once) was for."""

    kind: str
    email: str
    household_id: int | None
    role: str | None
    customer_id: int | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """``email`` trimmed and lower-cased; InvalidInputError when it is not an address."""
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 320 or " " in email:
        raise InvalidInputError.for_field("email", "an e-mail address", email)
    return email


def check_role_fits(session: Session, *, household_id: int, role: Role | str) -> Role:
    """``role`` as a :class:`Role`, when it belongs in household ``household_id``.

    Staff and couriers belong in the deployment's household, the other roles in a customer's.
    """
    role = as_enum(Role, "role", role)
    household = session.get(Household, household_id)
    if household is None:
        raise NotFoundError(f"No household with id {household_id}.", field="household_id")
    deployment = role in identity.DEPLOYMENT_ROLES
    if deployment != (household.name == identity.DEPLOYMENT_HOUSEHOLD):
        where = "the deployment's household" if deployment else "a customer's household"
        raise InvalidInputError(
            f"The role {role.value!r} belongs in {where}, not in household {household_id}.",
            field="role",
            value=role.value,
        )
    return role


def _issue(
    session: Session,
    *,
    kind: AccountTokenKind,
    email: str,
    ttl_s: int,
    now: datetime | None,
    household_id: int | None = None,
    role: str | None = None,
    customer_id: int | None = None,
    created_by: int | None = None,
) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    expires_at = (now or utcnow()) + timedelta(seconds=ttl_s)
    session.add(
        AccountToken(
            kind=kind.value,
            token_hash=_digest(token),
            email=email,
            household_id=household_id,
            role=role,
            customer_id=customer_id,
            created_by=created_by,
            expires_at=expires_at,
            **({"created_at": now} if now else {}),
        )
    )
    session.flush()
    return IssuedToken(token, email, expires_at, household_id, role)


def issue_invitation(
    session: Session,
    *,
    email: str,
    household_id: int,
    role: Role | str,
    ttl_s: int,
    created_by: int | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """An invitation for ``email`` to join ``household_id`` as ``role``.

    Whether ``email`` already has an account is not checked here (the inviter must not learn
    it); accepting then fails for the invitee, who owns that address.
    """
    email = normalise_email(email)
    fitted = check_role_fits(session, household_id=household_id, role=role)
    return _issue(
        session,
        kind=AccountTokenKind.INVITE,
        email=email,
        ttl_s=ttl_s,
        now=now,
        household_id=household_id,
        role=fitted.value,
        created_by=created_by,
    )


def issue_reset(
    session: Session, *, email: str, ttl_s: int, now: datetime | None = None
) -> IssuedToken:
    """A password-reset token for the account of ``email`` (NotFoundError when there is none)."""
    email = normalise_email(email)
    customer_id = session.scalar(select(Customer.id).where(Customer.email == email))
    if customer_id is None:
        raise NotFoundError(f"No account with the e-mail {email!r}.", field="email", value=email)
    return _issue(
        session,
        kind=AccountTokenKind.RESET,
        email=email,
        ttl_s=ttl_s,
        now=now,
        customer_id=customer_id,
    )


def redeem(
    session: Session, *, token: str, kind: AccountTokenKind | str, now: datetime | None = None
) -> RedeemedToken:
    """Use ``token`` once: exactly one of any number of concurrent callers gets it.

    Raises
    ------
    InvalidInputError
        Unknown, already used or expired (one answer for the three, code ``invalid_token``).
    """
    kind = as_enum(AccountTokenKind, "kind", kind)
    now = now or utcnow()
    digest = _digest(token)
    done = session.execute(
        update(AccountToken)
        .where(
            AccountToken.token_hash == digest,
            AccountToken.kind == kind.value,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidInputError(
            f"This {kind.value} link is not valid: it was already used, has expired, or was "
            "never issued. Ask for a new one.",
            code="invalid_token",
            field="token",
        )
    row = session.scalars(select(AccountToken).where(AccountToken.token_hash == digest)).one()
    return RedeemedToken(row.kind, row.email, row.household_id, row.role, row.customer_id)


def set_password(
    session: Session, *, customer_id: int, password: str, now: datetime | None = None
) -> int:
    """Store a new password and sign out every session and token; returns how many."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError(f"No customer with id {customer_id}.", field="customer_id")
    customer.password_hash = identity.hash_password(password)
    signed_out = session.execute(
        update(AuthToken)
        .where(AuthToken.customer_id == customer_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(signed_out.rowcount)  # type: ignore[attr-defined]


def sign_up(
    session: Session, *, email: str, password: str, display_name: str, household_name: str
) -> int | None:
    """A new household with the person as its owner; ``None`` when the e-mail is taken.

    A taken e-mail costs the same password hash as a new account, so the time of the answer
    does not tell the two apart either.
    """
    email = normalise_email(email)
    if session.scalar(select(Customer.id).where(Customer.email == email)) is not None:
        identity.hash_password(password)
        return None
    try:
        with session.begin_nested():  # a concurrent sign-up of the same e-mail loses here
            household_id = identity.create_household(session, name=household_name)
            return identity.create_customer(
                session,
                household_id=household_id,
                email=email,
                display_name=display_name,
                password=password,
                role=Role.OWNER,
            )
    except IntegrityError:
        return None


def list_invitations(
    session: Session, *, household_id: int, now: datetime | None = None
) -> list[IssuedToken]:
    """The household's invitations not used yet and not expired (without their tokens)."""
    rows = session.scalars(
        select(AccountToken)
        .where(
            AccountToken.household_id == household_id,
            AccountToken.kind == AccountTokenKind.INVITE.value,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > (now or utcnow()),
        )
        .order_by(AccountToken.id)
    )
    return [IssuedToken("", r.email, r.expires_at, r.household_id, r.role) for r in rows]
