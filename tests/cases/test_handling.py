"""Local handling (属地办理) through the handler API, on SQLite and PostgreSQL: accounts and
tokens, every transition and every refusal, dispatch, forwarding, region isolation of every
endpoint, credit repair, and what the submitter sees afterwards."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from sitegroup.cases.handlers import create_handler, revoke_handler
from sitegroup.cases.workflow import ConcurrentChange, HandlingError, TransitionRefused
from sitegroup.cli import main
from sitegroup.models.uscc import check_character
from sitegroup.store.tables import records
from sitegroup.theme import Theme
from tests.cases.handling_support import BACKENDS, CLIENT, World, demo_world
from tests.conftest import DEMO_TENANTS


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, theme: Theme
) -> Iterator[World]:
    with demo_world(request.param, tmp_path_factory.mktemp("handling"), theme) as w:
        yield w


def _hangzhou_case(world: World, offset: int = 0) -> str:
    """A fresh objection about a record of a 杭州 district (no site of its own: 杭州 handles)."""
    row = world.record(records.c.region_code == "330108", offset)
    submitted = world.objection(row)
    assert submitted.handler.id == "zhejiang-hangzhou"
    return submitted.number


def _wuxi_case(world: World) -> tuple[str, Any]:
    row = world.record(records.c.region_code == "320211")
    submitted = world.objection(row)
    assert submitted.handler.id == "jiangsu-wuxi"
    return submitted.number, row


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


# -- accounts and tokens ---------------------------------------------------------------


def test_a_handler_knows_who_it_is_and_a_bad_or_revoked_token_gets_401(world: World) -> None:
    me = _ok(world.get("zhejiang-hangzhou", "/me"))
    assert me["site"] == {"site": "zhejiang-hangzhou", "name": "信用中国(浙江杭州)"}
    assert (me["region_code"], me["region_name"]) == ("330100", "杭州市")
    assert _ok(world.get("main", "/me"))["region_code"] == "100000"

    handler, token = create_handler(world.store.engine, world.group, "zhejiang", "临时办理人")
    bearer = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/api/handler/me", headers=bearer).status_code == 200
    revoke_handler(world.store.engine, handler.id)
    for headers in (bearer, {}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
        answer = world.client.get("/api/handler/cases", headers=headers)
        assert answer.status_code == 401, headers
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.headers["cache-control"] == "no-store"
        assert "令牌" in answer.json()["error"]["message"]
    with world.store.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT token_hash FROM case_handlers")).scalars().all()
    assert token not in stored and all(len(h) == 64 for h in stored)


# -- dispatch --------------------------------------------------------------------------


def _valid_uscc(region: str) -> str:
    body = f"91{region}MA5F0GK1Q"
    return body + check_character(body)


@pytest.mark.parametrize(
    ("region", "site"),
    [
        ("330100", "zhejiang-hangzhou"),  # a city with its own site
        ("330000", "zhejiang"),  # a province
        ("330700", "zhejiang"),  # a city without a site: its province
        ("330783", "zhejiang"),  # a county under a city without a site: the province
        ("320282", "jiangsu-wuxi"),  # a county under a city with a site: the city
        ("100000", "main"),  # a national record
    ],
)
def test_an_objection_is_dispatched_to_the_nearest_site_of_its_records_region(
    world: World, region: str, site: str
) -> None:
    row = world.record(records.c.region_code == region)
    submitted = world.objection(row)
    assert submitted.handler.id == site
    assert world.case(submitted.number).region_code == world.group[site].region_code
    listed = _ok(world.get(site, "/cases", size=100))["cases"]
    assert submitted.number in {c["number"] for c in listed}


def test_a_complaint_from_a_province_without_a_site_goes_to_the_main_site(world: World) -> None:
    submitted = world.complaint(_valid_uscc("440300"), site="zhejiang-yiwu")  # 深圳: no site
    assert submitted.handler.id == "main"
    assert _ok(world.get("main", f"/cases/{submitted.number}"))["handler"]["site"] == "main"


# -- the workflow ----------------------------------------------------------------------


def test_an_objection_is_started_noted_concluded_and_answered(world: World) -> None:
    number = _hangzhou_case(world)
    before = world.last_audit_id()
    detail = _ok(world.get("zhejiang-hangzhou", f"/cases/{number}"))
    assert detail["status"] == "dispatched" and detail["submitted"]["phone"] == "13800138000"
    assert [a["action"] for a in detail["allowed_actions"]] == ["start", "forward", "note"]
    assert detail["record"]["key"] == world.case(number).record_key

    steps = [
        ({"action": "start", "comment": "已联系数据来源单位核实"}, "in_progress"),
        ({"action": "note", "comment": "内部：申请人曾来电催办"}, "in_progress"),
        (
            {"action": "conclude", "result": "maintain", "comment": "经核实，处罚信息准确"},
            "concluded",
        ),
        ({"action": "answer", "comment": "经核实，该公示信息准确无误，予以维持。"}, "answered"),
    ]
    for body, status in steps:
        detail = _ok(world.act("zhejiang-hangzhou", number, **body))
        assert detail["status"] == status, body
        event = detail["events"][-1]
        assert (event["action"], event["actor"], event["comment"]) == (
            body["action"],
            "浙江杭州办理人",
            body["comment"],
        )
        assert event["internal"] is (body["action"] == "note")
    assert detail["result"]["code"] == "maintain" and detail["result"]["label"] == "维持"
    assert detail["reply"] == steps[-1][0]["comment"]
    assert detail["allowed_actions"] == []
    assert world.case(number).status == "answered"

    entries = world.audit(before)
    assert [e.action for e in entries] == ["read", "start", "note", "conclude", "answer"]
    assert {(e.target, e.actor, e.client) for e in entries} == {(number, "浙江杭州办理人", CLIENT)}


def test_the_submitter_sees_result_and_reply_but_never_an_internal_note(world: World) -> None:
    row = world.record(records.c.region_code == "330108", 1)
    submitted = world.objection(row, site="zhejiang-yiwu")
    number, code = submitted.number, submitted.code
    secret = "内部备注：不要告诉申请人"
    for body in (
        {"action": "start"},
        {"action": "note", "comment": secret},
        {"action": "conclude", "result": "maintain", "comment": "经核实信息准确，予以维持"},
    ):
        _ok(world.act("zhejiang-hangzhou", number, **body))
    concluded = world.client.get("/api/cases", params={"case_no": number, "code": code})
    assert concluded.json()["result"] == "maintain"
    assert concluded.json()["result_label"] == "维持" and concluded.json()["reply"] is None
    _ok(world.act("zhejiang-hangzhou", number, action="note", comment=secret + "2"))
    _ok(world.act("zhejiang-hangzhou", number, action="answer", comment="您的异议已办结：维持。"))

    answers = [
        world.client.get("/api/cases", params={"case_no": number, "code": code}),
        world.client.get(f"/api/cases/{number}", params={"code": code.lower()}),
    ]
    assert answers[0].json() == answers[1].json()
    case = answers[0].json()
    assert (case["status_label"], case["result_label"], case["reply"]) == (
        "已反馈",
        "维持",
        "您的异议已办结：维持。",
    )
    assert [h["action_label"] for h in case["history"]] == [
        "受理",
        "分派",
        "开始办理",
        "办结",
        "反馈",
    ]
    assert secret not in answers[0].text and "note" not in answers[0].text


def test_a_complaint_ends_substantiated_or_unsubstantiated(world: World) -> None:
    row = world.record(records.c.region_code == "320211")
    for result, label in (("substantiated", "查证属实"), ("unsubstantiated", "查无实据")):
        number = world.complaint(row.subject_code).number
        _ok(world.act("jiangsu-wuxi", number, action="start"))
        wrong = world.act("jiangsu-wuxi", number, action="conclude", result="maintain", comment="x")
        assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "result"
        assert "只适用于信用异议" in wrong.json()["error"]["message"]
        detail = _ok(
            world.act("jiangsu-wuxi", number, action="conclude", result=result, comment="已核查")
        )
        assert detail["result"] == {"code": result, "label": label}
        assert (
            _ok(world.act("jiangsu-wuxi", number, action="answer", comment="已核查，谢谢"))[
                "status"
            ]
            == "answered"
        )


#: In each state, the actions refused (with a body that would otherwise be valid).
ILLEGAL = {
    "dispatched": ["conclude", "answer"],
    "in_progress": ["start", "answer"],
    "concluded": ["start", "conclude", "forward"],
    "answered": ["start", "conclude", "answer", "forward", "note"],
}
VALID_BODY: dict[str, dict[str, Any]] = {
    "start": {"comment": "开始"},
    "conclude": {"result": "maintain", "comment": "办结意见"},
    "answer": {"comment": "答复"},
    "forward": {"to_site": "zhejiang", "comment": "转办理由"},
    "note": {"comment": "备注"},
}
ADVANCE = {
    "dispatched": {"action": "start"},
    "in_progress": {"action": "conclude", "result": "maintain", "comment": "维持"},
    "concluded": {"action": "answer", "comment": "答复"},
}


def test_every_illegal_transition_is_refused_with_409_and_changes_nothing(world: World) -> None:
    number = _hangzhou_case(world, 2)
    for status, actions in ILLEGAL.items():
        assert world.case(number).status == status
        for action in actions:
            state, audit_id = world.state(number), world.last_audit_id()
            answer = world.act("zhejiang-hangzhou", number, action=action, **VALID_BODY[action])
            assert answer.status_code == 409, (status, action, answer.text)
            assert answer.headers["cache-control"] == "no-store"
            error = answer.json()["error"]
            assert error["code"] == "illegal_transition" and error["field"] == "action"
            assert world.state(number) == state, (status, action)
            refusal = world.audit(audit_id)
            assert [(e.action, e.target) for e in refusal] == [("refused", number)]
        if status in ADVANCE:
            _ok(world.act("zhejiang-hangzhou", number, **ADVANCE[status]))
    assert error["message"] == "当前状态为“已反馈”，不能执行“备注”；可执行：无"

    fresh = _hangzhou_case(world, 2)
    answer = world.act(
        "zhejiang-hangzhou", fresh, action="conclude", result="maintain", comment="x"
    )
    assert answer.json()["error"]["message"] == (
        "当前状态为“已分派”，不能执行“办结”；可执行：开始办理、转办、备注"
    )


REFUSALS: list[tuple[dict[str, Any], str]] = [
    ({"action": "approve"}, "action"),
    ({"comment": "没有操作"}, "action"),
    ({"action": "conclude", "comment": "缺少结果"}, "result"),
    ({"action": "conclude", "result": "approve", "comment": "未知结果"}, "result"),
    ({"action": "conclude", "result": "substantiated", "comment": "投诉的结果"}, "result"),
    ({"action": "conclude", "result": "maintain"}, "comment"),
    ({"action": "conclude", "result": "maintain", "comment": "  "}, "comment"),
    ({"action": "conclude", "result": "correct", "comment": "缺少更正内容"}, "changes"),
    ({"action": "conclude", "result": "correct", "comment": "x", "changes": "fine"}, "changes"),
    (
        {"action": "conclude", "result": "maintain", "comment": "x", "changes": {"fine": "1"}},
        "changes",
    ),
    ({"action": "conclude", "result": "revoke", "comment": "x", "changes": {"a": "1"}}, "changes"),
    ({"action": "note", "comment": "x", "result": "maintain"}, "result"),
    ({"action": "forward", "comment": "缺少站点"}, "to_site"),
    ({"action": "forward", "comment": "同一站点", "to_site": "zhejiang-hangzhou"}, "to_site"),
    ({"action": "forward", "comment": "未知站点", "to_site": "guangdong"}, "to_site"),
    ({"action": "forward", "to_site": "zhejiang"}, "comment"),
    ({"action": "note", "comment": "x", "to_site": "zhejiang"}, "to_site"),
    ({"action": "note"}, "comment"),
    ({"action": "note", "comment": 12345}, "comment"),
    ({"action": "note", "comment": "长" * 2001}, "comment"),
]


def test_every_invalid_action_is_refused_with_422_naming_the_field(world: World) -> None:
    number = _hangzhou_case(world, 3)
    _ok(world.act("zhejiang-hangzhou", number, action="start"))
    for body, field in REFUSALS:
        state, audit_id = world.state(number), world.last_audit_id()
        answer = world.act("zhejiang-hangzhou", number, **body)
        assert answer.status_code == 422, (body, answer.text)
        error = answer.json()["error"]
        assert error["field"] == field and error["message"], body
        assert world.state(number) == state, body
        assert [e.action for e in world.audit(audit_id)] == ["refused"], body
    for raw in (b"[]", b"not json", b""):
        answer = world.client.post(
            f"/api/handler/cases/{number}/actions",
            headers={**world.auth("zhejiang-hangzhou"), "content-type": "application/json"},
            content=raw,
        )
        assert answer.status_code == 422 and answer.json()["error"]["field"] == "action"
    # An answer needs its reply.
    _ok(world.act("zhejiang-hangzhou", number, **ADVANCE["in_progress"]))
    answer = world.act("zhejiang-hangzhou", number, action="answer")
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "comment"
    assert "答复内容" in answer.json()["error"]["message"]


def test_two_handlers_acting_at_once_cannot_both_succeed(world: World) -> None:
    number = _hangzhou_case(world, 4)
    desk = world.handling
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def start(site: str) -> None:
        barrier.wait()
        try:
            desk.act(world.actor(site), number, {"action": "start"})
            outcomes.append("ok")
        except HandlingError as exc:
            outcomes.append(str(exc.status))

    threads = [
        threading.Thread(target=start, args=(site,))
        for site in ("zhejiang-hangzhou", "zhejiang", "main") * 2
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409"] * 5 + ["ok"]
    assert [e.action for e in world.events(number)].count("start") == 1

    # The guard itself: a handler that read the case before another changed it loses.
    stale, request = desk._check(
        world.actor("zhejiang"), number, {"action": "note", "comment": "x"}, _now()
    )
    _ok(
        world.act("zhejiang-hangzhou", number, action="forward", to_site="zhejiang", comment="转省")
    )
    with pytest.raises(ConcurrentChange) as lost:
        desk._apply(world.actor("zhejiang"), stale, request, now=_now(), today=_now().date())
    assert lost.value.status == 409 and "刚被其他办理人处理" in lost.value.message
    assert [e.action for e in world.events(number)][-1] == "forward"
    with pytest.raises(TransitionRefused):
        desk.act(world.actor("zhejiang"), number, {"action": "answer", "comment": "x"})


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


# -- forwarding ------------------------------------------------------------------------


def test_forwarding_moves_the_case_keeps_its_due_date_and_ends_access(world: World) -> None:
    number = _hangzhou_case(world, 5)
    due = world.case(number).due_on
    answer = _ok(
        world.act(
            "zhejiang-hangzhou",
            number,
            action="forward",
            to_site="jiangsu-wuxi",
            comment="属无锡管辖",
        )
    )
    assert answer["visible"] is False and "信用中国(江苏无锡)" in answer["message"]
    case = world.case(number)
    assert (case.status, case.region_code, case.due_on) == ("dispatched", "320200", due)
    event = world.events(number)[-1]
    assert (event.action, event.region_code, event.internal) == ("forward", "320200", False)
    assert event.comment == "由信用中国(浙江杭州)转办至信用中国(江苏无锡)：属无锡管辖"
    assert world.get("zhejiang-hangzhou", f"/cases/{number}").status_code == 404
    detail = _ok(world.get("jiangsu-wuxi", f"/cases/{number}"))
    assert detail["handler"]["site"] == "jiangsu-wuxi" and detail["due_on"] == due.isoformat()

    # From 办理中, within the forwarding handler's own region: it keeps access.
    other = _hangzhou_case(world, 6)
    _ok(world.act("zhejiang", other, action="start"))
    moved = _ok(
        world.act("zhejiang", other, action="forward", to_site="zhejiang-yiwu", comment="属义乌")
    )
    assert (moved["status"], moved["handler"]["site"]) == ("dispatched", "zhejiang-yiwu")
    assert [a["action"] for a in moved["allowed_actions"]] == ["start", "forward", "note"]
    assert _ok(world.get("zhejiang-yiwu", f"/cases/{other}"))["status"] == "dispatched"


# -- region isolation ------------------------------------------------------------------


def test_a_hangzhou_handler_can_reach_nothing_of_a_wuxi_case_by_any_endpoint(
    world: World,
) -> None:
    number, row = _wuxi_case(world)
    attachment_id = world.attach(number, "证明材料.png", "image/png", b"\x89PNG\r\n\x1a\nDATA")
    missing = "YY2099010100999999"
    before, state = world.last_audit_id(), world.state(number)

    def refused(answer: Any, wanted: str) -> None:
        assert answer.status_code == 404, answer.text
        assert answer.headers["cache-control"] == "no-store"
        assert answer.json()["error"]["message"] == wanted

    hz = "zhejiang-hangzhou"
    refused(world.get(hz, f"/cases/{number}"), f"没有找到本地区的案件 {number}")
    refused(world.get(hz, f"/cases/{missing}"), f"没有找到本地区的案件 {missing}")  # the same
    for action, body in VALID_BODY.items():
        refused(world.act(hz, number, action=action, **body), f"没有找到本地区的案件 {number}")
    refused(
        world.get(hz, f"/cases/{number}/attachments/{attachment_id}"),
        f"没有找到本地区的案件 {number}",
    )
    refused(world.get(hz, f"/records/{row.key}"), f"没有找到本地区的信用记录 {row.key}")
    listed = _ok(world.get(hz, "/cases", size=100))
    assert listed["total"] <= 100 and number not in {c["number"] for c in listed["cases"]}
    assert all(c["region_code"].startswith("3301") for c in listed["cases"])
    for site in ("zhejiang", "zhejiang-yiwu"):
        refused(world.get(site, f"/cases/{number}"), f"没有找到本地区的案件 {number}")
    assert world.state(number) == state

    denied = [e for e in world.audit(before) if e.action == "denied"]
    assert len(denied) == 1 + 1 + len(VALID_BODY) + 1 + 1 + 2
    assert {e.client for e in denied} == {CLIENT}
    assert "不在本地区" in denied[0].detail and "案件不存在" in denied[1].detail

    # The case's own region, and every region above it, can reach it all.
    for site in ("jiangsu-wuxi", "main"):
        assert _ok(world.get(site, f"/cases/{number}"))["attachments"][0]["id"] == attachment_id
        assert _ok(world.get(site, f"/records/{row.key}"))["key"] == row.key
    download = world.get("jiangsu-wuxi", f"/cases/{number}/attachments/{attachment_id}")
    assert download.status_code == 200 and download.content == b"\x89PNG\r\n\x1a\nDATA"
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "%E8%AF%81" in download.headers["content-disposition"]  # 证, RFC 5987
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["cache-control"] == "no-store"
    assert world.audit(world.last_audit_id() - 1)[-1].action == "download"
    nothing = world.get("jiangsu-wuxi", f"/cases/{number}/attachments/{attachment_id + 999}")
    assert nothing.status_code == 404 and "附件" in nothing.json()["error"]["message"]


def test_a_province_sees_its_cities_and_the_main_site_sees_all(world: World) -> None:
    hangzhou = _hangzhou_case(world, 7)
    wuxi, _ = _wuxi_case(world)
    zhejiang = {c["number"] for c in _ok(world.get("zhejiang", "/cases", size=100))["cases"]}
    assert hangzhou in zhejiang and wuxi not in zhejiang
    assert _ok(world.act("zhejiang", hangzhou, action="note", comment="省级督办"))["status"] == (
        "dispatched"
    )
    seen: set[str] = set()
    page = 1
    while True:
        listed = _ok(world.get("main", "/cases", size=50, page=page))
        seen |= {c["number"] for c in listed["cases"]}
        if page * 50 >= listed["total"]:
            break
        page += 1
    assert {hangzhou, wuxi} <= seen
    yiwu = {c["number"] for c in _ok(world.get("zhejiang-yiwu", "/cases", size=100))["cases"]}
    assert hangzhou not in yiwu


def test_a_record_in_full_only_within_the_region(world: World) -> None:
    row = world.record(records.c.region_code == "330106")
    before = world.last_audit_id()
    full = _ok(world.get("zhejiang-hangzhou", f"/records/{row.key}"))
    assert full["data"]["fields"] == row.data["fields"] and full["status"] == "active"
    assert [v["version"] for v in full["history"]] == list(range(1, full["version"] + 1))
    entry = world.audit(before)[-1]
    assert (entry.action, entry.target, entry.actor) == ("record", row.key, "浙江杭州办理人")
    assert world.get("zhejiang-yiwu", f"/records/{row.key}").status_code == 404
    assert world.get("jiangsu-wuxi", "/records/no-such-key").status_code == 404


def test_list_filters_pages_and_refuses_unknown_filters(world: World) -> None:
    first, second = _hangzhou_case(world, 8), _hangzhou_case(world, 9)
    _ok(world.act("zhejiang-hangzhou", first, action="start"))
    active = _ok(world.get("zhejiang-hangzhou", "/cases", status="in_progress", size=100))
    numbers = {c["number"] for c in active["cases"]}
    assert first in numbers and second not in numbers
    assert {c["status_label"] for c in active["cases"]} == {"办理中"}
    assert not _ok(world.get("zhejiang-hangzhou", "/cases", kind="complaint", size=100))["cases"]
    page = _ok(world.get("zhejiang-hangzhou", "/cases", size=1, page=1))
    assert page["size"] == 1 and len(page["cases"]) == 1 and page["cases"][0]["number"] == second
    item = page["cases"][0]
    assert set(item) >= {
        "number", "kind", "kind_label", "status", "status_label", "subject_name",
        "intake_site", "handler", "received_at", "due_on", "overdue",
    }  # fmt: skip
    for params, field in (({"status": "closed"}, "status"), ({"kind": "x"}, "kind")):
        answer = world.get("zhejiang-hangzhou", "/cases", **params)
        assert answer.status_code == 422 and answer.json()["error"]["field"] == field
    assert world.get("zhejiang-hangzhou", "/cases", size=101).status_code == 422


# -- credit repair (sitegroup.cases.repair) --------------------------------------------


def test_an_objection_concluded_with_a_correction_repairs_the_record(world: World) -> None:
    row = world.record(sa.and_(records.c.region_code == "330106", records.c.kind == "license"), 1)
    number = world.objection(row).number
    _ok(world.act("zhejiang-hangzhou", number, action="start"))

    locked = world.act(
        "zhejiang-hangzhou",
        number,
        action="conclude",
        result="correct",
        comment="更正",
        changes={"document_no": "改了文书号"},
    )
    assert locked.status_code == 422 and locked.json()["error"]["field"] == "document_no"
    assert world.case(number).status == "in_progress"
    assert world.store.get_record(row.key).version == row.version

    detail = _ok(
        world.act(
            "zhejiang-hangzhou",
            number,
            action="conclude",
            result="correct",
            comment="经核实，许可内容有误，予以更正",
            changes={"content": "更正后的许可内容"},
        )
    )
    result = detail["result"]
    assert (result["code"], result["label"], result["changed"]) == ("correct", "更正", True)
    assert {"main", "zhejiang", "zhejiang-hangzhou"} <= set(result["affected"])
    assert result["index_error"] is None  # the search index was synced with the repair
    stored = world.store.get_record(row.key)
    assert stored.record.fields["content"] == "更正后的许可内容"
    assert stored.version == row.version + 1
    assert world.store.push_log(1)[0]["id"] == result["push_id"]
    history = _ok(world.get("zhejiang-hangzhou", f"/records/{row.key}"))["history"]
    assert [v["push_id"] for v in history][-1] == result["push_id"]


def test_an_objection_concluded_with_revocation_withdraws_the_record(world: World) -> None:
    row = world.record(sa.and_(records.c.region_code == "330106", records.c.kind == "penalty"))
    submitted = world.objection(row)
    _ok(world.act("zhejiang-hangzhou", submitted.number, action="start"))
    detail = _ok(
        world.act(
            "zhejiang-hangzhou",
            submitted.number,
            action="conclude",
            result="revoke",
            comment="处罚决定已被依法撤销，撤下公示",
        )
    )
    assert detail["result"]["code"] == "revoke" and detail["result"]["push_id"]
    assert world.store.get_record(row.key).status == "withdrawn"
    case = world.client.get(
        "/api/cases", params={"case_no": submitted.number, "code": submitted.code}
    ).json()
    assert (case["result"], case["result_label"]) == ("revoke", "撤销")


def test_the_handler_endpoints_are_documented(world: World) -> None:
    paths = world.client.get("/api/openapi.json").json()["paths"]
    assert {
        "/api/handler/me",
        "/api/handler/cases",
        "/api/handler/cases/{number}",
        "/api/handler/cases/{number}/actions",
        "/api/handler/cases/{number}/attachments/{attachment_id}",
        "/api/handler/records/{key}",
    } <= set(paths)
    assert paths["/api/handler/cases"]["get"]["tags"] == ["异议投诉办理"]


# -- accounts on the command line ------------------------------------------------------


def test_handler_accounts_are_made_listed_and_revoked_on_the_command_line(world: World) -> None:
    def cli(*args: str) -> Any:
        return CliRunner().invoke(main, [*args, "--database-url", world.store.url])

    add = cli("cases", "handler", "add", "--site", "zhejiang-yiwu", "--name", "义乌 李四",
              "--tenants", str(DEMO_TENANTS))  # fmt: skip
    assert add.exit_code == 0, add.output
    token = next(
        line.removeprefix("令牌：") for line in add.stdout.splitlines() if line.startswith("令牌：")
    )
    assert "只显示这一次" in add.stderr and token not in add.stderr
    bearer = {"Authorization": f"Bearer {token}"}
    me = world.client.get("/api/handler/me", headers=bearer).json()
    assert (me["name"], me["region_code"]) == ("义乌 李四", "330782")

    listed = cli("cases", "handler", "list", "--site", "zhejiang-yiwu")
    assert f"#{me['id']}  义乌 李四  zhejiang-yiwu（地区 330782）" in listed.output
    assert token not in listed.output
    revoked = cli("cases", "handler", "revoke", str(me["id"]))
    assert revoked.exit_code == 0 and "已停用办理人" in revoked.output
    assert world.client.get("/api/handler/me", headers=bearer).status_code == 401
    assert "已停用 " in cli("cases", "handler", "list").output
    assert cli("cases", "handler", "revoke", "999999").exit_code == 1

    for site, name, words in [
        ("zhejiang-yiwu", " ", "不能为空"),
        ("zhejiang-yiwu", "李\n四", "控制字符"),
        ("zhejiang-yiwu", "长" * 65, "过长"),
        ("guangdong", "王五", "未知站点"),
    ]:
        bad = cli("cases", "handler", "add", "--site", site, "--name", name,
                  "--tenants", str(DEMO_TENANTS))  # fmt: skip
        assert bad.exit_code == 2 and words in bad.output, (name, bad.output)
