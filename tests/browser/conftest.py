"""Browser tests: build the demo group once, serve it on loopback, drive Debian's chromium.

Nothing here downloads anything: Playwright launches /usr/bin/chromium (``make browser-deps``)
and axe-core comes from ``node_modules`` (``npm ci``). A missing browser fails loudly rather
than skipping, because CI installs it and a silent skip would hide a broken setup.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("SITEGROUP_CHROMIUM", "/usr/bin/chromium"))
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
ROOT_SITE = "main"

# Headless, offline: no first-run, no background fetches, no component updates.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory, demo_store_url: str) -> Path:
    """The demo tenants with the demo push data, built once for the whole browser session.

    ``SITEGROUP_BROWSER_BUILD=<dir>`` tests an existing build instead (e.g. one made with
    another theme, to compare before and after a change).
    """
    prebuilt = os.environ.get("SITEGROUP_BROWSER_BUILD")
    if prebuilt:
        return Path(prebuilt)

    from sitegroup.build.runner import DataSource, build_group
    from sitegroup.tenants.loader import load_group
    from sitegroup.theme import load_theme

    theme = load_theme()
    group = load_group(ROOT / "tenants", theme)
    out = tmp_path_factory.mktemp("browser-build")
    result = build_group(group, theme, out, data=DataSource(demo_store_url))
    assert not result.failed, f"demo build failed: {[(r.site_id, r.error) for r in result.failed]}"
    return out


@pytest.fixture(scope="session")
def base_url(build_dir: Path, demo_settings) -> Iterator[str]:
    """The preview app (every site under /<site-id>/ plus the API on the demo store and its
    synced search index) on a free loopback port."""
    import uvicorn

    from search_api.preview import create_preview_app

    app = create_preview_app(build_dir, ROOT_SITE, demo_settings)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="preview-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the preview server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: run `make browser-deps` to install Debian's chromium "
            "and the CJK fonts (browser tests never download a browser).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_js() -> Path:
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} not found: run `npm ci` (or `make browser-deps`).", pytrace=False)
    return AXE_JS


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def open_page(browser, base_url):
    """``open_page(width, height, user_agent=None)`` → a fresh page in its own context (its own
    visitor), closed after the test."""
    contexts = []

    def _open(width: int = 1280, height: int = 900, user_agent: str | None = None):
        # Headless chromium says "HeadlessChrome", which the click tracker does not count;
        # a test that wants its views counted passes a desktop browser's user agent.
        options = {"user_agent": user_agent} if user_agent else {}
        ctx = browser.new_context(
            viewport={"width": width, "height": height},
            locale="zh-CN",
            base_url=base_url,
            **options,
        )
        # Loopback only: anything else is a bug in the pages (an external asset or font).
        ctx.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith(base_url) else route.abort()
            ),
        )
        contexts.append(ctx)
        return ctx.new_page()

    yield _open
    for ctx in contexts:
        ctx.close()


def api_get(base_url: str, path: str, **params: str) -> tuple[int, dict]:
    """GET the API directly (not through the page): status and JSON body."""
    url = base_url + path + ("?" + urlencode(params) if params else "")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)
