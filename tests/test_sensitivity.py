"""Sobol sensitivity: the estimator against analytical indices, and on the index ranks."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from learningcity.sensitivity import (
    plot_sensitivity,
    saltelli_design,
    sensitivity_analysis,
    sobol_indices,
)
from learningcity.uncertainty import ParameterSpace, SpaceError

matplotlib.use("Agg")


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    z = -np.pi + 2 * np.pi * x  # inputs uniform on [-pi, pi]
    return np.sin(z[:, 0]) + a * np.sin(z[:, 1]) ** 2 + b * z[:, 2] ** 4 * np.sin(z[:, 0])


def test_ishigami_indices_match_the_analytical_values():
    a, b, pi = 7.0, 0.1, np.pi
    # Analytical partial variances of the Ishigami function (Sobol' & Levitan 1999).
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    expected_s1 = np.array([v1, v2, 0.0]) / v
    expected_st = np.array([v1 + v13, v2, v13]) / v
    np.testing.assert_allclose(expected_s1, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(expected_st, [0.5576, 0.4424, 0.2437], atol=1e-4)

    x = saltelli_design(3, 8192, seed=0)
    idx = sobol_indices(ishigami(x), 3, n_boot=200, seed=0)
    np.testing.assert_allclose(idx["S1"], expected_s1, atol=0.02)
    np.testing.assert_allclose(idx["ST"], expected_st, atol=0.02)
    # the 95 % bootstrap intervals cover the true values
    assert ((idx["S1_low"] <= expected_s1) & (expected_s1 <= idx["S1_high"])).all()
    assert ((idx["ST_low"] <= expected_st) & (expected_st <= idx["ST_high"])).all()


def test_additive_model_gives_variance_shares():
    # y = x1 + 2 x2 + 0 x3, x uniform: Var = 1/12 + 4/12, so S1 = ST = 0.2, 0.8, 0.
    x = saltelli_design(3, 1024, seed=3)
    y = x[:, 0] + 2 * x[:, 1]
    idx = sobol_indices(y, 3, factors=["x1", "x2", "dummy"], n_boot=0)
    np.testing.assert_allclose(idx["S1"], [0.2, 0.8, 0.0], atol=0.01)
    np.testing.assert_allclose(idx["ST"], [0.2, 0.8, 0.0], atol=0.01)
    # an input with no influence: f(AB_i) = f(A) exactly, so both are 0
    assert idx.set_index("factor").loc["dummy", ["S1", "ST"]].tolist() == [0.0, 0.0]


def test_design_layout_and_errors():
    x = saltelli_design(2, 5, seed=0)
    assert x.shape == (8 * 4, 2)  # n rounded up to 8
    a, b, ab2 = x[:8], x[8:16], x[24:32]
    assert (ab2[:, 1] == b[:, 1]).all() and (ab2[:, 0] == a[:, 0]).all()
    assert ((x >= 0) & (x < 1)).all()
    with pytest.raises(ValueError, match="not n \\* \\(d \\+ 2\\)"):
        sobol_indices(np.zeros(10), 2)
    with pytest.raises(ValueError, match="d must be"):
        saltelli_design(0, 8)


def test_constant_output_has_no_indices():
    x = saltelli_design(2, 64, seed=0)
    idx = sobol_indices(np.full(len(x), 3.0), 2, n_boot=10)
    assert idx[["S1", "ST"]].isna().all().all()


# -- on the index ----------------------------------------------------------------


def small_index():
    meta = pd.DataFrame(
        {"focus_area": ["1.1", "1.1", "2.1"], "area": ["1", "1", "2"]}, index=["a", "b", "c"]
    )
    data = pd.DataFrame(
        {"a": [0.0, 10.0, 4.0, 7.0], "b": [10.0, 0.0, 6.0, 2.0], "c": [3.0, 9.0, 0.0, 5.0]},
        index=["01", "02", "15", "132"],
    )
    return data, meta


def test_a_choice_without_influence_gets_zero_indices():
    # There is no missing value, so the imputation method cannot change anything;
    # dropping indicator b does move the ranks.
    data, meta = small_index()
    space = ParameterSpace(imputations=("none", "mean", "median"), drop=("b",))
    res = sensitivity_analysis(data, meta, space, {"treat": {"method": "none"}}, n=256, seed=1)
    shift = res.table()
    assert shift.loc["imputation", "S1"] == pytest.approx(0.0, abs=1e-12)
    assert shift.loc["imputation", "ST"] == pytest.approx(0.0, abs=1e-12)
    assert shift.loc["drop.b", "ST"] == pytest.approx(1.0, abs=0.1)
    assert shift.loc["drop.b", "S1"] == pytest.approx(1.0, abs=0.1)
    # Per unit.  Overall scores worked by hand (min-max, means): with b
    # 41.7, 75, 25, 50.3 and without b 16.7, 100, 20, 62.8 for 01, 02, 15, 132,
    # so 15 moves from 4th to 3rd when b is dropped and 132 stays 2nd.
    unit = res.table("15")
    assert unit.loc["imputation", "ST"] == pytest.approx(0.0, abs=1e-12)
    assert unit.loc["drop.b", "ST"] == pytest.approx(1.0, abs=0.1)
    assert res.outputs["15"].isin([3.0, 4.0]).all()
    assert res.table("132")[["S1", "ST"]].isna().all().all()  # never moves: no variance
    dom = res.dominant()
    assert "132" not in dom.index  # nothing to apportion
    assert (
        dom.loc["15", "factor"] == "drop.b" and dom.loc["mean_abs_rank_shift", "factor"] == "drop.b"
    )


def test_per_unit_outputs_and_seed(tmp_path):
    data, meta = small_index()
    space = ParameterSpace(weight_noise=0.5, normalisers=("minmax", "rank"))
    one = sensitivity_analysis(data, meta, space, n=64, seed=7, units=["15", "132"])
    two = sensitivity_analysis(data, meta, space, n=64, seed=7, units=["15", "132"])
    pd.testing.assert_frame_equal(one.indices, two.indices)
    assert list(one.outputs.columns) == ["mean_abs_rank_shift", "15", "132"]
    assert len(one.outputs) == 64 * (2 + 2)
    assert set(one.indices["factor"]) == {"weights", "normaliser"}
    with pytest.raises(ValueError, match="not in the data: 99"):
        sensitivity_analysis(data, meta, space, n=8, units=["99"])


def test_a_space_where_nothing_varies_is_an_error():
    data, meta = small_index()
    with pytest.raises(SpaceError, match="nothing varies"):
        sensitivity_analysis(data, meta, ParameterSpace(), n=8)


def test_sensitivity_figure():
    data, meta = small_index()
    space = ParameterSpace(weight_noise=0.5, drop=("b",))
    res = sensitivity_analysis(data, meta, space, n=32, seed=0, n_boot=20)
    fig = plot_sensitivity(res, "15", lang="vi", unit_name="Yên Bái")
    ax = fig.axes[0]
    assert "Yên Bái" in ax.get_title()
    assert {t.get_text() for t in ax.get_yticklabels()} == {"trọng số", "bỏ chỉ số b"}
    matplotlib.pyplot.close("all")
