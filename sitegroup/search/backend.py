"""The contract between the search service and an index backend.

A backend stores :class:`~sitegroup.search.documents.IndexDoc` s and answers
:class:`Query` s in batches (Meilisearch answers a batch in one multi-search call).
It knows nothing about query strings, sites or paging across tiers: that is
:mod:`sitegroup.search.service`, shared by every backend, so "same question, same
answer" holds by construction. The contract tests run one suite against every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sitegroup.errors import SitegroupError
from sitegroup.models.records import RecordKind
from sitegroup.search.documents import IndexDoc

__all__ = [
    "Filters",
    "IndexStatus",
    "IndexUnavailable",
    "Order",
    "Page",
    "Query",
    "SearchBackend",
    "Selection",
]

Order = Literal["rank", "newest"]


class IndexUnavailable(SitegroupError):
    """The index cannot be reached or read; the message is user-facing Chinese."""


@dataclass(frozen=True, slots=True)
class Filters:
    """Conditions every returned document meets (all of them)."""

    kinds: tuple[RecordKind, ...] = ()
    """Allowed kinds; empty means all."""
    regions: tuple[str, ...] = ()
    """Region codes (not the nation); a document lies in each of them (itself or below)."""
    day_from: int | None = None
    """Decision day (days since 1970-01-01), inclusive."""
    day_to: int | None = None

    def kind_counts(self, counts: Mapping[str, int]) -> dict[str, int]:
        """``counts`` by kind restricted to the allowed kinds (and to kinds that occur)."""
        return {k: int(n) for k, n in counts.items() if n and (not self.kinds or k in self.kinds)}


@dataclass(frozen=True, slots=True)
class Selection:
    """Which documents a query selects, before filters.

    ``codes``/``doc_keys``: exact subject codes or 文书号 keys (any of them).
    ``phrases``: each a sequence of tokens occurring consecutively in the name (all of them).
    With neither, every document. ``exclude_*`` remove exact matches from a phrase query so
    the two tiers of one search never overlap.
    """

    codes: tuple[str, ...] = ()
    doc_keys: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    exclude_codes: tuple[str, ...] = ()
    exclude_doc_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.codes or self.doc_keys) and self.phrases:
            raise ValueError("a selection is exact or by phrases, not both")


@dataclass(frozen=True, slots=True)
class Query:
    selection: Selection
    filters: Filters = Filters()
    order: Order = "newest"
    offset: int = 0
    limit: int = 20
    """0: counts only."""


@dataclass(slots=True)
class Page:
    """The answer to one :class:`Query`."""

    hits: list[dict[str, Any]]
    """The documents' ``data`` (public view), in order."""
    facets: dict[str, int] = field(default_factory=dict)
    """Matching documents per kind (after all filters); kinds with none may be absent."""

    @property
    def total(self) -> int:
        return sum(self.facets.values())


@dataclass(frozen=True, slots=True)
class IndexStatus:
    backend: str
    documents: int
    synced_push: int | None
    """The last store push the index has applied (None: never synced)."""


class SearchBackend(Protocol):
    name: str

    def run(self, queries: Sequence[Query]) -> list[Page]:
        """Answer a batch of queries; raise :class:`IndexUnavailable` when unreachable."""
        ...

    def apply(self, upserts: Sequence[IndexDoc], deletes: Sequence[str], synced_push: int) -> None:
        """Add or replace ``upserts``, remove the record keys ``deletes``, then record
        ``synced_push``. Idempotent: applying the same change twice changes nothing."""
        ...

    def rebuild(
        self,
        docs: Iterable[IndexDoc],
        synced_push: int,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Replace the whole index; searches keep answering from the old one until done."""
        ...

    def status(self) -> IndexStatus:
        """Raise :class:`IndexUnavailable` when unreachable."""
        ...

    def close(self) -> None: ...
