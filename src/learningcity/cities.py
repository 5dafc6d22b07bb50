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

:func:`resolve_place` finds what a report can name at a date: a unit of the
unit table or a city of the cities file. Its rules:

* A **city id** (``nghia-lo``) is the city.
* A **bare name** (no type prefix, no comma context, not a code) that is a
  city's name is the city, over communes and wards of the same name anywhere
  ("Nghĩa Lộ" in 2026 is the city, not Phường Nghĩa Lộ of Lào Cai or of
  Quảng Ngãi). If a province or district-level unit other than the city's own
  district has the name too, the name is ambiguous and the message lists the
  city first ("Yên Bái" in 2023: the city and the province).
* A **type prefix** ("Phường", "Xã", "Tỉnh", "TX" …) or a **comma context**
  ("Nghĩa Lộ, Quảng Ngãi") selects units only.
* **Before the reform**, a city that is exactly one whole district is that
  district ("Nghĩa Lộ" or "TX Nghĩa Lộ" in 2023 is district 133).
* A unit that no longer exists at the date (an **old code or name with a later
  date**: ``133`` in 2026) leads to its successor: the city whose definition
  before the reform had it as a member, else the crosswalk's single successor
  (``"Tỉnh Yên Bái"`` → Tỉnh Lào Cai). Several successors are an error that
  lists them. :attr:`Place.note` says what happened.
* A **re-used code** (``15`` in 2026 is Lào Cai, was Yên Bái) resolves to the
  unit holding it at the date, with a note naming the old holder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from learningcity.errors import UsageError
from learningcity.paths import data_dir
from learningcity.text import fold, nfc
from learningcity.units import (
    _CODE_RE,
    REFORM_DATE,
    AmbiguousUnitError,
    UnitNotFoundError,
    _bundled,
    _describe,
    _iso,
    _listing,
    _parse_query,
    _split_context,
    _valid_mask,
    load_units,
    read_checked_csv,
    resolve_unit,
    unit_hits,
)

__all__ = [
    "CITY_TYPE",
    "Place",
    "aggregate_to_city",
    "cities_at",
    "city_members",
    "load_cities",
    "resolve_city",
    "resolve_place",
]

#: The ``type`` of a city row (a named set of communes, not an administrative unit).
CITY_TYPE = "Đô thị"
_LAST_OLD_DAY = "2025-06-30"

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


def _province_of(codes: pd.Series, valid: pd.DataFrame) -> set[str]:
    """Province codes of units (districts or communes) in the table ``valid`` of one date."""
    parent = dict(zip(valid["code"] + "|" + valid["level"], valid["parent_code"], strict=False))
    level = dict(zip(valid["code"], valid["level"], strict=False))
    out = set()
    for code in codes:
        lvl = level.get(code)
        up = parent.get(f"{code}|{lvl}", "")
        # An old commune's parent is its district; a new commune's is its province.
        out.add(parent.get(f"{up}|district", "") if len(up) == 3 else up)
    return out - {""}


