"""信用查询 in a real browser: one question, one answer on every site of the group.

The page calls the search API served next to the demo build (demo data pushed, index
synced). Screenshots land in tests/browser/screenshots/ for a human to look at.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import api_get
from tests.browser.test_pages import DESKTOP, PHONE, WIDTHS, _format, _no_horizontal_scroll

pytestmark = pytest.mark.browser

#: A 杭州 (滨江区, 330108) subject of the demo data: two licences and one penalty.
SUBJECT = "杭州千禾汽车服务有限公司"
SUBJECT_CODE = "91330108MAG86TBG6K"
#: The same code with a wrong check character (it should be K).
BAD_CODE = "91330108MAG86TBG6X"
OFFLINE = "查询服务暂时无法访问，请稍后再试。公示栏目页面仍可正常浏览。"
DISCLOSURE = {
    "行政许可": "disclosure/licensing/",
    "行政处罚": "disclosure/penalties/",
    "红名单": "disclosure/redlist/",
    "黑名单": "disclosure/blacklist/",
}


@pytest.fixture(scope="module", autouse=True)
def api_with_demo_data(base_url: str) -> None:
    """The browser tests' server must answer searches over the pushed demo data."""
    status, body = api_get(base_url, "/api/health")
    documents = (body.get("index") or {}).get("documents") if status == 200 else None
    if not documents:
        pytest.fail(
            f"/api/health of the browser test server: {status} {body}. The `base_url` fixture "
            "must serve the API over the demo store with a synced index (demo_settings).",
            pytrace=False,
        )


def _ask(page, site: str, q: str, scope: str | None = None) -> None:
    """Open ``site``'s 信用查询 page, type ``q``, pick the scope, submit, wait for the answer."""
    page.goto(f"/{site}/query/")
    page.get_by_label("查询内容").fill(q)
    if scope == "all":
        page.get_by_role("radio", name="全国").check()
    elif scope == "local":
        page.get_by_role("radio", name=re.compile("^本地")).check()
    page.get_by_role("button", name="查 询").click()
    _answered(page)


def _answered(page) -> None:
    status = page.locator("#query-status")
    expect(status).not_to_be_empty()
    expect(status).not_to_contain_text("正在查询")


HITS = "#query-results > ol.hits > li.hit"


def _hits(page) -> list[tuple[str, str]]:
    """(subject name, 文书号) of every hit, in page order."""
    items = page.locator(HITS)
    return [
        (item.locator(".hit__name").inner_text(), item.locator(".hit__docno").inner_text())
        for item in items.all()
    ]


