"""Where built sites go: a local folder or an S3-protocol bucket, behind one small API.

A :class:`Target` is rooted at one place (a folder, or a bucket + key prefix) and speaks
in keys relative to that root. The publisher places every site and the shared assets with
:class:`Layout`, which turns a target URL (``file:///srv/www``, ``s3://bucket/prefix/``,
``s3://credit-{site}/``) into one target per site.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from sitegroup.errors import SitegroupError

#: Placeholder for the site id in a target URL: a bucket (or prefix) per site.
SITE_PLACEHOLDER = "{site}"
#: Where the shared assets go when the target URL has no placeholder.
ASSETS_PREFIX = "_assets"
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class PublishError(SitegroupError):
    """A publish cannot go on; ``transient`` errors are worth retrying."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, slots=True)
class Headers:
    """What a client is told about a file: its type, caching and encoding."""

    content_type: str
    cache_control: str
    content_encoding: str | None = None


@dataclass(frozen=True, slots=True)
class StoredObject:
    """One object as the target reports it (read back by tests and ``publish --check``)."""

    size: int
    content_type: str | None
    cache_control: str | None
    content_encoding: str | None


class Target(Protocol):
    """A place that holds published files under keys relative to its root."""

    #: Where it is, for messages and the report (``s3://bucket/prefix/``).
    url: str

    def get(self, key: str) -> bytes | None:
        """The object's bytes, None when absent."""
        ...

    def put(self, key: str, body: bytes, headers: Headers) -> int:
        """Store ``body`` (already encoded as ``headers`` say); return the bytes sent."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; an absent one is not an error."""
        ...

    def head(self, key: str) -> StoredObject | None:
        """Size and headers of the object as served, None when absent."""
        ...


# -- the local folder -----------------------------------------------------------------


class FolderTarget:
    """A folder served as is (nginx, a file server). Writes are atomic (temp + rename).

    A folder cannot hold headers: the server derives the type from the name and the
    caching from the rules in ``docs/publish.md``. A pre-compressed file is written beside
    the plain one as ``NAME.gz`` (nginx ``gzip_static``).
    """

    def __init__(self, root: Path, *, rules: Any = None, asset: bool = False) -> None:
        self.root = root
        self.url = root.resolve().as_uri() + "/"
        self._rules = rules
        self._asset = asset

    def _path(self, key: str) -> Path:
        return self.root / key

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise PublishError(f"无法读取 {self.url}{key}：{exc}") from exc

    def put(self, key: str, body: bytes, headers: Headers) -> int:
        path, sent = self._path(key), len(body)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if headers.content_encoding == "gzip":
                _atomic_write(path.with_name(path.name + ".gz"), body)
                body = gzip.decompress(body)
            else:
                with contextlib.suppress(FileNotFoundError):
                    path.with_name(path.name + ".gz").unlink()
            _atomic_write(path, body)
        except OSError as exc:
            raise PublishError(f"无法写入 {self.url}{key}：{exc}") from exc
        return sent

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            for p in (path, path.with_name(path.name + ".gz")):
                p.unlink(missing_ok=True)
        except OSError as exc:
            raise PublishError(f"无法删除 {self.url}{key}：{exc}") from exc

    def head(self, key: str) -> StoredObject | None:
        from sitegroup.publish.headers import headers_for

        path = self._path(key)
        if not path.is_file():
            return None
        rules = self._rules
        headers = headers_for(key, rules, asset=self._asset) if rules is not None else None
        gz = path.with_name(path.name + ".gz")
        return StoredObject(
            size=path.stat().st_size,
            content_type=headers.content_type if headers else None,
            cache_control=headers.cache_control if headers else None,
            content_encoding="gzip" if gz.is_file() else None,
        )


