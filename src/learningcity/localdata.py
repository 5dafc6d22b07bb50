"""The city's own data: files a planner collected, with provenance, beside the published figures.

Planners hold figures nobody publishes (learning families, literacy classes,
community learning centres). They give them as CSV or Excel files, long or
wide, or as the workbook ``learningcity template`` writes, with ``--data
FILE`` (repeatable) on ``report``, ``index``, ``uncertainty``, ``coverage``
and ``validate``. This module

* reads them through the same validation as
  :func:`learningcity.data.read_observations` (every problem of every file at
  once, by file, sheet, row and column) and keeps where each value came from:
  the file, sheet and row, and who collected it and when where the file says
  so, in a ``collected_by`` / ``collected_on`` column (also ``người thu
  thập`` / ``ngày thu thập``) or in the note (``collected by: …; collected on:
  2026-03-01``);
* compares them with the bundled published figures: a value that disagrees
  with a published figure for the same unit, year and indicator is an error
  naming both sources, unless ``prefer_local`` is given, and then the local
  value is used and the disagreement listed (:attr:`LocalData.disagreements`).
  Equal values, within the rounding of the published figure, are no
  disagreement and the published figure is kept;
* sums or averages commune- and ward-level rows to the cities of
  ``data/units/cities.csv`` (:func:`learningcity.cities.aggregate_to_city`),
  naming the member rows each city figure comes from;
* merges them with the published figures into one tidy table with a
  ``provenance`` column, ``"local"`` or ``"published"``
  (:func:`merge_observations`, :func:`to_geography_with_local`).

Examples
--------
>>> import tempfile, pathlib
>>> f = pathlib.Path(tempfile.mkdtemp()) / "nghia-lo.csv"
>>> _ = f.write_text(
...     "unit_code,level,year,indicator,value,source_id,collected_by,collected_on\\n"
...     "133,district,2024,literacy_learners,321,seed-cdkh-2024-01-18,Phòng GD,2025-01-10\\n",
...     encoding="utf-8")
>>> local = load_local_data([f])
>>> local.tidy[["unit_code", "value", "provenance", "local_row", "collected_by"]].values.tolist()
[['133', 321.0, 'local', '2', 'Phòng GD']]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from learningcity.data import (
    PROBLEM_COLUMNS,
    DataValidationError,
    existing_files,
    known_source_ids,
)
from learningcity.i18n import N_
from learningcity.indicators import TIDY_COLUMNS

if TYPE_CHECKING:
    from learningcity.framework import Framework

__all__ = [
    "LOCAL",
    "LOCAL_LABEL",
    "PROVENANCE_COLUMNS",
    "PUBLISHED",
    "LocalData",
    "LocalDataConflictError",
    "add_data_arguments",
    "check_units",
    "aggregate_local_to_cities",
    "cli_observations",
    "compare_with_published",
    "disagreement_lines",
    "load_local_data",
    "mark_derived",
    "merge_observations",
    "read_local_data",
    "to_geography_with_local",
]

#: The ``provenance`` of a value the user collected, and of a bundled published one.
LOCAL, PUBLISHED = "local", "published"
#: How a report names locally collected figures.
LOCAL_LABEL = N_("collected locally")
#: Columns this module adds to the tidy table.
PROVENANCE_COLUMNS = [
    "provenance",
    "local_file",
    "local_sheet",
    "local_row",
    "collected_by",
    "collected_on",
]
DISAGREEMENT_COLUMNS = [
    "unit_code",
    "unit_name",
    "level",
    "year",
    "indicator",
    "local_value",
    "local_file",
    "local_sheet",
    "local_row",
    "published_value",
    "published_source_id",
]
FILE_COLUMNS = ["path", "name", "sha256", "rows"]

# Column names (folded) that say who collected a value and when; not tidy columns,
# so they are taken out of the table before the reader checks its columns.
_COLLECTOR_KEYS = {
    "collected_by": "collected_by",
    "người_thu_thập": "collected_by",
    "nguoi_thu_thap": "collected_by",
    "collected_on": "collected_on",
    "ngày_thu_thập": "collected_on",
    "ngay_thu_thap": "collected_on",
}
_NOTE_BY = re.compile(
    r"(?:collected[ _]by|người thu thập|nguoi thu thap)\s*[:=]?\s*([^;\n]+?)\s*(?=;|$|\n)",
    re.IGNORECASE,
)
_NOTE_ON = re.compile(
    r"(?:collected[ _]on|ngày thu thập|ngay thu thap)\s*[:=]?\s*"
    r"(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})",
    re.IGNORECASE,
)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_KEY = ["unit_code", "level", "year", "indicator"]
_SOURCE_COLUMNS = ["source_id", "publisher", "document", "table_or_page", "year", "url"]


class LocalDataConflictError(DataValidationError):
    """Local values that disagree with bundled published figures (``problems`` names both)."""


@dataclass
class LocalData:
    """The user's data files, read and checked, with the provenance of every value.

    Attributes
    ----------
    tidy : DataFrame
        Tidy rows (``docs/conventions.md``) plus :data:`PROVENANCE_COLUMNS`
        (``provenance`` is ``"local"``), and the city rows aggregated from
        commune rows (``local_row`` lists the member rows, ``file:sheet:row``).
    files : DataFrame
        ``path, name, sha256, rows`` of each file, in the order given.
    sources : DataFrame
        Sources added in the workbooks' ``Sources`` sheets (columns of
        ``data/sources.csv``), not in the bundled list.
    disagreements : DataFrame
        Local values used instead of a different published figure
        (``prefer_local``), :data:`DISAGREEMENT_COLUMNS`.
    confirmed : int
        Local values equal to a published figure (the published one is kept).
    prefer_local : bool
        Whether local values win over disagreeing published figures.
    """

    tidy: pd.DataFrame
    files: pd.DataFrame
    sources: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_SOURCE_COLUMNS))
    disagreements: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=DISAGREEMENT_COLUMNS)
    )
    confirmed: int = 0
    prefer_local: bool = False

    def __len__(self) -> int:
        return len(self.tidy)


# --- reading --------------------------------------------------------------------------


def _take_collector_columns(block):
    """``block`` without its collected_by/collected_on columns, and their text by row number."""
    from learningcity.data import _Block, _column_key

    keep, taken = [], {}
    for j, name in enumerate(block.header):
        what = _COLLECTOR_KEYS.get(_column_key(name))
        if what is None:
            keep.append(j)
            continue
        texts = block.texts[j][block.codes[j]]
        uniques = np.append(block.uniques[j].astype(object), None)[block.codes[j]]
        taken[what] = {
            int(r): _date_text(u) if what == "collected_on" else str(t)
            for r, t, u in zip(block.rows, texts, uniques, strict=True)
        }
    if not taken:
        return block, {}
    stripped = _Block(
        block.sheet,
        block.header_row,
        [block.header[j] for j in keep],
        block.rows,
        [block.codes[j] for j in keep],
        [block.uniques[j] for j in keep],
        [block.texts[j] for j in keep],
    )
    return stripped, taken


def _date_text(value: object) -> str:
    """A collection date as ISO text (a spreadsheet date, 2026-03-01 or 1/3/2026)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    text = str(value).strip()
    m = _DMY.fullmatch(text)  # Vietnamese order: day/month/year
    if m:
        return f"{int(m[3]):04d}-{int(m[2]):02d}-{int(m[1]):02d}"
    return text


