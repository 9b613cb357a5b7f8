"""Every page of a site that is not an editor's article: one renderer for full and partial builds.

The full build (our Pelican generator) and the partial build after a push
(``sitegroup build --changed``) both call :meth:`PageRenderer.render`, so a page
rebuilt after a push is byte-identical to the same page from a full build.

Pages are grouped in *scopes*, the unit a push invalidates:

- ``pages``: everything driven by the column tree alone (column lists, 公示 pages, query …);
- ``headlines``: the home page, the lists of columns that carry pushed headlines, the
  news feeds, and on the main site one article page per headline;
- ``license`` / ``penalty`` / ``redlist`` / ``blacklist``: that 公示 list and its feeds.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from jinja2 import BytecodeCache, Environment, FileSystemLoader
from markupsafe import Markup

from sitegroup.build.context import walk_columns
from sitegroup.build.templating import excerpt, template_filters, template_globals
from sitegroup.feeds import FeedItem, FeedMeta, render_atom, render_rss
from sitegroup.models.headlines import Headline
from sitegroup.models.records import public_record
from sitegroup.partition import HEADLINES_SCOPE, RECORD_SCOPES

PAGE_FILE = "index.html"
PAGES_SCOPE = "pages"
ALL_SCOPES = (PAGES_SCOPE, HEADLINES_SCOPE, *RECORD_SCOPES)
FEEDS_DIR = "feeds/"
FEED_SIZE = 20
HEADLINES_ON_HOME = 6
HEADLINE_DIR = "headlines/"
#: What a headline shows as its origin on every site.
HEADLINE_ORIGIN = "信用中国"


def page_path(column_path: str, number: int) -> str:
    """Column list page ``number`` (1-based) → its path below the site root."""
    return column_path if number == 1 else f"{column_path}page/{number}/"


def file_for(path: str) -> str:
    """A page path (``news/``, ``""``, ``404.html``) → the file written below the site root."""
    return path + PAGE_FILE if path.endswith("/") or path == "" else path


# -- what the renderer is fed ----------------------------------------------------------


@dataclass(frozen=True)
class ListItem:
    """One entry of an article list: a local article or a pushed headline."""

    href: str
    title: str
    date: date
    summary: str = ""
    origin: str = ""
    column: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "href": self.href,
            "title": self.title,
            "date": self.date.isoformat(),
            "summary": self.summary,
            "origin": self.origin,
            "column": self.column,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> ListItem:
        return cls(**{**data, "date": date.fromisoformat(data["date"])})  # type: ignore[arg-type]


def article_item(article: Any, home: str) -> ListItem:
    """A Pelican article → its list entry (what the partial build keeps in the site state)."""
    when = article.date
    summary = article.metadata.get("summary") or excerpt(article.content, 90)
    return ListItem(
        href=home + article.url,
        title=Markup(article.title).striptags(),
        date=when.date() if isinstance(when, datetime) else when,
        summary=str(Markup(summary).striptags()),
        column=getattr(article, "column", ""),
    )


@dataclass(frozen=True)
class RecordPage:
    """The newest active records of one kind for one site, and how many there are."""

    items: Sequence[Mapping[str, Any]]
    total: int


@dataclass
class SiteData:
    """Store data one site shows; ``None`` fields were not loaded (scope not rendered)."""

    headlines: list[Headline] | None = None
    records: dict[str, RecordPage] = field(default_factory=dict)


def record_view(record: Any, version: int) -> dict[str, Any]:
    """The public, masked view of a stored record that the canonical partial renders."""
    view = public_record(record)
    view["version"] = version
    fields = view["fields"]
    view["matter"] = {
        "license": fields.get("decision_name") or fields.get("content", ""),
        "penalty": fields.get("penalty_category") or fields.get("content", ""),
        "redlist": fields.get("list_name", ""),
        "blacklist": fields.get("list_name", ""),
    }.get(record.kind, "")
    return view


def load_site_data(
    store: Any,
    site_region: str,
    scopes: Iterable[str],
    *,
    headlines: Callable[[], list[Headline]],
    records_limit: int,
) -> SiteData:
    """Read from the store what the given scopes of one site show.

    ``headlines`` gives the current headlines: the same for every site, so the caller
    reads them once per revision rather than once per site.
    """
    data = SiteData()
    wanted = set(scopes)
    if wanted & {HEADLINES_SCOPE, PAGES_SCOPE}:
        data.headlines = headlines()
    for kind in RECORD_SCOPES:
        if kind in wanted or PAGES_SCOPE in wanted:
            rows = store.latest_records(kind, site_region, limit=records_limit)
            data.records[kind] = RecordPage(
                items=[record_view(r.record, r.version) for r in rows],
                total=store.count_records(kind, site_region),
            )
    return data


def headline_digest(headlines: Sequence[Headline]) -> str:
    """Which headline versions a site shows: compared by ``sitegroup verify``."""
    h = hashlib.sha256()
    for item in headlines:
        h.update(f"{item.id}\0{item.content_hash()}\0".encode())
    return h.hexdigest()[:16]


# -- the renderer ----------------------------------------------------------------------

_ENVIRONMENTS: dict[tuple[int, Path], Environment] = {}


def theme_environment(theme_path: Path, bytecode_cache: BytecodeCache | None = None) -> Environment:
    """The theme's Jinja environment for this process (templates compiled once)."""
    key = (os.getpid(), theme_path)
    env = _ENVIRONMENTS.get(key)
    if env is None:
        env = Environment(
            loader=FileSystemLoader(str(theme_path / "templates")),
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=True,
            bytecode_cache=bytecode_cache,
            auto_reload=False,
        )
        _ENVIRONMENTS[key] = env
    return env


