"""The index follows the store: adds, edits, withdrawals, expiry; crash-safe and idempotent."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from sitegroup.cli import main
from sitegroup.search.backend import IndexUnavailable
from sitegroup.search.documents import index_doc
from sitegroup.search.service import SearchRequest, search
from sitegroup.search.sqlite import SqliteIndex
from sitegroup.search.sync import index_lag, rebuild_index, sync_index
from sitegroup.store import Store
from tests.store.factories import TODAY, penalty


def push(store: Store, *records, today: date = TODAY) -> None:
    store.apply_records(list(records), source="test", source_sha256="x", today=today)


def names(index, q: str = "", **kw) -> list[str]:
    result = search(index, SearchRequest(q=q, size=50, **kw))
    return [h["subject_name"] for h in result.hits]


@pytest.fixture
def index(tmp_path: Path):
    idx = SqliteIndex(tmp_path / "search.sqlite3")
    yield idx
    idx.close()


def test_sync_follows_adds_edits_withdrawals_and_expiry(store: Store, index) -> None:
    push(store, penalty(1, subject_name="义乌市甲乙贸易有限公司"), penalty(2, until="2026-12-31"))
    first = sync_index(store, index)
    assert first.rebuilt and first.upserted == 2
    assert names(index, "甲乙贸易") == ["义乌市甲乙贸易有限公司"]

    push(store, penalty(1, subject_name="义乌市丙丁贸易有限公司"))  # an edit of record 1
    assert sync_index(store, index).upserted == 1
    assert names(index, "甲乙贸易") == [] and names(index, "丙丁贸易") == ["义乌市丙丁贸易有限公司"]

    push(store, penalty(1, subject_name="义乌市丙丁贸易有限公司", withdraw=True))
    assert sync_index(store, index).removed == 1
    assert names(index, "丙丁贸易") == []

    store.expire(today=date(2027, 1, 1))
    assert sync_index(store, index).removed == 1
    assert names(index) == []
    assert index_lag(store, index).ok


def test_resync_is_a_no_op(store: Store, index) -> None:
    push(store, penalty(1), penalty(2))
    sync_index(store, index)
    before = search(index, SearchRequest()).hits
    again = sync_index(store, index)
    assert (again.upserted, again.removed) == (0, 0)
    assert search(index, SearchRequest()).hits == before


class FlakyIndex(SqliteIndex):
    """Fails the n-th apply, like a crash or a network error mid-sync."""

    def __init__(self, path: Path, fail_at: int) -> None:
        super().__init__(path)
        self.calls = 0
        self.fail_at = fail_at

    def apply(self, upserts, deletes, synced_push) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            raise IndexUnavailable("模拟中断")
        super().apply(upserts, deletes, synced_push)


def test_interrupted_sync_loses_nothing(store: Store, tmp_path: Path, monkeypatch) -> None:
    import sitegroup.search.sync as sync_module

    monkeypatch.setattr(sync_module, "_BATCH", 100)
    push(store, penalty(0))
    clean = SqliteIndex(tmp_path / "clean.sqlite3")
    flaky = FlakyIndex(tmp_path / "flaky.sqlite3", fail_at=3)
    sync_index(store, clean)
    sync_index(store, flaky)  # the first sync rebuilds: apply is not called
    push(store, *(penalty(n) for n in range(1, 450)))
    with pytest.raises(IndexUnavailable):
        sync_index(store, flaky)  # two batches applied, the third fails
    assert flaky.status().synced_push == 1  # the marker did not move
    assert not index_lag(store, flaky).ok
    sync_index(store, flaky)
    sync_index(store, clean)
    request = SearchRequest(size=50, page=3)
    assert search(flaky, request).hits == search(clean, request).hits
    assert flaky.status() == replace(clean.status())
    assert index_lag(store, flaky).ok
    clean.close()
    flaky.close()


def test_rebuild_matches_incremental_sync(store: Store, tmp_path: Path) -> None:
    incremental = SqliteIndex(tmp_path / "a.sqlite3")
    rebuilt = SqliteIndex(tmp_path / "b.sqlite3")
    push(store, penalty(1), penalty(2))
    sync_index(store, incremental)
    push(store, penalty(1, withdraw=True), penalty(3, region="330106"))
    sync_index(store, incremental)
    rebuild_index(store, rebuilt)
    for request in (
        SearchRequest(),
        SearchRequest(q="测试贸易"),
        SearchRequest(scope_region="330100"),
    ):
        assert search(incremental, request).hits == search(rebuilt, request).hits
    assert incremental.status() == rebuilt.status()
    incremental.close()
    rebuilt.close()


def test_cli_push_syncs_and_reports_an_unreachable_index(tmp_path: Path, monkeypatch) -> None:
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    monkeypatch.setenv("SITEGROUP_SEARCH_PATH", str(tmp_path / "search.sqlite3"))
    runner = CliRunner()
    records = root / "demo" / "records"
    ok = runner.invoke(
        main, ["push", "records", str(records / "licenses.csv"), "--today", "2026-11-23"]
    )
    assert ok.exit_code == 0, ok.output
    assert "检索索引已重建：150 条记录" in ok.output

    # The index cannot be opened (its path is a folder): the push lands, the error says so.
    broken = tmp_path / "broken"
    broken.mkdir()
    monkeypatch.setenv("SITEGROUP_SEARCH_PATH", str(broken))
    failed = runner.invoke(
        main, ["push", "records", str(records / "lists.jsonl"), "--today", "2026-11-23"]
    )
    assert failed.exit_code == 1
    assert (
        "数据已入库，但检索索引未能同步" in failed.output
        and "sitegroup index sync" in failed.output
    )

    monkeypatch.setenv("SITEGROUP_SEARCH_PATH", str(tmp_path / "search.sqlite3"))
    behind = runner.invoke(main, ["index", "status"])
    assert behind.exit_code == 1 and "检索索引落后于数据库" in behind.output
    caught_up = runner.invoke(main, ["index", "sync"])
    assert caught_up.exit_code == 0 and "检索索引已同步：更新 100 条" in caught_up.output
    status = runner.invoke(main, ["index", "status"])
    assert status.exit_code == 0 and "检索索引与数据库一致：250 条记录" in status.output


def test_a_rank_clash_takes_the_next_free_slot(index) -> None:
    a = index_doc(penalty(1))
    b = replace(index_doc(penalty(2)), seq=a.seq, day=a.day, name_len=a.name_len)
    assert a.rank == b.rank
    index.rebuild([a, b], 1)
    assert index.status().documents == 2
    assert [h["key"] for h in search(index, SearchRequest(q="测试贸易")).hits] == [a.key, b.key]
