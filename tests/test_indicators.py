"""Derived indicators from raw statistics (worked by hand), safe formulas, the wide matrix."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from learningcity.data import load_bundled_observations
from learningcity.errors import UsageError
from learningcity.indicators import (
    FormulaError,
    derive_indicators,
    evaluate_formula,
    formula_names,
    to_wide,
)


def obs(rows):
    """Tidy rows from (unit_code, year, indicator, value, qualifier, source_id)."""
    return pd.DataFrame(
        [
            {
                "unit_code": code,
                "unit_name": {"15": "Yên Bái", "132": "Yên Bái", "133": "Nghĩa Lộ"}[code],
                "level": "province" if code == "15" else "district",
                "year": year,
                "indicator": ind,
                "value": value,
                "qualifier": qual,
                "source_id": src,
                "note": "",
            }
            for code, year, ind, value, qual, src in rows
        ]
    )


def test_libraries_per_100k_by_hand():
    tidy = obs(
        [
            ("15", 2016, "libraries", 10, "", "gso-t-libraries"),
            ("15", 2016, "population", 800100, "", "gso-t-area-population"),
        ]
    )
    out = derive_indicators(tidy, indicators=["libraries_per_100k"])
    assert len(out) == 1
    row = out.iloc[0]
    # 10 / 800,100 * 100,000 = 1.24984...
    assert row["value"] == pytest.approx(1.2498, abs=5e-5)
    assert row["unit_code"] == "15" and row["year"] == 2016
    assert row["source_id"] == "gso-t-libraries; gso-t-area-population"
    assert "libraries / population * 100000" in row["note"]
    assert "libraries=10 (gso-t-libraries)" in row["note"]
    assert "population=800100 (gso-t-area-population)" in row["note"]


def test_shipped_data_give_the_same_figure():
    tidy = load_bundled_observations()
    out = derive_indicators(tidy, indicators=["libraries_per_100k"])
    row = out[(out["unit_code"] == "15") & (out["year"] == 2016)]
    assert row["value"].item() == pytest.approx(10 / 800100 * 100000)


def test_pupils_per_teacher_and_funds_per_capita_by_hand():
    tidy = obs(
        [
            ("15", 2016, "general_pupils", 146011, "", "s1"),
            ("15", 2016, "general_teachers", 8249, "", "s1"),
            ("15", 2023, "study_promotion_funds_mobilised", 50, "~", "s2"),
            ("15", 2023, "population", 800000, "", "s3"),
        ]
    )
    out = derive_indicators(
        tidy, indicators=["pupils_per_teacher", "study_promotion_funds_per_capita"]
    ).set_index("indicator")
    # 146,011 / 8,249 = 17.70...
    assert out.loc["pupils_per_teacher", "value"] == pytest.approx(17.7004, abs=1e-4)
    assert out.loc["pupils_per_teacher", "source_id"] == "s1"
    # 50 billion VND = 50,000,000 thousand VND; / 800,000 people = 62.5 thousand VND each
    funds = out.loc["study_promotion_funds_per_capita"]
    assert funds["value"] == 62.5
    assert funds["qualifier"] == "~"  # an approximate input makes the result approximate


def test_missing_input_gives_nan_with_a_note():
    tidy = obs([("133", 2023, "libraries", 2, "", "s1")])
    out = derive_indicators(tidy, indicators=["libraries_per_100k"])
    assert len(out) == 1
    assert np.isnan(out.loc[0, "value"])
    assert "missing input: population" in out.loc[0, "note"]


def test_inputs_from_different_years_are_not_combined():
    tidy = obs(
        [
            ("15", 2016, "libraries", 10, "", "s1"),
            ("15", 2019, "population", 821030, "", "s2"),
        ]
    )
    out = derive_indicators(tidy, indicators=["libraries_per_100k"])
    assert out["value"].isna().all() and sorted(out["year"]) == [2016, 2019]


def test_max_lag_takes_the_latest_earlier_input():
    tidy = obs(
        [
            ("15", 2016, "libraries", 10, "", "s1"),
            ("15", 2019, "population", 821030, "", "s2"),
        ]
    )
    out = derive_indicators(tidy, indicators=["libraries_per_100k"], max_lag=3)
    by_year = out.set_index("year")
    # 10 / 821,030 * 100,000 = 1.21798...; the 2016 row has no population at or before it
    assert by_year.loc[2019, "value"] == pytest.approx(1.21798, abs=1e-5)
    assert "libraries=10 (2016, s1)" in by_year.loc[2019, "note"]
    assert "population=821030 (s2)" in by_year.loc[2019, "note"]
    assert by_year.loc[2019, "source_id"] == "s1; s2"
    assert np.isnan(by_year.loc[2016, "value"])
    too_old = derive_indicators(tidy, indicators=["libraries_per_100k"], max_lag=2)
    assert too_old["value"].isna().all()
    with pytest.raises(UsageError, match="max_lag"):
        derive_indicators(tidy, max_lag=-1)


def test_division_by_zero_gives_nan():
    tidy = obs(
        [
            ("15", 2016, "general_pupils", 10, "", "s"),
            ("15", 2016, "general_teachers", 0, "", "s"),
        ]
    )
    out = derive_indicators(tidy, indicators=["pupils_per_teacher"])
    assert np.isnan(out.loc[0, "value"])
    assert "division by zero" in out.loc[0, "note"]


def test_single_variable_indicator_keeps_qualifier_and_source():
    tidy = obs([("15", 2023, "school_age_enrolment_rate", 99, ">", "seed")])
    out = derive_indicators(tidy, indicators=["school_age_enrolment"])
    assert out[["value", "qualifier", "source_id"]].iloc[0].tolist() == [99.0, ">", "seed"]


def test_gnlc_status_rule():
    tidy = obs(
        [
            ("132", 2023, "gnlc_application_year", 2023, "", "seed"),
            ("133", 2025, "gnlc_application_year", 2025, "", "seed"),
            ("133", 2025, "gnlc_member_year", 2027, "", "hypothetical-test-source"),
            ("15", 2019, "population", 1, "", "x"),
        ]
    )
    out = derive_indicators(tidy, indicators=["gnlc_status"])
    stage = out.set_index(["unit_code", "year"])["value"]
    assert stage[("132", 2019)] == 0 and stage[("132", 2023)] == 1 and stage[("132", 2025)] == 1
    assert stage[("133", 2023)] == 0 and stage[("133", 2025)] == 1
    # A unit with no GNLC record gets no row: absence of a record is not "no application".
    assert "15" not in set(out["unit_code"])
    late = derive_indicators(
        obs([("133", 2027, "gnlc_member_year", 2027, "", "s")]), indicators=["gnlc_status"]
    )
    assert late["value"].tolist() == [2.0]


def test_every_indicator_can_be_derived_together():
    out = derive_indicators(load_bundled_observations())
    assert not out.duplicated(["unit_code", "year", "indicator"]).any()
    yb = out[(out["unit_code"] == "15") & (out["year"] == 2018)].set_index("indicator")
    assert yb.loc["learning_families", "value"] == 57.48


def test_unknown_indicator_and_duplicate_input():
    with pytest.raises(UsageError, match="not indicators"):
        derive_indicators(obs([]), indicators=["nope"])
    tidy = obs([("15", 2016, "libraries", 10, "", "a"), ("15", 2016, "libraries", 11, "", "b")])
    with pytest.raises(UsageError, match="repeat"):
        derive_indicators(tidy)


@pytest.mark.parametrize(
    "formula",
    [
        "__import__('os').system('true')",
        "population ** 2",
        "population.real",
        "population > 1",
        "[population]",
        "population if 1 else 2",
        "lambda: 1",
        "True + population",
        "'a' * 3",
        "population /",
    ],
)
def test_only_arithmetic_is_allowed(formula):
    with pytest.raises(FormulaError):
        formula_names(formula)


def test_evaluate_formula_on_numbers_and_series():
    assert evaluate_formula("-(a - b) * 2 + 1", {"a": 5, "b": 3}) == -3.0
    assert math.isnan(evaluate_formula("a / (b - b)", {"a": 1, "b": 2}))
    a = pd.Series([1.0, 2.0, np.nan])
    b = pd.Series([4.0, 0.0, 1.0])
    got = evaluate_formula("a / b * 100", {"a": a, "b": b})
    assert got.iloc[0] == 25.0 and got.iloc[1:].isna().all()
    with pytest.raises(FormulaError, match="no value"):
        evaluate_formula("a + c", {"a": 1})


def test_to_wide():
    tidy = obs(
        [
            ("15", 2020, "learning_families", 65, "", "s"),
            ("132", 2020, "learning_clans", 70, "", "s"),
            ("15", 2018, "learning_families", 57.48, "", "s"),
        ]
    )
    wide = to_wide(tidy, 2020, indicators=["learning_families", "learning_clans", "clc_ict"])
    assert list(wide.columns) == ["learning_families", "learning_clans", "clc_ict"]
    assert wide.index.name == "unit_code" and sorted(wide.index) == ["132", "15"]
    assert wide.loc["15", "learning_families"] == 65.0
    assert np.isnan(wide.loc["15", "learning_clans"]) and wide["clc_ict"].isna().all()
    assert (wide.dtypes == "float64").all()
    dup = pd.concat([tidy, tidy.head(1)])
    with pytest.raises(UsageError, match="several values"):
        to_wide(dup, 2020)
