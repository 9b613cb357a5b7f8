"""Push benchmark for the 信用中国 site group: the three targets of issue 3.

What it measures, on this machine (wall clock, ``time.perf_counter``; the national group is the
one of ``bench/build_bench.py``: every region of ``sitegroup/data/divisions.csv`` with two sample
articles, plus the demo tenants, 3,215 sites):

1. **One headline → every site.** Fresh SQLite store, 30 seed headlines, a full build (printed,
   not a target). Then push ONE new headline (a one-line JSON Lines file) with ``run_headlines``
   and re-render what it changed with ``build_group(changed_only=True)`` (in-process, timed with
   ``load_group``), and through the CLI (``sitegroup build --changed``, what an operator runs).
   Target: push + rebuild < 60 s, every site updated.
2. **Import of 100,000 records.** A UTF-8 CSV of valid 行政处罚 rows spread over every county
   and city code of the national table, pushed with ``run_records`` into a fresh SQLite store
   (rows/s); then the same file again on a new connection (must change nothing). The same on
   PostgreSQL when ``--pg-url`` is reachable (a temporary database, dropped afterwards).
   Target: < 60 s.
3. **One county's records → its sites.** The 100,000 records go into the store of 1 (timed
   once), the national group is built with them (a ``--changed`` update of every site, then a
   full build from scratch: printed, not targets). Then 1,000 new records of one county are
   pushed and re-rendered with ``build_group(changed_only=True)``, in-process and through the
   CLI. Expected: the county, its city, its province and 信用中国 updated. Target: rebuild < 5 s.

Finally ``verify_group`` (what ``sitegroup verify`` runs) over the whole group: must be ok.

Each timing also gives CPU seconds of this process and its children and the share of the
machine used by other processes (see ``build_bench.py``): other sessions share this 2-core
machine, so compare CPU seconds when "others" is high. When a target is missed (or with
``--profile``) the step is run once more under cProfile (one worker, so the workers' time is
seen too) and the top entries by cumulative time are printed.

Usage::

    .venv/bin/python bench/push_bench.py           # the full benchmark (~10 minutes)
    .venv/bin/python bench/push_bench.py --quick   # a smoke run (one province, 5,000 records)

Scratch files go to ``bench/out/push/`` (git-ignored); figures are printed as they are measured,
as a table at the end, and written to ``bench/out/push/results[-quick].json``.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import pstats
import random
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from build_bench import (
    BIN,
    DIVISIONS,
    QUICK_PROVINCES,
    Report,
    Timing,
    machine_info,
    measure,
    median,
    prepare_national,
    section,
    snapshot_theme,
    spread,
)

from news_push.job import PushResult, run_headlines, run_records
from sitegroup.build.runner import BuildResult, DataSource, build_group
from sitegroup.build.verify import verify_group
from sitegroup.models.records import field_labels
from sitegroup.models.uscc import check_character
from sitegroup.partition import sites_for_region
from sitegroup.regions import level_of
from sitegroup.store import Store, open_store
from sitegroup.tenants.loader import load_group
from sitegroup.tenants.registry import Group
from sitegroup.theme import Theme

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: tests/
from tests.servers import postgres_database, postgres_reachable

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
LABELS = field_labels("penalty")
HEADLINE_WINDOW = 30
RECORDS_LIMIT = 200  # records_page_size × records_max_pages (the defaults)
COUNTY_RECORDS = 1000

TARGETS = {
    "1 headline: push + rebuild, in-process (s)": 60.0,
    "1 headline: push + rebuild, CLI (s)": 60.0,
    "2 import, SQLite (s)": 60.0,
    "2 import, PostgreSQL (s)": 60.0,
    "3 county: rebuild, in-process (s)": 5.0,
    "3 county: rebuild, CLI (s)": 5.0,
}


def walls(timings: list[Timing]) -> float:
    return median([t.wall for t in timings])


# -- helpers --------------------------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    """A URL for a fresh SQLite file (the old file and its WAL are deleted)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    return f"sqlite:///{path}"


