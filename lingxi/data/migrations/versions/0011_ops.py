"""ops: background planning jobs, the history of plans, delivery promises

Revision ID: 0011
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lingxi.data.base

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ops_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("stage_at", lingxi.data.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("time_limit_s", sa.Double(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("active_key", sa.String(length=40), nullable=True),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("finished_at", lingxi.data.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", lingxi.data.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["started_by"],
            ["customer.id"],
            name=op.f("fk_ops_job_started_by_customer"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_job")),
        sa.UniqueConstraint("active_key", name=op.f("uq_ops_job_active_key")),
    )
    op.create_table(
        "plan_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", lingxi.data.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("routes", sa.Integer(), nullable=False),
        sa.Column("stops", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Double(), nullable=False),
        sa.Column("unassigned", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_record")),
    )
    op.create_index("ix_plan_record_day_at", "plan_record", ["day", "at"], unique=False)
    op.create_table(
        "delivery_promise",
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("eta", lingxi.data.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipment.id"],
            name=op.f("fk_delivery_promise_shipment_id_shipment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shipment_id", name=op.f("pk_delivery_promise")),
    )


def downgrade() -> None:
    op.drop_table("delivery_promise")
    op.drop_index("ix_plan_record_day_at", table_name="plan_record")
    op.drop_table("plan_record")
    op.drop_table("ops_job")
