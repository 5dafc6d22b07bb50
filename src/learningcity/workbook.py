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

import io
import re
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from learningcity.exports import protect_excel_cell
from learningcity.files import atomic_write_bytes
from learningcity.paths import data_dir

if TYPE_CHECKING:
    from learningcity.framework import Framework

__all__ = ["FILL_COLUMNS", "template_rows", "write_template"]

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
]


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


def write_template(
    path: str | Path,
    *,
    framework: Framework | None = None,
    level: str | None = None,
    unit: str | None = None,
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
        A unit code of :func:`learningcity.units.load_units`; pre-fills
        ``unit_code`` and ``unit_name`` (and ``level`` if not given).
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
    """
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from learningcity.data import LEVELS, QUALIFIERS
    from learningcity.framework import load_framework

    fw = framework if framework is not None else load_framework()
    if level is not None and level not in LEVELS:
        from learningcity.errors import UsageError

        raise UsageError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    unit_name = None
    if unit is not None:
        from learningcity.errors import UsageError
        from learningcity.units import load_units

        units = load_units()
        rows = units[units["code"] == str(unit).strip()]
        if level is not None:
            rows = rows[rows["level"] == level]
        if rows.empty:
            raise UsageError(
                f"no unit with code {unit!r}"
                + (f" at level {level!r}" if level else "")
                + "; find codes with `learningcity units search NAME`"
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
    readme.column_dimensions["A"].width = 120

    header_fill = PatternFill("solid", fgColor="DDEBF7")
    fill_fill = PatternFill("solid", fgColor="FFF2CC")
    for name, rows in template_rows(fw).items():
        sheet = book.create_sheet(name)
        columns = [*_DESCRIBE, *FILL_COLUMNS]
        sheet.append(columns)
        for record in rows.to_dict("records"):
            sheet.append([record[c] for c in _DESCRIBE] + [unit, unit_name, level] + [None] * 5)
        for j, col in enumerate(columns, start=1):
            cell = sheet.cell(1, j)
            cell.font = Font(bold=True)
            cell.fill = fill_fill if col in FILL_COLUMNS else header_fill
            width = {"name_en": 40, "name_vi": 40, "target": 40, "used_for": 30, "note": 40}
            sheet.column_dimensions[cell.column_letter].width = width.get(col, 16)
        sheet.freeze_panes = "B2"
        # unit_code is text: a typed "01" must keep its zero.
        code_col = sheet.cell(1, columns.index("unit_code") + 1).column_letter
        for r in range(2, max(len(rows), 200) + 2):
            sheet[f"{code_col}{r}"].number_format = "@"
        for col, allowed in (("level", LEVELS), ("qualifier", QUALIFIERS[1:])):
            letter = sheet.cell(1, columns.index(col) + 1).column_letter
            rule = DataValidation(type="list", formula1='"' + ",".join(allowed) + '"')
            rule.add(f"{letter}2:{letter}1000")
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
