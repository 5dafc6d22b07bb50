"""The readiness index engine: a composite-indicator pipeline (OECD/JRC, COINr).

Plain pandas in and out, no global state.  Each step is a function usable
alone, and :func:`build_index` runs them all from a declarative
:class:`IndexSpec` (a dict, a YAML file or text, or a papermill parameter):

=============  ==================================  ==============================
step           function (module)                   spec key
=============  ==================================  ==============================
denominate     :func:`denominate`                  ``denominate``
screen units   :func:`screen_units` (screen)       ``screen``
impute         :func:`impute`                      ``impute``
outliers       :func:`treat` (outliers)            ``treat``
normalise      :func:`normalise`                   ``normalise``
weight         :func:`compute_weights` (weights)   ``weights``
aggregate      :func:`aggregate`                   ``aggregate`` (per level)
results        :mod:`~learningcity.index.results`  ``results``
gap to target  :func:`gap_to_target` (targets)
audit          :mod:`~learningcity.index.audit`    (``IndexResult.audit()``)
=============  ==================================  ==============================

Levels: indicator → focus area (``1.1`` … ``3.3``) → KFLC area → overall.  The
:class:`IndexResult` keeps every intermediate table, the tidy score table
(scores, ranks, in-group ranks, coverage), weights, strengths and weaknesses,
readiness levels, gaps to the 2025/2030 targets, changes between years, and
the spec, data hash and package version that rebuild it
(``result.rebuild()`` or ``build_index(**result.recipe)``).

Examples
--------
>>> import pandas as pd
>>> from learningcity.index import build_index
>>> meta = pd.DataFrame({"focus_area": ["1.1", "2.1"], "area": ["1", "2"]}, index=["a", "b"])
>>> data = pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, 4.0]}, index=["132", "133"])
>>> res = build_index(data, meta, {"normalise": {"method": "minmax"}})
>>> res.ranking()[["unit_code", "score", "rank"]]
  unit_code  score  rank
0       133  100.0     1
1       132    0.0     2
"""

from __future__ import annotations

from learningcity.index._checks import IndexInputError
from learningcity.index.aggregate import aggregate
from learningcity.index.denominate import denominate
from learningcity.index.impute import impute
from learningcity.index.normalise import normalise
from learningcity.index.outliers import treat
from learningcity.index.pipeline import IndexResult, build_index, prepare_meta
from learningcity.index.results import (
    rank_scores,
    readiness_levels,
    score_changes,
    series_break_years,
    strengths_weaknesses,
    tidy_scores,
)
from learningcity.index.screen import screen_units
from learningcity.index.spec import IndexSpec, SpecError
from learningcity.index.targets import gap_to_target
from learningcity.index.weights import compute_weights, effective_weights

__all__ = [
    "IndexInputError",
    "IndexResult",
    "IndexSpec",
    "SpecError",
    "aggregate",
    "build_index",
    "compute_weights",
    "denominate",
    "effective_weights",
    "gap_to_target",
    "impute",
    "normalise",
    "prepare_meta",
    "rank_scores",
    "readiness_levels",
    "score_changes",
    "series_break_years",
    "screen_units",
    "strengths_weaknesses",
    "tidy_scores",
    "treat",
]
