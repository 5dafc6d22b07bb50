"""The readiness index engine: a composite-indicator pipeline (OECD/JRC, COINr).

Plain pandas in and out.  Each step is a function usable alone
(:func:`normalise`, :func:`aggregate`, :func:`impute`...), and
:func:`build_index` runs them all from a declarative :class:`IndexSpec`.

Examples
--------
>>> import pandas as pd
>>> from learningcity.index import build_index
>>> meta = pd.DataFrame({"focus_area": ["1.1", "2.1"], "area": ["1", "2"]}, index=["a", "b"])
>>> data = pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, 4.0]}, index=["132", "133"])
>>> res = build_index(data, meta, {"normalise": {"method": "minmax"}})
>>> res.scores.query("level == 'overall'")[["unit_code", "score", "rank"]]
   unit_code  score  rank
12       132    0.0     2
13       133  100.0     1
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
    "screen_units",
    "strengths_weaknesses",
    "tidy_scores",
    "treat",
]
