"""The production search backend: Meilisearch, through the official Python client.

Layout (one Meilisearch instance may hold several groups: every name derives from ``index``):

* ``<index>`` — one document per active record: the :class:`IndexDoc` fields plus ``grams``
  (the name bigrams, space-joined) and ``data`` (the public view, the only displayed
  attribute besides ``grams``). Ranking is ``sort`` alone, so the order is exactly the
  ``sort`` parameter: ``rank`` = name length, newest, tie-breaker, kind — the same order as
  the packed integers of :class:`~sitegroup.search.documents.IndexDoc`.
* ``<index>-meta`` — one document ``{"id": "sync", "synced_push": N}``: the sync marker.
* ``<index>-rebuild`` / ``<index>-rebuild-meta`` — exist only while :meth:`MeiliIndex.rebuild`
  runs; then they are swapped with the live pair in one atomic task and deleted.

A name query sends each phrase in double quotes with ``matchingStrategy: all``: Meilisearch
returns the documents whose ``grams`` hold every phrase's tokens consecutively (typo
tolerance and prefix search are off). Two limits of Meilisearch matter:

* it reads at most 10 terms (a phrase counts as one) of a query and silently ignores the
  rest. Phrases contained in another phrase are dropped first (that changes nothing); a
  query still left with more than 10 is answered from the candidates of its 10 longest
  phrases, checked against every phrase here (at most ``maxTotalHits`` candidates);
* it checks a phrase of three or more tokens (a term of four or more characters) pairwise
  over windows of three tokens, so a name holding every such window of the term in
  different places matches without containing the term (杭州湾科技公司 finds
  杭州湾科技宁波湾科技公司; ``乙乙乙乙`` finds ``丙乙乙乙``). So candidates of such
  phrases are checked here too, up to ``CHECK_LIMIT`` of them: past that (a long *and*
  very common term, e.g. 股份有限公司) the hits are still checked but the counts are
  Meilisearch's, which may then include such a name.

A missing index (never built) answers like an empty one: no hits, ``status()`` 0 documents
and no sync marker — as the embedded backend does with a new file. The settings are
applied when an index is created; a rebuild creates a new one, so it applies changed
settings too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NoReturn

import meilisearch
import requests
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchError,
    MeilisearchTimeoutError,
)
from meilisearch.models.task import Task

from sitegroup.search.backend import (
    Filters,
    IndexStatus,
    IndexUnavailable,
    Page,
    Query,
    Selection,
)
from sitegroup.search.documents import IndexDoc, doc_id

__all__ = ["INDEX_SETTINGS", "MAX_PHRASES", "MAX_TOTAL_HITS", "MeiliIndex", "meili_document"]

#: Meilisearch reads at most this many terms of ``q`` (a quoted phrase is one term).
MAX_PHRASES = 10
#: Candidates fetched to check long phrases exactly (see the module docstring).
CHECK_LIMIT = 1000
#: The deepest hit a search can reach (offset + limit); the service needs 100 pages × 50.
MAX_TOTAL_HITS = 10_000
#: Documents per addition task of a rebuild.
REBUILD_BATCH = 10_000
#: Seconds to wait for a write task (a full rebuild batch of 10k documents takes ~4 s).
WRITE_WAIT = 600.0

_RANK_SORT = ["name_len:asc", "day:desc", "seq:asc", "kind_ix:asc"]
_NEWEST_SORT = ["day:desc", "seq:asc", "kind_ix:asc"]
_SYNC_ID = "sync"

INDEX_SETTINGS: dict[str, Any] = {
    "searchableAttributes": ["grams"],
    "displayedAttributes": ["data", "grams"],
    "filterableAttributes": ["kind", "code", "doc_key", "regions", "day"],
    "sortableAttributes": ["name_len", "day", "seq", "kind_ix"],
    "rankingRules": ["sort"],
    "typoTolerance": {"enabled": False},
    "prefixSearch": "disabled",
    # Phrases need word positions; "byAttribute" would match words anywhere in the name.
    "proximityPrecision": "byWord",
    "stopWords": [],
    "facetSearch": False,
    "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
    "faceting": {"maxValuesPerFacet": 100},
    # A search stopped at the cutoff answers partially ("degraded"), unlike the embedded
    # index: the cutoff lies well beyond the client's timeout, which answers 503 first.
    "searchCutoffMs": 10_000,
}


def meili_document(doc: IndexDoc) -> dict[str, Any]:
    """The Meilisearch document of an :class:`IndexDoc`."""
    return {
        "id": doc.doc_id,
        "key": doc.key,
        "kind": doc.kind,
        "kind_ix": doc.kind_index,
        "code": doc.code,
        "doc_key": doc.doc_key,
        "regions": list(doc.regions),
        "name_len": doc.name_len,
        "day": doc.day,
        "seq": doc.seq,
        "grams": " ".join(doc.tokens),
        "data": doc.data,
    }


def _quote(value: str) -> str:
    """A string literal of Meilisearch's filter syntax."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _any_of(codes: Iterable[str], doc_keys: Iterable[str]) -> str:
    """``code IN [...] OR doc_key IN [...]`` over the non-empty values ("" if none)."""
    parts = []
    for attribute, values in (("code", codes), ("doc_key", doc_keys)):
        kept = [_quote(v) for v in dict.fromkeys(values) if v]
        if kept:
            parts.append(f"{attribute} IN [{', '.join(kept)}]")
    return " OR ".join(parts)


