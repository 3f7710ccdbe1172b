"""home: automations (commands for later, done once when due)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lingxi.data.base

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "home_automation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("commands", sa.JSON(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("due_at", lingxi.data.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("finished_at", lingxi.data.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=2000), nullable=True),
        sa.Column("created_at", lingxi.data.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_home_automation_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_home_automation_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_home_automation")),
    )
    with op.batch_alter_table("home_automation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_home_automation_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index("ix_home_automation_status_due_at", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("home_automation", schema=None) as batch_op:
        batch_op.drop_index("ix_home_automation_status_due_at")
        batch_op.drop_index(batch_op.f("ix_home_automation_household_id"))
    op.drop_table("home_automation")
