"""The credit report over the API, on SQLite and PostgreSQL: issue, read back, verify, refuse.

Reports are read back by two independent PDF readers (poppler's pdftotext and pypdf) and
rendered by pdftoppm; verification is exercised with untouched, byte-edited and foreign
reports.
"""

from __future__ import annotations

import re
import subprocess
from io import BytesIO

import pytest
import sqlalchemy as sa
from PIL import Image

from sitegroup.models.idcard import ID_NUMBER_PATTERN, is_valid_id_number, mask_id_number
from tests.reports.conftest import (
    COMPANY,
    COMPANY_NAME,
    KEY,
    OTHER_KEY,
    PERSON_ID,
    PERSON_NAME,
    World,
    compact,
    pdf_text,
    pypdf_text,
)


def issue(client, code: str, site: str = "jiangsu-wuxi"):
    answer = client.get(f"/api/reports/{code}", params={"site": site})
    assert answer.status_code == 200, answer.text
    return answer


def upload(client, pdf: bytes, name: str = "report.pdf"):
    return client.post("/api/reports/verify", files={"file": (name, pdf, "application/pdf")})


def active_documents(world: World, **where: str) -> list[str]:
    column, value = next(iter(where.items()))
    with world.store.engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    f"SELECT document_no FROM records WHERE status = 'active' AND {column} = :v"
                ),
                {"v": value},
            ).scalars()
        )


def test_a_report_is_a_pdf_with_real_text_naming_the_subject_number_and_every_record(
    world: World,
) -> None:
    with world.client() as client:
        answer = issue(client, COMPANY)
    pdf = answer.content
    number = answer.headers["x-report-no"]
    assert pdf.startswith(b"%PDF-1.7") and answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store"
    assert (
        "attachment" in answer.headers["content-disposition"]
        and number in (answer.headers["content-disposition"])
    )
    assert re.fullmatch(r"BG\d{16}", number)
    documents = active_documents(world, subject_code=COMPANY)
    assert len(documents) == 6
    for reader in (pdf_text, pypdf_text):
        text = compact(reader(pdf))
        assert COMPANY_NAME in text and COMPANY in text and number in text
        for document_no in documents:
            assert compact(document_no) in text, (reader.__name__, document_no)
        for words in ("信用信息报告", "信用中国(江苏无锡)", "异议投诉", "数据截止时间", "核验码"):
            assert words in text
    # The CJK face is embedded (a subset), so no reader falls back to boxes.
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=False)
    if fonts.returncode != 0:  # older poppler reads only files
        fonts = subprocess.run(
            ["pdffonts", "/dev/stdin"], input=pdf, capture_output=True, check=True
        )
    table = fonts.stdout.decode()
    assert "NotoSansCJKsc-Regular" in table and "CID Type 0C" in table
    for line in table.splitlines()[2:]:
        assert re.search(r"\byes\s+yes\s+yes\b", line), line  # embedded, subset, ToUnicode


def test_pages_are_numbered_n_of_m(world: World) -> None:
    with world.client() as client:
        pdf = issue(client, COMPANY).content
    pages = pdf_text(pdf).split("\f")[:-1]
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        assert f"第{n}页共{len(pages)}页" in compact(page)


def _tinted(image: Image.Image) -> list[tuple[int, int]]:
    """Pixels of the watermark: light and clearly red (text is dark, paper white)."""
    rgb = image.convert("RGB")
    w, h = rgb.size
    pixels = rgb.load()
    return [
        (x, y)
        for y in range(0, h, 2)
        for x in range(0, w, 2)
        if (p := pixels[x, y])[0] > 200 and p[0] - p[2] > 18 and p[1] < 240
    ]


