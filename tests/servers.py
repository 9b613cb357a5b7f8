"""A server process on a free loopback port, for the tests and the benchmarks.

A plain module (no pytest): ``bench/*.py`` import it too, after putting the repository
root on ``sys.path``.

* ``free_port()``: a port nothing listens on right now (another process may take it).
* ``stop_process(proc)``: SIGTERM by its PID, SIGKILL after 10 s.
* ``LoopbackServer(argv, log, probe)``: a subprocess started with ``argv(port)`` on a
  free port, up as soon as it answers any HTTP response on ``probe``; started again on a
  fresh port when it exits before answering (the port may have been taken). ``start()``
  raises ``RuntimeError`` with the end of its log when it does not come up; ``stop()``
  stops it by its PID. Also a context manager::

      with LoopbackServer(lambda port: ["server", "--port", str(port)], log, "/health") as s:
          use(s.url, s.pid)

* ``MOTO_ENV`` / ``AWS_UNSET``, ``start_moto(log)``: moto's S3 server (``python -m
  moto.server``) with dummy AWS credentials; nothing is a secret, nothing leaves loopback.
* ``meili_argv(binary, data, key)``: the Meilisearch command line the tests and the search
  benchmark use (production mode, 2 indexing threads), for ``LoopbackServer``.
* ``postgres_database(admin_url, prefix)``: a fresh database on the local PostgreSQL server,
  dropped afterwards; ``postgres_reachable(admin_url)`` says why a server does not answer.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

HOST = "127.0.0.1"

#: boto3 (and moto) read these; nothing here is a secret, and nothing leaves loopback.
MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "sitegroup-moto",
    "AWS_SECRET_ACCESS_KEY": "sitegroup-moto-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}
#: Variables that would send boto3 elsewhere than ``MOTO_ENV`` says: removed beside it.
AWS_UNSET = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN")


def free_port() -> int:
    """A loopback port nothing listens on at this moment."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Terminate ``proc`` by its PID (SIGTERM, then SIGKILL after ``timeout`` seconds)."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)


def log_tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file, or ``(no log)``."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def answers_http(port: int, path: str, timeout: float = 1.0) -> bool:
    """Whether something on ``127.0.0.1:port`` gives any HTTP response to ``GET path``."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        conn.getresponse().read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()
    return True


class LoopbackServer:
    """A server subprocess on a free loopback port; see the module docstring.

    ``argv(port)`` gives the command line; stdout and stderr go to ``log`` (truncated at
    ``start()``); ``env`` replaces the environment (``None``: this process's); ``attempts``
    bounds the fresh-port retries when the process exits before answering. A server that
    neither answers nor exits within ``timeout`` seconds is stopped and not retried.
    """

    def __init__(
        self,
        argv: Callable[[int], Sequence[str | os.PathLike[str]]],
        log: Path,
        probe: str = "/",
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 60.0,
        attempts: int = 3,
        name: str | None = None,
    ) -> None:
        self.argv = argv
        self.log = Path(log)
        self.probe = probe
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.timeout = timeout
        self.attempts = attempts
        self.name = name
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("the server is not started")
        return self.proc.pid

    def start(self) -> LoopbackServer:
        """Start the server and wait until it answers; ``RuntimeError`` if it does not."""
        if self.proc is not None:
            raise RuntimeError(f"{self._name()} is already started (pid {self.proc.pid})")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.write_bytes(b"")
        failures: list[str] = []
        for _ in range(self.attempts):
            port = free_port()
            with self.log.open("ab") as out:
                proc = subprocess.Popen(
                    [os.fspath(arg) for arg in self.argv(port)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=self.cwd,
                    env=self.env,
                )
            try:
                up = self._wait(proc, port)
            except BaseException:
                stop_process(proc)
                raise
            if up:
                self.proc, self.port = proc, port
                return self
            code = proc.poll()
            stop_process(proc)
            if code is None:
                failures.append(
                    f"no answer on port {port} ({self.probe}) within {self.timeout:.0f} s"
                )
                break  # a fresh port would not help a server that hangs
            failures.append(f"exited with status {code} (port {port})")
        raise RuntimeError(
            f"{self._name()} did not start: {'; '.join(failures)}."
            f" The end of its log ({self.log}):\n{log_tail(self.log)}"
        )

    def stop(self) -> None:
        """Stop the server by its PID (SIGTERM, then SIGKILL); nothing if not running."""
        if self.proc is not None:
            stop_process(self.proc)

    def __enter__(self) -> LoopbackServer:
        return self.start() if self.proc is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait(self, proc: subprocess.Popen[bytes], port: int) -> bool:
        deadline = time.monotonic() + self.timeout
        while proc.poll() is None and time.monotonic() < deadline:
            if answers_http(port, self.probe):
                return proc.poll() is None
            time.sleep(0.05)
        return False

    def _name(self) -> str:
        if self.name:
            return self.name
        return Path(os.fspath(self.argv(0)[0])).name


def start_api(
    log: Path, settings: Mapping[str, str], *, cli: bool = False, cwd: Path | None = None
) -> LoopbackServer:
    """The API in its own process on a free loopback port, started as ``sitegroup api``
    (``cli``) or as ``uvicorn search_api.app:create_app --factory``, with the ``SITEGROUP_*``
    ``settings`` over this process's environment; ready once ``/api/health`` answers."""
    if cli:
        head = [sys.executable, "-m", "sitegroup", "api"]
    else:
        head = [sys.executable, "-m", "uvicorn", "search_api.app:create_app", "--factory"]
    return LoopbackServer(
        lambda port: [*head, "--host", HOST, "--port", str(port)],
        log,
        "/api/health",
        env={**os.environ, **settings},
        cwd=cwd,
        name="sitegroup api" if cli else "uvicorn search_api",
    ).start()


def moto_env() -> dict[str, str]:
    """This process's environment with ``MOTO_ENV`` in and ``AWS_UNSET`` out."""
    env = {k: v for k, v in os.environ.items() if k not in AWS_UNSET}
    return env | MOTO_ENV


def start_moto(log: Path, timeout: float = 30.0) -> LoopbackServer:
    """moto's S3 server on a free loopback port, started (``RuntimeError`` if it is not)."""
    return LoopbackServer(
        lambda port: [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
        log,
        "/",
        env=moto_env(),
        timeout=timeout,
        name="moto server",
    ).start()


def meili_argv(binary: Path, data: Path, key: str) -> Callable[[int], list[str]]:
    """``port → command line`` of a Meilisearch server with its files under ``data``.

    Each port gets its own database folder, so a start retried on another port does not
    reuse the files a failed one left behind.
    """

    def argv(port: int) -> list[str]:
        options = {
            "--db-path": data / f"db-{port}",
            "--dump-dir": data / "dumps",
            "--snapshot-dir": data / "snapshots",
            "--http-addr": f"{HOST}:{port}",
            "--master-key": key,
            "--env": "production",
            "--max-indexing-threads": 2,
            "--log-level": "WARN",
        }
        args = [str(binary), "--no-analytics"]
        # ``--option=value``: a value that starts with "-" (a random key may) is still a value
        return args + [f"{option}={value}" for option, value in options.items()]

    return argv


@contextmanager
def postgres_database(admin_url: str, prefix: str = "sitegroup_test") -> Iterator[str]:
    """A fresh database ``<prefix>_<random>`` on the server of ``admin_url``; its URL, and
    the database dropped (connections forced off) afterwards."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_reachable(admin_url: str) -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(admin_url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()
    return None
