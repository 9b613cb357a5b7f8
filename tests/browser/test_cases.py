"""异议投诉 in a real browser: an objection filed on one site is followed on another.

An objection about a published 杭州 record is filed on 信用中国(浙江杭州) with HTML and script
in its fields, then followed by its number and query code on 信用中国(湖北): the same status,
handling site and history, and the markup shows as text without ever running. Every test
runs against the API on the SQLite demo store and on a PostgreSQL copy of it (the pages are
the same demo build). No file is attached: multipart intake is tested on the API side.
Screenshots land in tests/browser/screenshots/ for a human to look at.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from search_api.preview import create_preview_app
from sitegroup.config import Settings
from sitegroup.store import ACTIVE, open_store
from sitegroup.store.tables import case_events, cases, records
from sitegroup.tenants.loader import load_group
from sitegroup.theme import Theme
from tests.browser.conftest import ROOT_SITE, api_get
from tests.browser.test_pages import DESKTOP, _format, _no_horizontal_scroll
from tests.conftest import DEMO_TENANTS, postgres_database, push_demo_data
from tests.servers import free_port

pytestmark = pytest.mark.browser

INTAKE = "zhejiang-hangzhou"  # where the objection is filed (and the record's region)
FOLLOW = "hubei"  # another site of the group, where it is followed
PHONE_VIEW = (375, 812)
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'
REASON = "该行政许可信息中的许可内容有误，已于上月变更，请求核实后更正。" + XSS
NOT_FOUND = "受理编号或查询码不正确"
#: Any <img>/<script> node the page creates from the injected text (src="x" or "__xss" in
#: its markup) is recorded here from the first byte on; the list must stay empty.
WATCH_NODES = """
window.__created = [];
new MutationObserver(function (changes) {
  changes.forEach(function (change) {
    change.addedNodes.forEach(function (node) {
      if (!node.querySelectorAll) {
        return;
      }
      [node].concat([].slice.call(node.querySelectorAll("img,script"))).forEach(function (n) {
        if ((n.tagName === "IMG" || n.tagName === "SCRIPT") &&
            (n.getAttribute("src") === "x" || (n.outerHTML || "").indexOf("__xss") !== -1)) {
          window.__created.push(n.outerHTML);
        }
      });
    });
  });
}).observe(document, {childList: true, subtree: true});
"""


# -- One server per store: the demo build with the API on SQLite or on PostgreSQL ----------


@contextlib.contextmanager
def _serving(app) -> Iterator[str]:
    """``app`` on a free loopback port in a thread (as ``base_url`` runs it); its base url."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="cases-preview", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the PostgreSQL preview server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest,
    build_dir: Path,
    demo_settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
    theme: Theme,
) -> Iterator[tuple[str, str | None]]:
    """(store url, base url): the SQLite demo store behind the session's preview server
    (base url ``None``: ``base_url`` serves it), or a PostgreSQL store with the same demo
    push behind a second server of the same build. Each test files at most one case here,
    far below the per-address intake limit."""
    if request.param == "sqlite":
        yield demo_settings.database_url, None
        return
    from sitegroup.search import open_index
    from sitegroup.search.sync import rebuild_index

    with postgres_database() as url:
        with open_store(url, upgrade=True) as store:
            push_demo_data(store, load_group(DEMO_TENANTS, theme))
            settings = Settings(
                database_url=url,
                search_path=tmp_path_factory.mktemp("cases-pg-index") / "search.sqlite3",
                tenants_dir=DEMO_TENANTS,
            )
            index = open_index(settings)
            rebuild_index(store, index)
            index.close()
        with _serving(create_preview_app(build_dir, ROOT_SITE, settings)) as base:
            yield url, base


@pytest.fixture(scope="module")
def base_url(base_url: str, served: tuple[str, str | None]) -> str:
    """The session's server, or the PostgreSQL one: ``open_page`` talks to this."""
    return served[1] or base_url


@pytest.fixture
def store_kind(served: tuple[str, str | None]) -> str:
    return "sqlite" if served[0].startswith("sqlite") else "postgresql"


@pytest.fixture
def engine(served: tuple[str, str | None]) -> Iterator[sa.Engine]:
    engine = sa.create_engine(served[0])
    yield engine
    engine.dispose()


