"""A unit's progress: goalpost scores by year, changes within segments, target outlook.

Every expected value is worked out by hand in the comments from the bundled
framework's goalposts (score = 100 * (value - low) / (high - low); focus-area and
area scores are means, the overall score the mean of the scored areas; an area
needs 2 indicators with a value).
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from learningcity.cli import main
from learningcity.progress import progress_summary, target_outlook, unit_progress

# Indicators of the bundled framework used below, with their goalposts:
#   literacy_rate             area 1, focus 1.1, 60-100
#   trained_workers_rate      area 1, focus 1.2, 0-60
#   electricity_access        area 1, focus 1.3, 75-100
#   papi_transparency_score   area 3, focus 3.1, 1-10
#   papi_participation_score  area 3, focus 3.2, 1-10
#   poverty_rate_inverse      area 1, focus 1.1, 0-30, lower is better, breaks in 2010
#   pupils_per_teacher        area 2, focus 2.5, 10-30, lower is better


def _tidy(rows: list[tuple[int, str, float]], code: str = "x") -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["year", "indicator", "value"])
    return out.assign(unit_code=code, qualifier="")


# 2020: literacy 80 -> 100*(80-60)/40 = 50; trained 30 -> 100*30/60 = 50;
#       electricity 87.5 -> 100*12.5/25 = 50: area 1 = 50.
#       transparency and participation 5.5 -> 100*4.5/9 = 50: area 3 = 50. Overall 50.
# 2021: literacy and transparency only: one indicator in each area, below the
#       threshold of 2: no area score, no overall score (a year with data, unscored).
# 2022: literacy 88.8 -> 100*28.8/40 = 72; trained 43.2 -> 100*43.2/60 = 72;
#       electricity 93 -> 100*18/25 = 72: area 1 = 72; the PAPI scores 7.48 ->
#       100*6.48/9 = 72: area 3 = 72. Overall 72.
# 2023: as 2022 without the trained workers: area 1 = mean(72, 72) = 72, overall 72,
#       on 4 indicators instead of the 5 of 2020.
PANEL = [
    (2020, "literacy_rate", 80.0), (2020, "trained_workers_rate", 30.0),
    (2020, "electricity_access", 87.5), (2020, "papi_transparency_score", 5.5),
    (2020, "papi_participation_score", 5.5),
    (2021, "literacy_rate", 80.0), (2021, "papi_transparency_score", 5.5),
    (2022, "literacy_rate", 88.8), (2022, "trained_workers_rate", 43.2),
    (2022, "electricity_access", 93.0), (2022, "papi_transparency_score", 7.48),
    (2022, "papi_participation_score", 7.48),
    (2023, "literacy_rate", 88.8), (2023, "electricity_access", 93.0),
    (2023, "papi_transparency_score", 7.48), (2023, "papi_participation_score", 7.48),
]  # fmt: skip


def _overall(p: pd.DataFrame) -> pd.DataFrame:
    return p[p["level"] == "overall"].set_index("year")


def test_scores_each_year_on_its_own_figures_with_coverage():
    p = unit_progress(_tidy(PANEL), "x")
    o = _overall(p)
    assert o.index.tolist() == [2020, 2021, 2022, 2023]
    assert o.loc[2020, "score"] == pytest.approx(50.0)
    assert math.isnan(o.loc[2021, "score"])  # nothing carried from 2020
    assert o.loc[2022, "score"] == pytest.approx(72.0)
    assert o.loc[2023, "score"] == pytest.approx(72.0)
    # coverage: indicators with a value of the framework's 34
    assert o["n_indicators"].tolist() == [5, 2, 5, 4]
    assert (o["n_total"] == 34).all()
    assert o.loc[2020, "coverage"] == pytest.approx(5 / 34)
    areas = p[(p["level"] == "area") & (p["year"] == 2020)].set_index("code")
    assert areas.loc["1", "score"] == pytest.approx(50.0)
    assert math.isnan(areas.loc["2", "score"])  # no figure in area 2
    assert areas.loc["3", "n_indicators"] == 2


def test_a_bound_is_not_a_value_and_another_unit_is_not_mixed_in():
    tidy = _tidy(PANEL)
    tidy.loc[(tidy["year"] == 2020) & (tidy["indicator"] == "literacy_rate"), "qualifier"] = ">"
    tidy = pd.concat([tidy, _tidy([(2020, "literacy_rate", 100.0)], code="y")])
    o = _overall(unit_progress(tidy, "x"))
    # 2020 without literacy: area 1 = mean(50, 50) on trained and electricity = 50
    assert o.loc[2020, "n_indicators"] == 4
    assert o.loc[2020, "score"] == pytest.approx(50.0)


def test_change_and_compound_annual_rate_between_first_and_last_scored_year():
    p = unit_progress(_tidy([r for r in PANEL if r[0] <= 2022]), "x")
    s = progress_summary(p, breaks={}).set_index(["level", "code"])
    row = s.loc[("overall", "overall")]
    # 2020 -> 2022 (2021 has no score): 72 - 50 = 22 points;
    # (72 / 50) ** (1 / 2) - 1 = sqrt(1.44) - 1 = 1.2 - 1 = 20 % a year
    assert (row["year_from"], row["year_to"], row["n_years"]) == (2020, 2022, 2)
    assert row["change"] == pytest.approx(22.0)
    assert row["annual_rate"] == pytest.approx(20.0)
    assert bool(row["same_indicators"])
    assert pd.isna(row["break_year"])
    assert s.loc[("area", "3"), "annual_rate"] == pytest.approx(20.0)
    assert ("area", "2") not in s.index  # never scored


def test_a_year_with_less_coverage_is_flagged():
    s = progress_summary(unit_progress(_tidy(PANEL), "x"), breaks={})
    row = s.set_index(["level", "code"]).loc[("overall", "overall")]
    # 2020 (5 indicators) -> 2023 (4, no trained workers): 22 points,
    # (72 / 50) ** (1 / 3) - 1 = 1.44 ** (1/3) - 1 = 12.924 % a year, flagged
    assert (row["year_from"], row["year_to"]) == (2020, 2023)
    assert row["change"] == pytest.approx(22.0)
    assert row["annual_rate"] == pytest.approx(100 * (1.44 ** (1 / 3) - 1))
    assert (row["n_from"], row["n_to"]) == (5, 4)
    assert not row["same_indicators"]
    # area 3 rests on the same two PAPI scores in both years: not flagged
    assert s.set_index(["level", "code"]).loc[("area", "3"), "same_indicators"]


def test_a_break_splits_the_series_of_the_scores_above_the_indicator_only():
    p = unit_progress(_tidy([r for r in PANEL if r[0] <= 2022]), "x")
    s = progress_summary(p, breaks={"trained_workers_rate": (2022,)})
    over = s[s["level"] == "overall"]
    # overall: segment 1 = 2020 alone, segment 2 = 2022 alone (from the 2022 break):
    # no change is computed across the break
    assert over["segment"].tolist() == [1, 2]
    assert over["break_year"].tolist() == [pd.NA, 2022]
    assert over["year_from"].tolist() == [2020, 2022]
    assert over["change"].isna().all()
    area1 = s[(s["level"] == "area") & (s["code"] == "1")]
    assert area1["segment"].tolist() == [1, 2]
    # area 3 has no indicator with a break: one segment, 22 points
    area3 = s[(s["level"] == "area") & (s["code"] == "3")]
    assert area3["segment"].tolist() == [1]
    assert area3["change"].iloc[0] == pytest.approx(22.0)


def test_the_framework_poverty_break_of_2010_splits_a_series():
    # Hand-made scores on the poverty rate (break in 2010, bundled framework):
    # 2008 40 -> 2009 44 (4 points), and 2010 30 -> 2012 36 (6 points; never 44 -> 30)
    p = pd.DataFrame({"year": [2008, 2009, 2010, 2012], "level": "overall", "code": "overall",
                      "score": [40.0, 44.0, 30.0, 36.0], "n_indicators": 2,
                      "indicators": "electricity_access, poverty_rate_inverse"})  # fmt: skip
    s = progress_summary(p)
    assert s["break_year"].tolist() == [pd.NA, 2010]
    assert s["change"].tolist() == pytest.approx([4.0, 6.0])
    # 2010 -> 2012: (36 / 30) ** (1 / 2) - 1 = sqrt(1.2) - 1 = 9.545 %
    assert s["annual_rate"].iloc[1] == pytest.approx(100 * (1.2**0.5 - 1))


def _outlook(rows, indicator, target, year=2030):
    t = pd.DataFrame({"indicator": [indicator], "year": [year], "value": [target]})
    return target_outlook(_tidy(rows), "x", targets=t).iloc[0]


def test_extrapolation_reaches_the_target_at_the_recent_pace():
    # 40, 45, 50 in 2020-2022: 5 points a year; 70 is 20 points above 50: 4 years -> 2026
    o = _outlook([(2020, "learning_families", 40.0), (2021, "learning_families", 45.0),
                  (2022, "learning_families", 50.0)], "learning_families", 70.0)  # fmt: skip
    assert o["status"] == "reached"
    assert o["reach_year"] == 2026
    assert o["on_time"]  # 2026 <= 2030
    assert (o["fit_from"], o["fit_to"], o["n_fit"]) == (2020, 2022, 3)
    assert o["slope"] == pytest.approx(5.0)
    assert o["values"] == {2020: 40.0, 2021: 45.0, 2022: 50.0}


def test_the_fit_rests_on_the_last_five_values_only():
    # 2016-2017 at 10, then 40, 45, 50, 55, 60 (2018-2022): the last five rise 5 a year;
    # 70 is 10 above 60: 2 years -> 2024 (all seven would give a steeper line)
    values = [10.0, 10.0, 40.0, 45.0, 50.0, 55.0, 60.0]
    rows = [(2016 + i, "learning_families", v) for i, v in enumerate(values)]
    o = _outlook(rows, "learning_families", 70.0, year=2023)
    assert (o["fit_from"], o["n_fit"], o["reach_year"]) == (2018, 5, 2024)
    assert not o["on_time"]  # 2024 is after the target's 2023


def test_lower_is_better_and_the_fit_starts_after_the_last_break():
    # pupils per teacher 20, 19, 18 (2020-2022) toward 15: 1 fewer a year, 3 years -> 2025
    o = _outlook([(2020, "pupils_per_teacher", 20.0), (2021, "pupils_per_teacher", 19.0),
                  (2022, "pupils_per_teacher", 18.0)], "pupils_per_teacher", 15.0)  # fmt: skip
    assert (o["status"], o["reach_year"]) == ("reached", 2025)
    # poverty 10, 12 (2008-2009, old line), 25, 23 (2010-2011): only 2010-2011 after the
    # 2010 break: 2 fewer a year, 15 is 8 below 23: 4 years -> 2015
    rows = [(2008, "poverty_rate_inverse", 10.0), (2009, "poverty_rate_inverse", 12.0),
            (2010, "poverty_rate_inverse", 25.0), (2011, "poverty_rate_inverse", 23.0)]  # fmt: skip
    o = _outlook(rows, "poverty_rate_inverse", 15.0)
    assert (o["fit_from"], o["n_fit"], o["reach_year"]) == (2010, 2, 2015)


def test_no_extrapolation_away_from_the_target_flat_or_from_one_value():
    away = _outlook([(2020, "learning_families", 50.0), (2021, "learning_families", 45.0),
                     (2022, "learning_families", 40.0)], "learning_families", 70.0)  # fmt: skip
    assert away["status"] == "not at this pace"
    assert pd.isna(away["reach_year"])
    flat = _outlook([(2020, "learning_families", 50.0), (2022, "learning_families", 50.0)],
                    "learning_families", 70.0)  # fmt: skip
    assert flat["status"] == "not at this pace"
    one = _outlook([(2022, "learning_families", 50.0)], "learning_families", 70.0)
    assert one["status"] == "too few values"
    assert pd.isna(one["reach_year"])
    met = _outlook([(2021, "learning_families", 60.0), (2022, "learning_families", 75.0)],
                   "learning_families", 70.0)  # fmt: skip
    assert (met["status"], met["reach_year"]) == ("met", 2022)
    none = _outlook([(2022, "literacy_rate", 90.0)], "learning_families", 70.0)
    assert none["status"] == "no data"


def test_the_framework_targets_are_the_default():
    out = target_outlook(_tidy([(2020, "learning_units", 90.0)]), "x")
    # learning_units has the 2025 target 80 (QĐ 387): 90 meets it
    assert out.set_index("indicator").loc["learning_units", "status"] == "met"
    assert set(out["status"]) <= {"met", "no data"}


# --- the command -------------------------------------------------------------------
# Yên Bái province (code 15) in the bundled data: the GSO series 2002-2016 and PAPI
# 2011-2024. 2001 has one indicator (university students): no area has the 2 needed,
# so the first scored year is 2002 and the last 2024 (PAPI). The poverty rate enters in
# 2006, so the 2010 break of the poverty line splits the overall series at 2010.
# Learning units 90 % in 2020 against the 2025 target 80: met. Trained workers are 15.8 %
# in 2016 (the last GSO year), rising about a point a year: 50 % only long after 2025.


def test_trend_of_yen_bai_prints_years_changes_and_the_outlook(capsys, tmp_path):
    csv, png = tmp_path / "t.csv", tmp_path / "t.svg"
    assert main(["trend", "15", "--lang", "en", "--out", str(csv), "--figure", str(png)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Yên Bái (15): the goalpost score by year")
    assert "overall 2002-2009:" in out
    assert "the series breaks in 2010: from 2010 the rates follow" in out
    assert "overall 2010-2024:" in out
    assert "Learning units (organisations): 90.0 (2020); target 80 by 2025: met" in out
    assert "(after the target year)" in out  # trained workers
    assert "not on the same indicators" in out  # GSO years differ in coverage
    table = pd.read_csv(csv, dtype={"unit_code": str, "code": str})
    overall = table[table["level"] == "overall"].dropna(subset=["score"])
    assert (overall["year"].min(), overall["year"].max()) == (2002, 2024)
    assert png.read_text().lstrip().startswith("<?xml")
    # existing outputs are kept unless --force
    assert main(["trend", "15", "--out", str(csv)]) == 2


def test_trend_in_vietnamese(capsys):
    assert main(["trend", "Yên Bái"]) == 0  # the province, not the district of that name
    out = capsys.readouterr().out
    assert out.startswith("Yên Bái (15): điểm theo mốc chuẩn qua các năm")
    # a signed change with the Vietnamese decimal comma, in points
    assert re.search(r"chỉ số chung 2002-2009: [+-]\d+,\d điểm", out)
    assert "đã đạt" in out


def test_trend_unknown_unit_and_too_few_years(capsys):
    assert main(["trend", "no-such-place"]) == 2
    assert "not a unit code or name" in capsys.readouterr().err
    # Yên Bái district (132) has five years of figures, none with an area of 2 indicators
    assert main(["trend", "132", "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "Yên Bái (132): 0 year(s) with an overall score; a trend needs at least two" in err
    assert main(["trend", "15", "--figure", "x.pdf"]) == 2


# --- the report section ----------------------------------------------------------


class _Ctx:
    """What progress_section reads of a ReportContext: tidy, year, meta."""

    def __init__(self, year: int):
        from learningcity.data import load_bundled_observations
        from learningcity.framework import load_framework

        self.tidy, self.year = load_bundled_observations(), year
        self.meta = load_framework().indicator_table()


def test_report_section_on_yen_bai_province():
    import matplotlib

    matplotlib.use("Agg")
    from learningcity.reports.sections import progress_section

    unit = pd.Series({"code": "15", "name": "Yên Bái", "type": "Tỉnh"})
    # A 2012 report: the scored years are 2002-2012, split by the 2010 break; the
    # learning-society figures (2018 on) and PAPI after 2012 are not in it.
    text, fig = progress_section(_Ctx(2012), unit, "en")
    assert text.startswith("## Progress over the years")
    assert "From 2002 to 2009 the overall score" in text
    assert "The series breaks in 2010" in text
    assert "From 2010 to 2012 the overall score" in text
    assert "2018" not in text
    segments = [ln for ln in fig.axes[0].get_lines() if ln.get_marker() == "o"]
    assert [len(ln.get_xdata()) for ln in segments] == [8, 3]  # 2002-2009, 2010-2012
    # Below the score, the one targeted indicator with figures up to 2012: trained
    # workers (GSO 2008-2012), against its targets 50 % (2025) and 60 % (2030).
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert [ax.get_title() for ax in panels] == [
        "Employed workers with technical or professional training"
    ]
    lines = {ln.get_label(): ln for ln in panels[0].get_lines()}
    assert len(lines["trained_workers_rate"].get_xdata()) == 5  # 2008-2012
    assert list(lines["target 2025: 50"].get_ydata()) == [50, 50]
    assert list(lines["target 2030: 60"].get_ydata()) == [60, 60]
    x, y = lines["extrapolation"].get_data()
    assert x[0] == 2012 and y[-1] == 50 and x[-1] > 2012  # from the last year to the target
    text_vi, fig_vi = progress_section(_Ctx(2012), unit, "vi")
    assert text_vi.startswith("## Tiến bộ qua các năm")
    assert "Chuỗi số liệu bị gián đoạn năm 2010" in text_vi
    labels = [ln.get_label() for ax in fig_vi.axes for ln in ax.get_lines()]
    assert "mục tiêu 2025: 50" in labels and "ngoại suy" in labels


def test_report_section_without_a_trend():
    from learningcity.reports.sections import progress_section

    unit = pd.Series({"code": "132", "name": "Yên Bái", "type": "Thành phố"})
    text, fig = progress_section(_Ctx(2025), unit, "en")
    assert fig is None
    assert "Yên Bái (city) has 0 year(s) with an overall score up to 2025" in text


def test_target_figure_draws_values_target_and_extrapolation():
    import matplotlib

    matplotlib.use("Agg")
    from learningcity.progress import plot_target_outlook, target_outlook

    # 40, 45, 50 in 2020-2022: +5 a year, so 70 is reached in 2022 + (70 - 50) / 5 = 2026.
    tidy = pd.DataFrame(
        {"unit_code": "9", "year": [2020, 2021, 2022], "indicator": "learning_families",
         "value": [40.0, 45.0, 50.0]}
    )  # fmt: skip
    t = pd.DataFrame({"indicator": ["learning_families"], "year": [2030], "value": [70.0]})
    fig = plot_target_outlook(target_outlook(tidy, "9", targets=t), {"learning_families": "LF"})
    ax = fig.axes[0]
    lines = {ln.get_label(): ln.get_data() for ln in ax.get_lines()}
    assert ax.get_title() == "LF"
    assert list(lines["learning_families"][1]) == [40.0, 45.0, 50.0]
    assert list(lines["target 2030: 70"][0]) == [2020, 2030]
    assert [list(v) for v in lines["extrapolation"]] == [[2022, 2026], [50.0, 70.0]]
    # Nothing to draw without a value.
    empty = target_outlook(tidy.iloc[:0], "9", targets=t)
    assert plot_target_outlook(empty) is None
