"""Sensitivity analysis of the readiness ranks: first-order and total Sobol indices.

Which method choice moves the ranks most?  Variance-based (Sobol) indices
answer it: the first-order index ``S1`` of a factor is the share of the output
variance it explains alone, the total index ``ST`` its share including every
interaction.  ``ST`` near 0 means the choice does not matter.

Design and estimators (Saltelli et al. 2010, *Computer Physics Communications*
181: 259–270):

* two independent base matrices ``A`` and ``B`` (``n`` x ``d``) from a scrambled
  Sobol sequence, and for each factor ``i`` the matrix ``AB_i`` = ``A`` with
  column ``i`` from ``B``: ``n (d + 2)`` model runs;
* first order ``S1_i = mean(f(B) (f(AB_i) - f(A))) / V`` (Saltelli 2010);
* total ``ST_i = mean((f(A) - f(AB_i))^2) / (2 V)`` (Jansen 1999);
* ``V`` the variance of ``f(A)`` and ``f(B)`` together, whose mean is taken
  from every output first (centring); intervals are bootstrap percentiles
  over the ``n`` rows.

The outputs are the mean absolute rank shift from the nominal ranks (how much
the whole ranking moves) and the rank of each unit (what drives, say, Nghĩa
Lộ's rank).  A unit whose rank never changes has no variance to share out:
its indices are NaN.

Examples
--------
>>> import numpy as np
>>> x = saltelli_design(2, 1024, seed=0)
>>> y = x[:, 0]                      # the second input has no influence
>>> sobol_indices(y, 2, factors=["x1", "x2"])[["factor", "S1", "ST"]].round(3)
  factor   S1   ST
0     x1  1.0  1.0
1     x2  0.0  0.0
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from learningcity.errors import UsageError
from learningcity.i18n import N_, check_lang, translated
from learningcity.uncertainty import (
    ParameterSpace,
    RankModel,
    SpaceError,
    _quiet,
    evaluate_chunked,
    factor_label,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from learningcity.index import IndexSpec

__all__ = [
    "SensitivityResult",
    "plot_sensitivity",
    "saltelli_design",
    "sensitivity_analysis",
    "sobol_indices",
]

SHIFT = "mean_abs_rank_shift"


def saltelli_design(d: int, n: int, seed: int = 0) -> np.ndarray:
    """Saltelli design on [0, 1)^d: rows ``A``, ``B``, ``AB_1`` … ``AB_d``.

    ``n`` is rounded up to a power of two (the Sobol sequence is balanced
    only then); the design has ``n (d + 2)`` rows.

    Examples
    --------
    >>> x = saltelli_design(3, 100, seed=1)
    >>> x.shape                      # n rounded up to 128
    (640, 3)
    >>> a, b, ab1 = x[:128], x[128:256], x[256:384]
    >>> bool((ab1[:, 0] == b[:, 0]).all() and (ab1[:, 1:] == a[:, 1:]).all())
    True
    """
    from scipy.stats import qmc

    if not isinstance(d, int) or d < 1:
        raise UsageError(f"saltelli_design: d must be a whole number >= 1, got {d!r}")
    if not isinstance(n, int) or n < 2:
        raise UsageError(f"saltelli_design: n must be a whole number >= 2, got {n!r}")
    m = int(np.ceil(np.log2(n)))
    base = qmc.Sobol(2 * d, scramble=True, seed=np.random.default_rng(seed)).random_base2(m)
    a, b = base[:, :d], base[:, d:]
    blocks = [a, b]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    return np.vstack(blocks)


def _estimate(fa: np.ndarray, fb: np.ndarray, fab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """S1 and ST from arrays (..., n, m) -> (..., m); fab has a leading factor axis."""
    both = np.concatenate([fa, fb], axis=-2)
    v = np.var(both, axis=-2)
    # Centring does not change the estimators' expectation but cuts their variance.
    mu = np.mean(both, axis=-2, keepdims=True)
    fa, fb, fab = fa - mu, fb - mu, fab - mu
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(v > 0, v, np.nan)
        s1 = np.mean(fb * (fab - fa), axis=-2) / v
        st = 0.5 * np.mean((fa - fab) ** 2, axis=-2) / v
    return s1, st


def sobol_indices(
    y: np.ndarray,
    d: int,
    *,
    factors: Sequence[str] | None = None,
    outputs: Sequence[str] | None = None,
    n_boot: int = 500,
    conf: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """First-order and total Sobol indices, with bootstrap intervals.

    Parameters
    ----------
    y : ndarray
        Model outputs on the rows of :func:`saltelli_design` (``n (d + 2)``
        values), or a 2-D array with one column per output.
    d : int
        Number of factors.
    factors, outputs : sequence of str, optional
        Names (default ``x1``… and ``y1``…).
    n_boot : int, default 500
        Bootstrap resamples of the ``n`` rows (0 for none).
    conf : float, default 0.95
        Coverage of the intervals.
    seed : int, default 0
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        One row per output and factor: ``output``, ``factor``, ``S1``,
        ``S1_low``, ``S1_high``, ``ST``, ``ST_low``, ``ST_high``.

    Examples
    --------
    >>> x = saltelli_design(2, 512, seed=0)
    >>> y = x[:, 0] + 2 * x[:, 1]          # variances 1/12 and 4/12: shares 0.2 and 0.8
    >>> sobol_indices(y, 2, n_boot=0)[["factor", "S1", "ST"]].round(2)
      factor   S1   ST
    0     x1  0.2  0.2
    1     x2  0.8  0.8
    """
    y = np.asarray(y, dtype="float64")
    if y.ndim == 1:
        y = y[:, None]
    total, n_out = y.shape
    if total % (d + 2) or total < 2 * (d + 2):
        raise UsageError(f"sobol_indices: {total} outputs is not n * (d + 2) for d = {d}")
    if not 0 < conf < 1:
        raise UsageError(f"sobol_indices: conf must be in (0, 1), got {conf!r}")
    n = total // (d + 2)
    factors = list(factors) if factors is not None else [f"x{i + 1}" for i in range(d)]
    outputs = list(outputs) if outputs is not None else [f"y{j + 1}" for j in range(n_out)]
    if len(factors) != d or len(outputs) != n_out:
        raise UsageError("sobol_indices: names do not match the number of factors/outputs")
    fa, fb = y[:n], y[n : 2 * n]
    fab = y[2 * n :].reshape(d, n, n_out)
    s1, st = _estimate(fa, fb, fab)  # (d, m)
    lo_q, hi_q = (1 - conf) / 2, 1 - (1 - conf) / 2
    bounds = {k: np.full((d, n_out), np.nan) for k in ("S1_low", "S1_high", "ST_low", "ST_high")}
    if n_boot:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, n, size=(n_boot, n))
        # Resample in slices of about 6 million values (50 MB a temporary array).
        step = max(1, int(6e6 // max(n * n_out * (d + 2), 1)))
        s1_b, st_b = [], []
        for s in range(0, n_boot, step):
            ii = idx[s : s + step]
            b1, bt = _estimate(fa[ii][:, None], fb[ii][:, None], fab[:, ii].transpose(1, 0, 2, 3))
            s1_b.append(b1)
            st_b.append(bt)
        s1_b, st_b = np.concatenate(s1_b), np.concatenate(st_b)  # (n_boot, d, m)
        with _quiet():
            bounds["S1_low"], bounds["S1_high"] = np.nanquantile(s1_b, [lo_q, hi_q], axis=0)
            bounds["ST_low"], bounds["ST_high"] = np.nanquantile(st_b, [lo_q, hi_q], axis=0)
    return pd.DataFrame(
        {
            "output": np.tile(np.asarray(outputs, dtype=object), d),
            "factor": np.repeat(np.asarray(factors, dtype=object), n_out),
            "S1": s1.ravel(),
            "S1_low": bounds["S1_low"].ravel(),
            "S1_high": bounds["S1_high"].ravel(),
            "ST": st.ravel(),
            "ST_low": bounds["ST_low"].ravel(),
            "ST_high": bounds["ST_high"].ravel(),
        }
    ).sort_values(["output", "factor"], key=_order(outputs, factors), ignore_index=True)


def _order(outputs: list[str], factors: list[str]):
    pos = {
        "output": {o: i for i, o in enumerate(outputs)},
        "factor": {f: i for i, f in enumerate(factors)},
    }

    def key(col: pd.Series) -> pd.Series:
        return col.map(pos[col.name])

    return key


@dataclass
class SensitivityResult:
    """Sobol indices of the rank outputs, and the runs behind them.

    Attributes
    ----------
    indices : DataFrame
        From :func:`sobol_indices`; ``output`` is ``"mean_abs_rank_shift"``
        or a unit code (that unit's rank).
    model : RankModel
    inputs : ndarray
        The Saltelli design (runs x factors).
    outputs : DataFrame
        One column per output, one row per run.
    level, code : str
        The score whose ranks were analysed.
    """

    indices: pd.DataFrame
    model: RankModel
    inputs: np.ndarray
    outputs: pd.DataFrame
    level: str
    code: str

    def table(self, output: str = SHIFT) -> pd.DataFrame:
        """The indices of one output, factors as rows, largest total first."""
        t = self.indices[self.indices["output"] == output]
        if t.empty:
            raise UsageError(f"no output {output!r} (outputs: {', '.join(self.outputs.columns)})")
        return t.drop(columns="output").set_index("factor").sort_values("ST", ascending=False)

    def dominant(self) -> pd.DataFrame:
        """Per output, the factor with the largest total index and its share.

        Outputs whose rank never changes (indices NaN) are left out.
        """
        ind = self.indices.dropna(subset=["ST"])
        top = ind.loc[ind.groupby("output", sort=False)["ST"].idxmax()]
        return top.set_index("output")[["factor", "ST", "ST_low", "ST_high"]]


def sensitivity_analysis(
    data: pd.DataFrame,
    meta: pd.DataFrame,
    space: ParameterSpace | Mapping,
    spec: IndexSpec | Mapping | str | os.PathLike | None = None,
    *,
    n: int = 256,
    seed: int = 0,
    units: Sequence[str] | None = None,
    level: str = "overall",
    code: str | None = None,
    n_boot: int = 500,
    conf: float = 0.95,
    progress: bool | None = None,
    groups: pd.DataFrame | pd.Series | None = None,
) -> SensitivityResult:
    """Sobol indices of every factor of a space on the ranks.

    Parameters
    ----------
    data, meta, spec
        As for :func:`learningcity.uncertainty.uncertainty_analysis`.
    space : ParameterSpace or dict
        At least one factor must vary.
    n : int, default 256
        Base sample size (rounded up to a power of two); the model runs
        ``n (d + 2)`` times for ``d`` factors.
    seed : int, default 0
        Seed of the design, the weight sets and the bootstrap.
    units : sequence of str, optional
        Units whose own rank is analysed (default: every unit).
    level, code : str
        The score whose ranks are analysed (default: the overall index).
    n_boot, conf
        Bootstrap of the intervals (see :func:`sobol_indices`).
    progress : bool, optional
        Progress bar (by default for long runs).
    groups : DataFrame or Series, optional
        Unit groups, as for ``build_index`` (needed by group imputation).

    Returns
    -------
    SensitivityResult

    Examples
    --------
    >>> import pandas as pd
    >>> meta = pd.DataFrame({"focus_area": ["1.1", "1.2"], "area": ["1", "1"]}, index=["a", "b"])
    >>> data = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 4.0]},
    ...                     index=["01", "02", "15"])
    >>> space = {"imputations": ["none", "mean"], "drop": ["b"]}   # no gap: imputation is idle
    >>> res = sensitivity_analysis(data, meta, space, n=64, n_boot=50)
    >>> res.table()[["S1", "ST"]].round(2).to_dict("index")
    {'drop.b': {'S1': 1.0, 'ST': 1.0}, 'imputation': {'S1': 0.0, 'ST': 0.0}}
    """
    if isinstance(space, Mapping) or space is None:
        space = ParameterSpace.from_dict(space)
    rng = np.random.default_rng(seed)
    model = RankModel(data, meta, space, spec, seed=int(rng.integers(2**32)), groups=groups)
    d = len(model.factors)
    if d == 0:
        raise SpaceError(["nothing varies: give at least one choice list, noise or indicator"])
    codes = model.codes.get(level)
    if codes is None:
        raise UsageError(f"level: expected one of {', '.join(model.codes)}, got {level!r}")
    code = code if code is not None else codes[0]
    if code not in codes:
        raise UsageError(f"code {code!r} is not in level {level!r} (codes: {codes})")
    unit_list = list(model.units) if units is None else [str(u) for u in units]
    unknown = [u for u in unit_list if u not in model.units]
    if unknown:
        raise UsageError(f"units: not in the data: {', '.join(unknown)}")
    x = saltelli_design(d, n, seed=int(rng.integers(2**32)))
    _, ranks = evaluate_chunked(model, x, (level,), progress=progress)
    j = codes.index(code)
    r = ranks[level][:, :, j]
    nominal = model.nominal_ranks[level][:, j]
    with _quiet():
        shift = np.nanmean(np.abs(r - nominal), axis=1)
    pos = model.units.get_indexer(unit_list)
    out = pd.DataFrame(r[:, pos], columns=unit_list)
    out.insert(0, SHIFT, shift)
    indices = sobol_indices(
        out.to_numpy(),
        d,
        factors=[f.name for f in model.factors],
        outputs=list(out.columns),
        n_boot=n_boot,
        conf=conf,
        seed=int(rng.integers(2**32)),
    )
    return SensitivityResult(
        indices=indices, model=model, inputs=x, outputs=out, level=level, code=code
    )


_TEXT = {
    "title": N_("What moves the ranks: Sobol indices"),
    "unit": N_("What moves the rank of {unit}: Sobol indices"),
    "S1": N_("first order (alone)"),
    "ST": N_("total (with interactions)"),
    "x": N_("share of the variance"),
}


def plot_sensitivity(
    result: SensitivityResult | pd.DataFrame,
    output: str = SHIFT,
    *,
    lang: str = "en",
    unit_name: str | None = None,
) -> Figure:
    """Bars of the first-order and total indices of each factor, with intervals.

    Parameters
    ----------
    result : SensitivityResult or DataFrame
        A result, or the ``indices`` table.
    output : str
        ``"mean_abs_rank_shift"`` (default) or a unit code.
    lang : {"en", "vi"}
    unit_name : str, optional
        Name shown for a unit output (its code by default).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> meta = pd.DataFrame({"focus_area": ["1.1", "1.2"], "area": ["1", "1"]}, index=["a", "b"])
    >>> data = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 4.0]},
    ...                     index=["01", "02", "15"])
    >>> res = sensitivity_analysis(data, meta, {"weight_noise": 0.5, "drop": ["b"]}, n=32)
    >>> fig = plot_sensitivity(res, lang="vi")
    >>> sorted(t.get_text() for t in fig.axes[0].get_yticklabels())
    ['bỏ chỉ số b', 'trọng số']
    """
    check_lang(lang)
    import matplotlib.pyplot as plt

    ind = result.indices if isinstance(result, SensitivityResult) else result
    t = ind[ind["output"] == output].sort_values("ST")
    if t.empty:
        raise UsageError(f"no output {output!r} in the indices")
    tx = translated(_TEXT, lang)
    y = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.45 * len(t)))
    for k, (col, colour, dy) in enumerate((("S1", "#7570b3", -0.2), ("ST", "#d95f02", 0.2))):
        val = t[col].to_numpy()
        err = np.vstack([val - t[f"{col}_low"].to_numpy(), t[f"{col}_high"].to_numpy() - val])
        err = np.where(np.isnan(err), 0.0, np.clip(err, 0, None))
        ax.barh(y + dy, val, height=0.38, color=colour, label=tx[col], xerr=err, capsize=2)
        del k
    ax.set_yticks(y, [factor_label(f, lang) for f in t["factor"]])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(tx["x"])
    title = tx["title"] if output == SHIFT else tx["unit"].format(unit=unit_name or output)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig
