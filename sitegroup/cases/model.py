"""What a submitter sends: validated field by field, every problem named in Chinese."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sitegroup.errors import FieldProblems
from sitegroup.models.idcard import is_valid_id_number
from sitegroup.models.uscc import CodeError, validate_uscc

CaseKind = Literal["objection", "complaint"]
CASE_KINDS: dict[str, str] = {"objection": "信用异议", "complaint": "失信投诉"}
#: Case number prefixes: 异议 YY, 投诉 TS.
NUMBER_PREFIX = {"objection": "YY", "complaint": "TS"}

RECEIVED, DISPATCHED, IN_PROGRESS, CONCLUDED, ANSWERED = (
    "received",
    "dispatched",
    "in_progress",
    "concluded",
    "answered",
)
STATUS_LABELS = {
    RECEIVED: "已受理",
    DISPATCHED: "已分派",
    IN_PROGRESS: "办理中",
    CONCLUDED: "已办结",
    ANSWERED: "已反馈",
}

#: What a step of a case is called (the history the submitter and the handler see).
ACTION_LABELS = {
    "receive": "受理",
    "dispatch": "分派",
    "start": "开始办理",
    "conclude": "办结",
    "answer": "反馈",
    "forward": "转办",
    "note": "备注",
}
#: How a case can end (已办结), per kind. An objection is verified against the record it is
#: about: the record stays (维持), is corrected (更正) or withdrawn (撤销). A complaint is
#: investigated: the conduct reported is confirmed (查证属实) or not (查无实据); a complaint
#: changes no record by itself, so it has no repair outcome.
RESULTS: dict[str, dict[str, str]] = {
    "objection": {"maintain": "维持", "correct": "更正", "revoke": "撤销"},
    "complaint": {"substantiated": "查证属实", "unsubstantiated": "查无实据"},
}
#: Results that change the record through the push pipeline (信用修复).
REPAIR_RESULTS = frozenset({"correct", "revoke"})

# Mainland mobile numbers, or a landline with area code (and an optional extension).
_PHONE_RE = re.compile(r"(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)")
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}")
# Control characters other than newline and tab: never part of a submission.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: field → (label, required for objection, required for complaint, max length)
FIELDS: dict[str, tuple[str, bool, bool, int]] = {
    "subject_name": ("主体名称", True, True, 100),
    "subject_code": ("统一社会信用代码或身份证号", True, False, 18),
    "record": ("异议信息(决定文书号)", True, False, 100),
    "reason": ("理由及请求", True, True, 2000),
    "correction": ("更正请求", False, False, 1000),
    "contact_name": ("联系人", False, False, 50),
    "phone": ("联系电话", True, True, 20),
    "email": ("电子邮箱", False, False, 100),
}
MIN_REASON = 10


class CaseError(FieldProblems):
    """A submission refused; ``problems`` maps each bad field to what is wrong."""


@dataclass(frozen=True)
class CaseInput:
    kind: CaseKind
    site: str
    subject_name: str
    subject_code: str  # "" when a complaint does not know it
    record: str  # the document number an objection is about ("" for a complaint)
    reason: str
    correction: str
    contact_name: str
    phone: str
    email: str

    def data(self) -> dict[str, Any]:
        """What is kept beside the indexed columns."""
        return {
            "record": self.record,
            "reason": self.reason,
            "correction": self.correction,
            "contact_name": self.contact_name,
            "phone": self.phone,
            "email": self.email,
        }


def _clean(value: Any) -> str:
    text = unicodedata.normalize("NFC", value if isinstance(value, str) else "")
    return _CONTROL_RE.sub("", text.replace("\r\n", "\n")).strip()


def clean_text(value: Any) -> str:
    """Text as typed, NFC-normalised, without control characters (newlines and tabs stay)."""
    return _clean(value)


def parse_case(raw: Mapping[str, Any]) -> CaseInput:
    """Validate a submission (JSON or form fields); :class:`CaseError` names every problem."""
    problems: dict[str, str] = {}
    kind = raw.get("kind")
    if kind not in CASE_KINDS:
        problems["kind"] = "类别 kind 应为 objection（信用异议）或 complaint（失信投诉）"
        raise CaseError(problems)
    site = _clean(raw.get("site"))
    if not site:
        problems["site"] = "缺少受理站点 site"
    values: dict[str, str] = {}
    for name, (label, for_objection, for_complaint, limit) in FIELDS.items():
        value = raw.get(name, "")
        if value is not None and not isinstance(value, str):
            problems[name] = f"{label}应为文字"
            continue
        text = _clean(value)
        required = for_objection if kind == "objection" else for_complaint
        if required and not text:
            problems[name] = f"请填写{label}"
        elif len(text) > limit:
            problems[name] = f"{label}过长：最多 {limit} 个字，实际 {len(text)} 个"
        values[name] = text
    reason = values.get("reason", "")
    if reason and len(reason) < MIN_REASON and "reason" not in problems:
        problems["reason"] = f"理由及请求过短：请至少写 {MIN_REASON} 个字，说明事实和请求"
    code = values.get("subject_code", "")
    if code and "subject_code" not in problems:
        try:
            values["subject_code"] = validate_uscc(code)
        except CodeError as exc:
            if not is_valid_id_number(code.upper()):
                problems["subject_code"] = f"{exc}（自然人请填写 18 位身份证号）"
            else:
                values["subject_code"] = code.upper()
    phone = values.get("phone", "")
    if phone and "phone" not in problems and not _PHONE_RE.fullmatch(phone.replace(" ", "")):
        problems["phone"] = "联系电话格式不正确：请填写 11 位手机号或带区号的固定电话"
    email = values.get("email", "")
    if email and "email" not in problems and not _EMAIL_RE.fullmatch(email):
        problems["email"] = "电子邮箱格式不正确"
    if problems:
        raise CaseError(problems)
    return CaseInput(kind=kind, site=site, **values)  # type: ignore[arg-type]
