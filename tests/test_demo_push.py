"""Push the shipped demo files, build, verify; a page edited by hand makes verify fail."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from news_push.demo import DEMO_DIR
from sitegroup.cli import main
from tests.conftest import DEMO_TENANTS


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_verify_passes_after_the_demo_push_and_fails_on_a_hand_edit(tmp_path: Path) -> None:
    common = ["--tenants", str(DEMO_TENANTS), "--database-url", f"sqlite:///{tmp_path / 'db'}"]
    out = ["--out", str(tmp_path / "build")]
    code, text = run("push", "demo", *common)  # what `make demo` pushes
    assert code == 0, text
    code, text = run("build", *out, *common, "--workers", "1")
    assert code == 0, text

    code, text = run("verify", *out, *common)
    assert code == 0, text
    assert "一致：13 个站点" in text

    # The next day's push: edits and retractions, then only the changed pages.
    code, text = run("push", "headlines", str(DEMO_DIR / "headlines-update.jsonl"), *common)
    assert code == 0 and "更新 1" in text and "撤回 1" in text, text
    code, text = run("verify", *out, *common)
    assert code == 1 and "头版版本不是最新" in text
    code, text = run("build", "--changed", *out, *common, "--workers", "1")
    assert code == 0 and "13 个站点按推送更新" in text, text
    code, text = run("verify", *out, *common)
    assert code == 0, text

    page = tmp_path / "build" / "zhejiang" / "disclosure" / "penalties" / "index.html"
    html = page.read_text(encoding="utf-8")
    tampered = html.replace('<td data-label="主体名称">', '<td data-label="主体名称">伪造', 1)
    assert tampered != html
    page.write_text(tampered, encoding="utf-8")
    code, text = run("verify", *out, *common)
    assert code == 1
    assert "不一致：" in text
    assert "zhejiang/disclosure/penalties/index.html: 文件内容与构建时不一致" in text


def test_verify_reports_a_search_index_behind_the_store(tmp_path: Path, monkeypatch) -> None:
    common = ["--tenants", str(DEMO_TENANTS), "--database-url", f"sqlite:///{tmp_path / 'db'}"]
    out = ["--out", str(tmp_path / "build")]
    records = DEMO_DIR / "records"
    code, text = run("push", "records", str(records / "licenses.csv"), *common)
    assert code == 0 and "检索索引已重建" in text, text
    # The index is out of reach during the next push: the records land, the index does not.
    (tmp_path / "unreachable").mkdir()
    monkeypatch.setenv("SITEGROUP_SEARCH_PATH", str(tmp_path / "unreachable"))
    code, text = run("push", "records", str(records / "lists.jsonl"), *common)
    assert code == 1 and "检索索引未能同步" in text, text
    monkeypatch.delenv("SITEGROUP_SEARCH_PATH")
    code, text = run("build", *out, *common, "--workers", "1")
    assert code == 0, text
    code, text = run("verify", *out, *common)
    assert code == 1 and "检索索引落后于数据库" in text and "sitegroup index sync" in text
    code, text = run("index", "sync", "--database-url", f"sqlite:///{tmp_path / 'db'}")
    assert code == 0, text
    code, text = run("verify", *out, *common)
    assert code == 0 and "检索索引同步至推送 #2" in text, text
