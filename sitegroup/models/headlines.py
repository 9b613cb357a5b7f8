"""Headlines (头版): news items the main site pushes to every site.

The body is Markdown, rendered once here with python-markdown ("extra") into HTML
that is safe to embed: raw HTML in the source is escaped as text, links and images
may only point to http(s), mailto or relative URLs, and only plain attributes survive.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import json
import re
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

import markdown
from markdown.treeprocessors import Treeprocessor

__all__ = ["Headline", "render_markdown"]

_ALLOWED_ATTRIBUTES = frozenset(
    {"href", "src", "alt", "title", "id", "class", "colspan", "rowspan", "align", "start", "rev"}
)
_URL_ATTRIBUTES = ("href", "src")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]+")


def _is_safe_url(url: str) -> bool:
    # The serializer keeps character references in attributes, and browsers ignore
    # control characters and whitespace inside a scheme: "java&#115;cript:", "java\tscript:".
    compact = _IGNORED_IN_URL.sub("", html.unescape(url)).lower()
    match = _SCHEME.match(compact)
    return match is None or match.group(1) in _SAFE_SCHEMES


class _SanitizeTreeprocessor(Treeprocessor):
    """Drop attributes outside the allow-list and URLs with a dangerous scheme."""

    def run(self, root: Element) -> None:
        for element in root.iter():
            for name in list(element.attrib):
                value = element.attrib[name]
                if name not in _ALLOWED_ATTRIBUTES or (
                    name in _URL_ATTRIBUTES and not _is_safe_url(value)
                ):
                    del element.attrib[name]


def render_markdown(text: str) -> str:
    """Markdown -> HTML5 with raw HTML escaped and unsafe URLs and attributes removed."""
    md = markdown.Markdown(extensions=["extra"], output_format="html5")
    # Without these two, raw HTML blocks and inline tags are kept as text and escaped.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.treeprocessors.register(_SanitizeTreeprocessor(md), "sitegroup_sanitize", -100)
    return md.convert(text)


@dataclass(frozen=True, slots=True)
class Headline:
    """One headline as pushed by the main site."""

    id: str
    """Slug ``[a-z0-9-]+``, at most 80 characters; stable across pushes."""
    title: str
    date: datetime.date
    summary: str
    body_md: str
    body_html: str
    """:func:`render_markdown` of :attr:`body_md`."""
    source_url: str
    """The original article on the main site (absolute http(s) URL)."""
    image: str
    """Absolute http(s) URL of the lead image, or ""."""
    retracted: bool

    @classmethod
    def create(
        cls,
        *,
        id: str,
        title: str,
        date: datetime.date,
        summary: str = "",
        body_md: str = "",
        source_url: str,
        image: str = "",
        retracted: bool = False,
    ) -> Headline:
        """A headline with :attr:`body_html` rendered from ``body_md``."""
        return cls(
            id=id,
            title=title,
            date=date,
            summary=summary,
            body_md=body_md,
            body_html=render_markdown(body_md),
            source_url=source_url,
            image=image,
            retracted=retracted,
        )

    def content_hash(self) -> str:
        """sha256 hex of the source fields (canonical JSON; the derived HTML is excluded)."""
        data = self.to_json()
        del data["body_html"]
        canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """A JSON-serializable dict (date as ISO string)."""
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date.isoformat(),
            "summary": self.summary,
            "body_md": self.body_md,
            "body_html": self.body_html,
            "source_url": self.source_url,
            "image": self.image,
            "retracted": self.retracted,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Headline:
        """The inverse of :meth:`to_json` (re-renders the HTML when it is missing)."""
        body_md = str(data.get("body_md", ""))
        html = data.get("body_html")
        return cls(
            id=str(data["id"]),
            title=str(data["title"]),
            date=datetime.date.fromisoformat(data["date"]),
            summary=str(data.get("summary", "")),
            body_md=body_md,
            body_html=str(html) if html is not None else render_markdown(body_md),
            source_url=str(data["source_url"]),
            image=str(data.get("image", "")),
            retracted=bool(data.get("retracted", False)),
        )
