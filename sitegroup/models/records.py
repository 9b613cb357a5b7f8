"""Disclosure records (双公示 and 红黑名单): the field specs, the record and its public view.

Field keys are English; labels are the Chinese column names of the national 双公示
data standard (2.0 style), which is also how every validation problem names a field.
A :class:`Record` keeps every field unmasked (it is what the store holds);
:func:`public_record` is the only view a page, a feed or the API may show.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, cast

from sitegroup.labels import RECORD_KIND_LABELS
from sitegroup.models.idcard import ID_NUMBER_PATTERN, is_valid_id_number, mask_id_number
from sitegroup.models.periods import LONG_TERM, penalty_disclosure_end

__all__ = [
    "FIELDS",
    "LEGACY_COLUMNS",
    "OP_ALIASES",
    "RECORD_KINDS",
    "SUBJECT_CODE_KEYS",
    "SUBJECT_TYPES",
    "FieldSpec",
    "FieldType",
    "Record",
    "RecordKind",
    "field_labels",
    "make_record",
    "public_fields",
    "public_record",
    "record_key",
]

RecordKind = Literal["license", "penalty", "redlist", "blacklist"]
RECORD_KINDS: tuple[RecordKind, ...] = ("license", "penalty", "redlist", "blacklist")

FieldType = Literal["text", "date", "amount", "uscc", "code", "id_number", "region", "enum"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One column of the data standard."""

    key: str
    """English snake_case key, used in code, JSON Lines and the store."""
    label: str
    """The standard's Chinese column name, e.g. 行政相对人名称."""
    type: FieldType
    required: bool = False
    max_length: int = 500
    choices: tuple[str, ...] = ()
    """Allowed values of an ``enum`` field."""
    default: str = ""
    """Value stored when the column is absent or empty ("" = none)."""


SUBJECT_TYPES = ("法人及非法人组织", "自然人", "个体工商户")
LICENSE_CATEGORIES = ("普通", "特许", "认可", "核准", "登记", "其他")
PENALTY_CATEGORIES = (
    "警告",
    "罚款",
    "没收违法所得",
    "没收非法财物",
    "责令停产停业",
    "暂扣许可证",
    "吊销许可证",
    "行政拘留",
    "其他",
)
"""Common 处罚类别 values (free text is allowed; several are separated by ；)."""

OPS = ("新增", "更新", "撤回")
OP_ALIASES: dict[str, str] = {"add": "新增", "update": "更新", "withdraw": "撤回"}
"""English spellings accepted in the 操作 column."""

SUBJECT_CODE_KEYS = ("uscc", "reg_no", "org_code", "tax_no", "inst_no", "social_org_no")
"""Codes that identify a subject publicly, in order of preference (never an ID number)."""

_SUBJECT_FIELDS = (
    FieldSpec("subject_name", "行政相对人名称", "text", required=True, max_length=200),
    FieldSpec("subject_type", "行政相对人类别", "enum", required=True, choices=SUBJECT_TYPES),
    FieldSpec("uscc", "统一社会信用代码", "uscc", max_length=18),
    FieldSpec("reg_no", "工商注册号", "code", max_length=50),
    FieldSpec("org_code", "组织机构代码", "code", max_length=50),
    FieldSpec("tax_no", "税务登记号", "code", max_length=50),
    FieldSpec("inst_no", "事业单位证书号", "code", max_length=50),
    FieldSpec("social_org_no", "社会组织登记证号", "code", max_length=50),
    FieldSpec("legal_rep", "法定代表人", "text", max_length=50),
    FieldSpec("legal_rep_id_type", "法定代表人证件类型", "text", max_length=64),
    FieldSpec("legal_rep_id_number", "法定代表人证件号码", "id_number", max_length=64),
    FieldSpec("id_type", "证件类型", "text", max_length=64),
    FieldSpec("id_number", "证件号码", "id_number", max_length=64),
    FieldSpec("region_code", "地方编码", "region", required=True, max_length=6),
)

_SOURCE_FIELDS = (
    FieldSpec("source_unit", "数据来源单位", "text", required=True, max_length=200),
    FieldSpec("source_code", "数据来源单位统一社会信用代码", "uscc", required=True, max_length=18),
)

_ROW_FIELDS = (
    FieldSpec("note", "备注", "text", max_length=1000),
    FieldSpec("record_id", "记录编号", "code", max_length=64),
    FieldSpec("op", "操作", "enum", choices=OPS),
)

