"""Administrative units: look-up of provinces, districts and communes by name or code.

The bundled ``data/units/units.csv`` holds Vietnam's units on both sides of the
reform of 1 July 2025: the 63 provinces, 696 districts and 10,035 communes valid
until 30 June 2025, and the 34 provinces and 3,321 communes valid from 1 July
2025 (the district level was abolished). Codes are GSO codes as strings; some
were re-used after the reform (``"15"`` was Yên Bái and is now Lào Cai), so a
code is only meaningful with a date.

Names match with or without diacritics, in NFC or NFD, and with the usual
prefixes and abbreviations ("Tỉnh", "TP.", "TX.", "H.", "Q.", "P.", "Xã", "TT."…).
A name that fits several units is reported with the candidates, never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
import weakref
from functools import lru_cache
from pathlib import Path

import pandas as pd

from learningcity.errors import UsageError
from learningcity.paths import data_dir
from learningcity.text import fold, nfc

__all__ = [
    "REFORM_DATE",
    "AmbiguousUnitError",
    "UnitNotFoundError",
    "load_units",
    "resolve_unit",
    "search_units",
    "unit_hits",
    "units_at",
]

#: First day of the two-tier geography (Resolution 202/2025/QH15; districts abolished).
REFORM_DATE = "2025-07-01"

LEVELS = ("province", "district", "commune")
_LEVEL_ORDER = {level: i for i, level in enumerate(LEVELS)}

# Prefixes people write before a unit's name, folded (no diacritics, lower case).
_PREFIXES = {
    "tinh": "Tỉnh",
    "thanh pho": "Thành phố",
    "tp": "Thành phố",
    "tp.": "Thành phố",
    "t.p.": "Thành phố",
    "thi xa": "Thị xã",
    "tx": "Thị xã",
    "tx.": "Thị xã",
    "t.x.": "Thị xã",
    "huyen": "Huyện",
    "h.": "Huyện",
    "quan": "Quận",
    "q.": "Quận",
    "phuong": "Phường",
    "p.": "Phường",
    "xa": "Xã",
    "x.": "Xã",
    "thi tran": "Thị trấn",
    "tt": "Thị trấn",
    "tt.": "Thị trấn",
    "t.t.": "Thị trấn",
    "dac khu": "Đặc khu",
}
_PREFIX_RE = re.compile(
    r"^(" + "|".join(sorted(map(re.escape, _PREFIXES), key=len, reverse=True)) + r")\s*(?=\S)"
)
# "Q1", "P 12", "Q.3": numbered urban districts and wards.
_NUMBERED_RE = re.compile(r"^([pq])\.?\s*(?=\d+$)")
_CODE_RE = re.compile(r"^\d{2,5}$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_fold = lru_cache(maxsize=1 << 16)(fold)


class UnitNotFoundError(UsageError):
    """No unit matches the query."""


class AmbiguousUnitError(UsageError):
    """Several units match the query; ``candidates`` lists them."""

    def __init__(self, message: str, candidates: pd.DataFrame):
        super().__init__(message)
        self.candidates = candidates


def read_checked_csv(
    path: Path, what: str, required: tuple[str, ...], rules: dict[str, tuple[str, str]]
) -> pd.DataFrame:
    """Read a CSV of strings and check it, listing every problem with row and column.

    ``rules`` maps a column to (regular expression the whole value must match,
    description of what is expected). Rows are numbered as in a spreadsheet
    (the header is row 1).
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{what} file not found: {path}") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise UsageError(f"{path}: missing column(s) {', '.join(missing)} of the {what} file")
    problems = []
    for column, (pattern, expected) in rules.items():
        bad = ~frame[column].str.fullmatch(pattern)
        problems += [
            f"{path}, row {i + 2}, column {column}: {value!r} is not {expected}"
            for i, value in zip(frame.index[bad], frame.loc[bad, column], strict=True)
        ]
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise UsageError(f"{len(problems)} problem(s) in the {what} file:\n  {shown}{more}")
    return frame


