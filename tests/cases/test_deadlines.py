"""Deadlines in working days: the calendar, its configuration in the main site's site.toml,
the due date set at intake, and the overdue list per region (API and CLI)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from sitegroup import clock
from sitegroup.cases.calendar import WorkCalendar, calendar_for, days_overdue
from sitegroup.cli import main
from sitegroup.clock import CST
from sitegroup.errors import ConfigError
from sitegroup.store.tables import records
from sitegroup.tenants.registry import Group
from sitegroup.theme import Theme
from tests.cases.handling_support import BACKENDS, World, demo_world
from tests.conftest import DEMO_TENANTS, site_toml

#: National Day 2026 as a holiday notice would put it: Thursday 1 to Wednesday 7 October
#: off (the weekend included), Sunday 27 September and Saturday 10 October worked.
HOLIDAYS = ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"]
WORKDAYS = ["2026-09-27", "2026-10-10"]
CASES_TOML = (
    "[cases]\ndeadline_days = { objection = 5, complaint = 8 }\n"
    f"holidays = {HOLIDAYS}\nworkdays = {WORKDAYS}\n".replace("'", '"')
)
NATIONAL_DAY = WorkCalendar(
    {"objection": 5, "complaint": 8},
    frozenset(date.fromisoformat(d) for d in HOLIDAYS),
    frozenset(date.fromisoformat(d) for d in WORKDAYS),
)


def _beijing(day: str, hour: int = 10, minute: int = 0) -> datetime:
    moment = datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=CST)
    return moment.astimezone(UTC)


# -- the calendar ----------------------------------------------------------------------


def test_working_days_skip_weekends() -> None:
    plain = WorkCalendar({"objection": 7, "complaint": 15})
    friday = date(2026, 11, 20)
    assert plain.add_working_days(friday, 1) == date(2026, 11, 23)  # Monday
    assert plain.add_working_days(friday, 7) == date(2026, 12, 1)
    assert plain.add_working_days(date(2026, 11, 21), 1) == date(2026, 11, 23)  # from Saturday
    assert plain.add_working_days(date(2026, 11, 23), 5) == date(2026, 11, 30)
    with pytest.raises(ValueError):
        plain.add_working_days(friday, 0)


def test_holidays_are_skipped_and_make_up_days_are_worked() -> None:
    friday = date(2026, 9, 25)
    days = [NATIONAL_DAY.add_working_days(friday, n) for n in range(1, 9)]
    assert [d.isoformat() for d in days] == [
        "2026-09-27",  # Sunday, worked (调休上班)
        "2026-09-28",
        "2026-09-29",
        "2026-09-30",
        "2026-10-08",  # 1-7 October off
        "2026-10-09",
        "2026-10-10",  # Saturday, worked
        "2026-10-12",
    ]
    assert not NATIONAL_DAY.is_working_day(date(2026, 10, 1))
    assert NATIONAL_DAY.is_working_day(date(2026, 10, 10))


def test_the_due_date_counts_from_the_beijing_day_of_receipt() -> None:
    plain = WorkCalendar({"objection": 1, "complaint": 1})
    thursday_night = _beijing("2026-11-19", 23, 30)  # 15:30 UTC, still Thursday in Beijing
    after_midnight = _beijing("2026-11-20", 0, 30)  # 16:30 UTC Thursday, Friday in Beijing
    assert thursday_night.date() == after_midnight.date()  # the same UTC day
    assert plain.due_on("objection", thursday_night) == date(2026, 11, 20)
    assert plain.due_on("objection", after_midnight) == date(2026, 11, 23)
    assert days_overdue(date(2026, 11, 20), date(2026, 11, 23)) == 3
    assert days_overdue(date(2026, 11, 20), date(2026, 11, 20)) == 0
    assert days_overdue(None, date(2026, 11, 20)) == 0


# -- configuration ---------------------------------------------------------------------

MakeGroup = Callable[[dict[str, str]], Group]


def test_the_calendar_comes_from_the_main_site_with_defaults(make_group: MakeGroup) -> None:
    plain = calendar_for(make_group({"main/site.toml": site_toml("100000")}))
    assert plain.deadline_days == {"objection": 7, "complaint": 15}
    assert not plain.holidays and not plain.workdays
    group = make_group({"main/site.toml": site_toml("100000", extra=CASES_TOML)})
    assert calendar_for(group) == NATIONAL_DAY
    native = CASES_TOML.replace('"2026-10-01"', "2026-10-01")  # a TOML date works too
    assert calendar_for(make_group({"main/site.toml": site_toml("100000", extra=native)})) == (
        NATIONAL_DAY
    )


@pytest.mark.parametrize(
    ("section", "key", "words"),
    [
        ("deadline_days = { objection = 0 }", "cases.deadline_days.objection", "1 到 90"),
        ("deadline_days = { complaint = 91 }", "cases.deadline_days.complaint", "1 到 90"),
        ('deadline_days = { objection = "7" }', "cases.deadline_days.objection", "整数"),
        ("deadline_days = { appeal = 7 }", "cases.deadline_days.appeal", "未知配置项"),
        ('holidays = ["2026-13-01"]', "cases.holidays", "holidays[0] 应为 YYYY-MM-DD"),
        ('workdays = ["10/10/2026"]', "cases.workdays", "workdays[0] 应为 YYYY-MM-DD"),
        ('holidays = "2026-10-01"', "cases.holidays", "日期列表"),
        (
            'holidays = ["2026-10-01"]\nworkdays = ["2026-10-01"]',
            "cases",
            "2026-10-01 同时出现在 holidays 和 workdays 中",
        ),
    ],
)
def test_a_bad_cases_section_names_the_key(
    make_group: MakeGroup, section: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as exc:
        make_group({"main/site.toml": site_toml("100000", extra=f"[cases]\n{section}\n")})
    [problem] = exc.value.problems
    assert problem.key == key and words in problem.message, problem


def test_the_cases_section_is_refused_on_a_regional_site(make_group: MakeGroup) -> None:
    files = {
        "main/site.toml": site_toml("100000"),
        "hubei/site.toml": site_toml("420000", extra=CASES_TOML),
    }
    with pytest.raises(ConfigError) as exc:
        make_group(files)
    [problem] = exc.value.problems
    assert (Path(problem.file).parent.name, problem.key) == ("hubei", "cases")
    assert "只能写在主站" in problem.message


# -- intake and the overdue list, on both stores ---------------------------------------


@pytest.fixture(scope="module")
def holiday_tenants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo tenants' site.toml files, the main site with the National Day calendar."""
    root = tmp_path_factory.mktemp("tenants")
    for folder in DEMO_TENANTS.iterdir():
        if (folder / "site.toml").is_file():
            (root / folder.name).mkdir()
            shutil.copy(folder / "site.toml", root / folder.name / "site.toml")
    main = root / "main" / "site.toml"
    main.write_text(main.read_text(encoding="utf-8") + "\n" + CASES_TOML, encoding="utf-8")
    return root


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    theme: Theme,
    holiday_tenants: Path,
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("deadlines")
    with demo_world(request.param, tmp, theme, tenants=holiday_tenants) as w:
        yield w


