"""Reports in the geography of their own year (issue "Readiness of a city in today's geography").

Expected values are worked out by hand in the comments, from data/units/*.csv (which old
commune went into which new one; see data/units/README.md) and from
data/observations/provinces-gso.csv, or from made-up figures on real units.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from learningcity.cities import city_members, load_cities, resolve_place
from learningcity.crosswalk import carry, geography_side, to_geography
from learningcity.errors import UsageError
from learningcity.reports.params import ParameterError
from learningcity.reports.runner import plan_run

NOW = "2026-12-01"  # a day after the reform, for resolution tests that pass a date
THIS_YEAR = dt.date.today().year


# --- naming a unit or a city at the report's date ----------------------------------------


def test_a_city_of_the_cities_file_is_a_unit_a_report_can_name(capsys):
    _, jobs = plan_run(["Nghĩa Lộ"], year=2026)
    assert [(j.unit_code, j.unit_name) for j in jobs] == [("nghia-lo", "Nghĩa Lộ")]
    # The note says a city was chosen over the two wards of that name (Lào Cai, Quảng Ngãi).
    assert "is the city Nghĩa Lộ" in capsys.readouterr().err


def test_an_old_code_with_a_later_year_leads_to_its_successor_and_says_so(capsys):
    _, jobs = plan_run(["133"], year=2026)
    # 133 (Thị xã Nghĩa Lộ) is the member of the city's definition until 2025-06-30.
    assert [j.unit_code for j in jobs] == ["nghia-lo"]
    err = capsys.readouterr().err
    assert "Thị xã Nghĩa Lộ (district 133) existed until 2025-06-30" in err
    assert "successor is the city Nghĩa Lộ" in err and "Xã Liên Sơn (partly)" in err
    # The template is told what was asked, to say the same in the report.
    assert jobs[0].parameters["unit_query"] == "133"


def test_a_reused_code_is_the_unit_holding_it_with_a_note(capsys):
    _, jobs = plan_run(["15"], template="overview", year=2026)
    assert [(j.unit_code, j.unit_name) for j in jobs] == [("15", "Lào Cai")]
    assert "until 2025-06-30 it was Tỉnh Yên Bái's" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Tỉnh Yên Bái", "15"),  # the old province: its single successor, Lào Cai
        ("TP Yên Bái", "yen-bai"),  # the old city (district 132): the city of four wards
        ("TX Nghĩa Lộ", "nghia-lo"),
        ("Phường Nghĩa Lộ, Lào Cai", "04288"),  # a type and a province select the ward
        ("Nghĩa Lộ, Quảng Ngãi", "21028"),
        ("yen-bai", "yen-bai"),  # a city id
        ("yen bai", "yen-bai"),  # without diacritics
    ],
)
def test_resolution_after_the_reform(query, code):
    assert resolve_place(query, NOW).unit["code"] == code


def test_before_the_reform_a_city_that_is_one_district_is_that_district():
    assert resolve_place("Nghĩa Lộ", "2023-12-31").unit["code"] == "133"
    assert resolve_place("nghia-lo", "2023-12-31").unit["code"] == "133"
    _, jobs = plan_run(["TX Nghĩa Lộ"], year=2023)
    assert jobs[0].unit_code == "133" and "unit_query" not in jobs[0].parameters


def test_an_ambiguous_name_lists_the_matching_city_first():
    # In 2023 "Yên Bái" is the city (= Thành phố Yên Bái, 132) and the province (15).
    with pytest.raises(ParameterError) as info:
        plan_run(["Yên Bái"], year=2023)
    text = str(info.value)
    assert text.index("the city Yên Bái") < text.index("Tỉnh Yên Bái (province 15")
    assert "Thành phố Yên Bái, district 132" in text


def test_an_old_unit_with_several_successors_lists_them():
    # Văn Chấn (140) went into 11 new units, among them Phường Nghĩa Lộ (for Nghĩa Sơn)
    # and Xã Liên Sơn (for Nông trường Liên Sơn): no single successor.
    with pytest.raises(UsageError) as info:
        resolve_place("140", NOW)
    text = str(info.value)
    assert "Huyện Văn Chấn (district 140) existed until 2025-06-30" in text
    assert "11 units" in text and "Phường Nghĩa Lộ (04288)" in text
    assert "Xã Liên Sơn (04660)" in text


def test_a_city_a_user_adds_is_found_by_name():
    extra = pd.DataFrame(
        [["muong-lo", "Mường Lò", code, "commune", "2025-07-01", "", "whole", "x", ""]
         for code in ("04288", "04663")],
        columns=load_cities().columns,
    )  # fmt: skip
    cities = pd.concat([load_cities(), extra], ignore_index=True)
    place = resolve_place("Muong Lo", NOW, cities=cities)
    assert (place.unit["code"], place.unit["level"], place.unit["parent_code"]) == (
        "muong-lo", "city", "15"
    )  # fmt: skip


def test_report_years_run_to_the_current_year_only():
    with pytest.raises(ParameterError, match=f"year {THIS_YEAR + 1} has not come yet"):
        plan_run(["133"], year=THIS_YEAR + 1)
    with pytest.raises(ParameterError, match="can compare provinces from"):
        plan_run(["133"], year=1991)


def test_the_comparison_parameter_is_checked_before_anything_runs():
    with pytest.raises(ParameterError, match="compare 'both': expected one of current, data-year"):
        plan_run(["15"], template="overview", year=2026, params={"compare": "both"})
    _, jobs = plan_run(["15"], template="overview", year=2026, params={"compare": "data-year"})
    assert jobs[0].parameters["compare"] == "data-year"


# --- carrying figures across the reform (real units, made-up figures) ---------------------


def _targets(city: str, date: str = NOW) -> pd.DataFrame:
    m = city_members(city, date)
    return pd.DataFrame({"target": city, "target_name": city, "target_level": "city",
                         "member": m["code"], "share": m["share"]})  # fmt: skip


def _rows(level: str, values: dict[str, float], indicator: str = "learners", year: int = 2024):
    return pd.DataFrame({"unit_code": list(values), "level": level, "year": year,
                         "indicator": indicator, "value": list(values.values()),
                         "source_id": "s"})  # fmt: skip


# The four wards of Yên Bái took in the 14 old communes of the city (132) and three of
# neighbouring districts: Cường Thịnh 04522 and Minh Quân 04567 (Trấn Yên), Phú Thịnh 04783
# (Yên Bình).
YB_OLD = ["04249", "04252", "04255", "04258", "04261", "04264", "04270", "04273", "04276",
          "04279", "04540", "04543", "04546", "04558"]  # fmt: skip
YB_OTHERS = ["04522", "04567", "04783"]


def test_counts_of_old_communes_summed_into_the_city():
    rules = pd.DataFrame({"combine": ["sum"], "base": [""], "true_base_en": [""],
                          "true_base_vi": [""]}, index=["learners"])  # fmt: skip
    every = dict.fromkeys(YB_OLD + YB_OTHERS, 1.0)
    out = carry(_rows("commune", every), _targets("yen-bai"), rules=rules).iloc[0]
    assert (out["value"], out["qualifier"]) == (17.0, "")  # 14 + 3, the whole city
    # Without Minh Quân the sum misses a piece of the city: a lower bound.
    some = {c: 1.0 for c in every if c != "04567"}
    out = carry(_rows("commune", some), _targets("yen-bai"), rules=rules).iloc[0]
    assert (out["value"], out["qualifier"]) == (16.0, ">")
    assert "no figure for Xã Minh Quân (04567)" in out["note"]


def test_the_old_city_figure_is_a_lower_bound_of_the_new_city():
    rules = pd.DataFrame({"combine": ["sum"], "base": [""], "true_base_en": [""],
                          "true_base_vi": [""]}, index=["learners"])  # fmt: skip
    out = carry(_rows("district", {"132": 500.0}), _targets("yen-bai"), rules=rules).iloc[0]
    # All of 132 is in the city, which also holds parts of Trấn Yên (138), Yên Bình (141).
    assert (out["value"], out["qualifier"], out["carried_from"]) == (
        500.0, ">", "Thành phố Yên Bái (132)"
    )  # fmt: skip
    assert out["stray"] == "Huyện Trấn Yên (138), Huyện Yên Bình (141)"


def test_a_partial_member_makes_a_bound_never_a_whole():
    # Nghĩa Lộ: Phường Nghĩa Lộ (Pú Trạng, Tân An, Nghĩa An + Nghĩa Sơn of Văn Chấn),
    # Trung Tâm (4 communes), Cầu Thia (5) whole; Liên Sơn (Nghĩa Phúc, Sơn A, Nông trường
    # Liên Sơn) partial. 10 learners per old commune.
    rules = pd.DataFrame({"combine": ["sum"], "base": [""], "true_base_en": [""],
                          "true_base_vi": [""]}, index=["learners"])  # fmt: skip
    wards = ["04282", "04288", "04300", "04666", "04285", "04294", "04624", "04663",
             "04291", "04675", "04678", "04681", "04684"]  # fmt: skip
    lien_son = ["04297", "04660", "04621"]
    data = _rows("commune", dict.fromkeys(wards + lien_son, 10.0))
    left_out = carry(data, _targets("nghia-lo"), rules=rules).iloc[0]
    # 13 communes x 10 = 130; Liên Sơn left out: the city is larger, a lower bound.
    assert (left_out["value"], left_out["qualifier"]) == (130.0, ">")
    assert left_out["left_out"] == "Xã Liên Sơn (04660)"
    counted = carry(data, _targets("nghia-lo"), rules=rules, partial="include").iloc[0]
    # 16 x 10 = 160 counting all of Liên Sơn, of which only part is the city: an upper bound.
    assert (counted["value"], counted["qualifier"]) == (160.0, "<")


def test_rates_are_weighted_by_their_base_and_say_when_it_only_stands_in():
    # New Lào Cai = old Lào Cai (10) + old Yên Bái (15). Rates 80 and 90, populations
    # 100 and 300: (80*100 + 90*300) / 400 = 35000 / 400 = 87.5 (unweighted: 85).
    tidy = pd.concat(
        [
            _rows("province", {"10": 80.0, "15": 90.0}, "urban_population_share", 2016),
            _rows("province", {"10": 80.0, "15": 90.0}, "poverty_rate", 2016),
            _rows("province", {"10": 100.0, "15": 300.0}, "population", 2016),
        ]
    )
    new = to_geography(tidy.assign(unit_name="", qualifier="", note=""), NOW)
    new = new[new["unit_code"] == "15"].set_index("indicator")
    assert new.loc["urban_population_share", "value"] == pytest.approx(87.5)
    # Population is the true base of the urban share: exact.
    assert new.loc["urban_population_share", "qualifier"] == ""
    # Population only stands in for households in the poverty rate: approximate.
    assert new.loc["poverty_rate", "value"] == pytest.approx(87.5)
    assert new.loc["poverty_rate", "qualifier"] == "~"
    assert "population standing in for households" in new.loc["poverty_rate", "note"]
    assert new.loc["population", ["value", "qualifier"]].tolist() == [400.0, ""]


def test_a_share_of_communes_is_weighted_by_communes_which_are_not_carried():
    # Shares 50 and 60 of 100 and 150 communes: (50*100 + 60*150) / 250 = 14000 / 250 = 56.
    # The number of communes itself describes the old provinces only (combine: none).
    tidy = pd.concat(
        [
            _rows("province", {"10": 50.0, "15": 60.0}, "learning_communes_share", 2024),
            _rows("province", {"10": 100.0, "15": 150.0}, "commune_level_units", 2024),
        ]
    ).assign(unit_name="", qualifier="", note="")
    new = to_geography(tidy, NOW)
    new = new[new["unit_code"] == "15"].set_index("indicator")
    assert new.loc["learning_communes_share", ["value", "qualifier"]].tolist() == [56.0, ""]
    assert "commune_level_units" not in new.index


def test_a_rate_with_a_predecessor_missing_is_missing_not_a_part():
    tidy = pd.concat(
        [
            _rows("province", {"15": 90.0}, "urban_population_share", 2016),
            _rows("province", {"10": 100.0, "15": 300.0}, "population", 2016),
        ]
    ).assign(unit_name="", qualifier="", note="")
    new = to_geography(tidy, NOW)
    # Old Lào Cai has no urban share: the new Lào Cai's is not old Yên Bái's 90.
    assert not ((new["unit_code"] == "15") & (new["indicator"] == "urban_population_share")).any()


def test_a_reused_code_never_carries_the_old_units_figure_as_its_own():
    old = pd.DataFrame({"unit_code": ["15"], "unit_name": ["Yên Bái"], "level": ["province"],
                        "year": [2016], "indicator": ["libraries"], "value": [10.0],
                        "qualifier": [""], "source_id": ["gso"], "note": [""]})  # fmt: skip
    assert geography_side(old).tolist() == ["old"]
    row = to_geography(old, NOW).iloc[0]
    # Only part of the new Lào Cai (15) has a figure: at least 10, never "10" as its own.
    assert (row["unit_code"], row["unit_name"], row["value"], row["qualifier"]) == (
        "15", "Lào Cai", 10.0, ">"
    )  # fmt: skip
    assert row["carried_from"] == "Tỉnh Yên Bái (15)"
    assert "no figure for Tỉnh Lào Cai (10)" in row["note"]


def test_a_province_is_never_the_sum_of_a_few_of_its_districts():
    town = _rows("district", {"133": 68206.0}, "population", 2020).assign(
        unit_name="Nghĩa Lộ", qualifier="", note=""
    )
    new = to_geography(town, NOW)
    assert set(new["unit_code"]) == {"nghia-lo"}  # the city, not province 15
    row = new.iloc[0]
    # 12 of the town's 14 communes are in the three wards (two are in Liên Sơn, left
    # out) and Phường Nghĩa Lộ took in Nghĩa Sơn of Văn Chấn: neither bound holds.
    assert (row["value"], row["qualifier"]) == (68206.0, "~")
    assert row["outside"] == "Thị xã Nghĩa Lộ (133): 12 of 14 communes"


# --- the report context of 2026 ----------------------------------------------------------


@pytest.fixture(scope="module")
def ctx2026():
    from learningcity.reports.context import build_context

    return build_context(2026, n_replications=20, seed=3, today=dt.date(2026, 12, 1))


def test_the_new_lao_cai_carries_the_combined_figures_of_its_two_predecessors(ctx2026):
    tidy = ctx2026.tidy
    rows = tidy[(tidy["unit_code"] == "15") & (tidy["year"] == 2016)].set_index("indicator")
    # provinces-gso.csv, 2016: general schools Lào Cai (10) 448 + Yên Bái (15) 266 = 714.
    assert rows.loc["general_schools", ["value", "qualifier"]].tolist() == [714.0, ""]
    # Urban share 22.94 (pop. 684,300) and 20.38 (pop. 800,100), weighted by population:
    # (22.94*684300 + 20.38*800100) / 1484400 = (15697842 + 16306038) / 1484400 = 21.5601.
    assert rows.loc["urban_population_share", "value"] == pytest.approx(21.5601, abs=1e-4)
    assert rows.loc["urban_population_share", "qualifier"] == ""
    assert rows.loc["general_schools", "carried_from"] == "Tỉnh Lào Cai (10), Tỉnh Yên Bái (15)"
    # Households with electricity 93.5 and 93.0, population standing in for households:
    # (93.5*684300 + 93*800100) / 1484400 = 138391350 / 1484400 = 93.2305, approximate.
    assert rows.loc["households_with_electricity_share", "value"] == pytest.approx(93.2305, 1e-4)
    assert rows.loc["households_with_electricity_share", "qualifier"] == "~"


def test_two_comparisons_each_with_unique_names(ctx2026):
    current = ctx2026.with_comparison("current")
    data_year = ctx2026.with_comparison("data-year")
    assert len(current.compared) == 34 and current.combined
    assert len(data_year.compared) == 63 and not data_year.combined
    for c in (current, data_year):
        names = list(c.province_names().values())
        assert len(names) == len(set(names))
    assert data_year.province_names()["15"] == "Yên Bái"
    assert current.province_names()["15"] == "Lào Cai"
    # The new province is scored among the 34; in the 63 of 2016 it did not exist and is
    # spoken for by its two predecessors.
    unit = resolve_place("15", ctx2026.date).unit
    assert current.scopes(unit) == ["15"] and data_year.scopes(unit) == ["10", "15"]
    city = resolve_place("Nghĩa Lộ", ctx2026.date).unit
    assert current.scopes(city) == ["15"] and data_year.scopes(city) == ["15"]


def test_the_headline_says_which_provinces_and_never_lends_a_reused_codes_score(ctx2026):
    from learningcity.reports import sections as s

    unit = resolve_place("15", ctx2026.date).unit
    old_yen_bai = ctx2026.with_comparison("data-year").summary().loc["15", "nominal_score"]
    new_lao_cai = ctx2026.summary().loc["15", "nominal_score"]
    assert round(old_yen_bai, 1) != round(new_lao_cai, 1)
    text = s.headline(ctx2026, unit, "en", overview=True)
    assert "Compared among **today's 34 provinces**" in text
    assert "formed on 1 July 2025 from Tỉnh Lào Cai (10), Tỉnh Yên Bái (15)" in text
    assert f"**Lào Cai (province)** scores **{new_lao_cai:.1f}/100**" in text
    assert f"{old_yen_bai:.1f}/100" not in text
    old = s.headline(ctx2026.with_comparison("data-year"), unit, "en", overview=True)
    assert "the 63 provinces of 2016" in old and "did not exist in 2016" in old
    assert f"**Yên Bái (province, before 1 July 2025)** scores **{old_yen_bai:.1f}/100" in old


def _cells(table) -> pd.DataFrame:
    """An html_table back as a DataFrame of its visible text."""
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.rows, self.cell = [], None

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.rows.append([])
            elif tag in ("td", "th"):
                self.cell = []

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                self.rows[-1].append(" ".join("".join(self.cell).split()))
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    parser = Rows()
    parser.feed(table.data)
    head, *body = [r for r in parser.rows if r]
    return pd.DataFrame(body, columns=head)


# Columns that name what a row is about: two rows may not share all of them.
LABELS = {"Unit", "Đơn vị", "Indicator", "Chỉ số", "Focus area", "Lĩnh vực trọng tâm", "Area",
          "Lĩnh vực", "Kind",
          "Loại", "Target", "Mục tiêu", "Requirement", "Yêu cầu", "Id", "Mã", "Peers of",
          "So với"}  # fmt: skip


def _tables_and_labels(ctx, unit, lang):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from learningcity.reports import sections as s

    tables = [
        s.facts_table(ctx, unit, lang),
        s.members_table(ctx, unit, lang),
        s.predecessor_table(ctx, unit, lang),
        s.area_table(ctx, unit, lang),
        s.strengths_table(ctx, unit, lang),
        s.targets_table(ctx, unit, lang),
        s.checklist_table(ctx, unit, lang),
        s.peers_section(ctx, unit, lang)[1],
        s.appendix_sources(ctx, [unit["code"], *ctx.scopes(unit)], lang),
    ]
    if unit["level"] == "province":
        tables.append(s.district_table(ctx, unit, lang))
    tables = [t for t in tables if t is not None and hasattr(t, "_repr_html_")]
    fig = s.rank_interval_figure(ctx, unit, lang)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    plt.close("all")
    return [_cells(t) for t in tables], ticks


@pytest.mark.parametrize("compare", ["current", "data-year"])
@pytest.mark.parametrize("query", ["15", "Nghĩa Lộ", "Yên Bái"])
def test_no_table_or_chart_shows_two_rows_with_one_name(ctx2026, compare, query):
    ctx = ctx2026.with_comparison(compare)
    unit = resolve_place(query, ctx.date).unit
    for lang in ("vi", "en"):
        tables, ticks = _tables_and_labels(ctx, unit, lang)
        for table in tables:
            keys = [c for c in table.columns if c in LABELS]
            assert keys, table.columns
            dup = table[table.duplicated(keys, keep=False)]
            assert dup.empty, dup
        # The rank chart: one label per compared province, no name twice.
        assert len(ticks) == len(ctx.compared) and len(set(ticks)) == len(ticks)


def test_no_duplicate_names_before_the_reform_either():
    from learningcity.reports.context import build_context

    ctx = build_context(2023, n_replications=10, seed=3)
    for query in ("Tỉnh Yên Bái", "TX Nghĩa Lộ"):
        tables, ticks = _tables_and_labels(ctx, resolve_place(query, ctx.date).unit, "vi")
        for table in tables:
            keys = [c for c in table.columns if c in LABELS]
            assert not table.duplicated(keys).any(), table
        assert len(ticks) == 63 and len(set(ticks)) == 63


def test_each_figure_says_its_year(ctx2026):
    from learningcity.reports import sections as s

    unit = resolve_place("Nghĩa Lộ", ctx2026.date).unit
    facts = _cells(s.facts_table(ctx2026, unit, "en")).set_index("Indicator")
    # The town's 2020 figures, carried: the year of the figure, the old unit, "about".
    assert facts.loc["Population", ["Year", "Value", "Carried from"]].tolist() == [
        "2020", "about 68,206", "Thị xã Nghĩa Lộ (133)"
    ]  # fmt: skip
    # The city's own area scores (its figures of 2025) beside its province's (of 2016).
    areas = _cells(s.area_table(ctx2026, unit, "en"))
    assert set(areas["Unit"]) == {"Nghĩa Lộ (city), 2025", "Lào Cai (province), 2016"}
    province = resolve_place("15", ctx2026.date).unit
    assert "Score (2016)" in _cells(s.area_table(ctx2026, province, "en")).columns
    assert "Value (2016)" in _cells(s.strengths_table(ctx2026, unit, "en")).columns
    assert "(figures of 2016)" in s.heading("map", ctx2026, unit, "en")


# --- whole reports ------------------------------------------------------------------------


def _text(html: str) -> str:
    html = re.sub(r"<style.*?</style>|<script.*?</script>", " ", html, flags=re.S)
    html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.slow
def test_the_2026_overview_of_province_15_is_about_the_new_lao_cai(tmp_path, ctx2026):
    from learningcity.reports.runner import run_reports

    result = run_reports(["15"], template="overview", year=2026, lang="en", out=tmp_path,
                         progress=False)  # fmt: skip
    assert result.exit_code == 0
    page = _text((result.folder / result.jobs[0].html).read_text(encoding="utf-8"))
    assert "Learning-city readiness overview: Lào Cai (province)" in page
    assert "formed on 1 July 2025 from Tỉnh Lào Cai (10), Tỉnh Yên Bái (15)" in page
    assert "Code 15 is Lào Cai (province)'s since 1 July 2025" in page
    new = ctx2026.summary().loc["15", "nominal_score"]
    old = ctx2026.with_comparison("data-year").summary().loc["15", "nominal_score"]
    assert f"scores {new:.1f}/100" in page and f"{old:.1f}/100" not in page
    # The combined 2016 figures, with their year and the old units they come from.
    assert "General-education schools 2016 714 Tỉnh Lào Cai (10), Tỉnh Yên Bái (15)" in page
    assert "Urban population 2016 21.6 Tỉnh Lào Cai (10), Tỉnh Yên Bái (15)" in page
    # Its cities, carried from the old town and city.
    assert "Nghĩa Lộ (city)" in page and "Yên Bái (city)" in page


@pytest.mark.slow
def test_the_2026_city_report_of_nghia_lo_works_without_a_score(tmp_path):
    from learningcity.reports.runner import run_reports

    result = run_reports(["133"], year=2026, lang="vi", out=tmp_path, progress=False)
    assert result.exit_code == 0
    job = result.jobs[0]
    assert job.unit_code == "nghia-lo"
    page = _text((result.folder / job.html).read_text(encoding="utf-8"))
    assert "Mức độ sẵn sàng trở thành thành phố học tập: Đô thị Nghĩa Lộ" in page
    assert "Chưa thể tính điểm sẵn sàng cho Đô thị Nghĩa Lộ" in page
    assert "dùng số liệu của Tỉnh Lào Cai" in page
    assert "Thị xã Nghĩa Lộ (133) tồn tại đến ngày 30/6/2025" in page
    assert "khoảng 68.206" in page and "Thị xã Nghĩa Lộ (133)" in page
    assert "Xã Liên Sơn (04660) một phần" in page


def test_the_units_command_says_what_a_report_names(capsys):
    from learningcity.cli import main

    assert main(["units", "place", "TX Nghĩa Lộ", "--date", NOW]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Đô thị Nghĩa Lộ (city nghia-lo)")
    assert "Thị xã Nghĩa Lộ (district 133) existed until 2025-06-30" in out


def test_a_city_is_located_by_the_old_districts_its_wards_came_from(ctx2026):
    import csv
    from collections import Counter

    from learningcity.paths import data_dir
    from learningcity.reports import sections as s

    # Counted from the CSV files themselves: the old communes of Nghĩa Lộ's four members
    # (three wards and, partly, Xã Liên Sơn) and the communes of each old district.
    with (data_dir() / "units" / "crosswalk_2025.csv").open(encoding="utf-8") as f:
        communes = [r for r in csv.DictReader(f) if r["old_level"] == "commune"]
    with (data_dir() / "units" / "units.csv").open(encoding="utf-8") as f:
        names = {r["code"]: r["name"] for r in csv.DictReader(f) if r["level"] == "district"}
    members = {"04288", "04663", "04681", "04660"}
    mine = Counter(d for _, d in {(r["old_code"], r["old_district_code"]) for r in communes
                                  if r["new_code"] in members})  # fmt: skip
    totals = Counter(d for _, d in {(r["old_code"], r["old_district_code"]) for r in communes})
    assert mine["133"] == totals["133"] == 14  # the old town, whole
    unit = resolve_place("Nghĩa Lộ", ctx2026.date).unit
    fig = s.locator_figure(ctx2026, unit, "en")
    labels = {t.get_text() for t in fig.axes[0].texts if "communes)" in t.get_text()}
    assert labels == {f"{names[d]} ({n} of {totals[d]} communes)" for d, n in mine.items()}
    assert len(labels) == 2  # Nghĩa Lộ town and part of Văn Chấn
    assert s.locator_figure(ctx2026, resolve_place("15", ctx2026.date).unit, "en") is None
