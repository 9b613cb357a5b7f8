"""Publish built sites to a target: diff by content hash, in an order that never breaks a page.

Per site the target keeps a manifest (path → content hash and headers) beside the files.
A publish compares each site's build record with that manifest and then, for the whole
run:

1. uploads the shared theme assets the target does not have yet (their names carry their
   hash, so "present" means "identical");
2. uploads new and changed files: images, feeds and other files first, then HTML pages;
3. deletes files the site no longer has;
4. writes the manifests of the sites that changed.

A page therefore never references an asset, image or page that is not there yet, and a
file is deleted only when no published page of the run links to it. Every successful
upload is appended to a local journal (``build/.publish/``); if the run is killed or the
network fails, the next run trusts the journal and uploads only what had not arrived. The
journal is dropped when a run completes.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sitegroup.build.plan import built_state, in_shard, select_sites
from sitegroup.build.runner import ASSETS_DIR
from sitegroup.build.verify import file_digest
from sitegroup.publish.headers import HeaderRules, encode, headers_for
from sitegroup.publish.targets import Headers, Layout, Placement, PublishError
from sitegroup.tenants.registry import Group
from sitegroup.theme import Theme

MANIFEST = ".sitegroup-manifest.json"
MANIFEST_FORMAT = 1
MANIFEST_HEADERS = Headers("application/json", "no-cache")
JOURNAL_DIR = ".publish"

#: One published file as the manifest records it: digest, Content-Type, Cache-Control,
#: Content-Encoding. A file is uploaded again when any of them differs.
Entry = tuple[str, str, str, str | None]


def entry_for(digest: str, headers: Headers) -> Entry:
    return (digest, headers.content_type, headers.cache_control, headers.content_encoding)


@dataclass(frozen=True)
class RetryPolicy:
    """Transient errors (network, 5xx, throttling) are retried with exponential backoff."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delays(self) -> Iterator[float]:
        for attempt in range(self.attempts - 1):
            delay = min(self.max_delay, self.base_delay * 2**attempt)
            yield delay * (0.5 + random.random() / 2)  # jitter: shards do not retry in step


@dataclass
class SitePlan:
    """What one site's publish will do."""

    site_id: str
    placement: Placement
    source: Path
    #: The new manifest: every file the build recorded, with its headers.
    files: dict[str, Entry]
    #: The manifest the target had (None: never published).
    previous: dict[str, Entry] | None = None
    uploads: list[str] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    manifest_stale: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.uploads or self.deletes or self.manifest_stale)

    def invalidations(self) -> list[str]:
        """CDN paths whose cached copy is now wrong: changed and deleted files (and dirs)."""
        root = self.placement.cdn_root
        paths = []
        for rel in sorted({*self.uploads, *self.deletes}):
            paths.append(root + rel)
            if rel == "index.html" or rel.endswith("/index.html"):
                paths.append(root + rel[: -len("index.html")])
        return paths


@dataclass
class SiteChange:
    site_id: str
    uploaded: list[str]
    deleted: list[str]
    bytes: int
    invalidate: list[str]


@dataclass
class PublishResult:
    """What a publish did (or, on a dry run, would do)."""

    target: str
    dry_run: bool = False
    sites: int = 0
    changed: list[SiteChange] = field(default_factory=list)
    assets_uploaded: list[str] = field(default_factory=list)
    uploaded_files: int = 0
    uploaded_bytes: int = 0
    deleted_files: int = 0
    #: Files the journal showed had already arrived (a resumed run).
    resumed: int = 0
    retries: int = 0
    seconds: float = 0.0
    cloudfront: dict[str, Any] | None = None

    @property
    def invalidation(self) -> list[str]:
        return [p for change in self.changed for p in change.invalidate]

    def summary(self) -> str:
        verb = "将" if self.dry_run else "已"
        if not self.changed and not self.assets_uploaded:
            return f"{self.target}：{self.sites} 个站点均无变化，未上传任何文件"
        kib = self.uploaded_bytes / 1024
        resumed = f"；续传时跳过已到达的 {self.resumed} 个文件" if self.resumed else ""
        retries = f"；网络重试 {self.retries} 次" if self.retries else ""
        return (
            f"{self.target}：{len(self.changed)}/{self.sites} 个站点有变化，"
            f"{verb}上传 {self.uploaded_files} 个文件（{kib:,.1f} KiB），"
            f"删除 {self.deleted_files} 个，共享资源上传 {len(self.assets_uploaded)} 个；"
            f"用时 {self.seconds:.1f} 秒{resumed}{retries}"
        )

    def report(self) -> dict[str, Any]:
        """The JSON report: per site what changed, and the CDN invalidation list."""
        return {
            "target": self.target,
            "dry_run": self.dry_run,
            "sites": self.sites,
            "uploaded_files": self.uploaded_files,
            "uploaded_bytes": self.uploaded_bytes,
            "deleted_files": self.deleted_files,
            "resumed": self.resumed,
            "retries": self.retries,
            "seconds": round(self.seconds, 3),
            "assets_uploaded": self.assets_uploaded,
            "changed": {
                c.site_id: {"uploaded": c.uploaded, "deleted": c.deleted, "bytes": c.bytes}
                for c in self.changed
            },
            "invalidation": self.invalidation,
            "cloudfront": self.cloudfront,
        }


