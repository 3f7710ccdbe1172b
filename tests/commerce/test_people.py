"""Invitations, sign-up and password resets: one-time, expiring tokens, on SQLite and
PostgreSQL; a reset token used twice at once works exactly once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from lingxi import commerce
from lingxi.data import Database
from lingxi.data.repos import identity
from lingxi.errors import ForbiddenError, InvalidInputError, LingxiError, UnauthorizedError
from tests.helpers import PASSWORD, Seeded, add_staff, at_once, seed

URL = "https://shop.example"
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def lite(sqlite_db: Database) -> tuple[Database, Seeded]:
    """The rules that do not depend on the database engine: SQLite only, to keep tests fast."""
    return sqlite_db, seed(sqlite_db)


def _member(db: Database, customer_id: int) -> commerce.Member:
    with db.session() as s:
        return identity.get_member(s, customer_id=customer_id)


def test_owner_invites_an_adult_who_joins_once(db: Database, seeded: Seeded) -> None:
    """An owner's invitation is a one-time link into their household; the invitee sets a
    name and a password, is signed in, and the link then no longer works."""
    owner = _member(db, seeded.alice)
    made = commerce.invite(db, owner, "New@Example.org", "adult", ttl_s=3600, public_url=URL)
    assert made.link == f"{URL}/#/join/{made.token}" and len(made.token) >= 40
    assert (made.email, made.household_id, made.role) == (
        "new@example.org",
        seeded.household_a,
        "adult",
    )
    assert [i.email for i in commerce.list_invitations(db, owner)] == ["new@example.org"]
    joined = commerce.accept_invitation(db, made.token, " Nia ", "a-new-password", ttl_s=600)
    assert (joined.member.household_id, joined.member.role) == (seeded.household_a, "adult")
    assert joined.member.display_name == "Nia"
    assert commerce.member_for_token(db, joined.token).customer_id == joined.member.customer_id
    assert (
        commerce.sign_in(db, "new@example.org", "a-new-password", ttl_s=60).member.role == "adult"
    )
    with pytest.raises(InvalidInputError) as again:
        commerce.accept_invitation(db, made.token, "Nia", "a-new-password", ttl_s=600)
    assert again.value.code == "invalid_token"
    assert commerce.list_invitations(db, owner) == []


@pytest.mark.parametrize(
    ("who", "role", "message"),
    [
        ("alice", "staff", "may invite only ['adult', 'child']"),
        ("bob", "adult", "may not invite people"),  # an adult, not the owner
        ("child", "child", "may not invite people"),
        ("staff", "adult", "may invite only ['courier', 'staff']"),
    ],
)
def test_who_may_invite_whom(
    lite: tuple[Database, Seeded], who: str, role: str, message: str
) -> None:
    """Owners invite adults and children; staff invite staff and couriers; nobody else."""
    db, seeded = lite
    ids = {"alice": seeded.alice, "bob": seeded.bob, "child": seeded.child, "staff": add_staff(db)}
    with pytest.raises(ForbiddenError, match=re.escape(message)):
        commerce.invite(db, _member(db, ids[who]), "x@example.org", role, ttl_s=60, public_url=URL)


def test_staff_invite_couriers_into_the_deployment(lite: tuple[Database, Seeded]) -> None:
    """A staff invitation joins the deployment's household; the CLI's (no inviter) needs a
    household for household roles and refuses a role that does not fit it."""
    db, seeded = lite
    staff = _member(db, add_staff(db))
    made = commerce.invite(db, staff, "van@example.org", "courier", ttl_s=60, public_url=URL)
    assert made.household_id == staff.household_id
    joined = commerce.accept_invitation(db, made.token, "Van", "a-van-password", ttl_s=60)
    assert joined.member.role == "courier"
    with pytest.raises(InvalidInputError, match="household_id"):
        commerce.invite(db, None, "k@example.org", "child", ttl_s=60, public_url=URL)
    with pytest.raises(InvalidInputError, match="belongs in a customer's household"):
        commerce.invite(
            db,
            None,
            "k@example.org",
            "child",
            household_id=staff.household_id,
            ttl_s=60,
            public_url=URL,
        )
    cli = commerce.invite(
        db,
        None,
        "k@example.org",
        "child",
        household_id=seeded.household_b,
        ttl_s=60,
        public_url=URL,
    )
    assert cli.household_id == seeded.household_b


def test_links_expire(lite: tuple[Database, Seeded]) -> None:
    """An invitation or reset used after its time is refused, and a refused attempt (a bad
    password) does not spend the link."""
    db, seeded = lite
    owner = _member(db, seeded.alice)
    made = commerce.invite(
        db, owner, "late@example.org", "child", ttl_s=60, public_url=URL, now=NOW
    )
    with pytest.raises(InvalidInputError, match="password"):
        commerce.accept_invitation(db, made.token, "Late", "short", ttl_s=60, now=NOW)
    with pytest.raises(InvalidInputError, match="already used, has expired"):
        commerce.accept_invitation(
            db, made.token, "Late", "long-enough-pw", ttl_s=60, now=NOW + timedelta(seconds=61)
        )
    reset = commerce.request_password_reset(
        db, "bob@example.org", ttl_s=600, public_url=URL, now=NOW
    )
    with pytest.raises(InvalidInputError, match="already used, has expired"):
        commerce.reset_password(db, reset.token, "another-password", now=NOW + timedelta(hours=1))
    commerce.reset_password(db, reset.token, "another-password", now=NOW + timedelta(minutes=9))


def test_reset_signs_out_old_sessions(db: Database, seeded: Seeded) -> None:
    """A reset sets the new password, ends every earlier session, and works once."""
    old = commerce.sign_in(db, "bob@example.org", PASSWORD, ttl_s=600)
    link = commerce.request_password_reset(db, "bob@example.org", ttl_s=600, public_url=URL)
    assert link.link == f"{URL}/#/reset/{link.token}"
    assert commerce.reset_password(db, link.token, "brand-new-password") == 1
    with pytest.raises(UnauthorizedError):
        commerce.member_for_token(db, old.token)
    with pytest.raises(UnauthorizedError):
        commerce.sign_in(db, "bob@example.org", PASSWORD, ttl_s=60)
    assert commerce.sign_in(db, "bob@example.org", "brand-new-password", ttl_s=60)
    with pytest.raises(InvalidInputError, match="invalid|not valid"):
        commerce.reset_password(db, link.token, "third-password")


def test_two_concurrent_resets_exactly_one_wins(db: Database, seeded: Seeded) -> None:
    """Two requests with the same reset token at the same moment: exactly one succeeds."""
    link = commerce.request_password_reset(db, "bob@example.org", ttl_s=600, public_url=URL)
    passwords = ("first-password", "second-password")

    def use(i: int) -> str:
        try:
            commerce.reset_password(db, link.token, passwords[i])
            return passwords[i]
        except LingxiError as err:
            return err.code

    outcomes = at_once(2, use, timeout_s=30)
    assert sorted(outcomes, key=lambda o: o == "invalid_token") == [
        *(o for o in outcomes if o != "invalid_token"),
        "invalid_token",
    ]
    winner = next(o for o in outcomes if o != "invalid_token")
    assert commerce.sign_in(db, "bob@example.org", winner, ttl_s=60)


def test_sign_up_makes_an_owner_and_hides_taken_emails(lite: tuple[Database, Seeded]) -> None:
    """Sign-up makes a household with the person as owner; a taken e-mail changes nothing
    and answers the same (no error), and bad input is named."""
    db, seeded = lite
    commerce.sign_up(db, "Neo@Example.org", "a-good-password", "Neo")
    me = commerce.sign_in(db, "neo@example.org", "a-good-password", ttl_s=60).member
    assert me.role == "owner" and me.household_id not in (seeded.household_a, seeded.household_b)
    commerce.sign_up(db, "alice@example.org", "whatever-pass", "Mallory")  # no error either
    assert (
        commerce.sign_in(db, "alice@example.org", PASSWORD, ttl_s=60).member.display_name == "Alice"
    )
    with pytest.raises(InvalidInputError, match="'email'"):
        commerce.sign_up(db, "not-an-email", "a-good-password", "X")
    with pytest.raises(InvalidInputError, match="'password'"):
        commerce.sign_up(db, "y@example.org", "short", "Y")
