"""Aggregators against values worked out by hand, missing data, thresholds, zeros."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from learningcity.index import IndexInputError, aggregate

STRUCT = {"a": "g", "b": "g", "c": "g"}
W = {"a": 2.0, "b": 1.0, "c": 1.0}


@pytest.fixture
def table() -> pd.DataFrame:
    # B has no value for b: its weight is dropped and the rest rescaled.
    return pd.DataFrame({"a": [1.0, 2.0], "b": [4.0, np.nan], "c": [16.0, 8.0]}, index=["A", "B"])


def test_arithmetic(table):
    out = aggregate(table, STRUCT, weights=W)
    # A: (2*1 + 4 + 16) / 4 = 5.5 ; B: (2*2 + 8) / 3 = 4
    assert out["g"].tolist() == [5.5, 4.0]


def test_geometric(table):
    out = aggregate(table, STRUCT, weights=W, method="geometric")
    # A: (1^2 * 4 * 16)^(1/4) = 2^(6/4) ; B: (2^2 * 8)^(1/3) = 2^(5/3)
    assert out["g"].tolist() == pytest.approx([2**1.5, 2 ** (5 / 3)])


def test_harmonic(table):
    out = aggregate(table, STRUCT, weights=W, method="harmonic")
    # A: 4 / (2/1 + 1/4 + 1/16) = 4 / 2.3125 ; B: 3 / (2/2 + 1/8) = 3 / 1.125
    assert out["g"].tolist() == pytest.approx([4 / 2.3125, 3 / 1.125])


def test_generalised_mean(table):
    out = aggregate(table, STRUCT, weights=W, method="genmean", p=2)
    # A: sqrt((2*1 + 16 + 256) / 4) = sqrt(68.5)
    assert out.loc["A", "g"] == pytest.approx(math.sqrt(68.5))
    # p = 1 and p = -1 are the arithmetic and harmonic means
    assert aggregate(table, STRUCT, weights=W, method="genmean", p=1)["g"].tolist() == [5.5, 4.0]
    harm = aggregate(table, STRUCT, weights=W, method="genmean", p=-1)["g"]
    assert harm.tolist() == pytest.approx([4 / 2.3125, 3 / 1.125])


def test_availability_threshold(table):
    # B has 2 of 3 children (0.667): kept at 0.6, missing at 0.7
    assert aggregate(table, STRUCT, threshold=0.6)["g"].notna().all()
    out = aggregate(table, STRUCT, threshold=0.7)
    assert out.loc["A", "g"] == pytest.approx(7.0)  # (1 + 4 + 16) / 3
    assert np.isnan(out.loc["B", "g"])


def test_all_missing_gives_missing():
    t = pd.DataFrame({"a": [np.nan], "b": [np.nan]})
    assert aggregate(t, {"a": "g", "b": "g"})["g"].isna().all()


def test_several_parents_in_order_of_appearance():
    t = pd.DataFrame({"a": [1.0], "b": [3.0], "c": [10.0]})
    out = aggregate(t, {"c": "h", "a": "g", "b": "g"})
    assert list(out.columns) == ["h", "g"]
    assert out.iloc[0].tolist() == [10.0, 2.0]


class TestZeroPolicy:
    t = pd.DataFrame({"a": [0.0, 1.0], "b": [4.0, 4.0]}, index=["A", "B"])
    s = {"a": "g", "b": "g"}

    def test_error_names_unit_and_column(self):
        with pytest.raises(IndexInputError, match=r"row 'A', column 'a' is 0"):
            aggregate(self.t, self.s, method="geometric")

    def test_shift(self):
        out = aggregate(self.t, self.s, method="geometric", zero_policy="shift", shift=1.0)
        # A: sqrt(1 * 5) - 1 ; B: sqrt(2 * 5) - 1
        assert out["g"].tolist() == pytest.approx([math.sqrt(5) - 1, math.sqrt(10) - 1])

    def test_zero_is_the_limit(self):
        out = aggregate(self.t, self.s, method="geometric", zero_policy="zero")
        assert out["g"].tolist() == [0.0, 2.0]
        out = aggregate(self.t, self.s, method="harmonic", zero_policy="zero")
        # B: 2 / (1/1 + 1/4) = 1.6
        assert out["g"].tolist() == pytest.approx([0.0, 1.6])

    def test_skip_treats_zero_as_missing(self):
        out = aggregate(self.t, self.s, method="geometric", zero_policy="skip")
        assert out["g"].tolist() == [4.0, 2.0]

    def test_negative_is_always_an_error(self):
        neg = pd.DataFrame({"a": [-1.0], "b": [2.0]}, index=["A"])
        with pytest.raises(IndexInputError, match="negative"):
            aggregate(neg, self.s, method="geometric", zero_policy="shift")

    def test_arithmetic_is_fine_with_zero(self):
        assert aggregate(self.t, self.s)["g"].tolist() == [2.0, 2.5]


def test_copeland():
    # X: 3,1,2  Y: 2,2,2  Z: 1,3,1, equal weights.
    # O(X,Y) = 1/3 + 1/2 * 1/3 = 1/2 -> 0 ; O(X,Z) = 2/3 -> +1 ; O(Y,Z) = 2/3 -> +1
    # Copeland: X = 0 + 1 = 1 ; Y = 0 + 1 = 1 ; Z = -1 - 1 = -2
    t = pd.DataFrame(
        {"i1": [3.0, 2.0, 1.0], "i2": [1.0, 2.0, 3.0], "i3": [2.0, 2.0, 1.0]},
        index=["X", "Y", "Z"],
    )
    out = aggregate(t, dict.fromkeys(t.columns, "g"), method="copeland")
    assert out["g"].tolist() == [1.0, 1.0, -2.0]


def test_mazziotta_pareto_penalises_unbalance():
    # a = 1, 2, 3 ; b = 3, 2, 1. Population sd sqrt(2/3): z = 100 -/+ 10/sqrt(2/3).
    # P: M = 100, S = 10/sqrt(2/3) -> MPI = 100 - S^2/100 = 100 - 150/100 = 98.5
    # Q: z = (100, 100) -> 100 ; R mirrors P -> 98.5
    t = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0]}, index=["P", "Q", "R"])
    out = aggregate(t, {"a": "g", "b": "g"}, method="mpi")
    assert out["g"].tolist() == pytest.approx([98.5, 100.0, 98.5])


def test_bad_method_and_policy():
    t = pd.DataFrame({"a": [1.0]})
    with pytest.raises(IndexInputError, match="unknown method"):
        aggregate(t, {"a": "g"}, method="median")
    with pytest.raises(IndexInputError, match="zero_policy"):
        aggregate(t, {"a": "g"}, zero_policy="ignore")
