"""The embedded search backend: SQLite FTS5 in a file beside the store; no server.

Layout: ``docs`` holds one row per active record with ``rank`` (see
:class:`~sitegroup.search.documents.IndexDoc`) as its row id; ``grams`` is a contentless
FTS5 table over the name bigrams plus region tokens, sharing that row id. A name query
is then one FTS5 MATCH read in row-id order — already the result order — so the first
page needs no sort, and kind and date filters are tests on the row id's bits rather than
row lookups (measured: 66,000 matches of 有限公司 counted and paged in ~35 ms instead of
~190 ms with a join and sort).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sitegroup.models.records import RECORD_KINDS
from sitegroup.regions import level_of
from sitegroup.search.backend import (
    Filters,
    IndexStatus,
    IndexUnavailable,
    Page,
    Query,
    Selection,
)
from sitegroup.search.documents import KIND_INDEX, IndexDoc

__all__ = ["SqliteIndex"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    rank INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    doc_key TEXT NOT NULL,
    province TEXT NOT NULL,
    city TEXT NOT NULL,
    region_code TEXT NOT NULL,
    day INTEGER NOT NULL,
    newest INTEGER NOT NULL,
    tokens TEXT NOT NULL,
    data TEXT NOT NULL
);
-- Full indexes: SQLite cannot prove ``code IN (?)`` implies a partial index's ``code != ''``,
-- and a scan of 200,000 rows took ~250 ms per exact lookup (bench/search_bench.py).
DROP INDEX IF EXISTS docs_code;
DROP INDEX IF EXISTS docs_doc_key;
CREATE INDEX IF NOT EXISTS docs_code_all ON docs (code);
CREATE INDEX IF NOT EXISTS docs_doc_key_all ON docs (doc_key);
-- ``kind`` at the end covers the per-kind counts of a browse (no table reads).
DROP INDEX IF EXISTS docs_newest;
DROP INDEX IF EXISTS docs_province;
DROP INDEX IF EXISTS docs_city;
DROP INDEX IF EXISTS docs_region;
CREATE INDEX IF NOT EXISTS docs_newest_kind ON docs (newest, kind);
CREATE INDEX IF NOT EXISTS docs_province_kind ON docs (province, newest, kind);
CREATE INDEX IF NOT EXISTS docs_city_kind ON docs (city, newest, kind);
CREATE INDEX IF NOT EXISTS docs_region_kind ON docs (region_code, newest, kind);
CREATE VIRTUAL TABLE IF NOT EXISTS grams USING fts5 (t, content='', detail=full, columnsize=0);
"""
_KIND_MASK = 3
_DAY_SHIFT = 40
_DAY_MASK = 0xFFFF
_BATCH = 2000


def _region_token(code: str) -> str:
    level = level_of(code)
    if level == "province":
        return "0p" + code[:2]
    if level == "city":
        return "0c" + code[:4]
    return "0r" + code


def _region_column(code: str) -> tuple[str, str]:
    level = level_of(code)
    if level == "province":
        return "province", code[:2]
    if level == "city":
        return "city", code[:4]
    return "region_code", code


def _day_range(day: str, flt: Filters, where: list[str], args: list[Any]) -> None:
    """Append the decision-day bounds of ``flt`` as conditions on the SQL expression ``day``."""
    for bound, op in ((flt.day_from, ">="), (flt.day_to, "<=")):
        if bound is not None:
            where.append(f"{day} {op} ?")
            args.append(bound)


def _fts_text(doc: IndexDoc) -> str:
    region = doc.regions[0] if doc.regions else ""
    scope = [f"0p{region[:2]}", f"0c{region[:4]}", f"0r{region}"] if region else []
    return " ".join([*doc.tokens, *scope])


