"""`sitegroup serve`: the built sites and the API on one app."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search_api.preview import create_preview_app


@pytest.fixture
def client(demo_build: Path, demo_settings):
    # A sync client: the app runs in its own thread, so the suite may share the main
    # thread's event loop with Playwright's sync API (the browser tests) without clashing.
    with TestClient(
        create_preview_app(demo_build, "main", demo_settings), follow_redirects=False
    ) as c:
        yield c


def test_root_redirects_to_main_site(client) -> None:
    response = client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/main/"


def test_site_pages_and_assets(client) -> None:
    response = client.get("/zhejiang/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>信用中国(浙江)</title>" in response.text
    assert (client.get("/zhejiang")).status_code == 308
    css = next(line for line in response.text.splitlines() if "stylesheet" in line)
    href = css.split('href="')[1].split('"')[0]
    assert (client.get(href)).status_code == 200


def test_missing_page_gets_that_sites_404(client) -> None:
    response = client.get("/zhejiang-hangzhou/no-such-page.html")
    assert response.status_code == 404
    assert "信用中国(浙江杭州)" in response.text and "页面不存在" in response.text
    assert (client.get("/../../etc/passwd")).status_code == 404
    assert (client.get("/zhejiang/.sitegroup-build.json")).status_code == 404


def test_api_is_mounted(client) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    search = client.get("/api/search", params={"q": "杭州", "site": "zhejiang"})
    assert search.status_code == 200 and search.json()["total"] > 0


def test_head_and_feed_content_type(client) -> None:
    head = client.head("/zhejiang-yiwu/")
    assert head.status_code == 200
    feed = client.get("/zhejiang-yiwu/feeds/news.rss.xml")
    assert feed.status_code == 200 and "xml" in feed.headers["content-type"]
