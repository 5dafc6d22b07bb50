"""Uncertainty analysis: the parameter space, the vectorised Monte Carlo, its summaries."""

from __future__ import annotations

import dataclasses
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

from learningcity.index import build_index
from learningcity.uncertainty import (
    ParameterSpace,
    RankModel,
    SpaceError,
    plot_rank_intervals,
    uncertainty_analysis,
)

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def province_2016():
    """The bundled GSO province table of 2016, indicators with data for most provinces."""
    from learningcity.data import load_bundled_observations
    from learningcity.framework import load_framework
    from learningcity.indicators import derive_indicators, to_wide

    meta = load_framework().indicator_table()
    obs = load_bundled_observations()
    tidy = pd.concat([obs, derive_indicators(obs)], ignore_index=True)
    wide = to_wide(tidy[tidy["level"] == "province"], 2016, meta.index)
    keep = wide.columns[wide.notna().mean() > 0.5]
    return wide[keep], meta.loc[keep]


def two_areas():
    """Four units, three indicators: a, b in focus area 1.1 (area 1), c in 2.1 (area 2)."""
    meta = pd.DataFrame(
        {"focus_area": ["1.1", "1.1", "2.1"], "area": ["1", "1", "2"]}, index=["a", "b", "c"]
    )
    data = pd.DataFrame(
        {"a": [0.0, 10.0, 4.0, 7.0], "b": [10.0, 0.0, 6.0, 2.0], "c": [3.0, 9.0, 0.0, 5.0]},
        index=["01", "02", "15", "132"],
    )
    return data, meta


NO_TREAT = {"treat": {"method": "none"}}


# -- the parameter space -------------------------------------------------------


def test_invalid_space_lists_every_problem_at_once():
    with pytest.raises(SpaceError) as err:
        ParameterSpace(
            normalisers=("minmax", "maxmin"),
            aggregators={"area": ("arithmetic", "median"), "region": ("arithmetic",)},
            imputations=(),
            weight_noise=1.0,
            drop_probability=0.0,
        )
    problems = err.value.problems
    # the level 'region' is checked against the spec's levels by RankModel
    # (tests/index/test_any_depth.py), not here: a space does not know them
    assert len(problems) == 5
    text = str(err.value)
    for part in ("'maxmin'", "'median'", "imputations", "weight_noise", "(0, 1)"):
        assert part in text


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"weight_noise": -0.1}, "outside [0, 1)"),
        ({"normalisers": []}, "empty"),
        ({"aggregators": {"overall": []}}, "empty"),
        ({"imputations": ("mean", "mean")}, "more than once"),
        ({"treatments": ("auto", "winsorise")}, "'winsorise' is not one of auto, none"),
        ({"zero_policy": "ignore"}, "zero_policy"),
        ({"n_weight_sets": 0}, "n_weight_sets"),
    ],
)
def test_each_kind_of_invalid_field_is_refused(kwargs, words):
    with pytest.raises(SpaceError, match=re.escape(words)):
        ParameterSpace(**kwargs)


def test_space_is_frozen_and_round_trips_through_a_dict():
    space = ParameterSpace(normalisers=["minmax", "rank"], aggregators={"area": ["geometric"]})
    assert space.normalisers == ("minmax", "rank")  # lists become tuples
    with pytest.raises(dataclasses.FrozenInstanceError):
        space.weight_noise = 0.5  # type: ignore[misc]
    assert ParameterSpace.from_dict(space.to_dict()) == space
    with pytest.raises(SpaceError, match="unknown field 'noise'"):
        ParameterSpace.from_dict({"noise": 0.1})


def test_space_is_checked_against_the_data_before_any_run():
    data, meta = two_areas()
    meta.loc["d"] = ["2.1", "2"]  # in the metadata, but not a column of the data
    space = ParameterSpace(drop=("a", "d", "zz"))
    with pytest.raises(SpaceError) as err:
        uncertainty_analysis(data, meta, space, n=10)
    text = str(err.value)
    assert "'d' is not a column of the data" in text
    assert "'zz' is not in the indicator metadata" in text


