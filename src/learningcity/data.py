"""Observation files: read CSV or Excel (long or wide) into the tidy table, and validate.

The tidy table is the one of docs/conventions.md: ``unit_code, unit_name,
level, year, indicator, value, qualifier, source_id, note``.

Accepted shapes (column names are matched case-insensitively; ``source`` may
stand for ``source_id``, ``code`` for ``unit_code``, ``variable`` for
``indicator``):

* **long**: a ``value`` column, one row per value;
* **wide by year**: an ``indicator`` column and one column per year
  (headers ``2019``, ``2020``, …), one row per unit and indicator;
* **wide by indicator**: a ``year`` column and one column per variable or
  indicator id, one row per unit and year.

In the wide shapes ``source_id``, ``qualifier`` and ``note`` apply to the
whole row and an empty cell is no observation. In the long shape a row with
an empty value is kept as a missing value (NaN, e.g. "not published" in its
note), but rows whose ``year`` and value are both blank are skipped (e.g.
the unfilled lines of a collection template, where the unit may be pre-filled).

Vietnamese files: UTF-8 with or without BOM; ``;`` as column separator is
recognised; names are returned in NFC whatever the input; numbers may be
written "95,8", "1.234.567" or "95,8 %" (see :mod:`learningcity.numbers` for
the policy on "1.234"), and a leading "trên"/"hơn" (above), "dưới" (below),
"khoảng" (about) or ``>``, ``<``, ``~`` becomes the row's qualifier
("trên 99%" is 99 with qualifier ``>``). Codes of provinces, districts and communes that a
spreadsheet stored as numbers lose their leading zeros; they are padded to 2,
3 and 5 digits when the row's ``level`` says which.

The decimal mark of "1.234" is read per indicator: from the unambiguous
numbers of the same indicator ("12.345,6"), else, when the whole file's
numbers agree, from those ("1.234" libraries in a file writing "95,8" is
1234). A count variable (kind ``count`` in the framework: persons, schools,
libraries, …) whose value is then not a whole number is an error saying how
to write it: "821.030" persons beside shares written "57.48" is no 821.03
persons. A decimal mark given by the caller (``decimal=``) is taken as said.

CSV structure. A quoted field may span lines (a note on several lines) only
if it closes, and only if none of its lines looks like a row of the table,
that is holds at least half as many delimiters as the header and at least
two: otherwise a stray ``"`` has swallowed the rows after it, and the error
names the line where the quoted field opens. A quote never closed, or closed
in the middle of a cell (``"abc"def``), stops the reading with the same kind
of message; so does a value in a column without a header (a delimiter too
many, e.g. an unquoted 95,8 in a ``,``-separated file).

Columns. Every column must be known (the tidy columns, the aliases above and
the descriptive columns of the collection template: ``name_en``, ``name_vi``,
``unit_of_measure``, ``target``, ``valid_range``, ``used_for``, which are not
read): an unknown column is an error, suggesting the known name it resembles
(``qualifer``: did you mean ``qualifier``?), since a dropped column loses its
values ("trên 99 %" in a ``qualifer`` column would make an exact 99). In the
wide-by-indicator layout a column that is no near miss of a known name is an
indicator id, checked on every row.

Rows. A value that is only ``%`` (or any text that is no number) is an error,
an empty cell is a missing value. The year must lie between 1900 and the
current year. The unit code, name and level must agree with ``data/units``
for the row's year (codes were re-used after 1 July 2025, so ``15`` in 2025
may be Yên Bái or Lào Cai): names are compared without diacritics, case,
punctuation or prefixes ("TP. Yên Bái", "Thị xã Nghĩa Lộ", "Yen Bai city"),
a longer former name holding the whole name is accepted ("Thừa Thiên Huế"
for code 46, named "Huế" in the table), and an empty name is not checked.
A ``city`` is a city of ``data/units/cities.csv`` (``yen-bai``); a
``gnlc_city`` is checked only for its code being known (pass ``units=`` for
cities outside Viet Nam).

Every problem of a file (a bad number, a duplicated unit-year-indicator, a
value outside its variable's valid range, an unknown indicator, unit or
source) is collected and raised together as a :class:`DataValidationError`
whose ``problems`` table names the file, the row as the user sees it (CSV
line or spreadsheet row), the column, the value and what was expected.
Problems of the layout and structure (columns, quotes) are raised before
the rows are checked, whose checks would only repeat them.

Speed: a CSV file is parsed by pandas' C reader once the csv module (run
only when the file holds a quote) agrees on its records, and numbers, years,
codes and units are checked once per distinct value, so a million rows read
in seconds.

Examples
--------
>>> obs = read_observations(data_dir() / "observations" / "yen-bai.csv")
>>> obs.loc[obs["indicator"] == "literacy_learners", "value"].item()
2750.0
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import difflib
import math
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from learningcity.errors import LearningCityError, UsageError
from learningcity.indicators import TIDY_COLUMNS
from learningcity.numbers import (
    NumberFormatError,
    decimal_evidence,
    parse_number,
    parse_numbers,
    split_qualifier,
)
from learningcity.paths import data_dir
from learningcity.text import fold, nfc

if TYPE_CHECKING:
    from learningcity.framework import Framework

__all__ = [
    "LEVELS",
    "QUALIFIERS",
    "DataFileNotFoundError",
    "DataValidationError",
    "known_source_ids",
    "load_bundled_observations",
    "read_observation_files",
    "read_observations",
    "validate_observations",
]

#: Levels of a unit (docs/conventions.md).
LEVELS = ("province", "district", "commune", "city", "gnlc_city")
#: Qualifiers of a value: none, lower bound, upper bound, approximate.
QUALIFIERS = ("", ">", "<", "~")
PROBLEM_COLUMNS = ["file", "sheet", "row", "column", "value", "expected"]

_ALIASES = {"source": "source_id", "code": "unit_code", "variable": "indicator"}
_META = ["unit_code", "unit_name", "level", "year", "indicator", "qualifier", "source_id", "note"]
# Descriptive columns of the collection template, ignored on reading.
_IGNORED = {"name_en", "name_vi", "unit_of_measure", "target", "valid_range", "used_for"}
_YEAR = re.compile(r"^(19|20|21)\d\d$")
_CODE_WIDTH = {"province": 2, "district": 3, "commune": 5}
# Every column name the reader knows; anything else is reported, never dropped silently.
_KNOWN_COLUMNS = {*_META, "value", *_IGNORED}
#: Earliest year of an observation; the latest is the current year.
FIRST_YEAR = 1900
# Levels whose codes are looked up in data/units (units.csv, cities.csv).
_VN_LEVELS = ("province", "district", "commune")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_QUOTED = re.compile(r'"(?:[^"]++|"")*+"')  # possessive: no backtracking over a long field
# A cell that is plainly a number: no spaces, no words, no '%' (most cells of big files).
_PLAIN_VALUE = re.compile(r"[+-]?[0-9][0-9.,]*")
_YEAR_TEXT = re.compile(r"[0-9]{4}")


class DataFileNotFoundError(LearningCityError, FileNotFoundError):
    """A data file that does not exist (the message names it)."""


def _this_year() -> int:
    return dt.date.today().year


class DataValidationError(LearningCityError):
    """A data file with problems; ``problems`` lists them all.

    ``problems`` is a DataFrame with columns ``file, sheet, row, column,
    value, expected`` (``sheet`` is empty for CSV files; ``row`` is the CSV
    line or spreadsheet row number, 1 = the header).
    """

    #: Problems written into the message; ``problems`` holds them all.
    SHOWN = 30

    def __init__(self, problems: pd.DataFrame):
        self.problems = problems.reset_index(drop=True)
        files = ", ".join(dict.fromkeys(self.problems["file"].astype(str)))
        lines = [f"{files}: {len(self.problems)} problem(s)"]
        for p in self.problems.head(self.SHOWN).itertuples():
            where = f"sheet {p.sheet!r} row {p.row}" if p.sheet else f"line {p.row}"
            where = where if p.row else f"sheet {p.sheet!r}"  # row 0: the sheet as a whole
            lines.append(f"  {where}, column {p.column!r}: got {p.value!r}; {p.expected}")
        if len(self.problems) > self.SHOWN:
            lines.append(f"  … and {len(self.problems) - self.SHOWN} more (all in .problems)")
        super().__init__("\n".join(lines))


def known_source_ids(path: str | Path | None = None) -> set[str]:
    """The ``source_id`` values of ``data/sources.csv`` (or another sources file).

    Examples
    --------
    >>> "gso-census-2019" in known_source_ids()
    True
    """
    path = Path(path) if path is not None else data_dir() / "sources.csv"
    if not path.is_file():
        raise UsageError(f"sources file not found: {path}")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: the sources file is not UTF-8 text") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UsageError(f"{path}: the sources file is not a readable CSV ({exc})") from None
    if "source_id" not in table.columns:
        found = ", ".join(map(str, table.columns)) or "none"
        raise UsageError(f"{path}: the sources file has no 'source_id' column (found: {found})")
    return set(table["source_id"].map(nfc))


# --- reading --------------------------------------------------------------------------


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataValidationError(
            pd.DataFrame(
                [
                    [
                        str(path),
                        "",
                        line,
                        "",
                        repr(raw[exc.start : exc.start + 4]),
                        "UTF-8 text (save the file as 'CSV UTF-8'; Windows-1258 and "
                        "TCVN3 encodings are not read)",
                    ]
                ],
                columns=PROBLEM_COLUMNS,
            )
        ) from None


class _Block(NamedTuple):
    """One table of a file (a CSV file, a sheet) by columns: what every layout is read from.

    ``codes[j]`` holds the cells of position ``j`` of the body rows as indices
    into ``uniques[j]``, the distinct cell values (text, or a spreadsheet's
    numbers); -1 is an empty cell. ``texts[j]`` is the NFC text of each
    distinct value plus a last ``""`` for code -1 (see :func:`_text_uniques`).
    ``rows`` are the body rows' line or row numbers.
    """

    sheet: str
    header_row: int
    header: list[str]
    rows: np.ndarray
    codes: list[np.ndarray]
    uniques: list[np.ndarray]
    texts: list[np.ndarray]


class _Scan(NamedTuple):
    """What the csv module saw of a file: the reference for rows and line numbers."""

    records: int
    width: int
    # (record index, first line, last line, fields) of each record spanning lines
    multi: list[tuple[int, int, int, list[str]]]


def _csv_blocks(path: Path) -> list[_Block]:
    """The file as one block; the first non-blank record is the header.

    The csv module (strict quoting) is the reference; pandas' C reader does
    the bulk of the work once the csv module, or the absence of quotes, says
    that it reads the same records.
    """
    try:
        lines, has_quote, first = _scan_bytes(path)
        head = _LINE_BREAK.split(first.decode("utf-8-sig", errors="replace"), maxsplit=1)[0]
        delimiter = ";" if head.count(";") > head.count(",") else ","
        # Without a quote every line is one record; with quotes the csv module decides.
        scan = _scan_records(path, delimiter) if has_quote else None
        expected = scan.records if scan else lines
        columns = _pandas_columns(path, delimiter, scan.width if scan else None, expected)
        if columns is None:  # rows of several widths (pandas wants the widest) or a disagreement
            scan = scan or _scan_records(path, delimiter)
            columns = _pandas_columns(path, delimiter, scan.width, scan.records)
            if columns is None:
                columns = _csv_columns(path, delimiter, scan.width)
    except UnicodeDecodeError:
        _decode(path)  # raises the DataValidationError naming the line
        raise
    n = len(columns[0]) if columns else 0
    starts = np.arange(1, n + 1, dtype=np.int64)
    if scan is not None and scan.multi:
        extra = np.zeros(n, dtype=np.int64)
        for index, first_line, last_line, _ in scan.multi:
            extra[index] = last_line - first_line
        starts[1:] += np.cumsum(extra)[:-1]
    factors = [pd.factorize(col) for col in columns]
    texts = [_text_uniques(uniques) for _, uniques in factors]
    filled = np.zeros(n, dtype=bool)
    for (codes, _), text in zip(factors, texts, strict=True):
        filled |= text[codes] != ""
    kept = np.flatnonzero(filled)
    if not len(kept):
        return [_Block("", 1, [], np.zeros(0, dtype=np.int64), [], [], [])]
    h, body = kept[0], kept[1:]
    block = _Block(
        "",
        int(starts[h]),
        [text[codes[h]] for (codes, _), text in zip(factors, texts, strict=True)],
        starts[body],
        [codes[body] for codes, _ in factors],
        [uniques for _, uniques in factors],
        texts,
    )
    if scan is not None and scan.multi:
        _check_spanning_fields(str(path), block, scan, delimiter)
    return [block]


def _scan_bytes(path: Path) -> tuple[int, bool, bytes]:
    """Physical lines as the csv module counts them (``\\n``, ``\\r\\n``, ``\\r``),
    whether a ``"`` occurs, and the first line; read in chunks, not held."""
    lines, quote, after_cr, last = 0, False, False, b""
    with path.open("rb") as f:
        first = f.readline(1 << 16)
        f.seek(0)
        while chunk := f.read(1 << 22):
            returns = chunk.count(b"\r")
            lines += chunk.count(b"\n") + returns - (chunk.count(b"\r\n") if returns else 0)
            if after_cr and chunk.startswith(b"\n"):
                lines -= 1  # a "\r\n" cut between two chunks
            after_cr, last = chunk.endswith(b"\r"), chunk[-1:]
            quote = quote or b'"' in chunk
    if last not in (b"", b"\n", b"\r"):
        lines += 1  # a last line without a line break
    return lines, quote, first


