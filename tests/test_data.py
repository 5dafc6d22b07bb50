"""Reading and validating observation files: shapes, encodings, numbers, every error."""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learningcity.data import (
    DataValidationError,
    load_bundled_observations,
    read_observations,
    validate_observations,
)
from learningcity.numbers import format_number
from learningcity.paths import data_dir

HEADER = "unit_code,unit_name,level,year,indicator,value,qualifier,source_id,note\n"
SRC = "baoyenbai-2021-201796"  # a row of data/sources.csv


def write(tmp_path, text, name="obs.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def problems(path, **kw):
    with pytest.raises(DataValidationError) as info:
        read_observations(path, **kw)
    return info.value.problems, str(info.value)


def test_shipped_yen_bai_file():
    obs = read_observations(data_dir() / "observations" / "yen-bai.csv")
    assert list(obs.columns) == [
        "unit_code",
        "unit_name",
        "level",
        "year",
        "indicator",
        "value",
        "qualifier",
        "source_id",
        "note",
    ]
    fam = (obs["unit_code"] == "15") & (obs["indicator"] == "learning_families_share")
    row = obs[fam & (obs["year"] == 2018)]
    assert row["value"].item() == 57.48 and row["year"].item() == 2018
    enrol = obs[obs["indicator"] == "school_age_enrolment_rate"].iloc[0]
    assert enrol["qualifier"] == ">" and enrol["value"] == 99.0


def test_bundled_observations_validate():
    obs = load_bundled_observations()
    assert not obs.duplicated(["unit_code", "year", "indicator"]).any()
    assert {"15", "132", "133"} <= set(obs["unit_code"])


def test_bom_and_nfd_give_nfc_names(tmp_path):
    name = "Nghĩa Lộ"
    text = (
        HEADER + f"133,{unicodedata.normalize('NFD', name)},district,2020,population,68206,,{SRC},"
    )
    obs = read_observations(write(tmp_path, "\ufeff" + text))
    assert obs.loc[0, "unit_name"] == name
    assert unicodedata.is_normalized("NFC", obs.loc[0, "unit_name"])
    assert obs.loc[0, "unit_code"] == "133"
    assert obs.loc[0, "value"] == 68206.0


def test_vietnamese_numbers_and_semicolons(tmp_path):
    text = (
        "unit_code;unit_name;level;year;indicator;value;qualifier;source_id;note\n"
        f"15;Yên Bái;province;2020;learning_families_share;65,5 %;;{SRC};\n"
        f"15;Yên Bái;province;2020;population;1.234.567;;{SRC};\n"
        f"15;Yên Bái;province;2020;libraries;1.234;;{SRC};four digits here: a group\n"
    )
    obs = read_observations(write(tmp_path, text)).set_index("indicator")["value"]
    assert obs["learning_families_share"] == 65.5
    assert obs["population"] == 1234567.0
    # "1.234" alone is ambiguous, but this file writes decimals with a comma.
    assert obs["libraries"] == 1234.0


def test_ambiguous_number_without_evidence_is_an_error(tmp_path):
    text = HEADER + f'15,Yên Bái,province,2020,libraries,"1,234",,{SRC},\n'
    found, message = problems(write(tmp_path, text))
    assert found[["row", "column", "value"]].values.tolist() == [[2, "value", "1,234"]]
    assert "ambiguous" in found.loc[0, "expected"]
    assert "line 2, column 'value'" in message
    # The caller can state the file's convention.
    obs = read_observations(write(tmp_path, text), decimal=".")
    assert obs.loc[0, "value"] == 1234.0


def test_every_kind_of_error_is_reported_together(tmp_path):
    text = HEADER + (
        f"15,Yên Bái,province,2020,learning_families_share,105,,{SRC},share above 100\n"  # 2
        f"15,Yên Bái,province,2020,libraries,-3,,{SRC},negative count\n"  # 3
        f"15,Yên Bái,province,2020,happiness_index,7,,{SRC},unknown indicator\n"  # 4
        f"99999,Atlantis,commune,2020,population,10,,{SRC},unknown unit\n"  # 5
        "15,Yên Bái,province,2020,population,800100,,no-such-source,unknown source\n"  # 6
        f"132,Yên Bái,district,2019,population,100631,,{SRC},\n"  # 7
        f"132,Yên Bái,district,2019,population,100632,,{SRC},duplicate of line 7\n"  # 8
        f"15,Yên Bái,province,20x0,poverty_rate,17,,{SRC},bad year\n"  # 9
        f"15,Yên Bái,province,2021,poverty_rate,17,>=,{SRC},bad qualifier\n"  # 10
        f"15,Yên Bái,town,2021,literacy_rate_15plus,abc,,{SRC},bad level and value\n"  # 11
    )
    path = write(tmp_path, text)
    found, message = problems(path)
    got = found[["row", "column", "value"]].values.tolist()
    assert got == [
        [2, "value", "105"],
        [3, "value", "-3"],
        [4, "indicator", "happiness_index"],
        [5, "unit_code", "99999"],
        [6, "source_id", "no-such-source"],
        [7, "unit_code, year, indicator", "132, 2019, population"],
        [8, "unit_code, year, indicator", "132, 2019, population"],
        [9, "year", "20x0"],
        [10, "qualifier", ">="],
        [11, "value", "abc"],
        [11, "level", "town"],
    ]
    assert set(found["file"]) == {str(path)}
    exp = found.set_index("row")["expected"]
    assert exp[2] == (
        "a value between 0 and 100 for 'learning_families_share' (kind share, unit %)"
    )
    assert exp[3].startswith("a value between 0 and ∞ for 'libraries'")
    assert "also on row(s) 8" in found.loc[found["row"] == 7, "expected"].item()
    assert "also on row(s) 7" in found.loc[found["row"] == 8, "expected"].item()
    assert message.startswith(f"{path}: 11 problem(s)")


def test_line_numbers_count_multi_line_notes(tmp_path):
    text = HEADER + (
        f'15,Yên Bái,province,2020,population,800100,,{SRC},"a note\non two lines"\n'
        f"15,Yên Bái,province,2020,poverty_rate,170,,{SRC},\n"
    )
    found, _ = problems(write(tmp_path, text))
    assert found["row"].tolist() == [4]


def test_blank_value_is_missing_not_an_error(tmp_path):
    text = HEADER + f"15,Yên Bái,province,2020,poverty_rate,,,{SRC},not published\n"
    obs = read_observations(write(tmp_path, text))
    assert np.isnan(obs.loc[0, "value"])


def test_leading_zeros_restored_from_the_level(tmp_path):
    text = HEADER + f"1,Hà Nội,province,2016,libraries,31,,{SRC},\n"
    assert read_observations(write(tmp_path, text)).loc[0, "unit_code"] == "01"


def test_wide_by_indicator_and_by_year_equal_the_long_form(tmp_path):
    long = HEADER + (
        f'15,Yên Bái,province,2018,learning_families_share,"57,48",,{SRC},\n'
        f'15,Yên Bái,province,2018,learning_clans_share,"50,6",,{SRC},\n'
        f"15,Yên Bái,province,2020,learning_families_share,65,,{SRC},\n"
        f"15,Yên Bái,province,2020,learning_clans_share,62,,{SRC},\n"
    )
    by_indicator = (
        "Unit_Code,unit_name,level,Year,learning_families_share,learning_clans_share,Source\n"
        f'15,Yên Bái,province,2018,"57,48","50,6",{SRC}\n'
        f"15,Yên Bái,province,2020,65,62,{SRC}\n"
    )
    by_year = (
        "unit_code,unit_name,level,indicator,2018,2020,source_id\n"
        f'15,Yên Bái,province,learning_families_share,"57,48",65,{SRC}\n'
        f'15,Yên Bái,province,learning_clans_share,"50,6",62,{SRC}\n'
    )
    key = ["year", "indicator"]

    def read(text, name):
        obs = read_observations(write(tmp_path, text, name))
        return obs.sort_values(key, ignore_index=True)[[*key, "value", "source_id"]]

    expected = read(long, "long.csv")
    assert expected["value"].tolist() == [50.6, 57.48, 62.0, 65.0]
    pd.testing.assert_frame_equal(read(by_indicator, "wide1.csv"), expected)
    pd.testing.assert_frame_equal(read(by_year, "wide2.csv"), expected)


def test_wide_file_errors_name_the_value_column(tmp_path):
    text = (
        "unit_code,unit_name,level,indicator,2018,2020,source_id\n"
        f"15,Yên Bái,province,learning_families_share,57,165,{SRC}\n"
    )
    found, _ = problems(write(tmp_path, text))
    assert found[["row", "column", "value"]].values.tolist() == [[2, "2020", "165"]]


def test_missing_required_column(tmp_path):
    found, _ = problems(write(tmp_path, "unit_code,indicator,value\n15,population,1\n"))
    assert found[["row", "column"]].values.tolist() == [[1, "year"]]


def test_not_utf8_names_the_line(tmp_path):
    text = HEADER + f"15,Yên Bái,province,2020,population,1,,{SRC},\n"
    path = write(tmp_path, text, encoding="cp1258")
    found, message = problems(path)
    assert found.loc[0, "row"] == 2
    assert "UTF-8" in found.loc[0, "expected"]


def test_validate_a_table_built_in_code():
    tidy = pd.DataFrame(
        {
            "unit_code": ["15", "15"],
            "unit_name": ["Yên Bái"] * 2,
            "level": ["province"] * 2,
            "year": [2020, 2020],
            "indicator": ["learning_units_share", "learning_units_share"],
            "value": [90.0, 91.0],
            "qualifier": ["", ""],
            "source_id": [SRC, SRC],
            "note": ["", ""],
        }
    )
    with pytest.raises(DataValidationError) as info:
        validate_observations(tidy, file="mine")
    assert info.value.problems["row"].tolist() == [2, 3]
    assert validate_observations(tidy.head(1)) is not None


def test_derived_source_lists_are_accepted(tmp_path):
    text = HEADER + f'15,Yên Bái,province,2020,libraries_per_100k,1.25,,"{SRC}; gso-census-2019",\n'
    assert read_observations(write(tmp_path, text)).loc[0, "value"] == 1.25


def test_excel_wide_by_year_with_numeric_cells(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Dữ liệu"
    sheet.append(["Ghi chú: số liệu tỉnh"])  # a title line above the header
    sheet.append(["unit_code", "unit_name", "level", "indicator", 2018, 2020.0, "source"])
    # Excel stored the code as the number 1 (Hà Nội is "01") and a share as text.
    sheet.append([1, "Hà Nội", "province", "libraries", 31, None, SRC])
    sheet.append([15, "Yên Bái", "province", "learning_families_share", "57,48", 65.0, SRC])
    path = tmp_path / "wide.xlsx"
    book.save(path)
    obs = read_observations(path).sort_values(["unit_code", "year"], ignore_index=True)
    assert obs[["unit_code", "year", "indicator", "value"]].values.tolist() == [
        ["01", 2018, "libraries", 31.0],
        ["15", 2018, "learning_families_share", 57.48],
        ["15", 2020, "learning_families_share", 65.0],
    ]
    # A blank cell in a wide row is simply not a value (nothing is invented for 2020).
    assert len(obs[obs["unit_code"] == "01"]) == 1


def test_qualifier_words_in_the_value(tmp_path):
    text = HEADER + (
        f"15,Yên Bái,province,2023,school_age_enrolment_rate,trên 99%,,{SRC},\n"
        f"15,Yên Bái,province,2023,study_promotion_funds_mobilised,khoảng 50,~,{SRC},\n"
        f'15,Yên Bái,province,2020,study_promotion_members_share,"hơn 23,5",<,{SRC},\n'
    )
    found, _ = problems(write(tmp_path, text))
    assert found[["row", "column", "value"]].values.tolist() == [[4, "qualifier", "<"]]
    ok = read_observations(write(tmp_path, "\n".join(text.splitlines()[:3]) + "\n", "ok.csv"))
    assert ok[["value", "qualifier"]].values.tolist() == [[99.0, ">"], [50.0, "~"]]


def test_excel_missing_column_names_the_header_row(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Bảng 1"])
    book.active.append(["unit_code", "indicator", "value"])
    book.active.append(["15", "population", 1])
    path = tmp_path / "no-year.xlsx"
    book.save(path)
    found, _ = problems(path)
    assert found[["sheet", "row", "column"]].values.tolist() == [["Sheet", 2, "year"]]


@settings(max_examples=25, deadline=None)
@given(
    value=st.floats(min_value=0, max_value=1e9, allow_nan=False),
    lang=st.sampled_from(["vi", "en"]),
    decimals=st.integers(min_value=0, max_value=3),
    form=st.sampled_from(["NFC", "NFD"]),
    bom=st.booleans(),
)
def test_any_formatted_count_reads_back(value, lang, decimals, form, bom):
    text = format_number(value, lang, decimals)
    name = unicodedata.normalize(form, "Mù Cang Chải")
    sep = ";" if lang == "vi" else ","
    csv_text = (
        sep.join(["unit_code", "unit_name", "level", "year", "indicator", "value", "source_id"])
        + "\n"
    )
    csv_text += sep.join(["137", name, "district", "2019", "population", f'"{text}"', SRC]) + "\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.csv"
        path.write_text(("\ufeff" if bom else "") + csv_text, encoding="utf-8")
        obs = read_observations(path, decimal="," if lang == "vi" else ".")
    assert obs.loc[0, "value"] == pytest.approx(round(value, decimals), rel=1e-12, abs=1e-9)
    assert obs.loc[0, "unit_name"] == "Mù Cang Chải"


def test_windows_line_endings_keep_line_numbers(tmp_path):
    text = HEADER + (
        f"15,Yên Bái,province,2020,population,800100,,{SRC},\n"
        f"15,Yên Bái,province,2020,poverty_rate,101,,{SRC},\n"
    )
    found, _ = problems(write(tmp_path, "\ufeff" + text.replace("\n", "\r\n")))
    assert found[["row", "column", "value"]].values.tolist() == [[3, "value", "101"]]


def test_bundled_folder_duplicates_across_files(tmp_path):
    row = f"15,Yên Bái,province,2020,population,831586,,{SRC},\n"
    write(tmp_path, HEADER + row, "a.csv")
    write(tmp_path, HEADER + row, "b.csv")
    with pytest.raises(DataValidationError) as info:
        load_bundled_observations(tmp_path)
    found = info.value.problems
    assert found[["file", "value"]].values.tolist() == [["a.csv, b.csv", "15, 2020, population"]]
    # One file alone is fine.
    (tmp_path / "b.csv").unlink()
    assert len(load_bundled_observations(tmp_path)) == 1
