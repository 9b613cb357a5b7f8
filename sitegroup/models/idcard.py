"""Resident identity card numbers (公民身份号码) per GB 11643-1999, and their masking.

An 18-character number: address code (6), birth date YYYYMMDD (8), sequence (3) and
a check character (0-9 or X). Natural persons' numbers never reach a public page
unmasked: every public view goes through :func:`mask_id_number`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from sitegroup.models.uscc import CodeError

__all__ = [
    "ID_NUMBER_PATTERN",
    "id_check_character",
    "is_valid_id_number",
    "mask_id_number",
    "validate_id_number",
]

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_MAP = "10X98765432"
ID_LENGTH = 18

ID_NUMBER_PATTERN = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
"""An 18-character ID number anywhere in a text (not part of a longer digit run)."""


def id_check_character(first17: str) -> str:
    """The check character of 17 digits."""
    if len(first17) != ID_LENGTH - 1 or not (first17.isascii() and first17.isdigit()):
        raise CodeError("身份证号码本体应为 17 位数字")
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_MAP[total % 11]


def validate_id_number(number: str) -> str:
    """The normalized number (NFKC, stripped, upper-case X), or :class:`CodeError`.

    The message names the problem: the actual length, a non-digit and its position,
    an impossible birth date, or the expected check character.
    """
    normalized = unicodedata.normalize("NFKC", number).strip().upper()
    if not normalized:
        raise CodeError("身份证号码为空")
    if len(normalized) != ID_LENGTH:
        raise CodeError(f"身份证号码应为 18 位，实际为 {len(normalized)} 位")
    for position, char in enumerate(normalized[:17], start=1):
        if not ("0" <= char <= "9"):
            raise CodeError(f"身份证号码第 {position} 位字符“{char}”不合法：前 17 位应为数字")
    last = normalized[17]
    if not ("0" <= last <= "9" or last == "X"):
        raise CodeError(f"身份证号码第 18 位（校验位）应为数字或 X，实际为“{last}”")
    birth = normalized[6:14]
    try:
        date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        raise CodeError(f"身份证号码第 7-14 位的出生日期 {birth} 不是有效日期") from None
    expected = id_check_character(normalized[:17])
    if last != expected:
        raise CodeError(f"身份证号码校验位错误：应为 {expected}，实际为 {last}")
    return normalized


def is_valid_id_number(number: object) -> bool:
    """True if ``number`` is a string that :func:`validate_id_number` accepts."""
    if not isinstance(number, str):
        return False
    try:
        validate_id_number(number)
    except CodeError:
        return False
    return True


def mask_id_number(number: str) -> str:
    """Mask an ID number for public display, preserving its length.

    8 characters or more keep the first 3 and the last 2 (``330*************2X``);
    3 to 7 keep the first and the last; 1 or 2 are masked entirely; empty stays empty.
    Works on any string, valid or not.
    """
    n = len(number)
    if n >= 8:
        return number[:3] + "*" * (n - 5) + number[-2:]
    if n >= 3:
        return number[0] + "*" * (n - 2) + number[-1]
    return "*" * n
