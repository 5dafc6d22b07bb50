"""The readiness score of one unit on the framework's goalposts, with its interval.

A province is scored among the compared provinces (:mod:`.context`).  A city,
district or commune has no peers with the same figures, so it is scored on
its own: the framework's goalposts put every indicator on an absolute 0–100
scale (as UNDP does for the HDI), which needs no distribution of other units,
and the scores of a city and of the provinces then stand on one scale.

=====================  ==============================================================
step                   what it gives
=====================  ==============================================================
values                 the unit's latest exact figure of each indicator up to the
                       report's year (published, carried or collected locally); a bound
                       (``>``, ``<``, from a partial member) is not a value to score
score                  the method of the reports (:func:`.context.default_spec`) on
                       the unit alone: indicator, focus-area, area and overall scores;
                       an area with fewer indicators than the framework's threshold
                       (``scoring.min_indicators``) has no score
interval               the 5–95 % range of the unit's score over the method variants
                       of the run's space, among the compared provinces (min-max and
                       percentile ranks need them); imputation is not varied, as it
                       would fill the unit's gaps from provinces
place                  the unit scored on the indicators the provinces are compared
                       on, and where that score would stand among theirs
=====================  ==============================================================
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from learningcity.errors import UsageError

__all__ = ["BOUNDS", "UnitScore", "cached_score", "score_unit", "unit_values"]

#: Qualifiers that make a figure a bound, not a value: it does not enter a score.
BOUNDS: tuple[str, ...] = (">", "<", ">=", "<=", "≥", "≤")


@dataclass(frozen=True)
class UnitScore:
    """One unit's score on the goalposts (see the module docstring).

    Attributes
    ----------
    code : str
        The unit's code (a city's id).
    values : DataFrame
        One row per framework indicator with a figure: ``indicator, year, value,
        qualifier, provenance, publisher, goalpost_low, goalpost_high, score``
        (``score`` 0–100, NaN for a bound) and ``used`` (whether it entered).
    bounds : list of str
        Indicators whose only figure is a bound (left out of the score).
    scores : dict
        Level -> Series of the unit's scores by code (``focus_area``, ``area``),
        and ``overall`` a float (NaN when no area is scored).
    counts : Series
        Area code -> number of indicators with a value under it.
    readiness : str or None
        The band code of the overall score.
    interval : tuple of float or None
        The 5–95 % range of the overall score over the method variants.
    area_intervals : DataFrame
        ``score_low, score_high`` by area code.
    place : dict or None
        The unit on the provinces' indicators: ``score``, ``rank`` (among the
        compared provinces and the unit), ``n`` (provinces), ``k`` (shared
        indicators with a value), ``K`` (indicators of the province index).
    """

    code: str
    values: pd.DataFrame
    bounds: list[str]
    scores: dict[str, Any]
    counts: pd.Series
    readiness: str | None
    interval: tuple[float, float] | None
    area_intervals: pd.DataFrame
    place: dict[str, Any] | None
    min_indicators: int

    @property
    def overall(self) -> float:
        """The overall score (NaN when there is none)."""
        return float(self.scores["overall"])

    @property
    def has_score(self) -> bool:
        """Whether the unit has an overall score."""
        return bool(np.isfinite(self.overall))

    @property
    def n_indicators(self) -> int:
        """Indicators the overall score rests on (those of the scored areas)."""
        scored = self.scores["area"].dropna().index
        return int(self.counts.reindex(scored).fillna(0).sum())

    @property
    def years(self) -> tuple[int, int] | None:
        """First and last year of the figures the score rests on."""
        used = self.values[self.values["used"]]
        if not len(used):
            return None
        return int(used["year"].min()), int(used["year"].max())

    @property
    def n_local(self) -> int:
        """How many of the figures used were collected locally (``--data``)."""
        used = self.values[self.values["used"]]
        return int((used.get("provenance", pd.Series(dtype=str)) == "local").sum())


def unit_values(rows: pd.DataFrame, meta: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The figures of a unit that can be scored, and the indicators known only as bounds.

    Of each framework indicator the latest exact figure is scored, even when a
    newer figure is only a bound (a partial member makes a carried count "above
    847,245": no value to score); an indicator with bounds alone is listed.

    Parameters
    ----------
    rows : DataFrame
        The unit's figures up to the report's year: at least ``indicator, year,
        value, qualifier`` (the tidy table of ``ReportContext``).
    meta : DataFrame
        Framework indicator metadata (``indicator_table()``).

    Returns
    -------
    values : DataFrame
        One row per framework indicator with a figure: the latest exact one
        (``used`` True), or for a bound-only indicator its latest bound (``used`` False).
    bounds : list of str
        Indicators known only as bounds.

    Examples
    --------
    >>> meta = pd.DataFrame(index=pd.Index(["a", "b"], name="indicator"))
    >>> rows = pd.DataFrame({"indicator": ["a", "a", "b", "population"],
    ...                      "year": [2020, 2025, 2025, 2025], "value": [50.0, 60.0, 7.0, 9e4],
    ...                      "qualifier": ["", ">", ">", ""]})
    >>> values, bounds = unit_values(rows, meta)
    >>> values[["indicator", "year", "used"]].values.tolist(), bounds
    ([['a', 2020, True], ['b', 2025, False]], ['b'])
    """
    rows = rows[rows["indicator"].isin(meta.index) & rows["value"].notna()].copy()
    qualifier = rows["qualifier"].fillna("").astype(str).str.strip()
    rows["used"] = ~qualifier.isin(BOUNDS)
    exact = rows[rows["used"]].sort_values("year", kind="stable")
    exact = exact.groupby("indicator", sort=False).tail(1)
    only = rows[~rows["indicator"].isin(set(exact["indicator"]))].sort_values("year", kind="stable")
    only = only.groupby("indicator", sort=False).tail(1)
    out = pd.concat([exact, only]).sort_values("indicator", kind="stable")
    return out.reset_index(drop=True), sorted(only["indicator"])


