"""Unit look-up: counts, codes, name variants, ambiguity, dates.

Expected values come from the reference notes (data-sources.md §1.1 and §2:
GSO list of 18 July 2025, Resolution 202/2025/QH15), not from the code.
"""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learningcity.cli import main
from learningcity.errors import UsageError
from learningcity.text import fold, strip_diacritics
from learningcity.units import (
    AmbiguousUnitError,
    UnitNotFoundError,
    load_units,
    resolve_unit,
    search_units,
    units_at,
)

OLD = "2024-01-01"
NEW = "2025-07-01"


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    return load_units()


def test_counts_before_and_after_the_reform(units):
    # 63 provinces -> 34; 696 districts abolished; 10,035 old communes; 3,321 new ones.
    assert len(units_at("2025-06-30", "province", units)) == 63
    assert len(units_at(NEW, "province", units)) == 34
    assert len(units_at("2025-06-30", "district", units)) == 696
    assert len(units_at(NEW, "district", units)) == 0
    assert len(units_at("2025-06-30", "commune", units)) == 10035
    assert len(units_at(NEW, "commune", units)) == 3321


def test_new_communes_by_type(units):
    # 3,321 = 2,621 xã + 687 phường + 13 đặc khu (data-sources.md §2.1).
    counts = units_at(NEW, "commune", units)["type"].value_counts().to_dict()
    assert counts == {"Xã": 2621, "Phường": 687, "Đặc khu": 13}


def test_yen_bai_districts_and_their_communes(units):
    # data-sources.md §1.1: nine district-level units and 168 communes in all.
    expected = {"132": 14, "133": 14, "135": 24, "136": 25, "137": 14, "138": 18, "139": 12,
                "140": 24, "141": 23}  # fmt: skip
    old = units_at(OLD, units=units)
    districts = old[(old["level"] == "district") & (old["parent_code"] == "15")]
    assert sorted(districts["code"]) == sorted(expected)
    communes = old[old["level"] == "commune"]
    per_district = communes[communes["parent_code"].isin(expected)].groupby("parent_code").size()
    assert per_district.to_dict() == expected
    assert per_district.sum() == 168


def test_codes_are_zero_padded_strings(units):
    lengths = units.groupby("level")["code"].agg(lambda s: set(s.str.len()))
    assert lengths.to_dict() == {"commune": {5}, "district": {3}, "province": {2}}
    assert units_at(OLD, "province", units).set_index("code").loc["01", "name"] == "Hà Nội"


def test_every_parent_exists_in_the_same_period(units):
    keyed = set(zip(units["code"], units["valid_from"], strict=True))
    children = units[units["parent_code"] != ""]
    missing = [
        (r.code, r.parent_code)
        for r in children.itertuples()
        if (r.parent_code, r.valid_from) not in keyed
    ]
    assert missing == []


def test_rows_of_the_first_version_are_kept(units):
    # The first units.csv had Yên Bái province (15) and its districts 132-141, valid to 2025-06-30.
    old = units[units["valid_to"] == "2025-06-30"].set_index("code")
    assert old.loc["15", ["name", "type", "level"]].tolist() == ["Yên Bái", "Tỉnh", "province"]
    assert old.loc["132", ["name", "type", "parent_code"]].tolist() == [
        "Yên Bái",
        "Thành phố",
        "15",
    ]
    assert old.loc["133", ["name", "type", "parent_code"]].tolist() == ["Nghĩa Lộ", "Thị xã", "15"]


@pytest.mark.parametrize(
    "query",
    [
        "Thị xã Nghĩa Lộ",
        "TX. Nghĩa Lộ",
        "TX Nghia Lo",
        "tx.nghia lo",
        "thi xa nghia lo",
        "  NGHĨA   LỘ ",
        unicodedata.normalize("NFD", "Thị xã Nghĩa Lộ"),
        "133",
    ],
)
def test_name_variants_of_nghia_lo_town(query):
    row = resolve_unit(query, level="district")
    assert (row["code"], row["name"], row["type"]) == ("133", "Nghĩa Lộ", "Thị xã")


@pytest.mark.parametrize(
    "query", ["TP Yên Bái", "TP. Yên Bái", "Thành phố Yên Bái", "tp yen bai", "T.P. Yen Bai"]
)
def test_prefixes_pick_the_city_not_the_province(query):
    assert resolve_unit(query)["code"] == "132"


