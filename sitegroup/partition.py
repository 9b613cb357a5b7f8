"""Where a record appears: the one function for push, build and search alike.

A record appears on the site of its region and on every ancestor site up to 信用中国;
a region without a site of its own is covered by its nearest ancestor that has one.
Because a site's parent in the group is its nearest ancestor region with a site, that
is the same as: site S shows record R when S's region is R's region or an ancestor of it
(by GB/T 2260 code prefix). So the sites of a region and the regions of a site are
computed from codes alone and never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from sitegroup.labels import RECORD_KIND_LABELS
from sitegroup.regions import NATIONAL_CODE, level_of
from sitegroup.tenants.registry import Group, Site

#: What a push invalidates: the headlines (the same on every site) or one record kind.
HEADLINES_SCOPE = "headlines"
RECORD_SCOPES: tuple[str, ...] = tuple(RECORD_KIND_LABELS)


def region_path(region_code: str) -> list[str]:
    """``region_code`` and the codes above it up to the nation, nearest first.

    330782 → [330782, 330700, 330000, 100000]. Codes are derived by prefix, whether or
    not the intermediate regions exist (there is no site for a missing one anyway).
    """
    level = level_of(region_code)
    path = [region_code]
    if level == "county":
        path.append(region_code[:4] + "00")
    if level in ("county", "city"):
        path.append(region_code[:2] + "0000")
    if level != "national":
        path.append(NATIONAL_CODE)
    return path


def sites_for_region(group: Group, region_code: str) -> list[Site]:
    """Every site that shows a record of ``region_code``, nearest first, ending with 信用中国."""
    return [s for code in region_path(region_code) if (s := group.site_for_region(code))]


def covers(site_region: str, record_region: str) -> bool:
    """True when the site of ``site_region`` shows records of ``record_region``."""
    return site_region in region_path(record_region)


def region_filter(site_region: str) -> tuple[str, str] | None:
    """How a store selects a site's records: (column, value), or None for everything.

    ``province``/``city`` are the 2- and 4-digit prefixes stored with every record.
    """
    level = level_of(site_region)
    if level == "national":
        return None
    if level == "province":
        return ("province", site_region[:2])
    if level == "city":
        return ("city", site_region[:4])
    return ("region_code", site_region)


def revision_keys(touched: Mapping[str, Iterable[str]]) -> set[tuple[str, str]]:
    """(scope, region code) of every data revision a push moves.

    ``touched`` maps a scope to the regions of the changed items. Headlines have one
    revision for the whole group (region ""); a record moves its region's revision and
    every region's above it, so each site compares only the revision of its own region.
    """
    return {
        (scope, code)
        for scope, regions in touched.items()
        for region in regions
        for code in ([""] if scope == HEADLINES_SCOPE else region_path(region))
    }


def affected_sites(
    group: Group,
) -> Callable[[Mapping[str, Iterable[str]]], dict[str, list[str]]]:
    """Touched regions → {site id: [scope, …]}: headlines touch every site; a record the
    sites of its region up to 信用中国 (:func:`sites_for_region`)."""

    def affected(touched: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for scope, regions in touched.items():
            if scope == HEADLINES_SCOPE:
                for site in group:
                    out[site.id].add(scope)
                continue
            for region in regions:
                for site in sites_for_region(group, region):
                    out[site.id].add(scope)
        return {sid: sorted(scopes) for sid, scopes in sorted(out.items())}

    return affected
