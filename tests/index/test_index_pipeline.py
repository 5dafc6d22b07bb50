"""build_index end to end on a 3-unit table worked out by hand.

Indicators (focus area, area, direction): a (1.1, 1, +), b (1.1, 1, -), c (1.2, 1, +),
d (2.1, 2, +).  Units 01, 02, 03:
    a = 2, 4, 10   -> min-max 0, 25, 100
    b = 5, 3, 1    -> lower is better: 0, 50, 100
    c = 0, 50, 100 -> 0, 50, 100
    d = 1, 3, 2    -> 0, 100, 50
Focus areas: 1.1 = (a + b)/2 = 0, 37.5, 100 ; 1.2 = 0, 50, 100 ; 2.1 = 0, 100, 50.
Areas: 1 = (1.1 + 1.2)/2 = 0, 43.75, 100 ; 2 = 0, 100, 50.
Overall = (area 1 + area 2)/2 = 0, 71.875, 75.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learningcity.index import IndexInputError, build_index

UNITS = ["01", "02", "03"]
META = pd.DataFrame(
    {
        "focus_area": ["1.1", "1.1", "1.2", "2.1"],
        "area": ["1", "1", "1", "2"],
        "direction": [1, -1, 1, 1],
        "weight": [1.0, 1.0, 1.0, 1.0],
        "goalpost_low": np.nan,
        "goalpost_high": np.nan,
        "target_2025": [5.0, np.nan, np.nan, np.nan],
        "target_2030": [8.0, np.nan, np.nan, np.nan],
    },
    index=["a", "b", "c", "d"],
)
SPEC = {"treat": {"method": "none"}}


def data() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": [2.0, 4.0, 10.0],
            "b": [5.0, 3.0, 1.0],
            "c": [0.0, 50.0, 100.0],
            "d": [1.0, 3.0, 2.0],
        },
        index=pd.Index(UNITS, name="unit_code"),
    )


def scores(res, level):
    return res.scores.query("level == @level").pivot(
        index="unit_code", columns="code", values="score"
    )


def test_scores_at_every_level():
    res = build_index(data(), META, SPEC)
    assert scores(res, "indicator")["b"].tolist() == [0.0, 50.0, 100.0]
    fa = scores(res, "focus_area")
    assert fa["1.1"].tolist() == [0.0, 37.5, 100.0]
    assert fa["2.1"].tolist() == [0.0, 100.0, 50.0]
    assert scores(res, "area")["1"].tolist() == [0.0, 43.75, 100.0]
    assert scores(res, "overall")["overall"].tolist() == [0.0, 71.875, 75.0]
    overall = res.scores.query("level == 'overall'").set_index("unit_code")["rank"]
    assert overall.to_dict() == {"01": 3, "02": 2, "03": 1}
    assert set(res.scores.columns) >= {"unit_code", "level", "code", "score", "rank"}


def test_manual_level_weights_and_effective_weights():
    res = build_index(data(), META, {**SPEC, "weights": {"levels": {"area": {"1": 3}}}})
    # overall = (3 * area1 + area2) / 4 -> 0, (131.25 + 100)/4, (300 + 50)/4
    assert scores(res, "overall")["overall"].tolist() == [0.0, 57.8125, 87.5]
    eff = build_index(data(), META, SPEC).effective_weights["overall"]
    # a, b: 1/2 * 1/2 * 1/2 ; c: 1 * 1/2 * 1/2 ; d: 1 * 1 * 1/2
    assert eff.to_dict() == {"a": 0.125, "b": 0.125, "c": 0.25, "d": 0.5}


def test_group_ranks_bands_gaps_and_strengths():
    groups = pd.DataFrame({"region": ["N", "N", "S"]}, index=UNITS)
    bands = pd.DataFrame({"level": ["low", "high"], "lower": [0, 50], "upper": [50, 100]})
    res = build_index(data(), META, {**SPEC, "results": {"top_n": 1}}, groups=groups, bands=bands)
    ov = res.scores.query("level == 'overall'").set_index("unit_code")
    assert ov["rank_in_region"].to_dict() == {"01": 2, "02": 1, "03": 1}
    assert res.readiness.set_index("unit_code")["readiness"].to_dict() == {
        "01": "low",
        "02": "high",
        "03": "high",
    }
    # a = 2, 4, 10 against 5 (2025) and 8 (2030): gaps 3, 1, -5 and 6, 4, -2
    g = res.gaps.set_index(["unit_code", "target_year"])
    assert g.loc[("01", 2025), "gap"] == 3.0 and g.loc[("03", 2030), "gap"] == -2.0
    assert g.xs(2025, level="target_year")["met"].tolist() == [False, False, True]
    # unit 02 ranks 2nd on a, b, c and 1st on d
    sw = res.strengths.query("unit_code == '02'").set_index("kind")["indicator"]
    assert sw["strength"] == "d" and sw["weakness"] == "a"


def test_missing_data_is_skipped_imputed_and_flagged():
    x = data()
    x.loc["02", "a"] = np.nan
    res = build_index(x, META, SPEC)
    # 02's 1.1 is b alone (50) when a is missing
    assert scores(res, "focus_area").loc["02", "1.1"] == 50.0
    res = build_index(x, META, {**SPEC, "impute": {"method": "mean"}})
    assert res.imputed.loc["02", "a"] == 6.0  # (2 + 10) / 2
    assert res.imputed_flags.loc["02", "a"] and res.imputed_flags.to_numpy().sum() == 1
    # availability threshold at the focus-area level: 1 of 2 children is below 0.6
    res = build_index(x, META, {**SPEC, "aggregate": {"focus_area": {"threshold": 0.6}}})
    assert np.isnan(scores(res, "focus_area").loc["02", "1.1"])


def test_screening_drops_units():
    x = data()
    x.loc["01", ["a", "b", "c"]] = np.nan
    res = build_index(x, META, {**SPEC, "screen": {"threshold": 0.5}})
    assert sorted(res.scores["unit_code"].unique()) == ["02", "03"]
    assert not res.screening.loc["01", "kept"]


def test_panel_scale_is_fixed_across_years_and_changes_reported():
    y2022 = data()
    y2023 = data()
    y2023.loc["01", "a"] = 10.0  # 01 catches up on a
    res = build_index({2022: y2022, 2023: y2023}, META, SPEC)
    ov = res.levels["overall"]["overall"]
    # pooled min-max of a is still 2..10, so 2022 scores equal the single-year ones
    assert ov.loc[2022].tolist() == [0.0, 71.875, 75.0]
    # 2023, unit 01: a = 100, b = 0 -> 1.1 = 50, 1.2 = 0 -> area 1 = 25, area 2 = 0 -> 12.5
    assert ov.loc[(2023, "01")] == 12.5
    # units whose data did not change keep their scores exactly
    assert ov.loc[(2023, "02")] == ov.loc[(2022, "02")]
    ch = res.changes.query("level == 'overall'").set_index("unit_code")
    assert ch.loc["01", "score_change"] == 12.5 and ch.loc["01", "rank_change"] == 0
    assert (ch["year_from"] == 2022).all() and (ch["year_to"] == 2023).all()


def test_result_records_spec_hash_and_rebuilds():
    x = data()
    res = build_index(x, META, {"normalise": {"method": "zscore"}, "treat": {"method": "none"}})
    assert res.spec["normalise"]["method"] == "zscore"
    assert len(res.data_hash) == 64 and res.version
    again = res.rebuild()
    pd.testing.assert_frame_equal(again.scores, res.scores)
    from learningcity.index import build_index as bi

    pd.testing.assert_frame_equal(bi(**res.recipe).scores, res.scores)
    x.loc["01", "a"] = 3.0  # the caller changed the input afterwards
    with pytest.raises(IndexInputError, match="changed since"):
        res.rebuild()


def test_treatment_report_is_part_of_the_result():
    units = [f"{i:02d}" for i in range(1, 11)]
    x = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100]}, index=units)
    meta = pd.DataFrame({"focus_area": ["1.1"], "area": ["1"]}, index=["a"])
    res = build_index(x, meta)
    assert res.treatment.loc["a", "treatment"] == "winsorised"
    assert res.winsorised.loc["10", "a"] == "high"
    assert res.treated.loc["10", "a"] == 9.0


def test_indicator_without_data_is_noted_not_invented():
    x = data().drop(columns="d")
    res = build_index(x, META, SPEC)
    assert res.raw["d"].isna().all()
    assert any("d" in n for n in res.notes)
    assert scores(res, "area")["2"].isna().all()


def test_bad_input_names_row_and_column():
    x = data().astype(object)
    x.loc["02", "c"] = "fifty"
    with pytest.raises(IndexInputError, match=r"row '02', column 'c': expected a number"):
        build_index(x, META, SPEC)
    with pytest.raises(IndexInputError, match="missing column.*'area'"):
        build_index(data(), META.drop(columns="area"), SPEC)
    m = META.copy()
    m.loc["b", "area"] = "2"  # 1.1 holds a (area 1) and b (area 2)
    with pytest.raises(IndexInputError, match="focus area '1.1' is placed in more than one"):
        build_index(data(), m, SPEC)
    m = META.copy()
    m.loc["a", "direction"] = 0
    with pytest.raises(IndexInputError, match=r"row 'a', column 'direction'"):
        build_index(data(), m, SPEC)


def test_audit_of_a_result():
    res = build_index(data(), META, SPEC)
    audit = res.audit()
    assert set(audit) == {"stats", "correlations", "with_parent", "alpha", "pca"}
    # a and b in 1.1: normalised a = 0, 25, 100 ; b = 0, 50, 100
    r = audit["correlations"].set_index(["a", "b"]).loc[("a", "b"), "r"]
    assert r == pytest.approx(np.corrcoef([0, 25, 100], [0, 50, 100])[0, 1])


def test_bands_in_the_frameworks_shape():
    # Framework.readiness_levels() names its columns code/min/max.
    bands = pd.DataFrame(
        {
            "code": ["emerging", "developing", "established", "ready"],
            "min": [0.0, 25.0, 50.0, 75.0],
            "max": [25.0, 50.0, 75.0, 100.0],
        }
    )
    res = build_index(data(), META, SPEC, bands=bands)
    # overall 0, 71.875, 75 -> 75 opens the top band
    assert res.readiness["readiness"].tolist() == ["emerging", "established", "ready"]
    overlapping = bands.assign(min=[0.0, 20.0, 50.0, 75.0])
    with pytest.raises(IndexInputError, match="overlap"):
        build_index(data(), META, SPEC, bands=overlapping)


def test_spec_from_yaml_file_and_panel_index(tmp_path):
    path = tmp_path / "method.yaml"
    path.write_text("treat: {method: none}\nnormalise: {method: minmax}\n", encoding="utf-8")
    res = build_index(data(), META, path)
    assert scores(res, "overall")["overall"].tolist() == [0.0, 71.875, 75.0]
    # a panel may also come as one table indexed by (year, unit_code)
    panel = pd.concat({2022: data(), 2023: data()}, names=["year", "unit_code"])
    res = build_index(panel, META, path)
    assert res.changes["score_change"].eq(0).all()
    assert set(res.scores["year"]) == {2022, 2023}


def test_outcome_weights_in_the_pipeline():
    x = data().assign(outcome=[1.0, 2.0, 3.0])  # an extra column, not an indicator
    res = build_index(x, META, {**SPEC, "weights": {"method": "outcome", "outcome": "outcome"}})
    w = res.weights["indicator"]
    # a (0, 25, 100) and b (0, 50, 100) both correlate positively with 1, 2, 3
    ra = np.corrcoef([0, 25, 100], [1, 2, 3])[0, 1]
    rb = np.corrcoef([0, 50, 100], [1, 2, 3])[0, 1]
    assert w["a"] == pytest.approx(ra**2 / (ra**2 + rb**2))
    with pytest.raises(IndexInputError, match="outcome column 'gdp'"):
        build_index(x, META, {**SPEC, "weights": {"method": "outcome", "outcome": "gdp"}})


def test_a_single_city_needs_goalposts_and_is_told_so():
    one = data().iloc[:1]  # e.g. Yên Bái city alone
    res = build_index(one, META, SPEC)
    assert res.levels["overall"]["overall"].isna().all()
    assert any("do not vary across units" in n for n in res.notes)
    gp = META.assign(goalpost_low=0.0, goalpost_high=100.0)
    res = build_index(one, gp, {**SPEC, "normalise": {"method": "goalposts"}})
    # a 2, b 5 (lower better: (100 - 5)/100), c 0, d 1 on 0..100 goalposts:
    # 1.1 = (2 + 95)/2 = 48.5 ; 1.2 = 0 ; area 1 = 24.25 ; area 2 = 1 ; overall 12.625
    assert res.levels["overall"].iloc[0, 0] == pytest.approx(12.625)


def test_ranking_and_short_repr():
    bands = pd.DataFrame({"level": ["low", "high"], "lower": [0, 50], "upper": [50, 100]})
    res = build_index(data(), META, SPEC, bands=bands)
    top = res.ranking()
    assert top["unit_code"].tolist() == ["03", "02", "01"]
    assert top["readiness"].tolist() == ["high", "high", "low"]
    # focus area 2.1 is d alone: 0, 100, 50
    assert res.ranking("focus_area", "2.1")["unit_code"].tolist() == ["02", "03", "01"]
    with pytest.raises(IndexInputError, match="no scores"):
        res.ranking("area", "9")
    text = repr(res)
    assert text.startswith("IndexResult(units=3, indicators=4") and len(text) < 200


def test_panel_gap_carried_forward_and_flagged():
    y2023 = data()
    y2023.loc["02", "c"] = np.nan
    res = build_index({2022: data(), 2023: y2023}, META, {**SPEC, "impute": {"method": "locf"}})
    assert res.imputed.loc[(2023, "02"), "c"] == 50.0  # the 2022 value
    assert res.imputed_flags.loc[(2023, "02"), "c"]
    assert res.imputed_flags.to_numpy().sum() == 1


def test_statistical_weights_above_the_indicators():
    res = build_index(data(), META, {**SPEC, "weights": {"upper": "entropy"}})

    def entropy_d(v):  # 1 - entropy of shares, over the 3 units
        p = np.array(v) / sum(v)
        p = p[p > 0]
        return 1 + (p * np.log(p)).sum() / np.log(3)

    # focus areas of area 1: 1.1 = 0, 37.5, 100 and 1.2 = 0, 50, 100
    d11, d12 = entropy_d([0, 37.5, 100]), entropy_d([0, 50, 100])
    w11 = d11 / (d11 + d12)
    assert res.weights["focus_area"]["1.1"] == pytest.approx(w11)
    assert res.levels["area"].loc["02", "1"] == pytest.approx(w11 * 37.5 + (1 - w11) * 50)


def test_unused_columns_are_noted():
    res = build_index(data().assign(populaton=[1.0, 2.0, 3.0]), META, SPEC)
    assert any("populaton" in n for n in res.notes)


def test_denominate_in_the_pipeline_keeps_raw_values():
    x = data().assign(population=[1000.0, 2000.0, 4000.0])
    spec = {**SPEC, "denominate": {"by": {"c": "population"}, "scale": {"c": 1000}}}
    res = build_index(x, META, spec)
    assert res.raw["c"].tolist() == [0.0, 50.0, 100.0]
    # per 1,000 people: 0, 25, 25
    assert res.denominated["c"].tolist() == [0.0, 25.0, 25.0]
    assert not any("population" in n for n in res.notes)  # used, so not "unused"


def test_dist2ref_in_a_panel_uses_the_reference_of_the_same_year():
    y2023 = data()
    y2023["a"] = [3.0, 6.0, 10.0]
    spec = {**SPEC, "normalise": {"method": "dist2ref", "reference": "02", "cap": False}}
    res = build_index({2022: data(), 2023: y2023}, META, spec)
    a = res.normalised["a"]
    # pooled min of a is 2; 2022 ref 4: 1 - (4 - x)/(4 - 2); 2023 ref 6: 1 - (6 - x)/(6 - 2)
    assert a.loc[2022].tolist() == pytest.approx([0.0, 100.0, 400.0])
    assert a.loc[2023].tolist() == pytest.approx([25.0, 100.0, 200.0])


def test_goalposts_that_a_fitted_transform_cannot_carry_are_an_error():
    units = [f"{i:02d}" for i in range(12)]
    x = pd.DataFrame({"a": [10.0] * 10 + [500.0, 1000.0]}, index=units)
    meta = pd.DataFrame(
        {"focus_area": ["1.1"], "area": ["1"], "goalpost_low": [0.0], "goalpost_high": [2000.0]},
        index=["a"],
    )
    spec = {"treat": {"individual": {"a": "log_ct"}}, "normalise": {"method": "goalposts"}}
    with pytest.raises(IndexInputError, match="goalposts of 'a' fall outside"):
        build_index(x, meta, spec)
    # log(0) is not a goalpost either
    with pytest.raises(IndexInputError, match="goalposts of 'a' fall outside"):
        build_index(x, meta, {**spec, "treat": {"individual": {"a": "log"}}})
    ok = build_index(x, meta, {**spec, "treat": {"individual": {"a": "none"}}})
    assert ok.normalised["a"].iloc[-1] == 50.0


def test_coverage_shows_what_was_observed():
    x = data()
    x.loc["02", "a"] = np.nan
    res = build_index(x, META, {**SPEC, "impute": {"method": "mean"}})
    cov = res.scores.set_index(["unit_code", "level", "code"])["coverage"]
    assert cov[("02", "indicator", "a")] == 0.0 and cov[("02", "indicator", "b")] == 1.0
    assert cov[("02", "focus_area", "1.1")] == 0.5  # a imputed, b observed
    assert cov[("02", "area", "1")] == pytest.approx(2 / 3)  # a, b, c
    assert cov[("02", "overall", "overall")] == 0.75  # 3 of 4 indicators
    assert cov[("01", "overall", "overall")] == 1.0


def test_save_writes_tables_spec_and_provenance(tmp_path):
    import json

    from learningcity.index import IndexSpec

    res = build_index(data(), META, {**SPEC, "normalise": {"method": "prank"}})
    names = res.save(tmp_path)
    assert {"scores.csv", "spec.yaml", "manifest.json", "gaps.csv"} <= set(names)
    assert "changes.csv" not in names  # one year: no changes
    back = pd.read_csv(tmp_path / "scores.csv", dtype={"unit_code": str})
    assert back["score"].tolist() == pytest.approx(res.scores["score"].tolist(), nan_ok=True)
    assert IndexSpec.from_yaml(tmp_path / "spec.yaml").normalise.method == "prank"
    assert json.loads((tmp_path / "manifest.json").read_text())["data_hash"] == res.data_hash


def test_profile_of_one_unit():
    bands = pd.DataFrame({"level": ["low", "high"], "lower": [0, 50], "upper": [50, 100]})
    y2023 = data()
    y2023.loc["01", "a"] = 10.0
    res = build_index({2022: data(), 2023: y2023}, META, SPEC, bands=bands)
    p = res.profile("01")  # latest year by default
    overall = p["scores"].query("level == 'overall'")
    assert overall["year"].tolist() == [2023] and overall["score"].tolist() == [12.5]
    assert p["readiness"] == "low"
    assert set(p["gaps"]["indicator"]) == {"a"} and (p["gaps"]["year"] == 2023).all()
    assert res.profile("01", 2022)["scores"].query("level == 'overall'")["score"].tolist() == [0.0]
    with pytest.raises(IndexInputError, match="'99' is not in the result"):
        res.profile("99")