def _scan_records(path: Path, delimiter: str) -> _Scan:
    """Read every record with the csv module (strict quoting), keeping only their
    count, the widest one and those spanning lines; a broken quote is an error."""
    count = width = 0
    start = 1
    multi: list[tuple[int, int, int, list[str]]] = []
    header: list[str] | None = None
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter, strict=True)
        try:
            for record in reader:
                end = reader.line_num
                if len(record) > width:
                    width = len(record)
                if end != start:
                    multi.append((count, start, end, record))
                if header is None and any(cell.strip() for cell in record):
                    header = record
                count += 1
                start = end + 1
        except csv.Error as exc:
            raise DataValidationError(
                _problem_frame(
                    [_quote_problem(path, delimiter, start, reader.line_num, str(exc), header)]
                )
            ) from None
    return _Scan(count, width, multi)


def _quote_problem(
    path: Path, delimiter: str, start: int, line: int, reason: str, header: list[str] | None
) -> list:
    """The problem row of a quote the csv module could not close, at the line it opens."""
    # Read from the record's first line, at most 1 MB: enough to find the opening quote.
    window: list[str] = []
    size = 0
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        for number, text in enumerate(f, start=1):
            if number >= start:
                window.append(text)
                size += len(text)
                if size > 1 << 20:
                    break
    text = "".join(window)
    pos, field = _open_quote(text, delimiter)
    opened = start + len(_LINE_BREAK.findall(text, 0, pos)) if pos is not None else start
    column = header[field] if header and field is not None and field < len(header) else ""
    shown = _LINE_BREAK.split(text[pos if pos is not None else 0 :], maxsplit=1)[0][:60]
    if "field larger" in reason and pos is None:
        expected = f"a cell of at most {csv.field_size_limit()} characters"
    elif "unexpected end of data" in reason or "field larger" in reason:
        runs = (
            "to the end of the file"
            if "end of data" in reason
            else f"over more than {csv.field_size_limit()} characters"
        )
        expected = (
            f"a closing '\"' for the quoted field that starts here: it runs {runs} and takes "
            "every row after it (a stray '\"'? remove it or close the quote)"
        )
    elif "expected after" in reason:
        expected = (
            f"a quoted field that ends at a '{delimiter}' or at the end of its line: the '\"' "
            f"on line {line} closes the field opened here in the middle of a cell (a stray "
            "'\"'? a '\"' inside a quoted text is written '\"\"')"
        )
    else:
        expected = f"a readable CSV record (the csv module says: {reason})"
    return [str(path), "", opened, column, shown, expected]


