"""Every goalpost of the shipped framework states a basis that the data and the YAML bear out.

The checks read the YAML with plain ``yaml`` and the bundled observations with
``pandas``; the province values of the derived indicators are recomputed here by
hand (``HAND``), not with the package's formula engine.
"""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest
import yaml

from learningcity.framework import BASIS_KINDS, default_framework_path, load_framework
from learningcity.paths import data_dir

KINDS = {"scale", "target", "norm", "observed", "choice"}

# Province values of each indicator from the raw variables, worked out by hand from
# the indicator's definition (libraries per 100,000 people; library_books is in
# thousand copies; pupils per teacher).
HAND = {
    "literacy_rate": lambda w: w["literacy_rate_15plus"],
    "poverty_rate_inverse": lambda w: w["poverty_rate"],
    "trained_workers_rate": lambda w: w["trained_workers_share"],
    "income_per_capita": lambda w: w["income_per_capita_monthly"],
    "libraries_per_100k": lambda w: w["libraries"] / w["population"] * 100_000,
    "electricity_access": lambda w: w["households_with_electricity_share"],
    "university_students_per_10k": lambda w: w["university_students"] / w["population"] * 10_000,
    "library_books_per_capita": lambda w: w["library_books"] * 1000 / w["population"],
    "upper_secondary_graduation": lambda w: w["upper_secondary_graduation_rate"],
    "pupils_per_teacher": lambda w: w["general_pupils"] / w["general_teachers"],
    "study_promotion_membership": lambda w: w["study_promotion_members_share"],
    "income_inequality": lambda w: w["income_per_capita_q5"] / w["income_per_capita_q1"],
}
# Indicators the GSO province tables of data/observations/provinces-gso.csv cover.
GSO_INDICATORS = [k for k in HAND if k != "study_promotion_membership"]


