"""The result of :func:`~learningcity.index.build_index` and its provenance.

An :class:`IndexResult` keeps every table the pipeline produced, the spec, a
hash of the inputs and the package version, and can rebuild itself, audit
itself, rank, profile one unit and save its tables.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from learningcity.index._checks import IndexInputError
from learningcity.index.spec import IndexSpec

__all__ = ["IndexResult", "data_hash"]


def data_hash(*frames: pd.DataFrame | pd.Series | None) -> str:
    """SHA-256 of the values, index and column names of the given tables.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1.0]}, index=["01"])
    >>> data_hash(a) == data_hash(a.copy()), data_hash(a) == data_hash(a * 2)
    (True, False)
    """
    h = hashlib.sha256()
    for f in frames:
        if f is None:
            h.update(b"<none>")
            continue
        if isinstance(f, Mapping):
            for k in sorted(f, key=str):
                h.update(repr(k).encode())
                h.update(data_hash(f[k]).encode())
            continue
        h.update(repr(list(getattr(f, "columns", [getattr(f, "name", None)]))).encode())
        h.update(repr(list(f.index.names)).encode())
        h.update(pd.util.hash_pandas_object(f, index=True).to_numpy().tobytes())
    return h.hexdigest()


def _level_counts(
    levels: Mapping[str, pd.DataFrame], weights: Mapping[str, pd.Series], meta: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """The indicators each score rests on, from the level tables and weights.

    The same counts as :func:`~learningcity.index.build_index` records while it
    aggregates, for a result made without them.  ``levels`` holds the
    indicator table first, then each level bottom to top.
    """
    from learningcity.index.aggregate import count_indicators
    from learningcity.index.pipeline import level_structure, lineage

    ind = levels["indicator"]
    w_ind = weights["indicator"].reindex(ind.columns)
    counts = {"indicator": (ind.notna() & (w_ind > 0)).astype("int64")}
    names = tuple(lv for lv in levels if lv != "indicator")
    lin = lineage(meta, names)
    below = "indicator"
    for level in names:
        counts[level] = count_indicators(
            levels[below],
            level_structure(lin, level),
            weights=weights.get(below),
            counts=None if below == "indicator" else counts[below],
        ).reindex(columns=levels[level].columns)
        below = level
    return counts


@dataclass
class IndexResult:
    """Everything :func:`build_index` produced, and how to rebuild it.

    Attributes
    ----------
    scores : DataFrame
        Tidy: ``unit_code`` (``year`` first for a panel), ``level``
        (indicator, then the spec's levels: focus_area, area, overall by
        default), ``code``, ``score``, ``rank``,
        ``coverage`` (share of the indicators under the code that were
        observed, not imputed) and one ``rank_in_<group>`` per column of
        ``groups``.
    levels : dict
        Wide scores per level, bottom to top (``"indicator"`` is the
        normalised table, then each level of :attr:`hierarchy`).
    raw, denominated, imputed, treated, normalised : DataFrame
        The indicator table as given, then after each step.
    imputed_flags : DataFrame
        True where a missing value was imputed.
    screening : DataFrame
        Availability per unit and whether it was kept.
    treatment : DataFrame
        The outlier-treatment report; ``winsorised`` marks treated cells.
    weights : dict
        Within-parent weights per child level (``indicator`` and every level
        below the top); ``effective_weights`` gives each indicator's share of
        the score of each level above it (focus area, area, overall).
    counts : dict
        Per level (``indicator``, then each level of :attr:`hierarchy`), a
        table units x codes of the number of indicators a unit's score rests
        on: indicators beneath the code with a value (after imputation) and
        weight > 0, under children that have a score; given whether or not the
        code itself was masked by ``min_indicators``.  See :meth:`n_indicators`.
    strengths : DataFrame
        Best and worst indicators per unit.
    readiness : DataFrame or None
        Readiness level per unit (when bands were given).
    gaps : DataFrame
        Gap to the 2025 and 2030 targets per unit and indicator.
    changes : DataFrame or None
        Score and rank changes between years (panels only).
    spec : dict
        The method used; ``data_hash`` and ``version`` pin the inputs and code.
    """

    scores: pd.DataFrame
    levels: dict[str, pd.DataFrame]
    raw: pd.DataFrame
    denominated: pd.DataFrame
    imputed: pd.DataFrame
    imputed_flags: pd.DataFrame
    treated: pd.DataFrame
    normalised: pd.DataFrame
    screening: pd.DataFrame
    treatment: pd.DataFrame
    winsorised: pd.DataFrame
    weights: dict[str, pd.Series]
    effective_weights: pd.DataFrame
    strengths: pd.DataFrame
    readiness: pd.DataFrame | None
    gaps: pd.DataFrame
    changes: pd.DataFrame | None
    spec: dict[str, Any]
    data_hash: str
    version: str
    meta: pd.DataFrame
    counts: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    recipe: dict[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        lv = self.levels["overall"]
        years = ""
        if "year" in (lv.index.names or []):
            ys = sorted(set(lv.index.get_level_values("year")))
            years = f", years={ys[0]}-{ys[-1]}" if len(ys) > 1 else f", year={ys[0]}"
        units = lv.index.get_level_values(-1).nunique()
        return (
            f"IndexResult(units={units}, indicators={self.normalised.shape[1]}{years}, "
            f"normalise={self.spec['normalise']['method']!r}, data_hash={self.data_hash[:12]}, "
            f"version={self.version!r})"
        )

    @property
    def hierarchy(self) -> tuple[str, ...]:
        """The aggregation levels above the indicators, bottom to top.

        Examples
        --------
        >>> from learningcity.index import build_index
        >>> meta = pd.DataFrame({"focus_area": ["1.1"], "area": ["1"]}, index=["a"])
        >>> build_index(pd.DataFrame({"a": [1.0, 3.0]}, index=["01", "02"]), meta).hierarchy
        ('focus_area', 'area', 'overall')
        """
        return tuple(lv for lv in self.levels if lv != "indicator")

    def n_indicators(self, level: str = "overall") -> pd.DataFrame:
        """Number of indicators each unit's score rests on, per code of ``level``.

        An indicator counts for a code when it lies beneath it, the unit has a
        value for it after imputation (a normalised score), its weight is above
        0 and every code between them has a score (an indicator under a focus
        area masked by ``min_indicators`` does not count for its area).  The
        count of a code is given whether or not the code itself has a score, so
        ``n_indicators("area") < 2`` shows the areas that
        ``aggregate: {area: {min_indicators: 2}}`` masks.

        Parameters
        ----------
        level : str, default "overall"
            ``indicator`` or a level of :attr:`hierarchy`.  At ``indicator``
            level the table holds 1 (value, weight > 0) or 0.

        Returns
        -------
        DataFrame
            Units x codes (the columns of ``levels[level]``), integers.

        Examples
        --------
        >>> from learningcity.index import build_index
        >>> meta = pd.DataFrame({"focus_area": ["1.1", "1.1", "2.1"], "area": ["1", "1", "2"],
        ...                      "goalpost_low": 0.0, "goalpost_high": 10.0},
        ...                     index=["a", "b", "c"])
        >>> x = pd.DataFrame({"a": [2.0, 4.0], "b": [6.0, None], "c": [5.0, 1.0]},
        ...                  index=["01", "02"])
        >>> res = build_index(x, meta, {"normalise": {"method": "goalposts"},
        ...                             "aggregate": {"area": {"min_indicators": 2}}})
        >>> res.n_indicators("area")  # doctest: +NORMALIZE_WHITESPACE
                   1  2
        unit_code
        01         2  1
        02         1  1
        >>> res.levels["area"].join(res.levels["overall"])  # doctest: +NORMALIZE_WHITESPACE
                      1   2  overall
        unit_code
        01         40.0 NaN     40.0
        02          NaN NaN      NaN
        """
        if level not in self.levels:
            raise IndexInputError(
                f"n_indicators: unknown level {level!r} (known: {', '.join(self.levels)})"
            )
        if not self.counts:
            self.counts = _level_counts(self.levels, self.weights, self.meta)
        return self.counts[level].copy()

    def ranking(self, level: str = "overall", code: str | None = None) -> pd.DataFrame:
        """Units sorted by rank on one score (default: the overall score).

        Parameters
        ----------
        level : str, default "overall"
            ``indicator`` or a level of :attr:`hierarchy`.
        code : str, optional
            The code at that level, e.g. an area or indicator (not needed for
            overall).

        Examples
        --------
        >>> from learningcity.index import build_index
        >>> meta = pd.DataFrame({"focus_area": ["1.1"], "area": ["1"]}, index=["a"])
        >>> res = build_index(pd.DataFrame({"a": [1.0, 3.0]}, index=["132", "133"]), meta)
        >>> res.ranking()[["unit_code", "score", "rank"]]
          unit_code  score  rank
        0       133  100.0     1
        1       132    0.0     2
        """
        code = "overall" if level == "overall" else code
        sel = self.scores[(self.scores["level"] == level) & (self.scores["code"] == code)]
        if sel.empty:
            raise IndexInputError(f"ranking: no scores for level {level!r}, code {code!r}")
        keys = ["year", "rank", "unit_code"] if "year" in sel.columns else ["rank", "unit_code"]
        out = sel.sort_values(keys, na_position="last").drop(columns=["level", "code"])
        if level == "overall" and self.readiness is not None:
            ready = self.readiness.drop(columns="score")
            out = out.merge(ready, on=[c for c in ready.columns if c != "readiness"], how="left")
        return out.reset_index(drop=True)

    def profile(self, unit: str, year: int | None = None) -> dict[str, Any]:
        """Everything about one unit: scores, strengths, gaps and readiness.

        Parameters
        ----------
        unit : str
            Unit code, e.g. ``"132"`` (Yên Bái city).
        year : int, optional
            For a panel, the year (default: the latest).

        Returns
        -------
        dict
            ``scores`` (its rows of the score table), ``strengths`` (best and
            worst indicators), ``gaps`` (to the targets) and ``readiness`` (the
            level name, or None without bands).

        Examples
        --------
        >>> from learningcity.index import build_index
        >>> meta = pd.DataFrame({"focus_area": ["1.1"], "area": ["1"]}, index=["a"])
        >>> res = build_index(pd.DataFrame({"a": [1.0, 3.0]}, index=["132", "133"]), meta)
        >>> p = res.profile("133")
        >>> p["scores"].query("level == 'overall'")["rank"].tolist()
        [1]
        """
        unit = str(unit)
        sc = self.scores
        if unit not in set(sc["unit_code"]):
            raise IndexInputError(f"profile: unit {unit!r} is not in the result")
        parts = {"scores": sc, "strengths": self.strengths, "gaps": self.gaps}
        if self.readiness is not None:
            parts["readiness"] = self.readiness
        if "year" in sc.columns:
            year = int(sc["year"].max()) if year is None else int(year)
        out: dict[str, Any] = {}
        for name, table in parts.items():
            sel = table[table["unit_code"] == unit]
            if "year" in table.columns:
                sel = sel[sel["year"] == year]
            out[name] = sel.reset_index(drop=True)
        ready = out.pop("readiness", None)
        out["readiness"] = None if ready is None or ready.empty else ready["readiness"].iloc[0]
        return out

    def counts_table(self) -> pd.DataFrame:
        """:meth:`n_indicators` of every level above the indicators, tidy.

        Columns ``unit_code`` (``year`` first for a panel), ``level``, ``code``
        and ``n_indicators``, level by level (focus areas, areas, overall by
        default), units in the order of the result.
        """
        parts = []
        for level in self.hierarchy:
            wide = self.n_indicators(level)
            long = wide.rename_axis(columns="code").stack(future_stack=True)
            long = long.rename("n_indicators").reset_index()
            long.insert(long.columns.get_loc("code"), "level", level)
            parts.append(long)
        return pd.concat(parts, ignore_index=True)

    def save(self, folder: str | os.PathLike) -> list[str]:
        """Write the result's tables, spec and provenance to ``folder``.

        Files: ``scores.csv``, ``normalised.csv``, ``imputed_flags.csv``,
        ``weights.csv`` (effective weights), ``treatment.csv``, ``strengths.csv``,
        ``gaps.csv``, ``counts.csv`` (``unit_code``, ``level``, ``code``,
        ``n_indicators``: see :meth:`n_indicators`; ``year`` first for a panel),
        ``readiness.csv`` and ``changes.csv`` when present,
        ``spec.yaml`` and ``manifest.json`` (data hash, version, notes).  Each is
        written atomically; text cells that a spreadsheet would run as a formula
        get a leading ``'`` (see :mod:`learningcity.exports`).  Returns the file
        names written.

        Examples
        --------
        >>> import tempfile
        >>> from learningcity.index import build_index
        >>> meta = pd.DataFrame({"focus_area": ["1.1"], "area": ["1"]}, index=["a"])
        >>> res = build_index(pd.DataFrame({"a": [1.0, 3.0]}, index=["132", "133"]), meta)
        >>> "spec.yaml" in res.save(tempfile.mkdtemp())
        True
        """
        import json
        from pathlib import Path

        from learningcity.exports import write_csv
        from learningcity.files import atomic_write_text

        out = Path(folder)
        tables = {
            "scores.csv": self.scores,
            "normalised.csv": self.normalised.reset_index(),
            "imputed_flags.csv": self.imputed_flags.reset_index(),
            "weights.csv": self.effective_weights.rename_axis("indicator").reset_index(),
            "treatment.csv": self.treatment.reset_index(),
            "strengths.csv": self.strengths,
            "gaps.csv": self.gaps,
            "counts.csv": self.counts_table(),
            "readiness.csv": self.readiness,
            "changes.csv": self.changes,
        }
        written = []
        for name, table in tables.items():
            if table is not None:
                write_csv(table, out / name, overwrite=True)
                written.append(name)
        atomic_write_text(out / "spec.yaml", IndexSpec.from_dict(self.spec).to_yaml())
        manifest = {"data_hash": self.data_hash, "version": self.version, "notes": self.notes}
        atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
        return [*written, "spec.yaml", "manifest.json"]

    def rebuild(self) -> IndexResult:
        """Run the recipe again; raise if the inputs changed since."""
        r = self.recipe
        now = data_hash(r["data"], r["meta"], r.get("groups"), r.get("bands"))
        if now != self.data_hash:
            raise IndexInputError(
                "rebuild: the input tables changed since this result was built "
                f"(hash {self.data_hash[:12]} -> {now[:12]})"
            )
        from learningcity.index.pipeline import build_index

        return build_index(**r)

    def audit(self) -> dict[str, pd.DataFrame | pd.Series]:
        """Coherence audit of the normalised indicators and the levels above.

        Returns a dict: ``stats`` (per indicator, raw values), ``correlations``
        (within the bottom level's groups, focus areas by default),
        ``with_parent`` (each level against the one above: indicator vs focus
        area, focus area vs area, area vs overall), ``alpha`` and ``pca`` (per
        group of every level below the top: per focus area and per area).
        """
        from learningcity.index import audit as au
        from learningcity.index.pipeline import level_structure, lineage

        lv = self.levels
        lin = lineage(self.meta, self.hierarchy)
        below = "indicator"
        with_parent, alpha, pca = [], [], []
        for level in self.hierarchy:
            structure = level_structure(lin, level)
            with_parent.append(
                au.parent_correlations(lv[below], lv[level], structure).assign(level=below)
            )
            if level != self.hierarchy[-1]:
                alpha.append(au.group_alpha(lv[below], structure))
                pca.append(au.group_pca(lv[below], structure))
            below = level
        fa = level_structure(lin, self.hierarchy[0])
        return {
            "stats": au.indicator_stats(self.denominated),
            "correlations": au.group_correlations(lv["indicator"], fa),
            "with_parent": pd.concat(with_parent, ignore_index=True),
            "alpha": pd.concat(alpha) if alpha else au.group_alpha(lv["indicator"], fa).iloc[:0],
            "pca": pd.concat(pca) if pca else au.group_pca(lv["indicator"], fa).iloc[:0],
        }
