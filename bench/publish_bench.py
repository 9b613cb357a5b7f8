"""Publish benchmark for the 信用中国 site group: the figures of issue 5.

What it measures, on this machine (wall clock, ``time.perf_counter``), with
``sitegroup.publish.publish_group`` in this process (what ``sitegroup publish`` runs),
``--jobs`` parallel requests (default 16), to two targets:

- **folder**: ``file:///…/public`` (a local folder, what nginx would serve);
- **s3**: moto's S3 server (``python -m moto.server``, started here as its own process on a free
  loopback port, stopped by its PID), a fresh bucket, prefix ``www/``, over HTTP with boto3.

1. **Demo group** (``tenants/``, 13 sites), built with the demo push data of ``make demo-data``
   into a fresh SQLite store. The FIRST publish to an empty target (median of ``--repeat``
   runs, each to a new folder / bucket): files/s (files uploaded, shared assets included,
   per second), seconds, MiB uploaded. Then a no-change publish to the same target: it must
   upload 0 files.
2. **National group** (``prepare_national`` of ``bench/build_bench.py``: 3,215 sites), a fresh
   store seeded with 30 headlines and a full build (as ``bench/push_bench.py`` part 1). The
   first publish to each target (one run; the S3 run is stopped after ``--s3-limit`` seconds
   and then reported as a partial rate), a no-change publish, then ONE new headline pushed
   with ``run_headlines`` and re-rendered with ``build_group(changed_only=True)``, and a
   publish to each target: files and bytes uploaded, files per site, seconds. The uploaded
   (and deleted) set must equal exactly the set of files whose content hash changed between
   the two builds (the ``hashes`` maps of every site's ``.sitegroup-build.json``); the size of
   the whole published output is given for comparison.

Each timing also gives CPU seconds of this process (the publisher: planning, hashing, boto3),
the CPU seconds of the moto server process during the run (``/proc/<pid>/stat``), and the
share of the machine used by everything else (see ``build_bench.py``): other sessions share
this 2-core machine. "plan" is the time until the first request of the upload phases
(reading every site's manifest from the target and checking the files to upload).

Usage::

    .venv/bin/python bench/publish_bench.py           # the full benchmark (~15-25 minutes)
    .venv/bin/python bench/publish_bench.py --quick   # a smoke run (one province)

Scratch files go to ``bench/out/publish/`` (git-ignored); figures are printed as they are
measured, as a table at the end, and written to ``bench/out/publish/results[-quick].json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from build_bench import (
    CLK_TCK,
    DEMO_TENANTS,
    Report,
    Timing,
    machine_info,
    measure,
    prepare_national,
    section,
    snapshot_theme,
    spread,
)
from push_bench import (
    HEADLINE_WINDOW,
    TODAY,
    full_build,
    rebuild_changed,
    sqlite_url,
    write_headline,
    write_headlines,
)

from news_push.demo import push_demo
from news_push.job import run_headlines
from sitegroup.build.plan import STATE_FILE
from sitegroup.build.runner import ASSETS_DIR, DataSource, build_group
from sitegroup.publish import PublishResult, publish_group
from sitegroup.publish.setup import PublishSetup, publish_setup
from sitegroup.store import open_store
from sitegroup.tenants.loader import load_group
from sitegroup.tenants.registry import Group
from sitegroup.theme import Theme

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: tests/
from tests.servers import AWS_UNSET, MOTO_ENV, LoopbackServer, start_moto

ROOT = Path(__file__).resolve().parent.parent
#: (site, path) → content hash of every published file of a build.
Hashes = dict[tuple[str, str], str]


# -- moto's S3 server -----------------------------------------------------------------------


@dataclass
class MotoServer:
    """moto's S3 server (``tests.servers.start_moto``); ``stop()`` ends it by its PID."""

    server: LoopbackServer

    @classmethod
    def start(cls, log_path: Path) -> MotoServer:
        try:
            return cls(start_moto(log_path))
        except RuntimeError as error:
            raise SystemExit(str(error)) from None

    @property
    def proc(self) -> subprocess.Popen[bytes]:
        assert self.server.proc is not None
        return self.server.proc

    @property
    def endpoint(self) -> str:
        return self.server.url

    def cpu(self) -> float:
        """User + system CPU seconds the server process has used so far."""
        text = Path(f"/proc/{self.proc.pid}/stat").read_text(encoding="ascii")
        fields = text[text.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def create_bucket(self, stem: str) -> str:
        import boto3
        from botocore.config import Config

        bucket = f"sg-bench-{stem}-{uuid.uuid4().hex[:8]}"
        client = boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, config=Config(s3={"addressing_style": "path"})
        )
        client.create_bucket(Bucket=bucket)
        return bucket

    def stop(self) -> None:
        self.server.stop()


