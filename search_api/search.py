"""``/api/search`` and ``/api/subjects/{uscc}``: the one query window of every site."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from search_api.errors import ApiError
from search_api.services import Services
from sitegroup.labels import RECORD_KIND_LABELS
from sitegroup.models.records import RECORD_KINDS, RecordKind
from sitegroup.regions import NATIONAL_CODE, is_well_formed
from sitegroup.search.backend import IndexUnavailable
from sitegroup.search.documents import region_name
from sitegroup.search.service import (
    MAX_QUERY,
    QueryError,
    SearchRequest,
    SubjectNotFound,
    search,
    subject,
)

router = APIRouter(prefix="/api", tags=["信用查询"])

_KIND_BY_LABEL = {label: kind for kind, label in RECORD_KIND_LABELS.items()}


def _services(request: Request) -> Services:
    return request.app.state.services


def _kinds(values: list[str] | None) -> tuple[RecordKind, ...]:
    kinds: list[RecordKind] = []
    for value in values or ():
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            kind = _KIND_BY_LABEL.get(part, part)
            if kind not in RECORD_KINDS:
                allowed = "、".join(f"{k}（{v}）" for k, v in RECORD_KIND_LABELS.items())
                raise ApiError(
                    422, "invalid_param", f"未知的信息类别“{part}”：可选 {allowed}", "kind"
                )
            kinds.append(kind)  # type: ignore[arg-type]
    return tuple(kinds)


def _date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(
            422, "invalid_param", f"日期 {field} 应写作 YYYY-MM-DD，实际为“{value[:20]}”", field
        ) from None


def _unavailable(exc: IndexUnavailable) -> ApiError:
    return ApiError(
        503, "search_unavailable", f"查询服务暂时不可用：{exc}。公示栏目页面仍可正常浏览。"
    )


def _facet_list(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"kind": k, "label": RECORD_KIND_LABELS[k], "count": counts.get(k, 0)} for k in RECORD_KINDS
    ]


@router.get("/search", summary="信用信息查询（同一问题在任一站点返回相同结果）")
def search_records(
    request: Request,
    q: Annotated[
        str, Query(max_length=MAX_QUERY * 2, description="名称片段、统一社会信用代码或决定文书号")
    ] = "",
    site: Annotated[str | None, Query(description="发起查询的站点 id；默认 main")] = None,
    scope: Annotated[str, Query(description="local：本站辖区；all：全国")] = "local",
    kind: Annotated[
        list[str] | None, Query(description="license/penalty/redlist/blacklist，可多选")
    ] = None,
    region: Annotated[str | None, Query(description="6 位行政区划代码")] = None,
    date_from: Annotated[
        str | None, Query(alias="from", description="决定日期起 YYYY-MM-DD")
    ] = None,
    date_to: Annotated[str | None, Query(alias="to", description="决定日期止 YYYY-MM-DD")] = None,
    page: int = 1,
    size: int = 20,
) -> JSONResponse:
    services = _services(request)
    site_obj = services.site(site)
    if scope not in ("local", "all"):
        raise ApiError(
            422, "invalid_param", "查询范围 scope 应为 local（本地）或 all（全国）", "scope"
        )
    scope_region = None
    if scope == "local" and site_obj.region_code != NATIONAL_CODE:
        scope_region = site_obj.region_code
    if region is not None and region != "":
        if not is_well_formed(region) or region not in services.regions:
            raise ApiError(422, "invalid_param", f"未知的行政区划代码“{region[:12]}”", "region")
        if region == NATIONAL_CODE:
            region = None
    else:
        region = None
    req = SearchRequest(
        q=q,
        scope_region=scope_region,
        region=region,
        kinds=_kinds(kind),
        date_from=_date(date_from, "from"),
        date_to=_date(date_to, "to"),
        page=page,
        size=size,
    )
    try:
        result = search(services.index, req)
    except QueryError as exc:
        raise ApiError(422, exc.code, exc.message, exc.field) from None
    except IndexUnavailable as exc:
        raise _unavailable(exc) from None
    return JSONResponse(
        {
            "q": q,
            "mode": result.mode,
            "site": site_obj.id,
            "scope": scope,
            "scope_region": (
                {"code": scope_region, "name": region_name(scope_region)} if scope_region else None
            ),
            "region": {"code": region, "name": region_name(region)} if region else None,
            "kinds": list(req.kinds),
            "total": result.total,
            "page": result.page,
            "size": result.size,
            "pages": result.pages,
            "facets": {"kind": _facet_list(result.facets)},
            "hits": result.hits,
        }
    )


@router.get("/subjects/{uscc}", summary="主体信息：一个统一社会信用代码的全部有效公示信息")
def subject_records(request: Request, uscc: str) -> JSONResponse:
    services = _services(request)
    try:
        found = subject(services.index, uscc[:60])
    except QueryError as exc:
        raise ApiError(422, exc.code, exc.message, "uscc") from None
    except SubjectNotFound:
        raise ApiError(
            404, "not_found", f"没有找到统一社会信用代码 {uscc.strip().upper()} 的有效公示信息"
        ) from None
    except IndexUnavailable as exc:
        raise _unavailable(exc) from None
    return JSONResponse(
        {
            "subject": found.subject,
            "total": found.total,
            "counts": _facet_list(found.counts),
            "records": found.records,
        }
    )
