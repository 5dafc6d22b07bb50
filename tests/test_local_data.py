"""The city's own data (``--data``): provenance, disagreements, cities, the five commands.

Every value in these fixtures is illustrative, made up by the test: none is a
real figure of Nghĩa Lộ, and none is written into data/.
"""

from __future__ import annotations

import json
import subprocess
import sys

import openpyxl
import pytest

from learningcity.cli import main
from learningcity.data import DataValidationError, load_bundled_observations
from learningcity.localdata import (
    LocalDataConflictError,
    load_local_data,
    merge_observations,
    read_local_data,
)

ILLUSTRATIVE = "illustrative, made up by the test"
NOTE = f'"{ILLUSTRATIVE}"'  # quoted: it holds a comma

# Bundled figures these rows meet (data/observations/yen-bai.csv): Nghĩa Lộ town (133)
# population 2020 = 68206 (source wiki-en-nghia-lo), area_km2 2020 = 107.78.
HEADER = "unit_code,unit_name,level,year,indicator,value,source_id,note,collected_by,collected_on"
DISAGREES = (
    f"133,Nghĩa Lộ,district,2020,population,70000,seed-cdkh-2024-01-18,{NOTE},"
    "Phòng GD&ĐT Nghĩa Lộ,2026-03-01"
)
EQUAL = f"133,Nghĩa Lộ,district,2020,area_km2,107.78,seed-cdkh-2024-01-18,{NOTE},,"
# The three wards wholly in the city of Nghĩa Lộ since 1 July 2025 (data/units/cities.csv).
WARDS = [
    f'04288,Nghĩa Lộ,commune,2026,literacy_learners,120,seed-cdkh-2024-01-18,"{ILLUSTRATIVE}; '
    'collected by: Hội Khuyến học phường; collected on: 2/3/2026",,',
    f"04663,Trung Tâm,commune,2026,literacy_learners,85,seed-cdkh-2024-01-18,{NOTE},,",
    f"04681,Cầu Thia,commune,2026,literacy_learners,40,seed-cdkh-2024-01-18,{NOTE},,",
]


def write(path, *lines):
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def collection(tmp_path):
    """Nghĩa Lộ's collection file: a disagreeing, an equal and three ward rows (lines 2-6)."""
    return write(tmp_path / "nghia-lo-2026.csv", DISAGREES, EQUAL, *WARDS)


@pytest.fixture
def wards(tmp_path):
    return write(tmp_path / "wards.csv", *WARDS)


@pytest.fixture
def bad(tmp_path):
    return write(tmp_path / "bad.csv", WARDS[1].replace(",85,", ",8x5,"))


def test_values_are_read_with_their_provenance(collection):
    local = read_local_data([collection])
    rows = local.tidy[local.tidy["level"] != "city"].set_index("unit_code", drop=False)
    assert list(rows["local_row"]) == ["2", "3", "4", "5", "6"]  # CSV lines, 1 = the header
    assert set(rows["provenance"]) == {"local"}
    assert set(rows["local_file"]) == {str(collection.resolve())}
    first = rows[rows["indicator"] == "population"].iloc[0]
    assert (first["collected_by"], first["collected_on"]) == ("Phòng GD&ĐT Nghĩa Lộ", "2026-03-01")
    # Said in the note instead of columns: day/month/year, the Vietnamese order.
    ward = rows.loc["04288"]
    assert (ward["collected_by"], ward["collected_on"]) == ("Hội Khuyến học phường", "2026-03-02")
    assert list(local.files["rows"]) == [5] and len(local.files["sha256"].iloc[0]) == 64


def test_workbook_of_the_template_is_read_with_sheet_and_row(tmp_path):
    from learningcity.workbook import write_template

    path = write_template(tmp_path / "collect.xlsx")
    book = openpyxl.load_workbook(path)
    found = None
    for ws in book.worksheets:
        head = [c.value for c in ws[1]]
        if "indicator" not in head:
            continue
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, head.index("indicator") + 1).value == "literacy_learners":
                found = ws, r, head
    ws, r, head = found
    fill = {"unit_code": "133", "level": "district", "year": 2024, "value": 321,
            "source_id": "nghia-lo-hkh-2026", "note": f"{ILLUSTRATIVE}; collected by: Hội "
            "Khuyến học thị xã; collected on: 2026-02-01"}  # fmt: skip
    for col, value in fill.items():
        ws.cell(r, head.index(col) + 1, value)
    sources = book["Sources"]
    names = [c.value for c in sources[1]]
    added = {"source_id": "nghia-lo-hkh-2026", "publisher": "Hội Khuyến học Nghĩa Lộ",
             "document": "Sổ theo dõi (illustrative)"}  # fmt: skip
    sources.append([added.get(n, "") for n in names])
    book.save(path)

    local = load_local_data([path])
    (row,) = local.tidy.itertuples()
    assert (row.local_sheet, row.local_row, row.value) == (ws.title, str(r), 321.0)
    assert (row.collected_by, row.collected_on) == ("Hội Khuyến học thị xã", "2026-02-01")
    assert list(local.sources["source_id"]) == ["nghia-lo-hkh-2026"]  # the one added


def test_a_disagreement_fails_naming_both_sources(collection):
    with pytest.raises(LocalDataConflictError) as err:
        load_local_data([collection])
    (problem,) = err.value.problems.itertuples()  # the equal area is no disagreement
    assert (problem.file, problem.row, problem.column, problem.value) == (
        str(collection.resolve()), 2, "value", "70000")  # fmt: skip
    assert "68206" in problem.expected and "'wiki-en-nghia-lo'" in problem.expected
    assert "--prefer-local" in str(err.value)


