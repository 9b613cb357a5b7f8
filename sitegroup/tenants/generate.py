"""Generate tenant folders (``tenants/<site-id>/site.toml``) from a division list.

``generate_tenants`` reads a ``code,name`` CSV (e.g. ``sitegroup/data/divisions.csv``),
and writes one folder per site: the main site ``main`` (region 100000) plus every
province, city and county of the list, each with a hand-written ``site.toml`` and,
optionally, a sample news item and a sample policy.

Site ids are lowercase ASCII slugs of the pinyin of the short names: a province is
``hubei``, anything below it ``<province>-<own>`` (``zhejiang-hangzhou``,
``zhejiang-yiwu``, ``beijing-chaoyang``); 陕西 is ``shaanxi`` (山西 is ``shanxi``).
Ids are derived over the whole region table, like the names, so they are stable:
where several regions share a slug, every one but the one with the smallest code
gets ``-<region code>`` appended (``liaoning-chaoyang`` is 朝阳市 211300,
``liaoning-chaoyang-211321`` is 朝阳县).
"""

from __future__ import annotations

import csv
import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from sitegroup.regions import (
    NATIONAL_CODE,
    Region,
    RegionTable,
    is_well_formed,
    level_of,
    strip_suffix,
)
from sitegroup.tenants.naming import derive_names

__all__ = [
    "ICP_ABBREVIATIONS",
    "MAIN_SITE_ID",
    "PLACEHOLDER_NAMES",
    "generate_tenants",
    "pinyin_slug",
    "read_divisions",
    "render_site_toml",
    "site_ids",
    "sponsor_of",
]

MAIN_SITE_ID = "main"
"""Site id of the main site 信用中国 (region 100000)."""

PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
"""Rows with these names are grouping placeholders, not regions; they are skipped."""

ICP_ABBREVIATIONS: dict[str, str] = {
    "10": "京",  # the main site
    "11": "京",
    "12": "津",
    "13": "冀",
    "14": "晋",
    "15": "蒙",
    "21": "辽",
    "22": "吉",
    "23": "黑",
    "31": "沪",
    "32": "苏",
    "33": "浙",
    "34": "皖",
    "35": "闽",
    "36": "赣",
    "37": "鲁",
    "41": "豫",
    "42": "鄂",
    "43": "湘",
    "44": "粤",
    "45": "桂",
    "46": "琼",
    "50": "渝",
    "51": "蜀",  # MIIT filing prefixes: 蜀 黔 滇 陇, not 川 贵 云 甘
    "52": "黔",
    "53": "滇",
    "54": "藏",
    "61": "陕",
    "62": "陇",
    "63": "青",
    "64": "宁",
    "65": "新",
}
"""Province code prefix -> the one-character prefix of its ICP filing numbers."""

NEWS_FILE = "site-launch.md"
POLICY_FILE = "credit-system-measures.md"
SAMPLE_DATE = "2026-01-05 09:00"

# Place-name readings pypinyin gets wrong, longest match first (phrases before chars).
_PINYIN_FIXES: dict[str, str] = {
    "陕西": "shaanxi",
    "长子": "zhangzi",
    "单县": "shanxian",
    "涡阳": "guoyang",
    "南乐": "nanle",
    "民乐": "minle",
    "阿图什": "atushi",
    "洪洞": "hongtong",
    "繁峙": "fanshi",
    "闵行": "minhang",
    "长": "chang",
    "朝": "chao",
    "都": "du",
    "曾": "zeng",
}
_FIX_PHRASES = sorted(_PINYIN_FIXES, key=len, reverse=True)
_NON_SLUG = re.compile(r"[^a-z0-9]+")


def pinyin_slug(text: str) -> str:
    """Lowercase ASCII pinyin of ``text`` without separators (湖北 -> hubei)."""
    parts: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            parts.extend(lazy_pinyin("".join(run), style=Style.NORMAL, errors="ignore"))
            run.clear()

    i = 0
    while i < len(text):
        phrase = next((p for p in _FIX_PHRASES if text.startswith(p, i)), None)
        if phrase is None:
            run.append(text[i])
            i += 1
            continue
        flush()
        parts.append(_PINYIN_FIXES[phrase])
        i += len(phrase)
    flush()
    return _NON_SLUG.sub("", "".join(parts).lower())


@functools.lru_cache(maxsize=8)
def _site_ids(table: RegionTable) -> dict[str, str]:
    base: dict[str, str] = {}
    for region in table:
        if region.level == "national":
            base[region.code] = MAIN_SITE_ID
            continue
        province = table.province_of(region.code)
        province_slug = pinyin_slug(strip_suffix(province.name)) if province else ""
        if region.level == "province":
            base[region.code] = province_slug
        else:
            own = pinyin_slug(strip_suffix(region.name))
            base[region.code] = f"{province_slug}-{own}" if province_slug else own
    groups: dict[str, list[str]] = defaultdict(list)
    for code, slug in base.items():
        groups[slug].append(code)
    ids = dict(base)
    for slug, codes in groups.items():
        for code in sorted(codes)[1:]:
            ids[code] = f"{slug}-{code}"
    return ids


