"""Build every site of the group with Pelican, in a process pool, atomically per site."""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from sitegroup.build.context import LinkMode, site_context
from sitegroup.build.pages import (
    ALL_SCOPES,
    ListItem,
    PageRenderer,
    SiteData,
    article_item,
    load_site_data,
    robots,
    sitemap,
    state_json,
    write_files,
)
from sitegroup.build.plan import (
    CONTENT_DIR,
    IMAGES_DIR,
    STATE_FILE,
    SiteTask,
    article_column_ids,
    built_state,
    check_content,
    content_digest,
    fingerprint,
    in_shard,
    select_sites,
    site_revisions,
    stale_scopes,
)
from sitegroup.build.verify import file_digest
from sitegroup.errors import BuildError, ConfigError
from sitegroup.models.headlines import Headline
from sitegroup.partition import HEADLINES_SCOPE
from sitegroup.tenants.registry import Group
from sitegroup.theme import Theme

logger = logging.getLogger(__name__)

ASSETS_DIR = "_assets"
CACHE_DIR = ".cache"
STAGING_DIR = ".staging"


@dataclass(frozen=True)
class DataSource:
    """Where workers read headlines and records (picklable: workers open their own store)."""

    database_url: str
    headline_window: int = 30
    records_page_size: int = 20
    records_max_pages: int = 10

    @classmethod
    def from_settings(cls, settings: Any) -> DataSource:
        return cls(
            database_url=settings.database_url,
            headline_window=settings.headline_window,
            records_page_size=settings.records_page_size,
            records_max_pages=settings.records_max_pages,
        )

    def load(self, region_code: str, scopes: tuple[str, ...], headline_rev: int) -> SiteData:
        from sitegroup.store import store_for_process

        store = store_for_process(self.database_url)

        def headlines() -> list[Headline]:
            key = (os.getpid(), self.database_url, self.headline_window, headline_rev)
            if key not in _HEADLINES:
                _HEADLINES.clear()
                _HEADLINES[key] = store.current_headlines(limit=self.headline_window)
            return _HEADLINES[key]

        return load_site_data(
            store,
            region_code,
            scopes,
            headlines=headlines,
            records_limit=self.records_page_size * self.records_max_pages,
        )


#: The current headlines of this worker process, by data revision (one entry).
_HEADLINES: dict[tuple[int, str, int, int], list[Headline]] = {}


@dataclass(frozen=True)
class SiteResult:
    site_id: str
    pages: int
    warnings: tuple[str, ...] = ()
    error: str | None = None
    file: str | None = None
    full: bool = True


@dataclass
class BuildResult:
    """What a build did, for the summary line and for scripts."""

    built: list[str] = field(default_factory=list)
    #: Sites whose push-driven pages alone were re-rendered (no Pelican run).
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[SiteResult] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        rate = self.pages / self.seconds if self.seconds else 0.0
        updated = f"{len(self.updated)} 个站点按推送更新，" if self.updated else ""
        return (
            f"构建完成：{len(self.built)} 个站点已构建，{updated}"
            f"{len(self.skipped)} 个未变化跳过，"
            f"{len(self.failed)} 个失败；{self.pages} 个页面，用时 {self.seconds:.1f} 秒，"
            f"{rate:.0f} 页/秒"
        )


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by every site a worker renders (same theme files)."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE_CACHE = _MemoryBytecodeCache()


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _run_task(
    task: SiteTask, theme_path: Path, out_dir: Path, data: DataSource | None
) -> SiteResult:
    if task.full:
        return _render(task, theme_path, out_dir, data)
    return _update(task, theme_path, out_dir, data)


def _site_data(data: DataSource | None, task: SiteTask, scopes: tuple[str, ...]) -> SiteData:
    if data is None:
        return SiteData(headlines=[])
    revision = task.revisions.get(HEADLINES_SCOPE, 0)
    return data.load(task.context["site"]["region_code"], scopes, revision)


def _renderer(
    task: SiteTask, theme_path: Path, data: DataSource | None, filters: Any = None
) -> PageRenderer:
    return PageRenderer(
        task.context,
        theme_path,
        filters=filters,
        bytecode_cache=_BYTECODE_CACHE,
        records_page_size=data.records_page_size if data else 20,
    )


