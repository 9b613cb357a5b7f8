"""异议投诉: one window for the whole group. Central intake, dispatch to the responsible
region (属地), local handling, feedback to the submitter. See ``docs/cases.md``."""

from sitegroup.cases.desk import CaseDesk, CaseNotFound, Submitted
from sitegroup.cases.model import CASE_KINDS, STATUS_LABELS, CaseError, CaseInput, parse_case

__all__ = [
    "CASE_KINDS",
    "STATUS_LABELS",
    "CaseDesk",
    "CaseError",
    "CaseInput",
    "CaseNotFound",
    "Submitted",
    "parse_case",
]
