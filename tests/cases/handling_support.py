"""Set-up shared by the handling tests (not a test module): the demo group and data in one
store per backend and test module, handler accounts at five sites, helpers to file cases.

A test module makes its world once per backend (pushing the demo data takes a while)::

    @pytest.fixture(scope="module", params=BACKENDS)
    def world(request, tmp_path_factory, theme):
        with demo_world(request.param, tmp_path_factory.mktemp("world"), theme) as w:
            yield w

Tests in a module share that store, so each files its own cases and checks membership
rather than totals.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from search_api.app import create_app
from sitegroup.cases import CaseDesk, Submitted, parse_case
from sitegroup.cases.attachments import Attachment
from sitegroup.cases.handlers import Handler, create_handler
from sitegroup.cases.workflow import Actor, HandlingDesk
from sitegroup.config import Settings
from sitegroup.store import Store, open_store
from sitegroup.store.tables import audit_log, case_attachments, case_events, cases, records
from sitegroup.tenants.loader import load_group
from sitegroup.tenants.registry import Group
from sitegroup.theme import Theme
from tests.conftest import DEMO_TENANTS, postgres_database, push_demo_data

BACKENDS = ["sqlite", "postgresql"]
#: Handler accounts made in every world: the nation, a province, a city, a county-level
#: city with its own site, and a city of another province.
HANDLER_SITES = ("main", "zhejiang", "zhejiang-hangzhou", "zhejiang-yiwu", "jiangsu-wuxi")
REASON = "该行政处罚已于上月履行完毕并整改到位，请求核实后更正公示信息。"
COMPLAINT = "该企业拖欠货款拒不履行，存在失信行为，请依法核查。"
#: What TestClient reports as the client address.
CLIENT = "testclient"


@dataclass
class World:
    store: Store
    group: Group
    client: TestClient
    desk: CaseDesk
    handling: HandlingDesk
    handlers: dict[str, Handler]
    tokens: dict[str, str]

    def auth(self, site: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[site]}"}

    def actor(self, site: str) -> Actor:
        return Actor(self.handlers[site], CLIENT)

    # -- records and cases ------------------------------------------------------------

    def record(self, where: Any, offset: int = 0) -> Any:
        """A record of a legal person matching ``where`` (by key; ``offset`` picks another)."""
        query = sa.select(records).where(where, records.c.subject_code.like("91%"))
        with self.store.engine.connect() as conn:
            row = conn.execute(query.order_by(records.c.key).offset(offset).limit(1)).first()
        assert row is not None, "the demo data has no such record"
        return row

    def objection(
        self, row: Any, *, site: str = "main", now: datetime | None = None, **extra: str
    ) -> Submitted:
        case = parse_case(
            {
                "kind": "objection",
                "site": site,
                "subject_name": row.subject_name,
                "subject_code": row.subject_code,
                "record": row.document_no,
                "reason": REASON,
                "phone": "13800138000",
                "email": "zhang@example.cn",
                **extra,
            }
        )
        return self.desk.submit(case, now=now)

    def complaint(
        self, subject_code: str, *, site: str = "main", now: datetime | None = None
    ) -> Submitted:
        case = parse_case(
            {
                "kind": "complaint",
                "site": site,
                "subject_name": "某某贸易有限公司",
                "subject_code": subject_code,
                "reason": COMPLAINT,
                "phone": "0571-87000000",
            }
        )
        return self.desk.submit(case, now=now)

    def attach(self, number: str, name: str, media_type: str, content: bytes) -> int:
        """Store a file with case ``number`` as intake would; returns its id."""
        file = Attachment(name, media_type, content)
        with self.store.engine.begin() as conn:
            return int(
                conn.execute(
                    case_attachments.insert().values(
                        case_id=self.case(number).id,
                        name=file.name,
                        media_type=file.media_type,
                        size=file.size,
                        sha256=file.sha256,
                        content=file.content,
                    )
                ).inserted_primary_key[0]
            )

    def case(self, number: str) -> Any:
        with self.store.engine.connect() as conn:
            return conn.execute(sa.select(cases).where(cases.c.number == number)).one()

    def events(self, number: str) -> list[Any]:
        case_id = self.case(number).id
        with self.store.engine.connect() as conn:
            return conn.execute(
                sa.select(case_events)
                .where(case_events.c.case_id == case_id)
                .order_by(case_events.c.id)
            ).all()

    def audit(self, after: int = 0) -> list[Any]:
        """Audit entries with an id above ``after``, oldest first."""
        with self.store.engine.connect() as conn:
            return conn.execute(
                sa.select(audit_log).where(audit_log.c.id > after).order_by(audit_log.c.id)
            ).all()

    def last_audit_id(self) -> int:
        with self.store.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(audit_log.c.id))).scalar() or 0)

    def state(self, number: str) -> tuple[Any, ...]:
        """What an action may change: the case row and its events (audit checked apart)."""
        return (tuple(self.case(number)), [tuple(e) for e in self.events(number)])

    # -- the handler API --------------------------------------------------------------

    def act(self, site: str, number: str, **body: Any) -> httpx.Response:
        return self.client.post(
            f"/api/handler/cases/{number}/actions", headers=self.auth(site), json=body
        )

    def get(self, site: str, path: str, **params: Any) -> httpx.Response:
        return self.client.get(f"/api/handler{path}", headers=self.auth(site), params=params)


@contextlib.contextmanager
def demo_world(
    backend: str, tmp: Path, theme: Theme, *, tenants: Path = DEMO_TENANTS
) -> Iterator[World]:
    """The demo group (or ``tenants``) and data on ``backend``, the API, five handlers."""
    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{tmp / 'store.sqlite3'}"
        else:
            url = stack.enter_context(postgres_database())
        store = stack.enter_context(open_store(url, upgrade=True))
        group = load_group(tenants, theme)
        push_demo_data(store, group)
        handlers: dict[str, Handler] = {}
        tokens: dict[str, str] = {}
        for site in HANDLER_SITES:
            handlers[site], tokens[site] = create_handler(
                store.engine, group, site, f"{group[site].label or '全国'}办理人"
            )
        settings = Settings(
            database_url=store.url, tenants_dir=tenants, search_path=tmp / "search.sqlite3"
        )
        app = create_app(settings, group=group, store=store)
        client = stack.enter_context(TestClient(app))
        services = app.state.services
        yield World(store, group, client, services.cases, services.handling, handlers, tokens)
