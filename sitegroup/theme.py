"""The one VI theme: tokens, base columns and fingerprinted assets, read once.

A theme folder holds ``theme.toml`` (VI tokens + the base column tree),
``templates/`` (Jinja2) and ``static/`` (CSS, JS, logo). Tenants cannot
override any of it; they may only add feature columns after the base ones.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitegroup.errors import ConfigError, ConfigProblem

#: Where the themes live, next to the package in a source checkout.
THEMES_DIR = Path(__file__).resolve().parent.parent / "themes"
DEFAULT_THEME = "xinyong"

#: Column kinds and the templates they render with. The kind comes from data
#: (theme.toml or site.toml), so no code branches on a column id.
COLUMN_KINDS = ("home", "articles", "section", "records", "page")


@dataclass(frozen=True, slots=True)
class Column:
    """A section of a site: base columns come from the theme, feature columns from the tenant."""

    id: str
    title: str
    kind: str
    #: URL path below the site root, with a trailing slash ("" for home).
    path: str
    #: Template for the column page itself.
    template: str
    #: Template for one article of an ``articles`` column.
    article_template: str = "article"
    description: str = ""
    children: tuple[Column, ...] = ()
    feature: bool = False
    #: Extra data a template may use (e.g. the record kind of a 公示 column).
    params: dict[str, Any] = field(default_factory=dict)

    def walk(self) -> list[Column]:
        """Return this column and all its descendants, depth first."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


@dataclass(frozen=True)
class Theme:
    """The VI theme as loaded from ``themes/<name>/``."""

    name: str
    path: Path
    vi: dict[str, Any]
    base_columns: tuple[Column, ...]
    #: Logical asset path ("css/site.css") → fingerprinted path ("css/site.3f2a9c1b.css").
    assets: dict[str, str]
    #: Hash of every theme file: any change invalidates every site.
    fingerprint: str

    @property
    def templates_path(self) -> Path:
        return self.path / "templates"

    @property
    def static_path(self) -> Path:
        return self.path / "static"

    def all_base_columns(self) -> list[Column]:
        return [c for top in self.base_columns for c in top.walk()]


def column_from_dict(
    data: dict[str, Any], *, parent_path: str = "", feature: bool = False
) -> Column:
    """Build a column (and its children) from a theme.toml / site.toml table."""
    kind = data.get("kind", "articles")
    cid = data["id"]
    path = data.get("path", f"{parent_path}{cid}/")
    children = tuple(
        column_from_dict(child, parent_path=path, feature=feature)
        for child in data.get("children", [])
    )
    default_template = {"articles": "column", "section": "section", "records": "records"}.get(
        kind, cid
    )
    return Column(
        id=cid,
        title=data["title"],
        kind=kind,
        path=path,
        template=data.get("template", default_template),
        article_template=data.get("article_template", "article"),
        description=data.get("description", ""),
        children=children,
        feature=feature,
        params=dict(data.get("params", {})),
    )


def _fingerprint_assets(static: Path) -> dict[str, str]:
    assets: dict[str, str] = {}
    for file in sorted(p for p in static.rglob("*") if p.is_file()):
        rel = file.relative_to(static).as_posix()
        digest = hashlib.sha256(file.read_bytes()).hexdigest()[:10]
        stem, dot, ext = rel.rpartition(".")
        assets[rel] = f"{stem}.{digest}.{ext}" if dot else f"{rel}.{digest}"
    return assets


def _tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(file.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(hashlib.sha256(file.read_bytes()).digest())
    return h.hexdigest()


def load_theme(name: str = DEFAULT_THEME, themes_dir: Path = THEMES_DIR) -> Theme:
    """Read ``themes/<name>/theme.toml`` and fingerprint the static assets."""
    path = themes_dir / name
    toml_path = path / "theme.toml"
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([ConfigProblem(toml_path, "-", f"无法读取主题配置: {exc}")]) from exc
    columns = tuple(column_from_dict(c) for c in data.get("columns", []))
    problems = [
        ConfigProblem(toml_path, f"columns.{c.id}.kind", f"未知的栏目类型 {c.kind!r}")
        for top in columns
        for c in top.walk()
        if c.kind not in COLUMN_KINDS
    ]
    if problems:
        raise ConfigError(problems)
    return Theme(
        name=name,
        path=path,
        vi=data.get("vi", {}),
        base_columns=columns,
        assets=_fingerprint_assets(path / "static"),
        fingerprint=_tree_hash(path),
    )
