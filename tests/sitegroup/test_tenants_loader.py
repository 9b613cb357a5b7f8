"""site.toml validation: every problem in every tenant, each naming its file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegroup.errors import ConfigError
from tests.conftest import site_toml

MAIN = {"main/site.toml": site_toml("100000")}


def problems_of(exc: ConfigError) -> set[tuple[str, str]]:
    """(site folder, key) of every reported problem."""
    return {(Path(p.file).parent.name, p.key) for p in exc.problems}


def test_valid_group_loads(make_group) -> None:
    group = make_group({**MAIN, "hubei/site.toml": site_toml("420000")})
    assert [s.name for s in group] == ["信用中国", "信用中国(湖北)"]


def test_every_error_kind_is_reported_at_once(make_group) -> None:
    files = {
        **MAIN,
        # unknown key
        "hubei/site.toml": site_toml("420000", extra='favourite_colour = "red"'),
        # malformed and unknown region codes
        "bad-code/site.toml": site_toml("42A000"),
        "nowhere/site.toml": site_toml("999999"),
        # a VI override and a base column renamed through a feature column
        "jiangsu/site.toml": site_toml(
            "320000",
            extra='logo = "my.png"\n[vi]\ncolor_primary = "#000"\n'
            '[[feature_columns]]\nid = "news"\ntitle = "本地新闻"\n',
        ),
        # missing required fields
        "hebei/site.toml": 'region_code = "130000"\n',
        # two sites for one region
        "hubei-copy/site.toml": site_toml("420000"),
        # invalid site id
        "Shandong/site.toml": site_toml("370000"),
        # an override that makes a derived name collide: 义乌 calling itself 杭州
        "zhejiang-yiwu/site.toml": site_toml("330782", extra='short_name = "杭州"'),
        # not TOML at all
        "broken/site.toml": "region_code = \n",
    }
    with pytest.raises(ConfigError) as info:
        make_group(files)
    got = problems_of(info.value)
    expected = {
        ("hubei", "favourite_colour"),
        ("bad-code", "region_code"),
        ("nowhere", "region_code"),
        ("jiangsu", "logo"),
        ("jiangsu", "vi"),
        ("jiangsu", "feature_columns[0].id"),
        ("hebei", "url"),
        ("hebei", "sponsor"),
        ("hebei", "filing"),
        ("Shandong", "(site id)"),
        ("zhejiang-yiwu", "short_name"),
        ("broken", "-"),
    }
    assert expected <= got, expected - got
    # the duplicate region is reported on one of the two folders
    assert ("hubei-copy", "region_code") in got or ("hubei", "region_code") in got
    message = str(info.value)
    assert "未知配置项" in message
    assert "未知的行政区划代码 999999" in message
    assert "不能覆盖统一视觉识别" in message
    assert "缺少必填项" in message
    # each line names the file
    assert all(str(p.file).endswith(("site.toml", "tenants")) for p in info.value.problems)


def test_missing_main_site_is_an_error(make_group) -> None:
    with pytest.raises(ConfigError, match="缺少主站"):
        make_group({"hubei/site.toml": site_toml("420000")})


def test_folder_without_site_toml(make_group) -> None:
    with pytest.raises(ConfigError, match=r"缺少 site\.toml"):
        make_group({**MAIN, "hubei/content/news/a.md": "Title: x\n"})


def test_feature_columns_follow_base_columns(make_group, theme) -> None:
    group = make_group(
        {
            **MAIN,
            "zhejiang-yiwu/site.toml": site_toml(
                "330782", extra='[[feature_columns]]\nid = "market"\ntitle = "市场信用"\n'
            ),
        }
    )
    ids = [c.id for c in group["zhejiang-yiwu"].columns]
    base = [c.id for c in theme.base_columns]
    assert ids == [*base, "market"]
    assert base == [
        "home",
        "news",
        "policies",
        "disclosure",
        "query",
        "services",
        "objections",
        "sitegroup",
        "stats",
    ]


def test_short_name_override(make_group) -> None:
    group = make_group(
        {
            **MAIN,
            "zhejiang-yiwu/site.toml": site_toml("330782", extra='short_name = "义乌小商品城"'),
        }
    )
    assert group["zhejiang-yiwu"].name == "信用中国(浙江义乌小商品城)"


def test_vi_key_inside_a_table_is_called_a_vi_override(make_group) -> None:
    # appended after [filing], TOML puts `logo` into that table
    with pytest.raises(ConfigError) as info:
        make_group({**MAIN, "hubei/site.toml": site_toml("420000") + 'logo = "x.png"\n'})
    (problem,) = info.value.problems
    assert (problem.key, problem.message) == (
        "filing.logo",
        "站点不能覆盖统一视觉识别(VI)、站点名称或基础栏目",
    )


def test_api_url_is_group_wide_and_defaults_to_same_origin(make_group, theme) -> None:
    from sitegroup.build.context import site_context

    group = make_group({**MAIN, "hubei/site.toml": site_toml("420000")})
    assert site_context(group, group["hubei"], theme)["api_url"] == "/api/"

    main = site_toml("100000", extra='api_url = "https://api.credit.example.cn/v1/"')
    group = make_group({"main/site.toml": main, "hubei/site.toml": site_toml("420000")})
    assert {site_context(group, s, theme)["api_url"] for s in group} == {
        "https://api.credit.example.cn/v1/"
    }


@pytest.mark.parametrize("value", ["/", "/api/", "/credit/api/", "http://127.0.0.1:8000/api/"])
def test_api_url_accepts_paths_and_http_urls(make_group, value) -> None:
    group = make_group({"main/site.toml": site_toml("100000", extra=f'api_url = "{value}"')})
    assert group[group.root].config.api_url == value


@pytest.mark.parametrize(
    "value",
    [
        "api/",  # relative: would resolve differently on every page
        "/api",  # no trailing slash: "search" would be appended to "api"
        "//cdn.example.cn/api/",  # protocol-relative: another host in disguise
        "ftp://api.example.cn/",
        "https://api.example.cn",
        "https://api.example.cn/api/?x=1",
        "/api /",
    ],
)
def test_bad_api_url_names_file_and_key(make_group, value) -> None:
    with pytest.raises(ConfigError) as info:
        make_group({"main/site.toml": site_toml("100000", extra=f'api_url = "{value}"')})
    (problem,) = info.value.problems
    assert (Path(problem.file).parent.name, problem.key) == ("main", "api_url")
    assert "以 / 开头的绝对路径" in problem.message and repr(value) in problem.message


def test_api_url_on_a_regional_site_is_refused(make_group) -> None:
    with pytest.raises(ConfigError) as info:
        make_group(
            {**MAIN, "hubei/site.toml": site_toml("420000", extra='api_url = "/hubei-api/"')}
        )
    (problem,) = info.value.problems
    assert (Path(problem.file).parent.name, problem.key) == ("hubei", "api_url")
    assert "网站群统一配置" in problem.message and "主站" in problem.message
