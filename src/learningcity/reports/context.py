"""What every report of a run shares, computed once: data, index, uncertainty, peers.

A batch of reports must not redo the same work per report. The runner builds a
:class:`ReportContext` once (data loaded and derived, the province index, its
Monte Carlo rank intervals, the peer matrix) and hands its file to each
notebook; a notebook opened alone in JupyterLab builds the same context itself.

The province comparison uses the latest year, up to the report's year, in
which the province indicators are published (GSO's by-province tables end in
2016); the report says so.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from learningcity import __version__
from learningcity.files import atomic_write_bytes

__all__ = ["DEFAULT_SPACE", "DEFAULT_SPEC", "ReportContext", "build_context", "get_context"]

#: The method of the readiness index in reports (same as notebooks/04-audit).
DEFAULT_SPEC: dict[str, Any] = {"impute": {"method": "none"}, "treat": {"method": "auto"}}
#: What reasonable alternatives the rank intervals range over.
DEFAULT_SPACE: dict[str, Any] = {
    "imputations": ("none", "mean", "knn"),
    "normalisers": ("minmax", "goalposts", "rank"),
    "aggregators": {"area": ("arithmetic", "geometric"), "overall": ("arithmetic", "geometric")},
    "weight_noise": 0.25,
    "drop_probability": 0.1,
}
#: An indicator enters the province index when published for this share of provinces.
MIN_COVERAGE = 0.65


@dataclass
class ReportContext:
    """Shared results of a report run (plain pandas objects; see the attributes)."""

    year: int
    index_year: int
    meta: pd.DataFrame  # framework indicator table (all indicators)
    kept: list[str]  # indicators in the province index
    tidy: pd.DataFrame  # observations + derived indicators, with source details
    sources: pd.DataFrame
    units: pd.DataFrame  # units valid in the report's year and in the index year
    regions: pd.Series  # province code -> GSO region (English)
    gnlc: pd.DataFrame  # Vietnamese GNLC members: unit, province, year
    index: Any  # learningcity.index.IndexResult of the provinces
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

    # --- persistence -------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the context to ``path`` (atomically)."""
        return atomic_write_bytes(path, pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))

    @staticmethod
    def load(path: str | Path) -> ReportContext:
        """Read a context written by :meth:`save` by this package version."""
        with open(path, "rb") as fh:
            ctx = pickle.load(fh)  # our own file, written by the runner of this run
        if not isinstance(ctx, ReportContext) or ctx.version != __version__:
            raise ValueError(f"{path}: not a report context of learningcity {__version__}")
        return ctx

    # --- look-ups ----------------------------------------------------------------------
    def name(self, code: str) -> str:
        """Display name of a unit code."""
        hit = self.units.loc[self.units["code"] == code, "name"]
        return str(hit.iloc[0]) if len(hit) else code

    def province_of(self, code: str) -> str | None:
        """The province code of a unit (itself for a province)."""
        row = self.units[self.units["code"] == code]
        if row.empty:
            return None
        row = row.iloc[0]
        return row["code"] if row["level"] == "province" else row["parent_code"] or None

    def province_names(self) -> dict[str, str]:
        """Province code -> name for the index year."""
        prov = self.units[self.units["level"] == "province"]
        return dict(zip(prov["code"], prov["name"], strict=False))

    def gnlc_provinces(self) -> set[str]:
        """Provinces that hold a Vietnamese GNLC member (admitted by the report's year)."""
        members = self.gnlc[self.gnlc["year"] <= self.year]
        return set(members["province_code"].dropna())

    def latest_values(self, code: str, year: int | None = None) -> pd.DataFrame:
        """The unit's latest published value per indicator/variable up to ``year``.

        Columns: ``indicator``, ``year``, ``value``, ``qualifier``, ``source_id``,
        ``publisher``, ``note``.
        """
        year = self.year if year is None else year
        rows = self.tidy[(self.tidy["unit_code"] == code) & (self.tidy["year"] <= year)]
        rows = rows[rows["value"].notna()].sort_values("year")
        return rows.groupby("indicator", sort=True).tail(1).reset_index(drop=True)

    def summary(self, level: str = "overall", code: str | None = None) -> pd.DataFrame:
        """Nominal scores and ranks with their 5–95 % rank intervals, by unit."""
        s = self.intervals[self.intervals["level"] == level]
        if code is not None:
            s = s[s["code"] == code]
        return s.set_index("unit_code")


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
) -> ReportContext:
    """Compute everything the reports of one run share.

    Parameters
    ----------
    year : int
        The reports' year; the province index uses the best-covered year up to it.
    n_replications : int, default 300
        Monte Carlo replications for the rank intervals.
    seed : int
        Seed of the Monte Carlo (same seed, same intervals).
    spec, space : dict, optional
        Index method and the space of alternatives (see :data:`DEFAULT_SPEC`,
        :data:`DEFAULT_SPACE`).

    Returns
    -------
    ReportContext
    """
    import warnings

    from learningcity import uncertainty as ua
    from learningcity.data import load_bundled_observations
    from learningcity.framework import load_framework
    from learningcity.index import build_index
    from learningcity.indicators import derive_indicators, to_wide
    from learningcity.paths import data_dir
    from learningcity.units import load_units, units_at

    spec = dict(spec or DEFAULT_SPEC)
    space = dict(space or DEFAULT_SPACE)
    framework = load_framework()
    meta = framework.indicator_table()
    obs = load_bundled_observations()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        derived = derive_indicators(obs, max_lag=5)
    tidy = pd.concat([obs, derived], ignore_index=True)
    tidy = tidy[tidy["value"].notna()]
    sources = pd.read_csv(data_dir() / "sources.csv", dtype=str, keep_default_na=False)
    tidy = tidy.merge(
        sources[["source_id", "publisher", "document", "table_or_page", "url"]],
        on="source_id",
        how="left",
    )

    provinces = tidy[tidy["level"] == "province"]
    years = sorted(y for y in provinces["year"].unique() if y <= year)
    wide = {int(y): to_wide(provinces, int(y), meta.index) for y in years[-15:]}
    index_year = _index_year(wide) if wide else int(year)
    data = wide.get(index_year, pd.DataFrame())
    kept = [c for c in data.columns if data[c].notna().mean() >= MIN_COVERAGE]
    data, meta_kept = data[kept], meta.loc[kept]

    units = load_units()
    # Provinces of the index year, then provinces and districts of the report's year.
    when = [(index_year, "province"), (year, "province"), (year, "district")]
    valid = pd.concat([units_at(f"{y}-12-31", lvl) for y, lvl in when]).drop_duplicates(
        "code", keep="last"
    )
    region_table = pd.read_csv(data_dir() / "gso" / "province-names.csv", dtype=str)
    regions = region_table.set_index("code")["region_gso_en"]
    groups = pd.DataFrame({"region": regions.reindex(data.index)}, index=data.index)

    bands = framework.readiness_levels().rename(
        columns={"code": "level", "min": "lower", "max": "upper"}
    )
    index = build_index(
        data, meta_kept, spec, groups=groups, bands=bands[["level", "lower", "upper"]]
    )
    shared = meta_kept["focus_area"].map(meta_kept["focus_area"].value_counts()) > 1
    mc_space = ua.ParameterSpace(**{**space, "drop": tuple(meta_kept.index[shared])})
    mc = ua.uncertainty_analysis(
        data, meta_kept, mc_space, spec, n=n_replications, seed=seed, progress=progress
    )

    from learningcity import clusters as cl

    scores_k = cl.choose_k(data, range(2, 7), ["kmeans"], seed=seed, missing="mean")
    k = int(scores_k.loc[scores_k["best_silhouette"], "k"].iloc[0])
    labels = cl.fit_clusters(data, "kmeans", k, seed=seed, missing="mean")
    ari = float(cl.stability(data, "kmeans", k, n_boot=50, seed=seed, missing="mean").mean())

    gnlc = tidy[tidy["indicator"] == "gnlc_member_year"][["unit_code", "unit_name", "value"]]
    gnlc = gnlc.rename(columns={"value": "year"}).drop_duplicates("unit_code")
    parents = units.drop_duplicates("code").set_index("code")
    gnlc["province_code"] = [
        c if parents.loc[c, "level"] == "province" else parents.loc[c, "parent_code"]
        for c in gnlc["unit_code"]
    ]
    return ReportContext(
        year=int(year),
        index_year=index_year,
        meta=meta,
        kept=kept,
        tidy=tidy,
        sources=sources,
        units=valid,
        regions=regions,
        gnlc=gnlc.reset_index(drop=True),
        index=index,
        uncertainty=mc,
        intervals=mc.summary(),
        n_replications=n_replications,
        seed=seed,
        spec=spec,
        space=dict(space),
        bands=bands,
        clusters=labels,
        cluster_stability=ari,
        notes=list(index.notes),
    )


def get_context(path: str | None, year: int) -> ReportContext:
    """The run's shared context when the runner made one, else a fresh one.

    A template calls ``get_context(context, year)`` with its ``context``
    parameter: under ``learningcity report`` that is the file the runner wrote
    once for the batch; opened alone in JupyterLab it is empty and the context
    is computed in the notebook (about ten seconds).
    """
    if path:
        ctx = ReportContext.load(path)
        if ctx.year == int(year):
            return ctx
    return build_context(int(year))
