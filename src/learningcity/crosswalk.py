"""The 2025 crosswalk: which old units went into which new ones.

On 1 July 2025 the 63 provinces became 34, the district level was abolished
and 10,035 communes became 3,321. ``data/units/crosswalk_2025.csv`` holds one
row per (old unit, new commune-level unit) pair; an old commune that went
whole into one new unit has ``share = "whole"``, one divided between several
new units has one ``"partial"`` row per part. Five island districts without
communes map directly to special zones (``old_level = "district"``).

Two directions of "whole" matter and both are reported:

``share``
    does the old unit lie wholly in the new one (``"whole"``), or was it
    divided (``"partial"``)? Yên Bái province → Lào Cai is ``"whole"``.
``new_share``
    is the new unit made only of this old unit (``"whole"``), or does it also
    take in other old units (``"partial"``)? Lào Cai also took in the old Lào
    Cai province, so for Yên Bái → Lào Cai it is ``"partial"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from learningcity.errors import UsageError
from learningcity.i18n import N_, gettext
from learningcity.paths import data_dir
from learningcity.units import REFORM_DATE, _iso, load_units, read_checked_csv

__all__ = ["crosswalk", "load_crosswalk", "predecessors", "successors", "to_new_units"]

_LEVELS = ("commune", "district", "province")
_LAST_OLD_DAY = "2025-06-30"


_RULES = {
    "old_code": (r"\d{3}|\d{5}", "a district or commune GSO code"),
    "old_district_code": (r"\d{3}", "a district GSO code"),
    "old_province_code": (r"\d{2}", "a province GSO code"),
    "new_code": (r"\d{5}", "a commune GSO code"),
    "new_province_code": (r"\d{2}", "a province GSO code"),
    "share": ("whole|partial", "whole or partial"),
}


@lru_cache(maxsize=4)
def _read(path: Path) -> pd.DataFrame:
    required = (*_RULES, "old_level", "old_name", "new_name", "main_successor")
    return read_checked_csv(path, "crosswalk", required, _RULES)


def load_crosswalk(path: str | Path | None = None) -> pd.DataFrame:
    """Return the commune-level crosswalk of the 2025 reform as stored.

    Parameters
    ----------
    path : path-like, optional
        A crosswalk CSV; the bundled ``data/units/crosswalk_2025.csv`` by default.

    Returns
    -------
    DataFrame
        ``old_code, old_level, old_name, old_district_code, old_province_code,
        new_code, new_name, new_province_code, share, main_successor,
        source_id`` (strings). ``main_successor`` is ``"yes"`` for the new unit
        that the source names as the default successor of a divided old unit.

    Examples
    --------
    >>> cw = load_crosswalk()
    >>> cw.groupby("old_code").ngroups  # old communes plus five island districts
    10040
    """
    path = Path(path) if path is not None else data_dir() / "units" / "crosswalk_2025.csv"
    return _read(path.resolve()).copy()


def _check_dates(date_from: object, date_to: object) -> None:
    first, last = _iso(date_from, "date_from"), _iso(date_to, "date_to")
    if not first < REFORM_DATE <= last:
        raise UsageError(
            f"the crosswalk covers the reform of {REFORM_DATE} only: date_from ({first}) must "
            f"be before it and date_to ({last}) on or after it. Earlier changes (e.g. the "
            "commune mergers of 2019-2024) are not in the data."
        )


def _names(units: pd.DataFrame, new: bool) -> pd.DataFrame:
    # Old units end the day before the reform; new ones start on it.
    side = (
        units[units["valid_from"] == REFORM_DATE]
        if new
        else units[units["valid_to"] == _LAST_OLD_DAY]
    )
    return side.set_index(["level", "code"])[["name", "type"]]


def crosswalk(
    date_from: object = "2025-06-30",
    date_to: object = REFORM_DATE,
    level: str = "commune",
    *,
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return old units and the new units they went into across the 2025 reform.

    Parameters
    ----------
    date_from, date_to : str or date
        The geography of ``date_from`` (before 1 July 2025) is mapped to that
        of ``date_to`` (on or after it). Other dates raise a
        :class:`~learningcity.errors.UsageError`: only this reform is covered.
    level : {"commune", "district", "province"}
        The level of the *old* units. New units are communes (wards, communes,
        special zones) except at ``"province"``, which maps old provinces to
        new provinces.
    table : DataFrame, optional
        A commune-level crosswalk as returned by :func:`load_crosswalk`.

    Returns
    -------
    DataFrame
        ``old_code, old_type, old_name, new_code, new_type, new_name, share,
        new_share, parts, parts_total``: ``share`` and ``new_share`` as in the
        module docstring; ``parts`` counts the old communes (or parts of one)
        of the old unit inside the new unit, ``parts_total`` all the
        predecessors of the new unit.

    Examples
    --------
    >>> cw = crosswalk(level="province")
    >>> cw[cw["old_code"] == "15"][["old_name", "new_code", "new_name", "share", "new_share"]]
    ... # doctest: +NORMALIZE_WHITESPACE
       old_name new_code new_name  share new_share
    9   Yên Bái       15  Lào Cai  whole   partial
    """
    _check_dates(date_from, date_to)
    if level not in _LEVELS:
        raise UsageError(f"unknown level {level!r}; expected one of {', '.join(_LEVELS)}")
    cw = load_crosswalk() if table is None else table
    units = load_units()
    old_key = {
        "commune": "old_code",
        "district": "old_district_code",
        "province": "old_province_code",
    }[level]
    new_key = "new_province_code" if level == "province" else "new_code"
    pairs = cw.assign(_old=cw[old_key], _new=cw[new_key])

    # Each row is one old commune (or one part of a divided commune) in one new unit.
    grouped = pairs.groupby(["_old", "_new"], sort=False)
    out = grouped.size().rename("parts").reset_index()
    # Whole: all of the old unit went into this one new unit.
    targets = out.groupby("_old")["_new"].transform("size")
    out["share"] = targets.eq(1).map({True: "whole", False: "partial"})
    out["parts_total"] = out["_new"].map(pairs.groupby("_new").size())
    out["new_share"] = out["parts"].eq(out["parts_total"]).map({True: "whole", False: "partial"})

    old_names = _names(units, new=False)
    new_names = _names(units, new=True)
    new_level = "province" if level == "province" else "commune"
    old_idx = pd.MultiIndex.from_arrays([[level] * len(out), out["_old"]])
    if level == "commune":
        # Island districts without communes are the old units of their own rows.
        lvl = out["_old"].map(pairs.drop_duplicates("_old").set_index("_old")["old_level"])
        old_idx = pd.MultiIndex.from_arrays([lvl, out["_old"]])
    new_idx = pd.MultiIndex.from_arrays([[new_level] * len(out), out["_new"]])
    result = pd.DataFrame(
        {
            "old_code": out["_old"],
            "old_type": old_names["type"].reindex(old_idx).to_numpy(),
            "old_name": old_names["name"].reindex(old_idx).to_numpy(),
            "new_code": out["_new"],
            "new_type": new_names["type"].reindex(new_idx).to_numpy(),
            "new_name": new_names["name"].reindex(new_idx).to_numpy(),
            "share": out["share"],
            "new_share": out["new_share"],
            "parts": out["parts"],
            "parts_total": out["parts_total"],
        }
    )
    return result.sort_values(["old_code", "new_code"]).reset_index(drop=True)


