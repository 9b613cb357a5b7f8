"""Headlines, disclosure records, their history, data revisions and the push ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pushes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("started_at", Stamp, nullable=False),
        sa.Column("finished_at", Stamp, nullable=False),
        sa.Column("counts", Json, nullable=False),
        sa.Column("affected", Json, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pushes"),
    )
    op.create_table(
        "headlines",
        sa.Column("id", sa.String(80)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("retracted", sa.Boolean, nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("push_id", sa.Integer, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_headlines"),
    )
    op.create_index("ix_headlines_retracted_date", "headlines", ["retracted", "date"])
    op.create_table(
        "headline_versions",
        sa.Column("headline_id", sa.String(80)),
        sa.Column("version", sa.Integer),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("retracted", sa.Boolean, nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("push_id", sa.Integer, nullable=False),
        sa.Column("recorded_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("headline_id", "version", name="pk_headline_versions"),
    )
    op.create_table(
        "records",
        sa.Column("key", sa.String(80)),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("province", sa.String(2), nullable=False),
        sa.Column("city", sa.String(4), nullable=False),
        sa.Column("subject_name", sa.String(200), nullable=False),
        sa.Column("subject_code", sa.String(40), nullable=False),
        sa.Column("document_no", sa.String(200), nullable=False),
        sa.Column("decided_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("push_id", sa.Integer, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_records"),
    )
    for name, cols in (
        ("ix_records_kind_status_decided_on", ["kind", "status", "decided_on"]),
        (
            "ix_records_kind_status_province_decided_on",
            ["kind", "status", "province", "decided_on"],
        ),
        ("ix_records_kind_status_city_decided_on", ["kind", "status", "city", "decided_on"]),
        (
            "ix_records_kind_status_region_code_decided_on",
            ["kind", "status", "region_code", "decided_on"],
        ),
        ("ix_records_status_expires_on", ["status", "expires_on"]),
        ("ix_records_subject_code", ["subject_code"]),
        ("ix_records_document_no", ["document_no"]),
    ):
        op.create_index(name, "records", cols)
    op.create_table(
        "record_versions",
        sa.Column("key", sa.String(80)),
        sa.Column("version", sa.Integer),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("push_id", sa.Integer, nullable=False),
        sa.Column("recorded_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("key", "version", name="pk_record_versions"),
    )
    op.create_table(
        "revisions",
        sa.Column("scope", sa.String(20)),
        sa.Column("region_code", sa.String(6)),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("scope", "region_code", name="pk_revisions"),
    )


def downgrade() -> None:
    for table in (
        "revisions",
        "record_versions",
        "records",
        "headline_versions",
        "headlines",
        "pushes",
    ):
        op.drop_table(table)
