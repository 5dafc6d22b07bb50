"""Property tests (hypothesis) of the engine's behaviour."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from learningcity.index import build_index, normalise

# Few examples: each build runs the whole pipeline, and the area must stay fast.
FAST = settings(max_examples=15, deadline=None)

# Six indicators in three focus areas and two areas.
META = pd.DataFrame(
    {
        "focus_area": ["1.1", "1.1", "1.2", "1.2", "2.1", "2.1"],
        "area": ["1", "1", "1", "1", "2", "2"],
        "direction": [1, 1, 1, 1, 1, 1],
        "goalpost_low": [0.0] * 6,
        "goalpost_high": [100.0] * 6,
    },
    index=[f"i{k}" for k in range(6)],
)
values = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)
tables = st.integers(min_value=3, max_value=8).flatmap(
    lambda n: arrays("float64", (n, 6), elements=values)
)

SPECS = [
    {"treat": {"method": "none"}},
    {
        "treat": {"method": "none"},
        "normalise": {"method": "goalposts"},
        "aggregate": {
            "area": {"method": "geometric", "zero_policy": "shift"},
            "overall": {"method": "geometric", "zero_policy": "shift"},
        },
    },
    {"treat": {"method": "none"}, "normalise": {"method": "prank"}},
]


def frame(arr: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(arr, index=[f"{i:02d}" for i in range(len(arr))], columns=META.index)


def overall(res) -> pd.Series:
    return res.levels["overall"]["overall"]


@FAST
@given(
    tables,
    st.integers(0, 7),
    st.integers(0, 5),
    st.floats(0.001, 50.0),
    st.sampled_from(range(len(SPECS))),
)
def test_raising_a_positive_indicator_never_lowers_its_units_score(arr, u, j, delta, k):
    u = u % len(arr)
    before = overall(build_index(frame(arr), META, SPECS[k])).iloc[u]
    raised = arr.copy()
    raised[u, j] += delta
    after = overall(build_index(frame(raised), META, SPECS[k])).iloc[u]
    # A column with no spread has no min-max score (NaN, by design); when every
    # column is flat there is no score to compare.
    assume(not np.isnan(before) and not np.isnan(after))
    assert after >= before - 1e-9


@FAST
@given(tables)
def test_flipping_every_direction_reverses_the_ranking(arr):
    spec = {"treat": {"method": "none"}}
    res = build_index(frame(arr), META, spec)
    s = overall(res)
    assume(s.notna().all() and s.round(9).is_unique)
    flipped = build_index(frame(arr), META.assign(direction=-1), spec)
    r1 = s.rank(ascending=False)
    r2 = overall(flipped).rank(ascending=False)
    assert (r1 + r2 == len(s) + 1).all()


@FAST
@given(tables, st.randoms(use_true_random=False))
def test_unit_order_does_not_matter(arr, rnd):
    df = frame(arr)
    df.iloc[0, 0] = np.nan  # also exercise imputation and treatment
    order = list(df.index)
    rnd.shuffle(order)
    spec = {"impute": {"method": "mean"}}
    a = build_index(df, META, spec).scores.set_index(["unit_code", "level", "code"])
    b = build_index(df.loc[order], META, spec).scores.set_index(["unit_code", "level", "code"])
    pd.testing.assert_frame_equal(a.sort_index(), b.sort_index(), rtol=1e-9)


@FAST
@given(
    arrays("float64", st.integers(3, 10), elements=st.floats(-1e3, 1e3)),
    st.floats(0.01, 1e3),
    st.floats(-1e3, 1e3),
    st.sampled_from(["minmax", "zscore"]),
)
def test_minmax_and_zscore_ignore_positive_linear_rescaling(x, a, b, method):
    assume(np.ptp(x) > 1e-3)
    base = normalise(pd.DataFrame({"x": x}), method)["x"]
    scaled = normalise(pd.DataFrame({"x": a * x + b}), method)["x"]
    np.testing.assert_allclose(scaled, base, rtol=1e-6, atol=1e-6)
