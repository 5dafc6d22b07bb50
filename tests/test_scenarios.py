"""Scenario comparison and leave-one-indicator-out, checked against hand calculations."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

from learningcity.index import SpecError
from learningcity.scenarios import (
    compare_scenarios,
    leave_one_out,
    plot_scenarios,
    scenario_table,
)

matplotlib.use("Agg")


@pytest.fixture
def small():
    # a in focus area 1.1, b in 1.2, both in area 1: the overall score is the
    # (weighted) mean of the two min-max scores.
    #   min-max a: 0, 50, 100     min-max b: 100, 0, 40
    meta = pd.DataFrame({"focus_area": ["1.1", "1.2"], "area": ["1", "1"]}, index=["a", "b"])
    data = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 4.0]}, index=["01", "02", "15"])
    return data, meta


def test_scenarios_side_by_side_with_differences_to_the_base(small):
    data, meta = small
    specs = {
        "equal": None,
        # focus area 1.1 weighs 3, 1.2 weighs 1: 0.75 a + 0.25 b
        "a_first": {"weights": {"levels": {"focus_area": {"1.1": 3.0}}}},
    }
    cmp = compare_scenarios(data, meta, specs)
    eq = cmp[cmp["scenario"] == "equal"].set_index("unit_code")
    af = cmp[cmp["scenario"] == "a_first"].set_index("unit_code")
    # equal: (0+100)/2 = 50, (50+0)/2 = 25, (100+40)/2 = 70
    assert eq["score"].tolist() == pytest.approx([50.0, 25.0, 70.0])
    assert eq["rank"].tolist() == [2, 3, 1]
    assert (eq["rank_diff"] == 0).all() and (eq["score_diff"] == 0).all()
    # a_first: 25, 37.5, 85
    assert af["score"].tolist() == pytest.approx([25.0, 37.5, 85.0])
    assert af["rank"].tolist() == [3, 2, 1]
    assert af["score_diff"].tolist() == pytest.approx([-25.0, 12.5, 15.0])
    assert af["rank_diff"].tolist() == [1, -1, 0]

    wide = scenario_table(cmp, "rank")
    assert list(wide.columns) == ["equal", "a_first"]
    assert wide.loc["02"].tolist() == [3, 2]


def test_base_scenario_can_be_named(small):
    data, meta = small
    specs = {"equal": None, "a_first": {"weights": {"levels": {"focus_area": {"1.1": 3.0}}}}}
    cmp = compare_scenarios(data, meta, specs, base="a_first")
    eq = cmp[cmp["scenario"] == "equal"].set_index("unit_code")
    assert eq["rank_diff"].tolist() == [-1, 1, 0]
    with pytest.raises(ValueError, match="base: 'other'"):
        compare_scenarios(data, meta, specs, base="other")


def test_every_invalid_scenario_is_reported_before_any_build(small):
    data, meta = small
    specs = {
        "ok": None,
        "bad1": {"normalise": {"method": "maxmin"}},
        "bad2": {"aggregate": {"overall": {"method": "median"}}},
    }
    with pytest.raises(SpecError) as err:
        compare_scenarios(data, meta, specs)
    text = str(err.value)
    assert "scenario 'bad1'" in text and "scenario 'bad2'" in text
    with pytest.raises(ValueError, match="non-empty"):
        compare_scenarios(data, meta, {})


def test_leave_one_out_worked_by_hand(small):
    data, meta = small
    loo = leave_one_out(data, meta)
    assert list(dict.fromkeys(loo["left_out"])) == ["a", "b"]
    without_b = loo[loo["left_out"] == "b"].set_index("unit_code")
    without_a = loo[loo["left_out"] == "a"].set_index("unit_code")
    # without b the index is min-max a: 0, 50, 100; without a it is b: 100, 0, 40
    assert without_b["score"].tolist() == pytest.approx([0.0, 50.0, 100.0])
    assert without_a["score"].tolist() == pytest.approx([100.0, 0.0, 40.0])
    assert without_b["nominal_rank"].tolist() == [2, 3, 1]
    assert without_b["rank_change"].tolist() == [1, -1, 0]  # ranks 3, 2, 1
    assert without_a["rank_change"].tolist() == [-1, 0, 1]  # ranks 1, 3, 2
    summary = loo.attrs["summary"]
    assert summary.loc["a", "mean_abs_rank_change"] == pytest.approx(2 / 3)
    assert summary.loc["b", "max_abs_rank_change"] == 1


def test_leave_one_out_errors_and_choice_of_indicators(small):
    data, meta = small
    assert set(leave_one_out(data, meta, indicators=["a"])["left_out"]) == {"a"}
    with pytest.raises(ValueError, match="not in the metadata: z"):
        leave_one_out(data, meta, indicators=["z"])


def test_scenario_scatter(small):
    data, meta = small
    specs = {"equal": None, "a_first": {"weights": {"levels": {"focus_area": {"1.1": 3.0}}}}}
    cmp = compare_scenarios(data, meta, specs)
    fig = plot_scenarios(cmp, lang="vi", highlight=["15"], labels={"15": "Yên Bái"})
    ax = fig.axes[0]
    assert ax.get_xlabel() == "thứ hạng theo equal"
    assert [t.get_text() for t in ax.texts] == ["Yên Bái"]
    with pytest.raises(ValueError, match="scenario 'x'"):
        plot_scenarios(cmp, "x", "equal")
    matplotlib.pyplot.close("all")


def test_leave_one_out_keeps_manual_group_weights_when_a_focus_area_goes():
    # 1.1 holds only a; leaving a out removes 1.1, whose weight 3 must not stop the run.
    # Min-max: a -> 0, 50, 100; b -> 100, 0, 40; c -> 0, 50, 100.
    # Without a: overall = 1.2 = mean(b, c) = 50, 25, 70.
    # Without c: (3 * a + 1 * b) / 4 = 25, 37.5, 85.
    meta = pd.DataFrame(
        {"focus_area": ["1.1", "1.2", "1.2"], "area": ["1", "1", "1"]}, index=["a", "b", "c"]
    )
    data = pd.DataFrame(
        {"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 4.0], "c": [1.0, 2.0, 3.0]},
        index=["01", "02", "15"],
    )
    spec = {"weights": {"upper": "manual", "levels": {"focus_area": {"1.1": 3, "1.2": 1}}}}
    out = leave_one_out(data, meta, spec).set_index(["left_out", "unit_code"])["score"]
    assert out.loc["a"].tolist() == [50.0, 25.0, 70.0]
    assert out.loc["c"].tolist() == [25.0, 37.5, 85.0]
