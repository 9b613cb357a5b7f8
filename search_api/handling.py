"""``/api/handler``: the handlers' side of the 异议投诉 window (属地办理).

A handler sends ``Authorization: Bearer <token>`` (made by ``sitegroup cases handler add``)
and sees only the cases and records of its site's region and the regions below it. Every
request, refusals included, is written to the audit log with the client's address. Nothing
here is cached anywhere: every answer says ``Cache-Control: no-store``. These endpoints are
not called from the public pages, so they get no CORS headers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from search_api.errors import ApiError, error_response, read_body
from search_api.services import Services
from sitegroup.cases.handlers import authenticate
from sitegroup.cases.workflow import Actor, HandlingDesk, HandlingError

#: An action is a few fields and, for 更正, the changed record fields.
MAX_BODY = 64 * 1024
NO_STORE = "no-store"


class Unauthorized(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(401, "unauthorized", message)


class _NoStoreRoute(APIRoute):
    """Every answer of this router, errors included, says ``Cache-Control: no-store``; a 401
    says ``WWW-Authenticate: Bearer``. Errors are turned into responses here (with the app's
    own handlers, so they look like every other error of the API) to add those headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await original(request)
            except HandlingError as exc:
                several = exc.problems != {exc.field: exc.message}
                extra = {"problems": exc.problems} if several else {}
                response = error_response(exc.status, exc.code, exc.message, exc.field, **extra)
            except Exception as exc:
                app_handler = _app_handler(request, exc)
                if app_handler is None:
                    raise
                response = await app_handler(request, exc)
                if isinstance(exc, Unauthorized):
                    response.headers["WWW-Authenticate"] = 'Bearer realm="handler"'
            response.headers["Cache-Control"] = NO_STORE
            return response

        return handler


def _app_handler(request: Request, exc: Exception) -> Any:
    handlers = request.app.exception_handlers
    return next((handlers[t] for t in type(exc).__mro__ if t in handlers), None)


router = APIRouter(prefix="/api/handler", tags=["异议投诉办理"], route_class=_NoStoreRoute)
_bearer = HTTPBearer(auto_error=False, description="办理人令牌（sitegroup cases handler add）")


def _services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def _desk(request: Request) -> HandlingDesk:
    return _services(request).handling


def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """The handler holding the bearer token, and the request's client address (as uvicorn's
    proxy-headers handling decided it)."""
    if credentials is None:
        raise Unauthorized("需要办理人身份：请在请求头中提供 Authorization: Bearer <令牌>")
    handler = authenticate(_services(request).store.engine, credentials.credentials)
    if handler is None:
        raise Unauthorized("办理人令牌无效或已停用：请向网站群管理员核实")
    return Actor(handler, request.client.host if request.client else "")


ActorDep = Annotated[Actor, Depends(current_actor)]


def _json(body: Any) -> JSONResponse:
    return JSONResponse(body, headers={"Cache-Control": NO_STORE})


@router.get("/me", summary="当前办理人、所属站点和地区")
def me(request: Request, actor: ActorDep) -> JSONResponse:
    return _json(_desk(request).me(actor))


@router.get("/cases", summary="本地区的案件（分页，最新在前；overdue=true 时按到期日）")
def list_cases(
    request: Request,
    actor: ActorDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    overdue: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> JSONResponse:
    answer = _desk(request).list_cases(
        actor, status=status or None, kind=kind or None, overdue=overdue, page=page, size=size
    )
    return _json(answer)


@router.get("/cases/{number}", summary="案件详情：提交内容、联系方式、附件、全部记录")
def case_detail(request: Request, number: str, actor: ActorDep) -> JSONResponse:
    return _json(_desk(request).detail(actor, number))


@router.post("/cases/{number}/actions", summary="办理：开始办理、办结、反馈、转办、备注")
async def case_action(request: Request, number: str, actor: ActorDep) -> JSONResponse:
    body = await read_body(request, MAX_BODY, f"请求内容过大：最多 {MAX_BODY // 1024} KiB")
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise ApiError(
            422, "invalid_action", '请求内容应为 JSON 对象，如 {"action": "start"}', "action"
        )
    desk = _desk(request)
    answer = await anyio.to_thread.run_sync(lambda: desk.act(actor, number, data))
    return _json(answer)


def _content_disposition(name: str) -> str:
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", name) or "attachment"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get("/cases/{number}/attachments/{attachment_id}", summary="下载案件附件")
def download(request: Request, number: str, attachment_id: int, actor: ActorDep) -> Response:
    name, media_type, content = _desk(request).attachment(actor, number, attachment_id)
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": _content_disposition(name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": NO_STORE,
        },
    )


@router.get("/records/{key:path}", summary="信用记录全文（未脱敏，供核实）及历史版本")
def record(request: Request, key: str, actor: ActorDep) -> JSONResponse:
    return _json(_desk(request).record(actor, key))
