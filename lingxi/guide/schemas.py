"""The guide's values: a parsed need, a recommendation, a result, a comparison."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "CATEGORIES",
    "SKIN_TYPES",
    "Comparison",
    "GuideResult",
    "ProductFacts",
    "ProductQuery",
    "Recommendation",
]

CATEGORIES: tuple[str, ...] = (
    "Moisturizer",
    "Cleanser",
    "Face Mask",
    "Treatment",
    "Eye cream",
    "Sun protect",
)
"""The catalogue's category labels."""

SKIN_TYPES: tuple[str, ...] = ("combination", "dry", "normal", "oily", "sensitive")
"""The skin types the catalogue flags, sorted."""


def _dollars(minor: int | None) -> float | int | None:
    if minor is None:
        return None
    return minor // 100 if minor % 100 == 0 else round(minor / 100, 2)


@dataclass(frozen=True, slots=True)
class ProductQuery:
    """A shopper's need, parsed from free text (all hard constraints are explicit)."""

    text: str
    """The request as given (normalised whitespace)."""
    language: Literal["en", "zh"] = "en"
    """The request's main language."""
    category: str | None = None
    """One of :data:`CATEGORIES`, or ``None``."""
    skin_types: tuple[str, ...] = ()
    """Sorted subset of :data:`SKIN_TYPES`; a product must suit each one."""
    min_price_minor: int | None = None
    """Lower price bound in US cents, inclusive."""
    max_price_minor: int | None = None
    """Upper price bound in US cents, inclusive."""
    brands: tuple[str, ...] = ()
    """Catalogue brand spellings; a product must be one of them."""
    exclude_brands: tuple[str, ...] = ()
    """Brands the shopper ruled out."""
    exclude_ingredients: tuple[str, ...] = ()
    """Canonical ingredient names that must be absent."""
    include_ingredients: tuple[str, ...] = ()
    """Canonical ingredient names that must be present."""
    concerns: tuple[str, ...] = ()
    """Cosmetic concerns mentioned (acne, aging, dark spots, ...); soft, used for ranking."""
    medical_conditions: tuple[str, ...] = ()
    """Skin conditions that need a dermatologist (eczema, rosacea, ...)."""
    currency: Literal["USD", "CNY"] = "USD"
    """The shopper's currency: CNY when the request is Chinese or a budget was stated in yuan
    (块, 元, ¥, rmb, or a bare number in Chinese); prices are then shown in ¥ beside US$."""
    cny_per_usd: float | None = None
    """The yuan per US$ rate the need was read with, when :attr:`currency` is CNY."""
    stated_min: float | None = None
    """The lower bound in yuan as the shopper stated it (``None`` unless stated in yuan)."""
    stated_max: float | None = None
    """The upper bound in yuan as the shopper stated it (``None`` unless stated in yuan)."""

    @property
    def min_price(self) -> float | int | None:
        """The lower bound in dollars."""
        return _dollars(self.min_price_minor)

    @property
    def max_price(self) -> float | int | None:
        """The upper bound in dollars."""
        return _dollars(self.max_price_minor)

    @property
    def has_constraints(self) -> bool:
        """True when the query restricts the catalogue at all."""
        return bool(
            self.category
            or self.skin_types
            or self.min_price_minor is not None
            or self.max_price_minor is not None
            or self.brands
            or self.exclude_brands
            or self.exclude_ingredients
            or self.include_ingredients
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``lingxi guide parse --json`` document (DESIGN.md contract)."""
        return {
            "category": self.category,
            "skin_types": list(self.skin_types),
            "max_price": self.max_price,
            "min_price": self.min_price,
            "brands": list(self.brands),
            "exclude_ingredients": list(self.exclude_ingredients),
            "include_ingredients": list(self.include_ingredients),
        }


@dataclass(frozen=True, slots=True)
class ProductFacts:
    """What the guide knows about one catalogue product (plain values, no ORM rows)."""

    id: int
    name: str
    brand: str
    category: str
    price_minor: int
    rating: float | None
    skin_types: tuple[str, ...]
    ingredients: tuple[str, ...]
    """Normalised INCI label entries, in label order."""
    canonical_ingredients: frozenset[str] = field(default_factory=frozenset)
    """Canonical names (from the INCI dictionary) present in the label."""
    label: str = ""
    """The catalogue's own category label (``category`` is what the product is filtered under;
    they differ when the name or ingredients show the label is wrong)."""
    category_flag: str | None = None
    """Why ``category`` differs from ``label``, or ``None``."""

    @property
    def ingredients_listed(self) -> bool:
        """True when the catalogue lists the product's ingredients (an unlisted product meets no
        ingredient constraint, to avoid or to want)."""
        return bool(self.ingredients)

    @property
    def price(self) -> float | int:
        """The price in dollars."""
        value = _dollars(self.price_minor)
        assert value is not None
        return value


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommended product with its score and a reason built from facts."""

    id: int
    name: str
    brand: str
    price_minor: int
    category: str
    skin_types: tuple[str, ...]
    score: float
    reason: str
    rating: float | None = None
    display_price: str = ""
    """The price as the shopper reads it: ``$10`` or ``¥72（$10）``."""
    category_flag: str | None = None
    """Set when the catalogue's label for this product is wrong (see :mod:`lingxi.guide.kinds`)."""
    ingredients_listed: bool = True
    """False for a product shown apart because its ingredient list is unknown."""

    def to_dict(self) -> dict[str, Any]:
        """The item document of ``lingxi guide recommend --json``."""
        return {
            "id": self.id,
            "name": self.name,
            "brand": self.brand,
            "price": _dollars(self.price_minor),
            "display_price": self.display_price or f"${_dollars(self.price_minor)}",
            "category": self.category,
            "category_flag": self.category_flag,
            "skin_types": list(self.skin_types),
            "score": round(self.score, 4),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class GuideResult:
    """The answer to a request: items, which constraints were relaxed, and a message."""

    query: ProductQuery
    items: tuple[Recommendation, ...]
    relaxed: tuple[str, ...] = ()
    """Constraint names loosened to find anything, in the order they were loosened."""
    message: str = ""
    dermatologist_note: str | None = None
    """A plain note to see a dermatologist, when the request names a skin condition."""
    personalised: bool = False
    """True when the person's consented profile or history shaped the ranking."""
    ingredients_not_listed: tuple[Recommendation, ...] = ()
    """Products meeting every other constraint whose ingredient list is unknown, so they can
    be said to meet no ingredient constraint; shown apart, never counted as fitting."""
    conversion: str | None = None
    """How a yuan budget was turned into the catalogue's US$ (``None`` when none was)."""

    def to_dict(self) -> dict[str, Any]:
        """The ``lingxi guide recommend --json`` document (DESIGN.md contract)."""
        return {
            "items": [item.to_dict() for item in self.items],
            "relaxed": list(self.relaxed),
            "message": self.message,
            "ingredients_not_listed": [item.to_dict() for item in self.ingredients_not_listed],
            "currency": self.query.currency,
            "conversion": self.conversion,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two products side by side against a stated need."""

    a: ProductFacts
    b: ProductFacts
    need: ProductQuery
    rows: tuple[tuple[str, str, str], ...]
    """``(aspect, value for a, value for b)``: price, rating, skin types, ingredients."""
    only_in_a: tuple[str, ...]
    only_in_b: tuple[str, ...]
    better: int | None
    """The id of the product that fits the need better, or ``None`` for a tie."""
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document."""
        return {
            "a": {"id": self.a.id, "name": self.a.name, "brand": self.a.brand},
            "b": {"id": self.b.id, "name": self.b.name, "brand": self.b.brand},
            "rows": [{"aspect": r[0], "a": r[1], "b": r[2]} for r in self.rows],
            "only_in_a": list(self.only_in_a),
            "only_in_b": list(self.only_in_b),
            "better": self.better,
            "verdict": self.verdict,
        }
