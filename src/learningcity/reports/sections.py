"""The sections of the planner reports: text, tables and figures per unit.

Templates stay short: each cell calls one function here with the run's shared
:class:`~learningcity.reports.context.ReportContext`, the unit and the
language, and displays what it returns (Markdown text, an HTML table or a
matplotlib figure). Everything a planner reads is written for a planner, in
Vietnamese or English, with numbers formatted for the language.

Text from the data (unit names, publishers, documents, indicator names …) is
never trusted as markup: nbconvert copies raw HTML in Markdown and in HTML
outputs straight into the planner's page, so a publisher such as
``<img src=x onerror=…>`` would run there. :func:`tr` escapes every value it
fills in (:func:`md_text`), :func:`html_table` escapes every cell and header,
and the only markup built from data is a link to an ``http(s)`` address.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from learningcity.i18n import N_, format_date, gettext
from learningcity.numbers import format_number

__all__ = [
    "appendix_gaps",
    "appendix_local",
    "appendix_method",
    "appendix_sources",
    "checklist_table",
    "compared_label",
    "comparison_sentence",
    "district_table",
    "facts_heading",
    "districts_heading",
    "facts_table",
    "geography_section",
    "goalpost_table",
    "heading",
    "headline",
    "html_table",
    "locator_figure",
    "map_figure",
    "md_text",
    "own_score_sentences",
    "members_table",
    "peers_section",
    "predecessor_table",
    "profile_figure",
    "progress_section",
    "rank_interval_figure",
    "scope_label",
    "score_table",
    "strengths_table",
    "targets_table",
    "tr",
    "use_vector_figures",
]

TEXT: dict[str, str] = {
    "title": N_("# Readiness to become a learning city: {unit}"),
    "title_overview": N_("# Learning-city readiness overview: {unit}"),
    "intro": N_(
        "Report for {year}, prepared on {today}. Every figure has its source; none is an estimate."
    ),
    "score_line": N_(
        "**{unit}** scores **{score}/100** for readiness, level **{level}**, from {k} of "
        "{K} indicators; rank **{rank} of {n}** provinces ({iyear}). Across {reps} "
        "reasonable variants of the method the rank lies between **{low} and {high}** (90 "
        "% of them). Within the {region}: {grank} of {gn}."
    ),
    "no_score": N_(
        "A readiness score cannot be computed for **{unit}** yet: {k} of {K} framework "
        "indicators have figures, and no area has the {m} indicators the framework "
        "requires for a score. The sections below use **{province}** for comparison and "
        "list what needs collecting."
    ),
    "own_score": N_(
        "**{unit}** scores **{score}/100** for readiness on the framework's goalposts, "
        "level **{level}**, from **{k} of {K} indicators** (figures of {years}{local}). "
        "Across {reps} reasonable variants of the method the score lies between **{low} "
        "and {high}** (90 % of them)."
    ),
    "own_score_no_interval": N_(
        "**{unit}** scores **{score}/100** for readiness on the framework's goalposts, "
        "level **{level}**, from **{k} of {K} indicators** (figures of {years}{local})."
    ),
    "own_local": N_("; {n} collected locally"),
    "areas_unscored": N_(
        "Area {areas} has no score: an area needs at least {m} indicators with figures."
    ),
    "bounds_left_out": N_("Left out of the score because only a bound is known: {names}."),
    "own_place": N_(
        "For comparison: on the same goalposts and the {k} of {K} indicators the provinces "
        "are compared on, {unit} scores {score}, which would place it {rank} of {n1} "
        "beside the {n} provinces (their figures of {iyear})."
    ),
    "for_comparison": N_("The compared provinces that hold the area of {unit}:"),
    "coverage_line": N_(
        "Data coverage: {k} of {K} framework indicators have figures for {unit} ({share}); "
        "the province index uses the {kept} indicators published for at least 65 % of the "
        "{n} provinces in {iyear}; area {missing_areas} has no province data yet."
    ),
    "compare_same": N_("Compared among **the {n} provinces**, with figures of {iyear}."),
    "compare_current": N_(
        "Compared among **today's {n} provinces** (units of {date}); each carries the "
        "{iyear} figures of the old provinces that formed it, combined: counts summed, "
        "rates and shares weighted by size (mostly by population, standing in for their "
        "true bases, which are not published)."
    ),
    "compare_data_year": N_(
        "Compared among **the {n} provinces of {iyear}** under their names then (before "
        "the merger of 1 July 2025); the area of {unit} was in {scopes}."
    ),
    "formed_from": N_(
        "{province} was formed on 1 July 2025 from {predecessors}; its {iyear} figures are "
        "theirs, combined."
    ),
    "not_then_own": N_(
        "{unit} did not exist in {iyear}; it is scored below on its own figures (carried "
        "from the old units), beside the provinces that formed it."
    ),
    "not_then": N_(
        "{unit} did not exist in {iyear}; the scores below are those of the provinces that "
        "formed it."
    ),
    "geography": N_("The report uses the administrative units of {date}."),
    "city_members": N_(
        "{unit} is the city made of {members} ({province} province), as defined in the "
        "project's list of cities (data/units/cities.csv)."
    ),
    "carried": N_(
        "Figures published for units before 1 July 2025 are carried into these units "
        "through the crosswalk of the reform: the column 'Carried from' names the old "
        "units, and the year column their year; where the boundaries differ the figure "
        "reads 'about', 'above' or 'below'. They are published figures summed or averaged, "
        "not estimates."
    ),
    "place_successor": N_(
        "{named} ({code}) existed until {until}; this report is on its successor: {unit}."
    ),
    "place_reused": N_("Code {code} is {unit}'s since 1 July 2025; before that it was {named}'s."),
    "place_city": N_(
        "'{query}' is the city {unit}; for a ward or commune of that name, give its type "
        "(e.g. 'Phường {query}') or its province after a comma."
    ),
    "members_table": N_("### Member units and where they came from"),
    "predecessor_figures": N_(
        "### Figures published for the old units\n\nEach old unit's figures (latest up to "
        "{year}) under its name before 1 July 2025."
    ),
    "profile": N_(
        "## Profile over the 12 focus areas\n\nScores of {unit} (0–100) against the median "
        "and interquartile range of the provinces compared (figures of {iyear})."
    ),
    "areas": N_("Scores of the 3 areas:"),
    "strengths": N_(
        "## Strengths and weaknesses\n\nThe indicators on which {unit} ranks highest and "
        "lowest among the {n} provinces (figures of {iyear})."
    ),
    "progress": N_(
        "## Progress over the years\n\nThe overall goalpost score of {unit} in each year "
        "with figures, each year on that year's own figures: the goalposts are fixed, so "
        "the years compare."
    ),
    "progress_change": N_(
        "From {first} to {last} the overall score went from {s0} to {s1}: {change} "
        "points, {rate} % a year (compound)."
    ),
    "progress_coverage": N_(
        "The two years do not rest on the same indicators ({n_from} in {first}, {n_to} "
        "in {last}): part of the change is one of coverage, not of the unit."
    ),
    "progress_break": N_(
        "The series breaks in {year} ({reason}): no change is computed across it."
    ),
    "progress_too_few": N_(
        "{unit} has {n} year(s) with an overall score up to {year}: too few to show a trend."
    ),
    "outlook_head": N_(
        "At the pace of its latest values (a linear extrapolation, not a forecast):"
    ),
    "outlook_met": N_("{indicator}: {value} in {vyear}, the {tyear} target {target} is met."),
    "outlook_reached": N_(
        "{indicator}: {value} in {vyear}; at the pace of {first}–{last} the {tyear} "
        "target {target} would be reached in {reach}."
    ),
    "outlook_away": N_(
        "{indicator}: {value} in {vyear}; the trend of {first}–{last} does not move "
        "toward the {tyear} target {target}."
    ),
    "targets": N_(
        "## Gap to the national 2025 and 2030 targets\n\nThe latest published figure "
        "against the targets of the Prime Minister's decisions."
    ),
    "no_targets": N_("No published figure yet for the indicators that have national targets."),
    "checklist": N_(
        "## UNESCO GNLC application checklist\n\nWhat the application asks for (UIL) and "
        "what the data shows: in place, missing, or unknown."
    ),
    "peers": N_(
        "## Similar provinces\n\n{sentence} Provinces with a GNLC member city are marked ★."
    ),
    "map": N_("## Map\n\nReadiness scores of the {n} provinces (figures of {iyear})."),
    "intervals": N_(
        "## Ranks and their uncertainty\n\nEach province's rank among the {n} provinces "
        "(figures of {iyear}) and its 90 % interval over {reps} reasonable variants of the "
        "method."
    ),
    "districts": N_(
        "## District-level units\n\nPublished figures for each district, town and city "
        "(before 1 July 2025)."
    ),
    "districts_post": N_(
        "## The province's cities\n\nDistricts were abolished on 1 July 2025. Figures of "
        "the cities in the project's list, carried from the old units (the year of each "
        "figure in brackets)."
    ),
    "no_cities": N_("No city of this province is in the list yet (data/units/cities.csv)."),
    "facts": N_("## Published figures for {unit}"),
    "facts_local": N_("## Figures for {unit}: published and collected locally"),
    "score_table": N_(
        "## How {unit}'s score is made\n\nEach figure is placed between the framework's "
        "two goalposts: 0 at the low one, 100 at the high one (reversed where lower is "
        "better), and 0 or 100 outside them. Focus-area and area scores are arithmetic "
        "means; the basis of every goalpost is in the appendix."
    ),
    "appendix": N_("## Appendix"),
    "sources": N_("### Sources"),
    "method": N_(
        "### Method\n\n**The main score** uses the framework's goalposts (an absolute "
        "scale, as UNDP does for the Human Development Index): each indicator scores 0–100 "
        "between its low and high goalpost, with no need of other units. So a city with "
        "figures it collected itself gets a score and a level, and cities and provinces "
        "stand on one scale. Nothing is imputed and no outlier is treated (both would make "
        "a unit's score depend on the others). Focus-area, area and overall scores are "
        "arithmetic means; an area with fewer than {m} indicators with figures has no "
        "score, and the overall score rests on the areas that have one. Provinces are "
        "compared on the indicators published for at least 65 % of them.\n\n**Intervals**: "
        "{reps} runs (seed {seed}) over reasonable alternatives: min–max and "
        "percentile-rank normalisation (relative to the provinces), outlier treatment or "
        "none, arithmetic or geometric means, weights varied by ±{noise} %, indicators "
        "left out; for provinces also the imputation of gaps (not for a city, whose gaps "
        "would be filled from provinces). The readiness levels are this project's choice, "
        "not UNESCO's."
    ),
    "goalposts": N_("The goalposts and their basis:"),
    "gaps": N_("### Data to collect\n\nFramework indicators with no published figure for {unit}:"),
    "none": N_("None."),
    "no_data": N_("No data"),
    "local_data": N_(
        "### Collected locally\n\nThis report also uses figures collected locally (marked "
        "“collected locally” in the tables), beside the published figures. Data files:"
    ),
    "local_file": N_("- {name}: {rows} figures (SHA-256 {sha}); collected by: {by}; on: {on}"),
    "local_unknown": N_("not stated"),
    "disagreements": N_(
        "Local figures that differ from a published figure (the local one is used, as "
        "asked with --prefer-local):"
    ),
    "disagreement": N_(
        "- {unit}, {year}, {indicator}: local {local} ({where}); published {published} "
        "(source {source})"
    ),
    "no_disagreements": N_("No local figure differs from a published one."),
}

#: How a figure's origin is named in the tables (``provenance`` of the tidy table).
PROVENANCE: dict[str, str] = {
    "local": N_("collected locally"),
    "published": N_("published"),
}

COLUMNS: dict[str, str] = {
    "indicator": N_("Indicator"),
    "focus_area": N_("Focus area"),
    "area": N_("Area"),
    "kind": N_("Kind"),
    "rank": N_("Rank (of 63)"),
    "score": N_("Score"),
    "value": N_("Value"),
    "year": N_("Year"),
    "target": N_("Target"),
    "target_year": N_("Target year"),
    "gap": N_("Gap"),
    "met": N_("Met?"),
    "source": N_("Source"),
    "item": N_("Requirement"),
    "status": N_("Status"),
    "evidence": N_("Evidence"),
    "unit": N_("Unit"),
    "distance": N_("Distance"),
    "gnlc": N_("GNLC member"),
    "carried_from": N_("Carried from"),
    "provenance": N_("Origin"),
    "goalposts": N_("Goalposts (low – high)"),
    "basis_low": N_("Basis of the low goalpost"),
    "basis_high": N_("Basis of the high goalpost"),
    "n_indicators": N_("Indicators"),
    "interval": N_("90 % interval"),
    "peers_of": N_("Peers of"),
    "share": N_("In the city"),
    "from_units": N_("Formed from (before 1 July 2025)"),
}
_SHARE = {
    "whole": N_("whole"),
    "partial": N_("partly"),
}
_QUALIFIER = {
    "": "",
    ">": N_("above "),
    "<": N_("below "),
    "~": N_("about "),
}
_YES = N_("yes")
_NO = N_("no")
_KIND = {
    "strength": N_("strength"),
    "weakness": N_("weakness"),
}
# GSO's socio-economic regions, as data/gso/province-names.csv names them (translated
# like any message; "Northern Central area …" is the spelling of that file).
_REGIONS = (
    N_("Red River Delta"),
    N_("Northern midlands and mountain areas"),
    N_("North Central and Central coastal areas"),
    N_("Northern Central area and Central coastal area"),
    N_("Central Highlands"),
    N_("South East"),
    N_("Mekong River Delta"),
)
_TYPE_EN = {
    "Tỉnh": "province",
    "Thành phố": "city",
    "Thị xã": "town",
    "Huyện": "district",
    "Quận": "urban district",
    "Phường": "ward",
    "Xã": "commune",
    "Thị trấn": "township",
    "Đặc khu": "special zone",
    "Đô thị": "city",  # a city of data/units/cities.csv: a named set of wards and communes
}


# Characters that are markup in Markdown (inline) or in Jupyter's Markdown ($ maths).
_MD_INLINE = re.compile(r"([\\`*_\[\]|~$#])")
# Markup only at the start of a line: list items, setext underlines, ordered lists.
_MD_LINE_START = re.compile(r"^([-+=])|^(\d+)([.)])(?=\s|$)")


def _col(key: str, lang: str) -> str:
    """A column heading of :data:`COLUMNS` in ``lang``."""
    return gettext(COLUMNS[key], lang)


def use_vector_figures() -> None:
    """Show the report's figures as SVG: sharp in the HTML, vectors in the PDF.

    Called once by the templates' set-up cell (in a Jupyter kernel). Text is
    drawn as paths, so the figures need no font on the reader's machine.
    """
    import matplotlib as mpl
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    mpl.rcParams["svg.fonttype"] = "path"
    mpl.rcParams["svg.hashsalt"] = "learningcity"  # the same ids in every run
    # No creation date in the file: the same report gives the same bytes.
    set_matplotlib_formats("svg", metadata={"Date": None})


def md_text(value: Any) -> str:
    """``value`` as literal text inside Markdown: no HTML, no Markdown markup.

    ``<``, ``>`` and ``&`` become HTML entities (nbconvert passes raw HTML
    through), characters that Markdown would read as markup are
    backslash-escaped, and line breaks become spaces so a value cannot start
    a heading, list or code block.

    Parameters
    ----------
    value : object
        Any value; it is converted with ``str``.

    Returns
    -------
    str
        Text that renders as exactly ``str(value)`` (whitespace collapsed).

    Examples
    --------
    >>> md_text('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror="alert(1)"&gt;'
    >>> print(md_text("[x](javascript:alert(1)) *bold*"))
    \\[x\\](javascript:alert(1)) \\*bold\\*
    >>> md_text("Nghĩa Lộ (town)")
    'Nghĩa Lộ (town)'
    """
    text = " ".join(str(value).split())
    text = html.escape(text, quote=False)
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)


def tr(key: str, lang: str, **values: Any) -> str:
    """A report text in the report's language, with values filled in.

    The texts are Markdown; each value is escaped with :func:`md_text`, so
    a name from the data shows as written and never as markup.

    Examples
    --------
    >>> tr("facts", "en", unit="Nghĩa Lộ")
    '## Published figures for Nghĩa Lộ'
    >>> tr("facts", "en", unit="<script>alert(1)</script>")
    '## Published figures for &lt;script&gt;alert(1)&lt;/script&gt;'
    """
    return gettext(TEXT[key], lang).format(**{k: md_text(v) for k, v in values.items()})


def unit_label(unit: pd.Series, lang: str) -> str:
    """ "Thị xã Nghĩa Lộ" in Vietnamese, "Nghĩa Lộ (town)" in English."""
    if lang == "vi":
        return f"{unit['type']} {unit['name']}"
    return f"{unit['name']} ({_TYPE_EN.get(unit['type'], unit['type'])})"


def _fmt(x: Any, lang: str, decimals: int | None = None, *, indicator: str = "") -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return gettext(TEXT["no_data"], lang)
    if indicator.endswith("_year"):
        return str(int(x))  # a calendar year takes no thousands separator
    if decimals is None:
        decimals = 0 if float(x).is_integer() else 1
    return format_number(float(x), lang, decimals)


def _ind_name(ctx, indicator: str, lang: str) -> str:
    col = "name_vi" if lang == "vi" else "name_en"
    if indicator in ctx.meta.index and col in ctx.meta.columns:
        return str(ctx.meta.loc[indicator, col])
    return indicator


_WEB_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)


def _link(value: Any) -> str:
    """An ``<a>`` to ``value`` when it is an http(s) address, else the escaped text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value).strip()
    # Both checks: the text itself must start with the scheme (no "java\nscript:"
    # tricks that urlsplit would clean up) and parse to a host.
    if _WEB_URL.fullmatch(text) and urlsplit(text).netloc:
        return f'<a href="{html.escape(text, quote=True)}">{html.escape(text)}</a>'
    return html.escape(text)


