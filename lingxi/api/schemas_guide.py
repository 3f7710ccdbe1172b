"""HTTP models of the shopping guide's routes (the CLI's JSON documents, typed)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "ComparisonPublic",
    "ComparisonRow",
    "FeedbackPublic",
    "ParsedNeedPublic",
    "ProductRef",
    "RecommendationPublic",
    "RecommendationsPublic",
]


class ParsedNeedPublic(BaseModel):
    """The parsed need: the ``lingxi guide parse --json`` document."""

    category: str | None = Field(description="A catalogue label (Cleanser, Moisturizer, ...).")
    skin_types: list[str] = Field(description="Sorted subset of combination, dry, normal, ...")
    max_price: float | None = Field(description="In the catalogue's currency (USD).")
    min_price: float | None
    brands: list[str]
    exclude_ingredients: list[str] = Field(description="Lowercase canonical English names.")
    include_ingredients: list[str]


class RecommendationPublic(BaseModel):
    """One recommended product, its score and a reason built from its facts."""

    id: int
    name: str
    brand: str
    price: float | None
    display_price: str = Field(description="As the shopper reads it: $12, or ¥86（$12）.")
    category: str = Field(description="What the product is filtered under (see category_flag).")
    category_flag: str | None = Field(
        description="Set when the catalogue's label is wrong: what the label and the name say."
    )
    skin_types: list[str]
    score: float
    reason: str


class RecommendationsPublic(BaseModel):
    """Products meeting every constraint, best first (``lingxi guide recommend --json``)."""

    items: list[RecommendationPublic]
    relaxed: list[str] = Field(description="Constraints loosened to find anything, in order.")
    message: str
    ingredients_not_listed: list[RecommendationPublic] = Field(
        description="Products meeting every other constraint whose ingredient list is unknown: "
        "they meet no ingredient constraint, so they are shown apart and not counted."
    )
    currency: Literal["USD", "CNY"] = Field(description="The shopper's currency.")
    conversion: str | None = Field(description="How a yuan budget was converted to US$.")
    dermatologist_note: str | None = Field(
        description="A plain note to see a dermatologist, when the request names a condition."
    )
    personalised: bool = Field(description="True when the consented profile shaped the ranking.")


class ProductRef(BaseModel):
    """A product, by id and name."""

    id: int
    name: str
    brand: str


class ComparisonRow(BaseModel):
    """One aspect (price, rating, skin types, ingredients) of the two products."""

    aspect: str
    a: str
    b: str


class ComparisonPublic(BaseModel):
    """Two products side by side, and which fits the need better."""

    a: ProductRef
    b: ProductRef
    rows: list[ComparisonRow]
    only_in_a: list[str]
    only_in_b: list[str]
    better: int | None = Field(description="The better product's id; None for a tie.")
    verdict: str


class FeedbackPublic(BaseModel):
    """A recorded view, cart, purchase or rating."""

    recorded: bool
    product_id: int
    kind: Literal["view", "cart", "purchase", "rating"]
