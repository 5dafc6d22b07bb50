"""``aggregate.<level>.min_indicators``: no score on too few indicators, and the counts.

The table below is scored on goalposts 0-10, so every normalised score is 10 x
the value and each level is a plain mean that can be worked out by hand.

=========  =========  ======  ======  ======  ======  ======  ======
indicator  i1         i2      i3      i4      i5      i6
focus      1.1        1.1     1.2     2.1     2.1     2.2
area       1          1       1       2       2       2
=========  =========  ======  ======  ======  ======  ======  ======
01         2          4       6       8       --      --
02         5          --      --      1       3       9
03         --         --      7       2       --      4
04         1          3       5       7       9       10
=========  =========  ======  ======  ======  ======  ======  ======

Without any minimum (scores = 10 x value, means of what is present):

* 01: 1.1 = (20+40)/2 = 30, 1.2 = 60, 2.1 = 80, 2.2 = NaN;
  area 1 = (30+60)/2 = 45, area 2 = 80; overall = (45+80)/2 = 62.5
* 02: 1.1 = 50, 1.2 = NaN, 2.1 = (10+30)/2 = 20, 2.2 = 90;
  area 1 = 50, area 2 = (20+90)/2 = 55; overall = (50+55)/2 = 52.5
* 03: 1.1 = NaN, 1.2 = 70, 2.1 = 20, 2.2 = 40;
  area 1 = 70, area 2 = (20+40)/2 = 30; overall = (70+30)/2 = 50
* 04: 1.1 = (10+30)/2 = 20, 1.2 = 50, 2.1 = (70+90)/2 = 80, 2.2 = 100;
  area 1 = (20+50)/2 = 35, area 2 = (80+100)/2 = 90; overall = 62.5

Indicators with a value: focus areas (1.1, 1.2, 2.1, 2.2) 01: 2 1 1 0,
02: 1 0 2 1, 03: 0 1 1 1, 04: 2 1 2 1; areas (1, 2) 01: 3 1, 02: 1 3,
03: 1 2, 04: 3 3; overall 01: 4, 02: 4, 03: 3, 04: 6.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learningcity.index import IndexInputError, IndexSpec, SpecError, aggregate, build_index
from learningcity.index.aggregate import count_indicators
from learningcity.index.spec import AggregateSpec

NaN = np.nan
UNITS = ["01", "02", "03", "04"]


def meta(weight: dict[str, float] | None = None) -> pd.DataFrame:
    m = pd.DataFrame(
        {
            "focus_area": ["1.1", "1.1", "1.2", "2.1", "2.1", "2.2"],
            "area": ["1", "1", "1", "2", "2", "2"],
            "goalpost_low": 0.0,
            "goalpost_high": 10.0,
        },
        index=["i1", "i2", "i3", "i4", "i5", "i6"],
    )
    if weight:
        m["weight"] = pd.Series(weight).reindex(m.index).fillna(1.0)
    return m


def data() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "i1": [2.0, 5.0, NaN, 1.0],
            "i2": [4.0, NaN, NaN, 3.0],
            "i3": [6.0, NaN, 7.0, 5.0],
            "i4": [8.0, 1.0, 2.0, 7.0],
            "i5": [NaN, 3.0, NaN, 9.0],
            "i6": [NaN, 9.0, 4.0, 10.0],
        },
        index=UNITS,
    )


BASE = {"normalise": {"method": "goalposts"}, "treat": {"method": "none"}}


def spec(**levels: int) -> dict:
    """The base method with ``min_indicators`` at the given levels."""
    return {**BASE, "aggregate": {lv: {"min_indicators": n} for lv, n in levels.items()}}


def frame(rows: list[list[float]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, index=pd.Index(UNITS, name="unit_code"), columns=columns)


FA, AREA, OVERALL = ["1.1", "1.2", "2.1", "2.2"], ["1", "2"], ["overall"]
FA_COUNTS = frame([[2, 1, 1, 0], [1, 0, 2, 1], [0, 1, 1, 1], [2, 1, 2, 1]], FA)
AREA_COUNTS = frame([[3, 1], [1, 3], [1, 2], [3, 3]], AREA)


def check(got: pd.DataFrame, rows: list[list[float]]) -> None:
    want = frame(rows, list(got.columns))
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_names=False)


def test_hand_table_without_minimum():
    res = build_index(data(), meta(), BASE)
    check(res.levels["focus_area"], [[30, 60, 80, NaN], [50, NaN, 20, 90],
                                     [NaN, 70, 20, 40], [20, 50, 80, 100]])  # fmt: skip
    check(res.levels["area"], [[45, 80], [50, 55], [70, 30], [35, 90]])
    check(res.levels["overall"], [[62.5], [52.5], [50], [62.5]])
    pd.testing.assert_frame_equal(res.n_indicators("focus_area"), FA_COUNTS)
    pd.testing.assert_frame_equal(res.n_indicators("area"), AREA_COUNTS)
    pd.testing.assert_frame_equal(res.n_indicators(), frame([[4], [4], [3], [6]], OVERALL))
    # indicator level: 1 where the unit has a value
    ind = res.n_indicators("indicator")
    assert ind.loc["01"].tolist() == [1, 1, 1, 1, 0, 0] and ind.to_numpy().sum() == 17


def test_zero_minimum_changes_nothing():
    plain = build_index(data(), meta(), BASE)
    zero = build_index(data(), meta(), spec(focus_area=0, area=0, overall=0))
    assert IndexSpec.from_dict(spec(focus_area=0, area=0, overall=0)) == IndexSpec.from_dict(BASE)
    for level in ("focus_area", "area", "overall"):
        pd.testing.assert_frame_equal(zero.levels[level], plain.levels[level])
        pd.testing.assert_frame_equal(zero.n_indicators(level), plain.n_indicators(level))
    pd.testing.assert_frame_equal(zero.scores, plain.scores)


def test_area_minimum_masks_areas_and_the_overall_rests_on_the_others():
    res = build_index(data(), meta(), spec(area=2))
    # 01: area 2 rests on i4 alone (2.2 has no data) -> NaN; overall = area 1 = 45
    # 02: area 1 rests on i1 alone -> NaN; overall = area 2 = 55
    # 03: area 1 on i3 alone -> NaN; area 2 on i4 and i6 (one per focus area:
    #     indicators, not focus areas, are counted) keeps 30; overall = 30
    # 04: 3 indicators in each area: unchanged
    check(res.levels["area"], [[45, NaN], [NaN, 55], [NaN, 30], [35, 90]])
    check(res.levels["overall"], [[45], [55], [30], [62.5]])
    # focus areas are not touched
    plain = build_index(data(), meta(), BASE)
    pd.testing.assert_frame_equal(res.levels["focus_area"], plain.levels["focus_area"])
    # the area counts are given whether or not the area was masked ...
    pd.testing.assert_frame_equal(res.n_indicators("area"), AREA_COUNTS)
    # ... and the overall counts only the indicators of the scored areas:
    # 01: 3 (area 1), 02: 3 (area 2), 03: 2 (area 2), 04: 6
    pd.testing.assert_frame_equal(res.n_indicators(), frame([[3], [3], [2], [6]], OVERALL))
    # the tidy score table follows: no area-1 score for 02 and 03, no rank either
    a1 = res.scores.query("level == 'area' and code == '1'").set_index("unit_code")
    assert a1["score"].isna().tolist() == [False, True, True, False]
    assert a1["rank"].isna().tolist() == [False, True, True, False]


def test_area_minimum_of_three_keeps_only_well_covered_areas():
    res = build_index(data(), meta(), spec(area=3))
    # areas with 3 indicators: 01 area 1, 02 area 2, 04 both; 03 has none
    check(res.levels["area"], [[45, NaN], [NaN, 55], [NaN, NaN], [35, 90]])
    check(res.levels["overall"], [[45], [55], [NaN], [62.5]])
    pd.testing.assert_frame_equal(res.n_indicators(), frame([[3], [3], [0], [6]], OVERALL))


def test_an_indicator_with_weight_zero_does_not_count():
    # i2 weighs 0: unit 01's area 1 then rests on i1 and i3 (2 < 3) -> NaN;
    # unit 04 likewise (i1, i3).  Its focus area 1.1 = i1 alone: 01 = 20, 04 = 10.
    res = build_index(data(), meta({"i2": 0.0}), spec(area=3))
    assert res.n_indicators("area")["1"].tolist() == [2, 1, 1, 2]
    assert res.n_indicators("focus_area")["1.1"].tolist() == [1, 1, 0, 1]
    check(res.levels["area"], [[NaN, NaN], [NaN, 55], [NaN, NaN], [NaN, 90]])
    check(res.levels["overall"], [[NaN], [55], [NaN], [90]])
    # with i2 at weight 1, 01 and 04 have 3 indicators in area 1 and keep it
    kept = build_index(data(), meta(), spec(area=3)).levels["area"]["1"]
    assert kept.notna().tolist() == [True, False, False, True]


def test_focus_area_minimum_and_what_the_areas_then_rest_on():
    res = build_index(data(), meta(), spec(focus_area=2))
    # a focus area needs 2 indicators: 1.2 and 2.2 have one each -> NaN everywhere;
    # 1.1 is kept for 01 (30) and 04 (20); 2.1 for 02 (20) and 04 (80)
    check(res.levels["focus_area"], [[30, NaN, NaN, NaN], [NaN, NaN, 20, NaN],
                                     [NaN, NaN, NaN, NaN], [20, NaN, 80, NaN]])  # fmt: skip
    # the areas are the means of the scored focus areas
    check(res.levels["area"], [[30, NaN], [NaN, 20], [NaN, NaN], [20, 80]])
    check(res.levels["overall"], [[30], [20], [NaN], [50]])  # 04: (20 + 80) / 2
    pd.testing.assert_frame_equal(res.n_indicators("focus_area"), FA_COUNTS)
    # a masked focus area brings no indicator to its area: 01 area 1 = 2 (1.1
    # only, not i3 of the masked 1.2), 04 area 1 = 2, area 2 = 2
    check(res.n_indicators("area"), [[2, 0], [0, 2], [0, 0], [2, 2]])
    check(res.n_indicators(), [[2], [2], [0], [4]])


def test_overall_minimum():
    res = build_index(data(), meta(), spec(overall=4))
    # overall counts 4, 4, 3, 6: unit 03 has no overall score, its areas stay
    check(res.levels["overall"], [[62.5], [52.5], [NaN], [62.5]])
    check(res.levels["area"], [[45, 80], [50, 55], [70, 30], [35, 90]])
    assert res.ranking()["unit_code"].tolist() == ["01", "04", "02", "03"]
    check(build_index(data(), meta(), spec(overall=5)).levels["overall"],
          [[NaN], [NaN], [NaN], [62.5]])  # fmt: skip


def test_minimum_at_two_levels():
    # area 2 masks 01's area 2, 02's and 03's area 1 (see above); the overall
    # then rests on 3, 3, 2 and 6 indicators, and 3 is required there: 03 is out
    res = build_index(data(), meta(), spec(area=2, overall=3))
    check(res.levels["overall"], [[45], [55], [NaN], [62.5]])


def test_imputed_values_count():
    # with mean imputation every cell has a value: every unit keeps every area
    res = build_index(data(), meta(), {**spec(area=3), "impute": {"method": "mean"}})
    assert res.n_indicators("area").to_numpy().tolist() == [[3, 3]] * 4
    assert res.levels["area"].notna().all().all()


def test_counts_are_saved_and_rebuilt(tmp_path):
    res = build_index(data(), meta(), spec(area=2))
    assert "counts.csv" in res.save(tmp_path)
    back = pd.read_csv(tmp_path / "counts.csv", dtype={"unit_code": str, "code": str})
    assert back.columns.tolist() == ["unit_code", "level", "code", "n_indicators"]
    area = back[back["level"] == "area"].pivot(index="unit_code", columns="code")
    assert area["n_indicators"].to_numpy().tolist() == AREA_COUNTS.to_numpy().tolist()
    assert len(back) == 4 * (4 + 2 + 1)
    again = res.rebuild()
    for level in ("indicator", "focus_area", "area", "overall"):
        pd.testing.assert_frame_equal(again.n_indicators(level), res.n_indicators(level))
    pd.testing.assert_frame_equal(again.scores, res.scores)
    assert IndexSpec.from_yaml(tmp_path / "spec.yaml").aggregate["area"].min_indicators == 2


def test_counts_recomputed_for_a_result_made_without_them():
    import dataclasses

    res = build_index(data(), meta(), spec(focus_area=2))
    bare = dataclasses.replace(res, counts={})
    for level in ("indicator", "focus_area", "area", "overall"):
        pd.testing.assert_frame_equal(bare.n_indicators(level), res.n_indicators(level))
    with pytest.raises(IndexInputError, match="unknown level 'region'"):
        res.n_indicators("region")


def test_panel_counts_table_has_the_year():
    later = data()
    later.loc["03", "i1"] = 6.0  # 03's area 1 now rests on i1 and i3
    res = build_index({2022: data(), 2023: later}, meta(), spec(area=2))
    table = res.counts_table()
    assert table.columns.tolist() == ["year", "unit_code", "level", "code", "n_indicators"]
    a1 = res.levels["area"]["1"]
    assert np.isnan(a1.loc[(2022, "03")]) and a1.loc[(2023, "03")] == pytest.approx(65.0)
    row = table.query("year == 2023 and unit_code == '03' and level == 'area' and code == '1'")
    assert row["n_indicators"].tolist() == [2]


# -- the functions themselves ------------------------------------------------


def test_aggregate_and_count_indicators_directly():
    x = pd.DataFrame({"a": [1.0, 2.0, NaN], "b": [3.0, NaN, NaN], "c": [5.0, 6.0, 7.0]},
                     index=["01", "02", "03"])  # fmt: skip
    fa = {"a": "1.1", "b": "1.1", "c": "1.2"}
    n_fa = count_indicators(x, fa)
    assert n_fa.to_numpy().tolist() == [[2, 1], [1, 1], [0, 1]]
    # min 2 in 1.1: only 01 keeps it (mean (1 + 3) / 2 = 2)
    got = aggregate(x, fa, min_indicators=2)
    assert got["1.1"].iloc[0] == 2.0 and got["1.1"].iloc[1:].isna().all()
    assert got["1.2"].isna().all()  # one indicator (c) for everyone
    # one level up: area counts the indicators beneath, not the focus areas
    scores = aggregate(x, fa)
    area = {"1.1": "1", "1.2": "1"}
    assert count_indicators(scores, area, counts=n_fa)["1"].tolist() == [3, 2, 1]
    up = aggregate(scores, area, min_indicators=2, counts=n_fa)
    # 01: (2 + 5) / 2 = 3.5; 02: (2 + 6) / 2 = 4; 03: 1 indicator -> NaN
    assert up["1"].tolist()[:2] == [3.5, 4.0] and np.isnan(up["1"].iloc[2])
    # a child with weight 0 brings nothing
    no_fa = count_indicators(scores, area, weights={"1.1": 0.0}, counts=n_fa)
    assert no_fa["1"].tolist() == [1, 1, 1]  # c alone
    with pytest.raises(IndexInputError, match="no indicator count"):
        count_indicators(scores, area, counts=n_fa.drop(columns="1.2"))


@pytest.mark.parametrize("bad", [-1, 1.5, 2.0, True, "2", None])
def test_aggregate_refuses_a_bad_minimum(bad):
    x = pd.DataFrame({"a": [1.0]}, index=["01"])
    with pytest.raises(IndexInputError, match="min_indicators must be a whole number >= 0"):
        aggregate(x, {"a": "g"}, min_indicators=bad)


# -- the spec ------------------------------------------------------------------


def test_spec_field_default_and_round_trip(tmp_path):
    assert AggregateSpec().min_indicators == 0
    s = IndexSpec.from_dict(spec(area=2, focus_area=1))
    assert s.aggregate["area"].min_indicators == 2 and s.aggregate["overall"].min_indicators == 0
    d = s.to_dict()
    assert d["aggregate"]["area"]["min_indicators"] == 2
    assert d["aggregate"]["overall"]["min_indicators"] == 0
    assert IndexSpec.from_dict(d) == s
    text = s.to_yaml()
    assert "min_indicators: 2" in text
    assert IndexSpec.from_yaml(text) == s
    path = tmp_path / "method.yaml"
    path.write_text(text, encoding="utf-8")
    assert IndexSpec.from_yaml(path) == s
    # as a framework would write it
    y = IndexSpec.from_yaml("aggregate:\n  area: {min_indicators: 2}\n")
    assert y.aggregate["area"] == AggregateSpec(min_indicators=2)
    more = s.updated({"aggregate": {"area": {"min_indicators": 3}}})
    assert more.aggregate["area"].min_indicators == 3
    # a whole number written as 2.0 is taken as 2 (as every integer field)
    assert IndexSpec.from_dict(spec(area=2.0)).aggregate["area"].min_indicators == 2  # type: ignore[arg-type]


def test_spec_refuses_bad_minimums_all_at_once():
    with pytest.raises(SpecError) as err:
        IndexSpec.from_dict(
            {
                "aggregate": {
                    "focus_area": {"min_indicators": -1},
                    "area": {"min_indicators": 1.5},
                    "overall": {"min_indicators": True},
                }
            }
        )
    msg = str(err.value)
    assert len(err.value.problems) == 3
    assert "aggregate.focus_area.min_indicators: -1 is outside [0, 1000000]" in msg
    assert "aggregate.area.min_indicators: expected a whole number, got 1.5" in msg
    assert "aggregate.overall.min_indicators: expected a number, got True" in msg
    field = "aggregate.area.min_indicators"
    with pytest.raises(SpecError, match=f"{field}: expected a number, got 'two'"):
        IndexSpec.from_dict({"aggregate": {"area": {"min_indicators": "two"}}})
    with pytest.raises(SpecError, match=f"{field}: expected a number, got None"):
        IndexSpec.from_yaml("aggregate:\n  area: {min_indicators: null}\n")
    # built in code, the same checks
    with pytest.raises(SpecError, match="aggregate.area.min_indicators"):
        IndexSpec(aggregate={"area": AggregateSpec(min_indicators=-2)})
