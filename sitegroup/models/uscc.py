"""统一社会信用代码 (unified social credit code) per GB 32100-2015.

An 18-character code: registration authority (1), organisation category (1), the
registering authority's GB/T 2260 region code (6 digits, positions 3-8), the
organisation code (9) and one check character. The alphabet has 31 characters:
the ten digits and the capital letters without I, O, Z, S and V.
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "ALPHABET",
    "WEIGHTS",
    "CodeError",
    "check_character",
    "is_valid_uscc",
    "uscc_region_code",
    "validate_uscc",
]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters a code may use; a character's value is its index."""

WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
"""Weights of positions 1-17 (3**i mod 31)."""

USCC_LENGTH = 18
_VALUES = {c: i for i, c in enumerate(ALPHABET)}


class CodeError(ValueError):
    """A code (统一社会信用代码, 身份证号码) is malformed; the message is user-facing Chinese."""


def _normalize(code: str) -> str:
    # NFKC folds full-width letters and digits (common in spreadsheet exports) to ASCII.
    return unicodedata.normalize("NFKC", code).strip().upper()


def _check_alphabet(code: str, what: str) -> None:
    for position, char in enumerate(code, start=1):
        if char not in _VALUES:
            raise CodeError(
                f"{what}第 {position} 位字符“{char}”不合法："
                "只能使用数字和除 I、O、Z、S、V 以外的大写字母"
            )


def check_character(code17: str) -> str:
    """The check character of the first 17 characters of a code.

    Raises :class:`CodeError` if ``code17`` is not 17 characters of :data:`ALPHABET`.
    """
    code17 = _normalize(code17)
    if len(code17) != USCC_LENGTH - 1:
        raise CodeError(f"统一社会信用代码本体应为 17 位，实际为 {len(code17)} 位")
    _check_alphabet(code17, "统一社会信用代码")
    total = sum(_VALUES[c] * w for c, w in zip(code17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str:
    """The normalized code (NFKC, stripped, upper case), or :class:`CodeError`.

    The message names the problem precisely: the actual length, the illegal character
    and its position, a non-digit in the region code, or the expected check character.
    """
    normalized = _normalize(code)
    if not normalized:
        raise CodeError("统一社会信用代码为空")
    if len(normalized) != USCC_LENGTH:
        raise CodeError(f"统一社会信用代码应为 18 位，实际为 {len(normalized)} 位")
    _check_alphabet(normalized, "统一社会信用代码")
    region = normalized[2:8]
    if not region.isdigit():
        raise CodeError(
            f"统一社会信用代码第 3-8 位（登记管理机关行政区划码）应为 6 位数字，实际为“{region}”"
        )
    expected = check_character(normalized[:17])
    if normalized[17] != expected:
        raise CodeError(f"统一社会信用代码校验位错误：应为 {expected}，实际为 {normalized[17]}")
    return normalized


def is_valid_uscc(code: object) -> bool:
    """True if ``code`` is a string that :func:`validate_uscc` accepts."""
    if not isinstance(code, str):
        return False
    try:
        validate_uscc(code)
    except CodeError:
        return False
    return True


def uscc_region_code(code: str) -> str:
    """Positions 3-8 of a valid code: the registering authority's region code."""
    return validate_uscc(code)[2:8]
