"""A site's context + the theme → Pelican's settings (the only place with its UPPERCASE keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sitegroup.build.context import walk_columns

#: Pelican metadata from the content path: ``<column>/<slug>.md``.
PATH_METADATA = r"(?P<column>[a-z0-9-]+)/(?P<slug>[^/]+)\.(?:md|markdown)$"


def pelican_settings(
    ctx: dict[str, Any],
    *,
    content_path: Path,
    output_path: Path,
    theme_path: Path,
    cache_path: Path,
) -> dict[str, Any]:
    """Build the settings override for one site; pass it to ``pelican.settings.read_settings``."""
    site = ctx["site"]
    article_columns = {
        col["id"]: {"path": col["path"], "article_template": col["article_template"]}
        for col in walk_columns(ctx["columns"])
        if col["kind"] == "articles"
    }

    return {
        "PATH": str(content_path),
        "OUTPUT_PATH": str(output_path),
        "THEME": str(theme_path),
        "CACHE_PATH": str(cache_path),
        "SITENAME": site["name"],
        "SITEURL": site["home"].rstrip("/"),
        "TIMEZONE": "Asia/Shanghai",
        "DEFAULT_LANG": "zh-CN",
        "DEFAULT_DATE_FORMAT": "%Y-%m-%d",
        # Content: every Markdown file below content/<column>/ is an article of that column.
        "ARTICLE_PATHS": [""],
        "ARTICLE_EXCLUDES": ["images"],
        "PAGE_PATHS": [],
        "STATIC_PATHS": [],
        "PATH_METADATA": PATH_METADATA,
        "USE_FOLDER_AS_CATEGORY": True,
        "ARTICLE_URL": "{column_path}{slug}.html",
        "ARTICLE_SAVE_AS": "{column_path}{slug}.html",
        "ARTICLE_LANG_URL": "{column_path}{slug}.{lang}.html",
        "ARTICLE_LANG_SAVE_AS": "{column_path}{slug}.{lang}.html",
        "ARTICLE_ORDER_BY": "reversed-date",
        "FORMATTED_FIELDS": [],
        "SUMMARY_MAX_LENGTH": None,
        # Everything Pelican would add on its own is off: our SiteGenerator writes the rest.
        "DIRECT_TEMPLATES": [],
        "PAGINATED_TEMPLATES": {},
        "DRAFT_SAVE_AS": "",
        "DRAFT_LANG_SAVE_AS": "",
        "CATEGORY_SAVE_AS": "",
        "TAG_SAVE_AS": "",
        "AUTHOR_SAVE_AS": "",
        "ARCHIVES_SAVE_AS": "",
        "YEAR_ARCHIVE_SAVE_AS": "",
        "MONTH_ARCHIVE_SAVE_AS": "",
        "DAY_ARCHIVE_SAVE_AS": "",
        "FEED_ALL_ATOM": None,
        "CATEGORY_FEED_ATOM": None,
        "TRANSLATION_FEED_ATOM": None,
        "AUTHOR_FEED_ATOM": None,
        "AUTHOR_FEED_RSS": None,
        "OUTPUT_SOURCES": False,
        "DELETE_OUTPUT_DIRECTORY": False,
        "RELATIVE_URLS": False,
        # Converted Markdown is cached by content hash, so a site rebuilt only
        # because its navigation changed does not convert its articles again.
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": True,
        "CONTENT_CACHING_LAYER": "reader",
        "CHECK_MODIFIED_METHOD": "md5",
        "MARKDOWN": {
            "extension_configs": {
                "markdown.extensions.extra": {},
                "markdown.extensions.meta": {},
            },
            "output_format": "html5",
        },
        "SITEGROUP_SITE": site["id"],
        "SITEGROUP_COLUMNS": article_columns,
        "SITEGROUP_COLUMN_TREE": ctx["columns"],
        "SITEGROUP_VI": ctx["vi"],
        "SITEGROUP_CANONICAL_BASE": site["url"],
    }
