"""Helpers of the tests: a collection workbook filled in with illustrative values.

Every value here is illustrative, made up by the tests: none is a real figure of
Nghĩa Lộ, and none is written into data/.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import openpyxl

from learningcity.data import _cell_text, _column_key
from learningcity.text import nfc
from learningcity.workbook import write_template

ILLUSTRATIVE = "illustrative, made up by the test"
# Illustrative figures of 2025 for the city, by template variable.
FILL = {
    "literacy_rate_15plus": 96.5,  # -> literacy_rate (1.1)
    "poverty_rate": 8.0,  # -> poverty_rate_inverse (1.1), lower is better
    "learning_families_share": 72,  # (2.2)
    "learning_clans_share": 65,  # (2.2)
    "learning_communities_share": 60,  # (2.2)
    "clc_ict_share": 80,  # (2.4)
    "learning_citizens_share": 35,  # (2.6)
}


def cell(book, variable: str, column: str):
    """The cell of a template line (by its variable) in a column of its data sheet."""
    for sheet in book.worksheets:
        head = [c.value for c in sheet[1]]
        if "indicator" not in head:
            continue
        for r in range(2, sheet.max_row + 1):
            if sheet.cell(r, head.index("indicator") + 1).value == variable:
                return sheet.cell(r, head.index(column) + 1)
    raise KeyError(variable)


def fill(path, values=FILL, unit="Nghĩa Lộ", year=2025):
    """Write the template of ``unit`` and fill ``values`` in as figures of 2025."""
    write_template(path, unit=unit, year=year)
    book = openpyxl.load_workbook(path)
    for variable, value in values.items():
        for column, v in {"year": 2025, "value": value, "source_id": "nghia-lo-test",
                          "note": ILLUSTRATIVE}.items():  # fmt: skip
            cell(book, variable, column).value = v
    sources = book["Sources"]
    names = [c.value for c in sources[1]]
    added = {"source_id": "nghia-lo-test", "publisher": f"Test ({ILLUSTRATIVE})",
             "document": ILLUSTRATIVE, "year": 2025}  # fmt: skip
    sources.append([added.get(n, "") for n in names])
    book.save(path)
    return path


def openpyxl_blocks(path: Path) -> tuple[list, set[str]]:
    """The reader learningcity.excel replaced (openpyxl, read-only, values only)."""
    blocks, sources = [], set()
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            rows = [
                (i, list(r))
                for i, r in enumerate(sheet.iter_rows(values_only=True), start=1)
                if any(c is not None and str(c).strip() for c in r)
            ]
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


def textbook_g1_g2(v) -> tuple[float, float]:
    """Sample skewness G1 and excess kurtosis G2 from their textbook formulas (NaN dropped).

    The reference the outlier tests check the engine's moments against (Excel's SKEW and
    KURT use the same small-sample corrections).
    """
    v = np.asarray(v, dtype=float)
    v = v[~np.isnan(v)]
    n = len(v)
    d = v - v.mean()
    m2, m3, m4 = (d**2).mean(), (d**3).mean(), (d**4).mean()
    g1 = m3 / m2**1.5 * math.sqrt(n * (n - 1)) / (n - 2)
    g2 = ((n + 1) * (m4 / m2**2 - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return g1, g2