class Journal:
    """Uploads that arrived, appended as they arrive, so a re-run can skip them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: Any = None

    def load(self) -> dict[tuple[str, str], Entry]:
        done: dict[tuple[str, str], Entry] = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return done
        for line in lines:
            try:  # a line cut by a kill is just not trusted
                site, rel, entry = json.loads(line)
                done[(site, rel)] = tuple(entry)  # type: ignore[assignment]
            except (ValueError, TypeError):
                continue
        return done

    def record(self, site: str, rel: str, entry: Entry) -> None:
        line = json.dumps([site, rel, list(entry)], ensure_ascii=False) + "\n"
        with self._lock:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(line)
            self._file.flush()

    def close(self, *, completed: set[str] | None) -> None:
        """Stop recording; forget the uploads of the ``completed`` sites (their manifests
        now say the same), keep the rest for a later run."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
        if not completed:
            return
        rest = {key: e for key, e in self.load().items() if key[0] not in completed}
        if not rest:
            self.path.unlink(missing_ok=True)
            return
        lines = (json.dumps([s, r, list(e)], ensure_ascii=False) for (s, r), e in rest.items())
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        tmp.replace(self.path)


def journal_path(out_dir: Path, layout: Layout, shard: tuple[int, int] | None) -> Path:
    key = hashlib.sha256(f"{layout.url}|{layout.assets_url}".encode()).hexdigest()[:12]
    suffix = f"-shard{shard[0]}of{shard[1]}" if shard else ""
    return out_dir / JOURNAL_DIR / f"journal-{key}{suffix}.jsonl"


def read_manifest(target: Any) -> dict[str, Entry] | None:
    """A site's manifest in the target (None: never published)."""
    raw = target.get(MANIFEST)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        return {rel: tuple(entry) for rel, entry in data["files"].items()}  # type: ignore[misc]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PublishError(f"{target.url}{MANIFEST} 不是有效的发布清单：{exc}") from exc