def site_ids(table: RegionTable) -> dict[str, str]:
    """Map every code of ``table`` to its site id (cached per table)."""
    return dict(_site_ids(table))


def sponsor_of(region: Region) -> str:
    """The sponsoring body: 国家发展和改革委员会, 湖北省发展和改革委员会, 义乌市发展和改革局."""
    if region.level == "national":
        return "国家发展和改革委员会"
    if region.level == "county":
        return f"{region.name}发展和改革局"
    return f"{region.name}发展和改革委员会"


def _toml_string(value: str) -> str:
    """A TOML basic string literal."""
    out = ['"']
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def render_site_toml(region: Region, *, url: str, source: str) -> str:
    """The text of a generated ``site.toml``."""
    icp = f"{ICP_ABBREVIATIONS.get(region.code[:2], '京')}ICP备00000000号"
    return (
        f"# generated by `sitegroup tenants generate` from {source}\n"
        f"region_code = {_toml_string(region.code)}\n"
        f"url = {_toml_string(url)}\n"
        f"sponsor = {_toml_string(sponsor_of(region))}\n"
        "\n"
        "[filing]\n"
        f"icp = {_toml_string(icp)}\n"
    )


def read_divisions(path: Path, table: RegionTable) -> list[Region]:
    """The regions listed in a division CSV, in file order, without duplicates.

    The CSV needs a header with ``code`` and ``name`` (other columns are ignored, a
    UTF-8 BOM is tolerated). Placeholder rows (:data:`PLACEHOLDER_NAMES`) and
    county-level statistical codes with ``7`` as 5th digit (开发区, 园区, 管理区) are
    skipped. Raises :class:`ValueError` listing, by line, malformed codes, codes not
    in ``table`` and names that are neither the table's name nor its short name.
    """
    path = Path(path)
    problems: list[str] = []
    regions: dict[str, Region] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip().lower() for h in next(reader, [])]
        if "code" not in header or "name" not in header:
            raise ValueError(f"{path}:1: header must contain 'code' and 'name'")
        code_at, name_at = header.index("code"), header.index("name")
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) <= max(code_at, name_at):
                problems.append(f"line {line}: missing code or name")
                continue
            code, name = row[code_at].strip(), row[name_at].strip()
            if not is_well_formed(code):
                problems.append(f"line {line}: malformed region code {code!r}")
                continue
            if name in PLACEHOLDER_NAMES or (level_of(code) == "county" and code[4] == "7"):
                continue
            region = table.get(code)
            if region is None:
                problems.append(f"line {line}: unknown region code {code} ({name})")
            elif name and name not in (region.name, strip_suffix(region.name)):
                problems.append(f"line {line}: region {code} is {region.name}, not {name}")
            else:
                regions.setdefault(code, region)
    if problems:
        raise ValueError(f"{path}: {len(problems)} bad row(s):\n  " + "\n  ".join(problems))
    return list(regions.values())


def generate_tenants(
    divisions: Path,
    out: Path,
    *,
    table: RegionTable | None = None,
    url_template: str = "https://{id}.credit.example.cn/",
    sample_content: bool = True,
    overwrite: bool = False,
) -> list[Path]:
    """Write ``out/<site-id>/site.toml`` for the main site and every listed region.

    ``url_template`` is formatted with ``id`` (the site id) and ``code``. With
    ``sample_content`` each site also gets ``content/news/site-launch.md`` and
    ``content/policies/credit-system-measures.md``. Raises :class:`FileExistsError`
    (before writing anything) if a site folder exists and ``overwrite`` is false;
    with ``overwrite`` the generated files are replaced and other files kept.
    Returns the site folders, main site first, then by region code.
    """
    table = table or RegionTable.default()
    divisions = Path(divisions)
    out = Path(out)
    listed = read_divisions(divisions, table)
    codes = sorted({NATIONAL_CODE, *(r.code for r in listed)})
    ids = _site_ids(table)
    names = derive_names(table)
    targets = [(table[c], out / ids[c]) for c in codes]
    if not overwrite:
        existing = [d.name for _, d in targets if d.exists()]
        if existing:
            shown = ", ".join(existing[:5]) + (" …" if len(existing) > 5 else "")
            raise FileExistsError(
                f"{len(existing)} site folder(s) already exist in {out}: {shown} (use overwrite)"
            )
    for region, site_dir in targets:
        site_dir.mkdir(parents=True, exist_ok=True)
        url = url_template.format(id=ids[region.code], code=region.code)
        _write(site_dir / "site.toml", render_site_toml(region, url=url, source=divisions.name))
        if sample_content:
            site_name = names[region.code]
            _write(site_dir / "content" / "news" / NEWS_FILE, render_news(region, site_name, table))
            _write(site_dir / "content" / "policies" / POLICY_FILE, render_policy(region, table))
    return [d for _, d in targets]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


