"""The ``sitegroup`` command: the composition root, thin commands over core functions."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from sitegroup.errors import SitegroupError

F = Callable[..., Any]


def tenants_option(f: F) -> F:
    return click.option(
        "--tenants",
        "tenants_dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=Path("tenants"),
        show_default=True,
        envvar="SITEGROUP_TENANTS",
        help="Folder with one sub-folder per site.",
    )(f)


def out_option(f: F) -> F:
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=Path("build"),
        show_default=True,
        envvar="SITEGROUP_BUILD",
        help="Output folder: build/<site>/ per site, build/_assets/ shared.",
    )(f)


def database_option(f: F) -> F:
    return click.option(
        "--database-url",
        "database_url",
        default=None,
        help="Store URL: sqlite:///FILE (default var/sitegroup.sqlite3) or postgresql://…"
        " (env SITEGROUP_DATABASE_URL).",
    )(f)


def _settings(database_url: str | None = None) -> Any:
    from sitegroup.config import Settings

    settings = Settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return settings


def _store(settings: Any, *, upgrade: bool | None = None) -> Any:
    from sitegroup.store import open_store

    return open_store(settings.database_url, upgrade=upgrade)


def _index(settings: Any) -> Any:
    from sitegroup.search import open_index

    return open_index(settings)


@contextlib.contextmanager
def _store_and_index(settings: Any) -> Iterator[tuple[Any, Any]]:
    """The store and the search index of ``settings``, both closed afterwards."""
    index = _index(settings)
    try:
        with _store(settings) as store:
            yield store, index
    finally:
        index.close()


def _today(value: str | None) -> Any:
    from datetime import date

    from sitegroup import clock

    if value:
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise click.BadParameter(f"日期应写作 YYYY-MM-DD：{value!r}") from exc
    return clock.today()


def _load(tenants_dir: Path) -> tuple[Any, Any]:
    from sitegroup.tenants.loader import load_group
    from sitegroup.theme import load_theme

    theme = load_theme()
    return load_group(tenants_dir, theme), theme


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SitegroupError as exc:
            click.secho(f"错误：{exc}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(package_name="sitegroup")
def main() -> None:
    """信用中国网站群: build, preview and inspect every site of the group."""


@main.command()
@tenants_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list for scripts.")
def sites(tenants_dir: Path, as_json: bool) -> None:
    """Print the group tree with names and URLs."""
    group, _ = _load(tenants_dir)
    if as_json:
        rows = [
            {
                "id": s.id,
                "region_code": s.region_code,
                "level": s.level,
                "name": s.name,
                "parent": s.parent,
                "url": s.url,
            }
            for s in group
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    depth: dict[str, int] = {}
    for s in group:
        depth[s.id] = depth[s.parent] + 1 if s.parent else 0
        click.echo(f"{'  ' * depth[s.id]}{s.name}  [{s.id}, {s.region_code}]  {s.url}")
    click.echo(f"共 {len(group)} 个站点")


@main.group()
def tenants() -> None:
    """Manage tenant folders."""


@tenants.command("generate")
@click.option(
    "--divisions",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="CSV with a header row and at least the columns code,name (GB/T 2260).",
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option(
    "--url-template",
    default="https://{id}.credit.example.cn/",
    show_default=True,
    help="Site URL; {id} is replaced by the site id.",
)
@click.option("--no-content", is_flag=True, help="Only site.toml, no sample articles.")
@click.option("--overwrite", is_flag=True, help="Replace existing tenant folders.")
def tenants_generate(
    divisions: Path, out_dir: Path, url_template: str, no_content: bool, overwrite: bool
) -> None:
    """Create a tenant folder for every province, city and county in a division list."""
    from sitegroup.tenants.generate import generate_tenants

    try:
        written = generate_tenants(
            divisions,
            out_dir,
            url_template=url_template,
            sample_content=not no_content,
            overwrite=overwrite,
        )
    except (ValueError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已生成 {len(written)} 个站点目录于 {out_dir}")


def _progress_bar(label: str, *extra: Any) -> Any:
    """The progress bar of long commands (on stderr, only when it is a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        *extra,
        disable=not sys.stderr.isatty(),
        transient=False,
    )


