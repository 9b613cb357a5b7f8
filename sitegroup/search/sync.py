"""Keep the search index in step with the store.

The store is the truth; the index follows it by push id. A record row carries the id of
the push that last changed it, so "what changed since the index's marker" is one indexed
range read. ``sync`` applies it (active records are upserted, withdrawn and expired ones
removed) and moves the marker last, in the same backend write, so a crash or a retry
re-applies a change (idempotent) but never skips one. ``lag`` is what ``sitegroup verify``
and ``/api/health`` report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sitegroup.search.backend import IndexUnavailable, SearchBackend
from sitegroup.search.documents import IndexDoc, index_doc
from sitegroup.store import ACTIVE, Store

__all__ = ["IndexLag", "SyncResult", "index_lag", "rebuild_index", "sync_index"]

_BATCH = 5000


@dataclass(frozen=True, slots=True)
class SyncResult:
    upserted: int
    removed: int
    synced_push: int
    rebuilt: bool = False

    def summary(self) -> str:
        if self.rebuilt:
            return f"检索索引已重建：{self.upserted} 条记录（同步至推送 #{self.synced_push}）"
        if not self.upserted and not self.removed:
            return f"检索索引已是最新（同步至推送 #{self.synced_push}）"
        return (
            f"检索索引已同步：更新 {self.upserted} 条，移除 {self.removed} 条"
            f"（同步至推送 #{self.synced_push}）"
        )


def sync_index(
    store: Store, index: SearchBackend, *, progress: Callable[[int], None] | None = None
) -> SyncResult:
    """Apply every record change the index has not seen; a never-synced index is rebuilt."""
    marker = index.status().synced_push
    # Read the target first: a push committing meanwhile is re-read next time, not lost.
    target = store.last_record_push()
    if marker is None:
        return rebuild_index(store, index, progress=progress)
    if marker >= target:
        return SyncResult(0, 0, marker)
    upserts: list[IndexDoc] = []
    deletes: list[str] = []
    upserted = removed = 0
    for stored in store.records_since(marker):
        if stored.status == ACTIVE:
            upserts.append(index_doc(stored.record))
        else:
            deletes.append(stored.record.key)
        if len(upserts) + len(deletes) >= _BATCH:
            # Intermediate batches keep the old marker: only a complete sync moves it.
            index.apply(upserts, deletes, marker)
            upserted, removed = upserted + len(upserts), removed + len(deletes)
            if progress is not None:
                progress(upserted + removed)
            upserts, deletes = [], []
    index.apply(upserts, deletes, target)
    upserted, removed = upserted + len(upserts), removed + len(deletes)
    if progress is not None:
        progress(upserted + removed)
    return SyncResult(upserted, removed, target)


def sync_after_push(store: Store, index: SearchBackend) -> tuple[SyncResult | None, str | None]:
    """Sync after a store commit: (result, None), or (None, why) when the index is down.

    The store is the truth: the push stands, and ``sitegroup index sync`` catches up later.
    """
    try:
        return sync_index(store, index), None
    except IndexUnavailable as exc:
        return None, f"数据已入库，但检索索引未能同步：{exc}；恢复后运行 sitegroup index sync"


def rebuild_index(
    store: Store, index: SearchBackend, *, progress: Callable[[int], None] | None = None
) -> SyncResult:
    """Replace the index with every active record of the store."""
    target = store.last_record_push()
    count = 0

    def docs() -> Iterator[IndexDoc]:
        nonlocal count
        for stored in store.records_since(None):
            if stored.status == ACTIVE:
                count += 1
                yield index_doc(stored.record)

    index.rebuild(docs(), target, progress)
    return SyncResult(count, 0, target, rebuilt=True)


@dataclass(frozen=True, slots=True)
class IndexLag:
    store_push: int
    index_push: int | None
    store_active: int
    index_documents: int

    @property
    def ok(self) -> bool:
        return self.index_push == self.store_push and self.store_active == self.index_documents

    def message(self) -> str:
        if self.ok:
            return (
                f"检索索引与数据库一致：{self.index_documents} 条记录，"
                f"同步至推送 #{self.store_push}"
            )
        if self.index_push is None:
            return "检索索引尚未建立：运行 sitegroup index rebuild"
        if self.index_push < self.store_push:
            return (
                f"检索索引落后于数据库：索引同步至推送 #{self.index_push}，数据库已到推送 "
                f"#{self.store_push}；运行 sitegroup index sync"
            )
        return (
            f"检索索引与数据库不一致：索引 {self.index_documents} 条、数据库有效记录 "
            f"{self.store_active} 条（索引同步至推送 #{self.index_push}，数据库 "
            f"#{self.store_push}）；运行 sitegroup index rebuild"
        )


def index_lag(store: Store, index: SearchBackend) -> IndexLag:
    """How the index compares with the store (raises ``IndexUnavailable`` if unreachable)."""
    status = index.status()
    return IndexLag(
        store.last_record_push(), status.synced_push, store.count_active(), status.documents
    )
