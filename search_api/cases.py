"""``/api/cases``: the one 异议投诉 window of every site (intake and the submitter's follow-up).

Intake takes JSON, a plain HTML form, or ``multipart/form-data`` with up to
``cases_max_attachments`` files in field ``attachments`` (checked by content, see
:mod:`sitegroup.cases.attachments`). Every check that can refuse runs before anything is
written, and the per-address limit (:mod:`sitegroup.cases.limits`) is checked again under a
lock right before the case's one transaction; the answer is 201 only after it committed.
Handlers' endpoints are in :mod:`search_api.handling`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qsl

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from search_api.errors import ApiError, error_response, read_body, read_form
from search_api.services import Services
from sitegroup.cases import CaseDesk, CaseError, CaseNotFound, parse_case
from sitegroup.cases.attachments import (
    Attachment,
    AttachmentError,
    check_attachments,
    size_label,
)
from sitegroup.cases.limits import IntakeKeys, IntakeLimits, RateLimited
from sitegroup.config import Settings

router = APIRouter(prefix="/api", tags=["异议投诉"])

#: A case without attachments fits in far less; so does each text field of a multipart form.
MAX_BODY = 16 * 1024
#: Room beside the files of a multipart form: the text fields and the parts' headers.
FORM_OVERHEAD = 64 * 1024
#: Submissions of one worker inside the limit's lock at once: each holds two store
#: connections there (the lock's and the insert's); SQLAlchemy's default pool has 15.
INTAKE_SLOTS = 4
NOT_FOUND = "受理编号或查询码不正确：请核对后再试（编号和查询码在提交成功时给出）"


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _desk(request: Request) -> CaseDesk:
    return _services(request).cases


def _checked_keys(request: Request, address: str) -> tuple[IntakeLimits, IntakeKeys]:
    """The address's keys, after a cheap refusal for an address already at its limit (no
    lock, no file checked); the binding check comes under the lock, in ``admit``."""
    limits = _services(request).intake_limits
    keys = limits.keys(address)
    limits.check(keys)
    return limits, keys


def _slots(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    slots: anyio.CapacityLimiter | None = getattr(state, "case_slots", None)
    if slots is None:  # in the event loop: no other request runs between these lines
        slots = state.case_slots = anyio.CapacityLimiter(INTAKE_SLOTS)
    return slots


def max_upload(settings: Settings) -> int:
    """The largest multipart body: every allowed file at its largest, plus the fields."""
    return settings.cases_max_attachments * settings.cases_attachment_max_bytes + FORM_OVERHEAD


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


async def _multipart(
    request: Request, settings: Settings
) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """The text fields and the files (name, bytes) of a ``multipart/form-data`` case."""
    limit = max_upload(settings)
    too_large = (
        f"提交内容过大：附件最多 {settings.cases_max_attachments} 个、"
        f"每个最多 {size_label(settings.cases_attachment_max_bytes)}"
    )
    form = await read_form(
        request,
        limit,
        too_large,
        field="attachments",
        code="invalid_case",
        unreadable="表单内容无法解析：应为 multipart/form-data，每个文字字段不超过 16 KiB",
        max_files=max(10, 3 * settings.cases_max_attachments),
        max_fields=40,
        max_part_size=MAX_BODY,
    )
    fields: dict[str, Any] = {}
    files: list[tuple[str, bytes]] = []
    try:
        for name, value in form.multi_items():
            if isinstance(value, str):
                fields[name] = value
            elif name != "attachments":
                field = name[:40]
                raise ApiError(
                    422,
                    "invalid_case",
                    f"字段 {field} 不接受文件：附件请放在 attachments 中",
                    field,
                )
            elif value.filename or value.size:  # not a file input left empty
                files.append((value.filename or "", await value.read()))
    finally:
        await form.close()
    return fields, files


def _attachment_refused(exc: AttachmentError) -> JSONResponse:
    return error_response(
        exc.status, exc.code, exc.message, "attachments", problems={"attachments": exc.message}
    )


@router.post("/cases", status_code=201, summary="提交信用异议或失信投诉")
async def submit_case(request: Request) -> JSONResponse:
    settings = _services(request).settings
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        fields, files = await _multipart(request, settings)
    else:
        fields, files = await _fields(request), []
    address = request.client.host if request.client else ""
    try:
        case = parse_case(fields)
        limits, keys = await anyio.to_thread.run_sync(_checked_keys, request, address)
        attachments: list[Attachment] = await anyio.to_thread.run_sync(
            lambda: check_attachments(
                files,
                max_count=settings.cases_max_attachments,
                max_bytes=settings.cases_attachment_max_bytes,
            )
        )
        submitted = await anyio.to_thread.run_sync(
            lambda: limits.admit(
                keys,
                lambda key: _desk(request).submit(case, attachments=attachments, intake_key=key),
            ),
            limiter=_slots(request),
        )
    except CaseError as exc:
        return error_response(422, "invalid_case", str(exc), exc.field, problems=exc.problems)
    except AttachmentError as exc:
        return _attachment_refused(exc)
    except RateLimited as exc:
        response = error_response(429, "rate_limited", exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return JSONResponse(
        {
            "number": submitted.number,
            "code": submitted.code,
            "kind": submitted.kind,
            "status": submitted.status,
            "handler": {"site": submitted.handler.id, "name": submitted.handler.name},
            "attachments": [
                {"name": a.name, "media_type": a.media_type, "size": a.size} for a in attachments
            ],
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
