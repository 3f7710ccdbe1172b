"""orders: returns (shipment kind, reason, refund; return lines)

Revision ID: 0005
Revises: 0001

A branch of its own off the initial schema, like 0004 (home): ``upgrade`` goes to every head.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind", sa.String(length=20), server_default=sa.text("'delivery'"), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("reason", sa.String(length=500), server_default=sa.text("''"), nullable=False)
        )
        batch_op.add_column(sa.Column("refund_minor", sa.Integer(), nullable=True))
    op.create_table(
        "return_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_line.id"],
            name=op.f("fk_return_line_order_line_id_order_line"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipment.id"],
            name=op.f("fk_return_line_shipment_id_shipment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_line")),
    )
    with op.batch_alter_table("return_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_line_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_return_line_shipment_id"), ["shipment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("return_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_line_shipment_id"))
        batch_op.drop_index(batch_op.f("ix_return_line_order_line_id"))
    op.drop_table("return_line")
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.drop_column("refund_minor")
        batch_op.drop_column("reason")
        batch_op.drop_column("kind")
