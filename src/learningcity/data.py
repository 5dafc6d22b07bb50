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

Every problem of a file (a bad number, a duplicated unit-year-indicator, a
value outside its variable's valid range, an unknown indicator, unit or
source) is collected and raised together as a :class:`DataValidationError`
whose ``problems`` table names the file, the row as the user sees it (CSV
line or spreadsheet row), the column, the value and what was expected.

Examples
--------
>>> obs = read_observations(data_dir() / "observations" / "yen-bai.csv")
>>> obs.loc[obs["indicator"] == "literacy_learners", "value"].item()
2750.0
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from learningcity.errors import LearningCityError
from learningcity.indicators import TIDY_COLUMNS
from learningcity.numbers import (
    NumberFormatError,
    infer_decimal,
    parse_number,
    split_qualifier,
)
from learningcity.paths import data_dir
from learningcity.text import nfc

if TYPE_CHECKING:
    from learningcity.framework import Framework

__all__ = [
    "LEVELS",
    "QUALIFIERS",
    "DataValidationError",
    "known_source_ids",
    "load_bundled_observations",
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
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
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


def _csv_blocks(path: Path) -> list[tuple[str, int, list[str], list[tuple[int, list]]]]:
    """The file as one block: (sheet "", header line, header, [(line, record)])."""
    text = _decode(path)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list]] = []
    start = 1
    for record in reader:
        if any(cell.strip() for cell in record):
            records.append((start, record))
        start = reader.line_num + 1
    if not records:
        return [("", 1, [], [])]
    (header_row, header), body = records[0], records[1:]
    return [("", header_row, header, body)]


def _excel_blocks(path: Path) -> tuple[list, set[str]]:
    import openpyxl

    blocks, sources = [], set()
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            rows = [
                (i, list(r))
                for i, r in enumerate(sheet.iter_rows(values_only=True), start=1)
                if any(c is not None and str(c).strip() for c in r)
            ]
            # The header is the first of the first rows naming a known column.
            header_at = next(
                (
                    k
                    for k, (_, r) in enumerate(rows[:10])
                    if {_column_key(_cell_text(c)) for c in r}
                    & {"unit_code", "indicator", "source_id"}
                ),
                None,
            )
            if header_at is None:
                continue
            header_row, header = rows[header_at][0], [_cell_text(c) for c in rows[header_at][1]]
            keys = [_column_key(h) for h in header]
            body = rows[header_at + 1 :]
            if sheet.title.strip().casefold() == "sources" and "source_id" in keys:
                k = keys.index("source_id")
                sources |= {nfc(str(r[k])) for _, r in body if k < len(r) and r[k] is not None}
                continue
            blocks.append((sheet.title, header_row, header, body))
    finally:
        book.close()
    return blocks, sources


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


def _long_rows(
    file: str, sheet: str, header_row: int, header: list[str], body: list, problems: list
) -> list:
    """Turn one block (any shape) into dicts of strings plus where each came from."""
    keys = [_column_key(h) for h in header]
    shown = dict(zip(keys, header, strict=False))
    index = {k: i for i, k in enumerate(keys) if k}

    def get(record: list, key: str) -> object:
        i = index.get(key)
        return record[i] if i is not None and i < len(record) else None

    if "value" in index:
        shape, value_cols = "long", ["value"]
    elif any(_YEAR.match(k) for k in keys):
        shape, value_cols = "wide_year", [k for k in keys if _YEAR.match(k)]
    else:
        shape = "wide_indicator"
        value_cols = [k for k in keys if k and k not in _META and k not in _IGNORED]
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
    out = []
    for row, record in body:
        base = {k: _cell_text(get(record, k)) for k in _META}
        for col in value_cols:
            value = get(record, col)
            item = dict(base)
            if shape == "wide_year":
                item["year"] = col
            elif shape == "wide_indicator":
                item["indicator"] = col
            blank = _cell_text(value) == ""
            if blank and (shape != "long" or item["year"] == ""):
                continue  # an empty cell of a wide table, or an unfilled template line
            item.update(_value=value, _row=row, _vcol=shown.get(col, col), _sheet=sheet)
            out.append(item)
    return out


