"""RSS 2.0 and Atom 1.0 feeds of a column, rendered to bytes with feedgen.

Pure: nothing here writes files. The output is deterministic — the same
:class:`FeedMeta` and items give byte-identical feeds — because the publisher uploads
by content hash: there is no "now" anywhere. The feed's ``lastBuildDate`` / ``updated``
is the newest item's date (:data:`EMPTY_FEED_DATE` for a feed without items), and the
generator element is the fixed string ``sitegroup``.

Dates without a time are midnight in Asia/Shanghai (``+08:00``); naive datetimes are
taken as Asia/Shanghai local time; aware datetimes are converted to it.

Items keep the order they are given in (callers pass newest first). feedgen prepends
entries by default, so every entry is added with ``order="append"``.

Every URL (item links, the feed's page and self links) must be absolute ``http(s)``;
anything else raises :class:`ValueError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator

__all__ = [
    "DEFAULT_AUTHOR",
    "EMPTY_FEED_DATE",
    "GENERATOR",
    "SHANGHAI",
    "FeedItem",
    "FeedMeta",
    "render_atom",
    "render_rss",
    "to_shanghai",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
"""Time zone of every date in a feed."""

EMPTY_FEED_DATE = datetime(2000, 1, 1, tzinfo=SHANGHAI)
"""``lastBuildDate`` / ``updated`` of a feed without items (fixed, for determinism)."""

GENERATOR = "sitegroup"
"""Content of the feeds' generator element."""

DEFAULT_AUTHOR = "信用中国网站群"
"""Atom feed author when none can be derived from the feed title."""

RSS_DOCS = "https://www.rssboard.org/rss-specification"

_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_TITLE_SEPARATOR = " - "


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed.

    ``id`` is the stable unique id (RSS ``guid``, Atom ``id``): a ``tag:`` URI or the
    absolute URL of the item. ``summary`` is plain text, ``content_html`` optional
    full HTML.
    """

    id: str
    title: str
    link: str
    published: date | datetime
    summary: str = ""
    content_html: str = ""
    author: str = ""
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedMeta:
    """The feed itself: ids, title and the URLs of its HTML page and feed files.

    ``author`` is the Atom feed author; empty means the site name in front of
    ``" - "`` in the title (``信用中国(浙江杭州) - 信用动态`` -> ``信用中国(浙江杭州)``),
    or :data:`DEFAULT_AUTHOR` when the title has no such part.
    """

    id: str
    title: str
    link: str
    self_rss: str
    self_atom: str
    description: str
    language: str = "zh-CN"
    author: str = ""


def to_shanghai(value: date | datetime) -> datetime:
    """``value`` as an aware datetime in Asia/Shanghai.

    A date becomes 00:00:00 on that day, a naive datetime is taken as Shanghai local
    time, an aware datetime is converted.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=SHANGHAI)
        return value.astimezone(SHANGHAI)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=SHANGHAI)
    raise TypeError(f"expected a date or datetime, got {type(value).__name__}")


def render_rss(meta: FeedMeta, items: Sequence[FeedItem]) -> bytes:
    """The RSS 2.0 feed (UTF-8, pretty printed) with ``<atom:link rel="self">``."""
    fg = _build(meta, items, self_href=meta.self_rss, self_type="application/rss+xml")
    return fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def render_atom(meta: FeedMeta, items: Sequence[FeedItem]) -> bytes:
    """The Atom 1.0 feed (UTF-8, pretty printed)."""
    fg = _build(meta, items, self_href=meta.self_atom, self_type="application/atom+xml")
    return fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)


# -- internals ------------------------------------------------------------------


def _require_absolute(url: str, what: str) -> str:
    """Return ``url`` if it is an absolute http(s) URL with a host, else raise."""
    if not isinstance(url, str) or not url or url != url.strip():
        raise ValueError(f"{what} must be an absolute http(s) URL, got {url!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must be an absolute http(s) URL, got {url!r}")
    return url


def _require_item_id(item_id: str, what: str) -> str:
    """An item id must be a URI: ``tag:``/``urn:`` or an absolute http(s) URL."""
    if not isinstance(item_id, str) or not _URI_SCHEME.match(item_id):
        raise ValueError(f"{what} must be a tag: URI or an absolute URL, got {item_id!r}")
    if item_id.lower().startswith(("http:", "https:")):
        _require_absolute(item_id, what)
    return item_id


def _feed_author(meta: FeedMeta) -> str:
    if meta.author.strip():
        return meta.author.strip()
    site, sep, _column = meta.title.partition(_TITLE_SEPARATOR)
    if sep and site.strip():
        return site.strip()
    return DEFAULT_AUTHOR


def _build(
    meta: FeedMeta, items: Sequence[FeedItem], *, self_href: str, self_type: str
) -> FeedGenerator:
    """A FeedGenerator with every field set, none left to feedgen's "now"."""
    _require_absolute(meta.link, "FeedMeta.link")
    _require_absolute(meta.self_rss, "FeedMeta.self_rss")
    _require_absolute(meta.self_atom, "FeedMeta.self_atom")
    _require_item_id(meta.id, "FeedMeta.id")
    if not meta.title.strip():
        raise ValueError("FeedMeta.title must not be empty")
    for index, item in enumerate(items):
        _require_absolute(item.link, f"FeedItem.link of item {index} ({item.id!r})")
        _require_item_id(item.id, f"FeedItem.id of item {index}")
        if not item.title.strip():
            raise ValueError(f"FeedItem.title of item {index} ({item.id!r}) must not be empty")

    published = [to_shanghai(item.published) for item in items]
    updated = max(published) if published else EMPTY_FEED_DATE

    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)  # dc:creator: RSS <author> needs an email
    fg.id(meta.id)
    fg.title(meta.title)
    fg.description(meta.description or meta.title)
    fg.subtitle(meta.description or meta.title)
    fg.author({"name": _feed_author(meta)})
    # feedgen takes the *last* link as the RSS channel <link>: self first, page last.
    fg.link(href=self_href, rel="self", type=self_type)
    fg.link(href=meta.link, rel="alternate", type="text/html")
    fg.language(meta.language)
    fg.generator(GENERATOR)
    fg.docs(RSS_DOCS)
    fg.updated(updated)  # also sets RSS lastBuildDate

    for item, when in zip(items, published, strict=True):
        fe = fg.add_entry(order="append")
        fe.guid(item.id, permalink=item.id == item.link)
        fe.title(item.title)
        fe.link(href=item.link, rel="alternate", type="text/html")
        fe.published(when)
        fe.updated(when)
        if item.summary:
            fe.summary(item.summary)
        if item.content_html:
            fe.content(item.content_html, type="html")
        if item.author:
            fe.author({"name": item.author})
            fe.dc.dc_creator(item.author)
        for category in item.categories:
            fe.category(term=category)
    return fg
