"""``/api/cases``: the one 异议投诉 window of every site (intake and the submitter's follow-up).

Handlers' endpoints (their region's cases, transitions, audit) come next; see issue 7.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qsl

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from search_api.errors import ApiError, error_response, read_body
from search_api.services import Services
from sitegroup.cases import CaseDesk, CaseError, CaseNotFound, parse_case

router = APIRouter(prefix="/api", tags=["异议投诉"])

#: A case without attachments fits in far less.
MAX_BODY = 16 * 1024
NOT_FOUND = "受理编号或查询码不正确：请核对后再试（编号和查询码在提交成功时给出）"


def _desk(request: Request) -> CaseDesk:
    services: Services = request.app.state.services
    return services.cases


async def _fields(request: Request) -> dict[str, Any]:
    body = await read_body(request, MAX_BODY, f"提交内容过大：最多 {MAX_BODY // 1024} KiB")
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        try:  # a plain HTML form, without JavaScript
            return dict(parse_qsl(body.decode("utf-8"), max_num_fields=20))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(422, "invalid_case", "表单内容无法解析（应为 UTF-8）") from None
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_case", "提交内容应为 JSON 对象或表单")
    return data


@router.post("/cases", status_code=201, summary="提交信用异议或失信投诉")
async def submit_case(request: Request) -> JSONResponse:
    fields = await _fields(request)
    try:
        case = parse_case(fields)
        submitted = await anyio.to_thread.run_sync(lambda: _desk(request).submit(case))
    except CaseError as exc:
        return error_response(422, "invalid_case", str(exc), exc.field, problems=exc.problems)
    return JSONResponse(
        {
            "number": submitted.number,
            "code": submitted.code,
            "kind": submitted.kind,
            "status": submitted.status,
            "handler": {"site": submitted.handler.id, "name": submitted.handler.name},
            "message": (
                f"已受理，分派至{submitted.handler.name}办理。请记下受理编号 {submitted.number} "
                f"和查询码 {submitted.code}：在任一信用中国网站的异议投诉页面均可查询进度。"
            ),
        },
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


def _lookup(request: Request, number: str, code: str) -> JSONResponse:
    try:
        answer = _desk(request).lookup(number, code)
    except CaseNotFound:
        raise ApiError(404, "case_not_found", NOT_FOUND, "case_no") from None
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


@router.get("/cases", summary="凭受理编号和查询码查询办理进度")
def track_case(
    request: Request,
    case_no: Annotated[str, Query(min_length=1, max_length=32)],
    code: Annotated[str, Query(min_length=1, max_length=32)],
) -> JSONResponse:
    return _lookup(request, case_no, code)


@router.get("/cases/{number}", summary="凭受理编号和查询码查询办理进度")
def case_status(
    request: Request, number: str, code: Annotated[str, Query(min_length=1, max_length=32)]
) -> JSONResponse:
    return _lookup(request, number[:32], code)
