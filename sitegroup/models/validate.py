"""Validate pushed rows into records, naming the file, line and field of every problem.

Columns may use the standard's Chinese labels, the older template's names
(:data:`~sitegroup.models.records.LEGACY_COLUMNS`) or the English keys. A row is
checked completely: every problem is reported at once, each with the Chinese label
of its field, and a :class:`~sitegroup.models.records.Record` is returned only for a
row without problems.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from sitegroup.labels import RECORD_KIND_LABELS
from sitegroup.models.headlines import Headline
from sitegroup.models.idcard import validate_id_number
from sitegroup.models.periods import check_disclosure_until
from sitegroup.models.records import (
    FIELDS,
    LEGACY_COLUMNS,
    OP_ALIASES,
    RECORD_KINDS,
    SUBJECT_CODE_KEYS,
    FieldSpec,
    Record,
    RecordKind,
    make_record,
)
from sitegroup.models.uscc import CodeError, validate_uscc
from sitegroup.regions import RegionTable, is_well_formed

__all__ = [
    "RowProblem",
    "detect_kind",
    "normalize_columns",
    "parse_amount",
    "parse_date",
    "validate_headline",
    "validate_row",
]


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row as written in the file: column name -> raw text."""

    file: str
    line: int
    """1-based physical line where the row starts (a CSV header is line 1)."""
    values: dict[str, str]
    error: str | None = None
    """Why the row could not be parsed (then :attr:`values` is empty)."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One problem of one row: where it is, which field, and why (in Chinese)."""

    file: str
    line: int
    field: str
    """The field's Chinese label, the column name as written, or "-" for the row."""
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


# -- columns -----------------------------------------------------------------------

_WHITESPACE = re.compile(r"[\s\ufeff]+")


def _clean_column(name: str) -> str:
    # NFKC folds full-width parentheses and letters; labels contain no whitespace.
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", name))


def _column_index(specs: Iterable[FieldSpec]) -> dict[str, str]:
    index: dict[str, str] = {}
    by_label: dict[str, str] = {}
    for spec in specs:
        by_label[_clean_column(spec.label)] = spec.key
        index[spec.key] = spec.key
    index.update(by_label)
    for legacy, label in LEGACY_COLUMNS.items():
        if _clean_column(label) in by_label:
            index[_clean_column(legacy)] = by_label[_clean_column(label)]
    return index


_ALL_COLUMNS = _column_index(spec for specs in FIELDS.values() for spec in specs)
_KIND_COLUMNS = {kind: _column_index(FIELDS[kind]) for kind in RECORD_KINDS}


def _lookup(index: Mapping[str, str], name: str) -> str | None:
    cleaned = _clean_column(name)
    return index.get(cleaned) or (index.get(cleaned.lower()) if cleaned.isascii() else None)


def _map_columns(
    values: Mapping[str, str], index: Mapping[str, str]
) -> tuple[dict[str, str], list[str], list[tuple[str, str, str]]]:
    """(key -> value, unknown columns, conflicting (key, first column, second column))."""
    mapped: dict[str, str] = {}
    source: dict[str, str] = {}
    unknown: list[str] = []
    conflicts: list[tuple[str, str, str]] = []
    for name, raw in values.items():
        key = _lookup(index, name)
        value = raw.strip()
        if key is None:
            if value:
                unknown.append(name.strip())
            continue
        if not value:
            continue
        if key in mapped and mapped[key] != value:
            conflicts.append((key, source[key], name.strip()))
            continue
        mapped[key] = value
        source[key] = name.strip()
    return mapped, unknown, conflicts


def normalize_columns(
    values: Mapping[str, str], *, kind: RecordKind | None = None
) -> tuple[dict[str, str], list[str]]:
    """Map column names to English keys; return (mapped values, unknown column names).

    Standard labels, legacy names and English keys (case-insensitive) are accepted;
    names are NFKC-normalized and lose all whitespace, values are stripped (U+3000
    too) and an empty value counts as absent. With ``kind``, only that kind's columns
    are known. An unknown column with an empty value in every row is harmless and not
    reported. When two columns map to the same key the first non-empty value wins.
    """
    index = _KIND_COLUMNS[kind] if kind else _ALL_COLUMNS
    mapped, unknown, _ = _map_columns(values, index)
    return mapped, unknown


