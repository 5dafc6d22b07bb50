"""Normalisation: bring indicators with different units onto one scale.

Directions are applied first (a ``-1`` indicator is negated, its goalposts and
target too), so every normalised column reads "higher is better".  Each method
works column by column on a wide table (rows are units, or unit-years for a
panel: pooling the years fixes the scale across years).

=============  ============================================================
method         formula (``x`` after direction; ``s`` = ``scale``)
=============  ============================================================
``minmax``     (x - min) / (max - min) * (high - low) + low
``zscore``     (x - mean) / sd   (sd with n - 1)
``rank``       rank, ties share the lowest rank (1 = lowest value)
``prank``      (rank - 1) / (n - 1) * s   (percentile rank)
``borda``      rank - 1
``dist2max``   1 - (max - x) / (max - min), times s
``dist2ref``   1 - (x_ref - x) / (x_ref - min), times s; capped at s if ``cap``
``dist2targ``  (x - min) / (target - min), times s; capped at s if ``cap``
``fracmax``    x / max, times s
``goalposts``  (x - low) / (high - low), truncated to [0, 1], times s
=============  ============================================================

A column whose spread is zero (one unit, or all equal) has no min-max or
z-score: those methods give NaN for it rather than an arbitrary number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from learningcity.index._checks import IndexInputError, as_float_frame, directions_for

__all__ = ["METHODS", "normalise"]

METHODS: tuple[str, ...] = (
    "minmax",
    "zscore",
    "rank",
    "prank",
    "borda",
    "dist2max",
    "dist2ref",
    "dist2targ",
    "fracmax",
    "goalposts",
)


def _rank(x: pd.DataFrame) -> pd.DataFrame:
    return x.rank(method="min", ascending=True)


def _safe_div(num: pd.DataFrame, den: pd.Series | np.ndarray) -> pd.DataFrame:
    den = np.asarray(den, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        den = np.where(den == 0, np.nan, den)
        return num / den


def _spread(span: pd.Series, x: pd.DataFrame) -> pd.Series:
    """A spread, or NaN where it is only rounding noise (e.g. from a mean imputed
    into equal values), which min-max or z-score would blow up to the full scale."""
    size = x.abs().max()
    return span.where(span > 1e-10 * size)


def _one(
    x: pd.DataFrame,
    method: str,
    p: Mapping[str, Any],
    goal_low: pd.Series,
    goal_high: pd.Series,
    targets: pd.Series,
) -> pd.DataFrame:
    scale = float(p.get("scale", 100.0))
    lo, hi = x.min(), x.max()
    if method == "minmax":
        low, high = float(p.get("low", 0.0)), float(p.get("high", 100.0))
        return _safe_div(x - lo, _spread(hi - lo, x)) * (high - low) + low
    if method == "zscore":
        return _safe_div(x - x.mean(), _spread(x.std(ddof=1), x))
    if method == "rank":
        return _rank(x)
    if method == "borda":
        return _rank(x) - 1
    if method == "prank":
        return _safe_div(_rank(x) - 1, x.count() - 1) * scale
    if method == "dist2max":
        return (1 - _safe_div(hi - x, _spread(hi - lo, x))) * scale
    if method == "fracmax":
        return _safe_div(x, hi) * scale
    if method == "dist2ref":
        ref = p.get("reference")
        units = x.index.get_level_values(-1)
        if ref is None or ref not in units:
            raise IndexInputError(f"dist2ref: reference unit {ref!r} is not a row of the table")
        if isinstance(x.index, pd.MultiIndex):
            # A panel: compare each row with the reference unit of the same year.
            per_year = x[units == ref].droplevel(-1)
            xref = per_year.reindex(x.index.get_level_values(0)).set_axis(x.index, axis=0)
        else:
            xref = x.loc[ref]
        out = 1 - _safe_div(xref - x, xref - lo)
        if p.get("cap", True):
            out = out.clip(upper=1.0)
        return out * scale
    if method == "dist2targ":
        out = _safe_div(x - lo, targets - lo)
        # A target at or below the lowest value is met by every unit: full score.
        out = out.mask((targets <= lo) & x.notna(), 1.0)
        if p.get("cap", True):
            out = out.clip(upper=1.0)
        return out * scale
    if method == "goalposts":
        out = _safe_div(x - goal_low, goal_high - goal_low)
        if p.get("truncate", True):
            out = out.clip(lower=0.0, upper=1.0)
        return out * scale
    raise IndexInputError(f"unknown normalisation method {method!r}; choose from {METHODS}")


def normalise(
    df: pd.DataFrame,
    method: str = "minmax",
    *,
    directions: pd.Series | Mapping[str, float] | None = None,
    goalposts: pd.DataFrame | None = None,
    targets: pd.Series | Mapping[str, float] | None = None,
    individual: Mapping[str, Mapping[str, Any] | str] | None = None,
    **params: Any,
) -> pd.DataFrame:
    """Normalise every column of a wide table.

    Parameters
    ----------
    df : DataFrame
        Rows are units (or unit-years), columns indicators; NaN stays NaN.
    method : str, default "minmax"
        One of :data:`METHODS` (see the module docstring for formulas).
    directions : Series or mapping, optional
        ``+1`` (higher is better, the default) or ``-1`` per column.
    goalposts : DataFrame, optional
        Columns ``goalpost_low`` and ``goalpost_high`` per indicator, in the
        indicator's own units with ``low < high``; needed by ``goalposts``.
    targets : Series or mapping, optional
        Target value per indicator, in its own units; needed by ``dist2targ``.
    individual : mapping, optional
        Per-column overrides: a method name, or a dict with ``method`` and any
        parameter below.
    **params
        ``low``/``high`` (minmax, default 0/100), ``scale`` (default 100),
        ``reference`` (unit of ``dist2ref``), ``cap`` (default True),
        ``truncate`` (goalposts, default True).

    Returns
    -------
    DataFrame
        Same shape, index and columns as ``df``.

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1.0, 2.0, 5.0], "b": [10.0, 0.0, 5.0]})
    >>> normalise(x, "minmax", directions={"b": -1})
           a      b
    0    0.0    0.0
    1   25.0  100.0
    2  100.0   50.0
    """
    x = as_float_frame(df, "normalise input")
    d = directions_for(x.columns, directions)
    xd = x * d
    if goalposts is not None:
        gp = goalposts.reindex(x.columns)
        gl = gp["goalpost_low"].astype("float64")
        gh = gp["goalpost_high"].astype("float64")
    else:
        gl = gh = pd.Series(np.nan, index=x.columns)
    # Negating a column turns the interval [low, high] into [-high, -low].
    goal_low = gl.where(d > 0, -gh)
    goal_high = gh.where(d > 0, -gl)
    targ = pd.Series(targets if targets is not None else {}, dtype="float64")
    targ = targ.reindex(x.columns) * d

    plan: dict[str, tuple[str, dict[str, Any]]] = {c: (method, dict(params)) for c in x.columns}
    for col, over in (individual or {}).items():
        if col not in plan:
            continue  # an override for a column that is absent (e.g. screened out)
        over = {"method": over} if isinstance(over, str) else dict(over)
        m = over.pop("method", method)
        plan[col] = (m, {**params, **over})

    for col, (m, _p) in plan.items():
        if m == "goalposts" and (np.isnan(goal_low[col]) or np.isnan(goal_high[col])):
            raise IndexInputError(f"goalposts: indicator {col!r} has no goalpost_low/high")
        if m == "goalposts" and not goal_low[col] < goal_high[col]:
            raise IndexInputError(
                f"goalposts: indicator {col!r} needs goalpost_low < goalpost_high, "
                f"got {gl[col]!r} and {gh[col]!r}"
            )
        if m == "dist2targ" and np.isnan(targ[col]):
            raise IndexInputError(
                f"dist2targ: indicator {col!r} has no target (give one, or choose another "
                "method for it in the per-indicator overrides)"
            )

    out = pd.DataFrame(np.nan, index=x.index, columns=x.columns)
    # Columns sharing a configuration are normalised together (vectorised).
    groups: dict[str, list[str]] = {}
    for col, (m, p) in plan.items():
        groups.setdefault(repr((m, sorted(p.items()))), []).append(col)
    for cols in groups.values():
        m, p = plan[cols[0]]
        res = _one(xd[cols], m, p, goal_low[cols], goal_high[cols], targ[cols])
        out[cols] = res.to_numpy(dtype="float64")
    return out