def _open_quote(text: str, delimiter: str) -> tuple[int | None, int | None]:
    """Position and field index of the quoted field of the record at the start of
    ``text`` that does not close, or closes in the middle of a cell."""
    unquoted = re.compile(f"[^{re.escape(delimiter)}\r\n]*")
    pos = field = 0
    while True:
        if text.startswith('"', pos):
            m = _QUOTED.match(text, pos)
            if m is None or text[m.end() : m.end() + 1] not in (delimiter, "\r", "\n", ""):
                return pos, field
            pos = m.end()
        else:
            pos = unquoted.match(text, pos).end()
        if pos >= len(text) or text[pos] != delimiter:
            return None, None  # the record ended cleanly (not expected here)
        pos += 1
        field += 1


def _check_spanning_fields(file: str, block: _Block, scan: _Scan, delimiter: str) -> None:
    """Reject a quoted field whose lines look like rows of the table: a stray quote.

    A field may span lines (a note on several lines), but a line inside it
    holding at least half as many delimiters as the header, and at least two,
    is taken for a swallowed row.
    """
    delimiters = len(block.header) - 1
    if delimiters < 2:
        return
    enough = max(2, math.ceil(delimiters / 2))
    problems = []
    for _, first_line, last_line, record in scan.multi:
        if first_line <= block.header_row:
            continue
        line = first_line
        for k, value in enumerate(record):
            pieces = _LINE_BREAK.split(value)
            rows = [
                (line + j, piece)
                for j, piece in enumerate(pieces[1:], start=1)
                if piece.count(delimiter) >= enough
            ]
            if rows:
                column = block.header[k] if k < len(block.header) and block.header[k] else ""
                problems.append(
                    [
                        file,
                        "",
                        line,
                        column or f"column {k + 1}",
                        pieces[0][:60],
                        f"a quoted field that closes in its own row: the quote opened here runs "
                        f"to line {last_line} and holds {len(rows)} line(s) that look like rows "
                        f"of the table (line {rows[0][0]}: {rows[0][1][:40]!r}); a stray '\"'? "
                        "remove it, or close the quote on this line (a note may span lines "
                        f"only when none of them holds {enough} or more '{delimiter}')",
                    ]
                )
            line += len(pieces) - 1
    if problems:
        raise DataValidationError(_problem_frame(problems))


def _pandas_columns(
    path: Path, delimiter: str, width: int | None, expected: int
) -> list[np.ndarray] | None:
    """The file's cells by column (object arrays of str) with pandas' C reader, or None
    when it refuses the file or reads another number of records than ``expected``."""
    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            header=None,
            names=range(width) if width else None,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
            engine="c",
            quotechar='"',
            doublequote=True,
        )
    except pd.errors.EmptyDataError:
        return [] if expected == 0 else None
    except pd.errors.ParserError:
        return None
    if len(frame) != expected:
        return None
    return [frame[c].fillna("").to_numpy(dtype=object) for c in frame.columns]


def _csv_columns(path: Path, delimiter: str, width: int) -> list[np.ndarray]:
    """The file's cells by column with the csv module alone (the slow, sure way)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        records = list(csv.reader(f, delimiter=delimiter, strict=True))
    columns = []
    for j in range(width):
        column = np.empty(len(records), dtype=object)
        column[:] = [r[j] if j < len(r) else "" for r in records]
        columns.append(column)
    return columns


def _text_uniques(uniques: np.ndarray) -> np.ndarray:
    """The NFC text of each distinct value, plus a last "" for code -1 (no cell)."""
    text = np.empty(len(uniques) + 1, dtype=object)
    text[:-1] = [_cell_text(u) for u in uniques]
    text[-1] = ""
    return text


def _sheet_cell(value: object) -> object:
    """A spreadsheet cell as the reader keeps it: numbers stay numbers, the rest is text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "" if isinstance(value, float) and math.isnan(value) else value
    return _cell_text(value)


def _as_block(block: _Block | tuple) -> _Block:
    """A block of the CSV reader, or one ``(sheet, header row, header, [(row, cells)])``
    of the Excel reader, as columns."""
    if isinstance(block, _Block):
        return block
    sheet, header_row, header, body = block
    width = max([len(header), *(len(record) for _, record in body)])
    codes, uniques = [], []
    for j in range(width):
        column = np.empty(len(body), dtype=object)
        column[:] = [_sheet_cell(r[j]) if j < len(r) else "" for _, r in body]
        c, u = pd.factorize(column)
        codes.append(c)
        uniques.append(u)
    header = [*map(_cell_text, header), *[""] * (width - len(header))]
    rows = np.array([row for row, _ in body], dtype=np.int64)
    texts = [_text_uniques(u) for u in uniques]
    return _Block(sheet, int(header_row), header, rows, codes, uniques, texts)


def _column_key(name: object) -> str:
    key = nfc(str(name or "")).casefold().replace(" ", "_")
    return _ALIASES.get(key, key)


@lru_cache(maxsize=1 << 16)
def _nfc_cached(text: str) -> str:
    # Names, codes and notes repeat on many rows: normalise each once.
    return nfc(text)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _nfc_cached(str(value))


