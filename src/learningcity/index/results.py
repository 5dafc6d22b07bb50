"""Results: ranks, the tidy score table, strengths, readiness levels, changes.

Ranks count from 1 = best (highest score); tied units share the best rank.  In a
panel (rows indexed by ``year`` and ``unit_code``) units are ranked within each
year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from learningcity.index._checks import IndexInputError, require_columns

__all__ = [
    "rank_scores",
    "readiness_levels",
    "score_changes",
    "series_break_years",
    "strengths_weaknesses",
    "tidy_scores",
]


def _year_key(index: pd.Index):
    return index.get_level_values("year") if "year" in (index.names or []) else None


def rank_scores(scores: pd.DataFrame, by: pd.Series | np.ndarray | None = None) -> pd.DataFrame:
    """Rank units on every column (1 = highest score), within years and groups.

    Parameters
    ----------
    scores : DataFrame
        Rows units (or (year, unit) pairs), columns scores.
    by : array-like, optional
        A group per row: ranks are computed within each group (and year).

    Examples
    --------
    >>> s = pd.DataFrame({"overall": [50.0, 70.0, 50.0]}, index=["01", "02", "15"])
    >>> rank_scores(s)["overall"].tolist()
    [2.0, 1.0, 2.0]
    """
    keys = []
    if (y := _year_key(scores.index)) is not None:
        keys.append(np.asarray(y))
    if by is not None:
        keys.append(np.asarray(by, dtype=object))
    if not keys:
        return scores.rank(method="min", ascending=False)
    return scores.groupby(keys, dropna=True).rank(method="min", ascending=False)


def tidy_scores(
    levels: Mapping[str, pd.DataFrame],
    groups: pd.DataFrame | None = None,
    coverage: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """One long table of scores and ranks for every unit, level and code.

    Parameters
    ----------
    levels : mapping
        Level name -> wide scores (rows units, columns codes), e.g.
        ``{"indicator": ..., "focus_area": ..., "area": ..., "overall": ...}``.
    groups : DataFrame, optional
        Indexed by unit code, one column per grouping; adds a
        ``rank_in_<column>`` per grouping (units without a group get NA).
    coverage : mapping, optional
        Level name -> wide table shaped like its scores, giving the share of
        the unit's indicators under each code that were observed (not
        imputed); adds a ``coverage`` column.

    Examples
    --------
    >>> lv = {"overall": pd.DataFrame({"overall": [40.0, 60.0]},
    ...                               index=pd.Index(["132", "133"], name="unit_code"))}
    >>> tidy_scores(lv)[["unit_code", "level", "code", "score", "rank"]]
      unit_code    level     code  score  rank
    0       132  overall  overall   40.0     2
    1       133  overall  overall   60.0     1
    """
    parts = []
    for level, wide in levels.items():
        n, k = wide.shape
        names = [nm or "unit_code" for nm in wide.index.names]
        cols: dict[str, object] = {
            nm: np.repeat(wide.index.get_level_values(i).to_numpy(), k)
            for i, nm in enumerate(names)
        }
        cols["level"] = np.full(n * k, level, dtype=object)
        cols["code"] = np.tile(wide.columns.to_numpy(dtype=object), n)
        cols["score"] = wide.to_numpy(dtype="float64").ravel()
        cols["rank"] = rank_scores(wide).to_numpy(dtype="float64").ravel()
        if coverage is not None:
            cov = coverage[level].reindex(index=wide.index, columns=wide.columns)
            cols["coverage"] = cov.to_numpy(dtype="float64").ravel()
        if groups is not None:
            unit = wide.index.get_level_values(-1)
            for gcol in groups.columns:
                key = groups[gcol].reindex(unit).to_numpy()
                cols[f"rank_in_{gcol}"] = rank_scores(wide, key).to_numpy("float64").ravel()
        parts.append(pd.DataFrame(cols))
    out = pd.concat(parts, ignore_index=True)
    for col in out.columns:
        if col == "rank" or col.startswith("rank_in_"):
            out[col] = out[col].astype("Int64")
    return out


def strengths_weaknesses(
    indicator_scores: pd.DataFrame, top_n: int = 3, *, ranks: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Each unit's best and worst indicators by its rank among units.

    ``ranks`` may pass ranks already computed by :func:`rank_scores`.

    Returns
    -------
    DataFrame
        Rows ``unit_code`` (and ``year``), ``kind`` ("strength"/"weakness"),
        ``indicator``, ``rank`` and ``score``; missing indicators are skipped.

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0]},
    ...                  index=pd.Index(["132", "133"], name="unit_code"))
    >>> strengths_weaknesses(x, 1)[["unit_code", "kind", "indicator"]]
      unit_code      kind indicator
    0       132  strength         b
    1       132  weakness         a
    2       133  strength         a
    3       133  weakness         b
    """
    if ranks is None:
        ranks = rank_scores(indicator_scores)
    ranks = ranks.to_numpy(dtype="float64")
    scores = indicator_scores.to_numpy(dtype="float64")
    names = [n or "unit_code" for n in indicator_scores.index.names]
    n, k = ranks.shape
    top_n = min(top_n, k)
    cols = indicator_scores.columns.to_numpy(dtype=object)
    # Sort key per cell: rank first, ties broken by indicator name; missing last.
    name_order = np.argsort(np.argsort(cols.astype(str), kind="stable"), kind="stable")
    missing = np.isnan(ranks)
    best_key = np.where(missing, np.inf, ranks * (k + 1) + name_order)
    worst_key = np.where(missing, np.inf, -ranks * (k + 1) + name_order)
    parts = []
    for kind, key in (("strength", best_key), ("weakness", worst_key)):
        pick = np.argsort(key, axis=1, kind="stable")[:, :top_n]
        rows = np.repeat(np.arange(n), top_n)
        flat = pick.ravel()
        part = {
            nm: indicator_scores.index.get_level_values(i).to_numpy()[rows]
            for i, nm in enumerate(names)
        }
        part.update(
            kind=np.full(len(rows), kind, dtype=object),
            indicator=cols[flat],
            rank=ranks[rows, flat],
            score=scores[rows, flat],
            _row=rows,
            _order=np.tile(np.arange(top_n), n) + (0 if kind == "strength" else top_n),
        )
        parts.append(pd.DataFrame(part))
    out = pd.concat(parts, ignore_index=True).dropna(subset=["rank"])
    out = out.sort_values(["_row", "_order"], kind="stable")
    out["rank"] = out["rank"].astype("int64")
    return out[[*names, "kind", "indicator", "rank", "score"]].reset_index(drop=True)