def test_dropping_every_indicator_at_once_is_refused():
    data, meta = two_areas()
    with pytest.raises(SpaceError, match="keep at least one"):
        uncertainty_analysis(data, meta, {"drop": ["a", "b", "c"]}, n=10)


def test_negative_normaliser_with_a_geometric_mean_is_refused_not_skipped():
    data, meta = two_areas()
    space = ParameterSpace(normalisers=("minmax", "zscore"), aggregators={"area": ("geometric",)})
    with pytest.raises(SpaceError, match="'zscore' gives negative values"):
        uncertainty_analysis(data, meta, space, n=10)


def test_a_normaliser_the_data_cannot_support_is_an_error_naming_it():
    data, meta = two_areas()  # no goalposts in this metadata
    with pytest.raises(SpaceError, match="normaliser 'goalposts'.*goalpost"):
        uncertainty_analysis(data, meta, {"normalisers": ["minmax", "goalposts"]}, n=10)


def test_bad_arguments_of_the_run():
    data, meta = two_areas()
    with pytest.raises(ValueError, match="levels"):
        uncertainty_analysis(data, meta, n=10, levels=("region",))
    with pytest.raises(ValueError, match="replications"):
        uncertainty_analysis(data, meta, n=0)
    panel = pd.concat({2019: data, 2020: data}, names=["year", "unit_code"])
    with pytest.raises(ValueError, match="one year"):
        uncertainty_analysis(panel, meta, n=10)


# -- the model against the engine and hand calculations ------------------------


@pytest.mark.parametrize(
    "spec",
    [
        None,
        {"aggregate": {"overall": {"method": "geometric", "zero_policy": "shift"}}},
        {"aggregate": {"area": {"method": "mpi"}}, "normalise": {"method": "rank"}},
        {"aggregate": {"focus_area": {"method": "harmonic", "zero_policy": "skip"}}},
        {
            "aggregate": {"focus_area": {"method": "genmean", "p": 2.0}},
            "impute": {"method": "mean"},
        },
        {"weights": {"levels": {"area": {"1": 3.0}}}, "normalise": {"method": "goalposts"}},
    ],
)
def test_nominal_point_reproduces_build_index(province_2016, spec):
    data, meta = province_2016
    # An empty space leaves one point, the spec itself: the vectorised
    # aggregation must give the engine's scores there, level by level.
    model = RankModel(data, meta, ParameterSpace(), spec)
    assert model.factors == []
    got = model.evaluate(np.zeros((1, 0)))
    expected = build_index(data, meta, spec).levels
    for level in ("focus_area", "area", "overall"):
        np.testing.assert_allclose(got[level][0], expected[level].to_numpy(), rtol=1e-12)


def test_weight_noise_moves_a_score_within_the_bounds_worked_by_hand():
    # Unit 01 has a = 0 and b = 100 after min-max, so its focus-area score is
    # 100 * w_b / (w_a + w_b).  With weights in [1 - f, 1 + f] the share lies in
    # [(1 - f) / 2, (1 + f) / 2]: for f = 0.5, the score lies in [25, 75].
    data, meta = two_areas()
    res = uncertainty_analysis(
        data, meta, ParameterSpace(weight_noise=0.5, n_weight_sets=400), NO_TREAT, n=400, seed=4
    )
    fa = res.scores["focus_area"][:, 0, 0]  # unit 01, focus area 1.1
    assert fa.min() >= 25.0 - 1e-9 and fa.max() <= 75.0 + 1e-9
    assert fa.min() < 33 and fa.max() > 67  # the noise reaches near both bounds
    assert res.model.nominal_scores["focus_area"].iloc[0, 0] == pytest.approx(50.0)


