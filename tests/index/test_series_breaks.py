"""Series breaks: no score change is computed across a year where a series changes definition."""

from __future__ import annotations

import pandas as pd
import pytest

from learningcity.framework import FrameworkError, default_framework_path, load_framework
from learningcity.index import build_index, series_break_years
from learningcity.paths import data_dir


def _panel():
    # p breaks in 2010; q does not. Pooled min-max over the panel (1..6 and 6..1):
    # unit 01: p = 1, 3, 5 -> 0, 40, 80; q = 6, 4, 2 -> 100, 60, 20.
    meta = pd.DataFrame(
        {"focus_area": ["1.1", "1.2"], "area": ["1", "1"], "series_breaks": ["2010", ""]},
        index=["p", "q"],
    )
    idx = pd.MultiIndex.from_product(
        [[2008, 2010, 2012], ["01", "02"]], names=["year", "unit_code"]
    )
    data = pd.DataFrame({"p": [1, 2, 3, 4, 5, 6.0], "q": [6, 5, 4, 3, 2, 1.0]}, index=idx)
    return data, meta


def test_changes_across_a_break_are_not_computed():
    data, meta = _panel()
    c = build_index(data, meta).changes
    c = c[c["unit_code"] == "01"].set_index(["level", "code", "year_from"])
    # Across 2010, p and everything above it (1.1, area 1, overall) has no change.
    for key in [("indicator", "p"), ("focus_area", "1.1"), ("area", "1"), ("overall", "overall")]:
        assert pd.isna(c.loc[(*key, 2008), "score_change"]), key
        assert c.loc[(*key, 2008), "break_year"] == 2010
        assert pd.isna(c.loc[(*key, 2008), "rank_change"])
    # After the break, and for q throughout, changes are as computed by hand.
    assert c.loc[("indicator", "p", 2010), "score_change"] == pytest.approx(40.0)
    assert c.loc[("indicator", "q", 2008), "score_change"] == pytest.approx(-40.0)
    assert pd.isna(c.loc[("indicator", "q", 2008), "break_year"])
    # Area 1 = mean of 1.1 and 1.2: 50 in 2010 and (80 + 20) / 2 = 50 in 2012.
    assert c.loc[("area", "1", 2010), "score_change"] == pytest.approx(0.0)


def test_break_years_climb_the_hierarchy():
    _, meta = _panel()
    years = series_break_years(meta)
    assert years[("indicator", "p")] == years[("overall", "overall")] == (2010,)
    assert ("focus_area", "1.2") not in years and ("indicator", "q") not in years


def test_the_poverty_series_breaks_in_2010_and_the_data_show_it():
    fw = load_framework()
    assert fw.indicator_breaks() == {"poverty_rate_inverse": (2010,)}
    assert fw.indicator_table().loc["poverty_rate_inverse", "series_breaks"] == "2010"
    # The evidence, counted from the bundled GSO table independently of the framework:
    # provinces whose rate rose from 2006 to 2008, and from 2008 to 2010.
    gso = pd.read_csv(data_dir() / "observations" / "provinces-gso.csv", dtype={"unit_code": str})
    rate = gso[gso["indicator"] == "poverty_rate"].pivot(
        index="unit_code", columns="year", values="value"
    )
    assert int((rate[2008] > rate[2006]).sum()) == 1
    assert int((rate[2010] > rate[2008]).sum()) == 42
    notes = gso[(gso["indicator"] == "poverty_rate") & (gso["year"] == 2010)]["note"]
    assert len(notes) == 63 and notes.str.startswith("Series break").all()


@pytest.mark.parametrize(
    ("breaks", "message"),
    [
        ("2010", "expected a list"),
        ([{"year": "2010", "en": "x", "vi": "y"}], "expected the first year"),
        ([{"year": 2010, "en": "x"}], "vi: missing"),
        ([{"year": 2010, "en": "x", "vi": "y"}, {"year": 2010, "en": "x", "vi": "y"}], "second"),
    ],
)
def test_malformed_breaks_are_refused(tmp_path, breaks, message):
    import yaml

    data = yaml.safe_load(default_framework_path().read_text(encoding="utf-8"))
    poverty = next(v for v in data["variables"] if v["id"] == "poverty_rate")
    poverty["breaks"] = breaks
    path = tmp_path / "fw.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FrameworkError, match=message):
        load_framework(path)


def test_breaks_climb_a_hierarchy_of_any_depth():
    # p -> S1 -> P1 -> overall; q -> S2 -> P1: only p's line inherits its 2010 break.
    meta = pd.DataFrame(
        {"sub": ["S1", "S2"], "pillar": ["P1", "P1"], "series_breaks": ["2010", ""]},
        index=["p", "q"],
    )
    years = series_break_years(meta, ("sub", "pillar", "overall"))
    assert years == {
        ("indicator", "p"): (2010,),
        ("sub", "S1"): (2010,),
        ("pillar", "P1"): (2010,),
        ("overall", "overall"): (2010,),
    }