def _atomic_write(path: Path, body: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(body)
    tmp.replace(path)


# -- S3 and everything that speaks its protocol -----------------------------------------


@dataclass(frozen=True)
class S3Options:
    """How to reach the object store; credentials come from boto3's usual chain."""

    endpoint_url: str | None = None
    region: str | None = None
    #: Parallel uploads; the HTTP pool is sized to match.
    jobs: int = 16
    connect_timeout: float = 5.0
    read_timeout: float = 30.0


class S3Connection:
    """One boto3 client shared by every target of a publish (boto3 clients are thread-safe)."""

    def __init__(self, options: S3Options) -> None:
        import boto3
        from botocore.config import Config

        self.options = options
        config = Config(
            region_name=options.region,
            max_pool_connections=max(options.jobs, 10),
            connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout,
            # Our own retry (with backoff, counted and reported) wraps every call.
            retries={"total_max_attempts": 1},
            # Path-style works with MinIO, moto and a custom endpoint without DNS per bucket.
            s3={"addressing_style": "path"} if options.endpoint_url else None,
            # Only send checksums S3 requires: OSS, COS and older MinIO reject the rest.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=options.endpoint_url, config=config
        )


def _s3_error(exc: Exception, url: str, action: str) -> PublishError:
    """Translate a botocore error: network and server trouble is transient, the rest not."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return PublishError(
            f"对象存储 {url} {action}失败：未找到访问凭证（AWS_ACCESS_KEY_ID 等环境变量或 "
            "~/.aws/credentials）"
        )
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        transient = status >= 500 or status == 429 or code in {"SlowDown", "RequestTimeout"}
        hint = {
            "NoSuchBucket": "存储桶不存在",
            "AccessDenied": "没有权限（检查凭证与存储桶策略）",
            "InvalidAccessKeyId": "访问密钥无效",
            "SignatureDoesNotMatch": "签名不匹配（检查密钥）",
        }.get(code, error.get("Message") or code)
        return PublishError(f"对象存储 {url} {action}失败：{hint}（{code}）", transient=transient)
    if isinstance(exc, BotoCoreError):
        return PublishError(f"对象存储 {url} {action}失败：无法连接（{exc}）", transient=True)
    return PublishError(f"对象存储 {url} {action}失败：{exc}", transient=True)


class S3Target:
    """A bucket and a key prefix on an S3-protocol endpoint."""

    def __init__(self, conn: S3Connection, bucket: str, prefix: str) -> None:
        self.conn = conn
        self.bucket = bucket
        self.prefix = prefix
        self.url = f"s3://{bucket}/{prefix}"

    def _call(self, action: str, key: str, fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(Bucket=self.bucket, **kwargs)
        except Exception as exc:
            raise _s3_error(exc, f"{self.url}{key}", action) from exc

    def get(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            obj = self.conn.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
            return obj["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise _s3_error(exc, f"{self.url}{key}", "读取") from exc
        except Exception as exc:
            raise _s3_error(exc, f"{self.url}{key}", "读取") from exc

    def put(self, key: str, body: bytes, headers: Headers) -> int:
        extra: dict[str, Any] = {}
        if headers.content_encoding:
            extra["ContentEncoding"] = headers.content_encoding
        self._call(
            "上传",
            key,
            self.conn.client.put_object,
            Key=self.prefix + key,
            Body=body,
            ContentType=headers.content_type,
            CacheControl=headers.cache_control,
            **extra,
        )
        return len(body)

    def delete(self, key: str) -> None:
        self._call("删除", key, self.conn.client.delete_object, Key=self.prefix + key)

    def head(self, key: str) -> StoredObject | None:
        from botocore.exceptions import ClientError

        try:
            obj = self.conn.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                return None
            raise _s3_error(exc, f"{self.url}{key}", "读取") from exc
        return StoredObject(
            size=int(obj["ContentLength"]),
            content_type=obj.get("ContentType"),
            cache_control=obj.get("CacheControl"),
            content_encoding=obj.get("ContentEncoding"),
        )


# -- target URLs and the layout of a group in them ----------------------------------------


@dataclass(frozen=True)
class TargetURL:
    """A parsed ``file://`` or ``s3://`` target; ``{site}`` may appear once."""

    scheme: str
    #: The folder (file) or bucket (s3); may contain ``{site}``.
    location: str
    #: Key prefix below the bucket, "" or ending in "/"; may contain ``{site}``.
    prefix: str = ""

    @property
    def per_site(self) -> bool:
        return SITE_PLACEHOLDER in self.location or SITE_PLACEHOLDER in self.prefix

    def __str__(self) -> str:
        if self.scheme == "file":
            return Path(self.location).resolve().as_uri() + "/"
        return f"s3://{self.location}/{self.prefix}"


def parse_target(text: str) -> TargetURL:
    """``file:///srv/www`` (or a plain folder path), ``s3://bucket/prefix/``; ValueError else."""
    text = text.strip()
    if "://" not in text:
        if not text:
            raise ValueError("发布目标不能为空")
        return _checked(TargetURL("file", text.rstrip("/") or "/"), text)
    parts = urlsplit(text)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"本地目录应写作 file:///绝对路径，实际为 {text!r}")
        return _checked(TargetURL("file", parts.path.rstrip("/") or "/"), text)
    if parts.scheme == "s3":
        bucket = parts.netloc
        if not _BUCKET_RE.fullmatch(bucket.replace(SITE_PLACEHOLDER, "site")):
            raise ValueError(
                f"存储桶名 {bucket!r} 不合法：应为 3–63 个小写字母、数字、点或连字符"
                f"（可含 {SITE_PLACEHOLDER}），如 s3://credit-sites/www/"
            )
        prefix = parts.path.lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        if "//" in prefix or prefix.startswith("."):
            raise ValueError(f"对象前缀 {prefix!r} 不合法")
        return _checked(TargetURL("s3", bucket, prefix), text)
    raise ValueError(
        f"不支持的发布目标 {text!r}：应为 file:///本地目录 或 s3://存储桶/前缀/（S3 协议，"
        "含 MinIO、阿里云 OSS、腾讯云 COS）"
    )