@contextlib.contextmanager
def _count_progress(label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A progress bar fed with a running count (index jobs)."""
    progress = _progress_bar(label)
    task_id = progress.add_task(label, total=total)
    with progress:
        yield lambda done: progress.update(task_id, completed=done)


class _Steps:
    """A progress bar over items whose number is known only once the work is planned."""

    def __init__(self, label: str) -> None:
        from rich.progress import TextColumn

        self.progress = _progress_bar(label, TextColumn("{task.fields[item]}"))
        self._label = label
        self._task: Any = None

    def start(self, total: int) -> None:
        self._task = self.progress.add_task(self._label, total=total, item="")

    def advance(self, item: str) -> None:
        if self._task is not None:
            self.progress.update(self._task, advance=1, item=item)


def _progress_build(group: Any, theme: Any, out_dir: Path, **kwargs: Any) -> Any:
    from sitegroup.build.runner import build_group

    steps = _Steps("构建站点")

    def on_site(res: Any) -> None:
        steps.advance(res.site_id)
        if res.error:
            where = f" ({res.file})" if res.file else ""
            steps.progress.console.print(f"[red]站点 {res.site_id}{where} 构建失败：{res.error}")

    with steps.progress:
        return build_group(group, theme, out_dir, on_start=steps.start, on_site=on_site, **kwargs)


@main.command()
@tenants_option
@out_option
@click.option("--site", "only", multiple=True, help="Build only this site (repeatable).")
@click.option("--shard", default=None, help="Build part i of N of the group, e.g. 2/4.")
@click.option("--workers", type=int, default=None, help="Worker processes (default: one per core).")
@click.option(
    "--links",
    type=click.Choice(["path", "site"]),
    default="path",
    show_default=True,
    help="path: sites under /<id>/ on one host; site: each site at its own URL.",
)
@click.option(
    "--assets-url",
    default="/_assets/",
    show_default=True,
    help="Where the shared, fingerprinted theme assets are served from.",
)
@click.option("--force", is_flag=True, help="Rebuild even the sites that did not change.")
@click.option(
    "--changed",
    is_flag=True,
    help="Only re-render what pushes changed (home, 信用动态, 公示 lists, feeds).",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@database_option
def build(
    tenants_dir: Path,
    out_dir: Path,
    only: tuple[str, ...],
    shard: str | None,
    workers: int | None,
    links: str,
    assets_url: str,
    force: bool,
    changed: bool,
    strict: bool,
    database_url: str | None,
) -> None:
    """Render every site (or some) with Pelican and the one VI theme.

    Pages show the store's headlines and records; sites whose content did not change
    but whose data did are updated without Pelican.
    """
    from sitegroup.build.runner import DataSource

    shard_t = _shard(shard)
    group, theme = _load(tenants_dir)
    result = _progress_build(
        group,
        theme,
        out_dir,
        only=list(only) or None,
        shard=shard_t,
        workers=workers,
        links=links,
        assets_url=assets_url,
        force=force,
        changed_only=changed,
        data=DataSource.from_settings(_settings(database_url)),
    )
    for warning in result.warnings:
        click.secho(f"警告：{warning}", fg="yellow", err=True)
    click.echo(result.summary())
    if result.failed or (strict and result.warnings):
        sys.exit(1)


def _shard(text: str | None) -> tuple[int, int] | None:
    from sitegroup.build.plan import parse_shard

    try:
        return parse_shard(text) if text else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--shard") from exc


#: How many changed sites ``publish`` lists on screen (all of them are in the report).
_PUBLISH_LISTED = 20


@main.command()
@tenants_option
@out_option
@click.option(
    "--target",
    default=None,
    help="file:///DIR or s3://BUCKET/PREFIX/ ({site} for a bucket per site); "
    "default: [publish] target in the main site's site.toml, else ./public.",
)
@click.option(
    "--assets-target", default=None, help="Where the shared assets go (per-site buckets)."
)
@click.option("--endpoint-url", default=None, help="S3-protocol endpoint (MinIO, OSS, COS …).")
@click.option("--site", "only", multiple=True, help="Publish only this site (repeatable).")
@click.option("--shard", default=None, help="Publish part i of N of the group, e.g. 2/4.")
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help="Parallel uploads (16).")
@click.option("--precompress/--no-precompress", default=None, help="Store text gzip-compressed.")
@click.option("--cloudfront-distribution", default=None, help="Invalidate this distribution.")
@click.option("--dry-run", is_flag=True, help="Show what would change; upload nothing.")
@click.option(
    "--report",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the JSON report here (default: <out>/.publish/report.json).",
)
def publish(
    tenants_dir: Path,
    out_dir: Path,
    target: str | None,
    assets_target: str | None,
    endpoint_url: str | None,
    only: tuple[str, ...],
    shard: str | None,
    jobs: int | None,
    precompress: bool | None,
    cloudfront_distribution: str | None,
    dry_run: bool,
    report: Path | None,
) -> None:
    """Upload the built sites: only what changed, assets before pages, stale files last.

    Credentials come from boto3's usual places (AWS_ACCESS_KEY_ID … or ~/.aws).
    """
    from sitegroup.publish import PublishError, publish_group
    from sitegroup.publish.cdn import invalidate_cloudfront
    from sitegroup.publish.setup import publish_setup

    shard_t = _shard(shard)
    group, theme = _load(tenants_dir)
    try:
        setup = publish_setup(
            group[group.root].config.publish,
            target=target,
            assets_target=assets_target,
            endpoint_url=endpoint_url,
            precompress=precompress,
            jobs=jobs,
            cloudfront=cloudfront_distribution,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--target") from exc

    steps = _Steps("发布文件")

    def on_retry(exc: Exception, delay: float) -> None:
        steps.progress.console.print(f"[yellow]{exc}；{delay:.1f} 秒后重试", highlight=False)

    click.echo(f"比对发布清单：{setup.layout.url}")
    try:
        with steps.progress:
            result = publish_group(
                group,
                theme,
                out_dir,
                setup.layout,
                setup.rules,
                only=list(only) or None,
                shard=shard_t,
                jobs=setup.jobs,
                dry_run=dry_run,
                on_start=steps.start,
                on_op=steps.advance,
                on_retry=on_retry,
            )
    except PublishError as exc:
        click.secho(f"发布失败：{exc}", fg="red", err=True)
        if exc.transient:
            click.secho(
                "已到达的文件已记入续传日志；排除故障后重新运行同一命令即可续传，"
                "不会重复上传，也不会删除仍被引用的文件。",
                fg="yellow",
                err=True,
            )
        sys.exit(1)

    for change in result.changed[:_PUBLISH_LISTED]:
        click.echo(
            f"  {change.site_id}: 上传 {len(change.uploaded)} 个"
            f"（{change.bytes / 1024:,.1f} KiB），删除 {len(change.deleted)} 个"
        )
    if len(result.changed) > _PUBLISH_LISTED:
        click.echo(f"  … 另有 {len(result.changed) - _PUBLISH_LISTED} 个站点有变化（见报告）")
    click.echo(result.summary())
    failed = False
    if setup.cloudfront and not dry_run:
        try:
            result.cloudfront = invalidate_cloudfront(
                setup.cloudfront, result.invalidation, reference=f"{result.target}|{shard}"
            )
            click.echo(
                f"CloudFront {setup.cloudfront}：已提交刷新 {result.cloudfront['paths']} 个路径"
            )
        except PublishError as exc:
            click.secho(str(exc), fg="red", err=True)
            failed = True
    report = report or out_dir / ".publish" / "report.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        json.dumps(result.report(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    click.echo(f"发布报告（含 CDN 刷新列表 {len(result.invalidation)} 条）：{report}")
    if failed:
        sys.exit(1)


@main.command()
@tenants_option
@out_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--build/--no-build",
    "do_build",
    default=True,
    show_default=True,
    help="Build (incrementally) before serving.",
)
@database_option
def serve(
    tenants_dir: Path,
    out_dir: Path,
    host: str,
    port: int,
    do_build: bool,
    database_url: str | None,
) -> None:
    """Preview every built site under /<site-id>/, with the API on the same port."""
    import uvicorn

    from search_api.preview import create_preview_app
    from sitegroup.build.runner import DataSource

    group, theme = _load(tenants_dir)
    settings = _settings(database_url).model_copy(update={"tenants_dir": tenants_dir})
    if do_build:
        data = DataSource.from_settings(settings)
        result = _progress_build(group, theme, out_dir, data=data)
        click.echo(result.summary())
        if result.failed:
            sys.exit(1)
    _sync_or_warn(settings)
    app = create_preview_app(out_dir, group.root, settings, group=group)
    click.echo(f"预览: http://{host}:{port}/  (共 {len(group)} 个站点；API 文档 /api/docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _sync_or_warn(settings: Any) -> None:
    """Bring the search index up to date before serving; a failure is a warning only."""
    from sitegroup.search import IndexUnavailable
    from sitegroup.search.sync import sync_index

    try:
        with _store_and_index(settings) as (store, index):
            click.echo(sync_index(store, index).summary())
    except IndexUnavailable as exc:
        click.secho(f"警告：检索索引未能同步（{exc}）；查询接口将返回 503", fg="yellow", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Load balancer addresses whose X-Forwarded-For is trusted (default: uvicorn's "
    "FORWARDED_ALLOW_IPS, else 127.0.0.1). Without it, the click dedup and the per-address "
    "case limit see the balancer's address for everyone.",
)
def api(host: str, port: int, workers: int, forwarded_allow_ips: str | None) -> None:
    """Run the API alone with uvicorn (settings from SITEGROUP_* variables)."""
    import uvicorn

    uvicorn.run(
        "search_api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        forwarded_allow_ips=forwarded_allow_ips,
    )


@main.command()
@tenants_option
@out_option
@database_option
@click.option("--links", type=click.Choice(["path", "site"]), default="path", show_default=True)
@click.option("--assets-url", default="/_assets/", show_default=True)
def verify(
    tenants_dir: Path, out_dir: Path, database_url: str | None, links: str, assets_url: str
) -> None:
    """Prove the built group is in sync with the store (exit 1 on any drift)."""
    from sitegroup.build.verify import verify_group
    from sitegroup.search import IndexUnavailable
    from sitegroup.search.sync import index_lag

    settings = _settings(database_url)
    group, theme = _load(tenants_dir)
    with _store_and_index(settings) as (store, idx):
        try:
            lag = index_lag(store, idx)
            index_problem = None if lag.ok else lag.message()
        except IndexUnavailable as exc:
            index_problem = f"检索索引无法访问：{exc}"
        result = verify_group(
            group,
            theme,
            out_dir,
            store,
            headline_window=settings.headline_window,
            records_limit=settings.records_page_size * settings.records_max_pages,
            links=links,  # type: ignore[arg-type]
            assets_url=assets_url,
        )
    if index_problem:
        click.secho(f"不一致：{index_problem}", fg="red", err=True)
    if result.ok and not index_problem:
        click.echo(
            f"一致：{result.sites} 个站点，核对 {result.files_checked} 个文件、"
            f"{result.records_checked} 处公示记录，检索索引同步至推送 #{lag.store_push}，"
            "未发现偏差"
        )
        return
    if result.ok:
        sys.exit(1)
    by_site: dict[str, int] = {}
    for d in result.drifts:
        by_site[d.site] = by_site.get(d.site, 0) + 1
    click.secho(
        f"不一致：{len(result.drifts)} 处偏差，涉及 {len(by_site)} 个站点", fg="red", err=True
    )
    for d in result.drifts[:50]:
        click.echo(f"  - {d}", err=True)
    if len(result.drifts) > 50:
        click.echo(f"  … 另有 {len(result.drifts) - 50} 处", err=True)
    sys.exit(1)


@main.group()
def index() -> None:
    """The search index behind /api/search (embedded SQLite FTS5 or Meilisearch)."""


@index.command("sync")
@database_option
def index_sync(database_url: str | None) -> None:
    """Apply every store change the index has not seen (a new index is built in full)."""
    from sitegroup.search.sync import sync_index

    with (
        _store_and_index(_settings(database_url)) as (store, idx),
        _count_progress("同步检索索引") as progress,
    ):
        result = sync_index(store, idx, progress=progress)
    click.echo(result.summary())


@index.command("rebuild")
@database_option
def index_rebuild(database_url: str | None) -> None:
    """Rebuild the index from the store (searches keep answering from the old one)."""
    from sitegroup.search.sync import rebuild_index

    with (
        _store_and_index(_settings(database_url)) as (store, idx),
        _count_progress("重建检索索引", store.count_active()) as progress,
    ):
        result = rebuild_index(store, idx, progress=progress)
    click.echo(result.summary())


@index.command("status")
@database_option
def index_status(database_url: str | None) -> None:
    """Compare the index with the store (exit 1 when it is behind)."""
    from sitegroup.search.sync import index_lag

    with _store_and_index(_settings(database_url)) as (store, idx):
        lag = index_lag(store, idx)
    click.echo(f"检索后端：{idx.name}")
    if lag.ok:
        click.echo(lag.message())
        return
    click.secho(lag.message(), fg="red", err=True)
    sys.exit(1)


@main.group()
def db() -> None:
    """The store's schema (SQLite upgrades itself; PostgreSQL by `db upgrade`)."""


@db.command("upgrade")
@database_option
def db_upgrade(database_url: str | None) -> None:
    """Create or upgrade the schema to the newest revision."""
    from sitegroup.store import migrate

    settings = _settings(database_url)
    with _store(settings, upgrade=True) as store:
        click.echo(f"数据库结构已是最新版本 {migrate.current_revision(store.engine)}")


@db.command("current")
@database_option
def db_current(database_url: str | None) -> None:
    """Print the schema revision of the database and of this program."""
    from sitegroup.store import create_engine, migrate

    engine = create_engine(_settings(database_url).database_url)
    try:
        click.echo(f"数据库：{migrate.current_revision(engine) or '未初始化'}")
    finally:
        engine.dispose()
    click.echo(f"程序：{migrate.head_revision()}")


@main.group()
def stats() -> None:
    """Click statistics (网站访问统计): totals from the store, and its daily upkeep."""


@stats.command("show")
@tenants_option
@database_option
@click.option("--site", "site_id", default=None, help="Site id (default: the main site).")
@click.option("--alone", is_flag=True, help="The site alone, without its descendants.")
@click.option(
    "--period", type=click.Choice(["1h", "today", "7d", "30d"]), default="today", show_default=True
)
def stats_show(
    tenants_dir: Path, database_url: str | None, site_id: str | None, alone: bool, period: str
) -> None:
    """Print page views of a site (with its descendants) or of the whole group."""
    import time

    from sitegroup.hits import HitLedger
    from sitegroup.hits.stats import StatsService, window

    group, _ = _load(tenants_dir)
    site_id = site_id or group.root
    if site_id not in group:
        raise click.UsageError(f"未知站点“{site_id}”：可用 sitegroup sites 查看站点标识")
    now = time.time()
    with _store(_settings(database_url)) as store:
        answer = StatsService(group, HitLedger(store.engine)).answer(
            site_id, not alone, window(now, period=period), now
        )
    scope = (
        f"{answer['name']}（{answer['sites']} 个站点）" if answer["sites"] > 1 else answer["name"]
    )
    realtime = answer["realtime"]
    click.echo(
        f"{scope}：所选时段 {answer['total']} 次浏览；今日 {realtime['today']}，"
        f"最近 5 分钟 {realtime['last_5_minutes']}"
    )
    for row in answer["top_sites"]:
        click.echo(f"  {row['views']:>10}  {row['name']}")


@stats.command("compact")
@database_option
@click.option(
    "--keep-days",
    type=click.IntRange(1, 3650),
    default=None,
    help="Days kept by minute (default: SITEGROUP_HITS_MINUTE_DAYS, 7).",
)
def stats_compact(database_url: str | None, keep_days: int | None) -> None:
    """Fold per-minute counts older than the kept days into hourly rows (run daily)."""
    import time

    from sitegroup.hits import HitLedger
    from sitegroup.hits.visits import minute_of

    settings = _settings(database_url)
    days = keep_days or settings.hits_minute_days
    with _store(settings) as store:
        removed = HitLedger(store.engine).compact(minute_of(time.time()) - days * 24 * 60)
    click.echo(f"已合并 {days} 天前的分钟统计：减少 {removed} 行，总数不变")


@main.group()
def push() -> None:
    """The central push: headlines and 双公示 / 红黑名单 records to every affected site."""


def _report_push(result: Any) -> None:
    for p in result.problems[:20]:
        click.secho(f"  拒收 {p}", fg="yellow", err=True)
    if len(result.problems) > 20:
        click.echo(f"  … 另有 {len(result.problems) - 20} 处问题", err=True)
    if result.rejects_file:
        click.echo(f"拒收明细已写入 {result.rejects_file}", err=True)
    click.echo(result.summary())
    if result.index_sync is not None:
        click.echo(result.index_sync.summary())
    if result.index_error:
        click.secho(f"错误：{result.index_error}", fg="red", err=True)
    if result.outcome.changed:
        click.echo("下一步：sitegroup build --changed（只重建受影响的页面）")


@push.command("headlines")
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@tenants_option
@database_option
def push_headlines(source: Path, tenants_dir: Path, database_url: str | None) -> None:
    """Push 头版 headlines (JSON Lines, or a folder of Markdown with front matter)."""
    from news_push.job import run_headlines

    group, _ = _load(tenants_dir)
    with _store(_settings(database_url)) as store:
        result = run_headlines(source, store=store, group=group)
    _report_push(result)
    if result.problems:
        sys.exit(1)


@push.command("records")
@click.argument("source", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(["license", "penalty", "redlist", "blacklist"]),
    default=None,
    help="Kind of every row (else a kind column, else detected from the columns).",
)
@click.option("--rejects", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--today", default=None, help="Date for expiry checks (default: today, Beijing).")
@tenants_option
@database_option
def push_records(
    source: Path,
    kind: str | None,
    rejects: Path | None,
    today: str | None,
    tenants_dir: Path,
    database_url: str | None,
) -> None:
    """Push a CSV or JSON Lines file of records (UTF-8 or GB18030)."""
    from news_push.job import run_records

    group, _ = _load(tenants_dir)
    settings = _settings(database_url)
    with _store_and_index(settings) as (store, index):
        result = run_records(
            source,
            store=store,
            group=group,
            today=_today(today),
            kind=kind,  # type: ignore[arg-type]
            rejects=rejects,
            index=index,
        )
    _report_push(result)
    if result.problems or result.index_error:
        sys.exit(1)


@push.command("demo")
@click.option("--today", default=None, help="Date for expiry checks (default: today, Beijing).")
@tenants_option
@database_option
def push_demo(today: str | None, tenants_dir: Path, database_url: str | None) -> None:
    """Push the demo headlines and records of demo/, then expire (what `make demo` runs)."""
    from news_push.demo import push_demo as run_demo
    from news_push.job import run_expire

    group, _ = _load(tenants_dir)
    day = _today(today)
    with _store_and_index(_settings(database_url)) as (store, index):
        results = run_demo(store=store, group=group, today=day, index=index)
        results.append(run_expire(store=store, group=group, today=day, index=index))
    for result in results:
        _report_push(result)
    if any(r.problems or r.index_error for r in results):
        sys.exit(1)


@push.command("expire")
@click.option("--today", default=None, help="Date to expire against (default: today, Beijing).")
@tenants_option
@database_option
def push_expire(today: str | None, tenants_dir: Path, database_url: str | None) -> None:
    """Take records whose disclosure period has ended off every page (run daily)."""
    from news_push.job import run_expire

    group, _ = _load(tenants_dir)
    with _store_and_index(_settings(database_url)) as (store, index):
        result = run_expire(store=store, group=group, today=_today(today), index=index)
    _report_push(result)
    if result.index_error:
        sys.exit(1)


@push.command("log")
@click.option("--limit", default=10, show_default=True)
@database_option
def push_log(limit: int, database_url: str | None) -> None:
    """The newest pushes: what each read and changed."""
    with _store(_settings(database_url)) as store:
        for row in store.push_log(limit):
            counts = "，".join(f"{k} {v}" for k, v in row["counts"].items() if v)
            click.echo(
                f"#{row['id']} {row['finished_at']:%Y-%m-%d %H:%M:%S} {row['kind']} "
                f"{row['source']}  {counts or '无变化'}  影响 {len(row['affected'])} 个站点"
            )


@main.group()
def cases() -> None:
    """异议投诉: handler accounts (属地办理) and the overdue list."""


@cases.group("handler")
def cases_handler() -> None:
    """Handler accounts: one per person, at the site of a region (token shown once)."""


@cases_handler.command("add")
@click.option("--site", "site_id", required=True, help="The handler's site (see sitegroup sites).")
@click.option("--name", required=True, help="The handler's name (1-64 characters).")
@tenants_option
@database_option
def cases_handler_add(site_id: str, name: str, tenants_dir: Path, database_url: str | None) -> None:
    """Create a handler account and print its token (once: only its hash is stored)."""
    from sitegroup.cases.handlers import HandlerError, create_handler

    group, _ = _load(tenants_dir)
    with _store(_settings(database_url)) as store:
        try:
            handler, token = create_handler(store.engine, group, site_id, name)
        except HandlerError as exc:
            raise click.UsageError(str(exc)) from exc
    site = group[handler.site]
    click.echo(
        f"已创建办理人 #{handler.id} {handler.name}：{site.name}，"
        f"可办理地区 {handler.region_code} 及其下级地区的案件"
    )
    click.echo(f"令牌：{token}")
    click.secho(
        "请立即将令牌安全地交给本人：它只显示这一次，系统只保存其哈希，无法找回；"
        "遗失或泄露时请用 sitegroup cases handler revoke 停用后重新创建。",
        fg="yellow",
        err=True,
    )


@cases_handler.command("list")
@click.option("--site", "site_id", default=None, help="Only the handlers of this site.")
@database_option
def cases_handler_list(site_id: str | None, database_url: str | None) -> None:
    """Every handler account, revoked ones too."""
    from sitegroup.cases.handlers import list_handlers
    from sitegroup.clock import beijing_iso

    with _store(_settings(database_url)) as store:
        handlers = list_handlers(store.engine, site=site_id)
    for h in handlers:
        state = "有效" if h.active else f"已停用 {beijing_iso(h.revoked_at)}"  # type: ignore[arg-type]
        click.echo(
            f"#{h.id}  {h.name}  {h.site}（地区 {h.region_code}）  "
            f"创建于 {beijing_iso(h.created_at)}  {state}"
        )
    click.echo(f"共 {len(handlers)} 个办理人账号")


@cases_handler.command("revoke")
@click.argument("handler_id", type=int)
@database_option
def cases_handler_revoke(handler_id: int, database_url: str | None) -> None:
    """Revoke a handler account: its token stops working at once."""
    from sitegroup.cases.handlers import HandlerError, revoke_handler

    with _store(_settings(database_url)) as store:
        try:
            handler = revoke_handler(store.engine, handler_id)
        except HandlerError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"已停用办理人 #{handler.id} {handler.name}（{handler.site}）：其令牌不再有效")


@cases.command("overdue")
@click.option("--site", "site_id", default=None, help="The region of this site (default: all).")
@click.option("--today", default=None, help="Date to compare with (default: today, Beijing).")
@tenants_option
@database_option
def cases_overdue(
    site_id: str | None, today: str | None, tenants_dir: Path, database_url: str | None
) -> None:
    """Open cases past their due date (working days), oldest due first."""
    from sitegroup.cases.workflow import HandlingDesk

    group, _ = _load(tenants_dir)
    site_id = site_id or group.root
    if site_id not in group:
        raise click.UsageError(f"未知站点“{site_id}”：可用 sitegroup sites 查看站点标识")
    with _store(_settings(database_url)) as store:
        rows = HandlingDesk(store, group).overdue(group[site_id].region_code, today=_today(today))
    click.echo(f"{group[site_id].name}及下级地区：逾期未办结 {len(rows)} 件")
    if rows:
        click.echo("受理编号  类别  状态  办理站点  到期日  逾期天数")
    for r in rows:
        click.echo(
            f"{r['number']}  {r['kind_label']}  {r['status_label']}  {r['handler']['name']}  "
            f"{r['due_on']}  {r['days_overdue']}"
        )


@main.group()
def report() -> None:
    """信用信息报告: issue one from the command line, verify a PDF."""


@report.command("issue")
@click.argument("code")
@click.option("--site", "site_id", default=None, help="The issuing site (default: main).")
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Where to write the PDF (default: 信用信息报告-<编号>.pdf here).",
)
@tenants_option
@database_option
def report_issue(
    code: str,
    site_id: str | None,
    out_file: Path | None,
    tenants_dir: Path,
    database_url: str | None,
) -> None:
    """Issue the report on CODE (统一社会信用代码, or a natural person's record key)."""
    from sitegroup.errors import SitegroupError
    from sitegroup.reports import open_reports

    group, theme = _load(tenants_dir)
    site_id = site_id or group.root
    if site_id not in group:
        raise click.UsageError(f"未知站点“{site_id}”：可用 sitegroup sites 查看站点标识")
    settings = _settings(database_url)
    try:
        setup = open_reports(settings, theme)
        with _store(settings) as store:
            issued = setup.desk(store.engine, group).issue(code, group[site_id])
    except SitegroupError as exc:
        raise click.ClickException(str(exc)) from exc
    out_file = out_file or Path(f"信用信息报告-{issued.report_no}.pdf")
    out_file.write_bytes(issued.pdf)
    click.echo(
        f"已出具 {issued.report_no}（{group[site_id].name}）：{issued.content.subject.name}，"
        f"有效公示信息 {issued.content.total} 条，核验码 {issued.code[:4]}-{issued.code[4:]}"
    )
    click.echo(f"已写入 {out_file}（{len(issued.pdf):,} 字节）")


