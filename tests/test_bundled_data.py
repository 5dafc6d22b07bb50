"""The bundled data: it validates, every value has a source, and spot checks agree with
the published tables.

Expected numbers are written from the publishers' tables (named in the comments), not
from the project's files.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from learningcity.data import load_bundled_observations, read_observations
from learningcity.paths import data_dir

DATA = data_dir()


@pytest.fixture(scope="module")
def obs() -> pd.DataFrame:
    return load_bundled_observations()


@pytest.fixture(scope="module")
def sources() -> pd.DataFrame:
    return pd.read_csv(DATA / "sources.csv", dtype=str, keep_default_na=False)


def value(obs: pd.DataFrame, code: str, year: int, indicator: str) -> float:
    row = obs[(obs.unit_code == code) & (obs.year == year) & (obs.indicator == indicator)]
    assert len(row) == 1, (code, year, indicator)
    return float(row["value"].iloc[0])


def test_bundled_observations_pass_the_package_validation(obs):
    # load_bundled_observations validates every file and raises on any problem
    assert len(obs) > 9000
    assert set(obs["level"]) <= {"province", "district"}


def test_sources_table_is_complete(sources):
    assert list(sources.columns) == [
        "source_id",
        "publisher",
        "document",
        "table_or_page",
        "year",
        "url",
        "licence",
        "note",
    ]
    assert not sources["source_id"].duplicated().any()
    assert (sources[["source_id", "publisher", "document", "year"]] != "").all().all()
    # a link or, for the seed article, a reference in the note
    assert ((sources["url"] != "") | (sources["note"] != "")).all()


def test_every_row_of_every_data_file_has_a_known_source(sources):
    known = set(sources["source_id"])
    files = [
        *sorted((DATA / "observations").glob("*.csv")),
        DATA / "geo" / "centres.csv",
        DATA / "gnlc" / "network-size.csv",
        DATA / "gnlc" / "membership-claims.csv",
        DATA / "gso" / "province-names.csv",
    ]
    for path in files:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        unknown = set(table["source_id"]) - known
        assert not unknown, f"{path.name}: unknown source_id {sorted(unknown)}"
        assert (table["source_id"] != "").all(), path.name


def test_no_unit_year_indicator_twice(obs):
    assert not obs.duplicated(["unit_code", "year", "indicator"]).any()


def test_yen_bai_census_population():
    # GSO, Completed results of the 2019 Population and Housing Census: Yên Bái 821,030
    yb = read_observations(DATA / "observations" / "yen-bai.csv")
    assert value(yb, "15", 2019, "population") == 821030


@pytest.mark.parametrize(
    ("code", "year", "indicator", "expected"),
    [
        # GSO "Percentage of literate population at 15 years of age and above by province"
        ("15", 2016, "literacy_rate_15plus", 89.0),
        ("12", 2016, "literacy_rate_15plus", 60.2),  # Lai Châu
        ("15", 2009, "literacy_rate_15plus", 87.0),
        # GSO "Percentage of trained employed workers at 15 years of age and above by province"
        ("01", 2016, "trained_workers_share", 42.7),
        ("15", 2016, "trained_workers_share", 15.8),
        # GSO "Poverty rate by province"
        ("15", 2016, "poverty_rate", 17.5),
        ("15", 2010, "poverty_rate", 26.5),
        # GSO "Percentage of household using electricity by province"
        ("15", 2016, "households_with_electricity_share", 93.0),
        # GSO "Number of libraries under local management by province"
        ("15", 2016, "libraries", 10),
        ("15", 2016, "library_books", 355.1),
        # GSO "Area, population and population density by province" (2016, average
        # population 800.1 thousand)
        ("15", 2016, "area_km2", 6887.6),
        ("15", 2016, "population", 800100),
        # GSO "Average population by province": 1995 total 647.7 thousand
        ("15", 1995, "population", 647700),
        # urban share derived from the same table: 163.1 / 800.1 = 20.385 % (Prel. 2016)
        ("15", 2016, "urban_population_share", 20.38),
        # GSO "Number of school of general education as of 30 September by province"
        ("15", 2016, "general_schools", 266),
        # GSO "Number of schools, classes, teachers and pupils of kindergarten education"
        ("15", 2016, "kindergartens", 193),
        ("15", 2016, "kindergarten_pupils", 47833),
        ("15", 2014, "kindergarten_pupils", 41000),  # published as 41 thousand
        # GSO "Monthly average income per capita at current prices by income source and by
        # province", column Total (thousand VND), Pre. 2016
        ("15", 2016, "income_per_capita_monthly", 1802),
        ("01", 2016, "income_per_capita_monthly", 5057),
        # GSO "Number of teachers, students in universities and colleges by province"
        ("01", 2016, "university_students", 610872),
        # GSO "Percentage of graduates compared with total candidates upper secondary"
        ("15", 2016, "upper_secondary_graduation_rate", 96.07),  # school year 2015-2016
    ],
)
def test_spot_checks_against_gso_tables(obs, code, year, indicator, expected):
    assert value(obs, code, year, indicator) == pytest.approx(expected)


def test_a_value_gso_does_not_publish_stays_missing(obs):
    # GSO poverty table: Ho Chi Minh city, Pre. 2016 = ".."
    assert math.isnan(value(obs, "79", 2016, "poverty_rate"))


def test_boundary_changes_are_flagged(obs):
    # Hà Nội absorbed Hà Tây on 1 Aug 2008: 3,228.5 thousand in 2007, 6,381.8 in 2008
    hn = obs[(obs.unit_code == "01") & (obs.indicator == "population")].set_index("year")
    assert hn.loc[2007, "value"] == 3228500 and hn.loc[2008, "value"] == 6381800
    assert "boundaries differ" in hn.loc[2007, "note"]
    assert "boundaries differ" not in hn.loc[2008, "note"]


def test_preliminary_figures_are_marked(obs):
    lit16 = obs[(obs.indicator == "literacy_rate_15plus") & (obs.year == 2016)]
    assert lit16["note"].str.contains("preliminary").all()
    lit15 = obs[(obs.indicator == "literacy_rate_15plus") & (obs.year == 2015)]
    assert not lit15["note"].str.contains("preliminary").any()


def test_province_codes_are_the_63_two_digit_gso_codes(obs):
    units = pd.read_csv(DATA / "units" / "units.csv", dtype=str, keep_default_na=False)
    old = units[(units.level == "province") & (units.valid_to == "2025-06-30")]
    assert len(old) == 63
    prov = obs[obs.level == "province"]
    assert prov["unit_code"].str.fullmatch(r"\d{2}").all()
    assert set(prov["unit_code"]) == set(old["code"])


def test_at_least_one_year_is_complete_for_all_63_provinces(obs):
    prov = obs[(obs.level == "province") & obs["value"].notna()]
    counts = prov.groupby(["indicator", "year"])["unit_code"].nunique()
    complete = counts[counts == 63]
    assert ("literacy_rate_15plus", 2016) in complete.index
    assert ("general_schools", 2016) in complete.index
    # at least 12 indicators have one complete year
    assert complete.index.get_level_values("indicator").nunique() >= 12


def test_province_names_agree_with_the_unit_list():
    names = pd.read_csv(DATA / "gso" / "province-names.csv", dtype=str)
    units = pd.read_csv(DATA / "units" / "units.csv", dtype=str, keep_default_na=False)
    old = units[(units.level == "province") & (units.valid_to == "2025-06-30")]
    merged = names.merge(old, left_on="code", right_on="code", how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    differ = merged[merged["name_vi"] != merged["name"]]
    # the only difference: code 46 was Thừa Thiên Huế in the data years, Huế in 2025
    assert differ["code"].tolist() == ["46"]


def test_gnlc_vietnamese_members_and_years(obs):
    members = obs[obs.indicator == "gnlc_member_year"]
    got = dict(zip(members["unit_code"], members["value"], strict=True))
    # UNESCO/UIL announcements: Sa Đéc, Vinh 2020; Cao Lãnh 2022; HCMC, Sơn La 2024;
    # Hà Nội 4 Dec 2025
    assert got == {"867": 2020, "412": 2020, "866": 2022, "116": 2024, "79": 2024, "01": 2025}
    claims = pd.read_csv(DATA / "gnlc" / "membership-claims.csv", dtype=str)
    assert "Hải Dương" in set(claims["city"])


def test_gnlc_network_grows():
    size = pd.read_csv(DATA / "gnlc" / "network-size.csv", dtype={"qualifier": str})
    exact = size[size["qualifier"].isna() & size["members"].notna()]
    # 115 (2016), 230 (2020), 294 (2022), 356 (2024), 425 (2025)
    assert exact["members"].tolist() == [115, 230, 294, 356, 425]
    assert exact["countries"].tolist() == [28, 64, 76, 79, 91]


def test_centres_are_inside_viet_nam_and_cover_yen_bai():
    c = pd.read_csv(DATA / "geo" / "centres.csv", dtype={"unit_code": str})
    assert c["lat"].between(8, 24).all() and c["lon"].between(102, 110).all()
    seats = c[c.kind == "seat_geocode"].set_index("unit_code")
    assert {"132", "133", "135", "136", "137", "138", "139", "140", "141"} <= set(seats.index)
    # Yên Bái province lies roughly between 21.3-22.3 N and 103.9-105.2 E
    assert seats["lat"].between(21.3, 22.3).all() and seats["lon"].between(103.9, 105.2).all()
    assert not c.duplicated(["unit_code", "kind"]).any()


def test_yen_bai_district_unit_counts_add_up(obs):
    # GSO unit list (18 Jul 2025): 168 commune-level units in the province
    counts = obs[(obs.indicator == "commune_level_units") & (obs.level == "district")]
    assert len(counts) == 9
    assert counts["value"].sum() == value(obs, "15", 2025, "commune_level_units") == 168


# 2016 values of ten provinces as read from GSO's by-province tables for the project's
# reference notes (data-sources.md §3.2), an independent reading of the same tables:
# literacy 15+ %, trained workers %, poverty %, income (thousand VND/month), households
# with electricity %, libraries, area km², average population (thousand).
GSO_2016 = {
    "15": (89.0, 15.8, 17.5, 1802, 93.0, 10, 6887.6, 800.1),  # Yên Bái
    "10": (85.5, 15.8, 18.1, 1853, 93.5, 10, 6364.0, 684.3),  # Lào Cai
    "02": (75.8, 9.8, 20.8, 1326, 87.7, 12, 7929.2, 816.1),  # Hà Giang
    "12": (60.2, 12.4, 27.9, 1314, 86.8, 7, 9069.5, 436.0),  # Lai Châu
    "11": (74.8, 17.2, 26.1, 1222, 78.5, 11, 9540.9, 557.4),  # Điện Biên
    "14": (77.1, 13.2, 20.0, 1290, 85.5, 12, 14123.5, 1208.0),  # Sơn La
    "40": (96.6, 16.9, 10.4, 1818, 94.3, 21, 16481.7, 3105.5),  # Nghệ An
    "87": (93.1, 11.6, 5.8, 2678, 100.0, 10, 3384.0, 1687.3),  # Đồng Tháp
    "01": (98.7, 42.7, 1.3, 5057, 100.0, 31, 3358.9, 7328.4),  # Hà Nội
    "79": (98.7, 34.8, None, 5481, 100.0, 25, 2061.4, 8297.5),  # TP HCM (poverty "..")
}
GSO_2016_VARIABLES = (
    "literacy_rate_15plus",
    "trained_workers_share",
    "poverty_rate",
    "income_per_capita_monthly",
    "households_with_electricity_share",
    "libraries",
    "area_km2",
    "population",
)


@pytest.mark.parametrize("code", sorted(GSO_2016))
def test_2016_values_agree_with_an_independent_reading(obs, code):
    for indicator, expected in zip(GSO_2016_VARIABLES, GSO_2016[code], strict=True):
        got = value(obs, code, 2016, indicator)
        if expected is None:
            assert math.isnan(got), (code, indicator)
        else:
            factor = 1000 if indicator == "population" else 1
            assert got == pytest.approx(expected * factor), (code, indicator)
