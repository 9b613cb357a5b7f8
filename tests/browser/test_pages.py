"""The demo group in a real browser: layout at phone and desktop widths, navigation, axe-core.

Screenshots land in tests/browser/screenshots/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

SITE = "zhejiang-hangzhou"
PHONE = (360, 740)
DESKTOP = (1280, 900)
WIDTHS = {360: PHONE, 1280: DESKTOP}


def _no_horizontal_scroll(page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width + 1:
        # Name the culprits: elements whose right edge passes the viewport.
        wide = page.evaluate(
            """(w) => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w + 1)
                .slice(0, 8)
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                          + ' right=' + Math.round(e.getBoundingClientRect().right))""",
            width,
        )
        pytest.fail(f"horizontal scroll at {width}px: scrollWidth={scroll_width}; {wide}")


def _rendered_fonts(page, selector: str) -> list[str]:
    """The platform fonts chromium actually used to draw the text of ``selector``."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return [f["familyName"] for f in fonts if f["glyphCount"]]


# 1. The home page at phone and desktop width ------------------------------------------------


@pytest.mark.parametrize("width", [360, 1280])
def test_home_renders(open_page, screenshots, width):
    page = open_page(*WIDTHS[width])
    response = page.goto(f"/{SITE}/")
    assert response is not None and response.ok
    page.screenshot(path=str(screenshots / f"{SITE}-home-{width}.png"), full_page=True)

    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.title() == "信用中国(浙江杭州)"
    brand = page.locator(".brand__name")
    assert brand.is_visible()
    assert brand.inner_text().replace("\n", "") == "信用中国(浙江杭州)"
    box = brand.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 16, f"brand is not drawn: {box}"

    # The stack names a CJK face first-ish; chromium must really draw the Chinese with one,
    # otherwise it falls back to a Latin font and shows tofu boxes.
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Noto Sans CJK SC" in family, family
    fonts = _rendered_fonts(page, ".brand__name")
    assert any("CJK" in f or "Han" in f for f in fonts), (
        f"Chinese drawn with {fonts}: install fonts-noto-cjk (`make browser-deps`)"
    )

    if width == 360:
        _no_horizontal_scroll(page, width)
        # The collapsed menu offers its toggle instead of eight links in a row.
        assert page.locator(".mainnav__toggle").is_visible()
        assert not page.locator("#mainnav-list").is_visible()
    else:
        assert not page.locator(".mainnav__toggle").is_visible()
        assert page.get_by_role("link", name="信用动态", exact=True).first.is_visible()


#: The site's own articles in a list (pushed headlines carry the 来自信用中国 badge).
LOCAL_ITEM = ".layout__main .list__item:not(:has(.badge--origin)) .list__title"


@pytest.mark.parametrize("width", [360, 1280])
def test_pushed_headlines_on_a_regional_site(open_page, screenshots, width):
    page = open_page(*WIDTHS[width])
    page.goto(f"/{SITE}/")
    block = page.locator(".panel--headlines")
    assert block.locator(".list__item").count() == 6
    page.screenshot(path=str(screenshots / f"{SITE}-home-pushed-{width}.png"), full_page=True)
    page.goto(f"/{SITE}/news/")
    pushed = page.locator(".layout__main .list__item:has(.badge--origin)").first
    assert "来自信用中国" in pushed.inner_text()
    title = pushed.locator(".list__title").inner_text()
    pushed.locator(".list__title").click()
    page.wait_for_url(re.compile(r"/main/news/headlines/[a-z0-9-]+\.html$"))
    assert page.locator("h1.page-title").inner_text() == title
    assert page.title() == f"{title} - 信用中国"
    page.screenshot(path=str(screenshots / f"main-headline-{width}.png"), full_page=True)
    if width == 360:
        _no_horizontal_scroll(page, width)


