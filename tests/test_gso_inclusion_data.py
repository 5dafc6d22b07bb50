"""GSO's inclusion tables by province: levels add up, ranges hold, and the quintiles agree
with GSO's separately published ratio of the richest to the poorest fifth."""

from __future__ import annotations

import pandas as pd
import pytest

from learningcity.paths import data_dir

LEVELS = ["primary", "lower_secondary", "upper_secondary"]


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    t = pd.read_csv(
        data_dir() / "observations" / "provinces-gso-inclusion.csv", dtype={"unit_code": str}
    )
    assert not t.duplicated(["unit_code", "year", "indicator"]).any()
    return t.pivot_table(index=["year", "unit_code"], columns="indicator", values="value")


@pytest.mark.parametrize("stem", ["schoolgirls", "female_teachers"])
def test_levels_add_up_to_general_education(wide, stem):
    parts = wide[[f"{stem}_{lv}" for lv in LEVELS]].sum(axis=1, min_count=3)
    gap = (parts - wide[f"{stem}_general"]).dropna().abs()
    assert len(gap) == 63 * 13  # 2004-2016, every province
    assert (gap == 0).all(), gap[gap > 0]


def test_girls_and_women_are_fewer_than_pupils_and_teachers(wide):
    gso = pd.read_csv(data_dir() / "observations" / "provinces-gso.csv", dtype={"unit_code": str})
    totals = gso.pivot_table(index=["year", "unit_code"], columns="indicator", values="value")
    both = wide.join(totals, how="inner")
    # The one impossible cell GSO published (noted in the data): Hà Giang's 2011 primary
    # girls, 89,483 against 77,258 pupils, which lifts its girls' share to 84 %.
    over = both[both["schoolgirls_primary"] > both["primary_pupils"]]
    assert over.index.tolist() == [(2011, "02")]
    share = both["schoolgirls_general"] / both["general_pupils"] * 100
    odd = share[~share.between(40, 60)]
    assert odd.index.tolist() == [(2011, "02")] and 84 < odd.item() < 85
    female = both["female_teachers_general"] / both["general_teachers"] * 100
    assert female.between(40, 100).all()


def test_quintiles_rise_and_match_gsos_published_ratio(wide):
    q = wide[[f"income_per_capita_q{i}" for i in range(1, 6)]].dropna()
    assert len(q) == 63 * 4  # 2010, 2012, 2014, 2016
    assert (q.diff(axis=1).iloc[:, 1:] > 0).all().all()
    ratio = q["income_per_capita_q5"] / q["income_per_capita_q1"]
    published = wide.loc[q.index, "income_ratio_q5_q1"]
    close = (ratio - published).abs() <= 0.1  # GSO divides unrounded incomes
    # The exception: Hà Nam 2016, whose Q5 the two GSO tables print with swapped digits.
    assert close[~close].index.tolist() == [(2016, "35")]


def test_rates_in_range(wide):
    assert wide["children_under1_fully_immunised_share"].dropna().between(0, 100).all()
    assert wide["under5_mortality_rate"].dropna().between(5, 100).all()