@pytest.mark.parametrize("query", ["Tỉnh Yên Bái", "tinh yen bai"])
def test_province_prefix(query):
    row = resolve_unit(query)
    assert (row["code"], row["valid_to"]) == ("15", "2025-06-30")


@pytest.mark.parametrize("query", ["Phường Yên Bái", "P. Yên Bái", "p.yen bai"])
def test_new_ward_of_yen_bai(query):
    row = resolve_unit(query)
    assert (row["code"], row["type"], row["parent_code"], row["valid_from"]) == (
        "04252",
        "Phường",
        "15",
        NEW,
    )


def test_yen_bai_is_ambiguous_with_the_candidates():
    with pytest.raises(AmbiguousUnitError) as info:
        resolve_unit("Yên Bái")
    # Province 15 and city 132 before the reform, ward 04252 after.
    assert sorted(info.value.candidates["code"]) == ["04252", "132", "15"]
    message = str(info.value)
    assert "Tỉnh Yên Bái" in message and "Thành phố Yên Bái" in message
    assert "04252" in message


def test_a_date_narrows_the_candidates():
    with pytest.raises(AmbiguousUnitError) as info:
        resolve_unit("Yên Bái", date=OLD)
    assert sorted(info.value.candidates["code"]) == ["132", "15"]
    assert resolve_unit("Yên Bái", date=NEW)["code"] == "04252"
    assert resolve_unit("Yên Bái", date=OLD, level="province")["code"] == "15"


def test_diacritics_in_the_query_count_when_they_can():
    # "Yên Bài" (grave accent) is a commune of Ba Vì, Hà Nội. Typed without
    # diacritics, "Yen Bai" may be it; typed "Yên Bái", it is not.
    with pytest.raises(AmbiguousUnitError) as info:
        resolve_unit("Yen Bai", date=OLD)
    assert set(info.value.candidates["name"]) == {"Yên Bái", "Yên Bài"}
    assert resolve_unit("Yen Bai", date=OLD, level="commune")["name"] == "Yên Bài"
    with pytest.raises(UnitNotFoundError):
        resolve_unit("Yên Bái", date=OLD, level="commune")
    # A half-accented spelling nobody uses falls back to matching without diacritics.
    assert resolve_unit("Nghĩa Lo", level="district")["code"] == "133"


def test_codes_reused_after_the_reform_need_a_date():
    with pytest.raises(AmbiguousUnitError, match="give a date") as info:
        resolve_unit("15")
    assert sorted(info.value.candidates["name"]) == ["Lào Cai", "Yên Bái"]
    assert resolve_unit("15", date=OLD)["name"] == "Yên Bái"
    assert resolve_unit("15", date=NEW)["name"] == "Lào Cai"
    assert resolve_unit("15", date=2024)["name"] == "Yên Bái"


def test_a_name_that_looks_like_a_prefix_is_still_a_name():
    # Huyện Quan Hóa (Thanh Hóa): "Quan" is not "Quận" here.
    row = resolve_unit("Quan Hóa", level="district")
    assert (row["type"], row["name"]) == ("Huyện", "Quan Hóa")


def test_numbered_units():
    row = resolve_unit("Q1")
    assert (row["name"], row["type"], row["parent_code"]) == ("Quận 1", "Quận", "79")
    assert resolve_unit("Q.1")["code"] == row["code"]


def test_unknown_name_is_an_error_with_hints():
    with pytest.raises(UnitNotFoundError, match="Atlantis"):
        resolve_unit("Atlantis")
    with pytest.raises(UnitNotFoundError, match="Did you mean"):
        resolve_unit("Nghia", level="district")


def test_bad_date_and_level_are_clear_errors():
    with pytest.raises(UsageError, match="2024-13-01"):
        resolve_unit("Nghĩa Lộ", date="2024-13-01")
    with pytest.raises(UsageError, match="expected one of province"):
        search_units("Nghĩa Lộ", level="ward")


def test_a_small_custom_table_without_dates_still_works():
    small = pd.DataFrame(
        {
            "code": ["15", "133"],
            "name": ["Yên Bái", "Nghĩa Lộ"],
            "type": ["Tỉnh", "Thị xã"],
            "level": ["province", "district"],
            "parent_code": ["", "15"],
        }  # fmt: skip
    )
    assert resolve_unit("TX Nghia Lo", units=small)["code"] == "133"


