"""`sitegroup serve`: the built sites and the API on one app."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from search_api.preview import create_preview_app


@pytest.fixture
async def client(demo_build: Path):
    app = create_preview_app(demo_build, "main")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_root_redirects_to_main_site(client) -> None:
    response = await client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/main/"


async def test_site_pages_and_assets(client) -> None:
    response = await client.get("/zhejiang/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>信用中国(浙江)</title>" in response.text
    assert (await client.get("/zhejiang")).status_code == 308
    css = next(line for line in response.text.splitlines() if "stylesheet" in line)
    href = css.split('href="')[1].split('"')[0]
    assert (await client.get(href)).status_code == 200


async def test_missing_page_gets_that_sites_404(client) -> None:
    response = await client.get("/zhejiang-hangzhou/no-such-page.html")
    assert response.status_code == 404
    assert "信用中国(浙江杭州)" in response.text and "页面不存在" in response.text
    assert (await client.get("/../../etc/passwd")).status_code == 404
    assert (await client.get("/zhejiang/.sitegroup-build.json")).status_code == 404


async def test_api_is_mounted(client) -> None:
    response = await client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
