"""Site names 信用中国(<province short><own short>), derived from region codes.

The main site (region ``100000``) is 信用中国. Every other site is
``信用中国(<label>)``: a province's label is its short name (信用中国(湖北)); below
the province the label is the province short name followed by the site's own short
name (:func:`sitegroup.regions.strip_suffix`), skipping the prefecture of a county:
信用中国(江苏无锡), 信用中国(浙江杭州), 信用中国(浙江义乌), 信用中国(北京朝阳).

Names are unique across the whole nation and stable: they are derived over the
complete :class:`~sitegroup.regions.RegionTable`, not over the sites that happen to
exist, so adding a site never renames another one. Where two regions would get the
same label the following rule applies (deterministic, independent of order):

* Candidate labels by stage — 0: province short + own short (辽宁朝阳); 1: province
  short + own full name (辽宁朝阳县, 江苏鼓楼区); 2: province short + parent-city short
  + own short (江苏南京鼓楼, 江苏徐州鼓楼; 山西阳泉城区, 山西晋城城区); 3: province
  short + parent-city short + own full name. A region without a parent city has an
  empty parent-city part. Provinces and the nation have one label at every stage.
* Every region starts at stage 0. Repeat until no two labels are equal: in each group
  of equal labels, the member with the smallest (stage, level) — level ordered
  national < province < city < county — keeps its label if it is the only one with
  that key; all other members (all of them on a tie) advance one stage.
  So 朝阳市 (city) keeps 辽宁朝阳 and 朝阳县 (county) becomes 辽宁朝阳县.
* An override (``overrides[code] = "义乌"``, the own short part) gives province short
  + override (for a province: the override alone) and never advances. If an overridden
  label collides with any other, or a member would have to advance past stage 3,
  :class:`NameCollision` is raised naming the codes and the name.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping

from sitegroup.regions import LEVEL_RANK, NATIONAL_CODE, Region, RegionTable, strip_suffix

__all__ = ["ROOT_NAME", "NameCollision", "derive_names", "full_name", "site_label"]

ROOT_NAME = "信用中国"
"""Name of the main site, and the prefix of every other site name."""

_LAST_STAGE = 3
_FORBIDDEN_IN_LABEL = frozenset("()（）")


class NameCollision(ValueError):
    """Two or more regions cannot be given distinct site names."""

    def __init__(self, codes: tuple[str, ...], name: str, reason: str = "") -> None:
        self.codes = tuple(sorted(codes))
        self.name = name
        detail = f" ({reason})" if reason else ""
        super().__init__(f"site name {name} is claimed by regions {', '.join(self.codes)}{detail}")


def full_name(label: str) -> str:
    """``信用中国(<label>)``, or 信用中国 for the empty label."""
    return f"{ROOT_NAME}({label})" if label else ROOT_NAME


def site_label(name: str) -> str:
    """The part in parentheses: 信用中国(浙江义乌) -> 浙江义乌; 信用中国 -> ""."""
    if name == ROOT_NAME:
        return ""
    prefix = ROOT_NAME + "("
    if not (name.startswith(prefix) and name.endswith(")") and len(name) > len(prefix) + 1):
        raise ValueError(f"not a site name: {name!r} (expected {ROOT_NAME}(…))")
    return name[len(prefix) : -1]


def derive_names(table: RegionTable, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Map every code of ``table`` to its site name (信用中国(…)).

    ``overrides`` maps a code to the own short part of its label. Raises
    :class:`NameCollision` when names cannot be made unique and :class:`ValueError`
    for an override of an unknown code, of the nation, or with an invalid label.
    The result is cached per (table, overrides); a fresh dict is returned each time.
    """
    frozen = frozenset((overrides or {}).items())
    return dict(_derive(table, frozen))


@functools.lru_cache(maxsize=16)
def _derive(table: RegionTable, overrides: frozenset[tuple[str, str]]) -> dict[str, str]:
    fixed = dict(overrides)
    _check_overrides(table, fixed)
    regions = list(table)
    stage = {r.code: 0 for r in regions}
    while True:
        labels = {r.code: _candidate(table, r, stage[r.code], fixed) for r in regions}
        groups: dict[str, list[Region]] = defaultdict(list)
        for region in regions:
            groups[labels[region.code]].append(region)
        advancing: list[Region] = []
        for label, members in groups.items():
            if len(members) > 1:
                advancing.extend(_losers(label, members, stage, fixed))
        if not advancing:
            return {code: full_name(label) for code, label in labels.items()}
        for region in advancing:
            stage[region.code] += 1


def _losers(
    label: str, members: list[Region], stage: dict[str, int], fixed: dict[str, str]
) -> list[Region]:
    """The members of a colliding group that must advance one stage."""
    codes = tuple(m.code for m in members)
    if any(m.code in fixed for m in members):
        raise NameCollision(codes, full_name(label), "an override collides")

    def key(region: Region) -> tuple[int, int]:
        return stage[region.code], LEVEL_RANK[region.level]

    best = min(map(key, members))
    winners = [m for m in members if key(m) == best]
    losers = [m for m in members if len(winners) > 1 or key(m) != best]
    if any(stage[m.code] >= _LAST_STAGE for m in losers):
        raise NameCollision(codes, full_name(label), "still colliding at the last stage")
    return losers


def _candidate(table: RegionTable, region: Region, stage: int, fixed: Mapping[str, str]) -> str:
    """The label of ``region`` at ``stage`` (see the module docstring)."""
    if region.level == "national":
        return ""
    province = table.province_of(region.code)
    if region.level == "province":
        return fixed.get(region.code) or strip_suffix(region.name)
    province_short = strip_suffix(province.name) if province else ""
    if region.code in fixed:
        return province_short + fixed[region.code]
    own = region.name if stage in (1, 3) else strip_suffix(region.name)
    city = ""
    if stage >= 2:
        parent = table.parent(region.code)
        if parent is not None and parent.level == "city":
            city = strip_suffix(parent.name)
    return province_short + city + own


def _check_overrides(table: RegionTable, overrides: Mapping[str, str]) -> None:
    for code, label in overrides.items():
        if code == NATIONAL_CODE:
            raise ValueError(f"the main site ({NATIONAL_CODE}) is always named {ROOT_NAME}")
        if code not in table:
            raise ValueError(f"name override for unknown region code {code!r}")
        if not label or label != label.strip() or _FORBIDDEN_IN_LABEL & set(label):
            raise ValueError(f"invalid name override {label!r} for region {code}")
