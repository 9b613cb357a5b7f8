"""The click tracker end to end: pages of two sites viewed in chromium, and the dashboards of
the group and of a province counting them up by themselves."""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.browser

#: Desktop browsers (two visitors): headless chromium's own user agent counts as a bot.
READER_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
WATCHER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)


def _count(page, selector: str) -> int | None:
    digits = re.sub(r"\D", "", page.locator(selector).inner_text())
    return int(digits) if digits else None


def _wait_for(page, selector: str, ok, timeout: float = 20.0) -> int:
    """Wait for the dashboard to refresh itself until the figure satisfies ``ok``."""
    deadline = time.monotonic() + timeout
    while True:
        value = _count(page, selector)
        if value is not None and ok(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} stayed at {value} for {timeout:.0f} s")
        page.wait_for_timeout(250)


def test_dashboards_count_views_of_two_sites(open_page, screenshots) -> None:
    group = open_page(1280, 1000, user_agent=WATCHER_UA)
    group.goto("/main/stats/")
    group_before = _wait_for(group, "#stats-today", lambda v: v >= 0)
    province = open_page(1280, 1000, user_agent=WATCHER_UA)
    province.goto("/zhejiang/stats/")
    province_before = _wait_for(province, "#stats-today", lambda v: v >= 0)

    reader = open_page(1280, 900, user_agent=READER_UA)
    for path in ("/zhejiang-hangzhou/", "/zhejiang-hangzhou/news/", "/hubei/"):
        response = reader.goto(path)
        assert response is not None and response.ok
    reader.wait_for_timeout(300)  # the last beacon leaves

    # Nobody reloads the dashboards: they refresh themselves.
    # The group: the reader's 3 views (+ the province dashboard's own view).
    group_after = _wait_for(group, "#stats-today", lambda v: v >= group_before + 3)
    # 信用中国(浙江) with its descendants: the 2 views of 信用中国(浙江杭州).
    province_after = _wait_for(province, "#stats-today", lambda v: v >= province_before + 2)
    assert group_after >= province_after
    _wait_for(group, "#stats-last5", lambda v: v >= 3)

    ranking = group.locator("#stats-sites").inner_text()
    assert "信用中国(浙江杭州)" in ranking and "信用中国(湖北)" in ranking
    assert "信用中国(湖北)" not in province.locator("#stats-sites").inner_text()
    assert "/news/" in group.locator("#stats-pages").inner_text()
    assert group.locator("#stats-chart").evaluate("img => img.complete && img.naturalWidth > 0")
    assert "更新于" in group.locator("#stats-updated").inner_text()
    group.screenshot(path=screenshots / "stats-group-1280.png", full_page=True)
    province.screenshot(path=screenshots / "stats-zhejiang-1280.png", full_page=True)

    # Reloads of the same page by the same visitor are not counted again.
    hubei = open_page(1280, 900, user_agent=WATCHER_UA)
    seen = []
    for _ in range(3):
        reader.goto("/hubei/")
        hubei.goto("/hubei/stats/")
        hubei.wait_for_timeout(2000)  # longer than a flush plus the answer cache
        hubei.reload()
        seen.append(_wait_for(hubei, "#stats-today", lambda v: v >= 1))
    assert seen[1] == seen[2] == seen[0], seen


def test_the_dashboard_on_a_phone(open_page, screenshots) -> None:
    page = open_page(375, 812, user_agent=WATCHER_UA)
    page.goto("/zhejiang/stats/")
    _wait_for(page, "#stats-today", lambda v: v >= 0)
    page.locator("button", has_text="近7天").click()
    page.wait_for_function(
        "document.querySelector('#stats-chart').getAttribute('src').includes('period=7d')"
    )
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the dashboard is {overflow}px wider than a 375px phone"
    page.screenshot(path=screenshots / "stats-zhejiang-375.png", full_page=True)
