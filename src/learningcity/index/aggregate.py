"""Aggregation of children (indicators, focus areas, areas) into their parent.

Weights are rescaled to sum to 1 over the children a unit has data for, so a
missing child is skipped together with its weight (for the arithmetic mean this
equals filling it with the mean of the unit's other children in the group).
A unit whose share of available children is below ``threshold`` gets NaN.

==============  ===============================================================
method          score of a unit (weights ``w`` summing to 1 over present values)
==============  ===============================================================
``arithmetic``  Σ w x
``geometric``   exp(Σ w ln x)          (x must be > 0: see ``zero_policy``)
``harmonic``    1 / Σ (w / x)          (x must be > 0: see ``zero_policy``)
``genmean``     (Σ w x^p)^(1/p); p = 1, 0, -1 give the three above
``copeland``    Σ over other units k of sign(O_jk - 1/2), where the outranking
                O_jk = Σ w over children where x_j > x_k + half those tied
                (compares every pair: meant for hundreds of units, not 10,000s)
``mpi``         Mazziotta–Pareto: children standardised to 100 ± 10 across
                units (z), then M - S·S/M with M, S the weighted mean and
                standard deviation of the unit's z (penalises unbalance)
==============  ===============================================================

``zero_policy`` for the geometric and harmonic means (and genmean with p <= 0):
``"error"`` (default) names the first unit and child at zero; ``"shift"`` adds
``shift`` to every value and subtracts it from the result (the usual fix for
min-max scores that reach 0); ``"zero"`` gives 0, the limit of the mean when a
value tends to 0; ``"skip"`` treats zeros as missing.  Negative values are
always an error for these means.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from learningcity.index._checks import IndexInputError, as_float_frame

__all__ = ["METHODS", "ZERO_POLICIES", "aggregate", "weighted_mean_matrix"]

METHODS: tuple[str, ...] = ("arithmetic", "geometric", "harmonic", "genmean", "copeland", "mpi")
ZERO_POLICIES: tuple[str, ...] = ("error", "shift", "zero", "skip")


def _check_positive(x: pd.DataFrame, method: str, zero_policy: str, shift: float) -> pd.DataFrame:
    neg = x < 0
    if neg.to_numpy().any():
        r, c = np.argwhere(neg.to_numpy())[0]
        raise IndexInputError(
            f"aggregate ({method}): row {x.index[r]!r}, column {x.columns[c]!r} is negative "
            f"({float(x.iat[r, c]):g}); this mean needs values >= 0 (normalise with minmax "
            "or goalposts)"
        )
    zero = (x == 0).to_numpy()
    if zero.any():
        if zero_policy == "error":
            r, c = np.argwhere(zero)[0]
            raise IndexInputError(
                f"aggregate ({method}): row {x.index[r]!r}, column {x.columns[c]!r} is 0; "
                "choose zero_policy 'shift', 'zero' or 'skip', or normalise to e.g. [1, 100]"
            )
        if zero_policy == "skip":
            return x.mask(x == 0)
    if zero_policy == "shift":
        return x + shift
    return x


def weighted_mean_matrix(values: np.ndarray, weights: np.ndarray, p: float) -> np.ndarray:
    """Row-wise weighted power mean of an (n, k) array, skipping NaN.

    Examples
    --------
    >>> weighted_mean_matrix(np.array([[1.0, 4.0]]), np.array([1.0, 1.0]), 0.0)
    array([2.])
    """
    present = ~np.isnan(values)
    w = np.where(present, weights[None, :], 0.0)
    tot = w.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = w / tot[:, None]
        v = np.where(present, values, 1.0)
        if p == 0:
            with np.errstate(divide="ignore"):
                res = np.exp((w * np.log(v)).sum(axis=1))
        elif p == 1:
            res = (w * np.where(present, values, 0.0)).sum(axis=1)
        else:
            res = (w * v**p).sum(axis=1) ** (1.0 / p)
    res[tot == 0] = np.nan
    return res


def _copeland(x: np.ndarray, w: np.ndarray, budget: int = 1_000_000) -> np.ndarray:
    # Every pair of units is compared (O(n^2 k)); rows are processed in chunks so
    # that each intermediate array holds about ``budget`` cells.
    n, k = x.shape
    chunk = max(1, budget // max(n * k, 1))
    out = np.zeros(n)
    for s in range(0, n, chunk):
        a = x[s : s + chunk, None, :]  # (c, 1, k)
        b = x[None, :, :]  # (1, n, k)
        both = ~np.isnan(a) & ~np.isnan(b)
        ww = np.where(both, w, 0.0)
        tot = ww.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            o = ((a > b) * ww).sum(axis=2) + 0.5 * ((a == b) * ww).sum(axis=2)
            o = o / tot
        sign = np.sign(np.nan_to_num(o - 0.5, nan=0.0))
        idx = np.arange(s, min(s + chunk, n))
        sign[np.arange(len(idx)), idx] = 0.0  # a unit does not outrank itself
        out[idx] = sign.sum(axis=1)
    out[np.isnan(x).all(axis=1)] = np.nan
    return out


def _mpi(x: pd.DataFrame, w: np.ndarray) -> np.ndarray:
    z = 100 + 10 * (x - x.mean()) / x.std(ddof=0)
    v = z.to_numpy()
    present = ~np.isnan(v)
    ww = np.where(present, w[None, :], 0.0)
    tot = ww.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ww = ww / tot[:, None]
        m = (ww * np.where(present, v, 0.0)).sum(axis=1)
        s = np.sqrt((ww * np.where(present, (v - m[:, None]) ** 2, 0.0)).sum(axis=1))
        res = m - s * s / m
    res[tot == 0] = np.nan
    return res


def aggregate(
    df: pd.DataFrame,
    structure: pd.Series | Mapping[str, str],
    *,
    weights: pd.Series | Mapping[str, float] | None = None,
    method: str = "arithmetic",
    p: float = 1.0,
    zero_policy: str = "error",
    shift: float = 1.0,
    threshold: float = 0.0,
) -> pd.DataFrame:
    """Aggregate the columns of ``df`` into their parents.

    Parameters
    ----------
    df : DataFrame
        Rows units, columns children (normalised scores).
    structure : Series or mapping
        Child -> parent code. Children absent from ``df`` are ignored.
    weights : Series or mapping, optional
        Child -> weight (default 1); only relative sizes within a parent matter.
    method : str, default "arithmetic"
        One of :data:`METHODS` (see the module docstring).
    p : float, default 1
        Exponent of ``genmean``.
    zero_policy : {"error", "shift", "zero", "skip"}
        Handling of zeros by the geometric and harmonic means.
    shift : float, default 1
        Shift used by ``zero_policy="shift"``.
    threshold : float, default 0
        Smallest share of available children for a score; below it, NaN.

    Returns
    -------
    DataFrame
        Rows units, one column per parent (in order of first appearance).

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1.0, 2.0], "b": [4.0, None]}, index=["01", "02"])
    >>> aggregate(x, {"a": "g", "b": "g"}, method="geometric")
          g
    01  2.0
    02  2.0
    """
    x = as_float_frame(df, "aggregate input")
    if method not in METHODS:
        raise IndexInputError(f"aggregate: unknown method {method!r}; choose from {METHODS}")
    if zero_policy not in ZERO_POLICIES:
        raise IndexInputError(
            f"aggregate: unknown zero_policy {zero_policy!r}; choose from {ZERO_POLICIES}"
        )
    struct = pd.Series(structure, dtype=object)
    struct = struct[struct.index.isin(x.columns)]
    w_all = pd.Series(1.0, index=struct.index)
    if weights is not None:
        given = pd.Series(weights, dtype="float64").reindex(struct.index)
        if (given < 0).any():
            raise IndexInputError(f"aggregate: weight of {given[given < 0].index[0]!r} is negative")
        w_all = given.fillna(1.0)
    out = {}
    for parent in pd.unique(struct.to_numpy()):
        cols = list(struct.index[struct.to_numpy() == parent])
        block = x[cols]
        w = w_all[cols].to_numpy(dtype="float64")
        mpow = {"arithmetic": 1.0, "geometric": 0.0, "harmonic": -1.0}.get(method, p)
        if method == "copeland":
            res = _copeland(block.to_numpy(), w)
        elif method == "mpi":
            res = _mpi(block, w)
        else:
            vals = block
            needs_positive = mpow <= 0 or (mpow != int(mpow))
            if needs_positive:
                vals = _check_positive(block, method, zero_policy, shift)
            res = weighted_mean_matrix(vals.to_numpy(), w, mpow)
            if needs_positive and zero_policy == "shift":
                res = res - shift
            if needs_positive and zero_policy == "zero":
                res[(block == 0).to_numpy().any(axis=1)] = 0.0
        avail = (block.notna().to_numpy() * (w > 0)).sum(axis=1) / max(int((w > 0).sum()), 1)
        res = np.where(avail < threshold, np.nan, res)
        res = np.where(avail == 0, np.nan, res)
        out[parent] = res
    return pd.DataFrame(out, index=x.index)
