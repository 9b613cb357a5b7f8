"""The 访问量趋势图: a ``/api/stats`` answer drawn as a self-contained SVG bar chart.

Drawn on the server so the chart works in an ``<img>`` without JavaScript. The SVG has a
``viewBox`` and no fixed size, so it scales to its container; a media query inside it (it
applies to the image's own width) switches to larger text and fewer x labels on a phone.
No script, no external reference: every colour and the font come from the theme's VI, and
every piece of text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from html import escape
from typing import Any

#: The drawing's coordinate system (user units); the rendered size follows the container.
WIDTH = 800
HEIGHT = 360
#: Label font sizes (user units) in the wide layout and in the narrow one (a phone).
FONT_WIDE = 12
FONT_NARROW = 30
#: Below this rendered width (CSS px) the narrow layout applies.
NARROW_BELOW = 560
#: Gap (user units) kept between two neighbouring x labels.
LABEL_GAP = 10
#: The most intervals the y axis is divided into.
Y_INTERVALS = 5
#: Steps the x labels are thinned by: every n-th point (clock- and calendar-friendly).
LABEL_STEPS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440)

UNIT = {"minute": "分钟", "hour": "小时", "day": "天"}

_DEFAULTS = {
    "color_primary": "#b3121b",
    "color_border": "#d0d7de",
    "color_muted": "#57606a",
    "color_text": "#1f2328",
    "font_stack": "sans-serif",
    "brand": "信用中国",
}


def _attr(value: object) -> str:
    """Text escaped for a double-quoted XML attribute."""
    return escape(str(value), quote=True)


def _text(value: object) -> str:
    """Text escaped for XML character data."""
    return escape(str(value), quote=False)


def _num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    out = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if out == "-0" else out


def text_width(text: str, font_size: float) -> float:
    """Estimated width of ``text``: CJK and other wide characters 1 em, ASCII about 0.62 em."""
    ems = sum(0.62 if ord(ch) < 0x2E80 else 1.0 for ch in text)
    return ems * font_size


def _nice_steps() -> Iterator[int]:
    """1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500 … (whole numbers only)."""
    magnitude = 1
    while True:
        for m in (1, 2, 2.5, 5):
            if float(m * magnitude).is_integer():
                yield int(m * magnitude)
        magnitude *= 10


def nice_ticks(peak: int, most: int = Y_INTERVALS) -> list[int]:
    """Round integer y ticks from 0 to at least ``peak``, in at most ``most`` intervals.

    The step is the smallest of 1, 2, 5, 10, 20, 25, 50, 100 … that needs no more than
    ``most`` intervals, so the top grid line stays close to the peak.

    >>> nice_ticks(0), nice_ticks(3), nice_ticks(123)
    ([0, 1], [0, 1, 2, 3], [0, 25, 50, 75, 100, 125])
    """
    if peak <= 0:
        return [0, 1]
    step = next(s for s in _nice_steps() if math.ceil(peak / s) <= most)
    top = math.ceil(peak / step) * step
    return list(range(0, top + 1, step))


def label_step(labels: Sequence[str], slot: float, font_size: float) -> int:
    """Show every n-th x label, n the smallest step at which neighbours cannot overlap."""
    if not labels:
        return 1
    need = max(text_width(label, font_size) for label in labels) + LABEL_GAP
    for step in LABEL_STEPS:
        if step * slot >= need:
            return step
    return max(1, math.ceil(need / slot))


def _parse(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def _day(moment: datetime) -> str:
    return f"{moment.month}月{moment.day}日"


def period_text(answer: Mapping[str, Any]) -> str:
    """What time the answer covers, in words: 近1小时, 今日, 近7天, 11月23日 …"""
    start, end = _parse(answer.get("from")), _parse(answer.get("to"))
    if start is None or end is None:
        return ""
    realtime = answer.get("realtime")
    as_of = _parse(realtime.get("as_of")) if isinstance(realtime, Mapping) else None
    span = end - start
    midnight = start.time() == end.time() == datetime.min.time()
    if as_of is not None:
        as_of = as_of.astimezone(start.tzinfo) if start.tzinfo else as_of
        if not midnight and span == timedelta(hours=1) and end - as_of <= timedelta(minutes=1):
            return "近1小时"
        if midnight and start.date() <= as_of.date() < end.date():
            days = span.days
            if end.date() == as_of.date() + timedelta(days=1):
                return "今日" if days == 1 else f"近{days}天"
    if midnight:
        last = end - timedelta(days=1)
        return _day(start) if last.date() == start.date() else f"{_day(start)}至{_day(last)}"
    return f"{_day(start)} {start:%H:%M} 至 {_day(end)} {end:%H:%M}"


def chart_title(answer: Mapping[str, Any], vi: Mapping[str, Any]) -> str:
    """The chart's accessible name, e.g. 信用中国(浙江)及下级站点 今日访问量（按小时）."""
    name = str(answer.get("name") or answer.get("site") or "")
    sites = answer.get("sites")
    if answer.get("rollup") and isinstance(sites, int) and sites > 1:
        brand = vi.get("brand", _DEFAULTS["brand"])
        scope = f"{name}网站群" if name == brand else f"{name}及下级站点"
    else:
        scope = name
    unit = UNIT.get(str(answer.get("granularity")), "")
    by = f"（按{unit}）" if unit else ""
    return f"{scope} {period_text(answer)}访问量{by}".replace("  ", " ").strip()


