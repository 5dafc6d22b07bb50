"""Audit statistics on tables with known correlations and alphas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learningcity.index.audit import (
    cronbach_alpha,
    group_alpha,
    group_correlations,
    group_pca,
    indicator_stats,
    parent_correlations,
)

# a and b perfectly correlated (b = 2a); c uncorrelated with a (centred dot product 0);
# d = 5 - a perfectly anti-correlated.
KNOWN = pd.DataFrame(
    {
        "a": [1.0, 2.0, 3.0, 4.0],
        "b": [2.0, 4.0, 6.0, 8.0],
        "c": [1.0, -1.0, -1.0, 1.0],
        "d": [4.0, 3.0, 2.0, 1.0],
    }
)


def test_correlations_and_flags():
    out = group_correlations(KNOWN, dict.fromkeys(KNOWN.columns, "g")).set_index(["a", "b"])
    assert out.loc[("a", "b"), "r"] == pytest.approx(1.0)
    assert out.loc[("a", "c"), "r"] == pytest.approx(0.0, abs=1e-12)
    assert out.loc[("a", "d"), "r"] == pytest.approx(-1.0)
    assert out.loc[("a", "b"), "flag"] == "redundant"
    assert out.loc[("a", "c"), "flag"] == ""
    assert out.loc[("a", "d"), "flag"] == "negative"


def test_pairs_only_within_groups():
    out = group_correlations(KNOWN, {"a": "g", "b": "g", "c": "h", "d": "h"})
    assert list(zip(out["a"], out["b"], strict=True)) == [("a", "b"), ("c", "d")]


def test_correlation_with_parent():
    parent = pd.DataFrame({"g": KNOWN["a"] + KNOWN["c"] * 0.1})
    out = parent_correlations(KNOWN, parent, {"a": "g", "d": "g"}).set_index("child")
    assert out.loc["a", "flag"] == "redundant"  # r close to 1
    assert out.loc["d", "flag"] == "weak"  # r close to -1
    assert out.loc["a", "r"] == pytest.approx(np.corrcoef(KNOWN["a"], parent["g"])[0, 1])


def test_cronbach_alpha_by_hand():
    # items a = 1,2,3 (variance 1) and b = 2,3,5 (variance 7/3); totals 3,5,8 (variance 19/3)
    # alpha = 2/1 * (1 - (1 + 7/3) / (19/3)) = 2 * (1 - 10/19) = 18/19
    t = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 3.0, 5.0]})
    assert cronbach_alpha(t) == pytest.approx(18 / 19)
    # b = 2a: var b = 4 var a, total 3a has variance 9 var a -> alpha = 2 (1 - 5/9) = 8/9
    assert cronbach_alpha(KNOWN[["a", "b"]]) == pytest.approx(8 / 9)
    # a group with a single item has no alpha
    alphas = group_alpha(KNOWN, {"a": "g", "b": "g", "c": "h"})
    assert np.isnan(alphas["h"])


def test_cronbach_alpha_of_equal_items_is_one():
    t = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [1.0, 2.0, 4.0], "c": [1.0, 2.0, 4.0]})
    assert cronbach_alpha(t) == pytest.approx(1.0)


def test_pca_per_group():
    # a, b, c: correlation matrix [[1,1,0],[1,1,0],[0,0,1]] -> eigenvalues 2, 1, 0
    out = group_pca(KNOWN[["a", "b", "c"]], dict.fromkeys("abc", "g"))
    assert out.loc["g", "pc1_share"] == pytest.approx(2 / 3)
    assert out.loc["g", "n_eigen_above_1"] == 1
    load = out.loc["g", "loadings"]
    assert load["a"] == pytest.approx(1 / np.sqrt(2)) and load["c"] == pytest.approx(0.0, abs=1e-9)


def test_indicator_stats_flags():
    t = pd.DataFrame(
        {
            "spiky": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100],
            "sparse": [1.0, 2.0, 3.0] + [np.nan] * 7,
            "zeros": [0.0] * 6 + [1.0, 2.0, 3.0, 4.0],
        }
    )
    st = indicator_stats(t)
    assert st["flag_outlier"].to_dict() == {"spiky": True, "sparse": False, "zeros": False}
    assert st["flag_availability"].to_dict() == {"spiky": False, "sparse": True, "zeros": False}
    assert st.loc["zeros", "zeros"] == 0.6 and st.loc["zeros", "flag_zeros"]
    assert st.loc["sparse", "availability"] == 0.3
