"""One search service over any backend: parse the question, plan the tiers, page, count.

Every site and every backend goes through :func:`search` and :func:`subject`, so the
same ``q`` with the same effective scope gives the same answer everywhere.

Order of results (``docs/search.md``):

1. exact matches of the 统一社会信用代码 / registration code or the 决定文书号, newest first;
2. name matches (every term a substring of the subject name): shorter names first —
   an exact name match is the shortest — then newest, then a fixed tie-breaker.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from sitegroup.models.idcard import is_valid_id_number
from sitegroup.models.records import RECORD_KINDS, RecordKind
from sitegroup.models.uscc import CodeError, validate_uscc
from sitegroup.search.backend import Filters, Page, Query, SearchBackend, Selection
from sitegroup.search.documents import day_number, doc_key
from sitegroup.search.text import MIN_TERM, bigram_tokens, split_terms

__all__ = [
    "MAX_PAGE",
    "MAX_QUERY",
    "MAX_SIZE",
    "ParsedQuery",
    "QueryError",
    "SearchRequest",
    "SearchResult",
    "SubjectNotFound",
    "SubjectResult",
    "parse_query",
    "search",
    "subject",
]

MAX_SIZE = 50
MAX_PAGE = 100
MAX_QUERY = 100
#: Terms per query (Meilisearch reads at most ten words of a query).
MAX_TERMS = 10
SUBJECT_LIMIT = 500

_CODE_SHAPE = re.compile(r"[0-9A-Z]{18}")
_ASCII_CODE = re.compile(r"[0-9A-Z]{6,40}")

Mode = Literal["browse", "code", "text"]


class QueryError(ValueError):
    """A question the service refuses; ``message`` is user-facing Chinese, ``field`` the param."""

    def __init__(self, field: str, message: str, code: str = "invalid_query") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


class SubjectNotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    mode: Mode
    codes: tuple[str, ...] = ()
    doc_keys: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    terms: tuple[str, ...] = ()


def _compact(q: str) -> str:
    return "".join(unicodedata.normalize("NFKC", q).split()).upper()


def parse_query(q: str) -> ParsedQuery:
    """What ``q`` asks for; raises :class:`QueryError` naming the problem."""
    q = q.strip()
    if not q:
        return ParsedQuery("browse")
    if len(q) > MAX_QUERY:
        raise QueryError("q", f"查询内容过长：最多 {MAX_QUERY} 个字符，实际 {len(q)} 个")
    compact = _compact(q)
    if _CODE_SHAPE.fullmatch(compact):
        if is_valid_id_number(compact):
            raise QueryError(
                "q",
                "不支持按身份证号码查询：自然人信息仅以脱敏形式公示，请按姓名查询",
                "id_number_query",
            )
        try:
            code = validate_uscc(compact)
        except CodeError as exc:
            raise QueryError("q", str(exc), "bad_code") from exc
        return ParsedQuery("code", codes=(code,))
    terms = split_terms(q)
    if not terms:
        raise QueryError("q", "查询内容需包含汉字、字母或数字")
    if len(terms) > MAX_TERMS:
        raise QueryError(
            "q", f"查询词过多：最多 {MAX_TERMS} 个（以空格分隔），实际 {len(terms)} 个"
        )
    for term in terms:
        if len(term) < MIN_TERM:
            raise QueryError("q", f"查询词“{term}”过短：每个查询词至少 {MIN_TERM} 个字")
    codes = (compact,) if _ASCII_CODE.fullmatch(compact) else ()
    key = doc_key(q)
    return ParsedQuery(
        "text",
        codes=codes,
        doc_keys=(key,) if key else (),
        phrases=tuple(tuple(bigram_tokens(t)) for t in terms),
        terms=tuple(terms),
    )


@dataclass(frozen=True, slots=True)
class SearchRequest:
    q: str = ""
    scope_region: str | None = None
    """The asking site's region (its records and its descendants'); None: the whole nation."""
    region: str | None = None
    kinds: tuple[RecordKind, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    size: int = 20

    def filters(self) -> Filters:
        regions = tuple(r for r in (self.scope_region, self.region) if r)
        return Filters(
            kinds=tuple(k for k in RECORD_KINDS if k in self.kinds),
            regions=regions,
            day_from=day_number(self.date_from) if self.date_from else None,
            day_to=day_number(self.date_to) if self.date_to else None,
        )


@dataclass(slots=True)
class SearchResult:
    mode: Mode
    total: int
    page: int
    size: int
    facets: dict[str, int]
    hits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return min(math.ceil(self.total / self.size), MAX_PAGE) if self.size else 0


def _check_paging(page: int, size: int) -> None:
    if not 1 <= size <= MAX_SIZE:
        raise QueryError("size", f"每页条数 size 应在 1–{MAX_SIZE} 之间，实际为 {size}")
    if not 1 <= page <= MAX_PAGE:
        raise QueryError(
            "page", f"页码 page 应在 1–{MAX_PAGE} 之间，实际为 {page}；结果较多时请缩小查询范围"
        )


def _facets(pages: Sequence[Page]) -> dict[str, int]:
    counts = dict.fromkeys(RECORD_KINDS, 0)
    for page in pages:
        for kind, n in page.facets.items():
            counts[kind] += n
    return counts


def _tag(hits: list[dict[str, Any]], how: str | None, code: str = "") -> list[dict[str, Any]]:
    out = []
    for hit in hits:
        match = how
        if how == "exact":
            match = (
                "code" if code and hit.get("subject_code", "").upper() == code else "document_no"
            )
        out.append({**hit, "match": match})
    return out


def search(backend: SearchBackend, request: SearchRequest) -> SearchResult:
    """Answer one search; raises :class:`QueryError` or ``IndexUnavailable``."""
    _check_paging(request.page, request.size)
    if request.date_from and request.date_to and request.date_from > request.date_to:
        raise QueryError("from", "起始日期 from 晚于截止日期 to")
    parsed = parse_query(request.q)
    filters = request.filters()
    unfiltered = replace(filters, kinds=())
    offset, size = (request.page - 1) * request.size, request.size

    if parsed.mode != "text":
        selection = Selection(codes=parsed.codes)
        batch = [Query(selection, filters, "newest", offset, size)]
        if filters.kinds:
            batch.append(Query(selection, unfiltered, "newest", 0, 0))
        pages = backend.run(batch)
        how = "code" if parsed.mode == "code" else None
        return SearchResult(
            parsed.mode,
            pages[0].total,
            request.page,
            size,
            _facets(pages[-1:]),
            _tag(pages[0].hits, how),
        )

    exact = Selection(codes=parsed.codes, doc_keys=parsed.doc_keys)
    names = Selection(
        phrases=parsed.phrases, exclude_codes=parsed.codes, exclude_doc_keys=parsed.doc_keys
    )
    batch = [
        Query(exact, filters, "newest", 0, offset + size),
        # Assumes no exact match (the usual case); corrected below otherwise.
        Query(names, filters, "rank", offset, size),
    ]
    if filters.kinds:
        batch += [Query(exact, unfiltered, "newest", 0, 0), Query(names, unfiltered, "rank", 0, 0)]
    pages = backend.run(batch)
    first, second = pages[0], pages[1]
    hits = _tag(
        first.hits[offset : offset + size], "exact", parsed.codes[0] if parsed.codes else ""
    )
    name_offset = max(0, offset - first.total)
    name_limit = size - len(hits)
    if name_limit > 0 and second.total > name_offset:
        if name_offset == offset:
            name_hits = second.hits[:name_limit]
        else:
            name_hits = backend.run([Query(names, filters, "rank", name_offset, name_limit)])[
                0
            ].hits
        hits += _tag(name_hits, "name")
    facet_pages = pages[2:] if filters.kinds else pages[:2]
    return SearchResult(
        "text", first.total + second.total, request.page, size, _facets(facet_pages), hits
    )


@dataclass(slots=True)
class SubjectResult:
    subject: dict[str, Any]
    counts: dict[str, int]
    records: dict[str, list[dict[str, Any]]]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def subject(backend: SearchBackend, code: str) -> SubjectResult:
    """Every active record of one 统一社会信用代码, grouped by kind.

    Raises :class:`QueryError` (malformed code: length, character or check character)
    or :class:`SubjectNotFound`.
    """
    try:
        code = validate_uscc(code)
    except CodeError as exc:
        raise QueryError("uscc", str(exc), "bad_code") from exc
    page = backend.run([Query(Selection(codes=(code,)), Filters(), "newest", 0, SUBJECT_LIMIT)])[0]
    if not page.total:
        raise SubjectNotFound(code)
    newest = page.hits[0]
    grouped: dict[str, list[dict[str, Any]]] = {kind: [] for kind in RECORD_KINDS}
    for hit in page.hits:
        grouped[hit["kind"]].append(hit)
    return SubjectResult(
        subject={
            "name": newest["subject_name"],
            "type": newest["subject_type"],
            "code": code,
            "region_code": newest["region_code"],
            "region_name": newest.get("region_name", ""),
        },
        counts=_facets([page]),
        records=grouped,
    )
