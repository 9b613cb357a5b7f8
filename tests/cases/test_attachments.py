"""Attachments of a case: checked by their bytes, never by their name or declared type.

The sample files are made here: a tiny valid PDF written by hand, PNG and JPEG by Pillow.
The checks themselves need no store; the API tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from PIL import Image

from search_api.app import create_app
from sitegroup.cases.attachments import (
    JPEG,
    MAX_NAME,
    PDF,
    PNG,
    AttachmentError,
    check_attachment,
    check_attachments,
    clean_name,
)
from sitegroup.config import Settings
from sitegroup.store import Store
from sitegroup.store.tables import case_attachments, case_events, cases
from sitegroup.tenants.loader import load_group
from sitegroup.theme import Theme
from tests.conftest import DEMO_TENANTS

MB = 1024 * 1024
#: Text inside the sample PDF: it must never show up in a public answer.
PDF_MARKER = b"sitegroup-attachment-marker-7f3a"


# -- sample files -----------------------------------------------------------------------


def pdf_bytes(marker: bytes = PDF_MARKER) -> bytes:
    """A one-page PDF written by hand, with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>",
        b"<< /Title (" + marker + b") >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def png_bytes(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else 0).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(size: tuple[int, int] = (320, 240)) -> bytes:
    buf = io.BytesIO()
    Image.effect_noise(size, 40).convert("RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program"
HTML = b"\xef\xbb\xbf  <!DOCTYPE html><html><script>alert(1)</script></html>"


# -- the checks, by content ---------------------------------------------------------------


def test_the_sample_pdf_is_a_real_pdf(tmp_path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    path = tmp_path / "sample.pdf"
    path.write_bytes(pdf_bytes())
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert "Pages:" in info.stdout and "Syntax Error" not in info.stderr, info.stderr


@pytest.mark.parametrize(
    ("name", "content", "media_type", "stored"),
    [
        ("证明材料.pdf", pdf_bytes(), PDF, "证明材料.pdf"),
        ("现场照片.JPEG", jpeg_bytes(), JPEG, "现场照片.jpeg"),
        ("截图.png", png_bytes(), PNG, "截图.png"),
        ("扫描件", jpeg_bytes(), JPEG, "扫描件.jpg"),  # no extension: the type's is added
        ("回执.exe", png_bytes(), PNG, "回执.exe.png"),  # an image after all: named as one
        ("灰度.png", png_bytes(mode="L"), PNG, "灰度.png"),
    ],
)
def test_accepted_files_are_typed_by_their_bytes(
    name: str, content: bytes, media_type: str, stored: str
) -> None:
    attachment = check_attachment(name, content, max_bytes=5 * MB)
    assert (attachment.name, attachment.media_type) == (stored, media_type)
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()


def _truncated_png() -> bytes:
    data = png_bytes((300, 200))
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        (
            "证明.pdf",
            EXE,
            415,
            "附件“证明.pdf”不是 PDF、JPG 或 PNG 文件：按内容识别为Windows 可执行程序（EXE/DLL）",
        ),
        ("a.png", HTML, 415, "附件“a.png”不是 PDF、JPG 或 PNG 文件：按内容识别为网页（HTML）文件"),
        ("b.png", b"<svg onload=alert(1)>", 415, "按内容识别为SVG 图像（可含脚本）"),
        ("c.pdf", "情况说明：已经整改".encode(), 415, "按内容识别为纯文本文件"),
        ("d.jpg", b"PK\x03\x04" + b"\x00" * 40, 415, "按内容识别为ZIP 压缩包"),
        ("e.jpg", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40, 415, "HEIC 图片"),
        ("f.pdf", bytes(range(256)) * 4, 415, "按内容识别为无法识别的格式"),
        ("空.pdf", b"", 422, "附件“空.pdf”是空文件（0 字节）"),
        ("截断.png", _truncated_png(), 422, "附件“截断.png”无法打开：PNG 图片已损坏或不完整"),
        ("追加.png", png_bytes() + b"<html>", 422, "PNG 图片已损坏或不完整"),
        ("截断.jpg", jpeg_bytes()[:3000], 422, "附件“截断.jpg”无法打开：JPG 图片已损坏或不完整"),
        ("无结尾.pdf", pdf_bytes()[:-7], 422, "PDF 文件缺少结尾标记 %%EOF"),
        (
            "决定书.jpg",
            pdf_bytes(),
            415,
            "附件“决定书.jpg”的文件名是JPG 图片，按内容识别却是PDF 文件：请确认选择了正确的文件",
        ),
        ("照片.png", jpeg_bytes(), 415, "文件名是PNG 图片，按内容识别却是JPG 图片"),
        (
            "大.pdf",
            pdf_bytes() + b"%" * (5 * MB),
            413,
            "附件“大.pdf”过大：5.1 MB，每个附件最多 5 MB",
        ),
        # A decompression bomb: 40 kB that would decode to 400 million pixels.
        ("炸弹.png", png_bytes((20000, 20000), mode="1"), 413, "图像过大"),
        ("大图.png", png_bytes((8000, 7000), mode="1"), 413, "8000×7000 像素，最多 5000 万像素"),
    ],
)
def test_refused_files_are_named_with_what_their_bytes_are(
    name: str, content: bytes, status: int, message: str
) -> None:
    with pytest.raises(AttachmentError) as refused:
        check_attachment(name, content, max_bytes=5 * MB)
    assert refused.value.status == status
    assert message in refused.value.message, refused.value.message


