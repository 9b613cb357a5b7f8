"""The demo push data in demo/ (written by scripts/make_demo_data.py) is well formed.

The check characters are computed here, independently of sitegroup.models, so the
data and the validators check each other.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
RECORDS = DEMO / "records"
TODAY = date(2026, 11, 23)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

LICENSE_HEADERS = [
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "法定代表人证件类型",
    "法定代表人证件号码", "行政许可决定文书名称", "行政许可决定文书号", "许可类别",
    "许可证书名称", "许可编号", "许可内容", "许可决定日期", "有效期自", "有效期至", "许可机关",
    "许可机关统一社会信用代码", "当前状态", "数据来源单位", "数据来源单位统一社会信用代码",
    "地方编码", "备注",
]  # fmt: skip
PENALTY_HEADERS = [
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "证件类型", "证件号码",
    "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别", "处罚内容",
    "罚款金额(万元)", "没收违法所得、没收非法财物的金额(万元)", "暂扣或吊销证照名称及编号",
    "处罚决定日期", "处罚有效期", "公示截止期", "处罚机关", "处罚机关统一社会信用代码",
    "数据来源单位", "数据来源单位统一社会信用代码", "失信严重程度", "所属领域", "地方编码", "备注",
]  # fmt: skip
LEGACY_HEADERS = [
    "行政相对人名称", "行政相对人类别", "信用代码", "法定代表人姓名", "处罚决定书文号",
    "处罚名称", "处罚事由", "处罚依据", "处罚类别1", "处罚结果", "处罚生效期", "处罚截止期",
    "公示截止期", "处罚机关", "处罚机关统一社会信用代码", "数据来源单位",
    "数据来源单位统一社会信用代码", "地方编码",
]  # fmt: skip
LIST_KEYS = [
    "kind", "行政相对人名称", "行政相对人类别", "统一社会信用代码", "名单名称", "认定文书号",
    "列入事由", "认定部门", "认定部门统一社会信用代码", "列入日期", "有效期至", "数据来源单位",
    "数据来源单位统一社会信用代码", "地方编码",
]  # fmt: skip


def uscc_ok(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code, USCC_WEIGHTS, strict=False))
    return code[17] == USCC_ALPHABET[(31 - total % 31) % 31]


def id_number_ok(number: str) -> bool:
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    total = sum(int(c) * w for c, w in zip(number, ID_WEIGHTS, strict=False))
    return number[17] == "10X98765432"[total % 11]


def read_csv(name: str, encoding: str = "utf-8") -> tuple[list[str], list[dict[str, str]]]:
    text = (RECORDS / name).read_bytes().decode(encoding)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def read_lists() -> list[dict[str, str]]:
    lines = (RECORDS / "lists.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def region_codes() -> set[str]:
    with (ROOT / "sitegroup" / "data" / "divisions.csv").open(encoding="utf-8") as fh:
        return {row["code"] for row in csv.DictReader(fh)} | {"100000"}


def uscc_columns(row: dict[str, str]) -> list[str]:
    return [k for k in row if k == "信用代码" or k.endswith("统一社会信用代码")]


def all_record_rows() -> dict[str, list[dict[str, str]]]:
    return {
        "licenses.csv": read_csv("licenses.csv")[1],
        "penalties-gb18030.csv": read_csv("penalties-gb18030.csv", "gb18030")[1],
        "penalties-legacy.csv": read_csv("penalties-legacy.csv")[1],
        "lists.jsonl": read_lists(),
    }


# -- files --------------------------------------------------------------------------


def test_files_exist_with_expected_counts() -> None:
    headlines = sorted((DEMO / "headlines").glob("*.md"))
    assert len(headlines) == 8
    assert (DEMO / "README.md").is_file()
    assert len((DEMO / "headlines-update.jsonl").read_text(encoding="utf-8").splitlines()) == 2
    rows = all_record_rows()
    assert {name: len(r) for name, r in rows.items()} == {
        "licenses.csv": 150,
        "penalties-gb18030.csv": 150,
        "penalties-legacy.csv": 10,
        "lists.jsonl": 100,
    }
    assert len(read_csv("bad-rows.csv")[1]) == 6
    total = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    assert total < 400_000


def test_headers_are_the_standard_labels() -> None:
    assert read_csv("licenses.csv")[0] == LICENSE_HEADERS
    assert read_csv("penalties-gb18030.csv", "gb18030")[0] == PENALTY_HEADERS
    assert read_csv("bad-rows.csv")[0] == PENALTY_HEADERS
    assert read_csv("penalties-legacy.csv")[0] == LEGACY_HEADERS
    for entry in read_lists():
        assert list(entry) == LIST_KEYS
        assert entry["kind"] in ("redlist", "blacklist")
        assert entry["行政相对人类别"] == "法人及非法人组织"


def test_gb18030_file_is_not_utf8() -> None:
    data = (RECORDS / "penalties-gb18030.csv").read_bytes()
    assert data.decode("gb18030").startswith("行政相对人名称,")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


# -- headlines ----------------------------------------------------------------------


def front_matter(path: Path) -> tuple[dict[str, object], str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    _, head, body = text.split("---\n", 2)
    return yaml.safe_load(head), body.strip()


def test_headlines_front_matter_and_body() -> None:
    ids = set()
    for path in sorted((DEMO / "headlines").glob("*.md")):
        meta, body = front_matter(path)
        assert re.fullmatch(r"[a-z0-9-]+", str(meta["id"]))
        assert path.name == f"{meta['date']}-{meta['id']}.md"
        assert date(2026, 11, 10) <= meta["date"] <= TODAY
        assert re.search(r"[\u4e00-\u9fff]", str(meta["title"]))
        assert meta["summary"]
        assert meta["source_url"] == f"https://www.creditchina.gov.cn/toutiao/{meta['id']}.html"
        assert meta["retracted"] is False
        paragraphs = body.split("\n\n")
        assert 3 <= len(paragraphs) <= 5
        assert 250 <= len(body.replace("\n", "")) <= 650
        ids.add(meta["id"])
    assert len(ids) == 8

    updates = [
        json.loads(line)
        for line in (DEMO / "headlines-update.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert {u["id"] for u in updates} <= ids
    edited = [u for u in updates if not u["retracted"]]
    retracted = [u for u in updates if u["retracted"] is True]
    assert len(edited) == len(retracted) == 1
    assert edited[0]["title"].endswith("(更新)")


# -- codes --------------------------------------------------------------------------


def test_every_uscc_is_valid_and_subjects_carry_their_region() -> None:
    checked = 0
    for name, rows in all_record_rows().items():
        for row in rows:
            for column in uscc_columns(row):
                code = row[column]
                if not code:
                    assert column in ("统一社会信用代码",) and row["行政相对人类别"] == "自然人"
                    continue
                assert uscc_ok(code), f"{name}: {column} {code}"
                checked += 1
            subject = row.get("统一社会信用代码", row.get("信用代码", ""))
            if subject:
                assert subject[2:8] == row["地方编码"], f"{name}: {subject}"
    assert checked > 1000


def test_usccs_agree_with_the_models_validator() -> None:
    uscc = pytest.importorskip("sitegroup.models.uscc")
    for rows in all_record_rows().values():
        for row in rows:
            for column in uscc_columns(row):
                if row[column]:
                    assert uscc.is_valid_uscc(row[column]), row[column]


def test_every_region_code_is_known() -> None:
    known = region_codes()
    used = set()
    for name, rows in all_record_rows().items():
        for row in rows:
            assert row["地方编码"] in known, f"{name}: {row['地方编码']}"
            used.add(row["地方编码"])
    assert "330106" in used  # a district without a site of its own
    assert "330783" in used  # under 金华, which has no site


def test_natural_persons_have_valid_id_numbers() -> None:
    _, rows = read_csv("penalties-gb18030.csv", "gb18030")
    persons = [r for r in rows if r["行政相对人类别"] == "自然人"]
    assert 10 <= len(persons) <= 20
    for row in persons:
        assert row["证件类型"] == "身份证"
        assert row["统一社会信用代码"] == ""
        assert id_number_ok(row["证件号码"]), row["证件号码"]
        assert row["证件号码"][:6] == row["地方编码"]
    for row in rows:
        if row["行政相对人类别"] != "自然人":
            assert row["证件号码"] == ""


def test_penalty_dates_give_expiry_something_to_do() -> None:
    _, rows = read_csv("penalties-gb18030.csv", "gb18030")
    decided = [date.fromisoformat(r["处罚决定日期"]) for r in rows]
    assert all(date(2025, 6, 1) <= d <= date(2026, 11, 20) for d in decided)
    deadlines = [r["公示截止期"] for r in rows]
    assert sum(1 for d in deadlines if not d) >= 10
    assert sum(1 for d in deadlines if d and date.fromisoformat(d) < TODAY) == 5
    assert sum(1 for r in rows if r["地方编码"] == "100000") == 5


def test_record_keys_are_unique() -> None:
    keys = []
    for rows in all_record_rows().values():
        for row in rows:
            doc = next(
                row[k]
                for k in (
                    "行政许可决定文书号",
                    "行政处罚决定书文号",
                    "处罚决定书文号",
                    "认定文书号",
                )
                if k in row
            )
            subject = row.get("统一社会信用代码", row.get("信用代码", "")) or row.get(
                "证件号码", ""
            )
            keys.append((row["数据来源单位统一社会信用代码"], doc, subject))
    assert len(keys) == len(set(keys))


def test_bad_rows_have_exactly_the_documented_errors() -> None:
    _, rows = read_csv("bad-rows.csv")
    known = region_codes()
    bad_uscc = [r for r in rows if not uscc_ok(r["统一社会信用代码"])]
    assert len(bad_uscc) == 1
    assert [
        r["处罚决定日期"] for r in rows if r["处罚决定日期"] in ("2026-02-30", "2027-01-01")
    ] == [
        "2026-02-30",
        "2027-01-01",
    ]
    assert [r["地方编码"] for r in rows if r["地方编码"] not in known] == ["999999"]
    assert [r["罚款金额(万元)"] for r in rows if r["罚款金额(万元)"].startswith("-")] == ["-0.5"]
    assert sum(1 for r in rows if not r["行政处罚决定书文号"]) == 1
    for row in rows:  # the other authorities' codes are fine
        assert uscc_ok(row["处罚机关统一社会信用代码"])
        assert uscc_ok(row["数据来源单位统一社会信用代码"])


# -- reproducible ---------------------------------------------------------------------


def test_script_reproduces_the_committed_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_demo_data.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(DEMO) for p in DEMO.rglob("*") if p.is_file() and p.name != "README.md"
    )
    assert generated == committed
    for relative in generated:
        assert (tmp_path / relative).read_bytes() == (DEMO / relative).read_bytes(), relative
