"""The push job end to end: files in, store state, refused rows, crash safety, affected sites."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from news_push.job import run_expire, run_headlines, run_records
from sitegroup.cli import main
from sitegroup.models.records import field_labels
from sitegroup.store import Store, open_store
from sitegroup.tenants.loader import load_group
from sitegroup.theme import Theme
from tests.conftest import DEMO_TENANTS, ROOT
from tests.store.factories import TODAY, penalty_fields

DEMO = ROOT / "demo"
LABELS = field_labels("penalty")


def penalty_row(n: int, region: str = "330782", **extra: str) -> dict[str, str]:
    """A CSV row with the standard's Chinese column names (``extra`` by label)."""
    row = {LABELS[k]: v for k, v in penalty_fields(n, region).items()}
    return {**row, **extra}


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    headers: list[str] = []
    for row in rows:
        headers += [h for h in row if h not in headers]
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=headers)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def group(theme: Theme):
    return load_group(DEMO_TENANTS, theme)


def push(store: Store, group, path: Path, **kw):
    return run_records(path, store=store, group=group, today=TODAY, kind="penalty", **kw)


def test_push_is_idempotent_and_names_affected_sites(store: Store, group, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [penalty_row(1), penalty_row(2, region="330106")])
    first = push(store, group, path)
    assert (first.outcome.added, first.problems) == (2, [])
    assert first.outcome.affected == {
        "main": ["penalty"],
        "zhejiang": ["penalty"],
        "zhejiang-hangzhou": ["penalty"],
        "zhejiang-yiwu": ["penalty"],
    }
    states = store.record_states()
    again = push(store, group, path)
    assert again.outcome.changed == 0 and again.outcome.unchanged == 2
    assert again.outcome.affected == {}
    assert store.record_states() == states


def test_edit_withdraw_and_expire(store: Store, group, tmp_path: Path) -> None:
    push(store, group, write_csv(tmp_path / "a.csv", [penalty_row(1), penalty_row(2)]))
    edited = push(
        store, group, write_csv(tmp_path / "b.csv", [penalty_row(1, 处罚内容="罚款人民币一万元")])
    )
    assert edited.outcome.updated == 1
    withdraw = {**penalty_row(2), "操作": "撤回"}
    assert push(store, group, write_csv(tmp_path / "c.csv", [withdraw])).outcome.withdrawn == 1
    active = store.latest_records("penalty", "330782", limit=10)
    assert [r.record.fields["content"] for r in active] == ["罚款人民币一万元"]

    short = penalty_row(3, 公示截止期="2027-01-31")
    assert push(store, group, write_csv(tmp_path / "d.csv", [short])).problems == []
    from datetime import date

    out = run_expire(store=store, group=group, today=date(2027, 2, 1))
    assert out.outcome.expired == 1
    assert "zhejiang-yiwu" in out.outcome.affected
    assert run_expire(store=store, group=group, today=date(2027, 2, 1)).outcome.expired == 0


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"统一社会信用代码": "91330782MA2A00001A"}, "统一社会信用代码", "校验位"),
        ({"处罚决定日期": "2026-02-30"}, "处罚决定日期", "2026-02-30"),
        ({"处罚决定日期": "2027-01-01"}, "处罚决定日期", "晚于"),
        ({"地方编码": "999999"}, "地方编码", "999999"),
        ({"罚款金额(万元)": "-1"}, "罚款金额(万元)", "负"),
        ({"行政处罚决定书文号": ""}, "行政处罚决定书文号", "必填"),
        (
            {
                "证件号码": "330782198001010021",
                "行政相对人类别": "自然人",
                "统一社会信用代码": "",
                "证件类型": "身份证",
            },
            "证件号码",
            "校验",
        ),
    ],
)
def test_bad_rows_are_refused_with_line_field_and_reason(
    store: Store, group, tmp_path: Path, change: dict[str, str], field: str, reason: str
) -> None:
    rows = [penalty_row(1), {**penalty_row(2), **change}, penalty_row(3)]
    result = push(store, group, write_csv(tmp_path / "bad.csv", rows))
    assert result.outcome.added == 2  # the good rows still apply
    assert len(result.problems) >= 1
    problem = next(p for p in result.problems if p.field == field)
    assert problem.line == 3 and reason in problem.reason, str(problem)
    rejects = list(csv.reader(result.rejects_file.open(encoding="utf-8-sig")))
    assert rejects[0] == ["文件", "行号", "字段", "原因"]
    assert any(r[1] == "3" and r[2] == field for r in rejects[1:])


