"""Input checks shared by the index steps (errors name the row and column)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from learningcity.errors import UsageError

__all__ = ["IndexInputError", "as_float_frame", "directions_for", "require_columns"]


class IndexInputError(UsageError):
    """A table given to the index engine is not shaped or typed as documented."""


def as_float_frame(df: pd.DataFrame, what: str = "data") -> pd.DataFrame:
    """Return ``df`` as float64 columns, or raise naming the first bad cell.

    Examples
    --------
    >>> as_float_frame(pd.DataFrame({"a": [1, 2]}, index=["01", "02"])).dtypes.iloc[0]
    dtype('float64')
    """
    if not isinstance(df, pd.DataFrame):
        raise IndexInputError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    if df.index.has_duplicates:
        dup = df.index[df.index.duplicated()][0]
        raise IndexInputError(f"{what}: row {dup!r} appears more than once in the index")
    if all(dt == "float64" for dt in df.dtypes):
        # Already float: a shallow copy (copy-on-write) so callers may relabel it freely.
        res = df.copy(deep=False)
    else:
        out = {}
        for col in df.columns:
            s = df[col]
            if pd.api.types.is_bool_dtype(s) or not (
                pd.api.types.is_numeric_dtype(s) or s.isna().all()
            ):
                conv = pd.to_numeric(s, errors="coerce")
                bad = conv.isna() & s.notna()
                if bad.any():
                    row = bad[bad].index[0]
                    raise IndexInputError(
                        f"{what}: row {row!r}, column {col!r}: expected a number, got {s[row]!r}"
                    )
                s = conv
            out[col] = s.to_numpy(dtype="float64", na_value=np.nan)
        res = pd.DataFrame(out, index=df.index, columns=df.columns)
    inf = np.isinf(res.to_numpy())
    if inf.any():
        r, c = np.argwhere(inf)[0]
        raise IndexInputError(
            f"{what}: row {res.index[r]!r}, column {res.columns[c]!r}: value is infinite"
        )
    return res


def require_columns(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise :class:`IndexInputError` listing every missing column."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise IndexInputError(f"{what}: missing column(s) {', '.join(map(repr, missing))}")


def directions_for(columns: pd.Index, directions: pd.Series | dict | None) -> pd.Series:
    """Return a ±1 direction per column (default +1), checking every value.

    Examples
    --------
    >>> directions_for(pd.Index(["a", "b"]), {"b": -1}).tolist()
    [1.0, -1.0]
    """
    out = pd.Series(1.0, index=columns)
    if directions is None:
        return out
    given = pd.Series(directions, dtype="float64")
    extra = given.index.difference(columns)
    given = given.reindex(columns)
    bad = given.notna() & ~given.isin([1.0, -1.0])
    if bad.any():
        col = bad[bad].index[0]
        raise IndexInputError(f"direction of {col!r} must be +1 or -1, got {given[col]!r}")
    del extra  # directions for columns not in the table are ignored on purpose
    return given.fillna(1.0)
