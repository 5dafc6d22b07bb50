"""The indicator framework: shipped content, tidy tables, and validation of a user's file."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

import learningcity
from learningcity.framework import FrameworkError, default_framework_path, load_framework

ALL_FOCUS_AREAS = [f"{a}.{b}" for a, n in ((1, 3), (2, 6), (3, 3)) for b in range(1, n + 1)]


@pytest.fixture(scope="module")
def fw():
    return load_framework()


@pytest.fixture
def raw():
    with open(default_framework_path(), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def write(tmp_path, data, name="fw.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def problems_of(tmp_path, data):
    with pytest.raises(FrameworkError) as info:
        load_framework(write(tmp_path, data))
    return info.value.problems, str(info.value)


# --- the shipped framework ------------------------------------------------------------


def test_lazy_top_level_import():
    assert learningcity.load_framework is load_framework


def test_three_areas_and_twelve_focus_areas_with_uil_names(fw):
    areas = fw.areas().set_index("code")
    assert list(areas.index) == ["1", "2", "3"]
    assert areas.loc["2", "name_en"] == "Major building blocks"
    fa = fw.focus_areas().set_index("code")
    assert list(fa.index) == ALL_FOCUS_AREAS
    # UIL wording (reference §1.2)
    assert fa.loc["2.2", "name_en"] == "Re-vitalised learning in families and communities"
    assert fa.loc["3.3", "name_en"] == "Mobilisation and utilisation of resources"
    assert fa.loc["2.4", "area"] == "2"
    assert fa["name_vi"].str.len().gt(0).all()


def test_every_focus_area_has_an_indicator(fw):
    assert sorted(set(fw.indicators()["focus_area"])) == ALL_FOCUS_AREAS


def test_features_are_marked_unverified_paraphrases(fw):
    feats = fw.features()
    assert len(feats) > 0
    # The reference holds only an unverified skeleton: nothing may claim UIL wording.
    assert not feats["verified"].any()
    assert set(feats["focus_area"]) == set(ALL_FOCUS_AREAS)


def test_texts_with_commas_are_read_whole(fw):
    # Written in one-line {…} entries, these texts are cut at their first comma unless quoted.
    feats = fw.features().set_index("id")["text_en"]
    assert feats["1.1.d"] == "A safe, harmonious and inclusive community"
    assert (
        feats["3.3.a"]
        == "Financial investment in lifelong learning (public, private, civil society)"
    )
    names = fw.variables().set_index("id")["name_vi"]
    assert (
        names["learning_communities_share"] == 'Tỷ lệ "Cộng đồng học tập" (thôn, bản, tổ dân phố)'
    )


def test_a_text_cut_at_a_comma_is_refused(tmp_path):
    path = tmp_path / "fw.yaml"
    text = default_framework_path().read_text(encoding="utf-8")
    cut = text.replace(
        'text_en: "A safe, harmonious and inclusive community"',
        "text_en: A safe, harmonious and inclusive community",
    )
    assert cut != text
    path.write_text(cut, encoding="utf-8")
    with pytest.raises(FrameworkError) as info:
        load_framework(path)
    (problem,) = info.value.problems
    assert problem.startswith("features[3]: 'harmonious and inclusive community' reads as a field")
    assert "put that text in quotes" in problem


def test_seed_article_measures_are_present(fw):
    ids = fw.known_ids()
    for needed in [
        "literacy_classes",
        "literacy_learners",
        "study_promotion_funds_mobilised",
        "school_age_enrolment_rate",
        "learning_families_share",
        "learning_clans_share",
        "learning_communities_share",
        "learning_units_share",
        "community_learning_centres",
        "clc_state_funding",
        "learning_citizens_share",
        "gnlc_application_year",
        "gnlc_member_year",
    ]:
        assert needed in ids, needed


def test_indicator_table_matches_the_conventions(fw):
    table = fw.indicator_table()
    assert table.index.is_unique
    for col in [
        "focus_area",
        "area",
        "direction",
        "weight",
        "goalpost_low",
        "goalpost_high",
        "target_2025",
        "target_2030",
    ]:
        assert col in table.columns
    assert set(table["direction"]) <= {1, -1}
    assert (table["goalpost_low"] < table["goalpost_high"]).all()
    assert table.loc["pupils_per_teacher", "direction"] == -1
    assert table.loc["learning_units", "area"] == "2"


def test_national_targets_from_the_decisions(fw):
    table = fw.indicator_table()
    # QĐ 387/QĐ-TTg 2025 targets: 70 / 65 / 65 / 80 % (GĐHT / DHHT / CĐHT / ĐVHT)
    assert table.loc["learning_families", "target_2025"] == 70
    assert table.loc["learning_clans", "target_2025"] == 65
    assert table.loc["learning_communities", "target_2025"] == 65
    assert table.loc["learning_units", "target_2025"] == 80
    # QĐ 677/QĐ-TTg: learning citizens 40 % (2025), 60 % (2030)
    assert table.loc["learning_citizens", ["target_2025", "target_2030"]].tolist() == [40, 60]
    # The 2030 value for families is only inferred from Hà Nội's plan: it must stay missing.
    assert np.isnan(table.loc["learning_families", "target_2030"])
    targets = fw.targets()
    assert targets["source"].str.len().gt(0).all()
    fam = targets[targets["indicator"] == "learning_families"].iloc[0]
    assert "387/QĐ-TTg" in fam["source"]


def test_readiness_levels_are_data_and_classify_scores(fw):
    levels = fw.readiness_levels()
    assert levels["min"].iloc[0] == 0 and levels["max"].iloc[-1] == 100
    assert (levels["max"].iloc[:-1].to_numpy() == levels["min"].iloc[1:].to_numpy()).all()
    got = fw.readiness_level(pd.Series([0.0, 24.9, 25.0, 74.99, 75.0, 100.0, np.nan]))
    assert got.iloc[:6].tolist() == [
        "emerging",
        "emerging",
        "developing",
        "established",
        "ready",
        "ready",
    ]
    assert pd.isna(got.iloc[6])
    assert fw.readiness_level(pd.Series([30.0]), lang="vi").iloc[0] == "Đang phát triển"


def test_tidy_table_and_tree_figure(fw):
    tidy = fw.tidy()
    assert len(tidy) == len(fw.indicators())
    row = tidy.set_index("id").loc["learning_families"]
    assert row["focus_area_en"] == "Re-vitalised learning in families and communities"
    assert row["area_en"] == "Major building blocks"
    assert row["targets"] == "2025: 70 (QĐ 387/QĐ-TTg (25/3/2022))"
    assert tidy.set_index("id").loc["literacy_rate", "targets"] == ""
    import matplotlib

    matplotlib.use("Agg")
    fig = fw.plot_tree(lang="vi")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("2.2 Học tập trong gia đình") for t in texts)
    assert sum(t.startswith("learning_") for t in texts) >= 5


def test_valid_ranges_of_variables_and_indicators(fw):
    ranges = fw.valid_ranges()
    assert ranges.loc["learning_families_share"].tolist() == [0, 100]
    assert ranges.loc["learning_families"].tolist() == [0, 100]  # = that variable
    assert ranges.loc["population", "valid_min"] == 0
    assert np.isnan(ranges.loc["population", "valid_max"])
    assert ranges.loc["pupils_per_teacher", "valid_min"] == 0  # ratio of counts
    assert ranges.loc["gnlc_application_year"].tolist() == [2013, 2100]


def test_inputs_of_a_formula(fw):
    assert fw.inputs("libraries_per_100k") == ["libraries", "population"]
    assert fw.inputs("gnlc_status") == ["gnlc_application_year", "gnlc_member_year"]


# --- a user's framework file with mistakes ---------------------------------------------


def test_a_copy_of_the_shipped_file_loads(tmp_path, raw):
    assert len(load_framework(write(tmp_path, raw)).indicators()) == len(raw["indicators"])


def test_duplicate_indicator_id(tmp_path, raw):
    raw["indicators"][3]["id"] = raw["indicators"][0]["id"]
    problems, message = problems_of(tmp_path, raw)
    assert problems == [
        f"indicators[3].id: duplicate id {raw['indicators'][0]['id']!r} (first at indicators[0])"
    ]
    assert str(tmp_path / "fw.yaml") in message


def test_indicator_under_a_missing_focus_area(tmp_path, raw):
    raw["indicators"][2]["focus_area"] = "4.1"
    raw["indicators"][2].pop("feature")
    problems, _ = problems_of(tmp_path, raw)
    assert problems == ["indicators[2].focus_area: '4.1' is not a focus area"]


def test_direction_must_be_plus_or_minus_one(tmp_path, raw):
    raw["indicators"][1]["direction"] = 2
    problems, _ = problems_of(tmp_path, raw)
    assert problems == ["indicators[1].direction: 2 (expected 1 or -1)"]


def test_goalposts_reversed(tmp_path, raw):
    raw["indicators"][3]["goalposts"] = [100, 0]
    problems, _ = problems_of(tmp_path, raw)
    assert len(problems) == 1
    assert problems[0].startswith("indicators[3].goalposts: low 100 is not below high 0")


def test_target_without_year_or_source(tmp_path, raw):
    i = next(k for k, ind in enumerate(raw["indicators"]) if ind["id"] == "learning_families")
    raw["indicators"][i]["targets"] = [
        {"value": 70, "source": "QĐ 387/QĐ-TTg"},
        {"year": 2030, "value": 80},
    ]
    problems, _ = problems_of(tmp_path, raw)
    assert problems == [
        f"indicators[{i}].targets[0].year: None (expected a year such as 2025)",
        f"indicators[{i}].targets[1].source: missing (expected the document, e.g. 'QĐ 387/QĐ-TTg')",
    ]


def test_all_problems_are_reported_together(tmp_path, raw):
    bad = copy.deepcopy(raw)
    bad["indicators"][1]["direction"] = 0
    bad["indicators"][3]["goalposts"] = [5, 5]
    bad["indicators"][4]["formula"] = "libraries / populaton"
    bad["indicators"][5]["formula"] = "__import__('os').system('true')"
    bad["variables"][0]["kind"] = "number"
    bad["readiness_levels"][1]["min"] = 30
    problems, message = problems_of(tmp_path, bad)
    assert len(problems) == 6, problems
    assert "indicators[4].formula: unknown variable(s) populaton" in problems
    assert any(p.startswith("indicators[5].formula:") and "not allowed" in p for p in problems)
    assert "6 problem(s)" in message


def test_readiness_bands_must_cover_the_score_range(tmp_path, raw):
    raw["readiness_levels"][-1]["max"] = 90
    problems, _ = problems_of(tmp_path, raw)
    assert problems == ["readiness_levels: the bands cover 0–90, not the whole score range 0–100"]


def test_not_yaml_and_missing_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("areas: [\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match="not valid YAML"):
        load_framework(path)
    with pytest.raises(FileNotFoundError):
        load_framework(tmp_path / "nope.yaml")


# --- goalpost basis -------------------------------------------------------------------


def index_of(raw, iid):
    return next(k for k, ind in enumerate(raw["indicators"]) if ind["id"] == iid)


def test_goalpost_basis_table(fw):
    gb = fw.goalpost_basis()
    assert list(gb.columns) == ["indicator", "end", "value", "kind", "text", "source", "year"]
    assert len(gb) == 2 * len(fw.indicators())
    assert gb["end"].tolist()[:2] == ["low", "high"]
    assert str(gb["year"].dtype) == "Int64"
    row = gb.set_index(["indicator", "end"]).loc[("trained_workers_rate", "high")]
    assert (row["value"], row["kind"], row["year"]) == (60.0, "target", 2030)
    assert row["source"] == "QĐ 1373/QĐ-TTg (30/7/2021)"
    scale = gb.set_index(["indicator", "end"]).loc[("learning_families", "high")]
    assert scale["kind"] == "scale" and scale["source"] == "" and pd.isna(scale["year"])
    vi = fw.goalpost_basis("vi").set_index(["indicator", "end"])
    assert vi.loc[("trained_workers_rate", "high"), "text"] == "mục tiêu quốc gia năm 2030"
    with pytest.raises(ValueError, match="'en' or 'vi'"):
        fw.goalpost_basis("fr")


def test_indicators_carry_the_basis_but_the_engine_table_does_not(fw):
    ind = fw.indicators().set_index("id")
    assert ind.loc["trained_workers_rate", "goalpost_high_basis"] == "the 2030 national target"
    assert ind.loc["literacy_rate", "goalpost_low_basis"].startswith("just under the lowest")
    assert ind[["goalpost_low_basis", "goalpost_high_basis"]].map(len).gt(0).all().all()
    assert not {"goalpost_low_basis", "goalpost_high_basis"} & set(fw.indicator_table().columns)


def test_missing_basis_and_missing_end(tmp_path, raw):
    i, j = index_of(raw, "literacy_rate"), index_of(raw, "clc_funding")
    del raw["indicators"][i]["goalpost_basis"]
    del raw["indicators"][j]["goalpost_basis"]["high"]
    problems, _ = problems_of(tmp_path, raw)
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"indicators[{i}].goalpost_basis (literacy_rate): missing")
    assert problems[1] == (
        f"indicators[{j}].goalpost_basis.high (clc_funding): missing (expected kind, en and vi)"
    )


def test_unknown_kind_end_and_field(tmp_path, raw):
    i = index_of(raw, "libraries_per_100k")
    basis = raw["indicators"][i]["goalpost_basis"]
    basis["low"]["kind"] = "guess"
    basis["middle"] = {"kind": "scale", "en": "x", "vi": "x"}
    basis["high"]["sauce"] = "gso-t-libraries"
    problems, _ = problems_of(tmp_path, raw)
    where = f"indicators[{i}].goalpost_basis"
    assert sorted(problems) == sorted(
        [
            f"{where}.middle (libraries_per_100k): unknown end (expected low and high)",
            f"{where}.low.kind (libraries_per_100k): 'guess' is not one of "
            "('scale', 'target', 'norm', 'observed', 'choice')",
            f"{where}.high (libraries_per_100k): unknown field(s) sauce",
        ]
    )


def test_target_basis_needs_a_source_and_a_matching_target(tmp_path, raw):
    i = index_of(raw, "trained_workers_rate")
    del raw["indicators"][i]["goalpost_basis"]["high"]["source"]
    problems, _ = problems_of(tmp_path, raw)
    assert problems == [
        f"indicators[{i}].goalpost_basis.high.source (trained_workers_rate): "
        "missing (a target basis needs the document)"
    ]


def test_target_basis_value_must_be_a_target(tmp_path, raw):
    i = index_of(raw, "trained_workers_rate")
    where = f"indicators[{i}].goalpost_basis.high (trained_workers_rate)"
    bad = copy.deepcopy(raw)
    bad["indicators"][i]["goalposts"] = [0, 70]  # the targets are 50 (2025) and 60 (2030)
    problems, _ = problems_of(tmp_path, bad)
    assert problems == [f"{where}: goalpost 70 is not the 2030 target 60"]
    del bad["indicators"][i]["goalpost_basis"]["high"]["year"]
    problems, _ = problems_of(tmp_path, bad)
    assert problems == [f"{where}: goalpost 70 is not one of the targets (50 (2025), 60 (2030))"]
    # 50 is a target, but of 2025, not of the year the basis names.
    bad = copy.deepcopy(raw)
    bad["indicators"][i]["goalposts"] = [0, 50]
    problems, _ = problems_of(tmp_path, bad)
    assert problems == [f"{where}: goalpost 50 is not the 2030 target 60"]
    bad["indicators"][i]["goalpost_basis"]["high"]["year"] = 2025
    assert load_framework(write(tmp_path, bad, "ok.yaml")).goalpost_basis() is not None


def test_target_basis_on_an_indicator_without_targets(tmp_path, raw):
    i = index_of(raw, "literacy_rate")
    raw["indicators"][i]["goalpost_basis"]["high"] = {
        "kind": "target",
        "source": "QĐ 1373/QĐ-TTg",
        "en": "a target",
        "vi": "mục tiêu",
    }
    problems, _ = problems_of(tmp_path, raw)
    assert problems == [
        f"indicators[{i}].goalpost_basis.high (literacy_rate): "
        "kind target, but the indicator has no targets"
    ]


def test_norm_basis_needs_a_source(tmp_path, raw):
    i = index_of(raw, "clc_funding")
    raw["indicators"][i]["goalpost_basis"]["high"]["source"] = "  "
    problems, _ = problems_of(tmp_path, raw)
    assert problems == [
        f"indicators[{i}].goalpost_basis.high.source (clc_funding): "
        "'  ' (expected a non-empty text)"
    ]


def test_observed_basis_needs_a_whole_year_and_known_sources(tmp_path, raw):
    i, j = index_of(raw, "literacy_rate"), index_of(raw, "libraries_per_100k")
    del raw["indicators"][i]["goalpost_basis"]["low"]["year"]
    raw["indicators"][j]["goalpost_basis"]["high"]["year"] = "2016"
    raw["indicators"][j]["goalpost_basis"]["high"]["source"] = "gso-t-libraries; gso-t-nope"
    problems, _ = problems_of(tmp_path, raw)
    assert problems == [
        f"indicators[{i}].goalpost_basis.low.year (literacy_rate): "
        "missing (an observed basis needs the year observed)",
        f"indicators[{j}].goalpost_basis.high.year (libraries_per_100k): "
        "'2016' (expected a whole year such as 2016)",
        f"indicators[{j}].goalpost_basis.high.source (libraries_per_100k): "
        "'gso-t-nope' not in data/sources.csv (an observed basis names source ids)",
    ]


def test_observed_basis_without_source(tmp_path, raw):
    i = index_of(raw, "electricity_access")
    del raw["indicators"][i]["goalpost_basis"]["low"]["source"]
    problems, _ = problems_of(tmp_path, raw)
    assert problems == [
        f"indicators[{i}].goalpost_basis.low.source (electricity_access): "
        "missing (an observed basis needs the source id(s) of data/sources.csv)"
    ]


def test_basis_needs_english_and_vietnamese_text(tmp_path, raw):
    i = index_of(raw, "gnlc_status")
    del raw["indicators"][i]["goalpost_basis"]["low"]["vi"]
    raw["indicators"][i]["goalpost_basis"]["high"]["en"] = ""
    problems, _ = problems_of(tmp_path, raw)
    assert problems == [
        f"indicators[{i}].goalpost_basis.low.vi (gnlc_status): "
        "missing (expected a short phrase giving the basis)",
        f"indicators[{i}].goalpost_basis.high.en (gnlc_status): "
        "missing (expected a short phrase giving the basis)",
    ]


def test_several_basis_defects_are_listed_together(tmp_path, raw):
    ids = ["literacy_rate", "trained_workers_rate", "clc_funding", "pupils_per_teacher"]
    i, j, k, m = (index_of(raw, iid) for iid in ids)
    raw["indicators"][i]["goalpost_basis"]["high"]["kind"] = "vibes"
    raw["indicators"][j]["goalposts"] = [0, 65]
    del raw["indicators"][k]["goalpost_basis"]["high"]["source"]
    raw["indicators"][m]["goalpost_basis"]["low"]["source"] = "nowhere"
    raw["scoring"]["normalise"] = "softmax"
    problems, message = problems_of(tmp_path, raw)
    assert len(problems) == 5, problems
    for iid in ids:
        assert sum(f"({iid})" in p for p in problems) == 1, (iid, problems)
    assert any(p.startswith("scoring.normalise: 'softmax'") for p in problems)
    assert "5 problem(s)" in message


def test_sources_are_skipped_only_for_a_user_file_when_unreadable(tmp_path, raw, monkeypatch):
    i = index_of(raw, "literacy_rate")
    raw["indicators"][i]["goalpost_basis"]["low"]["source"] = "not-a-source"
    path = write(tmp_path, raw)
    problems, _ = problems_of(tmp_path, raw)
    assert problems == [
        f"indicators[{i}].goalpost_basis.low.source (literacy_rate): "
        "'not-a-source' not in data/sources.csv (an observed basis names source ids)"
    ]
    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("LEARNINGCITY_DATA", str(empty))
    # The user's file: the one check that needs data/sources.csv is skipped.
    assert len(load_framework(path).goalpost_basis()) == 2 * len(raw["indicators"])
    # The shipped file names its sources and must find them.
    with pytest.raises(FrameworkError, match="cannot check the goalposts' source ids"):
        load_framework()


# --- scoring --------------------------------------------------------------------------


def test_scoring_of_the_shipped_framework(fw, raw):
    assert raw["scoring"] == {"normalise": "goalposts", "min_indicators": {"area": 2}}
    assert fw.scoring() == {"normalise": "goalposts", "min_indicators": {"area": 2}}
    from learningcity.index.normalise import METHODS

    assert fw.scoring()["normalise"] in METHODS


def test_scoring_defaults_when_absent(tmp_path, raw):
    del raw["scoring"]
    fw = load_framework(write(tmp_path, raw))
    assert fw.scoring() == {"normalise": "goalposts", "min_indicators": {}}
    raw["scoring"] = {"min_indicators": {"focus_area": 1, "overall": 3.0}}
    got = load_framework(write(tmp_path, raw, "b.yaml")).scoring()
    assert got == {"normalise": "goalposts", "min_indicators": {"focus_area": 1, "overall": 3}}
    assert isinstance(got["min_indicators"]["overall"], int)


@pytest.mark.parametrize(
    ("scoring", "expected"),
    [
        (
            {"normalise": "minmaxx"},
            "scoring.normalise: 'minmaxx' is not one of ('minmax', 'zscore'",
        ),
        (
            {"min_indicators": {"area": -1}},
            "scoring.min_indicators.area: -1 (expected a whole number >= 0)",
        ),
        (
            {"min_indicators": {"area": 1.5}},
            "scoring.min_indicators.area: 1.5 (expected a whole number >= 0)",
        ),
        (
            {"min_indicators": {"area": True}},
            "scoring.min_indicators.area: True (expected a whole number >= 0)",
        ),
        (
            {"min_indicators": {"region": 2}},
            "scoring.min_indicators.region: unknown level "
            "(expected one of ('focus_area', 'area', 'overall'))",
        ),
        ({"min_indicators": [2]}, "scoring.min_indicators: expected a mapping such as {area: 2}"),
        ({"normalize": "goalposts"}, "scoring.normalize: unknown key"),
        ("goalposts", "scoring: expected a mapping"),
    ],
)
def test_a_bad_scoring_block_is_refused(tmp_path, raw, scoring, expected):
    raw["scoring"] = scoring
    problems, _ = problems_of(tmp_path, raw)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems
