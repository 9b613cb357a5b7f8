"""Handler accounts (属地办理): a person at one site who works the cases of that site's region
and of every region below it.

A handler authenticates with a bearer token. The token is shown once, when the account is
made; the store keeps only its SHA-256, so a copy of the database lets nobody act as a
handler. Revoking an account keeps its row (the audit log refers to it).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sitegroup.partition import covers
from sitegroup.regions import level_of
from sitegroup.store.tables import case_handlers
from sitegroup.tenants.registry import Group

NAME_MAX = 64
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class HandlerError(ValueError):
    """A handler account could not be made or changed; the message says why (Chinese)."""


@dataclass(frozen=True)
class Handler:
    id: int
    site: str
    region_code: str
    name: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def covers(self, region_code: str) -> bool:
        """True when a case or record of ``region_code`` is within this handler's region."""
        return covers(self.region_code, region_code)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def region_clause(column: sa.ColumnElement[Any], region_code: str) -> sa.ColumnElement[bool]:
    """SQL for "``column`` holds a region code inside ``region_code``" (the same rule as
    :func:`sitegroup.partition.covers`): a province by its 2-digit prefix, a city by its
    4-digit prefix, a county exactly, the nation everything."""
    level = level_of(region_code)
    if level == "national":
        return sa.true()
    if level == "province":
        return column.like(region_code[:2] + "%")
    if level == "city":
        return column.like(region_code[:4] + "%")
    return column == region_code


def validate_name(name: str) -> str:
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        raise HandlerError("办理人姓名不能为空")
    if len(text) > NAME_MAX:
        raise HandlerError(f"办理人姓名过长：最多 {NAME_MAX} 个字，实际 {len(text)} 个")
    if _CONTROL_RE.search(text):
        raise HandlerError("办理人姓名不能含控制字符（如换行、制表符）")
    return text


def _handler(row: Any) -> Handler:
    return Handler(
        id=int(row.id),
        site=row.site,
        region_code=row.region_code,
        name=row.name,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def create_handler(
    engine: sa.Engine, group: Group, site: str, name: str, *, now: datetime | None = None
) -> tuple[Handler, str]:
    """Make an account at ``site``; returns it and its token (shown once, never stored)."""
    if site not in group:
        raise HandlerError(f"未知站点“{site[:40]}”：可用 sitegroup sites 查看站点标识")
    name = validate_name(name)
    token = secrets.token_urlsafe(32)
    now = now or datetime.now(UTC)
    region = group[site].region_code
    with engine.begin() as conn:
        handler_id = conn.execute(
            case_handlers.insert().values(
                site=site,
                region_code=region,
                name=name,
                token_hash=token_hash(token),
                created_at=now,
                revoked_at=None,
            )
        ).inserted_primary_key[0]
    return Handler(int(handler_id), site, region, name, now), token


def authenticate(engine: sa.Engine, token: str) -> Handler | None:
    """The active handler holding ``token``, or None (unknown or revoked)."""
    if not token or len(token) > 200:
        return None
    query = sa.select(case_handlers).where(
        case_handlers.c.token_hash == token_hash(token), case_handlers.c.revoked_at.is_(None)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else _handler(row)


def list_handlers(engine: sa.Engine, *, site: str | None = None) -> list[Handler]:
    """Every account (revoked ones too), by site and id."""
    query = sa.select(case_handlers).order_by(case_handlers.c.site, case_handlers.c.id)
    if site is not None:
        query = query.where(case_handlers.c.site == site)
    with engine.connect() as conn:
        return [_handler(r) for r in conn.execute(query)]


def revoke_handler(engine: sa.Engine, handler_id: int, *, now: datetime | None = None) -> Handler:
    """Revoke an account at once (its token stops working); revoking twice is harmless."""
    with engine.begin() as conn:
        conn.execute(
            case_handlers.update()
            .where(case_handlers.c.id == handler_id, case_handlers.c.revoked_at.is_(None))
            .values(revoked_at=now or datetime.now(UTC))
        )
        row = conn.execute(sa.select(case_handlers).where(case_handlers.c.id == handler_id)).first()
    if row is None:
        raise HandlerError(f"没有编号为 {handler_id} 的办理人账号")
    return _handler(row)