def test_search_lists_candidates_with_parent_and_validity():
    hits = search_units("Nghia Lo", level="district")
    assert hits.loc[0, ["code", "parent_code", "parent_name", "valid_to", "match"]].tolist() == [
        "133",
        "15",
        "Yên Bái",
        "2025-06-30",
        "exact",
    ]
    new = search_units("Nghĩa Lộ", date=NEW)
    assert set(new["valid_from"]) == {NEW}
    assert "04288" in set(new["code"])


def test_search_finds_partial_names_after_exact_ones():
    hits = search_units("Cang Chai")
    assert "137" in set(hits.loc[hits["match"] == "partial", "code"])  # Mù Căng Chải
    assert search_units("Atlantis").empty


def test_cli_search(capsys):
    assert main(["units", "search", "TX Nghia Lo"]) == 0
    out = capsys.readouterr().out
    assert "133" in out and "Nghĩa Lộ" in out and "2025-06-30" in out
    assert main(["units", "search", "Atlantis"]) == 1
    assert main(["units", "search", "Nghia Lo", "--date", "2024-13-01"]) == 2
    assert "2024-13-01" in capsys.readouterr().err


def test_names_of_the_district_or_province_after_commas():
    assert resolve_unit("Xã Nghĩa Lộ, TX Nghĩa Lộ")["code"] == "04624"
    assert resolve_unit("xa nghia lo, yen bai")["code"] == "04624"
    assert resolve_unit("Nghĩa Lộ, Lào Cai")["code"] == "04288"  # the new ward
    hits = search_units("Nghĩa Lộ, Quảng Ngãi")
    assert set(hits["code"]) == {"21028"}
    with pytest.raises(UnitNotFoundError):
        resolve_unit("Nghĩa Lộ, Hà Nội")


# Prefix spellings people write, by unit type (the brief's list and their usual forms).
SPELLINGS = {
    "Tỉnh": ["Tỉnh", "tinh"],
    "Thành phố": ["Thành phố", "TP.", "TP", "tp."],
    "Thị xã": ["Thị xã", "TX.", "TX", "thi xa"],
    "Huyện": ["Huyện", "H.", "huyen"],
    "Quận": ["Quận", "Q."],
    "Phường": ["Phường", "P.", "phuong"],
    "Xã": ["Xã", "xa"],
    "Thị trấn": ["Thị trấn", "TT.", "TT"],
    "Đặc khu": ["Đặc khu"],
}


_ALL_UNITS = load_units()


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_unit_is_found_by_its_name_in_any_usual_spelling(data):
    units = _ALL_UNITS
    row = units.iloc[data.draw(st.integers(0, len(units) - 1), label="row")]
    name = row["name"]
    if not fold(name).startswith(fold(row["type"])):  # "Quận 1" already says its type
        prefix = data.draw(st.sampled_from([""] + SPELLINGS[row["type"]]), label="prefix")
        name = f"{prefix} {name}".strip()
    form = data.draw(st.sampled_from(["as is", "NFD", "upper", "no diacritics"]), label="form")
    query = {
        "as is": name,
        "NFD": unicodedata.normalize("NFD", name),
        "upper": name.upper(),
        "no diacritics": strip_diacritics(name),
    }[form]
    date = row["valid_from"] or row["valid_to"]
    hits = search_units(query, level=row["level"], date=date)
    assert row["code"] in set(hits.loc[hits["match"] == "exact", "code"])


def test_a_bad_units_file_lists_every_problem_with_row_and_column(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(
        "code,name,type,level,parent_code,valid_from,valid_to\n"
        "15,Yên Bái,Tỉnh,province,,,2025-06-30\n"
        "13x,Nghĩa Lộ,Thị xã,district,15,,2025-06-30\n"
        "132,Yên Bái,Thành phố,city,15,,30/06/2025\n",
        encoding="utf-8",
    )
    with pytest.raises(UsageError) as info:
        load_units(path)
    message = str(info.value)
    assert "3 problem(s)" in message
    assert f"{path}, row 3, column code: '13x' is not a GSO code" in message
    assert f"{path}, row 4, column level: 'city' is not one of province" in message
    assert f"{path}, row 4, column valid_to: '30/06/2025' is not a date" in message


def test_a_units_file_without_a_column_is_refused(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("code,name\n15,Yên Bái\n", encoding="utf-8")
    with pytest.raises(UsageError, match="missing column.*type"):
        load_units(path)
