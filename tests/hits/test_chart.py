"""The server-drawn 访问量趋势图: valid standalone SVG, accessible, escaped, readable labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from sitegroup.clock import CST
from sitegroup.hits.chart import (
    FONT_NARROW,
    FONT_WIDE,
    LABEL_GAP,
    chart_title,
    label_step,
    nice_ticks,
    period_text,
    render_chart,
    text_width,
)
from sitegroup.theme import load_theme

SVG = "{http://www.w3.org/2000/svg}"
DAY = datetime(2026, 11, 23, tzinfo=CST)


@pytest.fixture(scope="module")
def vi() -> dict[str, Any]:
    return dict(load_theme().vi)


def answer(
    views: list[int],
    *,
    granularity: str = "hour",
    start: datetime = DAY,
    step: timedelta = timedelta(hours=1),
    end: datetime | None = None,
    as_of: datetime | None = None,
    name: str = "信用中国(浙江)",
    sites: int = 3,
    rollup: bool = True,
) -> dict[str, Any]:
    """A ``/api/stats`` answer shaped like the API's, with one point per ``views`` item."""

    def label(t: datetime) -> str:
        return f"{t.month}月{t.day}日" if granularity == "day" else t.strftime("%H:%M")

    times = [start + step * i for i in range(len(views))]
    return {
        "site": "zhejiang",
        "name": name,
        "rollup": rollup,
        "sites": sites,
        "from": start.isoformat(),
        "to": (end or start + step * len(views)).isoformat(),
        "granularity": granularity,
        "total": sum(views),
        "series": [
            {"t": t.isoformat(), "label": label(t), "views": v}
            for t, v in zip(times, views, strict=True)
        ],
        "top_sites": [],
        "top_pages": [],
        "top_referrers": [],
        "realtime": {
            "last_5_minutes": 0,
            "today": 0,
            "as_of": (as_of or DAY + timedelta(hours=10, minutes=31)).isoformat(),
        },
    }


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]


def x_labels(root: ET.Element, layout: str) -> list[ET.Element]:
    (group,) = [g for g in root.iter(f"{SVG}g") if layout in (g.get("class") or "").split()]
    return list(group.iter(f"{SVG}text"))


def test_today_by_hour_is_an_accessible_responsive_svg(vi) -> None:
    views = [0] * 8 + [20, 40, 60, 50] + [30] * 12
    svg = render_chart(answer(views), vi)
    root = parse(svg)
    # scales to its container: a viewBox and no fixed size
    assert root.get("viewBox") == "0 0 800 360"
    assert root.get("width") is None and root.get("height") is None
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert title.text == "信用中国(浙江)及下级站点 今日访问量（按小时）"
    assert "合计 530 次" in desc.text and "峰值 60 次（10:00）" in desc.text
    assert "3 个站点" in desc.text
    assert root.get("aria-labelledby") == "chart-title chart-desc"
    # one mark per point, the tallest for the peak, in the VI colour
    marks = bars(root)
    assert len(marks) == 24
    heights = [float(r.get("height")) for r in marks]
    assert heights.index(max(heights)) == 10 and heights[0] == 0
    (bar_group,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "bars"]
    assert bar_group.get("fill") == vi["color_primary"]
    (grid,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "grid"]
    assert grid.get("stroke") == vi["color_border"]
    # the font stack survives attribute escaping intact
    assert root.get("font-family") == vi["font_stack"]
    assert '"PingFang SC"' in root.get("font-family")


def test_no_script_and_no_external_reference(vi) -> None:
    svg = render_chart(answer([1, 2, 3]), vi)
    root = parse(svg)
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert tags <= {"svg", "title", "desc", "style", "rect", "g", "line", "text"}
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "href" not in svg and "url(" not in svg and "on" not in {a[:2] for a in root.attrib}


def test_y_ticks_are_round_integers_covering_the_peak(vi) -> None:
    root = parse(render_chart(answer([3, 123, 7]), vi))
    (group,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "y"]
    assert [t.text for t in group.iter(f"{SVG}text")] == ["0", "25", "50", "75", "100", "125"]
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(1) == [0, 1]
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(12345)[-1] >= 12345
    for peak in (1, 2, 5, 9, 10, 11, 99, 101, 999, 4321, 1_000_001):
        ticks = nice_ticks(peak)
        assert ticks[0] == 0 and ticks[-1] >= peak and 2 <= len(ticks) <= 6
        steps = {b - a for a, b in pairwise(ticks)}
        assert len(steps) == 1 and all(isinstance(t, int) for t in ticks)


def test_big_numbers_get_thousands_separators(vi) -> None:
    root = parse(render_chart(answer([12000, 3]), vi))
    desc = root.find(f"{SVG}desc").text
    assert "合计 12,003 次" in desc and "峰值 12,000 次" in desc


def test_names_and_labels_are_escaped(vi) -> None:
    evil = '<script>alert("x")</script>&'
    data = answer([1, 0], name=evil)
    data["series"][0]["label"] = "<b>&"
    svg = render_chart(data, vi)
    assert "<script" not in svg and "<b>" not in svg
    root = parse(svg)
    assert evil in root.find(f"{SVG}title").text
    assert "<b>&" in {t.text for t in x_labels(root, "xw")}
    # hostile VI values cannot break out of their attribute either
    hostile = {**vi, "color_primary": '"/><script>x</script>', "font_stack": 'a" onload="x'}
    svg = render_chart(answer([1]), hostile)
    root = parse(svg)
    assert "<script" not in svg and root.get("onload") is None


