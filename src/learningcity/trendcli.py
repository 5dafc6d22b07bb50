"""``learningcity trend``: a unit's goalpost score over the years, from the shell.

The score of each year with data on that year's own figures
(:func:`learningcity.progress.unit_progress`), the change within each segment
of the series (:func:`~learningcity.progress.progress_summary`) and the outlook
on the national targets (:func:`~learningcity.progress.target_outlook`), in
Vietnamese or English; optionally the table as CSV and the figure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from learningcity.i18n import N_, gettext
from learningcity.numbers import format_number

__all__ = ["add_parser", "resolve_unit", "trend_lines"]

#: The figure formats ``--figure`` writes.
FIGURE_SUFFIXES: tuple[str, ...] = (".png", ".svg")

_TEXT = {
    "head": N_("{unit}: the goalpost score by year, each year on its own figures"),
    "year": N_("year"),
    "overall": N_("overall"),
    "area": N_("area {code}"),
    "coverage": N_("indicators"),
    "changes": N_("Change between the first and last scored year of each segment:"),
    "change": N_("{score} {first}-{last}: {change} points ({rate} a year)"),
    "change_one": N_("{score} {first}: one scored year, no change"),
    "rate_na": N_("no rate"),
    "after_break": N_("the series breaks in {year}: {reason}"),
    "coverage_differs": N_(
        "not on the same indicators ({n_from} in {first}, {n_to} in {last}): the change "
        "mixes a change of coverage with a change of the unit"
    ),
    "outlook": N_(
        "National targets (the year at the pace of the latest values is a linear "
        "extrapolation, not a forecast):"
    ),
    "target": N_("{indicator}: {value} ({year}); target {target} by {target_year}"),
    "met": N_("met"),
    "reached": N_("at the pace of {first}-{last} it would be reached in {reach} (extrapolation)"),
    "late": N_("after the target year"),
    "not_pace": N_("not at this pace (the trend of {first}-{last} does not move toward it)"),
    "too_few": N_("one value since the last break: no trend to extrapolate"),
    "no_data": N_("{indicator}: no data; target {target} by {target_year}"),
    "too_few_years": N_("{unit}: {n} year(s) with an overall score; a trend needs at least two"),
    "figure_title": N_("{unit}: the goalpost score by year"),
    "figure_y": N_("Overall score (0-100, goalposts)"),
    "figure_segment": N_("{first}-{last}"),
    "wrote": N_("wrote {path}"),
}


def _t(key: str, lang: str, **values) -> str:
    return gettext(_TEXT[key], lang).format(**values)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``learningcity trend``."""
    p = subparsers.add_parser(
        "trend",
        help="a unit's goalpost score over the years, its change and the outlook on targets",
        description=(
            "Score a unit in each year with data on that year's own figures (the "
            "framework's goalposts, so years compare), with the change and compound annual "
            "rate within each segment of the series (a series break splits it) and, for "
            "each national target, the year it would be reached at the recent pace."
        ),
        epilog="Exit status: 0 done, 1 fewer than two scored years, 2 bad input.",
    )
    p.add_argument("unit", metavar="UNIT", help="a unit code or name of the bundled data")
    p.add_argument(
        "--lang", "-l", default="vi", choices=["vi", "en"], help="language (default: vi)"
    )
    p.add_argument("--out", metavar="CSV", default=None, help="also write the table (CSV)")
    p.add_argument("--figure", metavar="PNG/SVG", default=None, help="also write the figure")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.set_defaults(func=_trend)


def resolve_unit(tidy: pd.DataFrame, text: str) -> tuple[str, str]:
    """The (code, name) of a unit of ``tidy`` given by code or by name.

    A name shared by a province and a district (Yên Bái) is the province.

    Examples
    --------
    >>> tidy = pd.DataFrame({"unit_code": ["15", "132"], "unit_name": ["Yên Bái"] * 2,
    ...                      "level": ["province", "district"]})
    >>> resolve_unit(tidy, "yen bai"), resolve_unit(tidy, "132")
    (('15', 'Yên Bái'), ('132', 'Yên Bái'))
    """
    from learningcity.errors import UsageError
    from learningcity.text import fold

    units = tidy.drop_duplicates("unit_code")[["unit_code", "unit_name", "level"]]
    units = units.astype({"unit_code": str, "unit_name": str})
    hit = units[units["unit_code"] == str(text).strip()]
    if hit.empty:
        hit = units[units["unit_name"].map(fold) == fold(str(text))]
        if len(hit) > 1 and (hit["level"] == "province").sum() == 1:
            hit = hit[hit["level"] == "province"]
    if hit.empty:
        raise UsageError(f"{text!r} is not a unit code or name of the bundled data")
    if len(hit) > 1:
        codes = ", ".join(f"{r.unit_code} ({r.level})" for r in hit.itertuples())
        raise UsageError(f"{text!r} names several units: {codes}; give a code")
    return str(hit["unit_code"].iloc[0]), str(hit["unit_name"].iloc[0])


def _num(x, lang: str, decimals: int = 1) -> str:
    return format_number(x, lang, decimals)


def _signed(x: float, lang: str) -> str:
    return ("+" if x > 0 else "") + _num(x, lang)


