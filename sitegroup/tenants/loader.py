"""``tenants/<site>/site.toml`` → a validated :class:`Group`, or every problem at once."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sitegroup.errors import ConfigError, ConfigProblem
from sitegroup.regions import NATIONAL_CODE, RegionTable, level_of
from sitegroup.tenants.naming import NameCollision, derive_names, site_label
from sitegroup.tenants.registry import Group, Site
from sitegroup.tenants.schema import SLUG_RE, VI_KEYS, SiteConfig
from sitegroup.theme import Column, Theme, column_from_dict

SITE_FILE = "site.toml"


def _pydantic_problems(file: Path, exc: ValidationError) -> list[ConfigProblem]:
    problems = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "-"
        if err["type"] == "missing":
            message = "缺少必填项"
        elif err["type"] == "extra_forbidden":
            message = "未知配置项"
        else:
            message = err["msg"].removeprefix("Value error, ")
        problems.append(ConfigProblem(file, key, message))
    return problems


def _vi_problems(
    file: Path, data: dict[str, Any], prefix: str = ""
) -> tuple[list[ConfigProblem], dict[str, Any]]:
    """Report attempts to restyle a site and drop those keys so the rest still validates.

    Tables are searched too: a ``logo = …`` appended after ``[filing]`` lands in that
    table, and the editor should still hear that the VI is group-wide.
    """
    problems = []
    clean = {}
    for key, value in data.items():
        if key in VI_KEYS or key.startswith(("color_", "font_")):
            problems.append(
                ConfigProblem(
                    file, prefix + key, "站点不能覆盖统一视觉识别(VI)、站点名称或基础栏目"
                )
            )
        elif isinstance(value, dict):
            found, clean[key] = _vi_problems(file, value, f"{prefix}{key}.")
            problems.extend(found)
        else:
            clean[key] = value
    return problems, clean


def read_site_config(file: Path) -> tuple[SiteConfig | None, list[ConfigProblem], dict[str, Any]]:
    """Parse and validate one ``site.toml``; never raises for bad content.

    Returns the config (or None), the problems, and the raw table so that
    group-wide checks (duplicate regions) still see a site with other errors.
    """
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        return None, [ConfigProblem(file, "-", f"无法读取文件：{exc.strerror}")], {}
    except UnicodeDecodeError:
        return None, [ConfigProblem(file, "-", "文件不是 UTF-8 编码")], {}
    except tomllib.TOMLDecodeError as exc:
        return None, [ConfigProblem(file, "-", f"TOML 语法错误：{exc}")], {}
    problems, clean = _vi_problems(file, data)
    try:
        config = SiteConfig.model_validate(clean)
    except ValidationError as exc:
        return None, problems + _pydantic_problems(file, exc), data
    return config, problems, data


def _feature_columns(
    file: Path, config: SiteConfig, base: dict[str, Column], base_titles: set[str]
) -> tuple[list[Column], list[ConfigProblem]]:
    problems = []
    columns = []
    seen: set[str] = set()
    for i, fc in enumerate(config.feature_columns):
        key = f"feature_columns[{i}]"
        if fc.id in base:
            problems.append(
                ConfigProblem(
                    file, f"{key}.id", f"{fc.id!r} 是基础栏目，地方特色栏目不能替换或改名"
                )
            )
        elif fc.title in base_titles:
            problems.append(ConfigProblem(file, f"{key}.title", f"{fc.title!r} 与基础栏目重名"))
        elif fc.id in seen:
            problems.append(ConfigProblem(file, f"{key}.id", f"栏目 id {fc.id!r} 重复"))
        else:
            seen.add(fc.id)
            columns.append(
                column_from_dict(
                    {"id": fc.id, "title": fc.title, "description": fc.description},
                    feature=True,
                )
            )
    return columns, problems


def load_group(tenants_dir: Path, theme: Theme, table: RegionTable | None = None) -> Group:
    """Load every tenant under ``tenants_dir``; raise :class:`ConfigError` listing all problems."""
    table = table or RegionTable.default()
    problems: list[ConfigProblem] = []
    configs: dict[str, tuple[Path, SiteConfig, list[Column]]] = {}

    if not tenants_dir.is_dir():
        raise ConfigError([ConfigProblem(tenants_dir, "-", "站点目录不存在")])

    base = {c.id: c for c in theme.all_base_columns()}
    base_titles = {c.title for c in base.values()}
    lowered: dict[str, Path] = {}
    raw_regions: dict[str, tuple[str, Path]] = {}
    for folder in sorted(p for p in tenants_dir.iterdir() if p.is_dir()):
        file = folder / SITE_FILE
        site_id = folder.name
        if site_id.startswith("."):
            continue
        if not SLUG_RE.match(site_id):
            problems.append(
                ConfigProblem(file, "(site id)", f"站点 id {site_id!r} 应为小写字母、数字和连字符")
            )
        if site_id.lower() in lowered:
            problems.append(
                ConfigProblem(file, "(site id)", f"站点 id 与 {lowered[site_id.lower()]} 重复")
            )
        lowered[site_id.lower()] = folder
        if not file.is_file():
            problems.append(ConfigProblem(file, "-", "缺少 site.toml"))
            continue
        config, found, raw = read_site_config(file)
        problems.extend(found)
        if isinstance(raw.get("region_code"), str):
            raw_regions[site_id] = (raw["region_code"], file)
        if config is None:
            continue
        if config.region_code not in table:
            problems.append(
                ConfigProblem(file, "region_code", f"未知的行政区划代码 {config.region_code}")
            )
            continue
        if config.short_name and config.region_code == NATIONAL_CODE:
            problems.append(ConfigProblem(file, "short_name", "主站名称固定为“信用中国”"))
            continue
        for key in ("api_url", "publish", "cases"):
            if getattr(config, key) is not None and config.region_code != NATIONAL_CODE:
                problems.append(
                    ConfigProblem(
                        file,
                        key,
                        f"{key} 是网站群统一配置，只能写在主站(行政区划代码 {NATIONAL_CODE})"
                        "的 site.toml 中",
                    )
                )
        features, found = _feature_columns(file, config, base, base_titles)
        problems.extend(found)
        configs[site_id] = (file, config, features)

    by_region: dict[str, str] = {}
    for site_id, (code, file) in raw_regions.items():
        other = by_region.setdefault(code, site_id)
        if other != site_id:
            problems.append(
                ConfigProblem(file, "region_code", f"行政区划 {code} 已由站点 {other!r} 使用")
            )
    if NATIONAL_CODE not in by_region:
        problems.append(
            ConfigProblem(tenants_dir, "region_code", f"缺少主站(行政区划代码 {NATIONAL_CODE})")
        )

    overrides = {c.region_code: c.short_name for _, c, _ in configs.values() if c.short_name}
    names: dict[str, str] = {}
    try:
        names = derive_names(table, overrides)
    except NameCollision as exc:
        for code in exc.codes:
            sid = by_region.get(code)
            if sid:
                file, _, _ = configs[sid]
                problems.append(
                    ConfigProblem(file, "short_name", f"站点名称 {exc.name} 与其他站点重复")
                )
        if not any(p.key == "short_name" for p in problems):
            problems.append(ConfigProblem(tenants_dir, "short_name", str(exc)))
    seen_names: dict[str, str] = {}
    for site_id, (file, config, _) in configs.items():
        name = names.get(config.region_code)
        if name is None:
            continue
        if name in seen_names:
            problems.append(
                ConfigProblem(
                    file, "short_name", f"站点名称 {name} 与站点 {seen_names[name]!r} 重复"
                )
            )
        seen_names[name] = site_id

    if problems:
        raise ConfigError(problems)

    sites: dict[str, Site] = {}
    for site_id, (file, config, features) in configs.items():
        parent = next(
            (by_region[r.code] for r in table.ancestors(config.region_code) if r.code in by_region),
            None,
        )
        sites[site_id] = Site(
            id=site_id,
            region_code=config.region_code,
            level=level_of(config.region_code),
            name=names[config.region_code],
            label=site_label(names[config.region_code]),
            parent=parent,
            url=config.url,
            folder=file.parent,
            config=config,
            columns=(*theme.base_columns, *features),
        )
    return Group(sites=sites, root=by_region[NATIONAL_CODE])