def _filter_parts(filters: Filters) -> list[str]:
    parts = []
    if filters.kinds:
        parts.append(f"kind IN [{', '.join(_quote(k) for k in filters.kinds)}]")
    parts.extend(f"regions = {_quote(code)}" for code in filters.regions)
    if filters.day_from is not None:
        parts.append(f"day >= {int(filters.day_from)}")
    if filters.day_to is not None:
        parts.append(f"day <= {int(filters.day_to)}")
    return parts


def _phrase_text(phrase: Sequence[str]) -> str:
    return " ".join(phrase)


def _reduce(phrases: Iterable[Sequence[str]]) -> list[tuple[str, ...]]:
    """The phrases not implied by another one, longest first (same matches, fewer terms)."""
    unique = sorted({tuple(p) for p in phrases}, key=lambda p: (-len(p), p))
    kept: list[tuple[str, ...]] = []
    for phrase in unique:
        inner = f" {_phrase_text(phrase)} "
        if not any(inner in f" {_phrase_text(longer)} " for longer in kept):
            kept.append(phrase)
    return kept


def _q(phrases: Iterable[Sequence[str]]) -> str:
    return " ".join(f'"{_phrase_text(p)}"' for p in phrases)


def _contains_all(grams: str, phrases: Iterable[Sequence[str]]) -> bool:
    padded = f" {grams} "
    return all(f" {_phrase_text(p)} " in padded for p in phrases)


def _distribution(result: dict[str, Any]) -> dict[str, int]:
    """Meilisearch's count of matches per kind."""
    return (result.get("facetDistribution") or {}).get("kind") or {}


class _Plan:
    """One query as Meilisearch is asked it, and how its answer becomes a :class:`Page`."""

    __slots__ = ("checked", "overlong", "query", "search")

    def __init__(
        self,
        query: Query,
        search: dict[str, Any] | None,
        checked: list[tuple[str, ...]] | None = None,
        overlong: bool = False,
    ) -> None:
        self.query = query
        self.search = search
        """The multi-search entry (None: the answer is empty without asking)."""
        self.checked = checked
        """Phrases checked here on every candidate (long phrases, over-long queries)."""
        self.overlong = overlong
        """More phrases than Meilisearch reads: the check is the only complete answer."""

    def page(self, result: dict[str, Any] | None) -> Page:
        query = self.query
        if result is None:
            return Page(hits=[], facets={})
        if self.checked is not None:
            return self._checked_page(result, self.checked)
        facets = query.filters.kind_counts(_distribution(result))
        hits = [hit["data"] for hit in result.get("hits", [])] if query.limit else []
        return Page(hits=hits, facets=facets)

    def _checked_page(self, result: dict[str, Any], phrases: list[tuple[str, ...]]) -> Page:
        query = self.query
        candidates = result.get("hits", [])
        distribution = _distribution(result)
        complete = sum(distribution.values()) <= len(candidates)
        if not complete and self.overlong:
            raise IndexUnavailable(
                f"查询词超过 {MAX_PHRASES} 个且匹配记录超过 {MAX_TOTAL_HITS} 条，"
                "检索服务 Meilisearch 无法给出准确结果：请减少查询词"
            )
        matched = [h["data"] for h in candidates if _contains_all(h["grams"], phrases)]
        facets: dict[str, int] = {}
        if complete:
            for data in matched:
                facets[data["kind"]] = facets.get(data["kind"], 0) + 1
        else:
            facets = query.filters.kind_counts(distribution)
        hits = matched[query.offset : query.offset + query.limit] if query.limit else []
        return Page(hits=hits, facets=facets)


