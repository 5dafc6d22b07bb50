"""Hostile and broken observation files: every one is a message naming the file, the
line (or row) and the column, never a silent misreading or a traceback.

Each case checks the problem table of :func:`read_observations` and the command line.
``learningcity validate`` exits 1 when a file has problems (its documented contract,
also tested in test_workbook.py) and 2 when it cannot run (a missing file); the
commands that need the data (``coverage``, ``index``) exit 2 on either. No command
changes a file or writes one when it refuses its input.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from learningcity.cli import main
from learningcity.data import DataFileNotFoundError, DataValidationError, read_observations

HEADER = "unit_code,unit_name,level,year,indicator,value,qualifier,source_id,note\n"
SRC = "gso-census-2019"  # a row of data/sources.csv
YB = "15,Yên Bái,province"  # Yên Bái province before the 2025 reform


def write(tmp_path: Path, text: str, name: str = "obs.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def problems(path: Path, **kw) -> list[list]:
    """[row, column, value] of every problem of the file."""
    with pytest.raises(DataValidationError) as info:
        read_observations(path, **kw)
    return info.value.problems[["row", "column", "value"]].values.tolist()


def expected(path: Path, **kw) -> list[str]:
    with pytest.raises(DataValidationError) as info:
        read_observations(path, **kw)
    return info.value.problems["expected"].tolist()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def command(argv: list[str], capsys, folder: Path) -> tuple[int, str, str]:
    """Run the command line; assert it left every file of ``folder`` as it was."""
    before = snapshot(folder)
    status = main(argv)
    out, err = capsys.readouterr()
    assert snapshot(folder) == before
    assert "Traceback" not in out + err
    return status, out, err


# --- 1. quotes ----------------------------------------------------------------------


def test_a_quote_never_closed_names_the_line_it_opens(tmp_path, capsys):
    # Read before as "OK" with the rows after line 3 swallowed into the note.
    path = write(
        tmp_path,
        HEADER
        + f"{YB},2019,population,821030,,{SRC},Dân số 1/4/2019\n"
        + f'{YB},2020,libraries,12,,{SRC},"thư viện công cộng\n'
        + f"{YB},2020,kindergartens,3,,{SRC},\n"
        + f"{YB},2021,libraries,13,,{SRC},\n",
    )
    assert problems(path) == [[3, "note", '"thư viện công cộng']]
    assert "runs to the end of the file" in expected(path)[0]
    status, out, _ = command(["validate", str(path)], capsys, tmp_path)
    assert status == 1
    assert f"{path}:3: column 'note': got '\"thư viện công cộng'; a closing '\"'" in out


def test_a_quote_opened_in_the_value_column(tmp_path):
    path = write(
        tmp_path,
        HEADER + f"{YB},2019,libraries,12,,{SRC},\n" + f'{YB},2020,libraries,"13,,{SRC},\n',
    )
    assert problems(path) == [[3, "value", '"13,,gso-census-2019,']]


def test_a_quote_at_the_end_of_the_file(tmp_path):
    path = write(tmp_path, HEADER + f'{YB},2019,libraries,12,,{SRC},"')
    assert problems(path) == [[2, "note", '"']]


def test_a_stray_quote_far_from_the_end_exceeds_the_field_limit(tmp_path):
    rows = "".join(f"{YB},{2000 + i % 20},libraries,{i},,{SRC},\n" for i in range(3000))
    path = write(tmp_path, HEADER + f'{YB},2019,population,1,,{SRC},"oops\n' + rows)
    assert problems(path) == [[2, "note", '"oops']]
    assert "more than 131072 characters" in expected(path)[0]


def test_a_stray_quote_that_swallows_rows_up_to_another_quote(tmp_path, capsys):
    # The case: the note opened on line 2 closes at the end of line 4, so lines 3
    # and 4 became part of it and the file read "OK, 2 observations" of 4.
    path = write(
        tmp_path,
        HEADER
        + f'{YB},2019,population,821030,,{SRC},"Dân số\n'
        + f"{YB},2020,libraries,12,,{SRC},\n"
        + f'{YB},2020,kindergartens,3,,{SRC},ghi chú"\n'
        + f"{YB},2021,libraries,13,,{SRC},\n",
    )
    assert problems(path) == [[2, "note", "Dân số"]]
    message = expected(path)[0]
    assert "runs to line 4 and holds 2 line(s) that look like rows" in message
    assert "(line 3: '15,Yên Bái,province,2020,libraries,12,,g')" in message
    status, out, _ = command(["validate", str(path)], capsys, tmp_path)
    assert status == 1 and f"{path}:2: column 'note': got 'Dân số'" in out


def test_a_quote_closed_in_the_middle_of_a_cell(tmp_path):
    path = write(
        tmp_path,
        HEADER
        + f'{YB},2019,population,821030,,{SRC},"Dân số\n'
        + f"{YB},2020,libraries,12,,{SRC},\n"
        + f'{YB},2020,kindergartens,3,,{SRC},"ghi chú"\n',
    )
    assert problems(path) == [[2, "note", '"Dân số']]
    assert "the '\"' on line 4 closes the field opened here in the middle" in expected(path)[0]


def test_a_note_on_several_lines_is_fine_and_later_lines_keep_their_numbers(tmp_path):
    note = '"Ghi chú\ntrên hai dòng, một dấu phẩy"'
    ok = HEADER + f"{YB},2019,population,821030,,{SRC},{note}\n"
    obs = read_observations(write(tmp_path, ok))
    assert obs.loc[0, "note"] == "Ghi chú trên hai dòng, một dấu phẩy"  # whitespace collapsed
    bad = ok + f"{YB},2019,poverty_rate,170,,{SRC},\n"  # line 4: the note took lines 2-3
    assert problems(write(tmp_path, bad, "bad.csv")) == [[4, "value", "170"]]


# --- 2. columns ---------------------------------------------------------------------


def test_a_misspelt_column_is_an_error_naming_the_right_one(tmp_path, capsys):
    # Dropped before: "trên 99 %" became an exact 99.
    path = write(
        tmp_path,
        HEADER.replace("qualifier", "qualifer")
        + f"{YB},2023,school_age_enrolment_rate,99,>,{SRC},\n",
    )
    assert problems(path) == [[1, "qualifer", "qualifer"]]
    assert "did you mean 'qualifier'?" in expected(path)[0]
    status, out, _ = command(["validate", str(path)], capsys, tmp_path)
    assert status == 1 and f"{path}:1: column 'qualifer'" in out
    status, _, err = command(["coverage", str(path)], capsys, tmp_path)
    assert status == 2 and "line 1, column 'qualifer'" in err


def test_an_alias_near_miss_suggests_the_alias(tmp_path):
    path = write(tmp_path, HEADER.replace("source_id", "sourse") + f"{YB},2020,libraries,1,,x,\n")
    assert problems(path) == [[1, "sourse", "sourse"]]
    assert "did you mean 'source'?" in expected(path)[0]


def test_an_unknown_column_is_an_error_and_descriptive_ones_are_accepted(tmp_path):
    path = write(tmp_path, HEADER.replace("note", "remarks") + f"{YB},2020,libraries,1,,{SRC},x\n")
    assert problems(path) == [[1, "remarks", "remarks"]]
    assert "rename or delete it" in expected(path)[0]
    described = HEADER.rstrip("\n") + ",name_en,unit_of_measure\n"
    ok = write(
        tmp_path, described + f"{YB},2020,libraries,31,,{SRC},,Libraries,libraries\n", "ok.csv"
    )
    assert read_observations(ok)["value"].tolist() == [31.0]


def test_wide_by_indicator_near_misses_and_unknown_ids(tmp_path):
    misspelt = "unit_code;unit_name;level;year;population;qualifer;source_id\n"
    path = write(tmp_path, misspelt + f"15;Yên Bái;province;2019;821030;>;{SRC}\n")
    assert problems(path) == [[1, "qualifer", "qualifer"]]
    # Not a near miss of a column name: an indicator id, checked on its rows.
    unknown = "unit_code;unit_name;level;year;populaton;source_id\n"
    path = write(tmp_path, unknown + f"15;Yên Bái;province;2019;821030;{SRC}\n", "ids.csv")
    assert problems(path) == [[2, "indicator", "populaton"]]
    assert expected(path)[0].endswith("(did you mean 'population'?)")


def test_wide_by_year_unknown_column(tmp_path):
    text = "unit_code,level,indicator,2019,ghi_chu,source_id\n"
    path = write(tmp_path, text + f"15,province,libraries,12,x,{SRC}\n")
    assert problems(path) == [[1, "ghi_chu", "ghi_chu"]]
    assert ", or years;" in expected(path)[0]


def test_a_value_beyond_the_header_and_a_repeated_column(tmp_path):
    extra = HEADER + f"{YB},2020,libraries,12,,{SRC},note,spilt over\n"
    assert problems(write(tmp_path, extra)) == [[2, "column 10 (no header)", "spilt over"]]
    twice = "unit_code,year,indicator,value,Value,source_id\n"
    path = write(tmp_path, twice + f"15,2020,libraries,1,2,{SRC}\n", "twice.csv")
    assert problems(path) == [[1, "Value", "Value"]]
    assert "column 4 has the same name" in expected(path)[0]


def test_an_unquoted_decimal_comma_points_at_the_quoting(tmp_path):
    path = write(tmp_path, HEADER + f"{YB},2020,poverty_rate,95,8,{SRC},\n")
    assert problems(path) == [[2, "qualifier", "8"]]
    assert "an unquoted number such as 95,8" in expected(path)[0]


# --- 3. decimal marks ---------------------------------------------------------------


def test_a_population_read_with_another_indicators_decimal_mark(tmp_path, capsys):
    # Read before as 821.03 persons: the shares' "57.48" made '.' the file's decimal mark.
    path = write(
        tmp_path,
        HEADER
        + f"{YB},2019,population,821.030,,{SRC},\n"
        + f"{YB},2019,poverty_rate,57.48,,{SRC},\n",
    )
    assert problems(path) == [[2, "value", "821.030"]]
    message = expected(path)[0]
    assert message.startswith("'population' counts persons, a whole number: '821.030' was read")
    assert "write 821030 without it" in message
    status, out, _ = command(["validate", str(path)], capsys, tmp_path)
    assert status == 1 and f"{path}:2: column 'value': got '821.030'" in out
    # A decimal mark stated by the caller is taken as said.
    obs = read_observations(path, decimal=".")
    assert obs["value"].tolist() == [821.03, 57.48]


def test_the_decimal_mark_is_read_per_indicator(tmp_path):
    # Population writes thousands with '.', shares write decimals with '.': the file as a
    # whole says both, each indicator one.
    path = write(
        tmp_path,
        HEADER
        + f"{YB},2019,population,821.030,,{SRC},\n"
        + f"{YB},2020,population,1.234.567,,{SRC},\n"
        + f"{YB},2019,poverty_rate,57.48,,{SRC},\n",
    )
    assert read_observations(path)["value"].tolist() == [821030.0, 1234567.0, 57.48]


def test_the_decimal_mark_is_read_per_column_of_a_wide_table(tmp_path):
    text = "unit_code;unit_name;level;year;population;poverty_rate;source_id\n"
    text += f"15;Yên Bái;province;2018;821.030;57.48;{SRC}\n"
    text += f"15;Yên Bái;province;2019;1.234.567;12.5;{SRC}\n"
    obs = read_observations(write(tmp_path, text)).sort_values(["indicator", "year"])
    assert obs["value"].tolist() == [821030.0, 1234567.0, 57.48, 12.5]


def test_a_fractional_count_says_how_to_write_it(tmp_path):
    path = write(
        tmp_path,
        HEADER
        + f'{YB},2020,libraries,"12,5",,{SRC},\n'
        + f'{YB},2020,poverty_rate,"57,4",,{SRC},\n',
    )
    assert problems(path) == [[2, "value", "12,5"]]
    assert expected(path) == [
        "'libraries' counts libraries, a whole number, not 12.5: if ',' in '12,5' groups "
        "thousands, write the number without it (125)"
    ]


# --- 4. values and years ------------------------------------------------------------


def test_a_percent_sign_alone_is_no_value(tmp_path):
    path = write(
        tmp_path,
        HEADER
        + f"{YB},2020,poverty_rate,%,,{SRC},\n"
        + f"{YB},2021,poverty_rate,trên %,,{SRC},\n"
        + f"{YB},2022,poverty_rate,,,{SRC},not published\n",  # empty: a missing value
    )
    assert problems(path) == [[2, "value", "%"], [3, "value", "trên %"]]
    assert "leave the cell empty for a missing value" in expected(path)[0]


def test_years_after_this_year_or_before_1900(tmp_path, capsys):
    this = dt.date.today().year
    path = write(
        tmp_path,
        HEADER
        + f"01,Hà Nội,province,{this},poverty_rate,1,,{SRC},\n"
        + f"01,Hà Nội,province,{this + 1},poverty_rate,1,,{SRC},\n"
        + f"01,Hà Nội,province,2100,poverty_rate,1,,{SRC},\n"
        + f"01,Hà Nội,province,1899,poverty_rate,1,,{SRC},\n"
        + f"01,Hà Nội,province,1900,poverty_rate,1,,{SRC},\n",
    )
    assert problems(path) == [
        [3, "year", str(this + 1)],
        [4, "year", "2100"],
        [5, "year", "1899"],
    ]
    assert expected(path)[0].startswith(f"a year between 1900 and {this} (this year)")
    status, out, _ = command(["validate", str(path)], capsys, tmp_path)
    assert status == 1 and f"{path}:4: column 'year': got '2100'" in out


# --- 5. units -----------------------------------------------------------------------


def test_a_code_with_another_units_name(tmp_path, capsys):
    path = write(tmp_path, HEADER + f"15,Hà Nội,province,2019,population,821030,,{SRC},\n")
    assert problems(path) == [[2, "unit_name", "Hà Nội"]]
    assert expected(path) == [
        "the name of unit 15 in 2019: Tỉnh Yên Bái (or an empty cell); 'Hà Nội' is Thành phố "
        "Hà Nội (province 01, until 2025-06-30); is the code or the name wrong?"
    ]
    status, out, _ = command(["validate", str(path)], capsys, tmp_path)
    assert status == 1 and f"{path}:2: column 'unit_name': got 'Hà Nội'" in out


def test_a_district_code_with_level_province(tmp_path):
    path = write(tmp_path, HEADER + f"132,Yên Bái,province,2019,population,100631,,{SRC},\n")
    assert problems(path) == [[2, "level", "province"]]
    assert expected(path) == [
        "the level of unit 132 in 2019: Thành phố Yên Bái (district 132, until 2025-06-30)"
    ]


def test_codes_are_looked_up_among_the_units_of_the_rows_year(tmp_path):
    # 15 was Yên Bái until 30 June 2025 and is Lào Cai from 1 July 2025.
    rows = [
        "15,Yên Bái,province,2024",  # 2: fine
        "15,Lào Cai,province,2024",  # 3: Lào Cai was 10 then
        "15,Yên Bái,province,2025",  # 4: fine, both in 2025
        "15,Lào Cai,province,2025",  # 5: fine
        "15,Yên Bái,province,2026",  # 6: Lào Cai now
        "132,Yên Bái,district,2026",  # 7: no districts after the reform
    ]
    # One count each, so that no two rows share a unit, year and indicator.
    counts = ["population", "libraries", "kindergartens", "general_schools", "universities"]
    counts.append("literacy_classes")
    lines = [f"{r},{ind},1,,{SRC},\n" for r, ind in zip(rows, counts, strict=True)]
    path = write(tmp_path, HEADER + "".join(lines))
    assert problems(path) == [
        [3, "unit_name", "Lào Cai"],
        [6, "unit_name", "Yên Bái"],
        [7, "unit_code", "132"],
    ]
    found = expected(path)
    assert found[0].startswith("the name of unit 15 in 2024: Tỉnh Yên Bái (or an empty cell)")
    assert "'Lào Cai' is Tỉnh Lào Cai (province 10, until 2025-06-30)" in found[0]
    assert found[1].startswith("the name of unit 15 in 2026: Tỉnh Lào Cai")
    assert found[2].startswith(
        "a unit code valid in 2026: 132 is Thành phố Yên Bái (district 132, until 2025-06-30)"
    )


@pytest.mark.parametrize(
    ("code", "name", "level", "year"),
    [
        ("15", "TỈNH YÊN BÁI", "province", 2020),
        ("15", "Yen Bai", "province", 2020),
        ("15", "", "province", 2020),  # no name, nothing to compare
        ("132", "TP. Yên Bái", "district", 2020),
        ("132", "Yen Bai City", "district", 2020),
        ("133", "Thị xã Nghĩa Lộ", "district", 2020),
        ("133", "TX Nghia Lo", "district", 2020),
        ("79", "TP. Hồ Chí Minh", "province", 2020),
        ("46", "Thừa Thiên Huế", "province", 2016),  # units.csv keeps the 2025 name, Huế
        ("866", "Cao Lãnh", "district", 2022),  # units.csv: "Cao Lãnh (Thành phố)"
        ("04252", "Phường Yên Bái", "commune", 2025),  # the new ward re-using the code
        ("yen-bai", "Yên Bái", "city", 2024),  # a city of data/units/cities.csv
    ],
)
def test_names_match_without_diacritics_case_or_prefix(tmp_path, code, name, level, year):
    path = write(tmp_path, HEADER + f"{code},{name},{level},{year},population,1000,,{SRC},\n")
    assert read_observations(path)["unit_code"].tolist() == [code]


def test_city_rows_against_the_cities_table(tmp_path):
    path = write(
        tmp_path,
        HEADER
        + f"yen-bai,Nghĩa Lộ,city,2024,population,1000,,{SRC},\n"
        + f"132,Yên Bái,city,2024,population,1000,,{SRC},\n",
    )
    assert problems(path) == [[2, "unit_name", "Nghĩa Lộ"], [3, "level", "city"]]
    found = expected(path)
    assert found[0].startswith("the name of city yen-bai: Yên Bái")
    assert found[1].startswith("the level of unit 132 in 2024: Thành phố Yên Bái (district 132")


def test_gnlc_cities_outside_viet_nam_need_their_codes(tmp_path):
    path = write(
        tmp_path, HEADER + "DE-HH,Hamburg,gnlc_city,2020,gnlc_member_year,2016,,uil-2022-gnlc-77,\n"
    )
    assert problems(path) == [[2, "unit_code", "DE-HH"]]
    obs = read_observations(path, units=["DE-HH"])
    assert obs[["unit_code", "value"]].values.tolist() == [["DE-HH", 2016.0]]


# --- 6. missing files ---------------------------------------------------------------


def test_missing_files_are_messages_not_tracebacks(tmp_path, capsys):
    missing = tmp_path / "missing.csv"
    good = write(tmp_path, HEADER + f"{YB},2020,libraries,12,,{SRC},\n", "good.csv")
    out_csv = tmp_path / "scores.csv"
    for argv, message in [
        (["validate", str(missing)], f"no such file: {missing}"),
        (["coverage", str(missing)], f"data file not found: {missing}"),
        (["coverage", str(good), str(missing)], f"data file not found: {missing}"),
        (
            ["index", "--observations", str(missing), "--out", str(out_csv)],
            f"data file not found: {missing}",
        ),
        (
            ["validate", str(good), "--sources", str(tmp_path / "nope.csv")],
            f"sources file not found: {tmp_path / 'nope.csv'}",
        ),
    ]:
        status, out, err = command(argv, capsys, tmp_path)
        assert status == 2, argv
        assert message in err, (argv, err)
        assert out == ""  # stopped before anything was read or reported
    assert not out_csv.exists()


def test_a_sources_file_without_source_ids(tmp_path, capsys):
    good = write(tmp_path, HEADER + f"{YB},2020,libraries,12,,{SRC},\n", "good.csv")
    sources = write(tmp_path, "id,publisher\nx,y\n", "sources.csv")
    status, _, err = command(["validate", str(good), "--sources", str(sources)], capsys, tmp_path)
    assert status == 2
    assert f"{sources}: the sources file has no 'source_id' column (found: id, publisher)" in err


def test_read_observations_on_a_missing_file():
    with pytest.raises(DataFileNotFoundError, match="data file not found: nope.csv"):
        read_observations("nope.csv")
    with pytest.raises(FileNotFoundError):  # what callers caught before
        read_observations("nope.csv")


def test_the_module_command_in_a_subprocess(tmp_path):
    path = write(tmp_path, HEADER + f'{YB},2019,population,821030,,{SRC},"Dân số\n')
    before = snapshot(tmp_path)
    run = [sys.executable, "-m", "learningcity"]
    done = subprocess.run([*run, "validate", str(path)], capture_output=True, text=True)
    assert done.returncode == 1
    assert f"{path}:2: column 'note': got '\"Dân số'; a closing '\"'" in done.stdout
    missing = tmp_path / "missing.csv"
    done = subprocess.run([*run, "coverage", str(missing)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == f"learningcity coverage: error: data file not found: {missing}"
    assert snapshot(tmp_path) == before
