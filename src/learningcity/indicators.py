"""Derive readiness indicators from raw statistics, and reshape to the wide matrix.

An indicator's ``formula`` in the framework is a small arithmetic expression
over variable ids (``libraries / population * 100000``). It is parsed with
:mod:`ast` and only names, numbers, ``+ - * /``, unary minus and brackets are
allowed, so a framework file can never run code. A derived value keeps the
provenance of its inputs: its ``source_id`` lists their sources (joined with
``"; "``) and its ``note`` the formula and each input's value, year and source.

Examples
--------
>>> import pandas as pd
>>> tidy = pd.DataFrame({
...     "unit_code": ["15", "15"], "unit_name": ["Yên Bái"] * 2, "level": ["province"] * 2,
...     "year": [2016, 2016], "indicator": ["libraries", "population"],
...     "value": [10.0, 800100.0], "qualifier": ["", ""], "source_id": ["a", "b"],
...     "note": ["", ""]})
>>> out = derive_indicators(tidy, indicators=["libraries_per_100k"])
>>> float(round(out.loc[0, "value"], 4)), out.loc[0, "source_id"]
(1.2498, 'a; b')
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from learningcity.errors import LearningCityError, UsageError

if TYPE_CHECKING:
    from learningcity.framework import Framework

__all__ = [
    "TIDY_COLUMNS",
    "FormulaError",
    "derive_indicators",
    "evaluate_formula",
    "formula_names",
    "to_wide",
]

#: Columns of the tidy observation table (docs/conventions.md).
TIDY_COLUMNS = [
    "unit_code",
    "unit_name",
    "level",
    "year",
    "indicator",
    "value",
    "qualifier",
    "source_id",
    "note",
]

_OPS: dict[type, Callable] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


class FormulaError(LearningCityError, ValueError):
    """A formula outside the allowed grammar (names, numbers, + - * /, brackets)."""


@lru_cache(maxsize=256)
def _parse(formula: str) -> ast.expr:
    try:
        tree = ast.parse(formula.strip(), mode="eval")
    except SyntaxError:
        raise FormulaError(f"{formula!r} is not an arithmetic expression") from None
    for node in ast.walk(tree):
        ok = (
            isinstance(
                node,
                ast.Expression | ast.BinOp | ast.UnaryOp | ast.Name | ast.Load | ast.Constant,
            )
            or type(node) in _OPS
            or isinstance(node, ast.USub | ast.UAdd)
        )
        if not ok:
            raise FormulaError(
                f"{formula!r}: {type(node).__name__} is not allowed "
                "(only variable names, numbers, + - * / and brackets)"
            )
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            raise FormulaError(f"{formula!r}: {node.value!r} is not a number")
    return tree.body


def formula_names(formula: str, ordered: bool = False) -> set[str] | list[str]:
    """Variable ids a formula uses (a set, or a list in order of first use).

    Examples
    --------
    >>> formula_names("population_density / (population + population_density)", ordered=True)
    ['population_density', 'population']
    >>> formula_names("__import__('os')")
    Traceback (most recent call last):
    ...
    learningcity.indicators.FormulaError: "__import__('os')": Call is not allowed ...
    """
    names = [n for n in ast.walk(_parse(formula)) if isinstance(n, ast.Name)]
    if not ordered:
        return {n.id for n in names}
    names.sort(key=lambda n: (n.lineno, n.col_offset))
    return list(dict.fromkeys(n.id for n in names))


def evaluate_formula(formula: str, values: Mapping[str, object]):
    """Evaluate a formula on numbers or aligned pandas Series.

    Division by zero and any missing input give NaN, never infinity.

    Parameters
    ----------
    formula : str
        E.g. ``"libraries / population * 100000"``.
    values : mapping
        Variable id → number or Series.

    Examples
    --------
    >>> round(evaluate_formula("libraries / population * 100000",
    ...                        {"libraries": 10, "population": 800100}), 4)
    1.2498
    >>> evaluate_formula("a / b", {"a": 1.0, "b": 0.0})
    nan
    """

    def ev(node: ast.expr):
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise FormulaError(f"{formula!r}: no value given for {node.id!r}")
            value = values[node.id]
            return value.astype(float) if isinstance(value, pd.Series) else float(value)
        if isinstance(node, ast.UnaryOp):
            operand = ev(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        left, right = ev(node.left), ev(node.right)
        if isinstance(node.op, ast.Div):
            with np.errstate(divide="ignore", invalid="ignore"):
                if isinstance(left, pd.Series) or isinstance(right, pd.Series):
                    return left / right
                return left / right if right != 0 else np.nan
        return _OPS[type(node.op)](left, right)

    result = ev(_parse(formula))
    if isinstance(result, pd.Series):
        return result.replace([np.inf, -np.inf], np.nan)
    return float(result) if np.isfinite(result) else np.nan


def _blank(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str)


def derive_indicators(
    tidy: pd.DataFrame,
    framework: Framework | None = None,
    indicators: Iterable[str] | None = None,
    max_lag: int = 0,
) -> pd.DataFrame:
    """Compute readiness indicators from the raw variables of a tidy table.

    Inputs are matched on the same ``unit_code`` and ``year``. A (unit, year)
    that has at least one input gets a row; if an input is absent or NaN, or a
    denominator is zero, the value is NaN and the note says why.

    Parameters
    ----------
    tidy : DataFrame
        Tidy observations (:data:`TIDY_COLUMNS`), e.g. from
        :func:`learningcity.data.read_observations`.
    framework : Framework, optional
        The shipped framework by default.
    indicators : iterable of str, optional
        Indicator ids to derive; all by default.
    max_lag : int, default 0
        An input absent in a year may be taken from its latest earlier year
        up to ``max_lag`` years before (e.g. the 2019 census population for
        2023 learners with ``max_lag=4``); the note then names the year used.

    Returns
    -------
    DataFrame
        Tidy rows, one per derived (unit, year, indicator). ``source_id`` joins
        the inputs' sources with ``"; "``; ``qualifier`` is the input's for a
        single-variable formula and ``"~"`` when any input of a computed one
        is approximate or a bound.
    """
    from learningcity.framework import load_framework

    if not isinstance(max_lag, int) or max_lag < 0:
        raise UsageError(f"max_lag must be a whole number of years >= 0, not {max_lag!r}")
    fw = framework if framework is not None else load_framework()
    table = fw.indicators().set_index("id")
    wanted = list(table.index) if indicators is None else list(indicators)
    unknown = [i for i in wanted if i not in table.index]
    if unknown:
        raise UsageError(f"not indicators of framework {fw.id!r}: {', '.join(unknown)}")
    tidy = tidy.copy()
    tidy["year"] = tidy["year"].astype("int64")
    tidy["qualifier"] = _blank(tidy.get("qualifier", pd.Series("", index=tidy.index)))
    tidy["source_id"] = _blank(tidy["source_id"])
    dupes = tidy.duplicated(["unit_code", "year", "indicator"], keep=False)
    if dupes.any():
        first = tidy.loc[dupes, ["unit_code", "year", "indicator"]].iloc[0].tolist()
        raise UsageError(
            f"{int(dupes.sum())} rows repeat a (unit_code, year, indicator), e.g. {first}; "
            "validate the data first (learningcity validate FILE)"
        )
    frames = []
    for ind in wanted:
        row = table.loc[ind]
        if row["rule"] == "gnlc_status":
            frames.append(_gnlc_status(tidy, ind))
        else:
            frames.append(_derive_one(tidy, ind, row["formula"], fw.inputs(ind), max_lag))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=TIDY_COLUMNS).astype({"year": "int64", "value": float})
    out = pd.concat(frames, ignore_index=True)
    return out[TIDY_COLUMNS].astype({"year": "int64", "value": float})


def _derive_one(
    tidy: pd.DataFrame, ind: str, formula: str, inputs: list[str], max_lag: int
) -> pd.DataFrame:
    part = tidy[tidy["indicator"].isin(inputs)]
    if part.empty:
        return pd.DataFrame()
    # Every (unit, year) with at least one input; each input looked up at that year
    # or, with max_lag, at its latest earlier year within the lag.
    targets = part.drop_duplicates(["unit_code", "year"]).sort_values("year")
    targets = targets[["unit_code", "year", "unit_name", "level", "note"]]
    n, k = len(targets), len(inputs)
    x = np.full((n, k), np.nan)
    used_year = np.zeros((n, k), dtype="int64")
    src = np.full((n, k), "", dtype=object)
    qual = np.full((n, k), "", dtype=object)
    for j, var in enumerate(inputs):
        right = part[part["indicator"] == var][
            ["unit_code", "year", "value", "source_id", "qualifier"]
        ]
        right = right.rename(columns={"year": "input_year"}).sort_values("input_year")
        hit = pd.merge_asof(
            targets[["unit_code", "year"]],
            right,
            left_on="year",
            right_on="input_year",
            by="unit_code",
            direction="backward",
            tolerance=max_lag,
        )
        x[:, j] = hit["value"].astype(float).to_numpy()
        used_year[:, j] = hit["input_year"].fillna(-1).astype("int64").to_numpy()
        src[:, j] = hit["source_id"].astype(object).fillna("").to_numpy()
        qual[:, j] = hit["qualifier"].astype(object).fillna("").to_numpy()
    value = evaluate_formula(formula, {v: pd.Series(x[:, j]) for j, v in enumerate(inputs)})
    years = targets["year"].to_numpy()
    notes_in = targets["note"].fillna("").astype(str).to_numpy()
    single = formula.strip() in inputs
    qualifiers, sources, notes = [], [], []
    # Plain arrays: a Python loop over them is fast, unlike .loc per row.
    for r, result in enumerate(value.to_numpy()):
        present = [j for j in range(k) if not np.isnan(x[r, j])]
        sources.append("; ".join(dict.fromkeys(src[r, j] for j in present if src[r, j])))
        lagged = any(used_year[r, j] != years[r] for j in present)
        if single:  # one input, always of this very row: keep its qualifier and note
            qualifiers.append(qual[r, 0])
            note = f"= {formula}" + (f"; {notes_in[r]}" if notes_in[r] else "")
        else:
            qualifiers.append("~" if any(qual[r, j] for j in present) else "")
            note = f"= {formula}"
        if present and (lagged or not single):
            used = []
            for j in present:
                when = f"{used_year[r, j]}, " if used_year[r, j] != years[r] else ""
                used.append(f"{inputs[j]}={qual[r, j]}{x[r, j]:g} ({when}{src[r, j]})")
            note += f" with {', '.join(used)}"
        if len(present) < k:
            note += f"; missing input: {', '.join(inputs[j] for j in range(k) if j not in present)}"
        elif np.isnan(result):
            note += "; not computable (division by zero)"
        notes.append(note)
    return pd.DataFrame(
        {
            "unit_code": targets["unit_code"].to_numpy(),
            "unit_name": targets["unit_name"].to_numpy(),
            "level": targets["level"].to_numpy(),
            "year": years,
            "indicator": ind,
            "value": value.to_numpy(),
            "qualifier": qualifiers,
            "source_id": sources,
            "note": notes,
        }
    )


def _gnlc_status(tidy: pd.DataFrame, ind: str) -> pd.DataFrame:
    """Stage 2 from the admission year on, 1 from the application year on, 0 before.

    Rows are made for every year of the table, for units with a GNLC record only:
    a unit without one stays missing (no record is not evidence of no application).
    """
    part = tidy[tidy["indicator"].isin(["gnlc_application_year", "gnlc_member_year"])]
    part = part.dropna(subset=["value"])
    if part.empty:
        return pd.DataFrame()
    years = sorted(set(tidy["year"].astype(int)))
    rows = []
    for code, grp in part.groupby("unit_code", sort=False):
        applied = grp.loc[grp["indicator"] == "gnlc_application_year", "value"].min()
        member = grp.loc[grp["indicator"] == "gnlc_member_year", "value"].min()
        if pd.notna(member) and (pd.isna(applied) or member < applied):
            applied = member
        sources = "; ".join(dict.fromkeys(s for s in grp["source_id"] if s))
        for year in years:
            stage = 2.0 if pd.notna(member) and year >= member else float(year >= applied)
            rows.append(
                {
                    "unit_code": code,
                    "unit_name": grp["unit_name"].iloc[0],
                    "level": grp["level"].iloc[0],
                    "year": year,
                    "indicator": ind,
                    "value": stage,
                    "qualifier": "",
                    "source_id": sources,
                    "note": f"rule gnlc_status: applied {applied:g}"
                    + (f", member {member:g}" if pd.notna(member) else ""),
                }
            )
    return pd.DataFrame(rows)


def to_wide(tidy: pd.DataFrame, year: int, indicators: Iterable[str] | None = None) -> pd.DataFrame:
    """The wide matrix of one year: ``unit_code`` × indicator, float, NaN = missing.

    Parameters
    ----------
    tidy : DataFrame
        Tidy observations (raw and/or derived).
    year : int
        The year to take.
    indicators : iterable of str, optional
        Columns to return, in this order (absent ones are all NaN); by default
        every indicator present that year.

    Examples
    --------
    >>> tidy = pd.DataFrame({"unit_code": ["15", "132"], "year": [2020, 2020],
    ...                      "indicator": ["learning_families"] * 2, "value": [65.0, 70.0]})
    >>> to_wide(tidy, 2020).loc["15", "learning_families"]
    np.float64(65.0)
    """
    part = tidy[tidy["year"].astype(int) == int(year)]
    dupes = part.duplicated(["unit_code", "indicator"], keep=False)
    if dupes.any():
        first = part.loc[dupes, ["unit_code", "indicator"]].iloc[0].tolist()
        raise UsageError(f"year {year}: several values for (unit_code, indicator) {first}")
    wide = part.pivot(index="unit_code", columns="indicator", values="value").astype(float)
    if indicators is not None:
        wide = wide.reindex(columns=list(indicators))
    wide.columns.name = None
    wide.index.name = "unit_code"
    return wide