def html_table(df: pd.DataFrame, *, links: Iterable[str] = ()):
    """An HTML table for the report: no row numbers, full text, stable element ids.

    Every cell and column name is HTML-escaped; the cells of the ``links``
    columns become links when they hold an ``http``/``https`` address (other
    schemes, such as ``javascript:``, stay plain text).

    Parameters
    ----------
    df : DataFrame
        The table as the planner reads it.
    links : iterable of str, optional
        Columns of web addresses to show as links.

    Returns
    -------
    IPython.display.HTML

    Examples
    --------
    >>> t = pd.DataFrame({"Publisher": ["<b>GSO</b>"], "Link": ["https://gso.gov.vn/?a=1&b=2"]})
    >>> page = html_table(t, links=["Link"]).data
    >>> "&lt;b&gt;GSO&lt;/b&gt;" in page, '<a href="https://gso.gov.vn/?a=1&amp;b=2">' in page
    (True, True)
    """
    from IPython.display import HTML

    digest = hashlib.sha1(df.to_csv().encode("utf-8")).hexdigest()[:10]
    styler = (
        df.style.hide(axis="index")
        .format(escape="html")
        .format_index(escape="html", axis="columns")
        .set_uuid(f"t{digest}")
        .set_properties(**{"text-align": "left", "white-space": "normal"})
        .set_table_styles([{"selector": "th", "props": [("text-align", "left")]}])
    )
    links = [c for c in links if c in df.columns]
    if links:
        # The link formatter escapes its own parts; Styler's escape would mangle the tag.
        styler = styler.format(_link, subset=links, escape=None)
    return HTML(styler.to_html())