def manifest_bytes(site_id: str, files: dict[str, Entry]) -> bytes:
    data = {
        "format": MANIFEST_FORMAT,
        "site": site_id,
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {rel: list(files[rel]) for rel in sorted(files)},
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _read_checked(source: Path, rel: str, digest: str) -> bytes:
    """A built file, refused when it is not what the build recorded."""
    try:
        body = (source / rel).read_bytes()
    except OSError as exc:
        raise PublishError(
            f"{source.name}/{rel}: 构建记录中的文件不存在（{exc.strerror}）；"
            "请重新运行 sitegroup build"
        ) from exc
    if file_digest(body) != digest:
        raise PublishError(
            f"{source.name}/{rel}: 文件内容与构建记录不一致（构建未完成或被手工改动）；"
            "请重新运行 sitegroup build 后再发布"
        )
    return body


def _in_target(
    manifest: dict[str, Entry] | None, journal: dict[tuple[str, str], Entry], site_id: str
) -> dict[str, Entry]:
    """What the target holds for a site: its manifest, overlaid with the journal's uploads."""
    held = dict(manifest or {})
    held.update({rel: e for (sid, rel), e in journal.items() if sid == site_id})
    return held


def plan_site(
    site_id: str,
    out_dir: Path,
    layout: Layout,
    rules: HeaderRules,
    journal: dict[tuple[str, str], Entry],
) -> SitePlan:
    """Compare one site's build record with its manifest in the target."""
    source = out_dir / site_id
    state = built_state(out_dir, site_id)
    hashes: dict[str, str] = (state or {}).get("hashes") or {}
    if not any(rel.endswith(".html") for rel in hashes):
        raise PublishError(
            f"站点 {site_id} 的构建输出为空（{source} 中没有页面），拒绝发布：发布空站点会清空"
            f"线上的站点。请先运行 sitegroup build --site {site_id}"
        )
    placement = layout.site(site_id)
    files = {rel: entry_for(d, headers_for(rel, rules)) for rel, d in hashes.items()}
    old = read_manifest(placement.target)
    current = _in_target(old, journal, site_id)
    plan = SitePlan(site_id, placement, source, files, previous=old)
    plan.uploads = sorted(rel for rel, e in files.items() if current.get(rel) != e)
    plan.deletes = sorted(set(current) - set(files))
    plan.manifest_stale = old != files
    _measure(plan)
    return plan


def plan_assets(
    theme: Theme,
    out_dir: Path,
    layout: Layout,
    rules: HeaderRules,
    journal: dict[tuple[str, str], Entry],
) -> SitePlan:
    """The theme's current assets against the shared assets' manifest in the target.

    Old assets stay (and stay listed): a page cached by the CDN or a browser may still
    reference them. Names carry the content hash, so an upload never replaces another
    version of a file; a changed header policy re-uploads under the same name.
    """
    placement = layout.assets()
    source = out_dir / ASSETS_DIR
    old = read_manifest(placement.target)
    current = _in_target(old, journal, ASSETS_DIR)
    wanted: dict[str, Entry] = {}
    for name in theme.assets.values():
        try:
            body = (source / name).read_bytes()
        except OSError as exc:
            raise PublishError(
                f"共享资源 {ASSETS_DIR}/{name} 尚未构建；请先运行 sitegroup build"
            ) from exc
        wanted[name] = entry_for(file_digest(body), headers_for(name, rules, asset=True))
    plan = SitePlan(ASSETS_DIR, placement, source, {**current, **wanted}, previous=old)
    plan.uploads = sorted(name for name, e in wanted.items() if current.get(name) != e)
    plan.manifest_stale = old != plan.files
    _measure(plan)
    return plan


def _measure(plan: SitePlan) -> None:
    """Check every file to upload against its build record and note its size.

    The size is the file's own; an upload replaces it by the bytes actually sent (a
    pre-compressed file is compressed once, when it is sent).
    """
    for rel in plan.uploads:
        plan.sizes[rel] = len(_read_checked(plan.source, rel, plan.files[rel][0]))


@dataclass(frozen=True)
class _Op:
    """One request: upload, delete or write a manifest."""

    action: str  # "put" | "delete" | "manifest"
    site: SitePlan
    rel: str


def publish_group(
    group: Group,
    theme: Theme,
    out_dir: Path,
    layout: Layout,
    rules: HeaderRules,
    *,
    only: list[str] | None = None,
    shard: tuple[int, int] | None = None,
    jobs: int = 16,
    retry: RetryPolicy | None = None,
    dry_run: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_op: Callable[[str], None] | None = None,
    on_retry: Callable[[PublishError, float], None] | None = None,
) -> PublishResult:
    """Publish the built sites of the group (or ``only`` some, or one ``shard``) to ``layout``.

    Raises :class:`PublishError` before anything is uploaded when a site built empty or
    its files do not match its build record, and after retries when the target fails; in
    that case the journal keeps what arrived and a re-run completes the publish.
    """
    if not (out_dir / ASSETS_DIR).is_dir():
        raise PublishError(f"构建目录 {out_dir} 中没有构建结果；请先运行 sitegroup build")
    started = time.perf_counter()
    retry = retry or RetryPolicy()
    result = PublishResult(target=str(layout.url), dry_run=dry_run)
    sites = [s.id for s in select_sites(group, only) if in_shard(s.id, shard)]
    result.sites = len(sites)
    journal = Journal(journal_path(out_dir, layout, shard))
    arrived = journal.load()
    counter = _RetryCounter(retry, on_retry)

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="publish") as pool:
        # Plan: read every site's manifest, compare, check the files to upload.
        plans = _plan_all(
            pool, sites, lambda sid: plan_site(sid, out_dir, layout, rules, arrived), counter
        )
        assets = counter.run(lambda: plan_assets(theme, out_dir, layout, rules, arrived))
        changed = [p for p in plans if p.changed]
        result.resumed = sum(
            1
            for p in [assets, *plans]
            for rel, e in p.files.items()
            if arrived.get((p.site_id, rel)) == e and (p.previous or {}).get(rel) != e
        )
        phases = _phases(changed, assets)
        if on_start:
            on_start(sum(len(ops) for ops in phases))

        def execute(op: _Op) -> None:
            _execute(op, journal, counter)
            if on_op:
                on_op(f"{op.site.site_id}/{op.rel}")

        if not dry_run:
            completed: set[str] | None = None
            try:
                for ops in phases:
                    _run_phase(pool, ops, execute)
                completed = {ASSETS_DIR, *sites}
            finally:
                journal.close(completed=completed)

    result.assets_uploaded = assets.uploads
    for plan in changed:
        size = sum(plan.sizes.values())
        result.changed.append(
            SiteChange(plan.site_id, plan.uploads, plan.deletes, size, plan.invalidations())
        )
        result.uploaded_files += len(plan.uploads)
        result.uploaded_bytes += size
        result.deleted_files += len(plan.deletes)
    result.retries = counter.retries
    result.seconds = time.perf_counter() - started
    return result


