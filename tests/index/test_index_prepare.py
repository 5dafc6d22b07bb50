"""Denomination, screening and imputation on small tables worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learningcity.index import IndexInputError, denominate, impute, screen_units

NAN = np.nan


# -- denominate -------------------------------------------------------------
def test_denominate_per_thousand_and_zero_denominator():
    x = pd.DataFrame(
        {"clubs": [12.0, 3.0, 5.0], "adults": [4000.0, 1500.0, 0.0]}, index=["132", "133", "134"]
    )
    out = denominate(x, {"clubs": "adults"}, scale=1000)
    # 12 / 4000 * 1000 = 3 ; 3 / 1500 * 1000 = 2 ; zero adults -> missing, not infinite
    assert out["clubs"].iloc[:2].tolist() == [3.0, 2.0]
    assert np.isnan(out.loc["134", "clubs"])
    assert out["adults"].tolist() == x["adults"].tolist()


def test_denominate_from_separate_table_and_errors():
    x = pd.DataFrame({"libraries": [2.0]}, index=["15"])
    area = pd.DataFrame({"km2": [400.0]}, index=["15"])
    assert denominate(x, {"libraries": "km2"}, denominators=area).iloc[0, 0] == 0.005
    with pytest.raises(IndexInputError, match="denominator column 'pop'"):
        denominate(x, {"libraries": "pop"})


# -- screen -----------------------------------------------------------------
def test_screen_threshold_and_forced_units():
    x = pd.DataFrame(
        {"a": [1.0, NAN, 0.0, NAN], "b": [1.0, NAN, 0.0, 2.0], "c": [1.0, 1.0, 0.0, NAN]},
        index=["01", "02", "15", "20"],
    )
    kept, report = screen_units(x, 0.5)
    # availability: 01 3/3, 02 1/3, 15 3/3, 20 1/3
    assert kept.index.tolist() == ["01", "15"]
    assert report.loc["02", "availability"] == pytest.approx(1 / 3)
    kept, _ = screen_units(x, 0.5, include=["20"], exclude=["01"])
    assert kept.index.tolist() == ["15", "20"]
    kept, report = screen_units(x, 0.0, by="zeros", nonzero_threshold=0.5)
    # non-zero share: 01 3/3, 02 1/3, 15 0/3, 20 1/3
    assert kept.index.tolist() == ["01"]
    assert report.loc["15", "reason"].startswith("non-zero share")


# -- impute -----------------------------------------------------------------
def test_mean_and_median_flag_the_filled_cells():
    x = pd.DataFrame({"a": [1.0, 2.0, 10.0, NAN]}, index=list("ABCD"))
    out, flags = impute(x, "mean")
    assert out.loc["D", "a"] == pytest.approx(13 / 3)
    assert flags["a"].tolist() == [False, False, False, True]
    assert impute(x, "median")[0].loc["D", "a"] == 2.0


def test_group_mean():
    x = pd.DataFrame({"a": [1.0, 3.0, NAN, 10.0, 20.0, NAN]}, index=list("pqrstu"))
    groups = pd.Series(["N", "N", "N", "S", "S", "S"], index=list("pqrstu"))
    out, _ = impute(x, "group_mean", groups=groups)
    assert out.loc["r", "a"] == 2.0 and out.loc["u", "a"] == 15.0
    with pytest.raises(IndexInputError, match="has no group"):
        impute(x, "group_mean", groups=groups.iloc[:3])


def test_row_mean_within_focus_area():
    # a spans 0..10, b spans 0..100. Unit C has a = 5 -> 0.5 of a's range, so b is
    # estimated at 0.5 of b's range: 50. Indicator c is in another group and unused.
    x = pd.DataFrame(
        {"a": [0.0, 10.0, 5.0], "b": [0.0, 100.0, NAN], "c": [7.0, 7.0, 1.0]}, index=list("ABC")
    )
    out, flags = impute(x, "row_mean", structure={"a": "1.1", "b": "1.1", "c": "1.2"})
    assert out.loc["C", "b"] == pytest.approx(50.0)
    assert flags.to_numpy().sum() == 1


def test_knn_uses_nearest_unit():
    x = pd.DataFrame({"a": [1.0, 2.0, 10.0, 2.1], "b": [1.0, 2.0, 30.0, NAN]}, index=list("ABCD"))
    out, _ = impute(x, "knn", n_neighbors=1)
    assert out.loc["D", "b"] == 2.0  # D is nearest to B on a


def test_iterative_recovers_a_linear_relation():
    a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    x = pd.DataFrame({"a": a, "b": [2.0, 4.0, 6.0, 8.0, 10.0, NAN]})
    out, _ = impute(x, "iterative")
    assert out["b"].iloc[-1] == pytest.approx(12.0, abs=0.05)  # b = 2a


def _panel(values):
    idx = pd.MultiIndex.from_product([[2019, 2020, 2021], ["01"]], names=["year", "unit_code"])
    return pd.DataFrame({"a": values}, index=idx)


def test_panel_locf_and_linear():
    x = _panel([1.0, NAN, 3.0])
    assert impute(x, "locf")[0]["a"].tolist() == [1.0, 1.0, 3.0]
    assert impute(x, "linear")[0]["a"].tolist() == [1.0, 2.0, 3.0]
    # no extrapolation beyond the last observed year
    assert np.isnan(impute(_panel([1.0, 2.0, NAN]), "linear")[0]["a"].iloc[-1])
    with pytest.raises(IndexInputError, match="needs a panel"):
        impute(pd.DataFrame({"a": [1.0, NAN]}), "locf")


def test_column_imputation_stays_within_a_year():
    idx = pd.MultiIndex.from_product(
        [[2019, 2020], ["01", "02", "03"]], names=["year", "unit_code"]
    )
    x = pd.DataFrame({"a": [1.0, 3.0, NAN, 10.0, 30.0, NAN]}, index=idx)
    out, _ = impute(x, "mean")
    assert out["a"].tolist() == [1.0, 3.0, 2.0, 10.0, 30.0, 20.0]