def detect_kind(columns: Iterable[str]) -> RecordKind | None:
    """penalty or license from the document-number column; None if unclear.

    红名单 and 黑名单 share their columns and cannot be told apart.
    """
    found: set[RecordKind] = set()
    for name in columns:
        cleaned = _clean_column(name)
        label = LEGACY_COLUMNS.get(cleaned, cleaned)
        if label == "行政处罚决定书文号":
            found.add("penalty")
        elif label == "行政许可决定文书号":
            found.add("license")
    return found.pop() if len(found) == 1 else None


# -- values ------------------------------------------------------------------------

_DATE_FORMATS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
)
_TIME_SUFFIX = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
DATE_HINT = "应为 YYYY-MM-DD、YYYY/MM/DD、YYYYMMDD 或 YYYY年M月D日"


def parse_date(text: str) -> date:
    """Parse a date in one of the accepted forms, or raise :class:`ValueError`.

    Accepted: ``2024-05-01``, ``2024/5/1``, ``20240501``, ``2024年5月1日``; full-width
    digits are folded, and a trailing time of day (``2024-05-01 00:00:00``, as
    spreadsheets export it) is ignored. The :class:`ValueError` carries a Chinese reason.
    """
    normalized = unicodedata.normalize("NFKC", text).strip()
    suffix = _TIME_SUFFIX.search(normalized)
    day_part = normalized[: suffix.start()] if suffix else normalized
    for pattern in _DATE_FORMATS:
        match = pattern.fullmatch(day_part)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                raise ValueError(f"日期“{text}”不存在：月份或日超出范围") from None
    raise ValueError(f"日期“{text}”无法识别：{DATE_HINT}")


def parse_amount(text: str) -> str:
    """Normalize a non-negative amount in 万元 with at most 6 decimals ("1.50" -> "1.5").

    Raises :class:`ValueError` with a Chinese reason.
    """
    normalized = unicodedata.normalize("NFKC", text).strip()
    try:
        amount = Decimal(normalized)
    except InvalidOperation:
        raise ValueError(f"金额“{text}”不是数字（单位为万元，如 1.5）") from None
    if not amount.is_finite():
        raise ValueError(f"金额“{text}”不是数字（单位为万元，如 1.5）")
    if amount < 0:
        raise ValueError(f"金额不能为负数：{text}")
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        raise ValueError(f"金额“{text}”超过 6 位小数（单位为万元）")
    return format(amount.normalize(), "f")


_ID_CARD_TYPES = frozenset({"身份证", "居民身份证", "中华人民共和国居民身份证"})
_RECORD_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_LICENSE_OTHER = re.compile(r"其他\s*[-－—–‐]\s*(\S.*)")
_CATEGORY_SEPARATOR = re.compile(r"[;；]")


# -- rows --------------------------------------------------------------------------


@dataclass
class _RowCheck:
    """Collects the problems of one row and its normalized values."""

    file: str
    line: int
    kind: RecordKind
    labels: dict[str, str]
    values: dict[str, str]
    problems: list[RowProblem] = field(default_factory=list)
    dates: dict[str, date] = field(default_factory=dict)

    def add(self, key: str, reason: str) -> None:
        label = self.labels.get(key, key)
        self.problems.append(RowProblem(self.file, self.line, label, reason))

    def check_field(self, spec: FieldSpec, regions: RegionTable) -> None:
        value = self.values.get(spec.key)
        if value is None:
            return
        try:
            value = self._normalize(spec, value, regions)
        except ValueError as exc:
            self.add(spec.key, str(exc))
            self.values.pop(spec.key)
            return
        self.values[spec.key] = value
        if len(value) > spec.max_length:
            self.add(spec.key, f"长度超过 {spec.max_length} 个字符（实际为 {len(value)} 个）")

    def _normalize(self, spec: FieldSpec, value: str, regions: RegionTable) -> str:
        if spec.type == "date":
            self.dates[spec.key] = parse_date(value)
            return self.dates[spec.key].isoformat()
        if spec.type == "amount":
            return parse_amount(value)
        if spec.type == "uscc":
            return validate_uscc(value)  # CodeError is a ValueError
        if spec.type == "region":
            return _check_region(value, regions)
        if spec.type == "enum":
            return self._check_enum(spec, value)
        if spec.key == "record_id" and not _RECORD_ID.fullmatch(value):
            raise ValueError(
                f"记录编号“{value}”只能由字母、数字、点、下划线和连字符组成，最长 64 位"
            )
        if spec.key == "penalty_category":
            parts = [p.strip() for p in _CATEGORY_SEPARATOR.split(value) if p.strip()]
            if not parts:
                raise ValueError("处罚类别为空")
            return "；".join(parts)
        return value

    def _check_enum(self, spec: FieldSpec, value: str) -> str:
        if spec.key == "op":
            value = OP_ALIASES.get(value.lower(), value)
        if value in spec.choices:
            return value
        if spec.key == "license_category":
            other = _LICENSE_OTHER.fullmatch(value)
            if other:
                return f"其他-{other.group(1).strip()}"
        allowed = "、".join(spec.choices)
        if spec.key == "license_category":
            allowed += "，或“其他-具体类别”"
        if spec.key == "op":
            allowed += "（或 add、update、withdraw）"
        raise ValueError(f"取值“{value}”不在允许范围内：应为 {allowed}")

    def check_id(self, type_key: str, number_key: str) -> None:
        number = self.values.get(number_key)
        if number is None:
            return
        id_type = self.values.get(type_key, "")
        compact = unicodedata.normalize("NFKC", number).strip()
        if id_type in _ID_CARD_TYPES or (not id_type and len(compact) == 18):
            try:
                self.values[number_key] = validate_id_number(number)
            except CodeError as exc:
                self.add(number_key, str(exc))


