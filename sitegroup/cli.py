"""The ``sitegroup`` command: the composition root, thin commands over core functions."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
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


def _progress_build(group: Any, theme: Any, out_dir: Path, **kwargs: Any) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from sitegroup.build.runner import build_group

    interactive = sys.stderr.isatty()
    progress = Progress(
        TextColumn("构建站点"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[site]}"),
        disable=not interactive,
        transient=False,
    )
    task_id = None

    def on_start(total: int) -> None:
        nonlocal task_id
        task_id = progress.add_task("build", total=total, site="")

    def on_site(res: Any) -> None:
        if task_id is not None:
            progress.update(task_id, advance=1, site=res.site_id)
        if res.error:
            where = f" ({res.file})" if res.file else ""
            progress.console.print(f"[red]站点 {res.site_id}{where} 构建失败：{res.error}")

    with progress:
        result = build_group(group, theme, out_dir, on_start=on_start, on_site=on_site, **kwargs)
    return result


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
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def build(
    tenants_dir: Path,
    out_dir: Path,
    only: tuple[str, ...],
    shard: str | None,
    workers: int | None,
    links: str,
    assets_url: str,
    force: bool,
    strict: bool,
) -> None:
    """Render every site (or some) with Pelican and the one VI theme."""
    from sitegroup.build.plan import parse_shard

    try:
        shard_t = parse_shard(shard) if shard else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--shard") from exc
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
    )
    for warning in result.warnings:
        click.secho(f"警告：{warning}", fg="yellow", err=True)
    click.echo(result.summary())
    if result.failed or (strict and result.warnings):
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
def serve(tenants_dir: Path, out_dir: Path, host: str, port: int, do_build: bool) -> None:
    """Preview every built site under /<site-id>/, with the API on the same port."""
    import uvicorn

    from search_api.preview import create_preview_app

    group, theme = _load(tenants_dir)
    if do_build:
        result = _progress_build(group, theme, out_dir)
        click.echo(result.summary())
        if result.failed:
            sys.exit(1)
    app = create_preview_app(out_dir, group.root)
    click.echo(f"预览: http://{host}:{port}/  (共 {len(group)} 个站点；API 文档 /api/docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def api(host: str, port: int, workers: int) -> None:
    """Run the API alone with uvicorn."""
    import uvicorn

    uvicorn.run(
        "search_api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


if __name__ == "__main__":  # pragma: no cover
    main(prog_name=Path(sys.argv[0]).name)
