"""The whole window end to end, over HTTP, on SQLite and PostgreSQL.

A subject files an objection on one site about a record of 杭州; it is dispatched to 信用中国
(浙江杭州); that site's handler starts, concludes with 更正 and answers; the submitter sees the
result on another site; the next incremental build changes the record on every site that
shows it (and only those are rebuilt); the public search answers the corrected text; `sitegroup
verify` passes; and the audit log holds one chained entry per handler request.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient

from search_api.app import create_app
from sitegroup.cases import audit
from sitegroup.cases.handlers import create_handler
from sitegroup.cli import main
from sitegroup.store import Store
from sitegroup.store.tables import audit_log
from sitegroup.theme import Theme
from tests.cases.test_repair import RepairWorld, matters_shown, pick, repair_world
from tests.conftest import DEMO_TENANTS

REASON = "该处罚的处罚内容与决定书不一致，请求核实后按决定书原文更正公示信息。"
CORRECTED = "警告，并处罚款人民币8000元（经异议核实更正）"


def _audit(store: Store) -> list[dict]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.id))
        return [dict(r._mapping) for r in rows]


@pytest.fixture(params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path: Path, theme: Theme
) -> Iterator[tuple[RepairWorld, TestClient, str]]:
    with repair_world(request.param, tmp_path, theme) as w:
        _, token = create_handler(w.store.engine, w.group, "zhejiang-hangzhou", "杭州异议办理人")
        with TestClient(create_app(w.settings(), group=w.group, store=w.store)) as client:
            yield w, client, token


def test_objection_to_correction_on_every_site_in_search_and_verified(
    world: tuple[RepairWorld, TestClient, str],
) -> None:
    w, client, token = world
    record = pick(w.store, "penalty", "330100")
    sites = w.expected_sites(record)
    assert sites == {"zhejiang-hangzhou", "zhejiang", "main"}
    auth = {"Authorization": f"Bearer {token}"}
    audit_before = len(_audit(w.store))

    # 集中受理 on 信用中国(湖北), 属地办理 by 信用中国(浙江杭州).
    filed = client.post(
        "/api/cases",
        json={
            "kind": "objection",
            "site": "hubei",
            "subject_name": record.subject_name,
            "subject_code": record.subject_code,
            "record": record.document_no,
            "reason": REASON,
            "correction": CORRECTED,
            "phone": "13900139000",
        },
    )
    assert filed.status_code == 201, filed.text
    number, code = filed.json()["number"], filed.json()["code"]
    assert filed.json()["handler"]["site"] == "zhejiang-hangzhou"

    listed = client.get("/api/handler/cases", headers=auth).json()
    assert number in [c["number"] for c in listed["cases"]]
    detail = client.get(f"/api/handler/cases/{number}", headers=auth).json()
    assert detail["record"]["key"] == record.key
    full = client.get(f"/api/handler/records/{record.key}", headers=auth)
    assert full.status_code == 200, full.text

    def act(**body: object) -> dict:
        answer = client.post(f"/api/handler/cases/{number}/actions", headers=auth, json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    act(action="start", comment="已调取处罚决定书核对")
    act(
        action="conclude",
        result="correct",
        comment="经核对决定书，处罚内容公示有误，予以更正",
        changes={"content": CORRECTED},
    )
    act(action="answer", comment="您反映的问题属实，公示信息已按决定书更正。")

    # 结果反馈: the same on every site (the lookup does not depend on where it is asked).
    followed = client.get("/api/cases", params={"case_no": number, "code": code}).json()
    assert followed["status_label"] == "已反馈"
    assert followed["result_label"] == "更正"
    assert followed["reply"] == "您反映的问题属实，公示信息已按决定书更正。"

    # 信用修复: the record changed on every site that shows it, in search, and verified.
    w.assert_only_affected_rebuilt(w.build(), sites)
    shown = matters_shown(w.out, w.group, "penalty", record.key)
    assert set(shown) == sites
    history = w.store.record_history(record.key)
    assert history[-1]["data"]["fields"]["content"] == CORRECTED
    assert history[-2]["data"]["fields"]["content"] == record.fields["content"]
    for site in ("hubei", "zhejiang-hangzhou"):
        found = client.get(
            "/api/search", params={"q": record.document_no, "site": site, "scope": "all"}
        ).json()
        hit = next(h for h in found["hits"] if h["key"] == record.key)
        assert hit["fields"]["content"] == CORRECTED
    w.assert_verified()
    result = CliRunner().invoke(
        main,
        ["verify", "--tenants", str(DEMO_TENANTS), "--out", str(w.out)],
        env={
            "SITEGROUP_DATABASE_URL": w.store.url,
            "SITEGROUP_SEARCH_PATH": str(w.settings().search_path),
        },
    )
    assert result.exit_code == 0, result.output

    # 审计: one entry per handler request (list, read, record view, three actions), chained.
    entries = _audit(w.store)[audit_before:]
    assert [e["action"] for e in entries] == [
        "list",
        "read",
        "record",
        "start",
        "conclude",
        "answer",
    ]
    assert all(e["actor"] == "杭州异议办理人" and e["client"] == "testclient" for e in entries)
    assert audit.verify(w.store.engine).ok