def _row(values: pd.DataFrame, code: str) -> pd.DataFrame:
    used = values[values["used"]]
    return pd.DataFrame([used.set_index("indicator")["value"].astype(float)], index=[code])


def _scores(row: pd.DataFrame, meta: pd.DataFrame, spec: dict[str, Any], bands=None):
    from learningcity.index import build_index

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_index(row, meta.loc[row.columns], spec, bands=bands)


def score_unit(ctx, code: str) -> UnitScore:
    """Score one unit of the report alone, on the goalposts (see the module docstring).

    Parameters
    ----------
    ctx : ReportContext
        The run's shared context (its comparison gives the provinces the
        interval and the place are computed among).
    code : str
        The unit (a province, district, commune or city of ``ctx.units``).

    Returns
    -------
    UnitScore

    Examples
    --------
    >>> from learningcity.reports.context import build_context
    >>> ctx = build_context(2026, n_replications=20)  # doctest: +SKIP
    >>> score_unit(ctx, "nghia-lo").has_score  # doctest: +SKIP
    False
    """
    from learningcity.indicators import to_wide

    meta = ctx.meta
    spec = ctx.spec
    min_area = int(((spec.get("aggregate") or {}).get("area") or {}).get("min_indicators", 0))
    tidy = ctx.tidy
    values, bounds = unit_values(tidy[(tidy["unit_code"] == code) & (tidy["year"] <= ctx.year)],
                                 meta)  # fmt: skip
    values = values.join(meta[["goalpost_low", "goalpost_high"]], on="indicator")
    row = _row(values, code)
    empty_levels = {"focus_area": pd.Series(dtype=float), "area": pd.Series(dtype=float),
                    "overall": np.nan}  # fmt: skip
    if row.shape[1] == 0:
        values["score"] = np.nan
        no_iv = pd.DataFrame(columns=["score_low", "score_high"])
        return UnitScore(code, values, bounds, empty_levels, pd.Series(dtype=int), None, None,
                         no_iv, None, min_area)  # fmt: skip
    res = _scores(row, meta, spec, bands=ctx.bands[["level", "lower", "upper"]])
    normalised = res.levels["indicator"].iloc[0]
    values["score"] = values["indicator"].map(normalised).where(values["used"])
    scores = {
        "focus_area": res.levels["focus_area"].iloc[0],
        "area": res.levels["area"].iloc[0],
        "overall": float(res.levels["overall"].iloc[0, 0]),
    }
    counts = res.n_indicators("area").iloc[0].astype(int)
    readiness = None
    if np.isfinite(scores["overall"]):
        readiness = str(res.readiness.set_index("unit_code").loc[code, "readiness"])

    # The provinces of the comparison, on the unit's indicators, for the variants.
    provinces = ctx.compared_tidy
    provinces = provinces[provinces["level"] == "province"] if provinces is not None else None
    peers = pd.DataFrame(columns=row.columns, dtype=float)
    if provinces is not None and len(provinces):
        peers = to_wide(provinces, ctx.index_year, row.columns)
        peers = peers[peers.index.isin(set(ctx.compared["code"]))]
    interval, area_iv = None, pd.DataFrame(columns=["score_low", "score_high"])
    if np.isfinite(scores["overall"]):
        interval, area_iv = _interval(ctx, row, peers, meta, spec, code)
    place = _place(ctx, row, meta, spec, code)
    return UnitScore(code, values, bounds, scores, counts, readiness, interval, area_iv, place,
                     min_area)  # fmt: skip


