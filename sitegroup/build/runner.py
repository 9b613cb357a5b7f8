"""Build every site of the group with Pelican, in a process pool, atomically per site."""

from __future__ import annotations

import json
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
from sitegroup.build.plan import (
    CONTENT_DIR,
    IMAGES_DIR,
    STATE_FILE,
    SiteTask,
    article_column_ids,
    built_fingerprint,
    check_content,
    content_digest,
    fingerprint,
    in_shard,
    select_sites,
)
from sitegroup.errors import BuildError, ConfigError
from sitegroup.tenants.registry import Group
from sitegroup.theme import Theme

logger = logging.getLogger(__name__)

ASSETS_DIR = "_assets"
CACHE_DIR = ".cache"
STAGING_DIR = ".staging"


@dataclass(frozen=True)
class SiteResult:
    site_id: str
    pages: int
    warnings: tuple[str, ...] = ()
    error: str | None = None
    file: str | None = None


@dataclass
class BuildResult:
    """What a build did, for the summary line and for scripts."""

    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[SiteResult] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        rate = self.pages / self.seconds if self.seconds else 0.0
        return (
            f"构建完成：{len(self.built)} 个站点已构建，{len(self.skipped)} 个未变化跳过，"
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


def _render(task: SiteTask, theme_path: Path, out_dir: Path) -> SiteResult:
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
        override["JINJA_GLOBALS"] = template_globals(task.context)
        override["JINJA_FILTERS"] = template_filters(images, task.context["site"]["home"])
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
            for cls in (ArticlesGenerator, pelican_plugin.SiteGenerator)
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
        pages = sum(1 for p in staging.rglob("*.html"))
        if pages == 0:
            raise BuildError(task.site_id, None, "没有生成任何页面")
        (staging / STATE_FILE).write_text(
            json.dumps({"site": task.site_id, "fingerprint": task.fingerprint, "pages": pages}),
            encoding="utf-8",
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
) -> tuple[list[SiteTask], list[str]]:
    """Check content, fingerprint every selected site; return (to build, unchanged)."""
    sites = [s for s in select_sites(group, only) if in_shard(s.id, shard)]
    problems = [p for s in sites for p in check_content(s, article_column_ids(s))]
    if problems:
        raise ConfigError(problems)
    tasks, unchanged = [], []
    for site in sites:
        ctx = site_context(group, site, theme, links=links, assets_url=assets_url)
        content_path = site.folder / CONTENT_DIR
        fp = fingerprint(ctx, theme, content_digest(content_path))
        if not force and built_fingerprint(out_dir, site.id) == fp:
            unchanged.append(site.id)
        else:
            tasks.append(SiteTask(site.id, content_path, ctx, fp))
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
    on_start: Callable[[int], None] | None = None,
    on_site: Callable[[SiteResult], None] | None = None,
) -> BuildResult:
    """Build the selected sites; unchanged ones are skipped, failed ones keep their old output."""
    started = time.perf_counter()
    result = BuildResult()

    # First decide what to build: a config or content error stops here, before build/ changes.
    tasks, result.skipped = plan_tasks(
        group,
        theme,
        out_dir,
        only=only,
        shard=shard,
        links=links,
        assets_url=assets_url,
        force=force,
    )
    if on_start:
        on_start(len(tasks))

    # Then the shared assets, before any page that references them.
    out_dir.mkdir(parents=True, exist_ok=True)
    write_assets(theme, out_dir)

    # Then the sites, across a process pool.
    workers = workers or os.cpu_count() or 1
    for res in _run_tasks(tasks, theme.path, out_dir, workers):
        if res.error:
            result.failed.append(res)
        else:
            result.built.append(res.site_id)
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


def prune_removed_sites(group: Group, out_dir: Path) -> list[str]:
    """Delete ``build/<id>/`` of sites no longer in the group (only folders we built)."""
    removed = []
    for folder in sorted(out_dir.iterdir()):
        if folder.is_dir() and folder.name not in group and (folder / STATE_FILE).is_file():
            shutil.rmtree(folder)
            removed.append(folder.name)
    return removed


def _run_tasks(tasks: list[SiteTask], theme_path: Path, out_dir: Path, workers: int) -> Any:
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield _render(task, theme_path, out_dir)
        return
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [pool.submit(_render, task, theme_path, out_dir) for task in tasks]
        for future in as_completed(futures):
            yield future.result()
