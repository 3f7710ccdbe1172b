"""home: gesture bindings

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lingxi.data.base

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gesture_binding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("gesture", sa.String(length=40), nullable=False),
        sa.Column("intent", sa.String(length=60), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("created_at", lingxi.data.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_gesture_binding_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gesture_binding")),
        sa.UniqueConstraint(
            "household_id", "gesture", name=op.f("uq_gesture_binding_household_id_gesture")
        ),
    )
    with op.batch_alter_table("gesture_binding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gesture_binding_household_id"), ["household_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("gesture_binding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gesture_binding_household_id"))
    op.drop_table("gesture_binding")