def _state(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# 1. The acceptance case: the same list on 浙江, 杭州 and (全国) 无锡 ---------------------------


@pytest.mark.parametrize("width", [360, 1280])
def test_same_question_same_list_on_every_site(open_page, screenshots, base_url, width):
    page = open_page(*WIDTHS[width])
    lists = {}
    for site, scope in (("zhejiang", None), ("zhejiang-hangzhou", None), ("jiangsu-wuxi", "all")):
        _ask(page, site, SUBJECT, scope)
        lists[site] = _hits(page)
        assert _state(page.url)["q"] == [SUBJECT]
        assert _state(page.url)["scope"] == [scope or "local"]
        page.screenshot(path=str(screenshots / f"{site}-query-{width}.png"), full_page=True)
        if width == 360:
            _no_horizontal_scroll(page, width)

    hangzhou = lists["zhejiang-hangzhou"]
    assert len(hangzhou) == 3 and {name for name, _ in hangzhou} == {SUBJECT}, hangzhou
    assert lists["zhejiang"] == hangzhou
    assert lists["jiangsu-wuxi"] == hangzhou
    # ... and it is the API's list, in the API's order: the page neither sorts nor filters.
    _, body = api_get(base_url, "/api/search", q=SUBJECT, site="jiangsu-wuxi", scope="all")
    assert [(h["subject_name"], h["document_no"]) for h in body["hits"]] == hangzhou

    first = page.locator(".hit").first
    assert first.locator(".badge--kind").inner_text() == "行政许可"
    meta = first.locator(".hit__meta").inner_text()
    for label in ("决定文书号", "决定日期", "决定机关", "所属地区", "浙江省杭州市滨江区"):
        assert label in meta, meta
    assert "第 1 / 1 页，共 3 条" in page.locator(".query-pager").inner_text()
    assert page.title() == f"“{SUBJECT}”的查询结果 - 信用查询 - 信用中国(江苏无锡)"


def test_local_scope_on_another_city_does_not_show_the_subject(open_page, screenshots):
    page = open_page(*DESKTOP)
    _ask(page, "jiangsu-wuxi", SUBJECT, "local")
    assert _hits(page) == []
    assert page.locator("#query-results").inner_text() == ""
    status = page.locator("#query-status")
    expect(status).to_contain_text(f"没有找到在江苏省无锡市范围内与“{SUBJECT}”相关的信用信息")
    page.screenshot(path=str(screenshots / "jiangsu-wuxi-query-none-1280.png"), full_page=True)

    # The message offers the nation-wide question, which does find it.
    status.get_by_role("link", name="改为在全国范围查询").click()
    _answered(page)
    assert _state(page.url)["scope"] == ["all"]
    assert page.get_by_role("radio", name="全国").is_checked()
    assert {name for name, _ in _hits(page)} == {SUBJECT}


# 2. The subject view, the back button, and a shared link ------------------------------------


@pytest.mark.parametrize("width", [360, 1280])
def test_subject_view(open_page, screenshots, width):
    page = open_page(*WIDTHS[width])
    _ask(page, "zhejiang-hangzhou", SUBJECT)
    results_url = page.url
    page.locator(".hit__subject").first.click()

    heading = page.get_by_role("heading", level=2, name=SUBJECT)
    expect(heading).to_be_visible()
    expect(heading).to_be_focused()
    assert _state(page.url)["subject"] == [SUBJECT_CODE]
    subject = page.locator("article.subject")
    assert SUBJECT_CODE in subject.locator(".hit__meta").first.inner_text()
    kinds = [h.inner_text() for h in subject.locator(".subject__kind h3").all()]
    assert kinds == ["行政许可（2 条）", "行政处罚（1 条）", "红名单（0 条）", "黑名单（0 条）"]
    assert subject.locator(".subject__kind .hit").count() == 3
    assert page.title() == f"{SUBJECT} - 主体信用信息 - 信用查询 - 信用中国(浙江杭州)"
    page.screenshot(
        path=str(screenshots / f"zhejiang-hangzhou-query-subject-{width}.png"), full_page=True
    )
    if width == 360:
        _no_horizontal_scroll(page, width)

    # The back button returns to the result list; the link back does the same.
    page.go_back()
    expect(page.locator(HITS)).to_have_count(3)
    assert page.url == results_url
    page.go_forward()
    expect(page.get_by_role("heading", level=2, name=SUBJECT)).to_be_visible()
    page.get_by_role("link", name="返回查询结果").click()
    _answered(page)
    expect(page.get_by_role("heading", level=2, name="查询结果")).to_be_focused()


def test_a_shared_link_runs_the_query(open_page):
    page = open_page(*DESKTOP)
    page.goto(f"/zhejiang/query/?q={SUBJECT}&scope=local&kind=penalty")
    _answered(page)
    assert page.get_by_label("查询内容").input_value() == SUBJECT
    assert page.get_by_role("checkbox", name="行政处罚").is_checked()
    assert len(_hits(page)) == 1
    page.goto(f"/zhejiang/query/?q={SUBJECT}&subject={SUBJECT_CODE}")
    expect(page.get_by_role("heading", level=2, name=SUBJECT)).to_be_visible()


def test_masthead_search_lands_on_the_results(open_page):
    page = open_page(*DESKTOP)
    page.goto("/zhejiang-hangzhou/")
    page.get_by_role("searchbox", name="信用信息查询").fill(SUBJECT)
    page.get_by_role("searchbox", name="信用信息查询").press("Enter")
    page.wait_for_url(re.compile(r"/zhejiang-hangzhou/query/\?"))
    _answered(page)
    assert len(_hits(page)) == 3


# 3. Facets and paging keep their state in the URL ------------------------------------------


def test_facets_and_paging(open_page, screenshots, base_url):
    page = open_page(*DESKTOP)
    _ask(page, "main", "有限公司")
    facets = page.get_by_role("navigation", name="按信息类别筛选")
    total = int(re.search(r"共 (\d+) 条", page.locator(".query-pager").inner_text())[1])
    all_count = facets.locator(".facets__item", has_text="全部").inner_text()
    assert f"（{total}）" in all_count

    penalty = facets.get_by_role("link", name=re.compile("^行政处罚"))
    count = int(re.search(r"（(\d+)）", penalty.inner_text())[1])
    assert count > 20, "the demo data should page the 行政处罚 of 有限公司"
    penalty.click()
    _answered(page)
    assert _state(page.url)["kind"] == ["penalty"]
    assert page.get_by_role("checkbox", name="行政处罚").is_checked()
    assert {b.inner_text() for b in page.locator(".hit .badge--kind").all()} == {"行政处罚"}
    pages = -(-count // 20)
    pager = page.get_by_role("navigation", name="查询结果分页")
    assert f"第 1 / {pages} 页，共 {count} 条" in pager.inner_text()
    first_page = _hits(page)

    pager.get_by_role("link", name="下一页").click()
    _answered(page)
    assert _state(page.url)["page"] == ["2"]
    assert f"第 2 / {pages} 页，共 {count} 条" in pager.inner_text()
    assert page.locator("ol.hits").get_attribute("start") == "21"
    second_page = _hits(page)
    assert second_page and not set(second_page) & set(first_page)
    _, body = api_get(base_url, "/api/search", q="有限公司", kind="penalty", page="2")
    assert [(h["subject_name"], h["document_no"]) for h in body["hits"]] == second_page
    page.screenshot(path=str(screenshots / "main-query-page2-1280.png"), full_page=True)

    page.go_back()
    expect(pager).to_contain_text(f"第 1 / {pages} 页")
    _answered(page)
    assert "page" not in _state(page.url)
    assert _hits(page) == first_page
    pager.get_by_role("link", name="下一页").click()
    expect(pager).to_contain_text(f"第 2 / {pages} 页")
    pager.get_by_role("link", name="上一页").click()
    expect(pager).to_contain_text(f"第 1 / {pages} 页")
    _answered(page)
    assert _hits(page) == first_page


# 4. Messages: a bad code, a too short question, the API unreachable --------------------------


def test_bad_check_character_shows_the_api_message(open_page, base_url):
    page = open_page(*DESKTOP)
    status_code, body = api_get(base_url, "/api/search", q=BAD_CODE)
    assert status_code == 422
    message = body["error"]["message"]
    assert "校验位" in message
    _ask(page, "zhejiang", BAD_CODE)
    expect(page.locator("#query-status")).to_have_text(message)
    assert page.get_by_label("查询内容").get_attribute("aria-invalid") == "true"
    assert _hits(page) == []
    # The subject view of a bad code says the same.
    page.goto(f"/zhejiang/query/?subject={BAD_CODE}")
    _answered(page)
    _, body = api_get(base_url, f"/api/subjects/{BAD_CODE}")
    expect(page.locator("#query-status")).to_have_text(body["error"]["message"])


def test_too_short_a_question_is_not_sent(open_page):
    page = open_page(*DESKTOP)
    asked = []
    page.on(
        "request",
        lambda r: asked.append(r.url) if "/api/" in r.url and "/api/hits" not in r.url else None,
    )  # the page view beacon goes out; no question does
    _ask(page, "zhejiang", "杭")
    expect(page.locator("#query-status")).to_contain_text("查询内容太短")
    assert asked == []
    assert "q" not in _state(page.url)


@pytest.mark.parametrize("how", ["network", "503"])
def test_api_unreachable(open_page, screenshots, how):
    page = open_page(*PHONE)
    if how == "network":
        page.route("**/api/**", lambda route: route.abort())
    else:
        error = {"error": {"code": "search_unavailable", "message": "检索服务不可用"}}
        page.route(
            "**/api/**",
            lambda route: route.fulfill(
                status=503, content_type="application/json", body=json.dumps(error)
            ),
        )
    _ask(page, "zhejiang-hangzhou", SUBJECT)
    status = page.locator("#query-status")
    expect(status).to_contain_text(OFFLINE)
    links = status.get_by_role("link")
    assert {a.inner_text(): a.get_attribute("href") for a in links.all()} == {
        title: f"/zhejiang-hangzhou/{path}" for title, path in DISCLOSURE.items()
    }
    assert _hits(page) == []
    _no_horizontal_scroll(page, PHONE[0])
    page.screenshot(
        path=str(screenshots / f"zhejiang-hangzhou-query-offline-{how}-360.png"), full_page=True
    )
    # The 公示 columns are static pages: they keep working.
    status.get_by_role("link", name="行政处罚").click()
    page.wait_for_url(re.compile(r"/zhejiang-hangzhou/disclosure/penalties/$"))
    assert page.locator("tr.record").count() > 0


# 5. axe-core on the page with results and on the subject view -------------------------------


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("view", ["results", "subject", "offline"])
def test_axe_query_results(open_page, axe_js, view, width):
    page = open_page(*WIDTHS[width])
    if view == "offline":
        page.route("**/api/**", lambda route: route.abort())
    _ask(page, "zhejiang-hangzhou", SUBJECT)
    if view == "subject":
        page.locator(".hit__subject").first.click()
        expect(page.get_by_role("heading", level=2, name=SUBJECT)).to_be_visible()
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on the query {view} at {width}px:\n{_format(bad)}"
