"""Credit repair end to end: 更正 / 撤销 through the push pipeline → incremental build → search.

One demo group is pushed, indexed and built per store (module scope); each test repairs its
own record and leaves the build up to date, so the tests do not depend on each other.
The checks are plain functions so an API-level variant can reuse them.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sitegroup.build.plan import built_state
from sitegroup.build.runner import BuildResult, DataSource, build_group
from sitegroup.build.verify import RECORD_ROW, VerifyResult, verify_group
from sitegroup.cases.repair import (
    LOCKED_FIELDS,
    RepairError,
    RepairOutcome,
    apply_repair,
    correctable_fields,
)
from sitegroup.config import Settings
from sitegroup.models.records import FIELDS, Record
from sitegroup.models.uscc import is_valid_uscc
from sitegroup.partition import sites_for_region
from sitegroup.search import SearchBackend, open_index
from sitegroup.search.service import SearchRequest, search
from sitegroup.search.sqlite import SqliteIndex
from sitegroup.search.sync import index_lag, rebuild_index
from sitegroup.store import Store, open_store
from sitegroup.tenants.loader import load_group
from sitegroup.tenants.registry import Group
from sitegroup.theme import Theme
from tests.conftest import DEMO_TENANTS, DEMO_TODAY, postgres_database, push_demo_data

CASE = "YY2026112300000042"
RECORDS_LIMIT = 200  # DataSource defaults: 20 per page × 10 pages

# -- reusable checks -------------------------------------------------------------------


def record_rows(out: Path, site_id: str, kind: str, key: str) -> list[str]:
    """Every rendered row of record ``key`` on the built ``kind`` pages of one site."""
    state = built_state(out, site_id)
    assert state is not None, f"{site_id} is not built"
    rows = []
    for rel in state["pages"].get(kind, []):
        if rel.endswith(".html"):
            text = (out / site_id / rel).read_text(encoding="utf-8")
            rows += [m.group(0) for m in RECORD_ROW.finditer(text) if m.group(1) == key]
    return rows


def sites_showing(out: Path, group: Group, kind: str, key: str) -> set[str]:
    """The ids of the built sites whose pages list record ``key``."""
    return {site.id for site in group if record_rows(out, site.id, kind, key)}


def row_cell(row: str, label: str) -> str:
    """The text of one cell (by its ``data-label``) of a rendered record row."""
    found = re.search(rf'<td data-label="{re.escape(label)}">(.*?)</td>', row, re.S)
    assert found, f"no {label} cell in {row}"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def matters_shown(out: Path, group: Group, kind: str, key: str) -> dict[str, list[str]]:
    """Site id → the 事项 cell of each row of record ``key`` (only sites that show it)."""
    shown = {s.id: record_rows(out, s.id, kind, key) for s in group}
    return {site: [row_cell(r, "事项") for r in rows] for site, rows in shown.items() if rows}


def search_hit(index: SearchBackend, record: Record) -> dict[str, Any] | None:
    """The record's hit when searching by its document number (None: not found)."""
    hits = search(index, SearchRequest(q=record.document_no, size=50)).hits
    return next((h for h in hits if h["key"] == record.key), None)


def pick(store: Store, kind: str, region: str, *, skip: int = 0) -> Record:
    """A published record of ``kind`` in exactly ``region`` with a 统一社会信用代码."""
    rows = store.latest_records(kind, region, limit=500)
    found = sorted(
        (r.record for r in rows if r.record.region_code == region),
        key=lambda r: r.key,
    )
    found = [r for r in found if is_valid_uscc(r.subject_code)]
    assert len(found) > skip, f"the demo data has no such {kind} record in {region}"
    return found[skip]


# -- the world: demo data, index and build on one store --------------------------------


