"""One contract, every backend: the same questions give the same ids in the same order.

Each backend is loaded with the demo data (all four kinds, many regions) plus names made
for the Chinese cases of the issue, and every answer is compared with an oracle that
restates the documented semantics in plain Python (``normalize(q) in normalize(name)``,
sorted by the documented keys) — so both backends equal the oracle and hence each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest

from sitegroup.models.records import RECORD_KINDS
from sitegroup.search.backend import SearchBackend
from sitegroup.search.documents import IndexDoc, day_number, index_doc
from sitegroup.search.service import SearchRequest, SearchResult, parse_query, search
from sitegroup.search.sqlite import SqliteIndex
from sitegroup.search.text import normalize, split_terms
from sitegroup.store import ACTIVE, open_store
from tests.store.factories import penalty

NAMED = [
    ("中国农业发展银行杭州市分行", "330100"),
    ("杭州某某科技有限公司", "330106"),
    ("深圳市华为技术有限公司", "440305"),
    ("深圳市腾讯计算机系统有限公司", "440305"),
    ("深圳市某华科技有限公司", "440305"),
    ("华为深圳市分公司", "440305"),
    ("无锡某某科技有限公司", "320205"),
    ("杭州华为", "330106"),
    ("杭州某某（集团）有限公司", "330108"),
]


def contract_docs(store_url: str) -> list[IndexDoc]:
    with open_store(store_url) as store:
        docs = [index_doc(s.record) for s in store.records_since(None) if s.status == ACTIVE]
    for n, (name, region) in enumerate(NAMED, start=900):
        docs.append(index_doc(penalty(n, region=region, subject_name=name)))
    # Same name, different days and kinds of order keys: exercises the tie-breakers.
    for n in range(950, 956):
        docs.append(index_doc(penalty(n, region="330106", subject_name="杭州同名贸易有限公司")))
    return docs


@pytest.fixture(scope="module")
def docs(demo_store_url: str) -> list[IndexDoc]:
    return contract_docs(demo_store_url)


@pytest.fixture(
    scope="module", params=["embedded", pytest.param("meilisearch", marks=pytest.mark.meili)]
)
def loaded(
    request: pytest.FixtureRequest, docs: list[IndexDoc], tmp_path_factory
) -> Iterator[SearchBackend]:
    if request.param == "embedded":
        index: SearchBackend = SqliteIndex(tmp_path_factory.mktemp("contract") / "s.sqlite3")
    else:
        from sitegroup.search.meili import MeiliIndex

        server = request.getfixturevalue("meili_server")
        index = MeiliIndex(server.url, server.key, index=f"contract-{uuid.uuid4().hex[:8]}")
    index.rebuild(iter(docs), 1)
    yield index
    index.close()


# -- the oracle -------------------------------------------------------------------------


def oracle(docs: list[IndexDoc], req: SearchRequest) -> tuple[int, dict[str, int], list[str]]:
    parsed = parse_query(req.q)
    filters = req.filters()

    def in_scope(d: IndexDoc, kinds: bool) -> bool:
        return (
            (not kinds or not filters.kinds or d.kind in filters.kinds)
            and all(r in d.regions for r in filters.regions)
            and (filters.day_from is None or d.day >= filters.day_from)
            and (filters.day_to is None or d.day <= filters.day_to)
        )

    def exact(d: IndexDoc) -> bool:
        return d.code in parsed.codes or (bool(d.doc_key) and d.doc_key in parsed.doc_keys)

    def named(d: IndexDoc) -> bool:
        name = normalize(d.data["subject_name"])
        return all(t in name for t in parsed.terms) and not exact(d)

    newest = lambda d: (-d.day, d.seq, d.kind_index)  # noqa: E731
    relevance = lambda d: (d.name_len, -d.day, d.seq, d.kind_index)  # noqa: E731
    if parsed.mode == "browse":
        tiers = [(lambda d: True, newest)]
    elif parsed.mode == "code":
        tiers = [(exact, newest)]
    else:
        tiers = [(exact, newest), (named, relevance)]
    ordered: list[IndexDoc] = []
    facets = dict.fromkeys(RECORD_KINDS, 0)
    for match, key in tiers:
        ordered += sorted((d for d in docs if match(d) and in_scope(d, True)), key=key)
        for d in docs:
            if match(d) and in_scope(d, False):
                facets[d.kind] += 1
    offset = (req.page - 1) * req.size
    return len(ordered), facets, [d.key for d in ordered[offset : offset + req.size]]


def answer(result: SearchResult) -> tuple[int, dict[str, int], list[str]]:
    return result.total, result.facets, [h["key"] for h in result.hits]


HZ, ZJ, WX = "330100", "330000", "320200"
REQUESTS = [
    SearchRequest(q="农业"),
    SearchRequest(q="科技"),
    SearchRequest(q="深圳市华为"),
    SearchRequest(q="华为"),
    SearchRequest(q="华为", scope_region=HZ),
    SearchRequest(q="深圳 有限公司"),
    SearchRequest(q="有限公司", size=50),
    SearchRequest(q="有限公司", page=2, size=7),
    SearchRequest(q="有限公司", scope_region=ZJ, kinds=("license", "penalty")),
    SearchRequest(q="科技", scope_region=WX),
    SearchRequest(q="集团有限"),
    SearchRequest(q="（集团）"),
    SearchRequest(q="杭州同名贸易有限公司"),
    SearchRequest(q="同名贸易", page=1, size=4),
    SearchRequest(q="同名贸易", page=2, size=4),
    SearchRequest(q="杭州", scope_region=HZ, size=50),
    SearchRequest(q="杭州", scope_region=ZJ, region="330106"),
    SearchRequest(q="杭州", date_from=date(2026, 3, 1), date_to=date(2026, 9, 30)),
    SearchRequest(scope_region=HZ),
    SearchRequest(scope_region=WX, kinds=("redlist", "blacklist")),
    SearchRequest(page=3, size=9),
    SearchRequest(kinds=("penalty",), date_from=date(2026, 10, 1)),
    SearchRequest(q="没有这样的公司名称"),
    SearchRequest(q="张勇"),
]


@pytest.mark.parametrize("req", REQUESTS, ids=lambda r: f"{r.q or '-'}|{r.scope_region}|{r.page}")
def test_answers_equal_the_oracle(loaded, docs, req: SearchRequest) -> None:
    assert answer(search(loaded, req)) == oracle(docs, req)


def test_chinese_substrings_of_every_name_are_found(loaded, docs) -> None:
    """Recall: every 2- and 3-character substring of the made-up names finds its record."""
    keys = {d.data["subject_name"]: d.key for d in docs}
    for name, _ in NAMED:
        norm = normalize(name)
        for size in (2, 3):
            for start in range(len(norm) - size + 1):
                q = norm[start : start + size]
                req = SearchRequest(q=q, size=50)
                total, _, _ = oracle(docs, req)
                found = [h["key"] for h in search(loaded, req).hits]
                assert keys[name] in found or total > 50, q


def test_precision_whole_query_only(loaded) -> None:
    hits = search(loaded, SearchRequest(q="深圳市华为")).hits
    assert [h["subject_name"] for h in hits] == ["深圳市华为技术有限公司"]
    assert all("科技" in h["subject_name"] for h in search(loaded, SearchRequest(q="科技")).hits)


def test_exact_code_first_then_names(loaded, docs) -> None:
    target = next(d for d in docs if d.data["subject_name"] == "深圳市华为技术有限公司")
    by_code = search(loaded, SearchRequest(q=target.code.lower()))
    assert by_code.mode == "code" and [h["key"] for h in by_code.hits] == [target.key]
    by_doc = search(loaded, SearchRequest(q=target.data["document_no"]))
    assert by_doc.hits[0]["key"] == target.key and by_doc.hits[0]["match"] == "document_no"


def test_region_scoping_never_leaks(loaded) -> None:
    hz = search(loaded, SearchRequest(q="科技", scope_region=HZ, size=50)).hits
    wx = search(loaded, SearchRequest(q="科技", scope_region=WX, size=50)).hits
    nation = search(loaded, SearchRequest(q="科技", size=50)).hits
    assert hz and wx
    assert all(h["region_code"].startswith("3301") for h in hz)
    assert all(h["region_code"].startswith("3202") for h in wx)
    assert {h["key"] for h in hz} | {h["key"] for h in wx} <= {h["key"] for h in nation}


def test_natural_persons_masked(loaded) -> None:
    from sitegroup.models.idcard import ID_NUMBER_PATTERN, is_valid_id_number

    hits = search(loaded, SearchRequest(q="张勇")).hits
    assert hits and hits[0]["subject_code"] == ""
    for page in range(1, 9):
        for hit in search(loaded, SearchRequest(page=page, size=50)).hits:
            text = repr(hit)
            assert not any(is_valid_id_number(m.group()) for m in ID_NUMBER_PATTERN.finditer(text))


def test_withdrawal_and_expiry_leave_the_index(backend) -> None:
    """On a fresh, empty index per backend (``tests/search/conftest.py``)."""
    index = backend
    docs = [index_doc(penalty(n, subject_name=f"义乌市撤回测试{n}号商行")) for n in range(5)]
    index.apply(docs, [], 1)
    assert search(index, SearchRequest(q="撤回测试")).total == 5
    index.apply([], [docs[0].key, docs[1].key], 2)  # withdrawn, expired: both removed
    edited = index_doc(penalty(2, subject_name="义乌市改名测试商行"))
    index.apply([edited], [], 3)  # a new version replaces the old one
    result = search(index, SearchRequest(q="撤回测试"))
    assert [h["key"] for h in result.hits] == [
        d.key for d in sorted(docs[3:], key=lambda d: d.rank)
    ]
    assert [h["key"] for h in search(index, SearchRequest(q="改名测试")).hits] == [edited.key]
    index.apply([], [docs[0].key], 3)  # idempotent
    assert index.status().documents == 3 and index.status().synced_push == 3


def test_day_numbers_are_days_since_1970() -> None:
    assert day_number(date(1970, 1, 2)) == 1
    assert split_terms("a b") == ["a", "b"]
