"""Build benchmark for the 信用中国 site group: our Pelican build vs plain ``pelican``.

What it measures, on this machine (wall clock, ``time.perf_counter``):

A. The national group: ``sitegroup tenants generate`` over ``sitegroup/data/divisions.csv``
   (main + every province, city and county, ~3,215 sites, two sample articles each), with the
   13 demo tenants of ``tenants/`` copied in (each replaces the generated folder of the same
   ``region_code``). Then

   1. a full build from scratch (empty output folder, default workers): sites, pages, s, pages/s;
   2. a no-change rebuild (every site skipped by fingerprint), in-process and through the CLI;
   3. a one-article edit in one county site: seconds and how many sites were rebuilt.

   4. a forced rebuild of every site over the existing output (what a theme change costs).

   Each timing covers loading the group (``load_group``) plus ``build_group``.

B. A 50-site × 200-article group (the main site + 49 real cities; ~835-character Chinese
   articles in ``content/news``), built

   - by our build (from scratch, 2 workers), and
   - by the plain ``pelican`` command, one process per site, with a minimal quickstart-style
     ``pelicanconf`` and Pelican's default theme, serially and 2 at a time
     (as in ``/work/shared/PERF-NOTES.md``).

   Reported as pages/s and articles/s; the three are interleaved run by run.

C. Where one site's build time goes (in-process, one worker): Pelican start-up, reading +
   Markdown, rendering + writing, for a generated county site and for a 200-article site,
   plus a cProfile top list.

Usage::

    .venv/bin/python bench/build_bench.py           # the full benchmark (~10 minutes)
    .venv/bin/python bench/build_bench.py --quick   # a smoke run (one province, tiny B group)

Every timing also records the CPU seconds used by the benchmark and its child processes
(``getrusage``) and by everything else on the machine (``/proc/stat``), because other work on
a shared 2-core machine shifts wall-clock figures by tens of percent: compare CPU seconds when
the "others" share is high. The theme is copied to ``bench/out/theme/`` first so that edits
to ``themes/`` during a run do not invalidate the fingerprints half-way.

Scratch files go to ``bench/out/`` (git-ignored); figures are printed as they are measured,
as a table at the end, and written to ``bench/out/results[-quick].json``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import functools
import importlib.metadata
import io
import json
import os
import platform
import pstats
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sitegroup.build import runner
from sitegroup.build.runner import BuildResult, SiteResult, build_group
from sitegroup.regions import NATIONAL_CODE, RegionTable
from sitegroup.tenants.generate import generate_tenants, read_divisions, render_site_toml, site_ids
from sitegroup.tenants.loader import load_group
from sitegroup.tenants.registry import Group
from sitegroup.theme import DEFAULT_THEME, THEMES_DIR, Theme, load_theme

ROOT = Path(__file__).resolve().parent.parent
DIVISIONS = ROOT / "sitegroup" / "data" / "divisions.csv"
DEMO_TENANTS = ROOT / "tenants"
BIN = Path(sys.executable).parent
#: The county whose article the edit benchmark changes (a demo tenant; any county will do).
EDIT_SITE = "zhejiang-yiwu"
#: ``--quick`` generates only the regions under these province prefixes (浙江).
QUICK_PROVINCES = ("33",)
BODY_CHARS = 835
CST = timezone(timedelta(hours=8))

CLK_TCK = os.sysconf("SC_CLK_TCK")

TARGETS = {
    "A1 full build (s)": 300.0,
    "A2 no-change rebuild (s)": 30.0,
}


# -- figures --------------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured figure: a row of the final table."""

    key: str
    value: float
    unit: str
    note: str = ""


