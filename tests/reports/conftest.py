"""A demo store per backend (module scope) and helpers that read reports back."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pypdf import PdfReader

from search_api.app import create_app
from sitegroup.config import Settings
from sitegroup.store import Store, open_store
from sitegroup.tenants.loader import load_group
from sitegroup.theme import load_theme
from tests.conftest import DEMO_TENANTS, postgres_database, push_demo_data

KEY = "k" * 8 + "-test-report-signing-key-0123456789"
OTHER_KEY = "o" * 8 + "-another-deployment-signing-key-987"
#: Demo subjects: a company with six active records, and a natural person with one.
COMPANY = "91320211MAWHCUCB4G"
COMPANY_NAME = "无锡博创商贸有限公司"
PERSON_NAME = "丁明"
PERSON_ID = "610113196212146860"


@dataclass
class World:
    url: str
    store: Store
    tmp: Path

    def settings(self, key: str = KEY, **extra) -> Settings:
        return Settings(
            database_url=self.url,
            search_path=self.tmp / "search.sqlite3",
            tenants_dir=DEMO_TENANTS,
            report_key=key,
            **extra,
        )

    def client(self, key: str = KEY, **extra) -> TestClient:
        return TestClient(create_app(self.settings(key, **extra)))

    def ledger(self) -> list[sa.Row]:
        with self.store.engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT * FROM reports ORDER BY id")))

    def person_key(self) -> str:
        with self.store.engine.connect() as conn:
            return conn.execute(
                sa.text("SELECT key FROM records WHERE subject_name = :n"), {"n": PERSON_NAME}
            ).scalar_one()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The demo push in a store on each backend, shared by a module's tests."""
    tmp = tmp_path_factory.mktemp(f"reports-{request.param}")
    group = load_group(DEMO_TENANTS, load_theme())
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'store.sqlite3'}"
        with open_store(url, upgrade=True) as store:
            push_demo_data(store, group)
            yield World(url, store, tmp)
        return
    with postgres_database() as url, open_store(url, upgrade=True) as store:
        push_demo_data(store, group)
        yield World(url, store, tmp)


def pdf_text(pdf: bytes) -> str:
    """The text poppler's pdftotext reads (what a reader's copy and search see)."""
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def pypdf_text(pdf: bytes) -> str:
    """The same text through a second, independent PDF reader."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(pdf)).pages)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)
