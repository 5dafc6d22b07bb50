"""The engine reproduces a published composite index: UNDP's Human Development Index.

Source of the inputs and expected values: UNDP, *Human Development Report 2015*,
statistical annex, Table 1 "Human Development Index and its components" (data year
2014), as published at http://hdr.undp.org/en/composite/HDI (archived 2016-05-15 at
https://megalodon.jp/ref/2016-0515-0933-16/hdr.undp.org/en/composite/HDI).  All 24
countries shown in that archived excerpt are used, none left out.

Method (HDR 2015 technical note 1, restated at http://hdr.undp.org/en/content/
human-development-index-hdi): goalposts life expectancy 20-85 years, expected years
of schooling 0-18 (capped at 18), mean years of schooling 0-15, GNI per capita
100-75,000 2011 PPP $ (capped at 75,000) on a log scale; education index = the
arithmetic mean of the two schooling indices; HDI = geometric mean of the health,
education and income indices.

The published inputs are rounded (life expectancy and schooling to 0.1 year, GNI to
the dollar), so the published HDI (3 decimals) can only be matched within 0.001.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from learningcity.index import build_index

# country: (published HDI, life expectancy, expected years, mean years, GNI per capita)
HDR2015_TABLE1 = {
    "Norway": (0.944, 81.6, 17.5, 12.6, 64992),
    "Australia": (0.935, 82.4, 20.2, 13.0, 42261),
    "Switzerland": (0.930, 83.0, 15.8, 12.8, 56431),
    "Denmark": (0.923, 80.2, 18.7, 12.7, 44025),
    "Netherlands": (0.922, 81.6, 17.9, 11.9, 45435),
    "Germany": (0.916, 80.9, 16.5, 13.1, 43919),
    "Ireland": (0.916, 80.9, 18.6, 12.2, 39568),
    "United States": (0.915, 79.1, 16.5, 12.9, 52947),
    "Canada": (0.913, 82.0, 15.9, 13.0, 42155),
    "New Zealand": (0.913, 81.8, 19.2, 12.5, 32689),
    "Singapore": (0.912, 83.0, 15.4, 10.6, 76628),
    "Hong Kong, China (SAR)": (0.910, 84.0, 15.6, 11.2, 53959),
    "Liechtenstein": (0.908, 80.0, 15.0, 11.8, 79851),
    "Sweden": (0.907, 82.2, 15.8, 12.1, 45636),
    "United Kingdom": (0.907, 80.7, 16.2, 13.1, 39267),
    "Iceland": (0.899, 82.6, 19.0, 10.6, 35182),
    "Korea (Republic of)": (0.898, 81.9, 16.9, 11.9, 33890),
    "Israel": (0.894, 82.4, 16.0, 12.5, 30676),
    "Luxembourg": (0.892, 81.7, 13.9, 11.7, 58711),
    "Japan": (0.891, 83.5, 15.3, 11.5, 36927),
    "Belgium": (0.890, 80.8, 16.3, 11.3, 41187),
    "France": (0.888, 82.2, 16.0, 11.1, 38056),
    "Austria": (0.885, 81.4, 15.7, 10.8, 43869),
    "Finland": (0.883, 80.8, 17.1, 10.3, 38695),
}

HDI_META = pd.DataFrame(
    {
        "focus_area": ["health", "education", "education", "income"],
        "area": ["hdi"] * 4,
        "direction": [1, 1, 1, 1],
        "weight": [1.0, 1.0, 1.0, 1.0],
        "goalpost_low": [20.0, 0.0, 0.0, 100.0],
        "goalpost_high": [85.0, 18.0, 15.0, 75000.0],
    },
    index=["life_expectancy", "expected_schooling", "mean_schooling", "gni_per_capita"],
)

# The HDI method as an engine spec (the same dict could be a YAML file).
HDI_SPEC = {
    "treat": {"method": "none", "individual": {"gni_per_capita": "log"}},
    "normalise": {"method": "goalposts", "scale": 1.0},
    "aggregate": {
        "focus_area": {"method": "arithmetic"},
        "area": {"method": "geometric"},
        "overall": {"method": "arithmetic"},
    },
}


def _data() -> pd.DataFrame:
    return pd.DataFrame(
        {c: v[1:] for c, v in HDR2015_TABLE1.items()},
        index=list(HDI_META.index),
    ).T


def _formula(le: float, eys: float, mys: float, gni: float) -> float:
    """HDI written out from the technical note, independently of the engine."""
    health = (le - 20) / 65
    education = (min(eys, 18) / 18 + mys / 15) / 2
    income = (math.log(min(gni, 75000)) - math.log(100)) / (math.log(75000) - math.log(100))
    return (health * education * income) ** (1 / 3)


def test_hdi_reproduces_published_values_within_rounding():
    res = build_index(_data(), HDI_META, HDI_SPEC)
    got = res.levels["overall"]["overall"]
    for country, (published, *_rest) in HDR2015_TABLE1.items():
        assert got[country] == pytest.approx(published, abs=0.001), country


def test_hdi_equals_the_technical_note_formula_exactly():
    res = build_index(_data(), HDI_META, HDI_SPEC)
    got = res.levels["overall"]["overall"]
    for country, (_hdi, *inputs) in HDR2015_TABLE1.items():
        assert got[country] == pytest.approx(_formula(*inputs), rel=1e-12), country


def test_hdi_caps_apply_through_goalpost_truncation():
    res = build_index(_data(), HDI_META, HDI_SPEC)
    # Australia's 20.2 expected years are capped at 18 -> index 1.
    assert res.normalised.loc["Australia", "expected_schooling"] == 1.0
    # Singapore's and Liechtenstein's GNI above 75,000 are capped -> income index 1.
    assert res.levels["focus_area"].loc["Singapore", "income"] == 1.0
    assert res.levels["focus_area"].loc["Liechtenstein", "income"] == 1.0
    # Norway's income index: ln(64992/100) / ln(750) = 6.476850 / 6.620073 = 0.978365
    assert res.levels["focus_area"].loc["Norway", "income"] == pytest.approx(0.978365, abs=1e-6)


def test_hdi_ranks_follow_published_order():
    res = build_index(_data(), HDI_META, HDI_SPEC)
    overall = res.scores.query("level == 'overall'").set_index("unit_code")
    assert overall.loc["Norway", "rank"] == 1
    assert overall.loc["Australia", "rank"] == 2
    assert overall.loc["Finland", "rank"] == len(HDR2015_TABLE1)


def test_hdi_method_as_yaml_gives_the_same_index():
    from learningcity.index import IndexSpec

    yaml_text = """
treat: {method: none, individual: {gni_per_capita: log}}
normalise: {method: goalposts, scale: 1.0}
aggregate:
  focus_area: {method: arithmetic}
  area: {method: geometric}
"""
    spec = IndexSpec.from_yaml(yaml_text)
    assert spec == IndexSpec.from_dict(HDI_SPEC)
    res = build_index(_data(), HDI_META, yaml_text)
    assert res.levels["overall"].loc["Norway", "overall"] == pytest.approx(0.944, abs=0.001)
