"""Tests for sitegroup.regions: codes, levels, the parent chain and short names."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegroup.regions import (
    NATIONAL_CODE,
    PROVINCE_SHORT_NAMES,
    Region,
    RegionTable,
    is_well_formed,
    level_of,
    strip_suffix,
)

SMALL_CSV = """\
code,name,extra
110000,北京市,x
110105,朝阳区,x
420000,湖北省,x
420100,武汉市,x
420102,江岸区,x
429004,仙桃市,x
"""


@pytest.fixture
def small(tmp_path: Path) -> RegionTable:
    path = tmp_path / "d.csv"
    path.write_text(SMALL_CSV, encoding="utf-8")
    return RegionTable.from_csv(path)


@pytest.fixture(scope="module")
def nation() -> RegionTable:
    return RegionTable.default()


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("100000", "national"),
        ("420000", "province"),
        ("420100", "city"),
        ("429004", "county"),
        ("110105", "county"),
    ],
)
def test_level_of(code: str, level: str) -> None:
    assert level_of(code) == level


@pytest.mark.parametrize(
    "code", ["", "42000", "4200000", "42010a", "４２００００", " 420000", None]
)
def test_malformed_codes(code: str) -> None:
    assert not is_well_formed(code)
    with pytest.raises(ValueError, match="malformed"):
        level_of(code)


def test_well_formed() -> None:
    assert is_well_formed("330782")


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("湖北省", "湖北"),
        ("内蒙古自治区", "内蒙古"),
        ("广西壮族自治区", "广西"),
        ("新疆维吾尔自治区", "新疆"),
        ("香港特别行政区", "香港"),
        ("北京市", "北京"),
        ("杭州市", "杭州"),
        ("义乌市", "义乌"),
        ("朝阳区", "朝阳"),
        ("朝阳县", "朝阳"),
        ("恩施土家族苗族自治州", "恩施"),
        ("长阳土家族自治县", "长阳"),
        ("双江拉祜族佤族布朗族傣族自治县", "双江"),
        ("积石山保安族东乡族撒拉族自治县", "积石山"),
        ("龙胜各族自治县", "龙胜"),
        ("塔什库尔干塔吉克自治县", "塔什库尔干"),
        ("莫力达瓦达斡尔族自治旗", "莫力达瓦"),
        ("鄂温克族自治旗", "鄂温克"),
        ("鄂伦春自治旗", "鄂伦春"),
        ("梅里斯达斡尔族区", "梅里斯"),
        ("大理白族自治州", "大理"),
        ("兴安盟", "兴安"),
        ("阿里地区", "阿里"),
        ("浦东新区", "浦东"),
        ("神农架林区", "神农架"),
        ("鹰手营子矿区", "鹰手营子"),
        ("万柏林区", "万柏林"),
        ("沙县区", "沙县"),
        ("城区", "城区"),
        ("郊区", "郊区"),
        ("矿区", "矿区"),
        ("东区", "东区"),
        ("赵县", "赵县"),
        ("清新区", "清新"),
        ("沙市区", "沙市"),
        ("达拉特旗", "达拉特旗"),
    ],
)
def test_strip_suffix(name: str, short: str) -> None:
    assert strip_suffix(name) == short


def test_province_short_names_are_the_34() -> None:
    assert len(PROVINCE_SHORT_NAMES) == 34
    assert len(set(PROVINCE_SHORT_NAMES.values())) == 34


def test_region_province_code() -> None:
    assert Region("330782", "义乌市", "county").province_code == "330000"
    assert Region(NATIONAL_CODE, "中华人民共和国", "national").province_code == NATIONAL_CODE


def test_from_csv_adds_nation_and_ignores_extra_columns(small: RegionTable) -> None:
    assert len(small) == 7
    assert NATIONAL_CODE in small
    assert small.get("429004") == Region("429004", "仙桃市", "county")
    assert small.get("999999") is None
    assert [r.code for r in small] == sorted(r.code for r in small)


def test_ancestors(small: RegionTable) -> None:
    assert [r.code for r in small.ancestors("420102")] == ["420100", "420000", NATIONAL_CODE]
    assert [r.code for r in small.ancestors("420100")] == ["420000", NATIONAL_CODE]
    assert [r.code for r in small.ancestors("420000")] == [NATIONAL_CODE]
    assert small.ancestors(NATIONAL_CODE) == []


def test_municipal_district_and_province_administered_county_hang_under_province(
    small: RegionTable,
) -> None:
    assert small.parent("110105").name == "北京市"
    assert small.parent("429004").name == "湖北省"
    assert small.parent(NATIONAL_CODE) is None


def test_province_of(small: RegionTable) -> None:
    assert small.province_of("429004").code == "420000"
    assert small.province_of("420000").code == "420000"
    assert small.province_of(NATIONAL_CODE) is None


def test_ancestors_of_code_outside_table(small: RegionTable) -> None:
    assert [r.code for r in small.ancestors("420111")] == ["420100", "420000", NATIONAL_CODE]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,name\n110000,北京市\n", "header must contain"),
        ("code,name\n110000,北京市\n11000,天津市\n", r":3: malformed region code '11000'"),
        ("code,name\n110000,北京市\n120000,\n", r":3: empty name"),
        (
            "code,name\n110000,北京市\n110000,北京\n",
            r":3: duplicate region code 110000 \(first on line 2\)",
        ),
        ("", "empty file"),
    ],
)
def test_from_csv_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        RegionTable.from_csv(path)


def test_from_csv_tolerates_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_text("\ufeffcode,name\n420000,湖北省\n", encoding="utf-8")
    assert "420000" in RegionTable.from_csv(path)


def test_default_table(nation: RegionTable) -> None:
    assert RegionTable.default() is nation
    assert 3100 < len(nation) < 3300
    assert nation.get("330782").name == "义乌市"
    assert nation.parent("330782").name == "金华市"
    assert nation.parent("429004").name == "湖北省"
    assert nation.parent("469001").name == "海南省"
    assert nation.parent("659001").name == "新疆维吾尔自治区"
    assert nation.parent("110105").name == "北京市"
    for placeholder in ("110100", "419000", "429000", "500200", "659000", "130171"):
        assert placeholder not in nation


def test_default_table_shape(nation: RegionTable) -> None:
    levels = [r.level for r in nation]
    assert levels.count("national") == 1
    assert levels.count("province") == 31
    for region in nation:
        if region.level != "national":
            assert region.code[4] != "7" or region.level != "county"
            chain = nation.ancestors(region.code)
            assert chain[-1].code == NATIONAL_CODE
            assert nation.province_of(region.code) is not None


def test_data_file_is_sorted_lf_utf8() -> None:
    path = Path(__file__).resolve().parents[2] / "sitegroup" / "data" / "divisions.csv"
    raw = path.read_bytes()
    assert b"\r" not in raw
    lines = raw.decode("utf-8").splitlines()
    assert lines[0] == "code,name"
    codes = [line.split(",", 1)[0] for line in lines[1:]]
    assert codes == sorted(set(codes))
