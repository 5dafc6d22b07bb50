"""Spreadsheet-safe exports: CSV files and Excel cells that never run as formulas.

Why: a CSV or workbook the toolkit writes is opened by planners in Excel or
LibreOffice, and those programs run a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula (CSV or formula injection). A unit code such as
``=HYPERLINK("http://…","x")`` in someone's input data would otherwise reach
the exported file unchanged and run on the planner's machine.

What is changed, following the OWASP guidance on CSV injection:

* only **text** cells (and text column names) that start with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return; every other cell is written as it
  was;
* in a CSV such a text gets a leading single quote (``'=1+1``), which the
  spreadsheet shows instead of running it;
* in an Excel workbook the cell is stored as a string (not a formula) and
  marked ``quotePrefix``, so editing it in Excel keeps it text; its value is
  unchanged.

Numeric columns are never touched: ``-1.5`` in a float column is a number, not
a formula.

:func:`write_csv` ends lines with CRLF (RFC 4180): with pandas' default ``\n``
a carriage return inside a text is written unquoted, and a spreadsheet would
start a new row there, whose first cell (``=…``) nothing had neutralised.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"unit_code": ["=1+1", "01"], "score": [-1.5, 2.0]})
>>> print(neutralise_frame(frame).to_csv(index=False), end="")
unit_code,score
'=1+1,-1.5
01,2.0
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from learningcity.files import atomic_write_text

__all__ = [
    "FORMULA_PREFIXES",
    "is_formula_like",
    "neutralise_frame",
    "neutralise_text",
    "protect_excel_cell",
    "write_csv",
]

#: First characters that make a spreadsheet treat a cell as a formula (OWASP).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    """Whether ``value`` is text a spreadsheet could run as a formula.

    Parameters
    ----------
    value : object
        A cell value; only ``str`` can be formula-like.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_formula_like("=SUM(A1:A9)"), is_formula_like("@cmd"), is_formula_like("01")
    (True, True, False)
    >>> is_formula_like(-1.5)  # a number is never a formula
    False
    """
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise_text(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is formula-like text, else unchanged.

    Parameters
    ----------
    value : object
        A cell value.

    Returns
    -------
    object
        ``"'" + value`` for formula-like text; ``value`` itself otherwise.

    Examples
    --------
    >>> neutralise_text('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> neutralise_text("Yên Bái"), neutralise_text(-3)
    ('Yên Bái', -3)
    """
    return "'" + value if is_formula_like(value) else value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose formula-like text cells and column names are quoted.

    Only text columns (object, string or categorical dtype) are looked at,
    and within them only ``str`` values; numbers, booleans, dates and missing
    values stay as they are. The index is left alone (exports write
    ``index=False``).

    Parameters
    ----------
    frame : DataFrame
        The table to export.

    Returns
    -------
    DataFrame
        A new frame; ``frame`` is not modified.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"code": ["+84", "-", "12"], "x": [-1.0, 0.5, 2.0]})
    >>> out = neutralise_frame(f)
    >>> out["code"].tolist(), out["x"].tolist()
    (["'+84", "'-", '12'], [-1.0, 0.5, 2.0])
    """
    out = frame.copy()
    for j in range(out.shape[1]):  # by position: column names may repeat
        col = out.iloc[:, j]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = col.cat.categories
            if any(map(is_formula_like, cats)):
                out.isetitem(j, col.cat.rename_categories([neutralise_text(c) for c in cats]))
        elif _is_text(col.dtype) and any(map(is_formula_like, col.array)):
            out.isetitem(j, col.map(neutralise_text, na_action="ignore"))
    # Column names are text cells too (a wide table's indicator codes come from input).
    return out.rename(columns=neutralise_text)


def _is_text(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike, *, overwrite: bool) -> Path:
    """Write ``frame`` (without its index) as UTF-8 CSV, safe to open in a spreadsheet.

    Formula-like text cells are quoted with :func:`neutralise_frame`, lines
    end with CRLF so that every text holding a line break is quoted, and the
    file is written atomically with :func:`learningcity.files.atomic_write_text`.

    Parameters
    ----------
    frame : DataFrame
        The table; reset a meaningful index into columns first.
    path : path-like
        Destination file.
    overwrite : bool
        Replace an existing file; when False an existing ``path`` raises
        :class:`FileExistsError` and is left untouched.

    Returns
    -------
    Path
        The destination.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "scores.csv"
    >>> frame = pd.DataFrame({"unit_code": ["@SUM(1+1)*cmd|' /C calc'!A0"], "score": [-2.5]})
    >>> print(write_csv(frame, path, overwrite=False).read_text(encoding="utf-8"), end="")
    unit_code,score
    '@SUM(1+1)*cmd|' /C calc'!A0,-2.5
    """
    text = neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n")
    return atomic_write_text(path, text, overwrite=overwrite)


def protect_excel_cell(cell: Any) -> Any:
    """Keep an openpyxl cell holding formula-like text a string, never a formula.

    openpyxl turns any assigned text starting with ``=`` into a formula; this
    stores it back as a string and sets ``quotePrefix`` so Excel keeps it text
    when the cell is edited. Other cells (numbers, ordinary text) are left
    unchanged.

    Parameters
    ----------
    cell : openpyxl.cell.Cell
        A cell whose value has been assigned.

    Returns
    -------
    openpyxl.cell.Cell
        The same cell.

    Examples
    --------
    >>> import openpyxl
    >>> sheet = openpyxl.Workbook().active
    >>> sheet.append(["=1+1", -1.5])
    >>> [protect_excel_cell(c).data_type for c in sheet[1]]
    ['s', 'n']
    >>> sheet["A1"].value, sheet["A1"].quotePrefix
    ('=1+1', True)
    """
    if is_formula_like(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell
