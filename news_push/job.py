"""The central push: read → validate → version → store → affected sites, in one transaction.

    run_headlines(path, store=…, group=…)   头版 headlines for every site
    run_records(path, store=…, group=…)     双公示 / 红黑名单 records for the sites of their region
    run_expire(store=…, group=…, today=…)   take records whose disclosure period ended off

Given an ``index``, a record push or expiry then brings the search index up to date in
the same run (after the store commit: the store is the truth, and a failed index update
is reported and caught up by ``sitegroup index sync`` without losing anything).

Bad rows are refused with file, line, field and reason (and written to a rejects
file); good rows still apply. Re-running the same file changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from news_push.sources import read_headlines, read_rows
from sitegroup.labels import RECORD_KIND_LABELS
from sitegroup.models.records import RECORD_KINDS, Record, RecordKind
from sitegroup.models.validate import RowProblem, detect_kind, validate_row
from sitegroup.partition import affected_sites
from sitegroup.regions import RegionTable
from sitegroup.search.backend import SearchBackend
from sitegroup.search.sync import SyncResult, sync_after_push
from sitegroup.store import PushOutcome, Store
from sitegroup.tenants.registry import Group

#: Columns that name the kind of a row instead of a field of the record.
KIND_COLUMNS = ("kind", "数据类别", "公示类型")
_KIND_VALUES: dict[str, RecordKind] = {
    **{k: k for k in RECORD_KINDS},
    **{label: kind for kind, label in RECORD_KIND_LABELS.items()},  # type: ignore[misc]
}


@dataclass
class PushResult:
    """What a push did: store counts, refused rows and the sites it affects."""

    outcome: PushOutcome
    problems: list[RowProblem] = field(default_factory=list)
    rows: int = 0
    rejects_file: Path | None = None
    index_sync: SyncResult | None = None
    index_error: str | None = None
    """Why the search index could not be updated (the store holds the push regardless)."""

    def sync(self, store: Store, index: SearchBackend | None) -> None:
        if index is not None:
            self.index_sync, self.index_error = sync_after_push(store, index)

    def summary(self) -> str:
        o = self.outcome
        if o.kind == "expire":
            return f"到期检查 #{o.push_id}：到期下线 {o.expired} 条；影响 {len(o.affected)} 个站点"
        parts = [
            f"新增 {o.added}",
            f"更新 {o.updated}",
            f"未变化 {o.unchanged}",
            f"撤回 {o.withdrawn}",
        ]
        if o.expired:
            parts.append(f"到期下线 {o.expired}")
        if o.missing:
            parts.append(f"未找到 {o.missing}")
        if self.problems:
            parts.append(f"拒收 {len({(p.file, p.line) for p in self.problems})} 行")
        return f"推送 #{o.push_id}：" + "，".join(parts) + f"；影响 {len(o.affected)} 个站点"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        h.update(file.name.encode())
        h.update(file.read_bytes())
    return h.hexdigest()


def run_headlines(path: Path, *, store: Store, group: Group) -> PushResult:
    """Push a headline file (JSON Lines) or folder (Markdown with front matter)."""
    items, problems = read_headlines(path)
    outcome = store.apply_headlines(
        items,
        source=str(path),
        source_sha256=file_sha256(path),
        affected_for=affected_sites(group),
    )
    return PushResult(outcome, problems, rows=len(items) + len(problems))


def run_records(
    path: Path,
    *,
    store: Store,
    group: Group,
    today: date,
    kind: RecordKind | None = None,
    regions: RegionTable | None = None,
    rejects: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    index: SearchBackend | None = None,
) -> PushResult:
    """Push one CSV or JSON Lines file of records; bad rows go to the rejects file."""
    regions = regions or RegionTable.default()
    good: list[Record] = []
    problems: list[RowProblem] = []
    first_line: dict[str, int] = {}
    rows = 0
    for row in read_rows(path):
        rows += 1
        if row.error:
            problems.append(RowProblem(row.file, row.line, "-", row.error))
            continue
        row_kind, problem = _row_kind(row.values, kind)
        if problem:
            problems.append(RowProblem(row.file, row.line, "数据类别", problem))
            continue
        for col in KIND_COLUMNS:
            row.values.pop(col, None)
        record, found = validate_row(row, row_kind, regions=regions, today=today)  # type: ignore[arg-type]
        problems.extend(found)
        if record is None:
            continue
        if record.key in first_line:
            problems.append(
                RowProblem(row.file, row.line, "-", f"与第 {first_line[record.key]} 行是同一条记录")
            )
            continue
        first_line[record.key] = row.line
        good.append(record)
    outcome = store.apply_records(
        good,
        source=str(path),
        source_sha256=file_sha256(path),
        today=today,
        affected_for=affected_sites(group),
        progress=progress,
    )
    result = PushResult(outcome, problems, rows=rows)
    if problems:
        result.rejects_file = rejects or path.with_name(path.name + ".rejects.csv")
        write_rejects(result.rejects_file, problems)
    result.sync(store, index)
    return result


def _row_kind(values: dict[str, str], kind: RecordKind | None) -> tuple[str | None, str | None]:
    named = next((values[c].strip() for c in KIND_COLUMNS if values.get(c, "").strip()), "")
    if named:
        found = _KIND_VALUES.get(named)
        if found is None:
            allowed = "、".join(RECORD_KIND_LABELS.values())
            return None, f"未知的数据类别 {named!r}（可用：{allowed}）"
        if kind is not None and found != kind:
            return None, f"数据类别 {named} 与 --kind {kind} 不一致"
        return found, None
    if kind is not None:
        return kind, None
    detected = detect_kind(values)
    if detected is None:
        return None, "无法判断数据类别：请用 --kind 指定，或在文件中加 kind 列"
    return detected, None


def write_rejects(path: Path, problems: list[RowProblem]) -> None:
    """The refused rows: file, line, field, reason (UTF-8 with BOM so Excel opens it)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["文件", "行号", "字段", "原因"])
        for p in sorted(problems, key=lambda p: (p.file, p.line, p.field)):
            writer.writerow([p.file, p.line, p.field, p.reason])


def run_expire(
    *, store: Store, group: Group, today: date, index: SearchBackend | None = None
) -> PushResult:
    """Daily: records whose disclosure period ended leave every page (idempotent)."""
    result = PushResult(store.expire(today=today, affected_for=affected_sites(group)))
    result.sync(store, index)
    return result
