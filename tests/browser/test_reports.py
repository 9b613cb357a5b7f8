"""信用报告 in a real browser: issue a report on 信用查询, verify it on 信用报告核验.

A real report of a 杭州 company is issued through the API of the browser test server, then
checked on the 核验 page of another site of the group: by number and code (真实有效), with a
wrong code (未找到), by uploading the PDF (真实有效) and a tampered copy (内容被改动), and by
the link of the report's QR code (the check runs on arrival). On 信用查询 the subject view's
button and a natural person's 信用报告 button download the PDF. Screenshots land in
tests/browser/screenshots/ for a human to look at.
"""

from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import api_get
from tests.browser.test_pages import DESKTOP, _format, _no_horizontal_scroll

pytestmark = pytest.mark.browser

ISSUER = "zhejiang-hangzhou"  # the site that issues the report (the subject's region)
CHECKER = "hubei"  # another site of the group, where it is verified
PHONE_VIEW = (375, 812)
#: A 杭州 (滨江区) legal person of the demo data with two licences and one penalty.
SUBJECT = "杭州千禾汽车服务有限公司"
SUBJECT_CODE = "91330108MAG86TBG6K"
#: A natural person of the demo data under 杭州 (no public code: the report is asked for by
#: the key of one of their records).
PERSON = "张勇"
#: The alphabet of verification codes (no 0/O, 1/I/L).
CODE_CHARS = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BEIJING = timezone(timedelta(hours=8))
CODE = re.compile(rf"[{CODE_CHARS}]{{4}}-?[{CODE_CHARS}]{{4}}")


# -- A real report, issued once for the module ---------------------------------------------


@dataclass(frozen=True)
class Issued:
    """A report issued by the API: its number, verification code and PDF bytes."""

    number: str
    code: str
    pdf: bytes
    verify_url: str


def _pdf_text(pdf: bytes) -> str:
    """The report's text, every page, without white space (lines may break anywhere)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pages))


def _verification_code(pdf: bytes) -> tuple[str, str]:
    """(code, verify link) as printed on the report: 核验码 XXXX-XXXX and the 核验网址."""
    text = _pdf_text(pdf)
    found = re.search(rf"核验码[：:]?({CODE.pattern})", text)
    assert found, f"no 核验码 in the report's text: {text[:800]}"
    link = re.search(r"https?://\S+?/services/verify/\?no=BG\d{16}&code=" + CODE.pattern, text)
    return found.group(1), link.group(0) if link else ""


def _issue(base_url: str, code: str, site: str) -> tuple[int, dict[str, str], bytes]:
    url = f"{base_url}/api/reports/{code}?{urlencode({'site': site})}"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


@pytest.fixture(scope="module")
def issued(base_url: str) -> Issued:
    status, headers, body = _issue(base_url, SUBJECT_CODE, ISSUER)
    if status == 404 and not body.startswith(b"{"):
        pytest.fail("GET /api/reports/{code} is not served: is search_api.reports registered?")
    assert status == 200, f"{status}: {body[:300]!r}"
    assert headers["content-type"].startswith("application/pdf")
    assert body.startswith(b"%PDF")
    number = headers["x-report-no"]
    assert re.fullmatch(r"BG\d{16}", number), number
    code, link = _verification_code(body)
    return Issued(number=number, code=code, pdf=body, verify_url=link)


def _tampered(pdf: bytes) -> bytes:
    """The report with one byte changed in the middle of the file (inside a page, font or
    image stream), in place: the same number in its document info, not the issued file."""
    at = len(pdf) // 2
    edited = pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]
    number = re.compile(rb"/ReportNo\s*<[0-9A-Fa-f]+>")
    assert number.search(edited) and number.search(edited)[0] == number.search(pdf)[0]
    return edited


# -- Page helpers ---------------------------------------------------------------------------


def _verify_page(open_page, size: tuple[int, int], site: str, query: str = ""):
    page = open_page(*size)
    response = page.goto(f"/{site}/services/verify/{query}")
    assert response is not None and response.ok
    return page


def _by_code(page, number: str, code: str) -> None:
    form = page.locator("#verify-code-form")
    form.get_by_label("报告编号").fill(number)
    form.get_by_label("核验码").fill(code)
    form.get_by_role("button", name="核 验").click()


def _upload(page, name: str, data: bytes, mime: str = "application/pdf") -> None:
    form = page.locator("#verify-file-form")
    form.get_by_label("报告 PDF 文件").set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}
    )
    form.get_by_role("button", name="上传并核验").click()


def _card(page, status: str):
    card = page.locator(f"#verify-result article[data-status={status}]")
    expect(card).to_be_visible()
    return card


def _facts(card) -> dict[str, str]:
    return {
        div.locator("dt").inner_text(): div.locator("dd").inner_text()
        for div in card.locator(".verify-facts > div").all()
    }


def _beijing(iso: str) -> str:
    """The API's ISO time as the page shows it: Beijing time, to the minute."""
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(BEIJING)
    return moment.strftime("%Y-%m-%d %H:%M")


