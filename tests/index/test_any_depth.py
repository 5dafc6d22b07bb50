"""A hierarchy of any depth, its levels named by the spec (``levels: [...]``).

The worked example has 8 indicators in 4 sub-pillars in 2 pillars, then the
overall index; every expected number is worked out by hand in the comments.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learningcity.index import IndexSpec, SpecError, build_index
from learningcity.index._checks import IndexInputError
from learningcity.uncertainty import RankModel, SpaceError, uncertainty_analysis

DEEP = ["sub_pillar", "pillar", "overall"]


def deep_meta() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sub_pillar": ["S1", "S1", "S2", "S2", "S3", "S3", "S4", "S4"],
            "pillar": ["P1", "P1", "P1", "P1", "P2", "P2", "P2", "P2"],
            "direction": [1, 1, 1, 1, -1, 1, 1, 1],
            "weight": [3, 1, 1, 1, 1, 1, 1, 1],
        },
        index=list("abcdefgh"),
    )


def deep_data() -> pd.DataFrame:
    # min-max to [0, 100] over the three units gives (by hand):
    #   a [0, 5, 10]   -> 0, 50, 100        b [2, 4, 10]  -> 0, 25, 100
    #   c [10, 0, 5]   -> 100, 0, 50        d [1, 3, 5]   -> 0, 50, 100
    #   e [0, 10, 20], direction -1 -> 100, 50, 0
    #   f [5, 5, 10]   -> 0, 0, 100         g [0, 8, 2]   -> 0, 100, 25
    #   h [4, 0, 8]    -> 50, 0, 100
    return pd.DataFrame(
        {
            "a": [0.0, 5.0, 10.0],
            "b": [2.0, 4.0, 10.0],
            "c": [10.0, 0.0, 5.0],
            "d": [1.0, 3.0, 5.0],
            "e": [0.0, 10.0, 20.0],
            "f": [5.0, 5.0, 10.0],
            "g": [0.0, 8.0, 2.0],
            "h": [4.0, 0.0, 8.0],
        },
        index=["u1", "u2", "u3"],
    )


def deep_spec(**aggregate) -> dict:
    return {
        "levels": DEEP,
        "treat": {"method": "none"},
        "normalise": {"method": "minmax"},
        "weights": {"levels": {"sub_pillar": {"S1": 1, "S2": 3}, "pillar": {"P1": 2, "P2": 1}}},
        "aggregate": aggregate,
    }


# Sub-pillars (a weighs 3, b 1; the others equal):
#   S1 = (3a + b) / 4 : u1 0,  u2 (150 + 25) / 4 = 43.75,  u3 100
#   S2 = (c + d) / 2  : u1 50, u2 25,  u3 75
#   S3 = (e + f) / 2  : u1 50, u2 25,  u3 50
#   S4 = (g + h) / 2  : u1 25, u2 50,  u3 62.5
# Pillars (S1 weighs 1, S2 3; S3 and S4 equal):
#   P1 = (S1 + 3 S2) / 4 : u1 150/4 = 37.5, u2 118.75/4 = 29.6875, u3 325/4 = 81.25
#   P2 = (S3 + S4) / 2   : u1 37.5, u2 37.5, u3 56.25
# Overall (P1 weighs 2, P2 1):
#   (2 P1 + P2) / 3 : u1 112.5/3 = 37.5, u2 96.875/3 = 32.291666..., u3 218.75/3 = 72.916666...
SUB = {"S1": [0, 43.75, 100], "S2": [50, 25, 75], "S3": [50, 25, 50], "S4": [25, 50, 62.5]}
PILLAR = {"P1": [37.5, 29.6875, 81.25], "P2": [37.5, 37.5, 56.25]}
OVERALL = [37.5, 96.875 / 3, 218.75 / 3]


def test_four_levels_by_hand():
    res = build_index(deep_data(), deep_meta(), deep_spec())
    assert res.hierarchy == ("sub_pillar", "pillar", "overall")
    assert list(res.levels) == ["indicator", "sub_pillar", "pillar", "overall"]
    expected_sub = pd.DataFrame(SUB, index=["u1", "u2", "u3"], dtype="float64")
    pd.testing.assert_frame_equal(res.levels["sub_pillar"], expected_sub, check_names=False)
    expected_pillar = pd.DataFrame(PILLAR, index=["u1", "u2", "u3"], dtype="float64")
    pd.testing.assert_frame_equal(res.levels["pillar"], expected_pillar, check_names=False)
    np.testing.assert_allclose(res.levels["overall"]["overall"], OVERALL, rtol=1e-12)
    # the tidy table has one row per unit and code of every level, ranked
    sc = res.scores
    assert list(pd.unique(sc["level"])) == ["indicator", "sub_pillar", "pillar", "overall"]
    ranks = sc[sc["level"] == "overall"].set_index("unit_code")["rank"].to_dict()
    assert ranks == {"u1": 2, "u2": 3, "u3": 1}
    pillar_ranks = sc[(sc["level"] == "pillar") & (sc["code"] == "P2")]["rank"].tolist()
    assert pillar_ranks == [2, 2, 1]  # u1 and u2 tie at 37.5


def test_four_levels_weights_and_counts():
    res = build_index(deep_data(), deep_meta(), deep_spec())
    assert list(res.weights) == ["indicator", "sub_pillar", "pillar"]
    assert res.weights["sub_pillar"].to_dict() == {"S1": 0.25, "S2": 0.75, "S3": 0.5, "S4": 0.5}
    assert res.weights["pillar"].to_dict() == pytest.approx({"P1": 2 / 3, "P2": 1 / 3})
    eff = res.effective_weights
    assert list(eff.columns) == ["sub_pillar", "pillar", "overall"]
    # a: 3/4 of S1; S1 is 1/4 of P1; P1 is 2/3 of the index: 0.75, 0.1875, 0.125
    assert eff.loc["a"].tolist() == pytest.approx([0.75, 0.1875, 0.125])
    # e: 1/2 of S3, S3 1/2 of P2, P2 1/3 of the index: 0.5, 0.25, 1/12
    assert eff.loc["e"].tolist() == pytest.approx([0.5, 0.25, 1 / 12])
    assert eff["overall"].sum() == pytest.approx(1.0)
    # every unit has all 8 indicators: 2 per sub-pillar, 4 per pillar
    assert res.n_indicators("pillar").to_numpy().tolist() == [[4, 4]] * 3
    table = res.counts_table()
    assert list(pd.unique(table["level"])) == ["sub_pillar", "pillar", "overall"]
    assert table.loc[table["level"] == "overall", "n_indicators"].tolist() == [8, 8, 8]


def test_four_levels_per_level_aggregator_and_min_indicators():
    # A geometric overall: P1^(2/3) * P2^(1/3); u1 has P1 = P2 = 37.5, so 37.5.
    res = build_index(deep_data(), deep_meta(), deep_spec(overall={"method": "geometric"}))
    expected = [37.5, 29.6875 ** (2 / 3) * 37.5 ** (1 / 3), 81.25 ** (2 / 3) * 56.25 ** (1 / 3)]
    np.testing.assert_allclose(res.levels["overall"]["overall"], expected, rtol=1e-12)
    # u2 without e and f: S3 has no score, P2 rests on g and h alone (2
    # indicators); a pillar needing 3 leaves u2's P2 empty, so u2's overall
    # is P1 alone, 29.6875.  e and f still span 0..20 and 5..10 over u1, u3.
    data = deep_data()
    data.loc["u2", ["e", "f"]] = np.nan
    res = build_index(data, deep_meta(), deep_spec(pillar={"min_indicators": 3}))
    assert res.n_indicators("pillar").loc["u2"].to_dict() == {"P1": 4, "P2": 2}
    assert np.isnan(res.levels["pillar"].loc["u2", "P2"])
    assert res.levels["overall"].loc["u2", "overall"] == pytest.approx(29.6875)
    assert res.levels["overall"].loc["u1", "overall"] == pytest.approx(37.5)


def test_four_levels_audit_and_save(tmp_path):
    res = build_index(deep_data(), deep_meta(), deep_spec())
    audit = res.audit()
    assert list(pd.unique(audit["with_parent"]["level"])) == ["indicator", "sub_pillar", "pillar"]
    names = res.save(tmp_path)
    assert "counts.csv" in names
    back = IndexSpec.from_yaml(tmp_path / "spec.yaml")
    assert back.levels == tuple(DEEP) and back.aggregate["pillar"].method == "arithmetic"
    assert (
        build_index(deep_data(), deep_meta(), back).levels["overall"].equals(res.levels["overall"])
    )


def test_two_levels_indicators_straight_into_the_index():
    # levels: [overall] -- no group at all: the weighted mean of the indicators.
    meta = pd.DataFrame({"weight": [1, 3]}, index=["x", "y"])
    data = pd.DataFrame({"x": [0.0, 10.0], "y": [10.0, 0.0]}, index=["01", "02"])
    res = build_index(data, meta, {"levels": ["overall"]})
    # x -> 0, 100 and y -> 100, 0; overall = (x + 3y) / 4 = 75, 25
    assert res.levels["overall"]["overall"].tolist() == [75.0, 25.0]
    assert list(res.weights) == ["indicator"]


def test_default_spec_file_is_unchanged():
    assert "levels" not in IndexSpec().to_dict()
    assert IndexSpec.from_dict({"levels": ["focus_area", "area", "overall"]}) == IndexSpec()
    assert IndexSpec().levels == ("focus_area", "area", "overall")


# -- errors ---------------------------------------------------------------------


def test_a_group_in_two_parents_is_named_with_its_parents():
    meta = deep_meta()
    meta.loc["d", "pillar"] = "P2"  # S2 now in P1 (c) and P2 (d)
    with pytest.raises(IndexInputError) as err:
        build_index(deep_data(), meta, deep_spec())
    assert str(err.value) == (
        "indicator metadata: sub_pillar 'S2' is placed in more than one pillar (P1, P2)"
    )


def test_a_missing_level_column_lists_the_levels():
    with pytest.raises(IndexInputError) as err:
        build_index(deep_data(), deep_meta().drop(columns="pillar"), deep_spec())
    assert str(err.value) == (
        "indicator metadata: missing column(s) 'pillar' (one per level below the top; "
        "the levels are sub_pillar, pillar, overall)"
    )


def test_spec_keys_are_checked_against_the_named_levels():
    with pytest.raises(SpecError) as err:
        IndexSpec.from_dict(
            {
                "levels": DEEP,
                "aggregate": {"area": {"method": "geometric"}},
                "weights": {"levels": {"focus_area": {"1.1": 2}, "overall": {"overall": 1}}},
            }
        )
    assert err.value.problems == [
        "aggregate: unknown level 'area' (the levels are sub_pillar, pillar, overall)",
        "weights.levels: unknown level 'focus_area' (the levels weighted within their "
        "parent are sub_pillar, pillar)",
        "weights.levels: unknown level 'overall' (the levels weighted within their "
        "parent are sub_pillar, pillar)",
    ]


@pytest.mark.parametrize(
    "levels, message",
    [
        (["sub_pillar", "pillar"], "levels: the last level is the overall index and is named"),
        (["pillar", "overall", "top", "overall"], "'overall' is the top level and comes last"),
        (["pillar", "pillar", "overall"], "levels: listed more than once: pillar"),
        (["weight", "overall"], "'weight' cannot name a level"),
        ("pillar", "levels: expected a list of level names, bottom to top"),
        ([3, "overall"], "levels[0]: expected a level name (text), got the number 3"),
    ],
)
def test_bad_levels(levels, message):
    with pytest.raises(SpecError) as err:
        IndexSpec.from_dict({"levels": levels})
    assert message in str(err.value)


def test_weight_codes_are_checked_at_their_named_level():
    spec = deep_spec()
    spec["weights"] = {"levels": {"pillar": {"P3": 1, "S1": 2}, "sub_pillar": {"S9": 1}}}
    with pytest.raises(SpecError) as err:
        build_index(deep_data(), deep_meta(), spec)
    # no "did you mean": 'P3' and 'P1' share half their letters, below difflib's 0.6
    assert err.value.problems == [
        "weights.levels.pillar: unknown pillar codes 'P3', 'S1' (a "
        "sub_pillar code: give it under sub_pillar); the pillars are P1, P2",
        "weights.levels.sub_pillar: unknown sub_pillar code 'S9'; "
        "the sub_pillars are S1, S2, S3, S4",
    ]


def test_a_group_weighing_zero_names_its_parent():
    spec = deep_spec()
    spec["weights"] = {"levels": {"sub_pillar": {"S3": 0, "S4": 0}, "pillar": {"P1": 0, "P2": 0}}}
    with pytest.raises(SpecError) as err:
        build_index(deep_data(), deep_meta(), spec)
    assert err.value.problems == [
        "weights.levels.sub_pillar: every sub_pillar of pillar 'P2' weighs 0 (S3, S4), so "
        "pillar 'P2' would have no score; give one of them a weight > 0",
        "weights.levels.pillar: every pillar weighs 0 (P1, P2), so the overall index would "
        "have no score; give one of them a weight > 0",
    ]


def test_check_structure_with_a_map_is_for_three_levels_only():
    # three levels above the indicators: a map bottom code -> code above will do
    IndexSpec.from_dict({"levels": DEEP}).check_structure({"S1": "P1"})
    spec = IndexSpec.from_dict({"levels": ["sub_pillar", "pillar", "block", "overall"]})
    with pytest.raises(SpecError, match="a map of codes describes three levels"):
        spec.check_structure({"S1": "P1"})
    spec.check_structure(deep_meta().assign(block="B"))  # the metadata serves any depth


# -- uncertainty follows the levels ----------------------------------------------


def test_uncertainty_aggregator_levels_are_the_specs():
    space = {"aggregators": {"area": ["geometric"], "region": ["arithmetic"]}}
    with pytest.raises(SpaceError) as err:
        uncertainty_analysis(deep_data(), deep_meta(), space, deep_spec(), n=2)
    assert err.value.problems == [
        "aggregators: unknown level 'area' (the levels are sub_pillar, pillar, overall)",
        "aggregators: unknown level 'region' (the levels are sub_pillar, pillar, overall)",
    ]


def test_uncertainty_on_four_levels_matches_the_engine():
    space = {"aggregators": {"pillar": ["arithmetic", "geometric"]}, "weight_noise": 0.3}
    res = uncertainty_analysis(deep_data(), deep_meta(), space, deep_spec(), n=6, seed=3)
    model = res.model
    assert set(res.scores) == {"sub_pillar", "pillar", "overall"}
    assert [f.name for f in model.factors] == ["weights", "aggregator.pillar"]
    k, n_sub = len(model.indicators), len(model.codes["sub_pillar"])
    for r, row in res.samples().iterrows():
        m = model.weight_sets[row["weights"]]
        w_ind = pd.Series(m[:k], index=model.indicators)
        spec = deep_spec()
        # the noise multiplies the spec's weights (S1 1, S2 3, ...; P1 2, P2 1)
        base = {**spec["weights"]["levels"]["sub_pillar"], "S3": 1, "S4": 1}
        sub_w = zip(model.codes["sub_pillar"], m[k : k + n_sub], strict=True)
        sub = {c: base[c] * v for c, v in sub_w}
        pil = {"P1": 2.0, "P2": 1.0}
        pil = {c: pil[c] * v for c, v in zip(model.codes["pillar"], m[k + n_sub :], strict=True)}
        spec["weights"] = {"levels": {"sub_pillar": sub, "pillar": pil}}
        if row["aggregator.pillar"] == "geometric":
            spec["aggregate"] = {"pillar": {"method": "geometric", "zero_policy": "shift"}}
        meta = deep_meta()
        meta["weight"] = meta["weight"] * w_ind.reindex(meta.index)
        ref = build_index(deep_data(), meta, spec).levels
        for level in ("pillar", "overall"):
            np.testing.assert_allclose(res.scores[level][r], ref[level].to_numpy(), rtol=1e-9)


def test_rank_model_default_levels_are_the_specs():
    model = RankModel(deep_data(), deep_meta(), uncertainty_space(), deep_spec())
    assert model.levels == ("sub_pillar", "pillar", "overall")
    out = model.evaluate(np.zeros((1, 0)))
    np.testing.assert_allclose(out["overall"][0, :, 0], OVERALL, rtol=1e-12)


def uncertainty_space():
    from learningcity.uncertainty import ParameterSpace

    return ParameterSpace()


# -- properties: any depth reduces to today's three levels ------------------------


@st.composite
def three_level_inputs(draw):
    """A random focus area -> area framework, data with gaps, and a method."""
    n_fa = draw(st.integers(1, 4))
    fa_area = {f"F{j}": f"A{draw(st.integers(0, 1))}" for j in range(n_fa)}
    n_ind = draw(st.integers(n_fa, n_fa + 4))
    # every focus area has at least one indicator
    fas = [f"F{j}" for j in range(n_fa)] + [
        f"F{draw(st.integers(0, n_fa - 1))}" for _ in range(n_ind - n_fa)
    ]
    weights = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=n_ind, max_size=n_ind))
    meta = pd.DataFrame(
        {"focus_area": fas, "area": [fa_area[f] for f in fas], "weight": weights},
        index=[f"i{k}" for k in range(n_ind)],
    )
    n_units = draw(st.integers(3, 6))
    cell = st.one_of(st.none(), st.integers(0, 20).map(float))
    values = draw(
        st.lists(st.lists(cell, min_size=n_ind, max_size=n_ind), min_size=n_units, max_size=n_units)
    )
    data = pd.DataFrame(values, index=[f"u{r}" for r in range(n_units)], columns=meta.index)
    data = data.astype("float64")
    fa_w = {f: draw(st.sampled_from([1.0, 2.0, 3.0])) for f in sorted(set(fas))}
    method = draw(st.sampled_from(["arithmetic", "geometric"]))
    min_ind = draw(st.integers(0, 2))
    spec = {
        "treat": {"method": "none"},
        "normalise": {"method": "minmax", "low": 1.0, "high": 100.0},
        "weights": {"levels": {"focus_area": fa_w}},
        "aggregate": {"area": {"method": method, "min_indicators": min_ind}},
    }
    return meta, data, spec


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(three_level_inputs())
def test_declaring_the_default_levels_changes_nothing(inputs):
    meta, data, spec = inputs
    default = build_index(data, meta, spec)
    declared = build_index(data, meta, {**spec, "levels": ["focus_area", "area", "overall"]})
    pd.testing.assert_frame_equal(declared.scores, default.scores)
    pd.testing.assert_frame_equal(declared.effective_weights, default.effective_weights)
    pd.testing.assert_frame_equal(declared.counts_table(), default.counts_table())
    for level in default.levels:
        pd.testing.assert_frame_equal(declared.levels[level], default.levels[level])
    for level in default.weights:
        pd.testing.assert_series_equal(declared.weights[level], default.weights[level])
    assert declared.spec == default.spec and declared.notes == default.notes


@SETTINGS
@given(three_level_inputs())
def test_a_level_of_single_children_collapses(inputs):
    # Between focus areas and areas, a level whose groups each hold one focus
    # area: a mean of one child is that child, so with arithmetic means every
    # score of the three levels is unchanged (the focus areas' weights move up
    # to their one-child groups).
    meta, data, spec = inputs
    spec["aggregate"] = {}  # arithmetic means throughout
    three = build_index(data, meta, spec)
    deep = meta.assign(group="G" + meta["focus_area"])
    fa_w = spec["weights"]["levels"]["focus_area"]
    deep_spec_ = {
        **spec,
        "levels": ["focus_area", "group", "area", "overall"],
        "weights": {"levels": {"group": {"G" + f: w for f, w in fa_w.items()}}},
    }
    four = build_index(data, deep, deep_spec_)
    for level in ("focus_area", "area", "overall"):
        pd.testing.assert_frame_equal(four.levels[level], three.levels[level], rtol=1e-12)
    np.testing.assert_allclose(
        four.levels["group"].to_numpy(), three.levels["focus_area"].to_numpy(), rtol=1e-12
    )
    # all weights are > 0: the indicators' shares of the index sum to 1
    assert math.isclose(four.effective_weights["overall"].sum(), 1.0)