@dataclass
class RepairWorld:
    store: Store
    group: Group
    theme: Theme
    out: Path
    index: SearchBackend

    def build(self, **kw: Any) -> BuildResult:
        result = build_group(
            self.group, self.theme, self.out, data=DataSource(self.store.url), **kw
        )
        assert not result.failed, result.failed
        return result

    def settings(self) -> Settings:
        """What the API and the CLI need to reach this world's store, tenants and index."""
        return Settings(
            database_url=self.store.url,
            tenants_dir=DEMO_TENANTS,
            search_path=self.out.parent / "search.sqlite3",
        )

    def verify(self) -> VerifyResult:
        return verify_group(
            self.group,
            self.theme,
            self.out,
            self.store,
            headline_window=30,
            records_limit=RECORDS_LIMIT,
        )

    def repair(
        self, record: Record, result: str, changes: Mapping[str, str] | None = None
    ) -> RepairOutcome:
        return apply_repair(
            self.store,
            self.group,
            record_key=record.key,
            result=result,  # type: ignore[arg-type]
            changes=changes or {},
            case_number=CASE,
            today=DEMO_TODAY,
            index=self.index,
        )

    def expected_sites(self, record: Record) -> set[str]:
        return {s.id for s in sites_for_region(self.group, record.region_code)}

    def assert_only_affected_rebuilt(self, result: BuildResult, affected: set[str]) -> None:
        assert result.built == []
        assert set(result.updated) == affected
        assert set(result.skipped) == {s.id for s in self.group} - affected

    def assert_verified(self) -> None:
        verified = self.verify()
        assert verified.ok, [str(d) for d in verified.drifts[:5]]
        assert index_lag(self.store, self.index).ok


@contextlib.contextmanager
def repair_world(backend: str, root: Path, theme: Theme) -> Iterator[RepairWorld]:
    """The demo group pushed, indexed and built under ``root`` on ``backend``."""
    sqlite = contextlib.nullcontext(f"sqlite:///{root / 'store.sqlite3'}")
    with (
        postgres_database() if backend == "postgresql" else sqlite as url,
        open_store(url, upgrade=True) as store,
    ):
        group = load_group(DEMO_TENANTS, theme)
        push_demo_data(store, group)
        index = open_index(Settings(database_url=url, search_path=root / "search.sqlite3"))
        rebuild_index(store, index)
        w = RepairWorld(store, group, theme, root / "build", index)
        w.build()
        try:
            yield w
        finally:
            index.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, theme: Theme
) -> Iterator[RepairWorld]:
    root = tmp_path_factory.mktemp(f"repair-{request.param}")
    with repair_world(request.param, root, theme) as w:
        w.assert_verified()
        yield w


def _ledger(store: Store) -> tuple[int, dict[str, Any], dict[tuple[str, str], int]]:
    """(newest push id, every record's state, the data revisions): what a refusal keeps."""
    newest = store.push_log(1)
    return (newest[0]["id"] if newest else 0, store.record_states(), store.revisions())


# -- 更正 ------------------------------------------------------------------------------

NEW_CATEGORY = "警告；罚款"
NEW_CONTENT = "警告，并处罚款人民币17900元（经异议核实更正）"
NEW_FINE = "1.79"


def test_a_correction_is_republished_on_every_affected_site_and_in_search(
    world: RepairWorld,
) -> None:
    record = pick(world.store, "penalty", "330100")  # 杭州: its own site
    sites = world.expected_sites(record)
    assert sites == {"zhejiang-hangzhou", "zhejiang", "main"}
    old = record.fields
    assert (old["penalty_category"], old["content"], old.get("fine")) != (
        NEW_CATEGORY,
        NEW_CONTENT,
        NEW_FINE,
    )
    assert set(matters_shown(world.out, world.group, "penalty", record.key)) == sites
    hit = search_hit(world.index, record)
    assert hit is not None and hit["fields"]["content"] == old["content"]
    versions = len(world.store.record_history(record.key))

    outcome = world.repair(
        record,
        "correct",
        {"penalty_category": NEW_CATEGORY, "content": NEW_CONTENT, "fine": "1.790"},
    )

    assert outcome.changed and outcome.index_error is None
    assert set(outcome.affected) == sites
    assert all(scopes == ["penalty"] for scopes in outcome.affected.values())
    history = world.store.record_history(record.key)
    assert len(history) == versions + 1
    assert history[-2]["data"]["fields"]["content"] == old["content"]  # the store keeps it
    new = history[-1]
    assert new["push_id"] == outcome.push_id and new["status"] == "active"
    assert new["data"]["fields"]["fine"] == NEW_FINE  # normalized as a pushed row
    push = world.store.push_log(1)[0]
    assert push["id"] == outcome.push_id
    assert push["source"] == f"异议处理 {CASE} 更正"
    assert re.fullmatch(r"[0-9a-f]{64}", push["source_sha256"])
    assert push["counts"]["updated"] == 1 and push["affected"] == outcome.affected

    built = world.build()  # incremental: not forced
    world.assert_only_affected_rebuilt(built, sites)
    shown = matters_shown(world.out, world.group, "penalty", record.key)
    assert set(shown) == sites
    assert all(cells == [NEW_CATEGORY] for cells in shown.values()), shown
    hit = search_hit(world.index, record)
    assert hit is not None
    assert hit["fields"]["content"] == NEW_CONTENT and hit["fields"]["fine"] == NEW_FINE
    assert old["content"] not in json.dumps(hit, ensure_ascii=False)
    world.assert_verified()