@report.command("verify")
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@tenants_option
@database_option
def report_verify(pdf: Path, tenants_dir: Path, database_url: str | None) -> None:
    """Check a report PDF against the ledger: authentic, altered or unknown (exit 1 unless
    authentic)."""
    from sitegroup.errors import SitegroupError
    from sitegroup.reports import open_reports

    group, theme = _load(tenants_dir)
    settings = _settings(database_url)
    try:
        setup = open_reports(settings, theme, render=False)
        with _store(settings) as store:
            verdict = setup.desk(store.engine, group).check_file(pdf.read_bytes())
    except SitegroupError as exc:
        raise click.ClickException(str(exc)) from exc
    label = {"authentic": "真实", "altered": "已被改动", "unknown": "无法核验"}[verdict.status]
    click.echo(f"{label}：{verdict.message}")
    if verdict.status != "authentic":
        raise SystemExit(1)


@main.group()
def audit() -> None:
    """The handlers' audit log (append-only, hash-chained): export and verify."""


def _day(value: str | None, option: str) -> Any:
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"日期应写作 YYYY-MM-DD：{value!r}", param_hint=option) from exc


@audit.command("export")
@click.option(
    "--out",
    "out",
    default="-",
    show_default=True,
    help="CSV file to write (UTF-8 with BOM, opens in Excel); - for standard output.",
)
@click.option("--since", default=None, help="First day (Beijing), YYYY-MM-DD.")
@click.option("--until", default=None, help="Last day (Beijing), YYYY-MM-DD, included.")
@database_option
def audit_export(out: str, since: str | None, until: str | None, database_url: str | None) -> None:
    """Write the audit log as CSV: 序号,时间,办理人,地区,操作,对象,详情,来源地址,哈希."""
    import io

    from sitegroup.cases.audit import export_csv

    first, last = _day(since, "--since"), _day(until, "--until")
    with _store(_settings(database_url)) as store:
        if out == "-":
            stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
            try:
                count = export_csv(store.engine, stream, since=first, until=last)
            finally:
                stream.flush()
                stream.detach()
        else:
            with Path(out).open("w", encoding="utf-8", newline="") as fh:
                count = export_csv(store.engine, fh, since=first, until=last)
    click.echo(f"已导出 {count} 条审计记录" + ("" if out == "-" else f"：{out}"), err=True)


@audit.command("verify")
@database_option
def audit_verify(database_url: str | None) -> None:
    """Recompute the hash chain; exit 1 naming the first entry that does not fit."""
    from sitegroup.cases.audit import verify

    with _store(_settings(database_url)) as store:
        check = verify(store.engine)
    if check.ok:
        click.echo(f"审计日志完整：{check.entries} 条，哈希链一致")
        return
    click.secho(
        f"审计日志不一致：第 {check.entries} 条（序号 {check.bad_id}）{check.problem}",
        fg="red",
        err=True,
    )
    sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main(prog_name=Path(sys.argv[0]).name)