class Report:
    """Collects figures and prints each one as soon as it is measured.

    ``targets`` maps a figure to the limit it must stay under (the bench's own by default);
    ``finding`` records something a reader must know (a wrong count, a profile pointer).
    """

    def __init__(self, targets: dict[str, float] | None = None) -> None:
        self.figures: list[Figure] = []
        self.info: dict[str, Any] = {}
        self.findings: list[str] = []
        self.targets = TARGETS if targets is None else targets

    def add(self, key: str, value: float, unit: str, note: str = "") -> None:
        self.figures.append(Figure(key, value, unit, note))
        limit = self.targets.get(key)
        mark = "" if limit is None else (" [met]" if value < limit else " [NOT met]")
        print(f"  {key:<52} {_fmt(value):>10} {unit:<10} {note}{mark}", flush=True)

    def print_info(self) -> None:
        """The machine and software the figures come from, printed first."""
        section("machine")
        for key, value in self.info.items():
            print(f"  {key}: {value}")

    def finding(self, text: str) -> None:
        self.findings.append(text)
        print(f"  !! {text}", flush=True)

    def missed(self, key: str) -> bool:
        """True when ``key`` was measured and is not under its target."""
        fig = next((f for f in self.figures if f.key == key), None)
        return fig is not None and key in self.targets and not fig.value < self.targets[key]

    def save(self, path: Path, **extra: Any) -> None:
        """Write the figures, info and findings (plus ``extra`` sections) as JSON."""
        data = {
            "info": self.info,
            "figures": [asdict(f) for f in self.figures],
            "findings": self.findings,
            **extra,
        }
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")

    def table(self) -> str:
        width = max(len(f.key) for f in self.figures) if self.figures else 10
        lines = [f"{'figure':<{width}}  {'value':>10}  {'unit':<10}  note", "-" * (width + 40)]
        lines += [
            f"{f.key:<{width}}  {_fmt(f.value):>10}  {f.unit:<10}  {f.note}" for f in self.figures
        ]
        for key, limit in self.targets.items():
            fig = next((f for f in self.figures if f.key == key), None)
            if fig is not None:
                verdict = "met" if fig.value < limit else "NOT met"
                lines.append(f"target {key} < {limit:g}: {verdict} ({_fmt(fig.value)})")
        lines += [f"finding: {text}" for text in self.findings]
        return "\n".join(lines)


def _fmt(value: float) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.1f}"


def section(title: str) -> None:
    print(f"\n== {title}", flush=True)


def machine_info() -> dict[str, Any]:
    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "-"

    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import pelican"], check=True)
    import_pelican = time.perf_counter() - started
    return {
        "date": datetime.now(CST).strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "pelican": version("pelican"),
        "markdown": version("markdown"),
        "jinja2": version("jinja2"),
        "python_import_pelican_s": round(import_pelican, 3),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "git": _git_state(),
    }


def _git_state() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    dirty = [line[3:] for line in git("status", "--porcelain").splitlines()]
    return f"{git('rev-parse', '--short', 'HEAD')} ({len(dirty)} changed/untracked paths)"


# -- helpers --------------------------------------------------------------------------------


@dataclass
class Timing:
    """Wall seconds, CPU seconds of this process + its children, CPU seconds of everything else."""

    wall: float = 0.0
    cpu: float = 0.0
    #: The kernel's part of ``cpu`` (file creation and deletion, page faults).
    sys: float = 0.0
    others: float = float("nan")

    @property
    def others_share(self) -> float:
        """Share of the machine's capacity used by other processes during the run."""
        return self.others / (self.wall * (os.cpu_count() or 1)) if self.wall else 0.0


def _own_cpu() -> tuple[float, float]:
    """(user, system) CPU seconds of this process and its waited-for children."""
    user = system = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        user += usage.ru_utime
        system += usage.ru_stime
    return user, system


def _busy_cpu() -> float:
    """CPU seconds the whole machine spent busy since boot (NaN off Linux)."""
    try:
        with Path("/proc/stat").open(encoding="ascii") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


@contextlib.contextmanager
def measure() -> Iterator[Timing]:
    """Time the block; child processes count once they have been waited for."""
    timing = Timing()
    wall, (user, system), busy = time.perf_counter(), _own_cpu(), _busy_cpu()
    yield timing
    timing.wall = time.perf_counter() - wall
    user_end, system_end = _own_cpu()
    timing.sys = system_end - system
    timing.cpu = user_end - user + timing.sys
    timing.others = max(0.0, _busy_cpu() - busy - timing.cpu)