def _check_region(value: str, regions: RegionTable) -> str:
    code = unicodedata.normalize("NFKC", value).strip()
    if not is_well_formed(code):
        raise ValueError(f"地方编码应为 6 位数字（GB/T 2260 行政区划代码），实际为“{value}”")
    if code not in regions:
        raise ValueError(f"地方编码 {code} 不在行政区划代码表中")
    return code


def validate_row(
    row: SourceRow, kind: RecordKind, *, regions: RegionTable, today: date
) -> tuple[Record | None, list[RowProblem]]:
    """Check one row completely; the record only when there is no problem."""
    if row.error is not None:
        return None, [RowProblem(row.file, row.line, "-", row.error)]
    kind_label = RECORD_KIND_LABELS[kind]
    mapped, unknown, conflicts = _map_columns(row.values, _KIND_COLUMNS[kind])
    labels = {spec.key: spec.label for spec in FIELDS[kind]}
    check = _RowCheck(row.file, row.line, kind, labels, mapped)
    for name in unknown:
        reason = (
            f"该列不属于{kind_label}数据"
            if _lookup(_ALL_COLUMNS, name)
            else f"未知的列：不是{kind_label}数据标准中的列名"
        )
        check.problems.append(RowProblem(row.file, row.line, name, reason))
    for key, first, second in conflicts:
        check.add(key, f"列“{first}”与列“{second}”都填写了该项，且取值不同")

    for spec in FIELDS[kind]:
        check.check_field(spec, regions)
    check.check_id("id_type", "id_number")
    check.check_id("legal_rep_id_type", "legal_rep_id_number")

    withdraw = mapped.get("op") == "撤回"
    if withdraw:
        _check_withdraw(check)
    else:
        _check_required(check)
        _check_subject(check)
        _check_dates(check, today)
    if check.problems:
        return None, check.problems
    return make_record(kind, check.values, withdraw=withdraw, today=today), []


def _check_required(check: _RowCheck) -> None:
    for spec in FIELDS[check.kind]:
        if spec.required and spec.key not in check.values and not _reported(check, spec.key):
            check.add(spec.key, "必填项为空")


def _reported(check: _RowCheck, key: str) -> bool:
    label = check.labels.get(key, key)
    return any(p.field == label for p in check.problems)


def _check_withdraw(check: _RowCheck) -> None:
    values = check.values
    if "region_code" not in values and not _reported(check, "region_code"):
        check.add("region_code", "必填项为空（撤回时也须填写）")
    if "record_id" in values or _reported(check, "record_id"):
        return
    has_subject = any(values.get(k) for k in SUBJECT_CODE_KEYS) or values.get("subject_name")
    hint = "撤回时须填写记录编号，或数据来源单位统一社会信用代码、文书号和行政相对人代码（或名称）"
    for key in ("source_code", "document_no"):
        if key not in values and not _reported(check, key):
            check.add(key, f"必填项为空：{hint}")
    if not has_subject and not _reported(check, "subject_name"):
        check.add("subject_name", f"必填项为空：{hint}")


def _check_subject(check: _RowCheck) -> None:
    values = check.values
    subject_type = values.get("subject_type")
    if subject_type == "法人及非法人组织":
        if "uscc" not in values and not _reported(check, "uscc"):
            check.add("uscc", "行政相对人类别为法人及非法人组织时必填")
    elif subject_type == "个体工商户":
        if not values.get("uscc") and not values.get("reg_no") and not _reported(check, "uscc"):
            check.add(
                "uscc", "行政相对人类别为个体工商户时，统一社会信用代码和工商注册号至少填写一项"
            )
    elif subject_type == "自然人":
        for key in ("id_type", "id_number"):
            if key not in values and not _reported(check, key):
                check.add(key, "行政相对人类别为自然人时必填")


