"""GB/T 2260 region codes: levels, the parent chain and short names.

Pure: nothing here touches the file system except the explicit loaders
:meth:`RegionTable.from_csv` and :meth:`RegionTable.default`.

A code is six ASCII digits ``PPCCXX``. ``PP0000`` is a province-level division,
``PPCC00`` a prefecture-level city, anything else a county-level division.
``100000`` (:data:`NATIONAL_CODE`) stands for the whole nation, i.e. the main site
信用中国; it is not part of GB/T 2260 and every :class:`RegionTable` adds it.

The parent of a county ``PPCCXX`` is the city ``PPCC00`` when the table holds it,
otherwise the province ``PP0000``; the parent of a city is its province; the parent
of a province is the nation. Districts of the municipalities (110105 朝阳区: 110100
is no region) and province-administered county-level cities (429004 仙桃市, 4690xx,
6590xx) therefore hang directly under their province.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

__all__ = [
    "NATIONAL_CODE",
    "NATIONAL_NAME",
    "PROVINCE_SHORT_NAMES",
    "Level",
    "Region",
    "RegionTable",
    "is_well_formed",
    "level_of",
    "strip_suffix",
]

NATIONAL_CODE = "100000"
"""Pseudo region code of the whole nation (the main site 信用中国)."""

NATIONAL_NAME = "中华人民共和国"
"""Name of the national region in a :class:`RegionTable`."""

Level = Literal["national", "province", "city", "county"]

LEVEL_RANK: dict[str, int] = {"national": 0, "province": 1, "city": 2, "county": 3}
"""Order of the levels, highest first (used to break naming ties)."""

PROVINCE_SHORT_NAMES: dict[str, str] = {
    "北京市": "北京",
    "天津市": "天津",
    "河北省": "河北",
    "山西省": "山西",
    "内蒙古自治区": "内蒙古",
    "辽宁省": "辽宁",
    "吉林省": "吉林",
    "黑龙江省": "黑龙江",
    "上海市": "上海",
    "江苏省": "江苏",
    "浙江省": "浙江",
    "安徽省": "安徽",
    "福建省": "福建",
    "江西省": "江西",
    "山东省": "山东",
    "河南省": "河南",
    "湖北省": "湖北",
    "湖南省": "湖南",
    "广东省": "广东",
    "广西壮族自治区": "广西",
    "海南省": "海南",
    "重庆市": "重庆",
    "四川省": "四川",
    "贵州省": "贵州",
    "云南省": "云南",
    "西藏自治区": "西藏",
    "陕西省": "陕西",
    "甘肃省": "甘肃",
    "青海省": "青海",
    "宁夏回族自治区": "宁夏",
    "新疆维吾尔自治区": "新疆",
    "台湾省": "台湾",
    "香港特别行政区": "香港",
    "澳门特别行政区": "澳门",
}
"""The 34 province-level divisions: full name -> standard short name."""

# Longest first; exactly one of them is stripped.
_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "新区",
    "林区",
    "矿区",
    "盟",
    "省",
    "市",
    "县",
    "区",
)
_AUTONOMOUS_SUFFIXES = frozenset({"自治州", "自治县", "自治旗"})

# The 55 officially recognised minorities (without the trailing 族), plus 各.
ETHNIC_GROUPS: tuple[str, ...] = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗",
    "瑶", "白", "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山",
    "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌",
    "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒",
    "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙",
    "鄂伦春", "赫哲", "门巴", "珞巴", "基诺", "各",
)  # fmt: skip

_ETHNIC_ALTERNATION = "|".join(sorted(map(re.escape, ETHNIC_GROUPS), key=len, reverse=True))
# A trailing run of "<group>族"; multi-character groups may also appear without 族
# (鄂伦春自治旗, 塔什库尔干塔吉克自治县).
_MULTI_CHAR_ALTERNATION = "|".join(
    sorted((re.escape(g) for g in ETHNIC_GROUPS if len(g) > 1), key=len, reverse=True)
)
_ETHNIC_RUN = re.compile(rf"(?:(?:{_ETHNIC_ALTERNATION})族|(?:{_MULTI_CHAR_ALTERNATION}))+$")

# Names the generic suffix rule gets wrong (the "suffix" is part of the proper name).
_SHORT_NAME_EXCEPTIONS: dict[str, str] = {
    "万柏林区": "万柏林",  # 太原: 万柏林 + 区, not 万柏 + 林区
    "大柴旦行政委员会": "大柴旦",
    "中沙群岛的岛礁及其海域": "中沙群岛",
}

_MIN_SHORT_LEN = 2


def is_well_formed(code: str) -> bool:
    """True if ``code`` is exactly six ASCII digits."""
    return isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()


def level_of(code: str) -> Level:
    """The level of a well-formed code.

    ``100000`` is national, ``PP0000`` a province, ``PPCC00`` a city, anything else a
    county. Raises :class:`ValueError` for a malformed code.
    """
    if not is_well_formed(code):
        raise ValueError(f"malformed region code {code!r}: expected six ASCII digits")
    if code == NATIONAL_CODE:
        return "national"
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def strip_suffix(name: str) -> str:
    """The short name of a division name.

    Province-level names map through :data:`PROVINCE_SHORT_NAMES` (湖北省 -> 湖北,
    广西壮族自治区 -> 广西). Other names lose exactly one suffix, longest first
    (特别行政区 自治区 自治州 自治县 自治旗 地区 新区 林区 矿区 盟 省 市 县 区); with
    an 自治州/自治县/自治旗 suffix (or a stem ending in 族, 梅里斯达斡尔族区) the
    ethnic-group names before it go too (恩施土家族苗族自治州 -> 恩施). A suffix is only
    stripped if at least two characters remain, else the next shorter matching suffix
    is tried (城区 stays 城区, 清新区 -> 清新 rather than 清); 旗 is kept (达拉特旗).
    A few names the rule gets wrong are listed explicitly (万柏林区 -> 万柏林).
    """
    name = name.strip()
    if name in PROVINCE_SHORT_NAMES:
        return PROVINCE_SHORT_NAMES[name]
    if name in _SHORT_NAME_EXCEPTIONS:
        return _SHORT_NAME_EXCEPTIONS[name]
    for suffix in _SUFFIXES:
        if not name.endswith(suffix):
            continue
        stem = name[: -len(suffix)]
        if suffix in _AUTONOMOUS_SUFFIXES or stem.endswith("族"):
            stem = _strip_ethnic_groups(stem)
        if len(stem) >= _MIN_SHORT_LEN:
            return stem
    return name


def _strip_ethnic_groups(stem: str) -> str:
    """Remove the trailing ethnic-group names of an autonomous division's stem."""
    match = _ETHNIC_RUN.search(stem)
    if match is None:
        return stem
    rest = stem[: match.start()]
    if len(rest) >= _MIN_SHORT_LEN:
        return rest
    # The name *is* the ethnic group (鄂温克族自治旗, 鄂伦春自治旗): keep it, minus 族.
    return stem.removesuffix("族")


