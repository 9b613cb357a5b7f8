"""A link check over the whole demo build, and the base columns on every site, in order."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from sitegroup.tenants.loader import load_group
from tests.conftest import DEMO_TENANTS


def _target(build: Path, href: str) -> Path | None:
    """The file an internal link points at, or None for external / API links."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith("/api/"):
        return None
    path = build / parts.path.lstrip("/")
    return path / "index.html" if parts.path.endswith("/") else path


def test_no_broken_internal_link(demo_build: Path) -> None:
    broken: list[str] = []
    pages = sorted(demo_build.glob("*/**/*.html"))
    assert len(pages) > 200
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        refs = [a["href"] for a in soup.find_all("a", href=True)]
        refs += [t["href"] for t in soup.find_all("link", href=True)]
        refs += [t["src"] for t in soup.find_all(["img", "script"], src=True)]
        for img in soup.find_all("img", srcset=True):
            refs += [item.split()[0] for item in img["srcset"].split(",")]
        for href in refs:
            if href.startswith("#"):
                continue
            target = _target(demo_build, href)
            if target is not None and not target.is_file():
                broken.append(f"{page.relative_to(demo_build)} → {href}")
    assert not broken, "\n".join(broken[:50])


def test_every_base_column_on_every_site_in_order(demo_build: Path, theme) -> None:
    group = load_group(DEMO_TENANTS, theme)
    base_titles = [c.title for c in theme.base_columns]
    assert base_titles == [
        "首页",
        "信用动态",
        "政策法规",
        "信用公示",
        "信用查询",
        "信用服务",
        "异议投诉",
        "网站群",
        "网站访问统计",
    ]
    # Columns with params.nav = "footer" are linked from the footer, not the main navigation.
    in_footer = [c.title for c in theme.base_columns if c.params.get("nav") == "footer"]
    assert in_footer == ["网站访问统计"]
    in_nav = [t for t in base_titles if t not in in_footer]
    for site in group:
        home = BeautifulSoup((demo_build / site.id / "index.html").read_text(), "html.parser")
        nav = [a.text for a in home.select(".mainnav__list a")]
        features = [c.title for c in site.columns if c.feature]
        assert nav == in_nav + features, site.id
        assert [a.text for a in home.select(".footer__links a")] == in_footer, site.id
        for col in (c for top in site.columns for c in top.walk()):
            assert (demo_build / site.id / col.path / "index.html").is_file(), (site.id, col.path)
        assert site.name in home.title.text


def test_every_article_column_has_content(demo_build: Path, theme) -> None:
    group = load_group(DEMO_TENANTS, theme)
    for site in group:
        for col in (c for top in site.columns for c in top.walk() if c.kind == "articles"):
            page = BeautifulSoup(
                (demo_build / site.id / col.path / "index.html").read_text(), "html.parser"
            )
            assert page.select(".list__item"), f"{site.id}/{col.path} is empty"


def test_group_navigation_reaches_every_site_from_main(demo_build: Path, theme) -> None:
    group = load_group(DEMO_TENANTS, theme)
    page = BeautifulSoup((demo_build / "main/sitegroup/index.html").read_text(), "html.parser")
    linked = {a["href"] for a in page.select(".tree a")}
    assert linked == {f"/{s.id}/" for s in group}