# -- targets and one publish ----------------------------------------------------------------


@dataclass
class Place:
    """One publish target: a folder or a bucket on the moto server."""

    kind: str  # "folder" | "s3"
    url: str
    setup: PublishSetup


def folder_place(root: Path, jobs: int) -> Place:
    shutil.rmtree(root, ignore_errors=True)
    url = root.resolve().as_uri()
    return Place("folder", url, publish_setup(None, target=url, jobs=jobs))


def s3_place(moto: MotoServer, stem: str, jobs: int) -> Place:
    url = f"s3://{moto.create_bucket(stem)}/www/"
    setup = publish_setup(None, target=url, endpoint_url=moto.endpoint, jobs=jobs)
    return Place("s3", url, setup)


class Deadline(Exception):
    """Raised from ``on_op`` to stop a publish that runs past its time limit."""


@dataclass
class Run:
    """One publish: the result, the timing and where the time went."""

    result: PublishResult | None
    timing: Timing
    plan_seconds: float
    moto_cpu: float
    files: int  # files uploaded, shared assets included
    bytes: int  # bytes uploaded, shared assets included
    aborted: bool = False
    ops_done: int = 0

    @property
    def files_per_s(self) -> float:
        return self.files / self.timing.wall if self.timing.wall else 0.0

    def note(self) -> str:
        others = self.timing.others
        text = (
            f"plan {self.plan_seconds:.2f} s; client cpu {self.timing.cpu:.1f} s"
            f" (sys {self.timing.sys:.1f})"
        )
        if self.files:
            text += f" = {1000 * self.timing.cpu / self.files:.1f} ms/file"
        if self.moto_cpu:
            text += f"; moto cpu {self.moto_cpu:.1f} s"
            if self.files:
                text += f" = {1000 * self.moto_cpu / self.files:.1f} ms/file"
            others = max(0.0, others - self.moto_cpu)
        share = others / (self.timing.wall * (os.cpu_count() or 1)) if self.timing.wall else 0
        return f"{text}; others {100 * share:.0f} %"


def asset_bytes(build: Path, names: list[str]) -> int:
    return sum((build / ASSETS_DIR / name).stat().st_size for name in names)


def publish(
    group: Group,
    theme: Theme,
    build: Path,
    place: Place,
    moto: MotoServer | None,
    limit: float | None = None,
) -> Run:
    """``publish_group`` to ``place``, timed; stopped (``aborted``) after ``limit`` seconds."""
    marks: dict[str, float] = {}
    lock = threading.Lock()
    done = [0]

    def on_start(_total: int) -> None:
        marks["start"] = time.perf_counter()

    def on_op(_name: str) -> None:
        with lock:
            done[0] += 1
        if limit is not None and time.perf_counter() - marks["begin"] > limit:
            raise Deadline(f"stopped after {limit:.0f} s")

    moto_before = moto.cpu() if moto and place.kind == "s3" else 0.0
    result: PublishResult | None = None
    aborted = False
    with measure() as timing:
        marks["begin"] = time.perf_counter()
        try:
            result = publish_group(
                group,
                theme,
                build,
                place.setup.layout,
                place.setup.rules,
                jobs=place.setup.jobs,
                on_start=on_start,
                on_op=on_op,
            )
        except Deadline:
            aborted = True
    moto_cpu = moto.cpu() - moto_before if moto and place.kind == "s3" else 0.0
    plan = marks.get("start", marks["begin"]) - marks["begin"]
    if result is None:
        return Run(None, timing, plan, moto_cpu, done[0], 0, aborted=True, ops_done=done[0])
    files = result.uploaded_files + len(result.assets_uploaded)
    size = result.uploaded_bytes + asset_bytes(build, result.assets_uploaded)
    return Run(result, timing, plan, moto_cpu, files, size, aborted, done[0])


# -- builds ---------------------------------------------------------------------------------