def successors(code: str, level: str | None = None) -> pd.DataFrame:
    """New units that an old unit (valid before 1 July 2025) went into.

    Parameters
    ----------
    code : str
        Old GSO code of a province, district or commune.
    level : {"commune", "district", "province"}, optional
        Level of ``code``; taken from its length (2, 3 or 5 digits) by default.

    Examples
    --------
    >>> successors("132")[["new_code", "new_name", "share", "new_share"]]
      new_code   new_name    share new_share
    0    04252    Yên Bái  partial     whole
    1    04273  Nam Cường  partial   partial
    2    04279    Văn Phú  partial   partial
    3    04543     Âu Lâu  partial   partial
    """
    code = str(code).strip()
    level = level or {2: "province", 3: "district", 5: "commune"}.get(len(code))
    if level is None:
        raise UsageError(f"cannot tell the level of code {code!r}; give level=")
    cw = crosswalk(level=level)
    found = cw[cw["old_code"] == code]
    if found.empty:
        raise UsageError(f"no old {level} with code {code!r} in the 2025 crosswalk")
    return found.reset_index(drop=True)


def predecessors(code: str) -> pd.DataFrame:
    """Old communes (or parts of them) that a new commune-level unit was formed from.

    Parameters
    ----------
    code : str
        GSO code of a commune, ward or special zone valid from 1 July 2025.

    Returns
    -------
    DataFrame
        The crosswalk rows (see :func:`load_crosswalk`) with ``new_code == code``.

    Examples
    --------
    >>> predecessors("04660")[["old_code", "old_name", "old_district_code", "share"]]
    ... # doctest: +NORMALIZE_WHITESPACE
      old_code           old_name old_district_code  share
    0    04297         Nghĩa Phúc               133  whole
    1    04621  Nông trường Liên Sơn            140  whole
    2    04660              Sơn A               133  whole
    """
    code = str(code).strip()
    cw = load_crosswalk()
    found = cw[cw["new_code"] == code]
    if found.empty:
        raise UsageError(f"no new unit with code {code!r} in the 2025 crosswalk")
    return found.sort_values("old_code").reset_index(drop=True)


