"""A unit's progress over the years: its goalpost score per year, the change, the outlook.

The framework's goalposts are fixed per indicator, so a unit's goalpost scores of
two years stand on one scale and may be compared (a score among peers would
move when the peers move).  Each year is scored on that year's figures alone:
nothing is carried forward from an earlier year, so a year's coverage (the
indicators with a value) shows what its score rests on.

===========================  ===========================================================
function                     what it gives
===========================  ===========================================================
:func:`unit_progress`        the overall and area scores of each year with data, each
                             with its coverage (indicators with a value / total)
:func:`progress_summary`     per score, between the first and last scored year of each
                             segment: the change and the compound annual rate; a series
                             break splits the years into segments (no change across
                             it) and a change between years of different coverage is
                             flagged
:func:`target_outlook`       per national target: the values, the target and the year
                             the target would be reached at the recent pace (a linear
                             extrapolation), "not at this pace", or "met"
===========================  ===========================================================
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from learningcity.framework import Framework

__all__ = [
    "FIT_YEARS",
    "OUTLOOK_STATUSES",
    "break_reasons",
    "indicator_values",
    "plot_progress",
    "plot_target_outlook",
    "progress_summary",
    "target_outlook",
    "unit_progress",
]

#: The most recent yearly values the outlook's linear fit rests on.
FIT_YEARS = 5

#: What :func:`target_outlook` may say of a target.
OUTLOOK_STATUSES: tuple[str, ...] = (
    "met",  # the latest value meets the target
    "reached",  # the fitted line reaches it (an extrapolation): ``reach_year``
    "not at this pace",  # the trend is flat or moves away from the target
    "too few values",  # one value in the latest segment: no trend to extrapolate
    "no data",
)

_PROGRESS_COLUMNS = [
    "year", "level", "code", "score", "n_indicators", "n_total", "coverage", "indicators",
]  # fmt: skip


def _framework(framework: Framework | None) -> Framework:
    from learningcity.framework import load_framework

    return framework if framework is not None else load_framework()


def indicator_values(
    tidy: pd.DataFrame, code: str, framework: Framework | None = None
) -> pd.DataFrame:
    """The unit's exact figure of each framework indicator in each year.

    Indicators given in ``tidy`` are taken as they are; the others are derived
    from the raw variables of the same year (no input is taken from another
    year).  A bound (``>``, ``<``...) is not a value and is left out.

    Parameters
    ----------
    tidy : DataFrame
        Tidy observations: at least ``unit_code, year, indicator, value``
        (``qualifier`` and the rest of :data:`~learningcity.indicators.TIDY_COLUMNS`
        if present), e.g. :func:`learningcity.data.load_bundled_observations`.
    code : str
        The unit's code.
    framework : Framework, optional
        The shipped framework by default.

    Returns
    -------
    DataFrame
        ``year, indicator, value``, sorted by indicator and year.

    Examples
    --------
    >>> tidy = pd.DataFrame({"unit_code": "9", "year": [2020, 2021, 2021],
    ...                      "indicator": ["literacy_rate", "literacy_rate", "electricity_access"],
    ...                      "value": [80.0, 90.0, 95.0], "qualifier": ["", ">", ""]})
    >>> indicator_values(tidy, "9").values.tolist()
    [[2021, 'electricity_access', 95.0], [2020, 'literacy_rate', 80.0]]
    """
    from learningcity.indicators import TIDY_COLUMNS, derive_indicators
    from learningcity.reports.unitscore import BOUNDS

    fw = _framework(framework)
    ids = set(fw.indicators()["id"])
    rows = tidy[tidy["unit_code"].astype(str) == str(code)].copy()
    for col in TIDY_COLUMNS:
        if col not in rows:
            rows[col] = "" if col != "value" else np.nan
    rows["year"] = rows["year"].astype("int64")
    given = rows[rows["indicator"].isin(ids)]
    raw = rows[~rows["indicator"].isin(ids)]
    frames = [given[TIDY_COLUMNS]]
    if len(raw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            derived = derive_indicators(raw[TIDY_COLUMNS], fw, max_lag=0)
        known = set(zip(given["year"], given["indicator"], strict=True))
        keys = zip(derived["year"], derived["indicator"], strict=True)
        frames.append(derived[[k not in known for k in keys]])
    out = pd.concat([f for f in frames if len(f)] or frames, ignore_index=True)
    qualifier = out["qualifier"].fillna("").astype(str).str.strip()
    out = out[out["value"].notna() & ~qualifier.isin(BOUNDS)]
    out = out[["year", "indicator", "value"]].astype({"year": "int64", "value": float})
    return out.sort_values(["indicator", "year"], kind="stable").reset_index(drop=True)


def unit_progress(
    tidy: pd.DataFrame, code: str, framework: Framework | None = None
) -> pd.DataFrame:
    """The unit's goalpost score in each year with data, overall and per area.

    Each year is scored alone on its own figures (see :func:`indicator_values`)
    with the framework's scoring (:meth:`~learningcity.framework.Framework.scoring`:
    goalposts, and an area with fewer indicators than ``min_indicators`` has no
    score), as a report scores a unit (:mod:`learningcity.reports.unitscore`).

    Parameters
    ----------
    tidy : DataFrame
        Tidy observations (raw variables and/or indicators).
    code : str
        The unit's code.
    framework : Framework, optional
        The shipped framework by default.

    Returns
    -------
    DataFrame
        One row per year with data and score (``level`` ``"overall"``, ``code``
        ``"overall"``; ``level`` ``"area"``, ``code`` the KFLC area): ``year,
        level, code, score`` (NaN when not scored), ``n_indicators`` (with a
        value that year), ``n_total`` (of the framework under the score),
        ``coverage`` (their ratio) and ``indicators`` (the ids with a value,
        comma-separated).  Empty when the unit has no figure.

    Examples
    --------
    Literacy 60 % scores 0 and 80 % scores 50 on the goalposts 60-100;
    electricity access 75 % scores 0 and 100 % scores 100 (goalposts 75-100).
    Literacy is in focus area 1.1 and electricity in 1.3, so area 1 is the mean
    of the two focus areas, and overall the mean of the scored areas (area 1
    only):

    >>> tidy = pd.DataFrame({"unit_code": "9", "year": [2020, 2020, 2022, 2022],
    ...                      "indicator": ["literacy_rate", "electricity_access"] * 2,
    ...                      "value": [60.0, 100.0, 80.0, 100.0]})
    >>> p = unit_progress(tidy, "9")
    >>> p[p["level"] == "overall"][["year", "score", "n_indicators", "n_total"]]
       year  score  n_indicators  n_total
    0  2020   50.0             2       34
    4  2022   75.0             2       34
    """
    from learningcity.index import build_index
    from learningcity.index.spec import scoring_spec

    fw = _framework(framework)
    meta = fw.indicator_table()
    spec = scoring_spec(fw.scoring())
    areas = sorted(meta["area"].unique(), key=_natural)
    totals = meta["area"].value_counts()
    values = indicator_values(tidy, code, fw)
    values = values[values["indicator"].isin(meta.index)]
    rows = []
    for year, group in values.groupby("year", sort=True):
        row = pd.DataFrame([group.set_index("indicator")["value"]], index=[str(code)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = build_index(row, meta.loc[row.columns], spec)
        area_scores = res.levels["area"].iloc[0]
        present = sorted(row.columns)
        overall = float(res.levels["overall"].iloc[0, 0])
        rows.append(_progress_row(int(year), "overall", "overall", overall, present, len(meta)))
        for area in areas:
            mine = [i for i in present if meta.loc[i, "area"] == area]
            score = float(area_scores.get(area, np.nan))
            rows.append(_progress_row(int(year), "area", area, score, mine, int(totals[area])))
    out = pd.DataFrame(rows, columns=_PROGRESS_COLUMNS)
    return out.astype({"year": "int64", "score": float, "n_indicators": "int64",
                       "n_total": "int64", "coverage": float})  # fmt: skip


def _natural(code: str):
    return [int(p) if p.isdigit() else p for p in str(code).split(".")]


def _progress_row(year, level, code, score, present, total) -> dict:
    return {
        "year": year, "level": level, "code": str(code), "score": score,
        "n_indicators": len(present), "n_total": total,
        "coverage": len(present) / total if total else np.nan,
        "indicators": ", ".join(present),
    }  # fmt: skip


def _ids(text: object) -> frozenset[str]:
    return frozenset(filter(None, (s.strip() for s in str(text or "").split(","))))


def _segments(years: Sequence[int], breaks: Sequence[int]) -> list[tuple[int | None, list[int]]]:
    """Split sorted ``years`` at each break ``b`` (``first < b <= last``)."""
    if not len(years):
        return []
    cuts = sorted(b for b in set(breaks) if years[0] < b <= years[-1])
    out, start, bounds = [], None, [*cuts, math.inf]
    for b in bounds:
        part = [y for y in years if (start is None or y >= start) and y < b]
        if part:
            out.append((start, part))
        start = b
    return out


def progress_summary(
    progress: pd.DataFrame,
    framework: Framework | None = None,
    breaks: Mapping[str, Sequence[int]] | None = None,
) -> pd.DataFrame:
    """The change of each score between the first and last scored year of each segment.

    A series break of any indicator under the score (a year ``b`` with
    ``first_year < b <= last_year``, from
    :meth:`~learningcity.framework.Framework.indicator_breaks`) splits the
    scored years into segments: years from ``b`` on do not compare with those
    before, so no change is computed across it.  Within a segment the change
    is ``score_to - score_from`` and the compound annual rate
    ``(score_to / score_from) ** (1 / (year_to - year_from)) - 1`` (in %; NaN
    when ``score_from`` is 0).  When the two years do not rest on the same
    indicators ``same_indicators`` is False: the change then mixes a change of
    coverage with a change of the unit.

    Parameters
    ----------
    progress : DataFrame
        The table of :func:`unit_progress`.
    framework : Framework, optional
        Where the breaks come from (the shipped framework by default).
    breaks : mapping, optional
        Indicator -> break years, instead of the framework's.

    Returns
    -------
    DataFrame
        One row per score and segment with a scored year: ``level, code,
        segment`` (1, 2...), ``break_year`` (the break the segment starts
        at, missing for the first), ``year_from, year_to, n_years`` (scored
        years in it), ``score_from, score_to, change, annual_rate`` (%),
        ``n_from, n_to`` (indicators with a value) and ``same_indicators``.

    Examples
    --------
    Scores 50 (2010), 60 (2011) and 72 (2012): a change of 22 points, a
    compound annual rate of (72/50) ** (1/2) - 1 = 1.2 - 1 = 20 %:

    >>> p = pd.DataFrame({"year": [2010, 2011, 2012], "level": "overall", "code": "overall",
    ...                   "score": [50.0, 60.0, 72.0], "n_indicators": 2,
    ...                   "indicators": "a, b"})
    >>> s = progress_summary(p, breaks={})
    >>> s[["year_from", "year_to", "change", "annual_rate", "same_indicators"]]
       year_from  year_to  change  annual_rate  same_indicators
    0       2010     2012    22.0         20.0             True

    A break of indicator ``b`` in 2011 makes two segments:

    >>> progress_summary(p, breaks={"b": (2011,)})[["segment", "break_year", "year_from",
    ...                                              "year_to", "change"]]
       segment  break_year  year_from  year_to  change
    0        1        <NA>       2010     2010     NaN
    1        2        2011       2011     2012    12.0
    """
    if breaks is None:
        breaks = _framework(framework).indicator_breaks()
    rows = []
    scored = progress[np.isfinite(progress["score"].astype(float))]
    for (level, code), g in scored.groupby(["level", "code"], sort=False):
        g = g.sort_values("year")
        used = frozenset().union(*map(_ids, g["indicators"]))
        years_b = [y for i in used for y in breaks.get(i, ())]
        by_year = g.set_index("year")
        for k, (start, years) in enumerate(_segments(g["year"].tolist(), years_b), 1):
            first, last = by_year.loc[years[0]], by_year.loc[years[-1]]
            s0, s1 = float(first["score"]), float(last["score"])
            n = years[-1] - years[0]
            change = s1 - s0 if n else np.nan
            rate = (s1 / s0) ** (1 / n) - 1 if n and s0 > 0 and s1 >= 0 else np.nan
            rows.append({
                "level": level, "code": code, "segment": k, "break_year": start,
                "year_from": years[0], "year_to": years[-1], "n_years": len(years),
                "score_from": s0, "score_to": s1, "change": change,
                "annual_rate": 100 * rate if np.isfinite(rate) else np.nan,
                "n_from": int(first["n_indicators"]), "n_to": int(last["n_indicators"]),
                "same_indicators": _ids(first["indicators"]) == _ids(last["indicators"]),
            })  # fmt: skip
    cols = ["level", "code", "segment", "break_year", "year_from", "year_to", "n_years",
            "score_from", "score_to", "change", "annual_rate", "n_from", "n_to",
            "same_indicators"]  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    order = [(lv != "overall", _natural(c), k) for lv, c, k in
             zip(out["level"], out["code"], out["segment"], strict=True)]  # fmt: skip
    out = out.iloc[sorted(range(len(out)), key=order.__getitem__)].reset_index(drop=True)
    out["break_year"] = pd.array(out["break_year"].tolist(), dtype="Int64")
    out["change"] = out["change"].astype(float).round(10)
    out["annual_rate"] = out["annual_rate"].astype(float).round(10)
    return out.astype({"segment": "int64", "year_from": "int64", "year_to": "int64",
                       "n_years": "int64", "same_indicators": bool})  # fmt: skip


def break_reasons(framework: Framework | None = None, lang: str = "en") -> dict[int, str]:
    """Why each break year breaks the series: year -> reason(s), in ``lang``.

    Examples
    --------
    >>> break_reasons()[2010][:30]
    'from 2010 the rates follow the'
    """
    b = _framework(framework).series_breaks(lang)
    return {int(y): "; ".join(dict.fromkeys(g["reason"])) for y, g in b.groupby("year")}


def _reach(years: np.ndarray, values: np.ndarray, target: float, direction: int):
    """Slope of the line through the values, and the year it reaches ``target`` (or None)."""
    x = years - years[-1]
    slope, intercept = np.polyfit(x, values, 1)
    if not np.isfinite(slope) or slope * direction <= 1e-12:
        return float(slope), None
    at = round((target - intercept) / slope, 6)  # years after the last one
    return float(slope), max(int(years[-1]) + math.ceil(at), int(years[-1]) + 1)


def target_outlook(
    tidy: pd.DataFrame,
    code: str,
    framework: Framework | None = None,
    targets: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """When the unit would reach each national target at its recent pace.

    For each target (:meth:`~learningcity.framework.Framework.targets`) the
    unit's values of the indicator by year; a target is ``"met"`` when the
    latest value meets it (at or above it, or at or below for an indicator
    where less is better).  Otherwise a line is fitted to the last values (up
    to :data:`FIT_YEARS`) of the latest segment of the series (after its last
    break), and the first whole year the line reaches the target is
    ``reach_year`` (``"reached"``: an extrapolation, not a forecast); a flat
    line or one moving away from the target is ``"not at this pace"``, and a
    single value gives no trend (``"too few values"``).

    Parameters
    ----------
    tidy : DataFrame
        Tidy observations (raw variables and/or indicators).
    code : str
        The unit's code.
    framework : Framework, optional
        The shipped framework by default (directions, breaks and targets).
    targets : DataFrame, optional
        ``indicator, year, value`` instead of the framework's targets.

    Returns
    -------
    DataFrame
        One row per target: ``indicator, target_year, target, direction,
        values`` (a dict year -> value), ``last_year, last_value, status``
        (one of :data:`OUTLOOK_STATUSES`), ``fit_from, fit_to, n_fit, slope``
        (per year), ``reach_year`` and ``on_time`` (reached by the target's
        year; missing unless ``reached`` or ``met``).

    Examples
    --------
    Learning families 40, 45 and 50 % in 2020-2022 rise 5 points a year; the
    target 70 is 20 points away, 4 years at that pace: 2026.

    >>> tidy = pd.DataFrame({"unit_code": "9", "year": [2020, 2021, 2022],
    ...                      "indicator": "learning_families", "value": [40.0, 45.0, 50.0]})
    >>> t = pd.DataFrame({"indicator": ["learning_families"], "year": [2030], "value": [70.0]})
    >>> o = target_outlook(tidy, "9", targets=t)
    >>> o[["status", "reach_year", "on_time", "n_fit", "slope"]]
        status  reach_year  on_time  n_fit  slope
    0  reached        2026     True      3    5.0
    """
    fw = _framework(framework)
    meta = fw.indicator_table()
    targets = fw.targets() if targets is None else targets
    breaks = fw.indicator_breaks()
    values = indicator_values(tidy, code, fw)
    rows = []
    for t in targets.itertuples(index=False):
        ind = str(t.indicator)
        direction = int(meta.loc[ind, "direction"]) if ind in meta.index else 1
        series = values[values["indicator"] == ind].set_index("year")["value"].sort_index()
        row = {
            "indicator": ind, "target_year": int(t.year), "target": float(t.value),
            "direction": direction, "values": {int(y): float(v) for y, v in series.items()},
            "last_year": pd.NA, "last_value": np.nan, "status": "no data", "fit_from": pd.NA,
            "fit_to": pd.NA, "n_fit": 0, "slope": np.nan, "reach_year": pd.NA, "on_time": pd.NA,
        }  # fmt: skip
        rows.append(row)
        if series.empty:
            continue
        last_year, last = int(series.index[-1]), float(series.iloc[-1])
        row.update(last_year=last_year, last_value=last)
        if (last - float(t.value)) * direction >= 0:
            row.update(status="met", reach_year=last_year, on_time=last_year <= int(t.year))
            continue
        latest = [b for b in breaks.get(ind, ()) if b <= last_year]
        recent = series[series.index >= max(latest)] if latest else series
        recent = recent.iloc[-FIT_YEARS:]
        row.update(n_fit=len(recent), fit_from=int(recent.index[0]), fit_to=last_year)
        if len(recent) < 2:
            row["status"] = "too few values"
            continue
        years = recent.index.to_numpy(dtype=float)
        slope, reach = _reach(years, recent.to_numpy(dtype=float), float(t.value), direction)
        row["slope"] = round(slope, 10)
        if reach is None:
            row["status"] = "not at this pace"
        else:
            row.update(status="reached", reach_year=reach, on_time=reach <= int(t.year))
    cols = ["indicator", "target_year", "target", "direction", "values", "last_year",
            "last_value", "status", "fit_from", "fit_to", "n_fit", "slope", "reach_year",
            "on_time"]  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    for col in ("last_year", "fit_from", "fit_to", "reach_year"):
        out[col] = pd.array(out[col].tolist(), dtype="Int64")
    out["on_time"] = pd.array(out["on_time"].tolist(), dtype="boolean")
    return out.astype({"target_year": "int64", "target": float, "direction": "int64",
                       "last_value": float, "n_fit": "int64", "slope": float})  # fmt: skip


def plot_progress(
    progress: pd.DataFrame,
    summary: pd.DataFrame,
    reasons: Mapping[int, str] | None = None,
    *,
    title: str = "",
    ylabel: str = "Score (0-100)",
    segment_label: str = "{first}-{last}",
    ax=None,
):
    """The overall score per year: one line per segment, a dashed line at each break.

    A year without an overall score is a gap in its line; a break is marked by
    a vertical dashed line at its year, labelled with its reason.

    Parameters
    ----------
    progress, summary : DataFrame
        The tables of :func:`unit_progress` and :func:`progress_summary`.
    reasons : mapping, optional
        Break year -> reason (:func:`break_reasons`).
    title, ylabel, segment_label : str
        Texts of the figure (``segment_label`` with ``{first}`` and ``{last}``).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Figure

    Examples
    --------
    >>> p = pd.DataFrame({"year": [2010, 2011, 2013], "level": "overall", "code": "overall",
    ...                   "score": [50.0, 60.0, 72.0], "n_indicators": 2, "indicators": "a"})
    >>> fig = plot_progress(p, progress_summary(p, breaks={"a": (2011,)}), {2011: "new"})
    >>> [len(line.get_xdata()) for line in fig.axes[0].get_lines()]
    [1, 3, 2]
    """
    import textwrap

    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.2), layout="constrained")
    else:
        fig = ax.figure
    overall = progress[progress["level"] == "overall"].set_index("year")["score"]
    segs = summary[summary["level"] == "overall"].sort_values("segment")
    for seg in segs.itertuples():
        years = range(int(seg.year_from), int(seg.year_to) + 1)
        line = overall.reindex(years)  # a year with no score is a gap
        ax.plot(list(years), line.to_numpy(dtype=float), marker="o", markersize=4,
                label=segment_label.format(first=seg.year_from, last=seg.year_to))  # fmt: skip
    top = 100.0
    for seg in segs.itertuples():
        if pd.isna(seg.break_year):
            continue
        b = int(seg.break_year)
        ax.axvline(b - 0.5, color="0.3", linestyle="--", linewidth=1)
        reason = textwrap.shorten(str((reasons or {}).get(b, b)), 90, placeholder=" …")
        ax.text(b - 0.4, top - 2, "\n".join(textwrap.wrap(reason, 30)), fontsize=7,
                va="top", ha="left", color="0.25")  # fmt: skip
    ax.set_ylim(0, top)
    ax.set_ylabel(ylabel)
    ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        ax.set_title(title)
    if len(segs):
        ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return fig


def plot_target_outlook(
    outlook: pd.DataFrame,
    names: Mapping[str, str] | None = None,
    *,
    axes=None,
    target_label: str = "target {year}: {value:g}",
    extrapolation_label: str = "extrapolation",
):
    """Each targeted indicator's values by year against its target line(s).

    One panel per indicator with values: the values by year, a dashed line at each
    national target (to its year), and, where the target would be reached at the
    recent pace, a dotted line from the fitted trend to that year (an
    extrapolation, labelled so).

    Parameters
    ----------
    outlook : DataFrame
        From :func:`target_outlook`.
    names : mapping, optional
        Indicator id -> the name shown as the panel's title.
    axes : sequence of matplotlib Axes, optional
        Where to draw, one per indicator with values (a new figure by default).
    target_label, extrapolation_label : str
        Texts of the legend (``target_label`` with ``{year}`` and ``{value}``).

    Returns
    -------
    matplotlib Figure or None
        None when no targeted indicator has a value.

    Examples
    --------
    >>> tidy = pd.DataFrame({"unit_code": "9", "year": [2020, 2021, 2022],
    ...                      "indicator": "learning_families", "value": [40.0, 45.0, 50.0]})
    >>> t = pd.DataFrame({"indicator": ["learning_families"], "year": [2030], "value": [70.0]})
    >>> fig = plot_target_outlook(target_outlook(tidy, "9", targets=t))
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['learning_families', 'target 2030: 70', 'extrapolation']
    """
    import textwrap

    import matplotlib.pyplot as plt

    shown = outlook[outlook["values"].map(len) > 0]
    indicators = list(dict.fromkeys(shown["indicator"]))
    if not indicators:
        return None
    if axes is None:
        cols = min(3, len(indicators))
        rows = -(-len(indicators) // cols)
        fig, grid = plt.subplots(
            rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False, layout="constrained"
        )
        axes = list(grid.flat)
        for ax in axes[len(indicators) :]:
            ax.set_visible(False)
    else:
        axes = list(axes)
    for ind, ax in zip(indicators, axes, strict=False):
        rows_i = shown[shown["indicator"] == ind].sort_values("target_year")
        values = pd.Series(rows_i["values"].iloc[0]).sort_index()
        ax.plot(values.index, values.to_numpy(dtype=float), marker="o", markersize=4,
                color="#1f4e79", label=ind)  # fmt: skip
        first = int(values.index.min())
        for r in rows_i.itertuples():
            label = target_label.format(year=r.target_year, value=r.target)
            ax.plot([first, r.target_year], [r.target, r.target], linestyle="--",
                    color="#b30000", linewidth=1, label=label)  # fmt: skip
        reached = rows_i[rows_i["status"] == "reached"]
        if len(reached):
            # the fitted line from the last fitted year to the (first) year of reaching
            r = reached.iloc[0]
            start = float(r["last_value"])
            ax.plot([int(r["fit_to"]), int(r["reach_year"])], [start, float(r["target"])],
                    linestyle=":", color="#1f4e79", label=extrapolation_label)  # fmt: skip
        ax.set_title(textwrap.shorten(str((names or {}).get(ind, ind)), 60, placeholder=" …"),
                     fontsize=8)  # fmt: skip
        ax.tick_params(labelsize=7)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=6, loc="best")
        ax.grid(alpha=0.3)
    return axes[0].get_figure(root=True)
