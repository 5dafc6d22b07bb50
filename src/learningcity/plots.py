"""Figures: choropleth maps, one map per KFLC area, and a unit's focus-area profile.

Maps classify values with mapclassify (quantiles, natural breaks, equal
intervals, user-defined bins) or with the framework's readiness bands, colour
the classes with a colour-blind-safe palette (cividis by default), and draw
units without data in hatched grey, labelled "Không có số liệu" / "No data".
Titles and legends come in Vietnamese or English; the boundary attribution
(e.g. geoBoundaries, CC BY-SA 4.0) and the data year go in the corner.

When the frame holds points (administrative centres, because no boundaries
were available; see :func:`learningcity.geo.map_units`), the map draws
proportional symbols and says so on the figure.

Every function returns the matplotlib objects it drew on, so tests and
notebooks can inspect artists, labels and colours.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from learningcity.errors import UsageError
from learningcity.i18n import N_, check_lang, translated
from learningcity.numbers import format_number

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "MISSING_COLOUR",
    "MISSING_HATCH",
    "OKABE_ITO",
    "SCHEMES",
    "choropleth",
    "classify",
    "column_label",
    "profile",
    "small_multiples",
    "wide_scores",
]

Lang = Literal["vi", "en"]
_CODE_RE = re.compile(r"^\d+(\.\d+)*$")
SCHEMES = ("quantiles", "natural_breaks", "equal_interval", "user_defined", "bands", "categorical")
#: Okabe & Ito (2008) qualitative palette, distinguishable with colour-vision deficiency;
#: used for categories such as cluster labels.
OKABE_ITO = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#000000",
)
MISSING_COLOUR = "#d9d9d9"
_JENKS_EXACT_MAX = 500  # above this many values natural breaks are found on quantiles
MISSING_HATCH = "///"

_TEXT = {
    "no_data": N_("No data"),
    "fallback": N_(
        "No boundaries available: proportional symbols at administrative centres (symbol "
        "area follows the value)"
    ),
    "year": N_("Data year"),
    "median": N_("Comparison group median"),
    "iqr": N_("Group interquartile range"),
    "score": N_("Score"),
}


def _lang(lang: str) -> dict[str, str]:
    return translated(_TEXT, check_lang(lang))


def _fmt(x: float, lang: str) -> str:
    return format_number(float(x), lang, decimals=1 if abs(x) < 1000 else 0)


# --------------------------------------------------------------------------- classes


def classify(
    values: pd.Series,
    scheme: str = "quantiles",
    k: int = 5,
    *,
    bins: Sequence[float] | None = None,
    bands: pd.DataFrame | None = None,
    lang: Lang = "vi",
) -> tuple[pd.Series, list[str]]:
    """Put each value in a class; name the classes for a legend.

    Parameters
    ----------
    values : Series
        Numbers; NaN stays unclassified.
    scheme : str
        One of :data:`SCHEMES`: "quantiles", "natural_breaks", "equal_interval",
        "user_defined", "bands" or "categorical".
        ``natural_breaks`` is Fisher–Jenks (exact up to 500 values, then on
        500 evenly spaced quantiles; deterministic). Classes
        of these four schemes hold their upper bound (mapclassify's rule).
        ``user_defined`` takes ``bins`` (upper bounds; the maximum is added if
        above the last). ``bands`` takes ``bands`` or the framework's readiness
        levels (``min <= score < max``, top band closed). ``categorical``
        gives each distinct value a class (numbers in numeric order).
    k : int
        Number of classes for the first three schemes.
    bins : sequence of float, optional
        Upper bounds for ``user_defined``.
    bands : DataFrame, optional
        ``min, max, name_vi, name_en`` per band, low to high.
    lang : {"vi", "en"}
        Language (and number format) of the labels.

    Returns
    -------
    (Series, list of str)
        Class number 0..n-1 per value (``Int64``, ``<NA>`` when missing;
        ``.attrs["bins"]`` holds the upper bounds, except for bands), and the
        label of each class.

    Examples
    --------
    >>> cls, labels = classify(pd.Series([1.0, 2, 3, 4, None]), "equal_interval", k=3, lang="en")
    >>> cls.tolist(), labels
    ([0, 0, 1, 2, <NA>], ['1.0 – 2.0', '2.0 – 3.0', '3.0 – 4.0'])
    """
    import mapclassify

    _lang(lang)  # checks the language before any work
    if scheme == "categorical":
        raw = pd.Series(values)
        found = raw.dropna()
        cats = sorted(found.unique(), key=lambda v: (not isinstance(v, (int, float)), v))
        codes = pd.Series(pd.NA, index=raw.index, dtype="Int64")
        position = {c: i for i, c in enumerate(cats)}
        codes.loc[found.index] = [position[v] for v in found]
        return codes, [_category_label(c) for c in cats]
    values = pd.Series(values, dtype=float)
    present = values.dropna()
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    if scheme == "bands":
        if bands is None:
            from learningcity.framework import load_framework

            bands = load_framework().readiness_levels()
        for col in ("min", "max", f"name_{lang}"):
            if col not in bands.columns:
                raise UsageError(f"bands need a column {col!r} (min, max, name_vi, name_en)")
        bands = bands.sort_values("min", ignore_index=True)
        edges = [*bands["min"].astype(float), float(bands["max"].iloc[-1])]
        inside = present.between(edges[0], edges[-1])
        if not inside.all():
            bad = present[~inside]
            raise UsageError(
                f"value {bad.iloc[0]} of unit {bad.index[0]!r} lies outside the bands "
                f"[{edges[0]:g}, {edges[-1]:g}]"
            )
        idx = np.searchsorted(edges, present.to_numpy(), side="right") - 1
        out.loc[present.index] = np.minimum(idx, len(bands) - 1)
        return out, bands[f"name_{lang}"].astype(str).tolist()
    if present.empty:
        return out, []
    y = present.to_numpy()
    if scheme == "user_defined":
        if bins is None or len(bins) == 0:
            raise UsageError("scheme 'user_defined' needs bins (upper bounds of the classes)")
        model = mapclassify.UserDefined(y, bins=sorted(float(b) for b in bins))
    elif scheme in ("quantiles", "natural_breaks", "equal_interval"):
        if k < 1:
            raise UsageError(f"k must be at least 1, not {k}")
        k_eff = min(k, len(np.unique(y)))
        if k_eff == 1:  # every unit has the same value: one class, named by that value
            out.loc[present.index] = 0
            out.attrs["bins"] = [float(y[0])]
            return out, [_fmt(y[0], lang)]
        maker = {
            "quantiles": mapclassify.Quantiles,
            "natural_breaks": mapclassify.FisherJenks,
            "equal_interval": mapclassify.EqualInterval,
        }[scheme]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Numba not installed", few-values notes
            if scheme == "natural_breaks" and len(y) > _JENKS_EXACT_MAX:
                # Exact Fisher-Jenks is O(k n^2) in pure Python: break on evenly spaced
                # quantiles instead (deterministic, unlike mapclassify's random sample).
                quantiles = np.linspace(0.0, 1.0, _JENKS_EXACT_MAX)
                sample = np.unique(np.quantile(y, quantiles, method="inverted_cdf"))
                uppers = []
                for b in maker(sample, k=min(k_eff, len(sample))).bins[:-1]:
                    # Between this break and the next sampled value, put the break at
                    # the widest gap of the full data, not inside a run of values.
                    above = sample[sample > b]
                    limit = above[0] if above.size else float(y.max())
                    run = np.sort(y[(y >= b) & (y <= limit)])
                    cut = run[int(np.argmax(np.diff(run)))] if run.size > 1 else b
                    uppers.append(float(cut))
                model = mapclassify.UserDefined(y, bins=[*uppers, float(y.max())])
            else:
                model = maker(y, k=k_eff)
    else:
        raise UsageError(f"unknown scheme {scheme!r}; expected one of {', '.join(SCHEMES)}")
    out.loc[present.index] = np.asarray(model.yb, dtype=int)
    uppers = [float(b) for b in model.bins]
    lowers = [float(y.min()), *uppers[:-1]]
    labels = [_range_label(lo, hi, lang) for lo, hi in zip(lowers, uppers, strict=True)]
    out.attrs["bins"] = uppers
    return out, labels


def _range_label(low: float, high: float, lang: str) -> str:
    a, b = _fmt(low, lang), _fmt(high, lang)
    return a if a == b else f"{a} – {b}"  # a class holding one value reads as that value


def _category_label(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # cluster 2.0 (a float column with gaps) reads "2"
    return str(value)


def _palette(n: int, cmap: str) -> list:
    import matplotlib as mpl

    colours = mpl.colormaps[cmap]
    if n == 0:
        return []
    if n == 1:
        return [colours(0.5)]
    return [colours(x) for x in np.linspace(0.0, 1.0, n)]


# --------------------------------------------------------------------------- maps


def choropleth(
    gdf: gpd.GeoDataFrame,
    column: str,
    scheme: str = "quantiles",
    k: int = 5,
    *,
    bins: Sequence[float] | None = None,
    bands: pd.DataFrame | None = None,
    lang: Lang = "vi",
    title: str | None = None,
    legend_title: str | None = None,
    year: int | None = None,
    cmap: str = "cividis",
    attribution: str | None = None,
    ax: Axes | None = None,
    footer: bool = True,
    legend: bool = True,
) -> Axes:
    """Map one score or indicator, with classes, missing units and attribution.

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygons (or centre points, drawn as proportional symbols) with
        ``column``; e.g. the output of :func:`learningcity.geo.join_units`.
    column : str
        Column to map.
    scheme, k, bins, bands
        Classification; see :func:`classify`. ``"categorical"`` gives each
        distinct value (e.g. a cluster label) its own Okabe–Ito colour.
    lang : {"vi", "en"}
        Language of legend, notes and number format.
    title, legend_title : str, optional
        Default to the column's name in the framework (:func:`column_label`).
    year : int, optional
        Data year, shown in the title and the corner; ``gdf.attrs["year"]``
        by default.
    cmap : str
        A colour-blind-safe matplotlib colormap (cividis, viridis …).
    attribution : str, optional
        Boundary credit; ``gdf.attrs["attribution"]`` (set by
        :func:`learningcity.geo.shipped_boundaries` and
        :func:`learningcity.geo.fetch_geoboundaries`) by default.
    ax : Axes, optional
        Where to draw; a new figure by default.
    footer : bool
        Write the attribution and year in the corner.
    legend : bool
        Draw the legend (:func:`small_multiples` draws one for all maps).

    Returns
    -------
    Axes
        The data are the collection with gid ``"data"``, units without data
        the one with gid ``"missing"``; the legend lists the classes then
        "Không có số liệu"/"No data".

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"score": [10.0, 60.0, None]},
    ...                      geometry=[box(i, 0, i + 1, 1) for i in range(3)])
    >>> ax = choropleth(g, "score", "bands", lang="en", year=2024)
    >>> [t.get_text() for t in ax.get_legend().get_texts()][-2:]
    ['Ready to apply to the GNLC', 'No data']
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    text = _lang(lang)
    if not hasattr(gdf, "geometry"):
        raise UsageError(
            "a map needs a GeoDataFrame: join the data to shapes first "
            "(learningcity.geo.map_units and join_units)"
        )
    if column not in gdf.columns:
        raise UsageError(f"no column {column!r} to map; columns: {list(gdf.columns)}")
    categorical = scheme == "categorical"
    if categorical:
        classes, labels = classify(gdf[column], scheme, lang=lang)
        values = classes.astype(float)  # symbols of one size per category
        values[classes.notna()] = 1.0
        if len(labels) > len(OKABE_ITO):
            raise UsageError(
                f"{len(labels)} categories in {column!r}; a map can show at most "
                f"{len(OKABE_ITO)} distinguishable colours"
            )
        colours = list(OKABE_ITO[: len(labels)])
    else:
        values = pd.to_numeric(gdf[column], errors="coerce").astype(float)
        classes, labels = classify(values, scheme, k, bins=bins, bands=bands, lang=lang)
        colours = _palette(len(labels), cmap)
    year = year if year is not None else gdf.attrs.get("year")
    attribution = attribution if attribution is not None else gdf.attrs.get("attribution")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 7))
    has = values.notna().to_numpy()
    fill = [colours[int(c)] for c in classes[has]]
    geoms = gdf.geometry
    points = bool(len(geoms)) and geoms.geom_type.isin(["Point", "MultiPoint"]).all()

    if points:
        _symbols(ax, gdf, values, has, fill)
        ax.text(
            0.5,
            -0.02,
            text["fallback"],
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=8,
            style="italic",
            gid="fallback-note",
        )
    else:
        if has.any():
            gdf[has].plot(ax=ax, color=fill, edgecolor="white", linewidth=0.5)
            ax.collections[-1].set_gid("data")
        if (~has).any():
            gdf[~has].plot(
                ax=ax,
                facecolor=MISSING_COLOUR,
                edgecolor="#969696",
                hatch=MISSING_HATCH,
                linewidth=0.5,
            )
            ax.collections[-1].set_gid("missing")

    handles = [
        Patch(facecolor=c, edgecolor="#636363", label=lab)
        for c, lab in zip(colours, labels, strict=True)
    ]
    if (~has).any():
        handles.append(
            Patch(
                facecolor=MISSING_COLOUR,
                edgecolor="#969696",
                hatch=MISSING_HATCH,
                label=text["no_data"],
            )
        )
    if legend:
        ax.legend(
            handles=handles,
            title=legend_title or _short(column_label(column, lang)),
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=8,
            title_fontsize=9,
            frameon=True,
        )
    heading = title if title is not None else column_label(column, lang)
    ax.set_title(f"{heading} ({year})" if year is not None else heading)
    ax.set_axis_off()
    if points:
        # geopandas sets this for polygons: degrees of longitude shrink with latitude.
        geographic = gdf.crs is None or gdf.crs.is_geographic
        lat = float(np.nanmean(gdf.geometry.y)) if len(gdf) else 0.0
        ax.set_aspect(1 / np.cos(np.radians(lat)) if geographic and abs(lat) < 89 else "equal")
    if footer:
        _footer(ax, attribution, year, text)
    return ax


