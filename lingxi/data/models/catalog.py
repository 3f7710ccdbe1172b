"""Catalogue: products, their normalised INCI ingredients, and interactions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lingxi.data.base import Base, TimestampMixin


class InteractionKind(StrEnum):
    """What a person did with a product."""

    VIEW = "view"
    CART = "cart"
    PURCHASE = "purchase"
    RATING = "rating"


class Product(TimestampMixin, Base):
    """A sellable product. Price is integer minor units of ``currency``."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    brand: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(100), index=True)
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    rating: Mapped[float | None] = mapped_column(default=None)
    ingredients_raw: Mapped[str] = mapped_column(Text, default="")
    skin_combination: Mapped[bool] = mapped_column(default=False)
    skin_dry: Mapped[bool] = mapped_column(default=False)
    skin_normal: Mapped[bool] = mapped_column(default=False)
    skin_oily: Mapped[bool] = mapped_column(default=False)
    skin_sensitive: Mapped[bool] = mapped_column(default=False)
    image_ref: Mapped[str | None] = mapped_column(String(1000), default=None)
    """A path under the configured images folder, or an http(s) URL (recorded, never fetched)."""
    stock: Mapped[int | None] = mapped_column(default=None)
    """Units in stock, when the operator's catalogue says."""

    ingredients: Mapped[list[ProductIngredient]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        order_by="ProductIngredient.position",
    )

    @property
    def skin_types(self) -> list[str]:
        """The skin types the product is flagged for, sorted."""
        flags = {
            "combination": self.skin_combination,
            "dry": self.skin_dry,
            "normal": self.skin_normal,
            "oily": self.skin_oily,
            "sensitive": self.skin_sensitive,
        }
        return sorted(k for k, v in flags.items() if v)


class Ingredient(Base):
    """A normalised INCI ingredient name (lowercase, whitespace collapsed)."""

    __tablename__ = "ingredient"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)


class ProductIngredient(Base):
    """One ingredient of one product, in label order."""

    __tablename__ = "product_ingredient"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="CASCADE"), primary_key=True
    )
    ingredient_id: Mapped[int] = mapped_column(
        ForeignKey("ingredient.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int]

    product: Mapped[Product] = relationship(back_populates="ingredients")
    ingredient: Mapped[Ingredient] = relationship()


class Interaction(Base):
    """A view, cart, purchase or rating of a product by a customer."""

    __tablename__ = "interaction"
    __table_args__ = (Index("ix_interaction_customer_time", "customer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[float | None] = mapped_column(default=None)
    """The rating (1-5) for a RATING; unused otherwise."""
    occurred_at: Mapped[datetime]


class ProductEmbedding(Base):
    """A cached text embedding of a product, keyed by the model that made it."""

    __tablename__ = "product_embedding"
    __table_args__ = (UniqueConstraint("product_id", "model"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(100))
    vector: Mapped[bytes]
    """float32 little-endian bytes."""
