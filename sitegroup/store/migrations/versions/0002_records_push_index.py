"""Index records by the push that last changed them (the search index syncs by it).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_records_push_id", "records", ["push_id"])


def downgrade() -> None:
    op.drop_index("ix_records_push_id", table_name="records")
