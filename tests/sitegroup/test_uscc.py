"""Tests for sitegroup.models.uscc: GB 32100 check characters and precise messages."""

from __future__ import annotations

import pytest

from sitegroup.models.uscc import (
    ALPHABET,
    CodeError,
    check_character,
    is_valid_uscc,
    uscc_region_code,
    validate_uscc,
)

REAL_SHAPED = "91350100M000100Y43"


def make_uscc(body17: str) -> str:
    return body17 + check_character(body17)


def test_real_shaped_code_validates() -> None:
    assert validate_uscc(REAL_SHAPED) == REAL_SHAPED
    assert check_character(REAL_SHAPED[:17]) == "3"
    assert is_valid_uscc(REAL_SHAPED)


@pytest.mark.parametrize(
    "body", ["91330102MA27XY812", "12100000400000000", "5233078200000000A", "Y1420100000000000"]
)
def test_generated_codes_validate(body: str) -> None:
    code = make_uscc(body)
    assert len(code) == 18
    assert code[-1] in ALPHABET
    assert validate_uscc(code) == code


def test_check_character_zero_when_sum_is_multiple_of_31() -> None:
    # Only position 1 (weight 1) carries value: 31 - (0 mod 31) = 31 -> 0.
    assert check_character("00000000000000000") == "0"


def test_normalizes_case_whitespace_and_full_width() -> None:
    assert validate_uscc("  91350100m000100y43\n") == REAL_SHAPED
    assert validate_uscc("９１３５０１００Ｍ０００１００Ｙ４３") == REAL_SHAPED


def test_wrong_length_names_actual_length() -> None:
    with pytest.raises(CodeError, match=r"^统一社会信用代码应为 18 位，实际为 17 位$"):
        validate_uscc(REAL_SHAPED[:17])


def test_empty_code() -> None:
    with pytest.raises(CodeError, match="为空"):
        validate_uscc("   ")


@pytest.mark.parametrize("bad", ["I", "O", "Z", "S", "V", "-"])
def test_illegal_character_names_character_and_position(bad: str) -> None:
    code = REAL_SHAPED[:8] + bad + REAL_SHAPED[9:]
    with pytest.raises(CodeError, match=f"第 9 位字符“{bad}”不合法"):
        validate_uscc(code)


def test_region_part_must_be_digits() -> None:
    body = "91AB0100M000100Y4"
    with pytest.raises(CodeError, match=r"第 3-8 位.*“AB0100”"):
        validate_uscc(make_uscc(body))


def test_wrong_check_character_says_which_was_expected() -> None:
    with pytest.raises(CodeError) as info:
        validate_uscc(REAL_SHAPED[:17] + "4")
    assert str(info.value) == "统一社会信用代码校验位错误：应为 3，实际为 4"


def test_code_error_is_value_error() -> None:
    assert issubclass(CodeError, ValueError)


def test_is_valid_uscc_on_garbage() -> None:
    assert not is_valid_uscc(None)
    assert not is_valid_uscc(12345)
    assert not is_valid_uscc("91350100M000100Y44")


def test_region_code() -> None:
    assert uscc_region_code(REAL_SHAPED) == "350100"


def test_check_character_rejects_bad_body() -> None:
    with pytest.raises(CodeError, match="17 位"):
        check_character("123")
    with pytest.raises(CodeError, match="第 1 位字符“I”"):
        check_character("I" * 17)
