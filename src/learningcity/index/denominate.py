"""Denomination: turn counts into rates (per capita, per 1,000 adults, per km²)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from learningcity.index._checks import IndexInputError, as_float_frame

__all__ = ["denominate"]


def denominate(
    df: pd.DataFrame,
    by: Mapping[str, str],
    *,
    scale: float | Mapping[str, float] = 1.0,
    denominators: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Divide indicators by a denominator column and multiply by a scale.

    Parameters
    ----------
    df : DataFrame
        Wide table, rows units.
    by : mapping
        Indicator -> denominator column (looked up in ``denominators``, else in
        ``df``). Indicators not named are returned unchanged.
    scale : float or mapping, default 1
        Factor applied after dividing (``1000`` gives "per 1,000"), one for all
        or one per indicator.
    denominators : DataFrame, optional
        Denominator columns indexed like ``df`` (population, area, adults...).

    Returns
    -------
    DataFrame
        ``df`` with the named indicators replaced by ratios; a zero or missing
        denominator gives NaN (missing), never an infinite value.

    Examples
    --------
    >>> x = pd.DataFrame({"libraries": [3.0, 10.0], "population": [1500.0, 20000.0]},
    ...                  index=["132", "133"])
    >>> denominate(x, {"libraries": "population"}, scale=1000)["libraries"].tolist()
    [2.0, 0.5]
    """
    x = as_float_frame(df, "denominate input")
    den_src = x if denominators is None else as_float_frame(denominators, "denominators")
    out = x.copy()
    for ind, col in by.items():
        if ind not in x.columns:
            raise IndexInputError(f"denominate: indicator {ind!r} is not a column of the table")
        if col not in den_src.columns:
            raise IndexInputError(
                f"denominate: denominator column {col!r} (for {ind!r}) not found; "
                f"available: {', '.join(map(str, den_src.columns))}"
            )
        den = den_src[col].reindex(x.index)
        bad = den < 0
        if bad.any():
            raise IndexInputError(
                f"denominate: row {bad[bad].index[0]!r}, column {col!r}: "
                "a denominator must not be negative"
            )
        f = scale.get(ind, 1.0) if isinstance(scale, Mapping) else scale
        out[ind] = x[ind] / den.where(den != 0, np.nan) * float(f)
    return out