@pytest.fixture(scope="module")
def raw():
    with open(default_framework_path(), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def indicators(raw):
    return {item["id"]: item for item in raw["indicators"]}


@pytest.fixture(scope="module")
def source_ids():
    with open(data_dir() / "sources.csv", encoding="utf-8-sig", newline="") as fh:
        return {row["source_id"] for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def observations():
    frames = [
        pd.read_csv(path, dtype={"unit_code": str}, keep_default_na=False, na_values=[""])
        for path in sorted((data_dir() / "observations").glob("*.csv"))
    ]
    obs = pd.concat(frames, ignore_index=True)
    return obs[obs["level"] == "province"]


def bases(indicators):
    for iid, item in indicators.items():
        for k, end in enumerate(("low", "high")):
            yield iid, end, item["goalposts"][k], item["goalpost_basis"][end]


def province_values(observations, indicator, year, sources=None):
    """The indicator's value per province in ``year``, from the named sources only."""
    rows = observations[observations["year"] == year]
    if sources is not None:
        rows = rows[rows["source_id"].isin(sources)]
    wide = rows.pivot_table(index="unit_name", columns="indicator", values="value", aggfunc="first")
    try:
        values = HAND[indicator](wide)
    except KeyError:  # a variable absent that year
        return pd.Series(dtype=float)
    return values.dropna()


def numbers_in(text):
    """Numbers written in an English text ('1,222', '60.2', '2016'), with their decimals."""
    for token in re.findall(r"\d[\d,]*(?:\.\d+)?", text):
        token = token.replace(",", "")
        decimals = len(token.split(".")[1]) if "." in token else 0
        yield float(token), decimals


def test_the_five_kinds():
    assert set(BASIS_KINDS) == KINDS and len(BASIS_KINDS) == 5


def test_every_goalpost_has_a_basis_in_both_languages(indicators):
    for iid, end, _value, basis in bases(indicators):
        assert basis["kind"] in KINDS, (iid, end)
        assert isinstance(basis["en"], str) and basis["en"].strip(), (iid, end)
        assert isinstance(basis["vi"], str) and basis["vi"].strip(), (iid, end)
        # Vietnamese with its diacritics, not an ASCII transliteration or a copy of en.
        assert re.search(r"[^\x00-\x7f]", basis["vi"]), (iid, end, basis["vi"])
        assert basis["vi"] != basis["en"], (iid, end)
        if basis["kind"] in ("target", "norm", "observed"):
            assert str(basis.get("source", "")).strip(), (iid, end)


def test_scale_bases_are_natural_bounds(indicators):
    for iid, end, value, basis in bases(indicators):
        if basis["kind"] != "scale":
            continue
        unit = indicators[iid]["unit"]
        bounds = {0}
        if unit == "%":
            bounds.add(100)
        scale = re.search(r"\(([\d.]+)-([\d.]+)\)", unit)  # "stage (0-2)", "score (0.25-2.5)"
        if scale:
            bounds |= {float(scale[1]), float(scale[2])}
        if unit == "times":
            bounds.add(1)  # a ratio of two equal amounts
        assert value in bounds, (iid, end, value, unit)


def test_target_bases_are_targets_of_the_indicator(indicators):
    found = 0
    for iid, end, value, basis in bases(indicators):
        if basis["kind"] != "target":
            continue
        found += 1
        targets = indicators[iid].get("targets") or []
        matching = [t for t in targets if t["value"] == value]
        assert matching, (iid, end, value, targets)
        if "year" in basis:
            assert any(t["year"] == basis["year"] for t in matching), (iid, end)
        assert any(basis["source"] in t["source"] for t in matching), (iid, end)
    assert found >= 1
    # QĐ 1373/QĐ-TTg: 60 % of workers trained by 2030, the high goalpost.
    twr = indicators["trained_workers_rate"]
    assert twr["goalposts"][1] == 60
    assert twr["goalpost_basis"]["high"]["kind"] == "target"
    assert {"year": 2030, "value": 60}.items() <= twr["targets"][1].items()


def test_norm_basis_of_clc_funding(indicators):
    item = indicators["clc_funding"]
    basis = item["goalpost_basis"]["high"]
    assert basis["kind"] == "norm"
    assert "96/2008/TT-BTC" in basis["source"]
    assert item["goalposts"][1] == 25 and "25 million" in item["notes"]


def test_sources_of_observed_and_choice_bases_are_known(indicators, source_ids):
    for iid, end, _value, basis in bases(indicators):
        if basis["kind"] == "observed" or (basis["kind"] == "choice" and "source" in basis):
            assert isinstance(basis["year"], int) and not isinstance(basis["year"], bool)
            for sid in basis["source"].split(";"):
                assert sid.strip() in source_ids, (iid, end, sid)


def test_observed_bases_bracket_the_observed_range(indicators, observations):
    checked = []
    for iid, end, value, basis in bases(indicators):
        if basis["kind"] != "observed":
            continue
        assert iid in HAND, f"{iid}: no hand formula to check its observed basis"
        sources = [s.strip() for s in basis["source"].split(";")]
        values = province_values(observations, iid, basis["year"], sources)
        assert not values.empty, (iid, end, basis)
        text = basis["en"]
        if end == "low":
            assert value <= values.min(), (iid, value, values.min())
            extreme, unit = values.min(), values.idxmin()
        else:
            assert value >= values.max(), (iid, value, values.max())
            extreme, unit = values.max(), values.idxmax()
        # What the text says was observed: the number of provinces, the extreme
        # province and its value as rounded in the text.
        count = re.search(r"(\d+) provinces", text)
        if count:
            assert int(count.group(1)) == len(values), (iid, end, len(values))
        else:
            assert "only figure" in text and len(values) == 1, (iid, end)
        assert unit in text, (iid, end, unit)
        assert any(abs(n - extreme) <= 0.5 * 10**-d + 1e-9 for n, d in numbers_in(text)), (
            iid,
            end,
            extreme,
            text,
        )
        assert str(basis["year"]) in text
        checked.append((iid, end))
    assert len(checked) >= 10


def test_goalposts_bracket_the_latest_province_range_or_say_they_do_not(indicators, observations):
    """A goalpost inside the latest observed range of the 63 provinces must say so."""
    for iid in GSO_INDICATORS:
        years = sorted(observations["year"].unique(), reverse=True)
        values = next(
            v for v in (province_values(observations, iid, y) for y in years) if len(v) > 1
        )
        low, high = indicators[iid]["goalposts"]
        for end, inside in (("low", low > values.min()), ("high", high < values.max())):
            basis = indicators[iid]["goalpost_basis"][end]
            if inside:
                assert basis["kind"] == "choice", (iid, end)
                assert "does not bracket" in basis["en"], (iid, end)


def test_university_students_goalpost_is_flagged(indicators, observations):
    """The 500 per 10,000 goalpost caps 5 provinces in 2016: stated, not hidden."""
    values = province_values(observations, "university_students_per_10k", 2016)
    assert len(values) == 45  # 18 provinces '..' in GSO's table
    assert (values > 500).sum() == 5
    assert values.idxmax() == "Hà Nội" and round(values.max()) == 834
    basis = indicators["university_students_per_10k"]["goalpost_basis"]["high"]
    assert basis["kind"] == "choice"
    assert "5 of the 45 provinces" in basis["en"] and "834" in basis["en"]


def test_choices_say_they_are_choices(indicators):
    choices = [(iid, end, b) for iid, end, _v, b in bases(indicators) if b["kind"] == "choice"]
    assert choices
    for iid, end, basis in choices:
        assert basis["en"].startswith("project's choice"), (iid, end)
        assert basis["vi"].startswith("lựa chọn của dự án"), (iid, end)
    # Sparingly: far fewer than the bases resting on a scale, target, norm or data.
    assert len(choices) <= len(indicators) // 3


def test_accessor_agrees_with_the_yaml(indicators):
    gb = load_framework().goalpost_basis().set_index(["indicator", "end"])
    assert len(gb) == 2 * len(indicators)
    for iid, end, value, basis in bases(indicators):
        row = gb.loc[(iid, end)]
        assert row["value"] == value and row["kind"] == basis["kind"]
        assert row["text"] == basis["en"]
        assert row["source"] == basis.get("source", "")
        assert (pd.isna(row["year"]) and "year" not in basis) or row["year"] == basis["year"]
    vi = load_framework().goalpost_basis("vi").set_index(["indicator", "end"])
    expected = indicators["literacy_rate"]["goalpost_basis"]["low"]["vi"]
    assert vi.loc[("literacy_rate", "low"), "text"] == expected
