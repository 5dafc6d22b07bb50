"""Weights of children within their parent, and effective weights.

Every method returns a Series child -> weight that sums to 1 within each parent.

============  =================================================================
method        weight of child j within its group
============  =================================================================
``equal``     1 / (number of children)
``manual``    the given weight, rescaled to sum to 1
``pca``       squared loading of j on the first principal component of the
              group's correlation matrix (complete rows); the squared loadings
              of a unit eigenvector already sum to 1
``entropy``   d_j / Σ d with d_j = 1 - E_j, E_j = -Σ_i p_ij ln p_ij / ln n,
              p_ij = x_ij / Σ_i x_ij (values must be >= 0)
``critic``    C_j / Σ C with C_j = sd_j · Σ_k (1 - r_jk)
``outcome``   max(r_j, 0)² / Σ, r_j the correlation of child j with an outcome
              (Lernatlas-style "backwards" weights: what explains the outcome)
============  =================================================================

A group whose statistical weights are all zero or undefined (e.g. constant
columns, or fewer than 3 complete rows) falls back to equal weights; the
``fallback`` attribute of the returned Series lists such groups.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from learningcity.index._checks import IndexInputError, as_float_frame

__all__ = ["METHODS", "effective_weights", "compute_weights"]

METHODS: tuple[str, ...] = ("equal", "manual", "pca", "entropy", "critic", "outcome")


def _pca(x: pd.DataFrame) -> np.ndarray:
    cc = x.dropna()
    if len(cc) < 3 or x.shape[1] < 2:
        return np.full(x.shape[1], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(cc.to_numpy(), rowvar=False)
    if np.isnan(r).any():
        return np.full(x.shape[1], np.nan)
    vals, vecs = np.linalg.eigh(r)
    return vecs[:, np.argmax(vals)] ** 2


def _entropy(x: pd.DataFrame) -> np.ndarray:
    if (x < 0).to_numpy().any():
        r, c = np.argwhere((x < 0).to_numpy())[0]
        raise IndexInputError(
            f"weights (entropy): row {x.index[r]!r}, column {x.columns[c]!r} is negative; "
            "entropy weights need values >= 0 (normalise with minmax first)"
        )
    d = []
    for col in x.columns:
        v = x[col].dropna().to_numpy()
        n = len(v)
        if n < 2 or v.sum() == 0:
            d.append(np.nan)
            continue
        pr = v / v.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            e = -np.nansum(np.where(pr > 0, pr * np.log(pr), 0.0)) / np.log(n)
        d.append(1.0 - e)
    return np.array(d)


def _critic(x: pd.DataFrame) -> np.ndarray:
    sd = x.std(ddof=1).to_numpy()
    r = x.corr().to_numpy()
    return sd * np.nansum(1.0 - r, axis=1)


def _outcome(x: pd.DataFrame, outcome: pd.Series) -> np.ndarray:
    y = outcome.reindex(x.index).astype("float64")
    r = x.corrwith(y).to_numpy()
    return np.clip(r, 0, None) ** 2


def compute_weights(
    df: pd.DataFrame | None,
    structure: pd.Series | Mapping[str, str],
    method: str = "equal",
    *,
    manual: pd.Series | Mapping[str, float] | None = None,
    outcome: pd.Series | None = None,
) -> pd.Series:
    """Weights of each child within its parent, summing to 1 per parent.

    Parameters
    ----------
    df : DataFrame or None
        Normalised scores (rows units, columns children); statistical methods
        need it, ``equal`` and ``manual`` do not.
    structure : Series or mapping
        Child -> parent.
    method : str, default "equal"
        One of :data:`METHODS` (see the module docstring).
    manual : Series or mapping, optional
        Child -> raw weight (finite, >= 0) for ``manual``; children not given,
        or given NaN, get 1.  A child that is not in ``structure`` is an error.
    outcome : Series, optional
        Outcome per unit for ``outcome`` weights.

    Examples
    --------
    >>> compute_weights(None, {"a": "g", "b": "g", "c": "h"}, "manual",
    ...                 manual={"a": 3, "b": 1}).tolist()
    [0.75, 0.25, 1.0]
    """
    if method not in METHODS:
        raise IndexInputError(f"weights: unknown method {method!r}; choose from {METHODS}")
    struct = pd.Series(structure, dtype=object)
    raw = pd.Series(1.0, index=struct.index)
    fallback: list = []
    if method == "manual" and manual is not None:
        given = pd.Series(manual, dtype="float64")
        # A weight for a child not in the structure would match nothing and be lost.
        extra = [c for c in given.index if c not in struct.index]
        if extra:
            raise IndexInputError(
                f"weights: manual weight(s) for {', '.join(map(repr, extra[:10]))}, not a child "
                f"of the structure (children: {', '.join(map(str, struct.index[:40]))})"
            )
        given = given.reindex(struct.index)
        if np.isinf(given).any():
            raise IndexInputError(
                f"weights: manual weight of {given[np.isinf(given)].index[0]!r} is infinite"
            )
        if (given < 0).any():
            raise IndexInputError(f"weights: manual weight of {given[given < 0].index[0]!r} < 0")
        raw = given.fillna(1.0)
    elif method in ("pca", "entropy", "critic", "outcome"):
        if df is None:
            raise IndexInputError(f"weights: method {method!r} needs the normalised table")
        x = as_float_frame(df, "weights input")
        if method == "outcome" and outcome is None:
            raise IndexInputError("weights: method 'outcome' needs an outcome per unit")
        for parent in pd.unique(struct.to_numpy()):
            cols = [c for c in struct.index[struct.to_numpy() == parent] if c in x.columns]
            if not cols:
                continue
            if len(cols) == 1:
                continue  # a lone child takes the whole weight of its parent
            block = x[cols]
            if method == "pca":
                w = _pca(block)
            elif method == "entropy":
                w = _entropy(block)
            elif method == "critic":
                w = _critic(block)
            else:
                w = _outcome(block, outcome)
            if not np.isfinite(w).all() or w.sum() <= 0:
                w = np.ones(len(cols))
                fallback.append(parent)
            raw[cols] = w
    total = raw.groupby(struct).transform("sum")
    out = (raw / total.where(total > 0)).fillna(0.0)
    out.attrs["fallback"] = fallback
    return out


def effective_weights(
    lineage: pd.DataFrame, level_weights: Mapping[str, pd.Series]
) -> pd.DataFrame:
    """Weight of each indicator in every higher level (product along its lineage).

    Parameters
    ----------
    lineage : DataFrame
        Indexed by indicator, one column per level above it in order (e.g.
        ``focus_area``, ``area``), the last level being the top.
    level_weights : mapping
        Level name of the *child* -> within-parent weights Series, e.g.
        ``{"indicator": w_i, "focus_area": w_fa, "area": w_a}``.

    Returns
    -------
    DataFrame
        Indexed by indicator, one column per parent level: the indicator's
        share of that level's score (before missing data is skipped).

    Examples
    --------
    >>> lin = pd.DataFrame({"focus_area": ["1.1", "1.1", "1.2"], "area": ["1", "1", "1"]},
    ...                    index=["a", "b", "c"])
    >>> w = {"indicator": pd.Series({"a": 0.5, "b": 0.5, "c": 1.0}),
    ...      "focus_area": pd.Series({"1.1": 0.5, "1.2": 0.5})}
    >>> effective_weights(lin, w)["area"].tolist()
    [0.25, 0.25, 0.5]
    """
    out = pd.DataFrame(index=lineage.index)
    cur = level_weights["indicator"].reindex(lineage.index).astype("float64")
    child_level = "indicator"
    for level in lineage.columns:
        if child_level != "indicator":
            cw = level_weights[child_level]
            cur = cur * lineage[child_level].map(cw).astype("float64").to_numpy()
        out[level] = cur.to_numpy()
        child_level = level
    return out
