"""The GNLC membership checklist: what an application asks for, against the data.

Each item is *in place*, *missing* or *unknown*. Documents (the mayor's
signature, a plan) are unknown unless evidence is recorded; figures are in
place when published; track-record items compare indicators with their
national targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from learningcity.errors import LearningCityError
from learningcity.i18n import N_, gettext, translated

__all__ = ["STATUSES", "evaluate_checklist", "load_checklist"]

STATUSES = ("in_place", "missing", "unknown")
_RULES = {"document", "data", "target", "applied"}
_DEFAULT = Path(__file__).with_name("frameworks") / "gnlc-checklist.yaml"

_LABELS = {
    "in_place": N_("In place"),
    "missing": N_("Missing"),
    "unknown": N_("Unknown"),
}
_NOTES = {
    "not_published": N_("not published: "),
    "below": N_("below target: "),
    "no_data": N_("no data: "),
    "met": N_("met: "),
    "vs": N_(" vs "),
    "recorded": N_("recorded"),
}


@dataclass(frozen=True)
class _Item:
    id: str
    rule: str
    name_en: str
    name_vi: str
    requires: tuple[str, ...] = ()
    target_year: int | None = None


@lru_cache(maxsize=4)
def _load(path: Path) -> tuple[_Item, ...]:
    import yaml

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    problems, items = [], []
    for i, entry in enumerate(raw.get("items", [])):
        where = f"{path}: items[{i}]"
        if entry.get("rule") not in _RULES:
            problems.append(
                f"{where}.rule: expected one of {sorted(_RULES)}, got {entry.get('rule')!r}"
            )
            continue
        if entry["rule"] != "document" and not entry.get("requires"):
            problems.append(f"{where}.requires: a {entry['rule']!r} item needs indicator ids")
        if entry["rule"] == "target" and not isinstance(entry.get("target_year"), int):
            problems.append(f"{where}.target_year: expected a year")
        items.append(
            _Item(
                entry["id"],
                entry["rule"],
                entry["name_en"],
                entry["name_vi"],
                tuple(entry.get("requires", ())),
                entry.get("target_year"),
            )
        )
    ids = [it.id for it in items]
    problems += [
        f"{path}: item id {d!r} appears twice" for d in {x for x in ids if ids.count(x) > 1}
    ]
    if problems:
        raise LearningCityError("invalid GNLC checklist:\n  - " + "\n  - ".join(problems))
    return tuple(items)


def load_checklist(path: str | Path | None = None) -> pd.DataFrame:
    """The checklist items as a table (id, rule, requires, target_year, names).

    Examples
    --------
    >>> items = load_checklist()
    >>> items.loc["mayor_endorsement", "rule"]
    'document'
    """
    items = _load(Path(path or _DEFAULT).resolve())
    return pd.DataFrame([it.__dict__ for it in items]).set_index("id")


def _target_value(targets: pd.DataFrame, indicator: str, year: int) -> float:
    col = f"target_{year}"
    if indicator in targets.index and col in targets.columns:
        return float(targets.loc[indicator, col])
    return float("nan")


def evaluate_checklist(
    values: pd.Series,
    targets: pd.DataFrame,
    *,
    evidence: pd.DataFrame | None = None,
    lang: str = "vi",
    names: dict[str, str] | None = None,
    path: str | Path | None = None,
) -> pd.DataFrame:
    """Fill the checklist for one unit.

    Parameters
    ----------
    values : Series
        The unit's latest published value per variable or indicator id (NaN or
        absent = not published).
    targets : DataFrame
        Indicator metadata with ``direction`` and ``target_<year>`` columns
        (``Framework.indicator_table()``).
    evidence : DataFrame, optional
        Recorded facts about documents: columns ``item``, ``status`` (one of
        :data:`STATUSES`), ``source_id``. They decide ``document`` items and
        override the others.
    lang : {"vi", "en"}
        Language of the ``item``, ``status_label`` and ``evidence`` columns.
    names : dict, optional
        Display names of variable and indicator ids in ``evidence``.

    Returns
    -------
    DataFrame
        Index ``id``; columns ``item``, ``status``, ``status_label``, ``evidence``.

    Examples
    --------
    >>> meta = pd.DataFrame({"direction": [1], "target_2025": [70.0]}, index=["learning_families"])
    >>> out = evaluate_checklist(pd.Series({"population": 68206, "area_km2": 107.78}), meta)
    >>> out.loc["profile_population_area", "status"], out.loc["mayor_endorsement", "status"]
    ('in_place', 'unknown')
    """
    values = values.dropna()
    label = (names or {}).get
    note_text = translated(_NOTES, lang)
    rows = []
    for item in _load(Path(path or _DEFAULT).resolve()):
        status, note = "unknown", ""
        if item.rule == "data":
            have = [r for r in item.requires if r in values.index]
            status = "in_place" if len(have) == len(item.requires) else "missing"
            lacking = [r for r in item.requires if r not in have]
            note = (
                "; ".join(f"{label(r, r)} = {values[r]:g}" for r in have)
                if status == "in_place"
                else note_text["not_published"] + ", ".join(label(r, r) for r in lacking)
            )
        elif item.rule == "applied":
            have = [r for r in item.requires if r in values.index]
            status = "in_place" if have else "unknown"
            note = "; ".join(f"{label(r, r)} = {int(values[r])}" for r in have)
        elif item.rule == "target":
            short, met, absent = [], [], []
            for ind in item.requires:
                target = _target_value(targets, ind, item.target_year)
                if ind not in values.index or pd.isna(target):
                    absent.append(label(ind, ind))
                    continue
                direction = targets.loc[ind, "direction"] if "direction" in targets.columns else 1
                ok = values[ind] >= target if direction >= 0 else values[ind] <= target
                (met if ok else short).append(
                    f"{label(ind, ind)} {values[ind]:g}{note_text['vs']}{target:g}"
                )
            if short:
                status, note = "missing", note_text["below"] + "; ".join(short)
            elif met and not absent:
                status, note = "in_place", "; ".join(met)
            else:
                status = "unknown"
                note = (
                    note_text["no_data"]
                    + ", ".join(absent)
                    + ("; " + note_text["met"] + "; ".join(met) if met else "")
                )
        if evidence is not None and len(evidence):
            rec = evidence[evidence["item"] == item.id]
            if len(rec):
                bad = set(rec["status"]) - set(STATUSES)
                if bad:
                    raise LearningCityError(
                        f"evidence for {item.id!r}: unknown status {sorted(bad)}"
                    )
                status = rec["status"].iloc[-1]
                note = f"{note_text['recorded']} ({', '.join(rec['source_id'].astype(str))})"
        rows.append(
            {
                "id": item.id,
                "item": item.name_vi if lang == "vi" else item.name_en,
                "status": status,
                "status_label": gettext(_LABELS[status], lang),
                "evidence": note,
            }
        )
    return pd.DataFrame(rows).set_index("id")
