"""Validity checks against cases worked by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from learningcity.errors import UsageError
from learningcity.validity import (
    correlations,
    detectable_difference,
    income_share,
    permutation_test,
    rank_stability,
    scores_by_year,
)

SIX = pd.Series([1.0, 2, 3, 4, 5, 6], index=list("abcdef"))


def test_exact_p_of_six_units_enumerated_by_hand():
    # Group {a, b, f} = {1, 2, 6}: mean 3 against 4, difference -1. A split with
    # group sum S has difference (2S - 21) / 3, so |diff| >= 1 iff S <= 9 or S >= 12.
    # Sums of the 20 three-subsets of 1..6: 6:1 7:1 8:2 9:3 10:3 11:3 12:3 13:2 14:1 15:1,
    # so 7 + 7 = 14 of 20 splits.
    r = permutation_test(SIX, ["a", "b", "f"])
    assert r["method"] == "exact" and r["n_permutations"] == 20
    assert r["difference"] == pytest.approx(-1.0)
    assert r["p_value"] == pytest.approx(14 / 20)
    # The most extreme split: only itself and its mirror, 2 of 20.
    assert permutation_test(SIX, ["d", "e", "f"])["p_value"] == pytest.approx(0.1)


def test_exact_p_agrees_with_brute_force_enumeration():
    x = pd.Series([3.1, 0.2, 5.5, 2.2, 4.0, 1.7, 9.3])
    obs = x[[0, 2]].mean() - x.drop([0, 2]).mean()
    diffs = [x[list(c)].mean() - x.drop(list(c)).mean() for c in itertools.combinations(x.index, 2)]
    expected = sum(abs(d) >= abs(obs) - 1e-12 for d in diffs) / len(diffs)
    assert permutation_test(x, [0, 2])["p_value"] == pytest.approx(expected)


def test_monte_carlo_p_has_the_plus_one_correction_and_a_seed():
    scores = pd.Series(np.arange(40, dtype=float))
    top = list(range(35, 40))  # the five highest of 40: C(40, 5) splits, far more than n
    r = permutation_test(scores, top, n=999, seed=1)
    assert r["method"] == "monte carlo" and r["n_permutations"] == 999
    # No relabelling of 999 beats the most extreme split: p = (1 + 0) / (1 + 999).
    assert r["p_value"] == pytest.approx(1 / 1000)
    # Same seed, same p-value; a p-value is a multiple of 1 / (1 + n).
    mixed = top[:2] + [0, 10, 20]
    p1, p2 = (permutation_test(scores, mixed, n=500, seed=3)["p_value"] for _ in range(2))
    assert p1 == p2 and (p1 * 501) == pytest.approx(round(p1 * 501))


def test_cohens_d_and_common_language_by_formula():
    a, b = [2.0, 4.0, 9.0], [1.0, 2.0, 3.0, 6.0]
    scores = pd.Series(a + b)
    r = permutation_test(scores, [0, 1, 2])
    # sd^2: a mean 5, ss = 9 + 1 + 16 = 26, var 13; b mean 3, ss = 4 + 1 + 0 + 9 = 14, var 14/3.
    pooled = math.sqrt((2 * 13 + 3 * 14 / 3) / 5)
    assert r["cohens_d"] == pytest.approx((5 - 3) / pooled)
    # Pairs a > b: 2 > 1 (1, and 2 = 2 a tie: 0.5); 4 > 1, 2, 3 (3); 9 > all 4 (4): 8.5 of 12.
    assert r["common_language"] == pytest.approx(8.5 / 12)
    assert r["rank_biserial"] == pytest.approx(2 * 8.5 / 12 - 1)


def test_permutation_refuses_small_groups_and_unknown_members_and_drops_missing():
    with pytest.raises(UsageError, match="at least 2"):
        permutation_test(SIX, ["a"])
    with pytest.raises(UsageError, match="at least 2"):
        permutation_test(SIX, list("abcde"))
    with pytest.raises(UsageError, match="not among"):
        permutation_test(SIX, ["a", "z"])
    with_gap = SIX.copy()
    with_gap["c"] = np.nan
    r = permutation_test(with_gap, ["a", "c", "d"])  # c is missing: a group of 2 left
    assert (r["n_group"], r["n_other"], r["n_missing"]) == (2, 3, 1)
    with pytest.raises(UsageError, match="group 1"):
        permutation_test(with_gap, ["a", "c"])
    # A boolean mask works like labels.
    mask = pd.Series([True, True, False, False, False, True], index=SIX.index)
    assert permutation_test(SIX, mask)["p_value"] == pytest.approx(0.7)


def test_detectable_difference_normal_approximation():
    # (1.959964 + 0.841621) * sqrt(1/5 + 1/58)
    assert detectable_difference(5, 58) == pytest.approx(2.801585 * math.sqrt(0.2 + 1 / 58))


def test_correlations_of_small_vectors_by_hand():
    index = pd.DataFrame({"overall": [1.0, 2, 3, 4], "1": [4.0, 3, 2, 1]}, index=list("wxyz"))
    others = pd.DataFrame({"pci": [1.0, 3, 2, 4]}, index=list("wxyz"))
    out = correlations(index, others).set_index("score")
    # Deviations (-1.5, -0.5, 0.5, 1.5) and (-1.5, 0.5, -0.5, 1.5): 4 / 5 = 0.8.
    assert out.loc["overall", "pearson"] == pytest.approx(0.8)
    assert out.loc["overall", "spearman"] == pytest.approx(0.8)
    assert out.loc["1", "pearson"] == pytest.approx(-0.8)
    # Fisher z interval: tanh(atanh(0.8) +- 1.96 / sqrt(1)).
    assert out.loc["overall", "pearson_high"] == pytest.approx(
        math.tanh(math.atanh(0.8) + 1.959964), rel=1e-5
    )
    assert (out["n"] == 4).all()


def test_correlations_monotone_but_not_linear_and_alignment():
    index = pd.Series([1.0, 2, 3], index=["a", "b", "c"], name="overall")
    cube = pd.Series([27.0, 1, 8], index=["c", "a", "b"], name="cube")  # other order
    out = correlations(index, cube).iloc[0]
    # x deviations (-1, 0, 1), y = (1, 8, 27) deviations (-11, -4, 15): 26 / sqrt(2 * 362).
    assert out["pearson"] == pytest.approx(26 / math.sqrt(724))
    assert out["spearman"] == pytest.approx(1.0)
    short = correlations(index, pd.Series([1.0, 2], index=["a", "b"], name="m")).iloc[0]
    assert short["n"] == 2 and math.isnan(short["pearson"])


def test_income_share_is_one_for_a_perfect_log_relation_and_r_squared_otherwise():
    income = pd.Series([1000.0, 2000, 4000, 8000, 16000])
    assert income_share(5 - 3 * np.log(income), income) == pytest.approx(1.0)
    # log income exactly 1..4, index (1, 3, 2, 4): r = 0.8, R^2 = 0.64.
    assert income_share(pd.Series([1.0, 3, 2, 4]), pd.Series(np.exp([1.0, 2, 3, 4]))) == (
        pytest.approx(0.64)
    )
    with pytest.raises(UsageError, match="positive"):
        income_share(pd.Series([1.0, 2, 3]), pd.Series([1.0, 0.0, 2.0]))


def test_rank_stability_adjacent_years_on_common_units():
    by_year = {
        2016: pd.Series([3.0, 2, 1], index=list("abc")),
        2014: pd.Series([1.0, 2, 3, 4], index=list("abcd")),
        2015: pd.Series([1.0, 2, 4, 3], index=list("abcd")),
    }
    out = rank_stability(by_year)
    assert out[["year_from", "year_to"]].values.tolist() == [[2014, 2015], [2015, 2016]]
    # 2014/15: rank differences (0, 0, 1, 1): 1 - 6 * 2 / (4 * 15) = 0.8.
    assert out["spearman"].tolist() == pytest.approx([0.8, -1.0])
    assert out["n"].tolist() == [4, 3]


def test_scores_by_year_uses_only_indicators_common_to_every_year():
    meta = pd.DataFrame(
        {
            "focus_area": ["1.1", "1.1", "1.2"],
            "area": ["1", "1", "1"],
            "direction": [1, 1, 1],
            "weight": [1.0, 1.0, 1.0],
        },
        index=["p", "q", "r"],
    )
    units = list("abcd")
    wide = {
        2015: pd.DataFrame({"p": [1.0, 2, 3, 4], "q": [4.0, 3, 2, 1], "r": [np.nan] * 4}, units),
        2016: pd.DataFrame({"p": [2.0, 1, 3, 4], "q": [4.0, 3, 1, 2], "r": [1.0, 2, 3, 4]}, units),
    }
    table = scores_by_year(wide, meta, {"normalise": {"method": "minmax"}})
    assert table.attrs["indicators"] == ["p", "q"]
    assert list(table.columns) == [2015, 2016] and list(table.index) == units
    with pytest.raises(UsageError, match="no indicator"):
        scores_by_year({2016: wide[2016][["r"]].assign(r=np.nan)}, meta, {})
