"""Beijing time: the group's days, its "today" and every time shown to a person.

China has one time zone and no daylight saving, so a fixed offset is exact (and needs no
tz database).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")


def today() -> date:
    """Today's date in Beijing."""
    return datetime.now(CST).date()


def beijing(moment: datetime) -> datetime:
    """A stored moment in Beijing time; a naive one (SQLite hands them back) is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CST)


def beijing_iso(moment: datetime) -> str:
    """A stored moment as a Beijing ISO 8601 string (see :func:`beijing`)."""
    return beijing(moment).isoformat(timespec="seconds")
