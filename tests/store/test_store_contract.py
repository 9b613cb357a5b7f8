"""The store contract: the same tests on a SQLite file and on the real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from sitegroup.errors import StoreError
from sitegroup.store import ACTIVE, EXPIRED, WITHDRAWN, Store, create_engine, migrate, open_store
from sitegroup.store.tables import metadata
from tests.conftest import postgres_database
from tests.store.factories import TODAY, headline, penalty


def apply(store: Store, records, **kw):
    return store.apply_records(records, source="t.csv", source_sha256="x", today=TODAY, **kw)


def test_schema_matches_the_tables_after_migration(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    assert migrate.current_revision(store.engine) == migrate.head_revision()


def test_records_insert_version_and_history(store: Store) -> None:
    first = apply(store, [penalty(1), penalty(2)])
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    assert first.touched == {"penalty": {"330782"}}

    again = apply(store, [penalty(1), penalty(2)])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert again.touched == {}

    edited = apply(store, [penalty(1, content="罚款人民币一万元")])
    assert edited.updated == 1
    key = penalty(1).key
    stored = store.get_record(key)
    assert stored is not None and stored.version == 2
    assert stored.record.fields["content"] == "罚款人民币一万元"
    history = store.record_history(key)
    assert [h["version"] for h in history] == [1, 2]
    assert history[0]["data"]["fields"]["content"] == "罚款人民币五千元"


def test_withdraw_removes_from_lists_and_keeps_history(store: Store) -> None:
    apply(store, [penalty(1), penalty(2)])
    out = apply(store, [penalty(1, withdraw=True)])
    assert out.withdrawn == 1
    keys = [r.record.key for r in store.latest_records("penalty", "330782", limit=10)]
    assert keys == [penalty(2).key]
    assert store.record_states()[penalty(1).key][1] == WITHDRAWN
    # The original file again does not bring a withdrawn record back.
    assert apply(store, [penalty(1)]).unchanged == 1
    assert store.record_states()[penalty(1).key][1] == WITHDRAWN
    # Withdrawing something unknown is reported, not stored.
    assert apply(store, [penalty(99, withdraw=True)]).missing == 1


def test_partition_queries_follow_the_region_tree(store: Store) -> None:
    apply(
        store,
        [
            penalty(1, region="330782"),  # 义乌 (county of 金华)
            penalty(2, region="330106"),  # 杭州西湖区
            penalty(3, region="320200"),  # 无锡
        ],
    )

    def keys(region: str) -> set[str]:
        return {r.record.key for r in store.latest_records("penalty", region, limit=50)}

    assert keys("330782") == {penalty(1).key}
    assert keys("330700") == {penalty(1).key}
    assert keys("330100") == {penalty(2, region="330106").key}
    assert keys("330000") == {penalty(1).key, penalty(2, region="330106").key}
    assert len(keys("100000")) == 3
    assert store.count_records("penalty", "330000") == 2
    assert keys("320000") == {penalty(3, region="320200").key}


def test_latest_records_are_newest_first_and_bounded(store: Store) -> None:
    apply(store, [penalty(i, decided=f"2026-10-{i:02d}") for i in range(1, 21)])
    rows = store.latest_records("penalty", "100000", limit=5)
    assert [r.record.decided_on.day for r in rows] == [20, 19, 18, 17, 16]
    page2 = store.latest_records("penalty", "100000", limit=5, offset=5)
    assert page2[0].record.decided_on.day == 15


def test_expire_is_idempotent_and_versioned(store: Store) -> None:
    apply(store, [penalty(1, until="2026-12-31"), penalty(2, until="2026-11-30")])
    assert apply(store, [penalty(3, decided="2025-01-02", until="2025-06-30")]).added == 1
    assert store.record_states()[penalty(3, decided="2025-01-02").key][1] == EXPIRED

    from datetime import date

    out = store.expire(today=date(2026, 12, 1))
    assert out.expired == 1 and out.touched == {"penalty": {"330782"}}
    assert store.expire(today=date(2026, 12, 1)).expired == 0
    states = store.record_states()
    assert states[penalty(2).key][:2] == (2, EXPIRED)
    assert states[penalty(1).key][:2] == (1, ACTIVE)
    # Shown through its last day: 2026-12-31 is still active on 2026-12-31.
    assert store.expire(today=date(2026, 12, 31)).expired == 0


def test_revisions_mark_every_region_on_the_path(store: Store) -> None:
    out = apply(store, [penalty(1, region="330782")])
    revs = store.revisions()
    for code in ("330782", "330700", "330000", "100000"):
        assert revs[("penalty", code)] == out.push_id
    assert ("penalty", "320000") not in revs
    # A no-op push moves nothing.
    apply(store, [penalty(1, region="330782")])
    assert store.revisions() == revs


def test_headlines_add_edit_retract(store: Store) -> None:
    out = store.apply_headlines(
        [headline(1, day=1), headline(2, day=2)], source="h", source_sha256="x"
    )
    assert out.added == 2
    assert [h.id for h in store.current_headlines()] == ["h-2", "h-1"]
    rev = store.revisions()[("headlines", "")]

    same = store.apply_headlines([headline(1, day=1)], source="h", source_sha256="x")
    assert same.unchanged == 1 and store.revisions()[("headlines", "")] == rev

    store.apply_headlines([headline(1, title="改过的标题", day=1)], source="h", source_sha256="y")
    assert store.current_headlines()[1].title == "改过的标题"
    store.apply_headlines([headline(2, retracted=True, day=2)], source="h", source_sha256="z")
    assert [h.id for h in store.current_headlines()] == ["h-1"]
    assert [v["version"] for v in store.headline_versions("h-2")] == [1, 2]


def test_ledger_records_counts_and_affected_sites(store: Store) -> None:
    out = apply(store, [penalty(1)], affected_for=lambda t: {"yiwu": sorted(t)})
    log = store.push_log(1)[0]
    assert log["id"] == out.push_id
    assert log["counts"]["added"] == 1
    assert log["affected"] == {"yiwu": ["penalty"]}


def test_a_failed_batch_leaves_the_old_state(store: Store) -> None:
    apply(store, [penalty(1)])
    before = store.record_states()

    def boom(done: int, total: int) -> None:
        raise RuntimeError("killed mid-push")

    with pytest.raises(RuntimeError):
        apply(store, [penalty(1, content="改"), penalty(2)], progress=boom)
    assert store.record_states() == before


def test_sqlite_file_is_created_and_upgraded_on_first_use(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'new.sqlite3'}"
    with open_store(url) as store:
        assert migrate.current_revision(store.engine) == migrate.head_revision()


def test_postgresql_needs_an_explicit_upgrade() -> None:
    with postgres_database() as url:
        with pytest.raises(StoreError, match="sitegroup db upgrade"):
            open_store(url)
        with open_store(url, upgrade=True):
            pass
        with open_store(url) as store:  # now current: opens without upgrading
            assert store.count_records("penalty", "100000") == 0


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="无法连接数据库"):
        open_store("postgresql://nobody@127.0.0.1:1/none")


def test_engine_url_normalises_postgres_scheme() -> None:
    engine = create_engine("postgresql://postgres@127.0.0.1:5432/postgres")
    assert engine.dialect.driver == "psycopg"
    with engine.connect() as conn:
        assert conn.execute(sa.text("select 1")).scalar() == 1
    engine.dispose()
