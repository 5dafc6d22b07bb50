"""Screening before imputation (the default) or after it (``screen: {after: impute}``).

Five units, three indicators (a in focus area 1.1, b in 1.2, c in 2.1), two regions
(N: 01, 02, 03; S: 04, 05), imputation by region mean:

          a     b     c      availability  non-zero share (of 3)
    01    1     2     4      3/3           3/3
    02    3     -     6      2/3           2/3
    03    -     4     -      1/3           1/3
    04    5     6     -      2/3           2/3
    05    -     0     -      1/3           0/3

Screen by availability, threshold 0.6, *then* impute (default): 03 and 05 go
(1/3 < 0.6); 01, 02, 04 stay.  Region means over the kept units: N (01, 02) fills
02.b = 01.b = 2; S (04 alone) has no c, so 04.c stays missing.

Impute *then* screen: region means over all five units.
    N: a of 03 = (1 + 3)/2 = 2;  b of 02 = (2 + 4)/2 = 3;  c of 03 = (4 + 6)/2 = 5
    S: a of 05 = 5 (04's);  no c in S, so 04.c and 05.c stay missing
          a     b     c      availability  non-zero share
    01    1     2     4      1             1
    02    3     3     6      1             1
    03    2     4     5      1             1
    04    5     6     -      2/3           2/3
    05    5     0     -      2/3           1/3
At threshold 0.6 every unit stays; screening on zeros too (non-zero share at least
0.6) drops 05 alone (1/3; also 1/2 of its values present, as COINr counts it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learningcity.index import IndexSpec, SpecError, build_index

NAN = np.nan
UNITS = ["01", "02", "03", "04", "05"]
META = pd.DataFrame(
    {"focus_area": ["1.1", "1.2", "2.1"], "area": ["1", "1", "2"]}, index=["a", "b", "c"]
)
DATA = pd.DataFrame(
    {
        "a": [1.0, 3.0, NAN, 5.0, NAN],
        "b": [2.0, NAN, 4.0, 6.0, 0.0],
        "c": [4.0, 6.0, NAN, NAN, NAN],
    },
    index=UNITS,
)
REGION = pd.Series(["N", "N", "N", "S", "S"], index=UNITS, name="region")


def spec(**screen) -> dict:
    return {
        "screen": {"threshold": 0.6, **screen},
        "impute": {"method": "group_mean", "group": "region"},
        "treat": {"method": "none"},
    }


def run(**screen):
    return build_index(DATA, META, spec(**screen), groups=REGION)


def test_default_order_screens_the_data_as_given_then_imputes():
    res = run()
    assert res.levels["overall"].index.tolist() == ["01", "02", "04"]
    assert res.screening["kept"].tolist() == [True, True, False, True, False]
    assert res.screening.loc["03", "availability"] == pytest.approx(1 / 3)
    assert res.imputed.loc["02", "b"] == 2.0  # region N's mean over 01 and 02 only
    assert np.isnan(res.imputed.loc["04", "c"])  # no c in region S
    # min-max of a over the kept units 1, 3, 5: 0, 50, 100
    assert res.normalised["a"].tolist() == [0.0, 50.0, 100.0]
    # the default is explicit in the spec and gives the same result
    assert IndexSpec().screen.after == "denominate"
    same = run(after="denominate")
    pd.testing.assert_frame_equal(same.levels["overall"], res.levels["overall"])


def test_screening_after_imputation_keeps_the_units_imputation_completed():
    res = run(after="impute")
    assert res.levels["overall"].index.tolist() == UNITS
    assert res.screening["availability"].tolist() == pytest.approx([1, 1, 1, 2 / 3, 2 / 3])
    assert res.imputed.loc["02", "b"] == 3.0  # now also from 03's b = 4
    assert res.imputed.loc["03"].tolist() == [2.0, 4.0, 5.0]
    assert res.imputed.loc["05", "a"] == 5.0
    assert res.imputed_flags.loc["03"].tolist() == [True, False, True]
    assert res.imputed_flags.to_numpy().sum() == 4  # 02.b, 03.a, 03.c, 05.a
    # min-max of a = 1, 3, 2, 5, 5 (min 1, max 5): 0, 50, 25, 100, 100
    assert res.normalised["a"].tolist() == [0.0, 50.0, 25.0, 100.0, 100.0]


def test_zeros_rule_after_imputation_drops_the_unit_left_mostly_zero():
    res = run(after="impute", by="na_and_zeros", nonzero_threshold=0.6)
    assert res.levels["overall"].index.tolist() == ["01", "02", "03", "04"]
    assert res.screening.loc["05", "nonzero"] == pytest.approx(1 / 3)
    assert res.screening.loc["05", "reason"] == "non-zero share below 0.6"
    # before imputation 05 goes for its availability, and 03 too
    before = run(by="na_and_zeros", nonzero_threshold=0.6)
    assert before.levels["overall"].index.tolist() == ["01", "02", "04"]
    assert before.screening.loc["05", "reason"] == "availability below 0.6"


def test_after_imputation_full_imputation_screens_nothing_out_for_gaps():
    # Region-free mean imputation fills every gap: a = 3 ((1+3+5)/3), b = 3 ((2+4+6+0)/4),
    # c = 5 ((4+6)/2).  At threshold 1 only 01 (no gap) passes before imputation;
    # after it, every unit has full data (COINr's Screen() on an imputed data set).
    s = {"screen": {"threshold": 1.0}, "impute": {"method": "mean"}, "treat": {"method": "none"}}
    before = build_index(DATA, META, s)
    assert before.levels["overall"].index.tolist() == ["01"]
    after = build_index(DATA, META, {**s, "screen": {"threshold": 1.0, "after": "impute"}})
    assert after.levels["overall"].index.tolist() == UNITS
    assert after.imputed.loc["05"].tolist() == [3.0, 0.0, 5.0]


def test_forced_exclusion_after_imputation_still_feeds_the_imputation():
    # 03 is excluded, but its b = 4 still enters region N's mean for 02: (2 + 4)/2 = 3
    res = run(after="impute", exclude=["03"])
    assert res.levels["overall"].index.tolist() == ["01", "02", "04", "05"]
    assert res.imputed.loc["02", "b"] == 3.0
    assert res.screening.loc["03", "reason"] == "forced exclude"


def test_after_is_read_from_yaml_and_unknown_steps_list_the_valid_ones(tmp_path):
    s = IndexSpec.from_yaml("screen: {threshold: 0.5, after: impute}")
    assert s.screen.after == "impute" and s.to_dict()["screen"]["after"] == "impute"
    assert IndexSpec.from_yaml(s.to_yaml()) == s
    path = tmp_path / "order.yml"
    path.write_text("screen: {after: treat}\nimpute: {after: screen}\n", encoding="utf-8")
    with pytest.raises(SpecError) as err:
        IndexSpec.from_yaml(path)
    assert str(err.value).startswith(f"{path}: 2 problem(s):")
    assert err.value.problems[0] == "screen.after: 'treat' is not one of denominate, impute"
    assert err.value.problems[1].startswith("impute: unknown field 'after'")
    with pytest.raises(SpecError, match=r"screen.after: expected a name \(one of denominate"):
        IndexSpec.from_dict({"screen": {"after": ["impute"]}})
