"""What every report of a run shares, computed once: data, index, uncertainty, peers.

A batch of reports must not redo the same work per report. The runner builds a
:class:`ReportContext` once (data loaded and derived, the province index, its
Monte Carlo rank intervals, the peer matrix) and hands its file to each
notebook; a notebook opened alone in JupyterLab builds the same context itself.

The file is a pickle, so reading it could run code: it is read only when its
HMAC-SHA256 matches a key that the runner draws afresh for each run and gives
the report kernels in their environment (:data:`KEY_ENV`), never as a
parameter. A file from anywhere else, or a user's ``-p context=FILE``, is
refused before anything is unpickled.

The province comparison uses the latest year, up to the report's year, in
which the province indicators are published (GSO's by-province tables end in
2016); the report says so.

**Geography.** A report speaks in the geography of its date: the end of the
report year, or today for the current year (:func:`report_date`). Figures of
other dates reach it through :func:`learningcity.crosswalk.to_geography`
(``tidy``; ``observed`` keeps them as published). Two comparisons are built:

``"current"``
    the provinces that exist at the report's date, the index year's figures of
    their predecessors combined (for a 2026 report, the 34 provinces with the
    2016 figures of the 63 summed or weighted by their base);
``"data-year"``
    the provinces of the index year under their own names (the 63 of 2016).

Before the reform both are the same. :meth:`ReportContext.with_comparison`
makes one of them the context's ``index``, ``uncertainty``, ``clusters`` ….
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import os
import pickle
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from learningcity import __version__
from learningcity.errors import UsageError
from learningcity.files import atomic_write_bytes

__all__ = [
    "COMPARE",
    "DEFAULT_SPACE",
    "KEY_ENV",
    "ContextError",
    "ReportContext",
    "build_context",
    "default_spec",
    "first_report_year",
    "get_context",
    "new_key",
    "report_date",
]

#: Environment variable through which the runner hands report kernels the run's key.
KEY_ENV = "LEARNINGCITY_CONTEXT_KEY"
_MAGIC = b"learningcity-context-v1\n"
_DIGEST = hashlib.sha256().digest_size


class ContextError(UsageError):
    """A context file that is not one this run wrote (or is damaged)."""


def new_key() -> str:
    """A fresh random key for one run's context file (hex text, 256 bits)."""
    return secrets.token_hex(32)


def default_spec(framework: Any = None) -> dict[str, Any]:
    """The method of the readiness index in reports, as the framework's ``scoring`` says.

    Goalposts by default: an absolute 0–100 scale that scores one city without
    peers and puts cities and provinces on one scale. Nothing is imputed and no
    outlier is treated (both would make a unit's score depend on the others);
    an area with fewer indicators than ``scoring.min_indicators`` has no score.

    Examples
    --------
    >>> spec = default_spec()
    >>> spec["normalise"], spec["aggregate"]["area"]
    ({'method': 'goalposts'}, {'min_indicators': 2})
    """
    from learningcity.framework import load_framework
    from learningcity.index.spec import scoring_spec

    return scoring_spec((framework or load_framework()).scoring())


#: What reasonable alternatives the intervals range over (all on a 0–100 scale, so
#: that a score's interval means something as well as a rank's).
DEFAULT_SPACE: dict[str, Any] = {
    "imputations": ("none", "mean", "knn"),
    "treatments": ("none", "auto"),
    "normalisers": ("goalposts", "minmax", "prank"),
    "aggregators": {"area": ("arithmetic", "geometric"), "overall": ("arithmetic", "geometric")},
    "weight_noise": 0.25,
    "drop_probability": 0.1,
}
#: An indicator enters the province index when published for this share of provinces.
MIN_COVERAGE = 0.65
#: The province comparisons a report can make (template parameter ``compare``).
COMPARE = ("current", "data-year")


@lru_cache(maxsize=1)
def first_report_year() -> int:
    """The first year a report can be made for: the province index needs some indicator.

    It is the first year of the bundled data in which at least one framework
    indicator is published for :data:`MIN_COVERAGE` of the provinces.

    Examples
    --------
    >>> first_report_year()
    2001
    """
    import warnings

    from learningcity.data import load_bundled_observations
    from learningcity.framework import load_framework
    from learningcity.indicators import derive_indicators

    obs = load_bundled_observations()
    meta = load_framework().indicator_table()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        derived = derive_indicators(obs[obs["level"] == "province"], max_lag=5)
    derived = derived[derived["value"].notna() & derived["indicator"].isin(meta.index)]
    per_year = derived.groupby(["year", "indicator"])["unit_code"].nunique().reset_index()
    provinces = obs[obs["level"] == "province"].groupby("year")["unit_code"].nunique()
    share = per_year["unit_code"] / per_year["year"].map(provinces)
    good = per_year.loc[share >= MIN_COVERAGE, "year"]
    return int(good.min()) if len(good) else int(obs["year"].min())