def _interval(ctx, row, peers, meta, spec, code):
    from learningcity import uncertainty as ua

    # The unit's row under a label no province has (a re-used code: "15" of 2016 is Yên Bái).
    label = code if code not in peers.index else f"{code} (this report)"
    table = pd.concat([peers, row.set_axis([label])])
    cols = list(row.columns)
    m = meta.loc[cols]
    space = dict(ctx.space)
    space.pop("imputations", None)  # a city's gaps are never filled from provinces
    # As for the provinces: indicators sharing a focus area may be left out, when the
    # space gives a probability; never all of them at once (nothing would be scored).
    shared = m["focus_area"].map(m["focus_area"].value_counts()) > 1
    drop = tuple(m.index[shared]) if "drop_probability" in space else ()
    space["drop"] = drop if len(drop) < len(cols) else drop[:-1]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mc = ua.uncertainty_analysis(
                table, m, ua.ParameterSpace(**space), spec, n=ctx.n_replications, seed=ctx.seed
            )
    except UsageError:  # a space that does not fit the city's few figures: no interval
        return None, pd.DataFrame(columns=["score_low", "score_high"])
    s = mc.summary()
    s = s[s["unit_code"] == label]
    overall = s[s["level"] == "overall"].iloc[0]
    interval = (float(overall["score_low"]), float(overall["score_high"]))
    areas = s[s["level"] == "area"].set_index("code")[["score_low", "score_high"]]
    return interval, areas


def _place(ctx, row, meta, spec, code) -> dict[str, Any] | None:
    """The unit on the provinces' indicators, ranked among their scores."""
    kept = [c for c in ctx.kept if c in row.columns and row[c].notna().iloc[0]]
    if not kept:
        return None
    res = _scores(row[kept], meta, spec)
    score = float(res.levels["overall"].iloc[0, 0])
    if not np.isfinite(score):
        return None
    theirs = ctx.index.levels["overall"].iloc[:, 0].dropna()
    rank = 1 + int((theirs > score).sum())
    return {"score": score, "rank": rank, "n": len(theirs), "k": len(kept), "K": len(ctx.kept)}


def cached_score(ctx, code: str) -> UnitScore:
    """:func:`score_unit`, computed once per unit and comparison of a context."""
    cache = ctx.unit_scores
    key = (code, ctx.compare)
    if key not in cache:
        cache[key] = score_unit(ctx, code)
    return cache[key]