def test_dropped_indicator_leaves_the_other_one_alone_in_its_focus_area():
    data, meta = two_areas()
    res = uncertainty_analysis(data, meta, {"drop": ["b"]}, NO_TREAT, n=1000, seed=2)
    dropped = (res.samples()["drop.b"] == "dropped").to_numpy()
    # about half of 1000 replications: 500 +- 4 standard deviations (sd = 15.8)
    assert 437 < dropped.sum() < 563
    a_minmax = np.array([0.0, 100.0, 40.0, 70.0])
    b_minmax = np.array([100.0, 0.0, 60.0, 20.0])
    fa = res.scores["focus_area"][:, :, 0]
    np.testing.assert_allclose(fa[dropped], np.broadcast_to(a_minmax, fa[dropped].shape))
    kept = (a_minmax + b_minmax) / 2
    np.testing.assert_allclose(fa[~dropped], np.broadcast_to(kept, fa[~dropped].shape))


def test_aggregator_choice_per_replication_follows_its_formula():
    data, meta = two_areas()
    space = ParameterSpace(aggregators={"overall": ("arithmetic", "geometric")})
    res = uncertainty_analysis(data, meta, space, NO_TREAT, n=200, seed=5)
    areas = res.scores["area"]  # (replications, units, 2)
    overall = res.scores["overall"][:, :, 0]
    geo = (res.samples()["aggregator.overall"] == "geometric").to_numpy()
    assert 0 < geo.sum() < 200
    arith = areas.mean(axis=2)
    # geometric with zero_policy "shift" (1): exp(mean(log(x + 1))) - 1
    geom = np.exp(np.log(areas + 1.0).mean(axis=2)) - 1.0
    np.testing.assert_allclose(overall[~geo], arith[~geo])
    np.testing.assert_allclose(overall[geo], geom[geo])


# -- results --------------------------------------------------------------------


def test_dominant_units_keep_their_rank_whatever_the_method():
    # 01 beats 02 beats 15 on every indicator: monotone normalisers, power
    # means and positive weights keep that order, so each rank interval is
    # a single rank, equal to the nominal one.
    meta = pd.DataFrame({"focus_area": ["1.1", "1.2", "2.1"], "area": ["1", "1", "2"]},
                        index=["x", "y", "z"])  # fmt: skip
    data = pd.DataFrame(
        {"x": [9.0, 5.0, 1.0], "y": [90.0, 70.0, 10.0], "z": [0.9, 0.8, 0.1]},
        index=["01", "02", "15"],
    )
    space = ParameterSpace(
        normalisers=("minmax", "rank", "fracmax"),
        aggregators={"area": ("arithmetic", "geometric", "harmonic"), "overall": ("geometric",)},
        weight_noise=0.9,
        drop=("x", "z"),
    )
    res = uncertainty_analysis(data, meta, space, NO_TREAT, n=300, seed=11)
    s = res.summary().query("level == 'overall'").set_index("unit_code")
    assert s["nominal_rank"].tolist() == [1, 2, 3]
    assert s["rank_low"].tolist() == [1, 2, 3]
    assert s["rank_high"].tolist() == [1, 2, 3]


def test_nominal_rank_lies_in_its_interval_on_the_province_data(province_2016):
    # Weight noise is symmetric around the nominal weights, so the nominal
    # ranking sits in the middle of the replications.
    data, meta = province_2016
    res = uncertainty_analysis(data, meta, {"weight_noise": 0.25}, n=300, seed=0)
    s = res.summary().dropna(subset=["nominal_rank"])
    s = s[s["level"] == "overall"]
    assert len(s) == 63
    inside = (s["nominal_rank"] >= s["rank_low"]) & (s["nominal_rank"] <= s["rank_high"])
    assert inside.all(), s.loc[~inside, ["unit_code", "nominal_rank", "rank_low", "rank_high"]]
    assert ((s["rank_low"] <= s["median_rank"]) & (s["median_rank"] <= s["rank_high"])).all()


def test_same_seed_same_results_and_chunks_do_not_matter(province_2016):
    data, meta = province_2016
    space = ParameterSpace(
        normalisers=("minmax", "rank"),
        imputations=("none", "mean"),
        weight_noise=0.3,
        drop=("literacy_rate",),
    )
    one = uncertainty_analysis(data, meta, space, n=60, seed=42)
    two = uncertainty_analysis(data, meta, space, n=60, seed=42, chunk_size=7)
    other = uncertainty_analysis(data, meta, space, n=60, seed=43)
    for level in one.scores:
        np.testing.assert_array_equal(one.scores[level], two.scores[level])
        np.testing.assert_array_equal(one.ranks[level], two.ranks[level])
    pd.testing.assert_frame_equal(one.summary(), two.summary())
    assert not one.samples().equals(other.samples())


