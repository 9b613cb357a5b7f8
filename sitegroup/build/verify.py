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
from sitegroup.labels import RECORD_KIND_LABELS
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
    """Compare every built site with the store; each difference becomes a :class:`Drift`."""
    result = VerifyResult()
    headlines = store.current_headlines(limit=headline_window)
    canonical: dict[tuple[str, int], bytes] = {}
    for site in group:
        result.sites += 1
        state = built_state(out_dir, site.id)
        if state is None:
            result.drifts.append(Drift(site.id, STATE_FILE, "站点尚未构建"))
            continue
        ctx = site_context(group, site, theme, links=links, assets_url=assets_url)
        check = _SiteCheck(result, site.id, out_dir / site.id, state, PageRenderer(ctx, theme.path))
        check.files()
        check.headlines(headlines)
        for kind in RECORD_SCOPES:
            expected = store.latest_records(kind, site.region_code, limit=records_limit)
            check.records(kind, expected, store, canonical)
        if on_site:
            on_site(site.id)
    return result


class _SiteCheck:
    """The checks of one built site; each built file is read at most once."""

    def __init__(
        self,
        result: VerifyResult,
        site_id: str,
        root: Path,
        state: dict[str, Any],
        renderer: PageRenderer,
    ) -> None:
        self.result = result
        self.site_id = site_id
        self.root = root
        self.state = state
        self.renderer = renderer
        self._files: dict[str, bytes | None] = {}

    def drift(self, path: str, message: str) -> None:
        self.result.drifts.append(Drift(self.site_id, path, message))

    def read(self, rel: str) -> bytes | None:
        if rel not in self._files:
            try:
                self._files[rel] = (self.root / rel).read_bytes()
            except OSError:
                self._files[rel] = None
        return self._files[rel]

    def text(self, rel: str) -> str:
        return (self.read(rel) or b"").decode("utf-8", errors="replace")

    def files(self) -> None:
        """Every file the build wrote is there, unaltered."""
        for rel, expected in self.state.get("hashes", {}).items():
            self.result.files_checked += 1
            content = self.read(rel)
            if content is None:
                self.drift(rel, "文件缺失")
            elif file_digest(content) != expected:
                self.drift(rel, "文件内容与构建时不一致（被手工改动？）")

    def headlines(self, headlines: list[Any]) -> None:
        """The home page shows the current headline version; the news lists list them all."""
        found = HEADLINES_ATTR.search(self.text("index.html"))
        if found is None or found.group(1) != headline_digest(headlines):
            self.drift("index.html", "头版版本不是最新（请运行 sitegroup build --changed）")
        pages = self.state["pages"].get(HEADLINES_SCOPE, [])
        news = "".join(self.text(p) for p in pages if p.endswith(".html"))
        for h in headlines:
            if self.renderer.headline_item(h).href not in news:
                self.drift("news/", f"缺少头版 {h.id}")

    def records(
        self,
        kind: str,
        expected_rows: list[Any],
        store: Any,
        canonical: dict[tuple[str, int], bytes],
    ) -> None:
        """Exactly the expected records of ``kind``, at their version, in canonical bytes."""
        expected = {r.record.key: r for r in expected_rows}
        seen: set[str] = set()
        for rel in self.state["pages"].get(kind, []):
            if not rel.endswith(".html"):
                continue
            for m in RECORD_ROW.finditer(self.text(rel)):
                key = m.group(1)
                self.result.records_checked += 1
                if key in seen:
                    self.drift(rel, f"记录 {key} 重复出现")
                seen.add(key)
                stored = expected.get(key)
                if stored is None:
                    self.drift(rel, f"记录 {key} {_why_not_here(store, key)}，却仍在页面上")
                elif m.group(0).encode() != self._canonical(stored, canonical):
                    self.drift(rel, f"记录 {key} 的公示内容与标准版本不一致")
        for key in expected.keys() - seen:
            self.drift(kind, f"缺少{RECORD_KIND_LABELS[kind]}记录 {key}")

    def _canonical(self, stored: Any, cache: dict[tuple[str, int], bytes]) -> bytes:
        """The row of the canonical ``_record.html`` partial (the same for every site)."""
        ck = (stored.record.key, stored.version)
        if ck not in cache:
            template = self.renderer.env.get_template("_record.html")
            html = template.render(record=record_view(stored.record, stored.version))
            block = RECORD_ROW.search(html)
            cache[ck] = block.group(0).encode() if block else b""
        return cache[ck]


def _why_not_here(store: Any, key: str) -> str:
    stored = store.get_record(key)
    status = stored.status if stored else ""
    return {"withdrawn": "已撤回", "expired": "已过期"}.get(status, "不应出现在本站")
