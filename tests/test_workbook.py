"""The Excel collection template, its round trip, and the template/validate commands."""

from __future__ import annotations

import openpyxl
import pytest

from learningcity.cli import main
from learningcity.data import DataValidationError, read_observations
from learningcity.workbook import FILL_COLUMNS, write_template

AREA2 = "2 Major building blocks"


@pytest.fixture
def template(tmp_path):
    return write_template(tmp_path / "collect.xlsx", level="province")


def rows_of(sheet):
    header = [c.value for c in sheet[1]]
    ids = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    ids.pop(None, None)  # formatted but empty lines
    return header, ids


def test_template_layout(template):
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == [
        "README",
        "Context",
        "1 Wider benefits",
        AREA2,
        "3 Fundamental conditions",
        "Indicators",
        "Sources",
    ]
    header, rows = rows_of(book[AREA2])
    assert header[-len(FILL_COLUMNS) :] == FILL_COLUMNS
    assert header[:4] == ["indicator", "name_en", "name_vi", "unit_of_measure"]
    sheet = book[AREA2]
    r = rows["learning_families_share"]
    col = {name: i + 1 for i, name in enumerate(header)}
    assert sheet.cell(r, col["name_vi"]).value == 'Tỷ lệ "Gia đình học tập"'
    assert sheet.cell(r, col["target"]).value == (
        "learning_families 2025: 70 (QĐ 387/QĐ-TTg (25/3/2022))"
    )
    assert sheet.cell(r, col["valid_range"]).value == "0 – 100"
    assert sheet.cell(r, col["level"]).value == "province"
    # Seed-article measures that feed no indicator yet are still collected.
    _, context = rows_of(book["Context"])
    assert {"population", "literacy_classes", "study_promotion_members"} <= set(context)
    _, area3 = rows_of(book["3 Fundamental conditions"])
    assert {"gnlc_application_year", "clc_state_funding"} <= set(area3)
    # Every raw variable appears on exactly one data sheet.
    seen = []
    for name in book.sheetnames[1:5]:
        seen += list(rows_of(book[name])[1])
    assert len(seen) == len(set(seen))


def test_unfilled_template_reads_as_empty(template):
    obs = read_observations(template)
    assert len(obs) == 0


def fill(template):
    """Fill the template as a collector would: in place, a copied line, a new source."""
    book = openpyxl.load_workbook(template)
    sheet = book[AREA2]
    header, rows = rows_of(sheet)
    col = {name: i + 1 for i, name in enumerate(header)}

    def put(r, **values):
        for key, value in values.items():
            sheet.cell(r, col[key]).value = value

    r = rows["learning_families_share"]
    put(
        r,
        unit_code="15",
        unit_name="Yên Bái",
        year=2018,
        value="57,48",
        source_id="baoyenbai-2019-172211",
    )
    extra = sheet.max_row + 1  # a copied line for another year
    sheet.cell(extra, 1).value = "learning_families_share"
    put(
        extra,
        unit_code="15",
        unit_name="Yên Bái",
        level="province",
        year=2020,
        value=65,
        source_id="baoyenbai-2021-201796",
        note="2020 figure",
    )
    put(
        rows["learning_units_share"],
        unit_code="15",
        year=2020,
        value="90 %",
        qualifier="~",
        source_id="local-survey-2024",
    )
    sources = book["Sources"]
    sources.append(["local-survey-2024", "Phòng GDĐT", "Báo cáo tổng kết", "p. 3", "2024"])
    book.save(template)
    return extra


def test_round_trip(template):
    fill(template)
    obs = read_observations(template).sort_values(["indicator", "year"], ignore_index=True)
    got = obs[["unit_code", "level", "year", "indicator", "value", "qualifier", "source_id"]]
    assert got.values.tolist() == [
        ["15", "province", 2018, "learning_families_share", 57.48, "", "baoyenbai-2019-172211"],
        ["15", "province", 2020, "learning_families_share", 65.0, "", "baoyenbai-2021-201796"],
        ["15", "province", 2020, "learning_units_share", 90.0, "~", "local-survey-2024"],
    ]
    assert obs.loc[0, "unit_name"] == "Yên Bái"


