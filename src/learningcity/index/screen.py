"""Screening: drop units with too little data (with forced includes/excludes)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from learningcity.index._checks import IndexInputError, as_float_frame

__all__ = ["availability", "screen_units"]


def availability(df: pd.DataFrame) -> pd.Series:
    """Share of non-missing values per row.

    Examples
    --------
    >>> availability(pd.DataFrame({"a": [1.0, None], "b": [2.0, 3.0]})).tolist()
    [1.0, 0.5]
    """
    n = df.shape[1]
    return df.notna().sum(axis=1) / n if n else pd.Series(1.0, index=df.index)


def screen_units(
    df: pd.DataFrame,
    threshold: float = 0.66,
    *,
    by: str = "na",
    nonzero_threshold: float = 0.05,
    include: Iterable = (),
    exclude: Iterable = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the rows with enough data.

    Parameters
    ----------
    df : DataFrame
        Wide table, rows units (or unit-years).
    threshold : float, default 0.66
        Smallest share of non-missing values a kept row needs.
    by : {"na", "zeros", "na_and_zeros"}
        Screen on availability, on the share of non-zero values (which must
        reach ``nonzero_threshold``), or on both.  The non-zero share is taken
        over all the columns, so a missing value counts as not non-zero
        (COINr's ``Screen()`` divides by the values present instead); on an
        imputed table (``screen: {after: impute}`` in a spec) the two agree
        wherever imputation filled every gap.
    nonzero_threshold : float, default 0.05
        Smallest share of non-zero values a kept row needs (``by`` "zeros"
        or "na_and_zeros").
    include, exclude : iterable of unit codes
        Units kept or dropped whatever their data; ``exclude`` wins.

    Returns
    -------
    kept : DataFrame
    report : DataFrame
        Per row: ``availability``, ``nonzero``, ``kept`` and ``reason``.

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1.0, None, 0.0], "b": [2.0, None, 1.0]}, index=["01", "02", "15"])
    >>> kept, report = screen_units(x, 0.5, include=["02"])
    >>> kept.index.tolist(), report.loc["02", "reason"]
    (['01', '02', '15'], 'forced include')
    """
    x = as_float_frame(df, "screen input")
    if by not in ("na", "zeros", "na_and_zeros"):
        raise IndexInputError(f"screen: by must be 'na', 'zeros' or 'na_and_zeros', got {by!r}")
    if not 0 <= threshold <= 1:
        raise IndexInputError(f"screen: threshold must be between 0 and 1, got {threshold!r}")
    avail = availability(x)
    nonzero = (x.ne(0) & x.notna()).sum(axis=1) / max(x.shape[1], 1)
    ok = pd.Series(True, index=x.index)
    reason = pd.Series("", index=x.index, dtype=object)
    if by in ("na", "na_and_zeros"):
        low = avail < threshold
        ok &= ~low
        reason[low] = f"availability below {threshold:g}"
    if by in ("zeros", "na_and_zeros"):
        low = nonzero < nonzero_threshold
        ok &= ~low
        reason[low & (reason == "")] = f"non-zero share below {nonzero_threshold:g}"
    unit = x.index.get_level_values(-1)  # the unit code, also for (year, unit) panels
    inc = unit.isin(list(include))
    exc = unit.isin(list(exclude))
    ok[inc] = True
    reason[inc] = "forced include"
    ok[exc] = False
    reason[exc] = "forced exclude"
    report = pd.DataFrame({"availability": avail, "nonzero": nonzero, "kept": ok, "reason": reason})
    return x[ok.to_numpy()], report
