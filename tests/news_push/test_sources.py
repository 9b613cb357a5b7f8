"""Tests for news_push.sources: encodings, line numbers, broken lines, headlines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from news_push.sources import SourceError, SourceRow, read_headlines, read_rows
from sitegroup.errors import SitegroupError

HEADER = "行政相对人名称,地方编码,备注\n"


def write(tmp_path: Path, name: str, data: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def test_csv_utf8_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "\ufeff" + HEADER + "杭州示例有限公司,330102,无\n")
    rows = list(read_rows(path))
    assert rows == [
        SourceRow(
            str(path), 2, {"行政相对人名称": "杭州示例有限公司", "地方编码": "330102", "备注": "无"}
        )
    ]


def test_csv_gb18030(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", HEADER + "义乌市某某商行,330782,\n", encoding="gb18030")
    [row] = read_rows(path)
    assert row.values["行政相对人名称"] == "义乌市某某商行"
    assert row.line == 2


def test_csv_line_numbers_with_multiline_fields_and_blank_lines(tmp_path: Path) -> None:
    text = HEADER + 'A公司,330102,"第一行\n第二行\n第三行"\n\nB公司,330102,短\r\nC公司,330102,\n'
    rows = list(read_rows(write(tmp_path, "a.csv", text)))
    assert [(r.values["行政相对人名称"], r.line) for r in rows] == [
        ("A公司", 2),
        ("B公司", 6),
        ("C公司", 7),
    ]
    assert rows[0].values["备注"] == "第一行\n第二行\n第三行"


def test_csv_extra_cells_and_unnamed_columns_are_kept_by_position(tmp_path: Path) -> None:
    text = "行政相对人名称,,地方编码\nA公司,x,330102,多出来的\nB公司,,330102\n"
    rows = list(read_rows(write(tmp_path, "a.csv", text)))
    assert rows[0].values == {
        "行政相对人名称": "A公司",
        "第2列": "x",
        "地方编码": "330102",
        "第4列": "多出来的",
    }
    assert rows[1].values["第2列"] == ""


def test_csv_duplicate_header(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "备注,地方编码, 备注\n1,2,3\n")
    with pytest.raises(SourceError, match=r"a\.csv:1: 表头列名“备注”重复（第 1 列和第 3 列）"):
        list(read_rows(path))


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    assert list(read_rows(write(tmp_path, "a.csv", ""))) == []
    assert list(read_rows(write(tmp_path, "b.csv", HEADER))) == []


def test_undecodable_file_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", HEADER.encode() + b"ok,330102,\n\xff\xff\xff,1,2\n")
    with pytest.raises(SourceError) as info:
        list(read_rows(path))
    assert info.value.line == 3
    assert "UTF-8 或 GB18030" in str(info.value)
    assert isinstance(info.value, SitegroupError)


def test_unsupported_suffix(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"不支持的文件类型“\.xlsx”"):
        read_rows(write(tmp_path, "a.xlsx", "x"))


def test_jsonl_rows_numbers_and_broken_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"subject_name": "A公司", "fine": 1.50, "region_code": 330102, "note": None}),
        "",
        '{"subject_name": "B公司", ',
        "[1, 2]",
        json.dumps({"subject_name": "C公司", "fine": {"v": 1}}),
        json.dumps({"subject_name": "D公司", "fine": True}),
        json.dumps({"subject_name": "E公司\u2028换行"}, ensure_ascii=False),
    ]
    path = write(tmp_path, "a.jsonl", "\n".join(lines) + "\n")
    rows = list(read_rows(path))
    assert [r.line for r in rows] == [1, 3, 4, 5, 6, 7]
    assert rows[0].values == {"subject_name": "A公司", "fine": "1.5", "region_code": "330102"}
    assert rows[0].error is None
    assert rows[1].values == {} and "不是有效的 JSON" in (rows[1].error or "")
    assert "JSON 对象" in (rows[2].error or "")
    assert "不能是数组或对象" in (rows[3].error or "") and rows[3].values == {}
    assert "true/false" in (rows[4].error or "")
    assert rows[5].values["subject_name"] == "E公司\u2028换行"


def test_jsonl_keeps_number_text(tmp_path: Path) -> None:
    path = write(tmp_path, "a.ndjson", '{"fine": 1.50, "confiscated": 12}\n')
    [row] = read_rows(path)
    assert row.values == {"fine": "1.50", "confiscated": "12"}


# -- headlines ---------------------------------------------------------------------

GOOD = {
    "id": "2024-05-01-credit-week",
    "title": "信用周活动启动",
    "date": "2024-05-01T09:30:00+08:00",
    "summary": "全国信用周活动今日启动。",
    "body": "## 要点\n\n正文 <script>alert(1)</script> [链接](javascript:alert(1))",
    "source_url": "https://www.creditchina.gov.cn/xinyongdongtai/20240501.html",
    "image": "",
}


def test_headlines_jsonl(tmp_path: Path) -> None:
    lines = [
        json.dumps(GOOD, ensure_ascii=False),
        "not json",
        json.dumps({**GOOD, "title": "重复的"}, ensure_ascii=False),
        json.dumps({**GOOD, "id": "Bad Id", "source_url": "/relative", "title": ""}),
        json.dumps({**GOOD, "id": "retracted-one", "retracted": True}),
    ]
    headlines, problems = read_headlines(write(tmp_path, "h.jsonl", "\n".join(lines)))
    assert [h.id for h in headlines] == ["2024-05-01-credit-week", "retracted-one"]
    first = headlines[0]
    assert first.date.isoformat() == "2024-05-01"
    assert "<h2>要点</h2>" in first.body_html
    assert "<script>" not in first.body_html and "&lt;script&gt;" in first.body_html
    assert "javascript:" not in first.body_html
    assert headlines[1].retracted
    messages = [str(p) for p in problems]
    file = str(tmp_path / "h.jsonl")
    assert f"{file}:2: -: 该行不是有效的 JSON" in messages
    assert f"{file}:3: 编号(id): 编号“2024-05-01-credit-week”与 {file}:1 重复" in messages
    assert any(m.startswith(f"{file}:4: 编号(id):") for m in messages)
    assert f"{file}:4: 标题(title): 必填项为空" in messages
    assert any(m.startswith(f"{file}:4: 原文链接(source_url):") for m in messages)


def test_headline_limits(tmp_path: Path) -> None:
    bad = {
        **GOOD,
        "title": "长" * 121,
        "summary": "摘" * 301,
        "image": "ftp://x.cn/a.png",
        "date": "五月一日",
        "retracted": "maybe",
        "author": "某人",
    }
    headlines, problems = read_headlines(write(tmp_path, "h.jsonl", json.dumps(bad)))
    assert headlines == []
    fields = {p.field for p in problems}
    assert fields == {
        "标题(title)",
        "摘要(summary)",
        "图片(image)",
        "日期(date)",
        "撤回(retracted)",
        "author",
    }


def test_headlines_markdown_folder(tmp_path: Path) -> None:
    folder = tmp_path / "headlines"
    folder.mkdir()
    (folder / "a.md").write_text(
        "---\nid: a-first\ntitle: 第一条\ndate: 2024-05-01\n"
        "source_url: https://www.creditchina.gov.cn/a.html\n---\n\n"
        "正文**加粗**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        encoding="utf-8",
    )
    (folder / "b.md").write_bytes(
        "---\nid: b-second\ntitle: 第二条\ndate: 2024-05-02 08:00:00\n"
        "source_url: https://www.creditchina.gov.cn/b.html\nretracted: true\n---\n正文\n".encode(
            "gb18030"
        )
    )
    (folder / "c.md").write_text("没有头信息\n", encoding="utf-8")
    (folder / "d.md").write_text("---\nid: d\ntitle: [未闭合\n---\n", encoding="utf-8")
    (folder / "e.md").write_text(
        "---\nid: a-first\ntitle: 重复\ndate: 2024-05-03\n"
        "source_url: https://www.creditchina.gov.cn/e.html\n---\n",
        encoding="utf-8",
    )
    (folder / "notes.txt").write_text("ignored", encoding="utf-8")
    headlines, problems = read_headlines(folder)
    assert [h.id for h in headlines] == ["a-first", "b-second"]
    assert "<strong>加粗</strong>" in headlines[0].body_html
    assert "<table>" in headlines[0].body_html
    assert headlines[1].date.isoformat() == "2024-05-02" and headlines[1].retracted
    assert headlines[1].body_md == "正文"
    messages = [str(p) for p in problems]
    assert messages[0].startswith(f"{folder / 'c.md'}:1: -: 缺少 YAML 头信息")
    assert messages[1] == f"{folder / 'd.md'}:3: -: YAML 头信息语法错误"
    assert messages[2] == f"{folder / 'e.md'}:1: 编号(id): 编号“a-first”与 {folder / 'a.md'}:1 重复"
    assert len(messages) == 3


def test_headlines_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="头版数据"):
        read_headlines(write(tmp_path, "h.csv", "x"))
