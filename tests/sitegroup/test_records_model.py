"""Tests for sitegroup.models.records: specs, keys, hashes, JSON and the public view."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from sitegroup.labels import RECORD_KIND_LABELS
from sitegroup.models.idcard import ID_NUMBER_PATTERN, id_check_character
from sitegroup.models.records import (
    FIELDS,
    LEGACY_COLUMNS,
    RECORD_KINDS,
    Record,
    field_labels,
    make_record,
    public_fields,
    public_record,
    record_key,
)
from sitegroup.models.uscc import check_character

AUTHORITY = "11330100002489567" + check_character("11330100002489567")
COMPANY = "91330102MA2AXY812" + check_character("91330102MA2AXY812")
PERSON_ID = "33010219900307123" + id_check_character("33010219900307123")
REP_ID = "11010519491231002X"


def penalty_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "subject_name": "杭州示例科技有限公司",
        "subject_type": "法人及非法人组织",
        "uscc": COMPANY,
        "legal_rep": "张三",
        "legal_rep_id_type": "身份证",
        "legal_rep_id_number": REP_ID,
        "region_code": "330102",
        "document_no": "杭上市监罚〔2024〕12号",
        "violation_type": "虚假宣传",
        "facts": "当事人在网店发布虚假宣传内容。",
        "basis": "《中华人民共和国反不正当竞争法》第二十条",
        "penalty_category": "警告；罚款",
        "content": "警告，罚款人民币 1.5 万元",
        "fine": "1.5",
        "decided_on": "2024-03-10",
        "authority": "杭州市上城区市场监督管理局",
        "authority_code": AUTHORITY,
        "source_unit": "杭州市上城区市场监督管理局",
        "source_code": AUTHORITY,
    }
    fields.update(overrides)
    return fields


def person_fields(**overrides: str) -> dict[str, str]:
    return penalty_fields(
        subject_name="李四",
        subject_type="自然人",
        uscc="",
        legal_rep="",
        legal_rep_id_type="",
        legal_rep_id_number="",
        id_type="身份证",
        id_number=PERSON_ID,
        **overrides,
    )


def test_every_kind_has_subject_source_and_row_fields() -> None:
    assert RECORD_KINDS == ("license", "penalty", "redlist", "blacklist")
    for kind in RECORD_KINDS:
        keys = [spec.key for spec in FIELDS[kind]]
        assert len(keys) == len(set(keys)), kind
        for key in ("subject_name", "subject_type", "uscc", "id_number", "region_code"):
            assert key in keys
        for key in ("source_unit", "source_code", "record_id", "op", "document_no"):
            assert key in keys
        required = {s.key for s in FIELDS[kind] if s.required}
        assert {"subject_name", "subject_type", "region_code", "decided_on"} <= required


def test_labels_follow_the_standard() -> None:
    assert field_labels("penalty")["document_no"] == "行政处罚决定书文号"
    assert field_labels("license")["document_no"] == "行政许可决定文书号"
    assert field_labels("redlist")["document_no"] == "认定文书号"
    assert field_labels("penalty")["valid_to"] == "处罚有效期"
    assert field_labels("license")["valid_to"] == "有效期至"
    facts = next(s for s in FIELDS["penalty"] if s.key == "facts")
    assert facts.max_length == 5000


def test_legacy_columns_point_to_standard_labels() -> None:
    labels = {spec.label for specs in FIELDS.values() for spec in specs}
    assert set(LEGACY_COLUMNS.values()) <= labels
    assert LEGACY_COLUMNS["处罚名称"] == "违法行为类型"
    assert LEGACY_COLUMNS["处罚生效期"] == "处罚决定日期"


def test_key_is_stable_and_includes_the_subject() -> None:
    first = make_record("penalty", penalty_fields())
    again = make_record("penalty", penalty_fields(facts="改正后的违法事实"))
    assert first.key == again.key
    assert first.key.startswith("penalty-") and len(first.key) == len("penalty-") + 24
    other = make_record("penalty", penalty_fields(uscc="", subject_name="另一家公司"))
    assert other.key != first.key  # same 文书号, another subject


def test_key_formula() -> None:
    expected = hashlib.sha256(b"penalty\x1fS\x1fD\x1fU").hexdigest()[:24]
    assert record_key("penalty", {"source_code": "S", "document_no": "D", "uscc": "U"}) == (
        f"penalty-{expected}"
    )
    by_name = hashlib.sha256("redlist\x1fS\x1fD\x1f张三".encode()).hexdigest()[:24]
    assert record_key(
        "redlist", {"source_code": "S", "document_no": "D", "subject_name": "张三"}
    ) == (f"redlist-{by_name}")


def test_explicit_record_id() -> None:
    record = make_record("penalty", penalty_fields(record_id="HZ-2024-001"))
    assert record.key == "penalty-id-HZ-2024-001"


def test_content_hash_changes_with_fields_not_with_op() -> None:
    base = make_record("penalty", penalty_fields())
    assert base.content_hash() != make_record("penalty", penalty_fields(fine="2")).content_hash()
    assert base.content_hash() == make_record("penalty", penalty_fields(op="更新")).content_hash()
    assert base.content_hash() == make_record("penalty", penalty_fields(op="新增")).content_hash()
    # A spelled-out default is the same content as an absent one.
    assert (
        base.content_hash()
        == make_record("penalty", penalty_fields(severity="一般")).content_hash()
    )
    assert "op" not in base.fields


def test_penalty_summary_attributes_and_expiry() -> None:
    record = make_record("penalty", penalty_fields())
    assert record.kind == "penalty"
    assert record.subject_code == COMPANY
    assert record.decided_on == date(2024, 3, 10)
    assert record.expires_on == date(2027, 3, 10)  # 2023 rule, maximum 3 years
    assert not record.withdraw
    until = make_record("penalty", penalty_fields(disclosure_until="2024-09-10"))
    assert until.expires_on == date(2024, 9, 10)


def test_license_long_term_and_invalid_status() -> None:
    fields = {
        "subject_name": "示例公司",
        "subject_type": "法人及非法人组织",
        "uscc": COMPANY,
        "region_code": "330102",
        "document_no": "许可〔2024〕1号",
        "decided_on": "2024-01-02",
        "valid_from": "2024-01-02",
        "valid_to": "2099-12-31",
        "source_code": AUTHORITY,
    }
    record = make_record("license", fields)
    assert record.expires_on is None
    assert record.fields["status"] == "有效"
    assert make_record("license", {**fields, "valid_to": "2029-01-01"}).expires_on == date(
        2029, 1, 1
    )
    assert make_record("license", {**fields, "status": "无效"}).withdraw


def test_list_expiry() -> None:
    fields = {"subject_name": "某公司", "decided_on": "2024-01-02", "region_code": "330102"}
    assert make_record("redlist", fields).expires_on is None
    assert make_record("blacklist", {**fields, "valid_to": "2026-01-01"}).expires_on == date(
        2026, 1, 1
    )


def test_withdraw_without_date_uses_today() -> None:
    fields = {"record_id": "X1", "region_code": "330102"}
    record = make_record("penalty", fields, withdraw=True, today=date(2024, 6, 1))
    assert record.withdraw and record.decided_on == date(2024, 6, 1)
    assert record.expires_on is None
    with pytest.raises(ValueError):
        make_record("penalty", fields)


def test_json_round_trip() -> None:
    record = make_record("penalty", person_fields())
    data = json.loads(json.dumps(record.to_json(), ensure_ascii=False))
    assert Record.from_json(data) == record
    assert data["decided_on"] == "2024-03-10"
    assert hash(Record.from_json(data)) == hash(record)


def test_public_record_masks_every_id_number() -> None:
    person = make_record(
        "penalty", person_fields(facts=f"当事人（身份证号 {PERSON_ID}）无证经营。")
    )
    company = make_record("penalty", penalty_fields())
    for record in (person, company):
        text = json.dumps(public_record(record), ensure_ascii=False)
        assert ID_NUMBER_PATTERN.search(text) is None, text
    assert public_fields(person)["id_number"] == PERSON_ID[:3] + "*" * 13 + PERSON_ID[-2:]
    assert public_fields(company)["legal_rep_id_number"] == "110*************2X"
    assert person.fields["id_number"] == PERSON_ID  # the record itself stays unmasked


def test_public_record_never_uses_an_id_as_subject_code() -> None:
    person = make_record("penalty", person_fields(reg_no=PERSON_ID))
    assert public_record(person)["subject_code"] == ""


def test_public_record_shape() -> None:
    record = make_record("penalty", penalty_fields())
    public = public_record(record)
    assert list(public) == [
        "key",
        "kind",
        "kind_label",
        "region_code",
        "subject_name",
        "subject_type",
        "subject_code",
        "document_no",
        "authority",
        "decided_on",
        "expires_on",
        "fields",
    ]
    assert public["kind_label"] == RECORD_KIND_LABELS["penalty"] == "行政处罚"
    assert public["decided_on"] == "2024-03-10" and public["expires_on"] == "2027-03-10"
    assert list(public["fields"]) == sorted(public["fields"])
    assert public == public_record(Record.from_json(record.to_json()))
