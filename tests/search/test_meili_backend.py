"""Meilisearch-specific behaviour: settings, outages, rebuild swaps, idempotent writes, and
page-for-page parity with the embedded SQLite index on a synthetic data set."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from sitegroup.models.records import RECORD_KINDS, Record, RecordKind, make_record
from sitegroup.search.backend import (
    Filters,
    IndexUnavailable,
    Page,
    Query,
    SearchBackend,
    Selection,
)
from sitegroup.search.documents import IndexDoc, day_number, index_doc
from sitegroup.search.meili import INDEX_SETTINGS, MAX_PHRASES, MeiliIndex, _reduce
from sitegroup.search.sqlite import SqliteIndex
from sitegroup.search.text import bigram_tokens, normalize
from tests.search.conftest import MeiliServer, free_port, run_meili
from tests.store.factories import SOURCE, TODAY, penalty, uscc

pytestmark = pytest.mark.meili

# -- a synthetic data set: several kinds, regions, days; shared names and codes -------------

REGIONS = ["330782", "330106", "330100", "330000", "440305", "320205", "110101", "330783"]
PLACES = ["杭州", "义乌", "深圳市", "无锡", "北京", "宁波", "金华", ""]
WORDS = ["某某", "华为", "科技", "农业", "星辰", "海天", "同名", "腾讯", "华夏", "新华"]
TAILS = ["有限公司", "贸易有限公司", "科技有限公司", "商行", "分公司", "（集团）有限公司", "店"]
PERSONS = ["张三", "李四", "王小明", "张勇", "欧阳华"]


def _list_fields(n: int, region: str, name: str, decided: str) -> dict[str, str]:
    return {
        "subject_name": name,
        "subject_type": "法人及非法人组织",
        "uscc": uscc(region, n),
        "region_code": region,
        "list_name": "守信激励名单",
        "document_no": f"名单〔2026〕{n}号",
        "reason": "依法认定",
        "authority": "市发展和改革委员会",
        "authority_code": SOURCE,
        "decided_on": decided,
        "source_unit": "市发展和改革委员会",
        "source_code": SOURCE,
    }


def _license_fields(n: int, region: str, name: str, decided: str) -> dict[str, str]:
    return {
        "subject_name": name,
        "subject_type": "法人及非法人组织",
        "uscc": uscc(region, n),
        "region_code": region,
        "decision_name": "食品经营许可",
        "document_no": f"许可〔2026〕{n}号",
        "license_category": "普通",
        "content": "食品销售",
        "decided_on": decided,
        "valid_from": decided,
        "valid_to": "2099-12-31",
        "authority": "市场监督管理局",
        "authority_code": SOURCE,
        "source_unit": "市场监督管理局",
        "source_code": SOURCE,
    }


def synthetic_records(count: int = 300, seed: int = 7) -> list[Record]:
    """``count`` records of every kind with names that share fragments, codes and days."""
    rng = random.Random(seed)
    start = date(2019, 1, 1)
    records: list[Record] = []
    for n in range(count):
        region = rng.choice(REGIONS)
        kind: RecordKind = RECORD_KINDS[n % 4] if n % 3 else "penalty"
        if n % 17 == 0:
            name = rng.choice(PERSONS)
        elif n % 11 == 0:
            name = "杭州同名贸易有限公司"  # identical names: only day and tie-breaker order them
        else:
            name = rng.choice(PLACES) + "".join(rng.sample(WORDS, rng.randint(1, 2)))
            name += rng.choice(TAILS)
        decided = start + timedelta(days=rng.randrange(0, 2850))
        if n % 13 == 0:
            decided = date(2026, 10, 1)  # many on one day
        serial = n if n % 9 else max(n - 1, 0)  # some subjects with two records
        iso = decided.isoformat()
        if kind == "penalty":
            extra: dict[str, str] = {"record_id": f"syn{n}"}
            if name in PERSONS:
                extra |= {"uscc": "", "subject_type": "自然人"}
            records.append(penalty(serial, region=region, decided=iso, subject_name=name, **extra))
            continue
        if kind == "license":
            fields = _license_fields(serial, region, name, iso)
        else:
            fields = _list_fields(serial, region, name, iso)
        fields["record_id"] = f"syn{n}"
        if n % 7 == 0:
            fields["document_no"] = "共用〔2026〕1号"  # one document number, many records
        records.append(make_record(kind, fields, today=TODAY))
    return records


DOCS: list[IndexDoc] = [index_doc(r) for r in synthetic_records()]


def _phrases(*terms: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(bigram_tokens(normalize(t))) for t in terms)


TERMS = [
    ("杭州",),
    ("有限公司",),
    ("科技有限",),
    ("华为",),
    ("某某", "科技"),
    ("集团有限",),
    ("杭州同名贸易有限公司",),
    ("同名贸易",),
    ("张三",),
    ("华",),  # a one-character term has no bigram: matches nothing on both backends
    ("不存在的名称",),
    ("深圳市", "有限"),
    ("公司", "有限公司", "有限"),  # implied phrases
]
FILTERS = [
    Filters(),
    Filters(kinds=("penalty",)),
    Filters(kinds=("license", "redlist")),
    Filters(regions=("330000",)),
    Filters(regions=("330100",)),
    Filters(regions=("330000", "330782")),
    Filters(regions=("110101",), kinds=("penalty", "blacklist")),
    Filters(day_from=day_number(date(2022, 1, 1)), day_to=day_number(date(2024, 12, 31))),
    Filters(day_from=day_number(date(2026, 10, 1))),
    Filters(regions=("330000",), kinds=("penalty",), day_to=day_number(date(2025, 6, 30))),
]
WINDOWS = [(0, 20), (5, 7), (0, 0), (40, 10), (0, 500), (1000, 5)]


def parity_queries() -> list[Query]:
    docs = DOCS
    codes = [d.code for d in docs if d.code][:3]
    shared_doc_key = next(d.doc_key for d in docs if d.data["document_no"] == "共用〔2026〕1号")
    selections = [Selection()]
    selections += [Selection(phrases=_phrases(*t)) for t in TERMS]
    selections += [
        Selection(codes=(codes[0],)),
        Selection(codes=tuple(codes)),
        Selection(doc_keys=(shared_doc_key,)),
        Selection(codes=(codes[1],), doc_keys=(shared_doc_key, docs[5].doc_key)),
        Selection(codes=("",)),  # empty values are ignored: nothing
        Selection(codes=("", codes[2])),
        Selection(codes=("91000000000000000X",)),
        Selection(
            phrases=_phrases("有限公司"),
            exclude_codes=(codes[0], ""),
            exclude_doc_keys=(shared_doc_key,),
        ),
        Selection(phrases=_phrases("同名"), exclude_codes=tuple(codes)),
    ]
    queries = []
    for i, sel in enumerate(selections):
        for j, flt in enumerate(FILTERS):
            for order in ("rank", "newest"):
                offset, limit = WINDOWS[(i + j) % len(WINDOWS)]
                queries.append(Query(sel, flt, order, offset, limit))
    return queries


@pytest.fixture(scope="module")
def pair(
    make_backend: Callable[[str, str], SearchBackend],
) -> Iterator[tuple[SearchBackend, SearchBackend]]:
    """The data set in both backends: (embedded, meilisearch)."""
    sqlite, meili = make_backend("embedded", "parity"), make_backend("meilisearch", "parity")
    sqlite.rebuild(iter(DOCS), 3)
    meili.rebuild(iter(DOCS), 3)
    yield sqlite, meili
    sqlite.close()
    meili.close()


def _batches(queries: list[Query], size: int = 40) -> Iterator[list[Query]]:
    for start in range(0, len(queries), size):
        yield queries[start : start + size]


def _keys(page: Page) -> list[str]:
    return [h["key"] for h in page.hits]


def test_parity_with_the_embedded_index(pair: tuple[SearchBackend, SearchBackend]) -> None:
    sqlite, meili = pair
    queries = parity_queries()
    nonempty = 0
    for batch in _batches(queries):
        expected, got = sqlite.run(batch), meili.run(batch)
        assert len(got) == len(batch)
        for query, want, have in zip(batch, expected, got, strict=True):
            assert _keys(have) == _keys(want), query
            assert have.facets == want.facets, query
            assert have.hits == want.hits, query
            nonempty += bool(want.hits)
    assert nonempty > len(queries) // 3  # the comparison is not vacuous


def test_parity_of_status(pair: tuple[SearchBackend, SearchBackend]) -> None:
    sqlite, meili = pair
    assert meili.status().documents == sqlite.status().documents == len(DOCS)
    assert meili.status().synced_push == sqlite.status().synced_push == 3
    assert meili.status().backend == "meilisearch"


def test_more_phrases_than_meilisearch_reads(pair: tuple[SearchBackend, SearchBackend]) -> None:
    """Meilisearch ignores terms after the tenth: such queries are checked here instead."""
    sqlite, meili = pair
    name = max((normalize(d.data["subject_name"]) for d in DOCS), key=len)
    terms = list(dict.fromkeys(name[i : i + 2] for i in range(len(name) - 1)))
    assert len(terms) > MAX_PHRASES, name
    absent = [*terms[:MAX_PHRASES], "不在"]  # the eleventh term decides
    queries = []
    for t in (terms, absent):
        phrases = _phrases(*t)
        assert len(_reduce(phrases)) > MAX_PHRASES
        for order in ("rank", "newest"):
            for offset, limit in ((0, 3), (1, 50), (0, 0)):
                queries.append(Query(Selection(phrases=phrases), Filters(), order, offset, limit))
    expected, got = sqlite.run(queries), meili.run(queries)
    assert got == expected
    assert got[0].total > 0 and sum(p.total for p in got[6:]) == 0


def test_reduce_drops_implied_phrases() -> None:
    phrases = _phrases("有限公司", "有限", "公司", "有限公司", "科技")
    assert _reduce(phrases) == [_phrases("有限公司")[0], _phrases("科技")[0]]
    # token boundaries matter: "bc" is not inside "ab cd"
    assert len(_reduce([("ab", "cd"), ("bc",)])) == 2


@pytest.mark.parametrize(
    ("term", "name"),
    [
        ("乙乙乙乙", "丙乙乙乙"),
        ("甲丙丙丁", "甲丙丁甲丙丙丙丁"),
        ("杭州湾科技公司", "杭州湾科技宁波湾科技公司"),
    ],
)
def test_long_phrases_are_checked_exactly(backend_pair_factory, term: str, name: str) -> None:
    """``term`` is not in ``name``, but every window of three of its bigrams is: Meilisearch
    alone matches it; the candidates are checked, so both backends answer nothing."""
    assert term not in name
    sqlite, meili = backend_pair_factory([index_doc(penalty(1, subject_name=name))])
    query = Query(Selection(phrases=_phrases(term)))
    assert meili.run([query]) == sqlite.run([query])


@pytest.fixture
def backend_pair_factory(
    tmp_path: Path, meili_server: MeiliServer
) -> Iterator[Callable[[list[IndexDoc]], tuple[SearchBackend, SearchBackend]]]:
    made: list[SearchBackend] = []

    def make(docs: list[IndexDoc]) -> tuple[SearchBackend, SearchBackend]:
        sqlite = SqliteIndex(tmp_path / f"s{len(made)}.sqlite3")
        meili = MeiliIndex(meili_server.url, meili_server.key, index=f"pair-{time.time_ns()}")
        for b in (sqlite, meili):
            b.apply(docs, [], 1)
            made.append(b)
        return sqlite, meili

    yield make
    for b in made:
        b.close()


# -- Meilisearch itself ---------------------------------------------------------------------


@pytest.fixture
def meili(meili_server: MeiliServer) -> Iterator[MeiliIndex]:
    index = MeiliIndex(meili_server.url, meili_server.key, index=f"m-{time.time_ns()}")
    yield index
    for uid in (index.index, index.meta_index):
        index.client.delete_index(uid)
    index.close()


def test_nothing_is_contacted_on_construction() -> None:
    index = MeiliIndex(f"http://127.0.0.1:{free_port()}", None)
    assert index.name == "meilisearch" and index.index == "records"


def test_settings_are_applied_on_creation(meili: MeiliIndex) -> None:
    meili.apply(DOCS[:3], [], 1)
    settings = meili.client.index(meili.index).get_settings()
    for key, value in INDEX_SETTINGS.items():
        if isinstance(value, dict):
            assert {k: settings[key][k] for k in value} == value, key
        elif isinstance(value, list) and key.endswith("Attributes"):
            assert sorted(settings[key]) == sorted(value), key
        else:
            assert settings[key] == value, key
    assert meili.client.get_raw_index(meili.index)["primaryKey"] == "id"


def test_a_missing_index_answers_like_an_empty_one(meili: MeiliIndex) -> None:
    status = meili.status()
    assert (status.documents, status.synced_push) == (0, None)
    pages = meili.run([Query(Selection()), Query(Selection(phrases=_phrases("杭州")), limit=0)])
    assert pages == [Page(hits=[], facets={}), Page(hits=[], facets={})]


def test_apply_is_idempotent(meili: MeiliIndex) -> None:
    docs = DOCS[:40]
    browse = [Query(Selection(), limit=100), Query(Selection(phrases=_phrases("有限")), limit=100)]
    meili.apply(docs, [], 5)
    first = meili.run(browse)
    meili.apply(docs, [], 5)
    assert meili.run(browse) == first
    assert (meili.status().documents, meili.status().synced_push) == (40, 5)

    gone = [docs[0].key, docs[1].key, "never-indexed"]
    meili.apply([], gone, 6)
    meili.apply([], gone, 6)
    assert (meili.status().documents, meili.status().synced_push) == (38, 6)
    assert {h["key"] for h in meili.run(browse)[0].hits} == {d.key for d in docs[2:]}

    renamed = index_doc(penalty(9001, subject_name="义乌市改名测试商行"))
    meili.apply([renamed], [], 7)
    again = index_doc(penalty(9001, subject_name="义乌市再改名商行"))
    meili.apply([again], [renamed.key], 8)  # same key in both: the upsert wins, as embedded
    pages = meili.run([Query(Selection(phrases=_phrases(n))) for n in ("改名测试", "再改名")])
    assert [p.total for p in pages] == [0, 1]


def test_rebuild_swaps_without_a_window(meili: MeiliIndex) -> None:
    old, new = DOCS[:50], DOCS[50:]
    meili.apply(old, [], 1)
    totals: list[int] = []
    errors: list[Exception] = []
    stop = threading.Event()

    def search() -> None:
        reader = MeiliIndex(meili.url, meili._key, index=meili.index)
        while not stop.is_set():
            try:
                totals.append(reader.run([Query(Selection(), limit=0)])[0].total)
            except Exception as exc:
                errors.append(exc)
            time.sleep(0.002)

    thread = threading.Thread(target=search)
    thread.start()
    done: list[int] = []
    try:
        meili.rebuild(iter(new), 9, done.append)
    finally:
        time.sleep(0.05)
        stop.set()
        thread.join(10)
    assert not errors
    assert set(totals) <= {len(old), len(new)} and totals[0] == len(old)
    assert done and done[-1] == len(new)
    assert (meili.status().documents, meili.status().synced_push) == (len(new), 9)
    uids = {i["uid"] for i in meili.client.get_raw_indexes({"limit": 1000})["results"]}
    assert not {f"{meili.index}-rebuild", f"{meili.index}-rebuild-meta"} & uids


def test_first_rebuild_and_batches(meili: MeiliIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sitegroup.search.meili.REBUILD_BATCH", 120)
    done: list[int] = []
    meili.rebuild(iter(DOCS), 2, done.append)
    assert done == [120, 240, len(DOCS)]
    assert (meili.status().documents, meili.status().synced_push) == (len(DOCS), 2)
    meili.rebuild(iter([]), 3, done.append)
    assert (meili.status().documents, meili.status().synced_push) == (0, 3)


# -- outages --------------------------------------------------------------------------------


def _assert_unavailable(index: MeiliIndex, fragment: str) -> None:
    for call in (
        lambda: index.run([Query(Selection())]),
        index.status,
        lambda: index.apply(DOCS[:1], [], 1),
    ):
        with pytest.raises(IndexUnavailable) as info:
            call()
        message = str(info.value)
        assert "Meilisearch" in message and index.url in message and fragment in message


def test_closed_port_is_unavailable() -> None:
    _assert_unavailable(MeiliIndex(f"http://127.0.0.1:{free_port()}", "k"), "无法连接")


def test_silent_server_times_out() -> None:
    with socket.socket() as sock:  # accepts connections (backlog) but never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(IndexUnavailable, match="超时"):
            MeiliIndex(url, "k", timeout=0.3).run([Query(Selection())])
        assert time.monotonic() - started < 3


def test_wrong_key_is_unavailable(meili_server: MeiliServer) -> None:
    _assert_unavailable(MeiliIndex(meili_server.url, "not-the-key-0123456789"), "密钥")


def test_stopped_server_is_unavailable(tmp_path: Path) -> None:
    with run_meili(tmp_path) as server:
        index = MeiliIndex(server.url, server.key, index="outage")
        index.apply(DOCS[:5], [], 1)
        assert index.run([Query(Selection())])[0].total == 5
    _assert_unavailable(index, "无法连接")
