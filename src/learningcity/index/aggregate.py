"""Aggregation of children (indicators, focus areas, areas) into their parent.

Weights are rescaled to sum to 1 over the children a unit has data for, so a
missing child is skipped together with its weight (for the arithmetic mean this
equals filling it with the mean of the unit's other children in the group).
A unit whose share of available children is below ``threshold`` gets NaN, and
so does a unit with fewer than ``min_indicators`` *indicators* with a value
beneath the parent (:func:`count_indicators`: indicators, not children, with
weight > 0, under children that have a score); a parent masked so counts as
missing for the level above.

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
``shift`` to every value of a parent's children and subtracts it from the
result, but only when one of those values (of any unit, among children with
weight > 0) is 0: with every value above 0 it is the plain mean (the usual
fix for min-max scores that reach 0, without moving scores that need none);
``"zero"`` gives 0, the limit of the mean when a value tends to 0; ``"skip"``
treats zeros as missing.  Negative values are always an error for these means.
The shift is decided per parent over all units, so the units compared under
one parent share one formula.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from learningcity.index._checks import IndexInputError, as_float_frame

__all__ = [
    "METHODS",
    "ZERO_POLICIES",
    "aggregate",
    "count_indicators",
    "positive_mean",
    "weighted_mean_matrix",
]

METHODS: tuple[str, ...] = ("arithmetic", "geometric", "harmonic", "genmean", "copeland", "mpi")
ZERO_POLICIES: tuple[str, ...] = ("error", "shift", "zero", "skip")


def _check_positive(x: pd.DataFrame, method: str, zero_policy: str) -> None:
    """Refuse a negative value, and a 0 under ``zero_policy="error"``, naming the first."""
    neg = x < 0
    if neg.to_numpy().any():
        r, c = np.argwhere(neg.to_numpy())[0]
        raise IndexInputError(
            f"aggregate ({method}): row {x.index[r]!r}, column {x.columns[c]!r} is negative "
            f"({float(x.iat[r, c]):g}); this mean needs values >= 0 (normalise with minmax "
            "or goalposts)"
        )
    zero = (x == 0).to_numpy()
    if zero_policy == "error" and zero.any():
        r, c = np.argwhere(zero)[0]
        raise IndexInputError(
            f"aggregate ({method}): row {x.index[r]!r}, column {x.columns[c]!r} is 0; "
            "choose zero_policy 'shift', 'zero' or 'skip', or normalise to e.g. [1, 100]"
        )


def positive_mean(
    block: pd.DataFrame,
    w: np.ndarray,
    p: float,
    *,
    method: str = "geometric",
    zero_policy: str = "error",
    shift: float = 1.0,
) -> np.ndarray:
    """Weighted power mean, for p <= 0 or a fractional p, with a zero policy.

    The children of one parent (``block``, units x children) must be >= 0.
    ``"shift"`` moves every value by ``shift`` only when a child with weight
    > 0 is 0 somewhere in the block, so on values all above 0 it is the plain
    mean: the shifted mean ``M(x + s) - s`` is not ``M(x)`` (for the geometric
    mean it is larger, by the AM-GM inequality), and shifting a block that has
    no zero would move every score for nothing.  A child with weight 0 takes no
    part (its 0 neither triggers the shift nor makes ``0 * log 0``).

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1.0, 2.0], "b": [4.0, 8.0]})
    >>> positive_mean(x, np.array([1.0, 1.0]), 0.0, zero_policy="shift")  # no 0: sqrt(ab)
    array([2., 4.])
    >>> z = pd.DataFrame({"a": [0.0, 2.0], "b": [3.0, 11.0]})  # a 0: sqrt((a+1)(b+1)) - 1
    >>> positive_mean(z, np.array([1.0, 1.0]), 0.0, zero_policy="shift")
    array([1., 5.])
    """
    _check_positive(block, method, zero_policy)
    used = w > 0
    vals = block.to_numpy(dtype="float64")
    vals = np.where(used[None, :], vals, np.nan)  # weight 0: not in the mean
    zero = vals == 0
    shifted = zero_policy == "shift" and bool(zero.any())
    if zero_policy == "skip":
        vals = np.where(zero, np.nan, vals)
    elif shifted:
        vals = vals + shift
    res = weighted_mean_matrix(vals, w, p)
    if shifted:
        res = res - shift
    if zero_policy == "zero":
        res[zero.any(axis=1)] = 0.0
    return res


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


def _structure(x: pd.DataFrame, structure: pd.Series | Mapping[str, str]) -> pd.Series:
    struct = pd.Series(structure, dtype=object)
    return struct[struct.index.isin(x.columns)]


def _child_weights(struct: pd.Series, weights: pd.Series | Mapping[str, float] | None) -> pd.Series:
    w_all = pd.Series(1.0, index=struct.index)
    if weights is not None:
        given = pd.Series(weights, dtype="float64").reindex(struct.index)
        if (given < 0).any():
            raise IndexInputError(f"aggregate: weight of {given[given < 0].index[0]!r} is negative")
        w_all = given.fillna(1.0)
    return w_all


def _check_min_indicators(min_indicators: object) -> int:
    if (
        isinstance(min_indicators, int | np.integer)
        and not isinstance(min_indicators, bool)
        and min_indicators >= 0
    ):
        return int(min_indicators)
    raise IndexInputError(
        f"aggregate: min_indicators must be a whole number >= 0, got {min_indicators!r}"
    )


def count_indicators(
    df: pd.DataFrame,
    structure: pd.Series | Mapping[str, str],
    *,
    weights: pd.Series | Mapping[str, float] | None = None,
    counts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Number of indicators with a value beneath each parent, per unit.

    A child counts for its parent when the unit has a value for it (not NaN)
    and its weight is above 0; it then brings its own count of indicators
    (``counts``), or 1 when the children are indicators.  A child without a
    score (NaN, e.g. masked by ``min_indicators``) brings none, so the count of
    a parent is the number of indicators its score rests on.  The zero policy
    of the mean does not change the counts.

    Parameters
    ----------
    df : DataFrame
        Rows units, columns children (scores).
    structure : Series or mapping
        Child -> parent code. Children absent from ``df`` are ignored.
    weights : Series or mapping, optional
        Child -> weight (default 1); a child with weight 0 does not count.
    counts : DataFrame, optional
        Rows units, columns children: the indicators beneath each child (the
        result of this function at the level below).  None when the children
        are the indicators.

    Returns
    -------
    DataFrame
        Rows units, one integer column per parent (in order of first
        appearance, as :func:`aggregate`).

    Examples
    --------
    Area "3" of focus areas 3.1 (indicators a, b) and 3.3 (indicator c); unit
    "02" has a value for ``a`` only:

    >>> x = pd.DataFrame({"a": [1.0, 2.0], "b": [4.0, None], "c": [5.0, None]},
    ...                  index=["01", "02"])
    >>> fa = count_indicators(x, {"a": "3.1", "b": "3.1", "c": "3.3"})
    >>> fa
        3.1  3.3
    01    2    1
    02    1    0
    >>> scores = aggregate(x, {"a": "3.1", "b": "3.1", "c": "3.3"})
    >>> count_indicators(scores, {"3.1": "3", "3.3": "3"}, counts=fa)
        3
    01  3
    02  1
    """
    x = as_float_frame(df, "aggregate input")
    struct = _structure(x, structure)
    w = _child_weights(struct, weights).to_numpy(dtype="float64")
    present = x[list(struct.index)].notna().to_numpy() & (w > 0)[None, :]
    if counts is None:
        n = np.ones(present.shape, dtype=np.int64)
    else:
        c = as_float_frame(counts, "aggregate counts").reindex(
            index=x.index, columns=list(struct.index)
        )
        gap = present & c.isna().to_numpy()
        if gap.any():
            r, k = np.argwhere(gap)[0]
            raise IndexInputError(
                f"aggregate: no indicator count for row {x.index[r]!r}, column {struct.index[k]!r}"
            )
        n = np.nan_to_num(c.to_numpy(), nan=0.0).astype(np.int64)
    contrib = np.where(present, n, 0)
    parents = struct.to_numpy()
    out = {parent: contrib[:, parents == parent].sum(axis=1) for parent in pd.unique(parents)}
    return pd.DataFrame(out, index=x.index, dtype=np.int64)


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
    min_indicators: int = 0,
    counts: pd.DataFrame | None = None,
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
    min_indicators : int, default 0
        Smallest number of indicators with a value beneath a parent (see
        :func:`count_indicators`) for a score; below it, NaN.  0 sets no minimum.
    counts : DataFrame, optional
        Indicators beneath each child (units x children), as
        :func:`count_indicators` gives for the level below; None when the
        children are the indicators.  Only used with ``min_indicators``.

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

    With ``min_indicators=2`` unit 02, which has a value for ``a`` only, gets none:

    >>> aggregate(x, {"a": "g", "b": "g"}, method="geometric", min_indicators=2)
          g
    01  2.0
    02  NaN
    """
    x = as_float_frame(df, "aggregate input")
    min_indicators = _check_min_indicators(min_indicators)
    if method not in METHODS:
        raise IndexInputError(f"aggregate: unknown method {method!r}; choose from {METHODS}")
    if zero_policy not in ZERO_POLICIES:
        raise IndexInputError(
            f"aggregate: unknown zero_policy {zero_policy!r}; choose from {ZERO_POLICIES}"
        )
    struct = _structure(x, structure)
    w_all = _child_weights(struct, weights)
    n_ind = None
    if min_indicators > 0:
        n_ind = count_indicators(x, struct, weights=w_all, counts=counts)
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
        elif mpow <= 0 or mpow != int(mpow):
            res = positive_mean(block, w, mpow, method=method, zero_policy=zero_policy, shift=shift)
        else:
            res = weighted_mean_matrix(block.to_numpy(), w, mpow)
        avail = (block.notna().to_numpy() * (w > 0)).sum(axis=1) / max(int((w > 0).sum()), 1)
        res = np.where(avail < threshold, np.nan, res)
        res = np.where(avail == 0, np.nan, res)
        if n_ind is not None:
            res = np.where(n_ind[parent].to_numpy() < min_indicators, np.nan, res)
        out[parent] = res
    return pd.DataFrame(out, index=x.index)
