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

import pandas as pd

from learningcity.errors import UsageError
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
