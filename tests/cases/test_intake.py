"""The 异议投诉 window's intake and follow-up, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from search_api.app import create_app
from sitegroup.cases import CaseDesk
from sitegroup.config import Settings
from sitegroup.store import Store
from sitegroup.store.tables import case_events, cases, records
from sitegroup.tenants.loader import load_group
from sitegroup.theme import Theme
from tests.conftest import DEMO_TENANTS, push_demo_data

REASON = "该行政处罚已于上月履行完毕并整改到位，请求核实后更正公示信息。"


@pytest.fixture
def client(store: Store, theme: Theme, tmp_path: Path) -> Iterator[TestClient]:
    group = load_group(DEMO_TENANTS, theme)
    push_demo_data(store, group)
    settings = Settings(
        database_url=store.url, tenants_dir=DEMO_TENANTS, search_path=tmp_path / "s.sqlite3"
    )
    with TestClient(create_app(settings, group=group, store=store)) as c:
        yield c


def _record(store: Store, where) -> sa.Row:
    q = sa.select(records).where(where, records.c.subject_code.like("91%"))
    with store.engine.connect() as conn:
        row = conn.execute(q.order_by(records.c.key).limit(1)).first()
    assert row is not None, "the demo data has no such record"
    return row


def _objection(row, **extra) -> dict:
    return {
        "kind": "objection",
        "site": "main",
        "subject_name": row.subject_name,
        "subject_code": row.subject_code,
        "record": row.document_no,
        "reason": REASON,
        "phone": "13800138000",
        **extra,
    }


def _count(store: Store) -> tuple[int, int]:
    with store.engine.connect() as conn:
        return (
            conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar(),
            conn.execute(sa.select(sa.func.count()).select_from(case_events)).scalar(),
        )


def test_an_objection_goes_to_the_records_region_and_is_followed_on_any_site(
    client: TestClient, store: Store
) -> None:
    row = _record(store, records.c.region_code == "330782")  # 义乌 has its own site
    answer = client.post("/api/cases", json=_objection(row, site="hubei"))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["number"].startswith("YY") and len(body["number"]) == 18
    assert len(body["code"]) == 8
    assert body["handler"] == {"site": "zhejiang-yiwu", "name": "信用中国(浙江义乌)"}
    assert body["number"] in body["message"] and body["code"] in body["message"]

    status = client.get("/api/cases", params={"case_no": body["number"], "code": body["code"]})
    assert status.status_code == 200, status.text
    case = status.json()
    assert case["status_label"] == "已分派" and case["kind_label"] == "信用异议"
    assert [h["status_label"] for h in case["history"]] == ["已受理", "已分派"]
    assert "信用中国(湖北)集中受理" in case["history"][0]["comment"]
    assert "信用中国(浙江义乌)" in case["history"][1]["comment"]
    # The same answer by the path form, with a lower-case code.
    again = client.get(f"/api/cases/{body['number']}", params={"code": body["code"].lower()})
    assert again.json() == case

    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(cases)).one()
    assert body["code"] not in repr(tuple(stored))  # only its hash is kept
    assert stored.record_key == row.key and stored.region_code == "330782"


def test_a_region_without_a_site_goes_to_its_nearest_ancestor(
    client: TestClient, store: Store
) -> None:
    row = _record(
        store,
        sa.and_(records.c.region_code.like("3301%"), records.c.region_code != "330100"),
    )
    body = client.post("/api/cases", json=_objection(row)).json()
    assert body["handler"]["site"] == "zhejiang-hangzhou"


def test_complaints_go_to_the_subjects_region_or_the_intake_site(
    client: TestClient, store: Store
) -> None:
    row = _record(store, records.c.region_code.like("32%"))
    known = {
        "kind": "complaint",
        "site": "main",
        "subject_name": row.subject_name,
        "subject_code": row.subject_code,
        "reason": "该企业拖欠货款拒不履行，存在失信行为，请依法核查。",
        "phone": "0571-87000000",
    }
    body = client.post("/api/cases", json=known).json()
    assert body["number"].startswith("TS")
    services = client.app.state.services
    expected = CaseDesk(store.engine, services.group).handler_for(row.region_code)
    assert body["handler"]["site"] == expected.id and expected.id.startswith("jiangsu")
    unknown = {**known, "subject_code": "", "site": "shandong-jining"}
    assert client.post("/api/cases", json=unknown).json()["handler"]["site"] == "shandong-jining"
    form = client.post("/api/cases", data={**unknown, "site": "hubei"})  # a plain HTML form
    assert form.status_code == 201 and form.json()["handler"]["site"] == "hubei"


def test_refusals_name_the_field_and_store_nothing(client: TestClient, store: Store) -> None:
    row = _record(store, records.c.region_code.like("33%"))
    good = _objection(row)
    cases_ = [
        ({**good, "kind": "praise"}, "kind"),
        ({**good, "site": "nowhere"}, "site"),
        ({**good, "subject_name": ""}, "subject_name"),
        ({**good, "subject_code": "91330000000000000X"}, "subject_code"),
        ({**good, "record": "不存在的文书号"}, "record"),
        ({**good, "reason": "太短"}, "reason"),
        ({**good, "reason": "长" * 2001}, "reason"),
        ({**good, "phone": "12345"}, "phone"),
        ({**good, "email": "not-an-address"}, "email"),
        ({**good, "phone": 13800138000}, "phone"),
    ]
    for payload, field in cases_:
        answer = client.post("/api/cases", json=payload)
        assert answer.status_code == 422, (field, answer.text)
        error = answer.json()["error"]
        assert error["field"] == field and error["message"], (field, error)
    assert client.post("/api/cases", content=b"[]").status_code == 422
    huge = client.post("/api/cases", content=b"x" * 20000, headers={"content-type": "text/plain"})
    assert huge.status_code == 413
    assert _count(store) == (0, 0)


def test_a_wrong_code_or_number_reveals_nothing(client: TestClient, store: Store) -> None:
    row = _record(store, records.c.region_code.like("33%"))
    body = client.post("/api/cases", json=_objection(row)).json()
    for number, code in [(body["number"], "AAAAAAAA"), ("YY2026010100000099", body["code"])]:
        answer = client.get("/api/cases", params={"case_no": number, "code": code})
        assert answer.status_code == 404
        assert answer.json()["error"]["message"].startswith("受理编号或查询码不正确")


def test_script_in_a_field_is_kept_as_text(client: TestClient, store: Store) -> None:
    row = _record(store, records.c.region_code.like("33%"))
    script = "<script>alert('x')</script> 请核实该处罚信息是否已经履行完毕。"
    body = client.post("/api/cases", json=_objection(row, reason=script)).json()
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(cases.c.data)).scalar_one()["reason"] == script
    assert (
        client.get(f"/api/cases/{body['number']}", params={"code": body["code"]}).status_code == 200
    )
