"""Which sites to build: content checks, fingerprints and shards (no rendering here)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sitegroup
from sitegroup.errors import ConfigError, ConfigProblem
from sitegroup.partition import HEADLINES_SCOPE, RECORD_SCOPES
from sitegroup.tenants.registry import Group, Site
from sitegroup.theme import Theme

CONTENT_DIR = "content"
IMAGES_DIR = "images"
STATE_FILE = ".sitegroup-build.json"
# Bump when the output layout changes so every site rebuilds once.
BUILD_FORMAT = 2


@dataclass(frozen=True)
class SiteTask:
    """Everything a worker needs to render one site."""

    site_id: str
    content_path: Path
    context: dict[str, Any]
    fingerprint: str
    #: Store data revisions the pages will show: scope → push id (0: never pushed).
    revisions: dict[str, int]
    #: Scopes to render; every scope on a full build (Pelican), fewer on a partial one.
    scopes: tuple[str, ...]
    full: bool = True


def check_content(site: Site, article_columns: set[str]) -> list[ConfigProblem]:
    """Every folder under content/ must be an article column of the site (or images/)."""
    content = site.folder / CONTENT_DIR
    if not content.is_dir():
        return []
    problems = []
    for entry in sorted(content.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            problems.append(ConfigProblem(entry, "-", "内容文件应放在栏目目录中，如 content/news/"))
        elif entry.name != IMAGES_DIR and entry.name not in article_columns:
            allowed = "、".join(sorted(article_columns))
            problems.append(
                ConfigProblem(entry, "-", f"未知的栏目目录 {entry.name!r} (可用：{allowed})")
            )
    return problems


def article_column_ids(site: Site) -> set[str]:
    return {c.id for top in site.columns for c in top.walk() if c.kind == "articles"}


def content_digest(content_path: Path) -> str:
    """Hash of every file below the content folder: names and bytes."""
    h = hashlib.sha256()
    if content_path.is_dir():
        for file in sorted(p for p in content_path.rglob("*") if p.is_file()):
            h.update(file.relative_to(content_path).as_posix().encode())
            h.update(b"\0")
            h.update(hashlib.sha256(file.read_bytes()).digest())
    return h.hexdigest()


def fingerprint(context: dict[str, Any], theme: Theme, content: str) -> str:
    """Everything that can change a site's output, hashed."""
    payload = json.dumps(context, sort_keys=True, ensure_ascii=False, default=str)
    h = hashlib.sha256()
    for part in (str(BUILD_FORMAT), sitegroup.__version__, theme.fingerprint, content, payload):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def built_state(out_dir: Path, site_id: str) -> dict[str, Any] | None:
    """What the last build of a site recorded (fingerprint, revisions, pages, articles)."""
    try:
        state = json.loads((out_dir / site_id / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and "fingerprint" in state else None


def site_revisions(revisions: dict[tuple[str, str], int], region_code: str) -> dict[str, int]:
    """The data revisions a site's pages depend on, from the store's revision table."""
    revs = {HEADLINES_SCOPE: revisions.get((HEADLINES_SCOPE, ""), 0)}
    for kind in RECORD_SCOPES:
        revs[kind] = revisions.get((kind, region_code), 0)
    return revs


def stale_scopes(state: dict[str, Any], revisions: dict[str, int]) -> tuple[str, ...]:
    """The data scopes whose revision moved since the site was rendered."""
    done = state.get("revisions", {})
    return tuple(s for s, rev in revisions.items() if done.get(s) != rev)


def parse_shard(text: str) -> tuple[int, int]:
    """'2/4' → (2, 4); shards are 1-based."""
    try:
        index, total = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"分片应写作 i/N, 如 1/4, 实际为 {text!r}") from None
    if not 1 <= index <= total:
        raise ValueError(f"分片序号应在 1..{total} 之间，实际为 {index}")
    return index, total


def in_shard(site_id: str, shard: tuple[int, int] | None) -> bool:
    """Deterministic split by a stable hash of the site id."""
    if shard is None:
        return True
    index, total = shard
    digest = int.from_bytes(hashlib.sha256(site_id.encode()).digest()[:8], "big")
    return digest % total == index - 1


def select_sites(group: Group, only: list[str] | None) -> list[Site]:
    """The sites to consider, in tree order; unknown ids are a config error."""
    if not only:
        return list(group)
    unknown = [sid for sid in only if sid not in group]
    if unknown:
        raise ConfigError([ConfigProblem(Path("--site"), sid, "没有这个站点") for sid in unknown])
    wanted = set(only)
    return [s for s in group if s.id in wanted]