def build_hashes(build: Path, group: Group) -> Hashes:
    """Every site's recorded files and content hashes (what a publish uploads)."""
    out: Hashes = {}
    for site in group:
        state = json.loads((build / site.id / STATE_FILE).read_text(encoding="utf-8"))
        out.update({(site.id, rel): digest for rel, digest in state["hashes"].items()})
    return out


def published_size(build: Path, hashes: Hashes, theme: Theme) -> tuple[int, int]:
    """(files, bytes) of a full publish: every recorded file plus the shared assets."""
    size = sum((build / site / rel).stat().st_size for site, rel in hashes)
    names = list(theme.assets.values())
    return len(hashes) + len(names), size + asset_bytes(build, names)


def tree_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def mib(n: float) -> float:
    return n / 2**20


def push_demo_data(store_url: str, group: Group) -> None:
    """The demo headlines and records of ``demo/``, as ``make demo-data`` pushes them."""
    with open_store(store_url) as store:
        results = push_demo(store=store, group=group, today=TODAY)
    problems = [p for r in results for p in r.problems]
    if problems:
        raise SystemExit(f"demo push refused {len(problems)} row(s), first: {problems[0]}")


# -- the parts ------------------------------------------------------------------------------


@dataclass
class Bench:
    report: Report
    args: argparse.Namespace
    out: Path
    theme: Theme
    moto: MotoServer | None
    extra: dict[str, Any] = field(default_factory=dict)

    def places(self, stem: str, folder: Path) -> list[Place]:
        places = [folder_place(folder, self.args.jobs)]
        if self.moto is not None:
            places.append(s3_place(self.moto, stem, self.args.jobs))
        return places


def check_noop(b: Bench, what: str, run: Run) -> None:
    if run.files or (run.result and (run.result.deleted_files or run.result.changed)):
        changed = [c.site_id for c in run.result.changed] if run.result else []
        b.report.finding(
            f"{what}: a no-change publish uploaded {run.files} file(s), deleted"
            f" {run.result.deleted_files if run.result else '?'}; sites {changed[:10]}"
        )


