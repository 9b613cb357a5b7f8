"""The store's schema, once, in SQLAlchemy Core (the Alembic migrations must match it)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)

#: JSON documents: JSONB on PostgreSQL, JSON text on SQLite.
Json = sa.JSON().with_variant(JSONB(), "postgresql")
Stamp = sa.DateTime(timezone=True)

#: One row per push run (headlines, records, expire): what it read and what it changed.
pushes = sa.Table(
    "pushes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("source", sa.String(500), nullable=False),
    sa.Column("source_sha256", sa.String(64), nullable=False),
    sa.Column("started_at", Stamp, nullable=False),
    sa.Column("finished_at", Stamp, nullable=False),
    sa.Column("counts", Json, nullable=False),
    #: {site_id: [scope, ...]} — the sites and page groups this push changed.
    sa.Column("affected", Json, nullable=False),
)

#: The current version of every headline (retracted ones stay, flagged).
headlines = sa.Table(
    "headlines",
    metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("retracted", sa.Boolean, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("data", Json, nullable=False),
    sa.Column("push_id", sa.Integer, nullable=False),
    sa.Column("updated_at", Stamp, nullable=False),
    sa.Index(None, "retracted", "date"),
)

headline_versions = sa.Table(
    "headline_versions",
    metadata,
    sa.Column("headline_id", sa.String(80), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("retracted", sa.Boolean, nullable=False),
    sa.Column("data", Json, nullable=False),
    sa.Column("push_id", sa.Integer, nullable=False),
    sa.Column("recorded_at", Stamp, nullable=False),
)

#: The current version of every disclosure record. ``status``: active | withdrawn | expired.
#: ``province``/``city`` are the code prefixes (2 and 4 digits) so a site's records are an
#: indexed equality, not a LIKE.
records = sa.Table(
    "records",
    metadata,
    sa.Column("key", sa.String(80), primary_key=True),
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
    sa.Index(None, "kind", "status", "decided_on"),
    sa.Index(None, "kind", "status", "province", "decided_on"),
    sa.Index(None, "kind", "status", "city", "decided_on"),
    sa.Index(None, "kind", "status", "region_code", "decided_on"),
    sa.Index(None, "status", "expires_on"),
    sa.Index(None, "subject_code"),
    sa.Index(None, "subject_name"),
    sa.Index(None, "document_no"),
    sa.Index(None, "push_id"),
)

record_versions = sa.Table(
    "record_versions",
    metadata,
    sa.Column("key", sa.String(80), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("data", Json, nullable=False),
    sa.Column("push_id", sa.Integer, nullable=False),
    sa.Column("recorded_at", Stamp, nullable=False),
)

#: Data revisions the build compares with what it rendered: scope ``headlines`` (region "")
#: or a record kind per region code. A push sets the revision of every region on the path
#: from a changed record's region up to the nation to its push id.
revisions = sa.Table(
    "revisions",
    metadata,
    sa.Column("scope", sa.String(20), primary_key=True),
    sa.Column("region_code", sa.String(6), primary_key=True),
    sa.Column("revision", sa.Integer, nullable=False),
)

# -- click tracker (issue 6) ----------------------------------------------------------
# Counts only: raw events are never kept. Times are whole minutes since the Unix epoch, so
# hour and day buckets are integer arithmetic on both SQLite and PostgreSQL.

#: Counted page views per site, page and minute.
hit_counts = sa.Table(
    "hit_counts",
    metadata,
    sa.Column("site", sa.String(64), primary_key=True),
    sa.Column("path", sa.String(512), primary_key=True),
    sa.Column("minute", sa.Integer, primary_key=True),
    sa.Column("views", sa.Integer, nullable=False),
    sa.Index(None, "minute"),
    sa.Index(None, "site", "minute"),
)

#: Counted page views per site, day (Beijing time) and referrer: another site of the group
#: (``site:<id>``) or an outside host name; same-site and direct visits are not listed.
hit_referrers = sa.Table(
    "hit_referrers",
    metadata,
    sa.Column("site", sa.String(64), primary_key=True),
    sa.Column("day", sa.Integer, primary_key=True),
    sa.Column("ref", sa.String(128), primary_key=True),
    sa.Column("views", sa.Integer, nullable=False),
    sa.Index(None, "day"),
)

#: The dedup window: one row per (visitor, site, page) seen in the last 30 minutes. ``key``
#: is a keyed hash of the visitor (IP + user agent, salted daily) with the site and page;
#: rows older than the window are deleted. ``seen`` is the Unix time of the counted view.
hit_recent = sa.Table(
    "hit_recent",
    metadata,
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("seen", sa.Integer, nullable=False),
    sa.Index(None, "seen"),
)

#: One random salt per day (Beijing time), shared by every API worker; yesterday's and older
#: are deleted, so a visitor key cannot be recomputed from an IP address afterwards.
hit_salts = sa.Table(
    "hit_salts",
    metadata,
    sa.Column("day", sa.Integer, primary_key=True),
    sa.Column("salt", sa.String(64), nullable=False),
)

# -- 异议投诉 cases (issue 7) ----------------------------------------------------------

#: One row per objection (异议) or complaint (投诉): its current state and where it is handled.
#: The query code is stored only as a hash; ``data`` holds the submitted text and contact.
cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.String(24), nullable=True, unique=True),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("intake_site", sa.String(64), nullable=False),
    #: The region responsible for handling it (属地), after dispatch.
    sa.Column("region_code", sa.String(6), nullable=False),
    sa.Column("record_key", sa.String(80), nullable=True),
    sa.Column("subject_name", sa.String(200), nullable=False),
    sa.Column("subject_code", sa.String(40), nullable=False),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("received_at", Stamp, nullable=False),
    sa.Column("updated_at", Stamp, nullable=False),
    sa.Column("data", Json, nullable=False),
    #: The last day (Beijing) by which it must be concluded: working days from dispatch.
    sa.Column("due_on", sa.Date, nullable=True),
    #: A keyed hash of the submitter's network address (salted per day, see ``hit_salts``)
    #: for the per-address intake limit; never the address itself.
    sa.Column("intake_key", sa.String(32), nullable=True),
    sa.Index(None, "region_code", "status"),
    sa.Index(None, "subject_code"),
    sa.Index(None, "intake_key", "received_at"),
)

#: Every step of a case, append-only: who, when, what, to which state; ``internal`` notes
#: are for handlers and never shown to the submitter.
case_events = sa.Table(
    "case_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("at", Stamp, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("region_code", sa.String(6), nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("internal", sa.Boolean, nullable=False),
    sa.Index(None, "case_id"),
)

#: Files sent with a case (checked by content: PDF, JPEG or PNG), written in the case's own
#: transaction; only the region's handlers can download them.
case_attachments = sa.Table(
    "case_attachments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("media_type", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Index(None, "case_id"),
)

#: Handler accounts (属地办理): one person at the site of a region, who sees and acts on the
#: cases of that region and its descendants. Only the SHA-256 of the token is kept.
case_handlers = sa.Table(
    "case_handlers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site", sa.String(64), nullable=False),
    sa.Column("region_code", sa.String(6), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("revoked_at", Stamp, nullable=True),
)

#: Every handler read or change of a case and every full-detail view of a record: who,
#: when, what, from where. Append-only: triggers refuse UPDATE and DELETE (migration 0005),
#: and each entry carries the hash of the one before, so a gap or an edit shows.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", Stamp, nullable=False),
    sa.Column("handler_id", sa.Integer, nullable=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("region_code", sa.String(6), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    #: A case number, a record key or a filter, by action.
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    #: Where the request came from (the handler's network address).
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index(None, "at"),
    sa.Index(None, "target"),
)

#: Every issued credit report: what it is about, who issued it, and the SHA-256 of the exact
#: PDF handed out, signed with the report key (HMAC) so a row edited in the database or
#: written with another key does not verify. The PDF itself is not kept.
reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    #: BG + Beijing date + id (set in the same transaction as the row).
    sa.Column("report_no", sa.String(24), nullable=True, unique=True),
    sa.Column("site", sa.String(64), nullable=False),
    #: The 统一社会信用代码, or a natural person's record key.
    sa.Column("subject_ref", sa.String(80), nullable=False),
    sa.Column("subject_name", sa.String(200), nullable=False),
    sa.Column("subject_type", sa.String(20), nullable=False),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("issued_at", Stamp, nullable=False),
    sa.Column("data_cutoff", Stamp, nullable=True),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    #: First 16 hex digits of SHA-256 of the signing key: which key signed (never the key).
    sa.Column("key_id", sa.String(16), nullable=False),
    sa.Column("signature", sa.String(64), nullable=False),
    sa.Index(None, "subject_ref"),
    sa.Index(None, "issued_at"),
)
