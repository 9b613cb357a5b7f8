"""The FastAPI app factory; uvicorn runs ``search_api.app:create_app --factory``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

import sitegroup


class Health(BaseModel):
    """``GET /api/health``: whether the API is up, and which version answers."""

    status: str
    version: str


def create_app(settings: Any = None) -> FastAPI:
    """Build the API app; settings are passed in, nothing is read at import time."""
    app = FastAPI(
        title="信用中国网站群 API",
        version=sitegroup.__version__,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    router = APIRouter(prefix="/api", tags=["health"])

    @router.get("/health", response_model=Health)
    def health() -> Health:
        return Health(status="ok", version=sitegroup.__version__)

    app.include_router(router)
    return app
