"""The uncertainty space: normalisers with parameters, a tied aggregator, weight
noise per level, and the zero policies of the geometric mean (issue 14).

Every expected value is worked out by hand in the comments.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learningcity.errors import UsageError
from learningcity.index import build_index
from learningcity.index.aggregate import aggregate
from learningcity.index.spec import AggregateSpec
from learningcity.uncertainty import (
    Normaliser,
    ParameterSpace,
    RankModel,
    SpaceError,
    _aggregate_block,
    uncertainty_analysis,
)

NO_TREAT = {"treat": {"method": "none"}}
MM_1_100 = {"method": "minmax", "l_u": [1, 100]}
Z_10_2 = {"method": "zscore", "m_sd": [10, 2]}


def one_area_two_fas():
    """Three units; a in focus area 1.1, b in 1.2, both in area 1 (the only area).

    a = 0, 5, 10 -> min-max 1-100: 1, 50.5, 100; z (mean 5, sd 5): -1, 0, 1 -> 10 + 2z: 8, 10, 12
    b = 2, 8, 5  -> min-max 1-100: 1, 100, 50.5; z (mean 5, sd 3): -1, 1, 0 -> 8, 12, 10
    """
    meta = pd.DataFrame({"focus_area": ["1.1", "1.2"], "area": ["1", "1"]}, index=["a", "b"])
    data = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [2.0, 8.0, 5.0]}, index=["u1", "u2", "u3"])
    return data, meta


def two_areas():
    """Three units; a, b in focus area 1.1 (area 1), c in 2.1 (area 2).

    Min-max to 1-100 (x / 3 * 99 + 1 for values 0..3):
    a = 0, 1, 3 -> 1, 34, 100 ; b = 3, 1, 0 -> 100, 34, 1 ; c = 1, 0, 3 -> 34, 1, 100.
    """
    meta = pd.DataFrame(
        {"focus_area": ["1.1", "1.1", "2.1"], "area": ["1", "1", "2"]}, index=["a", "b", "c"]
    )
    data = pd.DataFrame(
        {"a": [0.0, 1.0, 3.0], "b": [3.0, 1.0, 0.0], "c": [1.0, 0.0, 3.0]},
        index=["u1", "u2", "u3"],
    )
    return data, meta


# -- (a) normalisers with their own parameters -----------------------------------


def test_normalisers_with_parameters_are_two_alternatives_of_one_factor():
    data, meta = one_area_two_fas()
    space = ParameterSpace(normalisers=(MM_1_100, Z_10_2))
    model = RankModel(data, meta, space, NO_TREAT)
    assert [f.name for f in model.factors] == ["normaliser"]
    assert model.factors[0].options == ("minmax(1-100)", "zscore(mean 10, sd 2)")
    # the normalised tables (units x a, b), from the docstring of one_area_two_fas
    np.testing.assert_allclose(model.tables[0], [[1, 1], [50.5, 100], [100, 50.5]])
    np.testing.assert_allclose(model.tables[1], [[8, 8], [10, 12], [12, 10]])
    # overall = area = mean of the two focus areas (one indicator each)
    out = model.evaluate(np.array([[0.2], [0.7]]))["overall"][:, :, 0]
    np.testing.assert_allclose(out[0], [1.0, 75.25, 75.25])  # (1+1)/2, (50.5+100)/2, ...
    np.testing.assert_allclose(out[1], [8.0, 11.0, 11.0])  # (8+8)/2, (10+12)/2, (12+10)/2


def test_zscore_with_a_mean_and_sd_allows_a_geometric_mean():
    # Plain z-scores are negative and refused before the run; 10 + 2z is not.
    data, meta = one_area_two_fas()
    with pytest.raises(SpaceError, match="'zscore' gives negative values"):
        RankModel(data, meta, ParameterSpace(normalisers=("zscore",),
                  aggregators={"area": ("geometric",)}), NO_TREAT)  # fmt: skip
    space = ParameterSpace(normalisers=(Z_10_2,), aggregators={"area": ("geometric",)})
    out = RankModel(data, meta, space, NO_TREAT).evaluate(np.empty((1, 0)))
    # sqrt(8 * 8) = 8 ; sqrt(10 * 12) = sqrt(120) ; sqrt(12 * 10) = sqrt(120)
    np.testing.assert_allclose(out["area"][0, :, 0], [8.0, math.sqrt(120), math.sqrt(120)])


def test_results_name_each_alternative_by_its_label():
    data, meta = one_area_two_fas()
    res = uncertainty_analysis(data, meta, {"normalisers": [MM_1_100, "rank"]}, NO_TREAT, n=40)
    assert set(res.samples()["normaliser"]) == {"minmax(1-100)", "rank"}


@pytest.mark.parametrize(
    "value, label",
    [
        ({"method": "minmax", "l_u": [1, 100]}, "minmax(1-100)"),
        ({"method": "minmax", "l_u": [-1, 1]}, "minmax(-1 to 1)"),
        ({"method": "minmax", "l_u": [0.5, 2.5]}, "minmax(0.5-2.5)"),
        ({"method": "zscore", "m_sd": [10, 2]}, "zscore(mean 10, sd 2)"),
        ({"method": "goalposts", "truncate": False, "scale": 10},
         "goalposts(scale 10, truncate false)"),
        ({"method": "dist2ref", "reference": "01"}, "dist2ref(reference 01)"),
    ],
)  # fmt: skip
def test_labels_are_readable(value, label):
    assert Normaliser.from_value(value).label == label


def test_a_plain_mapping_is_the_name_and_the_yaml_round_trips():
    text = (
        "normalisers:\n"
        "  - {method: minmax, l_u: [1, 100]}\n"
        "  - {method: zscore, m_sd: [10, 2]}\n"
        "  - {method: rank}\n"
        "  - prank\n"
    )
    space = ParameterSpace.from_yaml(text)
    assert space.normalisers == (
        Normaliser("minmax", (("l_u", (1.0, 100.0)),)),
        Normaliser("zscore", (("m_sd", (10.0, 2.0)),)),
        "rank",
        "prank",
    )
    assert space.to_dict()["normalisers"] == [MM_1_100, Z_10_2, "rank", "prank"]
    assert ParameterSpace.from_dict(space.to_dict()) == space


@pytest.mark.parametrize(
    "entry, words",
    [
        ({"method": "minmax", "l_u": [100, 1]},
         "normalisers[0] ({method: 'minmax', l_u: [100, 1]}): l_u: expected two numbers "
         "[low, high] with low < high, got a list [100, 1]"),
        ({"method": "minmax", "l_u": [1, 2, 3]}, "l_u: expected two numbers [low, high]"),
        ({"method": "minmax", "l_u": "1-100"}, "l_u: expected two numbers [low, high]"),
        ({"method": "zscore", "m_sd": [10, 0]},
         "m_sd: expected two numbers [mean, sd] with sd > 0, got a list [10, 0]"),
        ({"method": "zscore", "l_u": [1, 100]}, "zscore has no parameter 'l_u' (it takes m_sd)"),
        ({"method": "rank", "scale": 10}, "rank has no parameter 'scale' (it takes none)"),
        ({"method": "prank", "scale": -1}, "scale: expected a number > 0, got the number -1"),
        ({"method": "goalposts", "truncate": "no"}, "truncate: expected true or false"),
        ({"method": "maxmin"}, "'method' must be one of minmax, zscore"),
        ({"l_u": [1, 100]}, "'method' must be one of minmax"),
        (3, "normalisers[0]: expected a name, got the number 3; an alternative with "
            "parameters is a mapping {method: ..., parameter: value}"),
    ],
)  # fmt: skip
def test_bad_parameters_name_the_factor_the_alternative_and_what_was_expected(entry, words):
    with pytest.raises(SpaceError) as err:
        ParameterSpace(normalisers=(entry, "rank"))
    assert words in str(err.value)


def test_two_alternatives_with_one_label_are_refused():
    with pytest.raises(SpaceError, match=r"listed more than once: minmax\(1-100\)"):
        ParameterSpace(normalisers=(MM_1_100, {"method": "minmax", "l_u": [1.0, 100.0]}))
    with pytest.raises(SpaceError, match="listed more than once: minmax"):
        ParameterSpace(normalisers=("minmax", {"method": "minmax"}))


# -- (b) one aggregator tied across the levels -----------------------------------

# two_areas() normalised to 1-100, equal weights:
#   arithmetic everywhere: 1.1 = (1+100)/2, 34, (100+1)/2 = 50.5, 34, 50.5 ; 2.1 = c = 34, 1, 100
#     overall = (50.5+34)/2, (34+1)/2, (50.5+100)/2 = 42.25, 17.5, 75.25
#   geometric everywhere: 1.1 = sqrt(1*100), sqrt(34*34), sqrt(100*1) = 10, 34, 10
#     overall = sqrt(10*34), sqrt(34*1), sqrt(10*100)
#   (mixed, e.g. geometric focus areas under an arithmetic overall: (10+34)/2 = 22 for u1)
ARITH = [42.25, 17.5, 75.25]
GEOM = [math.sqrt(340), math.sqrt(34), math.sqrt(1000)]


def test_a_tied_aggregator_picks_the_same_method_for_every_level():
    data, meta = two_areas()
    space = {"normalisers": [MM_1_100], "aggregators": {"all": ["arithmetic", "geometric"]}}
    res = uncertainty_analysis(data, meta, space, NO_TREAT, n=60, seed=3)
    assert [f.name for f in res.factors] == ["aggregator"]
    overall = res.scores["overall"][:, :, 0]
    geo = (res.samples()["aggregator"] == "geometric").to_numpy()
    assert 0 < geo.sum() < 60
    np.testing.assert_allclose(overall[~geo], np.broadcast_to(ARITH, overall[~geo].shape))
    np.testing.assert_allclose(overall[geo], np.broadcast_to(GEOM, overall[geo].shape))


def test_tied_and_per_level_aggregators_together_are_refused():
    with pytest.raises(SpaceError, match="'all' ties every level to one choice; give it alone"):
        ParameterSpace(aggregators={"all": ["arithmetic", "geometric"], "area": ["geometric"]})
    # Level names are the spec's, so an unknown one is refused when the model is built.
    data, meta = two_areas()
    space = ParameterSpace(aggregators={"region": ["geometric"]})
    with pytest.raises(SpaceError, match="unknown level 'region' .the levels are focus_area"):
        RankModel(data, meta, space, NO_TREAT)


# -- (c) weight noise per level --------------------------------------------------


def test_noise_per_level_moves_only_the_weights_of_that_level():
    data, meta = two_areas()
    space = ParameterSpace(weight_noise={"area": 0.5}, n_weight_sets=20)
    model = RankModel(data, meta, space, NO_TREAT, seed=4)
    sets = model.weight_sets  # columns: 3 indicators, 2 focus areas, 2 areas
    assert np.all(sets[:, :5] == 1.0)
    assert np.all((sets[:, 5:] >= 0.5) & (sets[:, 5:] <= 1.5)) and sets[:, 5:].std() > 0
    u = np.linspace(0, 0.99, 20)[:, None]
    out = model.evaluate(u)
    # Focus areas and areas keep their plain min-max (0-100) means: a = 0, 33.3, 100 ;
    # b = 100, 33.3, 0 -> 1.1 = 50, 33.3, 50 ; c = 33.3, 0, 100.
    np.testing.assert_allclose(out["area"][:, :, 0], np.broadcast_to([50, 100 / 3, 50], (20, 3)))
    # overall = (w1 * area1 + w2 * area2) / (w1 + w2), w the area weights of the set taken
    w = sets[model.choices(u)["weights"]][:, 5:]
    area = np.array([[50, 100 / 3, 50], [100 / 3, 0, 100]])  # areas x units
    expected = (w @ area) / w.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out["overall"][:, :, 0], expected)


def test_one_number_and_the_same_number_per_level_give_the_same_runs():
    data, meta = two_areas()
    one = uncertainty_analysis(data, meta, {"weight_noise": 0.3}, NO_TREAT, n=50, seed=9)
    per = {"weight_noise": {"indicator": 0.3, "focus_area": 0.3, "area": 0.3}}
    each = uncertainty_analysis(data, meta, per, NO_TREAT, n=50, seed=9)
    np.testing.assert_array_equal(one.scores["overall"], each.scores["overall"])


def test_noise_per_level_is_checked_and_zero_everywhere_has_no_factor():
    with pytest.raises(SpaceError) as err:
        ParameterSpace(weight_noise={"overall": 0.1, "indicator": 1.2, "area": "x"})
    text = str(err.value)
    assert "'overall' is not a level of weights" in text
    assert "weight_noise.indicator: 1.2 is outside [0, 1)" in text
    assert "weight_noise.area: expected a number in [0, 1), got 'x'" in text
    data, meta = two_areas()
    model = RankModel(data, meta, ParameterSpace(weight_noise={"indicator": 0}), NO_TREAT)
    assert model.factors == [] and model.weight_sets is None
    space = ParameterSpace.from_yaml("weight_noise: {indicator: 0.25, focus_area: 0.1, area: 0}")
    assert [space.noise(lv) for lv in ("indicator", "focus_area", "area")] == [0.25, 0.1, 0.0]
    # A name that is not one of the run's levels is refused with the model.
    with pytest.raises(SpaceError, match="unknown level of weights 'pillar'"):
        RankModel(data, meta, ParameterSpace(weight_noise={"pillar": 0.1}), NO_TREAT)
    assert ParameterSpace.from_dict(space.to_dict()) == space


# -- (d) zero policies -----------------------------------------------------------


def test_zero_policy_error_names_the_level_the_group_and_the_unit():
    # min-max 0-100 of two_areas: u1 has a = 0, b = 100 -> focus area 1.1 = 50 (no zero);
    # c = 33.3, 0, 100: u2's focus area 2.1, and so its area 2, is 0.
    data, meta = two_areas()
    space = {"aggregators": {"overall": ["geometric"]}, "zero_policy": "error"}
    with pytest.raises(UsageError) as err:
        uncertainty_analysis(data, meta, space, NO_TREAT, n=5)
    text = str(err.value)
    for part in ("geometric mean of level 'overall'", "group 'overall'", "unit 'u2'",
                 "child '2'", "is 0 (zero_policy 'error')", "l_u: [1, 100]"):  # fmt: skip
        assert part in text, text
    # at the focus areas the children are indicators: u1's a is 0
    space = {"aggregators": {"focus_area": ["geometric"]}, "zero_policy": "error"}
    with pytest.raises(UsageError, match="level 'focus_area', group '1.1', unit 'u1'.*child 'a'"):
        uncertainty_analysis(data, meta, space, NO_TREAT, n=5)


def test_zero_policy_error_stops_only_replications_that_take_that_mean():
    data, meta = two_areas()
    space = {"normalisers": [MM_1_100], "aggregators": {"overall": ["arithmetic", "geometric"]},
             "zero_policy": "error"}  # fmt: skip
    res = uncertainty_analysis(data, meta, space, NO_TREAT, n=30)  # no 0 on 1-100: it runs
    # areas: 1.1 = 50.5, 34, 50.5 ; 2.1 = 34, 1, 100 -> geometric sqrt(50.5*34), ...
    geo = (res.samples()["aggregator.overall"] == "geometric").to_numpy()
    expected = [math.sqrt(50.5 * 34), math.sqrt(34 * 1), math.sqrt(50.5 * 100)]
    np.testing.assert_allclose(res.scores["overall"][geo, :, 0][0], expected)


def test_shift_leaves_a_block_without_zero_alone_and_shifts_one_with_a_zero():
    # min-max 0-100 of two_areas: area 1 = 1.1 = 50, 33.3, 50 (no zero); area 2 = 33.3, 0, 100.
    data, meta = two_areas()
    space = {"aggregators": {"overall": ["geometric"]}}  # zero_policy shift (1), the default
    out = uncertainty_analysis(data, meta, space, NO_TREAT, n=1).scores["overall"][0, :, 0]
    # area 2 of u2 is 0, so every unit of the overall block is shifted by 1:
    # sqrt(51 * 34.33) - 1, sqrt(34.33 * 1) - 1, sqrt(51 * 101) - 1
    third = 100 / 3
    expected = [math.sqrt(51 * (third + 1)) - 1, math.sqrt(third + 1) - 1, math.sqrt(51 * 101) - 1]
    np.testing.assert_allclose(out, expected)
    # the area level (one focus area each) has no 0 in area 1 and 2.1 is area 2's only child
    space = {"aggregators": {"area": ["geometric"]}}
    area = uncertainty_analysis(data, meta, space, NO_TREAT, n=1).scores["area"][0]
    np.testing.assert_allclose(area[:, 0], [50, third, 50])  # a single child: itself
    np.testing.assert_allclose(area[:, 1], [third, 0, 100])  # shifted and back: the same


def test_engine_shift_without_zero_is_the_plain_mean():
    t = pd.DataFrame({"a": [1.0, 2.0], "b": [4.0, 8.0]}, index=["A", "B"])
    s = {"a": "g", "b": "g"}
    # sqrt(1*4) = 2, sqrt(2*8) = 4 ; harmonic 2 / (1/1 + 1/4) = 1.6, 2 / (1/2 + 1/8) = 3.2
    geo = aggregate(t, s, method="geometric", zero_policy="shift")["g"]
    assert geo.tolist() == pytest.approx([2.0, 4.0])
    har = aggregate(t, s, method="harmonic", zero_policy="shift")["g"]
    assert har.tolist() == pytest.approx([1.6, 3.2])


def test_engine_child_with_weight_zero_takes_no_part_in_the_zero_policy():
    # a has weight 0 and a 0 for A: the mean is that of b and c, unshifted:
    # sqrt(1*4) = 2, sqrt(4*9) = 6 (shifted it would be sqrt(2*5) - 1 = 2.16...)
    t = pd.DataFrame({"a": [0.0, 1.0], "b": [1.0, 4.0], "c": [4.0, 9.0]}, index=["A", "B"])
    s = dict.fromkeys("abc", "g")
    w = {"a": 0.0, "b": 1.0, "c": 1.0}
    for policy in ("shift", "zero", "skip"):
        out = aggregate(t, s, weights=w, method="geometric", zero_policy=policy)["g"]
        assert out.tolist() == pytest.approx([2.0, 6.0]), policy


def test_a_replication_of_the_spec_gives_the_engine_scores_with_shift():
    # The spec's geometric mean with shift, on data with a 0 in one block only.
    data, meta = two_areas()
    geo = {"method": "geometric", "zero_policy": "shift"}
    spec = {**NO_TREAT, "aggregate": {"area": geo, "overall": geo}}
    nominal = build_index(data, meta, spec).levels["overall"]
    out = RankModel(data, meta, ParameterSpace(), spec).evaluate(np.empty((1, 0)))
    np.testing.assert_allclose(out["overall"][0], nominal.to_numpy())


positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda k: st.tuples(
            st.lists(st.lists(positive, min_size=k, max_size=k), min_size=1, max_size=5),
            st.lists(st.floats(min_value=0.1, max_value=5.0), min_size=k, max_size=k),
        )
    )
)
def test_shift_equals_the_plain_geometric_mean_on_positive_data(case):
    rows, weights = case
    x = np.array(rows)
    w = np.array(weights)
    # exp(sum w log x / sum w), one unit at a time
    plain = [
        math.exp(math.fsum(wi * math.log(v) for wi, v in zip(w, r, strict=True)) / w.sum())
        for r in x
    ]
    cols = [f"c{j}" for j in range(x.shape[1])]
    t = pd.DataFrame(x, columns=cols)
    struct = dict.fromkeys(cols, "g")
    wmap = dict(zip(cols, w, strict=True))
    shifted = aggregate(t, struct, weights=wmap, method="geometric", zero_policy="shift")
    unshifted = aggregate(t, struct, weights=wmap, method="geometric", zero_policy="error")
    np.testing.assert_array_equal(shifted["g"].to_numpy(), unshifted["g"].to_numpy())
    np.testing.assert_allclose(shifted["g"].to_numpy(), plain, rtol=1e-12)
    # the Monte Carlo's block mean, on the same numbers (one replication)
    a_shift = AggregateSpec(method="geometric", zero_policy="shift")
    a_error = AggregateSpec(method="geometric", zero_policy="error")
    mc = _aggregate_block(x[None], w[None], a_shift)[0]
    np.testing.assert_array_equal(mc, _aggregate_block(x[None], w[None], a_error)[0])
    np.testing.assert_allclose(mc, plain, rtol=1e-12)
