"""``sitegroup serve``: every built site under ``/<site-id>/`` plus the API, on one port."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from search_api.app import create_app


def create_preview_app(
    build_dir: Path, root_site: str, settings: Any = None, *, group: Any = None
) -> FastAPI:
    """The API app with the built sites mounted behind it (API routes win)."""
    app = create_app(settings, group=group)
    base = build_dir.resolve()

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse(f"/{root_site}/", status_code=307)

    @app.api_route("/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    def static(path: str, request: Request) -> Response:
        target = (base / path).resolve()
        if base not in target.parents and target != base:
            return _not_found(base, root_site)
        if target.is_dir():
            if not request.url.path.endswith("/"):
                return RedirectResponse(request.url.path + "/", status_code=308)
            target = target / "index.html"
        if target.is_file() and not target.name.startswith("."):
            return FileResponse(target, headers={"Cache-Control": "no-cache"})
        site = path.split("/", 1)[0]
        return _not_found(base, site if (base / site / "404.html").is_file() else root_site)

    return app


def _not_found(base: Path, site: str) -> Response:
    page = base / site / "404.html"
    if page.is_file():
        return FileResponse(page, status_code=404, media_type="text/html; charset=utf-8")
    return Response("404 Not Found", status_code=404, media_type="text/plain; charset=utf-8")
