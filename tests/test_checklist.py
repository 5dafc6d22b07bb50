"""GNLC checklist logic on hand-made cases."""

from __future__ import annotations

import pandas as pd
import pytest

from learningcity.checklist import evaluate_checklist, load_checklist
from learningcity.errors import LearningCityError

# QĐ 387/QĐ-TTg 2025 targets: 70 / 65 / 65 / 80 % (families, clans, communities, units).
TARGETS = pd.DataFrame(
    {"direction": [1, 1, 1, 1], "target_2025": [70.0, 65.0, 65.0, 80.0]},
    index=["learning_families", "learning_clans", "learning_communities", "learning_units"],
)


def status(values, **kw):
    return evaluate_checklist(pd.Series(values, dtype=float), TARGETS, **kw)["status"]


def test_nothing_known_gives_unknown_documents_and_missing_figures():
    s = status({})
    assert s["mayor_endorsement"] == "unknown"
    assert s["natcom_endorsement"] == "unknown"
    assert s["profile_population_area"] == "missing"
    assert s["track_record"] == "unknown"
    assert s["application"] == "unknown"


def test_profile_needs_every_figure():
    assert status({"population": 68206})["profile_population_area"] == "missing"
    assert (
        status({"population": 68206, "area_km2": 107.78})["profile_population_area"] == "in_place"
    )


def test_track_record_against_the_2025_targets():
    # Yên Bái province, 2020 (Báo Yên Bái): 65 / 62 / 70 / 90 -> families 65 < 70: short.
    yb_2020 = {
        "learning_families": 65,
        "learning_clans": 62,
        "learning_communities": 70,
        "learning_units": 90,
    }
    out = evaluate_checklist(pd.Series(yb_2020, dtype=float), TARGETS, lang="en")
    assert out.loc["track_record", "status"] == "missing"
    assert "learning_families 65 vs 70" in out.loc["track_record", "evidence"]
    assert "learning_clans 62 vs 65" in out.loc["track_record", "evidence"]
    # In Vietnamese, with display names.
    vi = evaluate_checklist(
        pd.Series(yb_2020, dtype=float), TARGETS, names={"learning_families": "Gia đình học tập"}
    )
    assert "dưới mục tiêu: Gia đình học tập 65 so với 70" in vi.loc["track_record", "evidence"]
    # All four at or above target.
    met = {
        "learning_families": 70,
        "learning_clans": 65,
        "learning_communities": 66,
        "learning_units": 80,
    }
    assert status(met)["track_record"] == "in_place"
    # Three met, one unpublished: not enough to say.
    partial = dict(met)
    del partial["learning_units"]
    assert status(partial)["track_record"] == "unknown"


def test_recorded_application_year():
    out = evaluate_checklist(pd.Series({"gnlc_application_year": 2023.0}), TARGETS, lang="en")
    assert out.loc["application", "status"] == "in_place"
    assert out.loc["application", "status_label"] == "In place"
    assert "2023" in out.loc["application", "evidence"]


def test_evidence_decides_documents():
    evidence = pd.DataFrame(
        {"item": ["mayor_endorsement"], "status": ["in_place"], "source_id": ["letter-2023"]}
    )
    out = evaluate_checklist(pd.Series(dtype=float), TARGETS, evidence=evidence)
    assert out.loc["mayor_endorsement", "status"] == "in_place"
    assert out.loc["mayor_endorsement", "status_label"] == "Đã có"
    bad = evidence.assign(status=["done"])
    with pytest.raises(LearningCityError, match="unknown status"):
        evaluate_checklist(pd.Series(dtype=float), TARGETS, evidence=bad)


def test_every_item_has_names_in_both_languages():
    items = load_checklist()
    assert items["name_vi"].str.len().min() > 10 and items["name_en"].str.len().min() > 10
    assert {"mayor_endorsement", "natcom_endorsement", "guiding_documents"} <= set(items.index)


def test_a_broken_checklist_file_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "items:\n  - {id: a, rule: vote, name_en: A, name_vi: A}\n"
        "  - {id: b, rule: data, name_en: B, name_vi: B}\n",
        encoding="utf-8",
    )
    with pytest.raises(LearningCityError) as info:
        load_checklist(path)
    assert "items[0].rule" in str(info.value) and "items[1].requires" in str(info.value)
