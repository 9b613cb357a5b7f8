"""Per-address intake limits and "a failed request stores nothing", on SQLite and PostgreSQL.

The limits count accepted cases in the store by a keyed hash of the address, so every API
worker sees the same count; the count and the insert share a lock, so a burst from one
address gets exactly the limit through, even spread over two app instances (two workers).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from search_api.app import create_app
from sitegroup.cases import CaseDesk, parse_case
from sitegroup.cases.limits import IntakeLimits, RateLimited, intake_key, network_of
from sitegroup.clock import CST
from sitegroup.config import Settings
from sitegroup.hits import HitLedger
from sitegroup.hits.visits import day_number
from sitegroup.store import Store, create_engine
from sitegroup.store.tables import cases
from sitegroup.tenants.loader import load_group
from sitegroup.tenants.registry import Group
from sitegroup.theme import Theme
from tests.cases.test_attachments import COMPLAINT, counts, png_bytes
from tests.conftest import DEMO_TENANTS


@pytest.fixture
def group(theme: Theme) -> Group:
    return load_group(DEMO_TENANTS, theme)


def _settings(store: Store, tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=store.url,
        tenants_dir=DEMO_TENANTS,
        search_path=tmp_path / "s.sqlite3",
        **overrides,
    )


@pytest.fixture
def make_client(store: Store, group: Group, tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(create_app(_settings(store, tmp_path, **overrides), group=group))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


# -- keys ------------------------------------------------------------------------------


def test_an_address_is_kept_only_as_a_keyed_hash() -> None:
    salt, other = "ab" * 32, "cd" * 32
    key = intake_key(salt, "203.0.113.7")
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert key == intake_key(salt, "203.0.113.7") != intake_key(other, "203.0.113.7")
    assert key != intake_key(salt, "203.0.113.8")
    # One IPv6 /64 (what one subscriber gets) is one address; IPv4-mapped is the IPv4 one.
    assert network_of("2001:db8:1:2:aaaa::1") == network_of("2001:db8:1:2:bbbb::9")
    assert network_of("2001:db8:1:2::1") != network_of("2001:db8:1:3::1")
    assert network_of("::ffff:203.0.113.7") == "203.0.113.7"
    assert network_of("testclient") == "testclient"


# -- the limits over the store, at chosen times -------------------------------------------


def _limits(store: Store, per_hour: int = 5, per_day: int = 20) -> IntakeLimits:
    return IntakeLimits(
        store.engine, HitLedger(store.engine).salt, per_hour=per_hour, per_day=per_day
    )


def _file(desk: CaseDesk, limits: IntakeLimits, address: str, at: datetime) -> None:
    keys = limits.keys(address, at)
    desk.submit(parse_case(COMPLAINT), intake_key=keys.current, now=at)


def _beijing(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST).astimezone(UTC)  # type: ignore[misc]


def test_the_hour_is_rolling_and_counts_only_that_address(store: Store, group: Group) -> None:
    desk, limits = CaseDesk(store.engine, group), _limits(store)
    now = _beijing(2026, 11, 23, 15, 0)
    _file(desk, limits, "203.0.113.7", now - timedelta(minutes=61))  # out of the hour
    for minutes in (50, 40, 30, 20, 10):
        _file(desk, limits, "203.0.113.7", now - timedelta(minutes=minutes))
    _file(desk, limits, "198.51.100.1", now - timedelta(minutes=5))
    with pytest.raises(RateLimited) as limited:
        limits.check(limits.keys("203.0.113.7", now), now)
    # The case of 14:10 leaves the hour at 15:10: ten minutes.
    assert limited.value.retry_after == 600
    assert limited.value.message == (
        "提交过于频繁：同一网络地址每小时最多提交 5 件，请 10 分钟后再试"
    )
    limits.check(
        limits.keys("203.0.113.7", now + timedelta(minutes=11)), now + timedelta(minutes=11)
    )
    limits.check(limits.keys("198.51.100.1", now), now)
    _limits(store, per_hour=0, per_day=0).check(limits.keys("203.0.113.7", now), now)


def test_the_hour_does_not_restart_at_midnight(store: Store, group: Group) -> None:
    desk, limits = CaseDesk(store.engine, group), _limits(store)
    for minute in (40, 45, 50, 55):
        _file(desk, limits, "203.0.113.7", _beijing(2026, 11, 22, 23, minute))
    _file(desk, limits, "203.0.113.7", _beijing(2026, 11, 23, 0, 5))
    now = _beijing(2026, 11, 23, 0, 20)
    keys = limits.keys("203.0.113.7", now)
    assert len(keys.hour) == 2 and keys.current != keys.hour[1]  # today's and yesterday's
    with pytest.raises(RateLimited) as limited:
        limits.check(keys, now)
    assert limited.value.retry_after == 20 * 60  # until the case of 23:40 is an hour old
    later = _beijing(2026, 11, 23, 1, 10)
    assert len(limits.keys("203.0.113.7", later).hour) == 1
    limits.check(limits.keys("203.0.113.7", later), later)


def test_the_day_limit_lasts_until_beijing_midnight(store: Store, group: Group) -> None:
    desk, limits = CaseDesk(store.engine, group), _limits(store, per_hour=0, per_day=3)
    _file(desk, limits, "203.0.113.7", _beijing(2026, 11, 22, 22, 0))  # yesterday
    for hour in (8, 10, 12):
        _file(desk, limits, "203.0.113.7", _beijing(2026, 11, 23, hour, 0))
    now = _beijing(2026, 11, 23, 22, 30)
    with pytest.raises(RateLimited) as limited:
        limits.check(limits.keys("203.0.113.7", now), now)
    assert limited.value.retry_after == 90 * 60
    assert "每天最多提交 3 件" in limited.value.message
    tomorrow = _beijing(2026, 11, 24, 0, 1)
    limits.check(limits.keys("203.0.113.7", tomorrow), tomorrow)


# -- over HTTP -----------------------------------------------------------------------------


def test_the_sixth_case_in_an_hour_is_refused_with_retry_after(
    make_client: Callable[..., TestClient], store: Store
) -> None:
    client = make_client()  # the defaults: 5 an hour, 20 a day
    # Refusals are not counted: they store nothing.
    for bad in ({**COMPLAINT, "phone": "1"}, {**COMPLAINT, "site": "nowhere"}):
        assert client.post("/api/cases", json=bad).status_code == 422
    for _ in range(5):
        assert client.post("/api/cases", json=COMPLAINT).status_code == 201
    before = counts(store)
    answer = client.post("/api/cases", json=COMPLAINT)
    assert answer.status_code == 429, answer.text
    assert answer.json()["error"] == {
        "code": "rate_limited",
        "message": "提交过于频繁：同一网络地址每小时最多提交 5 件，请 60 分钟后再试",
    }
    assert 3500 < int(answer.headers["Retry-After"]) <= 3600
    # Refused before its files are looked at, and nothing of it is stored.
    files = [("attachments", ("a.png", png_bytes(), "image/png"))]
    assert client.post("/api/cases", data=COMPLAINT, files=files).status_code == 429
    assert counts(store) == before == (5, 10, 0)

    # The address itself is not stored: only its key with today's salt.
    salt = HitLedger(store.engine).salt(day_number(datetime.now(CST).date()))
    with store.engine.connect() as conn:
        keys = set(conn.execute(sa.select(cases.c.intake_key)).scalars())
    assert keys == {intake_key(salt, "testclient")}


def test_the_day_limit_over_http(make_client: Callable[..., TestClient], store: Store) -> None:
    client = make_client(cases_per_ip_hour=0, cases_per_ip_day=2)
    assert [client.post("/api/cases", json=COMPLAINT).status_code for _ in range(3)] == [
        201,
        201,
        429,
    ]
    answer = client.post("/api/cases", json=COMPLAINT)
    assert "每天最多提交 2 件，请明天（北京时间 0 点以后）再试" in answer.json()["error"]["message"]
    assert counts(store) == (2, 4, 0)


def test_workers_share_the_count_through_the_store(
    make_client: Callable[..., TestClient], store: Store
) -> None:
    one, two = make_client(cases_per_ip_hour=3), make_client(cases_per_ip_hour=3)
    assert one.post("/api/cases", json=COMPLAINT).status_code == 201
    assert two.post("/api/cases", json=COMPLAINT).status_code == 201
    assert one.post("/api/cases", json=COMPLAINT).status_code == 201
    assert two.post("/api/cases", json=COMPLAINT).status_code == 429
    assert one.post("/api/cases", json=COMPLAINT).status_code == 429


def test_a_burst_from_one_address_gets_exactly_the_limit_through(
    store: Store, group: Group, tmp_path: Path
) -> None:
    """Twenty concurrent submissions from one address over two app instances (two workers,
    each with its own engine, as two processes would have): exactly five are accepted."""
    settings = _settings(store, tmp_path, cases_per_ip_hour=5)
    stores = [Store(create_engine(store.url)) for _ in range(2)]

    async def burst() -> list[httpx.Response]:
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(
                    app=create_app(settings, group=group, store=s), client=("203.0.113.7", 4000)
                ),
                base_url="http://api.test",
            )
            for s in stores
        ]
        try:
            return await asyncio.gather(
                *(clients[n % 2].post("/api/cases", json=COMPLAINT) for n in range(20))
            )
        finally:
            for client in clients:
                await client.aclose()

    try:
        # In a thread of its own: its event loop never meets one a fixture left running.
        with ThreadPoolExecutor(1) as pool:
            answers = pool.submit(asyncio.run, burst()).result(timeout=120)
    finally:
        for s in stores:
            s.close()
    unexpected = [a.text for a in answers if a.status_code not in (201, 429)]
    assert not unexpected, unexpected[:3]
    assert sorted(a.status_code for a in answers) == [201] * 5 + [429] * 15
    assert counts(store) == (5, 10, 0)


def test_every_kind_of_refusal_stores_nothing(
    make_client: Callable[..., TestClient], store: Store
) -> None:
    client = make_client(cases_per_ip_hour=1)
    objection = {
        **COMPLAINT,
        "kind": "objection",
        "subject_code": "913301005712345678",
        "record": "杭市监罚〔2026〕1号",
    }
    refusals: list[tuple[dict[str, Any], int]] = [
        ({"json": {**COMPLAINT, "reason": "短"}}, 422),  # a field
        ({"json": {**COMPLAINT, "site": "nowhere"}}, 422),  # an unknown site
        ({"json": objection}, 422),  # an objection about a record that is not published
        ({"data": COMPLAINT, "files": [("attachments", ("x.png", b"GIF89a..", "image/png"))]}, 415),
        ({"content": b"x" * 20_000, "headers": {"content-type": "application/json"}}, 413),
    ]
    for request, status in refusals:
        answer = client.post("/api/cases", **request)
        assert answer.status_code == status, (request.keys(), answer.text)
    assert counts(store) == (0, 0, 0)
    assert client.post("/api/cases", json=COMPLAINT).status_code == 201
    assert client.post("/api/cases", json=COMPLAINT).status_code == 429  # the rate limit
    assert counts(store) == (1, 2, 0)
