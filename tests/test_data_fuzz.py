"""Fuzzing the CSV reader: random bytes and random quoting.

Whatever the bytes, :func:`read_observations` returns a tidy table or raises the
toolkit's own error (a :class:`LearningCityError`, with a problems table for a
:class:`DataValidationError`), never another exception. A file written by the csv
module with any quoting, delimiter, line ending and notes full of quotes, delimiters
and line breaks reads back the values and notes written, unless a note holds a line
that looks like a row of the table (the documented rule against stray quotes), which
is then the one error reported, at the line where that note starts.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
import unicodedata
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import learningcity.data as data
from learningcity.data import DataValidationError, known_source_ids, read_observations
from learningcity.errors import LearningCityError
from learningcity.indicators import TIDY_COLUMNS
from learningcity.numbers import NumberFormatError, parse_number, parse_numbers

COLUMNS = ["unit_code", "unit_name", "level", "year", "indicator", "value", "qualifier"]
COLUMNS += ["source_id", "note"]
HEADER = ",".join(COLUMNS)
SOURCES = known_source_ids()
# Units whose code and name hold in every year used below (before the 2025 reform).
UNITS = [
    ("01", "Hà Nội", "province"),
    ("15", "Yên Bái", "province"),
    ("133", "Nghĩa Lộ", "district"),
]
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_path(path: Path, **kw) -> pd.DataFrame:
    try:
        return read_observations(path, sources=SOURCES, **kw)
    except DataValidationError as exc:
        found = exc.problems
        assert list(found.columns) == data.PROBLEM_COLUMNS
        assert len(found) and set(found["file"]) <= {str(path)}
        assert (found["row"] >= 0).all()
        raise


def read(content: bytes, **kw) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(content)
        return read_path(path, **kw)


def check_table(obs: pd.DataFrame) -> None:
    assert list(obs.columns) == TIDY_COLUMNS
    assert obs["year"].dtype == "int64" and obs["value"].dtype == float


def outcome(path: Path, **kw) -> pd.DataFrame | LearningCityError:
    try:
        return read_path(path, **kw)
    except LearningCityError as exc:
        return exc


def read_any(content: bytes) -> None:
    """Read; only a table or a LearningCityError may come out, and pandas' C reader
    and the csv module alone come to the same (compared without the validation)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(content)
        result = outcome(path)
        if isinstance(result, pd.DataFrame):
            check_table(result)
        fast = outcome(path, validate=False)
        with mock.patch.object(data, "_pandas_columns", return_value=None):
            slow = outcome(path, validate=False)
    if isinstance(fast, pd.DataFrame):
        assert isinstance(slow, pd.DataFrame), slow
        pd.testing.assert_frame_equal(slow, fast)
    else:
        assert type(slow) is type(fast) and str(slow) == str(fast)


csvish = st.text(alphabet=',;"\n\r 0123456789.%aêễ\ufeff\x00', max_size=200)


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=300),
        csvish.map(lambda t: t.encode("utf-8", errors="surrogatepass")),
    ),
    header=st.sampled_from(
        [b"", (HEADER + "\n").encode(), (HEADER.replace(",", ";") + "\n").encode()]
    ),
)
def test_random_bytes_give_a_table_or_the_toolkits_error(body, header):
    read_any(header + body)


# --- round trip ---------------------------------------------------------------------

note_text = st.text(alphabet='abcdêễộư ,;"\n\r%-0123456789\t', max_size=60)
row = st.tuples(
    st.sampled_from(UNITS),
    st.integers(min_value=2000, max_value=2024),
    st.sampled_from(["population", "poverty_rate"]),
    st.integers(min_value=0, max_value=1000),
    note_text,
)


def breaks(text: str) -> int:
    return len(re.findall(r"\r\n|\r|\n", text))


def write_table(rows, delimiter, quoting, terminator, mark, bom) -> tuple[bytes, list[dict]]:
    """The CSV text and, for each row, what reading it must give."""
    buffer = io.StringIO(newline="")
    # The csv module quotes a field holding a character of the line terminator only: with
    # "\n" a note's "\r" would be written bare, a line break for every reader. Write "\r\n"
    # and turn every "\r\n" into "\n" after (notes are compared with whitespace collapsed).
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    wanted, line = [], 2
    for (code, name, level), year, indicator, number, note in rows:
        if indicator == "population":
            text, value = str(number * 37), float(number * 37)
        else:  # a share with one decimal, written with the file's decimal mark
            text, value = f"{number / 10:.1f}".replace(".", mark), round(number / 10, 1)
        record = [code, name, level, year, indicator, text, "", "gso-census-2019", note]
        writer.writerow(record)
        wanted.append({"line": line, "code": code, "year": year, "value": value, "note": note})
        line += 1 + breaks(delimiter.join(map(str, record)))
    text = buffer.getvalue() if terminator == "\r\n" else buffer.getvalue().replace("\r\n", "\n")
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8"), wanted