def report_date(year: int, today: dt.date | None = None) -> str:
    """The day whose geography a report of ``year`` speaks in (ISO text).

    The end of the year, or today for the current year: a 2026 report made on
    1 December 2026 is about the units of that day.

    Parameters
    ----------
    year : int
        The report's year, from :func:`first_report_year` to the current year.
    today : date, optional
        The current day (``datetime.date.today()`` by default).

    Raises
    ------
    UsageError
        A year after the current one, or before the first year with data.

    Examples
    --------
    >>> import datetime as dt
    >>> report_date(2023, dt.date(2026, 12, 1)), report_date(2026, dt.date(2026, 12, 1))
    ('2023-12-31', '2026-12-01')
    >>> report_date(2027, dt.date(2026, 12, 1))
    Traceback (most recent call last):
    ...
    learningcity.errors.UsageError: year 2027 has not come yet (today is 2026-12-01): ...
    """
    today = today or dt.date.today()
    year = int(year)
    if year > today.year:
        raise UsageError(
            f"year {year} has not come yet (today is {today.isoformat()}): a report is for a "
            f"year from {first_report_year()} to {today.year}"
        )
    first = first_report_year()
    if year < first:
        raise UsageError(
            f"year {year}: the bundled data can compare provinces from {first} on; give a "
            f"year from {first} to {today.year}"
        )
    return today.isoformat() if year == today.year else f"{year:04d}-12-31"


