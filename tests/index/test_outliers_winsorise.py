"""Winsorising one tied block at a time, counted cell by cell (issue 14, item 1).

Every expected value below is worked out by hand from the rule in the module
docstring of ``learningcity.index.outliers``; skew and kurtosis come from the
textbook formulas in :func:`_g1_g2`, not from the module.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from tests_support import textbook_g1_g2 as _g1_g2

from learningcity.index import treat
from learningcity.index.outliers import winsorise


def _fails(v) -> bool:
    g1, g2 = _g1_g2(v)
    return abs(g1) > 2 and g2 > 3.5


def _column(n: int, fill: float, cells: dict[int, float]) -> list[float]:
    col = [fill] * n
    for i, value in cells.items():
        col[i] = value
    return col


# --- ties at the top -------------------------------------------------------------
# 41 cells: 35 zeros and, at rows 3, 8, 17, 25, 30, 40, the values 12, 9, 12, 8, 8, 2.
# The skew stays positive, so each step moves the cells holding the maximum.
#
#   state  values above 0 (rows 3 8 17 25 30 40)  step                    moved  G1     G2
#   S0     12  9 12  8  8  2                      -                       0      2.546  5.170
#   S1      9  9  9  8  8  2                      both 12s -> 9           2      2.368  3.903
#   S2      8  8  8  8  8  2                      three 9s -> 8           3      2.344  3.754
#   S3      2  2  2  2  2  2                      five 8s -> 2            5      2.078  2.435
#
# S0-S2 fail (|G1| > 2 and G2 > 3.5); S3 passes (G2 < 3.5).  The cells moved before
# sit at the maximum and move again, but count once: S2 adds only the 9 of row 8,
# S3 only the 8s of rows 25 and 30.  A step that would take the count past winmax is
# not taken, and a tied block is never split:
#
#   winmax 1: S1 needs 2 > 1   -> stays at S0, 0 points, fails
#   winmax 2: S1 (2); S2 needs 3 > 2   -> S1, 2 points, fails
#   winmax 3: S2 (3); S3 needs 5 > 3   -> S2, 3 points, fails
#   winmax 4: S3 needs 5 > 4           -> S2, 3 points, fails
#   winmax 5: S3, 5 points, passes
#   winmax 6: S3, 5 points, passes (stops because it passes)
TOP_ROWS = (3, 8, 17, 25, 30, 40)
TOP_STATES = {
    "S0": (12.0, 9.0, 12.0, 8.0, 8.0, 2.0),
    "S1": (9.0, 9.0, 9.0, 8.0, 8.0, 2.0),
    "S2": (8.0, 8.0, 8.0, 8.0, 8.0, 2.0),
    "S3": (2.0, 2.0, 2.0, 2.0, 2.0, 2.0),
}
TOP_MOMENTS = {
    "S0": (2.546, 5.170),
    "S1": (2.368, 3.903),
    "S2": (2.344, 3.754),
    "S3": (2.078, 2.435),
}
TOP_MOVED = {"S0": (), "S1": (3, 17), "S2": (3, 8, 17), "S3": (3, 8, 17, 25, 30)}
TOP_BY_WINMAX = {1: "S0", 2: "S1", 3: "S2", 4: "S2", 5: "S3", 6: "S3"}


def _top(state: str) -> list[float]:
    return _column(41, 0.0, dict(zip(TOP_ROWS, TOP_STATES[state], strict=True)))


# --- ties at the bottom ----------------------------------------------------------
# 52 cells: 45 cells of 20 and, at rows 0, 5, 11, 19, 30, 44, 51, the values
# 8, 12, 12, 15, 16, 16, 18.  The skew stays negative, so each step moves the cells
# holding the minimum up to the next value.
#
#   state  rows 0 5 11 19 30 44 51   step                 moved  G1      G2
#   B0      8 12 12 15 16 16 18      -                    0      -3.251  10.697
#   B1     12 12 12 15 16 16 18      the 8 -> 12          1      -2.822   6.962
#   B2     15 15 15 15 16 16 18      three 12s -> 15      3      -2.416   4.205
#   B3     16 16 16 16 16 16 18      four 15s -> 16       4      -2.334   3.699
#   B4     18 18 18 18 18 18 18      six 16s -> 18        6      -2.205   2.976
#
# B0-B3 fail, B4 passes (G2 < 3.5).
#
#   winmax 1: B1 (1); B2 needs 3 > 1   -> B1, 1 point, fails
#   winmax 2: B2 needs 3 > 2           -> B1, 1 point, fails
#   winmax 3: B2 (3); B3 needs 4 > 3   -> B2, 3 points, fails
#   winmax 4: B3 (4); B4 needs 6 > 4   -> B3, 4 points, fails
#   winmax 5: B4 needs 6 > 5           -> B3, 4 points, fails
#   winmax 6: B4, 6 points, passes
BOTTOM_ROWS = (0, 5, 11, 19, 30, 44, 51)
BOTTOM_STATES = {
    "B0": (8.0, 12.0, 12.0, 15.0, 16.0, 16.0, 18.0),
    "B1": (12.0, 12.0, 12.0, 15.0, 16.0, 16.0, 18.0),
    "B2": (15.0, 15.0, 15.0, 15.0, 16.0, 16.0, 18.0),
    "B3": (16.0, 16.0, 16.0, 16.0, 16.0, 16.0, 18.0),
    "B4": (18.0,) * 7,
}
BOTTOM_MOMENTS = {
    "B0": (-3.251, 10.697),
    "B1": (-2.822, 6.962),
    "B2": (-2.416, 4.205),
    "B3": (-2.334, 3.699),
    "B4": (-2.205, 2.976),
}
BOTTOM_MOVED = {
    "B0": (),
    "B1": (0,),
    "B2": (0, 5, 11),
    "B3": (0, 5, 11, 19),
    "B4": (0, 5, 11, 19, 30, 44),
}
BOTTOM_BY_WINMAX = {1: "B1", 2: "B1", 3: "B2", 4: "B3", 5: "B3", 6: "B4"}


def _bottom(state: str) -> list[float]:
    return _column(52, 20.0, dict(zip(BOTTOM_ROWS, BOTTOM_STATES[state], strict=True)))


@pytest.mark.parametrize("state", list(TOP_STATES))
def test_top_states_by_the_textbook_formula(state):
    # pins the hand table above: moments, and which states fail
    g1, g2 = _g1_g2(_top(state))
    assert (round(g1, 3), round(g2, 3)) == TOP_MOMENTS[state]
    assert _fails(_top(state)) == (state != "S3")


@pytest.mark.parametrize("state", list(BOTTOM_STATES))
def test_bottom_states_by_the_textbook_formula(state):
    g1, g2 = _g1_g2(_bottom(state))
    assert (round(g1, 3), round(g2, 3)) == BOTTOM_MOMENTS[state]
    assert _fails(_bottom(state)) == (state != "B4")


@pytest.mark.parametrize("winmax", range(1, 7))
def test_ties_at_the_top(winmax):
    state = TOP_BY_WINMAX[winmax]
    v, mark = winsorise(pd.Series(_top("S0")), winmax=winmax)
    assert v.tolist() == _top(state)
    assert mark[mark != ""].index.tolist() == list(TOP_MOVED[state])
    assert set(mark[mark != ""]) <= {"high"}
    assert len(TOP_MOVED[state]) <= winmax  # winmax is a hard cap
    assert _fails(v) == (state != "S3")


@pytest.mark.parametrize("winmax", range(1, 7))
def test_ties_at_the_bottom(winmax):
    state = BOTTOM_BY_WINMAX[winmax]
    v, mark = winsorise(pd.Series(_bottom("B0")), winmax=winmax)
    assert v.tolist() == _bottom(state)
    assert mark[mark != ""].index.tolist() == list(BOTTOM_MOVED[state])
    assert set(mark[mark != ""]) <= {"low"}
    assert len(BOTTOM_MOVED[state]) <= winmax
    assert _fails(v) == (state != "B4")


@pytest.mark.parametrize("winmax", range(1, 7))
def test_treat_reports_the_count_or_falls_back(winmax):
    # Same columns through treat(): passing -> winsorised with the count above;
    # failing -> log_ct of the ORIGINAL values, nothing marked.
    top, bottom = TOP_BY_WINMAX[winmax], BOTTOM_BY_WINMAX[winmax]
    treated, report, marks = treat(pd.DataFrame({"top": _top("S0")}), winmax=winmax)
    if top == "S3":
        assert report.loc["top", "treatment"] == "winsorised"
        assert (report.loc["top", "n_high"], report.loc["top", "n_low"]) == (5, 0)
        assert treated["top"].tolist() == _top("S3")
        assert (marks["top"] == "high").sum() == 5
    else:
        # log(x - 0 + 0.01 * (12 - 0)) = log(x + 0.12)
        assert report.loc["top", "treatment"] == "log_ct"
        assert treated["top"].tolist() == pytest.approx([math.log(v + 0.12) for v in _top("S0")])
        assert (marks["top"] == "").all()
    treated, report, marks = treat(pd.DataFrame({"bottom": _bottom("B0")}), winmax=winmax)
    if bottom == "B4":
        assert report.loc["bottom", "treatment"] == "winsorised"
        assert (report.loc["bottom", "n_high"], report.loc["bottom", "n_low"]) == (0, 6)
        assert treated["bottom"].tolist() == _bottom("B4")
        assert (marks["bottom"] == "low").sum() == 6
    else:
        # log(x - 8 + 0.01 * (20 - 8)) = log(x - 7.88), never mirrored
        assert report.loc["bottom", "treatment"] == "log_ct"
        expected = [math.log(v - 7.88) for v in _bottom("B0")]
        assert treated["bottom"].tolist() == pytest.approx(expected)
        assert (marks["bottom"] == "").all()


def test_transform_none_keeps_what_the_limit_allowed():
    # winmax 4: the top column stops at S2 (3 points) and still fails; with no
    # fallback transform the winsorised values are kept and the report says it fails.
    x = pd.DataFrame({"top": _top("S0")})
    treated, report, marks = treat(x, winmax=4, transform="none")
    assert treated["top"].tolist() == _top("S2")
    assert report.loc["top", "n_high"] == 3
    assert not report.loc["top", "passes"]
    assert marks["top"].iloc[list(TOP_MOVED["S2"])].eq("high").all()


def test_five_single_outliers_are_all_winsorised():
    # Before issue 14 the count added the whole moving block at every step
    # (1, 1+2, 1+2+3 = 6 > 5) and gave up after three points.  Here
    # 40 cells 0, 1, 0, 1, ... and 6, 8, 10, 12, 14: every step moves one new cell.
    #   moved  tail            G1     G2
    #   0      6 8 10 12 14    2.859  7.490  fails
    #   1      6 8 10 12 12    2.733  6.514  fails
    #   2      6 8 10 10 10    2.577  5.468  fails
    #   3      6 8 8 8 8       2.413  4.545  fails
    #   4      6 6 6 6 6       2.226  3.762  fails
    #   5      1 1 1 1 1      -0.231 -2.039  passes
    base = [0.0, 1.0] * 20
    x = pd.Series(base + [6.0, 8, 10, 12, 14])
    for tail, moments in [
        ([6.0, 8, 10, 12, 14], (2.859, 7.490)),
        ([6.0, 6, 6, 6, 6], (2.226, 3.762)),
        ([1.0] * 5, (-0.231, -2.039)),
    ]:
        assert tuple(round(m, 3) for m in _g1_g2(base + tail)) == moments
    assert _fails(base + [6.0] * 5) and not _fails(base + [1.0] * 5)
    v, mark = winsorise(x, winmax=5)
    assert v.tolist() == base + [1.0] * 5
    assert (mark == "high").sum() == 5
    v4, mark4 = winsorise(x, winmax=4)
    assert v4.tolist() == base + [6.0] * 5 and (mark4 == "high").sum() == 4


def test_missing_values_are_neither_moved_nor_counted():
    # The top column with two NaN rows appended: the NaN are dropped by the rule,
    # so the steps are those of the table above (winmax 5 -> S3, 5 points).
    x = pd.Series([*_top("S0"), np.nan, np.nan])
    assert _g1_g2(x) == pytest.approx(_g1_g2(_top("S0")))
    v, mark = winsorise(x, winmax=5)
    assert v.iloc[:41].tolist() == _top("S3")
    assert v.iloc[41:].isna().all() and (mark.iloc[41:] == "").all()
    assert (mark == "high").sum() == 5


def test_winmax_zero_winsorises_nothing():
    v, mark = winsorise(pd.Series(_bottom("B0")), winmax=0)
    assert v.tolist() == _bottom("B0") and (mark == "").all()