_DATE_OR_EMPTY = (r"(\d{4}-\d{2}-\d{2})?", "a date YYYY-MM-DD or empty")
_UNIT_RULES = {
    "code": (r"\d{2,5}", "a GSO code of 2 to 5 digits"),
    "name": (r".*\S.*", "a name"),
    "level": ("|".join(LEVELS), "one of " + ", ".join(LEVELS)),
    "parent_code": (r"(\d{2,5})?", "a GSO code or empty"),
    "valid_from": _DATE_OR_EMPTY,
    "valid_to": _DATE_OR_EMPTY,
}
_read_paths: set[Path] = set()


@lru_cache(maxsize=4)
def _read_units(path: Path) -> pd.DataFrame:
    _read_paths.add(path)
    required = ("code", "name", "type", "level", "parent_code", "valid_from", "valid_to")
    return read_checked_csv(path, "units", required, _UNIT_RULES)


def load_units(path: str | Path | None = None) -> pd.DataFrame:
    """Return the table of administrative units.

    Parameters
    ----------
    path : path-like, optional
        A units CSV; the bundled ``data/units/units.csv`` by default.

    Returns
    -------
    DataFrame
        One row per unit and period: ``code, name, type, level, parent_code,
        valid_from, valid_to, source_id`` (all strings; codes keep their leading
        zeros; an empty ``valid_from``/``valid_to`` means open-ended). Units
        before the reform end on ``2025-06-30``; those after start on
        ``2025-07-01``.

    Examples
    --------
    >>> units = load_units()
    >>> units.set_index("code").loc["133", "name"]
    'Nghĩa Lộ'
    >>> units.groupby("valid_from")["level"].value_counts().loc["2025-07-01"].to_dict()
    {'commune': 3321, 'province': 34}
    """
    return _bundled(path).copy()


def _bundled(path: str | Path | None = None) -> pd.DataFrame:
    """The cached table itself (callers must not modify it)."""
    path = Path(path) if path is not None else data_dir() / "units" / "units.csv"
    return _read_units(path.resolve())


def _iso(value: object, what: str = "date") -> str:
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if _ISO_DATE_RE.match(text):
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    raise UsageError(f"{what} {value!r} is not a date; expected YYYY-MM-DD (e.g. 2024-01-01)")


def _window(date: object) -> tuple[str, str]:
    """Return the (first, last) ISO day of a date or of a whole year (an int)."""
    if isinstance(date, int) and not isinstance(date, bool):
        return f"{date:04d}-01-01", f"{date:04d}-12-31"
    day = _iso(date)
    return day, day


def _valid_mask(units: pd.DataFrame, date: object) -> pd.Series:
    """Rows valid on ``date`` (or at any time in a year given as an int)."""
    if "valid_from" not in units or "valid_to" not in units:
        return pd.Series(True, index=units.index)
    first, last = _window(date)
    start = units["valid_from"].fillna("").astype(str)
    end = units["valid_to"].fillna("").astype(str)
    return ((start == "") | (start <= last)) & ((end == "") | (end >= first))