@dataclass
class ReportContext:
    """Shared results of a report run (plain pandas objects; see the attributes)."""

    year: int
    index_year: int
    meta: pd.DataFrame  # framework indicator table (all indicators)
    kept: list[str]  # indicators in the province index
    tidy: pd.DataFrame  # figures in the report's geography (carried) + derived, with sources
    sources: pd.DataFrame
    units: pd.DataFrame  # provinces and districts at the report's date, and its cities
    regions: pd.Series  # compared province code -> GSO region (English)
    gnlc: pd.DataFrame  # Vietnamese GNLC members: unit, year, old/new/compared province
    index: Any  # learningcity.index.IndexResult of the compared provinces
    uncertainty: Any  # learningcity.uncertainty.UncertaintyResult of the provinces
    intervals: pd.DataFrame  # its summary (all levels)
    n_replications: int
    seed: int
    spec: dict[str, Any]
    space: dict[str, Any]
    bands: pd.DataFrame
    clusters: pd.Series  # province code -> cluster label (k-means, k by silhouette)
    cluster_stability: float  # mean bootstrap adjusted Rand index of that clustering
    version: str = __version__
    notes: list[str] = field(default_factory=list)
    #: The day whose geography the report speaks in (:func:`report_date`).
    date: str = ""
    #: Which comparison the index fields hold: "current" or "data-year" (see COMPARE).
    compare: str = "current"
    #: The provinces compared: code, name, type, level, predecessors (old units combined).
    compared: pd.DataFrame | None = None
    #: The figures of the compared provinces, in their geography (``tidy`` for "current").
    compared_tidy: pd.DataFrame | None = None
    #: Whether the compared provinces' figures are those of their predecessors, combined.
    combined: bool = False
    #: The day whose geography the compared provinces are of.
    compared_date: str = ""
    #: The figures as published, each in the geography of its own year.
    observed: pd.DataFrame | None = None
    #: The comparisons by name (COMPARE), each the values of the comparison's fields.
    comparisons: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The user's own data (``--data``): files, sources, disagreements; None without.
    #: Its figures are in ``tidy`` and ``observed`` with ``provenance == "local"``.
    local: Any = None
    #: Scores of single units (:func:`learningcity.reports.unitscore.cached_score`).
    unit_scores: dict[Any, Any] = field(default_factory=dict)

    # --- persistence -------------------------------------------------------------------
    def save(self, path: str | Path, key: str) -> Path:
        """Write the context to ``path`` (atomically), signed with ``key``.

        Parameters
        ----------
        path : path-like
            Destination file.
        key : str
            The run's key (see :func:`new_key`); :meth:`load` needs the same.
        """
        payload = pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)
        return atomic_write_bytes(path, _MAGIC + _sign(key, payload) + payload)

    @staticmethod
    def load(path: str | Path, key: str) -> ReportContext:
        """Read a context written by :meth:`save` with ``key``, by this package version.

        The signature is checked before anything is unpickled, so a file not
        written by this run (a crafted pickle, another run's context) is
        refused without running any of its content.

        Raises
        ------
        ContextError
            When the file is missing, is not a context, or its signature does
            not match ``key``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> bad = pathlib.Path(tempfile.mkdtemp()) / "context.pickle"
        >>> _ = bad.write_bytes(b"cos\\nsystem\\n(S'echo hi'\\ntR.")
        >>> ReportContext.load(bad, new_key())
        Traceback (most recent call last):
        ...
        learningcity.reports.context.ContextError: ...: not a report context written by this run ...
        """
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise ContextError(f"{path}: cannot read the report context ({exc.strerror})") from None
        head, sig = raw[: len(_MAGIC)], raw[len(_MAGIC) : len(_MAGIC) + _DIGEST]
        payload = raw[len(_MAGIC) + _DIGEST :]
        if head != _MAGIC or not hmac.compare_digest(sig, _sign(key, payload)):
            raise ContextError(
                f"{path}: not a report context written by this run (its signature does not "
                "match); the file is not read"
            )
        ctx = pickle.loads(payload)  # signed by this run's runner: our own bytes
        if not isinstance(ctx, ReportContext) or ctx.version != __version__:
            raise ContextError(f"{path}: not a report context of learningcity {__version__}")
        return ctx

    # --- comparisons --------------------------------------------------------------
    def with_comparison(self, compare: str) -> ReportContext:
        """This context with ``compare`` ("current" or "data-year") as its comparison.

        Examples
        --------
        >>> ctx = build_context(2026, n_replications=10)  # doctest: +SKIP
        >>> len(ctx.with_comparison("data-year").compared)  # doctest: +SKIP
        63
        """
        if compare not in COMPARE:
            raise UsageError(f"compare {compare!r}: expected one of {', '.join(COMPARE)}")
        if compare == self.compare or compare not in (self.comparisons or {}):
            return self
        return dataclasses.replace(self, compare=compare, **self.comparisons[compare])

    @property
    def same_geography(self) -> bool:
        """Whether the compared provinces are units of the report's own geography."""
        return not self.compared_date or _side(self.compared_date) == _side(self.date)

    # --- look-ups ----------------------------------------------------------------------
    def name(self, code: str) -> str:
        """Display name of a unit code (of the report's geography)."""
        hit = self.units.loc[self.units["code"] == code, "name"]
        return str(hit.iloc[0]) if len(hit) else code

    def unit_row(self, code: str) -> pd.Series | None:
        """The row of a unit or city of the report's geography, or None."""
        row = self.units[self.units["code"] == code]
        return row.iloc[0] if len(row) else None

    def province_of(self, code: str) -> str | None:
        """The province code of a unit (itself for a province)."""
        row = self.unit_row(code)
        if row is None:
            return None
        return row["code"] if row["level"] == "province" else row["parent_code"] or None

    def province_code(self, unit: pd.Series) -> str | None:
        """The province of the report's geography that holds ``unit`` (a row)."""
        if unit["level"] == "province":
            return unit["code"]
        parent = str(unit.get("parent_code") or "")
        if len(parent) == 3:  # an old commune: its district's province
            return self.province_of(parent)
        return parent or self.province_of(unit["code"])

    def scopes(self, unit: pd.Series) -> list[str]:
        """Codes of the compared provinces that speak for ``unit``.

        Its province when the comparison is in the report's geography; in the
        data year's geography after the reform, the old provinces its area
        came from (two for the new Lào Cai: Lào Cai and Yên Bái).
        """
        province = self.province_code(unit)
        if self.same_geography or self.compared is None:
            return [province] if province else []
        from learningcity.cities import city_members
        from learningcity.crosswalk import load_crosswalk

        cw = load_crosswalk()
        if unit["level"] == "province":
            old = cw.loc[cw["new_province_code"] == unit["code"], "old_province_code"]
        elif unit["level"] == "city":
            members = city_members(unit["code"], self.date)
            old = cw.loc[cw["new_code"].isin(members["code"]), "old_province_code"]
        else:
            old = cw.loc[cw["new_code"] == unit["code"], "old_province_code"]
        return [c for c in sorted(set(old)) if c in set(self.compared["code"])]

    def province_names(self) -> dict[str, str]:
        """Compared province code -> name (names are unique within a comparison)."""
        if self.compared is not None:
            return dict(zip(self.compared["code"], self.compared["name"], strict=True))
        prov = self.units[self.units["level"] == "province"]
        return dict(zip(prov["code"], prov["name"], strict=False))

    def compared_row(self, code: str) -> pd.Series | None:
        """The row of a compared province (code, name, type, predecessors)."""
        if self.compared is None:
            return self.unit_row(code)
        row = self.compared[self.compared["code"] == code]
        return row.iloc[0] if len(row) else None

    def gnlc_provinces(self) -> set[str]:
        """Compared provinces that hold a Vietnamese GNLC member (admitted by the report's year)."""
        members = self.gnlc[self.gnlc["year"] <= self.year]
        column = "compared_province" if "compared_province" in members else "province_code"
        return set(members[column].dropna()) - {""}

    def latest_values(self, code: str, year: int | None = None) -> pd.DataFrame:
        """The unit's latest value per indicator/variable up to ``year``, in the report's geography.

        Columns: ``indicator``, ``year``, ``value``, ``qualifier``, ``source_id``,
        ``publisher``, ``note`` and the provenance of a carried figure
        (``carried_from`` …, see :func:`learningcity.crosswalk.to_geography`).
        """
        return _latest(self.tidy, code, self.year if year is None else year)

    def compared_values(self, code: str, year: int | None = None) -> pd.DataFrame:
        """:meth:`latest_values` of a compared province, in the comparison's geography."""
        same = self.same_geography or self.compared_tidy is None
        return _latest(self.tidy if same else self.compared_tidy, code,
                       self.year if year is None else year)  # fmt: skip

    def summary(self, level: str = "overall", code: str | None = None) -> pd.DataFrame:
        """Nominal scores and ranks with their 5–95 % rank intervals, by unit."""
        s = self.intervals[self.intervals["level"] == level]
        if code is not None:
            s = s[s["code"] == code]
        return s.set_index("unit_code")