# -- sample content -------------------------------------------------------------


def _place(region: Region, table: RegionTable) -> str:
    """How the sample texts call the region: 全国, 湖北省, 浙江省义乌市."""
    if region.level == "national":
        return "全国"
    if region.level == "province":
        return region.name
    province = table.province_of(region.code)
    return f"{province.name}{region.name}" if province else region.name


def _doc_number(region: Region) -> str:
    if region.level == "national":
        prefix = ""
    elif region.level == "province":
        prefix = ICP_ABBREVIATIONS.get(region.code[:2], "")
    else:
        prefix = strip_suffix(region.name)[0]
    return f"{prefix}发改信用〔2026〕1号"


def _metadata(pairs: Iterable[tuple[str, str]]) -> str:
    return "".join(f"{key}: {value}\n" for key, value in pairs) + "\n"


def render_news(region: Region, site_name: str, table: RegionTable) -> str:
    """A sample news item announcing the launch of the site (Pelican Markdown)."""
    place = _place(region, table)
    sponsor = sponsor_of(region)
    scope = "全国" if region.level == "national" else region.name
    peers = "全国各级信用网站" if region.level == "national" else "信用中国网站及全国各级信用网站"
    headlines = "各地信用工作动态" if region.level == "national" else "信用中国网站推送的头版要闻"
    title = f"{site_name}网站正式上线运行"
    summary = (
        f"{site_name}网站于2026年1月5日正式上线，集中公开{scope}信用信息，提供信用查询与信用服务。"
    )
    body = f"""\
2026年1月5日，由{sponsor}主办的{site_name}网站正式上线运行。网站按照“数据同步、页面相似、结果相同”的要求，与{peers}统一视觉形象、统一基础栏目、统一数据标准，是{place}社会信用体系建设的重要窗口和信用信息公开的权威平台。

网站设有信用动态、政策法规、双公示、红黑名单、信用承诺、信用服务等基础栏目，集中公开{scope}行政许可、行政处罚等信用信息，并同步展示{headlines}。社会公众可以通过统一社会信用代码或主体名称查询企业和其他组织的信用记录，在线下载带有防伪标识的信用报告，也可以对公示信息提出异议申诉或进行投诉，办理进度全程可查。

{sponsor}有关负责同志表示，网站上线是落实党中央、国务院关于推进社会信用体系建设决策部署的具体举措。下一步，将持续做好信用信息归集共享和公开公示工作，完善信用修复和异议处理机制，加强数据质量管理和网络安全防护，不断提升网站的服务能力和用户体验，让守信者处处受益、失信者处处受限，为营造公平诚信的市场环境和优化营商环境提供有力支撑。

欢迎社会各界关注和使用{site_name}网站，并对网站建设提出宝贵意见和建议。
"""
    return _metadata((("Title", title), ("Date", SAMPLE_DATE), ("Summary", summary))) + body


def render_policy(region: Region, table: RegionTable) -> str:
    """A sample policy document (Pelican Markdown with DocNumber and Issuer)."""
    place = _place(region, table)
    issuer = sponsor_of(region)
    title = f"{place}关于加快推进社会信用体系建设的若干措施"
    if region.level == "national":
        title = "关于加快推进社会信用体系建设的若干措施"
    body = f"""\
为深入贯彻落实党中央、国务院关于推进社会信用体系建设高质量发展的决策部署，进一步健全以信用为基础的新型监管机制，提升{place}社会治理和公共服务水平，结合实际，制定以下措施。

## 一、加强信用信息归集共享

依托信用信息共享平台，全面归集行政许可、行政处罚、红黑名单、信用承诺和抽查检查结果等信用信息，做到应归尽归。行政许可和行政处罚信息自作出决定之日起七个工作日内上网公示，确保数据同步、页面相似、结果相同。

## 二、推进信用信息公开公示

依托信用网站统一公开{place}信用信息，及时同步信用中国网站推送的头版信息，为社会公众提供统一社会信用代码和主体名称查询服务，提供带有防伪标识、可在线核验的信用报告。

## 三、健全守信激励和失信惩戒机制

对诚实守信主体在行政审批、公共资源交易等领域给予便利；对严重失信主体依法依规实施惩戒，做到过惩相当，切实保护市场主体合法权益。

## 四、完善信用修复和异议处理

畅通异议申诉和投诉渠道，实行统一受理、属地办理、限时反馈。对符合条件的信用修复申请及时办理，修复完成后及时停止公示。

## 五、强化组织保障

各有关部门要明确责任分工，加强工作协同和数据质量管理，做好网络与信息安全保护。本措施自印发之日起施行，由{issuer}负责解释。
"""
    meta = (
        ("Title", title),
        ("Date", SAMPLE_DATE),
        ("DocNumber", _doc_number(region)),
        ("Issuer", issuer),
    )
    return _metadata(meta) + body