def uscc(prefix: str, region: str, serial: int) -> str:
    """A valid 统一社会信用代码 (``prefix`` 91: enterprise, 11: government body)."""
    body = f"{prefix}{region}{serial:09d}"[:17]
    return body + check_character(body)


def profile(label: str, func: Callable[[], Any], out: Path, top: int = 15) -> Any:
    """Run ``func`` under cProfile; print and save the top entries by cumulative time."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    try:
        return func()
    finally:
        profiler.disable()
        seconds = time.perf_counter() - started
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(top)
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        (out / f"profile-{slug}.txt").write_text(text.getvalue(), encoding="utf-8")
        lines = [ln for ln in text.getvalue().splitlines() if ln.strip()]
        start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
        print(f"  cProfile of {label} ({seconds:.2f} s under the profiler), top by cumulative:")
        for line in lines[start : start + top + 1]:
            print("   ", line[:160])


def load(tenants: Path, theme: Theme) -> Group:
    return load_group(tenants, theme)


def rebuild_changed(
    tenants: Path, theme: Theme, build: Path, data: DataSource, workers: int | None = None
) -> tuple[Timing, BuildResult]:
    """``load_group`` + ``build_group(changed_only=True)``; fails loudly on site errors."""
    with measure() as timing:
        group = load(tenants, theme)
        result = build_group(group, theme, build, data=data, changed_only=True, workers=workers)
    _check_build(result)
    return timing, result


def full_build(
    tenants: Path, theme: Theme, build: Path, data: DataSource
) -> tuple[Timing, BuildResult]:
    with measure() as timing:
        group = load(tenants, theme)
        result = build_group(group, theme, build, data=data)
    _check_build(result)
    return timing, result


def _check_build(result: BuildResult) -> None:
    if result.failed:
        first = result.failed[0]
        raise SystemExit(
            f"{len(result.failed)} site(s) failed, first {first.site_id}: {first.error}"
        )


def cli_changed(tenants: Path, build: Path, url: str) -> tuple[Timing, dict[str, int]]:
    """``sitegroup build --changed`` in a subprocess; returns (timing, summary counts)."""
    cmd = [str(BIN / "sitegroup"), "build", "--tenants", str(tenants), "--out", str(build)]
    cmd += ["--changed", "--database-url", url]
    with measure() as timing:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"CLI failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    summary = proc.stdout.strip().splitlines()[-1]
    counts = {}
    for name, pattern in (
        ("built", r"(\d+) 个站点已构建"),
        ("updated", r"(\d+) 个站点按推送更新"),
        ("skipped", r"(\d+) 个未变化跳过"),
        ("pages", r"(\d+) 个页面"),
    ):
        found = re.search(pattern, summary)
        counts[name] = int(found.group(1)) if found else 0
    return timing, counts


# -- input files ----------------------------------------------------------------------------


def write_headline(path: Path, n: int, day: date) -> Path:
    item = {
        "id": f"bench-headline-{n:04d}",
        "title": f"国家发展改革委召开社会信用体系建设推进会（第{n}期）",
        "date": day.isoformat(),
        "summary": "会议部署进一步推进信用信息归集共享和双公示工作。",
        "body": "会议要求各地依托信用中国网站群，做到数据同步、页面相似、结果相同。\n\n"
        "各地信用门户网站要及时转载头版要闻。",
        "source_url": f"https://www.creditchina.gov.cn/toutiao/bench-{n:04d}.html",
    }
    path.write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_headlines(path: Path, count: int) -> Path:
    """``count`` seed headlines dated before TODAY (what every site shows already)."""
    lines = []
    for n in range(1, count + 1):
        day = TODAY - timedelta(days=count + 1 - n)
        lines.append(
            json.dumps(
                {
                    "id": f"seed-{n:03d}",
                    "title": f"信用中国头版要闻第{n}条",
                    "date": day.isoformat(),
                    "summary": "摘要",
                    "body": f"第{n}条正文。",
                    "source_url": f"https://www.creditchina.gov.cn/toutiao/seed-{n:03d}.html",
                },
                ensure_ascii=False,
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def divisions(quick: bool) -> list[tuple[str, str]]:
    """(code, name) of every county and city of the national table (one province if quick)."""
    with DIVISIONS.open(encoding="utf-8", newline="") as fh:
        rows = [(r["code"], r["name"]) for r in csv.DictReader(fh)]
    return [
        (code, name)
        for code, name in rows
        if level_of(code) in ("county", "city") and (not quick or code.startswith(QUICK_PROVINCES))
    ]


def penalty_row(serial: int, region: str, name: str, rng: random.Random) -> dict[str, str]:
    decided = TODAY - timedelta(days=1 + rng.randrange(170))
    row = {
        "subject_name": f"{name}诚信测试商贸有限公司{serial:07d}",
        "subject_type": "法人及非法人组织",
        "uscc": uscc("91", region, serial),
        "document_no": f"{name}市监罚〔2026〕{serial}号",
        "violation_type": "违反价格管理规定",
        "facts": "经营场所商品未明码标价",
        "basis": "《中华人民共和国价格法》第十三条",
        "penalty_category": "罚款",
        "content": "罚款人民币五千元",
        "fine": f"{(serial % 50 + 1) / 10:.1f}",
        "decided_on": decided.isoformat(),
        "authority": f"{name}市场监督管理局",
        "authority_code": uscc("11", region, 1),
        "source_unit": f"{name}市场监督管理局",
        "source_code": uscc("11", region, 1),
        "region_code": region,
    }
    return {LABELS.get(k, k): v for k, v in row.items()}


def write_records(path: Path, regions: list[tuple[str, str]], count: int, first: int = 1) -> Path:
    """``count`` valid penalty rows (serials from ``first``), round-robin over ``regions``."""
    rng = random.Random(first)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer: csv.DictWriter[str] | None = None
        for i in range(count):
            code, name = regions[i % len(regions)]
            row = penalty_row(first + i, code, name, rng)
            if writer is None:
                writer = csv.DictWriter(fh, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
    return path


def push_records(path: Path, store: Store, group: Group) -> PushResult:
    return run_records(path, store=store, group=group, today=TODAY, kind="penalty")


def check_push(result: PushResult, what: str, report: Report, **expected: int) -> None:
    counts = result.outcome.counts()
    wrong = {k: (counts.get(k), v) for k, v in expected.items() if counts.get(k) != v}
    if result.problems:
        report.finding(
            f"{what}: {len(result.problems)} refused row(s), first: {result.problems[0]}"
        )
    if wrong:
        report.finding(f"{what}: wrong counts (got, expected): {wrong}")


# -- the parts ------------------------------------------------------------------------------


@dataclass
class Bench:
    report: Report
    args: argparse.Namespace
    out: Path
    theme: Theme
    tenants: Path
    build: Path
    store_url: str
    group: Group

    @property
    def data(self) -> DataSource:
        return DataSource(self.store_url)


def part1_headlines(b: Bench) -> None:
    report, args = b.report, b.args
    section("1. one headline pushed to every site")
    sqlite_url(b.out / "group.sqlite3")  # a fresh store
    with open_store(b.store_url) as store:
        seed = run_headlines(
            write_headlines(b.out / "seed-headlines.jsonl", HEADLINE_WINDOW),
            store=store,
            group=b.group,
        )
        print(f"  seeded: {seed.summary()}")

        timing, res = full_build(b.tenants, b.theme, b.build, b.data)
        report.add("1 full build, 30 headlines, no records (s)", timing.wall, "s", spread([timing]))
        report.add("1 full build: sites / pages", len(res.built), "sites", f"{res.pages:,} pages")

        sites = len(b.group)
        push_t: list[Timing] = []
        build_t: list[Timing] = []
        totals: list[float] = []
        updated: list[int] = []
        pages: list[int] = []
        n = 0
        for _ in range(args.repeat):
            n += 1
            path = write_headline(b.out / f"headline-{n}.jsonl", n, TODAY)
            with measure() as tp:
                pushed = run_headlines(path, store=store, group=b.group)
            check_push(pushed, f"headline push {n}", report, added=1)
            if len(pushed.outcome.affected) != sites:
                report.finding(
                    f"headline push {n}: {len(pushed.outcome.affected)} sites affected,"
                    f" expected {sites}"
                )
            tb, res = rebuild_changed(b.tenants, b.theme, b.build, b.data)
            push_t.append(tp)
            build_t.append(tb)
            totals.append(tp.wall + tb.wall)
            updated.append(len(res.updated))
            pages.append(res.pages)
            print(
                f"  run {n}: push {tp.wall:.2f} s, rebuild {tb.wall:.2f} s (build_group"
                f" {res.seconds:.2f} s): {len(res.updated)} updated, {len(res.built)} built,"
                f" {len(res.skipped)} skipped, {res.pages:,} pages"
            )
            if len(res.updated) + len(res.built) != sites:
                report.finding(
                    f"headline rebuild {n}: {len(res.updated)} updated + {len(res.built)} built"
                    f" of {sites} sites"
                )
        report.add("1 headline: push (s)", walls(push_t), "s", spread(push_t))
        report.add("1 headline: rebuild, in-process (s)", walls(build_t), "s", spread(build_t))
        report.add(
            "1 headline: push + rebuild, in-process (s)",
            median(totals),
            "s",
            "runs " + ", ".join(f"{t:.1f}" for t in totals),
        )
        report.add("1 headline: sites updated", min(updated), "sites", f"of {sites}; {updated}")
        report.add("1 headline: pages written", int(median(pages)), "pages", f"{pages}")

        # Through the CLI: what an operator runs after `sitegroup push headlines`.
        cli_t: list[Timing] = []
        cli_totals: list[float] = []
        cli_counts: list[dict[str, int]] = []
        for _ in range(args.cli_repeat):
            n += 1
            path = write_headline(b.out / f"headline-{n}.jsonl", n, TODAY)
            with measure() as tp:
                pushed = run_headlines(path, store=store, group=b.group)
            check_push(pushed, f"headline push {n}", report, added=1)
            tc, counts = cli_changed(b.tenants, b.build, b.store_url)
            cli_t.append(tc)
            cli_totals.append(tp.wall + tc.wall)
            cli_counts.append(counts)
            print(f"  CLI run: push {tp.wall:.2f} s, `build --changed` {tc.wall:.2f} s: {counts}")
            if counts["updated"] + counts["built"] != sites:
                report.finding(f"CLI headline rebuild: {counts} of {sites} sites")
        report.add(
            "1 headline: rebuild, CLI (s)",
            walls(cli_t),
            "s",
            f"{spread(cli_t)}; updated {[c['updated'] for c in cli_counts]}",
        )
        report.add(
            "1 headline: push + rebuild, CLI (s)",
            median(cli_totals),
            "s",
            "runs " + ", ".join(f"{t:.1f}" for t in cli_totals),
        )

        if args.profile or report.missed("1 headline: push + rebuild, in-process (s)"):
            n += 1
            run_headlines(
                write_headline(b.out / f"headline-{n}.jsonl", n, TODAY), store=store, group=b.group
            )
            profile(
                "headline rebuild (1 worker)",
                lambda: rebuild_changed(b.tenants, b.theme, b.build, b.data, workers=1),
                b.out,
            )


def part2_import(b: Bench, records_csv: Path) -> None:
    report, args = b.report, b.args
    count = args.records
    section(f"2. import of {count:,} records")

    timings: list[Timing] = []
    noop: list[Timing] = []
    size = 0
    for run in range(args.repeat):
        url = sqlite_url(b.out / f"import-{run + 1}.sqlite3")
        with open_store(url) as store:
            with measure() as timing:
                pushed = push_records(records_csv, store, b.group)
            timings.append(timing)
            check_push(pushed, f"SQLite import {run + 1}", report, added=count)
            print(
                f"  run {run + 1}: {timing.wall:.2f} s, {count / timing.wall:,.0f} rows/s;"
                f" {pushed.summary()}"
            )
        if run == args.repeat - 1:  # a second `sitegroup push` run: a new engine
            with open_store(url) as store:
                for again in range(args.repeat):
                    with measure() as t:
                        same = push_records(records_csv, store, b.group)
                    noop.append(t)
                    check_push(same, f"SQLite re-push {again + 1}", report, unchanged=count)
                    print(f"  re-push {again + 1}: {t.wall:.2f} s; {same.summary()}")
        # After close: the WAL is checkpointed into the file.
        size = sum(p.stat().st_size for p in b.out.glob(f"import-{run + 1}.sqlite3*"))
    wall = walls(timings)
    report.add("2 import, SQLite (s)", wall, "s", spread(timings))
    report.add("2 import, SQLite rows/s", count / wall, "rows/s")
    report.add("2 re-push same file, SQLite (s)", walls(noop), "s", f"{spread(noop)}; 0 changed")
    report.add("2 SQLite file size after import", size / 2**20, "MiB", "import + re-pushes")
    if args.profile or report.missed("2 import, SQLite (s)"):
        url = sqlite_url(b.out / "import-profile.sqlite3")
        with open_store(url) as store:
            profile("SQLite import", lambda: push_records(records_csv, store, b.group), b.out)

    if args.no_pg:
        return
    why = postgres_reachable(args.pg_url)
    if why is not None:
        print(f"  PostgreSQL at {args.pg_url} not reachable ({why}): skipped")
        report.info["postgresql"] = f"not reachable: {why}"
        return
    pg_t: list[Timing] = []
    pg_noop: list[Timing] = []
    pg_same: list[Timing] = []
    for run in range(args.pg_repeat):
        with postgres_database(args.pg_url, "bench_push") as url:
            with open_store(url, upgrade=True) as store:
                with measure() as timing:
                    pushed = push_records(records_csv, store, b.group)
                check_push(pushed, f"PostgreSQL import {run + 1}", report, added=count)
                if args.pg_same_connection:
                    # The import's pooled connection still holds the statement psycopg prepared
                    # while the table was empty (see RESULTS.md).
                    with measure() as t:
                        same = push_records(records_csv, store, b.group)
                    pg_same.append(t)
                    print(f"  re-push on the import's connection: {t.wall:.2f} s")
            pg_t.append(timing)
            # A second `sitegroup push` run: a new engine, a new connection.
            with open_store(url) as store, measure() as t:
                same = push_records(records_csv, store, b.group)
            pg_noop.append(t)
            check_push(same, f"PostgreSQL re-push {run + 1}", report, unchanged=count)
            print(
                f"  PostgreSQL run {run + 1}: import {timing.wall:.2f} s"
                f" ({count / timing.wall:,.0f} rows/s), re-push {t.wall:.2f} s; {same.summary()}"
            )
    wall = walls(pg_t)
    report.add("2 import, PostgreSQL (s)", wall, "s", f"{spread(pg_t)} (server CPU not counted)")
    report.add("2 import, PostgreSQL rows/s", count / wall, "rows/s")
    report.add(
        "2 re-push same file, PostgreSQL (s)",
        walls(pg_noop),
        "s",
        f"{spread(pg_noop)}; new connection; 0 changed",
    )
    if pg_same:
        report.add(
            "2 re-push, PostgreSQL, import's connection (s)", walls(pg_same), "s", spread(pg_same)
        )
    if args.profile or report.missed("2 import, PostgreSQL (s)"):
        with (
            postgres_database(args.pg_url, "bench_push") as url,
            open_store(url, upgrade=True) as store,
        ):
            profile("PostgreSQL import", lambda: push_records(records_csv, store, b.group), b.out)


def pick_county(group: Group) -> tuple[str, str, list[str]]:
    """The first county site whose city and province have sites: (region, name, 4 sites)."""
    for site in sorted(group, key=lambda s: s.region_code):
        if level_of(site.region_code) != "county":
            continue
        chain = sites_for_region(group, site.region_code)
        if len(chain) == 4 and chain[0].id == site.id:
            return site.region_code, site.name, [s.id for s in chain]
    raise SystemExit("no county with a city and a province site in the group")


def regions_of(b: Bench) -> list[tuple[str, str]]:
    return divisions(b.args.quick)


def part3_county(b: Bench, records_csv: Path) -> None:
    report, args = b.report, b.args
    section(f"3. the {args.records:,} records into the group's store, then one county's update")
    with open_store(b.store_url) as store:
        with measure() as timing:
            pushed = push_records(records_csv, store, b.group)
        check_push(pushed, "import into the group store", report, added=args.records)
        report.add(
            "3 import into the group store (s)",
            timing.wall,
            "s",
            f"{len(pushed.outcome.affected)} sites affected; {spread([timing])}",
        )
    # Every site on the path of a region of the file: all of them in the national group.
    sites = len({s.id for code, _ in regions_of(b) for s in sites_for_region(b.group, code)})
    if len(pushed.outcome.affected) != sites:
        report.finding(f"import affected {len(pushed.outcome.affected)} sites, expected {sites}")

    timing, res = rebuild_changed(b.tenants, b.theme, b.build, b.data)
    report.add(
        "3 `--changed` after the import (s)",
        timing.wall,
        "s",
        f"{len(res.updated)} updated, {len(res.built)} built, {res.pages:,} pages;"
        f" {spread([timing])}",
    )
    if len(res.updated) + len(res.built) != sites:
        report.finding(f"rebuild after the import: {len(res.updated)} updated, expected {sites}")

    full_t: list[Timing] = []
    for _ in range(args.full_repeat):
        shutil.rmtree(b.build, ignore_errors=True)
        timing, res = full_build(b.tenants, b.theme, b.build, b.data)
        full_t.append(timing)
        print(f"  full build: {len(res.built)} sites, {res.pages:,} pages in {timing.wall:.1f} s")
    report.add("3 full build with records, from scratch (s)", walls(full_t), "s", spread(full_t))
    report.add("3 full build with records: pages", res.pages, "pages", f"{len(res.built)} sites")

    region, name, expected = pick_county(b.group)
    print(f"  county: {region} {name}; expected sites: {', '.join(expected)}")
    regions = [(region, name)]
    push_t: list[Timing] = []
    build_t: list[Timing] = []
    cli_t: list[Timing] = []
    first = 50_000_000
    # The CLI runs first: it renders with themes/ as it is now, and the in-process runs after
    # it re-render the same scopes with the snapshot theme that verify uses.
    modes = ["cli"] * args.cli_repeat + ["in-process"] * args.repeat
    inproc_push: list[Timing] = []
    with open_store(b.store_url) as store:
        for run, mode in enumerate(modes, start=1):
            path = write_records(b.out / f"county-{run}.csv", regions, COUNTY_RECORDS, first)
            first += COUNTY_RECORDS
            with measure() as tp:
                pushed = push_records(path, store, b.group)
            check_push(pushed, f"county push {run}", report, added=COUNTY_RECORDS)
            affected = sorted(pushed.outcome.affected)
            if affected != sorted(expected):
                report.finding(f"county push affected {affected}, expected {sorted(expected)}")
            push_t.append(tp)
            if mode == "in-process":
                tb, res = rebuild_changed(b.tenants, b.theme, b.build, b.data)
                build_t.append(tb)
                inproc_push.append(tp)
                got = sorted(res.updated + res.built)
                print(
                    f"  run {run}: push {tp.wall:.2f} s, rebuild {tb.wall:.2f} s"
                    f" (build_group {res.seconds:.2f} s): {len(res.updated)} updated"
                    f" {res.updated}, {len(res.built)} built, {res.pages} pages"
                )
            else:
                tb, counts = cli_changed(b.tenants, b.build, b.store_url)
                cli_t.append(tb)
                got = sorted(expected) if counts["updated"] == len(expected) else [str(counts)]
                print(f"  CLI run: push {tp.wall:.2f} s, `--changed` {tb.wall:.2f} s: {counts}")
            if got != sorted(expected):
                report.finding(f"county rebuild updated {got}, expected {sorted(expected)}")
    report.add("3 county: push 1,000 records (s)", walls(push_t), "s", spread(push_t))
    report.add(
        "3 county: rebuild, in-process (s)",
        walls(build_t),
        "s",
        f"{spread(build_t)}; updated {', '.join(expected)}",
    )
    if cli_t:
        report.add("3 county: rebuild, CLI (s)", walls(cli_t), "s", spread(cli_t))
    totals = [p.wall + t.wall for p, t in zip(inproc_push, build_t, strict=True)]
    report.add(
        "3 county: push + rebuild, in-process (s)",
        median(totals),
        "s",
        "runs " + ", ".join(f"{t:.2f}" for t in totals),
    )

    if args.profile or report.missed("3 county: rebuild, in-process (s)"):
        path = write_records(b.out / "county-profile.csv", regions, COUNTY_RECORDS, first)
        with open_store(b.store_url) as store:
            push_records(path, store, b.group)
        profile(
            "county rebuild (1 worker)",
            lambda: rebuild_changed(b.tenants, b.theme, b.build, b.data, workers=1),
            b.out,
        )


def part4_verify(b: Bench) -> None:
    report = b.report
    section("4. verify (sitegroup verify)")
    with open_store(b.store_url) as store, measure() as timing:
        group = load(b.tenants, b.theme)
        result = verify_group(
            group,
            b.theme,
            b.build,
            store,
            headline_window=HEADLINE_WINDOW,
            records_limit=RECORDS_LIMIT,
        )
    report.add(
        "4 verify (s)",
        timing.wall,
        "s",
        f"ok={result.ok}: {result.sites} sites, {result.files_checked:,} files,"
        f" {result.records_checked:,} record rows; {spread([timing])}",
    )
    if not result.ok:
        report.finding(
            f"verify found {len(result.drifts)} drift(s), first: "
            + "; ".join(str(d) for d in result.drifts[:5])
        )


# -- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke run: one province")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "push")
    parser.add_argument("--records", type=int, default=None, help="default 100000 (quick 5000)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per median (default 3)")
    parser.add_argument("--cli-repeat", type=int, default=2, help="CLI runs per median")
    parser.add_argument("--full-repeat", type=int, default=1, help="full builds with records")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL admin URL")
    parser.add_argument("--pg-repeat", type=int, default=2)
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--pg-same-connection",
        action="store_true",
        help="also re-push through the import's connection (slow: a cached seq-scan plan)",
    )
    parser.add_argument(
        "--only",
        choices=["headlines", "import", "county", "verify"],
        action="append",
        help="run only these parts (county and verify need the build of headlines)",
    )
    parser.add_argument("--profile", action="store_true", help="profile every target step")
    args = parser.parse_args(argv)
    if args.records is None:
        args.records = 5000 if args.quick else 100_000
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    parts = args.only or ["headlines", "import", "county", "verify"]
    if {"county", "verify"} & set(parts) and "headlines" not in parts:
        parser.error("--only county/verify need --only headlines too (its store and build)")
    if args.quick:
        args.cli_repeat = min(args.cli_repeat, 1)
        args.pg_repeat = min(args.pg_repeat, 1)

    report = Report(TARGETS)
    report.info = machine_info()
    report.print_info()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    theme = snapshot_theme(out)

    section("national group (as bench/build_bench.py)")
    t0 = time.perf_counter()
    tenants = prepare_national(out / "national", args.quick)
    print(f"  generated in {time.perf_counter() - t0:.1f} s")
    group = load(tenants, theme)
    b = Bench(
        report,
        args,
        out,
        theme,
        tenants,
        out / "national" / "build",
        f"sqlite:///{out / 'group.sqlite3'}",
        group,
    )

    regions = divisions(args.quick)
    t0 = time.perf_counter()
    records_csv = write_records(out / "records.csv", regions, args.records)
    size = records_csv.stat().st_size / 2**20
    print(
        f"  wrote {records_csv.name}: {args.records:,} rows over {len(regions):,} county/city"
        f" codes, {size:.1f} MiB, in {time.perf_counter() - t0:.1f} s"
    )

    if "headlines" in parts:
        part1_headlines(b)
    if "import" in parts:
        part2_import(b, records_csv)
    if "county" in parts:
        part3_county(b, records_csv)
    if "verify" in parts:
        part4_verify(b)
    report.info["benchmark_minutes"] = round((time.perf_counter() - started) / 60, 1)

    section("results")
    print(report.table())
    name = "results" + ("-quick" if args.quick else "")
    name += "".join(f"-{part}" for part in args.only or []) + ".json"
    report.save(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