def to_new_units(
    tidy: pd.DataFrame,
    level: str = "province",
    kind: str | Mapping[str, str] = "count",
    *,
    indicators: list[str] | None = None,
    weight: str = "population",
    partial: str = "exclude",
) -> pd.DataFrame:
    """Carry data of old units over to the new units they went into on 1 July 2025.

    Parameters
    ----------
    tidy : DataFrame
        Tidy rows (``unit_code, year, indicator, value``, optionally ``level,
        qualifier, source_id, note``) of old units of ``level``, i.e. in the
        geography before the reform, whatever their year.
    level : {"province", "commune"}
        Old provinces to the 34 new provinces, or old communes to new ones.
    kind : {"count", "rate", "share"} or mapping
        Sums for counts, ``weight``-weighted means for rates and shares, as in
        :func:`learningcity.cities.aggregate_to_city`, whose rules for missing
        values, qualifiers and provenance apply. An old commune that was
        divided is a partial member of each new unit it went into.
    indicators, weight, partial
        As in :func:`learningcity.cities.aggregate_to_city`.

    Returns
    -------
    DataFrame
        Tidy rows of the new units that received any of the data, with
        ``level`` as given; ``note`` names the old units summed or averaged.

    Raises
    ------
    UsageError
        A row's code is not an old unit of ``level``.

    Examples
    --------
    >>> old = pd.DataFrame({"unit_code": ["15", "10"], "year": [2016, 2016],
    ...                     "indicator": ["libraries"] * 2, "value": [10.0, 10.0],
    ...                     "source_id": ["gso", "gso"]})
    >>> new = to_new_units(old, "province")
    >>> row = new.iloc[0]
    >>> row["unit_code"], row["unit_name"], int(row["year"]), float(row["value"])
    ('15', 'Lào Cai', 2016, 20.0)
    >>> row["note"]
    'sum over 2 of 2 members: Tỉnh Lào Cai (10), Tỉnh Yên Bái (15)'
    """
    from learningcity.cities import aggregate_year, finish, prepare_tidy

    if level not in ("province", "commune"):
        raise UsageError(f"to_new_units works for level 'province' or 'commune', not {level!r}")
    data, kinds, indicators = prepare_tidy(tidy, kind, indicators, weight, partial, level)
    cw = crosswalk(level=level)
    unknown = sorted(set(data["unit_code"]) - set(cw["old_code"]))
    if unknown:
        raise UsageError(
            f"not {level} codes of the units before 1 July 2025: {', '.join(unknown[:10])}"
        )
    touched = cw[cw["old_code"].isin(data["unit_code"])]
    parts = []
    for (new_code, new_type, new_name), members in cw[
        cw["new_code"].isin(touched["new_code"])
    ].groupby(["new_code", "new_type", "new_name"], sort=True):
        members = members.rename(columns={"old_code": "code", "old_type": "type",
                                          "old_name": "name"})  # fmt: skip
        out = []
        for year in sorted(set(data["year"])):
            rows = data[data["year"] == year]
            out += aggregate_year(rows, members, kinds, indicators, weight, partial,
                                  f"{new_type} {new_name}")  # fmt: skip
        parts.append(finish(out, new_code, new_name, level))
    if not parts:
        return finish([], "", "", level)
    return pd.concat(parts, ignore_index=True)


# --- figures of any date in the geography of another ----------------------------------

#: How figures of old units are combined (``combine`` of a framework variable).
COMBINE = ("sum", "mean", "earliest", "none")
_DEFAULT_COMBINE = {"count": "sum", "amount": "sum", "share": "mean", "rate": "mean",
                    "year": "earliest", "flag": "none"}  # fmt: skip
# Said where a mean's weight is population only because its own base is not declared.
_UNDECLARED_BASE = N_("its own denominator (not declared)")
_KEYS = {"commune": "commune", "district": "district", "province": "province"}
#: Preference among values of one unit, year and indicator: published for the unit itself,
#: then carried exactly, then from the finest level.
_LEVEL_RANK = {"commune": 0, "district": 1, "province": 2}


def _denominator(formula: str) -> str:
    """The variable a ratio formula divides by (``"libraries / population * 100000"``)."""
    import ast

    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError:
        return ""
    for node in ast.walk(tree):
        is_ratio = isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
        if is_ratio and isinstance(node.right, ast.Name):
            return node.right.id
    return ""


