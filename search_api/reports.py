"""``/api/reports``: the unified credit report, issued by any site and verified on any site.

- ``GET /api/reports/{code}?site=`` — the PDF 信用信息报告 of one subject (a 统一社会信用代码,
  or a natural person's record key); every issue is written to the signed ledger.
- ``GET /api/reports/verify/{report_no}?code=`` — is this number and code a real report?
- ``POST /api/reports/verify`` — an uploaded PDF (multipart field ``file``, or the raw
  body as ``application/pdf``): authentic, altered or unknown.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from search_api.errors import ApiError, read_body, read_form
from search_api.services import Services
from sitegroup.cases.attachments import PDF, describe, size_label, sniff
from sitegroup.reports.content import SubjectNotFound, SubjectRefError
from sitegroup.reports.desk import ReportDesk, VerifyInputError

router = APIRouter(prefix="/api/reports", tags=["信用报告"])

NO_STORE = {"Cache-Control": "no-store"}
NOT_FOUND = "没有找到与该报告编号和核验码相符的报告：请核对报告首页的编号与核验码"
#: Room beside the file in a multipart upload (the part headers).
FORM_OVERHEAD = 16 * 1024


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _desk(request: Request) -> ReportDesk:
    return _services(request).reports


@router.get(
    "/verify/{report_no}",
    summary="按报告编号与核验码核验信用报告",
    responses={404: {"description": "编号不存在或核验码不符"}, 422: {"description": "格式错误"}},
)
def verify_by_code(
    request: Request,
    report_no: str,
    code: Annotated[str, Query(max_length=40, description="报告首页的 8 位核验码")] = "",
) -> JSONResponse:
    try:
        verdict = _desk(request).check_code(report_no[:40], code)
    except VerifyInputError as exc:
        raise ApiError(422, "invalid_param", exc.message, exc.field) from None
    if verdict is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    return JSONResponse(verdict.to_json(), headers=NO_STORE)


async def _upload(request: Request, limit: int) -> bytes:
    """The uploaded file: multipart field ``file``, or the whole body as a PDF."""
    too_large = f"文件过大：信用报告 PDF 最大 {size_label(limit)}"
    content_type = request.headers.get("content-type", "").lower()
    if not content_type.startswith("multipart/form-data"):
        return await read_body(request, limit, too_large)
    form = await read_form(
        request,
        limit + FORM_OVERHEAD,
        too_large,
        field="file",
        code="invalid_upload",
        unreadable="上传内容无法解析：应为 multipart/form-data，文件放在 file 字段",
        max_files=1,
        max_fields=4,
        max_part_size=1024,
    )
    try:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError(422, "invalid_upload", "请选择要核验的信用报告 PDF 文件", "file")
        data = await upload.read()
    finally:
        await form.close()
    if len(data) > limit:
        raise ApiError(413, "body_too_large", too_large, "file")
    return data


@router.post(
    "/verify",
    summary="上传信用报告 PDF 核验真伪（authentic / altered / unknown）",
    responses={413: {"description": "文件过大"}, 415: {"description": "不是 PDF"}},
)
async def verify_upload(request: Request) -> JSONResponse:
    limit = _services(request).settings.report_upload_max_bytes
    data = await _upload(request, limit)
    if not data:
        raise ApiError(422, "invalid_upload", "上传的文件是空的：请选择信用报告 PDF 文件", "file")
    if sniff(data) != PDF:  # by content, as the 异议投诉 window checks its attachments
        raise ApiError(
            415,
            "unsupported_media_type",
            f"上传的文件不是 PDF（按内容识别为{describe(data)}）："
            "请上传下载得到的信用报告 PDF 原件",
            "file",
        )
    verdict = _desk(request).check_file(data)
    return JSONResponse(verdict.to_json(), headers=NO_STORE)


@router.get(
    "/{code}",
    summary="出具信用信息报告（PDF，统一模板，带防伪水印与核验码）",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "信用信息报告 PDF"},
        404: {"description": "主体或站点不存在"},
        422: {"description": "代码格式错误"},
    },
)
def issue_report(
    request: Request,
    code: str,
    site: Annotated[str | None, Query(description="出具报告的站点 id；默认 main")] = None,
) -> Response:
    services = _services(request)
    site_obj = services.site(site)
    try:
        issued = services.reports.issue(code[:100], site_obj)
    except SubjectRefError as exc:
        raise ApiError(422, "bad_code", str(exc), "code") from None
    except SubjectNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    filename = f"信用信息报告-{issued.report_no}.pdf"
    return Response(
        issued.pdf,
        media_type="application/pdf",
        headers={
            **NO_STORE,
            "Content-Disposition": (
                f'attachment; filename="{issued.report_no}.pdf"; '
                f"filename*=UTF-8''{quote(filename)}"
            ),
            "X-Report-No": issued.report_no,
        },
    )