# -- 撤销 ------------------------------------------------------------------------------


def test_a_revocation_takes_the_record_off_every_site_and_out_of_search(
    world: RepairWorld,
) -> None:
    record = pick(world.store, "penalty", "330782")  # 义乌: a county with its own site
    sites = world.expected_sites(record)
    assert sites == {"zhejiang-yiwu", "zhejiang", "main"}
    assert sites_showing(world.out, world.group, "penalty", record.key) == sites
    assert search_hit(world.index, record) is not None

    outcome = world.repair(record, "revoke")

    assert outcome.changed and outcome.index_error is None and set(outcome.affected) == sites
    last = world.store.record_history(record.key)[-1]
    assert last["status"] == "withdrawn" and last["push_id"] == outcome.push_id
    assert world.store.push_log(1)[0]["source"] == f"异议处理 {CASE} 撤销"
    assert search_hit(world.index, record) is None

    built = world.build()
    world.assert_only_affected_rebuilt(built, sites)
    assert sites_showing(world.out, world.group, "penalty", record.key) == set()
    world.assert_verified()

    # A withdrawn record is not corrected back onto the pages.
    with pytest.raises(RepairError) as refused:
        world.repair(record, "correct", {"content": NEW_CONTENT})
    assert refused.value.field == "record" and "已撤回" in refused.value.problems["record"]


# -- retries ---------------------------------------------------------------------------


def test_retrying_a_repair_changes_nothing(world: RepairWorld) -> None:
    record = pick(world.store, "penalty", "330106")  # 西湖区: no site, shown by 杭州
    sites = world.expected_sites(record)
    assert sites == {"zhejiang-hangzhou", "zhejiang", "main"}
    changes = {"content": NEW_CONTENT}

    first = world.repair(record, "correct", changes)
    assert first.changed and set(first.affected) == sites
    states, revisions = world.store.record_states(), world.store.revisions()
    again = world.repair(record, "correct", changes)
    assert not again.changed and again.affected == {} and again.index_error is None
    assert world.store.record_states() == states and world.store.revisions() == revisions

    # A correction to the values the record already has is no change either.
    same = world.repair(record, "correct", {"basis": record.fields["basis"]})
    assert not same.changed and world.store.record_states() == states

    revoked = world.repair(record, "revoke")
    assert revoked.changed and set(revoked.affected) == sites
    states, revisions = world.store.record_states(), world.store.revisions()
    assert not world.repair(record, "revoke").changed
    assert world.store.record_states() == states and world.store.revisions() == revisions
    assert [v["status"] for v in world.store.record_history(record.key)] == [
        "active",
        "active",
        "withdrawn",
    ]

    world.assert_only_affected_rebuilt(world.build(), sites)
    assert sites_showing(world.out, world.group, "penalty", record.key) == set()
    world.assert_verified()


# -- refusals --------------------------------------------------------------------------

