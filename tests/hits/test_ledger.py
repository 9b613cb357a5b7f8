"""The tracker's tables on SQLite and PostgreSQL: dedup, roll-ups, series, clean-up."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from sitegroup.clock import CST
from sitegroup.hits import Hit, HitBuffer, HitBufferFull, HitLedger
from sitegroup.hits.stats import StatsError, StatsService, window
from sitegroup.hits.visits import day_of, minute_of, visitor_key
from sitegroup.store.tables import hit_counts, hit_recent, hit_salts
from sitegroup.tenants.registry import Group

#: 2026-11-23 10:00 Beijing time.
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=CST).timestamp()
SALT = "ab" * 32


def hit(site: str, path: str = "/", *, who: str = "a", at: float = T0, ref: str = "") -> Hit:
    return Hit(visitor_key(SALT, "203.0.113.9", who, site, path), site, path, ref, at)


def test_a_batch_counts_each_visitor_and_page_once(ledger: HitLedger) -> None:
    batch = [
        hit("zhejiang", "/news/", who="a"),
        hit("zhejiang", "/news/", who="a", at=T0 + 5),  # reload
        hit("zhejiang", "/news/", who="b"),
        hit("zhejiang", "/", who="a"),
    ]
    outcome = ledger.record(batch)
    assert (outcome.received, outcome.counted, outcome.deduplicated) == (4, 3, 1)
    assert ledger.total(["zhejiang"], minute_of(T0), minute_of(T0) + 1) == 3


def test_a_reload_within_30_minutes_is_not_counted_again(ledger: HitLedger) -> None:
    assert ledger.record([hit("main")]).counted == 1
    assert ledger.record([hit("main", at=T0 + 60)]).counted == 0
    assert ledger.record([hit("main", at=T0 + 29 * 60 + 59)]).counted == 0
    assert ledger.record([hit("main", at=T0 + 30 * 60)]).counted == 1
    # The window runs from the counted view: 10 more minutes are still inside it.
    assert ledger.record([hit("main", at=T0 + 40 * 60)]).counted == 0
    assert ledger.total(None, 0, 2**31 - 1) == 2


def test_a_retried_batch_is_not_counted_twice(ledger: HitLedger) -> None:
    """A flush retried after an unclear commit adds nothing: the dedup rows are there."""
    batch = [hit("hubei", who=str(n)) for n in range(20)]
    assert ledger.record(batch).counted == 20
    assert ledger.record(batch).counted == 0
    assert ledger.total(["hubei"], 0, 2**31 - 1) == 20


def test_a_batch_larger_than_one_statement(ledger: HitLedger) -> None:
    batch = [hit("jiangsu", f"/p{n % 7}/", who=str(n), at=T0 + n % 120) for n in range(1234)]
    assert ledger.record(batch).counted == 1234
    assert ledger.total(None, 0, 2**31 - 1) == 1234
    assert sum(n for _, _, n in ledger.top_pages(None, 0, 2**31 - 1, 50)) == 1234


def test_roll_ups_add_up(ledger: HitLedger, demo_group: Group) -> None:
    views = {"main": 2, "zhejiang": 3, "zhejiang-hangzhou": 4, "zhejiang-yiwu": 5, "hubei": 6}
    ledger.record([hit(site, who=str(n)) for site, k in views.items() for n in range(k)])
    stats = StatsService(demo_group, ledger)
    win = window(T0, period="today")
    group = stats.answer("main", True, win, T0)
    alone = {s.id: stats.answer(s.id, False, win, T0)["total"] for s in demo_group}
    assert group["total"] == sum(alone.values()) == sum(views.values())
    assert group["sites"] == len(demo_group)
    zhejiang = stats.answer("zhejiang", True, win, T0)
    assert zhejiang["total"] == 3 + 4 + 5
    assert zhejiang["sites"] == 3
    assert [s["site"] for s in zhejiang["top_sites"]] == [
        "zhejiang-yiwu",
        "zhejiang-hangzhou",
        "zhejiang",
    ]
    assert stats.answer("zhejiang", False, win, T0)["total"] == 3
    assert stats.answer("zhejiang-yiwu", True, win, T0)["total"] == 5  # a county: itself
    assert group["top_sites"][0] == {"site": "hubei", "name": "信用中国(湖北)", "views": 6}
    assert sum(p["views"] for p in group["series"]) == group["total"]


def test_minute_hour_and_day_series(ledger: HitLedger, demo_group: Group) -> None:
    day = 24 * 3600
    moments = [
        T0,  # 10:00
        T0 + 59,  # 10:00
        T0 + 60,  # 10:01
        T0 + 3600,  # 11:00
        T0 - 10 * 3600,  # 00:00 Beijing, same day
        T0 - 10 * 3600 - 1,  # 23:59:59 the day before (Beijing)
        T0 + 2 * day,
    ]
    ledger.record([hit("shandong", who=str(n), at=at) for n, at in enumerate(moments)])
    stats = StatsService(demo_group, ledger)

    by_minute = stats.answer(
        "shandong",
        True,
        window(T0, start="2026-11-23T10:00", end="2026-11-23T10:05", granularity="minute"),
        T0,
    )
    assert [p["views"] for p in by_minute["series"]] == [2, 1, 0, 0, 0]
    assert by_minute["series"][1]["label"] == "10:01"

    by_hour = stats.answer(
        "shandong", True, window(T0, start="2026-11-23", end="2026-11-23", granularity="hour"), T0
    )
    assert len(by_hour["series"]) == 24
    assert by_hour["series"][0] == {"t": "2026-11-23T00:00:00+08:00", "label": "00:00", "views": 1}
    assert by_hour["series"][10]["views"] == 3 and by_hour["series"][11]["views"] == 1
    assert by_hour["total"] == 5

    by_day = stats.answer(
        "shandong", True, window(T0, start="2026-11-22", end="2026-11-25", granularity="day"), T0
    )
    assert [(p["label"], p["views"]) for p in by_day["series"]] == [
        ("11月22日", 1),
        ("11月23日", 5),
        ("11月24日", 0),
        ("11月25日", 1),
    ]


def test_windows_and_their_refusals() -> None:
    win = window(T0)
    assert win.granularity == "hour" and win.end - win.start == 24 * 60
    assert window(T0, period="1h").granularity == "minute"
    assert len(window(T0, period="30d").buckets()) == 30
    for kwargs, field in [
        ({"period": "year"}, "period"),
        ({"start": "23.11.2026"}, "from"),
        ({"start": "2026-11-23", "end": "2026-11-22"}, "to"),
        ({"granularity": "second"}, "granularity"),
        ({"start": "2026-01-01", "end": "2026-12-31", "granularity": "minute"}, "granularity"),
    ]:
        with pytest.raises(StatsError) as caught:
            window(T0, **kwargs)
        assert caught.value.field == field, kwargs
        assert caught.value.message


def test_realtime_counts_the_last_five_minutes_and_today(
    ledger: HitLedger, demo_group: Group
) -> None:
    now = T0 + 30
    moments = [now, now - 4 * 60, now - 5 * 60, now - 3600, now - 11 * 3600]
    ledger.record([hit("jiangxi", who=str(n), at=at) for n, at in enumerate(moments)])
    realtime = StatsService(demo_group, ledger).realtime("jiangxi", True, now)
    assert (realtime["last_5_minutes"], realtime["today"]) == (2, 4)


def test_prune_keeps_only_the_dedup_window_and_recent_salts(ledger: HitLedger) -> None:
    ledger.record([hit("main", who="old", at=T0 - 31 * 60), hit("main", who="new", at=T0)])
    today = day_of(minute_of(T0))
    salts = {day: ledger.salt(day) for day in (today - 3, today - 1, today)}
    assert len(set(salts.values())) == 3  # a new random salt every day
    assert ledger.salt(today) == salts[today]  # and the same one for every worker
    ledger.prune(T0)
    with ledger.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(hit_recent)).scalar() == 1
        days = set(conn.execute(sa.select(hit_salts.c.day)).scalars())
    assert days == {today - 1, today}
    assert ledger.total(None, 0, 2**31 - 1) == 2  # counts are never pruned


def test_the_buffer_keeps_hits_while_the_store_fails(ledger: HitLedger) -> None:
    class Flaky:
        """The real ledger behind a store connection that fails twice."""

        failures = 2

        def record(self, hits):
            if self.failures:
                self.failures -= 1
                raise sa.exc.OperationalError("INSERT", {}, Exception("server closed"))
            return ledger.record(hits)

    buffer = HitBuffer(Flaky(), interval=3600)  # type: ignore[arg-type]
    for n in range(5):
        buffer.add(hit("hebei", who=str(n)))
    assert buffer.flush() is None and buffer.pending == 5
    buffer.add(hit("hebei", who="late"))
    assert buffer.flush() is None and buffer.pending == 6
    assert buffer.flush().counted == 6
    assert buffer.pending == 0 and buffer.failures == 2
    assert ledger.total(["hebei"], 0, 2**31 - 1) == 6
    buffer.close()


def test_a_full_buffer_refuses_instead_of_dropping(ledger: HitLedger) -> None:
    buffer = HitBuffer(ledger, interval=3600, max_pending=2)
    buffer.add(hit("main", who="1"))
    buffer.add(hit("main", who="2"))
    with pytest.raises(HitBufferFull):
        buffer.add(hit("main", who="3"))
    buffer.close()  # graceful: what was accepted is counted
    assert ledger.total(None, 0, 2**31 - 1) == 2


def test_counts_are_per_site_page_and_minute(ledger: HitLedger) -> None:
    ledger.record([hit("main", "/news/", who=str(n), at=T0 + n) for n in range(50)])
    with ledger.engine.connect() as conn:
        rows = conn.execute(sa.select(hit_counts)).all()
    assert [(r.site, r.path, r.views) for r in rows] == [("main", "/news/", 50)]


def test_compaction_folds_old_minutes_into_hours_and_keeps_every_total(
    ledger: HitLedger, demo_group: Group
) -> None:
    old = T0 - 10 * 24 * 3600  # ten days ago, 10:00
    moments = [old + 60 * k for k in range(0, 150, 7)] + [T0 + 60 * k for k in range(5)]
    ledger.record([hit("hubei", f"/p{n % 2}/", who=str(n), at=at) for n, at in enumerate(moments)])
    stats = StatsService(demo_group, ledger)
    win = window(T0, start="2026-11-13", end="2026-11-23", granularity="hour")
    before = stats.answer("hubei", True, win, T0)
    with ledger.engine.connect() as conn:
        rows_before = conn.execute(sa.select(sa.func.count()).select_from(hit_counts)).scalar()

    removed = ledger.compact(minute_of(T0) - 7 * 24 * 60)
    assert removed > 0
    after = stats.answer("hubei", True, win, T0)
    assert after["series"] == before["series"] and after["total"] == len(moments)
    assert after["top_pages"] == before["top_pages"]
    with ledger.engine.connect() as conn:
        rows = conn.execute(sa.select(hit_counts.c.minute, hit_counts.c.path)).all()
    assert len(rows) == 2 * 3 + 5 < rows_before  # 2 pages × 3 hours, plus the recent minutes
    old_minutes = {m for m, _ in rows if m < minute_of(T0) - 7 * 24 * 60}
    assert all(m % 60 == 0 for m in old_minutes) and len(old_minutes) == 3  # 10:00-12:xx
    assert sum(1 for m, _ in rows if m >= minute_of(T0)) == 5  # recent minutes untouched
    assert ledger.compact(minute_of(T0) - 7 * 24 * 60) == 0  # idempotent
