"""Gap to target: how far each unit is from the national 2025 and 2030 targets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from learningcity.index._checks import as_float_frame, directions_for

__all__ = ["gap_to_target"]


def gap_to_target(
    values: pd.DataFrame,
    meta: pd.DataFrame,
    target_columns: tuple[str, ...] = ("target_2025", "target_2030"),
) -> pd.DataFrame:
    """Distance of every unit to each indicator's targets, in the indicator's units.

    Parameters
    ----------
    values : DataFrame
        Observed values (not imputed), rows units (or (year, unit) pairs),
        columns indicators.
    meta : DataFrame
        Indicator metadata with ``direction`` and the target columns.
    target_columns : tuple of str
        Columns of ``meta`` holding targets; the year is read from the name.

    Returns
    -------
    DataFrame
        One row per unit, indicator and target that exists: ``target_year``,
        ``target``, ``value``, ``gap`` (what is still to go, in the direction
        of improvement: positive = short of the target, 0 or less = met),
        ``relative_gap`` (gap / |target|) and ``met`` (NA when the value is missing).

    Examples
    --------
    >>> meta = pd.DataFrame({"direction": [1, -1], "target_2025": [90.0, 2.0],
    ...                      "target_2030": [95.0, np.nan]}, index=["literacy", "dropout"])
    >>> vals = pd.DataFrame({"literacy": [92.0], "dropout": [3.0]},
    ...                     index=pd.Index(["132"], name="unit_code"))
    >>> gap_to_target(vals, meta)[["indicator", "target_year", "gap", "met"]]
      indicator  target_year  gap    met
    0  literacy         2025 -2.0   True
    1   dropout         2025  1.0  False
    2  literacy         2030  3.0  False
    """
    x = as_float_frame(values, "gap_to_target values")
    d = directions_for(x.columns, meta.get("direction"))
    rows = []
    index_names = [n or "unit_code" for n in (x.index.names or ["unit_code"])]
    for col in target_columns:
        if col not in meta.columns:
            continue
        year = int("".join(ch for ch in col if ch.isdigit()) or 0)
        targ = pd.to_numeric(meta[col], errors="coerce").reindex(x.columns)
        have = targ.dropna().index
        if not len(have):
            continue
        long = x[have].stack(future_stack=True).rename("value").reset_index()
        long.columns = [*index_names, "indicator", "value"]
        long["target_year"] = year
        long["target"] = long["indicator"].map(targ).astype("float64")
        long["gap"] = (long["target"] - long["value"]) * long["indicator"].map(d)
        with np.errstate(divide="ignore", invalid="ignore"):
            long["relative_gap"] = long["gap"] / long["target"].abs().replace(0, np.nan)
        long["met"] = (long["gap"] <= 0).astype("boolean").mask(long["value"].isna())
        rows.append(long)
    cols = [*index_names, "indicator", "target_year", "target", "value", "gap"]
    cols += ["relative_gap", "met"]
    if not rows:
        return pd.DataFrame(columns=cols)
    return pd.concat(rows, ignore_index=True)[cols]
