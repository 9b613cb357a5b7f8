"""Tests for sitegroup.models.idcard: GB 11643 numbers, masking and the scan pattern."""

from __future__ import annotations

import pytest

from sitegroup.models.idcard import (
    ID_NUMBER_PATTERN,
    id_check_character,
    is_valid_id_number,
    mask_id_number,
    validate_id_number,
)
from sitegroup.models.uscc import CodeError


def make_id(first17: str) -> str:
    return first17 + id_check_character(first17)


VALID = make_id("33010219900307123")


def test_known_example_validates() -> None:
    # The GB 11643 textbook example.
    assert validate_id_number("11010519491231002X") == "11010519491231002X"


def test_generated_number_validates_and_lowercase_x_normalizes() -> None:
    assert validate_id_number(VALID) == VALID
    x_number = next(
        number
        for seq in range(1000)
        if (number := make_id(f"42010219850101{seq:03d}")).endswith("X")
    )
    assert validate_id_number(x_number.lower()) == x_number


def test_wrong_length() -> None:
    with pytest.raises(CodeError, match=r"^身份证号码应为 18 位，实际为 15 位$"):
        validate_id_number("330102900307123")


def test_non_digit_names_position() -> None:
    with pytest.raises(CodeError, match="第 5 位字符“A”不合法"):
        validate_id_number("3301A219900307123X")


def test_bad_check_position_character() -> None:
    with pytest.raises(CodeError, match="第 18 位（校验位）应为数字或 X，实际为“Y”"):
        validate_id_number(VALID[:17] + "Y")


def test_impossible_birth_date() -> None:
    number = make_id("33010219900230123")
    with pytest.raises(CodeError, match="出生日期 19900230 不是有效日期"):
        validate_id_number(number)


def test_wrong_check_character() -> None:
    wrong = "0" if VALID[-1] != "0" else "1"
    with pytest.raises(CodeError) as info:
        validate_id_number(VALID[:17] + wrong)
    assert str(info.value) == f"身份证号码校验位错误：应为 {VALID[-1]}，实际为 {wrong}"


def test_is_valid() -> None:
    assert is_valid_id_number(VALID)
    assert not is_valid_id_number(VALID[:17])
    assert not is_valid_id_number(None)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("33010219900307123X", "330*************3X"),
        ("12345678", "123***78"),
        ("1234567", "1*****7"),
        ("abc", "a*c"),
        ("ab", "**"),
        ("a", "*"),
        ("", ""),
    ],
)
def test_mask(raw: str, masked: str) -> None:
    assert mask_id_number(raw) == masked
    assert len(mask_id_number(raw)) == len(raw)


def test_masked_number_is_not_found_by_pattern() -> None:
    assert ID_NUMBER_PATTERN.search(mask_id_number(VALID)) is None


def test_pattern_finds_numbers_in_text_but_not_in_longer_digit_runs() -> None:
    assert ID_NUMBER_PATTERN.search(f"身份证号：{VALID}，住址")
    assert ID_NUMBER_PATTERN.search("号码11010519491231002x。")
    assert ID_NUMBER_PATTERN.search("1" + VALID) is None
    assert ID_NUMBER_PATTERN.search(VALID[:17] + "X9") is None
    assert ID_NUMBER_PATTERN.search("91350100M000100Y43") is None
