"""HTTP models of the staff catalogue routes: products, the import report, versions, rollback."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

__all__ = [
    "CatalogueProductPublic",
    "CatalogueProductsPublic",
    "ImportIssuePublic",
    "ImportReportPublic",
    "ProductEditBody",
    "ProductEditPublic",
    "RollbackPublic",
    "VersionPublic",
    "VersionsPublic",
]

SkinType = Literal["combination", "dry", "normal", "oily", "sensitive"]


class CatalogueProductPublic(BaseModel):
    """A product as staff see it."""

    id: int
    sku: str
    name: str
    brand: str
    category: str
    price_minor: int = Field(description="Integer minor units of currency (cents).")
    price: float = Field(description="In major units of currency.")
    currency: str
    rating: float | None
    skin_types: list[str]
    ingredients_raw: str
    image: str | None = Field(description="A path in the images folder or a recorded URL.")
    image_src: str = Field(description="Where the app serves the image (or its placeholder).")
    stock: int | None


class CatalogueProductsPublic(BaseModel):
    """One page of a product search."""

    data: list[CatalogueProductPublic]
    count: int = Field(description="Products matching in all (not only this page).")


class ProductEditBody(BaseModel):
    """The fields to change; absent fields stay, ``null`` clears an optional one."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    brand: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    category: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    price: (
        Annotated[Decimal, Field(ge=0, le=10_000_000, max_digits=12, decimal_places=3)] | None
    ) = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    ingredients: Annotated[str, Field(max_length=20_000)] | None = None
    skin_types: list[SkinType] | None = None
    rating: Annotated[float, Field(ge=0, le=5)] | None = None
    image: Annotated[str, Field(max_length=1000)] | None = None
    stock: Annotated[StrictInt, Field(ge=0, le=2**31 - 1)] | None = None


class ProductEditPublic(BaseModel):
    """The product after an edit, and the version that records it (``null``: no change)."""

    product: CatalogueProductPublic
    version: int | None


class ImportIssuePublic(BaseModel):
    """One problem of one row."""

    row: int = Field(description="1 is the first record (the line after a CSV header).")
    field: str
    value: str
    problem: str
    message: str


class ImportReportPublic(BaseModel):
    """The validation report of an import (the ``lingxi catalogue import --json`` document)."""

    source: str
    rows: int
    valid: int
    invalid: int
    inserted: int
    updated: int
    unchanged: int
    dry_run: bool
    applied: bool
    refused: bool = Field(description="Invalid rows stopped the import: nothing was stored.")
    version: int | None
    reembedded: int
    index_refresh: Literal["none", "background"] = Field(
        description="``background``: new and changed products are being embedded now."
    )
    issues_total: int
    by_problem: dict[str, int]
    issues: list[ImportIssuePublic]
    message: str


class VersionPublic(BaseModel):
    """One catalogue version."""

    id: int
    created_at: datetime
    kind: str
    source: str
    actor: str
    status: str
    inserted: int
    updated: int
    unchanged: int
    skipped: int
    rolled_back_at: datetime | None


class VersionsPublic(BaseModel):
    """Versions, newest first."""

    data: list[VersionPublic]
    count: int


class RollbackPublic(BaseModel):
    """What a rollback undid."""

    versions: list[int] = Field(description="Rolled back, newest first.")
    deleted: int
    restored: int
    message: str
