"""The store: headlines, disclosure records, their history, data revisions and the push ledger.

One code path (SQLAlchemy Core) for a SQLite file (the embedded default, created and
upgraded on first use) and PostgreSQL (production, upgraded by ``sitegroup db upgrade``).
Every push is one transaction: a crash leaves the old state or the new one, never half.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sitegroup.config import sqlite_path
from sitegroup.errors import StoreError
from sitegroup.models.headlines import Headline
from sitegroup.models.records import Record
from sitegroup.partition import HEADLINES_SCOPE, region_filter, revision_keys
from sitegroup.store import migrate
from sitegroup.store.tables import (
    headline_versions,
    headlines,
    pushes,
    record_versions,
    records,
    revisions,
)

ACTIVE, WITHDRAWN, EXPIRED = "active", "withdrawn", "expired"
_CHUNK = 500
#: Inserting this many records refreshes the planner statistics (PostgreSQL).
_ANALYZE_AFTER = 1000
#: PostgreSQL advisory lock key that serializes pushes ("sgpush" in ASCII).
_PUSH_LOCK = 0x736770757368

#: What a push changed, by scope (``headlines`` or a record kind) → region codes of the
#: changed items (their own regions; the path up to the nation follows from them).
Touched = dict[str, set[str]]
#: Maps touched regions to the affected sites and their page scopes (for the ledger).
AffectedFn = Callable[[Touched], dict[str, list[str]]]


@dataclass
class PushOutcome:
    """The counts of one push and what it touched."""

    push_id: int
    kind: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    expired: int = 0
    missing: int = 0
    touched: Touched = field(default_factory=dict)
    affected: dict[str, list[str]] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.withdrawn + self.expired

    def counts(self) -> dict[str, int]:
        return {
            k: getattr(self, k)
            for k in ("added", "updated", "unchanged", "withdrawn", "expired", "missing")
        }


@dataclass(frozen=True)
class StoredRecord:
    """A record as stored: the record itself plus its version and status."""

    record: Record
    version: int
    status: str


def _now() -> datetime:
    return datetime.now(UTC)


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    """``items`` in slices of ``size`` (statements with bounded parameter counts)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """An INSERT with ``on_conflict_do_update``/``do_nothing`` for the connection's dialect."""
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


