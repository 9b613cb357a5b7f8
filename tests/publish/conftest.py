"""Publish targets for the tests: a local folder, and moto's S3 server over HTTP on loopback.

moto runs in server mode as its own process (``python -m moto.server``), so the publisher
talks to it exactly as to S3, MinIO or OSS: boto3, HTTP, real sockets. A small TCP proxy
in front of it can be cut to simulate a network failure.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sitegroup.build.runner import build_group
from sitegroup.publish import MANIFEST, HeaderRules, Layout, parse_target
from sitegroup.publish.targets import S3Options
from sitegroup.tenants.loader import load_group
from sitegroup.theme import Theme
from tests.conftest import GOLDEN_TENANTS
from tests.servers import AWS_UNSET, MOTO_ENV, start_moto
from tests.servers import free_port as free_port  # for test_publish_cli


@pytest.fixture(scope="session")
def aws_env() -> Iterator[dict[str, str]]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in MOTO_ENV.items():
            mp.setenv(key, value)
        for key in AWS_UNSET:
            mp.delenv(key, raising=False)
        yield dict(MOTO_ENV)


@pytest.fixture(scope="session")
def s3_endpoint(aws_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server on a free loopback port for the whole session; stopped by its PID."""
    with start_moto(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server.url


def s3_client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"})
    )


@dataclass
class Place:
    """One publish destination under test, and how to read it back."""

    kind: str
    url: str
    endpoint: str | None = None
    root: Path | None = None
    buckets: list[str] = field(default_factory=list)
    _default: Layout | None = field(default=None, repr=False, compare=False)

    def layout(self, rules: HeaderRules | None = None, **kwargs: Any) -> Layout:
        if rules is None and not kwargs:  # one boto3 client per place, not per call
            if self._default is None:
                self._default = self.layout(HeaderRules(), **kwargs)
            return self._default
        assets = kwargs.pop("assets_url", None)
        return Layout(
            parse_target(self.url),
            assets_url=parse_target(assets) if assets else None,
            s3=S3Options(endpoint_url=self.endpoint, **kwargs),
            rules=rules or HeaderRules(),
        )

    def snapshot(self, rules: HeaderRules | None = None) -> dict[str, tuple[Any, ...]]:
        """Every published object: key → (body, type, cache, encoding); manifests by files."""
        layout = self.layout(rules)
        out: dict[str, tuple[Any, ...]] = {}
        for key, target in self._targets(layout):
            head = target.head(key)
            body = target.get(key)
            if key.endswith(MANIFEST):
                body = json.loads(body)["files"]
            out[f"{target.url}{key}"] = (
                body,
                head.content_type,
                head.cache_control,
                head.content_encoding,
            )
        return out

    def all_keys(self) -> set[str]:
        return {f"{t.url}{k}" for k, t in self._targets(self.layout())}

    def _targets(self, layout: Layout) -> Iterator[tuple[str, Any]]:
        if self.kind == "folder":
            root = layout.assets().target
            base = root.root.parent  # type: ignore[attr-defined]
            for path in sorted(base.rglob("*")):
                if path.is_file() and not path.name.endswith((".gz", ".tmp")):
                    rel = path.relative_to(base).as_posix()
                    site, _, key = rel.partition("/")
                    target = (
                        layout.assets().target if site == "_assets" else layout.site(site).target
                    )
                    yield key, target
            return
        client = s3_client(self.endpoint or "")
        for bucket in self.buckets:
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for obj in (o for page in pages for o in page.get("Contents", [])):
                key = obj["Key"]
                yield from self._s3_place(layout, bucket, key)

    def _s3_place(self, layout: Layout, bucket: str, key: str) -> Iterator[tuple[str, Any]]:
        from sitegroup.publish.targets import S3Target

        # Keys are <prefix><site>/<rel>: split after the configured prefix.
        base = parse_target(self.url).prefix
        assert key.startswith(base), key
        site, _, rel = key[len(base) :].partition("/")
        yield rel, S3Target(layout.connection(), bucket, f"{base}{site}/")


@pytest.fixture(params=["folder", "s3"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Place]:
    """Each publish test runs against a local folder and against S3 (moto server)."""
    if request.param == "folder":
        root = tmp_path / "public"
        yield Place("folder", root.as_uri(), root=root)
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"sg-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=bucket)
    yield Place("s3", f"s3://{bucket}/www/", endpoint=endpoint, buckets=[bucket])


@pytest.fixture(scope="session")
def golden_build(tmp_path_factory: pytest.TempPathFactory, theme: Theme) -> Path:
    """The golden group (national, province, city, county) built once."""
    out = tmp_path_factory.mktemp("publish-build") / "build"
    result = build_group(load_group(GOLDEN_TENANTS, theme), theme, out, workers=1)
    assert not result.failed, result.failed
    return out


@dataclass
class Workspace:
    """A private copy of the golden tenants and their build, free to edit and rebuild."""

    tenants: Path
    out: Path
    theme: Theme

    @property
    def group(self) -> Any:
        return load_group(self.tenants, self.theme)

    def rebuild(self) -> Any:
        result = build_group(self.group, self.theme, self.out, workers=1)
        assert not result.failed, result.failed
        return result


@pytest.fixture
def workspace(tmp_path: Path, golden_build: Path, theme: Theme) -> Workspace:
    tenants = tmp_path / "tenants"
    shutil.copytree(GOLDEN_TENANTS, tenants)
    out = tmp_path / "build"
    shutil.copytree(golden_build, out, symlinks=True)
    return Workspace(tenants, out, theme)


class CutProxy:
    """A TCP proxy on loopback in front of the S3 server; ``cut()`` drops every connection."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = upstream_port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        self.up.clear()
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                    conn.close()
            self._conns.clear()

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self._stop = True
        self.cut()
        self.server.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()  # connection reset: the network is down
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.close()


@pytest.fixture
def cut_proxy(s3_endpoint: str) -> Iterator[CutProxy]:
    proxy = CutProxy(int(s3_endpoint.rsplit(":", 1)[1]))
    yield proxy
    proxy.close()
