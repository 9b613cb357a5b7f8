"""The central intake desk: store a case in one transaction, dispatch it, answer the submitter.

Dispatch (属地办理): an objection goes to the region of the record it is about; a complaint to
the subject's region (its newest record, else the registering authority in its 统一社会信用代码)
or, when unknown, to the region of the site it came in on. A region without a site of its own
goes to its nearest ancestor that has one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sitegroup.cases.attachments import Attachment
from sitegroup.cases.calendar import calendar_for
from sitegroup.cases.model import (
    ACTION_LABELS,
    CASE_KINDS,
    DISPATCHED,
    NUMBER_PREFIX,
    RECEIVED,
    STATUS_LABELS,
    CaseError,
    CaseInput,
)
from sitegroup.clock import CST, beijing_iso
from sitegroup.models.uscc import is_valid_uscc
from sitegroup.regions import RegionTable, is_well_formed
from sitegroup.store.tables import case_attachments, case_events, cases, records
from sitegroup.tenants.registry import Group, Site

#: Query codes: 8 characters without look-alikes (0/O, 1/I): 40 bits.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
SYSTEM = "系统"


class CaseNotFound(LookupError):
    """No case with that number and query code (the two are never told apart)."""


@dataclass(frozen=True)
class Submitted:
    number: str
    code: str  # shown to the submitter once; only its hash is stored
    kind: str
    status: str
    handler: Site


def _code_hash(number: str, code: str) -> str:
    return hashlib.sha256(f"{number}:{code}".encode()).hexdigest()


class CaseDesk:
    """Intake and public follow-up of cases over one store (SQLite or PostgreSQL)."""

    def __init__(self, engine: sa.Engine, group: Group, regions: RegionTable | None = None):
        self.engine = engine
        self.group = group
        self.regions = regions or RegionTable.default()
        self.calendar = calendar_for(group)

    # -- dispatch ---------------------------------------------------------------------

    def handler_for(self, region_code: str) -> Site:
        """The site that handles cases of a region: its own, else the nearest ancestor's."""
        site = self.group.site_for_region(region_code)
        if site is not None:
            return site
        if is_well_formed(region_code):
            for region in self.regions.ancestors(region_code):
                site = self.group.site_for_region(region.code)
                if site is not None:
                    return site
        return self.group[self.group.root]

    def _responsible(self, conn: sa.Connection, case: CaseInput) -> tuple[str, str | None, str]:
        """(region code, record key, why) of the case's responsible region."""
        if case.kind == "objection":
            q = sa.select(records.c.key, records.c.region_code).where(
                records.c.document_no == case.record, records.c.subject_code == case.subject_code
            )
            row = conn.execute(q.order_by(records.c.decided_on.desc(), records.c.key)).first()
            if row is None:
                raise CaseError(
                    {
                        "record": "没有找到该主体此决定文书号的公示信息：请核对统一社会信用代码"
                        "和决定文书号（可在信用查询中查到）"
                    }
                )
            return row.region_code, row.key, "异议信息所属地区"
        if case.subject_code:
            q = sa.select(records.c.region_code).where(records.c.subject_code == case.subject_code)
            row = conn.execute(q.order_by(records.c.decided_on.desc()).limit(1)).first()
            if row is not None:
                return row.region_code, None, "被投诉主体信用信息所属地区"
            if is_valid_uscc(case.subject_code):
                return case.subject_code[2:8], None, "被投诉主体登记机关所在地区"
        return self.group[case.site].region_code, None, "受理站点所在地区"

    # -- intake -----------------------------------------------------------------------

    def submit(
        self,
        case: CaseInput,
        *,
        attachments: Sequence[Attachment] = (),
        intake_key: str | None = None,
        now: datetime | None = None,
    ) -> Submitted:
        """Store and dispatch a case with its attachments in one transaction; nothing is
        stored on a refusal. ``intake_key`` is the keyed hash of the submitter's address."""
        if case.site not in self.group:
            raise CaseError({"site": f"未知受理站点“{case.site[:40]}”"})
        now = now or datetime.now(UTC)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        intake = self.group[case.site]
        with self.engine.begin() as conn:
            region, record_key, why = self._responsible(conn, case)
            handler = self.handler_for(region)
            case_id = conn.execute(
                cases.insert().values(
                    kind=case.kind,
                    status=DISPATCHED,
                    intake_site=case.site,
                    region_code=handler.region_code,
                    record_key=record_key,
                    subject_name=case.subject_name,
                    subject_code=case.subject_code,
                    code_hash="",
                    received_at=now,
                    updated_at=now,
                    due_on=self.calendar.due_on(case.kind, now),
                    data=case.data(),
                    intake_key=intake_key,
                )
            ).inserted_primary_key[0]
            if attachments:
                conn.execute(
                    case_attachments.insert(),
                    [
                        {
                            "case_id": case_id,
                            "name": a.name,
                            "media_type": a.media_type,
                            "size": a.size,
                            "sha256": a.sha256,
                            "content": a.content,
                        }
                        for a in attachments
                    ],
                )
            day = now.astimezone(CST).strftime("%Y%m%d")
            number = f"{NUMBER_PREFIX[case.kind]}{day}{int(case_id):08d}"
            conn.execute(
                cases.update()
                .where(cases.c.id == case_id)
                .values(number=number, code_hash=_code_hash(number, code))
            )
            events = [
                (RECEIVED, "receive", intake.region_code, f"由{intake.name}集中受理"),
                (DISPATCHED, "dispatch", handler.region_code, f"按{why}分派至{handler.name}办理"),
            ]
            conn.execute(
                case_events.insert(),
                [
                    {
                        "case_id": case_id,
                        "at": now,
                        "actor": SYSTEM,
                        "action": action,
                        "status": status,
                        "region_code": region_code,
                        "comment": comment,
                        "internal": False,
                    }
                    for status, action, region_code, comment in events
                ],
            )
        return Submitted(number, code, case.kind, DISPATCHED, handler)

    # -- feedback ---------------------------------------------------------------------

    def header(self, row: Any) -> dict[str, Any]:
        """What the submitter and the handler both see first of a ``cases`` row."""
        handler = self.handler_for(row.region_code)
        return {
            "number": row.number,
            "kind": row.kind,
            "kind_label": CASE_KINDS[row.kind],
            "status": row.status,
            "status_label": STATUS_LABELS[row.status],
            "subject_name": row.subject_name,
            "received_at": beijing_iso(row.received_at),
            "updated_at": beijing_iso(row.updated_at),
            "handler": {"site": handler.id, "name": handler.name},
            "due_on": row.due_on.isoformat() if row.due_on else None,
        }

    def lookup(self, number: str, code: str) -> dict[str, Any]:
        """The submitter's view of a case: the same on every site; no internal notes.

        Once concluded it carries the result (``result``/``result_label``), once answered
        the handler's reply (``reply``); both are null before."""
        number = number.strip().upper()
        code = code.strip().upper()
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(cases).where(cases.c.number == number)).first()
            if row is None or not hmac.compare_digest(row.code_hash, _code_hash(number, code)):
                raise CaseNotFound(number)
            events = conn.execute(
                sa.select(case_events)
                .where(case_events.c.case_id == row.id, case_events.c.internal.is_(False))
                .order_by(case_events.c.id)
            ).all()
        result = (row.data or {}).get("result") or {}
        return {
            **self.header(row),
            "result": result.get("code"),
            "result_label": result.get("label"),
            "reply": (row.data or {}).get("reply"),
            "history": [
                {
                    "at": beijing_iso(e.at),
                    "action": e.action,
                    "action_label": ACTION_LABELS.get(e.action, e.action),
                    "status": e.status,
                    "status_label": STATUS_LABELS[e.status],
                    "comment": e.comment,
                }
                for e in events
            ],
        }
