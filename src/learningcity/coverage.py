"""What data is there and what is missing: indicator × unit × year coverage.

A value is *present* when a row of the tidy table (docs/conventions.md) holds a
number for that indicator, unit and year. It is *missing* when the row is absent,
or present with an empty value (a published "not available"). Coverage is counted
on the full grid of the indicators, units and years asked for, so an indicator
nobody publishes counts as missing everywhere instead of disappearing.

Examples
--------
>>> import pandas as pd
>>> tidy = pd.DataFrame({
...     "indicator": ["literacy_rate_15plus", "literacy_rate_15plus", "poverty_rate"],
...     "unit_code": ["15", "10", "15"],
...     "year": [2016, 2016, 2016],
...     "value": [89.0, float("nan"), 17.5],
... })
>>> coverage(tidy, by=("indicator",))["missing"].to_dict()
{'literacy_rate_15plus': 1, 'poverty_rate': 1}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from learningcity.errors import UsageError

__all__ = [
    "computable",
    "coverage",
    "coverage_summary",
    "framework_areas",
    "framework_inputs",
    "presence_matrix",
]

_KEYS = ("indicator", "unit_code", "year")


def _check(tidy: pd.DataFrame, what: str = "tidy table") -> None:
    missing = [c for c in (*_KEYS, "value") if c not in tidy.columns]
    if missing:
        raise UsageError(
            f"{what}: missing column(s) {', '.join(missing)}; "
            "expected the tidy columns indicator, unit_code, year, value"
        )


def _grid(
    tidy: pd.DataFrame,
    indicators: Iterable[str] | None,
    units: Iterable[str] | None,
    years: Iterable[int] | None,
) -> pd.DataFrame:
    """One row per indicator × unit × year cell, with ``present`` True/False."""
    _check(tidy)
    data = tidy.loc[:, [*_KEYS, "value"]].copy()
    data["unit_code"] = data["unit_code"].astype(str)
    data["year"] = pd.to_numeric(data["year"], errors="raise").astype(int)
    data["value"] = pd.to_numeric(data["value"], errors="coerce")

    def values(given, column):
        if given is not None:
            return list(dict.fromkeys(given))
        return sorted(data[column].dropna().unique().tolist())

    inds = values(indicators, "indicator")
    unit_list = [str(u) for u in values(units, "unit_code")]
    year_list = [int(y) for y in values(years, "year")]
    grid = pd.MultiIndex.from_product([inds, unit_list, year_list], names=list(_KEYS))
    has_value = data.dropna(subset=["value"]).drop_duplicates(subset=list(_KEYS))
    present = pd.Series(True, index=pd.MultiIndex.from_frame(has_value[list(_KEYS)]))
    out = grid.to_frame(index=False)
    out["present"] = present.reindex(grid, fill_value=False).to_numpy(dtype=bool)
    return out


def _count(cells: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    counts = cells.groupby(list(by), sort=True)["present"].agg(cells="size", present="sum")
    counts["present"] = counts["present"].astype(int)
    counts["missing"] = counts["cells"] - counts["present"]
    counts["share_present"] = counts["present"] / counts["cells"]
    return counts


def coverage(
    tidy: pd.DataFrame,
    indicators: Iterable[str] | None = None,
    by: Sequence[str] = _KEYS,
    *,
    units: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Count present and missing values, grouped by any of indicator, unit_code, year.

    Parameters
    ----------
    tidy : DataFrame
        Tidy observations with at least ``indicator``, ``unit_code``, ``year``, ``value``.
    indicators, units, years : iterable, optional
        The grid to count on. By default, the values found in ``tidy``; give
        ``indicators`` to count indicators that have no data at all as missing.
    by : sequence of str
        Grouping columns, a subset of ``("indicator", "unit_code", "year")``. With all
        three, every row is one cell and ``present`` is 0 or 1.

    Returns
    -------
    DataFrame
        Indexed by ``by``; columns ``cells``, ``present``, ``missing`` (counts of cells)
        and ``share_present`` (present / cells, 0–1).

    Examples
    --------
    >>> import pandas as pd
    >>> tidy = pd.DataFrame({"indicator": ["a"], "unit_code": ["15"], "year": [2016],
    ...                      "value": [1.0]})
    >>> coverage(tidy, indicators=["a", "b"], by=["indicator"])["present"].to_dict()
    {'a': 1, 'b': 0}
    """
    by = list(by)
    unknown = [b for b in by if b not in _KEYS]
    if unknown or not by:
        raise UsageError(f"coverage: by must be a non-empty subset of {_KEYS}, got {by}")
    return _count(_grid(tidy, indicators, units, years), by)


