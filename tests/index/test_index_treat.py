"""Outlier treatment: moments by hand, winsorising, transforms, the report."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from tests_support import textbook_g1_g2 as _g1_g2

from learningcity.index import IndexInputError, treat
from learningcity.index.outliers import kurtosis, skewness, transform_values, winsorise


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


# --- log_ct (COINr's log_CT) and log_ct_plus (COINr's log_CT_plus) -----------------
# neg = 1, 9, 10, 10: mean 7.5, deviations -6.5 1.5 2.5 2.5,
# m3 = (-274.625 + 3.375 + 15.625 + 15.625) / 4 = -60 < 0; min 1, max 10, a = 0.01 * 9 = 0.09.
#   log_ct      : log(x - 1 + 0.09)   = log 0.09, log 8.09, log 9.09, log 9.09
#   log_ct_plus : -log(10 + 0.09 - x) = -log 9.09, -log 1.09, -log 0.09, -log 0.09
# pos = 1, 2, 2, 10: mean 3.75, deviations -2.75 -1.75 -1.75 6.25,
# m3 = (-20.797 - 5.359 - 5.359 + 244.141) / 4 = 53.156 > 0; min 1, max 10, a = 0.09:
# both are log(x - 0.91) = log 0.09, log 1.09, log 1.09, log 9.09.
NEG, POS = [1.0, 9.0, 10.0, 10.0], [1.0, 2.0, 2.0, 10.0]


def test_log_ct_never_mirrors_and_log_ct_plus_mirrors_a_negative_skew():
    assert _g1_g2(NEG)[0] < 0 < _g1_g2(POS)[0]
    x = pd.DataFrame({"neg_ct": NEG, "neg_plus": NEG, "pos_ct": POS, "pos_plus": POS})
    ind = {"neg_ct": "log_ct", "neg_plus": "log_ct_plus", "pos_ct": "log_ct"}
    treated, report, _ = treat(x, individual={**ind, "pos_plus": "log_ct_plus"})
    ln = math.log
    assert treated["neg_ct"].tolist() == pytest.approx([ln(0.09), ln(8.09), ln(9.09), ln(9.09)])
    assert treated["neg_plus"].tolist() == pytest.approx(
        [-ln(9.09), -ln(1.09), -ln(0.09), -ln(0.09)]
    )
    for col in ("pos_ct", "pos_plus"):
        assert treated[col].tolist() == pytest.approx([ln(0.09), ln(1.09), ln(1.09), ln(9.09)])
    assert report["treatment"].tolist() == ["log_ct", "log_ct_plus", "log_ct", "log_ct_plus"]
    assert report.loc["neg_ct", "params"] == {"min": 1.0, "max": 10.0}
    assert report.loc["neg_plus", "params"] == {"min": 1.0, "max": 10.0, "sign": -1.0}
    assert report.loc["pos_plus", "params"]["sign"] == 1.0
    # both keep the order of the values (mirroring is -log of the distance to max + a)
    assert treated["neg_plus"].is_monotonic_increasing and treated["neg_ct"].is_monotonic_increasing


def test_fallback_transform_choice_on_a_negative_skew():
    # The mirror of test_transform_when_winsorising_is_not_enough: -1000, -500 and twelve
    # -1, winmax 1: -1000 -> -500 still fails (G1 = -2.29, G2 = 3.79), so the fallback is
    # applied to the ORIGINAL values.  min -1000, max -1, a = 9.99:
    #   log_ct      : log(x + 1000 + 9.99)  = log(x + 1009.99)
    #   log_ct_plus : -log(-1 + 9.99 - x)   = -log(8.99 - x)
    x = [-1000.0, -500.0] + [-1.0] * 12
    g1, g2 = _g1_g2([-500.0, -500.0] + [-1.0] * 12)
    assert g1 < -2 and g2 > 3.5
    df = pd.DataFrame({"y": x})
    for name, expected in [
        ("log_ct", [math.log(v + 1009.99) for v in x]),
        ("log_ct_plus", [-math.log(8.99 - v) for v in x]),
    ]:
        treated, report, _ = treat(df, winmax=1, transform=name)
        assert report.loc["y", "treatment"] == name
        assert treated["y"].tolist() == pytest.approx(expected)
        g1, g2 = _g1_g2(expected)
        assert bool(report.loc["y", "passes"]) == (not (abs(g1) > 2 and g2 > 3.5))


def test_transform_names_are_checked():
    with pytest.raises(IndexInputError, match="transform must be one of log_ct, log_ct_plus"):
        treat(pd.DataFrame({"a": [1.0, 2.0]}), transform="log")
    from learningcity.index.spec import IndexSpec

    spec = IndexSpec.from_dict(
        {"treat": {"transform": "log_ct_plus", "individual": {"a": "log_ct_plus"}}}
    )
    assert spec.treat.transform == "log_ct_plus"
    assert spec.treat.individual == {"a": "log_ct_plus"}


def _goalpost_build(name: str) -> list[float]:
    from learningcity.index import build_index

    units = [f"{i:02d}" for i in range(12)]
    x = pd.DataFrame({"a": [10.0] * 10 + [500.0, 1000.0]}, index=units)
    meta = pd.DataFrame(
        {"focus_area": ["1.1"], "area": ["1"], "goalpost_low": [10.0], "goalpost_high": [1000.0]},
        index=["a"],
    )
    spec = {"treat": {"individual": {"a": name}}, "normalise": {"method": "goalposts"}}
    return build_index(x, meta, spec).normalised["a"].tolist()


# a is skewed to the right, so log_ct and log_ct_plus are the same transform: min 10,
# max 1000, a = 9.9, t(x) = log(x - 0.1).  The goalposts follow: t(10) = log 9.9 and
# t(1000) = log 999.9, so 10 -> 0, 1000 -> 100, 500 -> 100 (log 499.9 - log 9.9)/(log 999.9 -
# log 9.9) = 84.979.
GOALPOST_EXPECTED = [0.0] * 10 + [
    100 * (math.log(499.9) - math.log(9.9)) / (math.log(999.9) - math.log(9.9)),
    100.0,
]


def test_goalposts_follow_log_ct():
    assert _goalpost_build("log_ct") == pytest.approx(GOALPOST_EXPECTED)


def test_goalposts_follow_log_ct_plus():
    assert _goalpost_build("log_ct_plus") == pytest.approx(GOALPOST_EXPECTED)
