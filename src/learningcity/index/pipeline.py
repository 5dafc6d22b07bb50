"""The whole index: data and indicator metadata in, scores and ranks out.

:func:`build_index` runs these steps, as a method spec says, and returns an
:class:`IndexResult` holding every intermediate table and what is needed to
rebuild it exactly:

==  ==========  ===============================================  ==============
#   step        what it does                                     spec key
==  ==========  ===============================================  ==============
1   denominate  divide indicators by a denominator column        ``denominate``
2   screen      drop units with too little data or too many      ``screen``
                zeros (with forced includes and excludes)
3   impute      fill gaps, flagging every cell filled            ``impute``
4   treat       winsorise or transform outlying indicators       ``treat``
5   normalise   put every indicator on one scale                 ``normalise``
6   weight      weights within each group, at every level        ``weights``
7   aggregate   level by level, bottom to top (focus areas,      ``aggregate``
                then areas, then the overall index by default)
8   results     ranks, coverage, strengths, gaps to targets      ``results``
==  ==========  ===============================================  ==============

Steps 2 and 3 swap when the spec says ``screen: {after: impute}`` (the order
of COINr's example index; the default is ``after: denominate``).  Imputation
then sees every unit, also those screened out afterwards, and screening sees
the imputed table: a gap imputation filled no longer counts against a unit,
only those it leaves (method ``none``, a group with no value for an
indicator, the years before a unit's first value under ``locf``), and zeros,
imputed ones included, under ``by: zeros``.  ``IndexResult.screening`` then
holds the availability of the imputed table.

The levels above the indicators are those the spec names, bottom to top
(``levels``, by default the KFLC's ``[focus_area, area, overall]``): each
level below the top is a column of the indicator metadata, and each of its
codes lies in exactly one code of the level above.  A framework of four
levels, say sub-pillars in pillars, declares ``levels: [sub_pillar, pillar,
overall]``; the result then holds scores, weights and counts for each of
those levels, under their names.

The spec is checked against the indicator metadata before any step runs
(:meth:`IndexSpec.check_structure <learningcity.index.IndexSpec.check_structure>`):
a code of ``weights.levels`` that is not a code of its level in the metadata
is an error naming the spec's file.

A panel (several years) is given as a dict ``{year: wide table}`` or a table
indexed by (``year``, ``unit_code``).  Its years are treated, normalised and
weighted together, so the scale (min-max bounds, transforms, weights) is the
same for every year and scores compare over time; imputation by column works
within a year and ranks are within a year.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from learningcity.index._checks import IndexInputError, as_float_frame
from learningcity.index.aggregate import aggregate, count_indicators
from learningcity.index.denominate import denominate
from learningcity.index.impute import impute
from learningcity.index.normalise import normalise
from learningcity.index.outliers import TRANSFORMS, transform_values, treat
from learningcity.index.result import IndexResult, data_hash
from learningcity.index.results import (
    readiness_levels,
    score_changes,
    series_break_years,
    strengths_weaknesses,
    tidy_scores,
)
from learningcity.index.screen import screen_units
from learningcity.index.spec import LEVELS, TOP_LEVEL, IndexSpec, _level_label
from learningcity.index.targets import gap_to_target
from learningcity.index.weights import compute_weights, effective_weights

__all__ = [  # IndexResult and data_hash re-exported
    "IndexResult",
    "build_index",
    "data_hash",
    "level_structure",
    "lineage",
    "prepare_meta",
]


def prepare_meta(meta: pd.DataFrame, levels: tuple[str, ...] = LEVELS) -> pd.DataFrame:
    """Check indicator metadata and fill the optional columns with defaults.

    ``direction`` defaults to +1 and ``weight`` to 1; goalposts and targets to
    NaN.  Every level of ``levels`` below the top needs a column, with no
    empty cell, and each of its codes must lie in a single code of the level
    above (each focus area in a single area, by default).

    Parameters
    ----------
    meta : DataFrame
        Indicator metadata, indexed by indicator id.
    levels : tuple of str, default ("focus_area", "area", "overall")
        The aggregation levels, bottom to top (:attr:`IndexSpec.levels`).

    Examples
    --------
    >>> m = prepare_meta(pd.DataFrame({"focus_area": ["1.1"], "area": ["1"]}, index=["x"]))
    >>> m.loc["x", ["direction", "weight"]].tolist()
    [1.0, 1.0]
    >>> deep = pd.DataFrame({"sub_pillar": ["S1", "S1"], "pillar": ["P1", "P2"]}, index=["x", "y"])
    >>> prepare_meta(deep, ("sub_pillar", "pillar", "overall"))
    Traceback (most recent call last):
    ...
    learningcity.index._checks.IndexInputError: indicator metadata: sub_pillar 'S1' is placed in more than one pillar (P1, P2)
    """  # noqa: E501
    if not isinstance(meta, pd.DataFrame):
        raise IndexInputError(f"meta: expected a pandas DataFrame, got {type(meta).__name__}")
    groups = [lv for lv in levels if lv != TOP_LEVEL]
    missing = [lv for lv in groups if lv not in meta.columns]
    if missing:
        raise IndexInputError(
            f"indicator metadata: missing column(s) {', '.join(map(repr, missing))} "
            f"(one per level below the top; the levels are {', '.join(levels)})"
        )
    if meta.index.has_duplicates:
        dup = meta.index[meta.index.duplicated()][0]
        raise IndexInputError(f"indicator metadata: indicator {dup!r} is listed twice")
    m = meta.copy()
    m.index = m.index.astype(str)
    for col in groups:
        blank = m[col].isna() | (m[col].astype(str).str.strip() == "")
        if blank.any():
            raise IndexInputError(
                f"indicator metadata: row {blank[blank].index[0]!r}, column {col!r} is empty"
            )
        m[col] = m[col].astype(str)
    defaults = {"direction": 1.0, "weight": 1.0}
    for col in ("goalpost_low", "goalpost_high", "target_2025", "target_2030"):
        defaults[col] = np.nan
    for col, default in defaults.items():
        if col not in m.columns:
            m[col] = default
        num = pd.to_numeric(m[col], errors="coerce")
        bad = num.isna() & m[col].notna()
        if bad.any():
            row = bad[bad].index[0]
            raise IndexInputError(
                f"indicator metadata: row {row!r}, column {col!r}: expected a number, "
                f"got {m.loc[row, col]!r}"
            )
        m[col] = num.astype("float64")
    m["direction"] = m["direction"].fillna(1.0)
    m["weight"] = m["weight"].fillna(1.0)
    bad = ~m["direction"].isin([1.0, -1.0])
    if bad.any():
        row = bad[bad].index[0]
        raise IndexInputError(
            f"indicator metadata: row {row!r}, column 'direction': expected +1 or -1, "
            f"got {m.loc[row, 'direction']!r}"
        )
    if (m["weight"] < 0).any():
        row = m.index[m["weight"] < 0][0]
        raise IndexInputError(f"indicator metadata: row {row!r}, column 'weight' is negative")
    for child, parent in zip(groups, groups[1:], strict=False):
        n_parents = m.groupby(child)[parent].nunique()
        if (n_parents > 1).any():
            code = n_parents[n_parents > 1].index[0]
            raise IndexInputError(
                f"indicator metadata: {_level_label(child)} {code!r} is placed in more than "
                f"one {_level_label(parent)} "
                f"({', '.join(sorted(m.loc[m[child] == code, parent].unique()))})"
            )
    return m


def lineage(meta: pd.DataFrame, levels: tuple[str, ...] = LEVELS) -> pd.DataFrame:
    """Each indicator's code at every level, bottom to top (the top is ``"overall"``).

    Examples
    --------
    >>> m = pd.DataFrame({"focus_area": ["1.1", "2.1"], "area": ["1", "2"]}, index=["a", "b"])
    >>> lineage(m)
      focus_area area  overall
    a        1.1    1  overall
    b        2.1    2  overall
    """
    out = pd.DataFrame({lv: meta[lv] for lv in levels if lv != TOP_LEVEL}, index=meta.index)
    out[TOP_LEVEL] = TOP_LEVEL
    return out


def level_structure(lin: pd.DataFrame, level: str) -> pd.Series:
    """Child -> parent code for the children of ``level`` (indicators at the bottom).

    Children are in order of first appearance in the metadata.

    Examples
    --------
    >>> m = pd.DataFrame({"focus_area": ["1.1", "1.1", "2.1"], "area": ["1", "1", "2"]},
    ...                  index=["a", "b", "c"])
    >>> level_structure(lineage(m), "area").to_dict()
    {'1.1': '1', '2.1': '2'}
    """
    i = list(lin.columns).index(level)
    if i == 0:
        return lin[level]
    below = lin.columns[i - 1]
    if level == TOP_LEVEL:
        return pd.Series(TOP_LEVEL, index=pd.unique(lin[below].to_numpy()))
    return lin.drop_duplicates(below).set_index(below)[level]


def _stack_panel(data: Any) -> tuple[pd.DataFrame, bool]:
    if isinstance(data, Mapping):
        if not data:
            raise IndexInputError("data: the dict of years is empty")
        parts = {}
        for year, frame in data.items():
            try:
                y = int(year)
            except (TypeError, ValueError):
                raise IndexInputError(f"data: year key {year!r} is not a year") from None
            f = as_float_frame(frame, f"data[{year!r}]")
            f.index = f.index.astype(str).rename("unit_code")
            parts[y] = f
        cols = list(dict.fromkeys(c for f in parts.values() for c in f.columns))
        stacked = pd.concat(
            {y: f.reindex(columns=cols) for y, f in parts.items()}, names=["year", "unit_code"]
        )
        return stacked, True
    if not isinstance(data, pd.DataFrame):
        raise IndexInputError(f"data: expected a DataFrame or a dict of years, got {type(data)}")
    names = list(data.index.names)
    if "year" in names:
        if len(names) != 2:
            raise IndexInputError("data: a panel is indexed by exactly (year, unit_code)")
        x = as_float_frame(data, "data")
        unit_name = [n for n in names if n != "year"][0]
        x = x.reorder_levels(["year", unit_name])
        x.index = x.index.set_levels(
            [x.index.levels[0].astype(int), x.index.levels[1].astype(str)]
        ).set_names(["year", "unit_code"])
        return x, True
    x = as_float_frame(data, "data")
    x.index = x.index.astype(str).rename("unit_code")
    return x, False


def _uses_goalposts(spec: IndexSpec, indicator: str) -> bool:
    """True when the spec normalises ``indicator`` with goalposts."""
    over = spec.normalise.individual.get(indicator)
    method = over if isinstance(over, str) else (over or {}).get("method")
    return (method or spec.normalise.method) == "goalposts"


def _groups_frame(groups: Any) -> pd.DataFrame | None:
    if groups is None:
        return None
    if isinstance(groups, pd.Series):
        groups = groups.to_frame(groups.name or "group")
    if not isinstance(groups, pd.DataFrame):
        raise IndexInputError(f"groups: expected a DataFrame or Series, got {type(groups)}")
    g = groups.copy()
    g.index = g.index.astype(str)
    if g.index.has_duplicates:
        raise IndexInputError(f"groups: unit {g.index[g.index.duplicated()][0]!r} is listed twice")
    return g


def build_index(
    data: pd.DataFrame | Mapping[int, pd.DataFrame],
    meta: pd.DataFrame,
    spec: IndexSpec | Mapping | str | os.PathLike | None = None,
    *,
    groups: pd.DataFrame | pd.Series | None = None,
    bands: pd.DataFrame | None = None,
) -> IndexResult:
    """Build the readiness index.

    Parameters
    ----------
    data : DataFrame or dict of DataFrames
        Wide table indexed by ``unit_code``, one column per indicator (extra
        columns may hold denominators or an outcome); a dict ``{year: table}``
        or a (year, unit_code) index makes a panel.
    meta : DataFrame
        Indicator metadata indexed by indicator id (see ``docs/conventions.md``):
        ``focus_area``, ``area``, ``direction``, ``weight``, ``goalpost_low``,
        ``goalpost_high``, ``target_2025``, ``target_2030``.  With other
        levels (``levels`` of the spec) their columns take the place of
        ``focus_area`` and ``area``.  Indicators with no column in ``data`` are
        kept as all-missing (and noted).
    spec : IndexSpec, dict, YAML path or text, optional
        The method (see :mod:`learningcity.index.spec`); defaults otherwise.
    groups : DataFrame or Series, optional
        Indexed by unit code, one column per grouping (region, GNLC member...):
        adds in-group ranks, and feeds group imputation.
    bands : DataFrame, optional
        Readiness bands (``level``, ``lower``, ``upper``) for the overall score.

    Returns
    -------
    IndexResult

    Raises
    ------
    SpecError
        The spec does not fit the metadata (a ``weights.levels`` code that is
        not a code of its level, or a group weighing 0), named by the spec's
        file when it came from one.
    IndexInputError
        A table is not shaped or typed as documented.

    Examples
    --------
    >>> meta = pd.DataFrame({"focus_area": ["1.1", "1.1", "2.1"], "area": ["1", "1", "2"],
    ...                      "direction": [1, -1, 1]}, index=["a", "b", "c"])
    >>> data = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0],
    ...                      "c": [0.0, 5.0, 10.0]}, index=["01", "02", "15"])
    >>> res = build_index(data, meta)
    >>> res.levels["overall"]["overall"].tolist()
    [0.0, 50.0, 100.0]
    """
    s = IndexSpec.coerce(spec)
    m = prepare_meta(meta, s.levels)
    lin = lineage(m, s.levels)
    # Before the data are read: a spec that cannot fit this framework fails fast.
    s.check_structure(m)
    x, panel = _stack_panel(data)
    if x.empty:
        raise IndexInputError("data: the table has no rows (no unit to index)")
    g = _groups_frame(groups)
    notes: list[str] = []
    if s.weights.upper != "manual" and any(s.weights.levels.values()):
        notes.append(
            f"weights.levels not used: the weights above the indicators are "
            f"{s.weights.upper!r} (weights.levels applies with upper: manual)"
        )
    recipe = {"data": data, "meta": meta, "spec": s.to_dict(), "groups": groups, "bands": bands}
    in_hash = data_hash(data, meta, groups, bands)

    # 1. denominate (denominators may be extra columns of the data)
    indicators = list(m.index)
    raw = x.reindex(columns=indicators)
    if s.denominate.by:
        x = denominate(x, s.denominate.by, scale=s.denominate.scale)
    denominated = x.reindex(columns=indicators)
    absent = [i for i in indicators if denominated[i].isna().all()]
    if absent:
        notes.append(f"no data for indicator(s): {', '.join(absent)}")
    used = set(indicators) | set(s.denominate.by.values()) | {s.weights.outcome}
    unused = [str(c) for c in x.columns if c not in used]
    if unused:
        notes.append(f"column(s) not in the indicator metadata, not used: {', '.join(unused)}")

    # 2-3. screen units and impute, in the order of screen.after
    grp = None
    if s.impute.group is not None:
        if g is None or s.impute.group not in g.columns:
            raise IndexInputError(f"impute: group column {s.impute.group!r} not in groups")
        grp = g[s.impute.group]

    def screen_step(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        kept, report = screen_units(
            table,
            s.screen.threshold,
            by=s.screen.by,
            nonzero_threshold=s.screen.nonzero_threshold,
            include=s.screen.include,
            exclude=s.screen.exclude,
        )
        if kept.empty:
            raise IndexInputError("screen: no unit is left (lower the availability threshold?)")
        return kept, report

    def impute_step(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        return impute(
            table,
            s.impute.method,
            groups=grp,
            structure=lin[s.levels[0]],
            n_neighbors=s.impute.n_neighbors,
            random_state=s.impute.random_state,
        )

    if s.screen.after == "impute":
        every, every_flags = impute_step(denominated)
        kept, screening = screen_step(every)
        imputed, flags = kept, every_flags.loc[kept.index]
    else:
        kept, screening = screen_step(denominated)
        imputed, flags = impute_step(kept)
    x_aux = x.loc[kept.index]

    # 4. treat outliers (pooled over the years of a panel)
    individual = dict(s.treat.individual)
    if s.treat.method == "none":
        individual = {i: individual.get(i, "none") for i in indicators}
    treated, treatment, marks = treat(
        imputed,
        winmax=s.treat.winmax,
        skew_max=s.treat.skew_max,
        kurt_max=s.treat.kurt_max,
        transform=s.treat.transform,
        boxcox_lambda=s.treat.boxcox_lambda,
        individual=individual,
    )
    # Goalposts and targets follow their indicator onto the transformed scale.
    gp = m[["goalpost_low", "goalpost_high"]].copy()
    targets = m[s.normalise.target].copy()
    for ind, row in treatment.iterrows():
        if row["treatment"] in TRANSFORMS:
            for col in gp.columns:
                gp.loc[ind, col] = transform_values(
                    gp.loc[ind, col], row["treatment"], row["params"]
                )
            targets[ind] = transform_values(targets[ind], row["treatment"], row["params"])
            after = gp.loc[ind].to_numpy(dtype="float64")
            lost = m.loc[ind, gp.columns].notna().to_numpy() & ~np.isfinite(after)
            if lost.any() and _uses_goalposts(s, ind):
                raise IndexInputError(
                    f"goalposts of {ind!r} fall outside the range of its {row['treatment']} "
                    f"transform; give it treat.individual: {{{ind}: none}} (or 'log')"
                )

    # 5. normalise (pooled over years: one scale for the whole panel)
    n = s.normalise
    normalised = normalise(
        treated,
        n.method,
        directions=m["direction"],
        goalposts=gp,
        targets=targets,
        individual=n.individual,
        low=n.low,
        high=n.high,
        scale=n.scale,
        reference=n.reference,
        cap=n.cap,
        truncate=n.truncate,
    )

    flat = [i for i in indicators if treated[i].notna().any() and normalised[i].isna().all()]
    if flat:
        notes.append(
            f"{n.method}: no score for indicator(s) whose values do not vary across units "
            f"({', '.join(flat)}); goalposts give scores even to a single unit"
        )

    # 6. weights
    outcome = None
    if "outcome" in (s.weights.method, s.weights.upper):
        if s.weights.outcome is None or s.weights.outcome not in x_aux.columns:
            raise IndexInputError(
                f"weights: outcome column {s.weights.outcome!r} is not a column of the data"
            )
        outcome = x_aux[s.weights.outcome]
    w_ind = compute_weights(
        normalised, lin[s.levels[0]], s.weights.method, manual=m["weight"], outcome=outcome
    )
    if w_ind.attrs.get("fallback"):
        notes.append(
            f"{s.weights.method} weights undefined in {', '.join(w_ind.attrs['fallback'])}: "
            "equal weights used there"
        )

    def upper_weights(child_scores: pd.DataFrame, structure: pd.Series, level: str) -> pd.Series:
        if s.weights.upper == "manual":
            return compute_weights(
                None, structure, "manual", manual=s.weights.levels.get(level, {})
            )
        w = compute_weights(child_scores, structure, s.weights.upper, outcome=outcome)
        if w.attrs.get("fallback"):
            notes.append(
                f"{s.weights.upper} weights of {level} scores undefined in "
                f"{', '.join(w.attrs['fallback'])}: equal weights used there"
            )
        return w

    # 7. aggregate level by level, bottom to top; ``counts`` holds, per unit and
    # code, the indicators with a value (and weight > 0) its score rests on.
    counts = {"indicator": (normalised.notna() & (w_ind.reindex(indicators) > 0)).astype("int64")}
    levels = {"indicator": normalised}
    weights = {"indicator": w_ind}
    below = "indicator"
    for level in s.levels:
        structure = level_structure(lin, level)
        if below != "indicator":
            # the weights of a level's codes may be computed from their scores
            weights[below] = upper_weights(levels[below], structure, below)
        a = s.aggregate[level]
        child_counts = None if below == "indicator" else counts[below]
        counts[level] = count_indicators(
            levels[below], structure, weights=weights[below], counts=child_counts
        )
        levels[level] = aggregate(
            levels[below],
            structure,
            weights=weights[below],
            method=a.method,
            p=a.p,
            zero_policy=a.zero_policy,
            shift=a.shift,
            threshold=a.threshold,
            min_indicators=a.min_indicators,
            counts=child_counts,
        )
        below = level
    overall = levels[TOP_LEVEL]

    # 8. results
    # Coverage: the share of each code's indicators observed, not imputed.
    observed = denominated.loc[kept.index].notna().astype("float64")
    coverage = {"indicator": observed}
    for level in s.levels[:-1]:
        coverage[level] = observed.T.groupby(lin[level].to_numpy(), sort=False).mean().T
    coverage[TOP_LEVEL] = observed.mean(axis=1).to_frame(TOP_LEVEL)
    scores = tidy_scores(levels, g, coverage)
    eff = effective_weights(lin, weights)
    # tidy_scores lays each level out row by row: reuse its indicator ranks.
    ind_ranks = scores.loc[scores["level"] == "indicator", "rank"].to_numpy(
        "float64", na_value=np.nan
    )
    strengths = strengths_weaknesses(
        normalised,
        s.results.top_n,
        ranks=pd.DataFrame(
            ind_ranks.reshape(normalised.shape), index=normalised.index, columns=normalised.columns
        ),
    )
    readiness = readiness_levels(overall["overall"], bands) if bands is not None else None
    gaps = gap_to_target(denominated.loc[kept.index], m)
    changes = score_changes(scores, series_break_years(m, s.levels)) if panel else None

    from learningcity import __version__

    return IndexResult(
        scores=scores,
        levels=levels,
        raw=raw,
        denominated=denominated,
        imputed=imputed,
        imputed_flags=flags,
        treated=treated,
        normalised=normalised,
        screening=screening,
        treatment=treatment,
        winsorised=marks,
        weights=weights,
        effective_weights=eff,
        counts=counts,
        strengths=strengths,
        readiness=readiness,
        gaps=gaps,
        changes=changes,
        spec=s.to_dict(),
        data_hash=in_hash,
        version=__version__,
        meta=m,
        notes=notes,
        recipe=recipe,
    )