def _date_problem(file: str, sheet: str, row: int, column: str, text: str) -> list | None:
    if not text:
        return None
    try:
        if _ISO.fullmatch(text):
            day = dt.date.fromisoformat(text)
            if day <= dt.date.today():
                return None
    except ValueError:
        pass
    return [
        file,
        sheet,
        row,
        column,
        text,
        "a date of collection up to today: 2026-03-01 or 1/3/2026",
    ]


def _read_one(path: Path, framework: Framework, source_ids: set[str], decimal: str | None):
    """One file as tidy rows with file, sheet and row of each value (or its problems)."""
    from learningcity import data as d

    file = str(path)
    extra: set[str] = set()
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from learningcity.excel import observation_blocks

        blocks, extra = observation_blocks(path)
    elif suffix in (".csv", ".txt"):
        blocks = d._csv_blocks(path)
    else:
        raise DataValidationError(
            pd.DataFrame(
                [[file, "", 0, "", path.suffix, "a .csv or .xlsx file"]], columns=PROBLEM_COLUMNS
            )
        )
    problems: list[list] = []
    parts, collectors = [], {}
    for block in blocks:
        block, taken = _take_collector_columns(d._as_block(block))
        for what, by_row in taken.items():
            for row, text in by_row.items():
                collectors[(block.sheet, row, what)] = text
        parts.append(d._long_rows(file, block, framework.known_ids(), problems))
    if problems:  # the layout is wrong: row-by-row checks would only repeat it
        raise DataValidationError(d._problem_frame(problems))
    frame = d._build(file, d._concat_items([p for p in parts if p is not None]), decimal, problems)
    problems += d._problems(
        frame, framework, None, source_ids | extra, check_counts=decimal is None
    )
    out = d._public(frame)
    by, on = [], []
    for sheet, row, note in zip(frame["_sheet"], frame["_row"], out["note"], strict=True):
        who = collectors.get((sheet, int(row), "collected_by"), "")
        when = collectors.get((sheet, int(row), "collected_on"), "")
        if not who and (m := _NOTE_BY.search(note)):
            who = m[1].strip()
        if not when and (m := _NOTE_ON.search(note)):
            when = _date_text(m[1])
        bad = _date_problem(file, sheet, int(row), "collected_on", when)
        if bad:
            problems.append(bad)
        by.append(who)
        on.append(when)
    if problems:
        raise DataValidationError(d._problem_frame(problems))
    out = out.assign(
        provenance=LOCAL,
        local_file=file,
        local_sheet=frame["_sheet"].astype(str).to_numpy(),
        local_row=frame["_row"].astype(int).astype(str).to_numpy(),
        collected_by=by,
        collected_on=on,
    )
    # A template line left blank but for its pre-filled unit has no value: nothing collected.
    return out[out["value"].notna()].reset_index(drop=True), _workbook_sources(path)