def combine_rules(framework=None) -> pd.DataFrame:
    """How each variable and indicator of the framework is combined across units.

    Variables declare ``combine`` (``sum``, ``mean``, ``earliest`` or ``none``),
    ``base`` (the weight of a mean) and ``true_base`` (the real denominator,
    where ``base`` only stands in for it) in the framework's YAML; the
    defaults follow the variable's ``kind``: counts and amounts are summed,
    shares and rates averaged weighted by population, years take the
    earliest. An indicator that is one variable inherits its rule; a ratio
    (``libraries / population * 100000``) is averaged weighted by its
    denominator; other indicators are not carried (they are derived again
    from their carried inputs).

    Parameters
    ----------
    framework : Framework, optional
        The shipped framework by default.

    Returns
    -------
    DataFrame
        Indexed by id: ``combine, base, true_base_en, true_base_vi`` (empty
        ``true_base`` when ``base`` is the true denominator).

    Raises
    ------
    UsageError
        An unknown ``combine``, or a ``base`` that is not a variable.

    Examples
    --------
    >>> rules = combine_rules()
    >>> rules.loc[["libraries", "poverty_rate", "population_density"], "base"].to_dict()
    {'libraries': '', 'poverty_rate': 'population', 'population_density': 'area_km2'}
    >>> rules.loc["poverty_rate", "true_base_en"]
    'households'
    """
    from learningcity.framework import load_framework

    fw = framework if framework is not None else load_framework()
    variables = fw.data.get("variables") or []
    ids = {str(v.get("id")) for v in variables}
    rows: dict[str, dict[str, str]] = {}
    problems = []
    for v in variables:
        vid = str(v.get("id"))
        combine = str(v.get("combine") or _DEFAULT_COMBINE.get(str(v.get("kind")), "none"))
        base = str(v.get("base") or "")
        true_base = v.get("true_base") or {}
        if combine not in COMBINE:
            problems.append(f"variable {vid}: combine {combine!r} is not one of {COMBINE}")
        if base and combine != "mean":
            problems.append(f"variable {vid}: a base is for combine: mean, not {combine}")
        if base and base not in ids:
            problems.append(f"variable {vid}: base {base!r} is not a variable")
        if combine == "mean" and not base:
            base = "population"
            true_base = {"en": _UNDECLARED_BASE, "vi": gettext(_UNDECLARED_BASE, "vi")}
        rows[vid] = {
            "combine": combine,
            "base": base,
            "true_base_en": str(true_base.get("en", "")),
            "true_base_vi": str(true_base.get("vi", "")),
        }
    if problems:
        raise UsageError("framework: " + "; ".join(problems))
    for ind in fw.indicators().itertuples():
        if ind.id in rows:
            continue
        if ind.formula in rows:
            rows[ind.id] = dict(rows[ind.formula])
        elif _denominator(ind.formula) in ids:
            base = _denominator(ind.formula)
            rows[ind.id] = {"combine": "mean", "base": base, "true_base_en": "",
                            "true_base_vi": ""}  # fmt: skip
        else:
            rows[ind.id] = {"combine": "none", "base": "", "true_base_en": "", "true_base_vi": ""}
    return pd.DataFrame.from_dict(rows, orient="index")


@lru_cache(maxsize=4)
def _pieces(data_side: str, target_side: str) -> pd.DataFrame:
    """Atoms of the data's geography and the target-side commune each (part) went into.

    ``commune`` is the old commune (or island district) or the new commune a
    figure may belong to, ``district`` and ``province`` the units above it on
    the data's side, and ``member`` the commune-level unit of the target's
    side holding the atom (a divided old commune has one row per part).
    """
    if data_side == "old" and target_side == "new":
        cw = load_crosswalk()
        return pd.DataFrame(
            {
                "commune": cw["old_code"],
                "district": cw["old_district_code"],
                "province": cw["old_province_code"],
                "member": cw["new_code"],
            }
        )
    units = load_units()
    if data_side == "old" and target_side == "old":
        old = units[units["valid_to"] == _LAST_OLD_DAY]
        communes = old[old["level"] == "commune"]
        district_parent = old[old["level"] == "district"].set_index("code")["parent_code"]
        return pd.DataFrame(
            {
                "commune": communes["code"].to_numpy(),
                "district": communes["parent_code"].to_numpy(),
                "province": communes["parent_code"].map(district_parent).fillna("").to_numpy(),
                "member": communes["code"].to_numpy(),
            }
        )
    if data_side == "new" and target_side == "new":
        new = units[(units["valid_from"] == REFORM_DATE) & (units["level"] == "commune")]
        return pd.DataFrame(
            {
                "commune": new["code"].to_numpy(),
                "district": "",
                "province": new["parent_code"].to_numpy(),
                "member": new["code"].to_numpy(),
            }
        )
    raise UsageError(f"figures of the {data_side} geography cannot be carried to the {target_side}")


@lru_cache(maxsize=2)
def _unit_labels(side: str) -> dict[tuple[str, str], str]:
    """(level, code) -> "Type Name" of the units before (``old``) or after (``new``) the reform."""
    units = load_units()
    part = units[units["valid_to"] == _LAST_OLD_DAY] if side == "old" else units[
        units["valid_from"] == REFORM_DATE
    ]  # fmt: skip
    labels = (part["type"] + " " + part["name"]).str.strip()
    return dict(zip(zip(part["level"], part["code"], strict=True), labels, strict=True))


def _join(values) -> str:
    return ", ".join(dict.fromkeys(v for v in values if v))


