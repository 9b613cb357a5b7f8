"""``sitegroup publish`` against a local folder and a real S3-protocol server (moto, HTTP).

Every test here runs on both targets through the ``place`` fixture; requests are counted
at the target boundary (one ``put``/``delete`` call = one PUT/DELETE request).
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitegroup.build.plan import STATE_FILE, in_shard
from sitegroup.publish import MANIFEST, HeaderRules, PublishError, RetryPolicy, publish_group
from sitegroup.publish.runner import journal_path
from sitegroup.publish.targets import FolderTarget, S3Target
from tests.conftest import ROOT
from tests.publish.conftest import Place, Workspace

SITES = ["main", "zhejiang", "zhejiang-jinhua", "zhejiang-yiwu"]
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)


class Requests:
    """PUT and DELETE requests made by the publisher, by (target url, key)."""

    def __init__(self) -> None:
        self.puts: Counter[str] = Counter()
        self.deletes: Counter[str] = Counter()

    def keys(self) -> set[str]:
        return set(self.puts)

    def clear(self) -> None:
        self.puts.clear()
        self.deletes.clear()


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[Requests]:
    seen = Requests()
    for cls in (FolderTarget, S3Target):
        put, delete = cls.put, cls.delete

        def counted_put(self: Any, key: str, body: bytes, headers: Any, _put: Any = put) -> int:
            sent = _put(self, key, body, headers)
            seen.puts[f"{self.url}{key}"] += 1
            return sent

        def counted_delete(self: Any, key: str, _delete: Any = delete) -> None:
            _delete(self, key)
            seen.deletes[f"{self.url}{key}"] += 1

        monkeypatch.setattr(cls, "put", counted_put)
        monkeypatch.setattr(cls, "delete", counted_delete)
    yield seen


def publish(ws: Workspace, place: Place, rules: HeaderRules | None = None, **kwargs: Any) -> Any:
    rules = rules or HeaderRules()
    layout = place.layout(rules)
    kwargs.setdefault("jobs", 4)
    kwargs.setdefault("retry", FAST_RETRY)
    return publish_group(ws.group, ws.theme, ws.out, layout, rules, **kwargs)


def built_files(ws: Workspace, site: str) -> dict[str, bytes]:
    state = json.loads((ws.out / site / STATE_FILE).read_text(encoding="utf-8"))
    return {rel: (ws.out / site / rel).read_bytes() for rel in state["hashes"]}


def site_url(place: Place, site: str) -> str:
    return place.layout().site(site).target.url


# -- first publish, no change, one change, deletions -----------------------------------


def test_first_publish_puts_every_file_once_then_nothing(
    workspace: Workspace, place: Place, requests: Requests
) -> None:
    result = publish(workspace, place)

    expected = {f"{site_url(place, s)}{rel}" for s in SITES for rel in built_files(workspace, s)}
    manifests = {f"{site_url(place, s)}{MANIFEST}" for s in SITES}
    assets_url = place.layout().assets().target.url
    assets = {f"{assets_url}{name}" for name in workspace.theme.assets.values()}
    assets.add(f"{assets_url}{MANIFEST}")
    assert requests.keys() == expected | manifests | assets
    assert set(requests.puts.values()) == {1}, "every file is uploaded exactly once"
    assert place.all_keys() == expected | manifests | assets
    assert result.uploaded_files == len(expected)
    assert sorted(c.site_id for c in result.changed) == sorted(SITES)

    # The published bytes are the built bytes.
    snapshot = place.snapshot()
    for site in SITES:
        for rel, body in built_files(workspace, site).items():
            assert snapshot[f"{site_url(place, site)}{rel}"][0] == body

    # Nothing changed: no request at all, and the report says so.
    requests.clear()
    again = publish(workspace, place)
    assert requests.puts == Counter() and requests.deletes == Counter()
    assert again.uploaded_files == 0 and not again.changed and not again.assets_uploaded
    assert again.invalidation == []
    assert "均无变化，未上传任何文件" in again.summary()


def test_one_page_change_uploads_that_page_and_the_manifest(
    workspace: Workspace, place: Place, requests: Requests
) -> None:
    publish(workspace, place)
    article = workspace.tenants / "zhejiang-yiwu" / "content" / "news" / "market-rating.md"
    article.write_text(
        article.read_text(encoding="utf-8") + "\n第二批评价将覆盖国际商贸城二区。\n",
        encoding="utf-8",
    )
    workspace.rebuild()
    requests.clear()

    result = publish(workspace, place)

    yiwu = site_url(place, "zhejiang-yiwu")
    page = next(r for r in result.changed[0].uploaded)
    assert page.startswith("news/") and page.endswith(".html")
    assert requests.keys() == {f"{yiwu}{page}", f"{yiwu}{MANIFEST}"}
    assert [c.site_id for c in result.changed] == ["zhejiang-yiwu"]
    assert result.changed[0].uploaded == [page] and result.changed[0].deleted == []
    assert result.invalidation == [f"/zhejiang-yiwu/{page}"]
    published = place.snapshot()[f"{yiwu}{page}"][0]
    assert "第二批评价将覆盖国际商贸城二区" in published.decode("utf-8")


def test_removed_files_are_deleted_after_the_pages_that_linked_them(
    workspace: Workspace, place: Place, requests: Requests
) -> None:
    publish(workspace, place)
    before = set(built_files(workspace, "zhejiang-yiwu"))
    (workspace.tenants / "zhejiang-yiwu" / "content" / "news" / "market-rating.md").unlink()
    workspace.rebuild()
    gone = before - set(built_files(workspace, "zhejiang-yiwu"))
    assert gone, "removing the only news article removes its page"
    requests.clear()

    result = publish(workspace, place)

    yiwu = site_url(place, "zhejiang-yiwu")
    change = next(c for c in result.changed if c.site_id == "zhejiang-yiwu")
    assert set(change.deleted) == gone
    assert set(requests.deletes) == {f"{yiwu}{rel}" for rel in gone}
    keys = {k for k in place.all_keys() if k.startswith(yiwu)}
    assert keys == {f"{yiwu}{rel}" for rel in built_files(workspace, "zhejiang-yiwu")} | {
        f"{yiwu}{MANIFEST}"
    }
    for rel in gone:
        assert f"/zhejiang-yiwu/{rel}" in result.invalidation
    manifest = json.loads(place.layout().site("zhejiang-yiwu").target.get(MANIFEST))
    assert not gone & set(manifest["files"])


def test_order_assets_then_files_then_pages_then_deletions_then_manifests(
    workspace: Workspace, place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(workspace, place)
    (workspace.tenants / "zhejiang-yiwu" / "content" / "news" / "market-rating.md").unlink()
    workspace.rebuild()
    # Force the assets to be uploaded again: empty the shared assets' place.
    assets = place.layout().assets().target
    for name in [*workspace.theme.assets.values(), MANIFEST]:
        assets.delete(name)
    order: list[tuple[str, str]] = []
    for cls in (FolderTarget, S3Target):
        put, delete = cls.put, cls.delete
        monkeypatch.setattr(
            cls,
            "put",
            lambda self, key, body, headers, _p=put: (
                order.append(("put", key)) or _p(self, key, body, headers)
            ),
        )
        monkeypatch.setattr(
            cls,
            "delete",
            lambda self, key, _d=delete: order.append(("delete", key)) or _d(self, key),
        )

    publish(workspace, place, jobs=1)

    def phase(action: str, key: str) -> int:
        if action == "delete":
            return 3
        if key == MANIFEST:
            return 4
        if key in workspace.theme.assets.values():
            return 0
        return 2 if key.endswith(".html") else 1

    phases = [phase(*step) for step in order]
    assert phases == sorted(phases), order
    assert {0, 1, 2, 3, 4} <= set(phases)


# -- headers ------------------------------------------------------------------------------


def test_content_types_and_cache_headers_read_back(workspace: Workspace, place: Place) -> None:
    publish(workspace, place)
    snap = place.snapshot()
    yiwu = site_url(place, "zhejiang-yiwu")
    assets = place.layout().assets().target.url
    css = next(n for n in workspace.theme.assets.values() if n.endswith(".css"))
    js = next(n for n in workspace.theme.assets.values() if n.endswith(".js"))
    expected = {
        f"{yiwu}index.html": ("text/html; charset=utf-8", "public, max-age=300"),
        f"{yiwu}feeds/news.rss.xml": ("application/rss+xml; charset=utf-8", "public, max-age=300"),
        f"{yiwu}feeds/news.atom.xml": (
            "application/atom+xml; charset=utf-8",
            "public, max-age=300",
        ),
        f"{yiwu}sitemap.xml": ("application/xml; charset=utf-8", "public, max-age=86400"),
        f"{yiwu}robots.txt": ("text/plain; charset=utf-8", "public, max-age=86400"),
        f"{assets}{css}": ("text/css; charset=utf-8", "public, max-age=31536000, immutable"),
        f"{assets}{js}": ("text/javascript; charset=utf-8", "public, max-age=31536000, immutable"),
    }
    for key, (ctype, cache) in expected.items():
        _, got_type, got_cache, encoding = snap[key]
        assert (got_type, got_cache, encoding) == (ctype, cache, None), key
    svg = next(n for n in workspace.theme.assets.values() if n.endswith(".svg"))
    assert snap[f"{assets}{svg}"][1] == "image/svg+xml; charset=utf-8"


def test_configured_cache_control_and_precompression(
    workspace: Workspace, place: Place, requests: Requests
) -> None:
    publish(workspace, place)
    requests.clear()
    cache = dict(HeaderRules().cache_control, html="public, max-age=60, s-maxage=600")
    rules = HeaderRules(cache_control=cache, precompress=True)

    result = publish(workspace, place, rules)

    # A header change re-uploads the files it concerns, text now gzip-compressed.
    manifests = len(SITES) + 1  # one per site and the shared assets'
    assert len(requests.puts) == result.uploaded_files + len(result.assets_uploaded) + manifests
    assert sorted(result.assets_uploaded) == sorted(workspace.theme.assets.values())
    snap = place.snapshot(rules)
    yiwu = site_url(place, "zhejiang-yiwu")
    body, ctype, cache_control, encoding = snap[f"{yiwu}index.html"]
    assert (ctype, cache_control, encoding) == (
        "text/html; charset=utf-8",
        "public, max-age=60, s-maxage=600",
        "gzip",
    )
    plain = (workspace.out / "zhejiang-yiwu" / "index.html").read_bytes()
    if place.kind == "s3":
        assert gzip.decompress(body) == plain
    else:  # nginx gzip_static: the plain file and NAME.gz beside it
        assert body == plain
        gz = place.root / "zhejiang-yiwu" / "index.html.gz"
        assert gzip.decompress(gz.read_bytes()) == plain

    # Stable bytes: publishing again with the same rules uploads nothing.
    requests.clear()
    again = publish(workspace, place, rules)
    assert again.uploaded_files == 0 and requests.puts == Counter()


# -- refusals -------------------------------------------------------------------------------


def test_a_site_that_built_empty_is_never_published(
    workspace: Workspace, place: Place, requests: Requests
) -> None:
    publish(workspace, place)
    before = place.snapshot()
    requests.clear()
    state_path = workspace.out / "zhejiang-jinhua" / STATE_FILE
    state = json.loads(state_path.read_text(encoding="utf-8"))
    for rel in state["hashes"]:
        (workspace.out / "zhejiang-jinhua" / rel).unlink()
    state["hashes"] = {}
    state_path.write_text(json.dumps(state), encoding="utf-8")
    with pytest.raises(PublishError) as err:
        publish(workspace, place)
    message = str(err.value)
    assert "站点 zhejiang-jinhua 的构建输出为空" in message
    assert "拒绝发布" in message and "sitegroup build --site zhejiang-jinhua" in message
    assert requests.puts == Counter() and requests.deletes == Counter()
    assert place.snapshot() == before


def test_never_built_site_and_hand_edited_file_are_refused_before_any_upload(
    workspace: Workspace, place: Place, requests: Requests
) -> None:
    import shutil

    shutil.rmtree(workspace.out / "zhejiang-jinhua")
    page = workspace.out / "zhejiang-yiwu" / "index.html"
    page.write_bytes(page.read_bytes().replace("义乌".encode(), "伪造".encode(), 1))

    with pytest.raises(PublishError) as err:
        publish(workspace, place)

    message = str(err.value)
    assert "2 个站点不能发布，未上传任何文件" in message
    assert "zhejiang-jinhua 的构建输出为空" in message
    assert "zhejiang-yiwu/index.html: 文件内容与构建记录不一致" in message
    assert requests.puts == Counter()


# -- interruptions ------------------------------------------------------------------------


def _site_and_path(place: Place, key: str) -> tuple[str, str]:
    layout = place.layout()
    for site in [*SITES, "_assets"]:
        root = (layout.assets() if site == "_assets" else layout.site(site)).target.url
        if key.startswith(root):
            return site, key[len(root) :]
    raise AssertionError(key)


def _clean_snapshot(ws: Workspace, make_place: Any) -> dict[str, tuple[Any, ...]]:
    """What an uninterrupted publish of the same build leaves, keyed without the root."""
    clean = make_place()
    publish(ws, clean)
    return _relative(clean)


def _relative(place: Place) -> dict[str, tuple[Any, ...]]:
    layout = place.layout()
    roots = {layout.assets().target.url: "_assets/"}
    roots.update({layout.site(s).target.url: f"{s}/" for s in SITES})
    out = {}
    for key, value in place.snapshot().items():
        root = next(r for r in roots if key.startswith(r))
        out[roots[root] + key[len(root) :]] = value
    return out


def new_place(kind: str, tmp_path: Path, endpoint: str | None) -> Place:
    """An empty destination of the given kind."""
    import uuid

    from tests.publish.conftest import s3_client

    if kind == "folder":
        root = tmp_path / f"clean-{uuid.uuid4().hex[:6]}"
        return Place("folder", root.as_uri(), root=root)
    bucket = f"sg-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=bucket)
    return Place("s3", f"s3://{bucket}/www/", endpoint=endpoint, buckets=[bucket])


@pytest.fixture
def another_place(place: Place, tmp_path: Path) -> Any:
    """A second, empty destination of the same kind."""
    return lambda: new_place(place.kind, tmp_path, place.endpoint)


def test_killed_publish_is_resumed_without_uploading_twice(
    workspace: Workspace, place: Place, requests: Requests, another_place: Any
) -> None:
    """SIGKILL a real `sitegroup publish` after some uploads, re-run, compare with a clean one."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [
        sys.executable,
        "-m",
        "sitegroup",
        "publish",
        "--tenants",
        str(workspace.tenants),
        "--out",
        str(workspace.out),
        "--target",
        place.url,
        "--jobs",
        "1",
    ]
    if place.endpoint:
        args += ["--endpoint-url", place.endpoint]
    journal = journal_path(workspace.out, place.layout(), None)
    # Slow each upload down a little (in the child only) so the kill lands mid-publish.
    env["SITEGROUP_TEST_SLOW_PUT"] = "0.02"
    sitecustomize = workspace.out.parent / "slow"
    sitecustomize.mkdir()
    (sitecustomize / "sitecustomize.py").write_text(
        "import os, time\n"
        "from sitegroup.publish import targets\n"
        "delay = float(os.environ['SITEGROUP_TEST_SLOW_PUT'])\n"
        "for cls in (targets.FolderTarget, targets.S3Target):\n"
        "    def slow(self, *a, _p=cls.put):\n"
        "        time.sleep(delay)\n"
        "        return _p(self, *a)\n"
        "    cls.put = slow\n",
        encoding="utf-8",
    )
    env["PYTHONPATH"] = f"{sitecustomize}:{ROOT}"
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.is_file() and len(journal.read_text(encoding="utf-8").splitlines()) >= 15:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()
    arrived = {tuple(json.loads(line)[:2]) for line in journal.read_text().splitlines()}
    assert len(arrived) >= 15
    layout = place.layout()
    assert all(layout.site(s).target.get(MANIFEST) is None for s in SITES), "manifests come last"

    result = publish(workspace, place)

    again = {_site_and_path(place, key) for key in requests.puts}
    assert not again & arrived, "what had arrived is not uploaded again"
    assert result.resumed == len(arrived)
    assert not journal.exists(), "a completed publish drops its journal"
    assert _relative(place) == _clean_snapshot(workspace, another_place)


