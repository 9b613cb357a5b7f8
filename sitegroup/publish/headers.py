"""Content types and caching per kind of file, and the stable pre-compression.

Kinds: ``assets`` (the theme's fingerprinted files: cached a year, immutable), ``html``
and ``feeds`` (short: they change with every push), ``other`` (editors' images, sitemap,
robots). The durations are group config (``[publish.cache_control]`` in the main site's
``site.toml``).
"""

from __future__ import annotations

import gzip
import mimetypes
from dataclasses import dataclass, field
from typing import Literal

from sitegroup.publish.targets import Headers

Kind = Literal["assets", "html", "feeds", "other"]

DEFAULT_CACHE_CONTROL: dict[str, str] = {
    "assets": "public, max-age=31536000, immutable",
    "html": "public, max-age=300",
    "feeds": "public, max-age=300",
    "other": "public, max-age=86400",
}

#: Types by suffix, checked before ``mimetypes`` (whose table differs between machines).
_TYPES: tuple[tuple[str, str], ...] = (
    (".rss.xml", "application/rss+xml"),
    (".atom.xml", "application/atom+xml"),
    (".html", "text/html"),
    (".css", "text/css"),
    (".js", "text/javascript"),
    (".mjs", "text/javascript"),
    (".json", "application/json"),
    (".xml", "application/xml"),
    (".txt", "text/plain"),
    (".svg", "image/svg+xml"),
    (".png", "image/png"),
    (".jpg", "image/jpeg"),
    (".jpeg", "image/jpeg"),
    (".webp", "image/webp"),
    (".gif", "image/gif"),
    (".ico", "image/vnd.microsoft.icon"),
    (".woff2", "font/woff2"),
    (".woff", "font/woff"),
    (".pdf", "application/pdf"),
)
#: Types that are text: served with ``charset=utf-8`` and worth compressing.
_TEXT = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "text/plain",
        "application/json",
        "application/xml",
        "application/rss+xml",
        "application/atom+xml",
        "image/svg+xml",
    }
)
#: No charset parameter is defined for JSON (RFC 8259); the rest take one.
_NO_CHARSET = frozenset({"application/json"})


@dataclass(frozen=True)
class HeaderRules:
    """The group's header policy: Cache-Control per kind and whether text is pre-gzipped."""

    cache_control: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CACHE_CONTROL))
    precompress: bool = False

    def cache_for(self, kind: Kind) -> str:
        return self.cache_control.get(kind) or DEFAULT_CACHE_CONTROL[kind]


def media_type(key: str) -> str:
    """The bare media type of a file name."""
    name = key.lower()
    for suffix, media in _TYPES:
        if name.endswith(suffix):
            return media
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def content_type(key: str) -> str:
    """``Content-Type`` with ``charset=utf-8`` for text (everything we build is UTF-8)."""
    media = media_type(key)
    if media in _TEXT and media not in _NO_CHARSET:
        return f"{media}; charset=utf-8"
    return media


def kind_of(key: str, *, asset: bool = False) -> Kind:
    if asset:
        return "assets"
    media = media_type(key)
    if media == "text/html":
        return "html"
    if media in {"application/rss+xml", "application/atom+xml"}:
        return "feeds"
    return "other"


def compressible(key: str) -> bool:
    return media_type(key) in _TEXT


def headers_for(key: str, rules: HeaderRules, *, asset: bool = False) -> Headers:
    """Every header of one file under ``rules``."""
    encoding = "gzip" if rules.precompress and compressible(key) else None
    return Headers(
        content_type=content_type(key),
        cache_control=rules.cache_for(kind_of(key, asset=asset)),
        content_encoding=encoding,
    )


def encode(body: bytes, headers: Headers) -> bytes:
    """The bytes to store: gzip with a fixed level and no timestamp, so always the same."""
    if headers.content_encoding == "gzip":
        return gzip.compress(body, compresslevel=9, mtime=0)
    return body