class Store:
    """Typed access to the store; create with :func:`open_store`."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the ledger -------------------------------------------------------------------

    def _begin_push(self, conn: sa.Connection, kind: str, source: str, sha: str) -> int:
        if conn.dialect.name == "postgresql":
            # Pushes run one at a time, so push ids are in commit order and a reader that
            # has seen push N has seen every push before it (the search index syncs by it).
            # SQLite serializes writers already.
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PUSH_LOCK})
        now = _now()
        result = conn.execute(
            pushes.insert().values(
                kind=kind,
                source=source[:500],
                source_sha256=sha,
                started_at=now,
                finished_at=now,
                counts={},
                affected={},
            )
        )
        return int(result.inserted_primary_key[0])

    def _finish_push(
        self, conn: sa.Connection, outcome: PushOutcome, affected_for: AffectedFn | None
    ) -> None:
        if affected_for is not None:
            outcome.affected = affected_for(outcome.touched)
        self._bump_revisions(conn, outcome.touched, outcome.push_id)
        conn.execute(
            pushes.update()
            .where(pushes.c.id == outcome.push_id)
            .values(finished_at=_now(), counts=outcome.counts(), affected=outcome.affected)
        )

    def _bump_revisions(self, conn: sa.Connection, touched: Touched, push_id: int) -> None:
        keys = revision_keys(touched)
        if not keys:
            return
        insert = dialect_insert(conn, revisions)
        stmt = insert.on_conflict_do_update(
            index_elements=[revisions.c.scope, revisions.c.region_code],
            set_={"revision": insert.excluded.revision},
        )
        rows = [{"scope": s, "region_code": r, "revision": push_id} for s, r in sorted(keys)]
        for chunk in chunks(rows):
            conn.execute(stmt, list(chunk))

    def push_log(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest push runs, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(pushes.select().order_by(pushes.c.id.desc()).limit(limit))
            return [dict(r._mapping) for r in rows]

    def revisions(self) -> dict[tuple[str, str], int]:
        """Every data revision: (scope, region code) → push id."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(revisions))
            return {(r.scope, r.region_code): r.revision for r in rows}

    # -- headlines --------------------------------------------------------------------

    def apply_headlines(
        self,
        items: Sequence[Headline],
        *,
        source: str,
        source_sha256: str,
        affected_for: AffectedFn | None = None,
    ) -> PushOutcome:
        """Insert new, replace edited and flag retracted headlines, in one transaction."""
        with self.engine.begin() as conn:
            push_id = self._begin_push(conn, "headlines", source, source_sha256)
            outcome = PushOutcome(push_id, "headlines")
            ids = [h.id for h in items]
            existing: dict[str, Any] = {
                r.id: r
                for chunk in chunks(ids)
                for r in conn.execute(
                    sa.select(headlines.c.id, headlines.c.version, headlines.c.content_hash).where(
                        headlines.c.id.in_(chunk)
                    )
                )
            }
            now = _now()
            for item in items:
                digest = item.content_hash()
                old = existing.get(item.id)
                if old is not None and old.content_hash == digest:
                    outcome.unchanged += 1
                    continue
                if old is None and item.retracted:
                    outcome.missing += 1
                    continue
                version = 1 if old is None else old.version + 1
                row = {
                    "version": version,
                    "content_hash": digest,
                    "retracted": item.retracted,
                    "date": item.date,
                    "data": item.to_json(),
                    "push_id": push_id,
                    "updated_at": now,
                }
                if old is None:
                    conn.execute(headlines.insert().values(id=item.id, **row))
                    outcome.added += 1
                else:
                    conn.execute(headlines.update().where(headlines.c.id == item.id).values(**row))
                    if item.retracted:
                        outcome.withdrawn += 1
                    else:
                        outcome.updated += 1
                conn.execute(
                    headline_versions.insert().values(
                        headline_id=item.id,
                        version=version,
                        content_hash=digest,
                        retracted=item.retracted,
                        data=row["data"],
                        push_id=push_id,
                        recorded_at=now,
                    )
                )
                existing[item.id] = _Seen(version, digest)
                outcome.touched.setdefault(HEADLINES_SCOPE, set()).add("")
            self._finish_push(conn, outcome, affected_for)
        return outcome

    def current_headlines(self, limit: int | None = None) -> list[Headline]:
        """Headlines not retracted, newest first (ties by id): what every site shows."""
        query = (
            sa.select(headlines.c.data)
            .where(headlines.c.retracted.is_(False))
            .order_by(headlines.c.date.desc(), headlines.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [Headline.from_json(r.data) for r in conn.execute(query)]

    def headline_versions(self, headline_id: str) -> list[dict[str, Any]]:
        """Every stored version of a headline, oldest first."""
        return self._versions(headline_versions, headline_versions.c.headline_id, headline_id)

    def _versions(self, table: sa.Table, key: sa.Column[Any], value: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(table).where(key == value).order_by(table.c.version))
            return [dict(r._mapping) for r in rows]

    # -- records ----------------------------------------------------------------------

    def apply_records(
        self,
        items: Sequence[Record],
        *,
        source: str,
        source_sha256: str,
        today: date,
        affected_for: AffectedFn | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> PushOutcome:
        """Upsert or withdraw a batch of records in one transaction; identical rows are no-ops.

        A changed row makes a new version (the old one stays in ``record_versions``); a
        record whose disclosure period has already ended is stored as expired.
        """
        with self.engine.begin() as conn:
            push_id = self._begin_push(conn, "records", source, source_sha256)
            outcome = PushOutcome(push_id, "records")
            latest: dict[str, Record] = {}
            for item in items:  # within one batch the last row for a key wins
                latest[item.key] = item
            existing = self._existing(conn, list(latest))
            now = _now()
            inserts: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            history: list[dict[str, Any]] = []
            for key, item in latest.items():
                old = existing.get(key)
                if item.withdraw:
                    if old is None or old.status == WITHDRAWN:
                        outcome.missing += old is None
                        outcome.unchanged += old is not None
                        continue
                    # The stored version, marked withdrawn: same content, new version.
                    current = Record.from_json(self._record_data(conn, key))
                    row = self._record_row(current, WITHDRAWN, old.content_hash, push_id, now)
                    outcome.withdrawn += 1
                else:
                    digest = item.content_hash()
                    if old is not None and old.content_hash == digest:
                        outcome.unchanged += 1
                        continue
                    expired = item.expires_on is not None and item.expires_on < today
                    row = self._record_row(
                        item, EXPIRED if expired else ACTIVE, digest, push_id, now
                    )
                    if old is None:
                        outcome.added += 1
                    else:
                        outcome.updated += 1
                        if (old.region_code, old.kind) != (item.region_code, item.kind):
                            outcome.touched.setdefault(old.kind, set()).add(old.region_code)
                row["version"] = 1 if old is None else old.version + 1
                (inserts if old is None else updates).append(row)
                history.append(_history_row(row, now))
                outcome.touched.setdefault(row["kind"], set()).add(row["region_code"])
            for chunk in chunks(inserts):
                conn.execute(records.insert(), list(chunk))
            if updates:
                stmt = (
                    records.update()
                    .where(records.c.key == sa.bindparam("b_key"))
                    .values({c: sa.bindparam(c) for c in updates[0] if c != "key"})
                )
                for chunk in chunks(updates):
                    conn.execute(stmt, [{**r, "b_key": r["key"]} for r in chunk])
            done = 0
            for chunk in chunks(history):
                conn.execute(record_versions.insert(), list(chunk))
                done += len(chunk)
                if progress is not None:
                    progress(done, len(history))
            self._finish_push(conn, outcome, affected_for)
        if len(inserts) >= _ANALYZE_AFTER:
            self._analyze()
        return outcome

    def _analyze(self) -> None:
        """Refresh PostgreSQL's statistics after a bulk load.

        Until autovacuum gets to it, the planner believes a freshly filled table is still
        empty and picks sequential scans: measured, a no-op re-push of 30,000 records took
        33 s instead of a few seconds.
        """
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.connect() as conn:
            conn.execute(sa.text("ANALYZE records, record_versions"))
            conn.commit()

    @staticmethod
    def _record_row(
        record: Record, status: str, digest: str, push_id: int, now: datetime
    ) -> dict[str, Any]:
        return {
            "key": record.key,
            "kind": record.kind,
            "status": status,
            "region_code": record.region_code,
            "province": record.region_code[:2],
            "city": record.region_code[:4],
            "subject_name": record.subject_name[:200],
            "subject_code": record.subject_code[:40],
            "document_no": record.document_no[:200],
            "decided_on": record.decided_on,
            "expires_on": record.expires_on,
            "content_hash": digest,
            "data": record.to_json(),
            "push_id": push_id,
            "updated_at": now,
        }

    def _existing(self, conn: sa.Connection, keys: list[str]) -> dict[str, Any]:
        cols = (
            records.c.key,
            records.c.kind,
            records.c.version,
            records.c.status,
            records.c.region_code,
            records.c.content_hash,
        )
        found: dict[str, Any] = {}
        for chunk in chunks(keys):
            for row in conn.execute(sa.select(*cols).where(records.c.key.in_(chunk))):
                found[row.key] = row
        return found

    @staticmethod
    def _record_data(conn: sa.Connection, key: str) -> dict[str, Any]:
        return conn.execute(sa.select(records.c.data).where(records.c.key == key)).scalar_one()

    def expire(
        self, *, today: date, source: str = "expire", affected_for: AffectedFn | None = None
    ) -> PushOutcome:
        """Take every active record whose disclosure period ended before ``today`` off."""
        with self.engine.begin() as conn:
            push_id = self._begin_push(conn, "expire", source, today.isoformat())
            outcome = PushOutcome(push_id, "expire")
            due = conn.execute(
                sa.select(
                    records.c.key,
                    records.c.kind,
                    records.c.version,
                    records.c.region_code,
                    records.c.content_hash,
                    records.c.data,
                ).where(
                    records.c.status == ACTIVE,
                    records.c.expires_on.is_not(None),
                    records.c.expires_on < today,
                )
            ).all()
            now = _now()
            for chunk in chunks(due):
                conn.execute(
                    records.update()
                    .where(records.c.key == sa.bindparam("b_key"))
                    .values(
                        status=EXPIRED,
                        version=sa.bindparam("version"),
                        push_id=push_id,
                        updated_at=now,
                    ),
                    [{"b_key": r.key, "version": r.version + 1} for r in chunk],
                )
                conn.execute(
                    record_versions.insert(),
                    [
                        _history_row(
                            {
                                **r._mapping,
                                "version": r.version + 1,
                                "status": EXPIRED,
                                "push_id": push_id,
                            },
                            now,
                        )
                        for r in chunk
                    ],
                )
            for r in due:
                outcome.touched.setdefault(r.kind, set()).add(r.region_code)
            outcome.expired = len(due)
            self._finish_push(conn, outcome, affected_for)
        return outcome

    def _site_where(self, kind: str, site_region: str) -> list[Any]:
        where = [records.c.kind == kind, records.c.status == ACTIVE]
        flt = region_filter(site_region)
        if flt is not None:
            where.append(records.c[flt[0]] == flt[1])
        return where

    def latest_records(
        self, kind: str, site_region: str, *, limit: int, offset: int = 0
    ) -> list[StoredRecord]:
        """Active records of ``kind`` shown by the site of ``site_region``, newest first."""
        query = (
            sa.select(records.c.data, records.c.version, records.c.status)
            .where(*self._site_where(kind, site_region))
            .order_by(records.c.decided_on.desc(), records.c.key)
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            return [
                StoredRecord(Record.from_json(r.data), r.version, r.status)
                for r in conn.execute(query)
            ]

    def count_records(self, kind: str, site_region: str) -> int:
        query = sa.select(sa.func.count()).where(*self._site_where(kind, site_region))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def get_record(self, key: str) -> StoredRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(records.c.data, records.c.version, records.c.status).where(
                    records.c.key == key
                )
            ).first()
        return None if row is None else StoredRecord(Record.from_json(row.data), *row[1:])

    def record_history(self, key: str) -> list[dict[str, Any]]:
        """Every stored version of a record, oldest first."""
        return self._versions(record_versions, record_versions.c.key, key)

    def last_record_push(self) -> int:
        """The id of the last push that changed a record (0: none yet)."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(records.c.push_id))).scalar() or 0)

    def count_active(self) -> int:
        with self.engine.connect() as conn:
            query = sa.select(sa.func.count()).where(records.c.status == ACTIVE)
            return int(conn.execute(query).scalar_one())

    def records_since(self, push_id: int | None, *, batch: int = 5000) -> Iterator[StoredRecord]:
        """The current version of every record changed after ``push_id`` (None: all), any
        status, in push order; streamed in batches from one snapshot."""
        query = sa.select(records.c.data, records.c.version, records.c.status).order_by(
            records.c.push_id, records.c.key
        )
        if push_id is not None:
            query = query.where(records.c.push_id > push_id)
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
            for row in result:
                yield StoredRecord(Record.from_json(row.data), row.version, row.status)

    def record_states(self) -> dict[str, tuple[int, str, str]]:
        """key → (version, status, content hash) of every record: for checks and tests."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    records.c.key, records.c.version, records.c.status, records.c.content_hash
                )
            )
            return {r.key: (r.version, r.status, r.content_hash) for r in rows}


@dataclass(frozen=True)
class _Seen:
    version: int
    content_hash: str


def _history_row(row: Mapping[str, Any], recorded_at: datetime) -> dict[str, Any]:
    """The ``record_versions`` row of a record row just written."""
    keys = ("key", "version", "status", "content_hash", "data", "push_id")
    return {**{k: row[k] for k in keys}, "recorded_at": recorded_at}


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url`` with our dialect settings (psycopg 3 for PostgreSQL)."""
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = sa.create_engine(
        url,
        future=True,
        pool_pre_ping=True,
        # Chinese as UTF-8, not \uXXXX escapes: a third less space per record on SQLite.
        json_serializer=lambda obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":")),
    )
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def open_store(url: str, *, upgrade: bool | None = None) -> Store:
    """Open the store at ``url``; make sure its schema is current.

    ``upgrade=None`` (the default) upgrades a SQLite file automatically and refuses an
    outdated PostgreSQL schema with a message that names ``sitegroup db upgrade``.
    """
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    try:
        current = migrate.current_revision(engine)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise StoreError(f"无法连接数据库 {_safe(url)}：{exc.orig}") from exc
    head = migrate.head_revision()
    if current != head:
        auto = engine.dialect.name == "sqlite" if upgrade is None else upgrade
        if not auto:
            engine.dispose()
            state = "尚未初始化" if current is None else f"版本为 {current}"
            raise StoreError(
                f"数据库 {_safe(url)} {state}，程序需要版本 {head}：请先运行 sitegroup db upgrade"
            )
        migrate.upgrade(engine)
    return Store(engine)


def _safe(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


# Worker processes (forked by the build) open their own engine once per process.
_PER_PROCESS: dict[tuple[int, str], Store] = {}


def store_for_process(url: str) -> Store:
    """A store for this process; never shares a connection pool across ``fork``."""
    key = (os.getpid(), url)
    store = _PER_PROCESS.get(key)
    if store is None:
        store = Store(create_engine(url))
        _PER_PROCESS[key] = store
    return store
