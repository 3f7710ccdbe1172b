"""fleet: depots belong to a city; vehicles may end at another depot; service areas

Revision ID: 0008
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lingxi.data.base

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("depot", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "city", sa.String(length=64), server_default=sa.text("'monaco'"), nullable=False
            )
        )
        batch_op.create_index(batch_op.f("ix_depot_city"), ["city"], unique=False)
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.add_column(sa.Column("end_depot_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_vehicle_end_depot_id_depot"),
            "depot",
            ["end_depot_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.create_table(
        "service_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("city", sa.String(length=64), nullable=False),
        sa.Column("depot_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("polygon", sa.JSON(), nullable=False),
        sa.Column("created_at", lingxi.data.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["depot_id"],
            ["depot.id"],
            name=op.f("fk_service_area_depot_id_depot"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_area")),
        sa.UniqueConstraint("name", name=op.f("uq_service_area_name")),
    )
    with op.batch_alter_table("service_area", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_area_city"), ["city"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("service_area", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_area_city"))
    op.drop_table("service_area")
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_vehicle_end_depot_id_depot"), type_="foreignkey")
        batch_op.drop_column("end_depot_id")
    with op.batch_alter_table("depot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_depot_city"))
        batch_op.drop_column("city")
