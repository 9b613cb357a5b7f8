"""The handlers' audit log on SQLite and PostgreSQL: an entry for every handler request, a
linear hash chain under concurrent writers, no UPDATE or DELETE, tampering detected by
``sitegroup audit verify``, and the CSV export."""

from __future__ import annotations

import csv
import io
import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from sitegroup.cases import audit
from sitegroup.cases.handlers import Handler
from sitegroup.cli import main
from sitegroup.store import Store
from sitegroup.store.tables import audit_log, records
from sitegroup.theme import Theme
from tests.cases.handling_support import BACKENDS, CLIENT, World, demo_world

HANDLER = Handler(7, "zhejiang-hangzhou", "330100", "杭州办理人", datetime.now(UTC))


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, theme: Theme
) -> Iterator[World]:
    with demo_world(request.param, tmp_path_factory.mktemp("audit"), theme) as w:
        yield w


def _append(store: Store, n: int, *, at: datetime | None = None, action: str = "read") -> None:
    for i in range(n):
        with store.engine.begin() as conn:
            audit.append(
                conn,
                handler=HANDLER,
                action=action,
                target=f"YY2026112300000{i:03d}",
                detail=f"第 {i} 次，含“引号”, 逗号",
                client="192.0.2.10",
                at=at or datetime.now(UTC),
            )


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


# -- an entry for every request --------------------------------------------------------


def test_every_handler_request_leaves_one_entry_with_who_when_what_and_where(
    world: World,
) -> None:
    row = world.record(records.c.region_code == "330108")
    number = world.objection(row).number
    file_id = world.attach(number, "a.pdf", "application/pdf", b"%PDF-1.4")
    wuxi = world.objection(world.record(records.c.region_code == "320211")).number
    hz = "zhejiang-hangzhou"
    start = datetime.now(UTC) - timedelta(seconds=1)
    before = world.last_audit_id()
    requests = [
        (lambda: world.get(hz, "/me"), "me", f"handler:{world.handlers[hz].id}"),
        (lambda: world.get(hz, "/cases", status="dispatched"), "list", None),
        (lambda: world.get(hz, f"/cases/{number}"), "read", number),
        (lambda: world.get(hz, f"/cases/{number}/attachments/{file_id}"), "download", number),
        (lambda: world.get(hz, f"/records/{row.key}"), "record", row.key),
        (lambda: world.act(hz, number, action="start"), "start", number),
        (lambda: world.act(hz, number, action="note", comment="内部"), "note", number),
        (
            lambda: world.act(hz, number, action="conclude", result="maintain", comment="维持"),
            "conclude",
            number,
        ),
        (lambda: world.act(hz, number, action="answer", comment="答复"), "answer", number),
        (lambda: world.act(hz, number, action="start"), "refused", number),
        (lambda: world.get(hz, f"/cases/{wuxi}"), "denied", wuxi),
        (lambda: world.act(hz, wuxi, action="start"), "denied", wuxi),
        (lambda: world.get(hz, "/records/no-such-record"), "denied", "no-such-record"),
    ]
    for call, action, target in requests:
        done = world.last_audit_id()
        call()
        entries = world.audit(done)
        assert [e.action for e in entries] == [action], (action, entries)
        if target is not None:
            assert entries[0].target == target
    forwarded = world.objection(row).number
    world.act(hz, forwarded, action="forward", to_site="zhejiang", comment="转省里")
    entries = world.audit(before)
    assert entries[-1].action == "forward" and "信用中国(浙江杭州) → 信用中国(浙江)" in (
        entries[-1].detail
    )
    assert entries[1].target == "status=dispatched&page=1&size=20"
    for entry in entries:
        assert (entry.handler_id, entry.actor, entry.region_code, entry.client) == (
            world.handlers[hz].id,
            "浙江杭州办理人",
            "330100",
            CLIENT,
        )
        at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
        assert start <= at <= datetime.now(UTC)
    # A request without a valid token is refused before anything is read: nothing to log.
    done = world.last_audit_id()
    assert world.client.get(f"/api/handler/cases/{number}").status_code == 401
    assert world.audit(done) == []
    assert audit.verify(world.store.engine).ok


# -- the chain -------------------------------------------------------------------------


