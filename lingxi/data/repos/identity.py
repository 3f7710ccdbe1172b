"""Households, members, sign-in tokens, consents and preference profiles."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lingxi.data.base import utcnow
from lingxi.data.models import (
    Address,
    AuthToken,
    Consent,
    ConsentPurpose,
    Customer,
    Household,
    PreferenceProfile,
    Role,
)
from lingxi.data.records import Member as Member
from lingxi.data.repos._values import as_enum
from lingxi.errors import InvalidInputError, NotFoundError, UnauthorizedError

__all__ = [
    "Member",
    "ProfileView",
    "authenticate",
    "check_password",
    "create_customer",
    "create_household",
    "delete_profile",
    "deployment_household",
    "export_customer",
    "get_member",
    "get_profile",
    "grant_consent",
    "has_consent",
    "hash_password",
    "issue_token",
    "list_consents",
    "resolve_token",
    "revoke_consent",
    "revoke_token",
    "update_profile",
]

_hasher = PasswordHasher()
# Profile fields that are personal data about the skin: kept only under a PROFILE consent.
SENSITIVE_FIELDS = ("skin_types", "concerns")


@dataclass(frozen=True, slots=True)
class ProfileView:
    """A person's stored preferences, as plain values."""

    customer_id: int
    skin_types: list[str] = field(default_factory=list)
    concerns: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    avoid_ingredients: list[str] = field(default_factory=list)
    include_ingredients: list[str] = field(default_factory=list)
    max_price_minor: int | None = None
    updated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "customer_id": self.customer_id,
            "skin_types": self.skin_types,
            "concerns": self.concerns,
            "brands": self.brands,
            "avoid_ingredients": self.avoid_ingredients,
            "include_ingredients": self.include_ingredients,
            "max_price_minor": self.max_price_minor,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


def check_password(password: str) -> None:
    """Refuse a password that breaks the length rule (InvalidInputError; the value is hidden)."""
    if not 8 <= len(password) <= 256:
        raise InvalidInputError.for_field("password", "8 to 256 characters long", "<hidden>")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    check_password(password)
    return _hasher.hash(password)


def _to_member(c: Customer) -> Member:
    return Member(c.id, c.household_id, c.role, c.display_name, c.email, c.locale)


def create_household(session: Session, *, name: str, settings: dict[str, Any] | None = None) -> int:
    """Create a household; returns its id."""
    household = Household(name=name, settings=settings or {})
    session.add(household)
    session.flush()
    return household.id


def create_customer(
    session: Session,
    *,
    household_id: int,
    email: str,
    display_name: str,
    password: str | None = None,
    role: Role | str = Role.ADULT,
    locale: str = "en",
) -> int:
    """Add a member to a household; returns the customer id.

    ``role`` is any :class:`Role`; the deployment's roles (staff, courier) belong in
    :func:`deployment_household`, the household roles in a customer's.
    """
    role = as_enum(Role, "role", role)
    deployment = role in DEPLOYMENT_ROLES
    household = session.get(Household, household_id)
    if household is not None and deployment != (household.name == DEPLOYMENT_HOUSEHOLD):
        where = "the deployment's household" if deployment else "a customer's household"
        raise InvalidInputError(
            f"The role {role.value!r} belongs in {where}, not in household {household_id}.",
            field="role",
            value=role.value,
        )
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise InvalidInputError.for_field("email", "an e-mail address", email)
    if session.scalar(select(Customer.id).where(Customer.email == email)) is not None:
        raise InvalidInputError(f"The e-mail {email!r} is already registered.", field="email")
    customer = Customer(
        household_id=household_id,
        email=email,
        display_name=display_name,
        role=role.value,
        locale=locale,
        password_hash=hash_password(password) if password else None,
    )
    session.add(customer)
    session.flush()
    return customer.id


DEPLOYMENT_HOUSEHOLD = "Lingxi deployment"
"""The household of the deployment's own people (staff, couriers); it has no parcels."""
DEPLOYMENT_ROLES = frozenset({Role.STAFF, Role.COURIER})


def deployment_household(session: Session) -> int:
    """The id of the deployment's household (created on first use)."""
    found = session.scalar(select(Household.id).where(Household.name == DEPLOYMENT_HOUSEHOLD))
    if found is not None:
        return found
    return create_household(session, name=DEPLOYMENT_HOUSEHOLD, settings={"deployment": True})