def _mapping(framework_table: pd.DataFrame, level: str) -> pd.DataFrame:
    table = framework_table
    if "indicator" not in table.columns:
        table = table.rename_axis("indicator").reset_index()
    if level not in table.columns:
        raise UsageError(
            f"framework table: no column {level!r}; expected columns indicator and {level}"
        )
    mapping = table.loc[:, ["indicator", level]].dropna().astype(str).drop_duplicates()
    return mapping


def coverage_summary(
    tidy: pd.DataFrame,
    framework_table: pd.DataFrame,
    *,
    level: str = "area",
    units: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Share of indicator × unit × year cells with a value, per KFLC area (or focus area).

    Parameters
    ----------
    tidy : DataFrame
        Tidy observations.
    framework_table : DataFrame
        Maps ids to areas: columns ``indicator`` and ``area`` (and/or ``focus_area``),
        or indexed by indicator id like ``Framework.indicator_table()``. An id listed
        under several areas counts in each.
    level : {"area", "focus_area"}
        Column of ``framework_table`` to group by.
    units, years : iterable, optional
        The grid; by default the units and years found in ``tidy``.

    Returns
    -------
    DataFrame
        Indexed by ``level``; columns ``indicators`` (ids mapped to it), ``with_data``
        (ids with at least one value), ``cells``, ``present``, ``missing`` and
        ``share_present``.

    Examples
    --------
    >>> import pandas as pd
    >>> tidy = pd.DataFrame({"indicator": ["a", "a"], "unit_code": ["15", "10"],
    ...                      "year": [2016, 2016], "value": [1.0, None]})
    >>> fw = pd.DataFrame({"indicator": ["a", "b"], "area": ["1", "2"]})
    >>> coverage_summary(tidy, fw)["share_present"].to_dict()
    {'1': 0.5, '2': 0.0}
    """
    mapping = _mapping(framework_table, level)
    cells = _grid(tidy, mapping["indicator"].unique(), units, years)
    cells = cells.merge(mapping, on="indicator", how="inner")
    out = _count(cells, [level])
    per_id = cells.groupby([level, "indicator"])["present"].any()
    out.insert(0, "with_data", per_id.groupby(level).sum().astype(int))
    out.insert(0, "indicators", per_id.groupby(level).size().astype(int))
    return out


def presence_matrix(
    tidy: pd.DataFrame,
    *,
    rows: str = "unit_code",
    columns: str = "indicator",
    indicators: Iterable[str] | None = None,
    units: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Count of present cells for each pair of ``rows`` × ``columns`` (wide, for a heatmap).

    With ``rows="unit_code"`` and ``columns="indicator"``, a cell counts the years with
    a value; restrict ``years`` to one year to get a 0/1 table.

    Examples
    --------
    >>> import pandas as pd
    >>> tidy = pd.DataFrame({"indicator": ["a", "a", "b"], "unit_code": ["15"] * 3,
    ...                      "year": [2015, 2016, 2016], "value": [1.0, 2.0, 3.0]})
    >>> presence_matrix(tidy).loc["15"].to_dict()
    {'a': 2, 'b': 1}
    """
    if rows == columns or {rows, columns} - set(_KEYS):
        raise UsageError(f"presence_matrix: rows and columns must be two of {_KEYS}")
    counts = _count(_grid(tidy, indicators, units, years), [rows, columns])["present"]
    return counts.unstack(columns, fill_value=0)


def framework_areas(framework) -> pd.DataFrame:
    """Map every indicator and every raw variable it is computed from to its area.

    ``framework`` is a :class:`learningcity.framework.Framework` (anything with
    ``indicators()`` giving ``id, focus_area, area`` and ``inputs(id)``). Returns columns
    ``indicator, focus_area, area``, one row per id and area; a variable that feeds
    indicators in two areas appears twice.
    """
    rows = []
    for ind in framework.indicators().itertuples(index=False):
        for ident in [ind.id, *framework.inputs(ind.id)]:
            rows.append({"indicator": ident, "focus_area": ind.focus_area, "area": ind.area})
    return pd.DataFrame(rows, columns=["indicator", "focus_area", "area"]).drop_duplicates()


def framework_inputs(framework) -> dict[str, list[str]]:
    """``{indicator id: [variable ids it is computed from]}`` for a framework.

    Indicators computed by a rule rather than a formula may list no inputs; they are
    left out, since their data needs cannot be read from the framework.
    """
    out = {}
    for ident in framework.indicators()["id"]:
        inputs = list(framework.inputs(ident))
        if inputs:
            out[ident] = inputs
    return out


def computable(tidy: pd.DataFrame, inputs: dict[str, Sequence[str]]) -> pd.DataFrame:
    """Where each indicator can be computed: all of its input variables have a value.

    Parameters
    ----------
    tidy : DataFrame
        Tidy observations of raw variables.
    inputs : dict
        ``{indicator: [variable, ...]}``, e.g. from :func:`framework_inputs`.

    Returns
    -------
    DataFrame
        Tidy rows ``indicator, unit_code, year, value`` with ``value`` 1.0 for every
        unit and year where the indicator is computable, ready for :func:`coverage` and
        :func:`coverage_summary`.

    Examples
    --------
    >>> import pandas as pd
    >>> tidy = pd.DataFrame({"indicator": ["libraries", "population", "population"],
    ...                      "unit_code": ["15", "15", "10"], "year": [2016] * 3,
    ...                      "value": [10.0, 800100.0, 684300.0]})
    >>> computable(tidy, {"libraries_per_100k": ["libraries", "population"]})
                indicator unit_code  year  value
    0  libraries_per_100k        15  2016    1.0
    """
    _check(tidy)
    data = tidy.loc[:, [*_KEYS, "value"]].copy()
    data["unit_code"] = data["unit_code"].astype(str)
    data["year"] = pd.to_numeric(data["year"]).astype(int)
    data["value"] = pd.to_numeric(data["value"], errors="coerce")
    have = data.dropna(subset=["value"])
    frames = []
    for indicator, needed in inputs.items():
        needed = list(dict.fromkeys(needed))
        sub = have[have["indicator"].isin(needed)]
        n = sub.drop_duplicates(subset=list(_KEYS)).groupby(["unit_code", "year"]).size()
        ok = n[n == len(needed)].index.to_frame(index=False)
        ok.insert(0, "indicator", indicator)
        frames.append(ok)
    columns = ["indicator", "unit_code", "year"]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    out = out.sort_values(columns, ignore_index=True)
    out["value"] = 1.0
    return out


# --- command line -------------------------------------------------------------------


def add_parser(subparsers) -> None:
    """Register ``learningcity coverage``."""
    import argparse
    from pathlib import Path

    p = subparsers.add_parser(
        "coverage",
        help="show which values are present or missing (per KFLC area, indicator, year, unit)",
        description="Count present and missing values of the bundled data (or of FILEs) on "
        "the indicator x unit x year grid. With --by area or focus_area, the share of "
        "framework indicators that can be computed (all inputs present); with --raw, the "
        "raw variables themselves.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("files", type=Path, nargs="*", metavar="FILE", help="observation files")
    p.add_argument(
        "--by",
        choices=["area", "focus_area", "indicator", "year", "unit_code"],
        default="area",
        help="what to count by",
    )
    p.add_argument("--level", help="only units of this level (province, district, ...)")
    p.add_argument("--year", type=int, action="append", help="only this year (repeatable)")
    p.add_argument("--raw", action="store_true", help="count raw variables, not indicators")
    from learningcity.localdata import add_data_arguments

    add_data_arguments(p)  # the city's own data, beside the files (or the bundled data)
    p.set_defaults(func=_run)


def _run(args) -> int:
    from learningcity.data import load_bundled_observations, read_observation_files
    from learningcity.framework import load_framework

    # Every file must exist, and every problem of every file is listed together.
    tidy = read_observation_files(args.files) if args.files else load_bundled_observations()
    if args.data:
        from learningcity.localdata import cli_observations

        # Checked against the figures counted here; a disagreement stops it (exit 2).
        tidy, _ = cli_observations(args.data, args.prefer_local, "coverage", published=tidy)
    if args.level:
        tidy = tidy[tidy["level"] == args.level]
    if tidy.empty:
        raise UsageError(f"no observations{' of level ' + args.level if args.level else ''}")
    units = sorted(tidy["unit_code"].astype(str).unique())
    years = args.year or sorted(tidy["year"].astype(int).unique())
    fw = load_framework()
    if args.by in ("area", "focus_area"):
        if args.raw:
            table = coverage_summary(
                tidy, framework_areas(fw), level=args.by, units=units, years=years
            )
        else:
            can = computable(tidy, framework_inputs(fw))
            ids = fw.indicators()[["id", "focus_area", "area"]].rename(columns={"id": "indicator"})
            table = coverage_summary(can, ids, level=args.by, units=units, years=years)
    else:
        data = tidy if args.raw else computable(tidy, framework_inputs(fw))
        indicators = None if args.raw else list(framework_inputs(fw))
        table = coverage(data, indicators, by=[args.by], units=units, years=years)
    table = table.assign(share_present=(100 * table["share_present"]).round(1))
    print(f"{len(units)} units x {len(years)} years; share_present in %")
    print(table.to_string())
    return 0
