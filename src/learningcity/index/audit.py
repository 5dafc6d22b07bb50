"""Coherence audit (JRC practice): statistics, correlations, Cronbach's alpha, PCA.

Flags follow the usual JRC/COINr thresholds, all adjustable: availability below
0.65, more than half zeros, an outlier when |skew| > 2 and kurtosis > 3.5;
within a group, a pair correlated at 0.9 or more is flagged ``"redundant"`` and
one below -0.4 ``"negative"``; an indicator correlated below 0.3 with its parent
is flagged ``"weak"``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from learningcity.index._checks import as_float_frame

__all__ = [
    "cronbach_alpha",
    "group_alpha",
    "group_correlations",
    "group_pca",
    "indicator_stats",
    "parent_correlations",
]


def indicator_stats(
    df: pd.DataFrame,
    *,
    avail_min: float = 0.65,
    zeros_max: float = 0.5,
    skew_max: float = 2.0,
    kurt_max: float = 3.5,
) -> pd.DataFrame:
    """Descriptive statistics and flags per indicator.

    Examples
    --------
    >>> x = pd.DataFrame({"a": [0.0, 0.0, 0.0, 1.0], "b": [1.0, None, None, 2.0]})
    >>> indicator_stats(x)[["availability", "zeros", "flag_availability", "flag_zeros"]]
       availability  zeros  flag_availability  flag_zeros
    a           1.0   0.75              False        True
    b           0.5   0.00               True       False
    """
    x = as_float_frame(df, "audit input")
    n = max(len(x), 1)
    out = pd.DataFrame(
        {
            "n": x.count(),
            "availability": x.count() / n,
            "min": x.min(),
            "max": x.max(),
            "mean": x.mean(),
            "median": x.median(),
            "sd": x.std(ddof=1),
            "skew": x.skew(),
            "kurtosis": x.kurt(),
            "zeros": (x == 0).sum() / x.count().replace(0, np.nan),
            "unique": x.nunique(),
        }
    )
    out["zeros"] = out["zeros"].fillna(0.0)
    out["flag_availability"] = out["availability"] < avail_min
    out["flag_zeros"] = out["zeros"] > zeros_max
    out["flag_outlier"] = (out["skew"].abs() > skew_max) & (out["kurtosis"] > kurt_max)
    return out


def _groups(structure: pd.Series | Mapping, columns: pd.Index) -> dict:
    s = pd.Series(structure, dtype=object)
    s = s[s.index.isin(columns)]
    return {g: list(s.index[s.to_numpy() == g]) for g in pd.unique(s.to_numpy())}


def group_correlations(
    df: pd.DataFrame,
    structure: pd.Series | Mapping,
    *,
    method: str = "pearson",
    high: float = 0.9,
    low: float = -0.4,
) -> pd.DataFrame:
    """Correlation of every pair of children within the same parent, with flags.

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 4, 6, 8], "c": [4.0, 3, 2, 1]})
    >>> group_correlations(x, {"a": "g", "b": "g", "c": "g"})[["a", "b", "r", "flag"]]
       a  b    r       flag
    0  a  b  1.0  redundant
    1  a  c -1.0   negative
    2  b  c -1.0   negative
    """
    x = as_float_frame(df, "audit input")
    rows = []
    for g, cols in _groups(structure, x.columns).items():
        r = x[cols].corr(method=method)
        for i, a in enumerate(cols):
            for b in cols[i + 1 :]:
                v = r.loc[a, b]
                flag = "redundant" if v >= high else "negative" if v <= low else ""
                rows.append({"group": g, "a": a, "b": b, "r": v, "flag": flag})
    return pd.DataFrame(rows, columns=["group", "a", "b", "r", "flag"])


def parent_correlations(
    children: pd.DataFrame,
    parents: pd.DataFrame,
    structure: pd.Series | Mapping,
    *,
    method: str = "pearson",
    weak: float = 0.3,
    high: float = 0.92,
) -> pd.DataFrame:
    """Correlation of every child with its own parent's score, with flags.

    Examples
    --------
    >>> ch = pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 2, 1.5]})
    >>> pa = pd.DataFrame({"g": [2.0, 2.1, 2.2]})
    >>> parent_correlations(ch, pa, {"a": "g", "b": "g"})["flag"].tolist()
    ['redundant', 'weak']
    """
    rows = []
    for child, parent in pd.Series(structure, dtype=object).items():
        if child not in children.columns or parent not in parents.columns:
            continue
        v = children[child].corr(parents[parent], method=method)
        flag = "weak" if v < weak else "redundant" if v >= high else ""
        rows.append({"child": child, "parent": parent, "r": v, "flag": flag})
    return pd.DataFrame(rows, columns=["child", "parent", "r", "flag"])


def cronbach_alpha(df: pd.DataFrame) -> float:
    """Cronbach's alpha of the columns (complete rows only).

    ``k / (k - 1) * (1 - sum of item variances / variance of the row total)``.

    Examples
    --------
    >>> round(cronbach_alpha(pd.DataFrame({"a": [1.0, 2, 3], "b": [1.0, 2, 3]})), 6)
    1.0
    """
    x = as_float_frame(df, "audit input").dropna()
    k = x.shape[1]
    if k < 2 or len(x) < 2:
        return float("nan")
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - x.var(ddof=1).sum() / total_var))


def group_alpha(df: pd.DataFrame, structure: pd.Series | Mapping) -> pd.Series:
    """Cronbach's alpha of each parent's children.

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1.0, 2, 3], "b": [1.0, 2, 3], "c": [1.0, 5, 2]})
    >>> group_alpha(x, {"a": "g", "b": "g", "c": "h"}).round(6).to_dict()
    {'g': 1.0, 'h': nan}
    """
    x = as_float_frame(df, "audit input")
    return pd.Series(
        {g: cronbach_alpha(x[cols]) for g, cols in _groups(structure, x.columns).items()},
        name="alpha",
        dtype="float64",
    )


def group_pca(df: pd.DataFrame, structure: pd.Series | Mapping) -> pd.DataFrame:
    """PCA of each parent's children on their correlation matrix (complete rows).

    Returns one row per group: ``n_children``, ``pc1_share`` (variance share of
    the first component), ``n_eigen_above_1`` (Kaiser rule) and the PC1
    ``loadings`` (a dict, sign fixed so their sum is positive).

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 4, 6, 8]})
    >>> float(group_pca(x, {"a": "g", "b": "g"}).loc["g", "pc1_share"])
    1.0
    """
    x = as_float_frame(df, "audit input")
    rows = {}
    for g, cols in _groups(structure, x.columns).items():
        cc = x[cols].dropna()
        rec = {"n_children": len(cols), "pc1_share": np.nan, "n_eigen_above_1": np.nan}
        rec["loadings"] = {}
        if len(cols) >= 2 and len(cc) >= 3:
            with np.errstate(invalid="ignore", divide="ignore"):
                r = np.corrcoef(cc.to_numpy(), rowvar=False)
            if not np.isnan(r).any():
                vals, vecs = np.linalg.eigh(r)
                top = vecs[:, np.argmax(vals)]
                top = top if top.sum() >= 0 else -top
                rec.update(
                    pc1_share=float(vals.max() / vals.sum()),
                    n_eigen_above_1=int((vals > 1 + 1e-12).sum()),
                    loadings=dict(zip(cols, np.round(top, 12).tolist(), strict=True)),
                )
        rows[g] = rec
    return pd.DataFrame.from_dict(rows, orient="index")