def trend_lines(
    name: str, progress: pd.DataFrame, summary: pd.DataFrame, outlook: pd.DataFrame,
    reasons: dict[int, str], names: dict[str, str], lang: str,
) -> list[str]:  # fmt: skip
    """The lines ``learningcity trend`` prints (see the module docstring)."""
    wide = progress.pivot(index="year", columns="code", values="score")
    areas = [c for c in wide.columns if c != "overall"]
    overall = progress[progress["level"] == "overall"].set_index("year")
    heads = [_t("year", lang), _t("overall", lang), *(_t("area", lang, code=a) for a in areas),
             _t("coverage", lang)]  # fmt: skip
    rows = [
        [str(y), _num(wide.loc[y, "overall"], lang), *(_num(wide.loc[y, a], lang) for a in areas),
         f"{overall.loc[y, 'n_indicators']}/{overall.loc[y, 'n_total']}"]
        for y in wide.index
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(len(heads))]
    lines = [_t("head", lang, unit=name), ""]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [heads, *rows]]
    lines += ["", _t("changes", lang)]
    for s in summary.itertuples():
        label = _t("overall", lang) if s.level == "overall" else _t("area", lang, code=s.code)
        if not pd.isna(s.break_year):
            reason = reasons.get(int(s.break_year), "")
            lines.append(f"  ({_t('after_break', lang, year=s.break_year, reason=reason)})")
        if s.n_years < 2:
            lines.append("  " + _t("change_one", lang, score=label, first=s.year_from))
            continue
        rate = _t("rate_na", lang) if pd.isna(s.annual_rate) else (
            _signed(s.annual_rate, lang) + " %")  # fmt: skip
        lines.append("  " + _t("change", lang, score=label, first=s.year_from, last=s.year_to,
                                change=_signed(s.change, lang), rate=rate))  # fmt: skip
        if not s.same_indicators:
            lines.append("    ! " + _t("coverage_differs", lang, n_from=s.n_from, n_to=s.n_to,
                                        first=s.year_from, last=s.year_to))  # fmt: skip
    lines += ["", _t("outlook", lang)]
    for o in outlook.itertuples():
        ind = names.get(o.indicator, o.indicator)
        target = _num(o.target, lang, None)
        if o.status == "no data":
            lines.append("  " + _t("no_data", lang, indicator=ind, target=target,
                                    target_year=o.target_year))  # fmt: skip
            continue
        line = _t("target", lang, indicator=ind, value=_num(o.last_value, lang),
                  year=o.last_year, target=target, target_year=o.target_year)  # fmt: skip
        if o.status == "met":
            verdict = _t("met", lang)
        elif o.status == "reached":
            verdict = _t("reached", lang, first=o.fit_from, last=o.fit_to, reach=o.reach_year)
            if not o.on_time:
                verdict += f" ({_t('late', lang)})"
        elif o.status == "not at this pace":
            verdict = _t("not_pace", lang, first=o.fit_from, last=o.fit_to)
        else:
            verdict = _t("too_few", lang)
        lines.append(f"  {line}: {verdict}")
    return lines


def _trend(args: argparse.Namespace) -> int:
    import warnings

    from learningcity.data import load_bundled_observations
    from learningcity.errors import UsageError
    from learningcity.exports import write_csv
    from learningcity.framework import load_framework
    from learningcity.progress import (
        break_reasons,
        plot_progress,
        progress_summary,
        target_outlook,
        unit_progress,
    )

    for path in (args.out, args.figure):
        if path and not args.force and Path(path).exists():
            raise UsageError(f"{path} exists; pass --force to replace it")
    if args.figure and Path(args.figure).suffix.lower() not in FIGURE_SUFFIXES:
        raise UsageError(f"--figure {args.figure}: expected a .png or .svg file")
    lang = args.lang
    tidy = load_bundled_observations()
    code, name = resolve_unit(tidy, args.unit)
    label = f"{name} ({code})"
    fw = load_framework()
    progress = unit_progress(tidy, code, fw)
    n_scored = int(progress.loc[progress["level"] == "overall", "score"].notna().sum())
    if n_scored < 2:
        print(f"learningcity trend: {_t('too_few_years', lang, unit=label, n=n_scored)}",
              file=sys.stderr)  # fmt: skip
        return 1
    summary = progress_summary(progress, fw)
    outlook = target_outlook(tidy, code, fw)
    reasons = break_reasons(fw, lang)
    names = fw.indicators().set_index("id")[f"name_{lang}"].to_dict()
    print("\n".join(trend_lines(label, progress, summary, outlook, reasons, names, lang)))
    if args.out:
        table = progress.assign(unit_code=code)
        path = write_csv(table[["unit_code", *progress.columns]], args.out, overwrite=args.force)
        print(_t("wrote", lang, path=path))
    if args.figure:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fig = plot_progress(
                progress, summary, reasons, title=_t("figure_title", lang, unit=label),
                ylabel=_t("figure_y", lang), segment_label=gettext(_TEXT["figure_segment"], lang),
            )  # fmt: skip
            fig.savefig(args.figure)
        plt.close(fig)
        print(_t("wrote", lang, path=args.figure))
    return 0