def _column_problems(
    file: str, block: _Block, keys: list[str], shape: str, known_ids: set[str], problems: list
) -> None:
    """Columns the reader would drop: unknown names, repeated names, values without a header.

    A near miss of a known column name or alias (``qualifer``) is reported
    with the name it resembles; in the wide-by-indicator layout an unknown
    name is an indicator id (checked row by row) unless it is such a near miss.
    """
    names = sorted(_KNOWN_COLUMNS | set(_ALIASES))
    seen: dict[str, int] = {}
    for j, (key, shown) in enumerate(zip(keys, block.header, strict=True)):
        if not key:
            continue
        if key in seen:
            problems.append(
                [
                    file,
                    block.sheet,
                    block.header_row,
                    shown,
                    shown,
                    f"one column named {shown!r} (column {seen[key] + 1} has the same name)",
                ]
            )
            continue
        seen[key] = j
        if key in _KNOWN_COLUMNS or (shape == "wide_year" and _YEAR.match(key)):
            continue
        raw = nfc(shown).casefold().replace(" ", "_")
        near = difflib.get_close_matches(raw, names, n=1)
        if shape == "wide_indicator" and (key in known_ids or not near):
            continue  # an indicator id; unknown ids are reported on each row
        if near:
            expected = (
                f"a known column name: did you mean {near[0]!r}? (a column the reader does "
                "not know is not read, so its values would be lost)"
            )
        else:
            allowed = ", ".join([*_META, "value"]) + (", or years" if shape == "wide_year" else "")
            expected = (
                f"a known column ({allowed}; the descriptive columns "
                f"{', '.join(sorted(_IGNORED))} are accepted and not read): rename or delete it"
            )
        problems.append([file, block.sheet, block.header_row, shown, shown, expected])
    for j, key in enumerate(keys):
        if key:
            continue
        text = block.texts[j]
        filled = np.flatnonzero(text[block.codes[j]] != "")
        for i in filled:
            problems.append(
                [
                    file,
                    block.sheet,
                    int(block.rows[i]),
                    f"column {j + 1} (no header)",
                    text[block.codes[j][i]],
                    "nothing in a column without a header: a delimiter too many on this row "
                    "(an unquoted decimal comma such as 95,8 in a ','-separated file?) or a "
                    "column name missing",
                ]
            )


def _long_rows(file: str, block: _Block, known_ids: set[str], problems: list) -> dict | None:
    """One block (any layout) as arrays of the tidy columns' text, the raw values and
    where each value came from (``_value, _row, _vcol, _sheet``)."""
    sheet, header_row, header = block.sheet, block.header_row, block.header
    keys = [_column_key(h) for h in header]
    index = {k: i for i, k in enumerate(keys) if k}
    if "value" in index:
        shape, value_cols = "long", ["value"]
    elif any(_YEAR.match(k) for k in keys):
        shape, value_cols = "wide_year", list(dict.fromkeys(k for k in keys if _YEAR.match(k)))
    else:
        shape = "wide_indicator"
        value_cols = list(
            dict.fromkeys(k for k in keys if k and k not in _META and k not in _IGNORED)
        )
    before = len(problems)
    _column_problems(file, block, keys, shape, known_ids, problems)
    if shape == "wide_indicator":  # a near miss of a column name is no indicator
        reported = {_column_key(p[3]) for p in problems[before:]}
        value_cols = [k for k in value_cols if k not in reported]
    required = {"long": ["unit_code", "year", "indicator"], "wide_year": ["unit_code", "indicator"]}
    for key in required.get(shape, ["unit_code", "year"]):
        if key not in index:
            problems.append(
                [
                    file,
                    sheet,
                    header_row,
                    key,
                    "",
                    f"a {key!r} column ({shape.replace('_', ' ')} layout)",
                ]
            )
    if shape != "long" and not value_cols:
        problems.append(
            [
                file,
                sheet,
                header_row,
                "value",
                "",
                "a 'value' column, year columns or indicator columns",
            ]
        )
    if len(problems) > before:
        return None
    n = len(block.rows)
    meta = {}
    for key in _META:
        j = index.get(key)
        if j is None:
            meta[key] = np.full(n, "", dtype=object)
        else:
            meta[key] = block.texts[j][block.codes[j]]
    parts = []
    for col in value_cols:
        j = index[col]
        raw = np.append(block.uniques[j].astype(object), "")[block.codes[j]]
        blank = block.texts[j][block.codes[j]] == ""
        # An unfilled template line has neither year nor value; an empty cell of a
        # wide table is no observation.
        keep = ~(blank & (meta["year"] == "")) if shape == "long" else ~blank
        part = {key: values[keep] for key, values in meta.items()}
        if shape == "wide_year":
            part["year"] = np.full(int(keep.sum()), col, dtype=object)
        elif shape == "wide_indicator":
            part["indicator"] = np.full(int(keep.sum()), col, dtype=object)
        part["_value"] = raw[keep]
        part["_row"] = block.rows[keep]
        part["_vcol"] = np.full(int(keep.sum()), header[j], dtype=object)
        part["_sheet"] = np.full(int(keep.sum()), sheet, dtype=object)
        parts.append(part)
    return _concat_items(parts)


def _concat_items(parts: list[dict]) -> dict:
    columns = [*_META, "_value", "_row", "_vcol", "_sheet"]
    if not parts:
        return {c: np.zeros(0, dtype=np.int64 if c == "_row" else object) for c in columns}
    return {c: np.concatenate([p[c] for p in parts]) for c in columns}


def _per_unique(func: Callable[..., object], *columns: np.ndarray) -> np.ndarray:
    """``func`` applied once per distinct combination of values of ``columns``, per row."""
    n = len(columns[0])
    key = np.zeros(n, dtype=np.int64)
    size = 1
    for column in columns:
        codes, uniques = pd.factorize(column)
        key, combos = pd.factorize(key * (len(uniques) + 1) + (codes + 1))  # keep it small
        size = len(combos)
    first = np.zeros(size, dtype=np.int64)
    first[key[::-1]] = np.arange(n - 1, -1, -1)  # the first row of each combination
    results = np.empty(size, dtype=object)
    results[:] = [func(*(c[i] for c in columns)) for i in first] if n else []
    return results[key]