def test_errors_name_the_sheet_and_spreadsheet_row(template):
    book = openpyxl.load_workbook(template)
    sheet = book[AREA2]
    header, rows = rows_of(sheet)
    col = {name: i + 1 for i, name in enumerate(header)}
    r = rows["learning_clans_share"]
    filled = {"unit_code": "15", "year": 2020, "value": 162, "source_id": "nowhere"}
    for key, value in filled.items():
        sheet.cell(r, col[key]).value = value
    book.save(template)
    with pytest.raises(DataValidationError) as info:
        read_observations(template)
    found = info.value.problems
    assert sorted(found[["sheet", "row", "column"]].values.tolist()) == [
        [AREA2, r, "source_id"],
        [AREA2, r, "value"],
    ]
    assert f"sheet '{AREA2}' row {r}" in str(info.value)


def test_template_command(tmp_path, capsys):
    path = tmp_path / "t.xlsx"
    assert main(["template", str(path), "--level", "commune"]) == 0
    book = openpyxl.load_workbook(path)
    header, rows = rows_of(book["Context"])
    assert book["Context"].cell(rows["population"], header.index("level") + 1).value == "commune"
    assert main(["template", str(path)]) == 2  # never overwritten silently
    assert "--force" in capsys.readouterr().err
    assert main(["template", str(path), "--force"]) == 0
    assert main(["template", str(tmp_path / "u.xlsx"), "--level", "village"]) == 2
    assert main(["template", str(tmp_path / "t.csv")]) == 2


def test_template_for_one_unit(tmp_path):
    path = tmp_path / "nghia-lo.xlsx"
    assert main(["template", str(path), "--unit", "133"]) == 0
    book = openpyxl.load_workbook(path)
    sheet = book[AREA2]
    header, rows = rows_of(sheet)
    r = rows["learning_families_share"]
    got = [sheet.cell(r, header.index(c) + 1).value for c in ("unit_code", "unit_name", "level")]
    assert got == ["133", "Nghĩa Lộ", "district"]
    assert len(read_observations(path)) == 0  # pre-filled units alone are no data
    sheet.cell(r, header.index("year") + 1).value = 2024
    sheet.cell(r, header.index("value") + 1).value = "72,5"  # illustrative, not a real figure
    sheet.cell(r, header.index("source_id") + 1).value = "seed-cdkh-2024-01-18"
    book.save(path)
    obs = read_observations(path)
    assert obs[["unit_code", "year", "value"]].values.tolist() == [["133", 2024, 72.5]]
    assert main(["template", str(tmp_path / "x.xlsx"), "--unit", "99999"]) == 2


def test_validate_command(tmp_path, template, capsys):
    fill(template)
    assert main(["validate", str(template)]) == 0
    out = capsys.readouterr().out
    assert "OK, 3 observations, 1 units, 2 indicators, years 2018–2020" in out
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "unit_code,unit_name,level,year,indicator,value,qualifier,source_id,note\n"
        "15,Yên Bái,province,2020,poverty_rate,-1,,gso-census-2019,\n"
        "15,Yên Bái,province,2020,unknown_thing,1,,gso-census-2019,\n",
        encoding="utf-8",
    )
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}: 2 problem(s)" in out
    assert f"{bad}:2: column 'value': got '-1'; a value between 0 and 100" in out
    assert f"{bad}:3: column 'indicator': got 'unknown_thing'" in out
    assert main(["validate", str(tmp_path / "missing.csv")]) == 2
    # Several files: each is reported, and one bad file makes the status 1.
    assert main(["validate", str(template), str(bad), "--decimal", ","]) == 1
    out = capsys.readouterr().out
    assert f"{template}: OK" in out and f"{bad}: 2 problem(s)" in out
