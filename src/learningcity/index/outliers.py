"""Outlier treatment: winsorise, then transform, as in JRC practice (and COINr).

An indicator *fails* when ``|skew| > skew_max`` **and** ``kurtosis > kurt_max``
(sample skewness and excess kurtosis with the usual small-sample corrections,
Excel's SKEW and KURT; an indicator whose skew or kurtosis is undefined passes).

Winsorising
-----------
A failing indicator is winsorised one step at a time, re-checking skew and
kurtosis after every step and stopping as soon as it passes.  A step looks at the
sign of the current skew: when it is ``>= 0`` every cell holding the largest value
takes the next-largest distinct value; when it is negative every cell holding the
smallest value takes the next-smallest.

*Counting ties.*  The number of winsorised points is the number of distinct
cells whose value has been changed (COINr's ``nwin``).  Tied cells move together
and each counts once; cells moved at an earlier step sit at the new extreme and
move again with it, but are not counted again.  A step is taken only if the count
after it is at most ``winmax``: a tied block that would take the count past
``winmax`` is never split, and winsorising stops before it.  For example, with top
values ``8, 8, 9, 12, 12`` and a column that keeps failing: step 1 moves both 12s
to 9 (count 2), step 2 moves the three 9s to 8 (count 3: only the original 9 is
new), step 3 moves the five 8s to the next value (count 5).  With ``winmax = 1``
nothing moves, with ``winmax = 4`` it stops at 3.  COINr's ``winsorise()``
counts the same way but tests the limit before each step, so it takes that last
block anyway and may end above ``winmax`` (here: 2 points with ``winmax = 1``, 5
with ``winmax = 4``); here ``winmax`` is a hard cap.  Missing values are never
moved or counted.

If the indicator still fails, the winsorised values are discarded and a transform
is applied to the original column instead (``transform``, ``log_ct`` by default).

Transforms
----------
With ``a = 0.01 * (max - min)`` and ``min``, ``max``, skew of the column:

===============  ==============================================  =================
name             formula                                         COINr
===============  ==============================================  =================
``log``          ``log(x)`` (needs ``x > 0``)                    --
``log_ct``       ``log(x - min + a)``, never mirrored            ``log_CT``
                                                                 (its default)
``log_ct_plus``  ``log(x - min + a)`` if skew ``>= 0``,          ``log_CT_plus``
                 else ``-log(max + a - x)`` (mirrored)
``boxcox``       ``((x - min + 1)**lam - 1) / lam``, ``log`` if  ``boxcox``
                 ``lam == 0``                                    (``makepos``)
===============  ==============================================  =================

``log_ct`` lengthens the low tail of a negatively skewed indicator, so such an
indicator usually still fails after it; ``log_ct_plus`` mirrors it first and keeps
the order of the values.  (Until issue 14, ``log_ct`` was the mirrored variant.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from learningcity.index._checks import IndexInputError, as_float_frame

__all__ = [
    "FALLBACK_TRANSFORMS",
    "TRANSFORMS",
    "TREATMENTS",
    "fails_skew_kurt",
    "kurtosis",
    "skewness",
    "transform_values",
    "treat",
    "winsorise",
]

#: Fitted transforms: the report's ``treatment`` for them is the name, ``params`` the fit.
TRANSFORMS: tuple[str, ...] = ("log", "log_ct", "log_ct_plus", "boxcox")

#: Values accepted as ``transform``, applied when winsorising is not enough.
FALLBACK_TRANSFORMS: tuple[str, ...] = ("log_ct", "log_ct_plus", "boxcox", "none")

#: Values accepted as a per-indicator treatment.
TREATMENTS: tuple[str, ...] = ("auto", "none", "winsorise", *TRANSFORMS)


def skewness(x: pd.DataFrame | pd.Series) -> pd.Series | float:
    """Sample skewness G1 per column (needs 3 values; NaN ignored).

    Examples
    --------
    >>> round(float(skewness(pd.Series([1.0, 2.0, 3.0, 10.0]))), 4)
    1.7636
    """
    return x.skew()


def kurtosis(x: pd.DataFrame | pd.Series) -> pd.Series | float:
    """Sample excess kurtosis G2 per column (needs 4 values; NaN ignored).

    Examples
    --------
    >>> round(float(kurtosis(pd.Series([1.0, 2.0, 3.0, 10.0]))), 4)
    3.228
    """
    return x.kurt()


def fails_skew_kurt(x: pd.DataFrame, skew_max: float = 2.0, kurt_max: float = 3.5) -> pd.Series:
    """True for columns with ``|skew| > skew_max`` and ``kurtosis > kurt_max``.

    Examples
    --------
    >>> x = pd.DataFrame({"flat": [1.0, 2, 3, 4, 5], "spike": [1.0, 1, 1, 1, 50]})
    >>> fails_skew_kurt(x).tolist()
    [False, True]
    """
    sk, ku = skewness(x), kurtosis(x)
    return (sk.abs() > skew_max) & (ku > kurt_max)


def _moments(v: np.ndarray) -> tuple[float, float]:
    # pandas' own G1/G2, so that this loop, fails_skew_kurt and the report agree to the bit
    s = pd.Series(v, copy=False)
    return s.skew(), s.kurt()


def _fails(sk: float, ku: float, skew_max: float, kurt_max: float) -> bool:
    return bool(abs(sk) > skew_max and ku > kurt_max)  # NaN moments compare False: passes


def _winsorise_array(
    v: np.ndarray, winmax: int, skew_max: float, kurt_max: float
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Winsorise a float array (see the module docstring for the rule).

    Returns the new values, the side of each moved cell (+1 high, -1 low, 0 not
    moved) and whether the result passes.
    """
    v = v.copy()
    side = np.zeros(v.shape, dtype=np.int8)
    moved = 0
    sk, ku = _moments(v)
    while _fails(sk, ku, skew_max, kurt_max):
        vals = np.unique(v[~np.isnan(v)])  # sorted distinct values
        if vals.size < 2:
            break
        if sk >= 0:
            hit, new, tag = v == vals[-1], vals[-2], 1
        else:
            hit, new, tag = v == vals[0], vals[1], -1
        after = moved + int(np.count_nonzero(hit & (side == 0)))  # cells moved before count once
        if after > winmax:
            break  # the whole tied block or nothing
        v[hit] = new
        side[hit] = tag
        moved = after
        sk, ku = _moments(v)
    return v, side, not _fails(sk, ku, skew_max, kurt_max)