def carry(
    tidy: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    data_side: str = "old",
    target_side: str = "new",
    rules: pd.DataFrame | None = None,
    partial: str = "exclude",
    levels: tuple[str, ...] = ("commune", "district", "province"),
) -> pd.DataFrame:
    """Carry figures of units of one geography to target units made of communes of another.

    A target is a set of commune-level units (a province: all its communes; a
    city: its members; a commune: itself). An old unit's figure goes to a
    target when **more than half** of the old unit's communes (parts of
    divided communes counted as communes) lie in it: so a province's figure
    reaches its new province, a town's figure the city that succeeded it, and
    a district's figure never one of the many communes it was split into.
    Each variable is combined as :func:`combine_rules` says: counts summed,
    shares and rates weighted by their base, years the earliest.

    A carried value is exact only when the old units carried lie wholly in
    the target and fill it. Otherwise a sum is a lower bound (``">"``: the
    target also holds communes of old units without a figure here, or a
    partial member left out), an upper bound (``"<"``: an old unit carried
    reaches outside the target, or a partial member counted whole) or
    approximate (``"~"``: both); a weighted mean is approximate. A mean is
    missing (NaN) when an old unit that should be in it has no figure or, for
    several units, no weight.

    Parameters
    ----------
    tidy : DataFrame
        Tidy rows (``unit_code, level, year, indicator, value`` and optionally
        ``qualifier, source_id``) of units of ``data_side``: ``level`` is
        ``province``, ``district`` or ``commune``; other rows are ignored.
    targets : DataFrame
        ``target, target_name, target_level, member, share``: one row per
        commune-level member of a target (``share`` ``whole`` or ``partial``,
        as in ``data/units/cities.csv``).
    data_side, target_side : {"old", "new"}
        The geography of the figures and of the targets: ``old`` is before 1
        July 2025, ``new`` from then on (old to new uses the crosswalk).
    rules : DataFrame, optional
        :func:`combine_rules` of the shipped framework by default.
    partial : {"exclude", "include"}
        Whether members of a target with ``share == "partial"`` are left out
        (a sum is then a lower bound) or counted whole (an upper bound).
    levels : tuple of str
        The levels of old units whose figures are carried.

    Returns
    -------
    DataFrame
        Tidy rows of the targets (``unit_code`` the target, ``level`` its
        ``target_level``) with the provenance columns ``carried_from`` (the
        old units used, "Tỉnh Lào Cai (10), Tỉnh Yên Bái (15)"),
        ``carried_level``, ``combine``, ``base``, ``outside`` (old units
        reaching outside the target, with how much), ``stray`` (other old
        units with communes in the target, not counted) and ``left_out``
        (partial members left out); ``note`` says the same in a sentence.

    Examples
    --------
    Nghĩa Lộ town (133) went into the three wards of the city and, for two of
    its 14 communes, into Xã Liên Sơn; Phường Nghĩa Lộ also took in Nghĩa Sơn
    of Văn Chấn (140). The town's population is "about" the city's:

    >>> from learningcity.cities import city_members
    >>> m = city_members("Nghĩa Lộ", "2026-12-01")
    >>> targets = pd.DataFrame({"target": "nghia-lo", "target_name": "Nghĩa Lộ",
    ...                         "target_level": "city", "member": m["code"], "share": m["share"]})
    >>> town = pd.DataFrame({"unit_code": ["133"], "level": ["district"], "year": [2020],
    ...                      "indicator": ["population"], "value": [68206.0], "source_id": ["w"]})
    >>> row = carry(town, targets).iloc[0]
    >>> float(row["value"]), row["qualifier"], row["carried_from"]
    (68206.0, '~', 'Thị xã Nghĩa Lộ (133)')
    >>> row["outside"], row["stray"]
    ('Thị xã Nghĩa Lộ (133): 12 of 14 communes', 'Huyện Văn Chấn (140)')
    """
    if partial not in ("exclude", "include"):
        raise UsageError(f"partial must be 'exclude' or 'include', not {partial!r}")
    rules = combine_rules() if rules is None else rules
    data = tidy[tidy["level"].isin(_KEYS)].copy()
    data["unit_code"] = data["unit_code"].astype(str)
    data["value"] = pd.to_numeric(data["value"], errors="coerce").astype(float)
    data["year"] = data["year"].astype(int)
    for col in ("qualifier", "source_id"):
        data[col] = data[col].fillna("").astype(str) if col in data else ""
    pieces = _pieces(data_side, target_side)
    labels = _unit_labels(data_side)
    targets = targets.astype({"member": str, "target": str})
    used = targets if partial == "include" else targets[targets["share"] == "whole"]
    partial_members = targets[targets["share"] == "partial"]
    member_labels = _unit_labels(target_side)
    member_label = [
        member_labels.get(("commune", c), c) + f" ({c})" for c in partial_members["member"]
    ]
    left_out = partial_members.assign(label=member_label).groupby("target")["label"].agg(_join)
    out = []
    for level, key in _KEYS.items():
        rows = data[data["level"] == level] if level in levels else data.iloc[:0]
        if rows.empty:
            continue
        part = pieces.loc[pieces[key] != "", [key, "member"]].rename(columns={key: "old"})
        total = part.groupby("old").size()
        inside = part.merge(used[["target", "member"]], on="member")
        overlap = inside.groupby(["target", "old"]).size().rename("n_in").reset_index()
        overlap["n_total"] = overlap["old"].map(total)
        overlap["candidate"] = overlap["n_in"] * 2 > overlap["n_total"]
        overlap["whole"] = overlap["n_in"] == overlap["n_total"]
        overlap["label"] = [labels.get((level, c), c) + f" ({c})" for c in overlap["old"]]
        cand = overlap[overlap["candidate"]]
        stray = overlap[~overlap["candidate"]].groupby("target")["label"].agg(_join)
        out.append(
            _combine_level(rows, cand, stray, left_out, partial_members, rules, level, partial)
        )
    out = [o for o in out if len(o)]
    cols = ["unit_code", "unit_name", "level", "year", "indicator", "value", "qualifier",
            "source_id", "note", "carried_from", "carried_level", "combine", "base", "outside",
            "stray", "left_out"]  # fmt: skip
    if not out:
        return pd.DataFrame(columns=cols)
    result = pd.concat(out, ignore_index=True)
    names = targets.drop_duplicates("target").set_index("target")
    result["unit_name"] = result["unit_code"].map(names["target_name"])
    result["level"] = result["unit_code"].map(names["target_level"])
    return result[cols]


