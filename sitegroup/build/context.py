"""What one site's templates know about the site and the group (pure, picklable).

The parent process computes this for every site and hands it to the worker
that renders the site, so workers never load the whole group. The same dict
feeds the incremental-build fingerprint: a site is rebuilt when anything its
pages show changes, including its neighbours in the group navigation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from sitegroup.labels import LEVEL_LABELS
from sitegroup.tenants.registry import Group, Site
from sitegroup.tenants.schema import DEFAULT_API_URL
from sitegroup.theme import Column, Theme

#: ``path``: every site under one origin at ``/<site-id>/`` (preview, single bucket);
#: ``site``: every site at its own ``url`` from site.toml (production domains).
LinkMode = Literal["path", "site"]


def site_home(site: Site, links: LinkMode) -> str:
    """The link base of a site, ending in a slash."""
    return f"/{site.id}/" if links == "path" else site.url


def _link(site: Site, links: LinkMode) -> dict[str, str]:
    return {"id": site.id, "name": site.name, "label": site.label, "href": site_home(site, links)}


def walk_columns(columns: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every column of a context's column tree, depth first (a parent before its children)."""
    for col in columns:
        yield col
        yield from walk_columns(col["children"])


def _column(column: Column, home: str, parents: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "id": column.id,
        "title": column.title,
        "kind": column.kind,
        "path": column.path,
        "href": home + column.path,
        "template": column.template,
        "article_template": column.article_template,
        "description": column.description,
        "feature": column.feature,
        "params": dict(column.params),
        #: Ids of the enclosing columns, outermost first (for breadcrumbs and sidebars).
        "parents": list(parents),
        "children": [_column(child, home, (*parents, column.id)) for child in column.children],
    }


def _subtree(group: Group, site: Site, links: LinkMode) -> dict[str, Any]:
    node = _link(site, links)
    node["level"] = LEVEL_LABELS[site.level]
    node["children"] = [_subtree(group, child, links) for child in group.children(site.id)]
    return node


def site_context(
    group: Group,
    site: Site,
    theme: Theme,
    *,
    links: LinkMode = "path",
    assets_url: str = "/_assets/",
) -> dict[str, Any]:
    """Everything the templates of ``site`` need about it and its place in the group."""
    home = site_home(site, links)
    cfg = site.config
    parent = group.parent(site.id)
    return {
        "site": {
            "id": site.id,
            "name": site.name,
            "label": site.label,
            "level": site.level,
            "level_label": LEVEL_LABELS[site.level],
            "region_code": site.region_code,
            "url": site.url,
            "home": home,
            "sponsor": cfg.sponsor,
            "organizer": cfg.organizer,
            "contact": cfg.contact.model_dump(),
            "filing": cfg.filing.model_dump(),
        },
        "columns": [_column(c, home) for c in site.columns],
        "nav": {
            "main": _link(group[group.root], links),
            "parent": _link(parent, links) if parent else None,
            "ancestors": [_link(a, links) for a in reversed(group.ancestors(site.id))],
            "children": [_link(c, links) for c in group.children(site.id)],
            "siblings": [_link(s, links) for s in group.siblings(site.id)],
        },
        # The 网站群 page: this site's own subtree (the main site's is the whole group).
        "tree": _subtree(group, site, links),
        # Canonical URL of 信用中国 (feeds link pushed headlines there, whatever the link mode).
        "main_url": group[group.root].url,
        "assets_url": assets_url,
        "assets": theme.assets,
        # The search API the 信用查询 page calls: group-wide, set in the main site's site.toml.
        "api_url": group[group.root].config.api_url or DEFAULT_API_URL,
        "vi": theme.vi,
    }