def _checked(url: TargetURL, text: str) -> TargetURL:
    count = (url.location + url.prefix).count(SITE_PLACEHOLDER)
    if count > 1 or ("{" in (url.location + url.prefix).replace(SITE_PLACEHOLDER, "")):
        raise ValueError(f"发布目标 {text!r} 中只能出现一次占位符 {SITE_PLACEHOLDER}")
    return url


@dataclass(frozen=True)
class Placement:
    """One site's (or the shared assets') target and its path on the CDN."""

    target: Target
    #: URL path of the target's root on the CDN ("/zhejiang/"), for invalidations.
    cdn_root: str


class Layout:
    """Where each site and the shared assets go, for one target URL.

    Default (no placeholder): ``<root>/<site>/…`` and ``<root>/_assets/…`` in one place.
    With ``{site}`` in the bucket or prefix each site gets its own; the shared assets then
    need their own target (``assets_target``).
    """

    def __init__(
        self,
        url: TargetURL,
        *,
        assets_url: TargetURL | None = None,
        s3: S3Options | None = None,
        rules: Any = None,
    ) -> None:
        if url.per_site and assets_url is None:
            raise ValueError(
                f"发布目标 {url} 按站点分开（含 {SITE_PLACEHOLDER}），需另行配置共享资源的"
                "位置 assets_target（如 s3://credit-assets/）"
            )
        if assets_url is not None and assets_url.per_site:
            raise ValueError(f"共享资源位置 {assets_url} 不能含 {SITE_PLACEHOLDER}")
        self.url = url
        self.assets_url = assets_url
        self._s3_options = s3 or S3Options()
        self._rules = rules
        self._conn: S3Connection | None = None
        self._lock = threading.Lock()

    def connection(self) -> S3Connection:
        with self._lock:
            if self._conn is None:
                self._conn = S3Connection(self._s3_options)
            return self._conn

    def _target(self, url: TargetURL, location: str, prefix: str, *, asset: bool = False) -> Target:
        if url.scheme == "file":
            path = Path(location) / prefix if prefix else Path(location)
            return FolderTarget(path, rules=self._rules, asset=asset)
        return S3Target(self.connection(), location, prefix)

    def site(self, site_id: str) -> Placement:
        url = self.url
        if not url.per_site:
            prefix = f"{url.prefix}{site_id}/"
            return Placement(self._target(url, url.location, prefix), f"/{site_id}/")
        location = url.location.replace(SITE_PLACEHOLDER, site_id)
        prefix = url.prefix.replace(SITE_PLACEHOLDER, site_id)
        # The CDN path starts where the site's own part of the URL starts.
        if SITE_PLACEHOLDER in url.location:
            cdn_root = "/" + prefix
        else:
            cdn_root = "/" + prefix[url.prefix.index(SITE_PLACEHOLDER) :]
        return Placement(self._target(url, location, prefix), cdn_root)

    def assets(self) -> Placement:
        if self.assets_url is None:
            url = self.url
            prefix = f"{url.prefix}{ASSETS_PREFIX}/"
            placed = self._target(url, url.location, prefix, asset=True)
            return Placement(placed, f"/{ASSETS_PREFIX}/")
        url = self.assets_url
        return Placement(self._target(url, url.location, url.prefix, asset=True), "/" + url.prefix)
