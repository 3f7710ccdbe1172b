"""couriers: a courier's vehicle, and the positions couriers' devices report

Revision ID: 0010
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lingxi.data.base

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "courier_vehicle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("created_at", lingxi.data.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_courier_vehicle_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicle.id"],
            name=op.f("fk_courier_vehicle_vehicle_id_vehicle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courier_vehicle")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_courier_vehicle_customer_id")),
        sa.UniqueConstraint("vehicle_id", name=op.f("uq_courier_vehicle_vehicle_id")),
    )
    op.create_table(
        "courier_position",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("accuracy_m", sa.Double(), nullable=True),
        sa.Column("recorded_at", lingxi.data.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", lingxi.data.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicle.id"],
            name=op.f("fk_courier_position_vehicle_id_vehicle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_courier_position_customer_id_customer"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courier_position")),
    )
    op.create_index(
        "ix_courier_position_vehicle_recorded",
        "courier_position",
        ["vehicle_id", "recorded_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_courier_position_vehicle_recorded", table_name="courier_position")
    op.drop_table("courier_position")
    op.drop_table("courier_vehicle")
