"""Click tracker benchmark for the 信用中国 site group: the target of issue 6.

What it measures, on this machine, for each store (``sqlite``: a fresh file in a temporary
folder; ``postgresql``: a fresh database on the local server, created here with
``sitegroup db upgrade`` and dropped afterwards) and each worker count (``--workers``):

1. The API (``uvicorn search_api.app:create_app --factory``, access log off) is started as
   its own process on a free loopback port. SITEGROUP_SEARCH_PATH points at a file in a
   temporary folder. The hits are flushed every ``SITEGROUP_HITS_FLUSH_INTERVAL`` seconds
   (not set here, so the default of 1 s applies).
2. ``POST /api/hits`` is driven for ``--warmup`` + ``--seconds`` seconds (default 2 + 30) by
   ``--connections`` concurrent keep-alive HTTP/1.1 connections (default 64). The client is
   an asyncio loop in this process (uvloop when installed). It writes raw requests on
   ``asyncio.open_connection`` streams and reads each answer by its Content-Length. Every
   request is a distinct visitor: a counter sits inside a desktop Chrome User-Agent, so
   none is deduplicated and none is taken for a bot. The bodies (``text/plain``, as
   ``navigator.sendBeacon`` sends them, with the Origin of the site's canonical URL) are
   spread over the 13 demo sites and 4 paths each. A quarter of them carry an outside
   referrer, a quarter a referrer from another site of the group, and half carry none.
3. Status 204 counts as accepted; any other answer, or a connection that breaks, counts as
   an error (the first bodies are printed). Figures over the measured window only (the
   warm-up opens each worker's store and salt): accepted hits/s, p50 / p99 / max latency,
   errors. CPU seconds of the API processes (all workers; per hit, and the kernel's share),
   of this client process, of the PostgreSQL server processes and of everything else on
   the machine (other sessions: ``/proc/stat``).
4. The server gets SIGTERM (its lifespan shutdown flushes every waiting hit) and must exit
   by itself within ``--stop-timeout`` seconds. Then the store is read:
   ``SUM(views) FROM hit_counts`` must equal the hits accepted over the whole run, warm-up
   included ("nothing lost, nothing duplicated"). ``COUNT(*) FROM hit_recent`` must equal it
   too (one dedup row per distinct visitor), and ``SUM(views) FROM hit_referrers`` must equal
   the accepted hits that carried a referrer from outside the page's site. The exit status
   is 1 when a check fails. The server log is scanned for flush failures and lock errors.

Target (issue 6): at least 3,000 accepted hits/s on this 2-core machine against both stores,
with nothing lost. The client shares the two cores with the server, so its CPU time is
reported beside the server's.

Usage::

    .venv/bin/python bench/hits_bench.py                       # both stores, 30 s each
    .venv/bin/python bench/hits_bench.py --quick               # 5 s runs
    .venv/bin/python bench/hits_bench.py --workers 1,2         # compare worker counts
    .venv/bin/python bench/hits_bench.py --stores sqlite --seconds 10 --connections 32
    .venv/bin/python bench/hits_bench.py --app mymodule:factory   # another ASGI app factory

Scratch files go to ``bench/out/hits/`` (git-ignored; each run's server log is kept there).
Figures are printed as they are measured, as a table at the end, and written to
``bench/out/hits/results[-quick].json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from build_bench import CLK_TCK, DEMO_TENANTS, Report, machine_info, section

from sitegroup.store import create_engine, open_store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: tests/
from tests.servers import (
    HOST,
    LoopbackServer,
    log_tail,
    postgres_database,
    postgres_reachable,
    stop_process,
)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
STORES = ("sqlite", "postgresql")
APP = "search_api.app:create_app"
#: The worker count that was faster on this machine (see bench/RESULTS.md).
DEFAULT_WORKERS = "2"
TARGET_HITS_PER_S = 3000.0
#: Site-relative page paths of each site (as the theme reports them).
PATHS = ("", "news/", "news/2026/credit-week.html", "gongshi/")
#: Outside referrers (counted as their host name).
OUTSIDE_REFS = ("https://www.baidu.com/s?wd=%E4%BF%A1%E7%94%A8", "https://cn.bing.com/search")
#: A desktop Chrome on Windows; ``{n}`` makes every request a distinct visitor.
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.{n}.0 Safari/537.36"
)
#: Lines of the server log that mean hits were not written (or not at once).
LOG_ALARMS = ("访问统计写入失败", "未能写入", "database is locked", "Traceback", "ERROR")


# -- the store --------------------------------------------------------------------------------


@contextlib.contextmanager
def store_url(kind: str, work: Path, pg_admin: str, prefix: str = "bench_hits") -> Iterator[str]:
    """A fresh, upgraded store of ``kind``; a PostgreSQL database is dropped afterwards."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="store-", dir=work))
        url = f"sqlite:///{folder / 'store.sqlite3'}"
        # Upgraded here, not by the first request of each worker (two workers would race).
        open_store(url).close()
        try:
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    with postgres_database(pg_admin, prefix) as url:
        env = {**os.environ, "SITEGROUP_DATABASE_URL": url}
        subprocess.run(
            [str(BIN / "sitegroup"), "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        yield url


@dataclass
class Stored:
    views: int
    recent: int
    referred: int


def read_store(url: str) -> Stored:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:

            def one(sql: str) -> int:
                return int(conn.execute(sa.text(sql)).scalar_one() or 0)

            return Stored(
                one("SELECT SUM(views) FROM hit_counts"),
                one("SELECT COUNT(*) FROM hit_recent"),
                one("SELECT SUM(views) FROM hit_referrers"),
            )
    finally:
        engine.dispose()


# -- CPU of a process tree --------------------------------------------------------------------


def tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (uvicorn's supervisor and its workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{p}/task").iterdir():
                text = (task / "children").read_text(encoding="ascii")
                todo += [int(c) for c in text.split()]
    return out


def proc_cpu(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of one process so far (0 when it is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return 0.0, 0.0
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def tree_cpu(
    pid: int, since: dict[int, tuple[float, float]] | None = None
) -> dict[int, tuple[float, float]]:
    """(user, system) CPU seconds of every process of the tree, minus ``since``."""
    out = {}
    for p in tree_pids(pid):
        user, system = proc_cpu(p)
        before = (since or {}).get(p, (0.0, 0.0))
        out[p] = (user - before[0], system - before[1])
    return out


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL server process on this machine so far."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text(encoding="ascii").startswith("postgres"):
                    total += sum(proc_cpu(int(entry.name)))
    return total


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy since boot."""
    with Path("/proc/stat").open(encoding="ascii") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def own_cpu() -> float:
    t = os.times()
    return t.user + t.system


# -- the load ---------------------------------------------------------------------------------


@dataclass
class Load:
    """What the client saw: counts over the whole run, latencies over the measured window."""

    sent: int = 0
    accepted: int = 0  # 204, whole run
    referred: int = 0  # accepted with a referrer from outside the page's site
    errors: int = 0  # any other status, whole run
    broken: int = 0  # requests whose connection broke before an answer (outcome unknown)
    statuses: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    window_accepted: int = 0
    window_errors: int = 0
    window_seconds: float = 0.0
    warmup_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def error(self, what: str, detail: str, in_window: bool) -> None:
        self.errors += 1
        self.window_errors += in_window
        self.statuses[what] = self.statuses.get(what, 0) + 1
        if len(self.samples) < 5:
            self.samples.append(f"{what}: {detail[:300]}")


def bodies(sites: dict[str, str]) -> list[tuple[bytes, str, bool]]:
    """(JSON body, Origin, counts a referrer) for every site × path, referrers mixed in."""
    out = []
    ids = list(sites)
    for i, (site, path) in enumerate(itertools.product(ids, PATHS)):
        if i % 4 == 1:
            ref = OUTSIDE_REFS[i % len(OUTSIDE_REFS)]
        elif i % 4 == 3:
            ref = sites[ids[(ids.index(site) + 1) % len(ids)]]  # another site of the group
        else:
            ref = ""
        body = json.dumps({"site": site, "path": path, "ref": ref}, separators=(",", ":"))
        url = urlsplit(sites[site])
        out.append((body.encode(), f"{url.scheme}://{url.netloc}", i % 4 in (1, 3)))
    return out


def request_parts(port: int, body: bytes, origin: str) -> tuple[bytes, bytes]:
    """The bytes of one request around the User-Agent's counter: what a browser's
    ``navigator.sendBeacon`` sends from a page of the site (its Origin included)."""
    head, tail = USER_AGENT.split("{n}")
    before = (
        f"POST /api/hits HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {len(body)}\r\n"
        f"Origin: {origin}\r\nAccept: */*\r\nUser-Agent: {head}"
    ).encode()
    after = f"{tail}\r\n\r\n".encode() + body
    return before, after


def _header(head: bytes, name: bytes) -> bytes | None:
    at = head.lower().find(b"\r\n" + name + b":")
    if at < 0:
        return None
    start = at + len(name) + 3
    return head[start : head.index(b"\r\n", start)].strip()


async def drive(
    port: int, sites: dict[str, str], connections: int, warmup: float, seconds: float
) -> Load:
    """``connections`` keep-alive clients for ``warmup`` + ``seconds``; see the docstring."""
    load = Load()
    parts = [
        (*request_parts(port, body, origin), referred) for body, origin, referred in bodies(sites)
    ]
    counter = itertools.count(1)
    loop = asyncio.get_running_loop()
    begin = loop.time()
    window_start, stop = begin + warmup, begin + warmup + seconds
    latencies = load.latencies
    clock = time.perf_counter

    async def client(index: int) -> None:
        reader = writer = None
        while loop.time() < stop:
            if writer is None:
                try:
                    reader, writer = await asyncio.open_connection(HOST, port)
                except OSError as exc:
                    load.error("connect", str(exc), loop.time() >= window_start)
                    await asyncio.sleep(0.1)
                    continue
            assert reader is not None
            n = next(counter)
            before, after, referred = parts[n % len(parts)]
            load.sent += 1
            started = clock()
            writer.write(b"%b%d%b" % (before, n, after))
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                length = _header(head, b"content-length")
                body = await reader.readexactly(int(length)) if length else b""
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                load.broken += 1
                load.error("broken", f"{type(exc).__name__}: {exc}", loop.time() >= window_start)
                writer.close()
                reader = writer = None
                continue
            took = clock() - started
            in_window = loop.time() >= window_start
            status = head[9:12]
            if status == b"204":
                load.accepted += 1
                load.referred += referred
                if in_window:
                    load.window_accepted += 1
                    latencies.append(took)
            else:
                load.error(status.decode("latin-1"), body.decode("utf-8", "replace"), in_window)
                if in_window:
                    latencies.append(took)
            if (_header(head, b"connection") or b"").lower() == b"close":
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    await asyncio.gather(*(client(i) for i in range(connections)))
    load.window_seconds = loop.time() - window_start
    load.warmup_seconds = warmup
    return load


def run_load(port: int, sites: dict[str, str], args: argparse.Namespace) -> Load:
    coro = drive(port, sites, args.connections, args.warmup, args.seconds)
    if args.uvloop:
        import uvloop

        return uvloop.run(coro)
    return asyncio.run(coro)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- one run ----------------------------------------------------------------------------------


@dataclass
class Run:
    store: str
    workers: int
    connections: int
    seconds: float
    hits_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    accepted: int
    errors: int
    broken: int
    stored_views: int
    stored_recent: int
    stored_referred: int
    expected_referred: int
    server_cpu: float
    server_sys: float  # the kernel's part of server_cpu
    server_cpu_per_process: list[float]  # uvicorn's supervisor and each worker
    client_cpu: float
    postgres_cpu: float  # every PostgreSQL server process (other databases included)
    others_cpu: float  # everything else on the machine: other sessions' work
    stop_seconds: float
    exited_by_itself: bool
    statuses: dict[str, int]
    error_samples: list[str]
    log_alarms: list[str]

    @property
    def ok(self) -> bool:
        return (
            self.stored_views == self.accepted
            and self.stored_recent == self.accepted
            and self.stored_referred == self.expected_referred
            and self.exited_by_itself
        )


def one_run(
    report: Report,
    args: argparse.Namespace,
    kind: str,
    url: str,
    workers: int,
    sites: dict[str, str],
) -> Run:
    label = f"{kind}, {workers} worker{'s' if workers > 1 else ''}"
    section(f"{label}: {args.connections} connections, {args.warmup:g} + {args.seconds:g} s")
    tmp = Path(tempfile.mkdtemp(prefix="api-", dir=args.out))
    env = {
        **os.environ,
        "SITEGROUP_DATABASE_URL": url,
        "SITEGROUP_TENANTS_DIR": str(DEMO_TENANTS),
        "SITEGROUP_SEARCH_PATH": str(tmp / "search.sqlite3"),
    }
    cmd = [str(BIN / "uvicorn"), args.app, "--factory", "--host", HOST]
    cmd += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    log = args.out / f"uvicorn-{kind}-{workers}w.log"
    server = LoopbackServer(
        lambda port: [*cmd, "--port", str(port)],
        log,
        "/api/health",
        env=env,
        cwd=ROOT,
        name="uvicorn (API)",
    )
    try:
        server.start()
    except RuntimeError as error:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SystemExit(str(error)) from None
    try:
        time.sleep(1.0 if workers > 1 else 0.2)  # every worker up, not only the first
        cpu0 = tree_cpu(server.pid)
        client0, busy0, pg0 = own_cpu(), machine_busy(), postgres_cpu()
        load = run_load(server.port, sites, args)
        used = tree_cpu(server.pid, cpu0)
        pg_cpu = postgres_cpu() - pg0
        server_cpu = sum(user + system for user, system in used.values())
        server_sys = sum(system for _, system in used.values())
        per_process = sorted(round(user + system, 1) for user, system in used.values())
        client_cpu = own_cpu() - client0
        others = max(0.0, machine_busy() - busy0 - server_cpu - client_cpu - pg_cpu)
        started = time.perf_counter()
        assert server.proc is not None
        stop_process(server.proc, timeout=args.stop_timeout)
        stop_seconds = time.perf_counter() - started
        # uvicorn re-raises SIGTERM once its graceful shutdown is done: -15 is a clean exit,
        # -9 is stop_process's SIGKILL after the timeout.
        exited = server.proc.returncode not in (None, -signal.SIGKILL)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    stored = read_store(url)
    text = log.read_text(encoding="utf-8", errors="replace")
    alarms = [line for line in text.splitlines() if any(a in line for a in LOG_ALARMS)]
    run = Run(
        store=kind,
        workers=workers,
        connections=args.connections,
        seconds=round(load.window_seconds, 2),
        hits_per_s=load.window_accepted / load.window_seconds if load.window_seconds else 0.0,
        p50_ms=1000 * percentile(load.latencies, 0.50),
        p99_ms=1000 * percentile(load.latencies, 0.99),
        max_ms=1000 * max(load.latencies, default=float("nan")),
        accepted=load.accepted,
        errors=load.errors,
        broken=load.broken,
        stored_views=stored.views,
        stored_recent=stored.recent,
        stored_referred=stored.referred,
        expected_referred=load.referred,
        server_cpu=server_cpu,
        server_sys=server_sys,
        server_cpu_per_process=per_process,
        client_cpu=client_cpu,
        postgres_cpu=pg_cpu,
        others_cpu=others,
        stop_seconds=stop_seconds,
        exited_by_itself=exited,
        statuses=load.statuses,
        error_samples=load.samples,
        log_alarms=alarms[:20],
    )
    record(report, label, run, load)
    return run


def record(report: Report, label: str, run: Run, load: Load) -> None:
    met = "met" if run.hits_per_s >= TARGET_HITS_PER_S else "NOT met"
    wall = load.window_seconds + load.warmup_seconds
    per_hit = 1e6 / max(1, run.accepted + run.errors)  # µs per request, whole run
    sys_share = run.server_sys / max(run.server_cpu, 1e-9)
    report.add(
        f"{label}: accepted hits/s",
        run.hits_per_s,
        "hits/s",
        f"target ≥ {TARGET_HITS_PER_S:,.0f}: {met}; {run.accepted:,} accepted in all",
    )
    report.add(f"{label}: p50 latency (ms)", run.p50_ms, "ms", f"p99 {run.p99_ms:.1f}")
    report.add(f"{label}: p99 latency (ms)", run.p99_ms, "ms", f"max {run.max_ms:.1f}")
    report.add(
        f"{label}: errors",
        run.errors,
        "requests",
        f"{load.window_errors} in the window; {run.broken} broken connections; {run.statuses}",
    )
    report.add(
        f"{label}: server CPU per hit (µs)",
        run.server_cpu * per_hit,
        "µs",
        f"{run.server_cpu:.1f} s in {wall:.0f} s, sys {100 * sys_share:.0f} %;"
        f" per process {run.server_cpu_per_process}",
    )
    busy = run.server_cpu + run.client_cpu + run.postgres_cpu + run.others_cpu
    share = busy / (wall * (os.cpu_count() or 1))
    report.add(
        f"{label}: client CPU per hit (µs)",
        run.client_cpu * per_hit,
        "µs",
        f"machine busy {100 * share:.0f} % of {os.cpu_count()} cores: server {run.server_cpu:.1f},"
        f" client {run.client_cpu:.1f}, postgres {run.postgres_cpu:.1f}, others"
        f" {run.others_cpu:.1f} CPU s",
    )
    for sample in run.error_samples:
        print(f"    error: {sample}")
    verdict = "ok" if run.stored_views == run.accepted else "MISMATCH"
    report.add(
        f"{label}: stored SUM(views)",
        run.stored_views,
        "views",
        f"accepted {run.accepted:,}: {verdict}; dedup rows {run.stored_recent:,};"
        f" referrer views {run.stored_referred:,} (expected {run.expected_referred:,});"
        f" shutdown {run.stop_seconds:.1f} s",
    )
    if run.stored_views != run.accepted:
        diff = run.stored_views - run.accepted
        why = f" ({run.broken} requests broke before an answer)" if run.broken else ""
        report.finding(
            f"{label}: stored {run.stored_views:,} views, accepted {run.accepted:,}"
            f" ({'+' if diff > 0 else ''}{diff:,}){why}"
        )
    if run.stored_recent != run.accepted:
        report.finding(f"{label}: {run.stored_recent:,} dedup rows for {run.accepted:,} visitors")
    if run.stored_referred != run.expected_referred:
        report.finding(
            f"{label}: {run.stored_referred:,} referrer views, expected {run.expected_referred:,}"
        )
    if not run.exited_by_itself:
        report.finding(f"{label}: the server did not exit within {run.stop_seconds:.0f} s")
    if run.hits_per_s < TARGET_HITS_PER_S:
        report.finding(f"{label}: {run.hits_per_s:,.0f} hits/s < {TARGET_HITS_PER_S:,.0f}")
    for line in run.log_alarms[:5]:
        report.finding(f"{label}: server log: {line[:200]}")


# -- main -------------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    out = {"sqlite": sqlite3.sqlite_version}
    for dist in ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "sqlalchemy", "psycopg"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def demo_sites() -> dict[str, str]:
    """Site id → canonical URL of every demo site."""
    from sitegroup.tenants.loader import load_group
    from sitegroup.theme import load_theme

    return {site.id: site.url for site in load_group(DEMO_TENANTS, load_theme())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="5 s runs")
    parser.add_argument("--seconds", type=float, default=None, help="measured (default 30)")
    parser.add_argument("--warmup", type=float, default=2.0, help="before measuring (default 2)")
    parser.add_argument("--connections", type=int, default=64, help="default 64")
    parser.add_argument(
        "--workers",
        default=DEFAULT_WORKERS,
        help=f"uvicorn worker counts, comma-separated (default {DEFAULT_WORKERS})",
    )
    parser.add_argument(
        "--stores", default=",".join(STORES), help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument("--pg-url", default=PG_URL, help=f"admin URL (default {PG_URL})")
    parser.add_argument("--app", default=APP, help=f"the app factory uvicorn runs (default {APP})")
    parser.add_argument("--stop-timeout", type=float, default=60.0, help="SIGKILL after (s)")
    parser.add_argument(
        "--no-uvloop", dest="uvloop", action="store_false", help="plain asyncio client loop"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "hits")
    args = parser.parse_args(argv)
    if args.seconds is None:
        args.seconds = 5.0 if args.quick else 30.0
    stores = [x.strip() for x in args.stores.split(",") if x.strip()]
    if unknown := set(stores) - set(STORES):
        parser.error(f"unknown stores: {', '.join(sorted(unknown))}")
    workers = [int(x) for x in args.workers.split(",") if x.strip()]
    if args.uvloop:
        try:
            import uvloop  # noqa: F401
        except ImportError:
            args.uvloop = False

    report = Report({})
    report.info = machine_info() | versions()
    report.info["client_loop"] = "uvloop" if args.uvloop else "asyncio"
    report.print_info()
    args.out.mkdir(parents=True, exist_ok=True)
    sites = demo_sites()
    print(f"  {len(sites)} sites × {len(PATHS)} paths: {', '.join(sites)}")

    runs: list[Run] = []
    for kind in stores:
        if kind == "postgresql" and (why := postgres_reachable(args.pg_url)):
            report.finding(f"PostgreSQL at {args.pg_url} not reachable ({why}): skipped")
            continue
        for count in workers:
            with store_url(kind, args.out, args.pg_url) as url:
                runs.append(one_run(report, args, kind, url, count, sites))

    section("results")
    print(report.table())
    name = f"results{'-quick' if args.quick else ''}.json"
    report.save(args.out / name, runs=[asdict(r) | {"ok": r.ok} for r in runs])
    bad = [r for r in runs if not r.ok]
    for r in bad:
        print(f"FAILED: {r.store}, {r.workers} worker(s): stored != accepted, or unclean stop")
        print(log_tail(args.out / f"uvicorn-{r.store}-{r.workers}w.log", 10))
    return 1 if bad or not runs else 0


if __name__ == "__main__":
    sys.exit(main())