def _short(text: str, width: int = 28) -> str:
    """Wrap a long legend title on word boundaries."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _symbols(ax: Axes, gdf: gpd.GeoDataFrame, values: pd.Series, has: np.ndarray, fill) -> None:
    """Proportional symbols: marker area proportional to the value.

    Negative values cannot be areas: then sizes follow the value's place in its
    range. Drawn largest first (small symbols stay visible on top), so
    ``get_offsets``/``get_sizes`` are in that order.
    """
    x = gdf.geometry.x.to_numpy()
    y = gdf.geometry.y.to_numpy()
    v = values.to_numpy()[has]
    # The largest symbol shrinks with the number of units so a country map stays readable.
    smax, smin = float(np.clip(15000.0 / max(len(gdf), 1), 80.0, 900.0)), 4.0
    if v.size:
        if v.min() >= 0 and v.max() > 0:
            sizes = np.maximum(smax * v / v.max(), smin)
        elif v.max() > v.min():
            sizes = smin + (smax - smin) * (v - v.min()) / (v.max() - v.min())
        else:
            sizes = np.full(v.size, smax / 2)
        order = np.argsort(-sizes, kind="stable")
        ax.scatter(
            x[has][order],
            y[has][order],
            s=sizes[order],
            c=[fill[i] for i in order],
            edgecolors="#252525",
            linewidths=0.5,
            gid="data",
        )
    if (~has).any():
        ax.scatter(
            x[~has],
            y[~has],
            s=60,
            facecolors=MISSING_COLOUR,
            edgecolors="#636363",
            hatch=MISSING_HATCH,
            gid="missing",
        )


def _wrap_credit(credit: str, width: int = 90) -> str:
    """Break a long credit line after "; ", ", " or before " via ", never inside a name.

    Examples
    --------
    >>> print(_wrap_credit("Boundaries: A / B (2016 units) via C (D 2020), CC BY-SA 4.0", 40))
    Boundaries: A / B (2016 units)
    via C (D 2020), CC BY-SA 4.0
    """
    lines = []
    for line in credit.splitlines():
        while len(line) > width:
            cuts = [
                i + len(sep) if sep != " via " else i + 1
                for sep in ("; ", ", ", " via ")
                for i in [line.rfind(sep, 0, width)]
                if i > 0
            ]
            if not cuts:
                break
            cut = max(cuts)
            lines.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        lines.append(line)
    return "\n".join(lines)


def _footer(ax: Axes, attribution: str | None, year: int | None, text: dict[str, str]) -> None:
    parts = [f"{text['year']}: {year}"] if year is not None else []
    if attribution:
        parts.append(_wrap_credit(attribution))
    if parts:
        ax.text(
            1.0,
            -0.09,
            "\n".join(parts),
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=6.5,
            color="#525252",
            gid="attribution",
        )


def small_multiples(
    gdf: gpd.GeoDataFrame,
    columns: Sequence[str] = ("1", "2", "3"),
    scheme: str = "quantiles",
    k: int = 5,
    *,
    titles: Mapping[str, str] | None = None,
    bins: Sequence[float] | None = None,
    bands: pd.DataFrame | None = None,
    lang: Lang = "vi",
    title: str | None = None,
    year: int | None = None,
    cmap: str = "cividis",
    attribution: str | None = None,
) -> Figure:
    """One map per KFLC area (columns ``"1"``, ``"2"``, ``"3"``), on shared classes.

    The classes are computed once on all panels' values together, so a colour
    means the same score on every map.

    Parameters
    ----------
    gdf : GeoDataFrame
        Shapes with one column per area score.
    columns : sequence of str
        Columns to map, one panel each.
    titles : mapping, optional
        Column → panel title; the framework's area names by default.
    scheme, k, bins, bands, lang, year, cmap, attribution
        As in :func:`choropleth`.
    title : str, optional
        Figure title.

    Returns
    -------
    Figure
        One Axes per column; one legend for all (``fig.legends[0]``); the
        attribution and year once at the bottom.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"1": [10.0, 20], "2": [30.0, 40], "3": [50.0, None]},
    ...                      geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> fig = small_multiples(g, lang="en", k=2)
    >>> [ax.get_title() for ax in fig.axes]
    ['1. Wider benefits', '2. Major building blocks', '3. Fundamental conditions']
    """
    import matplotlib.pyplot as plt

    text = _lang(lang)
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise UsageError(f"no column(s) {missing} to map; columns: {list(gdf.columns)}")
    if scheme == "categorical":
        raise UsageError("small multiples map scores; draw categories one map at a time")
    if titles is None:
        titles = _area_titles(columns, lang)
    from matplotlib.patches import Patch

    pooled = pd.concat([pd.to_numeric(gdf[c], errors="coerce") for c in columns])
    pooled = pooled.astype(float).reset_index(drop=True)
    classes, labels = classify(pooled, scheme, k, bins=bins, bands=bands, lang=lang)
    if scheme != "bands" and "bins" in classes.attrs:
        # Same upper bounds on every panel: a colour means the same value everywhere.
        scheme, bins = "user_defined", classes.attrs["bins"]
    year = year if year is not None else gdf.attrs.get("year")
    attribution = attribution if attribution is not None else gdf.attrs.get("attribution")
    fig, axes = plt.subplots(1, len(columns), figsize=(4.2 * len(columns) + 2, 5), squeeze=False)
    for ax, column in zip(axes[0], columns, strict=True):
        choropleth(
            gdf,
            column,
            scheme,
            k,
            bins=bins,
            bands=bands,
            lang=lang,
            title=titles.get(column, column),
            cmap=cmap,
            ax=ax,
            footer=False,
            legend=False,
        )
        ax.set_title(titles.get(column, column))
    # Centre points: one fallback note for the figure; a note under each narrow panel
    # runs into its neighbours' notes.
    notes = [t for ax in axes[0] for t in ax.texts if t.get_gid() == "fallback-note"]
    if notes:
        for note in notes:
            note.remove()
        fig.text(
            0.01,
            0.01,
            text["fallback"],
            ha="left",
            va="bottom",
            fontsize=8,
            style="italic",
            gid="fallback-note",
        )
    handles = [
        Patch(facecolor=c, edgecolor="#636363", label=lab)
        for c, lab in zip(_palette(len(labels), cmap), labels, strict=True)
    ]
    if pooled.isna().any():
        handles.append(
            Patch(
                facecolor=MISSING_COLOUR,
                edgecolor="#969696",
                hatch=MISSING_HATCH,
                label=text["no_data"],
            )
        )
    fig.legend(handles=handles, title=text["score"], loc="center right", fontsize=8)
    fig.subplots_adjust(right=1 - 1.9 / (4.2 * len(columns) + 2))
    if title:
        fig.suptitle(f"{title} ({year})" if year is not None else title)
    parts = [f"{text['year']}: {year}"] if year is not None else []
    if attribution:
        parts.append(attribution)
    if parts:
        fig.text(
            0.99, 0.01, "\n".join(parts), ha="right", va="bottom", fontsize=7, gid="attribution"
        )
    return fig


def column_label(column: str, lang: Lang = "vi") -> str:
    """Name a score or indicator column in words, from the framework.

    KFLC area codes (``"1"``), focus-area codes (``"2.2"``), indicator and raw
    variable ids get their framework name (with the unit for indicators and
    variables); anything else is returned as given.

    Examples
    --------
    >>> column_label("2.2", "en")
    '2.2 Re-vitalised learning in families and communities'
    >>> column_label("literacy_rate", "vi")
    'Tỷ lệ biết chữ của dân số từ 15 tuổi trở lên (%)'
    >>> column_label("my_score")
    'my_score'
    """
    _lang(lang)
    try:
        from learningcity.framework import load_framework

        fw = load_framework()
        areas = fw.areas().set_index("code")
        focus = fw.focus_areas().set_index("code")
        indicators = fw.indicators().set_index("id")
        variables = fw.variables().set_index("id")
    except Exception:  # a broken or missing framework must not stop a figure
        return str(column)
    key = str(column)
    if key in areas.index:
        return f"{key}. {areas.loc[key, f'name_{lang}']}"
    if key in focus.index:
        return f"{key} {focus.loc[key, f'name_{lang}']}"
    for table in (indicators, variables):
        if key in table.index:
            row = table.loc[key]
            name, unit = row[f"name_{lang}"], row["unit"]
            return f"{name} ({unit})" if isinstance(unit, str) and unit else str(name)
    return key


def _area_titles(columns: Sequence[str], lang: str) -> dict[str, str]:
    return {c: column_label(c, lang) for c in columns}


# --------------------------------------------------------------------------- profile


def wide_scores(scores: pd.DataFrame, level: str = "focus_area") -> pd.DataFrame:
    """Turn the index engine's tidy scores into one row per unit, one column per code.

    Parameters
    ----------
    scores : DataFrame
        ``unit_code, level, code, score`` rows (``IndexResult.scores``).
    level : str
        ``"focus_area"`` (columns ``1.1`` … ``3.3``), ``"area"`` (``1``–``3``),
        ``"indicator"`` or ``"overall"``.

    Returns
    -------
    DataFrame
        Indexed by ``unit_code``; columns in the order first seen. Ready for
        :func:`profile`, :func:`learningcity.geo.join_units` (then
        :func:`small_multiples`) and :mod:`learningcity.clusters`.

    Examples
    --------
    >>> tidy = pd.DataFrame({"unit_code": ["132", "132", "133"], "level": "area",
    ...                      "code": ["1", "2", "1"], "score": [40.0, 55.0, 61.0]})
    >>> wide_scores(tidy, "area").to_dict("index")
    {'132': {'1': 40.0, '2': 55.0}, '133': {'1': 61.0, '2': nan}}
    """
    need = {"unit_code", "level", "code", "score"}
    if not need <= set(scores.columns):
        raise UsageError(f"tidy scores need columns {sorted(need)}; got {list(scores.columns)}")
    part = scores[scores["level"] == level]
    if part.empty:
        levels = sorted(set(scores["level"]))
        raise UsageError(f"no scores at level {level!r}; levels present: {levels}")
    wide = part.pivot_table(index="unit_code", columns="code", values="score", aggfunc="first")
    wide = wide.reindex(columns=list(dict.fromkeys(part["code"].astype(str))))
    wide.columns.name = None
    return wide.astype(float)


def profile(
    scores: pd.DataFrame,
    unit: str,
    group: Sequence[str] | None = None,
    *,
    kind: Literal["radar", "bar"] = "radar",
    lang: Lang = "vi",
    names: Mapping[str, str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A unit's focus-area scores against a comparison group's median and quartiles.

    Parameters
    ----------
    scores : DataFrame
        Indexed by unit code, one column per focus area (``"1.1"`` … ``"3.3"``),
        or the index engine's tidy scores (:func:`wide_scores` is applied).
    unit : str
        The unit to show.
    group : sequence of str, optional
        Codes of the comparison group; every other unit by default.
    kind : {"radar", "bar"}
    lang : {"vi", "en"}
    names : mapping, optional
        Unit code → display name.
    title : str, optional
    ax : Axes, optional
        For ``radar`` it must be a polar Axes.

    Returns
    -------
    Axes
        The unit's line (radar) or bars (bar) are labelled with its name; the
        group median is labelled with the group size; focus areas without a
        value for the unit are marked "Không có số liệu"/"No data" (in the
        radar's axis label, or over the empty bar).

    Examples
    --------
    >>> s = pd.DataFrame({"1.1": [50.0, 70, 90], "1.2": [20.0, 40, None]},
    ...                  index=["132", "133", "14"])
    >>> ax = profile(s, "132", kind="bar", lang="en")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['132', 'Comparison group median (n=2)', 'Group interquartile range']
    """
    import matplotlib.pyplot as plt

    text = _lang(lang)
    if {"unit_code", "level", "code", "score"} <= set(scores.columns):
        scores = wide_scores(scores, "focus_area")
    if unit not in scores.index:
        raise UsageError(f"unit {unit!r} has no row in the scores")
    data = scores.copy()
    data.columns = [str(c) for c in scores.columns]
    if all(_CODE_RE.match(c) for c in data.columns):  # 1.1 … 3.3 in framework order
        data = data[sorted(data.columns, key=lambda c: tuple(int(p) for p in c.split(".")))]
    cols = list(data.columns)
    data = data.apply(pd.to_numeric, errors="coerce").astype(float)
    members = [g for g in (group if group is not None else data.index) if g != unit]
    unknown = [g for g in members if g not in data.index]
    if unknown:
        raise UsageError(f"comparison unit(s) {unknown} have no row in the scores")
    if not members:
        raise UsageError("the comparison group is empty")
    own = data.loc[unit]
    peers = data.loc[members]
    median = peers.median()
    q1, q3 = peers.quantile(0.25), peers.quantile(0.75)
    label = (names or {}).get(unit, unit)
    group_label = f"{text['median']} (n={len(members)})"
    n = len(cols)

    if kind == "radar":
        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 6.5), subplot_kw={"projection": "polar"})
        if ax.name != "polar":
            raise UsageError("a radar profile needs a polar Axes (projection='polar')")
        angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
        closed = np.append(angles, angles[0])

        def ring(series: pd.Series) -> np.ndarray:
            return np.append(series.to_numpy(), series.iloc[0])

        ax.fill_between(closed, ring(q1), ring(q3), color="#bdbdbd", alpha=0.5, label=text["iqr"])
        ax.plot(closed, ring(median), color="#636363", ls="--", lw=1.5, label=group_label)
        ax.plot(closed, ring(own), color="#00204c", lw=2.2, marker="o", label=label, gid="unit")
        # Clockwise from the top, as radar charts are usually read.
        ax.set_theta_offset(np.pi / 2)
        ax.set_theta_direction(-1)
        ax.set_xticks(angles)
        ax.set_xticklabels([f"{c}\n({text['no_data']})" if np.isnan(own[c]) else c for c in cols])
        # Scores run 0-100 (or 0-1); anything else (z-scores) keeps its own range.
        values = data.to_numpy()
        low = float(np.nanmin(values, initial=0))
        high = float(np.nanmax(values, initial=0))
        if low < 0:
            ax.set_ylim(low, high)
        else:
            ax.set_ylim(0.0, max(high, 100.0 if high > 1 else 1.0))
        # Legend order: the unit, the group median, the group's quartile band.
        handles, labs = ax.get_legend_handles_labels()
        order = [labs.index(label), labs.index(group_label), labs.index(text["iqr"])]
        ax.legend(
            [handles[i] for i in order],
            [labs[i] for i in order],
            loc="upper right",
            bbox_to_anchor=(1.3, 1.1),
            fontsize=8,
        )
    elif kind == "bar":
        if ax is None:
            _, ax = plt.subplots(figsize=(9, 4.5))
        x = np.arange(n)
        ax.bar(x, own.fillna(0).to_numpy(), width=0.6, color="#00204c", label=label, gid="unit")
        for patch, value in zip(ax.patches[-n:], own.to_numpy(), strict=True):
            if np.isnan(value):
                patch.set_visible(False)
        ax.errorbar(
            x,
            median.to_numpy(),
            yerr=[(median - q1).to_numpy(), (q3 - median).to_numpy()],
            fmt="none",
            ecolor="#969696",
            elinewidth=6,
            alpha=0.6,
            label=text["iqr"],
        )
        ax.scatter(
            x,
            median.to_numpy(),
            marker="D",
            color="#fde725",
            edgecolors="#636363",
            zorder=3,
            label=group_label,
        )
        for xi, value in zip(x, own.to_numpy(), strict=True):
            if np.isnan(value):
                ax.text(xi, 2, text["no_data"], rotation=90, ha="center", va="bottom", fontsize=7)
        ax.set_xticks(x)
        ax.set_xticklabels(cols)
        ax.set_ylabel(text["score"])
        handles, labs = ax.get_legend_handles_labels()
        order = [labs.index(label), labs.index(group_label), labs.index(text["iqr"])]
        ax.legend([handles[i] for i in order], [labs[i] for i in order], fontsize=8)
    else:
        raise UsageError(f"unknown kind {kind!r}; expected 'radar' or 'bar'")
    ax.set_title(title if title is not None else label)
    return ax
