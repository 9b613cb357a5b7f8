"""The real thing: ``sitegroup api`` under uvicorn, stopped with SIGTERM, on both stores."""

from __future__ import annotations

import http.client
import re
from pathlib import Path

import sqlalchemy as sa

from sitegroup.store import open_store
from tests.conftest import DEMO_TENANTS
from tests.hits.conftest import BROWSER_UA
from tests.servers import HOST, start_api

HITS = 40
MARKER = "Marker/c0ffee"


def test_sigterm_flushes_every_accepted_hit_and_logs_no_address(
    store_url: str, tmp_path: Path
) -> None:
    open_store(store_url, upgrade=True).close()  # `sitegroup db upgrade` for PostgreSQL
    env = {
        "SITEGROUP_DATABASE_URL": store_url,
        "SITEGROUP_TENANTS_DIR": str(DEMO_TENANTS),
        "SITEGROUP_SEARCH_PATH": str(tmp_path / "search.sqlite3"),
        # Nothing is flushed by the clock during the test: only the shutdown can save them.
        "SITEGROUP_HITS_FLUSH_INTERVAL": "10",
    }
    server = start_api(tmp_path / "api.log", env, cli=True)
    try:
        conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
        for n in range(HITS):
            body = f'{{"site": "zhejiang-yiwu", "path": "news/{n % 3}.html"}}'
            conn.request(
                "POST",
                "/api/hits",
                body=body.encode(),
                headers={
                    "Content-Type": "text/plain;charset=UTF-8",
                    "User-Agent": f"{BROWSER_UA} {MARKER} Visitor/{n}",
                },
            )
            response = conn.getresponse()
            response.read()
            assert response.status == 204
        conn.close()
    finally:
        server.stop()  # SIGTERM: uvicorn ends the lifespan, the app flushes
    log = server.log.read_text(encoding="utf-8")
    # uvicorn re-raises SIGTERM after its graceful shutdown, so the exit status is -15.
    assert "Application shutdown complete" in log, log[-2000:]
    with open_store(store_url) as store, store.engine.connect() as db:
        stored = db.execute(sa.text("SELECT SUM(views) FROM hit_counts")).scalar()
    assert stored == HITS

    access = [line for line in log.splitlines() if '"POST /api/hits' in line]
    assert len(access) == HITS, log[-2000:]
    assert not any(re.search(r"\d+\.\d+\.\d+\.\d+", line) for line in access), access[0]
    assert MARKER not in log
