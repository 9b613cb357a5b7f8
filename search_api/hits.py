"""``/api/hits`` and ``/api/stats``: the click tracker and its statistics, for every site.

Pages report a view with ``navigator.sendBeacon`` (``POST /api/hits``, a small JSON body sent
as ``text/plain`` so no CORS preflight is needed) or, without JavaScript, a 1×1 image
(``GET /api/hits.gif``). No cookie is read or set. See ``docs/stats.md``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from search_api.errors import ApiError, read_body
from search_api.services import Services
from sitegroup.hits import Hit, HitBufferFull, HitError, is_bot
from sitegroup.hits.stats import PERIODS, StatsError, window
from sitegroup.hits.visits import MINUTES_PER_DAY, minute_of, normalize_path, visitor_key

router = APIRouter(prefix="/api", tags=["访问统计"])


class _BeaconRoute(APIRoute):
    """``POST /api/hits`` without FastAPI's per-request parameter machinery.

    The endpoint takes only the request and answers a ``Response`` itself, so solving its
    dependencies, the endpoint context and the response model are pure overhead (of the
    order of 100 µs of CPU per hit; see bench/RESULTS.md, click tracker). The route stays an
    ``APIRoute`` (same path, method, docs and OpenAPI entry); errors still go through the
    app's exception handlers.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            response: Response = await endpoint(request)
            return response

        return handler


#: The largest hit body accepted (site, path and referrer fit in far less).
MAX_BODY = 2048
#: A transparent 1×1 GIF.
PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
NO_STORE = {"Cache-Control": "no-store"}
#: Seconds a statistics answer may be reused: dashboards poll, and a hit must show within
#: 2 s (flush interval 1 s + this + the query).
STATS_TTL = 0.5


def _services(request: Request) -> Services:
    return request.app.state.services


def _check_origin(request: Request, svc: Services) -> None:
    """A browser that says where the page came from must be on a site of the group."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return
    parts = urlsplit(origin)
    if parts.netloc == request.headers.get("host") or origin in svc.allowed_origins:
        return
    raise ApiError(403, "foreign_origin", "不计数：请求来自网站群之外的页面", "origin")


async def _count(request: Request, site: str, path: str, ref: str) -> Response:
    svc = _services(request)
    _check_origin(request, svc)
    rules = svc.hit_rules
    try:
        site = rules.site(site)
        path = normalize_path(path)
        ref = rules.ref(ref, site, request.headers.get("host"))
    except HitError as exc:
        raise ApiError(
            404 if exc.field == "site" else 422, "invalid_hit", exc.message, exc.field
        ) from None
    user_agent = request.headers.get("user-agent", "")
    if is_bot(user_agent):
        return Response(status_code=204, headers=NO_STORE)
    if "hits" not in svc.__dict__:  # first hit of this worker: open the store off the loop
        await anyio.to_thread.run_sync(lambda: svc.hits)
    buffer = svc.hits
    now = time.time()
    salt = buffer.cached_salt(now)
    if salt is None:
        salt = await anyio.to_thread.run_sync(buffer.salt, now)
    ip = request.client.host if request.client else ""
    hit = Hit(visitor_key(salt, ip, user_agent, site, path), site, path, ref, now)
    try:
        buffer.add(hit)
    except HitBufferFull:
        raise ApiError(503, "hits_backlog", "访问统计暂时无法写入，请稍后再试") from None
    return Response(status_code=204, headers=NO_STORE)


async def post_hit(request: Request) -> Response:
    body = await read_body(request, MAX_BODY, f"请求体过大：最多 {MAX_BODY} 字节")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(422, "invalid_hit", "请求体应为 JSON 对象：{site, path, ref}") from None
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_hit", "请求体应为 JSON 对象：{site, path, ref}")
    fields = {}
    for name in ("site", "path", "ref"):
        value = data.get(name, "")
        if not isinstance(value, str):
            raise ApiError(422, "invalid_hit", f"字段 {name} 应为字符串", name)
        fields[name] = value
    return await _count(request, fields["site"], fields["path"], fields["ref"])


router.add_api_route(
    "/hits",
    post_hit,
    methods=["POST"],
    route_class_override=_BeaconRoute,
    status_code=204,
    summary="记录一次页面访问",
    description=(
        '请求体为 JSON（可用 text/plain 发送）：{"site": 站点标识, "path": 站点内页面路径, '
        '"ref": 来源页面地址（可省略）}。不读写 Cookie。'
    ),
)


@router.get("/hits.gif", summary="记录一次页面访问（无 JavaScript 时的 1×1 图片）")
async def get_hit(
    request: Request,
    site: Annotated[str, Query(max_length=64)],
    path: Annotated[str, Query(max_length=512)] = "",
    ref: Annotated[str, Query(max_length=1024)] = "",
) -> Response:
    await _count(request, site, path, ref)
    return Response(PIXEL, media_type="image/gif", headers=NO_STORE)


def _stats_answer(
    request: Request,
    site: str | None,
    rollup: bool,
    period: str | None,
    start: str | None,
    end: str | None,
    granularity: str | None,
    top: int,
) -> dict[str, Any]:
    svc = _services(request)
    site_id = svc.site(site).id
    now = time.time()
    try:
        win = window(now, period=period, start=start, end=end, granularity=granularity)
    except StatsError as exc:
        raise ApiError(422, "invalid_param", exc.message, exc.field) from None
    kept = minute_of(now) - svc.settings.hits_minute_days * MINUTES_PER_DAY
    if win.granularity == "minute" and win.start < kept:
        raise ApiError(
            422,
            "invalid_param",
            f"按分钟的统计只保留最近 {svc.settings.hits_minute_days} 天：请改按小时或按天",
            "granularity",
        )
    key = (site_id, rollup, win, top, period)
    cached = svc.stats_cache.get(key)
    if cached is not None and now - cached[0] < STATS_TTL:
        return cached[1]
    answer = svc.stats.answer(site_id, rollup, win, now, top=top, period=period)
    if len(svc.stats_cache) > 1000:
        svc.stats_cache.clear()
    svc.stats_cache[key] = (now, answer)
    return answer


_PERIOD_HELP = "时段：" + "、".join(PERIODS) + "（与 from/to 二选一）"


@router.get("/stats", summary="访问统计：单个站点、含下级站点或整个网站群")
def stats(
    request: Request,
    site: Annotated[str | None, Query(max_length=64, description="站点标识；默认主站")] = None,
    rollup: Annotated[bool, Query(description="是否包含全部下级站点；主站即整个网站群")] = True,
    period: Annotated[str | None, Query(max_length=10, description=_PERIOD_HELP)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=25)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=25)] = None,
    granularity: Annotated[str | None, Query(max_length=10)] = None,
    top: Annotated[int, Query(ge=1, le=50)] = 10,
) -> JSONResponse:
    answer = _stats_answer(request, site, rollup, period, start, end, granularity, top)
    return JSONResponse(answer, headers=NO_STORE)


@router.get("/stats/chart.svg", summary="访问量趋势图（SVG，服务端绘制）")
def stats_chart(
    request: Request,
    site: Annotated[str | None, Query(max_length=64)] = None,
    rollup: bool = True,
    period: Annotated[str | None, Query(max_length=10)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=25)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=25)] = None,
    granularity: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    from sitegroup.hits.chart import render_chart

    answer = _stats_answer(request, site, rollup, period, start, end, granularity, 10)
    svg = render_chart(answer, _services(request).vi)
    return Response(svg, media_type="image/svg+xml; charset=utf-8", headers=NO_STORE)
