"""The build: pages per column, sitemap/robots/404, incremental skips, atomic failures, images."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from sitegroup.build.runner import build_group
from sitegroup.errors import ConfigError
from sitegroup.tenants.loader import load_group
from tests.conftest import site_toml

ARTICLE = "Title: {title}\nDate: 2026-05-0{day} 10:00\n\n{body}\n"


def tiny_files() -> dict[str, str]:
    return {
        "main/site.toml": site_toml("100000", url="https://www.example.cn/"),
        "main/content/news/a.md": ARTICLE.format(title="全国动态", day=1, body="正文内容。"),
        "zhejiang/site.toml": site_toml("330000", url="https://zj.example.cn/"),
        "zhejiang/content/news/b.md": ARTICLE.format(title="浙江动态", day=2, body="浙江正文。"),
        "hubei/site.toml": site_toml("420000", url="https://hb.example.cn/"),
    }


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def build(tenants: Path, out: Path, theme, **kwargs):
    return build_group(load_group(tenants, theme), theme, out, workers=1, **kwargs)


def test_every_column_page_sitemap_robots_404(make_tenants, tmp_path, theme) -> None:
    out = tmp_path / "out"
    result = build(make_tenants(tiny_files()), out, theme)
    assert sorted(result.built) == ["hubei", "main", "zhejiang"] and not result.failed
    site = out / "zhejiang"
    for col in theme.all_base_columns():
        assert (site / col.path / "index.html").is_file(), col.path
    article = site / "news" / "b.html"
    page = soup(article)
    assert page.find("link", rel="canonical")["href"] == "https://zj.example.cn/news/b.html"
    assert page.html["lang"] == "zh-CN"
    assert page.h1.text == "浙江动态"
    sitemap = (site / "sitemap.xml").read_text()
    assert "<loc>https://zj.example.cn/news/b.html</loc>" in sitemap
    assert "<loc>https://zj.example.cn/</loc>" in sitemap
    assert "404.html" not in sitemap
    assert "Sitemap: https://zj.example.cn/sitemap.xml" in (site / "robots.txt").read_text()
    assert "页面不存在" in (site / "404.html").read_text()
    # theme assets are shared and fingerprinted, not copied per site
    css = page.find("link", rel="stylesheet")["href"]
    assert css.startswith("/_assets/css/site.") and css.endswith(".css")
    assert (out / css.lstrip("/")).is_file()
    assert not (site / "theme").exists()


def test_summary_line(make_tenants, tmp_path, theme) -> None:
    result = build(make_tenants(tiny_files()), tmp_path / "out", theme)
    assert result.pages > 30
    assert f"{result.pages} 个页面" in result.summary()
    assert "页/秒" in result.summary()


def test_rebuild_skips_unchanged_sites(make_tenants, tmp_path, theme) -> None:
    tenants = make_tenants(tiny_files())
    out = tmp_path / "out"
    build(tenants, out, theme)
    again = build(tenants, out, theme)
    assert again.built == [] and sorted(again.skipped) == ["hubei", "main", "zhejiang"]

    # an edited article rebuilds only its site
    (tenants / "zhejiang/content/news/b.md").write_text(
        ARTICLE.format(title="浙江动态(更新)", day=2, body="新正文。"), encoding="utf-8"
    )
    edited = build(tenants, out, theme)
    assert edited.built == ["zhejiang"]
    assert "浙江动态(更新)" in (out / "zhejiang/news/b.html").read_text()

    # a new child site changes the navigation of its ancestors (their 网站群 trees), not its uncle's
    (tenants / "zhejiang-hangzhou").mkdir()
    (tenants / "zhejiang-hangzhou/site.toml").write_text(site_toml("330100"), encoding="utf-8")
    added = build(tenants, out, theme)
    assert sorted(added.built) == ["main", "zhejiang", "zhejiang-hangzhou"]
    assert "信用中国(浙江杭州)" in (out / "zhejiang/index.html").read_text()


def test_failed_site_keeps_previous_output(make_tenants, tmp_path, theme) -> None:
    tenants = make_tenants(tiny_files())
    out = tmp_path / "out"
    build(tenants, out, theme)
    before = (out / "zhejiang/news/b.html").read_text()
    # an article without a date cannot be published: Pelican reports it as an error
    (tenants / "zhejiang/content/news/c.md").write_text("Title: 无日期\n\n正文\n", encoding="utf-8")
    result = build(tenants, out, theme)
    assert [f.site_id for f in result.failed] == ["zhejiang"]
    assert "date" in result.failed[0].error
    assert (out / "zhejiang/news/b.html").read_text() == before
    assert not (out / "zhejiang/news/c.html").exists()
    assert not list((out / ".staging").glob("*")) if (out / ".staging").exists() else True


def test_unknown_content_folder_stops_before_output(make_tenants, tmp_path, theme) -> None:
    files = tiny_files() | {"hubei/content/blog/x.md": ARTICLE.format(title="t", day=3, body="b")}
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match="未知的栏目目录 'blog'"):
        build(make_tenants(files), out, theme)
    assert not out.exists()


def _jpeg_with_exif() -> bytes:
    img = Image.new("RGB", (1800, 1000), (200, 30, 40))
    exif = Image.Exif()
    exif[271] = "DemoCam"  # Make
    exif[305] = "secret-software"
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def test_images_get_widths_thumbnail_srcset_and_no_exif(make_tenants, tmp_path, theme) -> None:
    files = tiny_files() | {
        "hubei/content/news/pic.md": ARTICLE.format(
            title="图片", day=4, body="![武汉城市天际线]({static}/images/city.jpg)"
        )
    }
    tenants = make_tenants(files)
    (tenants / "hubei/content/images").mkdir(parents=True)
    (tenants / "hubei/content/images/city.jpg").write_bytes(_jpeg_with_exif())
    out = tmp_path / "out"
    result = build(tenants, out, theme)
    assert not result.failed and not result.warnings, result.warnings
    img = soup(out / "hubei/news/pic.html").select_one(".article__body img")
    assert img["src"] == "/hubei/images/city-960.jpg"
    assert img["alt"] == "武汉城市天际线"
    assert img["srcset"] == (
        "/hubei/images/city-480.jpg 480w, /hubei/images/city-960.jpg 960w, "
        "/hubei/images/city-1600.jpg 1600w, /hubei/images/city-1800.jpg 1800w"
    )
    for name in (
        "city-480.jpg",
        "city-960.jpg",
        "city-1600.jpg",
        "city-1800.jpg",
        "city-thumb.jpg",
    ):
        variant = Image.open(out / "hubei/images" / name)
        assert not variant.getexif(), name
        assert b"DemoCam" not in (out / "hubei/images" / name).read_bytes()
    assert Image.open(out / "hubei/images/city-thumb.jpg").size == (400, 225)

    # unchanged image, changed site: variants come from the cache, not re-encoded
    cache = sorted((out / ".cache/images").glob("*-960.jpg"))
    stamp = cache[0].stat().st_mtime_ns
    (tenants / "hubei/content/news/other.md").write_text(
        ARTICLE.format(title="另一篇", day=5, body="文字"), encoding="utf-8"
    )
    assert build(tenants, out, theme).built == ["hubei"]
    assert cache[0].stat().st_mtime_ns == stamp


def test_build_state_file(make_tenants, tmp_path, theme) -> None:
    out = tmp_path / "out"
    build(make_tenants(tiny_files()), out, theme)
    state = json.loads((out / "hubei/.sitegroup-build.json").read_text())
    assert state["site"] == "hubei" and len(state["fingerprint"]) == 64


def test_only_and_shards(make_tenants, tmp_path, theme) -> None:
    from sitegroup.build.plan import in_shard

    tenants = make_tenants(tiny_files())
    out = tmp_path / "out"
    assert build(tenants, out, theme, only=["hubei"]).built == ["hubei"]
    shutil.rmtree(out)
    built = []
    for i in (1, 2, 3):
        built += build(tenants, out, theme, shard=(i, 3)).built
    assert sorted(built) == ["hubei", "main", "zhejiang"]
    assert sum(in_shard("hubei", (i, 3)) for i in (1, 2, 3)) == 1


def test_removed_site_output_is_pruned_on_full_builds(make_tenants, tmp_path, theme) -> None:
    tenants = make_tenants(tiny_files())
    out = tmp_path / "out"
    build(tenants, out, theme)
    shutil.rmtree(tenants / "hubei")
    assert build(tenants, out, theme, only=["main"]).removed == []  # partial build: keep
    assert (out / "hubei").is_dir()
    result = build(tenants, out, theme)
    assert result.removed == ["hubei"]
    assert not (out / "hubei").exists() and (out / "_assets").is_dir()
