"""What a report says: one subject and all its active records, read from the store.

The content depends on the subject and the data only, never on the issuing site, so the
same subject issued by any two sites reads the same apart from the site, number and times.
Everything here is already public: ID numbers masked, free text scrubbed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from sitegroup.errors import SitegroupError
from sitegroup.models.idcard import mask_id_number
from sitegroup.models.records import RECORD_KINDS, Record, public_fields, public_record
from sitegroup.models.uscc import CodeError, validate_uscc
from sitegroup.search.documents import region_name
from sitegroup.store import ACTIVE
from sitegroup.store.tables import pushes, records

__all__ = [
    "NATURAL",
    "ReportContent",
    "Subject",
    "SubjectNotFound",
    "SubjectRefError",
    "gather",
]

NATURAL = "自然人"
#: A record key (:func:`sitegroup.models.records.record_key`), as the query page shows it on
#: a natural person's record.
_RECORD_KEY = re.compile(rf"^(?:{'|'.join(RECORD_KINDS)})-[0-9A-Za-z_.\-]{{1,72}}$")


class SubjectRefError(SitegroupError, ValueError):
    """The subject reference is neither a valid 统一社会信用代码 nor a record key."""


class SubjectNotFound(SitegroupError, LookupError):
    """No active record of that subject."""


@dataclass(frozen=True, slots=True)
class Subject:
    #: What the report was asked for: the 统一社会信用代码, or a natural person's record key.
    ref: str
    name: str
    type: str
    #: The public code ("" for a natural person: never an ID number).
    code: str
    natural: bool
    region_code: str
    region: str
    legal_rep: str = ""
    id_type: str = ""
    #: Masked (``330*************2X``).
    id_number: str = ""

    def field(self, key: str) -> str:
        return str(getattr(self, key, "") or "")


@dataclass(frozen=True, slots=True)
class ReportContent:
    subject: Subject
    #: kind → public records (see :func:`sitegroup.models.records.public_record`), newest first.
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    data_cutoff: datetime | None = None

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.records.values())


def _active(today: date) -> list[Any]:
    return [
        records.c.status == ACTIVE,
        sa.or_(records.c.expires_on.is_(None), records.c.expires_on >= today),
    ]


def _load(conn: sa.Connection, where: list[Any]) -> list[Record]:
    rows = conn.execute(sa.select(records.c.data).where(*where)).all()
    return [Record.from_json(row.data) for row in rows]


def _order(found: list[Record]) -> list[Record]:
    return sorted(found, key=lambda r: (-r.decided_on.toordinal(), r.document_no, r.key))


def _subject_records(conn: sa.Connection, ref: str, today: date) -> tuple[str, list[Record]]:
    """(the subject's public code or "", its active records) for a code or a record key."""
    if _RECORD_KEY.match(ref):
        row = conn.execute(
            sa.select(records.c.data).where(records.c.key == ref, *_active(today))
        ).first()
        if row is None:
            raise SubjectNotFound(f"没有找到编号为 {ref} 的有效公示信息")
        record = Record.from_json(row.data)
        if record.subject_type != NATURAL:
            code = record.subject_code.upper()
            return code, _load(
                conn, [records.c.subject_code == record.subject_code, *_active(today)]
            )
        id_number = record.fields.get("id_number", "")
        if not id_number:  # without an ID number no other record can be tied to this person
            return "", [record]
        namesakes = _load(conn, [records.c.subject_name == record.subject_name, *_active(today)])
        return "", [
            r
            for r in namesakes
            if r.subject_type == NATURAL
            and r.fields.get("id_number", "").upper() == id_number.upper()
        ]
    try:
        code = validate_uscc(ref)
    except CodeError as exc:
        raise SubjectRefError(
            f"{exc}（自然人请在信用查询结果中点击“信用报告”，按信息编号出具）"
        ) from None
    found = _load(conn, [records.c.subject_code == code, *_active(today)])
    if not found:
        raise SubjectNotFound(f"没有找到统一社会信用代码 {code} 的有效公示信息")
    return code, found


def data_cutoff(conn: sa.Connection) -> datetime | None:
    """When the newest push that changed records finished: what the report is current to."""
    last = sa.select(sa.func.max(records.c.push_id)).scalar_subquery()
    return conn.execute(sa.select(pushes.c.finished_at).where(pushes.c.id == last)).scalar()


def gather(conn: sa.Connection, ref: str, today: date) -> ReportContent:
    """The content of the report on ``ref`` (a 统一社会信用代码 or a natural person's record
    key); :class:`SubjectRefError` or :class:`SubjectNotFound` otherwise."""
    ref = ref.strip()
    if not ref or len(ref) > 80:
        raise SubjectRefError("请提供统一社会信用代码（18 位）或信息编号")
    code, found = _subject_records(conn, ref, today)
    found = _order(found)
    newest = found[0]
    natural = newest.subject_type == NATURAL
    legal_rep = next(
        (public_fields(r)["legal_rep"] for r in found if r.fields.get("legal_rep")), ""
    )
    id_number = next((r.fields["id_number"] for r in found if r.fields.get("id_number")), "")
    id_type = next((r.fields["id_type"] for r in found if r.fields.get("id_type")), "")
    public_name = public_record(newest)["subject_name"]
    subject = Subject(
        ref=code or ref,
        name=public_name,
        type=newest.subject_type,
        code="" if natural else code,
        natural=natural,
        region_code=newest.region_code,
        region=region_name(newest.region_code),
        legal_rep=legal_rep,
        id_type=id_type or ("居民身份证" if id_number else ""),
        id_number=mask_id_number(id_number) if id_number else "",
    )
    grouped: dict[str, list[dict[str, Any]]] = {kind: [] for kind in RECORD_KINDS}
    for record in found:
        grouped[record.kind].append(public_record(record))
    return ReportContent(subject, grouped, data_cutoff(conn))
