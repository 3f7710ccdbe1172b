"""The leaves: the error tree, money and places, settings."""

from __future__ import annotations

import pytest

from lingxi.config import Settings
from lingxi.errors import (
    ConfirmationRequiredError,
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    LingxiError,
    NotFoundError,
    UnauthorizedError,
    UnavailableError,
)
from lingxi.types import GeoPoint, Money


@pytest.mark.parametrize(
    ("cls", "code", "bases"),
    [
        (InvalidInputError, "invalid_input", (ValueError,)),
        (NotFoundError, "not_found", (LookupError,)),
        (ConflictError, "conflict", ()),
        (UnauthorizedError, "unauthorized", ()),
        (ForbiddenError, "forbidden", (UnauthorizedError,)),
        (UnavailableError, "unavailable", ()),
    ],
)
def test_error_tree_codes_and_bases(
    cls: type[LingxiError], code: str, bases: tuple[type, ...]
) -> None:
    """Each error has its stable code and the stdlib base old except-clauses expect."""
    err = cls("boom", field="x")
    assert isinstance(err, LingxiError)
    assert err.code == code
    for base in bases:
        assert isinstance(err, base)
    assert err.to_dict() == {"code": code, "message": "boom", "details": {"field": "x"}}


def test_for_field_names_field_rule_and_value() -> None:
    """The canonical message names the field, the rule and the value."""
    err = InvalidInputError.for_field("max_stops", "an int in [1, inf)", 0)
    assert str(err) == "The 'max_stops' field must be an int in [1, inf). Got 0 instead."
    assert err.details == {"field": "max_stops"}


def test_for_field_truncates_huge_values() -> None:
    """A 100 kB value is not echoed back whole."""
    err = InvalidInputError.for_field("text", "short", "x" * 100_000)
    assert len(str(err)) < 200


def test_confirmation_required_carries_token() -> None:
    """The confirmation error carries the token the caller must send back."""
    err = ConfirmationRequiredError("Unlock the front door?", token="abc")
    assert err.token == "abc" and err.details["token"] == "abc"


def test_money_round_trip_and_addition() -> None:
    """Money is integer minor units; decimal conversion rounds half away from zero."""
    assert Money.from_decimal("12.345").minor == 1235
    assert Money.from_decimal(-0.005).minor == -1
    assert str(Money(1250) + Money(50)) == "13.00 USD"
    with pytest.raises(InvalidInputError, match="currency"):
        Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(InvalidInputError, match="currency"):
        Money(1, "XXX")
    with pytest.raises(InvalidInputError, match="amount"):
        Money.from_decimal("nan")


def test_geopoint_validates_and_measures() -> None:
    """Coordinates out of range are refused; haversine distance is in metres."""
    a, b = GeoPoint(43.7384, 7.4246), GeoPoint(43.7311, 7.4197)
    assert 850 < a.distance_m(b) < 950
    with pytest.raises(InvalidInputError, match="'lat'"):
        GeoPoint(91, 0)


def test_settings_read_nested_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """LINGXI_ variables with __ nesting reach the nested blocks."""
    monkeypatch.setenv("LINGXI_DB__URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("LINGXI_LLM__BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("LINGXI_LLM__API_KEY", "sk-test")
    s = Settings()
    assert s.db.url == "postgresql+psycopg://u@h/db"
    assert s.llm.configured and s.llm.api_key is not None
    assert "sk-test" not in repr(s)


def test_production_refuses_placeholder_secret() -> None:
    """Production settings with the placeholder secret or the demo login fail fast."""
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(environment="production")
    with pytest.raises(ValueError, match="DEMO_LOGIN"):
        Settings(environment="production", auth={"secret_key": "a-real-secret-value"})  # type: ignore[arg-type]
