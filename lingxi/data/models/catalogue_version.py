"""Catalogue versions: each import or edit, and the previous values of every row it changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lingxi.data.base import Base, utcnow


class CatalogueVersion(Base):
    """One change of the catalogue (an import or an edit), which can be rolled back."""

    __tablename__ = "catalogue_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    """``import`` or ``edit``."""
    source: Mapped[str] = mapped_column(String(500), default="")
    """The imported file's name, or the edited SKU."""
    actor: Mapped[str] = mapped_column(String(320), default="")
    """Who made it: a staff e-mail, or ``cli``."""
    status: Mapped[str] = mapped_column(String(20), default="applied")
    """``applied`` or ``rolled_back``."""
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    """Invalid rows left out (``--skip-invalid``)."""
    rolled_back_at: Mapped[datetime | None] = mapped_column(default=None)


class CatalogueChange(Base):
    """One product a version inserted or updated, with its values before the version."""

    __tablename__ = "catalogue_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_version.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(10))
    """``insert`` (rollback deletes the product) or ``update`` (rollback restores ``before``)."""
    before: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    """The product's values before the version; ``None`` for an insert."""