def _scopes(ctx, unit: pd.Series) -> list[str]:
    """Compared provinces that speak for the unit: its province, or its predecessors."""
    return ctx.scopes(unit)


def _n(ctx) -> int:
    """How many provinces the comparison holds."""
    return int(ctx.summary()["nominal_rank"].notna().sum())


def compared_label(ctx, code: str, lang: str) -> str:
    """A compared province as text: "Tỉnh Lào Cai"; an old one "Tỉnh Yên Bái (trước 1/7/2025)".

    Examples
    --------
    >>> row = pd.Series({"code": "15", "name": "Yên Bái", "type": "Tỉnh", "level": "province"})
    >>> class Ctx:  # a context comparing the 63 provinces of 2016 in a 2026 report
    ...     same_geography = False
    ...     def compared_row(self, code): return row
    >>> compared_label(Ctx(), "15", "en")
    'Yên Bái (province, before 1 July 2025)'
    """
    row = ctx.compared_row(code)
    if row is None:
        return code
    label = unit_label(row, lang)
    if not ctx.same_geography:
        if lang == "vi":  # "Tỉnh Yên Bái (trước 1/7/2025)": the type leads, nothing to merge
            return gettext(N_("{label} (before 1 July 2025)"), lang).format(label=label)
        return label[:-1] + ", before 1 July 2025)" if label.endswith(")") else label
    return label


def scope_label(ctx, unit: pd.Series, lang: str) -> str:
    """The compared province(s) speaking for the unit, as text ("Tỉnh Lào Cai")."""
    labels = [compared_label(ctx, c, lang) for c in _scopes(ctx, unit)]
    return gettext(N_(" and "), lang).join(labels) or "—"


def _date(day: str, lang: str) -> str:
    return format_date(day, lang, "short")


def heading(key: str, ctx, unit: pd.Series, lang: str) -> str:
    """A section's heading text (``TEXT[key]``) with the run's values filled in.

    The values a heading may use: ``unit`` (the compared province(s) speaking
    for the unit), ``n`` (provinces compared), ``iyear`` (their data year),
    ``reps`` (Monte Carlo replications) and ``year`` (the report's year).

    Examples
    --------
    >>> class Ctx:
    ...     index_year, n_replications, year, same_geography = 2016, 300, 2026, True
    ...     def scopes(self, unit): return []
    ...     def summary(self): return pd.DataFrame({"nominal_rank": range(1, 35)})
    >>> heading("map", Ctx(), pd.Series(dtype=object), "en").splitlines()[-1]
    'Readiness scores of the 34 provinces (figures of 2016).'
    """
    values = {
        "unit": scope_label(ctx, unit, lang),
        "n": _n(ctx),
        "iyear": ctx.index_year,
        "reps": ctx.n_replications,
        "year": ctx.year,
    }
    return tr(key, lang, **values)


def comparison_sentence(ctx, unit: pd.Series, lang: str) -> str:
    """Which provinces the report compares (the 34 of today, or those of the data year).

    After the reform the sentence says whether today's provinces carry their
    predecessors' combined figures, or the provinces of the data year are shown
    under their own names; the unit's province says what it was formed from.
    """
    n, iyear = _n(ctx), ctx.index_year
    if ctx.same_geography and not ctx.combined:
        return tr("compare_same", lang, n=n, iyear=iyear)
    if not ctx.same_geography:
        return tr("compare_data_year", lang, n=n, iyear=iyear, unit=unit_label(unit, lang),
                  scopes=scope_label(ctx, unit, lang))  # fmt: skip
    text = tr("compare_current", lang, n=n, iyear=iyear, date=_date(ctx.date, lang))
    for code in _scopes(ctx, unit):
        row = ctx.compared_row(code)
        if row is not None and row.get("predecessors"):
            text += " " + tr("formed_from", lang, province=unit_label(row, lang),
                             predecessors=row["predecessors"], iyear=iyear)  # fmt: skip
    return text


def headline(ctx, unit: pd.Series, lang: str, *, overview: bool = False) -> str:
    """Title, which provinces are compared, the score/rank sentence (or why there is none)
    and the coverage sentence."""
    import datetime as dt

    label = unit_label(unit, lang)
    parts = [
        tr("title_overview" if overview else "title", lang, unit=label),
        tr(
            "intro",
            lang,
            year=ctx.year,
            today=format_date(dt.date.today(), lang),
        ),
        comparison_sentence(ctx, unit, lang),
    ]
    scopes = _scopes(ctx, unit)
    summary = ctx.summary()
    known = ctx.latest_values(unit["code"])
    k = int(known["indicator"].isin(ctx.meta.index).sum())
    big_k = len(ctx.meta)
    # The unit is scored only when it is itself one of the compared provinces: a re-used
    # code in another geography ("15" of 2016 is Yên Bái) never lends it its score.
    compared_itself = _compared_itself(ctx, unit)
    if compared_itself:
        parts.append(_score_sentence(ctx, unit["code"], label, lang))
    else:
        own = own_score_sentences(ctx, unit, lang)
        if unit["level"] == "province":
            key = "not_then_own" if own else "not_then"
            parts.append(tr(key, lang, unit=label, iyear=ctx.index_year))
        elif not own:
            from learningcity.reports.unitscore import cached_score

            # "Tỉnh Yên Bái", not "Yên Bái": the city and its province share the name.
            parts.append(tr("no_score", lang, unit=label, k=k, K=big_k,
                            m=cached_score(ctx, unit["code"]).min_indicators,
                            province=scope_label(ctx, unit, lang)))  # fmt: skip
        parts.extend(own)
        if own and scopes:
            parts.append(tr("for_comparison", lang, unit=label))
        for code in scopes:
            if code in summary.index:
                parts.append(_score_sentence(ctx, code, compared_label(ctx, code, lang), lang))
    covered_areas = set(ctx.meta.loc[ctx.kept, "area"])
    missing_areas = sorted(set(ctx.meta["area"]) - covered_areas) or ["—"]
    parts.append(
        tr(
            "coverage_line",
            lang,
            k=k,
            K=big_k,
            unit=label,
            share=format_number(100 * k / big_k, lang, 0) + " %",
            kept=len(ctx.kept),
            n=_n(ctx),
            iyear=ctx.index_year,
            missing_areas=", ".join(missing_areas),
        )
    )
    return "\n\n".join(parts)


def geography_section(ctx, unit: pd.Series, lang: str, place=None) -> str:
    """The units the report speaks of: the date, a city's members, how the unit was found.

    ``place`` is the :class:`~learningcity.cities.Place` the template resolved
    the unit with; its note (a successor, a re-used code, a city chosen over
    same-named wards) is said here.
    """
    parts = [tr("geography", lang, date=_date(ctx.date, lang))]
    if unit["level"] == "city":
        from learningcity.cities import city_members

        members = city_members(unit["code"], ctx.date)
        listed = ", ".join(
            f"{m.type} {m.name}"
            + (f" ({gettext(_SHARE['partial'], lang)})" if m.share == "partial" else "")
            for m in members.itertuples()
        )
        province = ctx.name(unit.get("parent_code", "")) or "—"
        parts.append(tr("city_members", lang, unit=unit_label(unit, lang), members=listed,
                        province=province))  # fmt: skip
    if place is not None and place.named is not None:
        named = place.named
        values = {"named": f"{named['type']} {named['name']}", "code": named["code"],
                  "until": _date(named.get("valid_to") or "2025-06-30", lang),
                  "unit": unit_label(unit, lang)}  # fmt: skip
        key = "place_successor" if place.how == "successor" else "place_reused"
        parts.append(tr(key, lang, **values))
    elif place is not None and place.how == "city":
        parts.append(tr("place_city", lang, query=place.query, unit=unit["name"]))
    if (ctx.latest_values(unit["code"])["carried_from"].fillna("") != "").any():
        parts.append(gettext(TEXT["carried"], lang))
    return "\n\n".join(parts)