def _finish_state(
    root: Path,
    task: SiteTask,
    pages: dict[str, list[str]],
    articles: list[ListItem],
    hashes: dict[str, str],
) -> None:
    """Write sitemap, robots and the state file (last: it marks the site as done).

    ``hashes`` (file → digest) covers every other file the site has; the two files
    written here are added.
    """
    site = task.context["site"]
    every = [p for files in pages.values() for p in files]
    extra = {
        "sitemap.xml": sitemap(site["url"], every, articles, site["home"]),
        "robots.txt": robots(site["url"]),
    }
    write_files(root, extra)
    hashes.update({rel: file_digest(content) for rel, content in extra.items()})
    state = {
        "site": task.site_id,
        "fingerprint": task.fingerprint,
        "revisions": task.revisions,
        "pages": {scope: sorted(files) for scope, files in sorted(pages.items())},
        "articles": [a.to_json() for a in articles],
        # What the build wrote, so `sitegroup verify` can tell a page altered by hand.
        "hashes": dict(sorted(hashes.items())),
    }
    write_files(root, {STATE_FILE: state_json(state).encode("utf-8")})


def _update(task: SiteTask, theme_path: Path, out_dir: Path, data: DataSource | None) -> SiteResult:
    """Re-render only the push-driven scopes of an already built site (runs in a worker)."""
    root = out_dir / task.site_id
    try:
        state = built_state(out_dir, task.site_id)
        if state is None:
            raise BuildError(task.site_id, None, "站点尚未完整构建，不能按推送增量更新")
        articles = [ListItem.from_json(a) for a in state.get("articles", [])]
        site_data = _site_data(data, task, task.scopes)
        rendered = _renderer(task, theme_path, data).render(task.scopes, articles, site_data)
        pages: dict[str, list[str]] = dict(state.get("pages", {}))
        hashes: dict[str, str] = dict(state.get("hashes", {}))
        written = 0
        for scope, files in rendered.items():
            write_files(root, files)
            for stale in set(pages.get(scope, [])) - set(files):
                (root / stale).unlink(missing_ok=True)
                hashes.pop(stale, None)
            hashes.update({rel: file_digest(content) for rel, content in files.items()})
            pages[scope] = sorted(files)
            written += len(files)
        _finish_state(root, task, pages, articles, hashes)
        return SiteResult(task.site_id, written, full=False)
    except Exception as exc:
        file = exc.file if isinstance(exc, BuildError) else None
        message = exc.message if isinstance(exc, BuildError) else str(exc)
        return SiteResult(
            task.site_id, 0, error=f"{type(exc).__name__}: {message}", file=file, full=False
        )