def test_network_failure_is_retried_then_resumed(
    workspace: Workspace, requests: Requests, cut_proxy: Any, s3_endpoint: str, tmp_path: Path
) -> None:
    """The connection to the object store drops mid-publish (a real TCP cut on loopback)."""
    import threading

    def through_proxy() -> Place:
        direct = new_place("s3", tmp_path, s3_endpoint)
        return Place("s3", direct.url, endpoint=cut_proxy.endpoint, buckets=direct.buckets)

    def clean() -> Place:
        return new_place("s3", tmp_path, s3_endpoint)

    place = through_proxy()

    # A short outage: cut after 10 uploads, back 0.3 s later; the backoff rides it out.
    original = S3Target.put

    cuts: list[float] = []

    def cutting_put(self: Any, key: str, body: bytes, headers: Any) -> int:
        if sum(requests.puts.values()) == 10 and not cuts:
            cuts.append(time.monotonic())
            cut_proxy.cut()
            threading.Timer(0.3, cut_proxy.restore).start()
        return original(self, key, body, headers)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(S3Target, "put", cutting_put)
        result = publish(workspace, place, retry=RetryPolicy(attempts=6, base_delay=0.1), jobs=1)
    assert result.retries >= 1
    assert _relative(place) == _clean_snapshot(workspace, clean)

    # A long outage: the publish gives up with a clear message, then a re-run completes it.
    place2 = through_proxy()
    requests.clear()

    def dying_put(self: Any, key: str, body: bytes, headers: Any) -> int:
        if sum(requests.puts.values()) >= 12:
            cut_proxy.cut()
        return original(self, key, body, headers)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(S3Target, "put", dying_put)
        with pytest.raises(PublishError) as err:
            publish(workspace, place2, jobs=1)
    assert err.value.transient
    assert "无法连接" in str(err.value)
    arrived = set(requests.puts)
    cut_proxy.restore()
    requests.clear()
    publish(workspace, place2)
    assert not set(requests.puts) & arrived
    assert _relative(place2) == _clean_snapshot(workspace, clean)