def test_summary_and_distribution_shapes(province_2016):
    data, meta = province_2016
    res = uncertainty_analysis(data, meta, {"weight_noise": 0.2}, n=50, seed=1)
    s = res.summary()
    n_codes = {lv: len(c) for lv, c in res.model.codes.items()}
    assert len(s) == 63 * sum(n_codes.values())
    assert set(s["level"]) == {"focus_area", "area", "overall"}
    d = res.distribution("overall")
    assert len(d) == 50 * 63 and set(d.columns) == {"replication", "unit_code", "score", "rank"}
    assert d.groupby("replication")["rank"].min().eq(1).all()
    with pytest.raises(ValueError, match="several codes"):
        res.distribution("area")
    assert res.rank_shift().shape == (50,)


def test_levels_kept_are_the_ones_asked_for(province_2016):
    data, meta = province_2016
    res = uncertainty_analysis(data, meta, {"weight_noise": 0.2}, n=5, levels=("overall",))
    assert list(res.scores) == ["overall"]


def test_rank_interval_figure(province_2016):
    data, meta = province_2016
    res = uncertainty_analysis(data, meta, {"weight_noise": 0.2}, n=40, seed=1)
    fig = plot_rank_intervals(res, lang="vi", highlight=["15"], labels={"15": "Yên Bái"}, top=20)
    ax = fig.axes[0]
    assert "lần mô phỏng" in ax.get_title()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 20
    with pytest.raises(ValueError, match="lang"):
        plot_rank_intervals(res, lang="fr")
    matplotlib.pyplot.close("all")


def test_rank_array_matches_pandas_min_ranks_with_ties_and_gaps():
    from learningcity.uncertainty import rank_array

    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, size=(4, 25, 3)).astype(float)  # many ties
    x[rng.random(x.shape) < 0.2] = np.nan
    got = rank_array(x)
    for r in range(4):
        expected = pd.DataFrame(x[r]).rank(method="min", ascending=False).to_numpy()
        np.testing.assert_array_equal(got[r], expected)


def test_group_imputation_needs_groups_and_then_fills_from_the_group():
    # b of unit 15 is missing; its region S has b = 8 (unit 132) only.
    meta = pd.DataFrame({"focus_area": ["1.1", "1.2"], "area": ["1", "1"]}, index=["a", "b"])
    data = pd.DataFrame(
        {"a": [0.0, 10.0, 5.0, 5.0], "b": [2.0, 4.0, np.nan, 8.0]},
        index=["01", "02", "15", "132"],
    )
    space = ParameterSpace(imputations=("none", "group_mean"))
    with pytest.raises(SpaceError, match="'group_mean'.*needs a group column"):
        uncertainty_analysis(data, meta, space, NO_TREAT, n=10)
    spec = {**NO_TREAT, "impute": {"group": "region"}}
    groups = pd.Series(["N", "N", "S", "S"], index=data.index, name="region")
    res = uncertainty_analysis(data, meta, space, spec, n=100, seed=0, groups=groups)
    filled = (res.samples()["imputation"] == "group_mean").to_numpy()
    overall_15 = res.scores["overall"][:, 2, 0]
    # group_mean: a -> 50, b filled with 8 -> 100: (50 + 100) / 2 = 75
    # none: b is skipped, the score is a alone: 50
    np.testing.assert_allclose(overall_15[filled], 75.0)
    np.testing.assert_allclose(overall_15[~filled], 50.0)