class PageRenderer:
    """Renders one site's non-article pages with the theme's templates."""

    def __init__(
        self,
        ctx: Mapping[str, Any],
        theme_path: Path,
        *,
        filters: Mapping[str, Any] | None = None,
        bytecode_cache: BytecodeCache | None = None,
        records_page_size: int = 20,
    ) -> None:
        self.ctx = ctx
        self.site = ctx["site"]
        self.records_page_size = records_page_size
        self.env = theme_environment(theme_path, bytecode_cache)
        # One environment per process and theme (its template cache survives across sites);
        # what differs per site travels in the render context and the filters.
        self.env.filters.update(filters or template_filters({}, self.site["home"]))
        self.globals = template_globals(ctx)
        self._all_columns = list(walk_columns(ctx["columns"]))
        #: The article column that lists pushed headlines (信用动态 in the theme).
        self._headline_column = next(
            (c for c in self._columns("articles") if c["params"].get("headlines")), None
        )
        self.page_size = int(ctx["vi"].get("page_size", 10))

    # Each scope's pages, as {path below the site root: bytes}.

    def render(
        self, scopes: Iterable[str], articles: Sequence[ListItem], data: SiteData
    ) -> dict[str, dict[str, bytes]]:
        """Render the given scopes; returns scope → {file path: content}."""
        by_column: dict[str, list[ListItem]] = {}
        for item in articles:
            by_column.setdefault(item.column, []).append(item)
        headlines = data.headlines or []
        for col in self._columns("articles"):
            if col["params"].get("headlines"):
                by_column[col["id"]] = self._merge(by_column.get(col["id"], []), headlines)
        # Home and section panels show each column's own newest items; pushed headlines have
        # the home page's 头版 block, so they are not repeated there.
        latest = {cid: [i for i in items if not i.origin][:8] for cid, items in by_column.items()}
        out: dict[str, dict[str, bytes]] = {}
        for scope in scopes:
            if scope == PAGES_SCOPE:
                out[scope] = self._pages(by_column, latest)
            elif scope == HEADLINES_SCOPE:
                out[scope] = self._headline_pages(by_column, latest, headlines)
            elif scope in RECORD_SCOPES:
                out[scope] = self._record_pages(scope, data.records.get(scope))
            else:
                raise ValueError(f"unknown page scope {scope!r}")
        return out

    def _columns(self, kind: str) -> list[dict[str, Any]]:
        return [c for c in self._all_columns if c["kind"] == kind]

    def _merge(self, local: list[ListItem], headlines: Sequence[Headline]) -> list[ListItem]:
        pushed = [self.headline_item(h) for h in headlines]
        return sorted([*local, *pushed], key=lambda i: (-i.date.toordinal(), i.href))

    def headline_item(self, headline: Headline) -> ListItem:
        return ListItem(
            href=self.ctx["nav"]["main"]["href"] + self.headline_path(headline.id),
            title=headline.title,
            date=headline.date,
            summary=headline.summary,
            origin=HEADLINE_ORIGIN,
        )

    def headline_path(self, headline_id: str) -> str:
        if self._headline_column is None:
            raise ValueError("the theme has no article column with params.headlines = true")
        return f"{self._headline_column['path']}{HEADLINE_DIR}{headline_id}.html"

    def _page(self, template: str, path: str, **kwargs: Any) -> tuple[str, bytes]:
        html = self.env.get_template(f"{template}.html").render(
            {**self.globals, "page_path": path, **kwargs}
        )
        return file_for(path), html.encode("utf-8")

    def _pages(
        self, by_column: Mapping[str, list[ListItem]], latest: Mapping[str, list[ListItem]]
    ) -> dict[str, bytes]:
        """Column lists without headlines, page-kind columns, sections and 404."""
        files: dict[str, bytes] = {}
        for col in self._all_columns:
            if col["kind"] == "articles" and not col["params"].get("headlines"):
                files.update(self._article_list(col, by_column.get(col["id"], [])))
            elif col["kind"] in ("page", "section"):
                name, body = self._page(col["template"], col["path"], column=col, latest=latest)
                files[name] = body
        name, body = self._page("404", "404.html", column=None)
        files[name] = body
        return files

    def _paginated(
        self,
        col: Mapping[str, Any],
        items: Sequence[Any],
        size: int,
        items_key: str,
        **extra: Any,
    ) -> dict[str, bytes]:
        """A column's list in pages of ``size``: ``page/2/`` … (one empty page when no items)."""
        chunks = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
        pages = [
            {"number": n, "href": page_path(col["href"], n)} for n in range(1, len(chunks) + 1)
        ]
        files = {}
        for number, chunk in enumerate(chunks, start=1):
            paginator = {
                "number": number,
                "num_pages": len(chunks),
                "count": len(items),
                "pages": pages,
                **extra,
            }
            name, body = self._page(
                col["template"],
                page_path(col["path"], number),
                column=col,
                paginator=paginator,
                **{items_key: chunk},
            )
            files[name] = body
        return files

    def _article_list(self, col: Mapping[str, Any], items: list[ListItem]) -> dict[str, bytes]:
        return self._paginated(col, items, self.page_size, "articles_page")

    def _headline_pages(
        self,
        by_column: Mapping[str, list[ListItem]],
        latest: Mapping[str, list[ListItem]],
        headlines: Sequence[Headline],
    ) -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        home = next(iter(self._columns("home")), None)
        if home is not None:
            name, body = self._page(
                home["template"],
                home["path"],
                column=home,
                latest=latest,
                headlines=[self.headline_item(h) for h in headlines[:HEADLINES_ON_HOME]],
                headlines_digest=headline_digest(headlines),
            )
            files[name] = body
        for col in self._columns("articles"):
            if not col["params"].get("headlines"):
                continue
            items = by_column.get(col["id"], [])
            files.update(self._article_list(col, items))
            if col["params"].get("feed"):
                files.update(self._feeds(col["params"]["feed"], col, items))
        if self.site["id"] == self.ctx["nav"]["main"]["id"]:
            for headline in headlines:
                files.update(self._headline_article(headline))
        return files

    def _headline_article(self, headline: Headline) -> dict[str, bytes]:
        path = self.headline_path(headline.id)
        col = self._headline_column
        article = SimpleNamespace(
            title=headline.title,
            content=Markup(headline.body_html),
            date=headline.date,
            source=HEADLINE_ORIGIN,
            metadata={"summary": headline.summary},
            url=path,
            column=col["id"],
            source_url=headline.source_url,
            image=headline.image,
        )
        name, body = self._page("headline", path, article=article, column=col)
        return {name: body}

    def _record_pages(self, kind: str, page: RecordPage | None) -> dict[str, bytes]:
        page = page or RecordPage(items=[], total=0)
        files: dict[str, bytes] = {}
        for col in self._columns("records"):
            if col["params"].get("record_kind") != kind:
                continue
            items = list(page.items)
            files.update(
                self._paginated(col, items, self.records_page_size, "records", total=page.total)
            )
            files.update(self._record_feeds(kind, col, items))
        return files

    # Feeds: absolute, canonical URLs whatever the link mode of the pages.

    def _feed_meta(self, name: str, col: Mapping[str, Any]) -> FeedMeta:
        base = self.site["url"]
        return FeedMeta(
            id=base + col["path"],
            title=f"{self.site['name']} - {col['title']}",
            link=base + col["path"],
            self_rss=f"{base}{FEEDS_DIR}{name}.rss.xml",
            self_atom=f"{base}{FEEDS_DIR}{name}.atom.xml",
            description=col.get("description") or col["title"],
        )

    def _canonical(self, href: str) -> str:
        """A page link (path mode ``/site/x`` or site mode ``https://…``) → absolute URL."""
        if href.startswith(("http://", "https://")):
            return href
        main = self.ctx["nav"]["main"]
        if href.startswith(main["href"]):
            return self.ctx["main_url"] + href[len(main["href"]) :]
        return self.site["url"] + href[len(self.site["home"]) :]

    def _feeds(
        self, name: str, col: Mapping[str, Any], items: Sequence[ListItem]
    ) -> dict[str, bytes]:
        meta = self._feed_meta(name, col)
        entries = [
            FeedItem(
                id=self._canonical(i.href),
                title=i.title,
                link=self._canonical(i.href),
                published=i.date,
                summary=i.summary,
                author=i.origin or self.site["name"],
            )
            for i in items[:FEED_SIZE]
        ]
        return {
            f"{FEEDS_DIR}{name}.rss.xml": render_rss(meta, entries),
            f"{FEEDS_DIR}{name}.atom.xml": render_atom(meta, entries),
        }

    def _record_feeds(
        self, kind: str, col: Mapping[str, Any], items: Sequence[Mapping[str, Any]]
    ) -> dict[str, bytes]:
        meta = self._feed_meta(kind, col)
        link = self.site["url"] + col["path"]
        entries = [
            FeedItem(
                id=f"urn:sitegroup:record:{r['key']}:v{r['version']}",
                title=f"{r['subject_name']}（{r['kind_label']} {r['document_no']}）",
                link=f"{link}#r-{r['key']}",
                published=date.fromisoformat(r["decided_on"]),
                summary=f"{r['authority']}：{r['matter']}",
                author=r["authority"],
                categories=(r["kind_label"],),
            )
            for r in items[:FEED_SIZE]
        ]
        return {
            f"{FEEDS_DIR}{kind}.rss.xml": render_rss(meta, entries),
            f"{FEEDS_DIR}{kind}.atom.xml": render_atom(meta, entries),
        }