def _api_upload(base_url: str, pdf: bytes) -> dict:
    """POST a PDF to the verify endpoint directly (not through a page): the JSON answer."""
    response = httpx.post(
        f"{base_url}/api/reports/verify",
        files={"file": ("report.pdf", pdf, "application/pdf")},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _assert_authentic(card, api: dict, number: str) -> None:
    expect(card.locator(".verify-card__verdict")).to_have_text("真实有效")
    facts = _facts(card)
    assert facts["报告编号"] == number
    assert facts["主体名称"] == api["subject"]["name"] == SUBJECT
    assert facts["主体类别"] == api["subject"]["type"]
    assert facts["统一社会信用代码"] == api["subject"]["code"] == SUBJECT_CODE
    assert facts["出具网站"] == api["site"]["name"] == "信用中国(浙江杭州)"
    assert facts["出具时间"] == _beijing(api["issued_at"])
    assert facts["数据截止时间"] == _beijing(api["data_cutoff"])
    expect(card.locator(".verify-card__message")).to_have_text(api["message"])


def _axe(page, axe_js: Path, what: str) -> None:
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on the 核验 page ({what}):\n{_format(bad)}"


# 1. The page itself, at desktop and phone width -------------------------------------------


@pytest.mark.parametrize("size", [DESKTOP, PHONE_VIEW], ids=["1280", "375"])
def test_verify_page_renders(open_page, screenshots, axe_js, size):
    page = _verify_page(open_page, size, ISSUER)
    assert page.title() == "信用报告核验 - 信用中国(浙江杭州)"
    expect(page.get_by_role("heading", level=1)).to_have_text("信用报告核验")
    expect(page.locator("#verify-code-form")).to_be_visible()
    expect(page.locator("#verify-file-form")).to_be_visible()
    assert page.locator("#verify-file-form").get_attribute("action") == "/api/reports/verify"
    # It sits in 信用服务, next to 信用报告, on every site.
    side = page.get_by_role("complementary", name="信用服务栏目")
    expect(side.locator("a[aria-current=page]")).to_have_text("信用报告核验")
    assert page.locator("#verify-status").get_attribute("aria-live") == "polite"
    width = size[0]
    if width == PHONE_VIEW[0]:
        _no_horizontal_scroll(page, width)
    page.screenshot(path=str(screenshots / f"{ISSUER}-verify-{width}.png"), full_page=True)
    _axe(page, axe_js, f"empty at {width}px")


def test_verify_page_without_javascript(browser, base_url):
    ctx = browser.new_context(java_script_enabled=False, base_url=base_url, locale="zh-CN")
    try:
        page = ctx.new_page()
        page.goto(f"/{CHECKER}/services/verify/")
        body = page.locator("main").inner_text()
        assert "未启用 JavaScript" in body and "authentic 表示真实有效" in body
        # Only the upload form, which posts to the API, is offered.
        expect(page.locator("#verify-code-form")).to_be_hidden()
        expect(page.locator("#verify-file-form")).to_be_visible()
    finally:
        ctx.close()


# 2. By number and code, on another site of the group --------------------------------------


def test_number_and_code_show_authentic(open_page, screenshots, axe_js, base_url, issued):
    page = _verify_page(open_page, DESKTOP, CHECKER)
    # As a visitor types it: lower case, without the dash, with stray spaces.
    _by_code(page, f" {issued.number.lower()} ", issued.code.replace("-", "").lower())
    card = _card(page, "authentic")
    expect(page.locator("#verify-title")).to_be_focused()
    status, api = api_get(base_url, f"/api/reports/verify/{issued.number}", code=issued.code)
    assert status == 200 and api["status"] == "authentic", api
    _assert_authentic(card, api, issued.number)
    expect(page.locator("#verify-status")).to_contain_text("核验结果：真实有效")
    assert page.locator("#v-no").input_value() == issued.number
    page.screenshot(path=str(screenshots / f"{CHECKER}-verify-authentic-1280.png"), full_page=True)
    _axe(page, axe_js, "authentic")


def test_wrong_code_shows_not_found(open_page, screenshots, base_url, issued):
    page = _verify_page(open_page, DESKTOP, CHECKER)
    plain = issued.code.replace("-", "")
    wrong = "".join(CODE_CHARS[(CODE_CHARS.index(c) + 1) % len(CODE_CHARS)] for c in plain)
    _by_code(page, issued.number, wrong)
    card = _card(page, "not_found")
    expect(card.locator(".verify-card__verdict")).to_have_text("未找到")
    status, body = api_get(base_url, f"/api/reports/verify/{issued.number}", code=wrong)
    assert status == 404
    expect(card.locator(".verify-card__message")).to_have_text(body["error"]["message"])
    assert card.locator(".verify-facts").count() == 0  # nothing about the real report leaks
    page.screenshot(path=str(screenshots / f"{CHECKER}-verify-not-found-1280.png"), full_page=True)

    # A malformed number: the API's 422 message under the field it names.
    _by_code(page, "BG123", issued.code)
    status, body = api_get(base_url, "/api/reports/verify/BG123", code=issued.code)
    assert status == 422 and body["error"]["field"] == "report_no", body
    field = page.locator("#v-no")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    expect(page.locator("#v-no-error")).to_have_text(body["error"]["message"])
    expect(page.locator("#verify-status")).to_have_text(body["error"]["message"])
    assert page.locator("#verify-result").inner_text() == ""

    # An empty code is not sent: the field says what is missing.
    page.locator("#v-no").fill(issued.number)
    page.locator("#v-code").fill("")
    page.get_by_role("button", name="核 验").click()
    expect(page.locator("#v-code-error")).to_have_text("请填写核验码")
    expect(page.locator("#v-code")).to_be_focused()
    expect(page.locator("#v-no")).not_to_have_attribute("aria-invalid", "true")


# 3. By the PDF file: the original, and a tampered copy ---------------------------------------


def test_uploaded_report_is_authentic(open_page, base_url, issued):
    page = _verify_page(open_page, DESKTOP, CHECKER)
    _upload(page, f"信用信息报告-{issued.number}.pdf", issued.pdf)
    card = _card(page, "authentic")
    api = _api_upload(base_url, issued.pdf)
    assert api["status"] == "authentic", api
    _assert_authentic(card, api, issued.number)


@pytest.mark.parametrize("size", [DESKTOP, PHONE_VIEW], ids=["1280", "375"])
def test_tampered_report_is_altered(open_page, screenshots, axe_js, base_url, issued, size):
    page = _verify_page(open_page, size, CHECKER)
    tampered = _tampered(issued.pdf)
    _upload(page, "信用信息报告.pdf", tampered)
    card = _card(page, "altered")
    expect(card.locator(".verify-card__verdict")).to_have_text("内容被改动")
    expect(card).to_contain_text("请勿采信")
    expect(page.locator("#verify-title")).to_be_focused()
    api = _api_upload(base_url, tampered)
    assert api["status"] == "altered", api
    expect(card.locator(".verify-card__message")).to_have_text(api["message"])
    # What was registered under that number, to compare with the file in hand.
    expect(card.locator(".verify-card__sub")).to_have_text("登记的原报告")
    facts = _facts(card)
    assert facts["报告编号"] == issued.number
    assert facts["主体名称"] == SUBJECT
    assert facts["出具网站"] == "信用中国(浙江杭州)"
    width = size[0]
    if width == PHONE_VIEW[0]:
        _no_horizontal_scroll(page, width)
    page.screenshot(path=str(screenshots / f"{CHECKER}-verify-altered-{width}.png"), full_page=True)
    _axe(page, axe_js, f"altered at {width}px")


def test_a_file_that_is_no_report(open_page, base_url):
    page = _verify_page(open_page, DESKTOP, CHECKER)
    # Not a PDF by name: said before anything is sent.
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/api/reports" in r.url else None)
    _upload(page, "notes.txt", b"hello", mime="text/plain")
    expect(page.locator("#v-file")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#v-file-error")).to_contain_text("不是 PDF 文件")
    assert sent == []
    # A PDF name over something else: the API's 415 message, under the field.
    _upload(page, "fake.pdf", b"GIF89a not a pdf at all")
    expect(page.locator("#v-file-error")).not_to_be_empty()
    expect(page.locator("#v-file")).to_be_focused()
    assert len(sent) == 1
    message = page.locator("#v-file-error").inner_text()
    expect(page.locator("#verify-status")).to_have_text(message)


# 4. The QR code's link runs the check on arrival -------------------------------------------


def test_qr_link_runs_the_check(open_page, base_url, issued):
    if issued.verify_url:  # the link printed on the report points at this page
        printed = urlsplit(issued.verify_url)
        assert printed.path.endswith("/services/verify/")
        assert parse_qs(printed.query) == {"no": [issued.number], "code": [issued.code]}
    query = "?" + urlencode({"no": issued.number, "code": issued.code})
    page = _verify_page(open_page, PHONE_VIEW, CHECKER, query)
    card = _card(page, "authentic")
    assert page.locator("#v-no").input_value() == issued.number
    assert page.locator("#v-code").input_value() == issued.code.upper()
    _, api = api_get(base_url, f"/api/reports/verify/{issued.number}", code=issued.code)
    _assert_authentic(card, api, issued.number)
    _no_horizontal_scroll(page, PHONE_VIEW[0])


# 5. The API failing: every answer says what happened --------------------------------------


@pytest.mark.parametrize("how", ["network", "429", "503", "413"])
def test_api_failures_show_messages(open_page, issued, how):
    page = _verify_page(open_page, DESKTOP, CHECKER)
    message = {
        "network": "无法连接信用报告核验服务",
        "429": "核验过于频繁：请 1 分钟后再试",
        "503": "核验服务暂时不可用（503）",
        "413": "文件过大：报告 PDF 文件不超过 5 MB",
    }[how]
    if how == "network":
        page.route("**/api/reports/**", lambda route: route.abort())
    elif how == "503":  # a proxy's HTML error page, not the API's JSON
        page.route(
            "**/api/reports/**",
            lambda route: route.fulfill(status=503, content_type="text/html", body="<h1>503</h1>"),
        )
    else:
        body = json.dumps({"error": {"code": f"http_{how}", "message": message}})
        page.route(
            "**/api/reports/**",
            lambda route: route.fulfill(
                status=int(how), content_type="application/json", body=body
            ),
        )
    if how == "413":
        _upload(page, "big.pdf", issued.pdf)
        expect(page.locator("#v-file-error")).to_have_text(message)
    else:
        _by_code(page, issued.number, issued.code)
    expect(page.locator("#verify-status .verify-message--error")).to_contain_text(message)
    assert page.locator("#verify-result").inner_text() == ""
    expect(page.get_by_role("button", name="核 验")).to_be_enabled()
    expect(page.get_by_role("button", name="上传并核验")).to_be_enabled()


# 6. 信用查询: the report buttons download the PDF --------------------------------------------


def test_subject_view_downloads_a_report(open_page, screenshots, axe_js, base_url):
    page = open_page(*DESKTOP)
    page.goto(f"/{ISSUER}/query/?q={SUBJECT}&subject={SUBJECT_CODE}")
    expect(page.get_by_role("heading", level=2, name=SUBJECT)).to_be_visible()
    button = page.get_by_role("button", name="下载信用报告（PDF）")
    with page.expect_download() as info:
        button.click()
    download = info.value
    pdf = Path(download.path()).read_bytes()
    assert pdf[:5] == b"%PDF-"
    status = page.locator(".subject .report-action__status")
    expect(status).to_contain_text("已下载信用信息报告，报告编号 BG")
    number = status.locator(".report-action__no").inner_text()
    assert download.suggested_filename == f"信用信息报告-{number}.pdf"
    assert SUBJECT in _pdf_text(pdf) and number in _pdf_text(pdf)
    link = status.get_by_role("link", name="核验报告真伪")
    assert urlsplit(link.get_attribute("href")).path == f"/{ISSUER}/services/verify/"
    assert parse_qs(urlsplit(link.get_attribute("href")).query) == {"no": [number]}
    page.screenshot(path=str(screenshots / f"{ISSUER}-query-report-1280.png"), full_page=True)
    _axe(page, axe_js, "subject view with a downloaded report")

    # The link opens the 核验 page with the number; the code from the PDF completes it.
    link.click()
    page.wait_for_url(re.compile(r"/services/verify/\?no=BG\d{16}$"))
    expect(page.locator("#v-code")).to_be_focused()
    assert page.locator("#v-no").input_value() == number
    code, _ = _verification_code(pdf)
    page.locator("#v-code").fill(code)
    page.get_by_role("button", name="核 验").click()
    card = _card(page, "authentic")
    _, api = api_get(base_url, f"/api/reports/verify/{number}", code=code)
    _assert_authentic(card, api, number)


def test_natural_person_hit_downloads_a_report(open_page, screenshots):
    page = open_page(*PHONE_VIEW)
    page.goto(f"/{ISSUER}/query/?q={PERSON}")
    hit = page.locator("#query-results li.hit", has=page.locator(".record__type")).first
    expect(hit).to_be_visible()
    expect(hit.locator(".record__type")).to_have_text("（自然人）")
    button = hit.get_by_role("button", name=re.compile("^信用报告"))
    with page.expect_download() as info:
        button.click()
    pdf = Path(info.value.path()).read_bytes()
    assert pdf[:5] == b"%PDF-"
    expect(hit.locator(".report-action__status")).to_contain_text("报告编号 BG")
    assert PERSON in _pdf_text(pdf)
    _no_horizontal_scroll(page, PHONE_VIEW[0])
    page.screenshot(path=str(screenshots / f"{ISSUER}-query-person-report-375.png"), full_page=True)


@pytest.mark.parametrize("how", ["network", "404"])
def test_report_failure_shows_the_message(open_page, base_url, how):
    page = open_page(*DESKTOP)
    if how == "network":
        message = "无法连接信用报告服务，请检查网络后重试。"
        page.route("**/api/reports/**", lambda route: route.abort())
    else:
        message = "没有找到统一社会信用代码为 91330108MAG86TBG6K 的主体"
        body = json.dumps({"error": {"code": "unknown_subject", "message": message}})
        page.route(
            "**/api/reports/**",
            lambda route: route.fulfill(status=404, content_type="application/json", body=body),
        )
    page.goto(f"/{ISSUER}/query/?q={SUBJECT}&subject={SUBJECT_CODE}")
    button = page.get_by_role("button", name="下载信用报告（PDF）")
    button.click()
    status = page.locator(".subject .report-action__status")
    expect(status).to_have_text(message)
    expect(status).to_have_class(re.compile("is-error"))
    expect(button).to_be_enabled()