def _side(date: str) -> str:
    from learningcity.units import REFORM_DATE

    return "new" if date >= REFORM_DATE else "old"


def _latest(table: pd.DataFrame, code: str, year: int) -> pd.DataFrame:
    rows = table[(table["unit_code"] == code) & (table["year"] <= year)]
    rows = rows[rows["value"].notna()].sort_values("year")
    return rows.groupby("indicator", sort=True).tail(1).reset_index(drop=True)


def _index_year(wide_by_year: dict[int, pd.DataFrame]) -> int:
    """The year with the most indicators above the coverage threshold (latest wins ties)."""
    best = max(
        wide_by_year,
        key=lambda y: ((wide_by_year[y].notna().mean() >= MIN_COVERAGE).sum(), y),
    )
    return int(best)


def build_context(
    year: int,
    *,
    n_replications: int = 300,
    seed: int = 2026,
    spec: dict[str, Any] | None = None,
    space: dict[str, Any] | None = None,
    progress: bool = False,
    today: dt.date | None = None,
    data: Sequence[str | Path] | Any = (),
    prefer_local: bool = False,
) -> ReportContext:
    """Compute everything the reports of one run share.

    Parameters
    ----------
    year : int
        The reports' year; the province index uses the best-covered year up to it,
        and units are those of :func:`report_date` (the end of the year, or today).
    n_replications : int, default 300
        Monte Carlo replications for the rank intervals.
    seed : int
        Seed of the Monte Carlo (same seed, same intervals).
    spec, space : dict, optional
        Index method and the space of alternatives (see :func:`default_spec`,
        :data:`DEFAULT_SPACE`).
    today : date, optional
        The current day (for the report date of the current year).
    data : sequence of path-like or LocalData, optional
        The user's own data files (``--data``), or them already read with
        :func:`learningcity.localdata.load_local_data`: their figures join the
        published ones, marked ``provenance == "local"`` (see
        :mod:`learningcity.localdata`).
    prefer_local : bool, default False
        Use local values that disagree with published figures (listed in
        ``local.disagreements``) instead of refusing them.

    Returns
    -------
    ReportContext
        With the ``"current"`` comparison active; both are in ``comparisons``.

    Raises
    ------
    learningcity.data.DataValidationError
        A data file with problems, or a local value disagreeing with a published
        figure without ``prefer_local``.
    """
    from learningcity.cities import cities_at
    from learningcity.crosswalk import geography_side
    from learningcity.data import load_bundled_observations
    from learningcity.framework import load_framework
    from learningcity.indicators import to_wide
    from learningcity.localdata import (
        LocalData,
        load_local_data,
        mark_derived,
        merge_observations,
        to_geography_with_local,
    )
    from learningcity.paths import data_dir
    from learningcity.units import load_units, units_at

    date = report_date(year, today)
    spec = dict(spec or default_spec())
    space = dict(space or DEFAULT_SPACE)
    framework = load_framework()
    meta = framework.indicator_table()
    obs = load_bundled_observations()
    sources = pd.read_csv(data_dir() / "sources.csv", dtype=str, keep_default_na=False)
    # The city's own figures join the published ones, each row saying which it is.
    local = data if isinstance(data, LocalData) or data is None else (
        load_local_data(data, prefer_local=prefer_local, published=obs) if data else None
    )  # fmt: skip
    obs = merge_observations(obs, local)
    if local is not None and len(local.sources):
        sources = pd.concat([sources, local.sources], ignore_index=True).fillna("")
    # As published, each figure in the geography of its own year ...
    observed = mark_derived(
        _with_sources(_with_derived(obs.assign(side=geography_side(obs))), sources), framework
    )
    # ... and every figure in the geography of the report's date.
    tidy = mark_derived(
        _with_sources(_with_derived(to_geography_with_local(obs, date)), sources), framework
    )

    provinces = observed[observed["level"] == "province"]
    years = sorted(y for y in provinces["year"].unique() if y <= year)
    # A year's province figures are those of the units of its end.
    wide = {
        int(y): to_wide(provinces[provinces["side"] == _side(f"{y}-12-31")], int(y), meta.index)
        for y in years[-15:]
    }
    wide = {y: w for y, w in wide.items() if len(w)}
    index_year = _index_year(wide) if wide else int(year)

    units = load_units()
    region_table = pd.read_csv(data_dir() / "gso" / "province-names.csv", dtype=str)
    regions = region_table.set_index("code")["region_gso_en"]
    bands = framework.readiness_levels().rename(
        columns={"code": "level", "min": "lower", "max": "upper"}
    )
    gnlc = _gnlc_members(observed, units)

    data_date = f"{index_year}-12-31"
    data_year_units = units_at(data_date, "province")
    data_year = _comparison(
        wide.get(index_year, pd.DataFrame()), meta, spec, space, bands, n_replications, seed,
        progress, units=data_year_units, regions=regions, gnlc=gnlc, date=data_date,
        # In the report's own geography the figures are those of ``tidy``.
        tidy=tidy if _side(date) == _side(data_date) else observed[
            observed["side"] == _side(data_date)
        ], combined=False,
        index_year=index_year,
    )  # fmt: skip
    comparisons = {"data-year": data_year}
    if _side(date) == _side(data_date):
        comparisons["current"] = data_year
    else:
        here = units_at(date, "province")
        predecessors = _predecessors(here)
        seat = {c: c if c in regions.index else ps[0] for c, ps in predecessors.items() if ps}
        comparisons["current"] = _comparison(
            to_wide(tidy[tidy["level"] == "province"], index_year, meta.index), meta, spec,
            space, bands, n_replications, seed, progress,
            units=here.assign(predecessors=here["code"].map(_labels_of(predecessors))),
            regions=pd.Series({c: regions.get(s, "") for c, s in seat.items()}), gnlc=gnlc,
            date=date, tidy=tidy, combined=True, index_year=index_year,
        )  # fmt: skip

    valid = pd.concat([units_at(date, "province"), units_at(date, "district")], ignore_index=True)
    city_rows = cities_at(date)
    city_rows = city_rows[city_rows["district"] == ""]
    valid = pd.concat([valid, city_rows.drop(columns=["district", "n_members"])],
                      ignore_index=True)  # fmt: skip
    current = comparisons["current"]
    return ReportContext(
        year=int(year),
        meta=meta,
        tidy=tidy,
        sources=sources,
        units=valid,
        n_replications=n_replications,
        seed=seed,
        spec=spec,
        space=dict(space),
        bands=bands,
        date=date,
        compare="current",
        observed=observed,
        comparisons=comparisons,
        local=local,
        **current,
    )