def looks_like_rows(note: str, delimiter: str) -> bool:
    # The reader's rule: a line inside a quoted field with at least half the header's
    # delimiters (9 columns: 8, so 4) looks like a row.
    return any(piece.count(delimiter) >= 4 for piece in re.split(r"\r\n|\r|\n", note)[1:])


tables = st.fixed_dictionaries(
    {
        "rows": st.lists(row, min_size=1, max_size=8, unique_by=lambda r: (r[0], r[1], r[2])),
        "delimiter": st.sampled_from([",", ";"]),
        "quoting": st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
        "terminator": st.sampled_from(["\n", "\r\n"]),
        "mark": st.sampled_from([".", ","]),
        "bom": st.booleans(),
    }
)


@FUZZ
@given(table=tables)
def test_quoted_notes_and_values_round_trip(table):
    content, wanted = write_table(**table)
    swallowing = [w for w in wanted if looks_like_rows(w["note"], table["delimiter"])]
    if swallowing:
        with pytest.raises(DataValidationError) as info:
            read(content)
        found = info.value.problems
        assert found["row"].tolist() == [swallowing[0]["line"]]
        assert "look like rows" in found.loc[0, "expected"]
        return
    obs = read(content)
    assert len(obs) == len(wanted)
    assert obs["unit_code"].tolist() == [w["code"] for w in wanted]
    assert obs["year"].tolist() == [w["year"] for w in wanted]
    assert obs["value"].tolist() == [w["value"] for w in wanted]
    # Notes come back in NFC with runs of whitespace (line breaks too) as one space.
    assert obs["note"].tolist() == [" ".join(w["note"].split()) for w in wanted]
    # pandas' C reader and the csv module alone read the same table (parsing only).
    fast = read(content, validate=False)
    with mock.patch.object(data, "_pandas_columns", return_value=None):
        pd.testing.assert_frame_equal(read(content, validate=False), fast)
    pd.testing.assert_frame_equal(fast, obs)


@FUZZ
@given(table=tables, spots=st.lists(st.floats(0, 1), min_size=1, max_size=3))
def test_stray_quotes_anywhere_give_a_table_or_a_message(table, spots):
    content, _ = write_table(**table)
    text = content.decode("utf-8")
    for spot in spots:
        at = int(spot * len(text))
        text = text[:at] + '"' + text[at:]
    read_any(text.encode("utf-8"))


def test_the_rows_line_is_named_after_a_note_on_several_lines():
    # A worked case of the rule above, by hand: lines 2-3 hold one note, line 4 a row.
    content = (
        HEADER + "\n"
        '15,Yên Bái,province,2020,population,1,,gso-census-2019,"a\nb, c"\n'
        "15,Yên Bái,province,2020,poverty_rate,101,,gso-census-2019,\n"
    ).encode()
    with pytest.raises(DataValidationError) as info:
        read(content)
    assert info.value.problems[["row", "column"]].values.tolist() == [[4, "value"]]


# --- numbers ------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(st.text(alphabet="0123456789.,+- %\u00a0", max_size=12), max_size=20),
    decimal=st.sampled_from([None, ",", "."]),
)
def test_parse_numbers_agrees_with_parse_number(texts, decimal):
    values, errors = parse_numbers(texts, decimal=decimal)
    for i, text in enumerate(texts):
        try:
            one = parse_number(text, decimal=decimal)
        except NumberFormatError as exc:
            assert errors[i] == str(exc)
            assert math.isnan(values[i])
        else:
            assert i not in errors
            assert values[i] == one or (math.isnan(values[i]) and math.isnan(one))
            assert math.copysign(1, values[i]) == math.copysign(1, one)


def test_nfc_of_names_in_fuzzed_files_is_kept():
    # The round trip above compares notes after whitespace collapsing; names are NFC too.
    name = unicodedata.normalize("NFD", "Nghĩa Lộ")
    content = f"{HEADER}\n133,{name},district,2020,population,68206,,gso-census-2019,\n"
    assert read(content.encode())["unit_name"].tolist() == ["Nghĩa Lộ"]
