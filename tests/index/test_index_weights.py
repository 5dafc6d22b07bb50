"""Weighting methods against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from learningcity.index import IndexInputError, compute_weights, effective_weights


def test_equal_and_manual_sum_to_one_per_group():
    s = {"a": "g", "b": "g", "c": "g", "d": "h"}
    assert compute_weights(None, s, "equal").round(6).tolist() == [0.333333] * 3 + [1.0]
    w = compute_weights(None, s, "manual", manual={"a": 2, "b": 1, "c": 1, "d": 5})
    assert w.tolist() == [0.5, 0.25, 0.25, 1.0]


def test_pca_weights_are_squared_first_component():
    # x2 = 2*x1 + 3 (correlation 1); x3 is uncorrelated with both:
    # centred x1 = (-1.5, -.5, .5, 1.5), x3 = (1, -1, -1, 1): dot product 0.
    # Correlation matrix [[1,1,0],[1,1,0],[0,0,1]]: eigenvalues 2, 1, 0 and
    # PC1 = (1, 1, 0)/sqrt(2) -> squared loadings 0.5, 0.5, 0.
    x1 = np.array([1.0, 2.0, 3.0, 4.0])
    t = pd.DataFrame({"x1": x1, "x2": 2 * x1 + 3, "x3": [1.0, -1.0, -1.0, 1.0]})
    w = compute_weights(t, dict.fromkeys(t.columns, "g"), "pca")
    assert w.tolist() == pytest.approx([0.5, 0.5, 0.0], abs=1e-12)


def test_entropy_weights():
    # a = (1, 1): p = (.5, .5), E = 1, d = 0
    # b = (0, 1): p = (0, 1),   E = 0, d = 1
    # c = (1, 3): p = (.25, .75), E = -(.25 ln .25 + .75 ln .75)/ln 2 = 0.811278, d = 0.188722
    # weights d / sum(d) = 0, 1/1.188722, 0.188722/1.188722
    t = pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 1.0], "c": [1.0, 3.0]})
    w = compute_weights(t, dict.fromkeys(t.columns, "g"), "entropy")
    e_c = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75)) / math.log(2)
    d = np.array([0.0, 1.0, 1 - e_c])
    assert w.tolist() == pytest.approx((d / d.sum()).tolist())
    assert w["b"] == pytest.approx(1 / 1.188722, abs=1e-6)  # = 0.841240


def test_entropy_needs_non_negative_values():
    t = pd.DataFrame({"a": [-1.0, 1.0], "b": [0.0, 1.0]}, index=["01", "02"])
    with pytest.raises(IndexInputError, match=r"row '01', column 'a' is negative"):
        compute_weights(t, {"a": "g", "b": "g"}, "entropy")


def test_critic_weights():
    # a = (0, .5, 1), b = (1, .5, 0), c = (0, 1, .5); every sd = 0.5.
    # r(a,b) = -1, r(a,c) = 0.5, r(b,c) = -0.5.
    # C_a = .5 * ((1+1) + (1-.5)) = 1.25 ; C_b = .5 * (2 + 1.5) = 1.75 ; C_c = .5 * (.5 + 1.5) = 1
    # sum 4 -> 0.3125, 0.4375, 0.25
    t = pd.DataFrame({"a": [0.0, 0.5, 1.0], "b": [1.0, 0.5, 0.0], "c": [0.0, 1.0, 0.5]})
    w = compute_weights(t, dict.fromkeys(t.columns, "g"), "critic")
    assert w.tolist() == pytest.approx([0.3125, 0.4375, 0.25])


def test_outcome_weights_follow_explanatory_power():
    # y = a exactly (r = 1); b = -a (r = -1 -> weight 0);
    # c = (1, 2, 3, 5) vs y = (1, 2, 3, 4): r = 11/sqrt(5 * 26.75)... computed below.
    y = pd.Series([1.0, 2.0, 3.0, 4.0])
    t = pd.DataFrame({"a": y, "b": -y, "c": [1.0, 2.0, 3.0, 5.0]})
    w = compute_weights(t, dict.fromkeys(t.columns, "g"), "outcome", outcome=y)
    # centred y = (-1.5,-.5,.5,1.5), centred c = (-1.75,-.75,.25,2.25):
    # cov sum = 2.625+.375+.125+3.375 = 6.5 ; ss_y = 5 ; ss_c = 3.0625+.5625+.0625+5.0625 = 8.75
    r_c = 6.5 / math.sqrt(5 * 8.75)
    assert w.tolist() == pytest.approx([1 / (1 + r_c**2), 0.0, r_c**2 / (1 + r_c**2)])


def test_statistical_weights_fall_back_to_equal_when_undefined():
    t = pd.DataFrame({"a": [1.0, 1.0, 1.0], "b": [1.0, 1.0, 1.0]})
    w = compute_weights(t, {"a": "g", "b": "g"}, "pca")
    assert w.tolist() == [0.5, 0.5]
    assert w.attrs["fallback"] == ["g"]


def test_effective_weights_multiply_along_lineage():
    # a, b in 1.1 (0.5 each); c alone in 1.2; 1.1 weighs 3 and 1.2 weighs 1 in area 1;
    # area 1 and area 2 (with d) weigh equally overall.
    lineage = pd.DataFrame(
        {"focus_area": ["1.1", "1.1", "1.2", "2.1"], "area": ["1", "1", "1", "2"]},
        index=["a", "b", "c", "d"],
    )
    lineage["overall"] = "overall"
    w = {
        "indicator": pd.Series({"a": 0.5, "b": 0.5, "c": 1.0, "d": 1.0}),
        "focus_area": pd.Series({"1.1": 0.75, "1.2": 0.25, "2.1": 1.0}),
        "area": pd.Series({"1": 0.5, "2": 0.5}),
    }
    eff = effective_weights(lineage, w)
    assert eff["area"].tolist() == [0.375, 0.375, 0.25, 1.0]
    assert eff["overall"].tolist() == [0.1875, 0.1875, 0.125, 0.5]
    assert eff["overall"].sum() == pytest.approx(1.0)
