"""The query window's index: one service, two backends (embedded SQLite FTS5, Meilisearch).

``open_index(settings)`` gives the configured backend; :mod:`.service` answers searches
over it; :mod:`.sync` keeps it in step with the store.
"""

from __future__ import annotations

from sitegroup.config import Settings
from sitegroup.search.backend import IndexStatus, IndexUnavailable, SearchBackend

__all__ = ["IndexStatus", "IndexUnavailable", "SearchBackend", "open_index"]


def open_index(settings: Settings) -> SearchBackend:
    """The search backend the settings name (nothing is contacted until first use)."""
    if settings.search_backend == "meilisearch":
        from sitegroup.search.meili import MeiliIndex

        return MeiliIndex(
            settings.meili_url,
            settings.meili_key,
            index=settings.meili_index,
            timeout=settings.meili_timeout,
        )
    from sitegroup.search.sqlite import SqliteIndex

    return SqliteIndex(settings.index_path())