def test_zero_with_the_specs_error_policy_is_refused_before_the_run():
    # The spec's geometric mean refuses zeros; goalposts keep every value above
    # 0 here, but min-max gives 0 to the lowest unit, so that variant is refused
    # (by the engine itself, as each variant is built with the spec's steps).
    data, meta = two_areas()
    meta = meta.assign(goalpost_low=-100.0, goalpost_high=100.0)
    spec = {**NO_TREAT, "normalise": {"method": "goalposts"},
            "aggregate": {"focus_area": {"method": "geometric"}}}  # fmt: skip
    assert build_index(data, meta, spec).levels["overall"].notna().all().all()
    with pytest.raises(SpaceError, match="normaliser 'minmax'.*is 0; choose zero_policy"):
        uncertainty_analysis(data, meta, {"normalisers": ["goalposts", "minmax"]}, spec, n=5)


def test_space_from_a_yaml_file_names_the_file_in_its_errors(tmp_path):
    good = tmp_path / "space.yaml"
    good.write_text(
        "normalisers: [minmax, goalposts]\naggregators:\n  overall: [arithmetic, geometric]\n"
        "weight_noise: 0.2\ndrop: [literacy_rate]\n",
        encoding="utf-8",
    )
    space = ParameterSpace.from_yaml(good)
    assert space.aggregators == {"overall": ("arithmetic", "geometric")}
    assert space.drop == ("literacy_rate",)
    bad = tmp_path / "bad.yaml"
    bad.write_text("normalisers: [minmax, maxmin]\nweight_noise: 2\n", encoding="utf-8")
    with pytest.raises(SpaceError) as err:
        ParameterSpace.from_yaml(bad)
    assert str(bad) in str(err.value) and len(err.value.problems) == 2
    with pytest.raises(SpaceError, match="file not found"):
        ParameterSpace.from_yaml(tmp_path / "missing.yaml")


# -- command line -----------------------------------------------------------------


def test_command_prints_rank_intervals_and_writes_the_summary(tmp_path, capsys):
    from learningcity.cli import main

    # 01 > 02 > 15 on every indicator: the intervals are single ranks (see above).
    wide = tmp_path / "wide.csv"
    wide.write_text(
        "unit_code,literacy_rate,trained_workers_rate,upper_secondary_graduation\n"
        "01,99,40,98\n02,95,30,90\n15,90,10,80\n",
        encoding="utf-8",
    )
    space = tmp_path / "space.yaml"
    space.write_text("normalisers: [minmax, rank]\nweight_noise: 0.5\n", encoding="utf-8")
    out = tmp_path / "summary.csv"
    argv = ["uncertainty", "--space", str(space), "--wide", str(wide), "-n", "50"]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    rows = printed.splitlines()
    header = next(i for i, ln in enumerate(rows) if ln.split()[:2] == ["rank", "unit_code"])
    lines = [ln.split() for ln in rows[header + 1 : header + 4]]
    assert [(ln[0], ln[1], ln[-1]) for ln in lines] == [
        ("1", "01", "1-1"),
        ("2", "02", "2-2"),
        ("3", "15", "3-3"),
    ]
    summary = pd.read_csv(out, dtype={"unit_code": str})
    assert set(summary["level"]) == {"focus_area", "area", "overall"}
    # a second run does not overwrite the file without --force
    assert main([*argv, "--out", str(out)]) == 2
    assert "use --force" in capsys.readouterr().err


def test_command_names_a_missing_space_file(tmp_path, capsys):
    from learningcity.cli import main

    assert main(["uncertainty", "--space", str(tmp_path / "nope.yaml"), "-n", "5"]) == 2
    assert "nope.yaml" in capsys.readouterr().err


