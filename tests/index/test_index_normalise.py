"""Every normaliser against values worked out by hand on a 3-unit table.

Table: x = 2, 4, 10 (higher is better); y = 5, missing, 1 (lower is better).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learningcity.index import IndexInputError, normalise

UNITS = ["A", "B", "C"]


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({"x": [2.0, 4.0, 10.0], "y": [5.0, np.nan, 1.0]}, index=UNITS)


DIRS = {"x": 1, "y": -1}


def col(df: pd.DataFrame, c: str) -> list[float]:
    return df[c].round(5).tolist()


def test_minmax_with_direction(table):
    out = normalise(table, "minmax", directions=DIRS)
    # x: (x - 2) / 8 * 100 -> 0, 25, 100
    assert col(out, "x") == [0.0, 25.0, 100.0]
    # y negated: -5, -1 -> (v + 5) / 4 * 100 -> A 0, C 100 (lower y is better)
    assert out.loc["A", "y"] == 0.0 and out.loc["C", "y"] == 100.0
    assert np.isnan(out.loc["B", "y"])


def test_minmax_custom_bounds(table):
    out = normalise(table, "minmax", low=1, high=10)
    # x: (x - 2) / 8 * 9 + 1 -> 1, 3.25, 10
    assert col(out, "x") == [1.0, 3.25, 10.0]


def test_zscore(table):
    out = normalise(table, "zscore")
    # mean 16/3; deviations -10/3, -4/3, 14/3; var = (100+16+196)/9/2 = 17.3333; sd 4.163332
    assert col(out, "x") == pytest.approx([-0.80064, -0.32026, 1.12090], abs=1e-5)


def test_rank_prank_borda(table):
    assert col(normalise(table, "rank"), "x") == [1.0, 2.0, 3.0]
    # y negated -5, -1: A ranks 1, C ranks 2, B missing
    r = normalise(table, "rank", directions=DIRS)
    assert r.loc["A", "y"] == 1.0 and r.loc["C", "y"] == 2.0
    # percentile rank (rank - 1) / (n - 1) * 100 with n = 3 values
    assert col(normalise(table, "prank"), "x") == [0.0, 50.0, 100.0]
    assert col(normalise(table, "borda"), "x") == [0.0, 1.0, 2.0]


def test_rank_ties_share_lowest_rank():
    t = pd.DataFrame({"x": [3.0, 3.0, 1.0]})
    assert normalise(t, "rank")["x"].tolist() == [2.0, 2.0, 1.0]


def test_dist2max_and_fracmax(table):
    # 1 - (10 - x) / 8 -> 0, 0.25, 1
    assert col(normalise(table, "dist2max"), "x") == [0.0, 25.0, 100.0]
    # x / 10 -> 0.2, 0.4, 1
    assert col(normalise(table, "fracmax"), "x") == [20.0, 40.0, 100.0]


def test_dist2ref_capped_and_not(table):
    # reference B (x = 4): 1 - (4 - x) / (4 - 2) -> 0, 1, 4
    assert col(normalise(table, "dist2ref", reference="B"), "x") == [0.0, 100.0, 100.0]
    assert col(normalise(table, "dist2ref", reference="B", cap=False), "x") == [0.0, 100.0, 400.0]


def test_dist2targ_both_directions(table):
    out = normalise(table, "dist2targ", directions=DIRS, targets={"x": 8.0, "y": 2.0})
    # x: (x - 2) / (8 - 2) -> 0, 1/3, 4/3 capped at 1
    assert col(out, "x") == [0.0, 33.33333, 100.0]
    # y (lower better): (max - y) / (max - target) = (5 - y) / 3 -> A 0, C 4/3 capped
    assert out.loc["A", "y"] == 0.0 and out.loc["C", "y"] == 100.0


def test_goalposts_both_directions_and_truncation(table):
    gp = pd.DataFrame({"goalpost_low": [0.0, 0.0], "goalpost_high": [8.0, 10.0]}, index=["x", "y"])
    out = normalise(table, "goalposts", directions=DIRS, goalposts=gp)
    # x: x / 8 -> 0.25, 0.5, 1.25 truncated to 1
    assert col(out, "x") == [25.0, 50.0, 100.0]
    # y lower better: (10 - y) / 10 -> A 0.5, C 0.9
    assert out.loc["A", "y"] == pytest.approx(50.0) and out.loc["C", "y"] == pytest.approx(90.0)
    untrunc = normalise(table, "goalposts", goalposts=gp, truncate=False)
    assert untrunc.loc["C", "x"] == pytest.approx(125.0)


def test_individual_override(table):
    gp = pd.DataFrame(
        {"goalpost_low": [np.nan, 0.0], "goalpost_high": [np.nan, 10.0]}, index=["x", "y"]
    )
    out = normalise(
        table,
        "minmax",
        directions=DIRS,
        goalposts=gp,
        individual={"y": {"method": "goalposts", "scale": 1.0}},
    )
    assert col(out, "x") == [0.0, 25.0, 100.0]
    assert out.loc["C", "y"] == pytest.approx(0.9)


def test_zero_spread_gives_missing_not_a_number_made_up():
    t = pd.DataFrame({"x": [5.0, 5.0]})
    assert normalise(t, "minmax")["x"].isna().all()
    assert normalise(t, "zscore")["x"].isna().all()


def test_goalposts_missing_is_a_clear_error(table):
    with pytest.raises(IndexInputError, match="'x' has no goalpost"):
        normalise(table, "goalposts")


def test_bad_direction_and_bad_value_are_named(table):
    with pytest.raises(IndexInputError, match="direction of 'x'"):
        normalise(table, directions={"x": 2})
    bad = table.astype(object)
    bad.loc["B", "x"] = "n/a"
    with pytest.raises(IndexInputError, match=r"row 'B', column 'x'"):
        normalise(bad)


def test_unknown_method(table):
    with pytest.raises(IndexInputError, match="unknown normalisation method"):
        normalise(table, "softmax")


def test_rounding_noise_is_not_a_spread():
    # Found by the unit-order property test: a mean imputed into equal values can
    # differ from them in the last bit, which min-max would stretch to 0..100.
    v = 51.91021576
    t = pd.DataFrame({"x": [v, v, np.nextafter(v, np.inf)]})
    assert normalise(t, "minmax")["x"].isna().all()
    assert normalise(t, "zscore")["x"].isna().all()
    # a real, if small, spread is kept
    t = pd.DataFrame({"x": [v, v, v + 1e-6]})
    assert normalise(t, "minmax")["x"].tolist() == pytest.approx([0.0, 0.0, 100.0])


def test_dist2targ_target_already_met_by_everyone(table):
    # x = 2, 4, 10 with target 1: every unit is past it -> full score, not a negative ratio
    out = normalise(table, "dist2targ", targets={"x": 1.0, "y": 2.0}, directions=DIRS)
    assert col(out, "x") == [100.0, 100.0, 100.0]