class SqliteIndex:
    """A search index in one SQLite file (WAL: searches never wait for a sync)."""

    name = "embedded"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._conns: list[sqlite3.Connection] = []

    # -- connections ----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread off only so close() may run on another thread; each connection
            # is otherwise used by the thread that opened it.
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise IndexUnavailable(
                f"检索索引文件 {self.path} 无法打开（{exc}）；"
                "请检查路径与权限，或运行 sitegroup index rebuild 重建"
            ) from exc
        self._local.conn = conn
        with self._lock:
            self._conns.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        self._local = threading.local()

    def _read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        conn = self._connect()
        try:
            conn.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise IndexUnavailable(
                f"检索索引文件 {self.path} 读取失败（{exc}）；运行 sitegroup index rebuild 重建"
            ) from exc

    # -- queries --------------------------------------------------------------------

    def run(self, queries: Sequence[Query]) -> list[Page]:
        # One read transaction: every query of a batch sees the same snapshot.
        return self._read(lambda conn: [self._run(conn, q) for q in queries])

    def _run(self, conn: sqlite3.Connection, query: Query) -> Page:
        if query.selection.phrases:
            return self._phrases(conn, query)
        return self._table(conn, query)

    def _phrases(self, conn: sqlite3.Connection, query: Query) -> Page:
        sel, flt = query.selection, query.filters
        match = " AND ".join(
            [
                *('"' + " ".join(tokens) + '"' for tokens in sel.phrases),
                *(f'"{_region_token(code)}"' for code in flt.regions),
            ]
        )
        where = ["grams MATCH ?"]
        args: list[Any] = [match]
        # The day is in the rank's bits: no row lookup.
        _day_range(f"({_DAY_MASK} - ((rowid >> {_DAY_SHIFT}) & {_DAY_MASK}))", flt, where, args)
        excluded = self._excluded(conn, sel)
        if excluded:
            where.append(f"rowid NOT IN ({','.join('?' * len(excluded))})")
            args.extend(excluded)
        cond = " AND ".join(where)
        counts = conn.execute(
            f"SELECT rowid & {_KIND_MASK}, count(*) FROM grams WHERE {cond} GROUP BY 1", args
        ).fetchall()
        facets = flt.kind_counts({RECORD_KINDS[k]: n for k, n in counts})
        hits: list[dict[str, Any]] = []
        if query.limit and sum(facets.values()) > query.offset:
            kind_cond = ""
            if flt.kinds:
                bits = ",".join(str(KIND_INDEX[k]) for k in flt.kinds)
                kind_cond = f" AND (rowid & {_KIND_MASK}) IN ({bits})"
            order = "d.rank" if query.order == "rank" else "d.newest"
            if query.order == "rank":
                inner = (
                    f"SELECT rowid FROM grams WHERE {cond}{kind_cond} "
                    "ORDER BY rowid LIMIT ? OFFSET ?"
                )
                sql = (
                    f"SELECT d.data FROM ({inner}) m JOIN docs d ON d.rank = m.rowid "
                    f"ORDER BY {order}"
                )
            else:
                sql = (
                    f"SELECT d.data FROM docs d WHERE d.rank IN "
                    f"(SELECT rowid FROM grams WHERE {cond}{kind_cond}) "
                    f"ORDER BY {order} LIMIT ? OFFSET ?"
                )
            rows = conn.execute(sql, [*args, query.limit, query.offset]).fetchall()
            hits = [json.loads(r[0]) for r in rows]
        return Page(hits=hits, facets=facets)

    @staticmethod
    def _excluded(conn: sqlite3.Connection, sel: Selection) -> list[int]:
        ranks: list[int] = []
        for column, values in (("code", sel.exclude_codes), ("doc_key", sel.exclude_doc_keys)):
            values = tuple(v for v in values if v)
            if values:
                marks = ",".join("?" * len(values))
                ranks += [
                    r[0]
                    for r in conn.execute(
                        f"SELECT rank FROM docs WHERE {column} IN ({marks})", values
                    )
                ]
        return ranks

    def _table(self, conn: sqlite3.Connection, query: Query) -> Page:
        sel, flt = query.selection, query.filters
        where: list[str] = []
        args: list[Any] = []
        exact = []
        for column, values in (("code", sel.codes), ("doc_key", sel.doc_keys)):
            values = tuple(v for v in values if v)
            if values:
                exact.append(f"{column} IN ({','.join('?' * len(values))})")
                args.extend(values)
        if sel.codes or sel.doc_keys:
            if not exact:
                return Page(hits=[], facets={})
            where.append("(" + " OR ".join(exact) + ")")
        # With exact codes, the code/document indexes find a handful of rows; ``+`` keeps
        # SQLite from walking a whole region's index instead (measured: 130 ms vs 0.4 ms).
        plus = "+" if exact else ""
        for code in flt.regions:
            column, value = _region_column(code)
            where.append(f"{plus}{column} = ?")
            args.append(value)
        _day_range(f"{plus}day", flt, where, args)
        cond = " AND ".join(where) or "1"
        facets = flt.kind_counts(
            dict(conn.execute(f"SELECT kind, count(*) FROM docs WHERE {cond} GROUP BY kind", args))
        )
        hits: list[dict[str, Any]] = []
        if query.limit and sum(facets.values()) > query.offset:
            kind_cond = ""
            kind_args: list[Any] = []
            if flt.kinds:
                kind_cond = f" AND kind IN ({','.join('?' * len(flt.kinds))})"
                kind_args = list(flt.kinds)
            order = "rank" if query.order == "rank" else "newest"
            rows = conn.execute(
                f"SELECT data FROM docs WHERE {cond}{kind_cond} ORDER BY {order} LIMIT ? OFFSET ?",
                [*args, *kind_args, query.limit, query.offset],
            ).fetchall()
            hits = [json.loads(r[0]) for r in rows]
        return Page(hits=hits, facets=facets)

    # -- writes ---------------------------------------------------------------------

    def apply(self, upserts: Sequence[IndexDoc], deletes: Sequence[str], synced_push: int) -> None:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._remove(conn, [*deletes, *(d.key for d in upserts)])
                self._insert(conn, upserts)
                self._set_marker(conn, synced_push)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise IndexUnavailable(f"检索索引文件 {self.path} 写入失败（{exc}）") from exc

    def rebuild(
        self,
        docs: Iterable[IndexDoc],
        synced_push: int,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        # In place, in one transaction: readers keep the old snapshot (WAL) until commit.
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("DELETE FROM docs")
                conn.execute("INSERT INTO grams(grams) VALUES ('delete-all')")
                batch: list[IndexDoc] = []
                done = 0
                for doc in docs:
                    batch.append(doc)
                    if len(batch) >= _BATCH:
                        self._insert(conn, batch)
                        done += len(batch)
                        batch.clear()
                        if progress is not None:
                            progress(done)
                self._insert(conn, batch)
                done += len(batch)
                if progress is not None:
                    progress(done)
                conn.execute("INSERT INTO grams(grams) VALUES ('optimize')")
                self._set_marker(conn, synced_push)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            raise IndexUnavailable(f"检索索引文件 {self.path} 重建失败（{exc}）") from exc

    @staticmethod
    def _remove(conn: sqlite3.Connection, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            old = conn.execute(
                f"SELECT rank, tokens FROM docs WHERE key IN ({marks})", chunk
            ).fetchall()
            if old:
                conn.executemany("INSERT INTO grams(grams, rowid, t) VALUES ('delete', ?, ?)", old)
                conn.execute(f"DELETE FROM docs WHERE key IN ({marks})", chunk)

    @staticmethod
    def _insert(conn: sqlite3.Connection, docs: Sequence[IndexDoc]) -> None:
        rows = []
        for doc in docs:
            region = doc.regions[0] if doc.regions else ""
            text = _fts_text(doc)
            data = json.dumps(doc.data, ensure_ascii=False, separators=(",", ":"))
            rest = (
                doc.key, doc.kind, doc.code, doc.doc_key, region[:2], region[:4],
                region, doc.day, doc.newest, text, data,
            )  # fmt: skip
            rank = doc.rank
            while True:
                try:
                    conn.execute("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", (rank, *rest))
                    break
                except sqlite3.IntegrityError as exc:
                    # A rank clash needs equal name length, day and 38 hash bits: practically
                    # never; the next free slot keeps the order of everything else.
                    if "docs.rank" not in str(exc):
                        raise
                    rank += _KIND_MASK + 1
            rows.append((rank, text))
        conn.executemany("INSERT INTO grams(rowid, t) VALUES (?, ?)", rows)

    @staticmethod
    def _set_marker(conn: sqlite3.Connection, synced_push: int) -> None:
        conn.execute(
            "INSERT INTO meta VALUES ('synced_push', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(synced_push),),
        )

    # -- status ---------------------------------------------------------------------

    def status(self) -> IndexStatus:
        def read(conn: sqlite3.Connection) -> IndexStatus:
            count = conn.execute("SELECT count(*) FROM docs").fetchone()[0]
            row = conn.execute("SELECT value FROM meta WHERE key = 'synced_push'").fetchone()
            return IndexStatus(self.name, count, None if row is None else int(row[0]))

        return self._read(read)

    def __repr__(self) -> str:
        return f"<SqliteIndex {os.fspath(self.path)}>"