def _score_sentence(ctx, code: str, label: str, lang: str) -> str:
    row = ctx.summary().loc[code]
    scores = ctx.index.scores
    overall = scores[(scores["level"] == "overall") & (scores["unit_code"] == code)].iloc[0]
    region = ctx.regions.get(code, "")
    in_region = ctx.regions[ctx.regions == region].index
    readiness = ctx.index.readiness.set_index("unit_code").loc[code, "readiness"]
    bands = ctx.bands.set_index("level")
    level = bands.loc[readiness, "name_vi" if lang == "vi" else "name_en"]
    n = int(ctx.summary()["nominal_rank"].notna().sum())
    outside = ""
    if not row["rank_low"] <= row["nominal_rank"] <= row["rank_high"]:
        outside = gettext(
            N_(
                " Note: the main method ranks it outside the range most variants give, so "
                "read this rank with care."
            ),
            lang,
        )
    sentence = tr(
        "score_line",
        lang,
        unit=label,
        score=_fmt(row["nominal_score"], lang, 1),
        level=level,
        k=_rests_on(ctx, code),
        K=len(ctx.meta),
        rank=int(row["nominal_rank"]),
        n=n,
        iyear=ctx.index_year,
        reps=ctx.n_replications,
        low=int(row["rank_low"]),
        high=int(row["rank_high"]),
        region=gettext(region, lang),
        grank=int(overall.get("rank_in_region", 0)),
        gn=int(
            scores[(scores["level"] == "overall") & scores["unit_code"].isin(in_region)][
                "unit_code"
            ].nunique()
        ),
    )
    return sentence + outside


def _rests_on(ctx, code: str) -> int:
    """How many indicators a compared province's score rests on (those of its scored areas)."""
    ind = ctx.index.levels["indicator"]
    if code not in ind.index:
        return 0
    areas = ctx.index.levels["area"].loc[code].dropna().index
    has = ind.loc[code].notna()
    return int(has[ctx.meta.loc[has.index, "area"].isin(areas)].sum())


# TRANSLATORS: the one year of a unit's figures, after "figures of" ("số liệu năm 2025").
_ONE_YEAR = N_("{year}")
# TRANSLATORS: the years of a unit's figures, first to last ("các năm 2016–2025").
_YEAR_SPAN = N_("{first}–{last}")


def _years(span: tuple[int, int] | None, lang: str) -> str:
    """ "năm 2025" / "các năm 2016–2025" (English: "2025" / "2016–2025")."""
    if span is None:
        return "—"
    if span[0] == span[1]:
        return gettext(_ONE_YEAR, lang).format(year=span[0])
    return gettext(_YEAR_SPAN, lang).format(first=span[0], last=span[1])


def own_score_sentences(ctx, unit: pd.Series, lang: str) -> list[str]:
    """The unit's own score on the goalposts: score, level, interval, what it rests on.

    For a unit that is not one of the compared provinces (a city, a district, a
    commune, or a province of another geography). Empty when the unit has no
    score; the caller then says why.
    """
    from learningcity.reports.unitscore import cached_score

    us = cached_score(ctx, unit["code"])
    if not us.has_score:
        return []
    label = unit_label(unit, lang)
    bands = ctx.bands.set_index("level")
    level = bands.loc[us.readiness, "name_vi" if lang == "vi" else "name_en"]
    local = tr("own_local", lang, n=us.n_local) if us.n_local else ""
    values = {"unit": label, "score": _fmt(us.overall, lang, 1), "level": level,
              "k": us.n_indicators, "K": len(ctx.meta), "years": _years(us.years, lang),
              "local": local}  # fmt: skip
    if us.interval is not None:
        low, high = (_fmt(x, lang, 1) for x in us.interval)
        first = tr("own_score", lang, **values, reps=ctx.n_replications, low=low, high=high)
    else:
        first = tr("own_score_no_interval", lang, **values)
    parts = [first]
    unscored = [a for a in sorted(ctx.meta["area"].unique()) if pd.isna(us.scores["area"].get(a))]
    if unscored:
        parts.append(tr("areas_unscored", lang, areas=", ".join(unscored), m=us.min_indicators))
    if us.bounds:
        parts.append(tr("bounds_left_out", lang,
                        names="; ".join(_ind_name(ctx, i, lang) for i in us.bounds)))  # fmt: skip
    if us.place is not None:
        p = us.place
        parts.append(tr("own_place", lang, k=p["k"], K=p["K"], unit=label,
                        score=_fmt(p["score"], lang, 1), rank=p["rank"], n1=p["n"] + 1,
                        n=p["n"], iyear=ctx.index_year))  # fmt: skip
    return [" ".join(parts)]


def profile_figure(ctx, unit: pd.Series, lang: str):
    """Radar of the 12 focus areas against all compared provinces: the unit's own scores
    (when it is scored on its own, see :func:`own_score_sentences`), then its province(s)."""
    import matplotlib.pyplot as plt

    from learningcity.plots import profile
    from learningcity.reports.unitscore import cached_score

    columns = sorted(ctx.meta["focus_area"].unique())
    provinces = ctx.index.levels["focus_area"].reindex(columns=columns)
    codes = [c for c in _scopes(ctx, unit) if c in provinces.index]
    names = ctx.province_names()
    panels = [(provinces, c, f"{names.get(c, c)} ({ctx.index_year})") for c in codes]
    if not _compared_itself(ctx, unit):
        own = cached_score(ctx, unit["code"])
        if own.scores["focus_area"].notna().any():
            # Its own row under a label no province has (a re-used code), beside them all.
            key = f"{unit['code']} (own)"
            row = own.scores["focus_area"].reindex(columns).to_frame(key).T
            names = {**names, key: unit_label(unit, lang)}
            title = f"{unit_label(unit, lang)} ({_years(own.years, 'en')})"
            panels.insert(0, (pd.concat([provinces, row]), key, title))
    fig = plt.figure(figsize=(6.5 * max(len(panels), 1), 6.5))
    for i, (wide, code, title) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1, projection="polar")
        group = [c for c in provinces.index if c != code]
        profile(wide, code, group, kind="radar", lang=lang, names=names, ax=ax, title=title)
    fig.tight_layout()
    return fig


def _progress_rows(ctx, code: str) -> pd.DataFrame:
    """The unit's raw figures up to the report's year, for a score per year.

    The context's derived indicators may take a denominator from up to five years
    before; here each year's indicators are derived again from that year's figures.
    """
    tidy = ctx.tidy
    rows = tidy[(tidy["unit_code"] == code) & (tidy["year"] <= ctx.year)]
    return rows[~rows["indicator"].isin(ctx.meta.index)]