def cities_at(
    date: object, *, units: pd.DataFrame | None = None, cities: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The cities defined on a date, as rows shaped like the unit table.

    Parameters
    ----------
    date : str or date
        The day, e.g. ``"2026-12-01"``.
    units, cities : DataFrame, optional
        The unit table and the city definitions; the bundled ones by default.

    Returns
    -------
    DataFrame
        ``code`` (the city id), ``name``, ``type`` (:data:`CITY_TYPE`),
        ``level`` (``"city"``), ``parent_code`` (the province holding its
        members, empty if they span several), ``valid_from``, ``valid_to``
        (of the definition in force), ``source_id``, ``district`` (the
        district the city is, when it is exactly one whole district, else
        empty) and ``n_members``.

    Examples
    --------
    >>> cities_at("2026-12-01")[["code", "name", "parent_code", "district", "n_members"]]
           code      name parent_code district  n_members
    0   yen-bai   Yên Bái          15                   4
    1  nghia-lo  Nghĩa Lộ          15                   4
    >>> cities_at("2023-12-31")["district"].tolist()
    ['132', '133']
    """
    day = _iso(date)
    units = _bundled() if units is None else units
    cities = load_cities() if cities is None else cities
    rows = cities[_valid_mask(cities, day)]
    valid = units[_valid_mask(units, day)]
    out = []
    for city_id, grp in rows.groupby("city_id", sort=False):
        whole_district = (
            len(grp) == 1
            and grp["member_level"].iloc[0] == "district"
            and grp["share"].iloc[0] == "whole"
        )
        provinces = _province_of(grp["member_code"], valid)
        out.append(
            {
                "code": city_id,
                "name": nfc(grp["city_name"].iloc[0]),
                "type": CITY_TYPE,
                "level": "city",
                "parent_code": provinces.pop() if len(provinces) == 1 else "",
                "valid_from": max(grp["valid_from"]),
                "valid_to": min((v for v in grp["valid_to"] if v), default=""),
                "source_id": ";".join(sorted(set(grp["source_id"]) - {""})),
                "district": grp["member_code"].iloc[0] if whole_district else "",
                "n_members": len(city_members(city_id, day, units=units, cities=cities)),
            }
        )
    cols = ["code", "name", "type", "level", "parent_code", "valid_from", "valid_to",
            "source_id", "district", "n_members"]  # fmt: skip
    return pd.DataFrame(out, columns=cols)


@dataclass(frozen=True)
class Place:
    """What a report is about, as :func:`resolve_place` found it.

    Attributes
    ----------
    unit : Series
        The unit (a row of the unit table) or the city (a row of
        :func:`cities_at`, ``level == "city"``).
    query : str
        What was asked.
    date : str or None
        The day of the geography.
    how : str
        ``"direct"`` (the query names this unit), ``"city"`` (a bare name
        chose the city over same-named wards or communes), ``"city-district"``
        (the city is one whole district at the date: the report is on it),
        ``"successor"`` (the unit asked for no longer exists at the date) or
        ``"reused-code"`` (the code belonged to another unit before the reform).
    named : Series or None
        For ``"successor"`` and ``"reused-code"``: the old unit.
    """

    unit: pd.Series
    query: str
    date: str | None = None
    how: str = "direct"
    named: pd.Series | None = None

    @property
    def note(self) -> str:
        """What a reader must know about the resolution, in English ("" if nothing).

        Examples
        --------
        >>> resolve_place("133", "2026-12-01").note.split(";")[0]
        'Thị xã Nghĩa Lộ (district 133) existed until 2025-06-30'
        """
        u, old = self.unit, self.named
        if self.how == "successor" and old is not None:
            return (
                f"{_place_label(old)} ({old['level']} {old['code']}) existed until "
                f"{old.get('valid_to') or _LAST_OLD_DAY}; at {self.date} its successor is "
                f"{_describe_place(u, self.date)}."
            )
        if self.how == "reused-code" and old is not None:
            return (
                f"code {u['code']} is {_place_label(u)} at {self.date}; until "
                f"{old.get('valid_to') or _LAST_OLD_DAY} it was {_place_label(old)}'s."
            )
        if self.how == "city":
            return (
                f"{self.query!r} is {_describe_place(u, self.date)}; for a ward or commune "
                "of that name, give its type (e.g. 'Phường …') or its province after a comma."
            )
        if self.how == "city-district":
            return (
                f"{self.query!r} is the city {u['name']}, which at {self.date} is "
                f"{_place_label(u)}."
            )
        return ""


def _place_label(row: pd.Series) -> str:
    if row.get("level") == "city":
        return f"the city {row['name']}"
    return f"{row['type']} {row['name']}".strip()


def _describe_place(row: pd.Series, date: str | None) -> str:
    """ "the city Nghĩa Lộ (4 units: …)" or "Tỉnh Lào Cai (province 15)"."""
    if row.get("level") != "city" or date is None:
        return f"{_place_label(row)} ({row['level']} {row['code']})"
    members = city_members(row["code"], date)
    parts = [
        f"{m.type} {m.name}" + (" (partly)" if m.share == "partial" else "")
        for m in members.itertuples()
    ]
    return f"the city {row['name']} ({len(parts)} units: {', '.join(parts)})"


def _city_name_hits(table: pd.DataFrame, text: str) -> pd.DataFrame:
    """Cities named ``text``, with or without diacritics (but not with other ones)."""
    key, accented = fold(text), nfc(text).casefold()
    names = table["name"]
    same = names.map(fold) == key
    if accented != key:  # diacritics given: they must be the city's
        same &= names.map(lambda n: nfc(n).casefold()) == accented
    return table[same]


def resolve_place(
    query: str,
    date: object = None,
    *,
    units: pd.DataFrame | None = None,
    cities: pd.DataFrame | None = None,
) -> Place:
    """Find the unit or city a report names, as it is on ``date``.

    The rules are in the module docstring: a city id or a bare city name is
    the city; a type prefix or comma context selects units; before the reform
    a city that is one whole district is that district; a unit that no longer
    exists leads to its successor; a re-used code gets a note.

    Parameters
    ----------
    query : str
        A city id, a name (any spelling, optional prefix and context) or a
        GSO code.
    date : str or date, optional
        The day of the geography. Without it, units of any date are searched
        and cities are not considered (as :func:`~learningcity.units.resolve_unit`).
    units, cities : DataFrame, optional
        The unit table and the city definitions; the bundled ones by default.

    Returns
    -------
    Place

    Raises
    ------
    UnitNotFoundError, AmbiguousUnitError
        As :func:`~learningcity.units.resolve_unit`; the candidates of an
        ambiguous name list a matching city first.
    UsageError
        An old unit whose successors are several units (they are listed).

    Examples
    --------
    >>> p = resolve_place("Nghĩa Lộ", "2026-12-01")
    >>> p.unit["code"], p.unit["level"], p.how
    ('nghia-lo', 'city', 'city')
    >>> resolve_place("Nghĩa Lộ", "2023-12-31").unit["code"]
    '133'
    >>> p = resolve_place("15", "2026-12-01")
    >>> p.unit["name"], p.how, p.named["name"]
    ('Lào Cai', 'reused-code', 'Yên Bái')
    >>> resolve_place("Tỉnh Yên Bái", "2026-12-01").unit[["code", "name"]].tolist()
    ['15', 'Lào Cai']
    """
    all_units = _bundled() if units is None else units
    text = str(query).strip()
    if date is None:
        return Place(resolve_unit(text, all_units), text)
    day = _iso(date)
    cities = load_cities() if cities is None else cities
    table = cities_at(day, units=all_units, cities=cities)
    valid = all_units[_valid_mask(all_units, day)]

    def city_place(row: pd.Series, how: str, named: pd.Series | None = None) -> Place:
        if row["district"]:  # the city is one whole district: the report is on it
            district = valid[(valid["code"] == row["district"]) & (valid["level"] == "district")]
            return Place(district.iloc[0], text, day, "city-district" if how == "city" else how,
                         named)  # fmt: skip
        return Place(row, text, day, how, named)

    by_id = table[table["code"] == text]
    if len(by_id):
        return city_place(by_id.iloc[0], "direct")
    name, context = _split_context(text)
    _, prefix, _ = _parse_query(name)
    hits = unit_hits(text, all_units, date=day)
    if prefix is None and not context and not _CODE_RE.match(text):
        named = _city_name_hits(table, name)
        if len(named):
            own = set(named["district"]) - {""}
            others = hits[(hits["level"] != "commune") & ~hits["code"].isin(own)]
            if len(named) == 1 and others.empty:
                return city_place(named.iloc[0], "city" if len(hits) else "direct")
            # The city first; a city that is one district is listed once, as the city.
            rest = _describe(hits[~hits["code"].isin(own)], all_units)
            as_city = [
                f"the city {r.name} (id {r.code}, data/units/cities.csv"
                + (f"; {_place_label(valid[valid['code'] == r.district].iloc[0])}, district "
                   f"{r.district}" if r.district else "")
                + ")"
                for r in named.itertuples()
            ]  # fmt: skip
            listing = "; ".join(as_city + ([_listing(rest)] if len(rest) else []))
            raise AmbiguousUnitError(
                f"{text!r} matches {len(named) + len(rest)} places valid at {day}: {listing}. "
                "Give the city id, or the type of the unit (e.g. 'Tỉnh Yên Bái').",
                pd.concat([named, rest], ignore_index=True).astype(object).fillna(""),
            )
    if len(hits) == 1:
        row = hits.iloc[0]
        if row["code"] == text and day >= REFORM_DATE:
            before = all_units[_valid_mask(all_units, _LAST_OLD_DAY)]
            old = before[(before["code"] == text) & (before["level"] == row["level"])]
            old = old[(old["valid_to"] != "") & (old["valid_to"] < day)]
            if len(old) and old.iloc[0]["name"] != row["name"]:
                return Place(row, text, day, "reused-code", old.iloc[0])
        return Place(row, text, day)
    if len(hits) > 1 or day < REFORM_DATE:
        return Place(resolve_unit(text, all_units, date=day), text, day)  # raises with listing
    old = unit_hits(text, all_units, date=_LAST_OLD_DAY)
    if old.empty:
        return Place(resolve_unit(text, all_units, date=day), text, day)  # raises, with hints
    if len(old) > 1:
        resolve_unit(text, all_units, date=_LAST_OLD_DAY)  # raises with the old candidates
    return _successor(old.iloc[0], text, day, table, valid, cities, city_place)


def _successor(old, text, day, table, valid, cities, city_place) -> Place:
    """The place an old unit led to at ``day``: its city, or its single successor."""
    from learningcity.crosswalk import successors

    defs = cities[
        (cities["member_code"] == old["code"])
        & (cities["member_level"] == old["level"])
        & (cities["valid_to"] != "")
        & (cities["valid_to"] < day)
    ]
    now = table[table["code"].isin(defs["city_id"])]
    if len(now):
        return city_place(now.iloc[0], "successor", old)
    succ = successors(old["code"], old["level"])
    if len(succ) == 1:
        level = "province" if old["level"] == "province" else "commune"
        row = valid[(valid["code"] == succ["new_code"].iloc[0]) & (valid["level"] == level)]
        if len(row):
            return Place(row.iloc[0], text, day, "successor", old)
    listing = "; ".join(f"{r.new_type} {r.new_name} ({r.new_code})" for r in succ.itertuples())
    raise UnitNotFoundError(
        f"{old['type']} {old['name']} ({old['level']} {old['code']}) existed until "
        f"{old['valid_to'] or _LAST_OLD_DAY}; at {day} its area lies in {len(succ)} units: "
        f"{listing}. Name one of them, or define a city of them in data/units/cities.csv."
    )


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
