"""Identity repo: sign-in, tokens, consents and the consent-bound profile."""

from __future__ import annotations

import pytest

from lingxi.data import Database
from lingxi.data.repos import identity
from lingxi.errors import InvalidInputError, NotFoundError, UnauthorizedError
from tests.helpers import PASSWORD, seed


def test_password_is_hashed_and_checked(db: Database) -> None:
    """Passwords are stored as argon2 hashes; a wrong password and an unknown e-mail read alike."""
    ids = seed(db)
    with db.session() as s:
        member = identity.authenticate(s, email="ALICE@example.org ", password=PASSWORD)
        assert member.customer_id == ids.alice
        with pytest.raises(UnauthorizedError, match="Wrong e-mail or password"):
            identity.authenticate(s, email="alice@example.org", password="nope-nope")
        with pytest.raises(UnauthorizedError, match="Wrong e-mail or password"):
            identity.authenticate(s, email="nobody@example.org", password=PASSWORD)
        exported = identity.export_customer(s, customer_id=ids.alice)
    assert PASSWORD not in str(exported)


def test_tokens_resolve_and_revoke(db: Database) -> None:
    """A token signs its member in until it is revoked; only its hash is stored."""
    ids = seed(db)
    with db.session() as s:
        token = identity.issue_token(s, customer_id=ids.bob)
    with db.session() as s:
        assert identity.resolve_token(s, token=token).household_id == ids.household_b
        identity.revoke_token(s, token=token)
    with db.session() as s, pytest.raises(UnauthorizedError):
        identity.resolve_token(s, token=token)


def test_expired_token_is_refused(db: Database) -> None:
    """A token past its lifetime no longer signs in."""
    ids = seed(db)
    with db.session() as s:
        token = identity.issue_token(s, customer_id=ids.bob, ttl_s=-1)
    with db.session() as s, pytest.raises(UnauthorizedError, match="expired"):
        identity.resolve_token(s, token=token)


def test_skin_data_needs_consent_and_revoking_erases_it(db: Database) -> None:
    """Skin type is not stored without a profile consent; revoking the consent erases it."""
    ids = seed(db)
    with db.session() as s:
        view = identity.update_profile(
            s, customer_id=ids.alice, skin_types=["dry"], brands=["ACME"]
        )
        assert view.skin_types == [] and view.brands == ["ACME"]
        identity.grant_consent(s, customer_id=ids.alice, purpose="profile")
        view = identity.update_profile(s, customer_id=ids.alice, skin_types=["dry", "sensitive"])
        assert view.skin_types == ["dry", "sensitive"]
    with db.session() as s:
        identity.revoke_consent(s, customer_id=ids.alice, purpose="profile")
    with db.session() as s:
        view = identity.get_profile(s, customer_id=ids.alice)
        assert view.skin_types == [] and view.concerns == [] and view.brands == ["ACME"]
        consents = identity.list_consents(s, customer_id=ids.alice)
    assert consents[0]["purpose"] == "profile" and consents[0]["revoked_at"] is not None


def test_forget_one_field(db: Database) -> None:
    """Deleting one field of the profile keeps the rest."""
    ids = seed(db)
    with db.session() as s:
        identity.grant_consent(s, customer_id=ids.bob, purpose="profile")
        identity.update_profile(s, customer_id=ids.bob, skin_types=["oily"], brands=["ACME"])
        identity.delete_profile(s, customer_id=ids.bob, fields=["skin_types"])
        view = identity.get_profile(s, customer_id=ids.bob)
    assert view.skin_types == [] and view.brands == ["ACME"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"skin_types": "dry"}, "skin_types"),
        ({"max_price_minor": -5}, "max_price_minor"),
        ({"shoe_size": 42}, "profile"),
    ],
)
def test_profile_rejects_bad_values(db: Database, kwargs: dict[str, object], field: str) -> None:
    """Bad profile values are refused naming the field."""
    ids = seed(db)
    with db.session() as s, pytest.raises(InvalidInputError, match=field):
        identity.update_profile(s, customer_id=ids.bob, **kwargs)


def test_unknown_consent_purpose_and_customer(db: Database) -> None:
    """Unknown purposes and customers are named in the error."""
    ids = seed(db)
    with db.session() as s:
        with pytest.raises(InvalidInputError, match="purpose"):
            identity.grant_consent(s, customer_id=ids.bob, purpose="telepathy")
        with pytest.raises(NotFoundError, match="999"):
            identity.get_member(s, customer_id=999)


def test_duplicate_email_refused(db: Database) -> None:
    """An e-mail can belong to one person only."""
    ids = seed(db)
    with db.session() as s, pytest.raises(InvalidInputError, match="already registered"):
        identity.create_customer(
            s, household_id=ids.household_b, email="alice@example.org", display_name="Eve"
        )
