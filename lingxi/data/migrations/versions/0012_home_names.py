"""home: a display name per language for areas and entities (``{"en": ..., "zh": ...}``)

Revision ID: 0012
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("area", "entity")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            # Existing rows have no translations yet: an empty map, and the name stays the default.
            batch_op.add_column(
                sa.Column("names", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
            )


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("names")