def _value_parts(value: object) -> tuple[bool, str, str, object, int]:
    """(blank, text shown, qualifier stated, rest to parse, decimal evidence 0/1/2)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return False, _cell_text(value), "", value, 0  # a spreadsheet's number
    text = value if isinstance(value, str) else _cell_text(value)
    if _PLAIN_VALUE.fullmatch(text):
        said, rest, shown = "", text, text
    else:
        shown = _cell_text(text)
        if not shown:
            return True, "", "", "", 0
        said, rest = split_qualifier(text)
    mark = decimal_evidence(rest)
    return False, shown, said, rest, {None: 0, ",": 1, ".": 2}[mark]


_MARKS = (None, ",", ".")


def _group_decimals(groups: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    """Decimal mark (0 unknown, 1 ',', 2 '.') per row from the evidence of its group.

    A group (an indicator) whose numbers say nothing takes the mark of the whole
    file, when the file's evidence is unanimous: "1.234" libraries in a file
    writing "95,8" is 1234. A count read that way as a fraction is questioned
    by the validation (see :func:`_count_problems`).
    """
    codes, _ = pd.factorize(groups)
    pairs = np.unique(codes.astype(np.int64) * 3 + evidence)
    marks: dict[int, set[int]] = {}
    for pair in pairs:
        group, mark = divmod(int(pair), 3)
        marks.setdefault(group, set())
        if mark:
            marks[group].add(mark)
    every = set().union(*marks.values()) if marks else set()
    fallback = next(iter(every)) if len(every) == 1 else 0
    decided = np.zeros(max(marks, default=-1) + 2, dtype=np.int8)
    for group, seen in marks.items():
        decided[group] = next(iter(seen)) if len(seen) == 1 else (0 if seen else fallback)
    return decided[codes]


def _build(file: str, items: dict, decimal: str | None, problems: list) -> pd.DataFrame:
    """Parse years and values; problems of parsing go to ``problems``.

    Values are parsed once per distinct text and decimal mark; the mark of a
    value is ``decimal`` if given, else what the other values of its indicator
    show (see :func:`_group_decimals`).
    """
    rows, sheets, vcols = items["_row"], items["_sheet"], items["_vcol"]
    indicator = items["indicator"]
    vcodes, vuniques = pd.factorize(items["_value"])
    parts = [_value_parts(u) for u in vuniques]
    blank = np.array([p[0] for p in parts], dtype=bool)
    shown = np.empty(len(parts), dtype=object)
    shown[:] = [p[1] for p in parts]
    said = np.empty(len(parts), dtype=object)
    said[:] = [p[2] for p in parts]
    rest = [p[3] for p in parts]
    if decimal is None:
        evidence = np.array([p[4] for p in parts], dtype=np.int8)[vcodes]
        marks = _group_decimals(indicator, evidence)
    else:
        marks = np.full(len(vcodes), _MARKS.index(decimal), dtype=np.int8)
    table = np.full((3, len(parts)), np.nan)
    errors: dict[tuple[int, int], str] = {}
    for mark in np.unique(marks):
        needed = np.unique(vcodes[marks == mark])
        values, failed = parse_numbers([rest[k] for k in needed], decimal=_MARKS[mark])
        table[mark, needed] = values
        errors.update({(int(mark), int(needed[i])): message for i, message in failed.items()})
    number = table[marks, vcodes]
    failed_rows = np.flatnonzero(np.isnan(number) & ~blank[vcodes])
    for i in failed_rows:
        k = int(vcodes[i])
        message = errors.get((int(marks[i]), k))
        if message is None:  # parsed to nothing: "%" or "trên %"
            message = (
                f"a number, not {shown[k]!r} alone (leave the cell empty for a missing value "
                "and say why in the note)"
            )
        problems.append([file, sheets[i], int(rows[i]), vcols[i], shown[k], message])
    stated = items["qualifier"]
    qualifier = said[vcodes]
    clash = np.flatnonzero((qualifier != "") & (stated != "") & (qualifier != stated))
    for i in clash:
        k = int(vcodes[i])
        problems.append(
            [
                file,
                sheets[i],
                int(rows[i]),
                "qualifier",
                stated[i],
                f"the qualifier the value states ({shown[k]!r} means {said[k]!r}) or an empty cell",
            ]
        )
    qualifier = np.where(qualifier != "", qualifier, stated)
    year = _per_unique(_parse_year, items["year"]).astype(float)
    for i in np.flatnonzero(np.isnan(year)):
        problems.append(
            [file, sheets[i], int(rows[i]), "year", items["year"][i], "a year such as 2023"]
        )
    code = _per_unique(_pad_code, items["unit_code"], items["level"])
    frame = pd.DataFrame(
        {
            "unit_code": code,
            "unit_name": items["unit_name"],
            "level": items["level"],
            "year": year,
            "indicator": indicator,
            "value": number,
            "qualifier": qualifier,
            "source_id": items["source_id"],
            "note": items["note"],
            "_file": file,
            "_sheet": sheets,
            "_row": rows.astype(np.int64),
            "_vcol": vcols,
            "_text": shown[vcodes] if len(vcodes) else np.zeros(0, dtype=object),
        }
    )
    return frame


def _parse_year(text: str) -> float:
    if _YEAR_TEXT.fullmatch(text):
        return float(text)
    try:
        year = parse_number(text, decimal=".") if text else math.nan
    except NumberFormatError:
        return math.nan
    return year if year.is_integer() else math.nan


def _pad_code(code: str, level: str) -> str:
    # A spreadsheet that stored "01" as a number lost its leading zero.
    width = _CODE_WIDTH.get(level)
    return code.zfill(width) if width and code.isdigit() else code


def read_observations(
    path: str | Path,
    *,
    framework: Framework | None = None,
    units: Iterable[str] | None = None,
    sources: Iterable[str] | str | Path | None = None,
    decimal: str | None = None,
    validate: bool = True,
) -> pd.DataFrame:
    """Read a CSV or Excel file of observations into the tidy table.

    Parameters
    ----------
    path : path-like
        ``.csv`` (UTF-8, BOM optional) or ``.xlsx`` (every sheet with an
        ``indicator`` or ``unit_code`` column is read; a sheet named
        ``Sources`` adds its ``source_id`` values to the known sources).
    framework : Framework, optional
        Gives the known indicator ids and valid ranges; the shipped one by default.
    units : iterable of str, optional
        Known unit codes; ``learningcity.units.load_units()["code"]`` by default.
    sources : iterable of str or path, optional
        Known source ids, or a sources CSV; ``data/sources.csv`` by default.
    decimal : {None, ",", "."}
        Decimal mark of the file's numbers; by default read from the file's
        unambiguous numbers (see :func:`learningcity.numbers.infer_decimal`).
    validate : bool, default True
        Check the rows; with False only unreadable numbers are errors.

    Returns
    -------
    DataFrame
        Tidy observations; ``attrs["source_file"]`` holds the path.

    Raises
    ------
    DataValidationError
        With every problem of the file in ``.problems``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "wide.csv"
    >>> _ = f.write_text(
    ...     "unit_code;level;indicator;2018;2020;source_id\\n"
    ...     "15;province;learning_families_share;57,48;65;baoyenbai-2021-201796\\n",
    ...     encoding="utf-8-sig")
    >>> read_observations(f)[["year", "value"]].values.tolist()
    [[2018.0, 57.48], [2020.0, 65.0]]
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileNotFoundError(f"data file not found: {path}")
    file = str(path)
    extra_sources: set[str] = set()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from learningcity.excel import observation_blocks  # excel imports this module

        blocks, extra_sources = observation_blocks(path)
    elif path.suffix.lower() in (".csv", ".txt"):
        blocks = _csv_blocks(path)
    else:
        raise DataValidationError(
            pd.DataFrame(
                [[file, "", 0, "", path.suffix, "a .csv or .xlsx file"]], columns=PROBLEM_COLUMNS
            )
        )
    from learningcity.framework import load_framework

    fw = framework if framework is not None else load_framework()
    problems: list[list] = []
    parts = [_long_rows(file, _as_block(block), fw.known_ids(), problems) for block in blocks]
    if problems:  # the layout is wrong: row-by-row checks would only repeat it
        raise DataValidationError(_problem_frame(problems))
    frame = _build(file, _concat_items([p for p in parts if p is not None]), decimal, problems)
    del parts
    if validate:
        if sources is None or isinstance(sources, str | Path):
            source_ids = known_source_ids(sources)
        else:
            source_ids = set(sources)
        # A stated decimal mark is the caller's word: a fractional count is then no mix-up.
        problems += _problems(
            frame, fw, units, source_ids | extra_sources, check_counts=decimal is None
        )
    if problems:
        raise DataValidationError(_problem_frame(problems))
    out = _public(frame)
    out.attrs["source_file"] = file
    return out


def existing_files(paths: Iterable[str | Path]) -> list[Path]:
    """The paths as :class:`Path` objects, or one error naming every missing file.

    Examples
    --------
    >>> existing_files(["a.csv", "b.csv"])
    Traceback (most recent call last):
    ...
    learningcity.data.DataFileNotFoundError: data files not found: a.csv, b.csv
    """
    paths = [Path(p) for p in paths]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        many = "s" if len(missing) > 1 else ""
        raise DataFileNotFoundError(f"data file{many} not found: {', '.join(missing)}")
    return paths