def test_every_replication_equals_build_index_with_its_own_choices(province_2016):
    # The vectorised model against the engine, one replication at a time: the
    # choices recorded for a replication, written as a spec (dropped indicators
    # removed from the data), must give the same scores through build_index.
    data, meta = province_2016
    space = ParameterSpace(
        normalisers=("minmax", "goalposts", "rank"),
        imputations=("none", "mean"),
        treatments=("auto", "none"),
        aggregators={
            "focus_area": ("arithmetic", "harmonic"),
            "area": ("arithmetic", "geometric", "mpi"),
            "overall": ("arithmetic", "geometric"),
        },
        drop=("literacy_rate", "pupils_per_teacher"),
    )
    res = uncertainty_analysis(data, meta, space, n=16, seed=3)
    samples = res.samples()
    assert set(samples["treatment"]) == {"auto", "none"}  # both variants are checked
    for r, row in samples.iterrows():
        spec = {
            "normalise": {"method": row["normaliser"]},
            "impute": {"method": row["imputation"]},
            "treat": {"method": row["treatment"]},
            "aggregate": {
                lv: {"method": row[f"aggregator.{lv}"], "zero_policy": "shift"}
                for lv in ("focus_area", "area", "overall")
            },
        }
        dropped = [i for i in space.drop if row[f"drop.{i}"] == "dropped"]
        ref = build_index(data.drop(columns=dropped), meta.drop(index=dropped), spec).levels
        for level in ("area", "overall"):
            np.testing.assert_allclose(
                res.scores[level][r], ref[level].to_numpy(), rtol=1e-9, err_msg=str(dict(row))
            )


def test_noisy_weights_equal_build_index_with_those_weights(province_2016):
    data, meta = province_2016
    res = uncertainty_analysis(data, meta, {"weight_noise": 0.4}, n=4, seed=8)
    model = res.model
    k, n_fa = len(model.indicators), len(model.codes["focus_area"])
    for r, row in res.samples().iterrows():
        m = model.weight_sets[row["weights"]]
        w_ind = pd.Series(m[:k], index=model.indicators)
        spec = {
            "weights": {
                "levels": {
                    "focus_area": pd.Series(m[k : k + n_fa], model.codes["focus_area"]).to_dict(),
                    "area": pd.Series(m[k + n_fa :], model.codes["area"]).to_dict(),
                }
            }
        }
        noisy_meta = meta.assign(weight=meta["weight"] * w_ind.reindex(meta.index))
        ref = build_index(data, noisy_meta, spec).levels["overall"]
        np.testing.assert_allclose(res.scores["overall"][r], ref.to_numpy(), rtol=1e-9)


# -- min_indicators: the same rule in the model as in the engine ----------------


def four_indicators():
    """Three units; area 1 = focus area 1.1 (a, b), area 2 = 2.1 (c) and 2.2 (d).

    On goalposts 0-10 every score is 10 x the value.
    """
    meta = pd.DataFrame(
        {
            "focus_area": ["1.1", "1.1", "2.1", "2.2"],
            "area": ["1", "1", "2", "2"],
            "goalpost_low": 0.0,
            "goalpost_high": 10.0,
        },
        index=["a", "b", "c", "d"],
    )
    data = pd.DataFrame(
        {"a": [2.0, 4.0, 6.0], "b": [4.0, 8.0, 10.0], "c": [6.0, 0.0, 4.0], "d": [10.0, 2.0, None]},
        index=["01", "02", "15"],
    )
    return data, meta


MIN_AREA_2 = {
    "normalise": {"method": "goalposts"},
    "treat": {"method": "none"},
    "aggregate": {"area": {"min_indicators": 2}},
}


def test_a_dropped_indicator_pushes_an_area_below_min_indicators():
    data, meta = four_indicators()
    model = RankModel(data, meta, ParameterSpace(drop=("d",)), MIN_AREA_2)
    out = model.evaluate(np.array([[0.9], [0.1]]))  # d kept, then d dropped
    # area 1 = (a + b) / 2 = 30, 60, 80 (two indicators: always scored).
    # d kept: area 2 = (c + d) / 2 = (60 + 100) / 2 = 80 and (0 + 20) / 2 = 10;
    #   unit 15 has c alone (1 < 2) -> NaN; overall = 55, 35 and 80 (area 1 alone).
    # d dropped: area 2 rests on c alone for everyone -> NaN; overall = area 1.
    nan = np.nan
    np.testing.assert_allclose(out["area"][0], [[30, 80], [60, 10], [80, nan]])
    np.testing.assert_allclose(out["overall"][0, :, 0], [55, 35, 80])
    np.testing.assert_allclose(out["area"][1], [[30, nan], [60, nan], [80, nan]])
    np.testing.assert_allclose(out["overall"][1, :, 0], [30, 60, 80])
    # the engine says the same, with d in the data and with d removed
    kept = build_index(data, meta, MIN_AREA_2).levels
    gone = build_index(data.drop(columns="d"), meta.drop(index="d"), MIN_AREA_2).levels
    for level in ("area", "overall"):
        np.testing.assert_allclose(out[level][0], kept[level].to_numpy())
        np.testing.assert_allclose(out[level][1], gone[level].to_numpy())
    # without the minimum, area 2 would be c alone (60, 0, 40) once d is dropped
    plain = RankModel(data, meta, ParameterSpace(drop=("d",)), {**MIN_AREA_2, "aggregate": {}})
    np.testing.assert_allclose(plain.evaluate(np.array([[0.1]]))["area"][0, :, 1], [60, 0, 40])