def _plan_all(
    pool: ThreadPoolExecutor,
    sites: list[str],
    plan: Callable[[str], SitePlan],
    counter: _RetryCounter,
) -> list[SitePlan]:
    """Plan every site; refusals are collected so that one message names them all."""
    futures = [pool.submit(counter.run, lambda sid=sid: plan(sid)) for sid in sites]
    plans, problems = [], []
    for future in futures:
        try:
            plans.append(future.result())
        except PublishError as exc:
            problems.append(exc)
    if not problems:
        return plans
    if len(problems) == 1:
        raise problems[0]
    lines = "\n".join(f"  - {p}" for p in problems[:20])
    more = f"\n  … 另有 {len(problems) - 20} 处" if len(problems) > 20 else ""
    transient = all(p.transient for p in problems)
    raise PublishError(
        f"{len(problems)} 个站点不能发布，未上传任何文件：\n{lines}{more}", transient=transient
    )


def _phases(plans: list[SitePlan], assets: SitePlan) -> list[list[_Op]]:
    """Assets, then other files, then pages, then deletions, then manifests."""
    uploads = [_Op("put", assets, rel) for rel in assets.uploads]
    others = [_Op("put", p, rel) for p in plans for rel in p.uploads if not rel.endswith(".html")]
    pages = [_Op("put", p, rel) for p in plans for rel in p.uploads if rel.endswith(".html")]
    deletes = [_Op("delete", p, rel) for p in plans for rel in p.deletes]
    manifests = [_Op("manifest", p, MANIFEST) for p in [assets, *plans] if p.changed]
    return [ops for ops in (uploads, others, pages, deletes, manifests) if ops]


def _run_phase(pool: ThreadPoolExecutor, ops: list[_Op], execute: Callable[[_Op], None]) -> None:
    """Run one phase's requests in parallel; the first failure stops the run.

    Requests already running finish (their uploads are journalled) before the error is
    raised; the ones not started are cancelled.
    """
    futures = [pool.submit(execute, op) for op in ops]
    try:
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
    except BaseException:  # Ctrl-C: start nothing new, let running uploads be journalled
        for future in futures:
            future.cancel()
        raise
    failed = next((f for f in done if f.exception() is not None), None)
    if failed is None:
        return
    for future in futures:
        future.cancel()
    wait(futures)
    failed.result()


def _execute(op: _Op, journal: Journal, counter: _RetryCounter) -> None:
    plan = op.site
    target = plan.placement.target
    if op.action == "put":
        entry = plan.files[op.rel]
        headers = Headers(*entry[1:])
        body = encode(_read_checked(plan.source, op.rel, entry[0]), headers)
        plan.sizes[op.rel] = counter.run(lambda: target.put(op.rel, body, headers))
        journal.record(plan.site_id, op.rel, entry)
    elif op.action == "delete":
        counter.run(lambda: target.delete(op.rel))
    else:
        body = manifest_bytes(plan.site_id, plan.files)
        counter.run(lambda: target.put(MANIFEST, body, MANIFEST_HEADERS))


class _RetryCounter:
    """Runs a request with the retry policy and counts the retries (thread-safe)."""

    def __init__(
        self, policy: RetryPolicy, on_retry: Callable[[PublishError, float], None] | None
    ) -> None:
        self.policy = policy
        self.on_retry = on_retry
        self.retries = 0
        self._lock = threading.Lock()

    def run(self, fn: Callable[[], Any]) -> Any:
        delays = self.policy.delays()
        while True:
            try:
                return fn()
            except PublishError as exc:
                delay = next(delays, None) if exc.transient else None
                if delay is None:
                    raise
                with self._lock:
                    self.retries += 1
                if self.on_retry:
                    self.on_retry(exc, delay)
                time.sleep(delay)