def chart_desc(series: Sequence[Mapping[str, Any]], total: int, sites: Any) -> str:
    """One sentence for screen readers: total, peak and how many sites are covered."""
    covered = f"，统计 {sites:,} 个站点" if isinstance(sites, int) and sites > 1 else ""
    if not any(_views(p) for p in series):
        return f"所选时段暂无访问，共 {len(series)} 个时间点{covered}。"
    peak = max(series, key=_views)
    return (
        f"合计 {total:,} 次访问{covered}；"
        f"峰值 {_views(peak):,} 次（{peak.get('label', '')}），共 {len(series)} 个时间点。"
    )


def _views(point: Mapping[str, Any]) -> int:
    value = point.get("views", 0)
    return value if isinstance(value, int) and value > 0 else 0


def _offset(series: Sequence[Mapping[str, Any]], granularity: str, step: int) -> int:
    """Index of the first label to show, so thinned clock labels fall on round times."""
    if step == 1 or granularity not in ("minute", "hour"):
        return 0
    for i, point in enumerate(series[:step]):
        moment = _parse(point.get("t"))
        if moment is None:
            return 0
        units = moment.hour * 60 + moment.minute if granularity == "minute" else moment.hour
        if units % step == 0:
            return i
    return 0


def _x_labels(
    series: Sequence[Mapping[str, Any]],
    granularity: str,
    geometry: tuple[float, float, float],
    font_size: float,
    css_class: str,
    fill: str,
) -> list[str]:
    """One thinned set of x labels; ``geometry`` is (plot left, slot width, baseline y)."""
    left, slot, y = geometry
    labels = [str(p.get("label", "")) for p in series]
    step = label_step(labels, slot, font_size)
    hidden = ' display="none"' if css_class == "xn" else ""
    out = [
        f'<g class="x {css_class}" font-size="{font_size}" text-anchor="middle"'
        f' fill="{_attr(fill)}"{hidden}>'
    ]
    for i in range(_offset(series, granularity, step), len(labels), step):
        x = left + slot * (i + 0.5)
        out.append(f'<text x="{_num(x)}" y="{_num(y)}">{_text(labels[i])}</text>')
    out.append("</g>")
    return out


