"""An Excel workbook for collecting local data, read back through the same loader.

:func:`write_template` makes a workbook with

* ``README``: how to fill it in (Vietnamese and English);
* ``Context``: statistics used across areas (population, …);
* one sheet per KFLC area (``1 Wider benefits``, …) listing the raw
  statistics its indicators are computed from, with names, unit, the
  indicators they feed, national targets and the valid range, and empty
  columns to fill: ``unit_code, unit_name, level, year, value, qualifier,
  source_id, note``;
* ``Indicators``: the definitions (formula, goalposts, targets);
* ``Sources``: the known sources; new ones are added as rows and their
  ``source_id`` may then be used in the data sheets.

With a unit and a year (``learningcity template F.xlsx --unit "Nghĩa Lộ"
--year 2025``) the unit is resolved with :func:`learningcity.cities.resolve_place`
in the geography of that year, and :func:`published_values` pre-fills the
latest published figure of each statistic up to that year (value, year,
qualifier, source_id and a note saying it is published, or carried from which
units); the rest stays blank to collect. The unit columns are filled on every
line.

Value cells carry Excel data validation (the framework's valid range, whole
numbers for counts and years), the year cells a whole year from 1990 to now,
the qualifier cells a list. The data sheets are protected without a password:
headers and definitions are locked, the fill columns are not.

Every text is written as a string, never a formula, even when it starts with
``=``, ``+``, ``-`` or ``@`` (see :mod:`learningcity.exports`).

:func:`learningcity.data.read_observations` reads the filled workbook: every
sheet with an ``indicator`` column is read in the long layout, unfilled lines
are skipped and the ``Sources`` sheet extends the known source ids.

Examples
--------
>>> import tempfile, pathlib
>>> path = write_template(pathlib.Path(tempfile.mkdtemp()) / "collect.xlsx")
>>> import openpyxl
>>> openpyxl.load_workbook(path).sheetnames[:3]
['README', 'Context', '1 Wider benefits']
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from learningcity.exports import protect_excel_cell
from learningcity.files import atomic_write_bytes
from learningcity.paths import data_dir

if TYPE_CHECKING:
    from learningcity.framework import Framework

__all__ = [
    "FILL_COLUMNS",
    "MARK_SHEETS",
    "Prefill",
    "published_values",
    "structure_problems",
    "template_rows",
    "write_template",
]

#: Columns the collector fills in on each data sheet.
FILL_COLUMNS = [
    "unit_code",
    "unit_name",
    "level",
    "year",
    "value",
    "qualifier",
    "source_id",
    "note",
]
_DESCRIBE = ["indicator", "name_en", "name_vi", "unit_of_measure", "used_for", "target"]
_DESCRIBE += ["valid_range"]
#: Sheets every template holds besides its data sheets: together they mark a workbook
#: written by ``learningcity template``, whose sheets and columns are then checked.
MARK_SHEETS = ("README", "Indicators", "Sources")
#: Columns a collector may add to a data sheet (read by :mod:`learningcity.localdata`).
_EXTRA_COLUMNS = ("collected_by", "collected_on")

_README = [
    ("learningcity: mẫu thu thập số liệu / data collection template", None),
    ("", None),
    ("Tiếng Việt", "bold"),
    ("Mỗi trang 1, 2, 3 là một lĩnh vực của khung UNESCO (Key Features of Learning Cities).", None),
    (
        "Mỗi dòng là một số liệu gốc (cột indicator). Điền unit_code (mã GSO, giữ số 0 ở đầu), "
        "year, value và source_id; sao chép dòng cho đơn vị hoặc năm khác.",
        None,
    ),
    (
        "Số có thể viết kiểu Việt Nam: 95,8 hoặc 1.234.567; ô để trống = không có số liệu "
        "(không ước đoán).",
        None,
    ),
    ("qualifier: để trống, '>' (cận dưới, 'trên 99%'), '<' (cận trên) hoặc '~' (khoảng).", None),
    (
        "source_id phải có trong trang Sources; thêm nguồn mới ở đó (cơ quan, văn bản, "
        "bảng/trang, năm, URL).",
        None,
    ),
    ("Kiểm tra tệp: learningcity validate TỆP.xlsx", None),
    ("", None),
    ("English", "bold"),
    ("Sheets 1, 2, 3 are the areas of UNESCO's Key Features of Learning Cities.", None),
    (
        "Each line is one raw statistic (column indicator). Fill unit_code (GSO code, keep "
        "leading zeros), year, value and source_id; copy the line for more units or years.",
        None,
    ),
    (
        "Numbers may be written the Vietnamese way (95,8 or 1.234.567); an empty cell means "
        "missing (never a guess).",
        None,
    ),
    ("qualifier: empty, '>' (lower bound), '<' (upper bound) or '~' (approximate).", None),
    ("source_id must be a row of the Sources sheet; add new sources there.", None),
    ("Check the file: learningcity validate FILE.xlsx", None),
    ("", None),
    ("Ô nhập / Input cells", "bold"),
    (
        "Các cột mô tả và dòng tiêu đề được khoá (không mật khẩu: Review > Unprotect Sheet); "
        "ô value có kiểm tra khoảng hợp lệ, year từ 1990 đến năm nay.",
        None,
    ),
    (
        "Headers and definition columns are locked (no password: Review > Unprotect Sheet); "
        "value cells check the valid range, year cells a year from 1990 to now.",
        None,
    ),
    (
        "Dòng đã điền sẵn là số liệu đã công bố (xem note); cập nhật bằng cách sao chép dòng "
        "cho năm mới. / Pre-filled lines are published figures (see note); copy the line for "
        "a newer year.",
        None,
    ),
]

#: First year a collector may type in the year column.
FIRST_TEMPLATE_YEAR = 1990
# Kinds of variable whose values are whole numbers.
_WHOLE_KINDS = ("count", "year")
# Lines of a data sheet that are formatted and unlocked for copied lines.
_SPARE_LINES = 200
# Lines the list and year validations reach.
_VALIDATED_LINES = 1000


def _sheet_name(code: str, name: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    return re.sub(r"[\[\]:*?/\\]", "-", f"{code} {name}")[:31].strip()


def template_rows(framework: Framework | None = None) -> dict[str, pd.DataFrame]:
    """The describing part of each data sheet, by sheet name.

    A variable used by indicators of one area goes to that area's sheet; the
    others (used across areas, or by no indicator yet, such as
    ``literacy_classes``) go to ``Context``.

    Examples
    --------
    >>> rows = template_rows()
    >>> "population" in set(rows["Context"]["indicator"])
    True
    >>> "learning_families_share" in set(rows["2 Major building blocks"]["indicator"])
    True
    """
    from learningcity.framework import load_framework

    fw = framework if framework is not None else load_framework()
    ind = fw.indicators()
    variables = fw.variables().set_index("id")
    targets = fw.targets()
    used_by: dict[str, list[str]] = defaultdict(list)
    for row in ind.itertuples():
        for var in fw.inputs(row.id):
            used_by[var].append(row.id)
    area_of = ind.set_index("id")["area"]
    area_names = fw.areas().set_index("code")["name_en"]
    sheets: dict[str, list[dict]] = {"Context": []}
    for code, name in area_names.items():
        sheets[_sheet_name(code, name)] = []
    for var in variables.index:
        users = used_by.get(var, [])
        areas = sorted({area_of[u] for u in users})
        sheet = _sheet_name(areas[0], area_names[areas[0]]) if len(areas) == 1 else "Context"
        lines = []
        for u in users:
            for t in targets[targets["indicator"] == u].itertuples():
                lines.append(f"{u} {t.year}: {t.value:g} ({t.source})")
        v = variables.loc[var]
        lo = "" if pd.isna(v["valid_min"]) else f"{v['valid_min']:g}"
        hi = "" if pd.isna(v["valid_max"]) else f"{v['valid_max']:g}"
        sheets[sheet].append(
            {
                "indicator": var,
                "name_en": v["name_en"],
                "name_vi": v["name_vi"],
                "unit_of_measure": v["unit"],
                "used_for": ", ".join(
                    f"{u} ({ind.set_index('id').loc[u, 'focus_area']})" for u in users
                ),
                "target": "; ".join(lines),
                "valid_range": f"{lo} – {hi}".strip(),
            }
        )
    return {name: pd.DataFrame(rows, columns=_DESCRIBE) for name, rows in sheets.items()}


def structure_problems(
    file: str, headers: dict[str, list[str] | None], framework: Framework | None = None
) -> list[list]:
    """What is wrong with the sheets and columns of a filled-in template.

    Only a workbook holding every sheet of :data:`MARK_SHEETS` is a template;
    any other workbook (the user's own layout) gives no problem here. In a
    template every data sheet must be there under its own name, and its header
    must keep the template's columns: a renamed or deleted sheet, or a renamed
    column, would otherwise lose or misread the figures on it.

    Parameters
    ----------
    file : str
        The file, as problems name it.
    headers : dict
        Every sheet title of the workbook -> its header (column names), or
        None for a sheet without one.
    framework : Framework, optional
        The one the template was written for (the shipped one by default).

    Returns
    -------
    list of list
        Problems as rows of :data:`learningcity.data.PROBLEM_COLUMNS`.

    Examples
    --------
    >>> head = [*_DESCRIBE, *FILL_COLUMNS]
    >>> sheets = {"README": None, "Context": head, "1 Wider benefits": head,
    ...           "2 Major building blocks": head, "Sheet2": head,
    ...           "Indicators": None, "Sources": ["source_id"]}
    >>> [p[1] for p in structure_problems("t.xlsx", sheets)]
    ['Sheet2']
    """
    import difflib

    if not all(m in headers for m in MARK_SHEETS):
        return []
    expected = list(template_rows(framework))
    columns = [*_DESCRIBE, *FILL_COLUMNS]
    missing = [name for name in expected if name not in headers]
    strays = [t for t, h in headers.items() if t not in expected and t not in MARK_SHEETS and h]
    problems: list[list] = []
    for title in strays:
        guess = f"'{missing[0]}' renamed? " if len(missing) == 1 else ""
        expect = (f"a sheet of the template ({', '.join(expected)}); {guess}give the sheet "
                  "back its name, or copy its rows into the template's sheet")  # fmt: skip
        problems.append([file, title, 1, "", title, expect])
    renamed = len(missing) == 1 and len(strays) == 1  # said once, on the stray sheet
    for name in [] if renamed else missing:
        problems.append([file, name, 0, "", "missing",
                         f"the template's sheet '{name}': it was deleted or renamed; write a "
                         "fresh template with `learningcity template` and copy the figures "
                         "into it"])  # fmt: skip
    for title in expected:
        header = headers.get(title)
        if not header:
            continue
        for col in header:
            if col and col not in columns and col not in _EXTRA_COLUMNS:
                near = difflib.get_close_matches(col.strip().casefold(), columns, n=1, cutoff=0.6)
                hint = f"; did you mean '{near[0]}'?" if near else ""
                problems.append([file, title, 1, col, col,
                                 f"a column of the template ({', '.join(FILL_COLUMNS)} are "
                                 f"filled in){hint}"])  # fmt: skip
        for col in FILL_COLUMNS:
            if col not in header:
                expect = f"the template's column '{col}' in the header (row 1)"
                problems.append([file, title, 1, col, "missing", expect])
    return problems


@dataclass(frozen=True)
class Prefill:
    """The unit a template is for, and what is published for it.

    Attributes
    ----------
    unit_code, unit_name, level : str
        The unit (or city) as :func:`learningcity.cities.resolve_place` found it.
    year : int
        The year asked for.
    date : str
        The day of the geography: 31 December of ``year``, or today for the
        current year.
    note : str
        What the resolution did (a successor, a city for a bare name), or "".
    values : DataFrame
        Indexed by variable id: ``year, value, qualifier, source_id, note``,
        the latest published figure up to ``year``.
    """

    unit_code: str
    unit_name: str
    level: str
    year: int
    date: str
    note: str
    values: pd.DataFrame


def _geography_day(year: int, today: dt.date | None = None) -> str:
    from learningcity.errors import UsageError

    today = today or dt.date.today()
    if not FIRST_TEMPLATE_YEAR <= year <= today.year:
        raise UsageError(
            f"year {year}: give a year from {FIRST_TEMPLATE_YEAR} to {today.year} "
            "(the geography of that year is used)"
        )
    # The current year's geography is today's: its end has not happened yet.
    return today.isoformat() if year == today.year else f"{year}-12-31"


def _year_of(day: str, default: int) -> int:
    return int(day[:4]) if day else default


def published_values(
    unit: str,
    year: int,
    *,
    framework: Framework | None = None,
    observations: pd.DataFrame | None = None,
    today: dt.date | None = None,
) -> Prefill:
    """The latest published figure of each statistic of a unit, up to a year.

    The unit is resolved with :func:`learningcity.cities.resolve_place` at the
    end of ``year`` (today for the current year): a province, a commune or a
    city (``"Nghĩa Lộ"`` after 1 July 2025 is its wards). Figures published
    for the unit itself are taken as they are; for a city, figures of the
    units it is made of are carried with :func:`learningcity.crosswalk.to_geography`
    (with its qualifier, e.g. ``"~"``, and a note naming the units).

    Parameters
    ----------
    unit : str
        A name, city id or GSO code (``"Tỉnh Yên Bái"``, ``"nghia-lo"``, ``"15"``).
    year : int
        The year of the collection, from 1990 to the current year.
    framework : Framework, optional
        The shipped framework by default; only its variables are kept.
    observations : DataFrame, optional
        Tidy observations; :func:`learningcity.data.load_bundled_observations`
        by default.
    today : datetime.date, optional
        The current day (for tests).

    Returns
    -------
    Prefill

    Raises
    ------
    UsageError
        A year out of range, or a unit that is unknown or ambiguous at the date.

    Notes
    -----
    A figure of a unit identified by a code is kept only for years the unit
    existed: codes were re-used in 2025 (``15`` was Yên Bái, is Lào Cai), so a
    2020 figure carried to the new Lào Cai would read back as Yên Bái's.

    Examples
    --------
    >>> p = published_values("Tỉnh Yên Bái", 2016)
    >>> p.unit_code, p.level, p.date
    ('15', 'province', '2016-12-31')
    >>> row = p.values.loc["poverty_rate"]
    >>> int(row["year"]), float(row["value"]), row["source_id"]
    (2016, 17.5, 'gso-t-poverty')
    """
    from learningcity.cities import resolve_place
    from learningcity.crosswalk import to_geography
    from learningcity.data import DataValidationError, validate_observations
    from learningcity.framework import load_framework

    fw = framework if framework is not None else load_framework()
    day = _geography_day(int(year), today)
    place = resolve_place(unit, day)
    found = place.unit
    code, name, level = str(found["code"]), str(found["name"]), str(found["level"])
    if observations is None:
        from learningcity.data import load_bundled_observations

        observations = load_bundled_observations()
    tidy = to_geography(observations, day)
    rows = tidy[
        (tidy["unit_code"] == code)
        & (tidy["level"] == level)
        & (tidy["year"] <= int(year))
        & tidy["value"].notna()
        & tidy["indicator"].isin(set(fw.variables()["id"]))
    ]
    note = place.note
    if level != "city":
        first = _year_of(str(found.get("valid_from") or ""), FIRST_TEMPLATE_YEAR)
        last = _year_of(str(found.get("valid_to") or ""), int(year))
        within = (rows["year"] >= first) & (rows["year"] <= last)
        # A row's code is read in its own year's geography, so a figure of the units
        # before this one cannot be written under its code: say whose they are instead.
        before = rows.loc[~within & (rows["carried_from"] != ""), "carried_from"]
        if len(before):
            olds = sorted({m.strip() for m in re.findall(r"[^,;]+\(\w+\)", "; ".join(before))})
            example = re.search(r"\((\w+)\)$", olds[0])[1]
            note = (f"{note} " if note else "") + (
                f"The figures published before {found.get('valid_from')} are those of "
                f"{', '.join(olds)}, under their own codes: write their workbooks with a year "
                f"before {first} (e.g. --unit {example} --year {first - 1})."
            )
        rows = rows[within]
    rows = rows.sort_values("year", kind="stable").drop_duplicates("indicator", keep="last")
    rows = rows.assign(unit_name=name, note=[_published_note(r) for r in rows.to_dict("records")])
    cols = ["unit_code", "unit_name", "level", "year", "indicator", "value", "qualifier"]
    cols += ["source_id", "note"]
    rows = rows[cols].reset_index(drop=True)
    # A last check with the reader's own rules (unit valid in the row's year, value
    # range), so that the workbook reads back; the template's Sources sheet decides
    # the sources.
    ids = {x for v in rows["source_id"] for x in str(v).split(";") if x}
    try:
        validate_observations(rows, framework=fw, sources=ids)
    except DataValidationError as exc:
        bad = exc.problems["row"].astype(int) - 2
        left_out = ", ".join(sorted(set(rows.loc[rows.index.intersection(bad), "indicator"])))
        # Said, not silent: the planner sees which published figures were not pre-filled.
        warnings.warn(
            f"not pre-filled (they would not pass the reader's checks): {left_out}",
            stacklevel=2,
        )
        rows = rows.drop(index=bad, errors="ignore")
    values = rows.set_index("indicator")[["year", "value", "qualifier", "source_id", "note"]]
    return Prefill(code, name, level, int(year), day, note, values)


def _published_note(row: dict) -> str:
    """ "Published …" (or carried from which units) with the row's own note."""
    own = str(row.get("note") or "").strip()
    carried = str(row.get("carried_from") or "").strip()
    head = (
        f"đã công bố, chuyển từ / published for {carried}, carried here"
        if carried
        else "đã công bố / published"
    )
    return f"{head} ({row['source_id']}, {row['year']})" + (f": {own}" if own else "")


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _value_rule(kind: str, lo: float | None, hi: float | None):
    """The data validation of the value cells of one variable, or None without a bound."""
    from openpyxl.worksheet.datavalidation import DataValidation

    whole = kind in _WHOLE_KINDS
    vi_kind, en_kind = ("số nguyên", "a whole number") if whole else ("số", "a number")
    if lo is not None and hi is not None:
        bounds = {"operator": "between", "formula1": _number(lo), "formula2": _number(hi)}
        vi, en = f"từ {lo:g} đến {hi:g}", f"from {lo:g} to {hi:g}"
    elif lo is not None:
        bounds = {"operator": "greaterThanOrEqual", "formula1": _number(lo)}
        vi, en = f"≥ {lo:g}", f"≥ {lo:g}"
    elif hi is not None:
        bounds = {"operator": "lessThanOrEqual", "formula1": _number(hi)}
        vi, en = f"≤ {hi:g}", f"≤ {hi:g}"
    else:
        return None
    # A warning, not a stop: the reader also takes numbers typed as text the
    # Vietnamese way ("95,8"), which an English-locale Excel sees as no number.
    return DataValidation(
        type="whole" if whole else "decimal",
        allow_blank=True,
        errorStyle="warning",
        showInputMessage=True,
        showErrorMessage=True,
        promptTitle="Giá trị / Value",
        prompt=f"Nhập {vi_kind} {vi}; để trống nếu không có số liệu. / "
        f"Type {en_kind} {en}; leave empty if missing.",
        errorTitle="Ngoài khoảng / Out of range",
        error=f"Giá trị phải là {vi_kind} {vi}. / The value must be {en_kind} {en}.",
        **bounds,
    )


def _list_rule(allowed, what_vi: str, what_en: str):
    from openpyxl.worksheet.datavalidation import DataValidation

    listing = ", ".join(f"'{a}'" for a in allowed)
    return DataValidation(
        type="list",
        formula1='"' + ",".join(allowed) + '"',
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        promptTitle=f"{what_vi} / {what_en}"[:32],
        prompt=f"Để trống hoặc chọn {listing}. / Empty or one of {listing}.",
        errorTitle="Không hợp lệ / Not allowed",
        error=f"Chỉ được để trống hoặc {listing}. / Only empty or {listing}.",
    )


def _year_rule(last: int):
    from openpyxl.worksheet.datavalidation import DataValidation

    span = f"{FIRST_TEMPLATE_YEAR} – {last}"
    return DataValidation(
        type="whole",
        operator="between",
        formula1=str(FIRST_TEMPLATE_YEAR),
        formula2=str(last),
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        promptTitle="Năm / Year",
        prompt=f"Năm của số liệu ({span}). / The year the value refers to ({span}).",
        errorTitle="Năm không hợp lệ / Invalid year",
        error=f"Năm phải là số nguyên {span}. / The year must be a whole number {span}.",
    )


def write_template(
    path: str | Path,
    *,
    framework: Framework | None = None,
    level: str | None = None,
    unit: str | None = None,
    year: int | None = None,
    observations: pd.DataFrame | None = None,
    prefill: Prefill | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the data-collection workbook.

    Parameters
    ----------
    path : path-like
        The ``.xlsx`` to create.
    framework : Framework, optional
        The shipped framework by default.
    level : str, optional
        Pre-fills the ``level`` column (``province``, ``commune``, …).
    unit : str, optional
        Without ``year``: a unit code of :func:`learningcity.units.load_units`;
        pre-fills ``unit_code`` and ``unit_name`` (and ``level`` if not given).
        With ``year``: a name, city id or code for :func:`published_values`,
        whose published figures are pre-filled too.
    year : int, optional
        The year of the collection (its geography resolves ``unit``).
    observations : DataFrame, optional
        The published figures; the bundled observations by default.
    prefill : Prefill, optional
        A :func:`published_values` result already computed (instead of
        ``unit`` and ``year``).
    overwrite : bool, default False
        Replace an existing file; otherwise :class:`FileExistsError`.

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from learningcity.data import read_observations
    >>> path = write_template(pathlib.Path(tempfile.mkdtemp()) / "t.xlsx", level="commune")
    >>> len(read_observations(path))  # nothing filled in yet
    0
    >>> path = write_template(path.with_name("yb.xlsx"), unit="Tỉnh Yên Bái", year=2016)
    >>> row = read_observations(path).set_index("indicator").loc["libraries"]
    >>> row["unit_code"], int(row["year"]), float(row["value"]), row["source_id"]
    ('15', 2016, 10.0, 'gso-t-libraries')
    """
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill, Protection

    from learningcity.data import LEVELS, QUALIFIERS
    from learningcity.errors import UsageError
    from learningcity.framework import load_framework

    fw = framework if framework is not None else load_framework()
    if level is not None and level not in LEVELS:
        raise UsageError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    if year is not None and unit is None and prefill is None:
        raise UsageError("a year pre-fills the published figures of a unit: give the unit too")
    if prefill is None and year is not None:
        prefill = published_values(unit, year, framework=fw, observations=observations)
    unit_name = None
    if prefill is not None:
        if level is not None and level != prefill.level:
            raise UsageError(
                f"{prefill.unit_name} ({prefill.unit_code}) is a {prefill.level} at "
                f"{prefill.date}, not a {level}"
            )
        unit, unit_name, level = prefill.unit_code, prefill.unit_name, prefill.level
    elif unit is not None:
        from learningcity.units import load_units

        units = load_units()
        rows = units[units["code"] == str(unit).strip()]
        if level is not None:
            rows = rows[rows["level"] == level]
        if rows.empty:
            raise UsageError(
                f"no unit with code {unit!r}"
                + (f" at level {level!r}" if level else "")
                + "; find codes with `learningcity units search NAME`, or give a year "
                "(--year) to find a unit or city by name"
            )
        # A code re-used after the 2025 reform: the latest unit holding it.
        row = rows.sort_values("valid_from").iloc[-1]
        unit, unit_name, level = row["code"], row["name"], level or row["level"]
    book = openpyxl.Workbook()
    readme = book.active
    readme.title = "README"
    for text, style in _README:
        readme.append([text])
        if style:
            readme.cell(readme.max_row, 1).font = Font(bold=True)
    readme.append([])
    readme.append([f"Framework: {fw.id} ({Path(fw.path).name})"])
    if prefill is not None:
        readme.append(
            [
                f"Đơn vị / unit: {prefill.unit_name} ({prefill.level} {prefill.unit_code}), "
                f"địa giới ngày / geography of {prefill.date}; {len(prefill.values)} số liệu "
                f"đã công bố đến năm / published figures up to {prefill.year}."
            ]
        )
        if prefill.note:
            readme.append([prefill.note])
    readme.column_dimensions["A"].width = 120
    readme.protection.sheet = True

    header_fill = PatternFill("solid", fgColor="DDEBF7")
    fill_fill = PatternFill("solid", fgColor="FFF2CC")
    kinds = fw.variables().set_index("id")["kind"]
    ranges = fw.valid_ranges()
    published = prefill.values if prefill is not None else pd.DataFrame()
    this_year = dt.date.today().year
    for name, rows in template_rows(fw).items():
        sheet = book.create_sheet(name)
        columns = [*_DESCRIBE, *FILL_COLUMNS]
        sheet.append(columns)
        for record in rows.to_dict("records"):
            filled = [None] * 5
            if record["indicator"] in published.index:
                p = published.loc[record["indicator"]]
                value = float(p["value"])
                filled = [
                    int(p["year"]),
                    int(value) if value.is_integer() else value,
                    p["qualifier"] or None,
                    p["source_id"],
                    p["note"],
                ]
            sheet.append([record[c] for c in _DESCRIBE] + [unit, unit_name, level] + filled)
        for j, col in enumerate(columns, start=1):
            cell = sheet.cell(1, j)
            cell.font = Font(bold=True)
            cell.fill = fill_fill if col in FILL_COLUMNS else header_fill
            width = {"name_en": 40, "name_vi": 40, "target": 40, "used_for": 30, "note": 40}
            sheet.column_dimensions[cell.column_letter].width = width.get(col, 16)
        sheet.freeze_panes = "B2"
        letter = {c: sheet.cell(1, j).column_letter for j, c in enumerate(columns, start=1)}
        last = max(len(rows), _SPARE_LINES) + 1
        # unit_code is text: a typed "01" must keep its zero.
        for r in range(2, last + 1):
            sheet[f"{letter['unit_code']}{r}"].number_format = "@"
        # Locked: the header and the definitions. Open: the fill columns, and whole
        # spare lines below, where a copied line (another unit or year) is pasted.
        unlocked = Protection(locked=False)
        for r in range(2, last + 1):
            for col in columns if r > len(rows) + 1 else FILL_COLUMNS:
                sheet[f"{letter[col]}{r}"].protection = unlocked
        sheet.protection.sheet = True
        sheet.protection.insertRows = False  # False = allowed while protected
        sheet.protection.formatColumns = False
        for col, allowed, vi, en in (
            ("level", LEVELS, "Cấp", "Level"),
            ("qualifier", QUALIFIERS[1:], "Dấu", "Qualifier"),  # "" is the empty cell
        ):
            rule = _list_rule(allowed, vi, en)
            rule.add(f"{letter[col]}2:{letter[col]}{_VALIDATED_LINES}")
            sheet.add_data_validation(rule)
        rule = _year_rule(this_year)
        rule.add(f"{letter['year']}2:{letter['year']}{_VALIDATED_LINES}")
        sheet.add_data_validation(rule)
        # One rule per range of values; a copied line below takes no rule (its
        # variable is not known here), the reader checks it anyway.
        by_rule: dict[tuple, list[int]] = defaultdict(list)
        for r, var in enumerate(rows["indicator"], start=2):
            lo, hi = (None if pd.isna(x) else float(x) for x in ranges.loc[var])
            by_rule[(kinds[var], lo, hi)].append(r)  # None, not NaN: NaN != NaN as a key
        for (kind, lo, hi), lines in by_rule.items():
            rule = _value_rule(kind, lo, hi)
            if rule is not None:
                for r in lines:
                    rule.add(f"{letter['value']}{r}")
                sheet.add_data_validation(rule)

    definitions = book.create_sheet("Indicators")
    table = fw.indicator_table().reset_index().rename(columns={"indicator": "id"})
    table["formula"] = fw.indicators().set_index("id").reindex(table["id"])["formula"].to_numpy()
    definitions.append(list(table.columns))
    for row in table.itertuples(index=False):
        definitions.append([None if pd.isna(v) else v for v in row])
    for cell in definitions[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
    definitions.protection.sheet = True

    sources = book.create_sheet("Sources")
    known = pd.read_csv(
        data_dir() / "sources.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    sources.append(list(known.columns))
    for row in known.itertuples(index=False):
        sources.append(list(row))
    for cell in sources[1]:
        cell.font = Font(bold=True)

    # openpyxl stores any text starting with "=" as a formula: a source or name
    # such as "=HYPERLINK(...)" would run when the collector opens the file.
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                protect_excel_cell(cell)
    buffer = io.BytesIO()
    book.save(buffer)
    return atomic_write_bytes(path, buffer.getvalue(), overwrite=overwrite)