def readiness_levels(overall: pd.Series, bands: pd.DataFrame) -> pd.DataFrame:
    """Readiness level of each unit from its overall score.

    Parameters
    ----------
    overall : Series
        Overall score per unit.
    bands : DataFrame
        Columns ``level`` (name), ``lower`` and ``upper`` (or the framework's
        ``code``, ``min`` and ``max``); a score belongs to
        the band with ``lower <= score < upper`` (the top band includes its
        upper bound).  Bands must not overlap.

    Examples
    --------
    >>> bands = pd.DataFrame({"level": ["emerging", "developing", "advanced"],
    ...                       "lower": [0, 40, 70], "upper": [40, 70, 100]})
    >>> s = pd.Series([39.9, 40.0, 100.0], index=["01", "02", "15"])
    >>> readiness_levels(s, bands)["readiness"].tolist()
    ['emerging', 'developing', 'advanced']
    """
    # The framework's own table names the columns code/min/max: accept both.
    b = bands.rename(columns={"code": "level", "min": "lower", "max": "upper"})
    require_columns(b, ("level", "lower", "upper"), "readiness bands")
    b = b.copy()
    b["lower"] = pd.to_numeric(b["lower"], errors="coerce")
    b["upper"] = pd.to_numeric(b["upper"], errors="coerce")
    for i, row in b.iterrows():
        if not row["lower"] < row["upper"]:
            raise IndexInputError(
                f"readiness bands: row {i!r} ({row['level']!r}): need lower < upper, "
                f"got {row['lower']!r} and {row['upper']!r}"
            )
    b = b.sort_values("lower").reset_index(drop=True)
    for i in range(1, len(b)):
        if b.loc[i, "lower"] < b.loc[i - 1, "upper"]:
            raise IndexInputError(
                f"readiness bands: {b.loc[i - 1, 'level']!r} and {b.loc[i, 'level']!r} overlap"
            )
    v = overall.to_numpy(dtype="float64")
    label = np.full(len(v), None, dtype=object)
    for i, row in b.iterrows():
        top = i == len(b) - 1
        inside = (v >= row["lower"]) & ((v <= row["upper"]) if top else (v < row["upper"]))
        label[inside] = row["level"]
    names = [n or "unit_code" for n in overall.index.names]
    out = overall.rename("score").rename_axis(index=names).reset_index()
    out["readiness"] = label
    return out


