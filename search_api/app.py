"""The FastAPI app factory; uvicorn runs ``search_api.app:create_app --factory``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel

import sitegroup
from search_api import cases, handling, hits, reports, search
from search_api.errors import install_handlers
from search_api.services import Services
from sitegroup.config import Settings
from sitegroup.search.backend import IndexUnavailable, SearchBackend
from sitegroup.tenants.registry import Group


class Health(BaseModel):
    """``GET /api/health``: whether the API and its dependencies are up."""

    status: str
    version: str
    store: dict[str, Any]
    index: dict[str, Any]


class _NoClientAddress(logging.Filter):
    """Access log lines without the client's address: the click tracker promises that raw IP
    addresses are never stored or logged (uvicorn's access record starts with it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = ("-", *record.args[1:])
        return True


def _mask_access_log() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _NoClientAddress) for f in logger.filters):
        logger.addFilter(_NoClientAddress())


def create_app(
    settings: Settings | None = None,
    *,
    group: Group | None = None,
    index: SearchBackend | None = None,
    store: Any = None,
) -> FastAPI:
    """Build the API app; settings are passed in (default: from the environment)."""
    settings = settings or Settings()
    _mask_access_log()
    services = Services.create(settings, group=group, index=index, store=store)
    # Reports need a CJK font, their template and (in production) a signing key: a machine
    # without them fails here, at start, with a message naming what is missing.
    services.report_setup  # noqa: B018

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        services.close()

    app = FastAPI(
        title="信用中国网站群 API",
        version=sitegroup.__version__,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.services = services
    # Only the group's own sites may call the API from a browser.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=sorted(services.allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        expose_headers=["X-Report-No", "Content-Disposition"],
        max_age=3600,
    )
    install_handlers(app)
    router = APIRouter(prefix="/api", tags=["health"])

    @router.get("/health", response_model=Health, summary="服务与依赖状态")
    def health(request: Request) -> JSONResponse:
        svc: Services = request.app.state.services
        store_state: dict[str, Any] = {"status": "ok"}
        last_push: int | None = None
        try:
            last_push = svc.store.last_record_push()
            store_state["last_push"] = last_push
        except Exception as exc:  # any driver error: report, never crash the probe
            store_state = {"status": "down", "message": f"数据库无法访问：{exc}"[:300]}
        index_state: dict[str, Any] = {"status": "ok", "backend": svc.index.name}
        try:
            status = svc.index.status()
            index_state.update(documents=status.documents, synced_push=status.synced_push)
            if last_push is not None and status.synced_push != last_push:
                index_state["status"] = "behind"
                index_state["message"] = (
                    f"检索索引同步至推送 #{status.synced_push}，数据库已到 #{last_push}；"
                    "运行 sitegroup index sync"
                )
        except IndexUnavailable as exc:
            index_state.update(status="down", message=str(exc))
        down = "down" in (store_state["status"], index_state["status"])
        body = {
            "status": "degraded" if down else "ok",
            "version": sitegroup.__version__,
            "store": store_state,
            "index": index_state,
        }
        return JSONResponse(body, status_code=503 if down else 200)

    @app.get("/docs", include_in_schema=False)
    def docs() -> RedirectResponse:
        return RedirectResponse("/api/docs", status_code=307)

    app.include_router(router)
    app.include_router(search.router)
    app.include_router(hits.router)
    app.include_router(cases.router)
    app.include_router(handling.router)
    app.include_router(reports.router)
    return app