def test_prefer_local_uses_the_local_value_and_lists_the_disagreement(collection):
    obs = load_bundled_observations()
    local = load_local_data([collection], prefer_local=True, published=obs)
    (d,) = local.disagreements.itertuples()
    assert (d.unit_code, d.year, d.indicator) == ("133", 2020, "population")
    assert (d.local_value, d.local_row, d.published_value, d.published_source_id) == (
        70000.0, "2", 68206.0, "wiki-en-nghia-lo")  # fmt: skip
    assert local.confirmed == 1  # 107.78 km² is the published figure: kept as published
    merged = merge_observations(obs, local)
    key = (merged["unit_code"] == "133") & (merged["year"] == 2020)
    pop = merged[key & (merged["indicator"] == "population")]
    assert pop[["value", "provenance"]].values.tolist() == [[70000.0, "local"]]
    area = merged[key & (merged["indicator"] == "area_km2")]
    assert area[["value", "provenance", "source_id"]].values.tolist() == [
        [107.78, "published", "wiki-en-nghia-lo"]
    ]


def test_ward_rows_are_summed_to_the_city_with_the_members_provenance(wards):
    local = load_local_data([wards])
    (city,) = local.tidy[local.tidy["level"] == "city"].itertuples()
    assert (city.unit_code, city.year, city.indicator) == ("nghia-lo", 2026, "literacy_learners")
    assert city.value == 120 + 85 + 40  # = 245
    # Xã Liên Sơn is only partly in the city and left out: the sum is a lower bound.
    assert city.qualifier == ">"
    assert city.provenance == "local"
    assert city.local_row == "wards.csv:2; wards.csv:3; wards.csv:4"
    assert city.collected_by == "Hội Khuyến học phường"


def test_the_same_value_in_two_files_is_an_error_naming_both(tmp_path, wards):
    again = write(tmp_path / "again.csv", WARDS[0])
    with pytest.raises(DataValidationError) as err:
        read_local_data([wards, again])
    assert "also at" in str(err.value) and "wards.csv" in str(err.value)


# --- the five commands ----------------------------------------------------------------


@pytest.fixture
def space(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("normalisers: [minmax, goalposts]\nweight_noise: 0.2\n", encoding="utf-8")
    return path


def commands(space):
    return {
        "index": ["index"],
        "coverage": ["coverage"],
        "uncertainty": ["uncertainty", "--space", str(space), "-n", "5"],
        "validate": ["validate"],
    }


@pytest.mark.parametrize("name", ["index", "coverage", "uncertainty", "validate"])
def test_data_option_is_accepted(name, space, collection, capsys):
    argv = [*commands(space)[name], "--data", str(collection), "--prefer-local"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "133 2020 population = 70000" in out and "wiki-en-nghia-lo" in out


@pytest.mark.parametrize("name", ["index", "coverage", "uncertainty"])
def test_a_disagreement_without_prefer_local_is_exit_2(name, space, collection, capsys):
    assert main([*commands(space)[name], "--data", str(collection)]) == 2
    err = capsys.readouterr().err
    assert "nghia-lo-2026.csv" in err and "line 2, column 'value'" in err
    assert "wiki-en-nghia-lo" in err


@pytest.mark.parametrize("name", ["index", "coverage", "uncertainty"])
def test_a_bad_file_is_exit_2_with_file_row_and_column(name, space, bad, capsys):
    assert main([*commands(space)[name], "--data", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "line 2, column 'value'" in err and "8x5" in err


def test_validate_lists_the_problems_of_a_bad_data_file(space, bad, capsys):
    # validate keeps its own convention: exit 1 with every problem listed.
    assert main(["validate", "--data", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad.resolve()}:2: column 'value': got '8x5'" in out


def report(*args):
    return subprocess.run(
        [sys.executable, "-m", "learningcity", "report", "--quiet", "--date", "2026-12-01",
         *args], capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_report_refuses_a_bad_data_file_before_writing_anything(tmp_path, bad):
    out = tmp_path / "reports"
    done = report("Nghĩa Lộ", "--year", "2026", "--out", str(out), "--data", str(bad))
    assert done.returncode == 2, done.stderr
    assert "bad.csv" in done.stderr and "line 2, column 'value'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


@pytest.mark.slow
def test_report_marks_the_figures_collected_locally(tmp_path, collection):
    out = tmp_path / "reports"
    done = report("Nghĩa Lộ", "Yên Bái", "--year", "2026", "--out", str(out),
                  "--data", str(collection), "--prefer-local")  # fmt: skip
    assert done.returncode == 0, done.stderr
    folder = out / "2026-12-01"
    html = (folder / "city-nghia-lo.html").read_text(encoding="utf-8")
    assert "số liệu địa phương tự thu thập" in html  # the facts table and the appendix
    assert "245" in html  # the wards' illustrative literacy learners, summed
    assert "70.000" in html and "68.206" in html and "wiki-en-nghia-lo" in html  # disagreement
    run = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["runs"][0]
    (entry,) = run["local_data"]["files"]
    from learningcity.files import sha256_file

    assert entry == {"path": str(collection.resolve()), "sha256": sha256_file(collection),
                     "rows": 5}  # fmt: skip
    assert run["local_data"]["disagreements"] == 1
    # One shared context for both reports, built once by the runner.
    assert [r["status"] for r in run["reports"]] == ["ok", "ok"]
    assert run["context"]["seconds"] > 0