def series_break_years(
    meta: pd.DataFrame, levels: Sequence[str] = ("focus_area", "area", "overall")
) -> dict[tuple[str, str], tuple[int, ...]]:
    """The break years under every score: (level, code) -> years, from ``meta.series_breaks``.

    ``series_breaks`` holds an indicator's break years as text ("2010", "2010, 2016"
    or empty): years whose values do not compare with earlier ones. Every score above
    an indicator (each of ``levels``, bottom to top, the last being ``"overall"``)
    inherits the breaks of the indicators under it.

    Examples
    --------
    >>> meta = pd.DataFrame({"focus_area": ["1.1", "1.2"], "area": ["1", "1"],
    ...                      "series_breaks": ["2010", ""]}, index=["p", "q"])
    >>> series_break_years(meta)[("area", "1")], ("focus_area", "1.2") in series_break_years(meta)
    ((2010,), False)
    """
    if "series_breaks" not in meta.columns:
        return {}
    out: dict[tuple[str, str], set[int]] = {}
    for ind, text in meta["series_breaks"].fillna("").astype(str).items():
        years = {int(y) for y in text.replace(";", ",").split(",") if y.strip()}
        if not years:
            continue
        row = meta.loc[ind]
        keys = [("indicator", str(ind))]
        keys += [(lv, "overall" if lv == "overall" else str(row[lv])) for lv in levels]
        for key in keys:
            out.setdefault(key, set()).update(years)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def score_changes(
    scores: pd.DataFrame, breaks: Mapping[tuple[str, str], tuple[int, ...]] | None = None
) -> pd.DataFrame:
    """Score and rank changes of every unit and code between consecutive years.

    A change across a series break (a year ``b`` with ``year_from < b <= year_to``
    in the breaks of the score) is not computed: its values do not compare.

    Parameters
    ----------
    scores : DataFrame
        The tidy table of :func:`tidy_scores` with a ``year`` column.
    breaks : mapping, optional
        (level, code) -> break years, from :func:`series_break_years`.

    Returns
    -------
    DataFrame
        ``unit_code``, ``level``, ``code``, ``year_from``, ``year_to``,
        ``score_change`` and ``rank_change`` (positive = moved up the ranking),
        and ``break_year``: the break between the two years (the changes are
        then missing), else missing.

    Examples
    --------
    >>> t = pd.DataFrame({"year": [2022, 2022, 2023, 2023], "unit_code": ["1", "2", "1", "2"],
    ...                   "level": "overall", "code": "overall",
    ...                   "score": [50.0, 60.0, 70.0, 55.0], "rank": [2, 1, 1, 2]})
    >>> score_changes(t)[["unit_code", "score_change", "rank_change"]]
      unit_code  score_change  rank_change
    0         1          20.0            1
    1         2          -5.0           -1
    >>> score_changes(t, {("overall", "overall"): (2023,)})["score_change"].isna().all()
    np.True_
    """
    if "year" not in scores.columns:
        raise IndexInputError("score changes need a panel (a 'year' column)")
    keys = ["unit_code", "level", "code"]
    s = scores.sort_values([*keys, "year"], kind="stable")
    g = s.groupby(keys, sort=False)
    out = s[keys].copy()
    out["year_from"] = g["year"].shift(1)
    out["year_to"] = s["year"]
    out["score_change"] = s["score"] - g["score"].shift(1)
    out["rank_change"] = g["rank"].shift(1) - s["rank"]
    out = out[out["year_from"].notna()].reset_index(drop=True)
    out["year_from"] = out["year_from"].astype(int)
    out["rank_change"] = out["rank_change"].astype("Int64")
    out["break_year"] = pd.array([pd.NA] * len(out), dtype="Int64")
    for (level, code), years in (breaks or {}).items():
        here = (out["level"] == level) & (out["code"] == code)
        for b in years:
            across = here & (out["year_from"] < b) & (out["year_to"] >= b)
            out.loc[across, "break_year"] = b
    broken = out["break_year"].notna()
    out.loc[broken, "score_change"] = np.nan
    out.loc[broken, "rank_change"] = pd.NA
    return out