def sitemap(site_url: str, pages: Iterable[str], articles: Iterable[ListItem], home: str) -> bytes:
    """sitemap.xml over every page and article of a site (articles carry their date)."""
    entries: dict[str, str | None] = {}
    for rel in pages:
        if rel.endswith(".html") and not rel.endswith("404.html"):
            path = (
                rel[: -len(PAGE_FILE)] if rel.endswith("/" + PAGE_FILE) or rel == PAGE_FILE else rel
            )
            entries[path] = None
    for item in articles:
        if item.href.startswith(home):
            entries[item.href[len(home) :]] = item.date.isoformat()
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for path in sorted(entries):
        lines.append(f"  <url><loc>{xml_escape(site_url + path)}</loc>")
        if entries[path]:
            lines.append(f"    <lastmod>{entries[path]}</lastmod>")
        lines.append("  </url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots(site_url: str) -> bytes:
    text = f"User-agent: *\nAllow: /\nDisallow: /404.html\nSitemap: {site_url}sitemap.xml\n"
    return text.encode("utf-8")


def write_files(root: Path, files: Mapping[str, bytes], *, fresh: bool = False) -> None:
    """Write each file atomically (temp file + rename), skipping identical content.

    ``fresh``: ``root`` is a new staging folder, swapped in whole: nothing to compare
    with and no reader to protect, so files are written in place.
    """
    made: set[Path] = set()
    for rel, content in files.items():
        dest = root / rel
        if not fresh:
            try:
                if dest.read_bytes() == content:
                    continue
            except OSError:
                pass
        if dest.parent not in made:
            dest.parent.mkdir(parents=True, exist_ok=True)
            made.add(dest.parent)
        if fresh:
            dest.write_bytes(content)
            continue
        tmp = dest.with_name(f".{dest.name}.tmp")
        tmp.write_bytes(content)
        tmp.replace(dest)


def state_json(state: Mapping[str, Any]) -> str:
    return json.dumps(state, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
