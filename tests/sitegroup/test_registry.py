"""The group tree: levels and parents from region codes, nearest existing ancestor."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sitegroup.cli import main
from tests.conftest import site_toml

FILES = {
    "main/site.toml": site_toml("100000"),
    "zhejiang/site.toml": site_toml("330000"),
    "zhejiang-hangzhou/site.toml": site_toml("330100"),
    "zhejiang-yiwu/site.toml": site_toml("330782"),  # 金华 has no site: hangs under 浙江
    "zhejiang-jiande/site.toml": site_toml("330182"),  # county of 杭州
    "hubei/site.toml": site_toml("420000"),
    "hubei-xiantao/site.toml": site_toml("429004"),  # province-administered
    "beijing-chaoyang/site.toml": site_toml("110105"),  # no 北京 site: hangs under main
}


def test_tree(make_group) -> None:
    group = make_group(FILES)
    assert group.root == "main"
    assert group["zhejiang-yiwu"].parent == "zhejiang"
    assert group["zhejiang-jiande"].parent == "zhejiang-hangzhou"
    assert group["hubei-xiantao"].parent == "hubei"
    assert group["beijing-chaoyang"].parent == "main"
    assert group["zhejiang-yiwu"].level == "county"
    assert group["zhejiang-hangzhou"].level == "city"
    assert group["main"].level == "national"
    assert [s.id for s in group.ancestors("zhejiang-jiande")] == [
        "zhejiang-hangzhou",
        "zhejiang",
        "main",
    ]
    assert [s.id for s in group.children("zhejiang")] == ["zhejiang-hangzhou", "zhejiang-yiwu"]
    assert [s.id for s in group.siblings("zhejiang-yiwu")] == ["zhejiang-hangzhou"]
    assert {s.id for s in group.descendants("zhejiang")} == {
        "zhejiang-hangzhou",
        "zhejiang-jiande",
        "zhejiang-yiwu",
    }
    # tree order: pre-order, children by region code
    assert [s.id for s in group] == [
        "main",
        "beijing-chaoyang",
        "zhejiang",
        "zhejiang-hangzhou",
        "zhejiang-jiande",
        "zhejiang-yiwu",
        "hubei",
        "hubei-xiantao",
    ]
    assert group["beijing-chaoyang"].name == "信用中国(北京朝阳)"
    assert group["zhejiang-yiwu"].name == "信用中国(浙江义乌)"


def test_sites_json(make_tenants) -> None:
    tenants = make_tenants(FILES)
    result = CliRunner().invoke(main, ["sites", "--json", "--tenants", str(tenants)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    yiwu = next(r for r in rows if r["id"] == "zhejiang-yiwu")
    assert yiwu == {
        "id": "zhejiang-yiwu",
        "region_code": "330782",
        "level": "county",
        "name": "信用中国(浙江义乌)",
        "parent": "zhejiang",
        "url": "https://r330782.example.cn/",
    }
    assert len(rows) == len(FILES)


def test_sites_tree_text(make_tenants) -> None:
    result = CliRunner().invoke(main, ["sites", "--tenants", str(make_tenants(FILES))])
    assert result.exit_code == 0
    assert "    信用中国(浙江杭州)  [zhejiang-hangzhou, 330100]" in result.output


def test_cli_reports_config_errors(make_tenants, tmp_path) -> None:
    tenants = make_tenants({**FILES, "hubei/site.toml": site_toml("420000", extra="x = 1")})
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", "--tenants", str(tenants), "--out", str(out)])
    assert result.exit_code == 2
    assert "hubei/site.toml: x: 未知配置项" in result.output
    assert not out.exists()  # the build stopped before touching the output