def _render(task: SiteTask, theme_path: Path, out_dir: Path, data: DataSource | None) -> SiteResult:
    """Render one site into a staging folder and swap it in (runs in a worker)."""
    from pelican import Pelican
    from pelican.generators import ArticlesGenerator
    from pelican.settings import read_settings

    from sitegroup.build import pelican_plugin
    from sitegroup.build.images import process_images
    from sitegroup.build.pelican_settings import pelican_settings
    from sitegroup.build.templating import template_filters, template_globals

    collector = _Collector()
    pelican_logger = logging.getLogger("pelican")
    pelican_logger.addHandler(collector)
    propagate, pelican_logger.propagate = pelican_logger.propagate, False
    staging = out_dir / STAGING_DIR / f"{task.site_id}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        content = task.content_path
        if not content.is_dir():
            content = staging / ".empty-content"
            content.mkdir()
        images = process_images(content, staging, out_dir / CACHE_DIR / "images", IMAGES_DIR)
        override = pelican_settings(
            task.context,
            content_path=content,
            output_path=staging,
            theme_path=theme_path,
            cache_path=out_dir / CACHE_DIR / "pelican" / task.site_id,
        )
        override["PLUGINS"] = [pelican_plugin]
        override["JINJA_ENVIRONMENT"] = {
            "trim_blocks": True,
            "lstrip_blocks": True,
            "extensions": [],
            "autoescape": True,
            "bytecode_cache": _BYTECODE_CACHE,
        }
        filters = template_filters(images, task.context["site"]["home"])
        override["JINJA_GLOBALS"] = template_globals(task.context)
        override["JINJA_FILTERS"] = filters
        settings = read_settings(path=None, override=override)

        # Pelican.run(), minus the generators we do not use and its console chatter.
        pelican = Pelican(settings)
        context = settings.copy()
        context.update(
            generated_content={},
            static_links=set(),
            static_content=dict(images),
            localsiteurl=settings["SITEURL"],
        )
        generators = [
            cls(
                context=context,
                settings=settings,
                path=settings["PATH"],
                theme=settings["THEME"],
                output_path=str(staging),
            )
            for cls in (ArticlesGenerator,)
        ]
        for generator in generators:
            generator.generate_context()
        for generator in generators:
            if hasattr(generator, "refresh_metadata_intersite_links"):
                generator.refresh_metadata_intersite_links()
        writer = pelican._get_writer()
        for generator in generators:
            generator.generate_output(writer)

        errors = [r for r in collector.records if r.levelno >= logging.ERROR]
        if errors:
            raise BuildError(task.site_id, _record_file(errors[0]), errors[0].getMessage())

        # Every other page: the same renderer as the partial build after a push.
        home = task.context["site"]["home"]
        articles = [article_item(a, home) for a in generators[0].articles]
        site_data = _site_data(data, task, ALL_SCOPES)
        rendered = _renderer(task, theme_path, data, filters).render(
            ALL_SCOPES, articles, site_data
        )
        hashes: dict[str, str] = {}
        for files in rendered.values():
            write_files(staging, files, fresh=True)
            hashes.update({rel: file_digest(content) for rel, content in files.items()})
        # What Pelican wrote (articles, images) is read back once, for its hash.
        for path in staging.rglob("*"):
            rel = path.relative_to(staging).as_posix()
            if rel not in hashes and path.is_file() and not path.name.startswith("."):
                hashes[rel] = file_digest(path.read_bytes())
        pages = sum(1 for rel in hashes if rel.endswith(".html"))
        if pages == 0:
            raise BuildError(task.site_id, None, "没有生成任何页面")
        _finish_state(
            staging,
            task,
            {scope: sorted(files) for scope, files in rendered.items()},
            articles,
            hashes,
        )
        _swap(staging, out_dir / task.site_id)
        return SiteResult(
            task.site_id, pages, warnings=tuple(r.getMessage() for r in collector.records)
        )
    except Exception as exc:  # report, never leave a half-built site behind
        shutil.rmtree(staging, ignore_errors=True)
        file = exc.file if isinstance(exc, BuildError) else None
        message = exc.message if isinstance(exc, BuildError) else str(exc)
        return SiteResult(task.site_id, 0, error=f"{type(exc).__name__}: {message}", file=file)
    finally:
        pelican_logger.removeHandler(collector)
        pelican_logger.propagate = propagate


def _record_file(record: logging.LogRecord) -> str | None:
    args = record.args if isinstance(record.args, tuple) else ()
    return next((str(a) for a in args if isinstance(a, str) and "/" in a), None)


def _swap(staging: Path, final: Path) -> None:
    """Replace ``final`` by ``staging``; the old tree is moved away first, then deleted."""
    trash = None
    if final.exists():
        trash = final.parent / STAGING_DIR / f"{final.name}-old-{uuid.uuid4().hex[:8]}"
        final.replace(trash)
    staging.replace(final)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)


def write_assets(theme: Theme, out_dir: Path) -> int:
    """Copy the theme's static files once for the whole group, under fingerprinted names."""
    target = out_dir / ASSETS_DIR
    written = 0
    for logical, hashed in theme.assets.items():
        dest = target / hashed
        if dest.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkstemp(dir=dest.parent)[1])
        shutil.copyfile(theme.static_path / logical, tmp)
        tmp.replace(dest)
        written += 1
    return written