class MeiliIndex:
    """A search index in Meilisearch (``url``, API key ``key``); nothing is contacted until used.

    Thread-safe: each thread gets its own client (the official client mutates its shared
    headers per request).
    """

    name = "meilisearch"

    def __init__(
        self,
        url: str,
        key: str | None,
        *,
        index: str = "records",
        timeout: float = 5.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.index = index
        self.timeout = timeout
        self._key = key
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"<MeiliIndex {self.url} index={self.index!r}>"

    @property
    def meta_index(self) -> str:
        return f"{self.index}-meta"

    # -- client and errors ----------------------------------------------------------

    @property
    def client(self) -> meilisearch.Client:
        """This thread's client (keep-alive; ``Accept-Encoding: identity``)."""
        client: meilisearch.Client | None = getattr(self._local, "client", None)
        if client is None:
            # Uncompressed answers: gzip costs ~2.5 ms per search here, and a keep-alive
            # client asking for it stalls ~44 ms on every answer (PERF-NOTES).
            client = meilisearch.Client(
                self.url,
                self._key or None,
                timeout=self.timeout,  # type: ignore[arg-type]  # requests takes floats
                custom_headers={"Accept-Encoding": "identity"},
            )
            _keep_alive(client)
            self._local.client = client
        return client

    def _unavailable(self, exc: Exception, doing: str = "") -> NoReturn:
        where = f"检索服务 Meilisearch（{self.url}）"
        if isinstance(exc, MeilisearchTimeoutError):
            message = f"{where}{doing}超时（{self.timeout:g} 秒内无响应）"
        elif isinstance(exc, MeilisearchCommunicationError):
            message = f"{where}无法连接：{_connection_reason(exc.message)}"
        elif isinstance(exc, MeilisearchApiError) and exc.status_code in (401, 403):
            message = f"{where}拒绝访问：API 密钥缺失或无效（请检查 SITEGROUP_MEILI_KEY）"
        elif isinstance(exc, MeilisearchApiError):
            message = f"{where}{doing}出错（HTTP {exc.status_code}）：{_short(exc.message)}"
        else:
            message = f"{where}{doing}出错：{_short(str(exc))}"
        raise IndexUnavailable(message) from exc

    def _call(self, fn: Callable[[], Any], doing: str = "") -> Any:
        """``fn()``; unreachable, refused, timed out or failing (5xx) → IndexUnavailable."""
        try:
            return fn()
        except MeilisearchApiError as exc:
            if exc.status_code >= 500 or exc.status_code in (401, 403):
                self._unavailable(exc, doing)
            raise
        except MeilisearchError as exc:
            self._unavailable(exc, doing)

    # -- queries --------------------------------------------------------------------

    def run(self, queries: Sequence[Query]) -> list[Page]:
        """Answer a batch with one multi-search request."""
        plans = [self._plan(q) for q in queries]
        asked = [p.search for p in plans if p.search is not None]
        results: list[dict[str, Any]] = []
        if asked:
            try:
                answer = self._call(lambda: self.client.multi_search(asked), "检索")
            except MeilisearchApiError as exc:
                if exc.code != "index_not_found":
                    raise
                # Never built: answer like an empty index (as the embedded backend does).
                return [Page(hits=[], facets={}) for _ in queries]
            results = answer["results"]
        it: Iterator[dict[str, Any]] = iter(results)
        return [p.page(next(it) if p.search is not None else None) for p in plans]

    def _plan(self, query: Query) -> _Plan:
        sel: Selection = query.selection
        parts: list[str] = []
        q = ""
        checked: list[tuple[str, ...]] | None = None
        overlong = False
        if sel.phrases:
            if any(not phrase for phrase in sel.phrases):
                return _Plan(query, None)  # an empty phrase matches nothing
            phrases = _reduce(sel.phrases)
            overlong = len(phrases) > MAX_PHRASES
            if overlong or any(len(p) >= 3 for p in phrases):
                checked = phrases
                phrases = phrases[:MAX_PHRASES]
            q = _q(phrases)
            excluded = _any_of(sel.exclude_codes, sel.exclude_doc_keys)
            if excluded:
                parts.append(f"NOT ({excluded})")
        elif sel.codes or sel.doc_keys:
            exact = _any_of(sel.codes, sel.doc_keys)
            if not exact:
                return _Plan(query, None)  # only empty codes: nothing is exactly ""
            parts.append(f"({exact})")
        parts += _filter_parts(query.filters)
        search: dict[str, Any] = {
            "indexUid": self.index,
            "q": q,
            "sort": _RANK_SORT if query.order == "rank" else _NEWEST_SORT,
            "facets": ["kind"],
            "attributesToRetrieve": ["data"],
        }
        if q:
            search["matchingStrategy"] = "all"
        if parts:
            search["filter"] = parts
        if checked is None:
            search["offset"] = query.offset
            search["limit"] = query.limit
        else:
            search["offset"] = 0
            search["limit"] = MAX_TOTAL_HITS if overlong else CHECK_LIMIT
            search["attributesToRetrieve"] = ["data", "grams"]
        return _Plan(query, search, checked, overlong)

    # -- writes ---------------------------------------------------------------------

    def apply(self, upserts: Sequence[IndexDoc], deletes: Sequence[str], synced_push: int) -> None:
        """Delete, then add or replace, then move the marker once the records are in.

        The marker is written only after the record tasks succeeded, so a failed write never
        leaves it ahead of the index (that would make the next sync skip the lost changes).
        """

        def write() -> None:
            tasks = self._ensure_index(self.index)
            records = self.client.index(self.index)
            if deletes:
                ids = list(dict.fromkeys(doc_id(key) for key in deletes))
                # POST …/documents/delete-batch (the client deprecates its own wrapper).
                path = f"indexes/{self.index}/documents/delete-batch"
                tasks.append(self.client.http.post(path, ids)["taskUid"])
            if upserts:
                docs = [meili_document(d) for d in upserts]
                tasks.append(records.add_documents(docs, primary_key="id").task_uid)
            self._wait_all(tasks)
            self._wait_all([self._set_marker(self.meta_index, synced_push)])

        self._call(write, "写入")

    def rebuild(
        self,
        docs: Iterable[IndexDoc],
        synced_push: int,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Build ``<index>-rebuild`` beside the live index, then swap them in one task."""
        new, new_meta = f"{self.index}-rebuild", f"{self.index}-rebuild-meta"

        def write() -> None:
            client = self.client
            # Leftovers of an interrupted rebuild (deleting a missing index fails harmlessly).
            self._wait_all(
                [client.delete_index(new).task_uid, client.delete_index(new_meta).task_uid],
                ignore=("index_not_found",),
            )
            self._wait_all(self._ensure_index(new))
            target = client.index(new)
            pending: list[tuple[int, int]] = []
            done = 0

            def settle(keep: int) -> None:
                while len(pending) > keep:
                    uid, count = pending.pop(0)
                    self._wait_all([uid])
                    if progress is not None:
                        progress(count)

            batch: list[dict[str, Any]] = []
            for doc in docs:
                batch.append(meili_document(doc))
                if len(batch) >= REBUILD_BATCH:
                    done += len(batch)
                    pending.append((target.add_documents(batch, primary_key="id").task_uid, done))
                    batch = []
                    settle(1)  # one batch queued ahead keeps Meilisearch busy
            if batch:
                done += len(batch)
                pending.append((target.add_documents(batch, primary_key="id").task_uid, done))
            settle(0)
            if done == 0 and progress is not None:
                progress(0)
            self._wait_all([self._set_marker(new_meta, synced_push)])
            # The live pair must exist to be swapped (first build).
            self._wait_all([*self._ensure_index(self.index), *self._ensure_meta(self.meta_index)])
            swap = client.swap_indexes(
                [{"indexes": [self.index, new]}, {"indexes": [self.meta_index, new_meta]}]
            )
            self._wait_all([swap.task_uid])
            self._wait_all(
                [client.delete_index(new).task_uid, client.delete_index(new_meta).task_uid]
            )

        self._call(write, "重建")

    def _ensure_index(self, uid: str) -> list[int]:
        """Tasks creating ``uid`` with the index settings if it does not exist yet."""
        if self._exists(uid):
            return []
        client = self.client
        return [
            client.create_index(uid, {"primaryKey": "id"}).task_uid,
            client.index(uid).update_settings(INDEX_SETTINGS).task_uid,
        ]

    def _ensure_meta(self, uid: str) -> list[int]:
        if self._exists(uid):
            return []
        return [self.client.create_index(uid, {"primaryKey": "id"}).task_uid]

    def _exists(self, uid: str) -> bool:
        try:
            self.client.get_raw_index(uid)
        except MeilisearchApiError as exc:
            if exc.code == "index_not_found":
                return False
            raise
        return True

    def _set_marker(self, uid: str, synced_push: int) -> int:
        doc = {"id": _SYNC_ID, "synced_push": int(synced_push)}
        return self.client.index(uid).add_documents([doc], primary_key="id").task_uid

    def _wait_all(self, uids: Sequence[int], ignore: Sequence[str] = ()) -> None:
        """Wait for the last of ``uids`` (tasks run in order), then check every one."""
        if not uids:
            return
        client = self.client
        last = self._wait(uids[-1])
        for task in [*(client.get_task(uid) for uid in uids[:-1]), last]:
            if task.status == "succeeded":
                continue
            error = task.error or {}
            if task.status == "failed" and error.get("code") in ignore:
                continue
            detail = error.get("message") or task.status
            raise IndexUnavailable(
                f"检索服务 Meilisearch（{self.url}）任务 {task.uid}（{task.type}，"
                f"索引 {task.index_uid}）未成功：{detail}"
            )

    def _wait(self, uid: int) -> Task:
        """The task ``uid`` once processed (polled at 5 ms, slowing to 100 ms)."""
        client = self.client
        deadline = time.monotonic() + WRITE_WAIT
        pause = 0.005
        while True:
            task = client.get_task(uid)
            if task.status not in ("enqueued", "processing"):
                return task
            if time.monotonic() > deadline:
                raise IndexUnavailable(
                    f"检索服务 Meilisearch（{self.url}）任务 {uid} 在 {WRITE_WAIT:g} 秒内未完成"
                )
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    # -- status ---------------------------------------------------------------------

    def status(self) -> IndexStatus:
        def read() -> IndexStatus:
            client = self.client
            try:
                documents = client.index(self.index).get_stats().number_of_documents
            except MeilisearchApiError as exc:
                if exc.code != "index_not_found":
                    raise
                documents = 0
            try:
                marker = client.index(self.meta_index).get_document(_SYNC_ID)
            except MeilisearchApiError as exc:
                if exc.code not in ("index_not_found", "document_not_found"):
                    raise
                synced = None
            else:
                synced = int(marker.synced_push)
            return IndexStatus(self.name, int(documents), synced)

        return self._call(read, "读取状态")

    def close(self) -> None:
        # No pooled connections: the official client opens one per request.
        self._local = threading.local()


def _keep_alive(client: meilisearch.Client) -> None:
    """Send the client's GETs and POSTs over one kept-alive connection (per thread).

    The official client calls ``requests.post`` for every request: a new TCP connection and
    a name lookup each time, ~1 ms of a 4 ms search (py-spy of bench/search_bench.py).
    Answers stay uncompressed (``Accept-Encoding: identity`` from the client's headers),
    which avoids the keep-alive + gzip stall noted in PERF-NOTES.
    """
    session = requests.Session()
    # No proxy, .netrc or CA-bundle lookups per request (loopback or a private network;
    # ~9 % of the API's samples in bench/search_bench.py's py-spy).
    session.trust_env = False
    http = client.http

    def post(
        path: str,
        body: Any = None,
        content_type: str | None = "application/json",
        *,
        serializer: Any = None,
    ) -> Any:
        return http.send_request(session.post, path, body, content_type, serializer=serializer)

    def get(path: str) -> Any:
        return http.send_request(session.get, path)

    http.post = post  # type: ignore[method-assign]
    http.get = get  # type: ignore[method-assign]


def _short(text: str, limit: int = 200) -> str:
    """One line of an error text, cut to ``limit`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _connection_reason(text: str) -> str:
    """Why a connection failed, in words (the library's text when unknown)."""
    if "Connection refused" in text:
        return "连接被拒绝（服务未启动，或地址、端口有误）"
    if "NameResolution" in text or "Name or service not known" in text:
        return "主机名无法解析"
    if "Connection reset" in text or "RemoteDisconnected" in text:
        return "连接被服务端中断"
    return _short(text)
