"""Text for the search index: one normalization and one tokenization for every backend.

Chinese has no spaces, and a user types any fragment of a name: 农业 must find
中国农业发展银行. Word segmentation (Meilisearch's, jieba's) finds whole words only, so
both backends index the same **character bigrams** instead, and a query term is a *phrase*
of its bigrams: the bigrams of 深圳市华为 must occur consecutively, which is exactly "the
name contains 深圳市华为" — full substring recall (two characters or more) and no partial
matches.

Each bigram is spelled as ten ASCII letters (five per character, base 26 of the code
point). Both engines then see plain lowercase Latin words and neither applies its own
Chinese segmentation, typo tolerance or prefix rules to them.
"""

from __future__ import annotations

import unicodedata
from itertools import pairwise

__all__ = ["MIN_TERM", "bigram_tokens", "encode_char", "normalize", "split_terms"]

#: The shortest term a query may have (a bigram is the smallest unit indexed).
MIN_TERM = 2

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def normalize(text: str) -> str:
    """NFKC, case-folded, letters and digits only: the form names and terms are compared in.

    Full-width letters and digits fold to ASCII, punctuation and spaces vanish, so
    杭州某某（集团）有限公司 contains 集团有限 and ``ABC`` matches ``abc``.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if unicodedata.category(c)[0] in "LN")


def encode_char(char: str) -> str:
    """Five lowercase letters for one character (base 26 of its code point)."""
    n = ord(char)
    letters = []
    for _ in range(5):
        n, digit = divmod(n, 26)
        letters.append(_LETTERS[digit])
    return "".join(reversed(letters))


def bigram_tokens(normalized: str) -> list[str]:
    """The encoded bigrams of an already normalized string, in order."""
    codes = [encode_char(c) for c in normalized]
    return [a + b for a, b in pairwise(codes)]


def split_terms(query: str) -> list[str]:
    """The normalized terms of a free-text query (split on whitespace, empty ones dropped)."""
    return [term for part in query.split() if (term := normalize(part))]