def winsorise(
    x: pd.Series, winmax: int = 5, skew_max: float = 2.0, kurt_max: float = 3.5
) -> tuple[pd.Series, pd.Series]:
    """Winsorise one column until it passes the skew/kurtosis rule.

    Parameters
    ----------
    x : Series
        Numeric values; NaN is left alone.
    winmax : int, default 5
        Most cells changed.  Ties move and count together (each tied cell counts
        once), and a tied block that would go past ``winmax`` is not moved: see the
        module docstring.
    skew_max, kurt_max : float
        Thresholds of the failing rule.

    Returns
    -------
    (Series, Series)
        The treated values, and a marker per cell: ``"high"`` or ``"low"`` for
        winsorised cells, ``""`` otherwise.  The number of winsorised points is the
        number of marked cells.  If the column still fails, these are the values
        reached when the limit stopped the winsorising.

    Examples
    --------
    >>> v, mark = winsorise(pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100]))
    >>> float(v.iloc[-1]), mark.iloc[-1]
    (9.0, 'high')
    """
    v, side, _ = _winsorise_array(x.astype("float64").to_numpy(), winmax, skew_max, kurt_max)
    mark = np.where(side > 0, "high", np.where(side < 0, "low", "")).astype(object)
    return (
        pd.Series(v, index=x.index, name=x.name),
        pd.Series(mark, index=x.index, dtype=object),
    )


def transform_values(x: Any, name: str, params: Mapping[str, float]) -> Any:
    """Apply a fitted transform (as recorded in the treatment report) to values.

    Also used to carry goalposts and targets onto the transformed scale.

    Parameters
    ----------
    x : scalar, array, Series or DataFrame
    name : str
        One of :data:`TRANSFORMS` (formulas in the module docstring).
    params : mapping
        ``{}`` for ``log``; ``min`` and ``max`` for ``log_ct``, plus ``sign``
        (``-1`` mirrors) for ``log_ct_plus``; ``lambda`` and ``min`` for ``boxcox``.

    Examples
    --------
    >>> round(float(transform_values(75000.0, "log", {})), 4)
    11.2252
    >>> p = {"min": 0.0, "max": 100.0, "sign": -1.0}  # a = 1
    >>> round(float(transform_values(0.0, "log_ct", p)), 4)  # log(0 - 0 + 1)
    0.0
    >>> round(float(transform_values(0.0, "log_ct_plus", p)), 4)  # -log(100 + 1 - 0)
    -4.6151
    """
    x = np.asarray(x, dtype="float64") if not isinstance(x, pd.Series | pd.DataFrame) else x
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "log":
            return np.log(x)
        if name in ("log_ct", "log_ct_plus"):
            lo, hi = params["min"], params["max"]
            a = 0.01 * (hi - lo)
            if name == "log_ct_plus" and params["sign"] < 0:
                return -np.log(hi - x + a)
            return np.log(x - lo + a)
        if name == "boxcox":
            lam, lo = params["lambda"], params["min"]
            y = x - lo + 1.0
            return np.log(y) if lam == 0 else (y**lam - 1.0) / lam
    raise IndexInputError(f"unknown transform {name!r}")


