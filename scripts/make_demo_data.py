"""Write the demo push data into demo/: headlines and 双公示 / 红黑名单 records.

Everything is synthetic and deterministic (``random.Random(20261123)``): running this
again gives byte-identical files. The files are committed; run it only to change them:

    .venv/bin/python scripts/make_demo_data.py            # writes demo/
    .venv/bin/python scripts/make_demo_data.py --out DIR  # writes DIR/ instead

Output (see demo/README.md for the push commands):

- ``headlines/YYYY-MM-DD-<id>.md`` — 8 头版 headlines, YAML front matter + Markdown body;
  ``headlines-update.jsonl`` — one edit (same id, title "(更新)") and one retraction.
- ``records/licenses.csv`` — 行政许可, UTF-8, national 双公示 column names;
- ``records/penalties-gb18030.csv`` — 行政处罚, GB18030, with natural persons (身份证),
  empty and already-passed 公示截止期, and a few national authorities' penalties (100000);
- ``records/lists.jsonl`` — 红名单 / 黑名单 (``"kind": "redlist" | "blacklist"``);
- ``records/penalties-legacy.csv`` — 行政处罚 in the older template's column names;
- ``records/bad-rows.csv`` — 6 penalties, each with exactly one deliberate error:

  1. 统一社会信用代码 with a wrong check character;
  2. 处罚决定日期 ``2026-02-30`` (no such day);
  3. 处罚决定日期 ``2027-01-01`` (in the future);
  4. 地方编码 ``999999`` (no such region);
  5. 罚款金额(万元) negative (``-0.5``);
  6. 行政处罚决定书文号 missing (empty).

Records are spread over the demo tenants' regions (``tenants/*/site.toml``) and a few
regions without a site of their own (330106 西湖区 -> 信用中国(浙江杭州), 330783 东阳市
under 金华 -> 信用中国(浙江) …). Only a few national authorities' penalties use 100000.
Every 统一社会信用代码 is valid (GB 32100-2015) and carries its region code in positions
3-8; every 身份证 number has a valid GB 11643 check digit and the region's prefix.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import shutil
import sys
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitegroup.regions import NATIONAL_CODE, Region, RegionTable  # noqa: E402

SEED = 20261123
TODAY = date(2026, 11, 23)
DECISION_FIRST = date(2025, 6, 1)
DECISION_LAST = date(2026, 11, 20)

# Regions without a site of their own; each has an ancestor site in the demo group.
EXTRA_REGIONS = (
    "330106",  # 杭州市西湖区 -> 信用中国(浙江杭州)
    "330108",  # 杭州市滨江区 -> 信用中国(浙江杭州)
    "330700",  # 金华市 (no site) -> 信用中国(浙江)
    "330783",  # 东阳市, under 金华 -> 信用中国(浙江)
    "320211",  # 无锡市滨湖区 -> 信用中国(江苏无锡)
    "320282",  # 宜兴市 -> 信用中国(江苏无锡)
    "360481",  # 瑞昌市 -> 信用中国(江西九江)
    "370881",  # 曲阜市 -> 信用中国(山东济宁)
    "420100",  # 武汉市 (no site) -> 信用中国(湖北)
    "420106",  # 武汉市武昌区 -> 信用中国(湖北)
    "610113",  # 西安市雁塔区 -> 信用中国(陕西)
    "130682",  # 定州市 -> 信用中国(河北)
)

LEVEL_WEIGHT = {"province": 1, "city": 3, "county": 3}

# -- check characters ---------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def uscc_check_char(first17: str) -> str:
    """GB 32100-2015 check character of the first 17 characters."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    """GB 11714 check character of an organisation code's first 8 characters."""
    total = sum(int(c, 36) * w for c, w in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def id_check_char(first17: str) -> str:
    """GB 11643 check character of an 18-digit 公民身份号码."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


# -- data pools -----------------------------------------------------------------------

PROVINCE_ABBR = {
    "130000": "冀",
    "320000": "苏",
    "330000": "浙",
    "360000": "赣",
    "370000": "鲁",
    "420000": "鄂",
    "610000": "陕",
}
CITY_ABBR = {"320200": "锡", "360400": "浔", "370800": "济宁"}
# Customs district of each demo province: name, its seat, abbreviation in document numbers.
CUSTOMS = {
    "130000": ("石家庄海关", "130100", "石关"),
    "320000": ("南京海关", "320100", "宁关"),
    "330000": ("杭州海关", "330100", "杭关"),
    "360000": ("南昌海关", "360100", "昌关"),
    "370000": ("济南海关", "370100", "济关"),
    "420000": ("武汉海关", "420100", "汉关"),
    "610000": ("西安海关", "610100", "西关"),
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
    "魏苏吕丁任沈姚卢傅钟姜崔谭陆范汪廖石金贾夏方邹熊白孟秦邱侯江尹薛段雷龙史陶贺毛郝顾龚邵钱"
)
GIVEN = (
    "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "华", "慧", "建国", "建华", "国强", "海燕", "晓东", "志刚", "文博", "雪梅",
    "春生", "立新", "玉兰", "红霞", "永胜", "德明", "子涵", "浩然", "思远", "佳琪", "宇航",
    "振华", "凤英", "桂芳", "俊杰", "晓燕", "利民", "卫东", "建平", "少华", "亚楠", "鹏飞",
)  # fmt: skip
BRAND_WORDS = (
    "云帆", "恒兴", "华锐", "瑞丰", "鼎盛", "安泰", "信达", "宏远", "博创", "汇通", "金禾",
    "绿源", "天诚", "众联", "启明", "嘉禾", "聚力", "新程", "海纳", "德润", "中盈", "明远",
    "晨光", "盛达", "永昌", "康宁", "百川", "锦程", "智汇", "优品", "青禾", "润泽", "长丰",
    "星拓", "远航", "睿信", "鸿运", "泰和", "融创", "禾丰", "蓝湾", "山海", "九鼎", "同益",
    "兴农", "万象", "和美", "利达", "千禾", "至诚",
)  # fmt: skip
INDUSTRIES = (
    "数据科技", "网络科技", "信息技术", "生物科技", "新材料科技", "环保科技", "农业科技",
    "精密机械", "机械制造", "小商品贸易", "农业开发", "生态农业", "食品", "餐饮管理",
    "建筑工程", "物流", "化工", "医药", "纺织", "服饰", "电子商务", "商贸", "汽车服务",
    "印务", "家居用品", "五金制品", "电子", "建材", "农产品", "饮品", "酒店管理",
    "美容服务", "体育文化",
)  # fmt: skip
AGRICULTURE = frozenset({"农业开发", "生态农业", "农业科技", "农产品"})

# Authority kinds: how the authority is named per level.
MARKET, ENV, SAFETY, TRANSPORT, HEALTH, TAX, URBAN, HOUSING, HR, COURT, CUSTOMS_KIND = (
    "market", "env", "safety", "transport", "health", "tax", "urban", "housing", "hr",
    "court", "customs",
)  # fmt: skip
CREDIT_CENTRE = "credit"


@dataclass(frozen=True)
class Org:
    """A named organisation with its 统一社会信用代码."""

    name: str
    uscc: str


@dataclass
class Subject:
    """A 行政相对人 (legal person, individual business or natural person)."""

    name: str
    category: str  # 法人及非法人组织 | 个体工商户 | 自然人
    uscc: str
    representative: str
    id_number: str
    region: str
    industry: str = ""


class Maker:
    """All generators share one random stream, so one seed gives one data set."""

    def __init__(self, table: RegionTable, rng: random.Random) -> None:
        self.table = table
        self.rng = rng
        self.usccs: set[str] = set()
        self.names: set[str] = set()
        self.orgs: dict[tuple[str, str], Org] = {}
        self.doc_counters: dict[str, int] = {}
        self.companies: dict[str, list[Subject]] = {}

    # -- codes ----------------------------------------------------------------

    def org_code(self, modern: bool) -> str:
        rng = self.rng
        if modern:  # codes issued since 2015 start with MA
            body = "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
        else:
            body = "".join(rng.choice("0123456789") for _ in range(8))
        return body + org_code_check_char(body)

    def uscc(self, prefix: str, region: str, *, modern: bool = True) -> str:
        while True:
            first17 = prefix + region + self.org_code(modern)
            code = first17 + uscc_check_char(first17)
            if code not in self.usccs:
                self.usccs.add(code)
                return code

    def id_number(self, region: str) -> str:
        rng = self.rng
        birth = date(1962, 1, 1) + timedelta(days=rng.randrange(0, 365 * 38))
        first17 = f"{region}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
        return first17 + id_check_char(first17)

    # -- names ----------------------------------------------------------------

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def region(self, code: str) -> Region:
        return self.table[code]

    def city_of(self, code: str) -> Region | None:
        parent = self.table.parent(code)
        return parent if parent is not None and parent.level == "city" else None

    def place(self, code: str) -> str:
        """Full place prefix of an authority: 浙江省, 杭州市, 杭州市西湖区, 义乌市."""
        region = self.region(code)
        city = self.city_of(code)
        if region.level == "county" and region.name.endswith("区") and city is not None:
            return city.name + region.name
        return region.name

    def company_prefix(self, code: str) -> str:
        """How a company name starts: 浙江, 杭州 (also for its districts), 义乌市."""
        region = self.region(code)
        if region.level == "national":
            return "中国"
        if region.level == "county":
            city = self.city_of(code)
            if region.name.endswith("区") and city is not None:
                return city.short_name
            return region.name
        return region.short_name

    def abbr(self, code: str) -> str:
        """Short form used in document numbers: 浙, 杭, 杭西, 义."""
        region = self.region(code)
        if region.level == "province":
            return PROVINCE_ABBR.get(code, region.short_name[0])
        if region.level == "city":
            return CITY_ABBR.get(code, region.short_name[0])
        city = self.city_of(code)
        if region.name.endswith("区") and city is not None:
            city_abbr = self.abbr(city.code)
            if region.short_name[0] == city_abbr[-1]:  # 武汉 + 武昌区 -> 武昌, not 武武
                return region.short_name
            return city_abbr + region.short_name[0]
        return region.short_name[0]

    def authority(self, kind: str, code: str) -> Org:
        """The authority of ``kind`` in region ``code`` (cached: one USCC per authority)."""
        # One customs district per province: cache it under the province.
        key = (kind, self.region(code).province_code if kind == CUSTOMS_KIND else code)
        if key in self.orgs:
            return self.orgs[key]
        region = self.region(code)
        level = region.level
        place = self.place(code)
        uscc_region, prefix = code, "11"
        if kind == MARKET:
            name = place + "市场监督管理局"
        elif kind == ENV:
            city = self.city_of(code)
            if level == "province":
                name = place + "生态环境厅"
            elif level == "county" and city is not None:
                name = f"{city.name}生态环境局{region.short_name}分局"
            else:
                name = place + "生态环境局"
        elif kind == SAFETY:
            name = place + ("应急管理厅" if level == "province" else "应急管理局")
        elif kind == TRANSPORT:
            name = place + ("交通运输厅" if level == "province" else "交通运输局")
        elif kind == HEALTH:
            name = place + ("卫生健康局" if level == "county" else "卫生健康委员会")
        elif kind == HOUSING:
            name = place + ("住房和城乡建设厅" if level == "province" else "住房和城乡建设局")
        elif kind == HR:
            suffix = "人力资源和社会保障厅" if level == "province" else "人力资源和社会保障局"
            name = place + suffix
        elif kind == TAX:
            name = f"国家税务总局{place}税务局"
        elif kind == URBAN:
            name = place + "综合行政执法局"
        elif kind == COURT:
            court = {"province": "高级人民法院", "city": "中级人民法院"}.get(level, "人民法院")
            name = place + court
        elif kind == CUSTOMS_KIND:
            name, uscc_region, _ = CUSTOMS[region.province_code]
        elif kind == CREDIT_CENTRE:
            name, prefix = place + "公共信用信息服务中心", "12"
        else:
            raise ValueError(kind)
        org = Org(name, self.uscc(prefix, uscc_region, modern=False))
        self.orgs[key] = org
        return org

    def national_authority(self, name: str) -> Org:
        key = ("national", name)
        if key not in self.orgs:
            self.orgs[key] = Org(name, self.uscc("11", NATIONAL_CODE, modern=False))
        return self.orgs[key]

    def source_unit(self, authority: Org, code: str) -> Org:
        """数据来源单位: mostly the authority itself, sometimes the credit centre."""
        if code != NATIONAL_CODE and self.rng.random() < 0.2:
            return self.authority(CREDIT_CENTRE, code)
        return authority

    def doc_number(self, key: str, year: int) -> int:
        """Next number in an authority's series for ``year`` (strictly increasing)."""
        counter_key = f"{key}|{year}"
        current = self.doc_counters.get(counter_key, self.rng.randrange(8, 160))
        current += self.rng.randrange(1, 9)
        self.doc_counters[counter_key] = current
        return current

    # -- subjects -------------------------------------------------------------

    def new_company(self, code: str, *, industry: str | None = None) -> Subject:
        rng = self.rng
        prefix = self.company_prefix(code)
        while True:
            ind = industry or rng.choice(INDUSTRIES)
            roll = rng.random()
            if code == NATIONAL_CODE:
                name = f"中国{rng.choice(BRAND_WORDS)}{ind}集团有限公司"
            elif roll < 0.08:
                name = f"{prefix}{rng.choice(BRAND_WORDS)}{ind}股份有限公司"
            elif roll < 0.14 and ind in AGRICULTURE:
                name = f"{prefix}{rng.choice(BRAND_WORDS)}农业专业合作社"
            else:
                name = f"{prefix}{rng.choice(BRAND_WORDS)}{ind}有限公司"
            if name not in self.names:
                break
        self.names.add(name)
        uscc_prefix = "93" if name.endswith("合作社") else "91"
        subject = Subject(
            name=name,
            category="法人及非法人组织",
            uscc=self.uscc(uscc_prefix, code),
            representative=self.person(),
            id_number="",
            region=code,
            industry=ind,
        )
        self.companies.setdefault(code, []).append(subject)
        return subject

    def company(
        self, code: str, industries: tuple[str, ...] = (), *, reuse: float = 0.3
    ) -> Subject:
        """A company in ``code`` of one of ``industries`` (any if empty), often a known one."""
        pool = [
            s for s in self.companies.get(code, []) if not industries or s.industry in industries
        ]
        if pool and self.rng.random() < reuse:
            return self.rng.choice(pool)
        return self.new_company(code, industry=self.rng.choice(industries or INDUSTRIES))

    def individual_business(self, code: str, shops: tuple[str, ...]) -> Subject:
        rng = self.rng
        while True:
            owner = self.person()
            name = f"{self.company_prefix(code)}{rng.choice(BRAND_WORDS)}{rng.choice(shops)}"
            if name not in self.names:
                break
        self.names.add(name)
        return Subject(name, "个体工商户", self.uscc("92", code), owner, "", code)

    def natural_person(self, code: str) -> Subject:
        return Subject(self.person(), "自然人", "", "", self.id_number(code), code)


# -- dates and numbers ------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def wan(yuan: float) -> str:
    """Yuan as 万元 without trailing zeros: 3500 -> 0.35."""
    text = f"{yuan / 10000:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def weighted_regions(table: RegionTable, codes: Iterable[str]) -> list[tuple[str, int]]:
    result = []
    for code in codes:
        region = table[code]
        if region.level == "national":
            continue
        weight = LEVEL_WEIGHT[region.level] + (1 if code == "330782" else 0)
        result.append((code, weight))
    return result


def tenant_regions(tenants_dir: Path) -> list[str]:
    codes = []
    for path in sorted(tenants_dir.glob("*/site.toml")):
        with path.open("rb") as fh:
            codes.append(str(tomllib.load(fh)["region_code"]))
    return codes


# -- headlines ------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    id: str
    date: str
    title: str
    summary: str
    body: tuple[str, ...]


HEADLINES: tuple[Headline, ...] = (
    Headline(
        id="ndrc-credit-system-high-quality",
        date="2026-11-23",
        title="国家发展改革委部署推进社会信用体系建设高质量发展",
        summary="会议要求以信用法治建设为主线，加快完善覆盖全社会的信用信息归集共享机制。",
        body=(
            "近日，国家发展改革委召开推进社会信用体系建设高质量发展工作会议，总结近年来"
            "社会信用体系建设取得的成效，部署下一阶段重点任务。",
            "会议指出，各地区各部门坚持以信用法治建设为主线，公共信用信息归集共享持续扩面，"
            "“双公示”数据质量稳步提升，守信激励和失信惩戒机制日益完善，信用在优化营商环境、"
            "服务实体经济中的作用更加凸显。",
            "会议强调，要加快构建以信用为基础的新型监管机制，推进信用分级分类监管在更多领域落地；"
            "要规范失信惩戒措施，严格依法依规认定失信主体，坚决防止失信惩戒泛化滥用；"
            "要健全信用修复机制，畅通异议处理渠道，切实保护信用主体合法权益。",
            "会议要求，各级信用网站要坚持“数据同步、页面相似、结果相同”，"
            "进一步提升信用信息公示和查询服务水平，为社会公众提供权威、便捷的信用服务。",
            "会议还对做好年底前信用信息归集、信用网站安全运维等工作作出具体安排。",
        ),
    ),
    Headline(
        id="credit-repair-one-stop-service",
        date="2026-11-21",
        title="信用修复“一网通办”服务持续优化 办理时限进一步压缩",
        summary="各级信用网站统一信用修复申请入口，行政处罚信息信用修复平均办理时间明显缩短。",
        body=(
            "记者从有关部门获悉，信用修复“一网通办”服务持续优化，信用主体可通过“信用中国”"
            "网站及各地方信用网站统一入口在线提交修复申请，实现一次申请、全程网办。",
            "据介绍，目前行政处罚信息信用修复已实现申请材料电子化、审核流程标准化，"
            "各地对符合条件的申请及时办理并同步更新公示信息，平均办理时间较以往明显缩短。",
            "有关负责人表示，信用修复是失信主体纠正失信行为、重塑良好信用的重要途径。"
            "下一步将继续加强部门协同，推动修复结果在各级信用网站同步更新，"
            "避免“一处修复、多处仍在公示”的问题。",
            "有关部门提醒，信用修复申请须通过官方渠道免费办理，任何机构和个人不得以“信用修复”为名收取费用，对冒用官方名义开展有偿修复的行为，公众可通过信用网站进行投诉举报。",
        ),
    ),
    Headline(
        id="credit-financing-for-small-firms",
        date="2026-11-19",
        title="多地深化“信易贷”服务 助力中小微企业融资提质扩面",
        summary="依托全国融资信用服务平台，多地推动涉企信用信息共享应用，中小微企业信用贷款规模稳步增长。",
        body=(
            "今年以来，多地依托全国中小企业融资综合信用服务平台，持续深化“信易贷”服务，"
            "推动纳税、社保、水电气等涉企信用信息依法依规向金融机构共享，"
            "有效缓解银企信息不对称问题。",
            "在浙江、江苏等地，地方融资信用服务平台与银行业金融机构实现系统对接，"
            "企业在线授权后即可完成信用画像，金融机构据此推出纯信用、免抵押的专属信贷产品，"
            "首贷户和信用贷款占比持续提升。",
            "业内人士表示，信用信息共享应用是破解中小微企业融资难题的关键。"
            "下一步，各地将进一步扩大信息归集范围，完善风险分担机制，"
            "让更多守信经营主体享受到便捷高效的金融服务。",
            "有关部门提醒，企业应依法诚信经营，按时履行纳税等义务，"
            "珍惜自身信用记录，以良好信用换取更多发展机遇。",
        ),
    ),
    Headline(
        id="disclosure-data-standard-unified",
        date="2026-11-18",
        title="行政许可和行政处罚信息公示标准进一步统一",
        summary="“双公示”数据按照全国统一标准归集报送，各级信用网站公示内容和口径保持一致。",
        body=(
            "为进一步提升“双公示”信息质量，有关部门近日印发通知，要求各地区各部门严格按照"
            "全国统一的行政许可、行政处罚信息数据标准归集和报送数据。",
            "通知明确，行政许可和行政处罚信息应在作出决定之日起七个工作日内上网公示，"
            "统一社会信用代码、决定文书号、决定日期等关键字段必须完整准确；"
            "涉及自然人的信息应当依法进行脱敏处理，防止个人信息泄露。",
            "通知要求，各级信用网站要做好数据校验，对格式错误、字段缺失的数据及时退回并反馈"
            "数据来源单位，确保同一条信息在国家、省、市、县各级信用网站公示内容一致、"
            "更新同步。",
            "据悉，数据标准统一后，同一行政处罚信息的公示截止日期将由系统根据决定日期和失信严重程度统一计算，到期后在各级信用网站同步停止公示，避免出现公示期限不一致的情况。",
        ),
    ),
    Headline(
        id="credit-commitment-approval",
        date="2026-11-16",
        title="信用承诺制在涉企审批服务领域加快推行",
        summary="各地梳理可实行告知承诺的审批和证明事项清单，承诺履约情况纳入信用记录。",
        body=(
            "近期，多地加快推行信用承诺制度，在涉企经营许可、证明事项办理等领域全面梳理"
            "可实行告知承诺的事项清单，并向社会公开。",
            "按照要求，申请人自愿作出信用承诺的，审批部门可以依法简化审批流程、"
            "减少证明材料，实现“承诺即办”。承诺内容和履约情况将记入信用记录，"
            "作为事中事后监管的重要依据。",
            "有关部门表示，对虚假承诺或违背承诺的申请人，将依法撤销相关审批决定，"
            "并视情节纳入失信记录；对守信主体则在后续审批服务中给予便利，"
            "形成“守信者处处受益”的良好氛围。",
            "据了解，部分地区已将信用承诺书统一归集至公共信用信息平台，并在各级信用网站公开，接受社会监督。相关部门将定期开展承诺履约情况核查，核查结果依法记入信用记录。",
            "业内人士认为，推行信用承诺制度有利于降低制度性交易成本，让经营主体办事更便捷，同时倒逼其增强诚信守诺意识。",
        ),
    ),
    Headline(
        id="dishonest-list-management",
        date="2026-11-14",
        title="严重失信主体名单管理进一步规范 坚持依法依规认定",
        summary="严重失信主体名单的认定依据、程序、标准和移出条件须有法律法规依据并向社会公开。",
        body=(
            "有关部门近日强调，严重失信主体名单的认定必须严格以法律、法规或者党中央、"
            "国务院政策文件为依据，认定标准、程序、惩戒措施和移出条件应当向社会公开。",
            "在作出认定决定前，认定部门应当告知当事人认定的事实、理由、依据和拟采取的惩戒措施，"
            "听取当事人陈述申辩；名单信息在各级信用网站统一公示，并标明有效期。",
            "对已纠正失信行为、履行相关义务的主体，符合条件的应当及时移出名单并停止公示，"
            "同时将移出信息推送至相关部门，保障信用主体的合法权益。",
            "业内专家认为，规范名单管理有利于防止失信惩戒措施泛化，"
            "使失信惩戒真正做到过惩相当、宽严适度。",
            "各级信用网站将按照统一要求，对名单信息实行到期自动停止公示，并在信用主体查询页面清晰标注名单名称、认定部门和有效期，方便公众准确了解相关信息。",
        ),
    ),
    Headline(
        id="credit-demonstration-cities-review",
        date="2026-11-12",
        title="社会信用体系建设示范区创建评估工作启动",
        summary="评估将重点考察信用监管、信用惠民便企和信用信息共享应用等方面的创新做法和实际成效。",
        body=(
            "新一轮社会信用体系建设示范区创建评估工作日前启动。"
            "评估采取材料审核、数据监测和实地核查相结合的方式进行。",
            "据了解，评估将重点考察各地在信用监管、信用惠民便企、信用信息共享应用、"
            "信用服务市场培育等方面的创新做法和实际成效，同时关注城市信用状况监测排名和"
            "“双公示”数据报送质量。",
            "有关负责人表示，开展示范区创建评估旨在总结推广可复制的经验做法，"
            "以点带面推动全国社会信用体系建设整体水平提升。",
            "根据工作安排，评估结果将向社会公布，对成效突出的地区予以通报表扬，对工作推进缓慢、数据报送质量不高的地区加强督促指导。",
            "各地表示，将以此次评估为契机，对照评估要求查漏补缺，进一步完善信用信息平台和信用网站功能，推动信用建设成果更多惠及经营主体和人民群众。",
        ),
    ),
    Headline(
        id="integrity-publicity-in-communities",
        date="2026-11-10",
        title="诚信宣传进社区进企业活动在各地广泛开展",
        summary="各地通过信用知识讲座、典型案例发布等形式，引导经营主体和群众增强诚信意识。",
        body=(
            "近段时间，各地围绕诚信建设主题，广泛开展诚信宣传进社区、进企业、进校园活动。",
            "活动中，各地信用工作机构通过举办信用知识讲座、发布诚信典型案例、"
            "设立信用查询和信用修复咨询服务台等方式，向群众和经营主体普及信用知识，"
            "解答信用报告查询、异议处理等方面的问题。",
            "不少企业负责人表示，通过活动进一步了解了“双公示”和信用修复的相关规定，"
            "今后将更加重视依法诚信经营，主动维护好企业信用记录。",
            "据不完全统计，活动期间各地共举办各类宣传活动数百场，发放宣传资料数万份，现场受理信用报告查询和信用修复咨询上千人次。"
            "不少地方还通过新媒体平台开展线上诚信知识竞答，吸引了大量群众参与。",
            "主办方表示，将持续推进诚信文化建设，营造“守信光荣、失信可耻”的社会氛围。",
        ),
    ),
)

HEADLINE_EMPTY_IMAGE_IDS = frozenset({"credit-financing-for-small-firms"})


def source_url(headline_id: str) -> str:
    return f"https://www.creditchina.gov.cn/toutiao/{headline_id}.html"


def headline_markdown(headline: Headline) -> str:
    lines = [
        "---",
        f"id: {headline.id}",
        f"title: {json.dumps(headline.title, ensure_ascii=False)}",
        f"date: {headline.date}",
        f"summary: {json.dumps(headline.summary, ensure_ascii=False)}",
        f"source_url: {source_url(headline.id)}",
    ]
    if headline.id in HEADLINE_EMPTY_IMAGE_IDS:
        lines.append('image: ""')
    lines += ["retracted: false", "---", "", ""]
    return "\n".join(lines) + "\n\n".join(headline.body) + "\n"


def headline_updates() -> list[dict[str, object]]:
    """One edit (same id, new title and summary) and one retraction, as full JSON objects."""
    by_id = {h.id: h for h in HEADLINES}
    edited = by_id["credit-repair-one-stop-service"]
    retracted = by_id["credit-demonstration-cities-review"]

    def payload(h: Headline, **changes: object) -> dict[str, object]:
        data: dict[str, object] = {
            "id": h.id,
            "title": h.title,
            "date": h.date,
            "summary": h.summary,
            "source_url": source_url(h.id),
            "retracted": False,
            "body": "\n\n".join(h.body),
        }
        data.update(changes)
        return data

    return [
        payload(
            edited,
            title=f"{edited.title}(更新)",
            summary="各级信用网站统一信用修复申请入口，行政处罚信息信用修复平均办理时间缩短至3个工作日。",
        ),
        payload(retracted, retracted=True),
    ]


# -- records --------------------------------------------------------------------------

LICENSE_HEADERS = (
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "法定代表人证件类型",
    "法定代表人证件号码", "行政许可决定文书名称", "行政许可决定文书号", "许可类别",
    "许可证书名称", "许可编号", "许可内容", "许可决定日期", "有效期自", "有效期至", "许可机关",
    "许可机关统一社会信用代码", "当前状态", "数据来源单位", "数据来源单位统一社会信用代码",
    "地方编码", "备注",
)  # fmt: skip
PENALTY_HEADERS = (
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "证件类型", "证件号码",
    "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别", "处罚内容",
    "罚款金额(万元)", "没收违法所得、没收非法财物的金额(万元)", "暂扣或吊销证照名称及编号",
    "处罚决定日期", "处罚有效期", "公示截止期", "处罚机关", "处罚机关统一社会信用代码",
    "数据来源单位", "数据来源单位统一社会信用代码", "失信严重程度", "所属领域", "地方编码", "备注",
)  # fmt: skip
LEGACY_HEADERS = (
    "行政相对人名称", "行政相对人类别", "信用代码", "法定代表人姓名", "处罚决定书文号",
    "处罚名称", "处罚事由", "处罚依据", "处罚类别1", "处罚结果", "处罚生效期", "处罚截止期",
    "公示截止期", "处罚机关", "处罚机关统一社会信用代码", "数据来源单位",
    "数据来源单位统一社会信用代码", "地方编码",
)  # fmt: skip
LIST_KEYS = (
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "名单名称", "认定文书号", "列入事由",
    "认定部门", "认定部门统一社会信用代码", "列入日期", "有效期至", "数据来源单位",
    "数据来源单位统一社会信用代码", "地方编码",
)  # fmt: skip


@dataclass(frozen=True)
class LicenseKind:
    authority: str
    document: str  # 行政许可决定文书名称
    series: str  # document number: {abbr}{series}〔{year}〕{n:04d}号
    category: str  # 许可类别
    certificate: str  # 许可证书名称
    contents: tuple[str, ...]
    years: int  # validity; 0 = long-term (2099-12-31)
    industries: tuple[str, ...]
    shops: tuple[str, ...] = ()  # 个体工商户 it fits; empty = none


LICENSE_KINDS = (
    LicenseKind(
        MARKET, "食品经营许可决定书", "市监食许", "普通", "食品经营许可证",
        (
            "预包装食品销售（含冷藏冷冻食品）；散装食品销售（不含冷藏冷冻食品）",
            "热食类食品制售；冷食类食品制售",
            "预包装食品销售（不含冷藏冷冻食品）；保健食品销售",
            "热食类食品制售；糕点类食品制售（含裱花蛋糕）",
        ),
        5, ("餐饮管理", "食品", "商贸", "小商品贸易", "农产品", "饮品"),
        ("小吃店", "便利店", "副食品商行"),
    ),
    LicenseKind(
        MARKET, "食品生产许可决定书", "市监食产许", "普通", "食品生产许可证",
        ("糕点（热加工糕点）", "饮料（蛋白饮料类、其他饮料类）", "粮食加工品（大米）",
         "调味品（酱类）", "茶叶及相关制品（茶叶）"),
        5, ("食品", "农业开发", "生态农业", "饮品", "农产品"),
    ),
    LicenseKind(
        ENV, "排污许可决定书", "环许", "普通", "排污许可证",
        ("大气污染物：颗粒物、挥发性有机物；水污染物：化学需氧量、氨氮",
         "大气污染物：二氧化硫、氮氧化物、颗粒物",
         "水污染物：化学需氧量、氨氮、总磷"),
        5, ("化工", "精密机械", "机械制造", "纺织", "新材料科技", "印务", "医药"),
    ),
    LicenseKind(
        TRANSPORT, "道路运输经营许可决定书", "交运许", "普通", "道路运输经营许可证",
        ("道路普通货物运输", "道路普通货物运输；货物专用运输（集装箱）",
         "道路危险货物运输（第3类）", "机动车维修：二类机动车维修（小型车辆维修）"),
        4, ("物流", "汽车服务", "商贸"),
    ),
    LicenseKind(
        HOUSING, "建筑工程施工许可决定书", "建施许", "核准", "建筑工程施工许可证",
        ("新建厂房及配套设施工程", "办公楼新建工程", "仓储物流中心新建工程",
         "研发中心及配套用房工程"),
        0, ("建筑工程", "机械制造", "物流", "数据科技", "新材料科技"),
    ),
    LicenseKind(
        HEALTH, "公共场所卫生许可决定书", "卫公许", "普通", "公共场所卫生许可证",
        ("住宿业（宾馆）", "美容店", "游泳场（馆）", "沐浴场所"),
        4, ("酒店管理", "美容服务", "体育文化"), ("美发店", "足浴店"),
    ),
    LicenseKind(
        SAFETY, "危险化学品经营许可决定书", "应急危化许", "特许", "危险化学品经营许可证",
        ("不带储存设施经营：盐酸、硫酸、氢氧化钠（以上品种仅限工业用）",
         "不带储存设施经营：甲醇、乙醇、丙酮、乙酸乙酯",
         "带有储存设施经营：液化石油气"),
        3, ("化工", "商贸", "新材料科技"),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Violation:
    authority: str
    series: str  # {abbr}{series}〔{year}〕{n}号 ; "综执罚决字" gets 第{n:04d}号
    kind: str  # 违法行为类型
    facts: str  # 违法事实, with a {month} placeholder
    basis: str  # 处罚依据
    domain: str  # 所属领域
    fine_range: tuple[int, int]  # yuan
    confiscate: bool
    person: bool  # also fits natural persons
    industries: tuple[str, ...] = ()  # companies it fits; empty = any
    shops: tuple[str, ...] = ()  # 个体工商户 it fits; empty = none


FOOD = ("食品", "餐饮管理", "商贸", "农产品", "饮品", "小商品贸易", "农业开发")
FACTORY = ("化工", "精密机械", "机械制造", "纺织", "印务", "新材料科技", "家居用品", "建材")
WORKS = ("化工", "机械制造", "精密机械", "物流", "建筑工程", "建材", "五金制品")
PUBLIC_PLACES = ("酒店管理", "美容服务", "体育文化")

VIOLATIONS = (
    Violation(
        MARKET, "市监罚处", "销售不符合食品安全标准的食品",
        "经查，当事人于{month}销售的一批食品经抽样检验，菌落总数项目不符合食品安全国家标准，"
        "违法所得已查明。",
        "《中华人民共和国食品安全法》第一百二十四条第一款第（一）项", "市场监管",
        (5000, 50000), True, False, FOOD, ("小吃店", "便利店", "副食品商行"),
    ),
    Violation(
        MARKET, "市监罚处", "虚假宣传",
        "经查，当事人自{month}起在其网店商品详情页宣称产品具有“国家级认证”“销量全国第一”，"
        "无法提供相关证明材料，构成虚假宣传。",
        "《中华人民共和国反不正当竞争法》第二十条第一款", "市场监管",
        (20000, 200000), False, False,
        ("电子商务", "生物科技", "饮品", "家居用品", "服饰", "商贸", "农业科技"),
    ),
    Violation(
        MARKET, "市监罚处", "销售不合格产品",
        "经查，当事人于{month}销售的电线电缆经监督抽查，导体电阻项目不合格。",
        "《中华人民共和国产品质量法》第四十九条", "市场监管",
        (3000, 30000), True, False, ("五金制品", "建材", "商贸", "电子", "小商品贸易"),
        ("五金店", "建材商行"),
    ),
    Violation(
        ENV, "环罚", "超标排放大气污染物",
        "{month}，执法人员对当事人进行现场检查，监测结果显示其废气排放口挥发性有机物浓度"
        "超过国家规定的排放标准。",
        "《中华人民共和国大气污染防治法》第九十九条第（二）项", "生态环境",
        (100000, 500000), False, False, FACTORY,
    ),
    Violation(
        ENV, "环罚", "未依法进行环境影响评价擅自开工建设",
        "经查，当事人的扩建项目未依法报批环境影响评价文件，于{month}擅自开工建设。",
        "《中华人民共和国环境影响评价法》第三十一条第一款", "生态环境",
        (50000, 300000), False, False, (*FACTORY, "医药", "食品"),
    ),
    Violation(
        SAFETY, "应急罚", "未按规定对从业人员进行安全生产教育和培训",
        "{month}，执法人员检查发现，当事人未如实记录安全生产教育和培训情况，"
        "部分从业人员未经安全生产教育和培训上岗作业。",
        "《中华人民共和国安全生产法》第九十七条第（三）项", "安全生产",
        (10000, 100000), False, False, WORKS,
    ),
    Violation(
        SAFETY, "应急罚", "未建立事故隐患排查治理制度",
        "{month}，执法人员检查发现，当事人未建立事故隐患排查治理制度，"
        "未采取措施消除现场存在的事故隐患。",
        "《中华人民共和国安全生产法》第一百零二条", "安全生产",
        (20000, 50000), False, False, WORKS,
    ),
    Violation(
        TAX, "税稽罚", "未按照规定期限办理纳税申报",
        "当事人未按照规定期限办理{month}所属期的增值税纳税申报和报送纳税资料，"
        "经责令限期改正逾期仍未改正。",
        "《中华人民共和国税收征收管理法》第六十二条", "税务",
        (500, 2000), False, True, (), ("便利店", "五金店", "饰品店", "日用品商行"),
    ),
    Violation(
        TAX, "税稽罚", "未按规定开具发票",
        "经查，当事人于{month}发生经营业务收取款项后未按照规定开具发票。",
        "《中华人民共和国发票管理办法》第三十三条第一款第（一）项", "税务",
        (1000, 10000), True, False, (), ("小吃店", "副食品商行"),
    ),
    Violation(
        TRANSPORT, "交执罚", "未取得道路运输经营许可擅自从事道路运输经营",
        "{month}，执法人员在检查中发现，当事人未取得道路运输经营许可，"
        "擅自使用车辆从事道路旅客运输经营。",
        "《中华人民共和国道路运输条例》第六十三条", "交通运输",
        (10000, 30000), True, True, ("物流", "汽车服务"), ("搬家服务部",),
    ),
    Violation(
        TRANSPORT, "交执罚", "车辆超限运输",
        "{month}，当事人所属货运车辆经检测车货总重超过公路限载标准，违法超限运输。",
        "《公路安全保护条例》第六十四条", "交通运输",
        (2000, 30000), False, True, ("物流", "建材", "建筑工程"), ("货运部",),
    ),
    Violation(
        URBAN, "综执罚决字", "未经批准擅自设置户外广告设施",
        "经查，当事人于{month}未经批准在临街建筑外立面擅自设置户外广告设施。",
        "《城市市容和环境卫生管理条例》第三十六条", "城市管理",
        (1000, 10000), False, True, ("餐饮管理", "商贸", "酒店管理", "美容服务"),
        ("小吃店", "饰品店", "美发店"),
    ),
    Violation(
        URBAN, "综执罚决字", "随意倾倒建筑垃圾",
        "{month}，执法人员巡查发现，当事人将装修产生的建筑垃圾随意倾倒在道路旁绿化带内。",
        "《城市建筑垃圾管理规定》第二十六条", "城市管理",
        (5000, 30000), False, True, ("建筑工程", "建材", "家居用品"), ("装饰材料店",),
    ),
    Violation(
        URBAN, "综执罚决字", "擅自占用城市道路经营",
        "{month}，当事人擅自占用城市道路摆摊设点从事经营活动，经劝导后仍不改正。",
        "《城市道路管理条例》第四十二条", "城市管理",
        (200, 2000), False, True, ("餐饮管理",), ("小吃店", "水果店"),
    ),
    Violation(
        HEALTH, "卫公罚", "公共场所未取得卫生许可证擅自营业",
        "{month}，执法人员检查发现，当事人经营的公共场所未依法取得公共场所卫生许可证擅自营业。",
        "《公共场所卫生管理条例实施细则》第三十五条第一款", "卫生健康",
        (500, 5000), False, True, PUBLIC_PLACES, ("美发店", "足浴店"),
    ),
    Violation(
        HEALTH, "卫医罚", "未取得医疗机构执业许可证擅自执业",
        "经查，当事人于{month}起未取得《医疗机构执业许可证》擅自开展诊疗活动。",
        "《医疗机构管理条例》第四十三条", "卫生健康",
        (50000, 100000), True, True, ("美容服务", "医药"), ("养生馆",),
    ),
)  # fmt: skip

# National authorities (地方编码 100000): name, document series, violation kind.
NATIONAL_PENALTIES = (
    ("国家市场监督管理总局", "国市监处罚", MARKET),
    ("国家市场监督管理总局", "国市监处罚", MARKET),
    ("生态环境部", "环罚", ENV),
    ("应急管理部", "应急罚", SAFETY),
    ("国家税务总局", "税总稽罚", TAX),
)


class Records:
    """The record rows, built in a fixed order from one Maker."""

    def __init__(self, maker: Maker, regions: list[tuple[str, int]]) -> None:
        self.m = maker
        self.rng = maker.rng
        self.codes = [c for c, _ in regions]
        self.weights = [w for _, w in regions]
        self.penalized: list[Subject] = []
        self.licensed: list[Subject] = []
        self.doc_numbers: set[str] = set()

    def pick_region(self) -> str:
        return self.rng.choices(self.codes, self.weights)[0]

    def decision_day(self) -> date:
        return random_day(self.rng, DECISION_FIRST, DECISION_LAST)

    def unique_doc(self, make: Callable[[], str]) -> str:
        while True:
            doc = make()
            if doc not in self.doc_numbers:
                self.doc_numbers.add(doc)
                return doc

    # -- 行政许可 --------------------------------------------------------------

    def license(self) -> dict[str, str]:
        m, rng = self.m, self.rng
        code = self.pick_region()
        kind = rng.choice(LICENSE_KINDS)
        if code.endswith("0000") and kind.authority == HEALTH:
            kind = LICENSE_KINDS[0]
        if kind.shops and code[2:] != "0000" and rng.random() < 0.3:
            subject = m.individual_business(code, kind.shops)
        else:
            subject = m.company(code, kind.industries)
        authority = m.authority(kind.authority, code)
        source = m.source_unit(authority, code)
        day = self.decision_day()
        abbr = m.abbr(code)
        doc = self.unique_doc(
            lambda: (
                f"{abbr}{kind.series}〔{day.year}〕"
                f"{m.doc_number(authority.name + kind.series, day.year):04d}号"
            )
        )
        serial = rng.randrange(1, 999999)
        province = PROVINCE_ABBR[code[:2] + "0000"]
        number = {
            "食品经营许可证": f"JY1{code}{serial:06d}{rng.randrange(10)}",
            "食品生产许可证": f"SC1{rng.randrange(10, 40)}{code}{serial % 10000:04d}{serial % 7}",
            "排污许可证": f"{subject.uscc}001P",
            "道路运输经营许可证": f"{province}交运管许可{abbr}字{code}{serial:06d}号",
            "建筑工程施工许可证": f"{code}{day:%Y%m%d}{rng.randrange(1, 30):02d}01",
            "公共场所卫生许可证": f"{abbr}卫公字〔{day.year}〕第{code}{serial % 10000:04d}号",
            "危险化学品经营许可证": f"{abbr}应急危化经字〔{day.year}〕{serial % 100000:05d}",
        }[kind.certificate]
        until = date(2099, 12, 31) if kind.years == 0 else add_years(day, kind.years) - timedelta(1)
        self.licensed.append(subject)
        return {
            "行政相对人名称": subject.name,
            "行政相对人类别": subject.category,
            "统一社会信用代码": subject.uscc,
            "法定代表人": subject.representative,
            "法定代表人证件类型": "",
            "法定代表人证件号码": "",
            "行政许可决定文书名称": kind.document,
            "行政许可决定文书号": doc,
            "许可类别": kind.category,
            "许可证书名称": kind.certificate,
            "许可编号": number,
            "许可内容": rng.choice(kind.contents),
            "许可决定日期": day.isoformat(),
            "有效期自": day.isoformat(),
            "有效期至": until.isoformat(),
            "许可机关": authority.name,
            "许可机关统一社会信用代码": authority.uscc,
            "当前状态": "有效",  # 无效 would be a withdrawal
            "数据来源单位": source.name,
            "数据来源单位统一社会信用代码": source.uscc,
            "地方编码": code,
            "备注": "",
        }

    # -- 行政处罚 --------------------------------------------------------------

    def penalty(
        self, *, person: bool = False, expired: bool = False, empty_deadline: bool = False
    ) -> dict[str, str]:
        m, rng = self.m, self.rng
        code = self.pick_region()
        while person and m.region(code).level == "province":  # IDs carry a local prefix
            code = self.pick_region()
        level = m.region(code).level
        candidates = [
            v
            for v in VIOLATIONS
            if (v.person or not person) and not (level == "province" and v.authority == URBAN)
        ]
        violation = rng.choice(candidates)
        if person:
            subject = m.natural_person(code)
        elif violation.shops and level != "province" and rng.random() < 0.25:
            subject = m.individual_business(code, violation.shops)
        else:
            subject = m.company(code, violation.industries, reuse=0.25)
        authority = m.authority(violation.authority, code)
        if expired:
            day = random_day(rng, DECISION_FIRST, date(2025, 10, 31))
        else:
            day = self.decision_day()
        return self._penalty_row(subject, violation, authority, code, day, expired, empty_deadline)

    def national_penalty(self, index: int) -> dict[str, str]:
        m, rng = self.m, self.rng
        name, series, kind = NATIONAL_PENALTIES[index]
        authority = m.national_authority(name)
        violation = rng.choice([v for v in VIOLATIONS if v.authority == kind and not v.person])
        subject = m.new_company(
            NATIONAL_CODE, industry=rng.choice(violation.industries or INDUSTRIES)
        )
        day = self.decision_day()
        return self._penalty_row(
            subject, violation, authority, NATIONAL_CODE, day, False, False, series=series
        )

    def _penalty_row(
        self,
        subject: Subject,
        violation: Violation,
        authority: Org,
        code: str,
        day: date,
        expired: bool,
        empty_deadline: bool,
        *,
        series: str | None = None,
    ) -> dict[str, str]:
        m, rng = self.m, self.rng
        abbr = "" if code == NATIONAL_CODE else m.abbr(code)
        series = series or violation.series

        def make_doc() -> str:
            n = m.doc_number(authority.name + series, day.year)
            if series.endswith("决字"):
                return f"{abbr}{series}〔{day.year}〕第{n:04d}号"
            return f"{abbr}{series}〔{day.year}〕{n}号"

        doc = self.unique_doc(make_doc)
        low, high = violation.fine_range
        step = 1000 if high >= 50000 else 100
        fine = rng.randrange(low // step, high // step + 1) * step
        confiscated = rng.randrange(8, 400) * 10 if violation.confiscate else 0
        categories = ["罚款"]
        content = f"罚款人民币{fine}元"
        if confiscated:
            categories.insert(0, "没收违法所得")
            content = f"没收违法所得{confiscated}元，并处罚款人民币{fine}元"
        revoked = ""
        severity = "一般"  # 失信严重程度: 一般 | 严重
        if "食品" in violation.kind and rng.random() < 0.2:  # food: the licence goes too
            categories.append("吊销许可证")
            serial = rng.randrange(1, 999999)
            revoked = f"食品经营许可证（JY1{code}{serial:06d}{rng.randrange(10)}）"
            content += "，吊销食品经营许可证"
            severity = "严重"
        elif fine >= 200000:
            severity = "严重"
        if violation.kind == "未按照规定期限办理纳税申报" and rng.random() < 0.5:
            categories, content, fine = ["警告"], "警告", 0
        if expired:
            deadline = add_years(day, 1)
        elif empty_deadline:
            deadline = None
        else:
            years = rng.choice((1, 2, 3))
            if add_years(day, years) <= TODAY:
                years = rng.choice((2, 3))
            deadline = add_years(day, years)
        source = m.source_unit(authority, code)
        started = day - timedelta(days=rng.randrange(20, 120))
        month = f"{started.year}年{started.month}月"
        self.penalized.append(subject)
        return {
            "行政相对人名称": subject.name,
            "行政相对人类别": subject.category,
            "统一社会信用代码": subject.uscc,
            "法定代表人": subject.representative,
            "证件类型": "身份证" if subject.id_number else "",
            "证件号码": subject.id_number,
            "行政处罚决定书文号": doc,
            "违法行为类型": violation.kind,
            "违法事实": violation.facts.format(month=month),
            "处罚依据": violation.basis,
            "处罚类别": "；".join(categories),
            "处罚内容": content,
            "罚款金额(万元)": wan(fine),
            "没收违法所得、没收非法财物的金额(万元)": wan(confiscated),
            "暂扣或吊销证照名称及编号": revoked,
            "处罚决定日期": day.isoformat(),
            "处罚有效期": add_years(day, 1).isoformat(),
            "公示截止期": deadline.isoformat() if deadline else "",
            "处罚机关": authority.name,
            "处罚机关统一社会信用代码": authority.uscc,
            "数据来源单位": source.name,
            "数据来源单位统一社会信用代码": source.uscc,
            "失信严重程度": severity,
            "所属领域": violation.domain,
            "地方编码": code,
            "备注": "",
        }

    def legacy_penalty(self) -> dict[str, str]:
        row = self.penalty()
        return {
            "行政相对人名称": row["行政相对人名称"],
            "行政相对人类别": row["行政相对人类别"],
            "信用代码": row["统一社会信用代码"],
            "法定代表人姓名": row["法定代表人"],
            "处罚决定书文号": row["行政处罚决定书文号"],
            "处罚名称": row["违法行为类型"],
            "处罚事由": row["违法事实"],
            "处罚依据": row["处罚依据"],
            "处罚类别1": row["处罚类别"].split("；")[0],
            "处罚结果": row["处罚内容"],
            "处罚生效期": row["处罚决定日期"],
            "处罚截止期": row["处罚有效期"],
            "公示截止期": row["公示截止期"],
            "处罚机关": row["处罚机关"],
            "处罚机关统一社会信用代码": row["处罚机关统一社会信用代码"],
            "数据来源单位": row["数据来源单位"],
            "数据来源单位统一社会信用代码": row["数据来源单位统一社会信用代码"],
            "地方编码": row["地方编码"],
        }

    # -- 红黑名单 --------------------------------------------------------------

    def list_entry(self, kind: str) -> dict[str, str]:
        m, rng = self.m, self.rng
        code = self.pick_region()
        listed = self.decision_day()
        year = listed.year
        abbr = m.abbr(code)
        if kind == "redlist":
            choice = rng.choice(("tax_a", "tax_a", "customs", "contract"))
            subject = self._red_subject(code)
            if choice == "tax_a":
                authority = m.authority(TAX, code)
                list_name = "纳税信用A级纳税人"
                reason = f"{year - 1}年度纳税信用评价结果为A级"
                doc_series, until = "税信评", date(year + 1, 12, 31)
            elif choice == "customs":
                authority = m.authority(CUSTOMS_KIND, code)
                list_name = "海关高级认证企业"
                reason = "经海关认证，符合《海关高级认证企业标准》，认定为高级认证企业"
                doc_series, until = "认证", None
                abbr = CUSTOMS[code[:2] + "0000"][2]
            else:
                authority = m.authority(MARKET, code)
                list_name = "守合同重信用企业"
                reason = f"连续两年合同履约情况良好，经评审公示列入{year}年度守合同重信用企业名单"
                doc_series, until = "市监合", add_years(listed, 2)
            series_key = authority.name + doc_series
            doc = self.unique_doc(
                lambda: f"{abbr}{doc_series}〔{year}〕{m.doc_number(series_key, year)}号"
            )
        else:
            choice = rng.choice(("court", "court", "tax", "market", "wages"))
            subject = self._black_subject(code)
            until = add_years(listed, 3)
            if choice == "court":
                authority = m.authority(COURT, code)
                list_name = "失信被执行人"
                reason = "有履行能力而拒不履行生效法律文书确定的给付义务"
                # Case numbers: （2026）浙执… (high court), 浙01执… (city), 浙0106执… (county).
                level = m.region(code).level
                court = {"province": "", "city": code[2:4]}.get(level, code[2:6])
                case = f"（{year}）{PROVINCE_ABBR[code[:2] + '0000']}{court}执"
                doc = self.unique_doc(lambda: f"{case}{rng.randrange(100, 9999)}号")
                until = None
            elif choice == "tax":
                authority = m.authority(TAX, code)
                list_name = "重大税收违法失信主体"
                reason = "虚开增值税专用发票，经税务机关检查确认，达到重大税收违法失信主体认定标准"
                series_key = authority.name + "税稽失信"
                doc = self.unique_doc(
                    lambda: f"{abbr}税稽失信〔{year}〕{m.doc_number(series_key, year)}号"
                )
            elif choice == "market":
                authority = m.authority(MARKET, code)
                list_name = "市场监督管理严重违法失信名单"
                reason = "因提交虚假材料取得企业登记被撤销登记，列入严重违法失信名单"
                series_key = authority.name + "市监严失"
                doc = self.unique_doc(
                    lambda: f"{abbr}市监严失〔{year}〕{m.doc_number(series_key, year)}号"
                )
            else:
                authority = m.authority(HR, code)
                list_name = "拖欠农民工工资失信联合惩戒对象名单"
                reason = "克扣、无故拖欠农民工工资达到认定拒不支付劳动报酬罪数额标准"
                series_key = authority.name + "人社欠薪"
                doc = self.unique_doc(
                    lambda: f"{abbr}人社欠薪〔{year}〕{m.doc_number(series_key, year)}号"
                )
        source = m.source_unit(authority, code)
        entry = {
            "kind": kind,
            "行政相对人名称": subject.name,
            "行政相对人类别": subject.category,
            "统一社会信用代码": subject.uscc,
            "名单名称": list_name,
            "认定文书号": doc,
            "列入事由": reason,
            "认定部门": authority.name,
            "认定部门统一社会信用代码": authority.uscc,
            "列入日期": listed.isoformat(),
            "有效期至": until.isoformat() if until else "",
            "数据来源单位": source.name,
            "数据来源单位统一社会信用代码": source.uscc,
            "地方编码": code,
        }
        return entry

    def _red_subject(self, code: str) -> Subject:
        penalized = {s.uscc for s in self.penalized}
        pool = [
            s
            for s in self.licensed
            if s.region == code and s.uscc not in penalized and s.category != "个体工商户"
        ]
        if pool and self.rng.random() < 0.5:
            return self.rng.choice(pool)
        return self.m.new_company(code)

    def _black_subject(self, code: str) -> Subject:
        pool = [s for s in self.penalized if s.region == code and s.category == "法人及非法人组织"]
        if pool and self.rng.random() < 0.5:
            return self.rng.choice(pool)
        return self.m.new_company(code)


def bad_rows(records: Records) -> list[dict[str, str]]:
    """Six penalties, each with exactly one deliberate error (see the module docstring)."""
    rows = [records.penalty() for _ in range(6)]
    # 1. wrong check character of the subject's 统一社会信用代码
    good = rows[0]["统一社会信用代码"]
    wrong = USCC_ALPHABET[(USCC_ALPHABET.index(good[-1]) + 7) % 31]
    rows[0]["统一社会信用代码"] = good[:-1] + wrong
    rows[0]["备注"] = "演示：统一社会信用代码校验位错误"
    # 2. impossible date
    rows[1]["处罚决定日期"] = "2026-02-30"
    rows[1]["备注"] = "演示：处罚决定日期不存在"
    # 3. decision in the future
    rows[2]["处罚决定日期"] = "2027-01-01"
    rows[2]["处罚有效期"] = "2028-01-01"
    rows[2]["公示截止期"] = "2030-01-01"
    rows[2]["备注"] = "演示：处罚决定日期晚于当前日期"
    # 4. unknown region
    rows[3]["地方编码"] = "999999"
    rows[3]["备注"] = "演示：地方编码不存在"
    # 5. negative fine
    rows[4]["罚款金额(万元)"] = "-0.5"
    rows[4]["处罚类别"] = "罚款"
    rows[4]["处罚内容"] = "罚款人民币-5000元"
    rows[4]["没收违法所得、没收非法财物的金额(万元)"] = "0"
    rows[4]["备注"] = "演示：罚款金额为负数"
    # 6. missing document number
    rows[5]["行政处罚决定书文号"] = ""
    rows[5]["备注"] = "演示：缺少行政处罚决定书文号"
    return rows


# -- writing ----------------------------------------------------------------------------


def csv_text(headers: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=headers, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def jsonl_text(rows: Iterable[dict[str, object]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def generate(out: Path, tenants_dir: Path) -> dict[str, int]:
    """Write every demo file under ``out``; return the number of items per file."""
    rng = random.Random(SEED)
    table = RegionTable.default()
    maker = Maker(table, rng)
    codes = [*tenant_regions(tenants_dir), *EXTRA_REGIONS]
    records = Records(maker, weighted_regions(table, codes))
    counts: dict[str, int] = {}

    # Headlines
    headlines_dir = out / "headlines"
    if headlines_dir.exists():
        shutil.rmtree(headlines_dir)
    headlines_dir.mkdir(parents=True)
    for headline in HEADLINES:
        path = headlines_dir / f"{headline.date}-{headline.id}.md"
        path.write_text(headline_markdown(headline), encoding="utf-8")
    counts["headlines/*.md"] = len(HEADLINES)
    updates = headline_updates()
    (out / "headlines-update.jsonl").write_text(jsonl_text(updates), encoding="utf-8")
    counts["headlines-update.jsonl"] = len(updates)

    # Records: licenses first, then penalties, so lists can reuse both subject pools.
    records_dir = out / "records"
    records_dir.mkdir(parents=True, exist_ok=True)
    licenses = [records.license() for _ in range(150)]

    plan = ["person"] * 15 + ["expired"] * 5 + ["empty"] * 20 + ["normal"] * 105
    plan += ["national"] * len(NATIONAL_PENALTIES)
    rng.shuffle(plan)
    penalties = []
    national = iter(range(len(NATIONAL_PENALTIES)))
    for kind in plan:
        if kind == "national":
            penalties.append(records.national_penalty(next(national)))
        else:
            penalties.append(
                records.penalty(
                    person=kind == "person",
                    expired=kind == "expired",
                    empty_deadline=kind == "empty",
                )
            )
    legacy = [records.legacy_penalty() for _ in range(10)]
    lists = [records.list_entry("redlist") for _ in range(55)]
    lists += [records.list_entry("blacklist") for _ in range(45)]
    rng.shuffle(lists)
    bad = bad_rows(records)

    files = {
        "licenses.csv": (csv_text(LICENSE_HEADERS, licenses), "utf-8", len(licenses)),
        "penalties-gb18030.csv": (
            csv_text(PENALTY_HEADERS, penalties),
            "gb18030",
            len(penalties),
        ),
        "lists.jsonl": (jsonl_text(lists), "utf-8", len(lists)),
        "penalties-legacy.csv": (csv_text(LEGACY_HEADERS, legacy), "utf-8", len(legacy)),
        "bad-rows.csv": (csv_text(PENALTY_HEADERS, bad), "utf-8", len(bad)),
    }
    for name, (text, encoding, count) in files.items():
        (records_dir / name).write_bytes(text.encode(encoding))
        counts[f"records/{name}"] = count
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "demo", help="output folder")
    parser.add_argument("--tenants", type=Path, default=ROOT / "tenants", help="tenants folder")
    args = parser.parse_args(argv)
    counts = generate(args.out, args.tenants)
    for name, count in counts.items():
        print(f"{count:4d}  {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