def get_member(session: Session, *, customer_id: int) -> Member:
    """The member with ``customer_id``."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError(f"No customer with id {customer_id}.", field="customer_id")
    return _to_member(customer)


def find_customer_by_email(session: Session, *, email: str) -> Member | None:
    """The member with this e-mail, or ``None``."""
    customer = session.scalar(select(Customer).where(Customer.email == email.strip().lower()))
    return _to_member(customer) if customer else None


def authenticate(session: Session, *, email: str, password: str) -> Member:
    """Check an e-mail and password; the same error for an unknown e-mail and a wrong password."""
    customer = session.scalar(select(Customer).where(Customer.email == email.strip().lower()))
    wrong = UnauthorizedError("Wrong e-mail or password.", code="bad_credentials")
    if customer is None or customer.password_hash is None:
        # Spend the same time as a real check so e-mails cannot be probed by timing.
        _hasher.hash("timing-equaliser")
        raise wrong
    try:
        _hasher.verify(customer.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise wrong from None
    return _to_member(customer)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session, *, customer_id: int, kind: str = "session", ttl_s: int = 7 * 24 * 3600
) -> str:
    """Create a sign-in token (only its SHA-256 is stored) and return it."""
    token = secrets.token_urlsafe(32)
    session.add(
        AuthToken(
            customer_id=customer_id,
            token_hash=_digest(token),
            kind=kind,
            expires_at=utcnow() + timedelta(seconds=ttl_s),
        )
    )
    session.flush()
    return token


def resolve_token(session: Session, *, token: str) -> Member:
    """The member a live token belongs to."""
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        raise UnauthorizedError("Sign in first: the session is missing or has expired.")
    return get_member(session, customer_id=row.customer_id)


def revoke_token(session: Session, *, token: str) -> None:
    """Sign a token out."""
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == _digest(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def add_address(
    session: Session,
    *,
    customer_id: int,
    line1: str,
    city: str,
    lat: float,
    lon: float,
    label: str = "home",
    postcode: str = "",
    country: str = "MC",
) -> int:
    """Add a delivery address; returns its id."""
    address = Address(
        customer_id=customer_id,
        label=label,
        line1=line1,
        city=city,
        postcode=postcode,
        country=country,
        lat=lat,
        lon=lon,
    )
    session.add(address)
    session.flush()
    return address.id


def list_addresses(session: Session, *, customer_id: int) -> list[dict[str, Any]]:
    """A customer's addresses."""
    rows = session.scalars(
        select(Address).where(Address.customer_id == customer_id).order_by(Address.id)
    )
    return [
        {
            "id": a.id,
            "label": a.label,
            "line1": a.line1,
            "city": a.city,
            "postcode": a.postcode,
            "country": a.country,
            "lat": a.lat,
            "lon": a.lon,
        }
        for a in rows
    ]


def _purpose(purpose: str) -> ConsentPurpose:
    return as_enum(ConsentPurpose, "purpose", purpose)


def has_consent(session: Session, *, customer_id: int, purpose: str) -> bool:
    """True when ``purpose`` is granted and not revoked."""
    p = _purpose(purpose)
    row = session.scalar(
        select(Consent.id).where(
            Consent.customer_id == customer_id,
            Consent.purpose == p.value,
            Consent.revoked_at.is_(None),
        )
    )
    return row is not None


def grant_consent(session: Session, *, customer_id: int, purpose: str) -> None:
    """Grant a purpose (no-op if already granted)."""
    p = _purpose(purpose)
    if not has_consent(session, customer_id=customer_id, purpose=p.value):
        session.add(Consent(customer_id=customer_id, purpose=p.value, granted_at=utcnow()))
        session.flush()


def revoke_consent(session: Session, *, customer_id: int, purpose: str) -> None:
    """Revoke a purpose; revoking PROFILE erases the skin type and concerns at once."""
    p = _purpose(purpose)
    now = utcnow()
    for row in session.scalars(
        select(Consent).where(
            Consent.customer_id == customer_id,
            Consent.purpose == p.value,
            Consent.revoked_at.is_(None),
        )
    ):
        row.revoked_at = now
    if p is ConsentPurpose.PROFILE:
        profile = session.get(PreferenceProfile, customer_id)
        if profile is not None:
            profile.skin_types = []
            profile.concerns = []
            profile.updated_at = now
    session.flush()


