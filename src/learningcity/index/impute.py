"""Imputation of missing values, with every imputed cell flagged.

Column methods (``mean``, ``median``, ``group_mean``, ``group_median``, ``knn``,
``iterative``) work within each year of a panel.  ``row_mean``/``row_median``
fill a unit's gap from its own values on the other indicators of the same group
(focus area), compared on a min-max scale and mapped back to the indicator's
units.  ``locf`` and ``linear`` work along the years of a panel (index levels
``year`` and ``unit_code``).  Known values are never changed.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from learningcity.index._checks import IndexInputError, as_float_frame

__all__ = ["METHODS", "impute"]

METHODS: tuple[str, ...] = (
    "none",
    "mean",
    "median",
    "group_mean",
    "group_median",
    "row_mean",
    "row_median",
    "knn",
    "iterative",
    "locf",
    "linear",
)


def _per_year(x: pd.DataFrame, fn) -> pd.DataFrame:
    if "year" in (x.index.names or []):
        parts = [fn(part) for _, part in x.groupby(level="year", sort=False)]
        return pd.concat(parts).reindex(x.index)
    return fn(x)


def _row_wise(x: pd.DataFrame, structure: pd.Series, how: str) -> pd.DataFrame:
    lo, hi = x.min(), x.max()
    span = (hi - lo).where(hi > lo)
    scaled = (x - lo) / span
    out = x.copy()
    for _, cols in structure.reindex(x.columns).groupby(structure.reindex(x.columns)):
        cols = list(cols.index)
        fill = getattr(scaled[cols], how)(axis=1)
        for c in cols:
            est = lo[c] + fill * span[c]
            out[c] = x[c].fillna(est)
    return out


def _sklearn(x: pd.DataFrame, method: str, n_neighbors: int, random_state: int) -> pd.DataFrame:
    # Imported here: scikit-learn is heavy and only these two methods need it.
    if method == "knn":
        from sklearn.impute import KNNImputer

        est = KNNImputer(n_neighbors=n_neighbors, keep_empty_features=True)
    else:
        from sklearn.experimental import enable_iterative_imputer  # noqa: F401
        from sklearn.impute import IterativeImputer

        est = IterativeImputer(random_state=random_state, keep_empty_features=True)
    # Distances and regressions are computed on standardised columns.
    mu, sd = x.mean(), x.std(ddof=0).replace(0, 1).fillna(1)
    z = (x - mu) / sd
    filled = est.fit_transform(z.to_numpy(dtype="float64", copy=True))
    res = pd.DataFrame(filled, index=x.index, columns=x.columns) * sd + mu
    empty = x.columns[x.isna().all()]
    res[empty] = np.nan  # a column with no data at all stays missing
    return x.fillna(res)


def impute(
    df: pd.DataFrame,
    method: str = "mean",
    *,
    groups: pd.Series | Mapping | None = None,
    structure: pd.Series | Mapping | None = None,
    n_neighbors: int = 5,
    random_state: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill missing values and flag the cells filled.

    Parameters
    ----------
    df : DataFrame
        Wide table; rows units, or a panel indexed by (``year``, ``unit_code``).
    method : str, default "mean"
        One of :data:`METHODS` (see the module docstring).
    groups : Series or mapping, optional
        Unit code -> group (e.g. region), for ``group_mean``/``group_median``.
    structure : Series or mapping, optional
        Indicator -> group of indicators (focus area), for ``row_*`` methods.
    n_neighbors : int, default 5
        Neighbours used by ``knn``.
    random_state : int, default 0
        Seed of ``iterative`` (results are reproducible).

    Returns
    -------
    imputed : DataFrame
    flags : DataFrame
        True where a missing value was filled.

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1.0, 3.0, None]}, index=["01", "02", "15"])
    >>> filled, flags = impute(x, "mean")
    >>> filled["a"].tolist(), flags["a"].tolist()
    ([1.0, 3.0, 2.0], [False, False, True])
    """
    x = as_float_frame(df, "impute input")
    if method not in METHODS:
        raise IndexInputError(f"impute: unknown method {method!r}; choose from {METHODS}")
    if method == "none":
        out = x
    elif method in ("mean", "median"):
        out = _per_year(x, lambda p: p.fillna(getattr(p, method)()))
    elif method in ("group_mean", "group_median"):
        if groups is None:
            raise IndexInputError(f"impute: method {method!r} needs groups (unit -> group)")
        g = pd.Series(groups)
        unit = x.index.get_level_values(-1)
        missing = unit[~unit.isin(g.index)]
        if len(missing):
            raise IndexInputError(f"impute: unit {missing[0]!r} has no group")
        how = method.split("_")[1]

        def by_group(p: pd.DataFrame) -> pd.DataFrame:
            key = g.reindex(p.index.get_level_values(-1)).to_numpy()
            return p.fillna(p.groupby(key).transform(how))

        out = _per_year(x, by_group)
    elif method in ("row_mean", "row_median"):
        if structure is None:
            raise IndexInputError(f"impute: method {method!r} needs structure (indicator -> group)")
        s = pd.Series(structure)
        missing = x.columns.difference(s.index)
        if len(missing):
            raise IndexInputError(f"impute: indicator {missing[0]!r} has no group in structure")
        out = _per_year(x, lambda p: _row_wise(p, s, method.split("_")[1]))
    elif method in ("knn", "iterative"):
        out = _per_year(x, lambda p: _sklearn(p, method, n_neighbors, random_state))
    else:  # locf, linear: along the years of each unit
        names = list(x.index.names or [])
        if "year" not in names or len(names) != 2:
            raise IndexInputError(
                f"impute: method {method!r} needs a panel indexed by (year, unit_code)"
            )
        unit_level = [n for n in names if n != "year"][0]
        srt = x.sort_index(level="year")
        grp = srt.groupby(level=unit_level, sort=False)
        if method == "locf":
            out = grp.ffill()
        else:

            def interp(p: pd.DataFrame) -> pd.DataFrame:
                years = p.index.get_level_values("year").astype("float64")
                q = p.set_axis(years, axis=0).interpolate(method="index", limit_area="inside")
                return q.set_axis(p.index, axis=0)

            out = grp.transform(interp) if len(srt) else srt
        out = out.reindex(x.index)
    known = x.notna()
    a, b = out.to_numpy()[known.to_numpy()], x.to_numpy()[known.to_numpy()]
    if not np.allclose(a, b, rtol=1e-12, atol=0):
        raise AssertionError("imputation changed a known value")  # a bug, not bad input
    return out, x.isna() & out.notna()
