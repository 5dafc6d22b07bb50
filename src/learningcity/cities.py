"""Cities as named sets of commune-level units at a date, and aggregation to them.

A "city" such as Yên Bái or Nghĩa Lộ is not one code across the 2025 reform:
until 30 June 2025 it was a district-level city or town (GSO 132, 133) with its
communes and wards; from 1 July 2025 it is a set of new wards. The definitions
live in ``data/units/cities.csv``: each row names a member (a district, which
stands for all its communes, or a commune) with its validity and a ``share``:
``"whole"`` when the whole member belongs to the city, ``"partial"`` when only
part of it does (Xã Liên Sơn took in two communes of the old Nghĩa Lộ town and
one of Văn Chấn).

:func:`aggregate_to_city` turns commune rows of the tidy table into city rows:
sums for counts, population-weighted means for rates and shares, keeping the
sources of the parts and saying in ``note`` which members were used or missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from learningcity.errors import UsageError
from learningcity.paths import data_dir
from learningcity.text import fold
from learningcity.units import _parse_query, _valid_mask, load_units, read_checked_csv

__all__ = ["aggregate_to_city", "city_members", "load_cities", "resolve_city"]

KINDS = ("count", "rate", "share")
_TIDY_COLUMNS = ("unit_code", "unit_name", "level", "year", "indicator", "value", "qualifier",
                 "source_id", "note")  # fmt: skip


_DATE_OR_EMPTY = (r"(\d{4}-\d{2}-\d{2})?", "a date YYYY-MM-DD or empty")
_RULES = {
    "city_id": (r"[a-z0-9]+(-[a-z0-9]+)*", "an ASCII slug such as nghia-lo"),
    "city_name": (r".*\S.*", "a name"),
    "member_code": (r"\d{3}|\d{5}", "a district (3 digits) or commune (5 digits) GSO code"),
    "member_level": ("district|commune", "district or commune"),
    "valid_from": _DATE_OR_EMPTY,
    "valid_to": _DATE_OR_EMPTY,
    "share": ("whole|partial", "whole or partial"),
}


@lru_cache(maxsize=4)
def _read(path: Path) -> pd.DataFrame:
    return read_checked_csv(path, "cities", (*_RULES, "source_id", "note"), _RULES)


def load_cities(path: str | Path | None = None) -> pd.DataFrame:
    """Return the city definitions.

    Parameters
    ----------
    path : path-like, optional
        A cities CSV; the bundled ``data/units/cities.csv`` by default.

    Returns
    -------
    DataFrame
        ``city_id, city_name, member_code, member_level, valid_from, valid_to,
        share, source_id, note`` (strings).

    Examples
    --------
    >>> sorted(load_cities()["city_id"].unique())
    ['nghia-lo', 'yen-bai']
    """
    path = Path(path) if path is not None else data_dir() / "units" / "cities.csv"
    return _read(path.resolve()).copy()


def resolve_city(city: str, cities: pd.DataFrame | None = None) -> tuple[str, str]:
    """Return ``(city_id, city_name)`` for an id or a name (any spelling or prefix).

    Examples
    --------
    >>> resolve_city("TX. Nghia Lo")
    ('nghia-lo', 'Nghĩa Lộ')
    """
    cities = load_cities() if cities is None else cities
    table = cities.drop_duplicates("city_id")
    key, _, rest = _parse_query(str(city))
    names = table["city_name"].map(fold)
    hits = table[(table["city_id"] == str(city).strip()) | (names == key) | (names == rest)]
    if hits.empty:
        known = ", ".join(f"{r.city_name} ({r.city_id})" for r in table.itertuples())
        raise UsageError(f"no city {city!r} is defined; known cities: {known}")
    return hits.iloc[0]["city_id"], hits.iloc[0]["city_name"]


def city_members(
    city: str,
    date: object,
    *,
    units: pd.DataFrame | None = None,
    cities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return the commune-level units that make up a city on a date.

    Parameters
    ----------
    city : str
        A city id (``"nghia-lo"``) or name (``"Nghĩa Lộ"``, ``"TP Yên Bái"``).
    date : str or date
        The day whose geography is wanted, e.g. ``"2024-01-01"`` (old communes)
        or ``"2025-07-01"`` (new wards).
    units, cities : DataFrame, optional
        The unit table and the city definitions; the bundled ones by default.

    Returns
    -------
    DataFrame
        ``code, name, type, level, share, via, source_id, note``: ``via`` is
        the defining member (a district stands for its communes), ``share``
        is ``"whole"`` or ``"partial"``.

    Notes
    -----
    The old geography is the one of 30 June 2025. Earlier commune mergers (for
    example Nguyễn Phúc into Hồng Hà in Yên Bái city on 1 December 2024) are not
    in the unit table, so a date before them still gives the 2025 communes.

    Examples
    --------
    >>> len(city_members("Nghĩa Lộ", "2024-01-01"))
    14
    >>> city_members("Nghĩa Lộ", "2025-07-01")[["code", "name", "share"]]
        code       name    share
    0  04288   Nghĩa Lộ    whole
    1  04663  Trung Tâm    whole
    2  04681   Cầu Thia    whole
    3  04660   Liên Sơn  partial
    """
    units = load_units() if units is None else units
    cities = load_cities() if cities is None else cities
    city_id, city_name = resolve_city(city, cities)
    rows = cities[cities["city_id"] == city_id]
    rows = rows[_valid_mask(rows, date)]
    if rows.empty:
        raise UsageError(f"the city {city_name} has no definition valid at {date}")
    valid = units[_valid_mask(units, date)]
    parts = []
    for row in rows.itertuples():
        if row.member_level == "district":
            found = valid[(valid["parent_code"] == row.member_code) & (valid["level"] == "commune")]
        else:
            found = valid[(valid["code"] == row.member_code) & (valid["level"] == row.member_level)]
        if found.empty:
            raise UsageError(
                f"cities file: member {row.member_code} ({row.member_level}) of {city_name} "
                f"is not a unit valid at {date}"
            )
        parts.append(
            found[["code", "name", "type", "level"]].assign(
                share=row.share, via=row.member_code, source_id=row.source_id, note=row.note
            )
        )
    members = pd.concat(parts, ignore_index=True)
    if members["code"].duplicated().any():
        dup = ", ".join(members.loc[members["code"].duplicated(), "code"])
        raise UsageError(f"cities file: {city_name} lists {dup} twice at {date}")
    return members