def _workbook_sources(path: Path) -> pd.DataFrame:
    """The rows of a workbook's ``Sources`` sheet (empty for a CSV file)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return pd.DataFrame(columns=_SOURCE_COLUMNS)
    from learningcity.data import _cell_text
    from learningcity.excel import XlsxReader

    rows = []
    with XlsxReader(path) as book:
        for title in book.sheets:
            if title.strip().casefold() != "sources":
                continue
            header: list[str] = []
            for _, cells in book.rows(title):
                record = {c: _cell_text(v) for c, v in cells}
                if not header:
                    width = max(record, default=0)
                    header = [record.get(c, "").strip().casefold() for c in range(1, width + 1)]
                    continue
                rows.append({h: record.get(i + 1, "") for i, h in enumerate(header) if h})
    table = pd.DataFrame(rows)
    for col in _SOURCE_COLUMNS:
        if col not in table:
            table[col] = ""
    return table[_SOURCE_COLUMNS].fillna("").astype(str)


def read_local_data(
    paths: Iterable[str | Path],
    *,
    framework: Framework | None = None,
    sources: Iterable[str] | str | Path | None = None,
    decimal: str | None = None,
) -> LocalData:
    """Read the user's data files, checked as :func:`~learningcity.data.read_observations` does.

    Parameters
    ----------
    paths : iterable of path-like
        CSV or Excel files, long or wide, or filled collection workbooks.
    framework : Framework, optional
        The shipped framework by default.
    sources : iterable of str or path, optional
        Known source ids, or a sources CSV; ``data/sources.csv`` by default (a
        workbook's ``Sources`` sheet adds its own).
    decimal : {None, ",", "."}
        The decimal mark, read from each file by default.

    Returns
    -------
    LocalData
        Not yet compared with the published figures (see :func:`compare_with_published`).

    Raises
    ------
    DataFileNotFoundError
        Naming every file that does not exist.
    DataValidationError
        With every problem of every file (file, sheet, row, column, value, expected).

    Examples
    --------
    >>> read_local_data(["no-such.xlsx"])
    Traceback (most recent call last):
    ...
    learningcity.data.DataFileNotFoundError: data file not found: no-such.xlsx
    """
    from learningcity.files import sha256_file
    from learningcity.framework import load_framework

    paths = existing_files(paths)
    fw = framework if framework is not None else load_framework()
    if sources is None or isinstance(sources, str | Path):
        source_ids = known_source_ids(sources)
    else:
        source_ids = set(sources)
    frames, extra, problems, files = [], [], [], []
    for path in dict.fromkeys(p.resolve() for p in paths):  # a file named twice is read once
        try:
            tidy, added = _read_one(path, fw, source_ids, decimal)
        except DataValidationError as exc:
            problems.append(exc.problems)
            continue
        frames.append(tidy)
        extra.append(added[~added["source_id"].isin(source_ids)])
        files.append([str(path), path.name, sha256_file(path), len(tidy)])
    if problems:
        raise DataValidationError(pd.concat(problems, ignore_index=True))
    tidy = pd.concat(frames, ignore_index=True) if frames else _empty()
    problems = _duplicates(tidy)
    if problems:
        raise DataValidationError(pd.DataFrame(problems, columns=PROBLEM_COLUMNS))
    tidy = pd.concat([tidy, aggregate_local_to_cities(tidy, fw)], ignore_index=True)
    added = pd.concat(extra, ignore_index=True) if extra else pd.DataFrame(columns=_SOURCE_COLUMNS)
    return LocalData(
        tidy=tidy,
        files=pd.DataFrame(files, columns=FILE_COLUMNS),
        sources=added.drop_duplicates("source_id").reset_index(drop=True),
    )


def _empty() -> pd.DataFrame:
    out = pd.DataFrame(columns=[*TIDY_COLUMNS, *PROVENANCE_COLUMNS])
    return out.astype({"year": "int64", "value": float})


def _where(row) -> str:
    sheet = f"sheet {row.local_sheet!r} " if row.local_sheet else ""
    return f"{row.local_file} {sheet}row {row.local_row}"


def _duplicates(tidy: pd.DataFrame) -> list[list]:
    """A unit, year and indicator given twice across the files (the reader checks one file)."""
    dup = tidy[tidy.duplicated(_KEY, keep=False)]
    problems = []
    for _, grp in dup.groupby(_KEY, sort=False):
        first = grp.iloc[0]
        for row in grp.iloc[1:].itertuples():
            problems.append(
                [
                    row.local_file,
                    row.local_sheet,
                    int(row.local_row),
                    "unit_code, year, indicator",
                    f"{row.unit_code}, {row.year}, {row.indicator}",
                    f"one value per unit, year and indicator (also at {_where(first)})",
                ]
            )
    return problems


# --- cities ---------------------------------------------------------------------------


def aggregate_local_to_cities(
    tidy: pd.DataFrame, framework: Framework | None = None
) -> pd.DataFrame:
    """City rows from the commune- and ward-level rows of local data, with the members' provenance.

    Each city of ``data/units/cities.csv`` with a member among the rows gets,
    per year, its members' counts summed and shares and rates weighted by
    population (:func:`learningcity.cities.aggregate_to_city`, in the geography
    of the end of the year); ``local_row`` lists the member rows used
    (``file:sheet:row``), ``collected_by`` and ``collected_on`` theirs.

    Examples
    --------
    >>> rows = pd.DataFrame({"unit_code": ["04288", "04663", "04681"], "unit_name": "",
    ...     "level": "commune", "year": 2026, "indicator": "literacy_learners",
    ...     "value": [1.0, 2.0, 3.0], "qualifier": "", "source_id": "s", "note": "",
    ...     "provenance": "local", "local_file": "f.csv", "local_sheet": "",
    ...     "local_row": ["2", "3", "4"], "collected_by": "", "collected_on": ""})
    >>> city = aggregate_local_to_cities(rows)
    >>> city[["unit_code", "value", "qualifier", "local_row"]].values.tolist()
    [['nghia-lo', 6.0, '>', 'f.csv:2; f.csv:3; f.csv:4']]
    """
    from learningcity.cities import aggregate_to_city, load_cities
    from learningcity.framework import load_framework

    communes = tidy[(tidy["level"] == "commune") & tidy["value"].notna()]
    if communes.empty:
        return _empty()
    fw = framework if framework is not None else load_framework()
    kinds = fw.variables().set_index("id")["kind"].to_dict()
    how = {"count": "count", "amount": "count", "share": "share", "rate": "rate"}
    kind = {i: how[kinds[i]] for i in set(communes["indicator"]) if kinds.get(i) in how}
    cities = load_cities()
    members = cities[cities["member_code"].isin(set(communes["unit_code"]))]
    out = []
    for city in dict.fromkeys(members["city_id"]):
        rows = aggregate_to_city(communes, city, kind=kind, cities=cities)
        rows = rows[rows["value"].notna()]
        if rows.empty:
            continue
        city_members = set(cities.loc[cities["city_id"] == city, "member_code"])
        used = communes[communes["unit_code"].isin(city_members)]
        for row in rows.itertuples():
            parts = used[(used["year"] == row.year) & (used["indicator"] == row.indicator)]
            parts = parts[[p in row.note for p in parts["unit_code"]]]  # the members it names
            out.append(
                {
                    **row._asdict(),
                    "provenance": LOCAL,
                    "local_file": _join(parts["local_file"]),
                    "local_sheet": _join(parts["local_sheet"]),
                    "local_row": "; ".join(
                        f"{Path(f).name}:{s + ':' if s else ''}{r}"
                        for f, s, r in zip(
                            parts["local_file"],
                            parts["local_sheet"],
                            parts["local_row"],
                            strict=True,
                        )
                    ),
                    "collected_by": _join(parts["collected_by"]),
                    "collected_on": _join(parts["collected_on"]),
                }
            )
    if not out:
        return _empty()
    frame = pd.DataFrame(out).drop(columns=["Index"], errors="ignore")
    return frame[[*TIDY_COLUMNS, *PROVENANCE_COLUMNS]].astype({"year": "int64", "value": float})


def _join(values: Iterable[object]) -> str:
    return "; ".join(dict.fromkeys(str(v) for v in values if v))


# --- against the published figures ----------------------------------------------------


def _decimals(value: float) -> int:
    """Decimals the published figure was given with (57.48 -> 2, 68206 -> 0)."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        return 6
    return 0 if text.endswith(".0") else min(len(text.split(".")[1]), 6)


def _same(local: float, published: float) -> bool:
    """Equal within the rounding of the published figure (68 206 and 68 206.4)."""
    if math.isnan(local) or math.isnan(published):
        return math.isnan(local) and math.isnan(published)
    d = _decimals(published)
    return abs(local - published) <= 0.5 * 10.0**-d + 1e-9 * max(1.0, abs(published))


def compare_with_published(
    local: LocalData, published: pd.DataFrame, *, prefer_local: bool = False
) -> LocalData:
    """Check local values against the published figures of the same unit, year and indicator.

    Parameters
    ----------
    local : LocalData
        From :func:`read_local_data`.
    published : DataFrame
        The bundled observations (:func:`learningcity.data.load_bundled_observations`),
        with ``source_id``.
    prefer_local : bool, default False
        Use a local value that disagrees with a published figure (the
        disagreement is listed) instead of refusing it.

    Returns
    -------
    LocalData
        With ``disagreements`` (when ``prefer_local``) and ``confirmed``.

    Raises
    ------
    LocalDataConflictError
        Without ``prefer_local``, naming for each disagreement the local row
        (file, sheet, row) and value, and the published figure and its source_id.
    """
    mine = local.tidy[local.tidy["local_row"].str.fullmatch(r"\d+")]  # rows, not city sums
    pub = published[published["value"].notna()]
    both = mine.reset_index().merge(
        pub[[*_KEY, "value", "source_id"]], on=_KEY, suffixes=("", "_pub"), how="inner"
    )
    same = [_same(a, b) for a, b in zip(both["value"], both["value_pub"], strict=True)]
    differ = both[~np.array(same, dtype=bool)] if len(both) else both
    table = pd.DataFrame(
        {
            "unit_code": differ["unit_code"],
            "unit_name": differ["unit_name"],
            "level": differ["level"],
            "year": differ["year"],
            "indicator": differ["indicator"],
            "local_value": differ["value"],
            "local_file": differ["local_file"],
            "local_sheet": differ["local_sheet"],
            "local_row": differ["local_row"],
            "published_value": differ["value_pub"],
            "published_source_id": differ["source_id_pub"],
        },
        columns=DISAGREEMENT_COLUMNS,
    ).reset_index(drop=True)
    if len(table) and not prefer_local:
        problems = [
            [
                r.local_file,
                r.local_sheet,
                int(r.local_row),
                "value",
                _num(r.local_value),
                f"the published figure {_num(r.published_value)} of source "
                f"{r.published_source_id!r} for {r.unit_code}, {r.year}, {r.indicator} "
                "(the bundled data): a local value never replaces a published one silently; "
                "correct it, or pass --prefer-local to use the local value and list the "
                "disagreement in the report",
            ]
            for r in table.itertuples()
        ]
        raise LocalDataConflictError(pd.DataFrame(problems, columns=PROBLEM_COLUMNS))
    # An equal value confirms the published figure, which is kept (it can be cited).
    equal = list(both.loc[np.array(same, dtype=bool), "index"]) if len(both) else []
    equal += _confirms_carried(mine.drop(index=equal), pub)
    return LocalData(
        tidy=local.tidy.drop(index=equal).reset_index(drop=True),
        files=local.files,
        sources=local.sources,
        disagreements=table,
        confirmed=len(equal),
        prefer_local=prefer_local,
    )


def _confirms_carried(mine: pd.DataFrame, pub: pd.DataFrame) -> list:
    """Local rows that repeat a published figure carried to their unit (a city, a new ward).

    The collection workbook is pre-filled with those figures; left as they are,
    they are the published figures (and stay so in the report), not local ones.
    A local value that differs from a carried figure is no disagreement: the
    carried one is of other units, combined, so the figure collected for the
    unit itself is used.
    """
    from learningcity.crosswalk import to_geography

    keys = pd.MultiIndex.from_frame(pub[_KEY])
    new = mine[~pd.MultiIndex.from_frame(mine[_KEY]).isin(keys)] if len(mine) else mine
    if new.empty:
        return []
    carried = to_geography(pub, dt.date.today().isoformat())
    carried = carried[carried["carried_from"] != ""]
    both = new.reset_index().merge(
        carried[[*_KEY, "value", "qualifier", "source_id"]], on=_KEY, suffixes=("", "_pub")
    )
    same = [
        _same(a, b) and (q or "") == (qp or "") and str(sid) == str(sp)
        for a, b, q, qp, sid, sp in zip(both["value"], both["value_pub"], both["qualifier"],
                                        both["qualifier_pub"], both["source_id"],
                                        both["source_id_pub"], strict=True)
    ]  # fmt: skip
    return list(both.loc[np.array(same, dtype=bool), "index"]) if len(both) else []


def _num(x: float) -> str:
    return f"{x:g}" if abs(x) < 1e15 else repr(x)


def load_local_data(
    paths: Iterable[str | Path],
    *,
    prefer_local: bool = False,
    published: pd.DataFrame | None = None,
    framework: Framework | None = None,
) -> LocalData:
    """Read the user's files and check them against the published figures.

    :func:`read_local_data` then :func:`compare_with_published` with the
    bundled observations (or ``published``).

    Examples
    --------
    >>> load_local_data([]).tidy.empty
    True
    """
    from learningcity.data import load_bundled_observations

    local = read_local_data(paths, framework=framework)
    published = load_bundled_observations() if published is None else published
    return compare_with_published(local, published, prefer_local=prefer_local)


def merge_observations(published: pd.DataFrame, local: LocalData | None) -> pd.DataFrame:
    """Published and local figures in one tidy table, with a ``provenance`` column.

    A published figure that a local value replaces (``prefer_local``) is
    left out; the others are kept beside the local values.

    Examples
    --------
    >>> from learningcity.data import load_bundled_observations
    >>> obs = load_bundled_observations()
    >>> set(merge_observations(obs, None)["provenance"])
    {'published'}
    """
    pub = published.copy()
    for col in PROVENANCE_COLUMNS:
        pub[col] = PUBLISHED if col == "provenance" else ""
    if local is None or local.tidy.empty:
        return pub
    if len(local.disagreements):
        replaced = pd.MultiIndex.from_frame(local.disagreements[_KEY])
        pub = pub[~pd.MultiIndex.from_frame(pub[_KEY]).isin(replaced)]
    out = pd.concat([pub, local.tidy], ignore_index=True)
    for col in PROVENANCE_COLUMNS:
        out[col] = out[col].fillna("").astype(str)
    return out


def to_geography_with_local(obs: pd.DataFrame, date: object) -> pd.DataFrame:
    """:func:`learningcity.crosswalk.to_geography` keeping each figure's provenance.

    Published and local figures are carried separately (a carried figure is
    of one provenance); where both give a figure for one unit, year and
    indicator, one published or collected for the unit itself wins over a
    carried one, an exact one over a bound, then the published one.
    """
    from learningcity.crosswalk import to_geography

    if "provenance" not in obs or not (obs["provenance"] == LOCAL).any():
        out = to_geography(obs, date)
        if "provenance" in obs:
            for col in PROVENANCE_COLUMNS:
                out[col] = out[col].fillna(PUBLISHED if col == "provenance" else "")
        return out
    parts = []
    for kind in (PUBLISHED, LOCAL):
        part = obs[obs["provenance"] == kind]
        if part.empty:
            continue
        moved = to_geography(part, date)
        carried = moved["carried_from"] != ""
        moved["provenance"] = kind
        for col in PROVENANCE_COLUMNS[1:]:
            moved[col] = moved[col].fillna("").astype(str)
        if kind == LOCAL:  # a carried local figure names the files it comes from
            files = _join(Path(f).name for f in part["local_file"])
            moved.loc[carried & (moved["local_file"] == ""), "local_file"] = files
        parts.append(moved.assign(_rank=carried.astype(int) * (1 + (moved["qualifier"] != ""))))
    out = pd.concat(parts, ignore_index=True).sort_values("_rank", kind="stable")
    out = out.drop_duplicates(["unit_code", "level", "year", "indicator"], keep="first")
    return out.sort_index().drop(columns="_rank").reset_index(drop=True)


def check_units(local: LocalData, units: Iterable[pd.Series], date: object) -> None:
    """Refuse a data file that holds no figure for any unit of the report (a wrong file).

    A collection workbook of Yên Bái given for a report on Nghĩa Lộ would
    otherwise be read, checked and silently unused. A file is for a unit when,
    in the geography of ``date``, one of its rows is for that unit, a member of
    that city, or a unit within that province; a file with province rows is
    always accepted (province figures enter the comparisons).

    Parameters
    ----------
    local : LocalData
        The files, read (:func:`load_local_data`).
    units : iterable of Series
        The report's units (rows with ``code``, ``level``, ``parent_code``).
    date : str or date
        The day of the report's geography.

    Raises
    ------
    UsageError
        Naming each such file, the units it holds and the report's units.
    """
    from learningcity.cities import city_members
    from learningcity.crosswalk import to_geography
    from learningcity.errors import UsageError
    from learningcity.units import load_units

    units = list(units)
    if local is None or local.tidy.empty or not units:
        return
    table = load_units()
    parent = dict(zip(table["code"], table["parent_code"], strict=False))
    wanted: set[str] = set()
    provinces: set[str] = set()
    for u in units:
        wanted.add(str(u["code"]))
        if u["level"] == "city":
            wanted |= set(city_members(u["code"], date)["code"])
        elif u["level"] == "province":
            provinces.add(str(u["code"]))
    wrong = []
    for path in local.files["path"]:
        rows = local.tidy[local.tidy["local_file"] == path]
        if rows.empty or (rows["level"] == "province").any():
            continue
        moved = to_geography(rows, date)
        codes = set(moved["unit_code"]) | set(rows["unit_code"])
        if codes & wanted or {parent.get(c, "") for c in codes} & provinces:
            continue
        held = rows.drop_duplicates("unit_code").head(5)
        names = ", ".join(
            f"{n} ({c})" for c, n in zip(held["unit_code"], held["unit_name"], strict=True)
        )
        asked = ", ".join(f"{u['name']} ({u['code']})" for u in units)
        wrong.append(f"{path}: its figures are for {names}, none for {asked}")
    if wrong:
        raise UsageError(
            "--data: a file holds no figure for the report's units (another unit's file?):\n"
            + "\n".join(f"  {w}" for w in wrong)
            + "\n  give the file collected for the report's unit, or name its unit in the command"
        )


def mark_derived(tidy: pd.DataFrame, framework: Framework | None = None) -> pd.DataFrame:
    """Give derived rows (no ``provenance`` yet) ``"local"`` when an input of theirs is local.

    A rate computed from a locally collected count and a published
    population uses local data, and the report says so.
    """
    from learningcity.framework import load_framework

    if "provenance" not in tidy:
        return tidy
    out = tidy.copy()
    todo = out["provenance"].isna() | (out["provenance"].astype(str) == "")
    if not todo.any():
        return out
    fw = framework if framework is not None else load_framework()
    local = out[out["provenance"] == LOCAL]
    pairs = set(zip(local["unit_code"], local["indicator"], strict=True))
    known = set(fw.indicators()["id"])
    marks = []
    for code, ind in zip(out.loc[todo, "unit_code"], out.loc[todo, "indicator"], strict=True):
        inputs = fw.inputs(ind) if ind in known else []
        marks.append(LOCAL if any((code, i) in pairs for i in inputs) else PUBLISHED)
    out.loc[todo, "provenance"] = marks
    for col in PROVENANCE_COLUMNS[1:]:
        out[col] = out[col].fillna("").astype(str)
    return out


# --- command line ---------------------------------------------------------------------


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--data FILE`` (repeatable) and ``--prefer-local`` to a command."""
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="the city's own data (CSV or Excel, long or wide, or the workbook of "
        "`learningcity template`), beside the published figures; repeatable",
    )
    parser.add_argument(
        "--prefer-local",
        action="store_true",
        help="use a local value that disagrees with a published figure (the disagreement "
        "is listed) instead of stopping with an error",
    )


def disagreement_lines(local: LocalData) -> list[str]:
    """One printable line per local value used instead of a different published figure.

    Examples
    --------
    >>> disagreement_lines(LocalData(tidy=_empty(), files=pd.DataFrame(columns=FILE_COLUMNS)))
    []
    """
    return [
        f"local value used: {r.unit_code} {r.year} {r.indicator} = {_num(r.local_value)} "
        f"({_where(r)}), published {_num(r.published_value)} ({r.published_source_id})"
        for r in local.disagreements.itertuples()
    ]


def cli_observations(
    data: Sequence[Path],
    prefer_local: bool,
    command: str,
    published: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, LocalData | None]:
    """The published observations (bundled by default) merged with ``--data`` files.

    Prints a summary of the local data and every disagreement used (``index``,
    ``coverage`` and ``uncertainty`` list them so).

    Examples
    --------
    >>> obs, local = cli_observations([], False, "index")
    >>> local is None, len(obs) > 0
    (True, True)
    """
    from learningcity.data import load_bundled_observations

    obs = load_bundled_observations() if published is None else published
    if not data:
        return obs, None
    local = load_local_data(data, prefer_local=prefer_local, published=obs)
    print(
        f"{command}: {len(local.tidy)} locally collected value(s) from "
        f"{len(local.files)} file(s) ({local.confirmed} equal to a published figure)"
    )
    for line in disagreement_lines(local):
        print(f"{command}: {line}")
    return merge_observations(obs, local), local