@pytest.fixture
def record(engine: sa.Engine) -> sa.Row:
    """A published record of a legal person under 杭州 (it belongs to 信用中国(浙江杭州))."""
    q = (
        sa.select(records)
        .where(
            records.c.region_code.like("3301%"),
            records.c.status == ACTIVE,
            records.c.subject_code.like("91%"),
        )
        .order_by(records.c.key)
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(q).first()
    assert row is not None, "the demo data has no published 杭州 record"
    return row


def _counts(engine: sa.Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar_one(),
            conn.execute(sa.select(sa.func.count()).select_from(case_events)).scalar_one(),
        )


def _api_submit(base_url: str, fields: dict[str, str]) -> dict:
    """POST a case as a plain HTML form would (not through a page)."""
    request = urllib.request.Request(
        base_url + "/api/cases", data=urlencode(fields).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.load(response)


# -- Page helpers ---------------------------------------------------------------------------


def _open(open_page, size: tuple[int, int], path: str):
    page = open_page(*size)
    page.add_init_script(WATCH_NODES)
    response = page.goto(path)
    assert response is not None and response.ok, path
    return page


def _fill_objection(page, record: sa.Row, *, phone: str = "13800138000", **extra: str) -> None:
    form = page.locator("#objection-form")
    form.get_by_label("主体名称").fill(extra.get("subject_name", "测试" + XSS))
    form.get_by_label("统一社会信用代码或身份证号").fill(record.subject_code)
    form.get_by_label("异议信息(决定文书号)").fill(record.document_no)
    form.get_by_label("异议理由").fill(REASON)
    form.get_by_label("更正请求").fill(extra.get("correction", "更正为：" + XSS))
    form.get_by_label("联系人").fill("张<b>三</b>")
    form.get_by_label("联系电话").fill(phone)
    form.get_by_label("电子邮箱").fill(extra.get("email", "zhang@example.cn"))


def _track(page, number: str, code: str) -> None:
    form = page.locator("#track-form")
    form.get_by_label("受理编号").fill(number)
    form.get_by_label("查询码").fill(code)
    form.get_by_role("button", name="查询进度").click()


def _facts(card) -> dict[str, str]:
    """The follow-up's 类别/当前状态/办理单位/… as label → text."""
    return {
        div.locator("dt").inner_text(): div.locator("dd").inner_text()
        for div in card.locator(".case-facts > div").all()
    }


def _no_injection(page) -> None:
    """The injected markup ran nowhere and created no element."""
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("window.__created") == []
    assert page.locator('img[src="x"]').count() == 0
    assert (
        page.evaluate("[...document.scripts].filter(s => s.textContent.includes('__xss')).length")
        == 0
    )


def _axe(page, axe_js: Path, what: str) -> None:
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on the objections page ({what}):\n{_format(bad)}"


# 1 + 2. Filed on 信用中国(浙江杭州), followed on 信用中国(湖北) ------------------------------


def test_objection_filed_on_one_site_is_followed_on_another(
    open_page, screenshots, axe_js, base_url, engine, record, store_kind
):
    page = _open(open_page, DESKTOP, f"/{INTAKE}/objections/")
    assert page.title() == "异议投诉 - 信用中国(浙江杭州)"
    _fill_objection(page, record)
    before = _counts(engine)
    page.get_by_role("button", name="提交异议").click()

    done = page.locator("#objection-feedback [role=status]")
    expect(done).to_be_visible()
    expect(done).to_be_focused()
    number = done.locator("dd.case-keys__no").inner_text()
    code = done.locator("dd.case-keys__code").inner_text()
    assert number.startswith("YY") and len(number) == 18, number
    assert len(code) == 8, code
    expect(done).to_contain_text("已受理，分派至信用中国(浙江杭州)办理。")
    expect(done).to_contain_text("在任一信用中国网站的异议投诉页面，凭受理编号和查询码均可查询")
    link = done.get_by_role("link", name="查询本件办理进度")
    href = link.get_attribute("href")
    assert href == f"/{INTAKE}/objections/?case_no={number}#track", href
    assert code not in href
    assert _counts(engine) == (before[0] + 1, before[1] + 2)
    # The form is emptied (no double filing); the follow-up form already has the number.
    assert page.locator("#o-subject").input_value() == ""
    assert page.locator("#t-no").input_value() == number
    _no_injection(page)
    page.screenshot(
        path=str(screenshots / f"{INTAKE}-objection-submitted-1280-{store_kind}.png"),
        full_page=True,
    )
    _axe(page, axe_js, "success box")

    # Stored exactly as typed: the markup is data, and only the page decides how to show it.
    with engine.connect() as conn:
        row = conn.execute(sa.select(cases).where(cases.c.number == number)).one()
    assert row.subject_name == "测试" + XSS
    assert row.record_key == record.key

    # The 复制 button copies number and code (or says to write them down).
    done.get_by_role("button", name="复制编号和查询码").click()
    expect(done.locator(".case-copy__done")).to_have_text(
        re.compile("^(已复制|无法自动复制，请手工记下)$")
    )

    # The direct link opens the follow-up with the number filled in, never the code.
    link.click()
    page.wait_for_url(f"**/{INTAKE}/objections/?case_no={number}#track")
    assert page.locator("#t-no").input_value() == number
    assert page.locator("#t-code").input_value() == ""

    # 2. Another site of the group: the same case, status, handling site and history.
    other = _open(open_page, DESKTOP, f"/{FOLLOW}/objections/")
    assert other.title() == "异议投诉 - 信用中国(湖北)"
    _track(other, number, code.lower())  # the code is not case-sensitive
    card = other.locator("#track-result article")
    expect(card).to_be_visible()
    expect(other.locator("#track-title")).to_be_focused()
    status, api = api_get(base_url, "/api/cases", case_no=number, code=code)
    assert status == 200 and api["status_label"] == "已分派"

    expect(card.locator(".case-status")).to_have_text("已分派")
    current = card.locator(".case-steps li[aria-current=step]")
    expect(current.locator(".case-steps__label")).to_have_text("已分派")
    labels = card.locator(".case-steps__label").all_inner_texts()
    assert labels == ["已受理", "已分派", "办理中", "已办结", "已反馈"]
    assert card.locator(".case-steps li.is-done").count() == 1
    facts = _facts(card)
    assert facts["类别"] == "信用异议"
    assert facts["当前状态"] == "已分派"
    assert facts["办理单位"] == "信用中国(浙江杭州)"
    assert facts["主体名称"] == "测试" + XSS  # the markup, shown as literal text
    history = card.locator(".case-history > li")
    assert history.count() == len(api["history"]) == 2
    for item, event in zip(history.all(), api["history"], strict=True):
        assert item.locator("strong").inner_text() == event["status_label"]
        assert item.locator(".case-history__comment").inner_text() == event["comment"]
        assert item.locator("time").get_attribute("datetime") == event["at"]
    assert [h["status_label"] for h in api["history"]] == ["已受理", "已分派"]
    assert "信用中国(浙江杭州)" in api["history"][1]["comment"]
    _no_injection(other)
    _no_injection(page)
    other.screenshot(
        path=str(screenshots / f"{FOLLOW}-objection-followed-1280-{store_kind}.png"),
        full_page=True,
    )
    _axe(other, axe_js, "follow-up")


# 3. A wrong code, a bad phone, and the API unreachable ---------------------------------------


def test_wrong_code_shows_the_not_found_message(open_page, base_url, record):
    answer = _api_submit(
        base_url,
        {
            "kind": "objection",
            "site": INTAKE,
            "subject_name": record.subject_name,
            "subject_code": record.subject_code,
            "record": record.document_no,
            "reason": REASON,
            "phone": "0571-85252525",
        },
    )
    wrong = "".join("2" if c != "2" else "3" for c in answer["code"])
    page = _open(open_page, DESKTOP, f"/{FOLLOW}/objections/?case_no={answer['number']}")
    assert page.locator("#t-no").input_value() == answer["number"]
    page.get_by_label("查询码").fill(wrong)
    page.get_by_role("button", name="查询进度").click()
    alert = page.locator("#track-feedback [role=alert]")
    expect(alert).to_contain_text(NOT_FOUND)
    _, body = api_get(base_url, "/api/cases", case_no=answer["number"], code=wrong)
    expect(alert).to_have_text(body["error"]["message"])
    assert page.locator("#track-result").inner_text() == ""

    # An empty code is not sent: the field says what is missing.
    page.get_by_label("查询码").fill("")
    page.get_by_role("button", name="查询进度").click()
    expect(page.locator("#t-code-error")).to_have_text("请填写查询码")
    expect(page.locator("#t-code")).to_be_focused()


@pytest.mark.parametrize("size", [DESKTOP, PHONE_VIEW], ids=["1280", "375"])
def test_refused_fields_are_marked(
    open_page, screenshots, axe_js, base_url, engine, record, size, store_kind
):
    # Arriving from a record: the objection is prefilled with it.
    query = urlencode(
        {
            "record": record.document_no,
            "subject_code": record.subject_code,
            "subject_name": record.subject_name,
        }
    )
    page = _open(open_page, size, f"/{INTAKE}/objections/?{query}")
    form = page.locator("#objection-form")
    assert form.get_by_label("异议信息(决定文书号)").input_value() == record.document_no
    assert form.get_by_label("统一社会信用代码或身份证号").input_value() == record.subject_code
    assert form.get_by_label("主体名称").input_value() == record.subject_name

    _fill_objection(page, record, phone="12345", email="not-an-email")
    before = _counts(engine)
    form.get_by_role("button", name="提交异议").click()

    phone = page.locator("#o-phone")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_be_focused()
    message = page.locator("#o-phone-error")
    expect(message).to_have_text("联系电话格式不正确：请填写 11 位手机号或带区号的固定电话")
    assert "o-phone-error" in phone.get_attribute("aria-describedby").split()
    assert "o-phone-hint" in phone.get_attribute("aria-describedby").split()
    expect(page.locator("#o-email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#o-email-error")).to_have_text("电子邮箱格式不正确")
    expect(page.locator("#objection-feedback [role=alert]")).to_contain_text("标出的 2 处")
    assert page.locator("#objection-form [aria-invalid]").count() == 2
    assert _counts(engine) == before  # nothing stored
    _no_injection(page)
    width = size[0]
    if width == PHONE_VIEW[0]:
        _no_horizontal_scroll(page, width)
    page.screenshot(
        path=str(screenshots / f"{INTAKE}-objection-errors-{width}-{store_kind}.png"),
        full_page=True,
    )
    _axe(page, axe_js, f"field errors at {width}px")

    # Typing a correction clears that field's mark.
    phone.fill("13800138000")
    expect(phone).not_to_have_attribute("aria-invalid", "true")
    assert page.locator("#o-phone-error").count() == 0


@pytest.mark.parametrize("how", ["network", "429", "503"])
def test_api_failure_shows_an_alert(open_page, record, how):
    page = open_page(*DESKTOP)
    message = {
        "network": "无法连接异议投诉服务",
        "429": "提交过于频繁：同一网络地址每小时最多提交 5 件，请 12 分钟后再试",
        "503": "服务暂时不可用（503）",
    }[how]
    if how == "network":
        page.route("**/api/cases", lambda route: route.abort())
    elif how == "429":
        body = json.dumps({"error": {"code": "too_many_cases", "message": message}})
        page.route(
            "**/api/cases",
            lambda route: route.fulfill(status=429, content_type="application/json", body=body),
        )
    else:  # a proxy's HTML error page, not the API's JSON
        page.route(
            "**/api/cases",
            lambda route: route.fulfill(status=503, content_type="text/html", body="<h1>503</h1>"),
        )
    page.goto(f"/{INTAKE}/objections/")
    _fill_objection(page, record)
    page.get_by_role("button", name="提交异议").click()
    alert = page.locator("#objection-feedback [role=alert]")
    expect(alert).to_contain_text(message)
    # What was typed is still there to send again.
    assert page.locator("#o-reason").input_value() == REASON
    expect(page.get_by_role("button", name="提交异议")).to_be_enabled()


# 4. The follow-up on a phone ------------------------------------------------------------------


def test_follow_up_on_a_phone(open_page, screenshots, axe_js, base_url, record, store_kind):
    answer = _api_submit(
        base_url,
        {
            "kind": "complaint",
            "site": FOLLOW,
            "subject_name": "测试" + XSS,
            "subject_code": record.subject_code,
            "reason": "该企业长期拖欠货款且拒不履行合同义务。" + XSS,
            "phone": "13900139000",
        },
    )
    assert answer["handler"]["name"] == "信用中国(浙江杭州)"
    page = _open(open_page, PHONE_VIEW, f"/{FOLLOW}/objections/")
    _track(page, answer["number"], answer["code"])
    card = page.locator("#track-result article")
    expect(card).to_be_visible()
    expect(card.locator(".case-status")).to_have_text("已分派")
    assert card.locator(".case-facts").inner_text().count("信用中国(浙江杭州)") == 1
    assert "失信投诉" in card.locator(".case-facts").inner_text()
    assert card.locator(".case-history > li").count() == 2
    _no_injection(page)
    _no_horizontal_scroll(page, PHONE_VIEW[0])
    # The five steps fit side by side, each label on one line.
    heights = card.locator(".case-steps__label").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert max(heights) < 30, heights
    card.scroll_into_view_if_needed()
    page.screenshot(
        path=str(screenshots / f"{FOLLOW}-case-followed-375-{store_kind}.png"), full_page=True
    )
    _axe(page, axe_js, "follow-up at 375px")


# 5. A concluded and answered case: result and reply, shown as text ------------------------


def test_result_and_reply_are_shown_as_text(open_page, screenshots, axe_js, store_kind):
    """The API's answer for an answered case (mocked here: handling is tested on the API
    side), with markup in the reply and a comment."""
    answered = {
        "number": "YY2026112300000042",
        "kind": "objection",
        "kind_label": "信用异议",
        "status": "answered",
        "status_label": "已反馈",
        "subject_name": "测试" + XSS,
        "received_at": "2026-11-23T09:00:00+08:00",
        "updated_at": "2026-11-27T16:30:00+08:00",
        "handler": {"site": INTAKE, "name": "信用中国(浙江杭州)"},
        "due_on": "2026-12-07",
        "result": "correct",
        "result_label": "更正",
        "reply": "经核实，已更正该条公示信息。\n" + XSS,
        "history": [
            {
                "at": "2026-11-23T09:00:00+08:00",
                "status": s,
                "status_label": label,
                "action": a,
                "action_label": al,
                "comment": c,
            }
            for s, label, a, al, c in [
                ("received", "已受理", "receive", "受理", "由信用中国(湖北)集中受理"),
                ("dispatched", "已分派", "dispatch", "分派", "按异议信息所属地区分派"),
                ("in_progress", "办理中", "accept", "开始办理", "已开始核查"),
                ("concluded", "已办结", "conclude", "办结", "核查属实，予以更正" + XSS),
                ("answered", "已反馈", "answer", "答复", "已答复申请人"),
            ]
        ],
    }
    page = _open(open_page, DESKTOP, f"/{FOLLOW}/objections/")
    page.route(
        "**/api/cases?*",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(answered)
        ),
    )
    _track(page, answered["number"], "ABCDEFGH")
    card = page.locator("#track-result article")
    expect(card).to_be_visible()
    assert card.locator(".case-steps li.is-done").count() == 4
    expect(card.locator(".case-steps li[aria-current=step]")).to_contain_text("已反馈")
    facts = _facts(card)
    assert facts["办理结果"] == "更正"
    assert facts["主体名称"] == "测试" + XSS
    assert "办理期限" not in facts  # concluded: the deadline no longer matters
    expect(card.locator(".case-reply__text")).to_have_text(answered["reply"])
    comments = card.locator(".case-history__comment").all_inner_texts()
    assert comments[3] == "核查属实，予以更正" + XSS
    assert card.locator(".case-history__action").all_inner_texts() == [
        "受理",
        "分派",
        "开始办理",
        "办结",
        "答复",
    ]
    _no_injection(page)
    page.screenshot(
        path=str(screenshots / f"{FOLLOW}-case-answered-1280-{store_kind}.png"), full_page=True
    )
    _axe(page, axe_js, "answered case")
