"""``/api/hits`` and ``/api/stats`` through the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import sqlalchemy as sa

from sitegroup.clock import CST
from sitegroup.store import Store
from sitegroup.store.tables import metadata
from tests.conftest import DEMO_TENANTS
from tests.hits.conftest import BROWSER_UA, flush, post_hit, visitor


def stats(client, **params) -> dict:
    response = client.get("/api/stats", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_page_views_are_counted_per_site_and_page(make_client) -> None:
    client = make_client()
    for site, path in [("zhejiang", "news/"), ("zhejiang", "news/"), ("zhejiang", "")]:
        assert post_hit(client, site, path) == 204
    assert (
        client.get("/api/hits.gif", params={"site": "hubei"}, headers=visitor()).content[:6]
        == b"GIF89a"
    )
    flush(client)
    zhejiang = stats(client, site="zhejiang", rollup="false")
    assert zhejiang["total"] == 3
    assert zhejiang["top_pages"][0] == {
        "site": "zhejiang",
        "name": "信用中国(浙江)",
        "path": "/news/",
        "views": 2,
    }
    assert stats(client)["total"] == 4  # the main site rolled up: the whole group


def test_bots_are_answered_but_not_counted(make_client) -> None:
    client = make_client()
    bots = [
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/120.0.0.0 Safari/537.36",
        "curl/8.5.0",
        "python-requests/2.32",
        "",
    ]
    for ua in bots:
        assert post_hit(client, "main", headers={"user-agent": ua}) == 204
    assert post_hit(client, "main") == 204
    flush(client)
    assert stats(client)["total"] == 1


def test_a_reload_by_the_same_visitor_counts_once(make_client) -> None:
    client = make_client()
    same = visitor()
    for _ in range(5):
        assert post_hit(client, "hubei", "policies/", headers=same) == 204
    post_hit(client, "hubei", "news/", headers=same)  # another page: counted
    post_hit(client, "hubei", "policies/")  # another visitor: counted
    flush(client)
    assert stats(client, site="hubei")["total"] == 3
    # Later batches too: the window is in the store, shared by every worker.
    post_hit(client, "hubei", "policies/", headers=same)
    flush(client)
    assert stats(client, site="hubei")["total"] == 3


def test_bad_hits_are_refused_and_not_counted(make_client, store: Store) -> None:
    client = make_client()
    post = client.post
    cases = [
        (post("/api/hits", content=b'{"site": "nowhere", "path": ""}'), 404, "site"),
        (post("/api/hits", content=b'{"path": "news/"}'), 404, "site"),
        (post("/api/hits", content=b'{"site": "main", "path": "../hubei/"}'), 422, "path"),
        (
            post("/api/hits", content=b'{"site": "main", "path": "https://evil.example/"}'),
            422,
            "path",
        ),
        (post("/api/hits", content=b'{"site": "main", "path": "a b"}'), 422, "path"),
        (post("/api/hits", content=b'{"site": "main", "path": 7}'), 422, "path"),
        (post("/api/hits", content=b"site=main"), 422, None),
        (post("/api/hits", content=b"[1, 2]"), 422, None),
        (post("/api/hits", content=b'{"site": "main", "path": "' + b"a" * 3000 + b'"}'), 413, None),
        (client.get("/api/hits.gif", params={"site": "nowhere"}), 404, "site"),
        (client.get("/api/hits.gif", params={"site": "main", "path": "x" * 600}), 422, "path"),
        (
            post(
                "/api/hits",
                content=b'{"site": "main", "path": ""}',
                headers={"origin": "https://evil.example"},
            ),
            403,
            "origin",
        ),
    ]
    for response, status, field in cases:
        assert response.status_code == status, (response.request.content[:60], response.text)
        error = response.json()["error"]
        assert error["message"] and error.get("field") == field
    # A page of the group may report from its own origin.
    origin = {"origin": "https://credit.zj.gov.cn", **visitor()}
    assert post_hit(client, "zhejiang", headers=origin) == 204
    flush(client)
    assert stats(client)["total"] == 1
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM hit_recent")).scalar() == 1


def test_referrers_name_group_sites_and_outside_hosts_only(make_client) -> None:
    client = make_client()
    refs = [
        "https://credit.zj.gov.cn/news/a.html",  # 信用中国(浙江)
        "https://credit.hangzhou.gov.cn/",  # the same site: not a referrer
        "https://www.baidu.com/s?wd=某公司+失信",  # outside: the host only
        "http://testserver/zhejiang/news/",  # the preview's /<site-id>/ layout
        "",
        "http://a.example:99999/",  # unparseable: no referrer, still a view
        "javascript:alert(1)",
    ]
    for ref in refs:
        assert post_hit(client, "zhejiang-hangzhou", ref=ref) == 204
    flush(client)
    answer = stats(client, site="zhejiang-hangzhou")
    assert answer["total"] == 7
    assert {(r["ref"], r["name"], r["views"]) for r in answer["top_referrers"]} == {
        ("site:zhejiang", "信用中国(浙江)", 2),
        ("www.baidu.com", "www.baidu.com", 1),
    }


def test_a_hit_shows_in_the_realtime_view_within_two_seconds(make_client) -> None:
    client = make_client()  # the default flush interval, no manual flush
    before = stats(client, site="jiangxi-jiujiang")["realtime"]
    sent = time.monotonic()
    assert post_hit(client, "jiangxi-jiujiang", "news/") == 204
    while True:
        realtime = stats(client, site="jiangxi-jiujiang")["realtime"]
        if realtime["last_5_minutes"] == before["last_5_minutes"] + 1:
            break
        assert time.monotonic() - sent < 2.0, "the hit did not show within 2 seconds"
        time.sleep(0.05)
    assert realtime["today"] == before["today"] + 1
    assert stats(client, site="jiangxi")["realtime"]["last_5_minutes"] == 1  # rolled up


def test_shutdown_flushes_every_waiting_hit(make_client, store: Store) -> None:
    client = make_client(hits_flush_interval=10)  # nothing flushes by itself in this test
    for n in range(60):
        assert post_hit(client, "shaanxi", f"news/{n % 4}.html") == 204
    assert client.app.state.services.hits.pending == 60
    client.__exit__(None, None, None)  # the app's lifespan ends: graceful shutdown
    with store.engine.connect() as conn:
        total = conn.execute(sa.text("SELECT SUM(views) FROM hit_counts")).scalar()
    assert total == 60


def test_no_raw_ip_or_user_agent_is_stored(make_client, store: Store) -> None:
    client = make_client()
    marker = "Marker/7f3a9"
    for path in ("", "news/", "query/"):
        post_hit(client, "main", path, headers={"user-agent": f"{BROWSER_UA} {marker}"})
    flush(client)
    assert stats(client)["total"] == 3
    with store.engine.connect() as conn:
        dump = "\n".join(
            repr(tuple(row))
            for table in metadata.sorted_tables
            for row in conn.execute(sa.select(table))
        )
    assert "hit_recent" in metadata.tables and dump
    for secret in (marker, "Mozilla", "Chrome", "testclient"):  # testclient: the client "IP"
        assert secret not in dump


def test_stats_refusals_name_the_parameter(make_client) -> None:
    client = make_client()
    for params, status, field in [
        ({"site": "nowhere"}, 404, "site"),
        ({"period": "decade"}, 422, "period"),
        ({"from": "yesterday"}, 422, "from"),
        ({"granularity": "minute", "from": "2026-01-01", "to": "2026-06-30"}, 422, "granularity"),
        ({"top": "0"}, 422, "top"),
    ]:
        response = client.get("/api/stats", params=params)
        assert response.status_code == status, (params, response.text)
        assert response.json()["error"]["field"] == field


def test_stats_never_set_cookies_or_cache(make_client) -> None:
    client = make_client()
    for response in (
        client.post("/api/hits", content=b'{"site": "main", "path": ""}', headers=visitor()),
        client.get("/api/hits.gif", params={"site": "main"}, headers=visitor()),
        client.get("/api/stats"),
    ):
        assert "set-cookie" not in response.headers
        assert response.headers["cache-control"] == "no-store"


def test_minute_series_only_for_the_kept_days(make_client) -> None:
    client = make_client(hits_minute_days=7)
    old = (datetime.now(CST) - timedelta(days=10)).date().isoformat()
    response = client.get("/api/stats", params={"granularity": "minute", "from": old, "to": old})
    assert response.status_code == 422
    assert "7 天" in response.json()["error"]["message"]
    assert client.get("/api/stats", params={"from": old, "to": old}).status_code == 200


def test_the_cli_shows_and_compacts(store: Store, ledger) -> None:
    from click.testing import CliRunner

    from sitegroup.cli import main
    from sitegroup.hits import Hit

    now = time.time()
    ledger.record(
        [Hit(f"{n:032x}", "zhejiang-yiwu", "/", "", now - 20 * 86400 + n * 60) for n in range(3)]
        + [Hit(f"{n:032x}", "zhejiang", "/", "", now) for n in range(10, 12)]
    )
    runner = CliRunner()
    common = ["--database-url", store.url]
    shown = runner.invoke(
        main, ["stats", "show", "--tenants", str(DEMO_TENANTS), "--site", "zhejiang", *common]
    )
    assert shown.exit_code == 0, shown.output
    assert "信用中国(浙江)（3 个站点）：所选时段 2 次浏览" in shown.output
    compacted = runner.invoke(main, ["stats", "compact", "--keep-days", "7", *common])
    assert compacted.exit_code == 0, compacted.output
    assert "减少 2 行" in compacted.output or "减少 3 行" in compacted.output
    assert ledger.total(None, 0, 2**31 - 1) == 5
