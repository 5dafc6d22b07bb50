"""Report text in gettext catalogs (Babel): complete, in step with the code, and used.

The catalogs are what a translator edits; these tests are what keeps them honest:
every message the code marks is in the template and translated, no translation
drops or invents a ``{placeholder}``, and a change to the ``.po`` file reaches the
report text without any change of code. Numbers and dates come from Babel's
locale data and read as they did when the rules were hand-written.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from learningcity import i18n
from learningcity.errors import UsageError
from learningcity.numbers import format_number
from learningcity.reports import sections

ROOT = Path(__file__).resolve().parents[1]
POT = i18n.LOCALE_DIR / "learningcity.pot"
VI_PO = i18n.LOCALE_DIR / "vi" / "LC_MESSAGES" / "learningcity.po"
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _extracted() -> set[str]:
    """What ``make messages`` would extract from the package now."""
    found = extract_from_dir(
        ROOT / "src" / "learningcity",
        method_map=[("**.py", "python")],
        keywords={"N_": None, "gettext": None},
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str) and message}


def _read(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def test_template_is_in_step_with_the_code():
    in_code = _extracted()
    in_pot = {m.id for m in _read(POT) if m.id}
    assert in_code - in_pot == set(), "run `make messages`: messages missing from the .pot"
    assert in_pot - in_code == set(), "run `make messages`: the .pot has messages no code uses"
    assert len(in_code) > 150  # the reports' sentences, headings, labels and figure texts


def test_every_message_is_translated_into_vietnamese_with_its_placeholders():
    pot_ids = {m.id for m in _read(POT) if m.id}
    vi = _read(VI_PO)
    problems = []
    for m in vi:
        if not m.id:
            continue
        if not m.string:
            problems.append(f"untranslated: {m.id!r}")
        elif m.fuzzy:
            problems.append(f"fuzzy (check and confirm): {m.id!r}")
        elif sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string)):
            # {total} of the cluster sentence is the one Vietnamese adds (how many
            # provinces were grouped); English leaves it out. Anything else is a slip.
            extra = set(PLACEHOLDER.findall(m.string)) - set(PLACEHOLDER.findall(m.id))
            missing = set(PLACEHOLDER.findall(m.id)) - set(PLACEHOLDER.findall(m.string))
            if missing or extra - {"total"}:
                problems.append(f"placeholders differ: {m.id!r} -> {m.string!r}")
    assert problems == []
    assert {m.id for m in vi if m.id} == pot_ids
    assert list(vi.obsolete) == []


def test_reports_read_the_catalog_and_english_is_the_code():
    assert sections.tr("title", "vi", unit="Nghĩa Lộ") == (
        "# Mức độ sẵn sàng trở thành thành phố học tập: Nghĩa Lộ"
    )
    assert sections.tr("title", "en", unit="Nghĩa Lộ") == (
        "# Readiness to become a learning city: Nghĩa Lộ"
    )
    assert sections.tr("none", "vi") == "Không có."
    assert i18n.gettext("a sentence no catalog has", "vi") == "a sentence no catalog has"
    with pytest.raises(UsageError, match="lang: expected 'vi' or 'en', got 'fr'"):
        i18n.gettext("Score", "fr")


def test_a_translator_changes_a_report_by_editing_the_po_file(tmp_path, monkeypatch):
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    po = locale / "vi" / "LC_MESSAGES" / "learningcity.po"
    text = po.read_text(encoding="utf-8")
    old = 'msgid "None."\nmsgstr "Không có."'
    assert old in text
    po.write_text(text.replace(old, 'msgid "None."\nmsgstr "Chưa có."'), encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    i18n.catalog.cache_clear()
    try:
        assert sections.tr("none", "vi") == "Chưa có."
        # A fuzzy entry (what `pybabel update` leaves when the English changed) is not used.
        fuzzy = po.read_text(encoding="utf-8").replace('msgid "None."', '#, fuzzy\nmsgid "None."')
        po.write_text(fuzzy, encoding="utf-8")
        i18n.catalog.cache_clear()
        assert sections.tr("none", "vi") == "None."
    finally:
        monkeypatch.undo()
        i18n.catalog.cache_clear()


def _reference_number(x: float, lang: str, decimals: int | None) -> str:
    """The hand-written rule the reports used before Babel: Python's grouping, marks swapped."""
    places = 6 if decimals is None else decimals
    text = f"{x:,.{places}f}"
    if decimals is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]
    if lang == "vi":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text


@given(
    x=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
    | st.integers(min_value=-(10**12), max_value=10**12),
    lang=st.sampled_from(["vi", "en"]),
    decimals=st.none() | st.integers(min_value=0, max_value=4),
)
def test_babel_numbers_read_as_the_hand_written_rule_did(x, lang, decimals):
    assert format_number(x, lang, decimals) == _reference_number(x, lang, decimals)


@pytest.mark.parametrize(
    ("x", "lang", "decimals", "expected"),
    [
        (1234567.891, "vi", 2, "1.234.567,89"),
        (1234567.891, "en", 2, "1,234,567.89"),
        (821030, "vi", None, "821.030"),
        (95.8, "vi", 1, "95,8"),
        (2.675, "en", 2, "2.67"),  # 2.675 is 2.67499… in binary: rounds down, as Python does
        (-0.04, "vi", 1, "0,0"),  # no negative zero
        (0.25, "en", 1, "0.2"),  # half to even
    ],
)
def test_numbers_by_hand(x, lang, decimals, expected):
    assert format_number(x, lang, decimals) == expected
    assert math.isnan(float("nan")) and format_number(float("nan"), lang) == "–"


def test_dates_from_babel_locale_data():
    day = dt.date(2026, 12, 2)
    assert i18n.format_date(day, "vi") == "02/12/2026"
    assert i18n.format_date(day, "en") == "02 December 2026"
    assert i18n.format_date("2025-07-01", "vi", "short") == "1/7/2025"
    assert i18n.format_date("2025-07-01", "en", "short") == "1 July 2025"
    # The month's name does not depend on the machine's locale, as strftime's %B does.
    for month in range(1, 13):
        d = dt.date(2026, month, 9)
        assert i18n.format_date(d, "en") == f"09 {d.strftime('%B')} 2026"  # C locale here
    with pytest.raises(UsageError, match="style"):
        i18n.format_date(day, "vi", "medium")