def _combine_qualifiers(flags: set[str]) -> str:
    """One qualifier for a value built from parts: bounds that agree, else approximate."""
    flags = {f for f in flags if f}
    if not flags:
        return ""
    return flags.pop() if len(flags) == 1 else "~"


def _label(members: pd.DataFrame) -> str:
    return ", ".join(f"{r.type} {r.name} ({r.code})" for r in members.itertuples())


def aggregate_to_city(
    tidy: pd.DataFrame,
    city: str,
    date: object = None,
    kind: str | Mapping[str, str] = "count",
    *,
    indicators: list[str] | None = None,
    weight: str = "population",
    partial: str = "exclude",
    units: pd.DataFrame | None = None,
    cities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Aggregate commune rows of a tidy table to one city, with provenance.

    Parameters
    ----------
    tidy : DataFrame
        The tidy observation table (``unit_code, year, indicator, value`` and
        optionally ``level, qualifier, source_id, note``; see
        ``docs/conventions.md``). Only commune-level rows of the members count.
    city : str
        City id or name (see :func:`city_members`).
    date : str or date, optional
        The geography to use for every year; by default the one of 31
        December of each year (so 2019–2024 use the old communes, 2025 on the
        new wards). Give e.g. ``"2025-06-30"`` for 2025 data on old communes.
    kind : {"count", "rate", "share"} or mapping
        How to aggregate, for all indicators or per indicator id: counts are
        summed; rates and shares are averaged with the ``weight`` indicator
        of the same year and unit as weights.
    indicators : list of str, optional
        Indicators to aggregate; by default the keys of a ``kind`` mapping, or
        every indicator in the table (except ``weight`` for a rate or share).
    weight : str, default "population"
        Indicator holding the weights of rates and shares.
    partial : {"exclude", "include"}
        Whether members only partly in the city (``share == "partial"``) are
        left out or counted whole.

    Returns
    -------
    DataFrame
        Tidy rows with ``level == "city"`` and ``unit_code`` the city id. The
        value is NaN when no member has data, and for a rate or share when a
        member's value or weight is missing. A sum with members missing, or
        without a partial member, is a lower bound (``qualifier ">"``); a sum
        counting a partial member whole is an upper bound (``"<"``); a rate
        or share leaving out or counting whole a partial member is ``"~"``.
        ``source_id`` joins the parts' sources with ``";"``; ``note`` names
        the members used, missing or left out.

    Examples
    --------
    >>> tidy = pd.DataFrame({
    ...     "unit_code": ["04288", "04663", "04288", "04663"],
    ...     "year": [2026] * 4,
    ...     "indicator": ["learners", "learners", "population", "population"],
    ...     "value": [10.0, 20.0, 100.0, 300.0],
    ...     "source_id": ["a", "b", "c", "c"]})
    >>> out = aggregate_to_city(tidy, "Nghĩa Lộ", indicators=["learners"])
    >>> out[["unit_code", "year", "indicator", "value", "qualifier", "source_id"]]
      unit_code  year indicator  value qualifier source_id
    0  nghia-lo  2026  learners   30.0         >       a;b
    """
    data, kinds, indicators = prepare_tidy(tidy, kind, indicators, weight, partial, "commune")
    cities = load_cities() if cities is None else cities
    city_id, city_name = resolve_city(city, cities)
    out = []
    for year in sorted(set(data["year"])):
        members = city_members(
            city_id, date if date is not None else f"{year:04d}-12-31", units=units, cities=cities
        )
        out += aggregate_year(data[data["year"] == year], members, kinds, indicators, weight,
                              partial, "the city")  # fmt: skip
    return finish(out, city_id, city_name, "city")


def prepare_tidy(
    tidy: pd.DataFrame,
    kind: str | Mapping[str, str],
    indicators: list[str] | None,
    weight: str,
    partial: str,
    level: str,
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Check the options and return (rows of ``level``, kind per indicator, indicators)."""
    if partial not in ("exclude", "include"):
        raise UsageError(f"partial must be 'exclude' or 'include', not {partial!r}")
    missing_cols = [c for c in ("unit_code", "year", "indicator", "value") if c not in tidy]
    if missing_cols:
        raise UsageError(f"the tidy table lacks the column(s) {', '.join(missing_cols)}")
    for k in kind.values() if isinstance(kind, Mapping) else [kind]:
        if k not in KINDS:
            raise UsageError(f"unknown kind {k!r}; expected one of {', '.join(KINDS)}")
    data = tidy.copy()
    data["unit_code"] = data["unit_code"].astype(str).str.strip()
    data["value"] = pd.to_numeric(data["value"], errors="raise").astype(float)
    data["year"] = data["year"].astype(int)
    for col in ("qualifier", "source_id", "note"):
        data[col] = data[col].fillna("").astype(str) if col in data else ""
    if "level" in data:
        data = data[data["level"].fillna(level).astype(str) == level]
    present = set(data["indicator"])
    if isinstance(kind, Mapping):
        if indicators is None:
            indicators = [i for i in kind if i in present]
        absent = [i for i in indicators if i not in kind]
        if absent:
            raise UsageError(f"no kind given for indicator(s) {', '.join(absent)}")
        kinds = dict(kind)
    else:
        if indicators is None:
            indicators = sorted(present)
            if kind in ("rate", "share"):
                indicators = [i for i in indicators if i != weight]
        kinds = dict.fromkeys(indicators, kind)
    return data, kinds, indicators


def aggregate_year(
    rows: pd.DataFrame,
    members: pd.DataFrame,
    kinds: dict[str, str],
    indicators: list[str],
    weight: str,
    partial: str,
    place: str,
) -> list[dict]:
    """Aggregate one year's rows over ``members`` (``code, type, name, share``)."""
    partial_members = members[members["share"] == "partial"]
    used = members if partial == "include" else members[members["share"] == "whole"]
    rows = rows[rows["unit_code"].isin(used["code"])]
    dup = rows.duplicated(["unit_code", "indicator"], keep=False)
    if dup.any():
        first = rows[dup].iloc[0]
        raise UsageError(
            f"the tidy table has several rows for unit {first['unit_code']}, year "
            f"{first['year']}, indicator {first['indicator']}; aggregation needs one value"
        )
    by_ind = {ind: grp.set_index("unit_code") for ind, grp in rows.groupby("indicator")}
    out = []
    for ind in indicators:
        grp = by_ind.get(ind)
        if grp is None:
            continue  # no member has this indicator in this year
        part = _aggregate_one(
            grp, by_ind.get(weight), used, partial_members, kinds[ind], weight, partial, place
        )
        out.append(part | {"year": int(grp["year"].iloc[0]), "indicator": ind})
    return out


def finish(out: list[dict], code: str, name: str, level: str) -> pd.DataFrame:
    """Tidy rows from :func:`aggregate_year` results."""
    result = pd.DataFrame(out, columns=["year", "indicator", "value", "qualifier",
                                        "source_id", "note"])  # fmt: skip
    result = result.assign(unit_code=code, unit_name=name, level=level)
    return result[list(_TIDY_COLUMNS)].reset_index(drop=True)


def _aggregate_one(
    grp: pd.DataFrame,
    weights: pd.DataFrame | None,
    used: pd.DataFrame,
    partial_members: pd.DataFrame,
    how: str,
    weight: str,
    partial: str,
    place: str,
) -> dict:
    values = grp["value"].reindex(used["code"])
    have = used[values.notna().to_numpy()]
    missing = used[values.isna().to_numpy()]
    flags = {q for q in grp.loc[have["code"], "qualifier"] if q}
    sources = set(grp.loc[have["code"], "source_id"])
    note = []
    if how == "count":
        value = float(values.sum()) if len(have) else np.nan
        note.append(f"sum over {len(have)} of {len(used)} members: {_label(have)}")
        if len(missing):
            flags.add(">")
        if len(partial_members):
            flags.add(">" if partial == "exclude" else "<")
    else:
        w = (
            weights["value"].reindex(used["code"])
            if weights is not None
            else pd.Series(np.nan, index=used["code"])
        )
        no_weight = used[w.isna().to_numpy() & values.notna().to_numpy()]
        if len(missing) or len(no_weight) or not len(have) or not (w > 0).all():
            value = np.nan  # a weighted mean of only some members is not the place's
        else:
            wv = w.to_numpy()
            value = float(np.sum(values.to_numpy() * wv) / np.sum(wv))
            if weights is not None:
                sources |= set(weights.loc[have["code"], "source_id"])
                flags |= {q for q in weights.loc[have["code"], "qualifier"] if q}
        note.append(f"{weight}-weighted mean over {len(have)} of {len(used)} members: "
                    f"{_label(have)}")  # fmt: skip
        if len(no_weight):
            note.append(f"no {weight} for {_label(no_weight)}")
        not_positive = used[(w <= 0).to_numpy()]
        if len(not_positive):
            note.append(f"{weight} not positive for {_label(not_positive)}")
        if len(partial_members):
            flags.add("~")
        flags = {"~"} if flags else flags
    if len(missing):
        note.append(f"missing: {_label(missing)}")
    if len(partial_members):
        verb = "left out" if partial == "exclude" else "counted whole"
        note.append(f"partly in {place}, {verb}: {_label(partial_members)}")
    if np.isnan(value):
        flags = set()
    return {
        "value": value,
        "qualifier": _combine_qualifiers(flags),
        "source_id": ";".join(sorted(s for s in sources if s)),
        "note": "; ".join(note),
    }
