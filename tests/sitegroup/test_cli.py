"""The CLI over real small trees: build summary, generate, bad arguments."""

from __future__ import annotations

from click.testing import CliRunner

from sitegroup.cli import main
from tests.conftest import GOLDEN_TENANTS


def test_build_prints_summary_and_skips_on_rebuild(tmp_path) -> None:
    out = tmp_path / "out"
    args = ["build", "--tenants", str(GOLDEN_TENANTS), "--out", str(out), "--workers", "1"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "构建完成：4 个站点已构建，0 个未变化跳过，0 个失败" in first.output
    assert "页/秒" in first.output
    second = CliRunner().invoke(main, args)
    assert "构建完成：0 个站点已构建，4 个未变化跳过" in second.output


def test_build_one_site_and_bad_shard(tmp_path) -> None:
    out = tmp_path / "out"
    base = ["build", "--tenants", str(GOLDEN_TENANTS), "--out", str(out)]
    one = CliRunner().invoke(main, [*base, "--site", "zhejiang-yiwu"])
    assert one.exit_code == 0 and "1 个站点已构建" in one.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "_assets",
        "zhejiang-yiwu",
    ]
    bad = CliRunner().invoke(main, [*base, "--shard", "5/4"])
    assert bad.exit_code == 2 and "分片序号应在 1..4 之间" in bad.output
    unknown = CliRunner().invoke(main, [*base, "--site", "atlantis"])
    assert unknown.exit_code == 2 and "atlantis: 没有这个站点" in unknown.output


def test_generate_then_list(tmp_path) -> None:
    csv = tmp_path / "d.csv"
    csv.write_text("code,name\n330000,浙江省\n330700,金华市\n330782,义乌市\n", encoding="utf-8")
    out = tmp_path / "tenants"
    gen = CliRunner().invoke(
        main, ["tenants", "generate", "--divisions", str(csv), "--out", str(out)]
    )
    assert gen.exit_code == 0, gen.output
    listed = CliRunner().invoke(main, ["sites", "--tenants", str(out)])
    assert "信用中国(浙江义乌)" in listed.output and "共 4 个站点" in listed.output
