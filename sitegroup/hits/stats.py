"""Statistics answers: one site, a site with its descendants, or the whole group.

Every figure is summed from the per-minute counts, so the group total is the sum of its
sites by construction, and a province rolled up is itself plus every descendant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sitegroup.clock import CST
from sitegroup.hits.ledger import HitLedger
from sitegroup.hits.visits import (
    MINUTES_PER_DAY,
    day_number,
    day_of,
    day_start,
    minute_of,
    minute_time,
)
from sitegroup.tenants.registry import Group

Granularity = Literal["minute", "hour", "day"]
WIDTH = {"minute": 1, "hour": 60, "day": MINUTES_PER_DAY}
UNIT = {"minute": "分钟", "hour": "小时", "day": "天"}
#: The most buckets one series may have (a month by hour, two days by minute …).
MAX_BUCKETS = 2000
#: Shortcuts the dashboard uses: (minutes back or "today"/days, granularity).
PERIODS: dict[str, tuple[str, Granularity]] = {
    "1h": ("minutes:60", "minute"),
    "today": ("days:1", "hour"),
    "7d": ("days:7", "day"),
    "30d": ("days:30", "day"),
}
REALTIME_MINUTES = 5


class StatsError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Window:
    start: int  # first minute (inclusive)
    end: int  # last minute (exclusive)
    granularity: Granularity

    @property
    def width(self) -> int:
        return WIDTH[self.granularity]

    def buckets(self) -> list[int]:
        w = self.width
        if w == MINUTES_PER_DAY:
            first = day_start(day_of(self.start))
        else:
            first = self.start - self.start % w
        return list(range(first, self.end, w))


def _parse_time(raw: str, field: str, *, end: bool) -> int:
    """A date (``2026-11-23``: the whole day) or a Beijing datetime → minute."""
    raw = raw.strip()
    try:
        if len(raw) == 10:
            d = date.fromisoformat(raw)
            return day_start(day_number(d) + (1 if end else 0))
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise StatsError(
            field, f"参数 {field} 不是日期或时间：应为 2026-11-23 或 2026-11-23T08:30"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CST)
    return minute_of(moment.timestamp())


def window(
    now: float,
    *,
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
    granularity: str | None = None,
) -> Window:
    """The time window of a request; defaults to today by hour."""
    now_minute = minute_of(now)
    today = day_of(now_minute)
    g = granularity
    if period is not None:
        if period not in PERIODS:
            raise StatsError("period", f"未知时段“{period[:20]}”：可选 {'、'.join(PERIODS)}")
        span, default_g = PERIODS[period]
        unit, amount = span.split(":")
        first = (
            now_minute - int(amount) + 1
            if unit == "minutes"
            else day_start(today - int(amount) + 1)
        )
        last = now_minute + 1 if unit == "minutes" else day_start(today + 1)
        g = g or default_g
    else:
        first = _parse_time(start, "from", end=False) if start else day_start(today)
        last = _parse_time(end, "to", end=True) if end else day_start(today + 1)
    if last <= first:
        raise StatsError("to", "参数 to 须晚于 from")
    if g is None:
        g = "hour" if last - first <= 2 * MINUTES_PER_DAY else "day"
    if g not in WIDTH:
        raise StatsError("granularity", "参数 granularity 只能是 minute、hour 或 day")
    w = Window(first, last, g)  # type: ignore[arg-type]
    if len(range(first, last, w.width)) > MAX_BUCKETS:
        raise StatsError(
            "granularity",
            f"时间范围过大：按{UNIT[g]}统计最多 {MAX_BUCKETS} 个时间点，请缩小范围或加大粒度",
        )
    return w


def _iso(minute: int) -> str:
    return minute_time(minute).isoformat()


def _label(minute: int, granularity: str) -> str:
    t = minute_time(minute)
    if granularity == "day":
        return f"{t.month}月{t.day}日"
    return t.strftime("%H:%M")


class StatsService:
    """Answers ``/api/stats`` for one group over one ledger."""

    def __init__(self, group: Group, ledger: HitLedger) -> None:
        self.group = group
        self.ledger = ledger

    def scope(self, site_id: str, rollup: bool) -> list[str] | None:
        """The sites a figure covers; None is the whole group (no filter)."""
        if rollup and site_id == self.group.root:
            return None
        if not rollup:
            return [site_id]
        return [site_id, *(s.id for s in self.group.descendants(site_id))]

    def members(self, site_id: str, rollup: bool) -> list[str]:
        scope = self.scope(site_id, rollup)
        return [s.id for s in self.group] if scope is None else scope

    def realtime(self, site_id: str, rollup: bool, now: float) -> dict[str, Any]:
        scope = self.scope(site_id, rollup)
        m = minute_of(now)
        return {
            "last_5_minutes": self.ledger.total(scope, m - REALTIME_MINUTES + 1, m + 1),
            "today": self.ledger.total(scope, day_start(day_of(m)), m + 1),
            "as_of": datetime.fromtimestamp(now, CST).isoformat(timespec="seconds"),
        }

    def answer(
        self,
        site_id: str,
        rollup: bool,
        win: Window,
        now: float,
        *,
        top: int = 10,
        period: str | None = None,
    ) -> dict[str, Any]:
        scope = self.scope(site_id, rollup)
        site = self.group[site_id]
        counts = self.ledger.series(scope, win.start, win.end, win.width)
        series = [
            {"t": _iso(b), "label": _label(b, win.granularity), "views": counts.get(b, 0)}
            for b in win.buckets()
        ]
        per_site = self.ledger.per_site(scope, win.start, win.end)
        ranking = sorted(per_site.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        refs = self.ledger.top_referrers(scope, day_of(win.start), day_of(win.end - 1), top)
        return {
            "site": site_id,
            "name": site.name,
            "rollup": rollup,
            "whole_group": scope is None,
            "period": period,
            "sites": len(self.members(site_id, rollup)),
            "from": _iso(win.start),
            "to": _iso(win.end),
            "granularity": win.granularity,
            "total": sum(per_site.values()),
            "series": series,
            "top_sites": [{"site": sid, "name": self._name(sid), "views": n} for sid, n in ranking],
            "top_pages": [
                {"site": sid, "name": self._name(sid), "path": path, "views": n}
                for sid, path, n in self.ledger.top_pages(scope, win.start, win.end, top)
            ],
            "top_referrers": [{"ref": r, "name": self._ref_name(r), "views": n} for r, n in refs],
            "realtime": self.realtime(site_id, rollup, now),
        }

    def _name(self, site_id: str) -> str:
        return self.group[site_id].name if site_id in self.group else site_id

    def _ref_name(self, ref: str) -> str:
        return self._name(ref[5:]) if ref.startswith("site:") else ref
