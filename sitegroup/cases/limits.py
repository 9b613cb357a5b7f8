"""Per-address intake limits: how many cases one network address may file, across all
API workers.

A case stores ``intake_key``: a keyed hash (BLAKE2b, 16 bytes) of the submitter's address
with the day's random salt (the click tracker's ``hit_salts``, deleted after two days), so
the cases of one address can be counted today and nobody can tell the address later. The
limits count *accepted* cases in the store (index ``(intake_key, received_at)``): a refused
request stores nothing and costs little, so it is not counted.

* ``per_hour`` cases in any rolling hour. In the first hour of a Beijing day the cases of
  the hour before midnight carry yesterday's key, so both keys are counted: the window does
  not restart at midnight.
* ``per_day`` cases per Beijing day (today's key only).

An IPv6 address is counted by its /64 network (one household or phone gets a whole /64 and
can pick any address in it); an IPv4 address by itself.

The count and the insert happen under one lock, so a burst cannot pass the limit, across
workers too: on PostgreSQL a transaction-scoped advisory lock per key (the next request of
that address waits until the case before it has committed, then counts it; other addresses
do not wait), on SQLite one exclusive lock on a file beside the database for every intake
(SQLite serializes writes anyway; it is held for the few milliseconds of one insert).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import ipaddress
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa

from sitegroup.clock import CST
from sitegroup.config import sqlite_path
from sitegroup.hits.visits import day_number
from sitegroup.store.tables import cases

T = TypeVar("T")

HOUR = timedelta(hours=1)
#: The two-key advisory lock space of intake keys (``'case'`` in ASCII); the one-key form
#: used elsewhere (``HitLedger.compact``) never conflicts with it.
_LOCK_SPACE = 0x63617365
_PERSON = b"sg-case-intake"  # BLAKE2b personalization: never equal to a visitor key


class RateLimited(Exception):
    """Too many accepted cases from one address: try again in ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class IntakeKeys:
    """The keys of one address: ``current`` is stored with the case; ``hour`` are counted
    for the rolling hour (today's, and yesterday's in the first hour of the day)."""

    current: str
    hour: tuple[str, ...]


def network_of(address: str) -> str:
    """What is counted for an address: an IPv4 address itself, an IPv6 address's /64."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address  # not an IP address (a test client, a Unix socket): as it is
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def intake_key(salt: str, address: str) -> str:
    """The stored key of an address on the day of ``salt`` (32 hex characters)."""
    digest = hashlib.blake2b(
        network_of(address).encode("utf-8", "surrogateescape"),
        digest_size=16,
        key=bytes.fromhex(salt)[:64],
        person=_PERSON,
    )
    return digest.hexdigest()


def _day_start(now: datetime) -> datetime:
    """The start of ``now``'s Beijing day, in UTC."""
    local = now.astimezone(CST)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite


class IntakeLimits:
    """The per-address limits over one store. ``salt(day)`` gives the salt of a Beijing day
    (days since 1970-01-01): ``HitLedger.salt``, which caches it per process."""

    def __init__(
        self,
        engine: sa.Engine,
        salt: Callable[[int], str],
        *,
        per_hour: int,
        per_day: int,
    ) -> None:
        self.engine = engine
        self.per_hour = per_hour
        self.per_day = per_day
        self._salt = salt
        path = sqlite_path(engine.url.render_as_string(hide_password=False))
        self._lock_file = path.with_name(path.name + ".intake-lock") if path else None
        self._local_lock = threading.Lock()  # SQLite in memory: one process anyway

    # -- keys -------------------------------------------------------------------------

    def keys(self, address: str, now: datetime | None = None) -> IntakeKeys:
        """The keys of ``address`` at ``now`` (default: the current time)."""
        now = now or datetime.now(UTC)
        today = day_number(now.astimezone(CST).date())
        current = intake_key(self._salt(today), address)
        hour = [current]
        if now - HOUR < _day_start(now):
            hour.append(intake_key(self._salt(today - 1), address))
        return IntakeKeys(current, tuple(hour))

    # -- the check --------------------------------------------------------------------

    def check(
        self, keys: IntakeKeys, now: datetime | None = None, conn: sa.Connection | None = None
    ) -> None:
        """:class:`RateLimited` when one more case from these keys would pass a limit."""
        if not (self.per_hour or self.per_day):
            return
        now = now or datetime.now(UTC)
        day_start = _day_start(now)
        q = sa.select(cases.c.intake_key, cases.c.received_at).where(
            cases.c.intake_key.in_(keys.hour), cases.c.received_at >= min(now - HOUR, day_start)
        )
        if conn is None:
            with self.engine.connect() as own:
                rows = own.execute(q).all()
        else:
            rows = conn.execute(q).all()
        stamps = [(key, _aware(at)) for key, at in rows]
        waits: list[tuple[float, str]] = []
        in_hour = sorted(at for _, at in stamps if at > now - HOUR)
        if self.per_hour and len(in_hour) >= self.per_hour:
            # The hour has room again when the oldest of the last ``per_hour`` cases leaves it.
            free = in_hour[len(in_hour) - self.per_hour] + HOUR
            seconds = max(60.0, (free - now).total_seconds())
            waits.append(
                (
                    seconds,
                    f"提交过于频繁：同一网络地址每小时最多提交 {self.per_hour} 件，"
                    f"请 {math.ceil(seconds / 60)} 分钟后再试",
                )
            )
        today = [at for key, at in stamps if key == keys.current and at >= day_start]
        if self.per_day and len(today) >= self.per_day:
            seconds = max(60.0, (day_start + timedelta(days=1) - now).total_seconds())
            waits.append(
                (
                    seconds,
                    f"提交过于频繁：同一网络地址每天最多提交 {self.per_day} 件，"
                    "请明天（北京时间 0 点以后）再试",
                )
            )
        if waits:
            seconds, message = max(waits)
            raise RateLimited(message, math.ceil(seconds))

    def admit(self, keys: IntakeKeys, submit: Callable[[str], T]) -> T:
        """Check the limits and run ``submit(intake_key)`` (which stores the case and
        commits) under the address's lock, so no other request of the address counts in
        between; :class:`RateLimited` instead when the address is at its limit."""
        if not (self.per_hour or self.per_day):
            return submit(keys.current)  # no limit: nothing to count, no lock
        with self._locked(keys.current) as conn:
            self.check(keys, conn=conn)
            return submit(keys.current)

    @contextlib.contextmanager
    def _locked(self, key: str) -> Iterator[sa.Connection | None]:
        if self.engine.dialect.name == "postgresql":
            # A transaction that holds only the lock: ended (and the lock released) after
            # ``submit`` has committed the case on its own connection.
            with self.engine.connect() as conn, conn.begin():
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:space, :key)"),
                    {
                        "space": _LOCK_SPACE,
                        "key": int.from_bytes(bytes.fromhex(key)[:4], signed=True),
                    },
                )
                yield conn
        elif self._lock_file is not None:
            with _file_lock(self._lock_file):
                yield None
        else:
            with self._local_lock:
                yield None


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` between processes and threads (``flock`` locks belong
    to the open file, so two threads with their own ``open`` exclude each other too)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