def _with_derived(raw: pd.DataFrame) -> pd.DataFrame:
    """The raw rows and the framework's indicators derived from them (NaN dropped).

    A derived figure of a carried unit names the old units its inputs came from.
    """
    import warnings

    from learningcity.crosswalk import CARRY_COLUMNS
    from learningcity.indicators import TIDY_COLUMNS, derive_indicators

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        derived = derive_indicators(raw[TIDY_COLUMNS], max_lag=5)
    if "carried_from" in raw:
        carried = raw[raw["carried_from"] != ""]
        by_year = carried.groupby(["unit_code", "year"])["carried_from"].agg(_join_unique)
        by_unit = carried.groupby("unit_code")["carried_from"].agg(_join_unique)
        keys = list(zip(derived["unit_code"], derived["year"], strict=True))
        derived["carried_from"] = [by_year.get(k, by_unit.get(k[0], "")) for k in keys]
        level = carried.groupby("unit_code")["carried_level"].agg(_join_unique)
        derived["carried_level"] = derived["unit_code"].map(level.to_dict()).astype(object)
        derived["carried_level"] = derived["carried_level"].fillna("")
        derived["combine"] = derived["carried_from"].map(lambda f: "derived" if f else "")
        for col in CARRY_COLUMNS:
            if col not in derived:
                derived[col] = ""
    if "side" in raw:
        from learningcity.crosswalk import geography_side

        derived["side"] = geography_side(derived)
    out = pd.concat([raw, derived], ignore_index=True)
    return out[out["value"].notna()].reset_index(drop=True)