def timed_build(
    tenants: Path,
    theme: Theme,
    out: Path,
    *,
    workers: int | None,
    force: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_site: Callable[[SiteResult], None] | None = None,
) -> tuple[Timing, BuildResult]:
    """Load the group and build it; return (timing, result). Fails loudly on site errors."""
    with measure() as timing:
        group = load_group(tenants, theme)
        result = build_group(
            group, theme, out, workers=workers, force=force, on_start=on_start, on_site=on_site
        )
    if result.failed:
        first = result.failed[0]
        raise SystemExit(
            f"{len(result.failed)} site(s) failed, first {first.site_id}: {first.error}"
        )
    return timing, result


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(timings: list[Timing]) -> str:
    """'median of 3: 1.50, 1.75, 1.78 s; cpu 3.1 s (sys 0.4); others 12 %' (medians)."""
    walls = ", ".join(f"{t.wall:.2f}" for t in timings)
    runs = f"median of {len(timings)}: {walls} s" if len(timings) > 1 else "1 run"
    cpu = median([t.cpu for t in timings])
    system = median([t.sys for t in timings])
    others = median([t.others_share for t in timings])
    return f"{runs}; cpu {cpu:.1f} s (sys {system:.1f}); others {100 * others:.0f} %"


def snapshot_theme(out: Path) -> Theme:
    """Copy the theme aside and load the copy, so concurrent edits to themes/ do not leak in."""
    target = out / "theme"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(THEMES_DIR / DEFAULT_THEME, target / DEFAULT_THEME)
    return load_theme(DEFAULT_THEME, themes_dir=target)