# -- shards ---------------------------------------------------------------------------------


def test_shards_publish_every_site_exactly_once_and_the_assets_once(
    workspace: Workspace, place: Place, requests: Requests, another_place: Any
) -> None:
    total = 3
    owners: dict[str, list[int]] = {s: [] for s in SITES}
    asset_uploads = []
    for i in range(1, total + 1):
        result = publish(workspace, place, shard=(i, total))
        for change in result.changed:
            owners[change.site_id].append(i)
        asset_uploads.append(len(result.assets_uploaded))
        assert result.sites == sum(in_shard(s, (i, total)) for s in SITES)
    assert all(len(shards) == 1 for shards in owners.values()), owners
    assert asset_uploads[0] == len(workspace.theme.assets) and asset_uploads[1:] == [0, 0]
    assert set(requests.puts.values()) == {1}, "no file uploaded twice across the shards"
    assert _relative(place) == _clean_snapshot(workspace, another_place)


def test_a_partial_run_keeps_the_journal_of_the_other_sites(
    workspace: Workspace, place: Place, requests: Requests, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupted, then `--site zhejiang` completes only that site: the rest still resumes."""
    original = type(place.layout().site("main").target).put

    def failing_put(self: Any, key: str, body: bytes, headers: Any) -> int:
        if sum(requests.puts.values()) >= 30:
            raise PublishError("模拟中断")
        return original(self, key, body, headers)

    with monkeypatch.context() as mp:
        mp.setattr(type(place.layout().site("main").target), "put", failing_put)
        with pytest.raises(PublishError, match="模拟中断"):
            publish(workspace, place, jobs=1)
    arrived = {_site_and_path(place, key) for key in requests.puts}
    journal = journal_path(workspace.out, place.layout(), None)
    assert journal.is_file()

    requests.clear()
    publish(workspace, place, only=["zhejiang"])
    kept = {tuple(json.loads(line)[:2]) for line in journal.read_text().splitlines()}
    assert kept == {a for a in arrived if a[0] not in {"zhejiang", "_assets"}}

    requests.clear()
    publish(workspace, place)
    assert not {_site_and_path(place, key) for key in requests.puts} & arrived
    assert not journal.exists()
