"""Validity checks of an index: known groups, convergence, income, stability.

An audit (:mod:`learningcity.uncertainty`, :mod:`learningcity.sensitivity`)
asks how far the method moves the scores; validity asks whether the scores
measure what they claim. Four questions, each a pure function on pandas
objects:

* *known groups* (:func:`permutation_test`): do units that should score higher
  (for example provinces hosting a GNLC member city) score higher? A
  permutation test of the difference of means, with effect sizes, since a
  p-value alone says nothing of size; :func:`detectable_difference` says how
  large a difference a group of that size could reveal at all;
* *convergent and discriminant validity* (:func:`correlations`): how closely
  the index follows external measures (Pearson and Spearman, with ``n``);
* *income* (:func:`income_share`): how much of the index is income alone;
* *stability* (:func:`rank_stability`, with :func:`scores_by_year`): do the
  ranks hold from one year to the next on the same indicators?

Examples
--------
>>> import pandas as pd
>>> scores = pd.Series([1.0, 2, 3, 4, 5, 6], index=list("abcdef"))
>>> result = permutation_test(scores, ["d", "e", "f"])
>>> result[["difference", "p_value", "cohens_d", "method"]].tolist()
[3.0, 0.1, 3.0, 'exact']
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from learningcity.errors import UsageError

__all__ = [
    "correlations",
    "detectable_difference",
    "income_share",
    "permutation_test",
    "rank_stability",
    "scores_by_year",
]


def _membership(scores: pd.Series, group: pd.Series | Iterable[Any]) -> pd.Series:
    """A boolean Series on ``scores.index``: True for the marked units."""
    if isinstance(group, pd.Series) and group.dtype == bool:
        return group.reindex(scores.index, fill_value=False).astype(bool)
    labels = list(group)
    unknown = [g for g in labels if g not in scores.index]
    if unknown:
        # A misspelt code would silently shrink the group: refuse it.
        raise UsageError(f"group members not among the scored units: {unknown}")
    return pd.Series(scores.index.isin(labels), index=scores.index)


def permutation_test(
    scores: pd.Series,
    group: pd.Series | Iterable[Any],
    n: int = 10_000,
    seed: int | None = 2026,
    exact: bool | None = None,
) -> pd.Series:
    """Difference of means between a marked group and the other units, by permutation.

    Parameters
    ----------
    scores : Series
        One score per unit; missing scores are left out (and counted).
    group : Series of bool or iterable of labels
        The units of the group: a boolean Series aligned on ``scores`` or the
        labels of the members (each must be in ``scores.index``).
    n : int, default 10000
        Random relabellings of the Monte Carlo test.
    seed : int, optional
        Seed of the Monte Carlo (same seed, same p-value).
    exact : bool, optional
        Enumerate every split of the units into a group of the same size and
        the rest. By default the test is exact when there are at most ``n``
        splits, Monte Carlo otherwise.

    Returns
    -------
    Series
        ``n_group``, ``n_other``, ``n_missing``, ``mean_group``,
        ``mean_other``, ``difference`` (group minus others), ``p_value``
        (two-sided), ``method`` (``"exact"`` or ``"monte carlo"``),
        ``n_permutations``, ``cohens_d`` (with the pooled standard deviation),
        ``common_language`` (the probability that a group member scores above
        an other unit, ties counting half) and ``rank_biserial``
        (``2 * common_language - 1``).

    Raises
    ------
    UsageError
        A group, or the rest, with fewer than 2 scored units (no spread, no
        test), or a member label that is not a scored unit.

    Notes
    -----
    The exact p-value is the share of all ``C(N, k)`` splits whose absolute
    difference reaches the observed one (the observed split is one of them).
    The Monte Carlo p-value is ``(1 + b) / (1 + n)``, ``b`` the relabellings at
    least as extreme: the observed labelling counts as one of the
    permutations, so the p-value is never 0 (Phipson & Smyth 2010,
    *Stat. Appl. Genet. Mol. Biol.* 9: 39).

    Examples
    --------
    Six units, three in the group: ``C(6, 3) = 20`` splits; only ``{a, b, c}``
    and ``{d, e, f}`` reach an absolute difference of 3, so ``p = 2 / 20``.

    >>> import pandas as pd
    >>> scores = pd.Series([1.0, 2, 3, 4, 5, 6], index=list("abcdef"))
    >>> r = permutation_test(scores, ["a", "b", "c"])
    >>> r["difference"], r["p_value"], r["n_permutations"]
    (-3.0, 0.1, 20)
    >>> r["cohens_d"], r["common_language"], r["rank_biserial"]
    (-3.0, 0.0, -1.0)
    >>> permutation_test(scores, ["a"])
    Traceback (most recent call last):
    ...
    learningcity.errors.UsageError: a permutation test needs at least 2 ... (group 1, others 5)
    """
    scores = pd.Series(scores, dtype=float)
    member = _membership(scores, group)
    present = scores.notna()
    x = scores[present].to_numpy()
    g = member[present].to_numpy()
    k, total = int(g.sum()), int(len(x))
    if k < 2 or total - k < 2:
        raise UsageError(
            "a permutation test needs at least 2 scored units in the group and 2 outside it "
            f"(group {k}, others {total - k})"
        )
    a, b = x[g], x[~g]
    observed = a.mean() - b.mean()
    grand = x.sum()

    def diffs(sums: np.ndarray) -> np.ndarray:
        # The difference of means follows from the group's sum alone.
        return sums / k - (grand - sums) / (total - k)

    # Floating sums of the same numbers in another order differ in the last bits.
    tol = 1e-9 * max(1.0, float(np.abs(x).max()))
    splits = math.comb(total, k)
    if exact is None:
        exact = splits <= n
    if exact:
        sums = np.fromiter(
            (sum(c) for c in itertools.combinations(x.tolist(), k)), dtype=float, count=splits
        )
        extreme = int((np.abs(diffs(sums)) >= abs(observed) - tol).sum())
        p, method, n_perm = extreme / splits, "exact", splits
    else:
        rng = np.random.default_rng(seed)
        # The first k columns of a random permutation of each row: a random group.
        picks = np.argsort(rng.random((n, total)), axis=1)[:, :k]
        sums = x[picks].sum(axis=1)
        extreme = int((np.abs(diffs(sums)) >= abs(observed) - tol).sum())
        p, method, n_perm = (1 + extreme) / (1 + n), "monte carlo", int(n)
    pooled = math.sqrt(((k - 1) * a.var(ddof=1) + (total - k - 1) * b.var(ddof=1)) / (total - 2))
    cohens_d = observed / pooled if pooled > 0 else math.copysign(math.inf, observed)
    # Probability of superiority: the Mann–Whitney U over all member/other pairs.
    cl = float((a[:, None] > b[None, :]).sum() + 0.5 * (a[:, None] == b[None, :]).sum())
    cl /= k * (total - k)
    return pd.Series(
        {
            "n_group": k,
            "n_other": total - k,
            "n_missing": int((~present).sum()),
            "mean_group": float(a.mean()),
            "mean_other": float(b.mean()),
            "difference": float(observed),
            "p_value": float(p),
            "method": method,
            "n_permutations": n_perm,
            "cohens_d": float(cohens_d),
            "common_language": cl,
            "rank_biserial": 2 * cl - 1,
        },
        dtype=object,
    )


def detectable_difference(
    n_group: int, n_other: int, alpha: float = 0.05, power: float = 0.8
) -> float:
    """The smallest standardised difference (Cohen's d) a two-group test would usually find.

    Normal approximation for a two-sided test: ``d = (z[1 - alpha/2] + z[power])
    * sqrt(1/n_group + 1/n_other)``. With a small group the answer is large: a
    test that cannot reject says little unless the true difference is at least
    this big.

    Examples
    --------
    >>> round(detectable_difference(5, 58), 2)
    1.31
    >>> round(detectable_difference(30, 30), 2)
    0.72
    """
    if n_group < 1 or n_other < 1:
        raise UsageError("both groups need at least one unit")
    z = NormalDist()
    return (z.inv_cdf(1 - alpha / 2) + z.inv_cdf(power)) * math.sqrt(1 / n_group + 1 / n_other)


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    dx, dy = x - x.mean(), y - y.mean()
    den = math.sqrt(float((dx**2).sum() * (dy**2).sum()))
    return float((dx * dy).sum() / den) if den > 0 else math.nan


def _spearman(x: pd.Series, y: pd.Series) -> float:
    # Pearson on average ranks: ties share their mean rank.
    return _pearson(x.rank().to_numpy(float), y.rank().to_numpy(float))


def _frame(data: pd.Series | pd.DataFrame, default: str) -> pd.DataFrame:
    if isinstance(data, pd.Series):
        return data.to_frame(data.name if data.name is not None else default)
    return data


def correlations(
    index_scores: pd.Series | pd.DataFrame, others: pd.Series | pd.DataFrame
) -> pd.DataFrame:
    """Pearson and Spearman correlations of each index score with each external measure.

    Parameters
    ----------
    index_scores : Series or DataFrame
        The index (a Series) or several of its scores (columns: overall, areas …),
        one row per unit.
    others : Series or DataFrame
        External measures, one column each, aligned on the same unit labels.

    Returns
    -------
    DataFrame
        One row per pair: ``score``, ``measure``, ``n`` (units with both values),
        ``pearson``, ``pearson_low`` and ``pearson_high`` (95 % interval by
        Fisher's z, from ``n >= 4``) and ``spearman``. A pair with fewer than 3
        units has NaN correlations.

    Examples
    --------
    >>> import pandas as pd
    >>> index = pd.Series([1.0, 2, 3, 4], name="overall")
    >>> other = pd.DataFrame({"a": [1.0, 3, 2, 4], "b": [1.0, 8, 27, None]})
    >>> correlations(index, other)[["score", "measure", "n", "pearson", "spearman"]].round(4)
         score measure  n  pearson  spearman
    0  overall       a  4   0.8000       0.8
    1  overall       b  3   0.9663       1.0
    """
    scores, measures = _frame(index_scores, "index"), _frame(others, "measure")
    z = NormalDist().inv_cdf(0.975)
    rows = []
    for s in scores.columns:
        for m in measures.columns:
            pair = pd.concat([scores[s], measures[m]], axis=1, join="inner").dropna()
            n = len(pair)
            x, y = pair.iloc[:, 0].astype(float), pair.iloc[:, 1].astype(float)
            r = _pearson(x.to_numpy(), y.to_numpy()) if n >= 3 else math.nan
            rho = _spearman(x, y) if n >= 3 else math.nan
            low = high = math.nan
            if n >= 4 and abs(r) < 1:
                half = z / math.sqrt(n - 3)
                low, high = math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half)
            rows.append((s, m, n, r, low, high, rho))
    columns = ["score", "measure", "n", "pearson", "pearson_low", "pearson_high", "spearman"]
    return pd.DataFrame(rows, columns=columns)


def income_share(index: pd.Series, income: pd.Series) -> float:
    """R² of the index on the logarithm of income alone: how much of the index is income.

    Log income because readiness is expected to rise with relative, not absolute,
    income (as in the HDI). For a simple regression R² is the square of the
    Pearson correlation of the index with log income; units missing either
    value are left out.

    Raises
    ------
    UsageError
        An income that is zero or negative (no logarithm), or fewer than 3 units.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> income = pd.Series([1000.0, 2000, 4000, 8000])
    >>> income_share(3 + 2 * np.log(income), income)
    1.0
    >>> round(income_share(pd.Series([1.0, 3, 2, 4]), pd.Series(np.exp([1.0, 2, 3, 4]))), 4)
    0.64
    """
    pair = pd.concat([pd.Series(index, dtype=float), pd.Series(income, dtype=float)], axis=1)
    pair = pair.dropna()
    if (pair.iloc[:, 1] <= 0).any():
        raise UsageError("income must be positive to take its logarithm")
    if len(pair) < 3:
        raise UsageError(f"income share needs at least 3 units with both values ({len(pair)})")
    r = _pearson(pair.iloc[:, 0].to_numpy(), np.log(pair.iloc[:, 1].to_numpy()))
    return round(r * r, 12)


def rank_stability(scores_by_year: pd.DataFrame | Mapping[int, pd.Series]) -> pd.DataFrame:
    """Spearman rank correlation of the scores between adjacent years.

    Parameters
    ----------
    scores_by_year : DataFrame or mapping
        Units in rows and years in columns, or a mapping ``year -> Series``.
        Each pair of adjacent years (in the order of the years given) is
        compared on the units with a score in both.

    Returns
    -------
    DataFrame
        ``year_from``, ``year_to``, ``n`` (common units) and ``spearman``
        (NaN below 3 common units).

    Examples
    --------
    >>> import pandas as pd
    >>> by_year = pd.DataFrame(
    ...     {2014: [1.0, 2, 3, 4], 2015: [1.0, 2, 4, 3], 2016: [4.0, 3, 2, None]},
    ...     index=list("abcd"),
    ... )
    >>> rank_stability(by_year)
       year_from  year_to  n  spearman
    0       2014     2015  4       0.8
    1       2015     2016  3      -1.0
    """
    table = (
        pd.DataFrame(dict(scores_by_year))
        if isinstance(scores_by_year, Mapping)
        else scores_by_year
    )
    years = sorted(table.columns)
    rows = []
    for y0, y1 in itertools.pairwise(years):
        pair = table[[y0, y1]].dropna()
        rho = _spearman(pair[y0], pair[y1]) if len(pair) >= 3 else math.nan
        rows.append((y0, y1, len(pair), rho))
    return pd.DataFrame(rows, columns=["year_from", "year_to", "n", "spearman"])


def scores_by_year(
    wide_by_year: Mapping[int, pd.DataFrame],
    meta: pd.DataFrame,
    spec: Mapping[str, Any],
    *,
    min_coverage: float = 0.65,
    level: str = "overall",
) -> pd.DataFrame:
    """The index of several years on the indicators they all share (units x years).

    A rank correlation between years means something only if both years
    measure the same things: an indicator enters when it covers
    ``min_coverage`` of the units in *every* year given. The indicators used
    are in ``attrs["indicators"]``.

    Parameters
    ----------
    wide_by_year : mapping
        ``year -> unit x indicator`` tables (as :func:`learningcity.indicators.to_wide`).
    meta : DataFrame
        The framework's indicator table.
    spec : mapping
        The index method (:func:`learningcity.index.build_index`).
    min_coverage : float, default 0.65
        Share of units an indicator must cover in each year.
    level : str, default "overall"
        ``"overall"`` for the overall score, or an area code (``"1"`` …).

    Raises
    ------
    UsageError
        No indicator common to all the years.
    """
    from learningcity.index import build_index

    common = None
    for wide in wide_by_year.values():
        covered = set(wide.columns[wide.notna().mean() >= min_coverage])
        common = covered if common is None else common & covered
    kept = [c for c in meta.index if c in (common or set())]
    if not kept:
        raise UsageError(f"no indicator covers {min_coverage:.0%} of units in every year")
    out = {}
    for year, wide in wide_by_year.items():
        levels = build_index(wide[kept], meta.loc[kept], dict(spec)).levels
        out[year] = levels["overall"]["overall"] if level == "overall" else levels["area"][level]
    table = pd.DataFrame(out)
    table.attrs["indicators"] = kept
    return table