def test_too_many_files_are_refused_before_any_is_read() -> None:
    files = [(f"{n}.png", png_bytes()) for n in range(4)]
    with pytest.raises(AttachmentError) as refused:
        check_attachments(files, max_count=3, max_bytes=MB)
    assert refused.value.status == 422
    assert refused.value.message == "附件过多：每件最多 3 个，本次选择了 4 个"
    assert len(check_attachments(files[:3], max_count=3, max_bytes=MB)) == 3
    with pytest.raises(AttachmentError, match="暂不接受附件"):
        check_attachments(files[:1], max_count=0, max_bytes=MB)


@pytest.mark.parametrize(
    ("raw", "media_type", "stored"),
    [
        ("C:\\Users\\张三\\Desktop\\证明材料.PDF", PDF, "证明材料.pdf"),
        ("../../etc/passwd", PNG, "passwd.png"),
        ("a\x00b\x1fc\x7f.png", PNG, "abc.png"),
        ("照片\u202egpj.exe", PNG, "照片gpj.exe.png"),  # a right-to-left override removed
        ('说明<1>:"?*|.pdf', PDF, "说明_1______.pdf"),
        ("  ...隐藏.jpg  ", JPEG, "隐藏.jpg"),
        ("", PNG, "附件.png"),
        (".png", PNG, "png.png"),
        ("x" * 300 + ".pdf", PDF, "x" * (MAX_NAME - 4) + ".pdf"),
        ("长" * 300, JPEG, "长" * (MAX_NAME - 4) + ".jpg"),
    ],
)
def test_stored_names_are_cleaned(raw: str, media_type: str, stored: str) -> None:
    name = clean_name(raw, media_type)
    assert name == stored
    assert len(name) <= MAX_NAME


# -- over HTTP, on both stores --------------------------------------------------------------

COMPLAINT = {
    "kind": "complaint",
    "site": "hubei",
    "subject_name": "某某商贸有限公司",
    "reason": "该企业拖欠货款拒不履行，存在失信行为，请依法核查。",
    "phone": "13800138000",
}


@pytest.fixture
def make_client(store: Store, theme: Theme, tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """A TestClient over ``store`` with settings overridden (no intake limit by default)."""
    group = load_group(DEMO_TENANTS, theme)
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        values: dict[str, Any] = {"cases_per_ip_hour": 0, "cases_per_ip_day": 0, **overrides}
        settings = Settings(
            database_url=store.url,
            tenants_dir=DEMO_TENANTS,
            search_path=tmp_path / "s.sqlite3",
            **values,
        )
        client = TestClient(create_app(settings, group=group, store=store))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def counts(store: Store) -> tuple[int, int, int]:
    """Rows of cases, case_events and case_attachments."""
    with store.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (cases, case_events, case_attachments)
        )


