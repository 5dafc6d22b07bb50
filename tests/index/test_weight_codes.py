"""Codes and values of ``weights.levels`` checked against the indicator metadata.

Structure of the small framework used here: indicators a (focus area 1.1, area 1),
b (1.2, area 1), c (2.1, area 2).  Units 01, 02, 03:
    a = 0, 5, 10 -> min-max 0, 50, 100
    b = 10, 0, 4 -> 100, 0, 40
    c = 1, 2, 3  -> 0, 50, 100
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learningcity.index import IndexInputError, IndexSpec, SpecError, build_index, compute_weights

META = pd.DataFrame(
    {"focus_area": ["1.1", "1.2", "2.1"], "area": ["1", "1", "2"]}, index=["a", "b", "c"]
)
DATA = pd.DataFrame(
    {"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 4.0], "c": [1.0, 2.0, 3.0]},
    index=["01", "02", "03"],
)
BASE = {"treat": {"method": "none"}}


def levels(**given: dict) -> dict:
    return {**BASE, "weights": {"levels": given}}


def problems(spec, meta=META) -> list[str]:
    with pytest.raises(SpecError) as err:
        build_index(DATA, meta, spec)
    return err.value.problems


def test_misspelt_focus_area_names_the_file_the_code_and_the_valid_ones(tmp_path):
    path = tmp_path / "method.yml"
    path.write_text('weights:\n  levels:\n    focus_area: {"11": 2}\n', encoding="utf-8")
    with pytest.raises(SpecError) as err:
        build_index(DATA, META, path)
    assert err.value.problems == [
        "weights.levels.focus_area: unknown focus area code '11' (did you mean '1.1'?); "
        "the focus areas are 1.1, 1.2, 2.1"
    ]
    assert str(err.value).startswith(f"{path}: 1 problem(s):")
    # a spec read from the file first, then given as an object, still names the file
    spec = IndexSpec.from_yaml(path)
    with pytest.raises(SpecError, match=f"^{path}: 1 problem"):
        build_index(DATA, META, spec)


def test_unknown_area_codes_all_listed_with_a_hint_for_a_code_of_the_other_level():
    got = problems(levels(area={"1.1": 2.0, "4": 1.0}))
    # '1.1' is a focus area; '4' is like no area (no suggestion)
    assert got == [
        "weights.levels.area: unknown area codes '1.1' (a focus area code: give it under "
        "focus_area), '4'; the areas are 1, 2"
    ]


def test_spec_text_and_spec_in_code_are_named_as_such():
    with pytest.raises(SpecError, match=r"^spec YAML: 1 problem"):
        build_index(DATA, META, 'weights: {levels: {area: {"3": 1}}}')
    with pytest.raises(SpecError, match=r"^spec: 1 problem") as err:
        build_index(DATA, META, levels(area={"3": 1}))
    assert "unknown area code '3'" in err.value.problems[0]


def test_a_number_code_in_a_spec_built_in_code_is_unknown_with_a_hint():
    from learningcity.index.spec import WeightSpec

    spec = IndexSpec(weights=WeightSpec(levels={"area": {1: 2.0}}))  # type: ignore[dict-item]
    assert problems(spec) == [
        "weights.levels.area: unknown area code 1 (a number; codes are text); the areas are 1, 2"
    ]


def test_unquoted_yaml_codes_are_numbers_and_rejected_when_read():
    # YAML reads 1.1 and 2 as numbers: they would match no code
    with pytest.raises(SpecError) as err:
        IndexSpec.from_yaml("weights: {levels: {focus_area: {1.1: 2}, area: {2: 1}}}")
    assert err.value.problems == [
        "weights.levels.focus_area: code 1.1 is a number; write it as quoted text ('1.1': ...)",
        "weights.levels.area: code 2 is a number; write it as quoted text ('2': ...)",
    ]


def test_negative_non_finite_and_non_numeric_weights_name_the_code():
    with pytest.raises(SpecError) as err:
        IndexSpec.from_dict(
            {
                "weights": {
                    "levels": {
                        "focus_area": {"1.1": -1, "1.2": float("inf"), "2.1": float("nan")},
                        "area": {"1": "heavy", "2": True},
                    }
                }
            }
        )
    assert err.value.problems == [
        "weights.levels.focus_area['1.1']: the weight -1 is negative",
        "weights.levels.focus_area['1.2']: expected a finite weight, got inf",
        "weights.levels.focus_area['2.1']: expected a finite weight, got nan",
        "weights.levels.area['1']: expected a weight (a number >= 0), got 'heavy'",
        "weights.levels.area['2']: expected a weight (a number >= 0), got True",
    ]
    with pytest.raises(SpecError, match=r"weights.levels.area: expected a mapping code -> weight"):
        IndexSpec.from_dict({"weights": {"levels": {"area": [1, 2]}}})


def test_a_group_whose_children_all_weigh_zero_is_an_error():
    got = problems(levels(focus_area={"1.1": 0, "1.2": 0}, area={"1": 0, "2": 0.0}))
    assert got == [
        "weights.levels.focus_area: every focus area of area '1' weighs 0 (1.1, 1.2), so "
        "area '1' would have no score; give one of them a weight > 0",
        "weights.levels.area: every area weighs 0 (1, 2), so the overall index would have "
        "no score; give one of them a weight > 0",
    ]


def test_one_zero_in_a_group_is_fine_and_a_lone_zero_child_is_not():
    res = build_index(DATA, META, levels(focus_area={"1.1": 0}))
    # area 1 = focus area 1.2 alone = b = 100, 0, 40; overall = (area 1 + c) / 2
    assert res.levels["area"]["1"].tolist() == [100.0, 0.0, 40.0]
    assert res.levels["overall"]["overall"].tolist() == [50.0, 25.0, 70.0]
    # 2.1 is the only focus area of area 2: a weight of 0 leaves area 2 without a score
    assert problems(levels(focus_area={"2.1": 0})) == [
        "weights.levels.focus_area: every focus area of area '2' weighs 0 (2.1), so area '2' "
        "would have no score; give one of them a weight > 0"
    ]


def test_codes_are_checked_even_when_levels_are_not_used():
    spec = {**BASE, "weights": {"upper": "equal", "levels": {"area": {"1": 3}}}}
    res = build_index(DATA, META, spec)
    assert res.notes == [
        "weights.levels not used: the weights above the indicators are 'equal' "
        "(weights.levels applies with upper: manual)"
    ]
    # equal weights: overall = (area 1 + area 2) / 2, area 1 = (a + b) / 2 = 50, 25, 70
    assert res.levels["overall"]["overall"].tolist() == [25.0, 37.5, 85.0]
    spec["weights"]["levels"] = {"area": {"1": 0, "2": 0, "9": 1}}  # zeros unused: no error
    assert problems(spec) == [
        "weights.levels.area: unknown area code '9'; the areas are 1, 2",
    ]


def test_source_is_not_part_of_equality_and_updated_is_a_spec_in_code(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("normalise: {method: rank}\n", encoding="utf-8")
    from_file = IndexSpec.from_yaml(path)
    assert from_file.source == str(path)
    assert from_file == IndexSpec.from_dict({"normalise": {"method": "rank"}})
    assert from_file.updated({"results": {"top_n": 1}}).source == "spec"
    assert IndexSpec().source == "spec"


def test_compute_weights_refuses_weights_for_children_it_does_not_have():
    with pytest.raises(IndexInputError, match=r"manual weight\(s\) for 'x', not a child"):
        compute_weights(None, {"a": "g", "b": "g"}, "manual", manual={"a": 1.0, "x": 2.0})
    with pytest.raises(IndexInputError, match="manual weight of 'b' is infinite"):
        compute_weights(None, {"a": "g", "b": "g"}, "manual", manual={"b": np.inf})