def part1_demo(b: Bench) -> None:
    report, args = b.report, b.args
    section("1. demo group (tenants/, demo push data): first publish, then no change")
    work = b.out / "demo"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    group = load_group(DEMO_TENANTS, b.theme)
    url = sqlite_url(work / "demo.sqlite3")
    push_demo_data(url, group)
    build = work / "build"
    with measure() as timing:
        built = build_group(group, b.theme, build, data=DataSource(url))
    if built.failed:
        raise SystemExit(f"demo build failed: {built.failed[0].site_id}: {built.failed[0].error}")
    files, size = published_size(build, build_hashes(build, group), b.theme)
    print(
        f"  built {len(built.built)} sites, {built.pages} pages in {timing.wall:.1f} s;"
        f" a full publish is {files} files, {mib(size):.1f} MiB"
    )
    report.add("1 demo: files / MiB of a full publish", files, "files", f"{mib(size):.2f} MiB")

    for kind in ["folder"] + (["s3"] if b.moto else []):
        runs: list[Run] = []
        noops: list[Run] = []
        for n in range(1, args.repeat + 1):
            place = (
                folder_place(work / f"public-{n}", args.jobs)
                if kind == "folder"
                else s3_place(b.moto, f"demo{n}", args.jobs)  # type: ignore[arg-type]
            )
            run = publish(group, b.theme, build, place, b.moto)
            assert run.result is not None
            if run.files != files:
                report.finding(f"demo first publish to {kind}: {run.files} files, expected {files}")
            noop = publish(group, b.theme, build, place, b.moto)
            check_noop(b, f"demo {kind} run {n}", noop)
            runs.append(run)
            noops.append(noop)
            print(
                f"  {kind} run {n}: first publish {run.files} files, {mib(run.bytes):.2f} MiB in"
                f" {run.timing.wall:.2f} s = {run.files_per_s:,.0f} files/s ({run.note()});"
                f" no-change {noop.files} files in {noop.timing.wall:.2f} s"
            )
        mid = sorted(runs, key=lambda r: r.timing.wall)[len(runs) // 2]
        timings = [r.timing for r in runs]
        report.add(f"1 demo first publish, {kind}: files/s", mid.files_per_s, "files/s")
        report.add(
            f"1 demo first publish, {kind} (s)",
            mid.timing.wall,
            "s",
            f"median of {len(runs)}: {', '.join(f'{t.wall:.2f}' for t in timings)} s; {mid.note()}",
        )
        report.add(
            f"1 demo first publish, {kind}: MiB", mib(mid.bytes), "MiB", f"{mid.files} files"
        )
        report.add(
            f"1 demo no-change publish, {kind}: files",
            max(r.files for r in noops),
            "files",
            f"{statistics.median(r.timing.wall for r in noops):.2f} s (median)",
        )


def headline_check(b: Bench, kind: str, run: Run, before: Hashes, after: Hashes) -> dict[str, Any]:
    """Compare what the publish uploaded and deleted with what changed between the builds."""
    assert run.result is not None
    changed = {key for key, digest in after.items() if before.get(key) != digest}
    removed = set(before) - set(after)
    uploaded = {(c.site_id, rel) for c in run.result.changed for rel in c.uploaded}
    deleted = {(c.site_id, rel) for c in run.result.changed for rel in c.deleted}
    extra, missing = sorted(uploaded - changed), sorted(changed - uploaded)
    if extra or missing or deleted != removed or run.result.assets_uploaded:
        b.report.finding(
            f"headline publish to {kind}: uploaded set differs from the changed files:"
            f" {len(extra)} uploaded but unchanged (first {extra[:5]}), {len(missing)} changed"
            f" but not uploaded (first {missing[:5]}); deleted {len(deleted)} vs removed"
            f" {len(removed)}; assets {run.result.assets_uploaded}"
        )
    return {
        "changed_files": len(changed),
        "removed_files": len(removed),
        "uploaded_unchanged": len(extra),
        "changed_not_uploaded": len(missing),
        "equal": not extra and not missing and deleted == removed,
    }


def part2_national(b: Bench) -> None:
    report, args = b.report, b.args
    section("2. national group: first publish, no change, one headline")
    tenants = prepare_national(b.out / "national", args.quick)
    group = load_group(tenants, b.theme)
    build = b.out / "national" / "build"
    url = sqlite_url(b.out / "group.sqlite3")
    data = DataSource(url)
    with open_store(url) as store:
        seed = run_headlines(
            write_headlines(b.out / "seed-headlines.jsonl", HEADLINE_WINDOW),
            store=store,
            group=group,
        )
    print(f"  seeded: {seed.summary()}")
    timing, built = full_build(tenants, b.theme, build, data)
    print(
        f"  full build: {len(built.built)} sites, {built.pages:,} pages in {timing.wall:.1f} s"
        f" ({spread([timing])})"
    )
    before = build_hashes(build, group)
    files, size = published_size(build, before, b.theme)
    on_disk = tree_size(build)
    report.add(
        "2 national: files / MiB of a full publish",
        files,
        "files",
        f"{mib(size):.1f} MiB; {len(group)} sites; build folder {mib(on_disk):.1f} MiB",
    )

    places = b.places("national", b.out / "national" / "public")
    usable: list[Place] = []
    for place in places:
        limit = args.s3_limit if place.kind == "s3" else None
        run = publish(group, b.theme, build, place, b.moto, limit)
        extra = f"; moto RSS {b.moto.rss_mib():,.0f} MiB" if place.kind == "s3" and b.moto else ""
        if run.aborted:
            rate = run.ops_done / run.timing.wall
            report.add(
                f"2 national first publish, {place.kind}: files/s",
                rate,
                "files/s",
                f"STOPPED after {run.timing.wall:.0f} s (--s3-limit): {run.ops_done:,} of"
                f" {files:,} files; {run.note()}{extra}",
            )
            report.finding(
                f"national first publish to {place.kind} stopped after {run.timing.wall:.0f} s"
                f" ({run.ops_done:,} of {files:,} files): not measured to the end"
            )
            continue
        usable.append(place)
        if run.files != files:
            report.finding(
                f"national first publish to {place.kind}: {run.files} files, expected {files}"
            )
        report.add(f"2 national first publish, {place.kind}: files/s", run.files_per_s, "files/s")
        report.add(
            f"2 national first publish, {place.kind} (s)",
            run.timing.wall,
            "s",
            f"{run.files:,} files, {mib(run.bytes):.1f} MiB; {run.note()}{extra}",
        )
        noop = publish(group, b.theme, build, place, b.moto)
        check_noop(b, f"national {place.kind}", noop)
        report.add(
            f"2 national no-change publish, {place.kind} (s)",
            noop.timing.wall,
            "s",
            f"{noop.files} files uploaded; {noop.note()}",
        )

    section("2. one new headline → build --changed → publish")
    with open_store(url) as store:
        path = write_headline(b.out / "headline-1.jsonl", 1, TODAY)
        pushed = run_headlines(path, store=store, group=group)
    affected = len(pushed.outcome.affected)
    timing, res = rebuild_changed(tenants, b.theme, build, data)
    report.add(
        "2 headline: push + rebuild --changed (s)",
        timing.wall,
        "s",
        f"{affected} sites affected; {len(res.updated)} updated, {res.pages:,} pages written",
    )
    after = build_hashes(build, group)
    changed = sum(1 for key, digest in after.items() if before.get(key) != digest)
    removed = sorted(set(before) - set(after))
    report.add(
        "2 headline: files whose content changed",
        changed,
        "files",
        f"of {len(after):,}; {len(removed)} removed: "
        + ", ".join(f"{site}/{rel}" for site, rel in removed[:5]),
    )
    for place in usable:
        run = publish(group, b.theme, build, place, b.moto)
        assert run.result is not None
        check = headline_check(b, place.kind, run, before, after)
        per_site = Counter(len(c.uploaded) for c in run.result.changed)
        paths = Counter(rel for c in run.result.changed for rel in c.uploaded)
        k = place.kind
        report.add(
            f"2 headline publish, {k}: files uploaded",
            run.files,
            "files",
            f"{len(run.result.changed)} sites; deleted {run.result.deleted_files};"
            f" equals the changed set: {check['equal']}",
        )
        report.add(
            f"2 headline publish, {k}: KiB uploaded",
            run.bytes / 1024,
            "KiB",
            f"{100 * run.bytes / size:.2f} % of the full publish ({mib(size):.1f} MiB)",
        )
        report.add(
            f"2 headline publish, {k}: files per site",
            statistics.median(len(c.uploaded) for c in run.result.changed)
            if run.result.changed
            else 0,
            "files",
            "median; sites by count " + ", ".join(f"{n}: {s}" for n, s in sorted(per_site.items())),
        )
        report.add(f"2 headline publish, {k} (s)", run.timing.wall, "s", run.note())
        print(
            f"  {k}: most uploaded paths: "
            + ", ".join(f"{p} ×{n}" for p, n in paths.most_common(12))
        )
        b.extra[f"headline_{k}"] = {
            **check,
            "files_per_site": dict(sorted(per_site.items())),
            "paths": dict(paths.most_common()),
            "summary": run.result.summary(),
        }


# -- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke run: one province")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "publish")
    parser.add_argument("--jobs", type=int, default=16, help="parallel requests (16)")
    parser.add_argument("--repeat", type=int, default=None, help="demo runs (default 3, quick 1)")
    parser.add_argument(
        "--s3-limit", type=float, default=900.0, help="stop the national S3 first publish (s)"
    )
    parser.add_argument("--no-s3", action="store_true", help="the folder target only")
    parser.add_argument("--only", choices=["demo", "national"], action="append")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    parts = args.only or ["demo", "national"]

    report = Report({})
    report.info = machine_info()
    report.info["jobs"] = args.jobs
    report.print_info()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    theme = snapshot_theme(out)

    os.environ.update(MOTO_ENV)
    for key in AWS_UNSET:
        os.environ.pop(key, None)
    moto = None if args.no_s3 else MotoServer.start(out / "moto.log")
    if moto is not None:
        print(f"  moto server: {moto.endpoint} (pid {moto.proc.pid})")
        report.info["moto"] = f"moto {__import__('moto').__version__} server, pid {moto.proc.pid}"
    b = Bench(report, args, out, theme, moto)
    try:
        if "demo" in parts:
            part1_demo(b)
        if "national" in parts:
            part2_national(b)
    finally:
        if moto is not None:
            moto.stop()
    report.info["benchmark_minutes"] = round((time.perf_counter() - started) / 60, 1)

    section("results")
    print(report.table())
    name = "results" + ("-quick" if args.quick else "")
    name += "".join(f"-{part}" for part in args.only or []) + ".json"
    report.save(out / name, **b.extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
