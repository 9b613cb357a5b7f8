"""Crash safety of intake: a case answered 201 has committed. A real uvicorn process takes
cases from several clients at once and is killed with SIGKILL in the middle; every case it
answered 201 is then in the store with its events and files, on SQLite and PostgreSQL, and
no half-written case is left by the requests the kill cut off.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from sitegroup.cases import CaseDesk
from sitegroup.store import open_store
from sitegroup.store.tables import case_attachments, case_events, cases
from sitegroup.tenants.loader import load_group
from sitegroup.theme import Theme
from tests.cases.test_attachments import COMPLAINT, pdf_bytes, png_bytes
from tests.conftest import DEMO_TENANTS, ROOT
from tests.servers import start_api

CLIENTS = 4
#: Kill the server once this many cases were answered 201 (the clients keep sending).
KILL_AFTER = 40
PER_CLIENT = 200  # a bound, never reached: the kill ends the run


def _submit(client: httpx.Client, n: int) -> httpx.Response:
    case = {**COMPLAINT, "reason": f"{COMPLAINT['reason']}（第 {n} 件）"}
    if n % 3 == 0:  # every third with files, as the page sends them
        files = [
            ("attachments", (f"决定书{n}.pdf", pdf_bytes(), "application/pdf")),
            ("attachments", (f"照片{n}.png", png_bytes(), "image/png")),
        ]
        return client.post("/api/cases", data=case, files=files)
    return client.post("/api/cases", json=case)


def test_sigkill_loses_no_accepted_case(store_url: str, theme: Theme, tmp_path: Path) -> None:
    open_store(store_url, upgrade=True).close()  # `sitegroup db upgrade` for PostgreSQL
    env = {
        "SITEGROUP_DATABASE_URL": store_url,
        "SITEGROUP_TENANTS_DIR": str(DEMO_TENANTS),
        "SITEGROUP_SEARCH_PATH": str(tmp_path / "search.sqlite3"),
        "SITEGROUP_CASES_PER_IP_HOUR": "0",  # every case comes from 127.0.0.1
        "SITEGROUP_CASES_PER_IP_DAY": "0",
    }
    server = start_api(tmp_path / "api.log", env, cwd=ROOT)

    accepted: list[tuple[dict[str, Any], int]] = []  # (the 201 answer, files sent)
    other: list[str] = []
    cut: list[httpx.TransportError] = []  # requests the kill ended
    lock = threading.Lock()

    def client_loop(first: int) -> None:
        with httpx.Client(base_url=server.url, timeout=20) as client:
            for n in range(first, first + PER_CLIENT):
                try:
                    answer = _submit(client, n)
                except httpx.TransportError as exc:
                    cut.append(exc)
                    return  # the server is gone
                with lock:
                    if answer.status_code == 201:
                        accepted.append((answer.json(), 2 if n % 3 == 0 else 0))
                    else:
                        other.append(f"{answer.status_code} {answer.text[:200]}")

    threads = [
        threading.Thread(target=client_loop, args=(i * PER_CLIENT,), daemon=True)
        for i in range(CLIENTS)
    ]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while len(accepted) < KILL_AFTER and time.monotonic() < deadline and not other:
            time.sleep(0.01)
        os.kill(server.pid, signal.SIGKILL)  # no shutdown, no flush: the process is gone
        for thread in threads:
            thread.join(timeout=30)
    finally:
        server.stop()  # reaps the killed process (or stops one that outlived a failure)
    assert not other, other[:3]
    assert len(accepted) >= KILL_AFTER, server.log.read_text(encoding="utf-8")[-2000:]
    # The kill came in the middle of requests, not between them.
    assert any(not isinstance(exc, httpx.ConnectError) for exc in cut), cut

    group = load_group(DEMO_TENANTS, theme)
    with open_store(store_url) as store:
        desk = CaseDesk(store.engine, group)
        for answer, files in accepted:
            case = desk.lookup(answer["number"], answer["code"])  # the submitter's view
            assert case["status"] == "dispatched", case
            assert [h["status"] for h in case["history"]] == ["received", "dispatched"]
            assert len(answer["attachments"]) == files
        with store.engine.connect() as conn:
            numbers = dict(conn.execute(sa.select(cases.c.number, cases.c.id)).all())
            events = dict(
                conn.execute(
                    sa.select(case_events.c.case_id, sa.func.count()).group_by(
                        case_events.c.case_id
                    )
                ).all()
            )
            stored_files = dict(
                conn.execute(
                    sa.select(case_attachments.c.case_id, sa.func.count()).group_by(
                        case_attachments.c.case_id
                    )
                ).all()
            )
    for answer, files in accepted:
        assert stored_files.get(numbers[answer["number"]], 0) == files
    # Cut-off requests left nothing half-written: every stored case is whole.
    assert None not in numbers
    assert all(events.get(case_id) == 2 for case_id in numbers.values())
    assert set(stored_files) <= set(numbers.values())
