"""Tests for sitegroup.models.validate: every problem named by file, line and Chinese label."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from news_push.sources import read_rows
from sitegroup.models.idcard import ID_NUMBER_PATTERN, id_check_character
from sitegroup.models.records import Record, RecordKind, public_record
from sitegroup.models.uscc import check_character
from sitegroup.models.validate import (
    RowProblem,
    SourceRow,
    detect_kind,
    normalize_columns,
    parse_amount,
    parse_date,
    validate_row,
)
from sitegroup.regions import RegionTable

TODAY = date(2024, 6, 1)
AUTHORITY = "11330100002489567" + check_character("11330100002489567")
COMPANY = "91350100M000100Y43"
PERSON_ID = "33010219900307123" + id_check_character("33010219900307123")

PENALTY = {
    "行政相对人名称": "杭州示例科技有限公司",
    "行政相对人类别": "法人及非法人组织",
    "统一社会信用代码": COMPANY,
    "法定代表人": "张三",
    "行政处罚决定书文号": "杭上市监罚〔2024〕12号",
    "违法行为类型": "虚假宣传",
    "违法事实": "当事人在网店发布虚假宣传内容。",
    "处罚依据": "《中华人民共和国反不正当竞争法》第二十条",
    "处罚类别": "警告;罚款",
    "处罚内容": "警告，罚款人民币 1.5 万元",
    "罚款金额(万元)": "1.50",
    "处罚决定日期": "2024/3/10",
    "处罚机关": "杭州市上城区市场监督管理局",
    "处罚机关统一社会信用代码": AUTHORITY,
    "数据来源单位": "杭州市上城区市场监督管理局",
    "数据来源单位统一社会信用代码": AUTHORITY,
    "地方编码": "330102",
}

LICENSE = {
    "行政相对人名称": "义乌市示例商行",
    "行政相对人类别": "个体工商户",
    "工商注册号": "330782600123456",
    "行政许可决定文书名称": "食品经营许可决定书",
    "行政许可决定文书号": "义市监许〔2024〕8号",
    "许可类别": "普通",
    "许可内容": "预包装食品销售",
    "许可决定日期": "20240105",
    "有效期自": "2024年1月5日",
    "有效期至": "2099-12-31",
    "许可机关": "义乌市市场监督管理局",
    "许可机关统一社会信用代码": AUTHORITY,
    "数据来源单位": "义乌市市场监督管理局",
    "数据来源单位统一社会信用代码": AUTHORITY,
    "地方编码": "330782",
}

BLACKLIST = {
    "行政相对人名称": "某某贸易有限公司",
    "行政相对人类别": "法人及非法人组织",
    "统一社会信用代码": COMPANY,
    "名单名称": "重大税收违法失信主体",
    "认定文书号": "税稽〔2024〕3号",
    "列入事由": "虚开增值税专用发票",
    "认定部门": "国家税务总局福州市税务局",
    "认定部门统一社会信用代码": AUTHORITY,
    "列入日期": "2024-02-01",
    "数据来源单位": "国家税务总局福州市税务局",
    "数据来源单位统一社会信用代码": AUTHORITY,
    "地方编码": "350100",
}


@pytest.fixture(scope="module")
def regions() -> RegionTable:
    return RegionTable.default()


def write_csv(tmp_path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "push.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def check(
    values: dict[str, str], kind: RecordKind, regions: RegionTable, line: int = 7
) -> tuple[Record | None, list[RowProblem]]:
    return validate_row(SourceRow("push.csv", line, values), kind, regions=regions, today=TODAY)


def messages(values: dict[str, str], kind: RecordKind, regions: RegionTable) -> list[str]:
    record, problems = check(values, kind, regions)
    assert record is None
    return [str(p) for p in problems]


# -- valid rows --------------------------------------------------------------------


def test_valid_penalty_from_gb18030_csv(tmp_path: Path, regions: RegionTable) -> None:
    path = write_csv(tmp_path, [PENALTY], encoding="gb18030")
    [row] = read_rows(path)
    record, problems = validate_row(row, "penalty", regions=regions, today=TODAY)
    assert problems == []
    assert record is not None
    assert record.kind == "penalty" and record.region_code == "330102"
    assert record.subject_code == COMPANY
    assert record.decided_on == date(2024, 3, 10)
    assert record.fields["fine"] == "1.5"
    assert record.fields["penalty_category"] == "警告；罚款"
    assert record.fields["severity"] == "一般"
    assert record.expires_on == date(2027, 3, 10)


def test_valid_license_individual_business_with_reg_no(regions: RegionTable) -> None:
    record, problems = check(LICENSE, "license", regions)
    assert problems == []
    assert record is not None
    assert record.subject_code == "330782600123456"
    assert record.fields["decided_on"] == "2024-01-05"
    assert record.fields["valid_from"] == "2024-01-05"
    assert record.expires_on is None  # 2099-12-31 = 长期
    assert record.fields["status"] == "有效"


def test_license_other_category_and_invalid_status(regions: RegionTable) -> None:
    record, problems = check(
        {**LICENSE, "许可类别": "其他－备案", "当前状态": "无效"}, "license", regions
    )
    assert problems == []
    assert record is not None
    assert record.fields["license_category"] == "其他-备案"
    assert record.withdraw


def test_valid_blacklist(regions: RegionTable) -> None:
    record, problems = check(BLACKLIST, "blacklist", regions)
    assert problems == [] and record is not None
    assert record.expires_on is None
    record, problems = check({**BLACKLIST, "有效期至": "2027-02-01"}, "blacklist", regions)
    assert record is not None and record.expires_on == date(2027, 2, 1)


def test_natural_person_is_masked_in_public(regions: RegionTable) -> None:
    person = {
        **PENALTY,
        "行政相对人名称": "李四",
        "行政相对人类别": "自然人",
        "统一社会信用代码": "",
        "法定代表人": "",
        "证件类型": "身份证",
        "证件号码": PERSON_ID.lower(),
    }
    record, problems = check(person, "penalty", regions)
    assert problems == [] and record is not None
    assert record.fields["id_number"] == PERSON_ID.upper()
    assert record.subject_code == ""
    text = json.dumps(public_record(record), ensure_ascii=False)
    assert ID_NUMBER_PATTERN.search(text) is None


def test_legacy_column_names(tmp_path: Path, regions: RegionTable) -> None:
    legacy = {
        "主体名称": "杭州示例科技有限公司",
        "行政相对人类别": "法人及非法人组织",
        "行政相对人代码_1（统一社会信用代码）": COMPANY,  # full-width parentheses
        "法定代表人姓名": "张三",
        "处罚决定书文号": "杭上市监罚〔2024〕12号",
        "处罚名称": "虚假宣传",
        "处罚事由": "当事人在网店发布虚假宣传内容。",
        "处罚依据": "《中华人民共和国反不正当竞争法》第二十条",
        "处罚类别1": "罚款",
        "处罚结果": "罚款人民币 1.5 万元",
        "处罚生效期": "2024-03-10",
        "处罚截止期": "2025-03-10",
        "处罚机关": "杭州市上城区市场监督管理局",
        "处罚机关统一社会信用代码": AUTHORITY,
        "数据来源单位": "杭州市上城区市场监督管理局",
        "数据来源单位统一社会信用代码": AUTHORITY,
        "地方编码": "330102",
    }
    [row] = read_rows(write_csv(tmp_path, [legacy]))
    assert detect_kind(row.values) == "penalty"
    record, problems = validate_row(row, "penalty", regions=regions, today=TODAY)
    assert problems == []
    assert record is not None
    assert record.fields["violation_type"] == "虚假宣传"
    assert record.fields["valid_to"] == "2025-03-10"
    assert record.fields["uscc"] == COMPANY
    assert record.fields["legal_rep"] == "张三"


def test_english_keys_from_jsonl(tmp_path: Path, regions: RegionTable) -> None:
    keys = {
        "subject_name": "杭州示例科技有限公司",
        "subject_type": "法人及非法人组织",
        "uscc": COMPANY,
        "document_no": "D-1",
        "violation_type": "虚假宣传",
        "facts": "事实",
        "basis": "依据",
        "penalty_category": "罚款",
        "content": "罚款",
        "fine": 0.5,
        "decided_on": "2024-03-10",
        "authority": "机关",
        "authority_code": AUTHORITY,
        "source_unit": "机关",
        "source_code": AUTHORITY,
        "region_code": "330102",
        "OP": "update",
    }
    path = tmp_path / "push.jsonl"
    path.write_text("{broken\n" + json.dumps(keys, ensure_ascii=False) + "\n", encoding="utf-8")
    broken, good = read_rows(path)
    record, problems = validate_row(good, "penalty", regions=regions, today=TODAY)
    assert problems == [] and record is not None
    assert record.fields["fine"] == "0.5" and not record.withdraw
    assert (
        record.content_hash()
        == check({**keys, "OP": "新增", "fine": "0.50"}, "penalty", regions)[0].content_hash()
    )  # type: ignore[union-attr]
    record, problems = validate_row(broken, "penalty", regions=regions, today=TODAY)
    assert record is None
    assert [str(p) for p in problems] == [f"{path}:1: -: 该行不是有效的 JSON（第 2 列附近）"]


# -- problems ----------------------------------------------------------------------


def test_all_problems_of_a_row_at_once(regions: RegionTable) -> None:
    row = {**PENALTY, "违法事实": "", "处罚决定日期": "2024-13-01", "地方编码": "33010"}
    assert messages(row, "penalty", regions) == [
        "push.csv:7: 地方编码: 地方编码应为 6 位数字（GB/T 2260 行政区划代码），实际为“33010”",
        "push.csv:7: 处罚决定日期: 日期“2024-13-01”不存在：月份或日超出范围",
        "push.csv:7: 违法事实: 必填项为空",
    ]
    assert messages({**PENALTY, "处罚决定日期": "2024.03.10"}, "penalty", regions) == [
        "push.csv:7: 处罚决定日期: 日期“2024.03.10”无法识别："
        "应为 YYYY-MM-DD、YYYY/MM/DD、YYYYMMDD 或 YYYY年M月D日"
    ]


def test_unknown_columns(regions: RegionTable) -> None:
    row = {**PENALTY, "行政相对人明称": "错别字", "有效期自": "2024-01-01", "空列": ""}
    assert messages(row, "penalty", regions) == [
        "push.csv:7: 行政相对人明称: 未知的列：不是行政处罚数据标准中的列名",
        "push.csv:7: 有效期自: 该列不属于行政处罚数据",
    ]


def test_column_conflict(regions: RegionTable) -> None:
    row = {**PENALTY, "信用代码": AUTHORITY}
    assert messages(row, "penalty", regions) == [
        "push.csv:7: 统一社会信用代码: 列“统一社会信用代码”与列“信用代码”都填写了该项，且取值不同"
    ]
    assert check({**PENALTY, "信用代码": COMPANY}, "penalty", regions)[1] == []


def test_enum_values(regions: RegionTable) -> None:
    row = {**PENALTY, "行政相对人类别": "法人", "失信严重程度": "特别严重", "操作": "删除"}
    found = messages(row, "penalty", regions)
    assert (
        "push.csv:7: 行政相对人类别: 取值“法人”不在允许范围内："
        "应为 法人及非法人组织、自然人、个体工商户" in found
    )
    assert any(m.startswith("push.csv:7: 失信严重程度: 取值“特别严重”") for m in found)
    assert any(m.startswith("push.csv:7: 操作: 取值“删除”") and "withdraw" in m for m in found)
    found = messages({**LICENSE, "许可类别": "特别"}, "license", regions)
    assert any(m.startswith("push.csv:7: 许可类别:") and "其他-具体类别" in m for m in found)


def test_max_length(regions: RegionTable) -> None:
    row = {**PENALTY, "违法事实": "事" * 5001, "行政相对人名称": "名" * 200}
    assert messages(row, "penalty", regions) == [
        "push.csv:7: 违法事实: 长度超过 5000 个字符（实际为 5001 个）"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-10", date(2024, 3, 10)),
        ("2024-3-1", date(2024, 3, 1)),
        ("2024/03/10", date(2024, 3, 10)),
        ("20240310", date(2024, 3, 10)),
        ("2024年3月10日", date(2024, 3, 10)),
        ("２０２４年３月１０日", date(2024, 3, 10)),
        ("2024-03-10 00:00:00", date(2024, 3, 10)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2024.03.10", "2024-02-30", "10/03/2024", "昨天", "2024031"])
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_date_order_license(regions: RegionTable) -> None:
    row = {
        **LICENSE,
        "有效期自": "2024-02-01",
        "有效期至": "2024-01-31",
        "许可决定日期": "2024-06-02",
    }
    assert messages(row, "license", regions) == [
        "push.csv:7: 许可决定日期: 2024-06-02 晚于今天（2024-06-01）",
        "push.csv:7: 有效期至: 2024-01-31 早于有效期自（2024-02-01）",
    ]


def test_date_order_penalty(regions: RegionTable) -> None:
    assert messages({**PENALTY, "公示截止期": "2024-03-09"}, "penalty", regions) == [
        "push.csv:7: 公示截止期: 2024-03-09 早于处罚决定日期（2024-03-10）"
    ]
    assert messages({**PENALTY, "处罚决定日期": "2024-06-02"}, "penalty", regions) == [
        "push.csv:7: 处罚决定日期: 2024-06-02 晚于今天（2024-06-01）"
    ]
    [problem] = messages(
        {**PENALTY, "公示截止期": "2024-09-09", "所属领域": "消防"}, "penalty", regions
    )
    assert problem.startswith(
        "push.csv:7: 公示截止期: 公示截止期 2024-09-09 早于最短公示期届满日 2025-03-10"
    )
    assert "消防" in problem
    assert check({**PENALTY, "公示截止期": "2024-06-10"}, "penalty", regions)[1] == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-1", "金额不能为负数：-1"),
        ("1.1234567", "金额“1.1234567”超过 6 位小数（单位为万元）"),
        ("一万", "金额“一万”不是数字（单位为万元，如 1.5）"),
        ("NaN", "金额“NaN”不是数字（单位为万元，如 1.5）"),
    ],
)
def test_amounts(text: str, reason: str, regions: RegionTable) -> None:
    assert messages({**PENALTY, "罚款金额(万元)": text}, "penalty", regions) == [
        f"push.csv:7: 罚款金额(万元): {reason}"
    ]


def test_parse_amount_normalizes() -> None:
    assert parse_amount("1.50") == "1.5"
    assert parse_amount("100") == "100"
    assert parse_amount("0.000001") == "0.000001"
    assert parse_amount("1.2000000") == "1.2"


def test_uscc_problems(regions: RegionTable) -> None:
    row = {
        **PENALTY,
        "统一社会信用代码": COMPANY[:17] + "4",
        "处罚机关统一社会信用代码": "123",
        "数据来源单位统一社会信用代码": AUTHORITY[:5] + "O" + AUTHORITY[6:],
    }
    assert messages(row, "penalty", regions) == [
        "push.csv:7: 统一社会信用代码: 统一社会信用代码校验位错误：应为 3，实际为 4",
        "push.csv:7: 处罚机关统一社会信用代码: 统一社会信用代码应为 18 位，实际为 3 位",
        "push.csv:7: 数据来源单位统一社会信用代码: 统一社会信用代码第 6 位字符“O”不合法："
        "只能使用数字和除 I、O、Z、S、V 以外的大写字母",
    ]


def test_id_number_problems(regions: RegionTable) -> None:
    bad = PERSON_ID[:17] + ("0" if PERSON_ID[-1] != "0" else "1")
    person = {
        **PENALTY,
        "行政相对人类别": "自然人",
        "统一社会信用代码": "",
        "证件类型": "身份证",
        "证件号码": bad,
        "法定代表人证件号码": "33010219900230123X",  # no type, 18 chars: checked
    }
    found = messages(person, "penalty", regions)
    assert found == [
        f"push.csv:7: 证件号码: 身份证号码校验位错误：应为 {PERSON_ID[-1]}，实际为 {bad[-1]}",
        "push.csv:7: 法定代表人证件号码: 身份证号码第 7-14 位的出生日期 19900230 不是有效日期",
    ]
    passport = {**person, "证件类型": "护照", "证件号码": "E12345678", "法定代表人证件号码": ""}
    assert check(passport, "penalty", regions)[1] == []


def test_region_not_in_table(regions: RegionTable) -> None:
    assert messages({**PENALTY, "地方编码": "339999"}, "penalty", regions) == [
        "push.csv:7: 地方编码: 地方编码 339999 不在行政区划代码表中"
    ]


def test_subject_rules(regions: RegionTable) -> None:
    assert messages({**PENALTY, "统一社会信用代码": ""}, "penalty", regions) == [
        "push.csv:7: 统一社会信用代码: 行政相对人类别为法人及非法人组织时必填"
    ]
    assert messages({**LICENSE, "工商注册号": ""}, "license", regions) == [
        "push.csv:7: 统一社会信用代码: 行政相对人类别为个体工商户时，"
        "统一社会信用代码和工商注册号至少填写一项"
    ]
    person = {**PENALTY, "行政相对人类别": "自然人", "统一社会信用代码": ""}
    assert messages(person, "penalty", regions) == [
        "push.csv:7: 证件类型: 行政相对人类别为自然人时必填",
        "push.csv:7: 证件号码: 行政相对人类别为自然人时必填",
    ]


def test_record_id(regions: RegionTable) -> None:
    record, _ = check({**PENALTY, "记录编号": "HZ-2024.001"}, "penalty", regions)
    assert record is not None and record.key == "penalty-id-HZ-2024.001"
    [problem] = messages({**PENALTY, "记录编号": "HZ 2024/001"}, "penalty", regions)
    assert problem.startswith("push.csv:7: 记录编号: 记录编号“HZ 2024/001”只能由")


def test_withdraw_rows(regions: RegionTable) -> None:
    full, _ = check(PENALTY, "penalty", regions)
    assert full is not None
    minimal = {
        "操作": "撤回",
        "地方编码": "330102",
        "数据来源单位统一社会信用代码": AUTHORITY,
        "行政处罚决定书文号": PENALTY["行政处罚决定书文号"],
        "统一社会信用代码": COMPANY,
    }
    record, problems = check(minimal, "penalty", regions)
    assert problems == [] and record is not None
    assert record.withdraw and record.key == full.key
    assert record.decided_on == TODAY and record.expires_on is None

    by_id, problems = check(
        {"op": "withdraw", "record_id": "X-1", "region_code": "330102"}, "penalty", regions
    )
    assert problems == [] and by_id is not None and by_id.key == "penalty-id-X-1"

    assert messages({"操作": "撤回", "行政处罚决定书文号": "D"}, "penalty", regions) == [
        "push.csv:7: 地方编码: 必填项为空（撤回时也须填写）",
        "push.csv:7: 数据来源单位统一社会信用代码: 必填项为空：撤回时须填写记录编号，"
        "或数据来源单位统一社会信用代码、文书号和行政相对人代码（或名称）",
        "push.csv:7: 行政相对人名称: 必填项为空：撤回时须填写记录编号，"
        "或数据来源单位统一社会信用代码、文书号和行政相对人代码（或名称）",
    ]


# -- columns -----------------------------------------------------------------------


def test_normalize_columns() -> None:
    mapped, unknown = normalize_columns(
        {
            " 行政相对人名称\u3000": "\u3000某公司 ",
            "处罚名称": "虚假宣传",
            "Region_Code": "330102",
            "备注": "  ",
            "不知道": "x",
        }
    )
    assert mapped == {
        "subject_name": "某公司",
        "violation_type": "虚假宣传",
        "region_code": "330102",
    }
    assert unknown == ["不知道"]
    _, unknown = normalize_columns({"处罚名称": "x", "许可类别": "普通"}, kind="license")
    assert unknown == ["处罚名称"]


def test_detect_kind() -> None:
    assert detect_kind(PENALTY) == "penalty"
    assert detect_kind(LICENSE) == "license"
    assert detect_kind(["行政许可决定书文号", "许可机关"]) == "license"
    assert detect_kind(BLACKLIST) is None
    assert detect_kind(["行政处罚决定书文号", "行政许可决定文书号"]) is None


def test_row_problem_str() -> None:
    assert str(RowProblem("a.csv", 3, "地方编码", "必填项为空")) == "a.csv:3: 地方编码: 必填项为空"