def units_at(
    date: object, level: str | None = None, units: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return the units valid on a date (or at any time in a year given as an int).

    Parameters
    ----------
    date : str, date or int
        ``"2024-01-01"``, a :class:`datetime.date`, or a year such as ``2025``
        (units valid at any time in that year, so both sides of the reform).
    level : {"province", "district", "commune"}, optional
        Keep only this level.
    units : DataFrame, optional
        The table to filter; :func:`load_units` by default.

    Examples
    --------
    >>> len(units_at("2025-06-30", "province")), len(units_at("2025-07-01", "province"))
    (63, 34)
    >>> units_at("2025-07-01", "province").set_index("code").loc["15", "name"]
    'Lào Cai'
    """
    units = load_units() if units is None else units
    mask = _valid_mask(units, date)
    if level is not None:
        _check_level(level)
        mask &= units["level"] == level
    return units[mask]


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise UsageError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")


def _parse_query(query: str) -> tuple[str, str | None, str]:
    """Return (whole folded key, unit type of a prefix or None, key without the prefix)."""
    key = fold(query)
    match = _NUMBERED_RE.match(key)
    if match:
        unit_type = "Phường" if match.group(1) == "p" else "Quận"
        number = str(int(key[match.end() :]))
        return key, unit_type, f"{fold(unit_type)} {number}"
    match = _PREFIX_RE.match(key)
    if not match:
        return key, None, key
    return key, _PREFIXES[match.group(1)], key[match.end() :].strip()


def _accented(text: str) -> str:
    """Lower-case NFC key that keeps the diacritics ("Yên Bái" is not "Yên Bài")."""
    return nfc(text).casefold()


_accented_cached = lru_cache(maxsize=1 << 16)(_accented)

# Matching keys of the bundled tables, computed once (they are never modified).
_KEY_CACHE: dict[int, tuple[weakref.ref, pd.DataFrame]] = {}


def _keys(units: pd.DataFrame) -> pd.DataFrame:
    """Folded and accented name keys and folded types, aligned on ``units``' index."""
    cached = _KEY_CACHE.get(id(units))
    if cached is not None and cached[0]() is units:
        return cached[1]
    keys = pd.DataFrame(
        {
            "fold": units["name"].map(_fold),
            "accented": units["name"].map(_accented_cached),
            "type": units["type"].map(_fold),
        },
        index=units.index,
    )
    if any(units is _read_units(p) for p in _read_paths):
        _KEY_CACHE[id(units)] = (weakref.ref(units), keys)
    return keys


def _pool_keys(pool: pd.DataFrame, reference: pd.DataFrame | None) -> pd.DataFrame:
    """Keys of ``pool``, a filtered part of ``reference``, from the reference's cache."""
    if reference is None or not reference.index.is_unique:
        return _keys(pool)
    return _keys(reference).loc[pool.index]


def _name_matches(
    units: pd.DataFrame, query: str, reference: pd.DataFrame | None = None
) -> pd.Series:
    """Exact name matches: the whole query, or a known prefix plus a name of that type.

    Both readings are tried because some names begin like a prefix ("Quan Hóa"
    is a district, not "Quận Hóa"; "Xá Lượng" is a commune). A query written
    with diacritics matches them exactly when it can ("Yên Bái" is not the
    commune "Yên Bài"); without diacritics, or if no unit of ``reference``
    (all units; ``units`` may be filtered) is spelt that way, it matches names
    that differ only in diacritics.
    """
    key, unit_type, rest = _parse_query(query)
    own = _pool_keys(units, reference)
    types = own["type"]

    def matches(names: pd.Series, whole: str, tail: str) -> pd.Series:
        hits = names == whole
        if unit_type is not None and tail:
            hits |= (names == tail) & (types == _fold(unit_type))
        return hits

    accented = _accented(query)
    if accented != key and len(accented) == len(key):
        # Same length: the prefix can be cut at the same place in both keys.
        tail = accented[len(key) - len(rest) :] if unit_type and rest in key else accented
        hits = matches(own["accented"], accented, tail.strip())
        if hits.any():
            return hits
        if (
            reference is not None
            and _keys(reference)["accented"].isin([accented, tail.strip()]).any()
        ):
            return hits  # the exact spelling exists, just not among these units
    return matches(own["fold"], key, rest)


def _split_context(text: str) -> tuple[str, list[str]]:
    """``"Nghĩa Lộ, Yên Bái"`` -> ``("Nghĩa Lộ", ["Yên Bái"])``: a name and its ancestors."""
    name, *context = (part.strip() for part in text.split(","))
    return name, [c for c in context if c]


def _within(hits: pd.DataFrame, context: list[str], all_units: pd.DataFrame) -> pd.Series:
    """Rows of ``hits`` whose parent or grandparent fits every name in ``context``."""
    keep = pd.Series(True, index=hits.index)
    if not context or "parent_code" not in hits:
        return keep
    period = (
        all_units["valid_from"] if "valid_from" in all_units else pd.Series("", all_units.index)
    )
    parent_of = dict(zip(zip(all_units["code"], period, strict=True), all_units["parent_code"],
                         strict=True))  # fmt: skip
    hit_period = hits["valid_from"] if "valid_from" in hits else pd.Series("", hits.index)
    for name in context:
        found = all_units[_name_matches(all_units, name, all_units)]
        found_period = period.loc[found.index]
        targets = set(zip(found["code"], found_period, strict=True))
        inside = [
            (p, v) in targets or (parent_of.get((p, v), ""), v) in targets
            for p, v in zip(hits["parent_code"], hit_period, strict=True)
        ]
        keep &= pd.Series(inside, index=hits.index, dtype=bool)
    return keep


def _describe(units: pd.DataFrame, all_units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Candidates in display order with the parent's name beside its code."""
    out = units.copy()
    ref = all_units if all_units is not None else units
    if {"parent_code", "valid_from"} <= set(out.columns):
        parents = ref.drop_duplicates(["code", "valid_from"]).set_index(["code", "valid_from"])
        keys = pd.MultiIndex.from_arrays([out["parent_code"], out["valid_from"]])
        out["parent_name"] = parents["name"].reindex(keys).fillna("").to_numpy()
    order = out["level"].map(_LEVEL_ORDER).fillna(9)
    keys = [c for c in ("valid_from", "_order", "code") if c in out.columns or c == "_order"]
    return out.assign(_order=order).sort_values(keys, kind="stable").drop(columns="_order")


def _filter(units: pd.DataFrame, level: str | None, date: object) -> pd.DataFrame:
    if level is not None:
        _check_level(level)
        units = units[units["level"] == level]
    if date is not None:
        units = units[_valid_mask(units, date)]
    return units


def search_units(
    query: str,
    level: str | None = None,
    date: object = None,
    units: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Find the units whose code or name fits ``query``, best matches first.

    Parameters
    ----------
    query : str
        A GSO code or a name, with or without diacritics and prefix
        (``"Nghia Lo"``, ``"TX. Nghĩa Lộ"``, ``"p. yen bai"``), optionally
        followed by the names of its district or province after commas
        (``"Nghĩa Lộ, Quảng Ngãi"``).
    level : {"province", "district", "commune"}, optional
        Keep only this level.
    date : str, date or int, optional
        Keep only units valid on this date (or in this year).
    units : DataFrame, optional
        The table to search; :func:`load_units` by default.

    Returns
    -------
    DataFrame
        ``code, type, name, level, parent_code, parent_name, valid_from,
        valid_to, match``: ``match`` is ``"code"`` or ``"exact"`` for a code or
        a whole name, ``"partial"`` when the query is only part of the name
        (whole words). Exact matches come first; empty if nothing fits.

    Examples
    --------
    >>> search_units("Nghia Lo", date="2025-07-01")[["code", "type", "name", "parent_name"]]
        code    type      name parent_name
    0  04288  Phường  Nghĩa Lộ     Lào Cai
    1  21028  Phường  Nghĩa Lộ  Quảng Ngãi
    """
    all_units = _bundled() if units is None else units
    pool = _filter(all_units, level, date)
    text, context = _split_context(str(query))
    by_code = pool["code"] == text
    exact = _name_matches(pool, text, all_units) & ~by_code
    key, _, rest = _parse_query(text)
    words = re.compile(r"(?:^|\s)(?:" + re.escape(rest or key) + r")(?:\s|$)")
    names = _pool_keys(pool, all_units)["fold"]
    partial = names.map(lambda n: bool(key) and bool(words.search(n))) & ~exact & ~by_code
    parts = [
        pool[by_code].assign(match="code"),
        pool[exact].assign(match="exact"),
        pool[partial].assign(match="partial"),
    ]
    found = pd.concat(parts) if any(len(p) for p in parts) else pool.iloc[:0].assign(match="")
    found = found[_within(found, context, all_units)]
    rank = found["match"].map({"code": 0, "exact": 0, "partial": 1})
    found = _describe(found.assign(_rank=rank), all_units)
    found = found.sort_values("_rank", kind="stable").drop(columns="_rank")
    cols = [
        "code",
        "type",
        "name",
        "level",
        "parent_code",
        "parent_name",
        "valid_from",
        "valid_to",
        "match",
    ]
    return found[[c for c in cols if c in found.columns]].reset_index(drop=True)


def _listing(hits: pd.DataFrame) -> str:
    items = []
    for r in hits.itertuples():
        when = ""
        if getattr(r, "valid_to", ""):
            when = f", until {r.valid_to}"
        elif getattr(r, "valid_from", ""):
            when = f", from {r.valid_from}"
        parent = f" in {r.parent_name}" if getattr(r, "parent_name", "") else ""
        label = r.name if _fold(r.name).startswith(_fold(r.type)) else f"{r.type} {r.name}"
        items.append(f"{label}{parent} ({r.level} {r.code}{when})")
    return "; ".join(items)


def unit_hits(
    query: str,
    units: pd.DataFrame | None = None,
    *,
    level: str | None = None,
    date: object = None,
) -> pd.DataFrame:
    """Every unit that :func:`resolve_unit` would accept for ``query`` (maybe none or several).

    A code matches that code only; a name matches as in :func:`resolve_unit`
    (diacritics, prefixes, the names of its district or province after commas).

    Examples
    --------
    >>> unit_hits("Nghĩa Lộ", date="2026-12-01")[["code", "type", "parent_code"]].to_numpy()
    array([['04288', 'Phường', '15'],
           ['21028', 'Phường', '51']], dtype=object)
    """
    all_units = _bundled() if units is None else units
    pool = _filter(all_units, level, date)
    name, context = _split_context(str(query))
    text = str(query).strip()
    hits = pool[pool["code"] == text]
    if hits.empty and not _CODE_RE.match(text):
        hits = pool[_name_matches(pool, name, all_units)]
        hits = hits[_within(hits, context, all_units)]
    return hits


def resolve_unit(
    query: str,
    units: pd.DataFrame | None = None,
    *,
    level: str | None = None,
    date: object = None,
) -> pd.Series:
    """Find one unit by code or by name (with or without diacritics or prefix).

    Parameters
    ----------
    query : str
        A GSO code (``"133"``) or a name: ``"Nghĩa Lộ"``, ``"nghia lo"``,
        ``"TX. Nghĩa Lộ"``, ``"Thành phố Yên Bái"``. Names of the district or
        province may follow after commas: ``"Xã Nghĩa Lộ, TX Nghĩa Lộ"``.
    units : DataFrame, optional
        The table to search; :func:`load_units` by default.
    level : {"province", "district", "commune"}, optional
        Only units of this level.
    date : str, date or int, optional
        Only units valid on this date (or in this year). Codes were re-used
        after 1 July 2025, so ``"15"`` needs a date.

    Returns
    -------
    Series
        The matching row.

    Raises
    ------
    UnitNotFoundError
        Nothing matches (the message suggests near names if there are some).
    AmbiguousUnitError
        Several units match (e.g. ``"Yên Bái"`` is a province and a city
        before 2025 and a ward after); the message lists them, and
        ``candidates`` holds them as a DataFrame.

    Examples
    --------
    >>> resolve_unit("TX Nghia Lo")["code"]
    '133'
    >>> resolve_unit("15", date="2025-07-01")["name"]
    'Lào Cai'
    >>> resolve_unit("Xã Nghĩa Lộ, Yên Bái")["code"]
    '04624'
    >>> resolve_unit("Yên Bái", date="2024-01-01")
    Traceback (most recent call last):
    ...
    learningcity.units.AmbiguousUnitError: 'Yên Bái' matches 2 units valid at 2024-01-01: ...
    """
    all_units = _bundled() if units is None else units
    hits = unit_hits(query, all_units, level=level, date=date)
    text = str(query).strip()
    scope = "".join(
        [f" at level {level}" if level else "", f" valid at {date}" if date is not None else ""]
    )
    if hits.empty:
        near = search_units(text, level=level, date=date, units=all_units)
        hint = f" Did you mean: {_listing(near.head(5))}?" if len(near) else ""
        raise UnitNotFoundError(
            f"no unit named or coded {text!r}{scope} in the data.{hint} "
            "Try `learningcity units search` or a GSO code."
        )
    if len(hits) > 1:
        described = _describe(hits, all_units)
        raise AmbiguousUnitError(
            f"{text!r} matches {len(hits)} units{scope}: {_listing(described)}. "
            + (
                "Codes were re-used after 1 July 2025: give a date."
                if (hits["code"] == text).all()
                else "Give the code, the type (e.g. 'TP Yên Bái', 'Tỉnh Yên Bái'), the "
                "province after a comma, a level or a date."
            ),
            described.reset_index(drop=True),
        )
    return hits.iloc[0]
