"""Cities as sets of communes at a date, and aggregation of commune data to them.

Membership is checked against data-sources.md §1.1 and §2.4; the aggregates
are worked out by hand in the comments.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from learningcity.cities import aggregate_to_city, city_members, load_cities, resolve_city
from learningcity.cli import main
from learningcity.crosswalk import successors
from learningcity.errors import UsageError

OLD = "2024-01-01"
NEW = "2025-07-01"


def test_nghia_lo_before_the_reform_is_its_14_communes():
    members = city_members("Nghĩa Lộ", date=OLD)
    # 14 = 4 phường + 10 xã (GSO list, data-sources.md §1.1).
    assert len(members) == 14
    assert members["type"].value_counts().to_dict() == {"Xã": 10, "Phường": 4}
    assert set(members["share"]) == {"whole"} and set(members["via"]) == {"133"}
    assert {"Pú Trạng", "Trung Tâm", "Tân An", "Cầu Thia"} == set(
        members.loc[members["type"] == "Phường", "name"]
    )


def test_yen_bai_before_the_reform_is_its_14_communes():
    members = city_members("TP Yên Bái", date=OLD)
    assert members["type"].value_counts().to_dict() == {"Phường": 8, "Xã": 6}


def test_nghia_lo_after_the_reform_flags_the_partial_commune():
    members = city_members("nghia lo", date=NEW).set_index("code")
    assert members["share"].to_dict() == {
        "04288": "whole", "04663": "whole", "04681": "whole", "04660": "partial"
    }  # fmt: skip
    assert members.loc["04660", ["type", "name"]].tolist() == ["Xã", "Liên Sơn"]


def test_yen_bai_after_the_reform_is_four_wards():
    members = city_members("yen-bai", date="2026-01-01")
    assert sorted(members["name"]) == sorted(["Yên Bái", "Nam Cường", "Văn Phú", "Âu Lâu"])
    assert set(members["share"]) == {"whole"} and set(members["type"]) == {"Phường"}


@pytest.mark.parametrize(("city", "district"), [("yen-bai", "132"), ("nghia-lo", "133")])
def test_new_members_are_the_successors_of_the_old_town(city, district):
    members = set(city_members(city, date=NEW)["code"])
    assert members == set(successors(district)["new_code"])


def test_city_names_and_errors():
    assert resolve_city("Thành phố Yên Bái") == ("yen-bai", "Yên Bái")
    assert resolve_city("TX Nghia Lo") == ("nghia-lo", "Nghĩa Lộ")
    with pytest.raises(UsageError, match="known cities: Yên Bái"):
        resolve_city("Atlantis")
    with pytest.raises(UsageError, match="not a date"):
        city_members("Nghĩa Lộ", date="1 Jan 2024")


def test_a_bad_member_in_a_cities_file_is_reported(tmp_path):
    cities = load_cities()
    cities.loc[cities["member_code"] == "133", "member_code"] = "999"
    with pytest.raises(UsageError, match="member 999"):
        city_members("Nghĩa Lộ", date=OLD, cities=cities)


def _tidy(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["unit_code", "level", "year", "indicator", "value", "source_id"]
    )


# Yên Bái after the reform: the four wards, all whole members.
YB = ["04252", "04273", "04279", "04543"]


def test_sum_of_a_count_over_the_four_wards():
    # 300 + 100 + 150 + 50 = 600, complete, so no qualifier.
    tidy = _tidy(
        [(c, "commune", 2026, "learners", v, s)
         for c, v, s in zip(YB, [300, 100, 150, 50], ["s1", "s2", "s1", "s1"], strict=True)]
    )  # fmt: skip
    out = aggregate_to_city(tidy, "Yên Bái", kind="count")
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["unit_code"], row["unit_name"], row["level"], row["year"]) == (
        "yen-bai", "Yên Bái", "city", 2026
    )  # fmt: skip
    assert row["value"] == 600.0 and row["qualifier"] == ""
    assert row["source_id"] == "s1;s2"
    assert "sum over 4 of 4 members" in row["note"] and "Âu Lâu (04543)" in row["note"]


def test_population_weighted_mean_of_a_rate():
    # Rates 98, 96, 94, 90 with populations 50,000, 20,000, 20,000, 10,000:
    # (98*50 + 96*20 + 94*20 + 90*10) / 100 = (4900 + 1920 + 1880 + 900) / 100 = 96.0
    # (the unweighted mean would be 94.5).
    rates = [(c, "commune", 2026, "enrolment_rate", v, "r")
             for c, v in zip(YB, [98, 96, 94, 90], strict=True)]  # fmt: skip
    pops = [(c, "commune", 2026, "population", v, "p")
            for c, v in zip(YB, [50_000, 20_000, 20_000, 10_000], strict=True)]  # fmt: skip
    out = aggregate_to_city(_tidy(rates + pops), "yen-bai", kind="rate")
    assert out["indicator"].tolist() == ["enrolment_rate"]  # the weight is not averaged
    row = out.iloc[0]
    assert row["value"] == pytest.approx(96.0)
    assert row["qualifier"] == "" and row["source_id"] == "p;r"
    assert "population-weighted mean over 4 of 4" in row["note"]


def test_kinds_per_indicator_and_missing_weight_gives_nan():
    rates = [(c, "commune", 2026, "enrolment_rate", 95.0, "r") for c in YB]
    pops = [(c, "commune", 2026, "population", 1000.0, "p") for c in YB[:3]]  # Âu Lâu missing
    out = aggregate_to_city(
        _tidy(rates + pops),
        "yen-bai",
        kind={"enrolment_rate": "rate", "population": "count"},
    ).set_index("indicator")
    assert math.isnan(out.loc["enrolment_rate", "value"])
    assert "no population for Phường Âu Lâu (04543)" in out.loc["enrolment_rate", "note"]
    # 3 x 1000 = 3000 with one member missing: a lower bound.
    assert out.loc["population", ["value", "qualifier"]].tolist() == [3000.0, ">"]
    assert "missing: Phường Âu Lâu (04543)" in out.loc["population", "note"]


def test_partial_member_is_left_out_or_counted_whole():
    # Nghĩa Lộ after the reform: 04288, 04663, 04681 whole; 04660 (Liên Sơn) partial.
    values = {"04288": 120, "04663": 80, "04681": 50, "04660": 40}
    tidy = _tidy([(c, "commune", 2026, "learners", v, "s") for c, v in values.items()])
    left_out = aggregate_to_city(tidy, "Nghĩa Lộ").iloc[0]
    # 120 + 80 + 50 = 250; the town's part of Liên Sơn is missing: a lower bound.
    assert left_out[["value", "qualifier"]].tolist() == [250.0, ">"]
    assert "left out: Xã Liên Sơn (04660)" in left_out["note"]
    counted = aggregate_to_city(tidy, "Nghĩa Lộ", partial="include").iloc[0]
    # 250 + 40 = 290, counting all of Liên Sơn: an upper bound.
    assert counted[["value", "qualifier"]].tolist() == [290.0, "<"]


def test_each_year_uses_its_own_geography():
    # 04660 was Xã Sơn A (a whole member of the old town) until 2025-06-30 and is
    # Xã Liên Sơn (a partial member) from 2025-07-01.
    tidy = _tidy(
        [("04660", "commune", 2024, "learners", 7, "a"),
         ("04288", "commune", 2024, "learners", 3, "a"),  # Phường Tân An then
         ("04660", "commune", 2026, "learners", 40, "b"),
         ("04288", "commune", 2026, "learners", 120, "b")]
    )  # fmt: skip
    out = aggregate_to_city(tidy, "Nghĩa Lộ").set_index("year")
    assert out.loc[2024, "value"] == 10.0  # 7 + 3, 12 of the 14 communes missing
    assert out.loc[2024, "qualifier"] == ">"
    assert out.loc[2026, "value"] == 120.0  # Liên Sơn left out
    # A date fixes the geography for every year: the 2026 rows are then old codes.
    fixed = aggregate_to_city(tidy, "Nghĩa Lộ", date="2025-06-30").set_index("year")
    assert fixed.loc[2026, "value"] == 160.0


def test_no_member_data_gives_nan_and_other_levels_are_ignored():
    tidy = _tidy(
        [("132", "district", 2023, "learners", 999, "x"),  # the city as a district row
         ("04252", "commune", 2023, "other", 1, "x")]
    )  # fmt: skip
    out = aggregate_to_city(tidy, "Yên Bái", indicators=["learners", "other"])
    assert out["indicator"].tolist() == ["other"]


def test_bad_aggregation_requests_are_clear_errors():
    dup = _tidy([("04252", "commune", 2026, "learners", 1, "s")] * 2)
    with pytest.raises(UsageError, match="several rows for unit 04252, year 2026"):
        aggregate_to_city(dup, "Yên Bái")
    with pytest.raises(UsageError, match="unknown kind 'mean'"):
        aggregate_to_city(dup, "Yên Bái", kind="mean")
    with pytest.raises(UsageError, match="lacks the column"):
        aggregate_to_city(dup.drop(columns="value"), "Yên Bái")
    with pytest.raises(UsageError, match="no kind given for indicator"):
        aggregate_to_city(dup.iloc[:1], "Yên Bái", kind={"x": "count"}, indicators=["learners"])


def test_cli_members(capsys):
    assert main(["units", "members", "Nghĩa Lộ", "--date", NEW]) == 0
    out = capsys.readouterr().out
    assert "Liên Sơn" in out and "partial" in out


def test_a_bad_cities_file_names_row_and_column(tmp_path):
    path = tmp_path / "cities.csv"
    path.write_text(
        "city_id,city_name,member_code,member_level,valid_from,valid_to,share,source_id,note\n"
        "nghia-lo,Nghĩa Lộ,133,district,,2025-06-30,most,x,\n",
        encoding="utf-8-sig",
    )
    with pytest.raises(UsageError, match=r"row 2, column share: 'most' is not whole or partial"):
        load_cities(path)


def test_zero_weight_gives_nan_not_a_division_error():
    rates = [(c, "commune", 2026, "enrolment_rate", 95.0, "r") for c in YB]
    pops = [(c, "commune", 2026, "population", 0.0 if c == "04252" else 10.0, "p") for c in YB]
    row = aggregate_to_city(_tidy(rates + pops), "yen-bai", kind="rate").iloc[0]
    assert math.isnan(row["value"])
    assert "population not positive for Phường Yên Bái (04252)" in row["note"]
