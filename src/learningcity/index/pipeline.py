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
7   aggregate   focus areas, then areas, then the overall index  ``aggregate``
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

The spec is checked against the indicator metadata before any step runs
(:meth:`IndexSpec.check_structure <learningcity.index.IndexSpec.check_structure>`):
a focus-area or area code of ``weights.levels`` that is not in the metadata
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

from learningcity.index._checks import IndexInputError, as_float_frame, require_columns
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
from learningcity.index.spec import IndexSpec
from learningcity.index.targets import gap_to_target
from learningcity.index.weights import compute_weights, effective_weights

__all__ = ["IndexResult", "build_index", "data_hash", "prepare_meta"]  # re-exported

META_REQUIRED = ("focus_area", "area")


def prepare_meta(meta: pd.DataFrame) -> pd.DataFrame:
    """Check indicator metadata and fill the optional columns with defaults.

    ``direction`` defaults to +1 and ``weight`` to 1; goalposts and targets to
    NaN.  Each focus area must belong to a single area.

    Examples
    --------
    >>> m = prepare_meta(pd.DataFrame({"focus_area": ["1.1"], "area": ["1"]}, index=["x"]))
    >>> m.loc["x", ["direction", "weight"]].tolist()
    [1.0, 1.0]
    """
    if not isinstance(meta, pd.DataFrame):
        raise IndexInputError(f"meta: expected a pandas DataFrame, got {type(meta).__name__}")
    require_columns(meta, META_REQUIRED, "indicator metadata")
    if meta.index.has_duplicates:
        dup = meta.index[meta.index.duplicated()][0]
        raise IndexInputError(f"indicator metadata: indicator {dup!r} is listed twice")
    m = meta.copy()
    m.index = m.index.astype(str)
    for col in META_REQUIRED:
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
    areas = m.groupby("focus_area")["area"].nunique()
    if (areas > 1).any():
        fa = areas[areas > 1].index[0]
        raise IndexInputError(
            f"indicator metadata: focus area {fa!r} is placed in more than one area "
            f"({', '.join(sorted(m.loc[m['focus_area'] == fa, 'area'].unique()))})"
        )
    return m


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
        ``goalpost_high``, ``target_2025``, ``target_2030``.  Indicators with no
        column in ``data`` are kept as all-missing (and noted).
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
        not a focus area or area of it, or a group weighing 0), named by the
        spec's file when it came from one.
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
    m = prepare_meta(meta)
    fa_area = m.drop_duplicates("focus_area").set_index("focus_area")["area"]
    # Before the data are read: a spec that cannot fit this framework fails fast.
    s.check_structure(fa_area)
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
            structure=m["focus_area"],
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
        normalised, m["focus_area"], s.weights.method, manual=m["weight"], outcome=outcome
    )
    if w_ind.attrs.get("fallback"):
        notes.append(
            f"{s.weights.method} weights undefined in {', '.join(w_ind.attrs['fallback'])}: "
            "equal weights used there"
        )
    areas = pd.Series("overall", index=pd.unique(fa_area.to_numpy()))

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

    # 7. aggregate level by level; ``counts`` holds, per unit and code, the
    # indicators with a value (and weight > 0) its score rests on.
    counts = {"indicator": (normalised.notna() & (w_ind.reindex(indicators) > 0)).astype("int64")}

    def agg(
        df: pd.DataFrame, structure: pd.Series, w: pd.Series, level: str, below: str
    ) -> pd.DataFrame:
        a = s.aggregate[level]
        child_counts = None if below == "indicator" else counts[below]
        counts[level] = count_indicators(df, structure, weights=w, counts=child_counts)
        return aggregate(
            df,
            structure,
            weights=w,
            method=a.method,
            p=a.p,
            zero_policy=a.zero_policy,
            shift=a.shift,
            threshold=a.threshold,
            min_indicators=a.min_indicators,
            counts=child_counts,
        )

    fa_scores = agg(normalised, m["focus_area"], w_ind, "focus_area", "indicator")
    w_fa = upper_weights(fa_scores, fa_area, "focus_area")
    area_scores = agg(fa_scores, fa_area, w_fa, "area", "focus_area")
    w_area = upper_weights(area_scores, areas, "area")
    overall = agg(area_scores, areas, w_area, "overall", "area")
    levels = {
        "indicator": normalised,
        "focus_area": fa_scores,
        "area": area_scores,
        "overall": overall,
    }

    # 8. results
    # Coverage: the share of each code's indicators observed, not imputed.
    observed = denominated.loc[kept.index].notna().astype("float64")
    fa_cov = observed.T.groupby(m["focus_area"].to_numpy(), sort=False).mean().T
    area_cov = observed.T.groupby(m["area"].to_numpy(), sort=False).mean().T
    coverage = {
        "indicator": observed,
        "focus_area": fa_cov,
        "area": area_cov,
        "overall": observed.mean(axis=1).to_frame("overall"),
    }
    scores = tidy_scores(levels, g, coverage)
    lineage = m[["focus_area", "area"]].copy()
    lineage["overall"] = "overall"
    eff = effective_weights(lineage, {"indicator": w_ind, "focus_area": w_fa, "area": w_area})
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
    changes = score_changes(scores, series_break_years(m)) if panel else None

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
        weights={"indicator": w_ind, "focus_area": w_fa, "area": w_area},
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
