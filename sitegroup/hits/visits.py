"""One page view as the tracker sees it: validated, bot-filtered, reduced to a visitor key.

Raw IP addresses and user agents stop here: a hit carries only a keyed hash of them (with the
site and page), salted with a random value that changes every day (Beijing time).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import unquote, urlsplit

from sitegroup.clock import CST

#: Minutes between the Unix epoch's midnight and Beijing's (a day bucket starts there).
CST_OFFSET_MINUTES = 8 * 60
MINUTES_PER_DAY = 24 * 60

MAX_SITE = 64
MAX_PATH = 512
MAX_REF = 1024
MAX_REF_KEY = 128

#: Crawlers, monitors, previews, scripts and headless browsers: not visits. Matched
#: case-insensitively anywhere in the user agent; an empty or very short one is a bot too.
BOT_PATTERNS = (
    r"bot\b", r"bot/", r"crawl", r"spider", r"slurp", r"archiver", r"scrapy", r"headless",
    r"phantomjs", r"electron/", r"lighthouse", r"pingdom", r"uptime", r"monitor",
    r"facebookexternalhit", r"bytespider", r"yisouspider", r"sogou web", r"baiduspider",
    r"360spider", r"petalbot", r"semrush", r"ahrefs", r"mj12", r"dataforseo",
    r"^curl/", r"^wget/", r"python-", r"python/", r"aiohttp", r"httpx", r"okhttp",
    r"go-http-client", r"java/", r"apache-httpclient", r"libwww", r"node-fetch", r"axios/",
)  # fmt: skip
# Searched in the lower-cased user agent: the answers of re.IGNORECASE (every pattern is
# lower-case ASCII) at a sixth of the cost (~9 µs instead of ~50 µs for a browser's).
_BOT_RE = re.compile("|".join(BOT_PATTERNS))
_MIN_UA = 12

# A site-relative page path as the theme writes it (``news/``, ``news/a.html``, ``""``):
# URL characters only, no scheme, host, query, fragment, backslash or dot segment.
_PATH_CHARS = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=@%/-]*")
_HOST_RE = re.compile(r"[a-z0-9.-]+(?::\d+)?")


class HitError(ValueError):
    """A hit refused; ``field`` names the parameter, the message says what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def is_bot(user_agent: str | None) -> bool:
    """Whether a user agent belongs to a crawler, monitor or script (not counted)."""
    ua = (user_agent or "").strip()
    return len(ua) < _MIN_UA or _BOT_RE.search(ua.lower()) is not None


def minute_of(ts: float) -> int:
    """Whole minutes since the Unix epoch."""
    return int(ts // 60)


def day_of(minute: int) -> int:
    """The Beijing day of a minute, as days since 1970-01-01."""
    return (minute + CST_OFFSET_MINUTES) // MINUTES_PER_DAY


def day_start(day: int) -> int:
    """The first minute of a Beijing day."""
    return day * MINUTES_PER_DAY - CST_OFFSET_MINUTES


def day_number(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def minute_time(minute: int) -> datetime:
    """A minute as an aware Beijing datetime."""
    return datetime.fromtimestamp(minute * 60, UTC).astimezone(CST)


def normalize_path(raw: str) -> str:
    """The stored form of a page path: ``/`` + the site-relative path; refused if outside."""
    if len(raw) > MAX_PATH:
        raise HitError("path", f"页面路径过长：最多 {MAX_PATH} 个字符")
    path = raw.strip()
    if not _PATH_CHARS.fullmatch(path):
        raise HitError("path", "页面路径不合法：只能是站点内的相对路径，不含协议、主机、查询或空白")
    path = path.lstrip("/")
    segments = unquote(path).split("/")
    if any(seg in (".", "..") for seg in segments) or "//" in path:
        raise HitError("path", "页面路径不合法：不能指向站点之外（含 .. 或空段）")
    return "/" + path


@dataclass(frozen=True, slots=True)
class Hit:
    """One accepted page view, before dedup: nothing in it identifies a person."""

    key: str  # visitor + site + page, hashed with the day's salt (32 hex)
    site: str
    path: str
    ref: str  # "" (direct or same site), "site:<id>" or an outside host
    ts: float  # Unix time it arrived

    @property
    def minute(self) -> int:
        return minute_of(self.ts)


class HitRules:
    """Validation and referrer mapping for one group: which sites exist and where they live."""

    def __init__(self, sites: Iterable[tuple[str, str]]) -> None:
        """``sites``: (site id, canonical URL) of every site in the group."""
        self.urls: dict[str, str] = {}
        for site_id, url in sites:
            self.urls[site_id] = url
        # Per host, longest prefix first, so 信用中国(浙江杭州) wins over a parent on the same
        # host. A prefix is ``host/path``: only a referrer on that very host can start with it,
        # so a hit looks at the sites of one host, not at every site of the group.
        self._prefixes: dict[str, list[tuple[str, str]]] = {}
        for prefix, sid in sorted(
            ((_url_key(url), sid) for sid, url in self.urls.items() if url),
            key=lambda item: len(item[0]),
            reverse=True,
        ):
            self._prefixes.setdefault(prefix.split("/", 1)[0], []).append((prefix, sid))

    def site(self, raw: str) -> str:
        site = raw.strip()
        if not site:
            raise HitError("site", "缺少站点标识 site")
        if len(site) > MAX_SITE or site not in self.urls:
            raise HitError("site", f"未知站点“{site[:MAX_SITE]}”：不计数")
        return site

    def ref(self, raw: str, site: str, host: str | None = None) -> str:
        """The referrer as counted: ``site:<id>`` for another site of the group, an outside
        host name, or ``""`` for none, the same site, or something unparseable. Never the
        full URL (its path and query may carry a person's search words)."""
        if not raw or len(raw) > MAX_REF:
            return ""
        try:
            parts = urlsplit(raw.strip())
        except ValueError:
            return ""
        netloc = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not netloc:
            return ""
        try:
            port = parts.port
        except ValueError:  # a port out of range or not a number: unparseable
            return ""
        if port:
            netloc = f"{netloc}:{port}"
        key = f"{netloc}{parts.path or '/'}"
        candidates = self._prefixes.get(netloc, ())
        source = next((sid for prefix, sid in candidates if key.startswith(prefix)), None)
        if source is None and host and netloc == host.lower():
            # The preview (`sitegroup serve`) puts every site under /<site-id>/ on one host.
            first = (parts.path or "/").split("/")[1]
            source = first if first in self.urls else None
        if source is not None:
            return "" if source == site else f"site:{source}"
        return netloc[:MAX_REF_KEY] if _HOST_RE.fullmatch(netloc) else ""


def _url_key(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{host}{parts.path or '/'}"


@functools.lru_cache(maxsize=4)
def _salt_bytes(salt: str) -> bytes:
    """The blake2b key of a day's salt (a worker uses one or two salts a day)."""
    return bytes.fromhex(salt)[:64]


def visitor_key(salt: str, ip: str, user_agent: str, site: str, path: str) -> str:
    """The dedup key of a view: who (salted, unrecoverable), which site and which page."""
    h = hashlib.blake2b(digest_size=16, key=_salt_bytes(salt))
    for part in (ip, user_agent, site, path):
        h.update(part.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
    return h.hexdigest()
