"""Outlier treatment: winsorise, then transform, as in JRC practice (and COINr).

An indicator *fails* when ``|skew| > skew_max`` **and** ``kurtosis > kurt_max``
(sample skewness and excess kurtosis with the usual small-sample corrections,
Excel's SKEW and KURT).  A failing indicator is winsorised one value at a time
(the largest when the skew is positive, the smallest when it is negative; tied
values move together) until it passes or ``winmax`` points are treated.  If it
still fails, the winsorised values are discarded and a transform is applied to
the original column instead: ``log_ct`` (log after shifting the minimum to 1 % of
the range; mirrored for a negative skew) or ``boxcox`` (after shifting the minimum
to 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from learningcity.index._checks import IndexInputError, as_float_frame

__all__ = [
    "TREATMENTS",
    "fails_skew_kurt",
    "kurtosis",
    "skewness",
    "transform_values",
    "treat",
    "winsorise",
]

#: Values accepted as a per-indicator treatment.
TREATMENTS: tuple[str, ...] = ("auto", "none", "winsorise", "log", "log_ct", "boxcox")


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


def winsorise(
    x: pd.Series, winmax: int = 5, skew_max: float = 2.0, kurt_max: float = 3.5
) -> tuple[pd.Series, pd.Series]:
    """Winsorise one column until it passes the skew/kurtosis rule.

    Returns
    -------
    (Series, Series)
        The treated values, and a marker per cell: ``"high"`` or ``"low"`` for
        winsorised cells, ``""`` otherwise.

    Examples
    --------
    >>> v, mark = winsorise(pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100]))
    >>> float(v.iloc[-1]), mark.iloc[-1]
    (9.0, 'high')
    """
    v = x.astype("float64").copy()
    mark = pd.Series("", index=x.index, dtype=object)
    treated = 0
    while treated < winmax and v.count() >= 4:
        sk, ku = v.skew(), v.kurt()
        if not (abs(sk) > skew_max and ku > kurt_max):
            break
        vals = np.sort(v.dropna().unique())
        if len(vals) < 2:
            break
        if sk >= 0:
            hit, new, tag = v == vals[-1], vals[-2], "high"
        else:
            hit, new, tag = v == vals[0], vals[1], "low"
        v[hit] = new
        mark[hit] = tag
        treated += int(hit.sum())
    return v, mark


def transform_values(x: Any, name: str, params: Mapping[str, float]) -> Any:
    """Apply a fitted transform (as recorded in the treatment report) to values.

    Also used to carry goalposts and targets onto the transformed scale.

    Examples
    --------
    >>> round(float(transform_values(75000.0, "log", {})), 4)
    11.2252
    """
    x = np.asarray(x, dtype="float64") if not isinstance(x, pd.Series | pd.DataFrame) else x
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "log":
            return np.log(x)
        if name == "log_ct":
            lo, hi, sign = params["min"], params["max"], params["sign"]
            a = 0.01 * (hi - lo)
            return np.log(x - lo + a) if sign > 0 else -np.log(hi - x + a)
        if name == "boxcox":
            lam, lo = params["lambda"], params["min"]
            y = x - lo + 1.0
            return np.log(y) if lam == 0 else (y**lam - 1.0) / lam
    raise IndexInputError(f"unknown transform {name!r}")


def _fit_transform(x: pd.Series, name: str, boxcox_lambda: float) -> dict[str, float]:
    lo, hi = float(x.min()), float(x.max())
    if name == "log":
        if lo <= 0:
            raise IndexInputError(
                f"treat: column {x.name!r} has a value <= 0 ({lo!r}); 'log' needs positive values"
            )
        return {}
    if name == "log_ct":
        return {"min": lo, "max": hi, "sign": 1.0 if (x.skew() >= 0 or x.count() < 3) else -1.0}
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
        Largest number of points winsorised per column.
    skew_max, kurt_max : float
        Thresholds of the failing rule (``|skew| > 2`` and ``kurtosis > 3.5``).
    transform : {"log_ct", "boxcox", "none"}
        Applied when winsorising is not enough.
    boxcox_lambda : float, default 0.5
        Lambda of the Box-Cox transform.
    individual : mapping, optional
        Per-column treatment, one of :data:`TREATMENTS`: ``"auto"`` (the rule
        above), ``"none"``, ``"winsorise"`` (winsorise only), or a transform
        applied unconditionally (``"log"``, ``"log_ct"``, ``"boxcox"``).

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
    if transform not in ("log_ct", "boxcox", "none"):
        raise IndexInputError(f"treat: transform must be log_ct, boxcox or none, got {transform!r}")
    ind = dict(individual or {})
    for col, t in ind.items():
        if t not in TREATMENTS:
            raise IndexInputError(f"treat: column {col!r}: unknown treatment {t!r}")
    out = x.copy()
    marks = pd.DataFrame("", index=x.index, columns=x.columns, dtype=object)
    skew_before, kurt_before = x.skew(), x.kurt()
    failing = (skew_before.abs() > skew_max) & (kurt_before > kurt_max)
    rows = []
    for col in x.columns:
        mode = ind.get(col, "auto")
        rec: dict[str, Any] = {"indicator": col, "treatment": "none", "n_high": 0, "n_low": 0}
        rec["params"] = {}
        if mode == "none" or (mode == "auto" and not failing[col]):
            rows.append(rec)  # the common case: nothing to do
            continue
        col_x = x[col]
        if mode in ("auto", "winsorise"):
            v, m = winsorise(col_x, winmax, skew_max, kurt_max)
            still = abs(v.skew()) > skew_max and v.kurt() > kurt_max
            if still and mode == "auto" and transform != "none":
                mode = transform  # winsorising was not enough: transform the original
            elif (m != "").any():
                out[col] = v
                marks[col] = m
                rec.update(
                    treatment="winsorised",
                    n_high=int((m == "high").sum()),
                    n_low=int((m == "low").sum()),
                )
        if mode in ("log", "log_ct", "boxcox"):
            params = _fit_transform(col_x, mode, boxcox_lambda)
            out[col] = transform_values(col_x, mode, params)
            rec.update(treatment=mode, params=params)
        rows.append(rec)
    report = pd.DataFrame(rows).set_index("indicator")
    report.insert(0, "skew_before", skew_before)
    report.insert(1, "kurt_before", kurt_before)
    report["skew_after"] = out.skew()
    report["kurt_after"] = out.kurt()
    report["passes"] = ~(
        (report["skew_after"].abs() > skew_max) & (report["kurt_after"] > kurt_max)
    )
    return out, report, marks