def list_consents(session: Session, *, customer_id: int) -> list[dict[str, Any]]:
    """Every consent row of a customer, newest first."""
    rows = session.scalars(
        select(Consent).where(Consent.customer_id == customer_id).order_by(Consent.id.desc())
    )
    return [
        {
            "purpose": c.purpose,
            "granted_at": c.granted_at.isoformat(),
            "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
            "active": c.revoked_at is None,
        }
        for c in rows
    ]


def _view(profile: PreferenceProfile | None, customer_id: int) -> ProfileView:
    if profile is None:
        return ProfileView(customer_id=customer_id)
    return ProfileView(
        customer_id=customer_id,
        skin_types=list(profile.skin_types),
        concerns=list(profile.concerns),
        brands=list(profile.brands),
        avoid_ingredients=list(profile.avoid_ingredients),
        include_ingredients=list(profile.include_ingredients),
        max_price_minor=profile.max_price_minor,
        updated_at=profile.updated_at,
    )


def get_profile(session: Session, *, customer_id: int) -> ProfileView:
    """The stored profile (empty if none)."""
    return _view(session.get(PreferenceProfile, customer_id), customer_id)


_LIST_FIELDS = ("skin_types", "concerns", "brands", "avoid_ingredients", "include_ingredients")


def update_profile(session: Session, *, customer_id: int, **changes: Any) -> ProfileView:
    """Merge ``changes`` into the profile.

    Skin type and concerns are refused (ConflictError-free: they are simply not stored)
    unless a PROFILE consent is granted; the returned view shows what was kept.
    """
    unknown = set(changes) - {*_LIST_FIELDS, "max_price_minor"}
    if unknown:
        raise InvalidInputError.for_field(
            "profile", f"made of {[*_LIST_FIELDS, 'max_price_minor']}", sorted(unknown)
        )
    consented = has_consent(session, customer_id=customer_id, purpose="profile")
    profile = session.get(PreferenceProfile, customer_id)
    if profile is None:
        profile = PreferenceProfile(customer_id=customer_id, updated_at=utcnow())
        for name in _LIST_FIELDS:
            setattr(profile, name, [])
        session.add(profile)
    for name, value in changes.items():
        if name in _LIST_FIELDS:
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise InvalidInputError.for_field(name, "a list of strings", value)
            value = sorted({v.strip() for v in value if v.strip()})
        elif value is not None and (not isinstance(value, int) or value < 0):
            raise InvalidInputError.for_field(name, "a non-negative integer or null", value)
        if name in SENSITIVE_FIELDS and not consented:
            continue
        setattr(profile, name, value)
    profile.updated_at = utcnow()
    session.flush()
    return _view(profile, customer_id)


def delete_profile(session: Session, *, customer_id: int, fields: list[str] | None = None) -> None:
    """Erase the whole profile, or only ``fields`` of it ("forget my skin type")."""
    profile = session.get(PreferenceProfile, customer_id)
    if profile is None:
        return
    if fields is None:
        session.delete(profile)
    else:
        for name in fields:
            if name not in _LIST_FIELDS and name != "max_price_minor":
                raise InvalidInputError.for_field(
                    "fields", f"a subset of {list(_LIST_FIELDS)}", name
                )
            setattr(profile, name, None if name == "max_price_minor" else [])
        profile.updated_at = utcnow()
    session.flush()


def export_customer(session: Session, *, customer_id: int) -> dict[str, Any]:
    """Everything stored about a customer's identity and preferences, as JSON-ready data."""
    member = get_member(session, customer_id=customer_id)
    return {
        "customer": {
            "id": member.customer_id,
            "email": member.email,
            "display_name": member.display_name,
            "household_id": member.household_id,
            "role": member.role,
            "locale": member.locale,
        },
        "addresses": list_addresses(session, customer_id=customer_id),
        "consents": list_consents(session, customer_id=customer_id),
        "profile": get_profile(session, customer_id=customer_id).to_dict(),
    }


def delete_customer_data(session: Session, *, customer_id: int) -> None:
    """Erase the profile, consents and sign-ins of a customer (the account row stays)."""
    session.execute(delete(PreferenceProfile).where(PreferenceProfile.customer_id == customer_id))
    session.execute(delete(AuthToken).where(AuthToken.customer_id == customer_id))
    session.flush()
