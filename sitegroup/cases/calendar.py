"""Deadlines in working days (工作日): Monday to Friday, minus the public holidays, plus the
make-up working days (调休上班), as the main site's ``[cases]`` section lists them.

The calendar is configuration, not code: the State Council publishes next year's holidays
each winter, and an operator adds them to ``tenants/main/site.toml`` without a release.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sitegroup.clock import CST
from sitegroup.tenants.registry import Group
from sitegroup.tenants.schema import CasesConfig


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days, and the deadline of each case kind in working days."""

    deadline_days: dict[str, int]
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    @classmethod
    def from_config(cls, config: CasesConfig | None) -> WorkCalendar:
        config = config or CasesConfig()
        return cls(
            deadline_days=config.deadline_days.model_dump(),
            holidays=frozenset(config.holidays),
            workdays=frozenset(config.workdays),
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself never counts)."""
        if days < 1:
            raise ValueError("days must be positive")
        day = start
        while days:
            day += timedelta(days=1)
            days -= self.is_working_day(day)
        return day

    def due_on(self, kind: str, received_at: datetime) -> date:
        """When a case of ``kind`` received at ``received_at`` must be concluded: the N-th
        working day after the Beijing day of receipt (dispatch is immediate)."""
        if received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware")
        return self.add_working_days(received_at.astimezone(CST).date(), self.deadline_days[kind])


def calendar_for(group: Group) -> WorkCalendar:
    """The group's calendar, from the main site's ``[cases]`` (defaults when absent)."""
    return WorkCalendar.from_config(group[group.root].config.cases)


def days_overdue(due_on: date | None, today: date) -> int:
    """Calendar days past the due date (0: not overdue, or no due date)."""
    if due_on is None:
        return 0
    return max(0, (today - due_on).days)
