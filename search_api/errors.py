"""Every error the API returns is JSON with a message a person can act on (Chinese).

``{"error": {"code": "...", "message": "...", "field": "..."}}``; see ``docs/search.md``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser

from sitegroup.errors import StoreError

__all__ = ["ApiError", "error_response", "install_handlers", "read_body", "read_form"]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


async def limited_stream(
    request: Request, limit: int, too_large: str, field: str | None = None
) -> AsyncIterator[bytes]:
    """The request body as it arrives, refused with 413 and ``too_large`` once it passes
    ``limit`` bytes (by its declared length before reading, or while streaming it)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise ApiError(413, "body_too_large", too_large, field)
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise ApiError(413, "body_too_large", too_large, field)
        yield chunk


async def read_body(request: Request, limit: int, too_large: str) -> bytes:
    """The whole request body, within ``limit`` (see :func:`limited_stream`)."""
    body = bytearray()  # += on bytes would copy the whole body for every chunk
    async for chunk in limited_stream(request, limit, too_large):
        body += chunk
    return bytes(body)


async def read_form(
    request: Request,
    limit: int,
    too_large: str,
    *,
    field: str,
    code: str,
    unreadable: str,
    max_files: int,
    max_fields: int,
    max_part_size: int,
) -> FormData:
    """A ``multipart/form-data`` body read as it streams, within ``limit`` bytes (413 with
    ``too_large``, naming ``field``); a body that does not parse is a 422 ``code`` with
    ``unreadable``. The caller closes the form."""
    parser = MultiPartParser(
        request.headers,
        limited_stream(request, limit, too_large, field),
        max_files=max_files,
        max_fields=max_fields,
        max_part_size=max_part_size,
    )
    try:
        return await parser.parse()
    except MultiPartException:
        raise ApiError(422, code, unreadable) from None


def error_response(
    status: int, code: str, message: str, field: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    return JSONResponse({"error": body, **extra}, status_code=status)


_TYPE_MESSAGES = {
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "missing": "缺少必填参数",
    "string_too_long": "过长",
    "greater_than_equal": "过小",
    "less_than_equal": "过大",
}


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    problems = []
    field = None
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("query", "path", "body", "header"):
            loc = loc[1:]  # where the parameter was, not its name (a parameter may be "path")
        name = ".".join(loc) or "请求"
        field = field or (loc[-1] if loc else None)
        problems.append(f"参数 {name} {_TYPE_MESSAGES.get(err.get('type', ''), '不合法')}")
    return "；".join(problems) or "请求参数不合法", field


_STATUS_MESSAGES = {
    404: ("not_found", "没有这个地址：请查看 /api/docs 中的接口列表"),
    405: ("method_not_allowed", "不支持该请求方法：请查看 /api/docs"),
}


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.exception_handler(StoreError)
    async def store_down(_: Request, exc: StoreError) -> JSONResponse:
        return error_response(503, "store_unavailable", f"数据库暂时无法访问：{exc}"[:300])

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        message, field = _validation_message(exc)
        return error_response(422, "invalid_param", message, field)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code, message = _STATUS_MESSAGES.get(exc.status_code, ("http_error", str(exc.detail)))
        return error_response(exc.status_code, code, message)

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - safety net
        return error_response(500, "internal_error", "服务器内部错误，请稍后再试；问题已记录。")
