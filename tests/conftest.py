"""Shared fixtures: the theme, tiny tenant trees from dicts, and one demo build per session."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from sitegroup.build.runner import build_group
from sitegroup.config import Settings
from sitegroup.store import Store, open_store
from sitegroup.tenants.loader import load_group
from sitegroup.tenants.registry import Group
from sitegroup.theme import Theme, load_theme
from tests import servers

ROOT = Path(__file__).resolve().parents[1]
DEMO_TENANTS = ROOT / "tenants"
GOLDEN_TENANTS = ROOT / "tests" / "golden_tenants"


def site_toml(region_code: str, *, url: str | None = None, extra: str = "") -> str:
    """A minimal valid site.toml."""
    url = url or f"https://r{region_code}.example.cn/"
    return (
        f'region_code = "{region_code}"\nurl = "{url}"\nsponsor = "测试主办单位"\n'
        f'{extra}\n[filing]\nicp = "测ICP备{region_code}号"\n'
    )


@pytest.fixture(autouse=True)
def _store_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands under test never touch the working copy's var/ store."""
    monkeypatch.setenv("SITEGROUP_DATABASE_URL", f"sqlite:///{tmp_path / 'cli-store.sqlite3'}")


@pytest.fixture(scope="session")
def theme() -> Theme:
    return load_theme()


@pytest.fixture
def make_tenants(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write ``{"hubei/site.toml": "...", ...}`` under a fresh tenants folder."""

    def make(files: dict[str, str]) -> Path:
        root = tmp_path / "tenants"
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        root.mkdir(exist_ok=True)
        return root

    return make


@pytest.fixture
def make_group(
    make_tenants: Callable[[dict[str, str]], Path], theme: Theme
) -> Callable[[dict[str, str]], Group]:
    def make(files: dict[str, str]) -> Group:
        return load_group(make_tenants(files), theme)

    return make


DEMO_TODAY = date(2026, 11, 23)


def push_demo_data(store: Store, group: Group) -> None:
    """Push the demo headlines and records shipped in demo/ (all rows valid)."""
    from news_push.demo import push_demo

    for result in push_demo(store=store, group=group, today=DEMO_TODAY):
        assert not result.problems, [str(p) for p in result.problems[:3]]


@pytest.fixture(scope="session")
def demo_store_url(tmp_path_factory: pytest.TempPathFactory, theme: Theme) -> str:
    """A store holding the demo push files."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo-store') / 'store.sqlite3'}"
    with open_store(url) as store:
        push_demo_data(store, load_group(DEMO_TENANTS, theme))
    return url


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory, theme: Theme, demo_store_url: str) -> Path:
    """The whole demo group with the demo push data, built once for the session."""
    from sitegroup.build.runner import DataSource

    out = tmp_path_factory.mktemp("demo-build")
    result = build_group(
        load_group(DEMO_TENANTS, theme), theme, out, data=DataSource(demo_store_url)
    )
    assert not result.failed, result.failed
    return out


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory, demo_store_url: str) -> Settings:
    """Settings for the demo store with an embedded search index synced to it."""
    from sitegroup.search import open_index
    from sitegroup.search.sync import rebuild_index

    path = tmp_path_factory.mktemp("demo-index") / "search.sqlite3"
    settings = Settings(database_url=demo_store_url, search_path=path, tenants_dir=DEMO_TENANTS)
    index = open_index(settings)
    with open_store(demo_store_url) as store:
        rebuild_index(store, index)
    index.close()
    return settings


# -- the store on both backends ------------------------------------------------------

PG_ADMIN_URL = os.environ.get("SITEGROUP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database on the local server, dropped afterwards."""
    with servers.postgres_database(PG_ADMIN_URL) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same store tests run on a SQLite file and on the real PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    with postgres_database() as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An upgraded store on each backend."""
    with open_store(store_url, upgrade=True) as s:
        yield s
