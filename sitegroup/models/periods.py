"""How long a disclosure record stays on the public pages.

Penalties carry an optional 公示截止期; when it is empty the period follows the rule
in force on the decision date, from a versioned table (:data:`PERIOD_RULES`). A rule
gives a minimum and a maximum period per 失信严重程度 (一般 / 严重) and a stricter
minimum for some 所属领域. Without a 公示截止期 a penalty is public for the maximum.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = [
    "LONG_TERM",
    "PERIOD_RULES",
    "PeriodRule",
    "add_months",
    "check_disclosure_until",
    "penalty_disclosure_end",
    "rule_for",
]

LONG_TERM = date(2099, 12, 31)
"""The date the data standard uses for 长期 (no end)."""

Severity = Literal["一般", "严重"]


@dataclass(frozen=True, slots=True)
class PeriodRule:
    """One version of the penalty disclosure-period rules."""

    version: str
    """Stable id, stored with the records it was applied to."""
    effective_from: date
    """First decision date the rule applies to."""
    source: str
    """The document that sets the rule, as cited to users."""
    general_min_months: int
    general_max_months: int
    serious_min_months: int
    serious_max_months: int
    special_domains: tuple[str, ...] = ()
    """所属领域 values (matched as substrings) with the stricter minimum below."""
    special_domain_min_months: int = 0

    def min_months(self, severity: str, domain: str = "") -> int:
        """Minimum disclosure period in months."""
        base = self.serious_min_months if severity == "严重" else self.general_min_months
        if domain and any(d in domain for d in self.special_domains):
            return max(base, self.special_domain_min_months)
        return base

    def max_months(self, severity: str) -> int:
        """Maximum disclosure period in months."""
        return self.serious_max_months if severity == "严重" else self.general_max_months


PERIOD_RULES: tuple[PeriodRule, ...] = (
    PeriodRule(
        version="2019",
        effective_from=date(2019, 7, 1),
        source="《国家发展改革委办公厅关于进一步完善“信用中国”网站及地方信用门户网站"
        "行政处罚信息信用修复机制的通知》（发改办财金〔2019〕527号）",
        general_min_months=3,
        general_max_months=12,
        serious_min_months=6,
        serious_max_months=36,
    ),
    PeriodRule(
        version="2023",
        effective_from=date(2023, 5, 1),
        source="《失信行为纠正后的信用信息修复管理办法（试行）》（国家发展改革委令第58号）",
        general_min_months=3,
        general_max_months=36,
        serious_min_months=12,
        serious_max_months=36,
        special_domains=("特种设备", "安全生产", "消防"),
        special_domain_min_months=12,
    ),
)
"""Oldest first; append a new version, never edit a published one."""


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's end (1-31 → 2-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def rule_for(decided_on: date) -> PeriodRule:
    """The latest rule in force on ``decided_on`` (the first rule for earlier decisions)."""
    chosen = PERIOD_RULES[0]
    for rule in PERIOD_RULES:
        if rule.effective_from <= decided_on:
            chosen = rule
    return chosen


def penalty_disclosure_end(
    decided_on: date,
    *,
    severity: str = "一般",
    domain: str = "",
    disclosure_until: date | None = None,
) -> date:
    """The day a penalty leaves the public pages.

    The given 公示截止期 if any, else the decision date plus the maximum period of the
    rule in force for that severity.
    """
    if disclosure_until is not None:
        return disclosure_until
    return add_months(decided_on, rule_for(decided_on).max_months(severity))


def check_disclosure_until(
    decided_on: date,
    disclosure_until: date,
    *,
    severity: str = "一般",
    domain: str = "",
) -> str | None:
    """A Chinese problem text if 公示截止期 ends before the minimum period, else None."""
    rule = rule_for(decided_on)
    months = rule.min_months(severity, domain)
    earliest = add_months(decided_on, months)
    if disclosure_until >= earliest:
        return None
    if months > rule.min_months(severity):
        why = f"所属领域为“{domain}”的行政处罚信息最短公示 {months} 个月"
    else:
        why = f"{severity}失信行为的行政处罚信息最短公示 {months} 个月"
    return (
        f"公示截止期 {disclosure_until.isoformat()} 早于最短公示期届满日 "
        f"{earliest.isoformat()}（{why}，依据{rule.source}）"
    )
