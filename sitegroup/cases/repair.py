"""Credit repair (信用修复): an objection that ends in 更正 or 撤销 republishes its record.

The repair is a push like the daily one, through the same pipeline, so that everything
downstream of a push works unchanged: ``Store.apply_records`` writes a push row (source
``异议处理 <case number> 更正``, with the sha256 of the canonical change) and a new record
version (the old ones stay in ``record_versions``), bumps the revisions of the record's region
path (so the incremental ``sitegroup build`` re-renders exactly the affected sites), and the
search index is synced afterwards. ``sitegroup verify`` then holds as after any push.

- 撤销 (revoke) withdraws the record, as a 撤回 row would.
- 更正 (correct) applies field changes to the stored record and re-validates the whole row
  exactly as a pushed row (``sitegroup.models.validate.validate_row``). The record's identity — what
  forms its key (文书号, 数据来源单位, 记录编号), who it is about (the subject's name, type and
  codes) and where it is published (地方编码) — cannot be corrected: such an error means the
  record is not this one, so it is revoked and pushed again by its source.

Applying the same repair again changes nothing (``changed=False``, no new version): a handler
may retry after a crash or a timeout. A refused repair stores nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal, cast

from sitegroup.errors import FieldProblems
from sitegroup.labels import RECORD_KIND_LABELS
from sitegroup.models.records import (
    FIELDS,
    RECORD_KINDS,
    SUBJECT_CODE_KEYS,
    Record,
    RecordKind,
    field_labels,
)
from sitegroup.models.uscc import validate_uscc
from sitegroup.models.validate import SourceRow, parse_amount, parse_date, validate_row
from sitegroup.partition import affected_sites
from sitegroup.regions import RegionTable
from sitegroup.search.backend import SearchBackend
from sitegroup.search.sync import sync_after_push
from sitegroup.store import WITHDRAWN, Store
from sitegroup.tenants.registry import Group

__all__ = ["RepairError", "RepairOutcome", "apply_repair", "correctable_fields"]

RepairResult = Literal["correct", "revoke"]
RESULT_LABELS: dict[str, str] = {"correct": "更正", "revoke": "撤销"}

_RESUBMIT = "如确有错误，请以“撤销”办结，由数据来源单位重新报送"
_DECISION = f"它标识这条公示信息（哪一份决定、由谁报送）；{_RESUBMIT}"
_SUBJECT = f"它标识被公示的主体；{_RESUBMIT}"
#: Fields a correction may not change, and why (part of the user-facing refusal).
LOCKED_FIELDS: dict[str, str] = {
    "document_no": _DECISION,
    "record_id": _DECISION,
    "source_code": _DECISION,
    "source_unit": _DECISION,
    "subject_name": _SUBJECT,
    "subject_type": _SUBJECT,
    **dict.fromkeys(SUBJECT_CODE_KEYS, _SUBJECT),
    "id_type": _SUBJECT,
    "id_number": _SUBJECT,
    "region_code": f"它决定公示信息的属地和展示站点；{_RESUBMIT}",
    "op": "更正只修改数据项；如需撤下该公示信息，请以“撤销”办结",
}


class RepairError(FieldProblems):
    """A repair refused; ``problems`` maps each bad field to what is wrong (Chinese)."""


@dataclass(frozen=True)
class RepairOutcome:
    push_id: int
    changed: bool
    """False when the record already was so (a retry, or a correction to the same values)."""
    affected: dict[str, list[str]]
    """Site id → page scopes to rebuild (as :attr:`sitegroup.store.PushOutcome.affected`)."""
    index_error: str | None
    """The store holds the change, but the search index could not be synced (why)."""


def correctable_fields(kind: str) -> dict[str, str]:
    """The fields of a record kind a 更正 may change: key → Chinese label, in standard order."""
    if kind not in RECORD_KINDS:
        raise ValueError(f"unknown record kind {kind!r}")
    specs = FIELDS[cast(RecordKind, kind)]
    return {spec.key: spec.label for spec in specs if spec.key not in LOCKED_FIELDS}


def apply_repair(
    store: Store,
    group: Group,
    *,
    record_key: str,
    result: RepairResult,
    changes: Mapping[str, str],
    case_number: str,
    today: date,
    index: SearchBackend | None = None,
    regions: RegionTable | None = None,
) -> RepairOutcome:
    """Correct or withdraw one record through the push pipeline; :class:`RepairError` names
    every problem and then nothing is stored."""
    if result not in RESULT_LABELS:
        raise RepairError({"result": "办理结果应为“更正”（correct）或“撤销”（revoke）"})
    if not case_number.strip():
        raise RepairError({"case_number": "缺少案件编号"})
    stored = store.get_record(record_key)
    if stored is None:
        raise RepairError({"record": f"没有找到公示信息“{record_key[:64]}”"})
    if result == "revoke":
        if changes:
            raise RepairError({"changes": "撤销时不能同时更正数据项"})
        record = replace(stored.record, withdraw=True)
        normalized: dict[str, str] = {}
    else:
        if stored.status == WITHDRAWN:
            raise RepairError({"record": "该公示信息已撤回，不能更正"})
        record = _corrected(stored.record, changes, case_number, today, regions)
        normalized = {k: record.fields.get(k, "") for k in sorted(changes)}
    change = {"case": case_number, "record": record_key, "result": result, "changes": normalized}
    canonical = json.dumps(change, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    outcome = store.apply_records(
        [record],
        source=f"异议处理 {case_number} {RESULT_LABELS[result]}",
        source_sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        today=today,
        affected_for=affected_sites(group),
    )
    # Synced even when nothing changed: a retry also catches up an index that failed before.
    index_error = sync_after_push(store, index)[1] if index is not None else None
    return RepairOutcome(outcome.push_id, outcome.changed > 0, outcome.affected, index_error)


def _corrected(
    current: Record,
    changes: Mapping[str, str],
    case_number: str,
    today: date,
    regions: RegionTable | None,
) -> Record:
    """The stored record with ``changes`` applied, validated as a pushed row."""
    kind: RecordKind = current.kind
    labels = field_labels(kind)
    if not changes:
        raise RepairError({"changes": "没有填写要更正的数据项"})
    problems: dict[str, str] = {}
    for key, value in changes.items():
        label = labels.get(key)
        if label is None:
            problems[key[:64]] = f"未知的数据项“{key[:40]}”：{RECORD_KIND_LABELS[kind]}信息没有该项"
        elif key in LOCKED_FIELDS:
            problems[key] = f"“{label}”不能更正：{LOCKED_FIELDS[key]}"
        elif not isinstance(value, str):
            problems[key] = f"“{label}”应为文本"
    if problems:
        raise RepairError(problems)

    row = SourceRow(f"异议处理 {case_number}", 1, {**current.fields, **changes})
    record, found = validate_row(row, kind, regions=regions or RegionTable.default(), today=today)
    types = {spec.key: spec.type for spec in FIELDS[kind]}
    parsers: dict[str, Callable[[str], object]] = {
        "date": parse_date,
        "amount": parse_amount,
        "uscc": validate_uscc,
    }
    by_label = {label: key for key, label in labels.items()}
    for problem in found:
        key = by_label.get(problem.field, problem.field)
        label = labels.get(key, key)
        parse = parsers.get(types.get(key, ""))
        if problem.reason.startswith("必填项为空"):
            message = f"“{label}”不能为空：该项为必填项"
        elif parse is not None and key in changes and _fails(parse, changes[key]):
            message = f"“{label}”格式不正确：{problem.reason}"
        else:
            message = f"“{label}”不正确：{problem.reason}"
        problems.setdefault(key, message)
    if problems or record is None:
        raise RepairError(problems or {"changes": "更正后的数据未通过校验"})
    if record.withdraw:  # a licence corrected to 当前状态 无效
        field = "status" if "status" in changes else next(iter(changes))
        raise RepairError({field: "更正后该公示信息将失效：如需撤下，请以“撤销”办结"})
    if record.key != current.key:  # cannot happen while LOCKED_FIELDS covers the key
        raise RepairError({"record": "更正后公示信息的标识发生变化，不能更正"})
    return record


def _fails(parse: Callable[[str], object], value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return True
    return False
