"""The group tree: national → province → city → county, as loaded from the tenants."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sitegroup.regions import Level
from sitegroup.tenants.schema import SiteConfig
from sitegroup.theme import Column


@dataclass(frozen=True, slots=True)
class Site:
    """One 信用中国(X) website."""

    id: str
    region_code: str
    level: Level
    #: Derived full name, e.g. 信用中国(浙江义乌).
    name: str
    #: The part in parentheses, e.g. 浙江义乌 ("" for the main site).
    label: str
    parent: str | None
    url: str
    folder: Path
    config: SiteConfig
    #: Base columns then feature columns, in navigation order.
    columns: tuple[Column, ...]


@dataclass
class Group:
    """All sites of the group, as a tree rooted at the main site."""

    sites: dict[str, Site]
    root: str
    _children: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _by_region: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._children = {sid: [] for sid in self.sites}
        for site in sorted(self.sites.values(), key=lambda s: s.region_code):
            if site.parent is not None:
                self._children[site.parent].append(site.id)
        self._by_region = {s.region_code: s.id for s in self.sites.values()}

    def __iter__(self) -> Iterator[Site]:
        """Sites in tree order (pre-order, children by region code)."""
        stack = [self.root]
        while stack:
            sid = stack.pop()
            yield self.sites[sid]
            stack.extend(reversed(self._children[sid]))

    def __len__(self) -> int:
        return len(self.sites)

    def __getitem__(self, site_id: str) -> Site:
        return self.sites[site_id]

    def __contains__(self, site_id: object) -> bool:
        return site_id in self.sites

    def children(self, site_id: str) -> list[Site]:
        return [self.sites[c] for c in self._children[site_id]]

    def parent(self, site_id: str) -> Site | None:
        parent = self.sites[site_id].parent
        return self.sites[parent] if parent else None

    def ancestors(self, site_id: str) -> list[Site]:
        """Nearest first, ending with the main site."""
        out: list[Site] = []
        parent = self.parent(site_id)
        while parent is not None:
            out.append(parent)
            parent = self.parent(parent.id)
        return out

    def descendants(self, site_id: str) -> list[Site]:
        out: list[Site] = []
        for child in self.children(site_id):
            out.append(child)
            out.extend(self.descendants(child.id))
        return out

    def siblings(self, site_id: str) -> list[Site]:
        parent = self.sites[site_id].parent
        if parent is None:
            return []
        return [s for s in self.children(parent) if s.id != site_id]

    def site_for_region(self, region_code: str) -> Site | None:
        """The site of exactly this region, if the group has one."""
        sid = self._by_region.get(region_code)
        return self.sites[sid] if sid else None
