"""The method spec: defaults, round trips, and errors that list every problem."""

from __future__ import annotations

import pytest

from learningcity.index import IndexSpec, SpecError
from learningcity.index.spec import AggregateSpec


def test_defaults_follow_jrc_practice():
    s = IndexSpec()
    assert s.normalise.method == "minmax" and (s.normalise.low, s.normalise.high) == (0, 100)
    assert (s.treat.winmax, s.treat.skew_max, s.treat.kurt_max) == (5, 2.0, 3.5)
    assert set(s.aggregate) == {"focus_area", "area", "overall"}


def test_partial_dict_keeps_other_defaults():
    s = IndexSpec.from_dict(
        {"aggregate": {"area": {"method": "geometric", "zero_policy": "shift"}}}
    )
    assert s.aggregate["area"] == AggregateSpec(method="geometric", zero_policy="shift")
    assert s.aggregate["focus_area"] == AggregateSpec()
    assert s.normalise.method == "minmax"


def test_round_trip_dict_yaml_file_and_text(tmp_path):
    s = IndexSpec.from_dict(
        {
            "screen": {"threshold": 0.66, "include": ["132"]},
            "treat": {"individual": {"gni": "log"}},
            "normalise": {"method": "goalposts", "individual": {"x": {"method": "zscore"}}},
            "weights": {"method": "entropy", "levels": {"area": {"1": 2.0}}},
        }
    )
    assert IndexSpec.from_dict(s.to_dict()) == s
    path = tmp_path / "method.yaml"
    path.write_text(s.to_yaml(), encoding="utf-8")
    assert IndexSpec.from_yaml(path) == s
    assert IndexSpec.from_yaml(str(path)) == s
    assert IndexSpec.coerce(s.to_yaml()) == s
    assert s.screen.include == ("132",)


def test_spec_is_frozen():
    s = IndexSpec()
    with pytest.raises(AttributeError):
        s.normalise = None  # type: ignore[misc]


def test_every_problem_is_listed_at_once():
    with pytest.raises(SpecError) as err:
        IndexSpec.from_dict(
            {
                "normalise": {"method": "minmix", "low": "zero"},
                "screen": {"threshold": 1.5},
                "aggregate": {"regions": {}, "area": {"zero_policy": "ignore"}},
                "weight": {},
                "treat": {"individual": {"gni": "logarithm"}},
            }
        )
    msg = str(err.value)
    assert len(err.value.problems) == 7
    for part in (
        "normalise.method: 'minmix'",
        "normalise.low: expected a number",
        "screen.threshold: 1.5 is outside",
        "aggregate: unknown level 'regions'",
        "aggregate.area.zero_policy: 'ignore'",
        "unknown step 'weight'",
        "treat.individual.gni: 'logarithm'",
    ):
        assert part in msg


def test_yaml_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("normalise: {method: nope}\n", encoding="utf-8")
    with pytest.raises(SpecError, match="bad.yml"):
        IndexSpec.from_yaml(path)
    with pytest.raises(SpecError, match="file not found"):
        IndexSpec.from_yaml(tmp_path / "missing.yaml")


def test_fields_that_need_each_other():
    with pytest.raises(SpecError) as err:
        IndexSpec.from_dict(
            {
                "impute": {"method": "group_mean"},
                "weights": {"method": "outcome"},
                "normalise": {"individual": {"libraries_per_100k": "dist2ref"}},
            }
        )
    assert [p.split(":")[0] for p in err.value.problems] == [
        "impute.group",
        "weights.outcome",
        "normalise.reference",
    ]


def test_specs_built_in_code_are_checked_too():
    from learningcity.index.spec import NormaliseSpec

    with pytest.raises(SpecError, match="normalise.method: 'bogus'"):
        IndexSpec(normalise=NormaliseSpec(method="bogus"))
    with pytest.raises(SpecError, match="expected a mapping, got list"):
        IndexSpec.from_dict([1, 2])  # type: ignore[arg-type]


def test_updated_merges_nested_changes_and_validates():
    base = IndexSpec.from_dict({"aggregate": {"area": {"method": "geometric", "threshold": 0.5}}})
    alt = base.updated({"aggregate": {"area": {"zero_policy": "shift"}}})
    assert alt.aggregate["area"] == AggregateSpec(
        method="geometric", threshold=0.5, zero_policy="shift"
    )
    assert base.aggregate["area"].zero_policy == "error"  # the original is unchanged
    with pytest.raises(SpecError, match="aggregate.area.method"):
        base.updated({"aggregate": {"area": {"method": "max"}}})