def test_all_zero_series(vi) -> None:
    svg = render_chart(answer([0] * 24), vi)
    root = parse(svg)
    assert len(bars(root)) == 24
    assert all(float(r.get("height")) == 0 for r in bars(root))
    assert "暂无访问" in root.find(f"{SVG}desc").text
    assert any(t.text == "所选时段暂无访问" for t in root.iter(f"{SVG}text"))
    assert "nan" not in svg.lower() and "inf" not in svg.lower()


def test_single_point(vi) -> None:
    data = answer([5], granularity="day", step=timedelta(days=1))
    root = parse(render_chart(data, vi))
    (bar,) = bars(root)
    width = float(bar.get("width"))
    assert 0 < width <= 64
    center = float(bar.get("x")) + width / 2
    assert center == pytest.approx(400, abs=1)
    assert [t.text for t in x_labels(root, "xw")] == ["11月23日"]
    assert "峰值 5 次（11月23日）" in root.find(f"{SVG}desc").text


def test_empty_series_still_renders(vi) -> None:
    data = answer([])
    root = parse(render_chart(data, vi))
    assert bars(root) == [] and root.find(f"{SVG}title") is not None


def _assert_no_overlap(labels: list[ET.Element], font_size: float) -> None:
    xs = [float(t.get("x")) for t in labels]
    assert xs == sorted(xs)
    for (a, ta), (b, tb) in pairwise(zip(xs, labels, strict=True)):
        half = (text_width(ta.text, font_size) + text_width(tb.text, font_size)) / 2
        assert b - a >= half + LABEL_GAP / 2, (ta.text, tb.text)
    for x, t in zip(xs, labels, strict=True):
        half = text_width(t.text, font_size) / 2
        assert x - half >= 0 and x + half <= 800, t.text


@pytest.mark.parametrize("points", [24, 30, 60, 1440])
def test_x_labels_are_thinned_so_they_never_overlap(vi, points) -> None:
    granularity = "minute" if points in (60, 1440) else "hour" if points == 24 else "day"
    step = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1)}.get(
        granularity, timedelta(days=1)
    )
    start = DAY + timedelta(hours=9, minutes=32) if points == 60 else DAY
    data = answer([i % 7 for i in range(points)], granularity=granularity, start=start, step=step)
    root = parse(render_chart(data, vi))
    assert len(bars(root)) == points
    wide, narrow = x_labels(root, "xw"), x_labels(root, "xn")
    assert 2 <= len(narrow) <= len(wide) <= 24
    assert len(narrow) < len(wide) or points <= 3
    _assert_no_overlap(wide, FONT_WIDE)
    _assert_no_overlap(narrow, FONT_NARROW)
    if points == 60:
        # a minute series starting at 09:32 is labelled on round minutes
        assert all(int(t.text[-2:]) % 5 == 0 for t in wide)
    if points == 1440:
        assert [t.text for t in wide][:3] == ["00:00", "02:00", "04:00"]


def test_label_step_grows_with_density() -> None:
    labels = ["00:00"] * 10
    assert label_step(labels, 200, FONT_WIDE) == 1
    assert label_step(labels, 10, FONT_WIDE) > label_step(labels, 40, FONT_WIDE)
    assert label_step([], 1, FONT_WIDE) == 1
    assert text_width("11月23日", 10) > text_width("00:00", 10)


def test_titles_for_every_period(vi) -> None:
    hour = answer(
        [1] * 60,
        granularity="minute",
        start=DAY + timedelta(hours=9, minutes=32),
        step=timedelta(minutes=1),
    )
    assert period_text(hour) == "近1小时"
    week = answer([1] * 7, granularity="day", start=DAY - timedelta(days=6), step=timedelta(days=1))
    assert chart_title(week, vi) == "信用中国(浙江)及下级站点 近7天访问量（按天）"
    month = answer(
        [1] * 30, granularity="day", start=DAY - timedelta(days=29), step=timedelta(days=1)
    )
    assert period_text(month) == "近30天"
    past = answer([1] * 24, as_of=DAY + timedelta(days=3))
    assert period_text(past) == "11月23日"
    # the main site rolled up is the whole group; a single site has no 及下级站点
    whole_day = DAY + timedelta(days=1)
    group = answer([1], name="信用中国", sites=40, end=whole_day)
    assert chart_title(group, vi) == "信用中国网站群 今日访问量（按小时）"
    alone = answer([1], rollup=False, sites=1, end=whole_day)
    assert chart_title(alone, vi) == "信用中国(浙江) 今日访问量（按小时）"
    leaf = answer([1], sites=1, end=whole_day)
    assert chart_title(leaf, vi) == "信用中国(浙江) 今日访问量（按小时）"
    custom = answer(
        [1, 1],
        granularity="hour",
        start=DAY + timedelta(hours=8, minutes=30),
        as_of=DAY + timedelta(days=5),
    )
    assert period_text(custom) == "11月23日 08:30 至 11月23日 10:30"


def test_docstring_examples() -> None:
    import doctest

    import sitegroup.hits.chart as chart

    assert doctest.testmod(chart).failed == 0
