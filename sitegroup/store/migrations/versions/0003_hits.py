"""Click tracker: per-minute counts, referrers, the dedup window and the daily salts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hit_counts",
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("minute", sa.Integer, nullable=False),
        sa.Column("views", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("site", "path", "minute", name="pk_hit_counts"),
    )
    op.create_index("ix_hit_counts_minute", "hit_counts", ["minute"])
    op.create_index("ix_hit_counts_site_minute", "hit_counts", ["site", "minute"])
    op.create_table(
        "hit_referrers",
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("ref", sa.String(128), nullable=False),
        sa.Column("views", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("site", "day", "ref", name="pk_hit_referrers"),
    )
    op.create_index("ix_hit_referrers_day", "hit_referrers", ["day"])
    op.create_table(
        "hit_recent",
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("seen", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_hit_recent"),
    )
    op.create_index("ix_hit_recent_seen", "hit_recent", ["seen"])
    op.create_table(
        "hit_salts",
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_hit_salts"),
    )


def downgrade() -> None:
    for table in ("hit_salts", "hit_recent", "hit_referrers", "hit_counts"):
        op.drop_table(table)
