"""``sitegroup publish`` as an operator runs it: config, messages, report, CDN, bucket per site."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from sitegroup.cli import main
from sitegroup.errors import ConfigError
from sitegroup.publish import MANIFEST, parse_target
from sitegroup.publish.setup import publish_setup
from tests.conftest import GOLDEN_TENANTS, site_toml
from tests.publish.conftest import Workspace, free_port, s3_client


def run(ws: Workspace, *args: str) -> Any:
    return CliRunner().invoke(
        main, ["publish", "--tenants", str(ws.tenants), "--out", str(ws.out), *args]
    )


def set_publish_config(ws: Workspace, table: str) -> None:
    """Append a [publish] table to the main site's site.toml."""
    path = ws.tenants / "main" / "site.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[publish]\n" + table, encoding="utf-8")


def test_publish_to_a_folder_prints_changes_and_writes_the_report(
    workspace: Workspace, tmp_path: Path
) -> None:
    target = tmp_path / "www"
    first = run(workspace, "--target", target.as_uri())
    assert first.exit_code == 0, first.output
    assert "  zhejiang-yiwu: 上传 " in first.output
    assets = sum(1 for f in (workspace.out / "_assets").rglob("*") if f.is_file())
    assert "4/4 个站点有变化，已上传" in first.output
    assert f"共享资源上传 {assets} 个" in first.output
    report = json.loads((workspace.out / ".publish" / "report.json").read_text(encoding="utf-8"))
    assert set(report["changed"]) == {"main", "zhejiang", "zhejiang-jinhua", "zhejiang-yiwu"}
    assert "/zhejiang-yiwu/" in report["invalidation"]
    assert "/zhejiang-yiwu/index.html" in report["invalidation"]
    assert (target / "zhejiang-yiwu" / "index.html").is_file()
    assert (target / "_assets").is_dir()

    again = run(workspace, "--target", target.as_uri(), "--report", str(tmp_path / "r.json"))
    assert again.exit_code == 0, again.output
    assert "4 个站点均无变化，未上传任何文件" in again.output
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["invalidation"] == []


def test_nothing_built_yet(tmp_path: Path) -> None:
    args = ["--tenants", str(GOLDEN_TENANTS), "--out", str(tmp_path / "build")]
    result = CliRunner().invoke(main, ["publish", *args, "--target", str(tmp_path / "www")])
    assert result.exit_code == 1
    assert "中没有构建结果；请先运行 sitegroup build" in result.output