def plan_tasks(
    group: Group,
    theme: Theme,
    out_dir: Path,
    *,
    only: list[str] | None = None,
    shard: tuple[int, int] | None = None,
    links: LinkMode = "path",
    assets_url: str = "/_assets/",
    force: bool = False,
    revisions: dict[tuple[str, str], int] | None = None,
    changed_only: bool = False,
) -> tuple[list[SiteTask], list[str]]:
    """Decide per site: full build, partial update after a push, or nothing.

    A site is built in full when its fingerprint (config, theme, content, group
    neighbourhood) moved; otherwise only the scopes whose store revision moved are
    re-rendered. ``changed_only`` (``build --changed``) skips the fingerprint check: it
    renders what pushes changed, and builds in full only sites never built.
    Returns (tasks, unchanged site ids).
    """
    sites = [s for s in select_sites(group, only) if in_shard(s.id, shard)]
    if not changed_only:
        problems = [p for s in sites for p in check_content(s, article_column_ids(s))]
        if problems:
            raise ConfigError(problems)
    revisions = revisions or {}
    link_args: dict[str, Any] = {"links": links, "assets_url": assets_url}
    tasks, unchanged = [], []
    for site in sites:
        content_path = site.folder / CONTENT_DIR
        revs = site_revisions(revisions, site.region_code)
        state = built_state(out_dir, site.id)
        # `--changed` trusts a built site's fingerprint: only store data can have moved, so
        # the group context is computed only for the sites that need rendering.
        trusted = changed_only and state is not None and not force
        ctx = None if trusted else site_context(group, site, theme, **link_args)
        fp = (
            state["fingerprint"]
            if trusted
            else fingerprint(ctx, theme, content_digest(content_path))
        )
        if not trusted and (force or state is None or state["fingerprint"] != fp):
            tasks.append(SiteTask(site.id, content_path, ctx, fp, revs, ALL_SCOPES))
        elif scopes := stale_scopes(state, revs):
            ctx = ctx or site_context(group, site, theme, **link_args)
            tasks.append(SiteTask(site.id, content_path, ctx, fp, revs, scopes, full=False))
        else:
            unchanged.append(site.id)
    return tasks, unchanged


def build_group(
    group: Group,
    theme: Theme,
    out_dir: Path,
    *,
    only: list[str] | None = None,
    shard: tuple[int, int] | None = None,
    workers: int | None = None,
    links: LinkMode = "path",
    assets_url: str = "/_assets/",
    force: bool = False,
    data: DataSource | None = None,
    changed_only: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_site: Callable[[SiteResult], None] | None = None,
) -> BuildResult:
    """Build the selected sites; unchanged ones are skipped, failed ones keep their old output.

    ``data`` names the store whose headlines and records the pages show (None: none).
    """
    started = time.perf_counter()
    result = BuildResult()

    # First decide what to build: a config or content error stops here, before build/ changes.
    revisions = _revisions(data)
    tasks, result.skipped = plan_tasks(
        group,
        theme,
        out_dir,
        only=only,
        shard=shard,
        links=links,
        assets_url=assets_url,
        force=force,
        revisions=revisions,
        changed_only=changed_only,
    )
    if on_start:
        on_start(len(tasks))

    # Then the shared assets, before any page that references them.
    out_dir.mkdir(parents=True, exist_ok=True)
    write_assets(theme, out_dir)

    # Then the sites, across a process pool.
    workers = workers or os.cpu_count() or 1
    for res in _run_tasks(tasks, theme.path, out_dir, workers, data):
        if res.error:
            result.failed.append(res)
        else:
            (result.built if res.full else result.updated).append(res.site_id)
            result.pages += res.pages
            result.warnings.extend(f"{res.site_id}: {w}" for w in res.warnings)
        if on_site:
            on_site(res)
    shutil.rmtree(out_dir / STAGING_DIR, ignore_errors=True)

    # Finally, on a whole-group build, drop the output of sites that left the group.
    if not only and shard is None:
        result.removed = prune_removed_sites(group, out_dir)
    result.seconds = time.perf_counter() - started
    return result


def _revisions(data: DataSource | None) -> dict[tuple[str, str], int]:
    if data is None:
        return {}
    from sitegroup.store import open_store

    with open_store(data.database_url) as store:
        return store.revisions()


def prune_removed_sites(group: Group, out_dir: Path) -> list[str]:
    """Delete ``build/<id>/`` of sites no longer in the group (only folders we built)."""
    removed = []
    for folder in sorted(out_dir.iterdir()):
        if folder.is_dir() and folder.name not in group and (folder / STATE_FILE).is_file():
            shutil.rmtree(folder)
            removed.append(folder.name)
    return removed


def _run_tasks(
    tasks: list[SiteTask],
    theme_path: Path,
    out_dir: Path,
    workers: int,
    data: DataSource | None,
) -> Any:
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield _run_task(task, theme_path, out_dir, data)
        return
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [pool.submit(_run_task, task, theme_path, out_dir, data) for task in tasks]
        for future in as_completed(futures):
            yield future.result()