_LICENSE_FIELDS = (
    FieldSpec("decision_name", "行政许可决定文书名称", "text", required=True, max_length=200),
    FieldSpec("document_no", "行政许可决定文书号", "text", required=True, max_length=100),
    FieldSpec(
        "license_category",
        "许可类别",
        "enum",
        required=True,
        max_length=100,
        choices=LICENSE_CATEGORIES,
    ),
    FieldSpec("cert_name", "许可证书名称", "text", max_length=200),
    FieldSpec("license_no", "许可编号", "text", max_length=100),
    FieldSpec("content", "许可内容", "text", required=True, max_length=4000),
    FieldSpec("decided_on", "许可决定日期", "date", required=True),
    FieldSpec("valid_from", "有效期自", "date", required=True),
    FieldSpec("valid_to", "有效期至", "date", required=True),
    FieldSpec("authority", "许可机关", "text", required=True, max_length=200),
    FieldSpec("authority_code", "许可机关统一社会信用代码", "uscc", required=True, max_length=18),
    FieldSpec("status", "当前状态", "enum", choices=("有效", "无效"), default="有效"),
)

_PENALTY_FIELDS = (
    FieldSpec("document_no", "行政处罚决定书文号", "text", required=True, max_length=100),
    FieldSpec("violation_type", "违法行为类型", "text", required=True, max_length=200),
    FieldSpec("facts", "违法事实", "text", required=True, max_length=5000),
    FieldSpec("basis", "处罚依据", "text", required=True, max_length=2000),
    FieldSpec("penalty_category", "处罚类别", "text", required=True, max_length=200),
    FieldSpec("content", "处罚内容", "text", required=True, max_length=4000),
    FieldSpec("fine", "罚款金额(万元)", "amount", max_length=30),
    FieldSpec("confiscated", "没收违法所得、没收非法财物的金额(万元)", "amount", max_length=30),
    FieldSpec("license_revoked", "暂扣或吊销证照名称及编号", "text", max_length=200),
    FieldSpec("decided_on", "处罚决定日期", "date", required=True),
    FieldSpec("valid_to", "处罚有效期", "date"),
    FieldSpec("disclosure_until", "公示截止期", "date"),
    FieldSpec("authority", "处罚机关", "text", required=True, max_length=200),
    FieldSpec("authority_code", "处罚机关统一社会信用代码", "uscc", required=True, max_length=18),
    FieldSpec("severity", "失信严重程度", "enum", choices=("一般", "严重"), default="一般"),
    FieldSpec("domain", "所属领域", "text", max_length=100),
)

_LIST_FIELDS = (
    FieldSpec("list_name", "名单名称", "text", required=True, max_length=200),
    FieldSpec("document_no", "认定文书号", "text", required=True, max_length=100),
    FieldSpec("reason", "列入事由", "text", required=True, max_length=2000),
    FieldSpec("authority", "认定部门", "text", required=True, max_length=200),
    FieldSpec("authority_code", "认定部门统一社会信用代码", "uscc", required=True, max_length=18),
    FieldSpec("decided_on", "列入日期", "date", required=True),
    FieldSpec("valid_to", "有效期至", "date"),
)

FIELDS: dict[RecordKind, tuple[FieldSpec, ...]] = {
    "license": _SUBJECT_FIELDS + _LICENSE_FIELDS + _SOURCE_FIELDS + _ROW_FIELDS,
    "penalty": _SUBJECT_FIELDS + _PENALTY_FIELDS + _SOURCE_FIELDS + _ROW_FIELDS,
    "redlist": _SUBJECT_FIELDS + _LIST_FIELDS + _SOURCE_FIELDS + _ROW_FIELDS,
    "blacklist": _SUBJECT_FIELDS + _LIST_FIELDS + _SOURCE_FIELDS + _ROW_FIELDS,
}
"""Every kind's columns, in the standard's order (subject, record, source, row)."""