def _combine_level(
    rows: pd.DataFrame,
    cand: pd.DataFrame,
    stray: pd.Series,
    left_out: pd.Series,
    partial_members: pd.DataFrame,
    rules: pd.DataFrame,
    level: str,
    partial: str,
) -> pd.DataFrame:
    """:func:`carry` for the figures of one level of old units."""
    # Weights come from every figure of the old units, even one not carried itself (the
    # number of communes weighs a share of communes but is not summed across the reform).
    weights = rows[["unit_code", "year", "indicator", "value"]].rename(
        columns={"indicator": "base", "value": "weight"}
    )
    combine = rows["indicator"].map(rules["combine"]).fillna("none")
    rows = rows[combine != "none"].assign(combine=combine[combine != "none"])
    if rows.empty:
        return rows
    rows = rows.assign(
        base=rows["indicator"].map(rules["base"]).fillna(""),
        stand_in=rows["indicator"].map(rules["true_base_en"]).fillna(""),
    )
    rows = rows.merge(weights.drop_duplicates(["unit_code", "year", "base"]),
                      on=["unit_code", "year", "base"], how="left")  # fmt: skip
    d = rows.merge(cand[["target", "old", "whole", "n_in", "n_total", "label"]],
                   left_on="unit_code", right_on="old")  # fmt: skip
    d = d[d["value"].notna()]
    if d.empty:
        return d
    keys = ["target", "indicator", "year"]
    d = d.sort_values([*keys, "old"])  # old units listed by code
    d["wv"] = d["value"] * d["weight"]
    d["bad_weight"] = ~(d["weight"] > 0)
    d["outside_text"] = [
        "" if w else f"{lbl}: {i} of {t} communes"
        for w, lbl, i, t in zip(d["whole"], d["label"], d["n_in"], d["n_total"], strict=True)
    ]
    g = d.groupby(keys, sort=True)
    res = g.agg(
        combine=("combine", "first"),
        base=("base", "first"),
        n_have=("value", "size"),
        total=("value", "sum"),
        first=("value", "first"),
        earliest=("value", "min"),
        wv=("wv", "sum"),
        w=("weight", "sum"),
        bad_weight=("bad_weight", "any"),
        all_whole=("whole", "all"),
        stand_in=("stand_in", "first"),
    )
    for col, src in (("carried_from", "label"), ("source_id", "source_id"),
                     ("quals", "qualifier"), ("outside", "outside_text")):  # fmt: skip
        res[col] = g[src].agg(_join) if col != "source_id" else g[src].agg(
            lambda s: ";".join(sorted({x for v in s for x in str(v).split(";") if x}))
        )  # fmt: skip
    res = res.reset_index()
    n_cand = cand.groupby("target").size()
    res["missing"] = res["target"].map(n_cand) - res["n_have"]
    have = d[keys + ["old"]]
    everyone = res[keys].merge(cand[["target", "old", "label"]], on="target")
    absent = everyone.merge(have, on=keys + ["old"], how="left", indicator=True)
    absent = absent[absent["_merge"] == "left_only"].groupby(keys)["label"].agg(_join)
    res["missing_names"] = [absent.get(k, "") for k in zip(*(res[c] for c in keys), strict=True)]
    res["stray"] = [stray.get(t, "") for t in res["target"]]
    res["left_out"] = [left_out.get(t, "") if partial == "exclude" else "" for t in res["target"]]
    has_partial = res["target"].isin(set(partial_members["target"]))

    values, quals, notes = [], [], []
    for r, hp in zip(res.itertuples(), has_partial, strict=True):
        lower = bool(r.missing) or bool(r.stray) or (hp and partial == "exclude")
        upper = (not r.all_whole) or (hp and partial == "include")
        flags = set(r.quals.split(", ")) - {""}
        if r.combine == "sum":
            value = r.total
            flags |= {">"} if lower else set()
            flags |= {"<"} if upper else set()
            qual = "" if not flags else flags.pop() if len(flags) == 1 else "~"
            how = f"sum over {r.n_have} old {level}(s)"
        elif r.combine == "mean":
            if r.missing:
                value = np.nan
            elif r.n_have == 1:
                value = r.first  # one unit: its own figure, no weight needed
            elif r.bad_weight or not r.w > 0:
                value = np.nan
            else:
                value = r.wv / r.w
            # Several units weighted by a stand-in for the true base: an approximation.
            rough = flags or lower or upper or (r.stand_in and r.n_have > 1)
            qual = "~" if rough and not np.isnan(value) else ""
            how = f"{r.base}-weighted mean over {r.n_have} old {level}(s)"
            if r.stand_in and r.n_have > 1:
                how += f" ({r.base} standing in for {r.stand_in})"
        else:  # earliest
            value = r.earliest
            qual = flags.pop() if len(flags) == 1 else "~" if flags else ""
            how = f"earliest over {r.n_have} old {level}(s)"
        parts = [f"{how}: {r.carried_from}"]
        if r.missing_names:
            parts.append(f"no figure for {r.missing_names}")
        if r.outside:
            parts.append(f"partly outside: {r.outside}")
        if r.stray:
            parts.append(f"also holds parts of {r.stray}, not counted")
        if r.left_out:
            parts.append(f"partial member left out: {r.left_out}")
        values.append(value)
        quals.append(qual)
        notes.append("; ".join(parts))
    res["value"], res["qualifier"], res["note"] = values, quals, notes
    res["base"] = res["base"].where(res["combine"] == "mean", "")
    return res.rename(columns={"target": "unit_code"}).assign(carried_level=level)


