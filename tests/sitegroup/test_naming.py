"""Tests for sitegroup.tenants.naming: 信用中国(…) names and the collision rule."""

from __future__ import annotations

import pytest

from sitegroup.regions import NATIONAL_CODE, Region, RegionTable
from sitegroup.tenants.naming import ROOT_NAME, NameCollision, derive_names, full_name, site_label


@pytest.fixture(scope="module")
def nation() -> RegionTable:
    return RegionTable.default()


@pytest.fixture(scope="module")
def names(nation: RegionTable) -> dict[str, str]:
    return derive_names(nation)


def table_of(*rows: tuple[str, str]) -> RegionTable:
    from sitegroup.regions import level_of

    return RegionTable(Region(code, name, level_of(code)) for code, name in rows)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (NATIONAL_CODE, "信用中国"),
        ("420000", "信用中国(湖北)"),
        ("330782", "信用中国(浙江义乌)"),
        ("320200", "信用中国(江苏无锡)"),
        ("330100", "信用中国(浙江杭州)"),
        ("110105", "信用中国(北京朝阳)"),
        ("220104", "信用中国(吉林朝阳)"),
        ("211300", "信用中国(辽宁朝阳)"),
        ("211321", "信用中国(辽宁朝阳县)"),
        ("320106", "信用中国(江苏南京鼓楼)"),
        ("320302", "信用中国(江苏徐州鼓楼)"),
        ("140302", "信用中国(山西阳泉城区)"),
        ("140502", "信用中国(山西晋城城区)"),
        ("429004", "信用中国(湖北仙桃)"),
        ("150000", "信用中国(内蒙古)"),
        ("422800", "信用中国(湖北恩施)"),
        ("422801", "信用中国(湖北恩施市)"),
        ("530925", "信用中国(云南双江)"),
    ],
)
def test_names(names: dict[str, str], code: str, name: str) -> None:
    assert names[code] == name


def test_whole_nation_names_are_unique(nation: RegionTable, names: dict[str, str]) -> None:
    assert len(names) == len(nation)
    assert len(set(names.values())) == len(names)
    assert all(n == ROOT_NAME or n.startswith(ROOT_NAME + "(") for n in names.values())


def test_names_do_not_depend_on_order(nation: RegionTable, names: dict[str, str]) -> None:
    reversed_table = RegionTable(reversed(list(nation)))
    assert derive_names(reversed_table) == names


def test_result_is_a_fresh_dict(nation: RegionTable) -> None:
    first = derive_names(nation)
    first["330782"] = "changed"
    assert derive_names(nation)["330782"] == "信用中国(浙江义乌)"


def test_city_keeps_name_county_advances() -> None:
    table = table_of(("210000", "辽宁省"), ("211300", "朝阳市"), ("211321", "朝阳县"))
    names = derive_names(table)
    assert names["211300"] == "信用中国(辽宁朝阳)"
    assert names["211321"] == "信用中国(辽宁朝阳县)"


def test_a_lone_site_keeps_its_short_name() -> None:
    table = table_of(("210000", "辽宁省"), ("211321", "朝阳县"))
    assert derive_names(table)["211321"] == "信用中国(辽宁朝阳)"


def test_equal_counties_go_through_parent_city() -> None:
    table = table_of(
        ("320000", "江苏省"),
        ("320100", "南京市"),
        ("320106", "鼓楼区"),
        ("320300", "徐州市"),
        ("320302", "鼓楼区"),
    )
    names = derive_names(table)
    assert names["320106"] == "信用中国(江苏南京鼓楼)"
    assert names["320302"] == "信用中国(江苏徐州鼓楼)"


def test_override() -> None:
    table = table_of(("330000", "浙江省"), ("330700", "金华市"), ("330782", "义乌市"))
    assert derive_names(table, {"330782": "小商品城"})["330782"] == "信用中国(浙江小商品城)"
    assert derive_names(table)["330782"] == "信用中国(浙江义乌)"


def test_override_that_resolves_a_collision(nation: RegionTable) -> None:
    names = derive_names(nation, {"211321": "朝阳县城"})
    assert names["211321"] == "信用中国(辽宁朝阳县城)"
    assert names["211300"] == "信用中国(辽宁朝阳)"


def test_override_collision_raises(nation: RegionTable) -> None:
    with pytest.raises(NameCollision) as info:
        derive_names(nation, {"330782": "杭州"})
    assert info.value.name == "信用中国(浙江杭州)"
    assert info.value.codes == ("330100", "330782")
    assert isinstance(info.value, ValueError)


def test_last_stage_collision_raises() -> None:
    table = table_of(("110000", "北京市"), ("110105", "朝阳区"), ("110106", "朝阳区"))
    with pytest.raises(NameCollision) as info:
        derive_names(table)
    assert info.value.codes == ("110105", "110106")
    assert info.value.name == "信用中国(北京朝阳区)"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({NATIONAL_CODE: "中国"}, "always named"),
        ({"999999": "某地"}, "unknown region"),
        ({"330782": ""}, "invalid name override"),
        ({"330782": "义(乌)"}, "invalid name override"),
    ],
)
def test_bad_overrides(nation: RegionTable, overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        derive_names(nation, overrides)


def test_site_label() -> None:
    assert site_label("信用中国(浙江义乌)") == "浙江义乌"
    assert site_label("信用中国") == ""
    assert full_name("浙江义乌") == "信用中国(浙江义乌)"
    assert full_name("") == "信用中国"
    for bad in ("信用中国()", "中国(浙江)", "信用中国(浙江"):
        with pytest.raises(ValueError):
            site_label(bad)
