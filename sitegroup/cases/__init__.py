"""异议投诉: one window for the whole group. Central intake, dispatch to the responsible
region (属地), local handling, feedback to the submitter. See ``docs/cases.md``."""

from sitegroup.cases.calendar import WorkCalendar, calendar_for
from sitegroup.cases.desk import CaseDesk, CaseNotFound, Submitted
from sitegroup.cases.handlers import Handler, HandlerError, authenticate, create_handler
from sitegroup.cases.model import (
    ACTION_LABELS,
    CASE_KINDS,
    RESULTS,
    STATUS_LABELS,
    CaseError,
    CaseInput,
    parse_case,
)

__all__ = [
    "ACTION_LABELS",
    "CASE_KINDS",
    "RESULTS",
    "STATUS_LABELS",
    "CaseDesk",
    "CaseError",
    "CaseInput",
    "CaseNotFound",
    "Handler",
    "HandlerError",
    "Submitted",
    "WorkCalendar",
    "authenticate",
    "calendar_for",
    "create_handler",
    "parse_case",
]
