"""Signing in and out: passwords (argon2, in the identity repository) and session tokens."""

from __future__ import annotations

from dataclasses import dataclass

from lingxi.data import Database
from lingxi.data.repos import identity
from lingxi.data.repos.identity import Member
from lingxi.errors import NotFoundError

__all__ = ["SignIn", "member_for_token", "sign_in", "sign_in_without_password", "sign_out"]


@dataclass(frozen=True, slots=True)
class SignIn:
    """Who signed in and the new session token (shown once; only its hash is stored)."""

    member: Member
    token: str


def sign_in(db: Database, email: str, password: str, *, ttl_s: int) -> SignIn:
    """Check the password and open a session of ``ttl_s`` seconds.

    Raises
    ------
    UnauthorizedError
        Unknown e-mail or wrong password (the same answer for both).
    """
    with db.session() as session:
        member = identity.authenticate(session, email=email, password=password)
        token = identity.issue_token(session, customer_id=member.customer_id, ttl_s=ttl_s)
    return SignIn(member, token)


def sign_in_without_password(db: Database, email: str, *, ttl_s: int) -> SignIn:
    """Open a session for ``email`` without a password: the local demo's sign-in only.

    The caller decides whether that is allowed (never in production, demo accounts only).

    Raises
    ------
    NotFoundError
        No account with that e-mail.
    """
    with db.session() as session:
        member = identity.find_customer_by_email(session, email=email)
        if member is None:
            raise NotFoundError(
                f"No demo account {email!r}: run `lingxi demo load` first.", field="email"
            )
        token = identity.issue_token(session, customer_id=member.customer_id, ttl_s=ttl_s)
    return SignIn(member, token)


def member_for_token(db: Database, token: str) -> Member:
    """The member a session or bearer token signs in (UnauthorizedError when none)."""
    with db.session() as session:
        return identity.resolve_token(session, token=token)


def sign_out(db: Database, token: str) -> None:
    """End the session of ``token``."""
    with db.session() as session:
        identity.revoke_token(session, token=token)