LEGACY_COLUMNS: dict[str, str] = {
    # older 双公示 template column -> standard label
    "处罚决定书文号": "行政处罚决定书文号",
    "处罚名称": "违法行为类型",
    "处罚事由": "违法事实",
    "处罚结果": "处罚内容",
    "处罚类别1": "处罚类别",
    "处罚依据": "处罚依据",
    "处罚生效期": "处罚决定日期",
    "处罚截止期": "处罚有效期",
    "处罚机关": "处罚机关",
    "地方编码": "地方编码",
    "行政相对人代码_1(统一社会信用代码)": "统一社会信用代码",
    "行政相对人代码_2(工商注册号)": "工商注册号",
    "行政相对人代码_3(组织机构代码)": "组织机构代码",
    "行政相对人代码_4(税务登记号)": "税务登记号",
    "行政相对人代码_5(事业单位证书号)": "事业单位证书号",
    "行政相对人代码_6(社会组织登记证号)": "社会组织登记证号",
    "法定代表人姓名": "法定代表人",
    "项目名称": "行政许可决定文书名称",
    "审批类别": "许可类别",
    "许可决定日期": "许可决定日期",
    "许可截止期": "有效期至",
    "许可机关": "许可机关",
    "行政许可决定书文号": "行政许可决定文书号",
    "许可内容": "许可内容",
    "信用代码": "统一社会信用代码",
    "主体名称": "行政相对人名称",
}
"""Column names of the older template, mapped to the standard labels (ASCII parentheses;
column names are NFKC-normalized before lookup, so full-width ones match too)."""


def field_labels(kind: RecordKind) -> dict[str, str]:
    """English key -> Chinese label for one kind."""
    return {spec.key: spec.label for spec in FIELDS[kind]}


def _check_tables() -> None:
    # A label must mean one key in every kind, or column mapping would be ambiguous.
    seen: dict[str, str] = {}
    for specs in FIELDS.values():
        for spec in specs:
            if seen.setdefault(spec.label, spec.key) != spec.key:
                raise AssertionError(f"label {spec.label} maps to two keys")
    labels = set(seen)
    for legacy, label in LEGACY_COLUMNS.items():
        if label not in labels:
            raise AssertionError(f"legacy column {legacy} maps to unknown label {label}")


_check_tables()


def record_key(kind: RecordKind, fields: Mapping[str, str]) -> str:
    """The stable identity of a record.

    ``f"{kind}-id-{record_id}"`` when 记录编号 is given, else ``f"{kind}-"`` + the first
    24 hex digits of sha256(kind, source_code, document_no, subject code or name),
    joined by U+001F.
    """
    record_id = fields.get("record_id", "")
    if record_id:
        return f"{kind}-id-{record_id}"
    parts = (
        kind,
        fields.get("source_code", ""),
        fields.get("document_no", ""),
        _subject_code(fields) or fields.get("subject_name", ""),
    )
    return f"{kind}-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def _subject_code(fields: Mapping[str, str]) -> str:
    return next((fields[k] for k in SUBJECT_CODE_KEYS if fields.get(k)), "")


