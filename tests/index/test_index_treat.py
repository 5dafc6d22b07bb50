"""Outlier treatment: moments by hand, winsorising, transforms, the report."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from learningcity.index import IndexInputError, treat
from learningcity.index.outliers import kurtosis, skewness, transform_values, winsorise


def _g1_g2(v):
    """Sample skewness and excess kurtosis from their textbook formulas."""
    v = np.asarray(v, dtype=float)
    n = len(v)
    d = v - v.mean()
    m2, m3, m4 = (d**2).mean(), (d**3).mean(), (d**4).mean()
    g1 = m3 / m2**1.5 * math.sqrt(n * (n - 1)) / (n - 2)
    g2 = ((n + 1) * (m4 / m2**2 - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return g1, g2


def test_moments_by_hand():
    # [1, 2, 3, 10]: mean 4, deviations -3 -2 -1 6; m2 = 12.5, m3 = 45, m4 = 348.5
    # G1 = 45 / 12.5^1.5 * sqrt(12) / 2 = 1.0182338 * 1.7320508 = 1.763633
    # G2 = ((5 * (348.5/156.25 - 3) + 6) * 3) / (2 * 1) = 3.228
    s = pd.Series([1.0, 2.0, 3.0, 10.0])
    assert skewness(s) == pytest.approx(1.763633, abs=1e-6)
    assert kurtosis(s) == pytest.approx(3.228, abs=1e-9)


def test_winsorise_one_point_enough():
    x = pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100])
    g1, g2 = _g1_g2(x)
    assert g1 > 2 and g2 > 3.5  # fails the rule before treatment
    v, mark = winsorise(x)
    assert v.tolist() == [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 9]
    assert mark.tolist() == [""] * 9 + ["high"]


def test_winsorise_low_side_for_negative_skew():
    x = pd.Series([-100.0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    v, mark = winsorise(x)
    assert v.iloc[0] == 1.0 and mark.iloc[0] == "low"


def test_transform_when_winsorising_is_not_enough():
    # 12 ones, 500 and 1000. One point allowed: 1000 -> 500 still fails
    # (G1 = 2.29 > 2 and G2 = 3.79 > 3.5), so log_ct is applied to the ORIGINAL values:
    # ln(x - min + 0.01 (max - min)) = ln(x - 1 + 9.99)
    x = [1.0] * 12 + [500.0, 1000.0]
    g1, g2 = _g1_g2([1.0] * 12 + [500.0, 500.0])
    assert g1 > 2 and g2 > 3.5
    treated, report, marks = treat(pd.DataFrame({"y": x}), winmax=1)
    assert report.loc["y", "treatment"] == "log_ct"
    expected = [math.log(v - 1 + 9.99) for v in x]
    assert treated["y"].tolist() == pytest.approx(expected)
    assert (marks["y"] == "").all()  # winsorised values were discarded


def test_report_and_untouched_columns():
    x = pd.DataFrame(
        {"ok": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10], "out": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100]}
    )
    treated, report, marks = treat(x)
    assert report.loc["ok", "treatment"] == "none"
    assert treated["ok"].tolist() == x["ok"].tolist()
    assert report.loc["out", "treatment"] == "winsorised"
    assert report.loc["out", "n_high"] == 1 and report.loc["out", "n_low"] == 0
    assert report["passes"].all()


def test_individual_overrides():
    x = pd.DataFrame(
        {"a": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100], "b": [1.0, 10.0, 100.0, 1000.0] + [np.nan] * 6}
    )
    treated, report, _ = treat(x, individual={"a": "none", "b": "log"})
    assert report.loc["a", "treatment"] == "none" and treated["a"].iloc[-1] == 100.0
    assert treated["b"].dropna().tolist() == pytest.approx(
        [0.0, math.log(10), math.log(100), math.log(1000)]
    )


def test_boxcox_formula():
    # Box-Cox lambda 0.5 after shifting the minimum to 1: (y^0.5 - 1) / 0.5
    out = transform_values(np.array([2.0, 5.0]), "boxcox", {"lambda": 0.5, "min": 2.0})
    assert out.tolist() == pytest.approx([0.0, (2.0 - 1) / 0.5])


def test_log_needs_positive_values():
    with pytest.raises(IndexInputError, match="'a' has a value <= 0"):
        treat(pd.DataFrame({"a": [0.0, 1.0]}), individual={"a": "log"})


def test_unknown_treatment():
    with pytest.raises(IndexInputError, match="unknown treatment"):
        treat(pd.DataFrame({"a": [1.0]}), individual={"a": "trim"})