def test_files_are_stored_with_the_case_and_listed_in_the_answer(
    make_client: Callable[..., TestClient], store: Store
) -> None:
    client = make_client()
    pdf, png = pdf_bytes(), png_bytes()
    answer = client.post(
        "/api/cases",
        data=COMPLAINT,
        files=[
            # The declared types lie; the bytes decide.
            ("attachments", ("处罚决定书.pdf", pdf, "image/png")),
            ("attachments", ("../现场照片", png, "application/octet-stream")),
        ],
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["attachments"] == [
        {"name": "处罚决定书.pdf", "media_type": PDF, "size": len(pdf)},
        {"name": "现场照片.png", "media_type": PNG, "size": len(png)},
    ]
    with store.engine.connect() as conn:
        case_id = conn.execute(sa.select(cases.c.id)).scalar_one()
        rows = conn.execute(sa.select(case_attachments).order_by(case_attachments.c.id)).all()
    assert [(r.case_id, r.name, r.media_type, r.size) for r in rows] == [
        (case_id, "处罚决定书.pdf", PDF, len(pdf)),
        (case_id, "现场照片.png", PNG, len(png)),
    ]
    assert [bytes(r.content) for r in rows] == [pdf, png]
    assert [r.sha256 for r in rows] == [
        hashlib.sha256(pdf).hexdigest(),
        hashlib.sha256(png).hexdigest(),
    ]

    # The public follow-up shows the case on any site, never the files or their bytes.
    status = client.get(f"/api/cases/{body['number']}", params={"code": body["code"]})
    assert status.status_code == 200
    assert "attachments" not in status.json()
    assert PDF_MARKER.decode() not in status.text and "处罚决定书" not in status.text


def test_an_empty_file_input_is_no_attachment(
    make_client: Callable[..., TestClient], store: Store
) -> None:
    client = make_client()
    # What a browser sends for <input type=file> with nothing chosen.
    answer = client.post(
        "/api/cases", data=COMPLAINT, files=[("attachments", ("", b"", "application/octet-stream"))]
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["attachments"] == []
    assert counts(store) == (1, 2, 0)


def test_every_refused_upload_names_the_file_and_stores_nothing(
    make_client: Callable[..., TestClient], store: Store
) -> None:
    client = make_client(cases_attachment_max_bytes=64 * 1024, cases_max_attachments=2)
    good = ("attachments", ("好.png", png_bytes(), "image/png"))
    refused: list[tuple[list[Any], int, str]] = [
        ([good, ("attachments", ("证明.pdf", EXE, "application/pdf"))], 415, "附件“证明.pdf”不是"),
        ([("attachments", ("a.png", HTML, "image/png"))], 415, "网页（HTML）文件"),
        ([("attachments", ("空.pdf", b"", "application/pdf"))], 422, "空文件"),
        ([("attachments", ("截断.png", _truncated_png(), "image/png"))], 422, "已损坏或不完整"),
        ([("attachments", ("决定书.jpg", pdf_bytes(), "image/jpeg"))], 415, "按内容识别却是PDF"),
        ([good, good, good], 422, "附件过多：每件最多 2 个，本次选择了 3 个"),
        (
            [("attachments", ("大.pdf", pdf_bytes() + b"%" * 100_000, "application/pdf"))],
            413,
            "附件“大.pdf”过大",
        ),
    ]
    for files, status, message in refused:
        answer = client.post("/api/cases", data=COMPLAINT, files=files)
        assert answer.status_code == status, (message, answer.text)
        error = answer.json()["error"]
        assert message in error["message"] and error["field"] == "attachments", error
    # A file in a field that is not ``attachments``, and a form the parser cannot read.
    answer = client.post(
        "/api/cases",
        data={k: v for k, v in COMPLAINT.items() if k != "reason"},
        files=[("reason", ("r.png", png_bytes(), "image/png"))],
    )
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "reason"
    broken = client.post(
        "/api/cases", content=b"--x\r\n", headers={"content-type": "multipart/form-data"}
    )
    assert broken.status_code == 422, broken.text
    # Good files with a bad field: the field is named, nothing is stored.
    answer = client.post("/api/cases", data={**COMPLAINT, "phone": "123"}, files=[good])
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "phone"
    assert counts(store) == (0, 0, 0)


def test_a_body_over_the_limit_is_refused_before_and_while_reading(
    make_client: Callable[..., TestClient], store: Store
) -> None:
    client = make_client(cases_attachment_max_bytes=64 * 1024, cases_max_attachments=2)
    limit = 2 * 64 * 1024 + 64 * 1024  # every file at its largest, plus the fields
    big = [("attachments", ("大.pdf", pdf_bytes() + b"%" * limit, "application/pdf"))]
    declared = client.post("/api/cases", data=COMPLAINT, files=big)
    assert declared.status_code == 413, declared.text
    assert declared.json()["error"]["message"] == "提交内容过大：附件最多 2 个、每个最多 64 KB"

    # No Content-Length (chunked): refused once the stream passes the limit.
    boundary = "sitegroupboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="x.pdf"'
        "\r\nContent-Type: application/pdf\r\n\r\n"
    ).encode()

    def chunks() -> Iterator[bytes]:
        yield head
        for _ in range(40):
            yield b"%" * 8192

    streamed = client.post(
        "/api/cases",
        content=chunks(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert streamed.status_code == 413, streamed.text
    assert counts(store) == (0, 0, 0)