@pytest.mark.parametrize("width", [360, 1280])
def test_penalty_list_with_pushed_records(open_page, screenshots, width):
    page = open_page(*WIDTHS[width])
    page.goto(f"/{SITE}/disclosure/penalties/")
    rows = page.locator("tr.record")
    assert rows.count() > 0
    assert "共有" in page.locator(".records__info").inner_text()
    page.screenshot(path=str(screenshots / f"{SITE}-penalties-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [360, 1280])
def test_article_renders(open_page, screenshots, width):
    page = open_page(*WIDTHS[width])
    page.goto(f"/{SITE}/news/")
    first = page.locator(LOCAL_ITEM).first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(rf"/{SITE}/news/.+\.html$"))
    assert page.locator("h1.page-title").inner_text() == title
    assert page.title() == f"{title} - 信用中国(浙江杭州)"
    page.screenshot(path=str(screenshots / f"{SITE}-article-{width}.png"), full_page=True)
    if width == 360:
        _no_horizontal_scroll(page, width)


# 2. Navigating the group as a newcomer would ------------------------------------------------


def test_group_navigation(open_page):
    page = open_page(*DESKTOP)
    page.goto("/")
    assert re.search(r"/main/$", page.url), page.url
    assert page.title() == "信用中国"

    groupnav = page.get_by_role("navigation", name="网站群")
    groupnav.get_by_role("link", name="信用中国(浙江)", exact=True).click()
    page.wait_for_url(re.compile(r"/zhejiang/$"))
    assert page.title() == "信用中国(浙江)"

    groupnav.get_by_role("link", name="信用中国(浙江杭州)", exact=True).click()
    page.wait_for_url(re.compile(r"/zhejiang-hangzhou/$"))
    assert page.title() == "信用中国(浙江杭州)"

    # "上级: 信用中国(浙江)" in the footer's group nav leads back up.
    up = groupnav.locator(".groupnav__label", has_text="上级").locator(
        "xpath=following-sibling::a[1]"
    )
    assert up.inner_text() == "信用中国(浙江)"
    up.click()
    page.wait_for_url(re.compile(r"/zhejiang/$"))
    assert page.title() == "信用中国(浙江)"


def test_mobile_menu(open_page, screenshots):
    page = open_page(*PHONE)
    page.goto(f"/{SITE}/")
    toggle = page.locator("button.mainnav__toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    menu = page.locator("#mainnav-list")
    assert menu.is_visible()
    _no_horizontal_scroll(page, PHONE[0])
    page.screenshot(path=str(screenshots / f"{SITE}-menu-360.png"))
    menu.get_by_role("link", name="信用动态", exact=True).click()
    page.wait_for_url(re.compile(rf"/{SITE}/news/$"))
    assert page.title() == "信用动态 - 信用中国(浙江杭州)"
    assert page.locator("h1").inner_text() == "信用动态"
    _no_horizontal_scroll(page, PHONE[0])


# Keyboard users: a skip link, and a focus ring they can see on every background.

# For the focused element: its outline and the contrast of the outline's colour against the
# first opaque background behind it (WCAG 1.4.11 asks for 3:1).
FOCUS_RING_JS = """() => {
  const el = document.activeElement;
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let bg = [255, 255, 255];
  for (let n = el.parentElement; n; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] === 1)) { bg = c.slice(0, 3); break; }
  }
  const s = getComputedStyle(el);
  const [hi, lo] = [lum(rgb(s.outlineColor)), lum(bg)].sort((a, b) => b - a);
  return {
    what: el.tagName.toLowerCase() + (el.className ? "." + el.className : "")
          + " " + (el.textContent || el.getAttribute("aria-label") || "").trim().slice(0, 12),
    style: s.outlineStyle, width: parseFloat(s.outlineWidth),
    contrast: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100,
  };
}"""


@pytest.mark.parametrize("width", [360, 1280])
def test_keyboard_focus(open_page, width):
    page = open_page(*WIDTHS[width])
    page.goto(f"/{SITE}/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, f"skip link focused but off screen: {box}"

    # Tab through the header, the menu and the first panels: each stop shows a real ring.
    weak = []
    for _ in range(16):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_RING_JS)
        if ring["style"] == "none" or ring["width"] < 2 or ring["contrast"] < 3:
            weak.append(ring)
    assert not weak, f"focus ring missing or too faint at {width}px: {weak}"

    page.goto(f"/{SITE}/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


# 3. axe-core: no serious or critical violation ---------------------------------------------

PAGES = {
    "home": f"/{SITE}/",
    "article": None,  # the first item of 信用动态, found at run time
    "column": f"/{SITE}/news/",
    "records": f"/{SITE}/disclosure/penalties/",
    "headline": "/main/news/headlines/credit-repair-one-stop-service.html",
    "query": f"/{SITE}/query/",
    "objections": f"/{SITE}/objections/",
    "stats": f"/{SITE}/stats/",
}


def _format(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        target = v["nodes"][0]["target"] if v["nodes"] else "-"
        lines.append(
            f"  [{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} nodes; first {target})"
        )
    return "\n".join(lines)


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("name", list(PAGES))
def test_axe(open_page, axe_js, name, width):
    page = open_page(*WIDTHS[width])
    path = PAGES[name]
    if path is None:
        page.goto(f"/{SITE}/news/")
        path = page.locator(LOCAL_ITEM).first.get_attribute("href")
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations = result["violations"]
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on {path} at {width}px:\n{_format(bad)}"
