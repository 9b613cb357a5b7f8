"""Credit reports: the issued-report ledger (hash + HMAC), and records by subject name.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    # A natural person's report gathers their records by name (then by ID number).
    op.create_index("ix_records_subject_name", "records", ["subject_name"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("report_no", sa.String(24), nullable=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("subject_ref", sa.String(80), nullable=False),
        sa.Column("subject_name", sa.String(200), nullable=False),
        sa.Column("subject_type", sa.String(20), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("issued_at", Stamp, nullable=False),
        sa.Column("data_cutoff", Stamp, nullable=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
        sa.UniqueConstraint("report_no", name="uq_reports_report_no"),
    )
    op.create_index("ix_reports_subject_ref", "reports", ["subject_ref"])
    op.create_index("ix_reports_issued_at", "reports", ["issued_at"])


def downgrade() -> None:
    op.drop_index("ix_reports_issued_at", "reports")
    op.drop_index("ix_reports_subject_ref", "reports")
    op.drop_table("reports")
    op.drop_index("ix_records_subject_name", "records")