def _join_unique(values) -> str:
    return "; ".join(dict.fromkeys(v for v in values if v))


def _with_sources(tidy: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Publisher, document, table and link of each figure's source(s).

    A derived or carried figure may have several sources (``"a; b"``): their
    publishers are joined; the other details are given only for one source.
    """
    table = sources.set_index("source_id")
    ids = tidy["source_id"].fillna("").astype(str)
    split = {s: [x.strip() for x in s.replace(";", ",").split(",") if x.strip()] for s in set(ids)}
    out = tidy.copy()
    for col in ("publisher", "document", "table_or_page", "url"):
        lookup = table[col].to_dict() if col in table else {}
        per_id = {}
        for s, parts in split.items():
            found = [lookup.get(x, "") for x in parts]
            per_id[s] = _join_unique(found) if col == "publisher" or len(parts) == 1 else ""
        out[col] = ids.map(per_id)
    return out


def _predecessors(provinces: pd.DataFrame) -> dict[str, list[str]]:
    """New province code -> the old province codes it was formed from."""
    from learningcity.crosswalk import crosswalk

    cw = crosswalk(level="province")
    return {c: sorted(cw.loc[cw["new_code"] == c, "old_code"]) for c in provinces["code"]}


def _labels_of(predecessors: dict[str, list[str]]) -> dict[str, str]:
    """New province code -> "Tỉnh Lào Cai (10), Tỉnh Yên Bái (15)"."""
    from learningcity.units import units_at

    old = units_at("2025-06-30", "province").set_index("code")
    return {
        c: ", ".join(f"{old.loc[o, 'type']} {old.loc[o, 'name']} ({o})" for o in ps)
        for c, ps in predecessors.items()
    }


def _gnlc_members(observed: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Vietnamese GNLC members: unit, admission year, old and new province."""
    from learningcity.crosswalk import crosswalk

    gnlc = observed[observed["indicator"] == "gnlc_member_year"]
    gnlc = gnlc[["unit_code", "unit_name", "level", "value", "side"]].rename(
        columns={"value": "year"}
    )
    gnlc = gnlc.drop_duplicates("unit_code")
    old = units[units["valid_to"] == "2025-06-30"].drop_duplicates("code").set_index("code")
    to_new = crosswalk(level="province").set_index("old_code")["new_code"]
    to_old = to_new.reset_index().groupby("new_code")["old_code"].agg(list)
    old_prov, new_prov = [], []
    for code, level, side in zip(gnlc["unit_code"], gnlc["level"], gnlc["side"], strict=True):
        if side == "new":  # a member admitted after the reform: its new province
            new_p = code if level == "province" else str(units.loc[
                (units["code"] == code) & (units["valid_from"] != ""), "parent_code"
            ].iloc[0])  # fmt: skip
            olds = to_old.get(new_p, [])
            old_prov.append(olds[0] if len(olds) == 1 else "")
            new_prov.append(new_p)
        else:
            old_p = code if level == "province" else str(old.loc[code, "parent_code"])
            old_prov.append(old_p)
            new_prov.append(str(to_new.get(old_p, "")))
    return gnlc.assign(province_code=old_prov, new_province_code=new_prov).reset_index(drop=True)


def _comparison(
    data: pd.DataFrame,
    meta: pd.DataFrame,
    spec: dict[str, Any],
    space: dict[str, Any],
    bands: pd.DataFrame,
    n_replications: int,
    seed: int,
    progress: bool,
    *,
    units: pd.DataFrame,
    regions: pd.Series,
    gnlc: pd.DataFrame,
    date: str,
    tidy: pd.DataFrame,
    combined: bool,
    index_year: int,
) -> dict[str, Any]:
    """The index, rank intervals and clusters of one set of provinces (the context's fields)."""
    from learningcity import clusters as cl
    from learningcity import uncertainty as ua
    from learningcity.index import build_index

    kept = [c for c in data.columns if data[c].notna().mean() >= MIN_COVERAGE]
    data, meta_kept = data[kept], meta.loc[kept]
    groups = pd.DataFrame({"region": regions.reindex(data.index)}, index=data.index)
    index = build_index(
        data, meta_kept, spec, groups=groups, bands=bands[["level", "lower", "upper"]]
    )
    shared = meta_kept["focus_area"].map(meta_kept["focus_area"].value_counts()) > 1
    # Indicators sharing a focus area may be left out, when the space gives a probability.
    drop = tuple(meta_kept.index[shared]) if "drop_probability" in space else ()
    mc_space = ua.ParameterSpace(**{**space, "drop": drop})
    mc = ua.uncertainty_analysis(
        data, meta_kept, mc_space, spec, n=n_replications, seed=seed, progress=progress
    )
    scores_k = cl.choose_k(data, range(2, 7), ["kmeans"], seed=seed, missing="mean")
    k = int(scores_k.loc[scores_k["best_silhouette"], "k"].iloc[0])
    labels = cl.fit_clusters(data, "kmeans", k, seed=seed, missing="mean")
    ari = float(cl.stability(data, "kmeans", k, n_boot=50, seed=seed, missing="mean").mean())
    compared = units[units["code"].isin(data.index)].copy()
    if "predecessors" not in compared:
        compared["predecessors"] = ""
    column = "new_province_code" if combined else "province_code"
    return {
        "index_year": int(index_year),
        "kept": kept,
        "regions": regions.reindex(data.index),
        "index": index,
        "uncertainty": mc,
        "intervals": mc.summary(),
        "clusters": labels,
        "cluster_stability": ari,
        "compared": compared[["code", "name", "type", "level", "predecessors"]].reset_index(
            drop=True
        ),
        "compared_tidy": tidy,
        "combined": combined,
        "compared_date": date,
        "notes": list(index.notes),
        "gnlc": gnlc.assign(compared_province=gnlc[column]),
    }


def get_context(path: str | None, year: int) -> ReportContext:
    """The run's shared context when the runner made one, else a fresh one.

    A template calls ``get_context(context, year)`` with its ``context``
    parameter: under ``learningcity report`` that is the file the runner wrote
    once for the batch, read with the key the runner put in the kernel's
    environment (:data:`KEY_ENV`); opened alone in JupyterLab it is empty and
    the context is computed in the notebook (about ten seconds).

    Raises
    ------
    ContextError
        When ``path`` is given but no run key is set, or the file is not the
        one the run wrote.
    """
    if path:
        key = os.environ.get(KEY_ENV)
        if not key:
            raise ContextError(
                f"context {path!r}: a context file is read only inside the run that wrote "
                "it; leave the parameter empty to compute the context here"
            )
        ctx = ReportContext.load(path, key)
        if ctx.year == int(year):
            return ctx
    return build_context(int(year))


def _sign(key: str, payload: bytes) -> bytes:
    return hmac.new(key.encode("ascii"), payload, hashlib.sha256).digest()