@dataclass(frozen=True, slots=True)
class Region:
    """One division: its 6-digit code, official name and level."""

    code: str
    name: str
    level: Level

    @property
    def province_code(self) -> str:
        """Code of the province this region lies in (``100000`` for the nation)."""
        if self.level == "national":
            return NATIONAL_CODE
        return self.code[:2] + "0000"

    @property
    def short_name(self) -> str:
        """:func:`strip_suffix` of the name."""
        return strip_suffix(self.name)


class RegionTable:
    """An immutable set of regions keyed by code, always including the nation."""

    __slots__ = ("_regions", "_sorted")

    def __init__(self, regions: Iterable[Region]) -> None:
        by_code: dict[str, Region] = {}
        for region in regions:
            if region.code in by_code:
                raise ValueError(f"duplicate region code {region.code}")
            by_code[region.code] = region
        by_code.setdefault(NATIONAL_CODE, Region(NATIONAL_CODE, NATIONAL_NAME, "national"))
        self._regions = by_code
        self._sorted = tuple(by_code[c] for c in sorted(by_code))

    # -- loading ---------------------------------------------------------------

    @classmethod
    def from_csv(cls, path: Path) -> RegionTable:
        """Load a ``code,name`` CSV (other columns ignored, BOM tolerated).

        Raises :class:`ValueError` naming the file and line of a bad row (malformed
        code, empty name, duplicate code) or a missing ``code``/``name`` header.
        """
        path = Path(path)
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return cls(_parse_rows(fh, str(path)))

    @classmethod
    def from_text(cls, text: str, source: str = "<text>") -> RegionTable:
        """Like :meth:`from_csv`, from CSV text."""
        return cls(_parse_rows(io.StringIO(text.removeprefix("\ufeff")), source))

    @classmethod
    @functools.cache
    def default(cls) -> RegionTable:
        """The bundled table ``sitegroup/data/divisions.csv`` (loaded once)."""
        resource = resources.files("sitegroup").joinpath("data", "divisions.csv")
        return cls.from_text(resource.read_text(encoding="utf-8"), "sitegroup/data/divisions.csv")

    # -- lookups ---------------------------------------------------------------

    def get(self, code: str) -> Region | None:
        """The region with ``code``, or None."""
        return self._regions.get(code)

    def __getitem__(self, code: str) -> Region:
        return self._regions[code]

    def __contains__(self, code: object) -> bool:
        return code in self._regions

    def __iter__(self) -> Iterator[Region]:
        return iter(self._sorted)

    def __len__(self) -> int:
        return len(self._sorted)

    def __repr__(self) -> str:
        return f"<RegionTable of {len(self)} regions>"

    def ancestors(self, code: str) -> list[Region]:
        """The regions above ``code``, nearest first, ending with the nation.

        Only codes present in the table are returned; ``code`` itself need not be in
        the table but must be well formed. The nation has no ancestors.
        """
        level = level_of(code)
        if level == "national":
            return []
        candidates: list[str] = []
        if level == "county":
            candidates.append(code[:4] + "00")
        if level in ("county", "city"):
            candidates.append(code[:2] + "0000")
        chain = [self._regions[c] for c in candidates if c in self._regions]
        chain.append(self._regions[NATIONAL_CODE])
        return chain

    def parent(self, code: str) -> Region | None:
        """The nearest ancestor of ``code`` (None for the nation)."""
        chain = self.ancestors(code)
        return chain[0] if chain else None

    def province_of(self, code: str) -> Region | None:
        """The province ``code`` lies in (itself for a province, None for the nation)."""
        if level_of(code) == "national":
            return None
        return self._regions.get(code[:2] + "0000")


def _parse_rows(fh: Iterable[str], source: str) -> Iterator[Region]:
    reader = csv.reader(fh)
    header = next(reader, None)
    if header is None:
        raise ValueError(f"{source}: empty file, expected a 'code,name' header")
    columns = [h.strip().lower() for h in header]
    if "code" not in columns or "name" not in columns:
        raise ValueError(f"{source}:1: header must contain 'code' and 'name', got {header}")
    code_at, name_at = columns.index("code"), columns.index("name")
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(code_at, name_at):
            raise ValueError(f"{source}:{line}: expected columns 'code' and 'name', got {row}")
        code, name = row[code_at].strip(), row[name_at].strip()
        if not is_well_formed(code):
            raise ValueError(f"{source}:{line}: malformed region code {code!r}")
        if not name:
            raise ValueError(f"{source}:{line}: empty name for region {code}")
        if code in seen:
            raise ValueError(
                f"{source}:{line}: duplicate region code {code} (first on line {seen[code]})"
            )
        seen[code] = line
        yield Region(code, name, level_of(code))
