"""shipment: when its ETA was last set (the web app shows an old ETA as stale)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lingxi.data.base

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, as 0007: no table copy, so no cascade over the shipment's rows.
    op.add_column(
        "shipment",
        sa.Column(
            "eta_updated_at", lingxi.data.base.UTCDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    op.drop_column("shipment", "eta_updated_at")
