"""``learningcity score``: a unit's readiness score on the goalposts, from the shell.

The same score, interval and place a report's headline gives
(:mod:`learningcity.reports.unitscore`), without running a notebook: for a
researcher checking a number, or a planner checking a filled-in workbook
before the report run.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pandas as pd

__all__ = ["add_parser", "score_table"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``learningcity score``."""
    from learningcity.localdata import add_data_arguments

    p = subparsers.add_parser(
        "score",
        help="a unit's readiness score on the framework's goalposts, with its interval",
        description=(
            "Score each unit on its own figures (published, carried from the old units, "
            "and those of --data) on the framework's goalposts, as the reports do: the "
            "overall and area scores, the level, the indicators the score rests on, the "
            "5-95 %% interval over the method variants and the place among the provinces."
        ),
        epilog="Exit status: 0 done (a unit may have no score), 2 bad input.",
    )
    p.add_argument("units", nargs="+", metavar="UNIT", help="names, codes or city ids")
    p.add_argument(
        "--year",
        "-y",
        type=int,
        default=dt.date.today().year,
        help="year of the figures and of the geography (default: this year)",
    )
    p.add_argument(
        "--compare",
        choices=["current", "data-year"],
        default="current",
        help="the provinces of the place and interval (default: current)",
    )
    p.add_argument(
        "--replications",
        "-n",
        type=int,
        default=300,
        metavar="N",
        help="Monte Carlo replications of the interval (default: 300)",
    )
    p.add_argument("--seed", type=int, default=2026, help="seed of the interval (default: 2026)")
    p.add_argument(
        "--out",
        metavar="CSV",
        default=None,
        help="also write each indicator's figure and score (formula-safe CSV)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    add_data_arguments(p)
    p.set_defaults(func=_score)


def score_table(us, meta: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator of a :class:`~learningcity.reports.unitscore.UnitScore`.

    Columns: ``unit_code, indicator, focus_area, area, year, value, qualifier,
    provenance, goalpost_low, goalpost_high, score, used``.
    """
    v = us.values
    out = pd.DataFrame(
        {
            "unit_code": us.code,
            "indicator": v["indicator"],
            "focus_area": v["indicator"].map(meta["focus_area"]),
            "area": v["indicator"].map(meta["area"]),
            "year": v["year"].astype(int),
            "value": v["value"],
            "qualifier": v["qualifier"].fillna(""),
            "provenance": v.get("provenance", pd.Series("published", index=v.index)),
            "goalpost_low": v["goalpost_low"],
            "goalpost_high": v["goalpost_high"],
            "score": v["score"].round(2),
            "used": v["used"],
        }
    )
    return out.sort_values(["focus_area", "indicator"]).reset_index(drop=True)


def _score(args: argparse.Namespace) -> int:
    from learningcity.cities import resolve_place
    from learningcity.errors import UsageError
    from learningcity.exports import write_csv
    from learningcity.localdata import load_local_data
    from learningcity.reports.context import build_context, report_date
    from learningcity.reports.unitscore import score_unit

    if args.replications < 1:
        raise UsageError(f"--replications {args.replications}: expected 1 or more")
    if args.out and not args.force and Path(args.out).exists():
        raise UsageError(f"{args.out} exists; pass --force to replace it")
    date = report_date(args.year)
    places = [resolve_place(u, date) for u in args.units]  # every unit checked first
    local = load_local_data(args.data, prefer_local=args.prefer_local) if args.data else None
    ctx = build_context(
        args.year, n_replications=args.replications, seed=args.seed, data=local
    ).with_comparison(args.compare)
    tables = []
    for place in places:
        unit = place.unit
        us = score_unit(ctx, unit["code"])
        label = f"{unit['type']} {unit['name']} ({unit['code']})"
        if us.has_score:
            level = ctx.bands.set_index("level").loc[us.readiness, "name_en"]
            line = (
                f"{label}: {us.overall:.1f}/100, {level}, from {us.n_indicators} of "
                f"{len(ctx.meta)} indicators"
            )
            if us.interval is not None:
                line += f"; 90 % interval {us.interval[0]:.1f}-{us.interval[1]:.1f}"
            print(line)
        else:
            k = int(us.values["used"].sum())
            print(
                f"{label}: no score ({k} of {len(ctx.meta)} indicators with figures; an "
                f"area needs {us.min_indicators})"
            )
        for area, n in us.counts.sort_index().items():
            value = us.scores["area"].get(area, float("nan"))
            shown = f"{value:.1f}" if pd.notna(value) else "no score"
            print(f"  area {area}: {shown} ({n} indicator(s))")
        if us.place is not None:
            p = us.place
            print(
                f"  on the provinces' {p['k']} of {p['K']} indicators: {p['score']:.1f}, "
                f"place {p['rank']} of {p['n'] + 1} beside the {p['n']} provinces "
                f"({ctx.index_year})"
            )
        summary = ctx.summary()
        if ctx.same_geography and unit["level"] == "province" and unit["code"] in summary.index:
            row = summary.loc[unit["code"]]
            print(
                f"  among the {int(summary['nominal_rank'].notna().sum())} provinces compared "
                f"(its {ctx.index_year} figures, as in its report): {row['nominal_score']:.1f}, "
                f"rank {int(row['nominal_rank'])} ({int(row['rank_low'])}-"
                f"{int(row['rank_high'])})"
            )
        tables.append(score_table(us, ctx.meta))
    if args.out:
        path = write_csv(pd.concat(tables, ignore_index=True), args.out, overwrite=args.force)
        print(f"wrote {path}")
    return 0