def progress_section(ctx, unit: pd.Series, lang: str):
    """The unit's overall goalpost score by year, its change and the target outlook.

    Each year is scored on its own figures (:func:`learningcity.progress.unit_progress`);
    a change is given within each segment of the series (a series break splits it,
    a change between years on different indicators is flagged), and each national
    target with a trend the year it would be reached at the recent pace.

    Returns
    -------
    text : str
        Markdown: the heading, the changes and the outlook (or why there is no trend).
    figure : matplotlib Figure or None
        The score per year (:func:`learningcity.progress.plot_progress`); None
        with fewer than two scored years.
    """
    import warnings

    from learningcity.framework import load_framework
    from learningcity.progress import (
        break_reasons,
        plot_progress,
        plot_target_outlook,
        progress_summary,
        target_outlook,
        unit_progress,
    )

    fw = load_framework()
    code, label = unit["code"], unit_label(unit, lang)
    rows = _progress_rows(ctx, code)
    progress = unit_progress(rows, code, fw)
    parts = [tr("progress", lang, unit=label)]
    scored = progress[(progress["level"] == "overall") & progress["score"].notna()]
    if len(scored) < 2:
        parts.append(tr("progress_too_few", lang, unit=label, n=len(scored), year=ctx.year))
        return "\n\n".join(parts), None
    summary = progress_summary(progress, fw)
    reasons = break_reasons(fw, lang)
    for seg in summary[summary["level"] == "overall"].itertuples():
        if not pd.isna(seg.break_year):
            reason = reasons.get(int(seg.break_year), "")
            parts.append(tr("progress_break", lang, year=int(seg.break_year), reason=reason))
        if seg.n_years < 2:
            continue
        sign = "+" if seg.change > 0 else ""
        parts.append(
            tr("progress_change", lang, first=seg.year_from, last=seg.year_to,
               s0=_fmt(seg.score_from, lang, 1), s1=_fmt(seg.score_to, lang, 1),
               change=sign + _fmt(seg.change, lang, 1), rate=_fmt(seg.annual_rate, lang, 1))
        )  # fmt: skip
        if not seg.same_indicators:
            parts.append(tr("progress_coverage", lang, n_from=seg.n_from, first=seg.year_from,
                            n_to=seg.n_to, last=seg.year_to))  # fmt: skip
    outlook = target_outlook(rows, code, fw)
    keys = {"met": "outlook_met", "reached": "outlook_reached", "not at this pace": "outlook_away"}
    lines = []
    for o in outlook[outlook["status"].isin(list(keys))].itertuples():
        values = {
            "indicator": _ind_name(ctx, o.indicator, lang), "value": _fmt(o.last_value, lang),
            "vyear": o.last_year, "tyear": o.target_year, "target": _fmt(o.target, lang),
            "first": o.fit_from, "last": o.fit_to, "reach": o.reach_year,
        }  # fmt: skip
        lines.append("- " + tr(keys[o.status], lang, **values))
    if lines:
        parts.append(tr("outlook_head", lang) + "\n\n" + "\n".join(lines))
    ylabel = gettext(N_("Overall score (0-100, goalposts)"), lang)
    # Below the score, each targeted indicator's values against its target line(s).
    shown = outlook[outlook["values"].map(len) > 0]
    indicators = list(dict.fromkeys(shown["indicator"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not indicators:
            return "\n\n".join(parts), plot_progress(progress, summary, reasons, ylabel=ylabel)
        import matplotlib.pyplot as plt

        cols = min(3, len(indicators))
        n_rows = -(-len(indicators) // cols)
        fig = plt.figure(figsize=(8, 4.2 + 2.5 * n_rows), layout="constrained")
        top, bottom = fig.subfigures(2, 1, height_ratios=[4.2, 2.5 * n_rows])
        plot_progress(progress, summary, reasons, ylabel=ylabel, ax=top.subplots())
        grid = bottom.subplots(n_rows, cols, squeeze=False).flat
        axes = list(grid)
        for ax in axes[len(indicators) :]:
            ax.set_visible(False)
        plot_target_outlook(
            outlook,
            {i: _ind_name(ctx, i, lang) for i in indicators},
            axes=axes,
            target_label=gettext(N_("target {year}: {value:g}"), lang),
            extrapolation_label=gettext(N_("extrapolation"), lang),
        )
    return "\n\n".join(parts), fig


def _rank_head(ctx, lang: str) -> str:
    return gettext(N_("Rank (of {n})"), lang).format(n=_n(ctx))


def area_table(ctx, unit: pd.Series, lang: str):
    """The 3 areas: scores, ranks, what they rest on and their 90 % intervals.

    A unit scored on its own (a city …) comes first, with its figures' years and no
    rank; then each compared province speaking for it, with its rank among them.
    """
    from learningcity.reports.unitscore import cached_score

    areas = ctx.index.levels["area"]
    ranks = areas.rank(ascending=False, method="min")
    names = {
        "1": gettext(N_("Wider benefits"), lang),
        "2": gettext(N_("Major building blocks"), lang),
        "3": gettext(N_("Fundamental conditions"), lang),
    }
    scopes = _scopes(ctx, unit)
    own = None if _compared_itself(ctx, unit) else cached_score(ctx, unit["code"])
    if own is not None and not own.values["used"].any():
        own = None
    # Alone, a province's scores are of the data year; beside a unit's own, each row says its.
    score_head = f"{_col('score', lang)} ({ctx.index_year})" if own is None else (
        _col("score", lang))  # fmt: skip
    iv = ctx.summary("area")
    rows = []

    def interval(low, high, value) -> str:
        if pd.isna(value) or pd.isna(low):
            return "—"
        return f"{_fmt(low, lang, 1)}–{_fmt(high, lang, 1)}"

    if own is not None:
        label = f"{unit_label(unit, lang)}, {_years(own.years, lang)}"
        for a in ("1", "2", "3"):
            value = own.scores["area"].get(a, float("nan"))
            b = own.area_intervals.loc[a] if a in own.area_intervals.index else None
            rows.append({
                _col("unit", lang): label,
                _col("area", lang): f"{a}. {names[a]}",
                score_head: _fmt(value, lang, 1) if pd.notna(value) else "—",
                _rank_head(ctx, lang): "—",
                _col("n_indicators", lang): str(int(own.counts.get(a, 0))),
                _col("interval", lang): interval(
                    *(b[["score_low", "score_high"]] if b is not None else (None, None)), value),
            })  # fmt: skip
    several = len(scopes) > 1 or own is not None
    no_data = gettext(TEXT["no_data"], lang)
    for code in scopes:
        label = compared_label(ctx, code, lang)
        if own is not None:
            label = f"{label}, {_years((ctx.index_year, ctx.index_year), lang)}"
        for a in ("1", "2", "3"):
            has = a in areas.columns and code in areas.index and pd.notna(areas.loc[code, a])
            row = {_col("unit", lang): label} if several else {}
            row.update({
                _col("area", lang): f"{a}. {names[a]}",
                score_head: _fmt(areas.loc[code, a], lang, 1) if has else no_data,
                _rank_head(ctx, lang): str(int(ranks.loc[code, a])) if has else "—",
            })  # fmt: skip
            if own is not None:
                hit = iv[(iv.index == code) & (iv["code"] == a)]
                row[_col("n_indicators", lang)] = str(_area_count(ctx, code, a))
                row[_col("interval", lang)] = interval(
                    *(hit[["score_low", "score_high"]].iloc[0] if len(hit) else (None, None)),
                    areas.loc[code, a] if has else None)  # fmt: skip
            rows.append(row)
    return html_table(pd.DataFrame(rows))


def _area_count(ctx, code: str, area: str) -> int:
    ind = ctx.index.levels["indicator"]
    if code not in ind.index:
        return 0
    has = ind.loc[code].notna()
    return int(has[ctx.meta.loc[has.index, "area"] == area].sum())


def strengths_table(ctx, unit: pd.Series, lang: str):
    """Best and worst indicators of the unit's province(s) among the compared provinces."""
    scopes = _scopes(ctx, unit)
    raw = ctx.index.raw
    frames = []
    for code in scopes:
        table = ctx.index.strengths[ctx.index.strengths["unit_code"] == code]
        out = pd.DataFrame(
            {
                _col("kind", lang): table["kind"].map(lambda k: gettext(_KIND[k], lang)),
                _col("indicator", lang): table["indicator"].map(lambda i: _ind_name(ctx, i, lang)),
                f"{_col('value', lang)} ({ctx.index_year})": [
                    _fmt(raw.loc[code, i], lang) for i in table["indicator"]
                ],
                _rank_head(ctx, lang): table["rank"].astype(int).astype(str),
            }
        )
        if len(scopes) > 1:
            out.insert(0, _col("unit", lang), compared_label(ctx, code, lang))
        frames.append(out)
    return html_table(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def _shown(value: float, qualifier: str, lang: str, indicator: str = "") -> str:
    """A value with its qualifier in words ("khoảng 68.206")."""
    return gettext(_QUALIFIER.get(qualifier or "", ""), lang) + _fmt(
        value, lang, indicator=indicator
    )


def targets_table(ctx, unit: pd.Series, lang: str):
    """Latest values against the national 2025 and 2030 targets (unit, else its province)."""
    rows = []
    targets = ctx.meta[["target_2025", "target_2030", "direction"]].dropna(
        subset=["target_2025", "target_2030"], how="all"
    )
    own = [(unit["code"], unit_label(unit, lang), ctx.latest_values(unit["code"]))]
    others = [
        (c, compared_label(ctx, c, lang), ctx.compared_values(c))
        for c in _scopes(ctx, unit)
        if not (ctx.same_geography and c == unit["code"])
    ]
    for group in (own, others):
        for _code, label, latest in group:
            latest = latest.set_index("indicator")
            for ind, t in targets.iterrows():
                if ind not in latest.index:
                    continue
                value, year = latest.loc[ind, "value"], int(latest.loc[ind, "year"])
                qualifier = str(latest.loc[ind, "qualifier"] or "")
                for ty in (2025, 2030):
                    target = t[f"target_{ty}"]
                    if pd.isna(target):
                        continue
                    gap = (target - value) * (1 if t["direction"] >= 0 else -1)
                    rows.append(
                        {
                            _col("unit", lang): label,
                            _col("indicator", lang): _ind_name(ctx, ind, lang),
                            _col("value", lang): f"{_shown(value, qualifier, lang)} ({year})",
                            _col("target", lang): f"{_fmt(target, lang)} ({ty})",
                            _col("gap", lang): _fmt(max(gap, 0.0), lang),
                            _col("met", lang): gettext(_YES if gap <= 0 else _NO, lang),
                            _col("source", lang): latest.loc[ind, "publisher"] or "",
                        }
                    )
        if rows:
            break
    if not rows:
        from IPython.display import Markdown

        return Markdown(gettext(TEXT["no_targets"], lang))
    return html_table(pd.DataFrame(rows))


def checklist_table(ctx, unit: pd.Series, lang: str):
    """The GNLC application checklist filled from the unit's data."""
    from learningcity.checklist import evaluate_checklist

    latest = ctx.latest_values(unit["code"]).set_index("indicator")["value"]
    names = {**_variable_names(lang), **{i: _ind_name(ctx, i, lang) for i in ctx.meta.index}}
    out = evaluate_checklist(latest, ctx.meta, lang=lang, names=names)
    icon = {"in_place": "✔", "missing": "✘", "unknown": "?"}
    table = pd.DataFrame(
        {
            _col("item", lang): out["item"],
            _col("status", lang): [
                f"{icon[s]} {lbl}"
                for s, lbl in zip(out["status"], out["status_label"], strict=True)
            ],
            _col("evidence", lang): out["evidence"],
        }
    )
    return html_table(table)


def peers_section(ctx, unit: pd.Series, lang: str, n: int = 5):
    """Nearest provinces in indicator space, GNLC host provinces marked; text and table."""
    from learningcity.clusters import peers

    scopes = [c for c in _scopes(ctx, unit) if c in ctx.index.raw.index]
    members = ctx.gnlc_provinces()
    names = ctx.province_names()
    sentences, frames = [], []
    for code in scopes:
        table = peers(ctx.index.raw, code, n, mark=members, names=names)
        everyone = peers(ctx.index.raw, code, len(ctx.index.raw), mark=members, names=names)
        near = ", ".join(table["unit_name"].head(3))
        sentence = gettext(N_("{name} is closest to {near} on the indicators ({year})."), lang)
        sentence = sentence.format(name=names.get(code, code), near=near, year=ctx.index_year)
        hosts = everyone[everyone["marked"]]
        if len(hosts):
            first = hosts.iloc[0]
            host = N_(
                " Of the provinces with a GNLC member, the closest is {name} ({rank} of {n})."
            )
            sentence += gettext(host, lang).format(
                name=first["unit_name"], rank=hosts.index[0], n=len(everyone)
            )
        sentence += _cluster_sentence(ctx, code, names, lang)
        sentences.append(sentence)
        shown = pd.DataFrame(
            {
                _col("unit", lang): [
                    f"{nm} ★" if m else nm
                    for nm, m in zip(table["unit_name"], table["marked"], strict=True)
                ],
                f"{_col('distance', lang)} ({ctx.index_year})": [
                    _fmt(d, lang, 2) for d in table["distance"]
                ],
                _col("gnlc", lang): [gettext(_YES if m else _NO, lang) for m in table["marked"]],
            }
        )
        if len(scopes) > 1:
            shown.insert(0, _col("peers_of", lang), names.get(code, code))
        frames.append(shown)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return tr("peers", lang, sentence=" ".join(sentences)), html_table(table)


def _cluster_sentence(ctx, code: str, names: dict[str, str], lang: str) -> str:
    """Which group of similar provinces the unit falls in, and how far to trust it."""
    label = ctx.clusters.get(code)
    if label is None or pd.isna(label):
        return ""
    same = sorted(names.get(c, c) for c in ctx.clusters.index[ctx.clusters == label] if c != code)
    k, ari = ctx.clusters.nunique(), _fmt(ctx.cluster_stability, lang, 2)
    steady = ctx.cluster_stability >= 0.75  # a common reading of a "stable" mean ARI
    name = names.get(code, code)
    listed = ", ".join(same[:6]) + ("…" if len(same) > 6 else "")
    total = len(ctx.clusters)
    split = N_(
        " Split into {k} groups (k-means, number chosen by silhouette), {name} is in group "
        "{label} with {others} other provinces ({listed}). "
    )
    stable = N_("The grouping is stable") if steady else (
        N_("The grouping is unstable and only indicative"))  # fmt: skip
    rand = N_(" (mean adjusted Rand index {ari}).")
    return (
        gettext(split, lang).format(
            total=total, k=k, name=name, label=label, others=len(same), listed=listed
        )
        + gettext(stable, lang)
        + gettext(rand, lang).format(ari=ari)
    )


def _map_units(ctx):
    """Shapes (or centre points) of the compared provinces."""
    from learningcity.geo import map_units, read_centres

    year = int(ctx.compared_date[:4]) if ctx.compared_date else ctx.index_year
    if not ctx.combined:
        return map_units("province", year)
    # Today's provinces: a point between their predecessors' centres, used only when the
    # boundaries cannot be had (the bundled centres are of the old provinces).
    from learningcity.crosswalk import crosswalk

    old = read_centres(level="province").set_index("unit_code")
    cw = crosswalk(level="province")
    cw = cw[cw["old_code"].isin(old.index)]
    centres = (
        cw.assign(lat=cw["old_code"].map(old["lat"]), lon=cw["old_code"].map(old["lon"]))
        .groupby("new_code")[["lat", "lon"]]
        .mean()
        .reset_index()
        .rename(columns={"new_code": "unit_code"})
    )
    return map_units("province", year, centres=centres)


def map_figure(ctx, unit: pd.Series, lang: str):
    """Compared provinces coloured by readiness band (symbols at centres when no boundaries)."""
    import matplotlib.pyplot as plt

    from learningcity.plots import choropleth

    shapes = _map_units(ctx)
    overall = ctx.index.levels["overall"]["overall"]
    gdf = shapes.merge(overall.rename("score"), left_on="unit_code", right_index=True, how="left")
    gdf.attrs.update(shapes.attrs)
    fig, ax = plt.subplots(figsize=(8, 8.5))
    bands = ctx.bands.rename(columns={"lower": "min", "upper": "max"})
    choropleth(
        gdf,
        "score",
        scheme="bands",
        bands=bands,
        lang=lang,
        year=ctx.index_year,
        ax=ax,
        title=gettext(N_("Learning-city readiness by province"), lang),
        legend_title=gettext(N_("Readiness level"), lang),
    )
    names = ctx.province_names()
    for code in _scopes(ctx, unit):
        here = gdf[gdf["unit_code"] == code]
        if len(here):
            pt = here.geometry.iloc[0].representative_point()
            ax.annotate(
                names.get(code, code),
                (pt.x, pt.y),
                xytext=(12, 12),
                textcoords="offset points",
                arrowprops={"arrowstyle": "-", "color": "#333"},
                fontsize=9,
                fontweight="bold",
            )
    return fig


def locator_figure(ctx, unit: pd.Series, lang: str):
    """Where a city (or district, commune) lies in its province: the old districts it came from.

    Drawn on the shipped shapes: today's province, and the district-level units
    of before 1 July 2025 (2016 lines) that the unit's wards and communes came
    from, filled where the unit holds all their communes and hatched where it
    holds some. No licensed commune polygons exist to ship, so wards are not
    drawn. None when the unit is a province, or its districts are not shipped.
    """
    import matplotlib.pyplot as plt

    from learningcity.cities import city_members
    from learningcity.crosswalk import load_crosswalk
    from learningcity.errors import UsageError
    from learningcity.geo import BoundariesUnavailableError, shipped_boundaries

    if unit["level"] == "province":
        return None
    cw = load_crosswalk()
    communes = cw[cw["old_level"] == "commune"]
    if unit["level"] == "district":  # before the reform: the district itself
        olds = communes[communes["old_district_code"] == unit["code"]]
    else:  # a city or commune, of either side of the reform
        members = set(city_members(unit["code"], ctx.date)["code"] if unit["level"] == "city"
                      else [unit["code"]])  # fmt: skip
        olds = communes[communes["new_code"].isin(members) | communes["old_code"].isin(members)]
    if olds.empty:
        return None
    try:
        districts = shipped_boundaries("district", "2025-06-30")
        provinces = shipped_boundaries("province", ctx.date)
    except (BoundariesUnavailableError, UsageError):
        return None
    province = ctx.province_code(unit)
    here = provinces[provinces["unit_code"] == province]
    per_district = olds.groupby("old_district_code")["old_code"].nunique()
    totals = communes.groupby("old_district_code")["old_code"].nunique()
    touched = districts[districts["unit_code"].isin(per_district.index)]
    if here.empty or touched.empty:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 6.5))
    here.plot(ax=ax, color="#f2f2f2", edgecolor="#555", linewidth=0.8)
    old_prov = districts[districts["parent_code"].isin(set(olds["old_province_code"]))]
    old_prov.plot(ax=ax, facecolor="none", edgecolor="#999", linewidth=0.4)
    offsets = [(10, 10), (10, -18), (-90, 12), (-90, -20)]  # labels of neighbours apart
    for i, row in enumerate(touched.itertuples()):
        n, total = int(per_district[row.unit_code]), int(totals.get(row.unit_code, 0))
        whole = n == total
        gpd_row = touched[touched["unit_code"] == row.unit_code]
        gpd_row.plot(ax=ax, color="#1f4e79" if whole else "none", edgecolor="#1f4e79",
                     hatch=None if whole else "///", linewidth=1.0)  # fmt: skip
        pt = row.geometry.representative_point()
        share = gettext(N_("{n} of {total} communes"), lang).format(n=n, total=total)
        ax.annotate(f"{row.unit_name} ({share})", (pt.x, pt.y), xytext=offsets[i % 4],
                    textcoords="offset points", fontsize=8,
                    arrowprops={"arrowstyle": "-", "color": "#333", "lw": 0.5})  # fmt: skip
    label = unit_label(unit, lang)
    where = ctx.name(province)
    title = gettext(N_("Where {label} lies in {where}"), lang).format(label=label, where=where)
    ax.set_title(title, fontsize=10)
    note = gettext(
        N_(
            "Filled: districts before 1 July 2025 wholly in the unit; hatched: partly. 2016 "
            "lines; no commune map may be redistributed yet."
        ),
        lang,
    )
    ax.text(0, -0.04, note, transform=ax.transAxes, fontsize=7, va="top", wrap=True)
    ax.text(1, -0.12, districts.attrs.get("attribution", ""), transform=ax.transAxes,
            fontsize=6, ha="right", va="top", color="#555", wrap=True)  # fmt: skip
    ax.set_axis_off()
    fig.tight_layout()
    return fig


def rank_interval_figure(ctx, unit: pd.Series, lang: str):
    """Every compared province's rank with its 5–95 % interval, the unit's province(s) marked."""
    from learningcity.uncertainty import plot_rank_intervals

    fig = plot_rank_intervals(
        ctx.uncertainty, lang=lang, labels=ctx.province_names(), highlight=_scopes(ctx, unit)
    )
    ax = fig.axes[0]
    ax.set_title(f"{ax.get_title()} ({ctx.index_year})")
    return fig


def _one_row_per_figure(latest: pd.DataFrame) -> pd.DataFrame:
    """Drop an indicator that only repeats one variable shown beside it.

    ``electricity_access`` is ``households_with_electricity_share`` under the
    same name; a table listing both would show one name twice.
    """
    from learningcity.framework import load_framework

    formulas = load_framework().indicators().set_index("id")["formula"]
    shown = set(latest["indicator"])
    repeat = latest["indicator"].map(lambda i: formulas.get(i, "") in shown)
    return latest[~repeat]


def facts_heading(ctx, unit: pd.Series, lang: str) -> str:
    """The heading of :func:`facts_table`: "published", or "published and collected locally"."""
    latest = ctx.latest_values(unit["code"])
    local = "provenance" in latest and (latest["provenance"] == "local").any()
    return tr("facts_local" if local else "facts", lang, unit=unit_label(unit, lang))


def facts_table(ctx, unit: pd.Series, lang: str):
    """Every figure for the unit (latest per indicator), with its year, origin and source.

    A figure carried from old units names them (column "Carried from") and
    reads "about", "above" or "below" where the boundaries differ.
    """
    latest = _one_row_per_figure(ctx.latest_values(unit["code"]))
    variables = _variable_names(lang)
    carried = latest["carried_from"].fillna("") if "carried_from" in latest else None
    out = pd.DataFrame(
        {
            _col("indicator", lang): [
                variables.get(i) or _ind_name(ctx, i, lang) for i in latest["indicator"]
            ],
            _col("year", lang): latest["year"].astype(int).astype(str),
            _col("value", lang): [
                _shown(v, q, lang, i)
                for v, q, i in zip(
                    latest["value"],
                    latest["qualifier"].fillna(""),
                    latest["indicator"],
                    strict=True,
                )
            ],
        }
    )
    if carried is not None and (carried != "").any():
        out[_col("carried_from", lang)] = carried.to_numpy()
    out[_col("source", lang)] = latest["publisher"].fillna("").to_numpy()
    if getattr(ctx, "local", None) is not None and "provenance" in latest:
        # The planner's own figures stand beside the published ones, never mistaken for them.
        out[_col("provenance", lang)] = [
            gettext(PROVENANCE.get(p, PROVENANCE["published"]), lang) for p in latest["provenance"]
        ]
    return html_table(out)


def members_table(ctx, unit: pd.Series, lang: str):
    """A city's members at the report's date: share in the city and the old units they took in.

    Returns None for a unit that is not a city.
    """
    if unit["level"] != "city":
        return None
    from learningcity.cities import city_members
    from learningcity.crosswalk import load_crosswalk
    from learningcity.units import REFORM_DATE, units_at

    members = city_members(unit["code"], ctx.date)
    formed = {}
    if ctx.date >= REFORM_DATE:
        cw = load_crosswalk()
        districts = units_at("2025-06-30", "district").set_index("code")
        for code in members["code"]:
            rows = cw[cw["new_code"] == code].sort_values("old_code")
            formed[code] = "; ".join(
                f"{r.old_name} ({r.old_code}, {districts['type'].get(r.old_district_code, '')} "
                f"{districts['name'].get(r.old_district_code, r.old_district_code)})"
                + (f" — {gettext(_SHARE['partial'], lang)}" if r.share == "partial" else "")
                for r in rows.itertuples()
            )
    table = pd.DataFrame(
        {
            _col("unit", lang): [f"{m.type} {m.name} ({m.code})" for m in members.itertuples()],
            _col("share", lang): [gettext(_SHARE[m.share], lang) for m in members.itertuples()],
        }
    )
    if formed:
        table[_col("from_units", lang)] = [formed.get(c, "") for c in members["code"]]
    return html_table(table)


def _old_units(ctx, unit: pd.Series) -> list[tuple[str, str]]:
    """(level, code) of the old units a unit of today's geography took its figures from."""
    from learningcity.cities import load_cities
    from learningcity.crosswalk import load_crosswalk
    from learningcity.units import REFORM_DATE

    if ctx.date < REFORM_DATE:
        return []
    if unit["level"] == "province":
        cw = load_crosswalk()
        old = sorted(set(cw.loc[cw["new_province_code"] == unit["code"], "old_province_code"]))
        return [("province", c) for c in old]
    if unit["level"] == "city":
        defs = load_cities()
        defs = defs[(defs["city_id"] == unit["code"]) & (defs["valid_to"] != "")]
        defs = defs[defs["valid_to"] < ctx.date]
        return list(zip(defs["member_level"], defs["member_code"], strict=True))
    cw = load_crosswalk()
    return [("commune", c) for c in sorted(set(cw.loc[cw["new_code"] == unit["code"], "old_code"]))]


def predecessor_table(ctx, unit: pd.Series, lang: str):
    """The figures published for the old units a unit came from, under their old names.

    One column per old unit ("Tỉnh Yên Bái (trước 1/7/2025)"), one row per
    indicator, each value with its year. Returns None when the unit has no
    predecessors (a report before the reform) or they have no figures.
    """
    from learningcity.units import units_at

    olds = _old_units(ctx, unit)
    if not olds or ctx.observed is None:
        return None
    old_units = units_at("2025-06-30")
    variables = _variable_names(lang)
    columns, values = [], {}
    observed = ctx.observed[ctx.observed["side"] == "old"] if "side" in ctx.observed else (
        ctx.observed
    )  # fmt: skip
    for level, code in olds:
        row = old_units[(old_units["code"] == code) & (old_units["level"] == level)]
        if row.empty:
            continue
        label = unit_label(row.iloc[0], lang)
        label = gettext(N_("{label} (before 1 July 2025)"), lang).format(label=label)
        latest = _one_row_per_figure(_latest_rows(observed, code, level, ctx.year))
        if latest.empty:
            continue
        columns.append(label)
        for r in latest.itertuples():
            values.setdefault(r.indicator, {})[label] = (
                f"{_shown(r.value, r.qualifier, lang, r.indicator)} ({int(r.year)})"
            )
    if not columns:
        return None
    table = pd.DataFrame(
        [
            {_col("indicator", lang): variables.get(i) or _ind_name(ctx, i, lang),
             **{c: cells.get(c, "—") for c in columns}}
            for i, cells in sorted(values.items())
        ]
    )  # fmt: skip
    return html_table(table)


def _latest_rows(table: pd.DataFrame, code: str, level: str, year: int) -> pd.DataFrame:
    rows = table[(table["unit_code"] == code) & (table["level"] == level) & (table["year"] <= year)]
    rows = rows[rows["value"].notna()].sort_values("year")
    return rows.groupby("indicator", sort=True).tail(1).reset_index(drop=True)


def _variable_names(lang: str) -> dict[str, str]:
    from learningcity.framework import load_framework

    v = load_framework().variables()
    col = "name_vi" if lang == "vi" else "name_en"
    return dict(zip(v["id"], v[col], strict=True)) if "id" in v.columns else v[col].to_dict()


def districts_heading(ctx, lang: str) -> str:
    """The heading of the overview's table of the province's units (districts or cities)."""
    from learningcity.units import REFORM_DATE

    return gettext(TEXT["districts_post" if ctx.date >= REFORM_DATE else "districts"], lang)


def district_table(ctx, province: pd.Series, lang: str):
    """The province's district-level units (after the reform: its cities) with main figures."""
    members = ctx.units[
        (ctx.units["parent_code"] == province["code"])
        & ctx.units["level"].isin(["district", "city"])
    ]
    if members.empty:
        from IPython.display import Markdown

        return Markdown(gettext(TEXT["no_cities"], lang))
    wanted = ["population", "area_km2", "urban_population_share", "gnlc_application_year"]
    variables = _variable_names(lang)
    rows = []
    for _, m in members.iterrows():
        latest = ctx.latest_values(m["code"]).set_index("indicator")
        row = {_col("unit", lang): unit_label(m, lang)}
        for w in wanted:
            row[variables.get(w, w)] = (
                f"{_shown(latest.loc[w, 'value'], latest.loc[w, 'qualifier'], lang, w)} "
                f"({int(latest.loc[w, 'year'])})"
                if w in latest.index
                else "—"
            )
        k = int(latest.index.isin(ctx.meta.index).sum())
        row[gettext(N_("Indicators with data"), lang)] = f"{k}/{len(ctx.meta)}"
        if m["level"] == "city":
            carried = latest["carried_from"].fillna("") if "carried_from" in latest else []
            row[_col("carried_from", lang)] = "; ".join(dict.fromkeys(c for c in carried if c))
        rows.append(row)
    return html_table(pd.DataFrame(rows).fillna(""))


def appendix_sources(ctx, codes: list[str], lang: str):
    """Sources of every figure shown for these units (and the province comparison)."""
    tables = [ctx.tidy[ctx.tidy["unit_code"].isin(codes)]]
    compared = ctx.tidy if ctx.same_geography or ctx.compared_tidy is None else ctx.compared_tidy
    tables.append(
        compared[
            compared["unit_code"].isin(codes)
            | (
                (compared["level"] == "province")
                & (compared["year"] == ctx.index_year)
                & compared["indicator"].isin(ctx.kept)
            )
        ]
    )
    cols = ["source_id", "publisher", "document", "table_or_page", "url"]
    local = getattr(ctx, "local", None) is not None and "provenance" in ctx.tidy
    used = pd.concat([t[cols] for t in tables], ignore_index=True)
    if local:  # the sources that locally collected figures cite
        rows = pd.concat(tables, ignore_index=True)
        cited = rows.loc[rows["provenance"] == "local", "source_id"].fillna("").astype(str)
        cited_ids = {x.strip() for v in cited for x in v.split(";") if x.strip()}
    # Carried and derived figures join their sources ("a;b", "a; b"): list each one.
    joined = used["source_id"].fillna("").str.contains(";")
    parts = {x.strip() for v in used.loc[joined, "source_id"] for x in str(v).split(";")}
    src = pd.concat(
        [used[~joined], ctx.sources.loc[ctx.sources["source_id"].isin(parts), cols]],
        ignore_index=True,
    )
    src = src.drop_duplicates("source_id").sort_values("source_id").fillna("")
    src = src[src["source_id"].astype(str).str.strip() != ""]
    # A list, one source a line: long documents read far better than in narrow columns.
    lines = []
    for row in src.itertuples():
        parts = [md_text(row.publisher)] if str(row.publisher).strip() else []
        if str(row.document).strip():
            parts.append(f"*{md_text(row.document)}*")
        if str(row.table_or_page).strip():
            parts.append(md_text(row.table_or_page))
        line = f"- `{str(row.source_id).replace('`', '')}`: " + ", ".join(parts)
        url = str(row.url).strip()
        if url:  # a link only to an http(s) address; anything else stays text
            line += ". " + (_link(url) if _link(url).startswith("<a ") else md_text(url))
        if local and row.source_id in cited_ids:
            line += f" ({gettext(PROVENANCE['local'], lang)})"
        lines.append(line)
    from IPython.display import Markdown

    return Markdown("\n".join(lines) if lines else gettext(TEXT["none"], lang))


def appendix_local(ctx, lang: str) -> str:
    """The user's data files (``--data``) and each local figure used instead of a published one.

    Empty text when the run had no local data. Every value from the files
    (names, who collected) is escaped by :func:`tr`.

    Examples
    --------
    >>> class Ctx:
    ...     local = None
    >>> appendix_local(Ctx(), "en")
    ''
    """
    local = getattr(ctx, "local", None)
    if local is None:
        return ""
    lines = [gettext(TEXT["local_data"], lang)]
    unknown = gettext(TEXT["local_unknown"], lang)
    tidy = local.tidy
    for f in local.files.itertuples():
        rows = tidy[tidy["local_file"] == f.path]
        by = "; ".join(sorted({w for w in rows["collected_by"] if w})) or unknown
        on = "; ".join(sorted({w for w in rows["collected_on"] if w})) or unknown
        lines.append(
            tr("local_file", lang, name=f.name, rows=f.rows, sha=f.sha256[:12], by=by, on=on)
        )
    lines.append("")
    if not len(local.disagreements):
        lines.append(gettext(TEXT["no_disagreements"], lang))
        return "\n".join(lines)
    lines.append(gettext(TEXT["disagreements"], lang))
    for r in local.disagreements.itertuples():
        sheet = f"{r.local_sheet}, " if r.local_sheet else ""
        row_word = gettext(N_("row"), lang)
        where = f"{Path(r.local_file).name}, {sheet}{row_word} {r.local_row}"
        lines.append(
            tr(
                "disagreement",
                lang,
                unit=f"{r.unit_name or ctx.name(r.unit_code)} ({r.unit_code})",
                year=int(r.year),
                indicator=_ind_name(ctx, r.indicator, lang)
                if r.indicator in ctx.meta.index
                else _variable_names(lang).get(r.indicator, r.indicator),
                local=_fmt(r.local_value, lang, indicator=r.indicator),
                published=_fmt(r.published_value, lang, indicator=r.indicator),
                where=where,
                source=r.published_source_id,
            )  # fmt: skip
        )
    return "\n".join(lines)


def appendix_method(ctx, lang: str) -> str:
    """How the scores and intervals were made: the default method and why, the variants."""
    area = ((ctx.spec.get("aggregate") or {}).get("area") or {}).get("min_indicators", 0)
    noise = round(100 * float(ctx.space.get("weight_noise", 0)))
    return tr("method", lang, reps=ctx.n_replications, seed=ctx.seed, m=area, noise=noise)


_BASIS_KIND = {
    "scale": N_("scale"),
    "target": N_("national target"),
    "norm": N_("norm"),
    "observed": N_("observed"),
    "choice": N_("project's choice"),
}


def goalpost_table(ctx, lang: str):
    """Every indicator's goalposts with the basis of each (target, scale, observed …)."""
    from learningcity.framework import load_framework

    basis = load_framework().goalpost_basis(lang).set_index(["indicator", "end"])
    rows = []
    for ind in ctx.meta.index:
        row = {_col("indicator", lang): _ind_name(ctx, ind, lang),
               _col("goalposts", lang): f"{_fmt(ctx.meta.loc[ind, 'goalpost_low'], lang)} – "
               f"{_fmt(ctx.meta.loc[ind, 'goalpost_high'], lang)}"}  # fmt: skip
        for end in ("low", "high"):
            b = basis.loc[(ind, end)] if (ind, end) in basis.index else None
            text = ""
            if b is not None:
                kind = gettext(_BASIS_KIND.get(b["kind"], b["kind"]), lang)
                extra = [str(b["source"])] if b["source"] else []
                if pd.notna(b["year"]):
                    extra.append(str(int(b["year"])))
                text = f"{kind}: {b['text']}" + (f" ({', '.join(extra)})" if extra else "")
            row[_col(f"basis_{end}", lang)] = text
        rows.append(row)
    return html_table(pd.DataFrame(rows))


def score_table(ctx, unit: pd.Series, lang: str):
    """How the unit's own score is made: each figure, its goalposts and its 0–100 score.

    None for a unit scored among the compared provinces, or with no figure.
    """
    from learningcity.reports.unitscore import cached_score

    if _compared_itself(ctx, unit):
        return None
    us = cached_score(ctx, unit["code"])
    v = us.values
    if not len(v):
        return None
    v = v.assign(_fa=ctx.meta.loc[v["indicator"], "focus_area"].to_numpy()).sort_values(
        ["_fa", "indicator"]
    )
    out = pd.DataFrame(
        {
            _col("focus_area", lang): v["_fa"].to_numpy(),
            _col("indicator", lang): [_ind_name(ctx, i, lang) for i in v["indicator"]],
            _col("value", lang): [
                f"{_shown(x, q, lang, i)} ({int(y)})"
                for x, q, i, y in zip(
                    v["value"], v["qualifier"].fillna(""), v["indicator"], v["year"], strict=True
                )  # fmt: skip
            ],
            _col("goalposts", lang): [
                f"{_fmt(lo, lang)} – {_fmt(hi, lang)}"
                for lo, hi in zip(v["goalpost_low"], v["goalpost_high"], strict=True)
            ],
            _col("score", lang): [_fmt(x, lang, 1) if pd.notna(x) else "—" for x in v["score"]],
        }
    )
    if "provenance" in v:
        out[_col("provenance", lang)] = [
            gettext(PROVENANCE.get(p, PROVENANCE["published"]), lang)
            for p in v["provenance"].fillna("")
        ]
    out[_col("source", lang)] = v["publisher"].fillna("").to_numpy()
    return html_table(out)


def _compared_itself(ctx, unit: pd.Series) -> bool:
    """Whether the unit is one of the compared provinces (then ranked among them)."""
    return bool(
        ctx.same_geography and unit["level"] == "province" and unit["code"] in ctx.summary().index
    )


def appendix_gaps(ctx, unit: pd.Series, lang: str) -> str:
    """Framework indicators still without a published figure for the unit."""
    have = set(ctx.latest_values(unit["code"])["indicator"])
    missing = [i for i in ctx.meta.index if i not in have]
    label = unit_label(unit, lang)
    if not missing:
        return tr("gaps", lang, unit=label) + "\n\n" + gettext(TEXT["none"], lang)
    lines = [
        f"- {md_text(_ind_name(ctx, i, lang))} ({md_text(ctx.meta.loc[i, 'focus_area'])})"
        for i in missing
    ]
    return tr("gaps", lang, unit=label) + "\n\n" + "\n".join(lines)
