"""Jinja globals and filters, registered in one place for every renderer."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from html import escape, unescape
from typing import Any

from markupsafe import Markup

from sitegroup.build.context import walk_columns
from sitegroup.build.images import ProcessedImage

_TAGS = re.compile(r"<[^>]+>")
_IMG_SRC = re.compile(r'<img\b([^>]*?)\bsrc="([^"]+)"([^>]*)>')


def excerpt(html: str, length: int = 90) -> str:
    """Plain-text excerpt of an HTML fragment, cut at ``length`` characters."""
    text = " ".join(unescape(_TAGS.sub(" ", str(html))).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def date_cn(value: date | datetime | None) -> str:
    """2026-03-12 → 2026年3月12日."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def date_iso(value: date | datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def make_responsive_images(
    images: Mapping[str, ProcessedImage], home: str
) -> Callable[[str], Markup]:
    """Return a filter adding ``srcset``, size and lazy loading to editor images."""
    by_url = {home + img.src.url: img for img in images.values()}

    def responsive_images(html: str) -> Markup:
        def replace(m: re.Match[str]) -> str:
            img = by_url.get(m.group(2))
            if img is None:
                return m.group(0)
            srcset = ", ".join(f"{home}{v.url} {v.width}w" for v in img.srcset)
            attrs = (
                f' srcset="{escape(srcset)}" sizes="(max-width: 800px) 100vw, 800px"'
                f' width="{img.src.width}" height="{img.src.height}"'
                ' loading="lazy" decoding="async"'
            )
            return f'<img{m.group(1)}src="{m.group(2)}"{attrs}{m.group(3)}>'

        return Markup(_IMG_SRC.sub(replace, str(html)))

    return responsive_images


def template_globals(ctx: Mapping[str, Any]) -> dict[str, Any]:
    """Globals every template sees: the site, its columns, the group nav, VI, link helpers."""
    site = ctx["site"]
    assets = ctx["assets"]
    assets_url = ctx["assets_url"]

    def asset(path: str) -> str:
        return assets_url + assets[path]

    def url(path: str = "") -> str:
        return site["home"] + path

    def canonical(path: str = "") -> str:
        return site["url"] + path

    return {
        "site": site,
        "columns": ctx["columns"],
        "columns_by_id": {col["id"]: col for col in walk_columns(ctx["columns"])},
        "nav": ctx["nav"],
        "tree": ctx["tree"],
        "vi": ctx["vi"],
        "asset": asset,
        "url": url,
        "canonical": canonical,
        "api_url": ctx["api_url"],
    }


def template_filters(images: Mapping[str, ProcessedImage], home: str) -> dict[str, Any]:
    """Filters every template sees."""
    return {
        "excerpt": excerpt,
        "date_cn": date_cn,
        "date_iso": date_iso,
        "responsive_images": make_responsive_images(images, home),
    }
