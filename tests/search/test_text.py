"""Normalization and bigram tokens: the one definition of "the name contains the query"."""

from __future__ import annotations

import pytest

from sitegroup.search.documents import doc_key
from sitegroup.search.service import QueryError, parse_query
from sitegroup.search.text import bigram_tokens, encode_char, normalize, split_terms


def contains(name: str, query: str) -> bool:
    """Phrase semantics as both backends implement it: the query's bigrams, consecutively."""
    hay, needle = bigram_tokens(normalize(name)), bigram_tokens(normalize(query))
    return any(hay[i : i + len(needle)] == needle for i in range(len(hay) - len(needle) + 1))


def test_normalize_folds_width_case_and_punctuation() -> None:
    assert normalize("杭州某某（集团）有限公司") == "杭州某某集团有限公司"
    assert normalize("ＡＢＣ科技 Co., Ltd.") == "abc科技coltd"


def test_encoding_is_ascii_letters_and_injective() -> None:
    chars = ["中", "国", "a", "1", "𠀀", "\u3400"]
    codes = [encode_char(c) for c in chars]
    assert all(len(c) == 5 and c.isascii() and c.isalpha() and c.islower() for c in codes)
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize(
    ("name", "query", "found"),
    [
        ("中国农业发展银行", "农业", True),
        ("杭州某某科技有限公司", "科技", True),
        ("深圳市华为技术有限公司", "深圳市华为", True),
        ("深圳市腾讯计算机系统有限公司", "深圳市华为", False),
        ("华为深圳市分公司", "深圳市华为", False),
        ("深圳市华为技术有限公司", "华为深圳", False),
        ("杭州某某（集团）有限公司", "集团有限", True),
        ("ABC科技有限公司", "abc科技", True),
    ],
)
def test_substring_semantics(name: str, query: str, found: bool) -> None:
    assert contains(name, query) is found
    assert (normalize(query) in normalize(name)) is found


def test_terms_split_on_spaces() -> None:
    assert split_terms(" 杭州  科技 ") == ["杭州", "科技"]


def test_document_number_key_ignores_bracket_style() -> None:
    assert (
        doc_key("杭市监罚〔2026〕12号")
        == doc_key("杭市监罚(2026)12号")
        == doc_key(" 杭市监罚[2026]12号")
    )
    assert doc_key("杭市监罚〔2026〕12号") != doc_key("杭市监罚〔2026〕13号")


def test_parse_modes() -> None:
    assert parse_query("").mode == "browse"
    code = parse_query("91330106ma2h3x5k04")  # case-insensitive, exact
    assert code.mode == "code" and code.codes == ("91330106MA2H3X5K04",)
    text = parse_query("杭州 科技")
    assert text.mode == "text" and text.terms == ("杭州", "科技") and len(text.phrases) == 2
    with pytest.raises(QueryError, match="校验位"):
        parse_query("913301000000000001")


def test_too_many_terms_refused() -> None:
    with pytest.raises(QueryError, match="最多 10 个"):
        parse_query(" ".join(f"词{n}" for n in range(11)))


def test_days_outside_the_packed_range_are_clamped() -> None:
    from sitegroup.search.documents import index_doc
    from tests.store.factories import penalty

    old = index_doc(penalty(1, decided="1965-03-01"))
    assert old.day == 0 and old.rank > 0