def render_chart(answer: Mapping[str, Any], vi: Mapping[str, Any]) -> str:
    """The SVG of ``answer["series"]`` (views per time bucket) as one bar per point.

    ``answer`` is a ``/api/stats`` answer; ``vi`` the theme's ``[vi]`` tokens (colours and
    font). The result is a complete, standalone SVG document (UTF-8 text) with a
    ``<title>`` and a ``<desc>`` for screen readers.
    """
    raw = answer.get("series")
    series: list[Mapping[str, Any]] = [p for p in raw or [] if isinstance(p, Mapping)]
    views = [_views(p) for p in series]
    labels = [str(p.get("label", "")) for p in series]
    granularity = str(answer.get("granularity", ""))
    total_raw = answer.get("total")
    total = total_raw if isinstance(total_raw, int) else sum(views)
    colors = {key: str(vi.get(key) or default) for key, default in _DEFAULTS.items()}
    muted = colors["color_muted"]

    # The plot leaves room for the narrow layout's larger labels: y labels sit just above
    # their grid lines (no left margin eaten by them), x labels below the baseline, and the
    # sides keep half of the widest x label so the first and last one are never cut off.
    pad = 12
    widest = max((text_width(label, FONT_NARROW) for label in labels), default=0)
    side = max(pad, widest / 2 + 2)
    top = FONT_NARROW + pad
    bottom = HEIGHT - FONT_NARROW - 2 * pad
    left, right = side, WIDTH - side
    plot_w, plot_h = right - left, bottom - top

    ticks = nice_ticks(max(views, default=0))
    y_max = ticks[-1]

    def y_of(value: float) -> float:
        return bottom - plot_h * value / y_max

    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="xMidYMid meet"'
        ' role="img" aria-labelledby="chart-title chart-desc"'
        f' font-family="{_attr(colors["font_stack"])}">',
        f'<title id="chart-title">{_text(chart_title(answer, vi))}</title>',
        f'<desc id="chart-desc">{_text(chart_desc(series, total, answer.get("sites")))}</desc>',
        # Applies to the image's own width: a phone gets larger text and fewer x labels.
        f"<style>@media (max-width:{NARROW_BELOW}px){{"
        f".y,.empty{{font-size:{FONT_NARROW}px}}.xw{{display:none}}.xn{{display:inline}}}}"
        "</style>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]

    # Grid: one line per y tick above zero; the baseline is drawn over the bars.
    # Lines keep 1 px however small the image is drawn (vector-effect is not inherited).
    parts.append(f'<g class="grid" stroke="{_attr(colors["color_border"])}" stroke-width="1">')
    for tick in ticks[1:]:
        y = _num(y_of(tick))
        parts.append(
            f'<line x1="{pad}" y1="{y}" x2="{WIDTH - pad}" y2="{y}"'
            ' vector-effect="non-scaling-stroke"/>'
        )
    parts.append("</g>")

    # Bars: one per point (a zero is a bar of no height, so every point has its mark).
    slot = plot_w / max(len(series), 1)
    # Wide slots get a gap between bars; dense ones (a day by minute) overlap their
    # neighbours a little, so anti-aliased seams do not wash out the colour.
    bar_w = min(slot * 0.72, 64) if slot >= 4 else slot + max(1.0, slot / 2)
    parts.append(f'<g class="bars" fill="{_attr(colors["color_primary"])}">')
    for i, (value, label) in enumerate(zip(views, labels, strict=True)):
        height = 0.0 if value == 0 else max(plot_h * value / y_max, 1.5)
        x = left + slot * (i + 0.5) - bar_w / 2
        parts.append(
            f'<rect class="bar" x="{_num(x)}" y="{_num(bottom - height)}"'
            f' width="{_num(bar_w)}" height="{_num(height)}">'
            f"<title>{_text(label)}：{value:,} 次</title></rect>"
        )
    parts.append("</g>")
    parts.append(
        f'<line class="baseline" x1="{pad}" y1="{bottom}" x2="{WIDTH - pad}" y2="{bottom}"'
        f' stroke="{_attr(muted)}" stroke-width="1.5" vector-effect="non-scaling-stroke"/>'
    )

    # Y labels above their grid lines, haloed in white so a bar behind never hides them.
    parts.append(
        f'<g class="y" font-size="{FONT_WIDE}" fill="{_attr(muted)}" stroke="#ffffff"'
        ' stroke-width="4" stroke-linejoin="round" paint-order="stroke">'
    )
    for tick in ticks:
        parts.append(f'<text x="{pad}" y="{_num(y_of(tick) - 5)}">{tick:,}</text>')
    parts.append("</g>")

    # X labels: two thinned sets, one per layout; the media query shows the narrow one.
    wide = (left, slot, bottom + FONT_WIDE + pad)
    narrow = (left, slot, bottom + FONT_NARROW + pad / 2)
    parts.extend(_x_labels(series, granularity, wide, FONT_WIDE, "xw", colors["color_text"]))
    parts.extend(_x_labels(series, granularity, narrow, FONT_NARROW, "xn", colors["color_text"]))

    if not any(views):
        parts.append(
            f'<text class="empty" x="{WIDTH / 2}" y="{_num(top + plot_h / 2)}"'
            f' text-anchor="middle" font-size="18" fill="{_attr(muted)}">所选时段暂无访问</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
