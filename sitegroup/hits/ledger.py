"""The tracker's tables in the store: count a batch of hits once, read the counts back.

A batch is one transaction: the dedup window, the per-minute counts and the referrer counts
change together or not at all. Counting is idempotent per visitor, page and window, so a
batch retried after an unclear commit is not counted twice.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sitegroup.hits.visits import Hit, day_of
from sitegroup.store import chunks, dialect_insert
from sitegroup.store.tables import hit_counts, hit_recent, hit_referrers, hit_salts

#: A reload of the same page by the same visitor within this many seconds is not counted.
DEDUP_SECONDS = 30 * 60

# Claim a batch of dedup keys (see ``HitLedger._claim``): a key is counted when it is new or
# its row is at least the window old; either way its row then holds the new time.
_CLAIM_TAIL = """
ON CONFLICT (key) DO UPDATE SET seen = excluded.seen
WHERE hit_recent.seen <= excluded.seen - :window
RETURNING key"""
_CLAIM_PG = sa.text(
    "INSERT INTO hit_recent (key, seen)"
    " SELECT * FROM unnest(CAST(:keys AS text[]), CAST(:seen AS integer[]))" + _CLAIM_TAIL
)
# ``WHERE true``: SQLite's parser needs it between a SELECT and an upsert clause.
_CLAIM_SQLITE = sa.text(
    "INSERT INTO hit_recent (key, seen)"
    " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]')"
    " FROM json_each(:rows) WHERE true" + _CLAIM_TAIL
)
#: PostgreSQL advisory lock key that serializes compactions ("sghits" in ASCII).
_COMPACT_LOCK = 0x7367686974730000


@dataclass(frozen=True)
class FlushOutcome:
    received: int  # hits in the batch
    counted: int  # page views added to the counts

    @property
    def deduplicated(self) -> int:
        return self.received - self.counted


class HitLedger:
    """The click tracker's view of a store (SQLite or PostgreSQL)."""

    def __init__(self, engine: sa.Engine, *, dedup_seconds: int = DEDUP_SECONDS) -> None:
        self.engine = engine
        self.dedup_seconds = dedup_seconds
        #: Salts this process has read (a day's salt never changes once made): the click
        #: tracker and the case intake limit share them. Replaced whole, never mutated.
        self._salts: dict[int, str] = {}

    # -- writing ----------------------------------------------------------------------

    def record(self, hits: Sequence[Hit]) -> FlushOutcome:
        """Count a batch: each (visitor, site, page) once per window; one transaction."""
        first: dict[str, Hit] = {}
        for hit in sorted(hits, key=lambda h: h.ts):
            first.setdefault(hit.key, hit)
        if not first:
            return FlushOutcome(len(hits), 0)
        # Sorted keys: concurrent workers lock rows in the same order (no deadlock).
        keys = sorted(first)
        seen = [int(first[k].ts) for k in keys]
        with self.engine.begin() as conn:
            counted_keys = self._claim(conn, keys, seen)
            counted = [first[k] for k in counted_keys]
            pages = Counter((h.site, h.path, h.minute) for h in counted)
            refs = Counter((h.site, day_of(h.minute), h.ref) for h in counted if h.ref)
            self._add(conn, hit_counts, ("site", "path", "minute"), pages)
            self._add(conn, hit_referrers, ("site", "day", "ref"), refs)
        return FlushOutcome(len(hits), len(counted))

    def _claim(self, conn: sa.Connection, keys: list[str], seen: list[int]) -> list[str]:
        """Insert or refresh the dedup rows of ``keys``; return the keys to count: new ones
        and those whose window had run out. The whole batch goes in one statement with two
        array (PostgreSQL) or one JSON (SQLite) parameters: no per-row bind parameters for
        SQLAlchemy to process, which cost more than the database's own work."""
        if conn.dialect.name == "postgresql":
            sql, params = _CLAIM_PG, {"keys": keys, "seen": seen}
        else:
            rows = json.dumps(list(zip(keys, seen, strict=True)), separators=(",", ":"))
            sql, params = _CLAIM_SQLITE, {"rows": rows}
        result = conn.execute(sql, {**params, "window": self.dedup_seconds})
        return list(result.scalars())

    @staticmethod
    def _add(
        conn: sa.Connection, table: sa.Table, keys: tuple[str, ...], counts: Counter[Any]
    ) -> None:
        rows = [{**dict(zip(keys, k, strict=True)), "views": n} for k, n in sorted(counts.items())]
        for chunk in chunks(rows):
            ins = dialect_insert(conn, table).values(list(chunk))
            conn.execute(
                ins.on_conflict_do_update(
                    index_elements=[table.c[k] for k in keys],
                    set_={"views": table.c.views + ins.excluded.views},
                )
            )

    def prune(self, now: float) -> int:
        """Forget dedup rows older than the window and salts older than yesterday."""
        with self.engine.begin() as conn:
            gone = conn.execute(
                hit_recent.delete().where(hit_recent.c.seen < int(now) - self.dedup_seconds)
            ).rowcount
            today = day_of(int(now // 60))
            conn.execute(hit_salts.delete().where(hit_salts.c.day < today - 1))
        return int(gone or 0)

    def compact(self, before: int) -> int:
        """Fold the per-minute counts before minute ``before`` into one row per hour (at the
        hour's first minute), so old days cost at most 24 rows per page; returns the rows
        removed. Totals, hour and day series are unchanged; minute series of those days are
        gone. Runs one at a time (PostgreSQL advisory lock; SQLite serializes writers)."""
        before -= before % 60
        old = sa.and_(hit_counts.c.minute < before, hit_counts.c.minute % 60 != 0)
        hour = (hit_counts.c.minute // 60) * 60
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _COMPACT_LOCK})
            sums = (
                sa.select(
                    hit_counts.c.site, hit_counts.c.path, hour, sa.func.sum(hit_counts.c.views)
                )
                .where(old)
                .group_by(hit_counts.c.site, hit_counts.c.path, hour)
            )
            ins = dialect_insert(conn, hit_counts).from_select(
                ["site", "path", "minute", "views"], sums
            )
            conn.execute(
                ins.on_conflict_do_update(
                    index_elements=[hit_counts.c.site, hit_counts.c.path, hit_counts.c.minute],
                    set_={"views": hit_counts.c.views + ins.excluded.views},
                )
            )
            return int(conn.execute(hit_counts.delete().where(old)).rowcount or 0)

    def cached_salt(self, day: int) -> str | None:
        """The salt of a Beijing day if this process has it already (no store access)."""
        return self._salts.get(day)

    def salt(self, day: int) -> str:
        """The salt of a Beijing day, created by whichever worker asks first; cached, with
        the day before it (older ones are deleted from the store by :meth:`prune`)."""
        salt = self._salts.get(day)
        if salt is not None:
            return salt
        with self.engine.begin() as conn:
            ins = dialect_insert(conn, hit_salts).values(day=day, salt=secrets.token_hex(32))
            conn.execute(ins.on_conflict_do_nothing(index_elements=[hit_salts.c.day]))
            salt = str(
                conn.execute(sa.select(hit_salts.c.salt).where(hit_salts.c.day == day)).scalar_one()
            )
        self._salts = {d: s for d, s in self._salts.items() if d >= day - 1} | {day: salt}
        return salt

    # -- reading ----------------------------------------------------------------------

    @staticmethod
    def _sites(column: sa.ColumnElement[Any], sites: Collection[str] | None) -> list[Any]:
        return [] if sites is None else [column.in_(sorted(sites))]

    def total(self, sites: Collection[str] | None, start: int, end: int) -> int:
        """Page views of ``sites`` (None: every site) in minutes ``[start, end)``."""
        q = sa.select(sa.func.coalesce(sa.func.sum(hit_counts.c.views), 0)).where(
            hit_counts.c.minute >= start,
            hit_counts.c.minute < end,
            *self._sites(hit_counts.c.site, sites),
        )
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def series(
        self, sites: Collection[str] | None, start: int, end: int, width: int
    ) -> dict[int, int]:
        """Views per bucket of ``width`` minutes (aligned to Beijing midnight for days):
        bucket start minute → views; empty buckets are absent."""
        offset = 8 * 60 if width >= 24 * 60 else 0
        bucket = ((hit_counts.c.minute + offset) // width) * width - offset
        q = (
            sa.select(bucket.label("b"), sa.func.sum(hit_counts.c.views))
            .where(
                hit_counts.c.minute >= start,
                hit_counts.c.minute < end,
                *self._sites(hit_counts.c.site, sites),
            )
            .group_by(bucket)
        )
        with self.engine.connect() as conn:
            return {int(b): int(n) for b, n in conn.execute(q)}

    def per_site(self, sites: Collection[str] | None, start: int, end: int) -> dict[str, int]:
        """Views of each site (its own pages only) in ``[start, end)``."""
        q = (
            sa.select(hit_counts.c.site, sa.func.sum(hit_counts.c.views))
            .where(
                hit_counts.c.minute >= start,
                hit_counts.c.minute < end,
                *self._sites(hit_counts.c.site, sites),
            )
            .group_by(hit_counts.c.site)
        )
        with self.engine.connect() as conn:
            return {site: int(n) for site, n in conn.execute(q)}

    def top_pages(
        self, sites: Collection[str] | None, start: int, end: int, limit: int
    ) -> list[tuple[str, str, int]]:
        """The most viewed (site, path, views), most first."""
        views = sa.func.sum(hit_counts.c.views).label("views")
        q = (
            sa.select(hit_counts.c.site, hit_counts.c.path, views)
            .where(
                hit_counts.c.minute >= start,
                hit_counts.c.minute < end,
                *self._sites(hit_counts.c.site, sites),
            )
            .group_by(hit_counts.c.site, hit_counts.c.path)
            .order_by(views.desc(), hit_counts.c.site, hit_counts.c.path)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(s, p, int(n)) for s, p, n in conn.execute(q)]

    def top_referrers(
        self, sites: Collection[str] | None, first_day: int, last_day: int, limit: int
    ) -> list[tuple[str, int]]:
        """The referrers that brought the most views on days ``[first_day, last_day]``."""
        views = sa.func.sum(hit_referrers.c.views).label("views")
        q = (
            sa.select(hit_referrers.c.ref, views)
            .where(
                hit_referrers.c.day >= first_day,
                hit_referrers.c.day <= last_day,
                *self._sites(hit_referrers.c.site, sites),
            )
            .group_by(hit_referrers.c.ref)
            .order_by(views.desc(), hit_referrers.c.ref)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(r, int(n)) for r, n in conn.execute(q)]
