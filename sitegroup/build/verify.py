"""``sitegroup verify``: prove from the built output that the group is in sync with the store.

- every site carries the current headline version (home page digest, news lists);
- every active record appears on exactly the sites (and list depth) it should, at its
  current version, and its rendered block is byte-identical to the canonical partial;
- no withdrawn or expired record is on any page;
- no built file differs from what the build wrote (a page altered by hand).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitegroup.build.context import LinkMode, site_context
from sitegroup.build.pages import (
    PageRenderer,
    headline_digest,
    record_view,
)
from sitegroup.build.plan import STATE_FILE, built_state
from sitegroup.partition import HEADLINES_SCOPE, RECORD_SCOPES
from sitegroup.tenants.registry import Group
from sitegroup.theme import Theme

RECORD_ROW = re.compile(
    r'<tr class="record" id="r-[^"]*" data-record="([^"]+)"[^>]*>.*?</tr>', re.S
)
HEADLINES_ATTR = re.compile(r'data-headlines="([0-9a-f]*)"')


@dataclass(frozen=True)
class Drift:
    site: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.site}/{self.path}: {self.message}"


@dataclass
class VerifyResult:
    sites: int = 0
    records_checked: int = 0
    files_checked: int = 0
    drifts: list[Drift] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.drifts


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:20]


def verify_group(
    group: Group,
    theme: Theme,
    out_dir: Path,
    store: Any,
    *,
    headline_window: int,
    records_limit: int,
    links: LinkMode = "path",
    assets_url: str = "/_assets/",
    on_site: Callable[[str], None] | None = None,
) -> VerifyResult:
    result = VerifyResult()
    headlines = store.current_headlines(limit=headline_window)
    digest = headline_digest(headlines)
    canonical: dict[tuple[str, int], bytes] = {}
    status = {k: s for k, (_, s, _) in store.record_states().items()}
    for site in group:
        result.sites += 1
        drift = _site_checker(result, site.id)
        state = built_state(out_dir, site.id)
        if state is None:
            drift(STATE_FILE, "站点尚未构建")
            continue
        root = out_dir / site.id
        ctx = site_context(group, site, theme, links=links, assets_url=assets_url)
        renderer = PageRenderer(ctx, theme.path)
        record_template = renderer.env.get_template("_record.html")

        # Files: what the build wrote, unaltered.
        for rel, expected in state.get("hashes", {}).items():
            result.files_checked += 1
            try:
                actual = file_digest((root / rel).read_bytes())
            except OSError:
                drift(rel, "文件缺失")
                continue
            if actual != expected:
                drift(rel, "文件内容与构建时不一致（被手工改动？）")

        # Headlines: the current version everywhere.
        home = _read(root, "index.html")
        found = HEADLINES_ATTR.search(home)
        if found is None or found.group(1) != digest:
            drift("index.html", "头版版本不是最新（请运行 sitegroup build --changed）")
        news_pages = "".join(_read(root, p) for p in state["pages"].get(HEADLINES_SCOPE, []))
        for h in headlines:
            if renderer.headline_item(h).href not in news_pages:
                drift("news/", f"缺少头版 {h.id}")

        # Records: exactly the expected ones, current version, canonical bytes.
        for kind in RECORD_SCOPES:
            expected_rows = store.latest_records(kind, site.region_code, limit=records_limit)
            expected = {r.record.key: r for r in expected_rows}
            seen: set[str] = set()
            for rel in state["pages"].get(kind, []):
                if not rel.endswith(".html"):
                    continue
                for m in RECORD_ROW.finditer(_read(root, rel)):
                    key = m.group(1)
                    result.records_checked += 1
                    if key in seen:
                        drift(rel, f"记录 {key} 重复出现")
                    seen.add(key)
                    stored = expected.get(key)
                    if stored is None:
                        why = {"withdrawn": "已撤回", "expired": "已过期"}.get(
                            status.get(key, ""), "不应出现在本站"
                        )
                        drift(rel, f"记录 {key} {why}，却仍在页面上")
                        continue
                    ck = (key, stored.version)
                    if ck not in canonical:
                        html = record_template.render(
                            record=record_view(stored.record, stored.version)
                        )
                        block = RECORD_ROW.search(html)
                        canonical[ck] = block.group(0).encode() if block else b""
                    if m.group(0).encode() != canonical[ck]:
                        drift(rel, f"记录 {key} 的公示内容与标准版本不一致")
            for key in expected.keys() - seen:
                drift(kind, f"缺少{_label(kind)}记录 {key}")
        if on_site:
            on_site(site.id)
    return result


def _label(kind: str) -> str:
    from sitegroup.labels import RECORD_KIND_LABELS

    return RECORD_KIND_LABELS[kind]


def _site_checker(result: VerifyResult, site_id: str) -> Callable[[str, str], None]:
    def drift(path: str, message: str) -> None:
        result.drifts.append(Drift(site_id, path, message))

    return drift


def _read(root: Path, rel: str) -> str:
    try:
        return (root / rel).read_text(encoding="utf-8")
    except OSError:
        return ""