def test_gb18030_and_utf8_files_give_the_same_records(store: Store, group, tmp_path: Path) -> None:
    rows = [penalty_row(i) for i in range(1, 4)]
    push(store, group, write_csv(tmp_path / "gb.csv", rows, encoding="gb18030"))
    again = push(store, group, write_csv(tmp_path / "utf8.csv", rows, encoding="utf-8-sig"))
    assert again.outcome.unchanged == 3 and again.outcome.added == 0


CRASH = textwrap.dedent(
    """
    import os, sys
    from datetime import date
    from pathlib import Path
    from news_push.job import run_records
    from sitegroup.store import open_store
    from sitegroup.tenants.loader import load_group
    from sitegroup.theme import load_theme

    def die(done, total):
        os._exit(9)  # killed mid-transaction, after the first chunk was written

    theme = load_theme()
    group = load_group(Path(sys.argv[3]), theme)
    with open_store(sys.argv[1]) as store:
        run_records(Path(sys.argv[2]), store=store, group=group, today=date(2026, 11, 23),
                    kind="penalty", progress=die)
    """
)


def test_a_push_killed_midway_and_rerun_equals_one_clean_run(
    store_url: str, group, tmp_path: Path
) -> None:
    rows = [penalty_row(i) for i in range(1, 1201)]
    path = write_csv(tmp_path / "big.csv", rows)
    with open_store(store_url, upgrade=True) as store:
        push(store, group, write_csv(tmp_path / "old.csv", [penalty_row(5, 处罚内容="旧内容")]))
        before = store.record_states()
    proc = subprocess.run(
        [sys.executable, "-c", CRASH, store_url, str(path), str(DEMO_TENANTS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 9, proc.stderr
    with open_store(store_url) as store:
        assert store.record_states() == before  # nothing of the killed push is visible
        push(store, group, path)
        after_rerun = store.record_states()

    clean_url = f"sqlite:///{tmp_path / 'clean.sqlite3'}"
    with open_store(clean_url) as clean:
        push(clean, group, write_csv(tmp_path / "old2.csv", [penalty_row(5, 处罚内容="旧内容")]))
        push(clean, group, path)
        assert clean.record_states() == after_rerun
    assert len(after_rerun) == 1200


def test_headline_push_from_markdown_and_jsonl(store: Store, group) -> None:
    first = run_headlines(DEMO / "headlines", store=store, group=group)
    assert first.problems == [] and first.outcome.added == 8
    assert set(first.outcome.affected) == {s.id for s in group}
    assert run_headlines(DEMO / "headlines", store=store, group=group).outcome.changed == 0
    update = run_headlines(DEMO / "headlines-update.jsonl", store=store, group=group)
    assert (update.outcome.updated, update.outcome.withdrawn) == (1, 1)
    assert len(store.current_headlines()) == 7
    assert any("(更新)" in h.title for h in store.current_headlines())


def test_cli_push_reports_and_exits_nonzero_on_refused_rows(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    runner = CliRunner()
    args = ["--tenants", str(DEMO_TENANTS), "--database-url", db]
    ok = runner.invoke(main, ["push", "records", str(DEMO / "records/lists.jsonl"), *args])
    assert ok.exit_code == 0, ok.output
    assert "新增" in ok.output and "sitegroup build --changed" in ok.output
    bad = runner.invoke(
        main,
        [
            "push",
            "records",
            str(DEMO / "records/bad-rows.csv"),
            "--kind",
            "penalty",
            "--rejects",
            str(tmp_path / "rejects.csv"),
            *args,
        ],
    )
    assert bad.exit_code == 1
    assert "拒收" in bad.output and "bad-rows.csv:" in bad.output
    log = runner.invoke(main, ["push", "log", "--database-url", db])
    assert log.exit_code == 0 and "records" in log.output


def test_demo_files_push_cleanly(store: Store, group) -> None:
    for name, kind in (
        ("licenses.csv", "license"),
        ("penalties-gb18030.csv", "penalty"),
        ("penalties-legacy.csv", "penalty"),
        ("lists.jsonl", None),
    ):
        result = run_records(
            DEMO / "records" / name, store=store, group=group, today=TODAY, kind=kind
        )
        assert result.problems == [], [str(p) for p in result.problems[:3]]
    assert store.count_records("penalty", "100000") > 100
    json.dumps(store.push_log(1)[0]["affected"])