def count_html(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.html"))


def fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


# -- A. the national group ------------------------------------------------------------------


def region_of(site_dir: Path) -> str:
    data = tomllib.loads((site_dir / "site.toml").read_text(encoding="utf-8"))
    return str(data["region_code"])


def prepare_national(work: Path, quick: bool) -> Path:
    """Generate every tenant (or one province with ``quick``) and copy the demo tenants in."""
    fresh(work)
    divisions = DIVISIONS
    if quick:
        divisions = work / "divisions-quick.csv"
        with DIVISIONS.open(encoding="utf-8", newline="") as src:
            rows = list(csv.reader(src))
        keep = [rows[0], *(r for r in rows[1:] if r and r[0].startswith(QUICK_PROVINCES))]
        with divisions.open("w", encoding="utf-8", newline="") as dst:
            csv.writer(dst).writerows(keep)
    tenants = work / "tenants"
    generate_tenants(divisions, tenants)
    by_region = {region_of(d): d for d in tenants.iterdir() if d.is_dir()}
    replaced = 0
    for demo in sorted(d for d in DEMO_TENANTS.iterdir() if (d / "site.toml").is_file()):
        generated = by_region.get(region_of(demo))
        if generated is not None:
            shutil.rmtree(generated)
            replaced += 1
        shutil.copytree(demo, tenants / demo.name)
    sites = sum(1 for d in tenants.iterdir() if d.is_dir())
    articles = sum(1 for _ in tenants.glob("*/content/*/*.md"))
    print(
        f"  generated {sites} tenant folders ({replaced} replaced by demo tenants),"
        f" {articles} articles"
    )
    return tenants


def bench_national(report: Report, out: Path, theme: Theme, args: argparse.Namespace) -> None:
    section("A. national group: generate + demo content")
    work = out / "national"
    tenants = prepare_national(work, args.quick)
    build = work / "build"

    section("A1. full build from scratch (default workers)")
    timings: list[Timing] = []
    result = BuildResult()
    started = [0.0]  # when the first site was handed to the pool
    done: list[float] = []  # when each site finished
    for run in range(args.national_repeat):
        fresh(build)
        done.clear()
        timing, result = timed_build(
            tenants,
            theme,
            build,
            workers=args.workers,
            on_start=lambda _n: started.__setitem__(0, time.perf_counter()),
            on_site=lambda _res: done.append(time.perf_counter()),
        )
        timings.append(timing)
        rates = _decile_rates([t - started[0] for t in done])
        print(
            f"  run {run + 1}: {len(result.built)} sites, {result.pages} pages, {timing.wall:.1f} s"
            f" (build_group {result.seconds:.1f} s, cpu {timing.cpu:.0f} s, sys {timing.sys:.0f} s,"
            f" others {100 * timing.others_share:.0f} %); sites/s by tenth of the build: {rates}"
        )
    wall = median([t.wall for t in timings])
    report.add("A1 sites built", len(result.built), "sites")
    report.add("A1 pages", result.pages, "pages")
    report.add("A1 full build (s)", wall, "s", spread(timings))
    report.add("A1 full build pages/s", result.pages / wall, "pages/s")
    report.add(
        "A1 pages per CPU-second", result.pages / median([t.cpu for t in timings]), "pages/s"
    )
    size = sum(f.stat().st_size for f in build.rglob("*") if f.is_file())
    report.add("A1 output size", size / 2**20, "MiB")

    section("A2. no-change rebuild")
    timings = []
    for _ in range(args.repeat):
        timing, res = timed_build(tenants, theme, build, workers=args.workers)
        if res.built:
            raise SystemExit(f"no-change rebuild rebuilt {len(res.built)} sites: {res.built[:5]}")
        timings.append(timing)
    report.add("A2 no-change rebuild (s)", median([t.wall for t in timings]), "s", spread(timings))

    section(f"A3. one-article edit in {EDIT_SITE}")
    article = sorted((tenants / EDIT_SITE / "content" / "news").glob("*.md"))[0]
    timings, rebuilt = [], []
    for i in range(args.repeat):
        with article.open("a", encoding="utf-8") as fh:
            fh.write(f"\n（第{i + 1}次更新：补充说明。）\n")
        timing, res = timed_build(tenants, theme, build, workers=args.workers)
        timings.append(timing)
        rebuilt.append(len(res.built))
        shown = ", ".join(res.built[:3]) + (" …" if len(res.built) > 3 else "")
        print(f"  edit {i + 1}: rebuilt {len(res.built)} site(s) ({shown}) in {timing.wall:.2f} s")
    report.add("A3 one-article edit (s)", median([t.wall for t in timings]), "s", spread(timings))
    report.add("A3 sites rebuilt", max(rebuilt), "sites", f"{article.relative_to(tenants)}")

    section("A4. forced rebuild of every site over the existing output")
    timing, res = timed_build(tenants, theme, build, workers=args.workers, force=True)
    report.add("A4 forced full rebuild (s)", timing.wall, "s", spread([timing]))
    report.add("A4 sites rebuilt", len(res.built), "sites")

    section("A2'. no-change rebuild through the CLI (`sitegroup build`, repo theme)")
    cli = [str(BIN / "sitegroup"), "build", "--tenants", str(tenants), "--out", str(build)]
    # The CLI renders with themes/ as it is now; one untimed run first aligns the fingerprints
    # in case the theme was edited since the snapshot.
    warm = subprocess.run(cli, check=True, capture_output=True, text=True).stdout.strip()
    print(f"  warm-up: {warm.splitlines()[-1] if warm else '-'}")
    timings, built = [], []
    for _ in range(args.repeat):
        with measure() as timing:
            proc = subprocess.run(cli, check=True, capture_output=True, text=True)
        timings.append(timing)
        match = re.search(r"(\d+) 个站点已构建", proc.stdout)
        built.append(int(match.group(1)) if match else -1)
    report.add(
        "A2 no-change rebuild, CLI (s)",
        median([t.wall for t in timings]),
        "s",
        f"{spread(timings)}; sites rebuilt {built}",
    )


def _decile_rates(times: list[float]) -> str:
    """Sites/s in each tenth of the build, to show a slowdown over time."""
    if len(times) < 20:
        return "-"
    times = sorted(times)
    n = len(times)
    edges = [0.0] + [times[min(n - 1, (n * k) // 10 - 1)] for k in range(1, 11)]
    counts = [(n * k) // 10 - (n * (k - 1)) // 10 for k in range(1, 11)]
    rates = [c / max(edges[k + 1] - edges[k], 1e-9) for k, c in enumerate(counts)]
    return " ".join(f"{r:.0f}" for r in rates)


# -- B. 50 sites × 200 articles -------------------------------------------------------------

_OPENINGS = [
    "近日，{city}召开社会信用体系建设工作推进会，",
    "为进一步优化营商环境，{city}发展改革部门联合市场监管部门",
    "记者从{city}信用办获悉，",
    "今年以来，{city}坚持以信用为基础的新型监管机制建设，",
    "根据国家发展改革委关于信用信息公示的统一部署，{city}",
    "在日前举行的{city}信用建设季度通报会上，",
]
_SENTENCES = [
    "全面归集行政许可、行政处罚等双公示信息，做到应归尽归、应公示尽公示。",
    "依托信用信息共享平台实现与信用中国网站的数据同步，确保页面相似、结果相同。",
    "推动信用承诺制在行政审批、资质认定等领域全面落地，累计签署信用承诺书三千余份。",
    "建立健全信用修复机制，对符合条件的失信主体及时办理修复并停止公示。",
    "开展重点领域诚信缺失问题专项治理，对严重失信主体依法依规实施联合惩戒。",
    "推进公共信用综合评价结果在招标投标、政府采购、融资信贷等场景中的应用。",
    "加强信用信息安全管理，严格落实信息查询、使用和保密的各项制度要求。",
    "组织开展诚信宣传进企业、进社区、进学校活动，营造守信光荣、失信可耻的社会氛围。",
    "针对企业反映的异议申诉问题，实行统一受理、属地办理、限时反馈的工作机制。",
    "依托大数据分析对市场主体开展信用分级分类监管，实现无事不扰、无处不在。",
    "完善红黑名单认定、发布和退出机制，确保名单信息准确、及时、规范。",
    "将信用报告查询服务延伸至政务服务大厅，企业可在线下载带有防伪标识的信用报告。",
    "联合金融机构推出信易贷产品，帮助守信中小微企业获得更加便利的融资服务。",
    "围绕食品药品、安全生产、生态环境等重点领域，加大信用监管力度。",
    "推动行业协会商会建立会员信用档案，发挥行业自律在信用建设中的积极作用。",
    "按月通报各部门双公示数据报送的及时性、完整性和准确性，压实工作责任。",
    "持续提升信用网站服务能力，优化信用查询、异议处理和信用修复的办理流程。",
    "加快推进信用信息与税务、社保、公积金等数据的互联互通和共享应用。",
    "探索建立个人诚信积分制度，对守信个人在公共服务中给予便利和优惠。",
    "对失信被执行人开展集中清理行动，督促其主动履行法定义务。",
]
_CLOSINGS = [
    "下一步，{city}将继续深化信用体系建设，为高质量发展提供有力支撑。",
    "有关负责同志表示，将以更加务实的举措推动各项任务落地见效。",
    "会议要求，各部门要进一步提高认识、强化协同，确保各项工作取得实效。",
]
_TOPICS = [
    "信用承诺",
    "双公示",
    "信用修复",
    "信易贷",
    "红黑名单",
    "信用监管",
    "诚信宣传",
    "信用报告",
]
_ACTIONS = [
    "工作取得新进展",
    "推进会召开",
    "专项行动启动",
    "成效明显",
    "经验获推广",
    "实施方案印发",
]


def article_text(rng: random.Random, city: str, number: int, when: datetime) -> str:
    """One Pelican Markdown article: Title/Date/Summary metadata and ~835 characters of body."""
    title = f"{city}{rng.choice(_TOPICS)}{rng.choice(_ACTIONS)}（第{number}期）"
    paragraphs: list[str] = []
    length = 0
    para = rng.choice(_OPENINGS).format(city=city)
    while length + len(para) < BODY_CHARS - 60:
        para += rng.choice(_SENTENCES)
        if len(para) > 150 or rng.random() < 0.2:
            paragraphs.append(para)
            length += len(para)
            para = ""
    closing = rng.choice(_CLOSINGS).format(city=city)
    paragraphs.append(para + closing)
    if rng.random() < 0.5:
        paragraphs.insert(len(paragraphs) // 2, "## 主要做法")
    body = "\n\n".join(paragraphs)
    summary = paragraphs[0][:60] + "…"
    meta = f"Title: {title}\nDate: {when:%Y-%m-%d %H:%M}\nSummary: {summary}\n\n"
    return meta + body + "\n"


def prepare_bench_group(work: Path, sites: int, articles: int) -> tuple[Path, list[str]]:
    """The main site + ``sites - 1`` real cities, spread over the provinces, with articles."""
    fresh(work)
    table = RegionTable.default()
    ids = site_ids(table)
    cities = [r for r in read_divisions(DIVISIONS, table) if r.level == "city"]
    step = max(1, len(cities) // (sites - 1)) if sites > 1 else 1
    regions = [table[NATIONAL_CODE], *cities[::step][: sites - 1]]
    tenants = work / "tenants"
    base = datetime(2024, 1, 1, 9, 0, tzinfo=CST)
    chars = []
    for n, region in enumerate(regions):
        site = tenants / ids[region.code]
        (site / "content" / "news").mkdir(parents=True)
        url = f"https://{ids[region.code]}.credit.example.cn/"
        (site / "site.toml").write_text(
            render_site_toml(region, url=url, source=DIVISIONS.name), encoding="utf-8"
        )
        rng = random.Random(f"{region.code}")
        city = "全国" if region.code == NATIONAL_CODE else region.short_name
        for i in range(articles):
            when = base + timedelta(hours=7 * i + n)
            text = article_text(rng, city, i + 1, when)
            chars.append(len(text.split("\n\n", 1)[1]))
            name = f"{when:%Y-%m-%d}-article-{i + 1:03d}.md"
            (site / "content" / "news" / name).write_text(text, encoding="utf-8")
    print(
        f"  {len(regions)} sites × {articles} articles; body {min(chars)}–{max(chars)}"
        f" characters (mean {statistics.mean(chars):.0f})"
    )
    return tenants, [ids[r.code] for r in regions]


PELICANCONF = """\
# Minimal pelicanconf (as pelican-quickstart writes it), Pelican's default theme.
AUTHOR = "信用中国"
SITENAME = {sitename!r}
SITEURL = ""
PATH = {path!r}
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh"
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
DEFAULT_PAGINATION = 10
SLUGIFY_SOURCE = "basename"
"""


def run_plain_pelican(tenants: Path, site_list: list[str], work: Path, parallel: int) -> Timing:
    """``pelican content -o out -s conf.py``, one process per site."""
    jobs = []
    for site in site_list:
        folder = fresh(work / site)
        (folder / "conf.py").write_text(
            PELICANCONF.format(sitename=site, path=str(tenants / site / "content")),
            encoding="utf-8",
        )
        jobs.append(folder)

    def one(folder: Path) -> None:
        content = tenants / folder.name / "content"
        subprocess.run(
            [str(BIN / "pelican"), str(content), "-o", "out", "-s", "conf.py", "-q"],
            cwd=folder,
            check=True,
            capture_output=True,
        )

    with measure() as timing, ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(one, jobs))
    return timing


def bench_group_b(report: Report, out: Path, theme: Theme, args: argparse.Namespace) -> None:
    sites, articles = (4, 20) if args.quick else (50, 200)
    section(f"B. {sites} sites × {articles} articles")
    work = out / "b50x200"
    tenants, site_list = prepare_bench_group(work, sites, articles)
    total_articles = sites * articles

    labels = {
        "ours": "B1 ours, 2 workers",
        "serial": "B2 plain pelican, serial",
        "pair": "B3 plain pelican, 2 at a time",
    }
    timings: dict[str, list[Timing]] = {key: [] for key in labels}
    pages: dict[str, int] = {}
    for run in range(args.repeat):  # interleaved, so load from elsewhere hits all three alike
        build = fresh(work / "build")
        timing, res = timed_build(tenants, theme, build, workers=2)
        timings["ours"].append(timing)
        pages["ours"] = res.pages
        for key, parallel in (("serial", 1), ("pair", 2)):
            timings[key].append(run_plain_pelican(tenants, site_list, work / "pelican", parallel))
            pages[key] = sum(count_html(work / "pelican" / s / "out") for s in site_list)
        print(
            f"  run {run + 1}: "
            + "; ".join(
                f"{key} {t[-1].wall:.1f} s (cpu {t[-1].cpu:.0f} s, sys {t[-1].sys:.0f} s,"
                f" others {100 * t[-1].others_share:.0f} %)"
                for key, t in timings.items()
            )
        )

    for key, label in labels.items():
        wall = median([t.wall for t in timings[key]])
        cpu = median([t.cpu for t in timings[key]])
        report.add(f"{label} (s)", wall, "s", spread(timings[key]))
        report.add(f"{label}: pages", pages[key], "pages")
        report.add(f"{label}: pages/s", pages[key] / wall, "pages/s")
        report.add(f"{label}: articles/s", total_articles / wall, "articles/s")
        report.add(f"{label}: articles per CPU-s", total_articles / cpu, "articles/s")


# -- C. where one site's time goes ----------------------------------------------------------


class StageTimer:
    """Wraps a few functions of Pelican and of our runner to time them in-process."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def patched(self) -> Iterator[None]:
        # Heavy imports, only when profiling.
        import pelican
        import pelican.generators
        import pelican.settings

        from sitegroup.build import images, pages

        targets: list[tuple[Any, str, str]] = [
            (runner, "plan_tasks", "plan (fingerprints)"),
            (images, "process_images", "start-up: images"),
            (pelican.settings, "read_settings", "start-up: settings"),
            (pelican.Pelican, "__init__", "start-up: Pelican()"),
            (pelican.generators.Generator, "__init__", "start-up: generators + Jinja env"),
            (pelican.generators.ArticlesGenerator, "generate_context", "read + Markdown"),
            (pelican.generators.ArticlesGenerator, "generate_output", "render + write: articles"),
            (pages.PageRenderer, "render", "render: home, lists, 公示, feeds"),
            (runner, "write_files", "write: our pages, sitemap, state"),
            (runner, "_swap", "swap into place"),
        ]
        saved = [(obj, name, obj.__dict__[name]) for obj, name, _ in targets]
        try:
            for obj, name, label in targets:
                setattr(obj, name, self._wrap(obj.__dict__[name], label))
            yield
        finally:
            for obj, name, original in saved:
                setattr(obj, name, original)

    def _wrap(self, func: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started

        return timed


def profile_site(
    report: Report, tenants: Path, site: str, out: Path, theme: Theme, tag: str
) -> None:
    """Build one site in-process, once warm-up, then timed by stage, then under cProfile."""
    group: Group = load_group(tenants, theme)
    fresh(out)
    build_group(group, theme, out / "warm", only=[site], workers=1)  # imports, bytecode cache

    timer = StageTimer()
    started = time.perf_counter()
    with timer.patched():
        res = build_group(group, theme, out / "timed", only=[site], workers=1)
    total = time.perf_counter() - started
    print(f"  {site}: {res.pages} pages in {total * 1000:.0f} ms")
    for label, seconds in timer.seconds.items():
        report.add(f"C {tag}: {label}", seconds * 1000, "ms", f"{100 * seconds / total:.0f} %")
    rest = total - sum(timer.seconds.values())
    report.add(f"C {tag}: total (rest {rest * 1000:.0f} ms)", total * 1000, "ms", site)

    profiler = cProfile.Profile()
    profiler.enable()
    build_group(group, theme, out / "profiled", only=[site], workers=1)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(12)
    (out / "profile.txt").write_text(text.getvalue(), encoding="utf-8")
    lines = [ln for ln in text.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    print("  cProfile, top by own time:")
    for line in lines[start : start + 13]:
        print("   ", line[:150])


def bench_profile(report: Report, out: Path, theme: Theme) -> None:
    section("C. one site, in-process, by stage")
    national = out / "national" / "tenants"
    demo = {d.name for d in DEMO_TENANTS.iterdir()}
    county = next(  # a generated county: two sample articles
        d.name
        for d in sorted(national.iterdir())
        if d.name not in demo and region_of(d)[4:] != "00"
    )
    profile_site(report, national, county, out / "profile-county", theme, "2-article county")
    group_b = out / "b50x200" / "tenants"
    site = sorted(d.name for d in group_b.iterdir() if d.name != "main")[0]
    profile_site(report, group_b, site, out / "profile-200", theme, "200-article site")


# -- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small smoke run (~15 s)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="scratch folder")
    parser.add_argument("--workers", type=int, default=None, help="A: workers (default: cores)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per median (default 3)")
    parser.add_argument(
        "--national-repeat",
        type=int,
        default=None,
        help="runs of the national from-scratch build (default 3, 1 with --quick)",
    )
    parser.add_argument(
        "--only",
        choices=["national", "group", "profile"],
        action="append",
        help="run only these parts (repeatable; profile needs the other two's tenants)",
    )
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.national_repeat is None:
        args.national_repeat = 1 if args.quick else 3
    parts = args.only or ["national", "group", "profile"]

    report = Report()
    report.info = machine_info()
    report.print_info()
    args.out.mkdir(parents=True, exist_ok=True)
    theme = snapshot_theme(args.out)
    started = time.perf_counter()
    if "national" in parts:
        bench_national(report, args.out, theme, args)
    if "group" in parts:
        bench_group_b(report, args.out, theme, args)
    if "profile" in parts:
        bench_profile(report, args.out, theme)
    report.info["benchmark_minutes"] = round((time.perf_counter() - started) / 60, 1)

    section("results")
    print(report.table())
    name = "results-quick.json" if args.quick else "results.json"
    report.save(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