def test_dry_run_uploads_nothing(workspace: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "www"
    result = run(workspace, "--target", str(target), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "将上传" in result.output
    assert not target.exists()


def test_default_target_and_configured_one(
    workspace: Workspace, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(workspace).exit_code == 0
    assert (tmp_path / "public" / "main" / "index.html").is_file(), "default: ./public"

    configured = tmp_path / "srv"
    set_publish_config(
        workspace,
        f'target = "{configured.as_uri()}"\n[publish.cache_control]\nhtml = "public, max-age=60"\n',
    )
    assert run(workspace).exit_code == 0
    assert (configured / "zhejiang" / "index.html").is_file()
    setup = publish_setup(workspace.group[workspace.group.root].config.publish)
    assert setup.rules.cache_for("html") == "public, max-age=60"
    assert setup.rules.cache_for("assets") == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ftp://example.cn/www", "不支持的发布目标 'ftp://example.cn/www'"),
        ("s3://Bad_Bucket/www/", "存储桶名 'Bad_Bucket' 不合法"),
        ("s3://credit-{site}-{site}/", "只能出现一次占位符 {site}"),
        ("file://host/srv", "本地目录应写作 file:///绝对路径"),
    ],
)
def test_bad_targets_are_refused_with_the_reason(
    workspace: Workspace, value: str, message: str
) -> None:
    result = run(workspace, "--target", value)
    assert result.exit_code == 2
    assert message in result.output
    with pytest.raises(ValueError) as err:
        parse_target(value)
    assert message in str(err.value)


def test_publish_config_is_group_wide_and_validated(make_group) -> None:
    bad = site_toml("100000", extra='[publish]\ntarget = "s3://x/"\njobs = 0')
    with pytest.raises(ConfigError) as err:
        make_group({"main/site.toml": bad})
    text = str(err.value)
    assert "publish.target" in text and "存储桶名 'x' 不合法" in text
    assert "publish.jobs" in text

    local = site_toml("420000", extra='[publish]\ntarget = "file:///srv/www"')
    with pytest.raises(ConfigError) as err:
        make_group({"main/site.toml": site_toml("100000"), "hubei/site.toml": local})
    assert "publish 是网站群统一配置，只能写在主站" in str(err.value)

    per_site = site_toml("100000", extra='[publish]\ntarget = "s3://credit-{site}/"')
    group = make_group({"main/site.toml": per_site, "hubei/site.toml": site_toml("420000")})
    with pytest.raises(ValueError, match="需另行配置共享资源的位置 assets_target"):
        publish_setup(group[group.root].config.publish)


def test_a_bucket_per_site_with_shared_assets_bucket(
    workspace: Workspace, s3_endpoint: str
) -> None:
    tag = uuid.uuid4().hex[:6]
    client = s3_client(s3_endpoint)
    sites = ["main", "zhejiang", "zhejiang-jinhua", "zhejiang-yiwu"]
    for name in [*(f"sg{tag}-{s}" for s in sites), f"sg{tag}-assets"]:
        client.create_bucket(Bucket=name)

    result = run(
        workspace,
        "--target",
        f"s3://sg{tag}-{{site}}/",
        "--assets-target",
        f"s3://sg{tag}-assets/static/",
        "--endpoint-url",
        s3_endpoint,
    )

    assert result.exit_code == 0, result.output
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=f"sg{tag}-zhejiang-yiwu")["Contents"]}
    assert {"index.html", MANIFEST, "feeds/news.rss.xml"} <= keys
    assets = {o["Key"] for o in client.list_objects_v2(Bucket=f"sg{tag}-assets")["Contents"]}
    assert {f"static/{n}" for n in workspace.theme.assets.values()} <= assets
    report = json.loads((workspace.out / ".publish" / "report.json").read_text(encoding="utf-8"))
    assert "/index.html" in report["invalidation"]  # each site is its own CDN host


def test_unreachable_store_fails_with_a_message_and_resumes_later(
    workspace: Workspace, s3_endpoint: str
) -> None:
    bucket = f"sg-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    closed = f"http://127.0.0.1:{free_port()}"
    down = run(workspace, "--target", f"s3://{bucket}/", "--endpoint-url", closed)
    assert down.exit_code == 1
    assert "发布失败：" in down.output and "无法连接" in down.output
    assert "重新运行同一命令即可续传" in down.output

    up = run(workspace, "--target", f"s3://{bucket}/", "--endpoint-url", s3_endpoint)
    assert up.exit_code == 0, up.output


def test_cloudfront_invalidation_is_requested_for_the_changed_paths(
    workspace: Workspace, s3_endpoint: str, monkeypatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", s3_endpoint)
    cloudfront = boto3.session.Session().client("cloudfront")
    bucket = f"sg-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    origin = f"{bucket}.s3.amazonaws.com"
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": bucket,
            "Comment": "sitegroup test",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": origin}]},
            "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "allow-all"},
        }
    )["Distribution"]["Id"]
    args = ["--target", f"s3://{bucket}/www/", "--endpoint-url", s3_endpoint]
    assert run(workspace, *args).exit_code == 0

    article = workspace.tenants / "zhejiang-yiwu" / "content" / "news" / "market-rating.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n补充一段。\n", encoding="utf-8")
    workspace.rebuild()
    result = run(workspace, *args, "--cloudfront-distribution", distribution)

    assert result.exit_code == 0, result.output
    assert f"CloudFront {distribution}：已提交刷新 1 个路径" in result.output
    listed = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    assert listed["Quantity"] == 1
    inv = cloudfront.get_invalidation(DistributionId=distribution, Id=listed["Items"][0]["Id"])
    paths = inv["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]
    assert len(paths) == 1 and paths[0].startswith("/zhejiang-yiwu/news/")
