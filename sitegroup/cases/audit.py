"""The handlers' audit log: every read and change of a case, every full view of a record.

Append-only twice over. Triggers (migration 0005) refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL), so a handler's database role cannot rewrite history; and each entry carries
``hash = sha256(prev_hash + canonical JSON of its fields)``, so an edit made around the
triggers (by the database owner, or on a restored copy) breaks the chain at that entry and
``sitegroup audit verify`` names it.

The chain must be linear: two writers must never read the same last hash. PostgreSQL
serialises writers with a transaction-scoped advisory lock; SQLite has one writer at a time
anyway, so it is enough to hold the write lock *before* reading the last hash.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TextIO

import sqlalchemy as sa

from sitegroup.cases.handlers import Handler
from sitegroup.clock import CST, beijing_iso
from sitegroup.regions import RegionTable
from sitegroup.store.tables import audit_log

#: ``prev_hash`` of the first entry.
GENESIS = "0" * 64
#: PostgreSQL advisory lock key that serialises audit writers ("sgaudit" in ASCII).
_AUDIT_LOCK = 0x73676175646974
SYSTEM = "系统"

#: What each audited action is called in the export.
ACTION_LABELS = {
    "me": "查看本人账号",
    "list": "查看案件列表",
    "read": "查看案件详情",
    "download": "下载附件",
    "record": "查看信用记录全文",
    "start": "开始办理",
    "conclude": "办结",
    "answer": "反馈",
    "forward": "转办",
    "note": "备注",
    "denied": "拒绝访问(非本地区或不存在)",
    "refused": "操作被拒绝",
}
CSV_HEADER = ("序号", "时间", "办理人", "地区", "操作", "对象", "详情", "来源地址", "哈希")


def _utc(moment: datetime) -> datetime:
    """Stored moments are UTC; SQLite gives them back naive."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _fields(row: Any) -> dict[str, Any]:
    """The hashed fields of an entry, in their canonical form."""
    return {
        "at": _utc(row["at"]).isoformat(timespec="microseconds"),
        "handler_id": row["handler_id"],
        "actor": row["actor"],
        "region_code": row["region_code"],
        "action": row["action"],
        "target": row["target"],
        "detail": row["detail"],
        "client": row["client"],
    }


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def lock(conn: sa.Connection) -> None:
    """Serialise audit writers from here to the end of the caller's transaction (a
    handler request takes it first, so what it reads and what it logs agree)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK})
    # pysqlite opens a transaction only at the first INSERT/UPDATE/DELETE: before that, a
    # SELECT of the last hash could be overtaken by another writer. BEGIN IMMEDIATE takes
    # the write lock first; after an earlier write in this transaction it is held already.
    elif conn.dialect.name == "sqlite" and not _sqlite_in_transaction(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_in_transaction(conn: sa.Connection) -> bool:
    return bool(conn.connection.dbapi_connection.in_transaction)  # type: ignore[union-attr]


def append(
    conn: sa.Connection,
    *,
    handler: Handler | None,
    action: str,
    target: str,
    detail: str,
    client: str,
    at: datetime,
) -> str:
    """Append one entry inside the caller's transaction; returns its hash."""
    lock(conn)
    prev = conn.execute(
        sa.select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)
    ).scalar()
    row = {
        "at": _utc(at),
        "handler_id": handler.id if handler else None,
        "actor": (handler.name if handler else SYSTEM)[:64],
        "region_code": handler.region_code if handler else "",
        "action": action[:32],
        "target": target[:200],
        "detail": detail,
        "client": (client or "-")[:64],
    }
    prev_hash = prev or GENESIS
    digest = entry_hash(prev_hash, _fields(row))
    conn.execute(audit_log.insert().values(**row, prev_hash=prev_hash, hash=digest))
    return digest


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of :func:`verify`: how many entries were checked, and the first bad one."""

    entries: int
    bad_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.bad_id is None


def _rows(engine: sa.Engine, where: list[Any] | None = None) -> Iterator[Any]:
    query = sa.select(audit_log).where(*(where or [])).order_by(audit_log.c.id)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=2000).execute(query)
        for row in result:
            yield row._mapping


def verify(engine: sa.Engine) -> ChainCheck:
    """Recompute the chain from the first entry; stop at the first that does not fit."""
    expected = GENESIS
    count = 0
    for row in _rows(engine):
        count += 1
        if row["prev_hash"] != expected:
            return ChainCheck(
                count, row["id"], "前一条哈希不符：此前的条目被删除、插入或改动，链条在此断开"
            )
        if entry_hash(row["prev_hash"], _fields(row)) != row["hash"]:
            return ChainCheck(count, row["id"], "内容与哈希不符：此条目在写入后被改动")
        expected = row["hash"]
    return ChainCheck(count)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), CST).astimezone(UTC)


def export_csv(
    engine: sa.Engine,
    out: TextIO,
    *,
    since: date | None = None,
    until: date | None = None,
    regions: RegionTable | None = None,
) -> int:
    """Write the entries from ``since`` to ``until`` (Beijing days, both included) as CSV
    with a UTF-8 byte order mark (so Excel reads the Chinese); returns the row count.
    ``out`` is a text stream opened with ``newline=""``."""
    regions = regions or RegionTable.default()
    where = []
    if since is not None:
        where.append(audit_log.c.at >= _day_start(since))
    if until is not None:
        where.append(audit_log.c.at < _day_start(until + timedelta(days=1)))
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    count = 0
    for row in _rows(engine, where):
        region = regions.get(row["region_code"]) if row["region_code"] else None
        writer.writerow(
            [
                row["id"],
                beijing_iso(row["at"]),
                row["actor"],
                f"{region.name}({region.code})" if region else row["region_code"],
                ACTION_LABELS.get(row["action"], row["action"]),
                row["target"],
                row["detail"],
                row["client"],
                row["hash"],
            ]
        )
        count += 1
    return count
