"""Small value types shared by every layer: ids, money, places and durations."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NewType

from lingxi.errors import InvalidInputError

__all__ = [
    "CustomerId",
    "DurationS",
    "EntityId",
    "GeoPoint",
    "HouseholdId",
    "Money",
    "OrderId",
    "ProductId",
]

CustomerId = NewType("CustomerId", int)
HouseholdId = NewType("HouseholdId", int)
ProductId = NewType("ProductId", int)
OrderId = NewType("OrderId", int)
EntityId = NewType("EntityId", str)
"""A Home Assistant style entity id, ``domain.object_id`` (``light.kitchen``)."""
DurationS = NewType("DurationS", int)
"""A duration in whole seconds."""

_MINOR_UNITS = {"USD": 2, "EUR": 2, "CNY": 2, "GBP": 2, "JPY": 0}


@dataclass(frozen=True, slots=True)
class Money:
    """An amount as integer minor units (cents, fen) with its ISO 4217 currency."""

    minor: int
    """The amount in the currency's minor unit."""
    currency: str = "USD"
    """Three-letter ISO 4217 code."""

    def __post_init__(self) -> None:
        if self.currency not in _MINOR_UNITS:
            raise InvalidInputError.for_field(
                "currency", f"one of {sorted(_MINOR_UNITS)}", self.currency
            )

    @classmethod
    def from_decimal(cls, amount: float | str, currency: str = "USD") -> Money:
        """Build from a decimal amount (``12.5`` -> 1250 cents), rounding half away from zero."""
        try:
            value = Decimal(str(amount))
        except (TypeError, ValueError, InvalidOperation):
            raise InvalidInputError.for_field("amount", "a number", amount) from None
        if not value.is_finite():
            raise InvalidInputError.for_field("amount", "a finite number", amount)
        scale = Decimal(10) ** _MINOR_UNITS.get(currency, 2)
        return cls(int((value * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP)), currency)

    def to_decimal(self) -> float:
        """The amount in major units (1250 cents -> 12.5)."""
        scale: int = 10 ** _MINOR_UNITS[self.currency]
        return self.minor / scale

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise InvalidInputError(
                f"The 'currency' of both amounts must match. Got {other.currency} and {self.currency}.",
                field="currency",
            )
        return Money(self.minor + other.minor, self.currency)

    def __str__(self) -> str:
        digits = _MINOR_UNITS[self.currency]
        return f"{self.to_decimal():.{digits}f} {self.currency}"


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A WGS84 position in degrees."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (isinstance(self.lat, int | float) and -90.0 <= self.lat <= 90.0):
            raise InvalidInputError.for_field("lat", "a number in [-90, 90]", self.lat)
        if not (isinstance(self.lon, int | float) and -180.0 <= self.lon <= 180.0):
            raise InvalidInputError.for_field("lon", "a number in [-180, 180]", self.lon)

    def distance_m(self, other: GeoPoint) -> float:
        """Great-circle (haversine) distance in metres."""
        r = 6_371_008.8
        p1, p2 = math.radians(self.lat), math.radians(other.lat)
        dp, dl = p2 - p1, math.radians(other.lon - self.lon)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * r * math.asin(math.sqrt(h))
