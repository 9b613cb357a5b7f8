"""What a report needs is checked when the API starts: the CJK face, the template, the key.
Also the PDF's own structure (a second reader, a subset font) and the CLI."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from search_api.app import create_app
from sitegroup.cli import main
from sitegroup.config import Settings
from sitegroup.errors import ConfigError
from sitegroup.reports.desk import KeyMissing, report_key
from sitegroup.reports.fonts import FontMissing, find_faces
from sitegroup.reports.template import load_template
from sitegroup.theme import load_theme
from tests.conftest import DEMO_TENANTS
from tests.reports.conftest import COMPANY, COMPANY_NAME, KEY, World, compact, pdf_text


def _settings(tmp_path: Path, **extra) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        search_path=tmp_path / "search.sqlite3",
        tenants_dir=DEMO_TENANTS,
        **extra,
    )


def test_production_mode_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    with pytest.raises(KeyMissing, match="SITEGROUP_REPORT_KEY"):
        create_app(_settings(tmp_path, mode="production"))
    with pytest.raises(KeyMissing, match="至少 32 个字符"):
        create_app(_settings(tmp_path, mode="production", report_key="short"))
    create_app(_settings(tmp_path, mode="production", report_key=KEY))  # starts


def test_the_api_process_exits_at_start_in_production_without_a_key(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "SITEGROUP_MODE": "production",
        "SITEGROUP_DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
        "SITEGROUP_TENANTS": str(DEMO_TENANTS),
    }
    env.pop("SITEGROUP_REPORT_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "sitegroup", "api", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "SITEGROUP_REPORT_KEY" in done.stderr + done.stdout


def test_development_mode_keeps_a_private_key_beside_the_store(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    key = report_key(settings)
    path = tmp_path / "report-signing.key"
    assert len(key) == 64 and path.read_bytes().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert report_key(settings) == key  # the same key after a restart


def test_a_missing_font_fails_at_start_with_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(FontMissing) as caught:
        create_app(_settings(tmp_path, report_key=KEY, report_font=str(tmp_path / "none.ttc")))
    message = str(caught.value)
    assert (
        "none.ttc" in message and "fonts-noto-cjk" in message and "SITEGROUP_REPORT_FONT" in message
    )


def test_a_font_without_chinese_is_refused(tmp_path: Path) -> None:
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not latin.is_file():
        pytest.skip("no DejaVu Sans on this machine")
    with pytest.raises(FontMissing, match="方框"):
        find_faces(regular=str(latin))


def test_a_broken_template_names_the_file_and_key(tmp_path: Path) -> None:
    theme = load_theme()
    copy = tmp_path / "theme"
    shutil.copytree(theme.path, copy, ignore=shutil.ignore_patterns("static"))
    text = (copy / "report.toml").read_text(encoding="utf-8")
    (copy / "report.toml").write_text(
        text.replace('title_field = "violation_type"', 'title_field = "no_such_field"').replace(
            "opacity = 0.13", "opacity = 0.9"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_template(copy, theme.vi)
    message = str(caught.value)
    assert "report.toml" in message and "watermark.opacity" in message
    (copy / "report.toml").write_text(
        text.replace('title_field = "violation_type"', 'title_field = "no_such_field"'),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="no_such_field"):
        load_template(copy, theme.vi)


def test_the_cli_issues_and_verifies(world: World, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "report.pdf"
    env = {"SITEGROUP_REPORT_KEY": KEY}
    common = ["--tenants", str(DEMO_TENANTS), "--database-url", world.url]
    result = runner.invoke(
        main, ["report", "issue", COMPANY, "--site", "hubei", "--out", str(out), *common], env=env
    )
    assert result.exit_code == 0, result.output
    assert "信用中国(湖北)" in result.output and COMPANY_NAME in result.output
    assert COMPANY_NAME in compact(pdf_text(out.read_bytes()))
    result = runner.invoke(main, ["report", "verify", str(out), *common], env=env)
    assert result.exit_code == 0 and result.output.startswith("真实"), result.output
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(out.read_bytes().replace(b"/Producer", b"/Producex"))
    result = runner.invoke(main, ["report", "verify", str(edited), *common], env=env)
    assert result.exit_code == 1 and result.output.startswith("已被改动"), result.output
    result = runner.invoke(main, ["report", "issue", "123", *common], env=env)
    assert result.exit_code == 1 and "18 位" in result.output


def test_pypdf_reads_the_structure(world: World) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    with world.client() as client:
        pdf = client.get(f"/api/reports/{COMPANY}").content
    reader = PdfReader(BytesIO(pdf), strict=True)
    assert reader.metadata["/Title"].startswith("信用信息报告") and reader.metadata["/ReportNo"]
    page = reader.pages[0]
    fonts = {f["/BaseFont"] for f in page["/Resources"]["/Font"].values()}
    assert all("+NotoSansCJKsc-" in name for name in fonts)
    descendant = next(iter(page["/Resources"]["/Font"].values()))["/DescendantFonts"][0]
    assert descendant["/FontDescriptor"]["/FontFile3"]["/Subtype"] == "/CIDFontType0C"
    # A subset: far smaller than the 16 MB face.
    assert len(descendant["/FontDescriptor"]["/FontFile3"].get_data()) < 200_000