def geography_side(tidy: pd.DataFrame, units: pd.DataFrame | None = None) -> pd.Series:
    """Whether each row's unit is one of before (``"old"``) or after (``"new"``) the reform.

    A row of a year up to 2024 is about an old unit; from 2026, about a new
    one. A 2025 row is about the new unit of its code when its name is the
    new unit's (or it has no name and the code exists after the reform),
    else about the old one: the GSO unit list of July 2025 describes the old
    provinces under their old names. District rows are always old (districts
    ended with the reform). Rows whose code is no unit on either side (GNLC
    cities abroad, cities of ``cities.csv``) are ``""``.

    Examples
    --------
    >>> rows = pd.DataFrame({"unit_code": ["15", "15", "15", "01"],
    ...                      "unit_name": ["Yên Bái", "Yên Bái", "Lào Cai", "Hà Nội"],
    ...                      "level": ["province"] * 4, "year": [2016, 2025, 2026, 2025]})
    >>> geography_side(rows).tolist()
    ['old', 'old', 'new', 'new']
    """
    from learningcity.text import fold

    units = load_units() if units is None else units
    old = units[units["valid_to"] == _LAST_OLD_DAY]
    new = units[units["valid_from"] == REFORM_DATE]
    old_names = dict(zip(zip(old["level"], old["code"], strict=True), old["name"], strict=True))
    new_names = dict(zip(zip(new["level"], new["code"], strict=True), new["name"], strict=True))
    names = tidy["unit_name"] if "unit_name" in tidy else pd.Series("", index=tidy.index)
    out = []
    for code, name, level, year in zip(
        tidy["unit_code"].astype(str), names.fillna("").astype(str), tidy["level"],
        tidy["year"].astype(int), strict=True
    ):  # fmt: skip
        key = (level, code)
        is_old, is_new = key in old_names, key in new_names and level != "district"
        if is_old and is_new:  # a code on both sides: the year, and in 2025 the name, decide
            if year != 2025:
                side = "old" if year < 2025 else "new"
            else:
                side = "new" if not name or fold(name) == fold(new_names[key]) else "old"
        else:
            side = "old" if is_old else "new" if is_new else ""
        out.append(side)
    return pd.Series(out, index=tidy.index, dtype=object)


_BELOW = ("commune", "district")
#: Provenance columns that :func:`to_geography` adds to the tidy table.
CARRY_COLUMNS = ["carried_from", "carried_level", "combine", "base", "outside", "stray",
                 "left_out"]  # fmt: skip


def _targets(date: str, post: bool, units: pd.DataFrame, cities: pd.DataFrame | None):
    """Target tables of :func:`carry` at ``date``: (units of the date, cities of the date)."""
    from learningcity.cities import cities_at, city_members

    valid = units[(units["valid_from"] <= date) | (units["valid_from"] == "")]
    valid = valid[(valid["valid_to"] >= date) | (valid["valid_to"] == "")]
    frames = []
    if post:
        communes = valid[valid["level"] == "commune"]
        provinces = valid[valid["level"] == "province"].set_index("code")["name"]
        frames.append(
            pd.DataFrame(
                {
                    "target": communes["parent_code"],
                    "target_name": communes["parent_code"].map(provinces),
                    "target_level": "province",
                    "member": communes["code"],
                    "share": "whole",
                }
            )
        )
        frames.append(
            pd.DataFrame(
                {
                    "target": communes["code"],
                    "target_name": communes["name"],
                    "target_level": "commune",
                    "member": communes["code"],
                    "share": "whole",
                }
            )
        )
    city_frames = []
    for city in cities_at(date, units=units, cities=cities).itertuples():
        if city.district:  # one whole district: its own figures are the city's
            continue
        m = city_members(city.code, date, units=units, cities=cities)
        city_frames.append(pd.DataFrame({"target": city.code, "target_name": city.name,
                                         "target_level": "city", "member": m["code"],
                                         "share": m["share"]}))  # fmt: skip
    empty = pd.DataFrame(columns=["target", "target_name", "target_level", "member", "share"])
    return (pd.concat(frames, ignore_index=True) if frames else empty,
            pd.concat(city_frames, ignore_index=True) if city_frames else empty)  # fmt: skip