def test_every_page_carries_the_tiled_watermark(world: World, tmp_path) -> None:
    with world.client() as client:
        pdf = issue(client, COMPANY).content
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(tmp_path / "r.pdf"), str(tmp_path / "page")],
        check=True,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(pdf_text(pdf).split("\f")) - 1 >= 2
    for path in pages:
        image = Image.open(path)
        w, h = image.size
        spots = _tinted(image)
        # Tiled: the watermark shows in every ninth of the page, not in one place.
        cells = {(3 * x // w, 3 * y // h) for x, y in spots}
        assert cells == {(i, j) for i in range(3) for j in range(3)}, (path.name, sorted(cells))


def test_the_watermark_carries_the_report_number(world: World) -> None:
    """A watermark lifted from one report does not fit another: each tile holds its number."""
    with world.client() as client:
        renderer = client.app.state.services.report_setup.renderer
    one = renderer.watermark("BG2026112400000001")
    two = renderer.watermark("BG2026112400000002")
    assert one.rgb == two.rgb and one.alpha != two.alpha
    alpha = Image.frombytes("L", (one.width, one.height), one.alpha)
    assert 0 < alpha.getextrema()[1] <= 255 * 0.2  # semi-transparent


def test_a_natural_persons_id_number_is_masked(world: World) -> None:
    with world.client() as client:
        answer = issue(client, world.person_key(), site="main")
    text = pdf_text(answer.content) + pypdf_text(answer.content)
    assert PERSON_NAME in text and "自然人" in text
    assert PERSON_ID not in compact(text)
    assert mask_id_number(PERSON_ID) in compact(text)
    assert not any(is_valid_id_number(m.group()) for m in ID_NUMBER_PATTERN.finditer(compact(text)))
    for document_no in active_documents(world, subject_name=PERSON_NAME):
        assert compact(document_no) in compact(text)
    # The ledger and the verify answer never carry the ID number either.
    row = world.ledger()[-1]
    assert PERSON_ID not in str(tuple(row)) and row.subject_ref == world.person_key()
    with world.client() as client:
        verdict = upload(client, answer.content).json()
    assert verdict["status"] == "authentic" and verdict["subject"]["code"] == ""
    assert PERSON_ID not in str(verdict)


def _normalized(text: str, site_name: str, number: str) -> str:
    text = compact(text).replace(site_name, "<site>").replace(number, "<no>")
    text = re.sub(r"\d{4}-\d{2}-\d{2}\d{2}:\d{2}:\d{2}", "<time>", text)
    text = re.sub(r"核验码[2-9A-Z]{4}-[2-9A-Z]{4}", "核验码<code>", text)
    return re.sub(r"核验网址https://\S+?code=[2-9A-Z]{4}-[2-9A-Z]{4}", "核验网址<url>", text)


def test_the_same_subject_reads_the_same_from_any_site(world: World) -> None:
    with world.client() as client:
        wuxi = issue(client, COMPANY, site="jiangsu-wuxi")
        hubei = issue(client, COMPANY, site="hubei")
    assert wuxi.headers["x-report-no"] != hubei.headers["x-report-no"]
    a = _normalized(pdf_text(wuxi.content), "信用中国(江苏无锡)", wuxi.headers["x-report-no"])
    b = _normalized(pdf_text(hubei.content), "信用中国(湖北)", hubei.headers["x-report-no"])
    assert a == b
    assert "<site>" in a and "<no>" in a and "<time>" in a and "核验码<code>" in a


def test_verify_by_number_and_code(world: World) -> None:
    with world.client() as client:
        answer = issue(client, COMPANY)
        number = answer.headers["x-report-no"]
        code = re.search(r"核验码\s*([2-9A-Z]{4}-[2-9A-Z]{4})", pdf_text(answer.content)).group(1)
        good = client.get(f"/api/reports/verify/{number}", params={"code": code.lower()})
        assert good.status_code == 200, good.text
        body = good.json()
        assert body["status"] == "authentic" and body["report_no"] == number
        assert body["subject"] == {
            "name": COMPANY_NAME,
            "type": "法人及非法人组织",
            "code": COMPANY,
        }
        assert body["site"] == {"id": "jiangsu-wuxi", "name": "信用中国(江苏无锡)"}
        assert body["issued_at"].endswith("+08:00") and body["records"] == 6
        wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
        for answer_ in (
            client.get(f"/api/reports/verify/{number}", params={"code": wrong}),
            client.get("/api/reports/verify/BG2026010100999999", params={"code": code}),
        ):
            assert answer_.status_code == 404 and "核验码" in answer_.json()["error"]["message"]
        bad = client.get(f"/api/reports/verify/{number}", params={"code": "01IO"})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "code"
        bad = client.get("/api/reports/verify/XX123", params={"code": code})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "report_no"
    # The QR code and the printed link point at the issuing site's 核验 page.
    assert f"https://credit.wuxi.gov.cn/services/verify/?no={number}&code={code}" in compact(
        pdf_text(answer.content)
    )


def test_an_uploaded_report_is_authentic_and_a_byte_edit_makes_it_altered(world: World) -> None:
    with world.client() as client:
        answer = issue(client, COMPANY)
        pdf = answer.content
        assert upload(client, pdf).json()["status"] == "authentic"
        # One byte changed in the page content (a compressed stream): still a PDF, not the report.
        edited = bytearray(pdf)
        at = pdf.index(b"stream\n", len(pdf) // 3) + 40
        edited[at] ^= 0x01
        verdict = upload(client, bytes(edited)).json()
        assert verdict["status"] == "altered" and "改动" in verdict["message"]
        assert verdict["report_no"] == answer.headers["x-report-no"]
        # An edit a reader would see: the name changed in the metadata title.
        forged = pdf.replace("无锡".encode("utf-16-be").hex().upper().encode(), b"4E0A6D77", 1)
        assert forged != pdf
        assert upload(client, forged).json()["status"] == "altered"
        # Truncated (a partial download) and appended-to files are altered too.
        assert upload(client, pdf[:-100]).json()["status"] == "altered"
        assert upload(client, pdf + b"\n% extra").json()["status"] == "altered"
        # The raw body works as well as a form upload.
        raw = client.post(
            "/api/reports/verify", content=pdf, headers={"content-type": "application/pdf"}
        )
        assert raw.json()["status"] == "authentic"


def test_a_report_signed_with_another_key_does_not_verify(world: World, tmp_path) -> None:
    # Another deployment (its own store and key) issued this report: unknown here.
    foreign_url = f"sqlite:///{tmp_path / 'foreign.sqlite3'}"
    from sitegroup.store import open_store
    from sitegroup.tenants.loader import load_group
    from sitegroup.theme import load_theme
    from tests.conftest import DEMO_TENANTS, push_demo_data

    with open_store(foreign_url, upgrade=True) as store:
        push_demo_data(store, load_group(DEMO_TENANTS, load_theme()))
        with World(foreign_url, store, tmp_path).client(key=OTHER_KEY) as client:
            foreign_pdf = issue(client, COMPANY).content
    with world.client() as client:
        before = len(world.ledger())
        verdict = upload(client, foreign_pdf).json()
        assert verdict["status"] in ("unknown", "altered")
        # Same store, another key (a forged ledger, or a key swapped): never authentic.
        pdf = issue(client, COMPANY).content
    with world.client(key=OTHER_KEY) as client:
        verdict = upload(client, pdf).json()
        assert verdict["status"] == "altered" and "签名不符" in verdict["message"]
        number = verdict["report_no"]
        code_answer = client.get(f"/api/reports/verify/{number}", params={"code": "ABCD-EFGH"})
        assert code_answer.status_code == 404  # the code is the other key's too
    assert len(world.ledger()) == before + 1


def test_a_ledger_row_edited_in_the_database_no_longer_verifies(world: World) -> None:
    with world.client() as client:
        answer = issue(client, COMPANY)
        number = answer.headers["x-report-no"]
        with world.store.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE reports SET subject_name = '某某公司' WHERE report_no = :n"),
                {"n": number},
            )
        verdict = upload(client, answer.content).json()
        assert verdict["status"] == "altered" and "签名不符" in verdict["message"]


def test_every_issue_is_in_the_ledger_with_its_hash_and_signature(world: World) -> None:
    import hashlib

    with world.client() as client:
        answer = issue(client, COMPANY, site="zhejiang")
    row = next(r for r in world.ledger() if r.report_no == answer.headers["x-report-no"])
    assert row.content_sha256 == hashlib.sha256(answer.content).hexdigest()
    assert row.size == len(answer.content) and re.fullmatch(r"[0-9a-f]{64}", row.signature)
    assert row.site == "zhejiang" and row.subject_ref == COMPANY and row.records == 6
    assert row.key_id and KEY not in str(tuple(row))


@pytest.mark.parametrize(
    ("path", "status", "field", "words"),
    [
        ("/api/reports/91320211MAWHCUCB4X", 422, "code", "校验位"),
        ("/api/reports/12345", 422, "code", "18 位"),
        ("/api/reports/91110000100000000R", 404, None, "没有找到"),
        ("/api/reports/penalty-0000000000000000deadbeef", 404, None, "没有找到"),
        ("/api/reports/91320211MAWHCUCB4G?site=nowhere", 404, "site", "未知站点"),
    ],
)
def test_refusals_when_issuing_store_nothing(world: World, path, status, field, words) -> None:
    before = len(world.ledger())
    with world.client() as client:
        answer = client.get(path)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert words in error["message"] and error.get("field") == field
    assert len(world.ledger()) == before


def test_upload_refusals(world: World) -> None:
    png = BytesIO()
    Image.new("RGB", (4, 4)).save(png, "PNG")
    with world.client(report_upload_max_bytes=64 * 1024) as client:
        answer = upload(client, png.getvalue(), "report.pdf")
        assert answer.status_code == 415 and "不是 PDF" in answer.json()["error"]["message"]
        too_big = b"%PDF-1.7\n" + b"0" * (65 * 1024)
        answer = upload(client, too_big)
        assert answer.status_code == 413 and "64 KB" in answer.json()["error"]["message"]
        answer = client.post(
            "/api/reports/verify", content=too_big, headers={"content-type": "application/pdf"}
        )
        assert answer.status_code == 413
        answer = client.post("/api/reports/verify", files={"other": ("a.txt", b"x", "text/plain")})
        assert answer.status_code == 422 and answer.json()["error"]["field"] == "file"
        answer = upload(client, b"")
        assert answer.status_code == 422
        # A PDF that is not one of ours.
        answer = upload(client, b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n%%EOF\n")
        assert answer.status_code == 200 and answer.json()["status"] == "unknown"


def test_a_report_that_fails_to_render_leaves_nothing_in_the_ledger(world: World) -> None:
    with world.client() as client:
        desk = client.app.state.services.reports
        before = len(world.ledger())

        def broken(*_args, **_kwargs):
            raise RuntimeError("disk full")

        desk.renderer = type("Broken", (), {"render": staticmethod(broken)})()
        with pytest.raises(RuntimeError, match="disk full"):
            client.get(f"/api/reports/{COMPANY}")
    assert len(world.ledger()) == before
