"""HTTP models of the shopper's product page (``GET /api/products/{product_id}``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "AskedIngredientPublic",
    "LabelEntryPublic",
    "PricePublic",
    "ProductPublic",
    "ReviewsPublic",
    "SkinFlagPublic",
]


class PricePublic(BaseModel):
    """The price in the catalogue's currency and, for Chinese, in yuan beside it."""

    amount: float = Field(description="In the catalogue's currency (major units).")
    amount_minor: int
    currency: str = Field(description="The catalogue's currency (USD).")
    display: str = Field(description="As the shopper reads it: $12, or ¥86（$12）.")
    local_amount: float | None = Field(description="In yuan for Chinese; null in English.")
    local_currency: Literal["CNY"] | None
    cny_per_usd: float | None = Field(description="The rate used (LINGXI_GUIDE__CNY_PER_USD).")


class ReviewsPublic(BaseModel):
    """A public source's review count and average rating."""

    count: int
    rating: float
    source: str = Field(description="Who counted them (credited on the page).")


class SkinFlagPublic(BaseModel):
    """One skin type and whether the catalogue flags the product suitable for it."""

    skin_type: Literal["combination", "dry", "normal", "oily", "sensitive"]
    suitable: bool


class LabelEntryPublic(BaseModel):
    """One entry of the ingredient label, in label order."""

    name: str
    asked: str | None = Field(
        description="The canonical ingredient asked about that this entry is, or null."
    )


class AskedIngredientPublic(BaseModel):
    """An ingredient the person asked about, and whether the label has it."""

    canonical: str
    label: str = Field(description="Its name in the requested language.")
    present: bool


class ProductPublic(BaseModel):
    """A product as its page shows it to a shopper."""

    id: int
    sku: str
    brand: str
    name: str
    category: str = Field(description="A catalogue label (Cleanser, Moisturizer, ...).")
    price: PricePublic
    rating: float | None = Field(description="The catalogue's average stars (0-5).")
    reviews: ReviewsPublic | None = Field(
        description="Review count from a public source; null when none gives one (never guessed)."
    )
    skin_types: list[SkinFlagPublic] = Field(description="Every skin type, in a fixed order.")
    ingredients: list[LabelEntryPublic]
    asked: list[AskedIngredientPublic]
    image_src: str = Field(description="Served by the app itself (a file or a placeholder).")
    in_stock: bool | None = Field(description="null: the catalogue does not track stock.")