def _fit_transform(v: np.ndarray, col: Any, name: str, boxcox_lambda: float) -> dict[str, float]:
    seen = v[~np.isnan(v)]
    lo, hi = (float(seen.min()), float(seen.max())) if seen.size else (np.nan, np.nan)
    if name == "log":
        if lo <= 0:
            raise IndexInputError(
                f"treat: column {col!r} has a value <= 0 ({lo!r}); 'log' needs positive values"
            )
        return {}
    if name == "log_ct":
        return {"min": lo, "max": hi}
    if name == "log_ct_plus":
        sk = _moments(v)[0]
        return {"min": lo, "max": hi, "sign": 1.0 if (seen.size < 3 or sk >= 0) else -1.0}
    if name == "boxcox":
        return {"lambda": float(boxcox_lambda), "min": lo}
    raise IndexInputError(f"unknown transform {name!r}")


def treat(
    df: pd.DataFrame,
    *,
    winmax: int = 5,
    skew_max: float = 2.0,
    kurt_max: float = 3.5,
    transform: str = "log_ct",
    boxcox_lambda: float = 0.5,
    individual: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Treat outliers column by column.

    Parameters
    ----------
    df : DataFrame
        Wide table (rows units, columns indicators).
    winmax : int, default 5
        Largest number of points winsorised per column (ties: module docstring).
    skew_max, kurt_max : float
        Thresholds of the failing rule (``|skew| > 2`` and ``kurtosis > 3.5``).
    transform : {"log_ct", "log_ct_plus", "boxcox", "none"}
        Applied to the original column when winsorising is not enough; ``none``
        keeps the winsorised values.  ``log_ct`` is COINr's default ``log_CT``
        (never mirrored), ``log_ct_plus`` its ``log_CT_plus`` (mirrored for a
        negative skew).
    boxcox_lambda : float, default 0.5
        Lambda of the Box-Cox transform.
    individual : mapping, optional
        Per-column treatment, one of :data:`TREATMENTS`: ``"auto"`` (the rule
        above), ``"none"``, ``"winsorise"`` (winsorise only), or a transform
        applied unconditionally (``"log"``, ``"log_ct"``, ``"log_ct_plus"``,
        ``"boxcox"``).

    Returns
    -------
    treated : DataFrame
    report : DataFrame
        One row per column: skew and kurtosis before and after, the treatment
        applied, points winsorised high and low, transform parameters.
    marks : DataFrame
        ``"high"``/``"low"`` for winsorised cells, ``""`` elsewhere.

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100]})
    >>> treated, report, marks = treat(x)
    >>> report.loc["a", "treatment"], float(treated["a"].max())
    ('winsorised', 9.0)
    """
    x = as_float_frame(df, "treat input")
    if transform not in FALLBACK_TRANSFORMS:
        raise IndexInputError(
            f"treat: transform must be one of {', '.join(FALLBACK_TRANSFORMS)}, got {transform!r}"
        )
    ind = dict(individual or {})
    for col, t in ind.items():
        if t not in TREATMENTS:
            raise IndexInputError(f"treat: column {col!r}: unknown treatment {t!r}")
    skew_before, kurt_before = x.skew(), x.kurt()
    failing = ((skew_before.abs() > skew_max) & (kurt_before > kurt_max)).to_numpy()
    # Plain arrays: pandas' masked assignment cost most of the step (issue 14).
    values = x.to_numpy(dtype="float64", copy=True)
    marks = np.full(values.shape, "", dtype=object)
    rows = []
    for j, col in enumerate(x.columns):
        mode = ind.get(col, "auto")
        rec: dict[str, Any] = {"indicator": col, "treatment": "none", "n_high": 0, "n_low": 0}
        rec["params"] = {}
        if mode == "none" or (mode == "auto" and not failing[j]):
            rows.append(rec)  # the common case: nothing to do
            continue
        col_x = values[:, j].copy()
        if mode in ("auto", "winsorise"):
            v, side, passes = _winsorise_array(col_x, winmax, skew_max, kurt_max)
            if not passes and mode == "auto" and transform != "none":
                mode = transform  # winsorising was not enough: transform the original
            elif side.any():
                values[:, j] = v
                marks[side > 0, j] = "high"
                marks[side < 0, j] = "low"
                rec.update(
                    treatment="winsorised",
                    n_high=int(np.count_nonzero(side > 0)),
                    n_low=int(np.count_nonzero(side < 0)),
                )
        if mode in TRANSFORMS:
            params = _fit_transform(col_x, col, mode, boxcox_lambda)
            values[:, j] = transform_values(col_x, mode, params)
            rec.update(treatment=mode, params=params)
        rows.append(rec)
    out = pd.DataFrame(values, index=x.index, columns=x.columns)
    report = pd.DataFrame(rows).set_index("indicator")
    report.insert(0, "skew_before", skew_before)
    report.insert(1, "kurt_before", kurt_before)
    report["skew_after"] = out.skew()
    report["kurt_after"] = out.kurt()
    report["passes"] = ~(
        (report["skew_after"].abs() > skew_max) & (report["kurt_after"] > kurt_max)
    )
    return out, report, pd.DataFrame(marks, index=x.index, columns=x.columns, dtype=object)
