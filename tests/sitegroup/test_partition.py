"""One partition function: a record's region → the sites that show it, and back."""

from __future__ import annotations

from sitegroup.partition import covers, region_filter, region_path, sites_for_region
from sitegroup.tenants.loader import load_group
from tests.conftest import GOLDEN_TENANTS


def test_county_record_reaches_city_province_and_national(theme) -> None:
    group = load_group(GOLDEN_TENANTS, theme)  # main, zhejiang, zhejiang-jinhua, zhejiang-yiwu
    ids = [s.id for s in sites_for_region(group, "330782")]
    assert ids == ["zhejiang-yiwu", "zhejiang-jinhua", "zhejiang", "main"]
    # A county without a site is shown by its city and up.
    assert [s.id for s in sites_for_region(group, "330783")] == [
        "zhejiang-jinhua",
        "zhejiang",
        "main",
    ]
    # A city without a site: its province and the nation.
    assert [s.id for s in sites_for_region(group, "330100")] == ["zhejiang", "main"]
    assert [s.id for s in sites_for_region(group, "100000")] == ["main"]


def test_region_path_and_filters_agree() -> None:
    assert region_path("330782") == ["330782", "330700", "330000", "100000"]
    assert region_path("330700") == ["330700", "330000", "100000"]
    assert region_path("100000") == ["100000"]
    for site_region, record_region, shown in [
        ("330782", "330782", True),
        ("330700", "330782", True),
        ("330000", "330106", True),
        ("100000", "320200", True),
        ("330100", "330782", False),
        ("330782", "330700", False),
    ]:
        assert covers(site_region, record_region) is shown
        flt = region_filter(site_region)
        by_filter = (
            flt is None
            or {
                "province": record_region[:2],
                "city": record_region[:4],
                "region_code": record_region,
            }[flt[0]]
            == flt[1]
        )
        assert by_filter is shown, (site_region, record_region)
