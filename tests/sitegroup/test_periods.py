"""Tests for sitegroup.models.periods: the versioned disclosure-period rules."""

from __future__ import annotations

from datetime import date

import pytest

from sitegroup.models.periods import (
    LONG_TERM,
    PERIOD_RULES,
    add_months,
    check_disclosure_until,
    penalty_disclosure_end,
    rule_for,
)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 11, 15), 3, date(2025, 2, 15)),
        (date(2024, 5, 1), 36, date(2027, 5, 1)),
    ],
)
def test_add_months_clamps_to_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_rules_are_ordered_and_documented() -> None:
    assert [r.version for r in PERIOD_RULES] == ["2019", "2023"]
    assert PERIOD_RULES[0].effective_from < PERIOD_RULES[1].effective_from
    assert "527号" in PERIOD_RULES[0].source
    assert "第58号" in PERIOD_RULES[1].source
    assert date(2099, 12, 31) == LONG_TERM


@pytest.mark.parametrize(
    ("decided_on", "version"),
    [
        (date(2015, 1, 1), "2019"),
        (date(2019, 7, 1), "2019"),
        (date(2023, 4, 30), "2019"),
        (date(2023, 5, 1), "2023"),
        (date(2025, 1, 1), "2023"),
    ],
)
def test_rule_for(decided_on: date, version: str) -> None:
    assert rule_for(decided_on).version == version


@pytest.mark.parametrize(
    ("decided_on", "severity", "expected"),
    [
        (date(2020, 3, 10), "一般", date(2021, 3, 10)),
        (date(2020, 3, 10), "严重", date(2023, 3, 10)),
        (date(2024, 3, 10), "一般", date(2027, 3, 10)),
        (date(2024, 3, 10), "严重", date(2027, 3, 10)),
    ],
)
def test_end_without_disclosure_until_is_the_maximum(
    decided_on: date, severity: str, expected: date
) -> None:
    assert penalty_disclosure_end(decided_on, severity=severity) == expected


def test_given_disclosure_until_wins() -> None:
    until = date(2024, 12, 1)
    assert penalty_disclosure_end(date(2024, 3, 1), disclosure_until=until) == until


def test_minimum_2019_rules() -> None:
    decided = date(2020, 1, 15)
    assert check_disclosure_until(decided, date(2020, 4, 15)) is None
    problem = check_disclosure_until(decided, date(2020, 4, 14))
    assert problem is not None
    assert "2020-04-14 早于最短公示期届满日 2020-04-15" in problem
    assert "3 个月" in problem and "527号" in problem
    assert check_disclosure_until(decided, date(2020, 7, 14), severity="严重") is not None
    assert check_disclosure_until(decided, date(2020, 7, 15), severity="严重") is None


def test_minimum_2023_serious_and_special_domains() -> None:
    decided = date(2024, 1, 10)
    assert check_disclosure_until(decided, date(2024, 4, 10)) is None
    serious = check_disclosure_until(decided, date(2024, 7, 10), severity="严重")
    assert serious is not None and "12 个月" in serious
    for domain in ("消防", "安全生产", "特种设备安全监察"):
        problem = check_disclosure_until(decided, date(2024, 7, 10), domain=domain)
        assert problem is not None
        assert f"所属领域为“{domain}”" in problem and "第58号" in problem
    assert check_disclosure_until(decided, date(2025, 1, 10), domain="消防") is None
    # The 2019 rule had no special domains.
    assert check_disclosure_until(date(2020, 1, 10), date(2020, 7, 10), domain="消防") is None
