"""Bad collection workbooks: each a clear error naming sheet, row and column.

The workbooks are written by ``learningcity template`` and filled in by the test with
illustrative values, made up by the test (none is a real figure, none enters data/).
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import openpyxl
import pytest
from tests_support import ILLUSTRATIVE, cell, fill

from learningcity.cli import main
from learningcity.workbook import write_template


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    return fill(tmp_path_factory.mktemp("bad") / "nghia-lo-2025.xlsx")


def variant(workbook, tmp_path, change):
    path = tmp_path / "bad.xlsx"
    shutil.copy(workbook, path)
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)
    return path


def problems_of(path, capsys) -> list[str]:
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    return [line for line in out if line.startswith(f"{path}[")]  # one per problem


def test_a_renamed_sheet_is_named_with_the_name_it_had(workbook, tmp_path, capsys):
    def rename(book):
        book["2 Major building blocks"].title = "Khối 2"

    (line,) = problems_of(variant(workbook, tmp_path, rename), capsys)
    assert "[Khối 2]:1:" in line and "'2 Major building blocks' renamed?" in line


def test_a_deleted_sheet_is_named(workbook, tmp_path, capsys):
    def delete(book):
        del book["1 Wider benefits"]

    (line,) = problems_of(variant(workbook, tmp_path, delete), capsys)
    assert "[1 Wider benefits]:" in line and "deleted or renamed" in line


def test_a_renamed_column_is_named_with_its_near_miss(workbook, tmp_path, capsys):
    def rename(book):
        sheet = book["2 Major building blocks"]
        for c in sheet[1]:
            if c.value == "value":
                c.value = "valeu"

    lines = problems_of(variant(workbook, tmp_path, rename), capsys)
    assert any("column 'valeu'" in ln and "did you mean 'value'?" in ln for ln in lines)
    assert any("column 'value': got 'missing'" in ln for ln in lines)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("sáu mươi lăm", "is not a number"),
        ("=60+5", "holds a formula whose result was never computed"),
        (165, "a value between 0 and 100 for 'learning_clans_share'"),
    ],
)
def test_a_bad_number_cell_is_named_by_sheet_row_and_column(
    workbook, tmp_path, capsys, value, expected
):
    book = openpyxl.load_workbook(workbook)
    target = cell(book, "learning_clans_share", "value")
    where = f"[{target.parent.title}]:{target.row}: column 'value'"

    def change(book):
        cell(book, "learning_clans_share", "value").value = value

    (line,) = problems_of(variant(workbook, tmp_path, change), capsys)
    assert where in line and expected in line


def report(*args):
    return subprocess.run(
        [sys.executable, "-m", "learningcity", "report", "--quiet", "--date", "2026-12-01",
         *args], capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_another_units_workbook_is_refused_before_anything_is_written(tmp_path):
    other = fill(tmp_path / "yen-bai.xlsx", unit="Yên Bái")
    out = tmp_path / "reports"
    done = report("Nghĩa Lộ", "--year", "2026", "--out", str(out), "--data", str(other))
    assert done.returncode == 2, done.stderr
    assert "yen-bai.xlsx: its figures are for Yên Bái (yen-bai), none for Nghĩa Lộ" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()


def test_a_workbook_figure_disagreeing_with_a_published_one_needs_prefer_local(tmp_path):
    # Before the reform the town itself (district 133) has a published population of 2020
    # (68,206, data/observations/yen-bai.csv); its workbook says otherwise.
    path = tmp_path / "town.xlsx"
    write_template(path, unit="133", year=2024)
    book = openpyxl.load_workbook(path)
    for column, v in {"year": 2020, "value": 70000, "source_id": "seed-cdkh-2024-01-18",
                      "note": ILLUSTRATIVE, "qualifier": None}.items():  # fmt: skip
        cell(book, "population", column).value = v
    book.save(path)
    assert main(["validate", "--data", str(path)]) == 1
    assert main(["validate", "--data", str(path), "--prefer-local"]) == 0
