"""Scenario comparison and leave-one-indicator-out.

A *scenario* is a named method spec.  :func:`compare_scenarios` builds the index
once per scenario and sets the scores and ranks side by side, with their
differences to a base scenario; :func:`leave_one_out` rebuilds it once without
each indicator in turn, to show which single indicator a unit's rank rests on.
Both use :func:`learningcity.index.build_index` itself, so every step of the
spec (screening, imputation, treatment...) is applied as in a normal run.

Examples
--------
>>> import pandas as pd
>>> meta = pd.DataFrame({"focus_area": ["1.1", "1.2"], "area": ["1", "1"]}, index=["a", "b"])
>>> data = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 4.0]},
...                     index=["01", "02", "15"])
>>> specs = {"minmax": None, "rank": {"normalise": {"method": "rank"}}}
>>> cmp = compare_scenarios(data, meta, specs)
>>> print(cmp.query("scenario == 'rank'")[["unit_code", "score", "rank", "rank_diff"]]
...       .to_string(index=False))
unit_code  score  rank  rank_diff
       01    2.0     2          0
       02    1.5     3          0
       15    2.5     1          0
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from learningcity.errors import UsageError
from learningcity.i18n import N_, check_lang, translated
from learningcity.index.spec import IndexSpec

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["compare_scenarios", "leave_one_out", "plot_scenarios", "scenario_table"]


def _pick(levels: Mapping[str, pd.DataFrame], level: str, code: str | None) -> pd.Series:
    if level not in levels:
        raise UsageError(f"level: expected one of {', '.join(levels)}, got {level!r}")
    wide = levels[level]
    if code is None:
        if wide.shape[1] != 1:
            raise UsageError(f"level {level!r} has several codes; name one of {list(wide.columns)}")
        code = wide.columns[0]
    if code not in wide.columns:
        raise UsageError(f"code {code!r} is not in level {level!r} (codes: {list(wide.columns)})")
    return wide[code]


def _ranks(score: pd.Series) -> pd.Series:
    return score.rank(method="min", ascending=False).astype("Int64")


def compare_scenarios(
    data: pd.DataFrame,
    meta: pd.DataFrame,
    specs: Mapping[str, Any],
    *,
    base: str | None = None,
    level: str = "overall",
    code: str | None = None,
) -> pd.DataFrame:
    """Scores and ranks of several named specs, with differences to a base.

    Parameters
    ----------
    data, meta
        As for :func:`learningcity.index.build_index` (one year).
    specs : mapping
        Scenario name -> spec (IndexSpec, dict, YAML path or text, or None for
        the defaults).  Each is validated before any is built.
    base : str, optional
        The scenario the others are compared with (default: the first).
    level, code : str
        Which score (default: the overall index).

    Returns
    -------
    DataFrame
        Tidy: ``scenario``, ``unit_code``, ``score``, ``rank`` (1 = best),
        ``score_diff`` and ``rank_diff`` (scenario minus base; a negative
        ``rank_diff`` is a move up).

    Examples
    --------
    >>> import pandas as pd
    >>> meta = pd.DataFrame({"focus_area": ["1.1", "1.2"], "area": ["1", "1"]}, index=["a", "b"])
    >>> data = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 4.0]},
    ...                     index=["01", "02", "15"])
    >>> specs = {"equal": None,
    ...          "a_first": {"weights": {"levels": {"focus_area": {"1.1": 3}}}}}
    >>> cmp = compare_scenarios(data, meta, specs)
    >>> cmp.query("scenario == 'a_first'")["rank_diff"].tolist()
    [1, -1, 0]
    """
    from learningcity.index import IndexSpec, SpecError, build_index

    if not isinstance(specs, Mapping) or not specs:
        raise UsageError("specs: expected a non-empty mapping name -> spec")
    problems, parsed = [], {}
    for name, spec in specs.items():
        try:
            parsed[str(name)] = IndexSpec.coerce(spec)
        except SpecError as exc:
            problems.extend(f"scenario {name!r}: {p}" for p in exc.problems)
    if problems:
        raise SpecError(problems, "scenarios")
    base = str(base) if base is not None else next(iter(parsed))
    if base not in parsed:
        raise UsageError(f"base: {base!r} is not a scenario ({', '.join(parsed)})")
    scores = {}
    for name, spec in parsed.items():
        scores[name] = _pick(build_index(data, meta, spec).levels, level, code)
    ref = scores[base]
    ref_rank = _ranks(ref)
    parts = []
    for name, s in scores.items():
        s = s.reindex(ref.index.union(s.index, sort=False))
        r = _ranks(s)
        parts.append(
            pd.DataFrame(
                {
                    "scenario": name,
                    "unit_code": s.index.astype(str),
                    "score": s.to_numpy(),
                    "rank": r.to_numpy(),
                    "score_diff": (s - ref.reindex(s.index)).to_numpy(),
                    "rank_diff": (r - ref_rank.reindex(s.index)).to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def scenario_table(comparison: pd.DataFrame, value: str = "rank") -> pd.DataFrame:
    """Units as rows, one column per scenario (``value``: score, rank or a diff).

    Examples
    --------
    >>> cmp = pd.DataFrame({"scenario": ["a", "a", "b", "b"], "unit_code": ["01", "02"] * 2,
    ...                     "rank": [1, 2, 2, 1]})
    >>> scenario_table(cmp).to_dict()
    {'a': {'01': 1, '02': 2}, 'b': {'01': 2, '02': 1}}
    """
    if value not in comparison.columns:
        raise UsageError(f"value: expected a column of the comparison, got {value!r}")
    order = list(dict.fromkeys(comparison["scenario"]))
    wide = comparison.pivot(index="unit_code", columns="scenario", values=value)
    return wide[order]


def leave_one_out(
    data: pd.DataFrame,
    meta: pd.DataFrame,
    spec: Any = None,
    *,
    indicators: Sequence[str] | None = None,
    level: str = "overall",
    code: str | None = None,
) -> pd.DataFrame:
    """Scores and ranks with each indicator left out in turn.

    Parameters
    ----------
    data, meta, spec
        As for :func:`learningcity.index.build_index` (one year).
    indicators : sequence of str, optional
        Indicators to leave out one at a time (default: every indicator of
        ``meta`` with at least one value in ``data``).
    level, code : str
        Which score (default: the overall index).

    Returns
    -------
    DataFrame
        Tidy: ``left_out``, ``unit_code``, ``score``, ``rank``,
        ``nominal_score``, ``nominal_rank``, ``rank_change`` (rank minus the
        nominal rank; negative is a move up).  ``attrs["summary"]`` holds the
        mean and largest absolute rank change per indicator left out.

    Examples
    --------
    >>> meta = pd.DataFrame({"focus_area": ["1.1", "1.2"], "area": ["1", "1"]},
    ...                     index=["a", "b"])
    >>> data = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 4.0]},
    ...                     index=["01", "02", "15"])
    >>> loo = leave_one_out(data, meta)
    >>> loo.query("left_out == 'b'")["rank"].tolist()   # ranked on a alone
    [3, 2, 1]
    """
    from learningcity.index import build_index, prepare_meta

    m = prepare_meta(meta, IndexSpec.coerce(spec).levels)
    nominal = _pick(build_index(data, m, spec).levels, level, code)
    nominal_rank = _ranks(nominal)
    if indicators is None:
        indicators = [i for i in m.index if i in data.columns and data[i].notna().any()]
    unknown = [i for i in indicators if i not in m.index]
    if unknown:
        raise UsageError(f"indicators: not in the metadata: {', '.join(unknown)}")
    if len(m) < 2:
        raise UsageError("leave_one_out: needs at least two indicators")
    parts = []
    for ind in indicators:
        keep = m.drop(index=ind)
        reduced = _without_gone_groups(spec, keep)
        s = _pick(build_index(data.drop(columns=[ind]), keep, reduced).levels, level, code)
        s = s.reindex(nominal.index)
        r = _ranks(s)
        parts.append(
            pd.DataFrame(
                {
                    "left_out": ind,
                    "unit_code": nominal.index.astype(str),
                    "score": s.to_numpy(),
                    "rank": r.to_numpy(),
                    "nominal_score": nominal.to_numpy(),
                    "nominal_rank": nominal_rank.to_numpy(),
                    "rank_change": (r - nominal_rank).to_numpy(),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    change = out["rank_change"].astype("float64").abs()
    out.attrs["summary"] = (
        change.groupby(out["left_out"], sort=False)
        .agg(mean_abs_rank_change="mean", max_abs_rank_change="max")
        .sort_values("mean_abs_rank_change", ascending=False)
    )
    return out


def _without_gone_groups(spec: Any, meta: pd.DataFrame) -> IndexSpec:
    """``spec`` without manual weights of groups that leaving an indicator out removed.

    A focus area whose only indicator is left out is no longer in the structure;
    its weight would otherwise be refused as an unknown code.
    """
    spec = IndexSpec.coerce(spec)
    present = {lv: set(meta[lv]) for lv in spec.levels[:-1]}
    levels = {
        level: {c: w for c, w in given.items() if c in present.get(level, {c})}
        for level, given in spec.weights.levels.items()
    }
    if levels == dict(spec.weights.levels):
        return spec
    return dataclasses.replace(spec, weights=dataclasses.replace(spec.weights, levels=levels))


_TEXT = {
    "rank": N_("rank under {s}"),
    "score": N_("score under {s}"),
    "title": N_("{y} against {x}"),
}


def plot_scenarios(
    comparison: pd.DataFrame,
    x: str | None = None,
    y: str | None = None,
    *,
    value: str = "rank",
    lang: str = "en",
    labels: Mapping[str, str] | None = None,
    highlight: Sequence[str] = (),
) -> Figure:
    """Scatter of one scenario against another, with the line of no change.

    Parameters
    ----------
    comparison : DataFrame
        From :func:`compare_scenarios`.
    x, y : str, optional
        Scenarios on the axes (default: the first two).
    value : {"rank", "score"}
    lang : {"en", "vi"}
    labels : mapping, optional
        Unit code -> name, for the highlighted units.
    highlight : sequence of str
        Units marked and named on the plot.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> meta = pd.DataFrame({"focus_area": ["1.1", "1.2"], "area": ["1", "1"]}, index=["a", "b"])
    >>> data = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 4.0]},
    ...                     index=["01", "02", "15"])
    >>> cmp = compare_scenarios(data, meta, {"minmax": None,
    ...                                      "rank": {"normalise": {"method": "rank"}}})
    >>> plot_scenarios(cmp, lang="en").axes[0].get_xlabel()
    'rank under minmax'
    """
    check_lang(lang)
    if value not in ("rank", "score"):
        raise UsageError(f"value: expected 'rank' or 'score', got {value!r}")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(comparison["scenario"]))
    if len(names) < 2 and (x is None or y is None):
        raise UsageError("plot_scenarios: needs two scenarios")
    x = x if x is not None else names[0]
    y = y if y is not None else names[1]
    for s in (x, y):
        if s not in names:
            raise UsageError(f"scenario {s!r} is not in the comparison ({', '.join(names)})")
    wide = scenario_table(comparison, value).astype("float64")
    t = translated(_TEXT, lang)
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    hl = wide.index.isin(list(highlight))
    ax.scatter(wide.loc[~hl, x], wide.loc[~hl, y], s=18, color="#1b9e77", alpha=0.8)
    ax.scatter(wide.loc[hl, x], wide.loc[hl, y], s=40, color="#d95f02", zorder=3)
    for code in wide.index[hl]:
        name = (labels or {}).get(code, code)
        ax.annotate(name, (wide.at[code, x], wide.at[code, y]), xytext=(4, 4),
                    textcoords="offset points", fontsize=8)  # fmt: skip
    lo = np.nanmin(wide[[x, y]].to_numpy())
    hi = np.nanmax(wide[[x, y]].to_numpy())
    ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, ls="--")
    ax.set_xlabel(t[value].format(s=x))
    ax.set_ylabel(t[value].format(s=y))
    ax.set_title(t["title"].format(x=x, y=y))
    if value == "rank":
        ax.invert_xaxis()
        ax.invert_yaxis()
    ax.set_aspect("equal", adjustable="datalim")
    fig.tight_layout()
    return fig
