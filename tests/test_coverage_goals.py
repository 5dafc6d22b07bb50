"""What the bundled province data can carry (issue 12's goals), counted from the data.

Computability is counted with :func:`coverage.computable` (every input variable of the
indicator has a value), independently of the index engine.
"""

from __future__ import annotations

import pandas as pd
import pytest

from learningcity.coverage import computable, framework_inputs
from learningcity.data import load_bundled_observations
from learningcity.framework import load_framework


@pytest.fixture(scope="module")
def provinces() -> pd.DataFrame:
    fw = load_framework()
    obs = load_bundled_observations()
    obs = obs[(obs["level"] == "province") & (obs["unit_code"].str.len() == 2)]
    can = computable(obs, framework_inputs(fw))
    areas = fw.indicators().set_index("id")[["focus_area", "area"]]
    return can.join(areas, on="indicator")


def _per_indicator_year(provinces: pd.DataFrame) -> pd.DataFrame:
    n = provinces.groupby(["indicator", "year"])["unit_code"].nunique().rename("n")
    return n.reset_index().join(
        provinces.drop_duplicates("indicator").set_index("indicator")[["focus_area", "area"]],
        on="indicator",
    )


def test_every_area_has_province_data_in_2016_and_after_2018(provinces):
    for years in ([2016], list(range(2019, 2027))):
        got = provinces[provinces["year"].isin(years)]
        assert set(got["area"]) == {"1", "2", "3"}, years


def test_nine_focus_areas_have_an_indicator_for_all_63_provinces(provinces):
    n = _per_indicator_year(provinces)
    full = n[n["n"] == 63]
    assert full["focus_area"].nunique() >= 9, sorted(full["focus_area"].unique())


def test_the_2016_province_index_can_rest_on_16_indicators(provinces):
    n = _per_indicator_year(provinces)
    kept = n[(n["year"] == 2016) & (n["n"] >= 0.65 * 63)]
    assert len(kept) >= 16, sorted(kept["indicator"])