def _check_dates(check: _RowCheck, today: date) -> None:
    dates, labels = check.dates, check.labels
    decided_on = dates.get("decided_on")
    if decided_on and decided_on > today:
        check.add("decided_on", f"{decided_on.isoformat()} 晚于今天（{today.isoformat()}）")
    valid_from, valid_to = dates.get("valid_from"), dates.get("valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        check.add(
            "valid_to",
            f"{valid_to.isoformat()} 早于{labels['valid_from']}（{valid_from.isoformat()}）",
        )
    elif decided_on and valid_to and not valid_from and valid_to < decided_on:
        check.add(
            "valid_to",
            f"{valid_to.isoformat()} 早于{labels['decided_on']}（{decided_on.isoformat()}）",
        )
    until = dates.get("disclosure_until")
    if check.kind == "penalty" and decided_on and until:
        if until < decided_on:
            check.add(
                "disclosure_until",
                f"{until.isoformat()} 早于{labels['decided_on']}（{decided_on.isoformat()}）",
            )
        else:
            problem = check_disclosure_until(
                decided_on,
                until,
                severity=check.values.get("severity", "一般"),
                domain=check.values.get("domain", ""),
            )
            if problem:
                check.add("disclosure_until", problem)


# -- headlines ---------------------------------------------------------------------

HEADLINE_LABELS: dict[str, str] = {
    "id": "编号(id)",
    "title": "标题(title)",
    "date": "日期(date)",
    "summary": "摘要(summary)",
    "body": "正文(body)",
    "source_url": "原文链接(source_url)",
    "image": "图片(image)",
    "retracted": "撤回(retracted)",
}
_SLUG = re.compile(r"[a-z0-9-]{1,80}")
_Add = Callable[[str, str], None]


def _absolute_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value


def validate_headline(
    values: Mapping[str, object], *, file: str, line: int
) -> tuple[Headline | None, list[RowProblem]]:
    """Check one headline's fields (as read from JSON or YAML front matter)."""
    problems: list[RowProblem] = []

    def add(key: str, reason: str) -> None:
        problems.append(RowProblem(file, line, HEADLINE_LABELS.get(key, key), reason))

    for key in values:
        if key not in HEADLINE_LABELS:
            problems.append(RowProblem(file, line, str(key), "未知的字段"))

    def text(key: str) -> str:
        value = values.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            add(key, "应为文本")
            return ""
        return str(value).strip()

    headline_id, title, summary = text("id"), text("title"), text("summary")
    body, source_url, image = text("body"), text("source_url"), text("image")
    if not headline_id:
        add("id", "必填项为空")
    elif not _SLUG.fullmatch(headline_id):
        add("id", f"“{headline_id}”不合法：只能由小写字母、数字和连字符组成，最长 80 位")
    if not title:
        add("title", "必填项为空")
    elif len(title) > 120:
        add("title", f"长度超过 120 个字符（实际为 {len(title)} 个）")
    if len(summary) > 300:
        add("summary", f"长度超过 300 个字符（实际为 {len(summary)} 个）")
    if not source_url:
        add("source_url", "必填项为空")
    elif not _absolute_url(source_url):
        add("source_url", f"“{source_url}”不是以 http:// 或 https:// 开头的完整网址")
    if image and not _absolute_url(image):
        add("image", f"“{image}”不是以 http:// 或 https:// 开头的完整网址")
    day = _headline_date(values.get("date"), add)
    retracted = _headline_bool(values.get("retracted", False), add)
    if problems or day is None:
        return None, problems
    return Headline.create(
        id=headline_id,
        title=title,
        date=day,
        summary=summary,
        body_md=body,
        source_url=source_url,
        image=image,
        retracted=retracted,
    ), []


def _headline_date(value: object, add: _Add) -> date | None:
    if value is None or value == "":
        add("date", "必填项为空")
        return None
    if isinstance(value, datetime):  # YAML gives date or datetime objects
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            pass
    add("date", f"“{value}”不是 ISO 格式的日期或日期时间（如 2024-05-01）")
    return None


def _headline_bool(value: object, add: _Add) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", ""):
        return value.strip().lower() == "true"
    add("retracted", f"“{value}”应为 true 或 false")
    return False
