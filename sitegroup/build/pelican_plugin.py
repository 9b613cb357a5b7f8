"""Our side of Pelican: a metadata receiver and the generator for column, home and group pages.

Pelican's signals are process-global, so the receiver is a module-level
function that reads its site from the sender's settings and never closes over
a tenant (see STYLE.md, convention 6).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from pelican import signals
from pelican.generators import Generator

from sitegroup.build.context import walk_columns

PAGE_FILE = "index.html"


def _on_article_context(generator: Any, metadata: dict[str, Any]) -> None:
    """Give each article its column's URL path and article template."""
    column = generator.settings["SITEGROUP_COLUMNS"].get(metadata.get("column"))
    if column is not None:
        metadata["column_path"] = column["path"]
        metadata.setdefault("template", column["article_template"])


def register() -> None:
    """Pelican plugin entry point."""
    signals.article_generator_context.connect(_on_article_context)


def _pages(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def page_path(column_path: str, number: int) -> str:
    """Column list page ``number`` (1-based) → its path below the site root."""
    return column_path if number == 1 else f"{column_path}page/{number}/"


class SiteGenerator(Generator):
    """Writes every page that is not an article: home, column lists, 公示, query, group pages.

    Pages are driven by the column tree (theme base columns + tenant feature
    columns); the template comes from the column, never from its id in code.
    """

    def generate_context(self) -> None:
        self.written: list[tuple[str, datetime | None]] = []

    def _write(self, writer: Any, path: str, template: str, **kwargs: Any) -> None:
        save_as = path + PAGE_FILE if path.endswith("/") or path == "" else path
        writer.write_file(
            save_as, self.get_template(template), self.context, page_path=path, **kwargs
        )
        self.written.append((path, kwargs.get("lastmod")))

    def generate_output(self, writer: Any) -> None:
        articles = self.context.get("articles", [])
        by_column: dict[str, list[Any]] = defaultdict(list)
        for article in articles:
            by_column[getattr(article, "column", "")].append(article)
        page_size = int(self.settings["SITEGROUP_VI"].get("page_size", 10))
        latest = {cid: items[:8] for cid, items in by_column.items()}
        for col in walk_columns(self.settings["SITEGROUP_COLUMN_TREE"]):
            self._render_column(writer, col, by_column, latest, page_size)
        self._write(writer, "404.html", "404", column=None)
        for article in articles:
            self.written.append((article.url, article.date))
        self._write_sitemap()
        self._write_robots()

    def _render_column(
        self,
        writer: Any,
        col: dict[str, Any],
        by_column: dict[str, list[Any]],
        latest: dict[str, list[Any]],
        page_size: int,
    ) -> None:
        items = by_column.get(col["id"], [])
        if col["kind"] == "articles":
            pages = _pages(items, page_size)
            for number, chunk in enumerate(pages, start=1):
                paginator = {
                    "number": number,
                    "num_pages": len(pages),
                    "count": len(items),
                    "pages": [
                        {"number": n, "href": page_path(col["href"], n)}
                        for n in range(1, len(pages) + 1)
                    ],
                }
                self._write(
                    writer,
                    page_path(col["path"], number),
                    col["template"],
                    column=col,
                    articles_page=chunk,
                    paginator=paginator,
                    lastmod=chunk[0].date if chunk else None,
                )
        else:
            self._write(
                writer,
                col["path"],
                col["template"],
                column=col,
                latest=latest,
                records=[],
            )

    def _write_sitemap(self) -> None:
        site_url = self.settings["SITEGROUP_CANONICAL_BASE"]
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
        ]
        for path, lastmod in sorted(self.written, key=lambda item: item[0]):
            if path == "404.html":
                continue
            lines.append(f"  <url><loc>{escape(site_url + path)}</loc>")
            if lastmod is not None:
                lines.append(f"    <lastmod>{lastmod.strftime('%Y-%m-%d')}</lastmod>")
            lines.append("  </url>")
        lines.append("</urlset>")
        Path(self.output_path, "sitemap.xml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _write_robots(self) -> None:
        site_url = self.settings["SITEGROUP_CANONICAL_BASE"]
        text = f"User-agent: *\nAllow: /\nDisallow: /404.html\nSitemap: {site_url}sitemap.xml\n"
        Path(self.output_path, "robots.txt").write_text(text, encoding="utf-8")