@dataclass(frozen=True, slots=True)
class Record:
    """One disclosure record in its canonical form (unmasked: never show it directly)."""

    key: str
    """Stable identity, see :func:`record_key`."""
    kind: RecordKind
    region_code: str
    """GB/T 2260 code of the 属地; the record shows on that site and its ancestors."""
    subject_name: str
    subject_type: str
    subject_code: str
    """统一社会信用代码, else another registration code, else ""; never an ID number."""
    document_no: str
    authority: str
    decided_on: date
    expires_on: date | None
    """The last day the record is shown (公示截止期, 有效期至 …); None means no end."""
    withdraw: bool
    """The row withdraws (撤回) the record, or a licence is 无效."""
    fields: Mapping[str, str]
    """Every provided field: English key -> normalized string, unmasked."""

    def __hash__(self) -> int:
        return hash((self.key, self.content_hash(), self.withdraw))

    def content_hash(self) -> str:
        """sha256 hex of the kind and the canonical JSON of :attr:`fields` (not 操作)."""
        fields = {k: v for k, v in self.fields.items() if k != "op"}
        canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(f"{self.kind}\n{canonical}".encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """A JSON-serializable dict (dates as ISO strings), for a store's JSON column."""
        return {
            "key": self.key,
            "kind": self.kind,
            "region_code": self.region_code,
            "subject_name": self.subject_name,
            "subject_type": self.subject_type,
            "subject_code": self.subject_code,
            "document_no": self.document_no,
            "authority": self.authority,
            "decided_on": self.decided_on.isoformat(),
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
            "withdraw": self.withdraw,
            "fields": dict(sorted(self.fields.items())),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Record:
        """The inverse of :meth:`to_json`."""
        kind = data["kind"]
        if kind not in RECORD_KINDS:
            raise ValueError(f"unknown record kind {kind!r}")
        expires = data.get("expires_on")
        return cls(
            key=data["key"],
            kind=cast(RecordKind, kind),
            region_code=data["region_code"],
            subject_name=data["subject_name"],
            subject_type=data["subject_type"],
            subject_code=data["subject_code"],
            document_no=data["document_no"],
            authority=data["authority"],
            decided_on=date.fromisoformat(data["decided_on"]),
            expires_on=date.fromisoformat(expires) if expires else None,
            withdraw=bool(data["withdraw"]),
            fields={str(k): str(v) for k, v in data["fields"].items()},
        )


def make_record(
    kind: RecordKind,
    fields: Mapping[str, str],
    *,
    withdraw: bool = False,
    today: date | None = None,
) -> Record:
    """Build a record from validated, normalized fields (dates already ISO).

    Absent fields with a default (当前状态 有效, 失信严重程度 一般) get it, so the
    content hash does not depend on whether a default was spelled out. A withdraw row
    may lack 决定日期; its :attr:`Record.decided_on` is then ``today`` (the day of the
    withdraw request) and it has no expiry. The expiry follows the kind: a licence ends on
    有效期至 (none when 2099-12-31), a penalty per :func:`penalty_disclosure_end`, a
    red/black-list entry on its 有效期至 if any. A licence whose 当前状态 is 无效 is
    a withdrawal.
    """
    if kind not in RECORD_KINDS:
        raise ValueError(f"unknown record kind {kind!r}")
    values = {k: v for k, v in fields.items() if v and k != "op"}
    if not withdraw:
        for spec in FIELDS[kind]:
            if spec.default and not values.get(spec.key):
                values[spec.key] = spec.default
    if fields.get("decided_on"):
        decided_on = date.fromisoformat(fields["decided_on"])
    elif withdraw and today is not None:
        decided_on = today
    else:
        raise ValueError("decided_on is required unless the row withdraws with a today date")
    expires_on = _expires_on(kind, values, decided_on)
    if kind == "license" and values.get("status") == "无效":
        withdraw = True
    return Record(
        key=record_key(kind, values),
        kind=kind,
        region_code=values.get("region_code", ""),
        subject_name=values.get("subject_name", ""),
        subject_type=values.get("subject_type", ""),
        subject_code=_subject_code(values),
        document_no=values.get("document_no", ""),
        authority=values.get("authority", ""),
        decided_on=decided_on,
        expires_on=None if withdraw and not fields.get("decided_on") else expires_on,
        withdraw=withdraw,
        fields=dict(sorted(values.items())),
    )


def _expires_on(kind: RecordKind, values: Mapping[str, str], decided_on: date) -> date | None:
    valid_to = date.fromisoformat(values["valid_to"]) if values.get("valid_to") else None
    if kind == "penalty":
        until = values.get("disclosure_until")
        return penalty_disclosure_end(
            decided_on,
            severity=values.get("severity", "一般"),
            domain=values.get("domain", ""),
            disclosure_until=date.fromisoformat(until) if until else None,
        )
    if valid_to == LONG_TERM:
        return None
    return valid_to


_MASKED_KEYS = frozenset({"id_number", "legal_rep_id_number"})


def _scrub(text: str) -> str:
    # Defence in depth: a valid ID number typed into free text is masked too.
    return ID_NUMBER_PATTERN.sub(
        lambda m: mask_id_number(m.group()) if is_valid_id_number(m.group()) else m.group(),
        text,
    )


def public_fields(record: Record) -> dict[str, str]:
    """The fields a public page, feed or API may show: ID numbers masked, keys sorted."""
    return {
        key: mask_id_number(value) if key in _MASKED_KEYS else _scrub(value)
        for key, value in sorted(record.fields.items())
    }


def public_record(record: Record) -> dict[str, Any]:
    """The public view of a record: JSON-serializable, deterministic, IDs masked."""
    subject_code = record.subject_code
    if subject_code == record.fields.get("id_number") or is_valid_id_number(subject_code):
        subject_code = ""  # never an ID number, whatever the input said
    return {
        "key": record.key,
        "kind": record.kind,
        "kind_label": RECORD_KIND_LABELS[record.kind],
        "region_code": record.region_code,
        "subject_name": _scrub(record.subject_name),
        "subject_type": record.subject_type,
        "subject_code": subject_code,
        "document_no": _scrub(record.document_no),
        "authority": _scrub(record.authority),
        "decided_on": record.decided_on.isoformat(),
        "expires_on": record.expires_on.isoformat() if record.expires_on else None,
        "fields": public_fields(record),
    }