def read_observation_files(paths: Iterable[str | Path], **options: object) -> pd.DataFrame:
    """Read several observation files into one tidy table.

    Every file is checked to exist before any is read, and the problems of
    all files are raised together.

    Parameters
    ----------
    paths : iterable of path-like
        CSV or Excel files.
    **options
        Passed to :func:`read_observations` (``framework``, ``units``, ...).

    Raises
    ------
    DataFileNotFoundError
        Naming every file that does not exist.
    DataValidationError
        With the problems of every file.

    Examples
    --------
    >>> obs = read_observation_files([data_dir() / "observations" / "yen-bai.csv"])
    >>> {"15", "132", "133"} <= set(obs["unit_code"])
    True
    >>> read_observation_files(["no-such.csv"])
    Traceback (most recent call last):
    ...
    learningcity.data.DataFileNotFoundError: data file not found: no-such.csv
    """
    paths = existing_files(paths)
    frames, problems = [], []
    for path in paths:
        try:
            frames.append(read_observations(path, **options))
        except DataValidationError as exc:
            problems.append(exc.problems)
    if problems:
        raise DataValidationError(pd.concat(problems, ignore_index=True))
    if not frames:
        return _public(pd.DataFrame(columns=TIDY_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _public(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[TIDY_COLUMNS].reset_index(drop=True)
    return out.astype({"year": "int64", "value": float})


def _problem_frame(problems: list) -> pd.DataFrame:
    df = pd.DataFrame(problems, columns=PROBLEM_COLUMNS)
    df["row"] = df["row"].astype("int64")
    return df.sort_values(["file", "sheet", "row"], kind="stable", ignore_index=True)


# --- validation -----------------------------------------------------------------------


def _problems(
    frame: pd.DataFrame,
    framework: Framework | None,
    units: Iterable[str] | None,
    source_ids: set[str],
    *,
    check_counts: bool = False,
) -> list[list]:
    """Check the rows with a pandera schema and turn its failures into problem rows.

    Then the checks a schema cannot say simply: unit codes, names and levels
    against the unit table of the row's year (:func:`_unit_problems`) and,
    with ``check_counts``, counts that are not whole numbers (:func:`_count_problems`).
    """
    import pandera.pandas as pa

    from learningcity.framework import load_framework

    fw = framework if framework is not None else load_framework()
    unit_codes = set(units) if units is not None else set(_unit_index().codes)
    known = fw.known_ids()
    last_year = _this_year()
    ranges = fw.valid_ranges()
    frame = frame.reset_index(drop=True)
    codes, ids = pd.factorize(frame["indicator"].to_numpy(object))  # a few ids, many rows
    bounds = ranges.reindex(ids).astype(float)
    lo = pd.Series(bounds["valid_min"].fillna(-np.inf).to_numpy()[codes], frame.index)
    hi = pd.Series(bounds["valid_max"].fillna(np.inf).to_numpy()[codes], frame.index)

    def sources_known(s: pd.Series) -> pd.Series:
        # Once per distinct value: a big file repeats a few sources on every row.
        return pd.Series(_per_unique(_sources_ok(source_ids), s.to_numpy(object)), s.index)

    expected = {
        "unit_code": "a unit code of learningcity units (GSO code with leading zeros, e.g. "
        "'15' or '132')",
        "level": f"one of {', '.join(LEVELS)}",
        "year": f"a year between {FIRST_YEAR} and {last_year} (this year): an observation "
        "of a past year, not a target or projection",
        "indicator": "a variable or indicator id of the framework (e.g. "
        "'learning_families_share'; see `learningcity template`)",
        "qualifier": "empty, '>', '<' or '~'",
        "source_id": "the source_id of a row of data/sources.csv (or of the workbook's "
        "Sources sheet)",
    }
    checks = {
        "unit_code": pa.Check(lambda s: s.isin(unit_codes), name="unit_code"),
        "level": pa.Check(lambda s: s.isin(LEVELS), name="level"),
        "year": pa.Check(lambda s: s.between(FIRST_YEAR, last_year), name="year"),
        "indicator": pa.Check(lambda s: s.isin(known), name="indicator"),
        "qualifier": pa.Check(lambda s: s.isin(QUALIFIERS), name="qualifier"),
        "source_id": pa.Check(sources_known, name="source_id"),
    }
    schema = pa.DataFrameSchema(
        {
            **{col: pa.Column(checks=check, nullable=True) for col, check in checks.items()},
            "value": pa.Column(
                float,
                pa.Check(lambda s: (s >= lo[s.index]) & (s <= hi[s.index]), name="value"),
                nullable=True,
            ),
        },
        unique=["unit_code", "year", "indicator"],
        report_duplicates="all",
    )
    try:
        schema.validate(frame, lazy=True)
        cases = pd.DataFrame(columns=["check", "index", "column"])
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    out = []
    dup = cases[cases["check"] == "multiple_fields_uniqueness"]
    dup_index = sorted(set(dup["index"].dropna().astype(int)))
    if dup_index:
        key = frame.loc[dup_index, ["unit_code", "year", "indicator"]]
        key = key.astype({"year": "Int64"}).astype(str)
        groups = key.groupby(list(key.columns), sort=False).groups
        for (code, year, ind), idx in groups.items():
            rows = frame.loc[idx, "_row"].tolist()
            for i in idx:
                others = [r for r in rows if r != frame.at[i, "_row"]]
                out.append(
                    _at(
                        frame,
                        i,
                        "unit_code, year, indicator",
                        f"{code}, {year}, {ind}",
                        f"one row per unit, year and indicator (also on row(s) "
                        f"{', '.join(map(str, others))})",
                    )
                )
    for case in cases[cases["check"] != "multiple_fields_uniqueness"].itertuples():
        if pd.isna(case.index):
            continue
        i = int(case.index)
        col = case.column
        if col == "value":
            ind = frame.at[i, "indicator"]
            bounds = f"between {_fmt(lo[i])} and {_fmt(hi[i])}"
            out.append(
                _at(
                    frame,
                    i,
                    frame.at[i, "_vcol"],
                    _fmt(frame.at[i, "value"]),
                    f"a value {bounds} for {ind!r} ({_range_reason(fw, ind)})",
                )
            )
        elif col == "year" and pd.isna(frame.at[i, "year"]):
            continue  # already reported when the year was parsed
        elif col == "year":
            out.append(_at(frame, i, col, f"{frame.at[i, col]:.0f}", expected["year"]))
        elif col == "indicator":
            ind = str(frame.at[i, col])
            out.append(_at(frame, i, col, ind, expected[col] + _suggest(ind, known)))
        elif col == "qualifier" and str(frame.at[i, col]).isdigit():
            hint = (
                " (digits here are the decimals of an unquoted number such as 95,8 in a "
                "','-separated file: quote it, \"95,8\", or separate the columns with ';')"
            )
            out.append(_at(frame, i, col, str(frame.at[i, col]), expected[col] + hint))
        else:
            out.append(_at(frame, i, col, str(frame.at[i, col]), expected.get(col, case.check)))
    # The caller's own codes: those the unit tables know are checked, the others accepted.
    out += _unit_problems(frame, None if units is None else unit_codes)
    if check_counts:
        out += _count_problems(frame, fw)
    return out


def _sources_ok(source_ids: set[str]) -> Callable[[str], bool]:
    def ok(value: str) -> bool:
        return bool(value) and all(p.strip() in source_ids for p in value.split(";"))

    return ok


@lru_cache(maxsize=256)
def _suggest_cached(name: str, known: frozenset[str]) -> str:
    near = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {near[0]!r}?)" if near else ""


def _suggest(name: str, known: set[str]) -> str:
    return _suggest_cached(name, frozenset(known))


class _Unit(NamedTuple):
    code: str
    level: str
    label: str  # "Thành phố Yên Bái"
    keys: frozenset[str]  # matching keys of the name, with and without its type
    words: frozenset[str]  # the folded words of the name without its type
    valid_from: str
    valid_to: str

    def valid(self, year: int) -> bool:
        return (not self.valid_from or self.valid_from <= f"{year}-12-31") and (
            not self.valid_to or self.valid_to >= f"{year}-01-01"
        )

    def describe(self) -> str:
        when = f", until {self.valid_to}" if self.valid_to else ""
        when += f", from {self.valid_from}" if self.valid_from else ""
        return f"{self.label} ({self.level} {self.code}{when})"


class _UnitIndex(NamedTuple):
    codes: frozenset[str]  # every code of units.csv and every city id of cities.csv
    by_code: dict[str, list[_Unit]]
    by_name: dict[tuple[str, str], list[_Unit]]  # (level, name key)
    cities: dict[str, list[_Unit]]  # one entry per member period, level "city"
    starts: list[str]  # the distinct valid_from dates, sorted
    ends: list[str]  # the distinct valid_to dates, sorted

    def year_class(self, year: int) -> int:
        """Years of one class have the same units valid (the tables change on few dates)."""
        first, last = f"{year}-12-31", f"{year}-01-01"
        return bisect.bisect_right(self.starts, first) * 10_000 + bisect.bisect_left(
            self.ends, last
        )


_NAME_JUNK = re.compile(r"[\W_]+")
# English designations written after a name: "Yen Bai City", "Nghia Lo Town".
_ENGLISH_SUFFIX = re.compile(r"\s+(?:city|province|district|town|commune|ward)$")
# units.csv tells two units of one name apart by type: "Cao Lãnh (Thành phố)".
_TYPE_SUFFIX = re.compile(r"\s*\([^)]*\)$")


def _name_key(text: str) -> str:
    return _NAME_JUNK.sub("", text)


def _words(text: str) -> frozenset[str]:
    return frozenset(_NAME_JUNK.split(text)) - {""}


@lru_cache(maxsize=1 << 16)
def _given_keys(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """Matching keys of a name as written (no diacritics, case, punctuation or spaces,
    with and without a prefix such as "Tỉnh", "TP.", "TX", "Huyện"; see
    learningcity.units) and its folded words without the prefix."""
    from learningcity.units import _parse_query

    key, _, rest = _parse_query(name)
    keys = frozenset(_name_key(_ENGLISH_SUFFIX.sub("", k)) for k in (key, rest)) - {""}
    return keys, _words(_ENGLISH_SUFFIX.sub("", rest))


@lru_cache(maxsize=1)
def _unit_index() -> _UnitIndex:
    """The bundled unit and city tables, indexed for checking rows (built once)."""
    from learningcity.cities import load_cities
    from learningcity.units import load_units

    units = load_units()
    by_code: dict[str, list[_Unit]] = {}
    by_name: dict[tuple[str, str], list[_Unit]] = {}
    for code, name, kind, level, start, end in zip(
        units["code"],
        units["name"],
        units["type"],
        units["level"],
        units["valid_from"],
        units["valid_to"],
        strict=True,
    ):
        base = _TYPE_SUFFIX.sub("", name)
        label = base if fold(base).startswith(fold(kind)) else f"{kind} {base}"
        keys = frozenset({_name_key(fold(base)), _name_key(fold(label))})
        unit = _Unit(code, level, label, keys, _words(fold(base)), start, end)
        by_code.setdefault(code, []).append(unit)
        for key in keys:
            by_name.setdefault((level, key), []).append(unit)
    cities: dict[str, list[_Unit]] = {}
    table = load_cities()
    for city, name, start, end in zip(
        table["city_id"], table["city_name"], table["valid_from"], table["valid_to"], strict=True
    ):
        keys = frozenset({_name_key(fold(name))})
        unit = _Unit(city, "city", name, keys, _words(fold(name)), start, end)
        cities.setdefault(city, []).append(unit)
    every = [u for units in [*by_code.values(), *cities.values()] for u in units]
    starts = sorted({u.valid_from for u in every} - {""})
    ends = sorted({u.valid_to for u in every} - {""})
    return _UnitIndex(
        frozenset(by_code) | frozenset(cities), by_code, by_name, cities, starts, ends
    )


def _unit_problems(frame: pd.DataFrame, accepted: set[str] | None = None) -> list[list]:
    """Code, name and level of each row against the unit table for the row's year.

    Codes were re-used after the 1 July 2025 reform, so a code is looked up
    among the units valid at some time in the row's year ("15" in 2025 is
    Yên Bái or Lào Cai). Names match without diacritics, case, punctuation or
    a prefix ("TP. Yên Bái", "Yen Bai city"); an empty name is not checked.
    ``city`` rows are checked against data/units/cities.csv; ``gnlc_city``
    rows, and codes the tables do not know (``accepted`` by the caller), are
    not checked. Unknown codes and levels are reported by the schema.
    """
    index = _unit_index()
    code = frame["unit_code"].to_numpy(object)
    level = frame["level"].to_numpy(object)
    year = frame["year"].to_numpy(float)
    checked = index.codes if accepted is None else index.codes & accepted
    # pandas' isin hashes; numpy's compares every pair of objects. A year out of
    # range is reported as such: no unit is looked up for it.
    with np.errstate(invalid="ignore"):
        in_range = (year >= FIRST_YEAR) & (year <= _this_year())
    rows = np.flatnonzero(
        frame["level"].isin([*_VN_LEVELS, "city"]).to_numpy()
        & frame["unit_code"].isin(checked).to_numpy()
        & in_range
    )
    if not len(rows):
        return []
    name = frame["unit_name"].to_numpy(object)
    # Checked once per class of years with the same units (see _UnitIndex.year_class),
    # then again with its own year for each row found wrong, for the message.
    years = year[rows].astype(np.int64)
    classes = _per_unique(index.year_class, years).astype(np.int64)
    first = dict(zip(classes[::-1].tolist(), years[::-1].tolist(), strict=True))
    wrong = _per_unique(
        lambda c, lv, n, k: bool(_unit_check(c, lv, n, first[k])),
        code[rows],
        level[rows],
        name[rows],
        classes,
    ).astype(bool)
    out = []
    for i in rows[wrong]:
        found = _unit_check(code[i], level[i], name[i], int(year[i]))
        for column, value, expected in found:
            out.append(_at(frame, int(i), column, value, expected))
    return out


@lru_cache(maxsize=1 << 14)
def _unit_check(code: str, level: str, name: str, year: int) -> tuple:
    """Problems ``(column, value, expected)`` of one unit code, level, name and year."""
    index = _unit_index()
    if level == "city":
        periods = index.cities.get(code)
        if periods is None:
            return (
                (
                    "level",
                    level,
                    f"the level of unit {code} in {year}: "
                    f"{_describe(index.by_code[code])}; the level 'city' is for the cities "
                    f"of data/units/cities.csv ({', '.join(sorted(index.cities))})",
                ),
            )
        city = periods[0].label
        if not any(p.valid(year) for p in periods):
            return (("unit_code", code, f"a city defined in {year}: {code} ({city}) is not"),)
        if name and not (_given_keys(name)[0] & periods[0].keys):
            return (
                (
                    "unit_name",
                    name,
                    f"the name of city {code}: {city} (or an empty cell); is the code or the "
                    "name wrong?",
                ),
            )
        return ()
    units = index.by_code.get(code)
    if units is None:
        city = index.cities[code][0].label
        return (("level", level, f"'city' for {code} ({city}), a city of data/units/cities.csv"),)
    valid = [u for u in units if u.valid(year)]
    if not valid:
        return (
            (
                "unit_code",
                code,
                f"a unit code valid in {year}: {code} is {_describe(units)} (codes were "
                "re-used after the 1 July 2025 reform: a code is looked up among the units of "
                "its row's year)",
            ),
        )
    same = [u for u in valid if u.level == level]
    if not same:
        return (("level", level, f"the level of unit {code} in {year}: {_describe(valid)}"),)
    if not name:
        return ()
    keys, words = _given_keys(name)
    if any(keys & u.keys for u in same):
        return ()
    others = {
        u.code: u
        for key in keys
        for u in index.by_name.get((level, key), [])
        if u.valid(year) and u.code != code
    }
    # A longer or former name holding the whole name ("Thừa Thiên Huế" for Huế, the
    # name until 2025 that units.csv does not keep) is accepted, unless it is exactly
    # the name of another unit.
    if not others and any(u.words and u.words <= words for u in same):
        return ()
    hint = "".join(f"; {name!r} is {u.describe()}" for u in others.values())
    return (
        (
            "unit_name",
            name,
            f"the name of unit {code} in {year}: {' or '.join(u.label for u in same)} (or an "
            f"empty cell){hint}; is the code or the name wrong?",
        ),
    )


def _describe(units: list[_Unit]) -> str:
    return " or ".join(u.describe() for u in units)


def _count_problems(frame: pd.DataFrame, fw: Framework) -> list[list]:
    """A count (persons, schools, …) that is not a whole number: a decimal/thousands mix-up."""
    var = fw.variables()
    counts = var[var["kind"] == "count"].set_index("id")["unit"]
    value = frame["value"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        fractional = np.isfinite(value) & (value != np.round(value))
    rows = np.flatnonzero(fractional & frame["indicator"].isin(counts.index).to_numpy())
    out = []
    for i in rows:
        ind = frame.at[i, "indicator"]
        text = frame.at[i, "_text"] if "_text" in frame else _fmt(value[i])
        message = _fraction_message(str(text), value[i], ind, counts[ind])
        out.append(_at(frame, int(i), frame.at[i, "_vcol"], str(text), message))
    return out


def _fraction_message(text: str, value: float, indicator: str, unit: str) -> str:
    body = re.sub(r"\s", "", split_qualifier(text)[1]).rstrip("%")
    counts = f"{indicator!r} counts {unit}, a whole number"
    m = re.fullmatch(r"[+-]?([1-9][0-9]{0,2})([.,])([0-9]{3})", body)
    if m:
        return (
            f"{counts}: {text!r} was read as {value:g} with {m[2]!r} as the decimal mark "
            f"(the mark the file's other numbers use), but the mark is ambiguous here: if "
            f"{m[2]!r} groups thousands, write {m[1]}{m[3]} without it, or give the file's "
            "decimal mark (validate --decimal, read_observations(decimal=...))"
        )
    mark = next((c for c in body if c in ".,"), None)
    if mark:
        digits = re.sub(r"[.,]", "", body)
        return (
            f"{counts}, not {value:g}: if {mark!r} in {text!r} groups thousands, write the "
            f"number without it ({digits})"
        )
    return f"{counts}, not {value:g}"


def _range_reason(fw: Framework, indicator: str) -> str:
    var = fw.variables().set_index("id")
    if indicator in var.index:
        return f"kind {var.loc[indicator, 'kind']}, unit {var.loc[indicator, 'unit']}"
    return "its variable's valid range"


def _fmt(x: float) -> str:
    if np.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:g}"


def _at(frame: pd.DataFrame, i: int, column: str, value: str, expected: str) -> list:
    return [
        frame.at[i, "_file"],
        frame.at[i, "_sheet"],
        int(frame.at[i, "_row"]),
        column,
        value,
        expected,
    ]


def validate_observations(
    tidy: pd.DataFrame,
    *,
    framework: Framework | None = None,
    units: Iterable[str] | None = None,
    sources: Iterable[str] | str | Path | None = None,
    file: str = "<table>",
) -> pd.DataFrame:
    """Check a tidy table built in code; rows are numbered from 2 (1 = header).

    Returns the table unchanged or raises :class:`DataValidationError`.

    Examples
    --------
    >>> bad = read_observations(data_dir() / "observations" / "yen-bai.csv").head(2)
    >>> bad.loc[1, "value"] = -5
    >>> validate_observations(bad)
    Traceback (most recent call last):
    ...
    learningcity.data.DataValidationError: <table>: 1 problem(s)
      line 3, column 'value': got '-5'; a value between 0 and ∞ for 'population' ...
    """
    frame = tidy.reset_index(drop=True).copy()
    for col in ("qualifier", "note", "unit_name", "level", "source_id"):
        if col not in frame:
            frame[col] = ""
        frame[col] = frame[col].fillna("").astype(str)
    frame["_file"], frame["_sheet"], frame["_vcol"] = file, "", "value"
    frame["_row"] = np.arange(2, len(frame) + 2)
    if sources is None or isinstance(sources, str | Path):
        source_ids = known_source_ids(sources)
    else:
        source_ids = set(sources)
    problems = _problems(frame, framework, units, source_ids)
    if problems:
        raise DataValidationError(_problem_frame(problems))
    return tidy


def load_bundled_observations(folder: str | Path | None = None) -> pd.DataFrame:
    """Read and check every CSV under ``data/observations/``, as one tidy table.

    Files are read in name order; a (unit, year, indicator) given by two files
    is an error naming both.

    Examples
    --------
    >>> obs = load_bundled_observations()
    >>> {"15", "132", "133"} <= set(obs["unit_code"])
    True
    """
    folder = Path(folder) if folder is not None else data_dir() / "observations"
    frames, problems = [], []
    for path in sorted(folder.glob("*.csv")):
        try:
            frame = read_observations(path)
        except DataValidationError as exc:
            problems.append(exc.problems)
            continue
        frame["_file"] = path.name
        frames.append(frame)
    if problems:
        raise DataValidationError(pd.concat(problems, ignore_index=True))
    if not frames:
        return _public(pd.DataFrame(columns=TIDY_COLUMNS))
    tidy = pd.concat(frames, ignore_index=True)
    dupes = tidy[tidy.duplicated(["unit_code", "year", "indicator"], keep=False)]
    if not dupes.empty:
        listing = dupes.groupby(["unit_code", "year", "indicator"])["_file"].agg(", ".join)
        rows = [
            [
                files,
                "",
                0,
                "unit_code, year, indicator",
                f"{c}, {y}, {i}",
                "one row per unit, year and indicator across the bundled files",
            ]
            for (c, y, i), files in listing.items()
        ]
        raise DataValidationError(pd.DataFrame(rows, columns=PROBLEM_COLUMNS))
    return _public(tidy)