def test_the_chain_stays_linear_under_concurrent_writers(world: World) -> None:
    store = world.store
    before = world.last_audit_id()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(6):
                with store.engine.begin() as conn:
                    if (n + i) % 2:  # a read first, as a handler request does
                        conn.execute(sa.select(sa.func.count()).select_from(audit_log))
                    audit.append(
                        conn,
                        handler=HANDLER,
                        action="read",
                        target=f"writer {n}",
                        detail=str(i),
                        client="127.0.0.1",
                        at=datetime.now(UTC),
                    )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.id)).all()
    assert len([r for r in rows if r.id > before]) == 48
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert len({r.prev_hash for r in rows}) == len(rows)  # no fork
    check = audit.verify(store.engine)
    assert check.ok and check.entries == len(rows)


def test_the_log_refuses_update_and_delete(world: World) -> None:
    store = world.store
    _append(store, 2)
    entries = world.audit()
    statements = [
        "UPDATE audit_log SET detail = '改过了' WHERE id = 1",
        "DELETE FROM audit_log WHERE id = 2",
        "DELETE FROM audit_log",
    ]
    if store.engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_log")
    for statement in statements:
        with pytest.raises(sa.exc.DBAPIError) as exc, store.engine.begin() as conn:
            conn.execute(sa.text(statement))
        assert "append-only" in str(exc.value), statement
    assert world.audit() == entries
    assert audit.verify(store.engine) == audit.ChainCheck(len(entries))


def test_verify_names_the_first_tampered_entry(store: Store) -> None:
    _append(store, 4)
    result = _cli("audit", "verify", "--database-url", store.url)
    assert result.exit_code == 0 and "审计日志完整：4 条" in result.output
    postgres = store.engine.dialect.name == "postgresql"
    with store.engine.begin() as conn:  # around the triggers, as only the owner could
        if postgres:
            conn.execute(sa.text("DROP TRIGGER audit_log_no_change ON audit_log"))
        else:
            conn.execute(sa.text("DROP TRIGGER audit_log_no_update"))
            conn.execute(sa.text("DROP TRIGGER audit_log_no_delete"))
        conn.execute(sa.text("UPDATE audit_log SET detail = '无' WHERE id = 3"))
    result = _cli("audit", "verify", "--database-url", store.url)
    assert result.exit_code == 1
    assert "序号 3" in result.output and "被改动" in result.output

    with store.engine.begin() as conn:  # a deleted entry breaks the link after it
        conn.execute(sa.text("DELETE FROM audit_log WHERE id = 3"))
    check = audit.verify(store.engine)
    assert (check.bad_id, check.ok) == (4, False) and "链条在此断开" in check.problem


# -- the export ------------------------------------------------------------------------


def test_the_csv_export_has_a_bom_chinese_headers_and_one_row_per_entry(
    store: Store, tmp_path: Path
) -> None:
    _append(store, 2, at=datetime(2026, 11, 22, 15, 30, tzinfo=UTC))  # 23:30 on the 22nd
    _append(store, 3, at=datetime(2026, 11, 22, 16, 30, tzinfo=UTC), action="conclude")  # 23rd
    out = tmp_path / "audit.csv"
    result = _cli("audit", "export", "--out", str(out), "--database-url", store.url)
    assert result.exit_code == 0, result.output
    assert "已导出 5 条" in result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "时间", "办理人", "地区", "操作", "对象", "详情", "来源地址", "哈希"]
    assert len(rows) == 6
    first = rows[1]
    assert first[:4] == ["1", "2026-11-22T23:30:00+08:00", "杭州办理人", "杭州市(330100)"]
    assert first[4:6] == ["查看案件详情", "YY2026112300000000"]
    assert first[6:8] == ["第 0 次，含“引号”, 逗号", "192.0.2.10"]
    assert rows[-1][4] == "办结" and len(rows[-1][8]) == 64

    day = _cli(
        "audit", "export", "--since", "2026-11-23", "--until", "2026-11-23", "--out", "-",
        "--database-url", store.url,
    )  # fmt: skip
    assert day.exit_code == 0, day.output
    lines = day.stdout_bytes.decode("utf-8-sig").splitlines()
    assert len(lines) == 4 and lines[0].startswith("序号,时间")
    assert all(",办结," in line for line in lines[1:])
    before = _cli("audit", "export", "--until", "2026-11-22", "--database-url", store.url)
    assert before.stdout_bytes.decode("utf-8-sig").count("\n") == 3
    bad = _cli("audit", "export", "--since", "23/11/2026", "--database-url", store.url)
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
