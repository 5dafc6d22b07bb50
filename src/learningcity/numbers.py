"""Numbers written the Vietnamese way ("95,8", "1.234.567", "95,8 %") or the English way.

Vietnamese writes a decimal comma and groups thousands with dots; English the
reverse. Most strings say which by themselves:

============== ========== =============================================
text           value      why
============== ========== =============================================
``95,8``       95.8       one comma not followed by exactly 3 digits
``1.234.567``  1234567    several dots: thousands groups
``1.234,5``    1234.5     both marks: the last one is the decimal mark
``1,234.5``    1234.5     same, English
``95.8``       95.8       one dot not followed by exactly 3 digits
``0,234``      0.234      a group never starts with 0
``1.234``      ambiguous  1234 (Vietnamese) or 1.234 (English)
============== ========== =============================================

Policy for the ambiguous case (one mark followed by exactly three digits):
the caller says which mark is the decimal one (``decimal=","`` or ``"."``),
typically the convention of the whole file or column, which
:func:`infer_decimal` reads from the unambiguous numbers it holds. Without a
convention the string is rejected with a message saying how to write it.
Spaces (also non-breaking) may group thousands; a trailing ``%`` is dropped
(``"95,8 %"`` is 95.8, a percentage, not 0.958).

Examples
--------
>>> parse_number("95,8 %")
95.8
>>> parse_number("1.234", decimal=",")
1234.0
>>> format_number(1234.5, "vi")
'1.234,5'
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Iterable, Sequence

import numpy as np
from babel.numbers import format_decimal

from learningcity.errors import LearningCityError
from learningcity.text import fold, nfc

__all__ = [
    "NumberFormatError",
    "decimal_evidence",
    "format_number",
    "infer_decimal",
    "parse_number",
    "parse_numbers",
    "split_qualifier",
]

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_SHAPE = re.compile(r"^[+-]?[0-9][0-9.,]*$|^[+-]?[.,][0-9]+$")
_GROUPED = re.compile(r"^[1-9][0-9]{0,2}(?:X[0-9]{3})+$")  # X = the grouping mark
# Fast paths of parse_numbers: "821030", "-3" and "95,8" / "95.8" (one mark, no spaces).
_PLAIN = re.compile(r"[+-]?[0-9]+")
_ONE_MARK = re.compile(r"([+-]?)([0-9]+)([.,])([0-9]+)")


# Words and signs before a number that make it a bound or an approximation,
# folded (no diacritics): "trên 99%" (above), "dưới 5" (below), "khoảng 50" (about).
_QUALIFIER_WORDS = {
    ">": ">",
    "<": "<",
    "~": "~",
    "≈": "~",
    "tren": ">",
    "hon": ">",
    "duoi": "<",
    "khoang": "~",
    "xap xi": "~",
    "gan": "~",
    "above": ">",
    "over": ">",
    "below": "<",
    "under": "<",
    "about": "~",
}
_QUALIFIER_RE = re.compile(
    r"^\s*(" + "|".join(sorted(map(re.escape, _QUALIFIER_WORDS), key=len, reverse=True)) + r")"
    r"(?=[\s0-9+\-.,])\s*"
)


class NumberFormatError(LearningCityError, ValueError):
    """A string that is not a number, or whose decimal mark cannot be told."""


def _is_grouped(digits: str, mark: str) -> bool:
    return bool(_GROUPED.match(digits.replace(mark, "X")))


def _ambiguous(body: str) -> bool:
    """One mark, exactly three digits after it, a valid thousands group before it."""
    marks = [c for c in body if c in ".,"]
    return len(marks) == 1 and _is_grouped(body, marks[0])


def parse_number(text: object, decimal: str | None = None) -> float:
    """Parse one number written the Vietnamese or the English way.

    Parameters
    ----------
    text : str or number
        ``"95,8"``, ``"1.234.567"``, ``"1.234,5"``, ``"95,8 %"``, ``"-3"``, …
        Numbers are returned as floats; ``""`` and ``None`` give NaN.
    decimal : {None, ",", "."}
        The decimal mark of the file or column. ``None`` (default) accepts
        every unambiguous form and rejects ``"1.234"``/``"1,234"``; ``","``
        reads Vietnamese numbers only and ``"."`` English ones only.

    Returns
    -------
    float

    Raises
    ------
    NumberFormatError
        Not a number, or ambiguous without ``decimal``, or against the given
        convention; the message says what was expected.

    Examples
    --------
    >>> parse_number("1.234.567"), parse_number("1,234.5"), parse_number("0,234")
    (1234567.0, 1234.5, 0.234)
    >>> parse_number("1.234")
    Traceback (most recent call last):
    ...
    learningcity.numbers.NumberFormatError: '1.234' is ambiguous: ...
    """
    if decimal not in (None, ",", "."):
        raise ValueError(f"decimal must be None, ',' or '.', not {decimal!r}")
    if text is None:
        return math.nan
    if isinstance(text, bool):
        raise NumberFormatError(f"{text!r} is not a number")
    if isinstance(text, int | float):
        return float(text)
    raw = str(text)
    body = _SPACES.sub("", raw)
    if body.endswith("%"):
        body = body[:-1]
    if body == "":
        return math.nan
    if not _SHAPE.match(body):
        raise NumberFormatError(
            f"{raw!r} is not a number (expected digits with ',' or '.' marks, e.g. 95,8 or 1.234)"
        )
    sign = -1.0 if body.startswith("-") else 1.0
    body = body.lstrip("+-")
    has_comma, has_dot = "," in body, "." in body
    group = {",": ".", ".": ","}
    if decimal is None:
        if has_comma and has_dot:
            decimal = "," if body.rfind(",") > body.rfind(".") else "."
        elif has_comma or has_dot:
            mark = "," if has_comma else "."
            if body.count(mark) > 1:
                decimal = group[mark]  # only thousands groups can repeat
            elif _ambiguous(body):
                other = group[mark]
                raise NumberFormatError(
                    f"{raw!r} is ambiguous: {body.replace(mark, '')} if {mark!r} groups "
                    f"thousands (Vietnamese) or {body.replace(mark, '.')} if it is a decimal "
                    f"mark (English). Write it as {body.replace(mark, '')} or "
                    f"{body}{other}0, or give the file's decimal mark."
                )
            else:
                decimal = mark
        else:
            decimal = "."
    sep = group[decimal]
    whole, _, frac = body.partition(decimal)
    if decimal in frac or sep in frac:
        raise NumberFormatError(
            f"{raw!r} is not a number with decimal mark {decimal!r} "
            f"(expected at most one {decimal!r}, after any {sep!r} thousands groups)"
        )
    if sep in whole and not _is_grouped(whole, sep):
        raise NumberFormatError(
            f"{raw!r}: {sep!r} must group thousands in threes when {decimal!r} is the "
            f"decimal mark (e.g. {'1.234,5' if decimal == ',' else '1,234.5'})"
        )
    digits = whole.replace(sep, "") or "0"
    if not digits.isdigit() or (frac and not frac.isdigit()):
        raise NumberFormatError(f"{raw!r} is not a number")
    return sign * float(f"{digits}.{frac or '0'}")


def split_qualifier(text: str) -> tuple[str, str]:
    """Split a leading bound or approximation word off a number.

    Returns the qualifier of the tidy table (``">"``, ``"<"``, ``"~"`` or
    ``""``) and the rest of the text.

    Examples
    --------
    >>> split_qualifier("trên 99%")
    ('>', '99%')
    >>> split_qualifier("khoảng 50")
    ('~', '50')
    >>> split_qualifier("95,8")
    ('', '95,8')
    """
    key = fold(text)
    match = _QUALIFIER_RE.match(key)
    if not match:
        return "", text
    # fold() keeps the length of Vietnamese letters, so the cut applies to the original.
    rest = nfc(text)[match.end() :] if len(key) == len(nfc(text)) else key[match.end() :]
    return _QUALIFIER_WORDS[match.group(1)], rest.strip()


def decimal_evidence(value: object) -> str | None:
    """Return the decimal mark one string proves its writer uses, or None.

    ``"95,8"`` proves ``","``, ``"1.234.567"`` (only thousands groups repeat)
    proves ``","`` too, ``"1,234.5"`` proves ``"."``; ``"1.234"``, ``"12"``
    and anything that is not a number prove nothing.

    Examples
    --------
    >>> decimal_evidence("95,8"), decimal_evidence("1.234.567"), decimal_evidence("1,234.5")
    (',', ',', '.')
    >>> decimal_evidence("1.234") is None, decimal_evidence("12") is None
    (True, True)
    """
    if not isinstance(value, str) or ("," not in value and "." not in value):
        return None
    body = _SPACES.sub("", value).rstrip("%").lstrip("+-")
    if not body or not _SHAPE.match(body) or _ambiguous(body):
        return None
    has_comma, has_dot = "," in body, "." in body
    if has_comma and has_dot:
        return "," if body.rfind(",") > body.rfind(".") else "."
    if has_comma:
        return "." if body.count(",") > 1 else ","
    return "," if body.count(".") > 1 else "."


def infer_decimal(values: Iterable[object]) -> str | None:
    """Return the decimal mark the unambiguous numbers of a column or file use.

    Returns ``","`` or ``"."`` when the evidence points one way, ``None`` when
    there is none or it is contradictory (then ambiguous strings stay errors).

    Examples
    --------
    >>> infer_decimal(["95,8", "1.234", "12"])
    ','
    >>> infer_decimal(["1.234", "7"]) is None
    True
    """
    seen = {decimal_evidence(v) for v in values} - {None}
    return seen.pop() if len(seen) == 1 else None


def parse_numbers(
    texts: Sequence[object], decimal: str | None = None
) -> tuple[np.ndarray, dict[int, str]]:
    """Parse many numbers at once, as :func:`parse_number` would one by one.

    Plain integers and numbers with one unambiguous mark take a fast path;
    everything else goes through :func:`parse_number`. Call it on the distinct
    strings of a column: the work is per string, not per cell.

    Parameters
    ----------
    texts : sequence of str or number
        The strings (numbers pass through, ``None`` and blanks give NaN).
    decimal : {None, ",", "."}
        As for :func:`parse_number`.

    Returns
    -------
    values : ndarray of float
        NaN where the text is blank or not a number.
    errors : dict
        ``{position: message}`` of the texts that are not numbers.

    Examples
    --------
    >>> values, errors = parse_numbers(["12", "95,8", "1.234", "abc"], decimal=",")
    >>> values.tolist()[:3], sorted(errors)
    ([12.0, 95.8, 1234.0], [3])
    """
    if decimal not in (None, ",", "."):
        raise ValueError(f"decimal must be None, ',' or '.', not {decimal!r}")
    out = np.full(len(texts), np.nan)
    errors: dict[int, str] = {}
    for i, text in enumerate(texts):
        if isinstance(text, str):
            if _PLAIN.fullmatch(text):
                out[i] = float(text)
                continue
            m = _ONE_MARK.fullmatch(text)
            if m and (
                m[3] == decimal or (decimal is None and not _ambiguous(f"{m[2]}{m[3]}{m[4]}"))
            ):
                out[i] = float(f"{m[1]}{m[2]}.{m[4]}")
                continue
        try:
            out[i] = parse_number(text, decimal=decimal)
        except NumberFormatError as exc:
            errors[i] = str(exc)
    return out, errors


def format_number(
    x: float | None, lang: str = "vi", decimals: int | None = None, na: str = "–"
) -> str:
    """Format a number for a report: ``vi`` 1.234,5 ; ``en`` 1,234.5.

    The marks come from Babel's locale data (CLDR) for ``vi`` and ``en``.

    Parameters
    ----------
    x : float
        The number (NaN or None gives ``na``).
    lang : {"vi", "en"}
        Vietnamese (decimal comma, dot groups) or English.
    decimals : int, optional
        Digits after the mark; by default as few as needed (at most 6).
    na : str
        Text for a missing value.

    Examples
    --------
    >>> format_number(1234567.891, "vi", 2), format_number(1234567.891, "en", 2)
    ('1.234.567,89', '1,234,567.89')
    >>> format_number(95.8, "vi"), format_number(float("nan"))
    ('95,8', '–')
    """
    if lang not in ("vi", "en"):
        raise ValueError(f"lang must be 'vi' or 'en', not {lang!r}")
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return na
    places = 6 if decimals is None else decimals
    # Decimal(x) is the float's exact value, so Babel's half-even rounding lands where
    # Python's own formatting does (2.675 -> 2.67, as stored in binary).
    if isinstance(x, int):
        exact: decimal.Decimal | float = decimal.Decimal(x)
    else:
        exact = decimal.Decimal(float(x)) if math.isfinite(x) else float(x)
    text = format_decimal(exact, _pattern(places, decimals is None), locale=lang)
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = text[1:]  # no "-0,0"
    return text


def _pattern(places: int, trim: bool) -> str:
    """A CLDR number pattern: grouped, ``places`` decimals (optional ones when trimmed)."""
    return "#,##0" + ("." + ("#" if trim else "0") * places if places else "")