def to_geography(
    tidy: pd.DataFrame,
    date: object,
    *,
    rules: pd.DataFrame | None = None,
    partial: str = "exclude",
    cities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every figure of ``tidy`` as a figure of a unit or city that exists on ``date``.

    A report speaks in the geography of its own date. Figures of units of
    that date are kept as published; figures of the other side of the 2025
    reform are carried with :func:`carry`, each level to its own kind of unit:
    old provinces to the 34 new ones, old communes (and island districts) to
    new communes, old districts and communes to the cities of
    ``data/units/cities.csv`` that succeeded them (a province is never the
    sum of the few of its districts that have a figure); figures of new
    communes are summed to cities. A re-used code never passes an old unit's figure to
    the new unit: rows are told apart with :func:`geography_side`. Where a
    unit has several values for one year and indicator, the one published
    for it wins, then a carried exact one, then the one from the finest level.

    Parameters
    ----------
    tidy : DataFrame
        Tidy observations of any years (``docs/conventions.md``).
    date : str or date
        The day whose geography is wanted, e.g. ``"2026-12-01"``.
    rules : DataFrame, optional
        :func:`combine_rules` of the shipped framework by default.
    partial : {"exclude", "include"}
        How partial members of cities count (see :func:`carry`).
    cities : DataFrame, optional
        City definitions; ``data/units/cities.csv`` by default.

    Returns
    -------
    DataFrame
        The tidy columns plus :data:`CARRY_COLUMNS` (empty for a figure
        published for the unit itself).

    Examples
    --------
    >>> old = pd.DataFrame({"unit_code": ["15", "10"], "unit_name": ["Yên Bái", "Lào Cai"],
    ...                     "level": ["province"] * 2, "year": [2016] * 2,
    ...                     "indicator": ["libraries"] * 2, "value": [10.0, 12.0],
    ...                     "qualifier": "", "source_id": ["gso"] * 2, "note": ""})
    >>> new = to_geography(old, "2026-12-01")
    >>> new.loc[0, ["unit_code", "unit_name", "qualifier", "carried_from"]].tolist()
    ['15', 'Lào Cai', '', 'Tỉnh Lào Cai (10), Tỉnh Yên Bái (15)']
    >>> new["value"].tolist()
    [22.0]
    >>> to_geography(old, "2016-12-31")["unit_name"].tolist()  # as published
    ['Yên Bái', 'Lào Cai']
    """
    units = load_units()
    day = _iso(date)
    post = day >= REFORM_DATE
    side = geography_side(tidy, units)
    here = "new" if post else "old"
    direct = tidy[(side == here) | (side == "")].assign(**dict.fromkeys(CARRY_COLUMNS, ""))
    unit_targets, city_targets = _targets(day, post, units, cities)
    carried = []
    if post:
        # Each level to its own kind of unit: a province's figures to its new province; a
        # commune's (or an island district's) to the new commune it went into; districts'
        # and communes' to the cities made of them. A province is never the sum of the few
        # of its districts that have a figure.
        old = tidy[side == "old"]
        provinces = unit_targets[unit_targets["target_level"] == "province"]
        communes = unit_targets[unit_targets["target_level"] == "commune"]
        for targets, levels in ((provinces, ("province",)), (communes, _BELOW),
                                (city_targets, _BELOW)):  # fmt: skip
            if len(targets):
                carried.append(carry(old, targets, data_side="old", target_side="new",
                                     rules=rules, partial=partial, levels=levels))  # fmt: skip
        if len(city_targets):
            carried.append(carry(tidy[side == "new"], city_targets, data_side="new",
                                 target_side="new", rules=rules, partial=partial,
                                 levels=("commune",)))  # fmt: skip
    elif len(city_targets):
        carried.append(carry(tidy[side == "old"], city_targets, data_side="old",
                             target_side="old", rules=rules, partial=partial,
                             levels=_BELOW))  # fmt: skip
    carried = [c[c["value"].notna()] for c in carried if len(c)]
    parts = [direct.assign(_rank=0)]
    for c in carried:
        rank = 1 + (c["qualifier"] != "").astype(int) * (1 + c["carried_level"].map(_LEVEL_RANK))
        parts.append(c.assign(_rank=rank))
    out = pd.concat(parts, ignore_index=True).sort_values("_rank", kind="stable")
    out = out.drop_duplicates(["unit_code", "level", "year", "indicator"], keep="first")
    cols = [c for c in tidy.columns if c not in CARRY_COLUMNS] + CARRY_COLUMNS
    out = out.sort_index()[cols].reset_index(drop=True)
    return out.astype({"value": float, "year": int})