def test_intake_sets_the_due_date_in_working_days(world: World) -> None:
    row = world.record(records.c.region_code == "330108")
    objection = world.objection(row, now=_beijing("2026-09-25"))
    assert world.case(objection.number).due_on == date(2026, 10, 8)
    complaint = world.complaint(row.subject_code, now=_beijing("2026-09-25"))
    assert world.case(complaint.number).due_on == date(2026, 10, 12)
    late = world.objection(row, now=_beijing("2026-09-25", 23, 59))  # still Friday
    assert world.case(late.number).due_on == date(2026, 10, 8)
    detail = world.client.get(f"/api/handler/cases/{objection.number}", headers=world.auth("main"))
    assert detail.json()["due_on"] == "2026-10-08"
    follow = world.client.get(f"/api/cases/{objection.number}", params={"code": objection.code})
    assert follow.json()["due_on"] == "2026-10-08"


def test_the_overdue_list_per_region_oldest_first(
    world: World, holiday_tenants: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hangzhou = world.record(records.c.region_code == "330108", 1)
    wuxi = world.record(records.c.region_code == "320211")
    older = world.objection(hangzhou, now=_beijing("2026-08-03")).number  # due 08-10
    newer = world.objection(hangzhou, now=_beijing("2026-08-10")).number  # due 08-17
    done = world.objection(hangzhou, now=_beijing("2026-08-03")).number
    on_time = world.objection(hangzhou, now=_beijing("2026-08-14")).number  # due 08-21
    elsewhere = world.objection(wuxi, now=_beijing("2026-08-03")).number
    desk = world.handling
    for body in (
        {"action": "start"},
        {"action": "conclude", "result": "maintain", "comment": "维持"},
    ):
        desk.act(world.actor("zhejiang-hangzhou"), done, body)

    today = date(2026, 8, 21)
    mine = {older, newer, done, on_time, elsewhere}
    listed = [r for r in desk.overdue("330100", today=today) if r["number"] in mine]
    assert [r["number"] for r in listed] == [older, newer]
    assert [r["days_overdue"] for r in listed] == [11, 4]
    assert all(r["overdue"] for r in listed)
    national = [r["number"] for r in desk.overdue("100000", today=today) if r["number"] in mine]
    assert national == [older, elsewhere, newer]

    monkeypatch.setattr(clock, "today", lambda: today)
    answer = world.client.get(
        "/api/handler/cases",
        headers=world.auth("zhejiang-hangzhou"),
        params={"overdue": "true", "size": 100},
    ).json()
    assert [c["number"] for c in answer["cases"] if c["number"] in mine] == [older, newer]
    full = world.client.get(
        "/api/handler/cases", headers=world.auth("zhejiang-hangzhou"), params={"size": 100}
    ).json()
    flags = {c["number"]: c["overdue"] for c in full["cases"] if c["number"] in mine}
    assert flags == {older: True, newer: True, done: False, on_time: False}
    assert [e.target for e in world.audit()[-2:]] == [
        "overdue=True&page=1&size=100",
        "page=1&size=100",
    ]

    result = CliRunner().invoke(
        main,
        [
            "cases",
            "overdue",
            "--site",
            "zhejiang-hangzhou",
            "--today",
            today.isoformat(),
            "--tenants",
            str(holiday_tenants),
            "--database-url",
            world.store.url,
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("信用中国(浙江杭州)及下级地区：逾期未办结")
    assert lines[1].split() == ["受理编号", "类别", "状态", "办理站点", "到期日", "逾期天数"]
    rows = [line.split() for line in lines[2:] if line.split()[0] in mine]
    assert rows == [
        [older, "信用异议", "已分派", "信用中国(浙江杭州)", "2026-08-10", "11"],
        [newer, "信用异议", "已分派", "信用中国(浙江杭州)", "2026-08-17", "4"],
    ]
    unknown = CliRunner().invoke(main, ["cases", "overdue", "--site", "nowhere"])
    assert unknown.exit_code == 2 and "未知站点" in unknown.output