REFUSALS = [
    pytest.param("correct", {}, "changes", "没有填写要更正的数据项", id="no-changes"),
    pytest.param("correct", {"colour": "红"}, "colour", "未知的数据项“colour”", id="unknown"),
    pytest.param(
        "correct",
        {"document_no": "杭环罚〔2026〕1号"},
        "document_no",
        "“行政处罚决定书文号”不能更正",
        id="document-no",
    ),
    pytest.param(
        "correct",
        {"uscc": "91330100MA27XYZ001"},
        "uscc",
        "“统一社会信用代码”不能更正",
        id="subject-code",
    ),
    pytest.param(
        "correct", {"subject_name": "另一家公司"}, "subject_name", "不能更正", id="subject"
    ),
    pytest.param("correct", {"region_code": "330782"}, "region_code", "不能更正", id="region"),
    pytest.param("correct", {"record_id": "abc"}, "record_id", "不能更正", id="record-id"),
    pytest.param(
        "correct",
        {"decided_on": "2026-13-01"},
        "decided_on",
        "“处罚决定日期”格式不正确：日期“2026-13-01”不存在",
        id="bad-date",
    ),
    pytest.param(
        "correct",
        {"decided_on": "2026-12-01"},
        "decided_on",
        "“处罚决定日期”不正确：2026-12-01 晚于今天",
        id="future-date",
    ),
    pytest.param(
        "correct",
        {"fine": "一万"},
        "fine",
        "“罚款金额(万元)”格式不正确：金额“一万”不是数字",
        id="bad-amount",
    ),
    pytest.param("correct", {"content": ""}, "content", "“处罚内容”不能为空", id="required"),
    pytest.param(
        "correct", {"severity": "极其严重"}, "severity", "“失信严重程度”不正确", id="enum"
    ),
    pytest.param("revoke", {"content": "x"}, "changes", "撤销时不能同时更正", id="revoke-changes"),
    pytest.param("approve", {}, "result", "办理结果应为", id="result"),
]


@pytest.mark.parametrize(("result", "changes", "field", "message"), REFUSALS)
def test_a_refused_repair_names_the_field_and_stores_nothing(
    world: RepairWorld, result: str, changes: dict[str, str], field: str, message: str
) -> None:
    record = pick(world.store, "penalty", "330108")
    before = _ledger(world.store)
    with pytest.raises(RepairError) as refused:
        world.repair(record, result, changes)
    assert refused.value.field == field, refused.value.problems
    assert message in refused.value.problems[field], refused.value.problems
    assert _ledger(world.store) == before


def test_unknown_records_and_a_licence_turned_invalid_are_refused(world: RepairWorld) -> None:
    before = _ledger(world.store)
    with pytest.raises(RepairError) as refused:
        apply_repair(
            world.store,
            world.group,
            record_key="penalty-000000000000000000000000",
            result="revoke",
            changes={},
            case_number=CASE,
            today=DEMO_TODAY,
        )
    assert refused.value.field == "record" and "没有找到" in str(refused.value)
    licence = pick(world.store, "license", "330782")
    with pytest.raises(RepairError) as refused:
        world.repair(licence, "correct", {"status": "无效"})
    assert refused.value.field == "status" and "撤销" in refused.value.problems["status"]
    assert _ledger(world.store) == before


def test_correctable_fields_leave_out_the_records_identity() -> None:
    for kind, specs in FIELDS.items():
        fields = correctable_fields(kind)
        assert fields, kind
        assert not set(fields) & set(LOCKED_FIELDS)
        assert {s.key for s in specs} == set(fields) | (set(LOCKED_FIELDS) & {s.key for s in specs})
    assert correctable_fields("penalty")["decided_on"] == "处罚决定日期"
    assert "document_no" not in correctable_fields("license")
    with pytest.raises(ValueError):
        correctable_fields("headline")


# -- the index ---------------------------------------------------------------------------


def test_an_unreachable_index_is_reported_and_caught_up_by_a_retry(
    world: RepairWorld, tmp_path: Path
) -> None:
    record = pick(world.store, "penalty", "320200")  # 无锡
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    broken = SqliteIndex(blocker / "search.sqlite3")
    changes = {"content": NEW_CONTENT}
    outcome = apply_repair(
        world.store,
        world.group,
        record_key=record.key,
        result="correct",
        changes=changes,
        case_number=CASE,
        today=DEMO_TODAY,
        index=broken,
    )
    assert outcome.changed and outcome.index_error is not None
    assert "数据已入库" in outcome.index_error
    assert world.store.record_history(record.key)[-1]["data"]["fields"]["content"] == NEW_CONTENT
    assert not index_lag(world.store, world.index).ok

    retry = world.repair(record, "correct", changes)
    assert not retry.changed and retry.index_error is None
    hit = search_hit(world.index, record)
    assert hit is not None and hit["fields"]["content"] == NEW_CONTENT
    world.assert_only_affected_rebuilt(world.build(), world.expected_sites(record))
    world.assert_verified()
