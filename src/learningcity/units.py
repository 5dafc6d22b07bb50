"""Administrative units: look-up of provinces, districts and communes by name or code.

Minimal first version: the bundled ``data/units/units.csv`` and name matching
with or without diacritics and the usual prefixes. The full geography (63/34
provinces, communes, the 2025 crosswalk, cities as sets of wards) extends it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from learningcity.errors import UsageError
from learningcity.paths import data_dir
from learningcity.text import fold

__all__ = ["AmbiguousUnitError", "UnitNotFoundError", "load_units", "resolve_unit"]

# Prefixes people write before a unit's name, folded (no diacritics, lower case).
_PREFIXES = {
    "tinh": "Tỉnh",
    "thanh pho": "Thành phố",
    "tp": "Thành phố",
    "tp.": "Thành phố",
    "thi xa": "Thị xã",
    "tx": "Thị xã",
    "tx.": "Thị xã",
    "huyen": "Huyện",
    "h.": "Huyện",
    "quan": "Quận",
    "q.": "Quận",
    "phuong": "Phường",
    "p.": "Phường",
    "xa": "Xã",
    "thi tran": "Thị trấn",
    "tt": "Thị trấn",
    "tt.": "Thị trấn",
}
_PREFIX_RE = re.compile(
    r"^(" + "|".join(sorted(map(re.escape, _PREFIXES), key=len, reverse=True)) + r")\s*(?=\S)"
)


class UnitNotFoundError(UsageError):
    """No unit matches the query."""


class AmbiguousUnitError(UsageError):
    """Several units match the query; ``candidates`` lists them."""

    def __init__(self, message: str, candidates: pd.DataFrame):
        super().__init__(message)
        self.candidates = candidates


@lru_cache(maxsize=4)
def _read_units(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def load_units(path: str | Path | None = None) -> pd.DataFrame:
    """Return the table of administrative units.

    Parameters
    ----------
    path : path-like, optional
        A units CSV; the bundled ``data/units/units.csv`` by default.

    Returns
    -------
    DataFrame
        One row per unit: ``code, name, type, level, parent_code, valid_from,
        valid_to, source_id`` (all strings; codes keep their leading zeros).

    Examples
    --------
    >>> units = load_units()
    >>> units.set_index("code").loc["133", "name"]
    'Nghĩa Lộ'
    """
    path = Path(path) if path is not None else data_dir() / "units" / "units.csv"
    return _read_units(path.resolve()).copy()


def _split_prefix(query: str) -> tuple[str | None, str]:
    key = fold(query)
    match = _PREFIX_RE.match(key)
    if not match:
        return None, key
    return _PREFIXES[match.group(1)], key[match.end() :].strip()


def resolve_unit(query: str, units: pd.DataFrame | None = None) -> pd.Series:
    """Find one unit by code or by name (with or without diacritics or prefix).

    Parameters
    ----------
    query : str
        A GSO code (``"133"``) or a name: ``"Nghĩa Lộ"``, ``"nghia lo"``,
        ``"TX. Nghĩa Lộ"``, ``"Thành phố Yên Bái"``.
    units : DataFrame, optional
        The table to search; :func:`load_units` by default.

    Returns
    -------
    Series
        The matching row.

    Raises
    ------
    UnitNotFoundError
        Nothing matches.
    AmbiguousUnitError
        Several units match (e.g. ``"Yên Bái"`` is a province and a city);
        the message lists them and how to ask for each.

    Examples
    --------
    >>> resolve_unit("TX Nghia Lo")["code"]
    '133'
    >>> resolve_unit("Yên Bái")
    Traceback (most recent call last):
    ...
    learningcity.units.AmbiguousUnitError: 'Yên Bái' matches 2 units: ...
    """
    units = load_units() if units is None else units
    query = str(query).strip()
    by_code = units[units["code"] == query]
    if len(by_code) == 1:
        return by_code.iloc[0]
    unit_type, key = _split_prefix(query)
    names = units["name"].map(fold)
    hits = units[names == key]
    if unit_type is not None:
        hits = hits[hits["type"].map(fold) == fold(unit_type)]
    if hits.empty:
        raise UnitNotFoundError(
            f"no unit named or coded {query!r} in the data; "
            "try `learningcity units search` or a GSO code"
        )
    if len(hits) > 1:
        listing = "; ".join(f"{r.type} {r.name} (code {r.code})" for r in hits.itertuples())
        raise AmbiguousUnitError(
            f"{query!r} matches {len(hits)} units: {listing}. "
            "Give the code or the type, e.g. 'TP Yên Bái' or 'Tỉnh Yên Bái'.",
            hits,
        )
    return hits.iloc[0]
