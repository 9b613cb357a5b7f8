"""Click tracker fixtures: the demo group, an API app on each store, visitors."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search_api.app import create_app
from sitegroup.config import Settings
from sitegroup.hits import HitLedger
from sitegroup.store import Store
from sitegroup.tenants.loader import load_group
from sitegroup.tenants.registry import Group
from sitegroup.theme import Theme
from tests.conftest import DEMO_TENANTS

#: A desktop browser: counted. Every visitor gets its own number in the user agent.
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
_visitors = itertools.count(1)


def visitor() -> dict[str, str]:
    """Headers of a new visitor (its own user agent; the test client's IP is fixed)."""
    return {"user-agent": f"{BROWSER_UA} Visitor/{next(_visitors)}"}


@pytest.fixture(scope="session")
def demo_group(theme: Theme) -> Group:
    return load_group(DEMO_TENANTS, theme)


@pytest.fixture
def ledger(store: Store) -> HitLedger:
    return HitLedger(store.engine)


@pytest.fixture
def make_client(
    store: Store, demo_group: Group, tmp_path: Path
) -> Iterator[Callable[..., TestClient]]:
    """``make_client(**settings)`` → a started API client on the test's store; the app is
    shut down (its hits flushed) when the test ends, if the test has not done it itself."""
    clients: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        settings = Settings(
            database_url=store.url,
            tenants_dir=DEMO_TENANTS,
            search_path=tmp_path / "search.sqlite3",
            **overrides,
        )
        client = TestClient(create_app(settings, group=demo_group, store=store))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def post_hit(client: TestClient, site: str, path: str = "", *, ref: str = "", headers=None) -> int:
    body = f'{{"site": "{site}", "path": "{path}", "ref": "{ref}"}}'
    response = client.post(
        "/api/hits",
        content=body.encode(),
        headers={"content-type": "text/plain;charset=UTF-8", **(headers or visitor())},
    )
    return response.status_code


def flush(client: TestClient) -> None:
    """Count what this app's worker holds now (as the flusher thread does every second)."""
    client.app.state.services.hits.flush()
