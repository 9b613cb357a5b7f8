"""Our side of Pelican: give each article its column's URL path and article template.

Pelican renders only the editors' articles; every other page comes from
:mod:`sitegroup.build.pages`, shared with the partial build after a push.
Pelican's signals are process-global, so the receiver is a module-level function that
reads its site from the sender's settings and never closes over a tenant (STYLE.md, 6).
"""

from __future__ import annotations

from typing import Any

from pelican import signals


def _on_article_context(generator: Any, metadata: dict[str, Any]) -> None:
    """Give each article its column's URL path and article template."""
    column = generator.settings["SITEGROUP_COLUMNS"].get(metadata.get("column"))
    if column is not None:
        metadata["column_path"] = column["path"]
        metadata.setdefault("template", column["article_template"])


def register() -> None:
    """Pelican plugin entry point."""
    signals.article_generator_context.connect(_on_article_context)