@pytest.mark.parametrize(
    "minimum",
    [
        # 2016: area 2 has 5 indicators (4 where university students are missing);
        # focus area 2.5 has 3 (graduation, pupils per teacher, PAPI primary education).
        {"area": {"min_indicators": 5}},
        {"focus_area": {"min_indicators": 3}, "overall": {"min_indicators": 6}},
    ],
)
def test_nominal_point_with_min_indicators_reproduces_build_index(province_2016, minimum):
    data, meta = province_2016
    spec = {"aggregate": minimum}
    model = RankModel(data, meta, ParameterSpace(), spec)
    got = model.evaluate(np.zeros((1, 0)))
    expected = build_index(data, meta, spec)
    masked = 0
    for level in ("focus_area", "area", "overall"):
        np.testing.assert_allclose(got[level][0], expected.levels[level].to_numpy(), rtol=1e-12)
        need = spec["aggregate"].get(level, {}).get("min_indicators", 0)
        below = (expected.n_indicators(level) < need).to_numpy()
        assert np.isnan(got[level][0][below]).all()
        masked += below.sum()
    assert masked > 0  # the minimum does mask something on these data


@pytest.mark.parametrize(
    "minimum",
    [
        # 2016: area 2 has 5 indicators (4 where university students are missing);
        # focus area 2.5 has 3 (graduation, pupils per teacher, PAPI primary education).
        {"area": {"min_indicators": 5}},
        {"focus_area": {"min_indicators": 3}, "overall": {"min_indicators": 6}},
    ],
)
def test_replications_with_drops_equal_build_index_under_min_indicators(province_2016, minimum):
    # Area 2 has five indicators (four where university students are
    # missing): with a minimum of 5, dropping any of its indicators leaves it
    # unscored for every province.  With 3 per focus area, only 2.5 (three
    # indicators) is scored in area 2, and dropping pupils_per_teacher unscores it.
    data, meta = province_2016
    space = ParameterSpace(
        normalisers=("minmax", "goalposts"),
        aggregators={"area": ("arithmetic", "geometric")},
        drop=("literacy_rate", "library_books_per_capita", "pupils_per_teacher"),
    )
    res = uncertainty_analysis(data, meta, space, {"aggregate": minimum}, n=24, seed=5)
    samples = res.samples()
    assert set(samples["drop.pupils_per_teacher"]) == {"kept", "dropped"}
    area2_gone = 0
    for r, row in samples.iterrows():
        agg = {lv: {"min_indicators": v["min_indicators"]} for lv, v in minimum.items()}
        agg["area"] = {**agg.get("area", {}), "method": row["aggregator.area"],
                       "zero_policy": "shift"}  # fmt: skip
        spec = {"normalise": {"method": row["normaliser"]}, "aggregate": agg}
        dropped = [i for i in space.drop if row[f"drop.{i}"] == "dropped"]
        ref = build_index(data.drop(columns=dropped), meta.drop(index=dropped), spec).levels
        for level in ("area", "overall"):
            np.testing.assert_allclose(
                res.scores[level][r], ref[level].to_numpy(), rtol=1e-9, err_msg=str(dict(row))
            )
        area2_gone += bool(np.isnan(res.scores["area"][r][:, 1]).all())
    assert area2_gone > 0  # some replication pushed area 2 below the minimum
