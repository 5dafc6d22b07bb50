"""Numbers written the Vietnamese and the English way."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learningcity.numbers import (
    NumberFormatError,
    format_number,
    infer_decimal,
    parse_number,
    split_qualifier,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("95,8", 95.8),
        ("95,8 %", 95.8),
        ("95,8%", 95.8),
        ("1.234.567", 1234567.0),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("1,234,567", 1234567.0),
        ("95.8", 95.8),
        ("0,234", 0.234),
        ("1234,567", 1234.567),  # four digits before the mark cannot be a group
        ("1 234 567", 1234567.0),
        ("1\u00a0234,5", 1234.5),
        ("-3,5", -3.5),
        ("+12", 12.0),
        ("  99  ", 99.0),
        ("821030", 821030.0),
    ],
)
def test_unambiguous_numbers(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "   ", None, "%"])
def test_blank_is_missing(text):
    assert math.isnan(parse_number(text))


@pytest.mark.parametrize("text", ["1.234", "1,234", "12.345", "-999,000"])
def test_ambiguous_numbers_are_rejected_with_advice(text):
    with pytest.raises(NumberFormatError, match="ambiguous") as info:
        parse_number(text)
    assert "decimal mark" in str(info.value)


@pytest.mark.parametrize(
    ("text", "decimal", "value"),
    [
        ("1.234", ",", 1234.0),
        ("1.234", ".", 1.234),
        ("1,234", ",", 1.234),
        ("1,234", ".", 1234.0),
        ("12.345.678,9", ",", 12345678.9),
        ("12,345,678.9", ".", 12345678.9),
    ],
)
def test_ambiguous_numbers_with_a_convention(text, decimal, value):
    assert parse_number(text, decimal=decimal) == value


@pytest.mark.parametrize(
    ("text", "decimal"),
    [
        ("abc", None),
        ("12a", None),
        ("1.2.3,4,5", None),
        ("1,2.3", None),  # ',' is not a valid thousands group here
        ("95.8", ","),  # English decimal in a Vietnamese file
        ("1,234.5", ","),
        ("1.23.456", None),
        ("True", None),
    ],
)
def test_malformed_numbers(text, decimal):
    with pytest.raises(NumberFormatError):
        parse_number(text, decimal=decimal)


def test_numbers_pass_through():
    assert parse_number(3) == 3.0
    assert parse_number(2.5) == 2.5


def test_infer_decimal_from_a_column():
    assert infer_decimal(["1.234", "95,8"]) == ","
    assert infer_decimal(["1.234", "1,234,567"]) == "."
    assert infer_decimal(["1.234", "2.345"]) is None
    assert infer_decimal(["95,8", "95.8"]) is None  # contradictory
    assert infer_decimal([12.5, None, ""]) is None


@pytest.mark.parametrize(
    ("x", "lang", "decimals", "text"),
    [
        (1234.5, "vi", None, "1.234,5"),
        (1234.5, "en", None, "1,234.5"),
        (821030, "vi", 0, "821.030"),
        (0.5, "vi", 2, "0,50"),
        (-1234567.0, "en", 1, "-1,234,567.0"),
        (-0.001, "vi", 1, "0,0"),
        (float("nan"), "vi", 1, "–"),
    ],
)
def test_format_number(x, lang, decimals, text):
    assert format_number(x, lang, decimals) == text


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)


@given(finite, st.sampled_from(["vi", "en"]), st.integers(min_value=0, max_value=4))
def test_format_then_parse_round_trip(x, lang, decimals):
    text = format_number(x, lang, decimals)
    mark = "," if lang == "vi" else "."
    assert parse_number(text, decimal=mark) == pytest.approx(round(x, decimals), abs=1e-9)


@given(finite, st.sampled_from(["vi", "en"]), st.integers(min_value=1, max_value=4))
def test_formatted_decimals_parse_without_a_convention_unless_ambiguous(x, lang, decimals):
    text = format_number(x, lang, decimals)
    try:
        got = parse_number(text)
    except NumberFormatError as exc:
        # Only "d.ddd"-shaped strings (one mark then three digits) may be refused.
        assert "ambiguous" in str(exc)
        assert decimals == 3 and abs(x) < 999.9995
    else:
        assert got == pytest.approx(round(x, decimals), abs=1e-9)


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from([",", "."]))
def test_grouped_integers_parse_under_their_convention(n, decimal):
    sep = "." if decimal == "," else ","
    text = f"{n:,}".replace(",", sep)
    assert parse_number(text, decimal=decimal) == n


@given(st.text(max_size=12))
def test_parse_never_crashes_with_anything_but_a_clear_error(text):
    try:
        value = parse_number(text)
    except NumberFormatError:
        return
    assert isinstance(value, float)


@pytest.mark.parametrize(
    ("text", "qualifier", "rest"),
    [
        ("trên 99%", ">", "99%"),  # the seed article's "trên 99%"
        ("Trên 99 %", ">", "99 %"),
        ("hơn 4.600", ">", "4.600"),
        ("dưới 5", "<", "5"),
        ("khoảng 50", "~", "50"),
        ("xấp xỉ 1.234,5", "~", "1.234,5"),
        (">99", ">", "99"),
        ("~ 12", "~", "12"),
        ("95,8", "", "95,8"),
        ("khoảng", "", "khoảng"),  # a word alone is not a number with a qualifier
        ("hondo 5", "", "hondo 5"),
    ],
)
def test_split_qualifier(text, qualifier, rest):
    assert split_qualifier(text) == (qualifier, rest)