def _build(file: str, items: list[dict], decimal: str | None, problems: list) -> pd.DataFrame:
    """Parse years and values; problems of parsing go to ``problems``."""
    if decimal is None:
        values = (i["_value"] for i in items)
        decimal = infer_decimal(split_qualifier(v)[1] if isinstance(v, str) else v for v in values)
    rows = []
    for item in items:
        row, sheet = item["_row"], item["_sheet"]
        value = item["_value"]
        qualifier = item["qualifier"].strip()
        if isinstance(value, str):
            said, rest = split_qualifier(value)
            if said and qualifier and said != qualifier:
                problems.append(
                    [
                        file,
                        sheet,
                        row,
                        "qualifier",
                        qualifier,
                        f"the qualifier the value states ({value.strip()!r} means {said!r}) "
                        "or an empty cell",
                    ]
                )
            elif said:
                qualifier = said
            value = rest
        try:
            number = parse_number(value, decimal=decimal)
        except NumberFormatError as exc:
            problems.append([file, sheet, row, item["_vcol"], _cell_text(item["_value"]), str(exc)])
            number = np.nan
        year = np.nan
        try:
            y = parse_number(item["year"], decimal=".") if item["year"] else np.nan
            if not np.isnan(y) and y.is_integer():
                year = int(y)
            else:
                raise NumberFormatError("")
        except NumberFormatError:
            problems.append([file, sheet, row, "year", item["year"], "a year such as 2023"])
        code, level = item["unit_code"].strip(), item["level"].strip()
        if code.isdigit() and level in _CODE_WIDTH:
            code = code.zfill(_CODE_WIDTH[level])
        rows.append(
            {
                "unit_code": code,
                "unit_name": item["unit_name"],
                "level": level,
                "year": year,
                "indicator": item["indicator"].strip(),
                "value": number,
                "qualifier": qualifier,
                "source_id": item["source_id"].strip(),
                "note": item["note"],
                "_file": file,
                "_sheet": sheet,
                "_row": row,
                "_vcol": item["_vcol"],
            }
        )
    frame = pd.DataFrame(rows, columns=[*TIDY_COLUMNS, "_file", "_sheet", "_row", "_vcol"])
    frame["value"] = frame["value"].astype(float)
    return frame


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
        raise FileNotFoundError(f"data file not found: {path}")
    file = str(path)
    extra_sources: set[str] = set()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        blocks, extra_sources = _excel_blocks(path)
    elif path.suffix.lower() in (".csv", ".txt"):
        blocks = _csv_blocks(path)
    else:
        raise DataValidationError(
            pd.DataFrame(
                [[file, "", 0, "", path.suffix, "a .csv or .xlsx file"]], columns=PROBLEM_COLUMNS
            )
        )
    problems: list[list] = []
    items = []
    for sheet, header_row, header, body in blocks:
        items += _long_rows(file, sheet, header_row, header, body, problems)
    if problems:  # the layout is wrong: row-by-row checks would only repeat it
        raise DataValidationError(_problem_frame(problems))
    frame = _build(file, items, decimal, problems)
    if validate:
        if sources is None or isinstance(sources, str | Path):
            source_ids = known_source_ids(sources)
        else:
            source_ids = set(sources)
        problems += _problems(frame, framework, units, source_ids | extra_sources)
    if problems:
        raise DataValidationError(_problem_frame(problems))
    out = _public(frame)
    out.attrs["source_file"] = file
    return out


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
) -> list[list]:
    """Check the rows with a pandera schema and turn its failures into problem rows."""
    import pandera.pandas as pa

    from learningcity.framework import load_framework

    fw = framework if framework is not None else load_framework()
    if units is None:
        from learningcity.units import load_units

        units = load_units()["code"]
    unit_codes = set(units)
    known = fw.known_ids()
    ranges = fw.valid_ranges()
    frame = frame.reset_index(drop=True)
    lo = frame["indicator"].map(ranges["valid_min"]).astype(float).fillna(-np.inf)
    hi = frame["indicator"].map(ranges["valid_max"]).astype(float).fillna(np.inf)

    def sources_known(s: pd.Series) -> pd.Series:
        return s.map(lambda v: bool(v) and all(p.strip() in source_ids for p in v.split(";")))

    expected = {
        "unit_code": "a unit code of learningcity units (GSO code with leading zeros, e.g. "
        "'15' or '132')",
        "level": f"one of {', '.join(LEVELS)}",
        "year": "a year between 1900 and 2100",
        "indicator": "a variable or indicator id of the framework (e.g. "
        "'learning_families_share'; see `learningcity template`)",
        "qualifier": "empty, '>', '<' or '~'",
        "source_id": "the source_id of a row of data/sources.csv (or of the workbook's "
        "Sources sheet)",
    }
    checks = {
        "unit_code": pa.Check(lambda s: s.isin(unit_codes), name="unit_code"),
        "level": pa.Check(lambda s: s.isin(LEVELS), name="level"),
        "year": pa.Check(lambda s: s.between(1900, 2100), name="year"),
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
        return []
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
        else:
            out.append(_at(frame, i, col, str(frame.at[i, col]), expected.get(col, case.check)))
    return out


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
