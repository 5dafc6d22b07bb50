"""Uncertainty analysis of the readiness scores and ranks (Monte Carlo).

The method choices of an index (normaliser, aggregator per level, imputation,
weights, which indicators are in) are declared as a :class:`ParameterSpace`.
The space is a frozen dataclass checked when it is made and again against the
data before any run: an unknown method, a noise fraction outside [0, 1), an
indicator that is not in the data or an empty choice list raise one
:class:`SpaceError` that lists every problem.  Nothing is skipped silently.

Every uncertain input ("factor") is driven by one uniform number ``u`` in
[0, 1): a choice among ``c`` options takes option ``floor(u * c)``; an indicator
is dropped when ``u < drop_probability``; the weights take one of
``n_weight_sets`` noisy weight sets drawn once from the seed (each weight
multiplied by ``1 + noise * v`` with ``v`` uniform on [-1, 1]).  A replication
is therefore a row of a matrix ``U`` (replications x factors), which is what
the Sobol design of :mod:`learningcity.sensitivity` feeds in as well.

The work is vectorised.  The engine (:func:`learningcity.index.build_index`)
runs once per (imputation, treatment, normaliser) variant to give the
normalised indicator table of that variant; replications then only gather those tables into a 3-D
array (replication x unit x indicator) and aggregate it level by level with
array operations, in chunks that keep memory bounded.  The same seed gives the
same results.

A space in YAML (every field optional; :class:`ParameterSpace` says what each
means)::

    normalisers:                       # one factor; each entry an alternative
      - goalposts                      # a name keeps the spec's parameters
      - {method: minmax, l_u: [1, 100]}     # labelled minmax(1-100)
      - {method: zscore, m_sd: [10, 2]}     # labelled zscore(mean 10, sd 2)
    aggregators:                       # per level ...
      area: [arithmetic, geometric]
      overall: [arithmetic, geometric]
    # ... or one factor for every level at once (not with per-level lists):
    # aggregators: {all: [arithmetic, geometric]}
    zero_policy: shift                 # or zero, skip, error (geometric/harmonic)
    weight_noise: {indicator: 0.25, focus_area: 0.1, area: 0}   # or one number
    imputations: [none, mean]
    treatments: [none, auto]
    drop: [literacy_rate]
    drop_probability: 0.5
    n_weight_sets: 100

Only method choices are uncertain here; error in the data themselves is not
modelled.  From the shell, ``learningcity uncertainty --space SPACE.yaml``
prints each unit's rank with its 5–95 % interval.

Examples
--------
>>> import pandas as pd
>>> meta = pd.DataFrame({"focus_area": ["1.1", "1.1", "2.1"], "area": ["1", "1", "2"]},
...                     index=["a", "b", "c"])
>>> data = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0],
...                      "c": [2.0, 4.0, 1.0, 3.0]}, index=["01", "02", "15", "132"])
>>> space = ParameterSpace(normalisers=("minmax", "rank"), weight_noise=0.6)
>>> res = uncertainty_analysis(data, meta, space, n=200, seed=1)
>>> s = res.summary().query("level == 'overall'")
>>> print(s[["unit_code", "nominal_rank", "median_rank", "rank_low", "rank_high"]].to_string(
...     index=False))
unit_code  nominal_rank  median_rank  rank_low  rank_high
       01             4          4.0         3          4
       02             2          2.0         1          3
       15             3          3.0         2          4
      132             1          1.0         1          2
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from learningcity.errors import UsageError
from learningcity.i18n import N_, check_lang, gettext, translated
from learningcity.index.aggregate import METHODS as _AGGREGATE_METHODS
from learningcity.index.impute import METHODS as _IMPUTE_METHODS
from learningcity.index.normalise import METHODS as _NORMALISE_METHODS
from learningcity.index.spec import LEVELS as _SPEC_LEVELS
from learningcity.index.spec import _got, _show, load_method_yaml

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from learningcity.index import IndexResult, IndexSpec

__all__ = [
    "AGGREGATORS",
    "ALL_LEVELS",
    "IMPUTATIONS",
    "LEVELS",
    "MAX_CHOICES",
    "MEMORY_LIMIT",
    "MemoryLimitError",
    "NORMALISERS",
    "NORMALISER_PARAMS",
    "Normaliser",
    "Factor",
    "ParameterSpace",
    "RankModel",
    "SpaceError",
    "TREATMENTS",
    "UncertaintyResult",
    "WEIGHT_LEVELS",
    "estimate_memory",
    "evaluate_chunked",
    "factor_label",
    "plot_rank_intervals",
    "rank_array",
    "uncertainty_analysis",
]

#: The default aggregation levels above the indicators, bottom to top; a run
#: follows the levels of its spec (``IndexSpec.levels``).
LEVELS: tuple[str, ...] = _SPEC_LEVELS
#: Levels that carry weights (each child has one within its parent) by default: the
#: indicators and every level but the top one (a run: those of its spec's levels).
WEIGHT_LEVELS: tuple[str, ...] = ("indicator", *LEVELS[:-1])
#: Key of ``aggregators`` that ties every level to one aggregator choice.
ALL_LEVELS: str = "all"
#: Normalisers a space may choose among (those of the index engine).
NORMALISERS: tuple[str, ...] = _NORMALISE_METHODS
#: Aggregators a space may choose among.  The engine's ``copeland`` compares
#: every pair of units (n^2 per replication) and is left out on purpose.
AGGREGATORS: tuple[str, ...] = tuple(m for m in _AGGREGATE_METHODS if m != "copeland")
#: Imputation methods a space may choose among: the engine's, less the panel ones
#: (``locf``, ``linear``), since a space varies the method for one year.
IMPUTATIONS: tuple[str, ...] = tuple(m for m in _IMPUTE_METHODS if m not in {"locf", "linear"})
#: Outlier treatments a space may choose among (the engine's ``treat.method``).
TREATMENTS: tuple[str, ...] = ("auto", "none")
_ZERO_POLICIES = ("shift", "zero", "skip", "error")
_POSITIVE_ONLY = ("geometric", "harmonic")
# Above this many cells (replications x units x indicators) a progress bar is shown.
_PROGRESS_CELLS = 20_000_000
#: Most entries of a list of a space (normalisers, imputations, treatments, the
#: aggregators of one level, drop).  Each entry is a name given once, so a longer
#: list is a mistake, and refusing it keeps the checks cheap.
MAX_CHOICES: int = 64
#: Default memory budget of a run, in bytes (2 GiB): :func:`uncertainty_analysis`
#: refuses, before allocating anything, a run :func:`estimate_memory` puts above it.
MEMORY_LIMIT: int = 2 * 1024**3


class SpaceError(UsageError):
    """An invalid parameter space; ``problems`` lists every problem found."""

    #: Problems written into the message; ``problems`` holds them all.
    SHOWN = 30

    def __init__(self, problems: list[str], source: str = "parameter space") -> None:
        self.problems = list(problems)
        shown = [f"  - {p}" for p in self.problems[: self.SHOWN]]
        if len(self.problems) > self.SHOWN:
            shown.append(f"  … and {len(self.problems) - self.SHOWN} more (all in .problems)")
        super().__init__(f"{source}: {len(problems)} problem(s):\n" + "\n".join(shown))


def _as_choices(
    value: Any,
    where: str,
    problems: list[str],
    *,
    what: str = "a name",
    allow_empty: bool = False,
) -> tuple[str, ...] | None:
    """The names of a list field; every entry must be text, each given once."""
    if value is None:
        return None
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, Sequence):
        problems.append(f"{where}: expected a list of names, got {_got(value)}")
        return None
    if len(value) > MAX_CHOICES:
        problems.append(
            f"{where}: {len(value):,} entries; a list holds at most {MAX_CHOICES}, "
            "each name given once"
        )
        return None
    names = []
    for i, v in enumerate(value):
        if isinstance(v, str):
            names.append(v)
        else:
            problems.append(f"{where}[{i}]: expected {what}, got {_got(v)}")
    if not value and not allow_empty:
        problems.append(f"{where}: the list of choices is empty (leave it out to keep the spec's)")
    dup = sorted(v for v, c in Counter(names).items() if c > 1)
    if dup:
        problems.append(f"{where}: listed more than once: {', '.join(dup)}")
    return tuple(names)


def _fmt_number(v: float) -> str:
    return f"{v:g}"


def _pair(value: Any, ok: Callable[[float, float], bool]) -> tuple[float, float] | None:
    """Two finite numbers accepted by ``ok``, or None."""
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        return None
    if not all(_is_number(v) and np.isfinite(v) for v in value):
        return None
    a, b = float(value[0]), float(value[1])
    return (a, b) if ok(a, b) else None


def _param_scale(v: Any) -> float | None:
    return float(v) if _is_number(v) and np.isfinite(v) and v > 0 else None


def _param_bool(v: Any) -> bool | None:
    return v if isinstance(v, bool) else None


def _param_text(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _param_target(v: Any) -> str | None:
    return v if v in ("target_2025", "target_2030") else None


# name -> (reader: value or None when invalid, what is expected)
_PARAMS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "l_u": (
        lambda v: _pair(v, lambda a, b: a < b),
        "two numbers [low, high] with low < high",
    ),
    "m_sd": (
        lambda v: _pair(v, lambda a, b: b > 0),
        "two numbers [mean, sd] with sd > 0",
    ),
    "scale": (_param_scale, "a number > 0"),
    "reference": (_param_text, "a unit code"),
    "cap": (_param_bool, "true or false"),
    "truncate": (_param_bool, "true or false"),
    "target": (_param_target, "target_2025 or target_2030"),
}
#: Parameters a normaliser alternative may carry, by method.  ``l_u`` and
#: ``m_sd`` are COINr's names (the target interval of min-max, the mean and
#: standard deviation of a z-score); the others are those of the spec's
#: ``normalise`` section.
NORMALISER_PARAMS: dict[str, tuple[str, ...]] = {
    "minmax": ("l_u",),
    "zscore": ("m_sd",),
    "rank": (),
    "prank": ("scale",),
    "borda": (),
    "dist2max": ("scale",),
    "dist2ref": ("scale", "reference", "cap"),
    "dist2targ": ("scale", "cap", "target"),
    "fracmax": ("scale",),
    "goalposts": ("scale", "truncate"),
}


@dataclass(frozen=True)
class Normaliser:
    """A normaliser alternative with its own parameters (see :data:`NORMALISER_PARAMS`).

    A plain name in :attr:`ParameterSpace.normalisers` keeps the spec's
    parameters; a ``Normaliser`` replaces the ones it gives.  Its
    :attr:`label` names it in the results.

    Examples
    --------
    >>> Normaliser.from_value({"method": "minmax", "l_u": [1, 100]}).label
    'minmax(1-100)'
    >>> Normaliser.from_value({"method": "zscore", "m_sd": [10, 2]}).label
    'zscore(mean 10, sd 2)'
    >>> Normaliser.from_value({"method": "prank", "scale": 10}).spec_params()
    {'scale': 10.0}
    """

    method: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def from_value(
        cls, value: Mapping[str, Any], where: str = "normaliser", problems: list[str] | None = None
    ) -> Normaliser | None:
        """Read ``{method: ..., param: ...}``; problems go to ``problems`` (or raise)."""
        own: list[str] = []
        out = cls._read(value, where, own)
        if problems is None and own:
            raise SpaceError(own)
        if problems is not None:
            problems.extend(own)
        return None if own else out

    @classmethod
    def _read(cls, value: Mapping[str, Any], where: str, problems: list[str]) -> Normaliser:
        method = value.get("method")
        if not isinstance(method, str) or method not in NORMALISER_PARAMS:
            problems.append(
                f"{where}: 'method' must be one of {', '.join(NORMALISER_PARAMS)}, "
                f"got {_got(method)}"
            )
            return cls(str(method))
        allowed = NORMALISER_PARAMS[method]
        params = []
        for key in value:
            if key == "method":
                continue
            if key not in allowed:
                takes = f"it takes {', '.join(allowed)}" if allowed else "it takes none"
                problems.append(f"{where}: {method} has no parameter {_show(key)} ({takes})")
                continue
            read, expected = _PARAMS[key]
            v = read(value[key])
            if v is None:
                problems.append(f"{where}: {key}: expected {expected}, got {_got(value[key])}")
            params.append((key, v))
        return cls(method, tuple(sorted(params)))

    @property
    def label(self) -> str:
        """Readable, unique name: the method, then its parameters in brackets."""
        if not self.params:
            return self.method
        parts = []
        for key, v in self.params:
            if key == "l_u":
                lo, hi = v
                sep = "-" if lo >= 0 else " to "  # "-1-1" would read badly
                parts.append(f"{_fmt_number(lo)}{sep}{_fmt_number(hi)}")
            elif key == "m_sd":
                parts.append(f"mean {_fmt_number(v[0])}, sd {_fmt_number(v[1])}")
            elif isinstance(v, bool):
                parts.append(f"{key} {str(v).lower()}")
            elif isinstance(v, float):
                parts.append(f"{key} {_fmt_number(v)}")
            else:
                parts.append(f"{key} {v}")
        return f"{self.method}({', '.join(parts)})"

    def spec_params(self) -> dict[str, Any]:
        """The parameters as fields of the spec's ``normalise`` section.

        ``m_sd`` is not one (the engine's z-score has mean 0 and sd 1); it is
        applied to the engine's z-scores by :class:`RankModel`.
        """
        out: dict[str, Any] = {}
        for key, v in self.params:
            if key == "l_u":
                out["low"], out["high"] = v
            elif key != "m_sd":
                out[key] = v
        return out

    def to_value(self) -> str | dict[str, Any]:
        """The plain form (a name, or a mapping of lists, numbers and text)."""
        if not self.params:
            return self.method
        return {"method": self.method, **{k: list(v) if isinstance(v, tuple) else v
                                           for k, v in self.params}}  # fmt: skip


def _as_normalisers(value: Any, problems: list[str]) -> tuple[str | Normaliser, ...] | None:
    """Names and mappings of ``normalisers``: a name stays a name, a mapping a Normaliser."""
    if value is None:
        return None
    if isinstance(value, str | Mapping | Normaliser):
        value = (value,)
    if not isinstance(value, Sequence):
        problems.append(f"normalisers: expected a list of names or mappings, got {_got(value)}")
        return None
    if len(value) > MAX_CHOICES:
        problems.append(f"normalisers: {len(value):,} entries; a list holds at most {MAX_CHOICES}")
        return None
    out: list[str | Normaliser] = []
    for i, v in enumerate(value):
        where = f"normalisers[{i}]"
        if isinstance(v, Normaliser):
            v = v.to_value()
        if isinstance(v, str):
            if v not in NORMALISERS:
                problems.append(f"normalisers: {_show(v)} is not one of {', '.join(NORMALISERS)}")
            out.append(v)
        elif isinstance(v, Mapping):
            flow = ", ".join(f"{k}: {_show(x)}" for k, x in v.items())  # as written
            nrm = Normaliser.from_value(v, f"{where} ({{{flow}}})", problems)
            if nrm is not None:  # a bare {method: rank} is the name rank
                out.append(nrm if nrm.params else nrm.method)
        else:
            problems.append(
                f"{where}: expected a name, got {_got(v)}; an alternative with parameters "
                "is a mapping {method: ..., parameter: value}"
            )
    if not value:
        problems.append(
            "normalisers: the list of choices is empty (leave it out to keep the spec's)"
        )
    dup = sorted(k for k, c in Counter(_norm_label(v) for v in out).items() if c > 1)
    if dup:
        problems.append(f"normalisers: listed more than once: {', '.join(dup)}")
    return tuple(out)


def _norm_label(v: str | Normaliser) -> str:
    return v if isinstance(v, str) else v.label


@dataclass(frozen=True)
class ParameterSpace:
    """The uncertain method choices of an index, validated when made.

    Parameters
    ----------
    normalisers : tuple of str or Normaliser, optional
        Normalisers to choose among (:data:`NORMALISERS`); ``None`` keeps the
        spec's normaliser.  A name keeps the spec's parameters; a mapping
        ``{method: ..., parameter: value}`` (a :class:`Normaliser`) is an
        alternative with its own (:data:`NORMALISER_PARAMS`), e.g.
        ``{method: minmax, l_u: [1, 100]}`` beside ``{method: zscore, m_sd:
        [10, 2]}``.  Results name each by its label (``minmax(1-100)``), and
        two alternatives with the same label are refused.
    aggregators : mapping, optional
        Level (one of the spec's levels: ``focus_area``, ``area``,
        ``overall`` by default) -> aggregators to choose among
        (:data:`AGGREGATORS`); a level not given keeps the spec's.  The level
        names are checked against the spec's when the model is built.  The
        key ``all`` (:data:`ALL_LEVELS`) instead ties the levels: one factor,
        ``aggregator``, picks the same aggregator for every level at once.
        ``all`` cannot be given with per-level lists (which would win is not
        obvious, so the combination is refused).
    imputations : tuple of str, optional
        Imputation methods to choose among (:data:`IMPUTATIONS`); ``None`` keeps
        the spec's.
    treatments : tuple of str, optional
        Outlier treatments to choose among (:data:`TREATMENTS`: ``auto``, the
        JRC winsorise-then-transform rule, or ``none``); ``None`` keeps the
        spec's.
    weight_noise : float or mapping, default 0
        Each weight (of indicators, focus areas and areas) is multiplied by
        ``1 + weight_noise * v``, ``v`` uniform on [-1, 1]; in [0, 1).  A
        mapping gives the noise per level of weights (:data:`WEIGHT_LEVELS`:
        ``indicator``, ``focus_area``, ``area``), e.g. ``{indicator: 0.25,
        focus_area: 0.1}``; a level not given has no noise.
    drop : tuple of str
        Indicators that may be left out; each is a factor of its own.
    drop_probability : float, default 0.5
        Chance that a listed indicator is left out in a replication; in (0, 1).
    zero_policy : {"shift", "zero", "skip", "error"}, default "shift"
        Zero handling of a geometric or harmonic mean that the space chooses
        (the spec's own aggregator keeps its policy), as in
        :mod:`learningcity.index.aggregate`: ``shift`` only shifts a group
        whose children reach 0; ``error`` stops the run at the first
        replication that would take such a mean of a 0, naming the level,
        group and unit.
    n_weight_sets : int, default 100
        Number of noisy weight sets drawn once; a replication takes one.

    Examples
    --------
    >>> ParameterSpace(normalisers=("minmax", "zscore"), weight_noise=0.2).weight_noise
    0.2
    >>> space = ParameterSpace(normalisers=({"method": "minmax", "l_u": [1, 100]}, "rank"),
    ...                        aggregators={"all": ("arithmetic", "geometric")},
    ...                        weight_noise={"indicator": 0.25, "focus_area": 0.1})
    >>> [_norm_label(v) for v in space.normalisers], space.noise("area")
    (['minmax(1-100)', 'rank'], 0.0)
    >>> ParameterSpace(normalisers=("minmax", "maxmin"), weight_noise=1.5)
    Traceback (most recent call last):
    ...
    learningcity.uncertainty.SpaceError: parameter space: 2 problem(s):
      - normalisers: 'maxmin' is not one of minmax, zscore, rank, prank, borda, dist2max, dist2ref, dist2targ, fracmax, goalposts
      - weight_noise: 1.5 is outside [0, 1)
    """  # noqa: E501

    normalisers: tuple[str | Normaliser, ...] | None = None
    aggregators: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    imputations: tuple[str, ...] | None = None
    treatments: tuple[str, ...] | None = None
    weight_noise: float | Mapping[str, float] = 0.0
    drop: tuple[str, ...] = ()
    drop_probability: float = 0.5
    zero_policy: str = "shift"
    n_weight_sets: int = 100

    def __post_init__(self) -> None:
        problems: list[str] = []
        setv = object.__setattr__
        setv(self, "normalisers", _as_normalisers(self.normalisers, problems))
        for name, allowed in (
            ("imputations", IMPUTATIONS),
            ("treatments", TREATMENTS),
        ):
            ch = _as_choices(getattr(self, name), name, problems)
            setv(self, name, ch)
            for v in ch or ():
                if v not in allowed:
                    problems.append(f"{name}: {_show(v)} is not one of {', '.join(allowed)}")
        aggs = self.aggregators if self.aggregators is not None else {}
        if not isinstance(aggs, Mapping):
            problems.append(f"aggregators: expected a mapping level -> choices, got {_got(aggs)}")
            aggs = {}
        clean: dict[str, tuple[str, ...]] = {}
        if ALL_LEVELS in aggs and len(aggs) > 1:
            problems.append(
                f"aggregators: {ALL_LEVELS!r} ties every level to one choice; give it alone, "
                f"or per-level lists without it (got {', '.join(map(str, aggs))})"
            )
        for level, choices in aggs.items():
            where = f"aggregators.{level}"
            # the names are the spec's levels, checked by RankModel
            if not isinstance(level, str):
                problems.append(f"aggregators: expected a level name, got {_got(level)}")
                continue
            if choices is None:
                problems.append(f"{where}: expected a list of aggregators, got nothing")
                continue
            ch = _as_choices(choices, where, problems, what="an aggregator name")
            if ch is None:
                continue
            for v in ch:
                if v not in AGGREGATORS:
                    problems.append(f"{where}: {_show(v)} is not one of {', '.join(AGGREGATORS)}")
            clean[level] = ch
        setv(self, "aggregators", clean)
        setv(self, "weight_noise", _as_noise(self.weight_noise, problems))
        drop = _as_choices(self.drop, "drop", problems, what="an indicator id", allow_empty=True)
        setv(self, "drop", drop or ())
        p = self.drop_probability
        if not _is_number(p) or not 0 < p < 1:
            problems.append(f"drop_probability: {_show(p)} is outside (0, 1)")
        if not isinstance(self.zero_policy, str) or self.zero_policy not in _ZERO_POLICIES:
            problems.append(
                f"zero_policy: {_show(self.zero_policy)} is not one of {', '.join(_ZERO_POLICIES)}"
            )
        k = self.n_weight_sets
        if not (isinstance(k, int) and not isinstance(k, bool)) or k < 1:
            problems.append(f"n_weight_sets: expected a whole number >= 1, got {_got(k)}")
        if problems:
            raise SpaceError(problems)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ParameterSpace:
        """Build a space from a plain dict (YAML, papermill parameter).

        Examples
        --------
        >>> ParameterSpace.from_dict({"aggregators": {"area": ["arithmetic", "geometric"]}})
        ... # doctest: +ELLIPSIS
        ParameterSpace(normalisers=None, aggregators={'area': ('arithmetic', 'geometric')}, ...)
        """
        if data is not None and not isinstance(data, Mapping):
            raise SpaceError([f"expected a mapping, got {_got(data)}"])
        data = dict(data or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = [k for k in data if k not in known]
        if unknown:
            raise SpaceError(
                [f"unknown field {_show(k)} (known: {', '.join(sorted(known))})" for k in unknown]
            )
        return cls(**data)

    @classmethod
    def from_yaml(cls, path_or_text: str | os.PathLike) -> ParameterSpace:
        """Read a space from a YAML file (``.yml``/``.yaml``) or YAML text.

        The file is checked as :func:`learningcity.index.spec.load_method_yaml`
        checks a method file (UTF-8, no YAML anchors or aliases, no repeated
        key, bounded size) before any value is built.

        Examples
        --------
        >>> ParameterSpace.from_yaml("weight_noise: 0.2\\nnormalisers: [minmax, rank]").normalisers
        ('minmax', 'rank')
        """
        data, source = load_method_yaml(path_or_text, text_source="space YAML", error=SpaceError)
        try:
            return cls.from_dict(data)
        except SpaceError as exc:
            raise SpaceError(exc.problems, source) from None

    def to_dict(self) -> dict[str, Any]:
        """The space as a plain dict of lists, numbers and text."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["aggregators"] = {k: list(v) for k, v in self.aggregators.items()}
        for k in ("imputations", "treatments", "drop"):
            d[k] = list(d[k]) if d[k] is not None else None
        if self.normalisers is not None:
            d["normalisers"] = [v if isinstance(v, str) else v.to_value() for v in self.normalisers]
        if isinstance(self.weight_noise, Mapping):
            d["weight_noise"] = dict(self.weight_noise)
        return d

    def noise(self, level: str) -> float:
        """Weight noise of one level of weights (``indicator`` or a level below the top).

        A level the mapping does not name has no noise.

        Examples
        --------
        >>> ParameterSpace(weight_noise=0.2).noise("area")
        0.2
        >>> ParameterSpace(weight_noise={"indicator": 0.3}).noise("focus_area")
        0.0
        """
        if isinstance(self.weight_noise, Mapping):
            return float(self.weight_noise.get(level, 0.0))
        return float(self.weight_noise)

    @property
    def varies_weights(self) -> bool:
        """True when some level of weights has noise (the ``weights`` factor exists)."""
        if isinstance(self.weight_noise, Mapping):
            return any(v > 0 for v in self.weight_noise.values())
        return self.weight_noise > 0


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.floating | np.integer) and not isinstance(v, bool)


def _as_noise(value: Any, problems: list[str]) -> float | dict[str, float]:
    """A noise fraction in [0, 1), or a mapping level of weights -> fraction."""

    def one(v: Any, where: str) -> float:
        if not _is_number(v):
            problems.append(f"{where}: expected a number in [0, 1), got {_got(v)}")
        elif not 0 <= v < 1:
            problems.append(f"{where}: {v!r} is outside [0, 1)")
        else:
            return float(v) if isinstance(v, np.number) else v
        return 0.0

    if not isinstance(value, Mapping):
        return one(value, "weight_noise")
    out = {}
    for level, v in value.items():
        # The names are the spec's levels, checked by RankModel; the top has no weight.
        if not isinstance(level, str) or level == "overall":
            problems.append(
                f"weight_noise: {_show(level)} is not a level of weights (the indicators, or "
                f"a level below the overall score: {', '.join(WEIGHT_LEVELS)} by default)"
            )
            continue
        out[level] = one(v, f"weight_noise.{level}")
    return out


@dataclass(frozen=True)
class Factor:
    """One uncertain input: its name, kind and the options it maps ``u`` onto.

    ``kind`` is ``"choice"`` (``options`` are method names, or the labels of
    normalisers with parameters such as ``minmax(1-100)``), ``"drop"`` (the
    indicator is left out when ``u < probability``) or ``"weights"`` (``u``
    picks one of ``n_sets`` noisy weight sets).
    """

    name: str
    kind: str
    options: tuple[str, ...] = ()
    probability: float = 0.5
    n_sets: int = 0

    def index(self, u: np.ndarray) -> np.ndarray:
        """Map uniform numbers onto option indices (or 1 = dropped, 0 = kept)."""
        u = np.asarray(u, dtype="float64")
        if self.kind == "drop":
            return (u < self.probability).astype(np.intp)
        n = len(self.options) if self.kind == "choice" else self.n_sets
        return np.minimum((u * n).astype(np.intp), n - 1)

    def label(self, u: np.ndarray) -> np.ndarray:
        """Readable value of the factor for each ``u``."""
        i = self.index(u)
        if self.kind == "choice":
            return np.asarray(self.options, dtype=object)[i]
        if self.kind == "drop":
            return np.where(i == 1, "dropped", "kept").astype(object)
        return i


_FACTOR_LABELS = {
    "weights": N_("weights"),
    "normaliser": N_("normaliser"),
    "imputation": N_("imputation"),
    "treatment": N_("outlier treatment"),
    "aggregator": N_("aggregator"),
    "drop": N_("leave out"),
}
_LEVEL_LABELS = {
    "focus_area": N_("focus areas"),
    "area": N_("areas"),
    "overall": N_("overall"),
}


def factor_label(name: str, lang: str = "en") -> str:
    """A readable, bilingual label of a factor name.

    Examples
    --------
    >>> factor_label("aggregator.area", "vi")
    'phương pháp gộp (lĩnh vực)'
    >>> factor_label("drop.literacy_rate")
    'leave out literacy_rate'
    """
    check_lang(lang)
    head, _, rest = name.partition(".")
    text = gettext(_FACTOR_LABELS.get(head, head), lang)
    if head == "aggregator" and rest:
        return f"{text} ({gettext(_LEVEL_LABELS.get(rest, rest), lang)})"
    return f"{text} {rest}" if rest else text


class _quiet:
    """Silence numpy's RuntimeWarnings (all-NaN slices are expected here)."""

    def __enter__(self) -> None:
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)


# ---------------------------------------------------------------------------
# The vectorised model: factors -> scores of every unit at every level
# ---------------------------------------------------------------------------


def _spec_with(base_dict: dict, impute: str, treat: str, normalise: str | Normaliser) -> dict:
    d = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base_dict.items()}
    d["impute"] = {**d["impute"], "method": impute}
    d["treat"] = {**d["treat"], "method": treat}
    if isinstance(normalise, Normaliser):
        d["normalise"] = {**d["normalise"], **normalise.spec_params(), "method": normalise.method}
    else:
        d["normalise"] = {**d["normalise"], "method": normalise}
    return d


def _rescale_zscores(
    table: np.ndarray, nrm: str | Normaliser, spec: IndexSpec, indicators: Sequence[str]
) -> np.ndarray:
    """Give the engine's z-scores (mean 0, sd 1) the mean and sd of ``m_sd``.

    Only the indicators the alternative normalises: one that the spec's
    ``normalise.individual`` gives a method of its own keeps it.
    """
    m_sd = dict(nrm.params).get("m_sd") if isinstance(nrm, Normaliser) else None
    if m_sd is None:
        return table
    own = spec.normalise.individual

    def overridden(ind: str) -> bool:
        o = own.get(ind)
        return isinstance(o, str) or (isinstance(o, Mapping) and "method" in o)

    cols = [j for j, ind in enumerate(indicators) if not overridden(ind)]
    out = table.copy()
    out[:, cols] = m_sd[0] + m_sd[1] * table[:, cols]
    return out


class RankModel:
    """Scores and ranks of every unit as a function of the uncertain inputs.

    Built once from the data, the metadata, the method spec and the space;
    :meth:`evaluate` then maps a matrix ``U`` (replications x factors, values
    in [0, 1)) onto score arrays with array operations only.

    Parameters
    ----------
    data, meta, spec
        As for :func:`learningcity.index.build_index` (one year).
    space : ParameterSpace
        The uncertain choices.
    seed : int
        Seed of the noisy weight sets.
    groups : DataFrame or Series, optional
        Unit groups, as for ``build_index`` (needed by group imputation).
    max_memory : int or None, default MEMORY_LIMIT
        Budget, in bytes, of the noisy weight sets; more sets than fit are
        refused before anything is built.

    Notes
    -----
    Weights computed from the data (``pca``, ``entropy``...) are those of each
    (imputation, treatment, normaliser) variant; when an indicator is dropped the others keep
    their relative weights rather than being re-estimated without it.

    A normaliser's parameters go into the spec of its variant (``l_u`` as
    ``low``/``high``, the others by name), except ``m_sd``: the engine's
    z-score has mean 0 and sd 1, so ``mean + sd * z`` is applied to the
    variant's table, for the indicators without a method of their own in
    ``normalise.individual``; weights from the data are then those of the
    plain z-scores.

    An aggregator tied across levels (``aggregators: {all: [...]}``) is one
    factor, ``aggregator``; each level takes the chosen method with its own
    threshold and ``min_indicators``.

    ``aggregate.<level>.min_indicators`` of the spec applies per replication as
    in the engine: a code whose unit has fewer indicators with a value beneath
    it (weight > 0, under children that have a score) gets NaN and counts as
    missing above, so a dropped indicator (weight 0) no longer counts and can
    push an area below its minimum.  A replication that reproduces the spec's
    own method gives exactly the scores of ``build_index``.

    Raises
    ------
    SpaceError
        If the space does not fit the data (all problems listed).

    Examples
    --------
    >>> import pandas as pd
    >>> meta = pd.DataFrame({"focus_area": ["1.1", "1.2"], "area": ["1", "1"]}, index=["a", "b"])
    >>> data = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 4.0]},
    ...                     index=["01", "02", "15"])
    >>> model = RankModel(data, meta, ParameterSpace(drop=("b",)))
    >>> [f.name for f in model.factors]
    ['drop.b']
    >>> out = model.evaluate(np.array([[0.9], [0.1]]))   # b kept, then b dropped
    >>> out["overall"][:, :, 0].round(1).tolist()
    [[50.0, 25.0, 70.0], [0.0, 50.0, 100.0]]

    With ``min_indicators: 2`` for the area, dropping ``b`` leaves it on one
    indicator, so it has no score:

    >>> spec = {"aggregate": {"area": {"min_indicators": 2}}}
    >>> model = RankModel(data, meta, ParameterSpace(drop=("b",)), spec)
    >>> model.evaluate(np.array([[0.9], [0.1]]))["area"][:, :, 0].round(1).tolist()
    [[50.0, 25.0, 70.0], [nan, nan, nan]]
    """

    def __init__(
        self,
        data: pd.DataFrame,
        meta: pd.DataFrame,
        space: ParameterSpace,
        spec: IndexSpec | Mapping | str | os.PathLike | None = None,
        *,
        seed: int = 0,
        groups: pd.DataFrame | pd.Series | None = None,
        max_memory: int | None = MEMORY_LIMIT,
    ) -> None:
        from learningcity.index import IndexSpec, build_index, rank_scores
        from learningcity.index.pipeline import level_structure, lineage

        if not isinstance(space, ParameterSpace):
            raise SpaceError([f"expected a ParameterSpace, got {type(space).__name__}"])
        if isinstance(data, Mapping) or "year" in (getattr(data.index, "names", None) or []):
            raise UsageError("uncertainty: give one year (a wide table indexed by unit_code)")
        base = IndexSpec.coerce(spec)
        #: The aggregation levels, bottom to top: the spec's.
        self.levels: tuple[str, ...] = base.levels
        # Drawn once whatever the number of replications: checked for every caller.
        _check_weight_sets(meta, space, max_memory, self.levels)
        self.space = space
        self.spec = base
        self.nominal: IndexResult = build_index(data, meta, base, groups=groups)
        nominal = self.nominal
        self.units = nominal.levels["overall"].index
        # Indicators sorted by their bottom-level group, so that each block is a
        # slice (a view).
        lin = lineage(nominal.meta, self.levels)
        fa_pos = {c: i for i, c in enumerate(nominal.levels[self.levels[0]].columns)}
        fa_col = lin[self.levels[0]]
        self.indicators = sorted(nominal.normalised.columns, key=lambda i: fa_pos[fa_col[i]])
        problems: list[str] = [
            f"aggregators: unknown level {_show(lv)} (the levels are {', '.join(self.levels)})"
            for lv in space.aggregators
            if lv not in self.levels and lv != ALL_LEVELS
        ]
        weighted = ("indicator", *self.levels[:-1])
        if isinstance(space.weight_noise, Mapping):
            problems += [
                f"weight_noise: unknown level of weights {_show(lv)} (known: "
                f"{', '.join(weighted)}; the overall score has no weight)"
                for lv in space.weight_noise
                if lv not in weighted
            ]

        # indicators the space may drop must be in the data, with values
        raw = nominal.raw
        for ind in space.drop:
            if ind not in nominal.meta.index:
                problems.append(f"drop: indicator {ind!r} is not in the indicator metadata")
            elif ind not in data.columns:
                problems.append(f"drop: indicator {ind!r} is not a column of the data")
            elif raw[ind].isna().all():
                problems.append(f"drop: indicator {ind!r} has no value in the data")
        with_data = [i for i in self.indicators if raw[i].notna().any()]
        if space.drop and with_data and set(with_data) <= set(space.drop):
            problems.append(
                "drop: every indicator with data may be dropped at once; keep at least one"
            )

        imps = space.imputations or (base.impute.method,)
        treats = space.treatments or (base.treat.method,)
        norms: tuple[str | Normaliser, ...] = space.normalisers or (base.normalise.method,)
        self.imputations, self.treatments, self.normalisers = imps, treats, norms
        base_dict = base.to_dict()
        tables, w_ind, variants = [], [], []
        # One engine run per (imputation, treatment, normaliser), in that nesting order.
        for imp in imps:
            for trt in treats:
                for nrm in norms:
                    spec_i = _spec_with(base_dict, imp, trt, nrm)
                    try:
                        res = build_index(data, meta, spec_i, groups=groups)
                    except UsageError as exc:
                        # A spec error lists its own problems: keep the list flat.
                        msgs = getattr(exc, "problems", None) or [str(exc)]
                        where = (
                            f"imputation {imp!r}, treatment {trt!r}, "
                            f"normaliser {_norm_label(nrm)!r}"
                        )
                        problems.extend(f"{where}: {m}" for m in msgs)
                        continue
                    t = res.levels["indicator"].reindex(index=self.units, columns=self.indicators)
                    t = _rescale_zscores(t.to_numpy(dtype="float64"), nrm, base, self.indicators)
                    tables.append(t)
                    variants.append((imp, trt, nrm))
                    w_ind.append(res.weights["indicator"].reindex(self.indicators).to_numpy())

        # per level: the aggregation spec of every choice (with "all", the same
        # choices at every level, picked by one factor)
        tied = space.aggregators.get(ALL_LEVELS)
        self.level_specs: dict[str, list] = {}
        for level in self.levels:
            own = base.aggregate[level]
            choices = tied or space.aggregators.get(level, (own.method,))
            specs = []
            for c in choices:
                if c == own.method:
                    specs.append(own)
                else:
                    specs.append(dataclasses.replace(own, method=c, zero_policy=space.zero_policy))
            self.level_specs[level] = specs
        positive_levels = [
            lv
            for lv, specs in self.level_specs.items()
            if any(
                s.method in _POSITIVE_ONLY or (s.method == "genmean" and s.p <= 0) for s in specs
            )
        ]
        if positive_levels:
            for (_imp, _trt, nrm), t in zip(variants, tables, strict=True):
                if np.nanmin(t, initial=0.0) < 0:
                    problems.append(
                        f"normaliser {_norm_label(nrm)!r} gives negative values, which the "
                        "geometric or "
                        f"harmonic mean chosen for {', '.join(positive_levels)} cannot take "
                        "(use minmax, rank, goalposts... or drop that aggregator)"
                    )
            problems = list(dict.fromkeys(problems))
        if problems:
            raise SpaceError(problems)

        self.tables = np.stack(tables)  # (variants, units, indicators)
        self.w_ind = np.stack(w_ind)  # (variants, indicators)
        lv = nominal.levels
        self.codes = {level: list(lv[level].columns) for level in self.levels}
        # per level: the position of each child's parent among the level's codes
        self.parent = {}
        for level, below in zip(self.levels, ("indicator", *self.levels[:-1]), strict=True):
            children = self.indicators if below == "indicator" else self.codes[below]
            structure = level_structure(lin, level).reindex(children)
            self.parent[level] = _positions(structure, self.codes[level])
        self.blocks = {lv: [_block(p == j) for j in range(len(self.codes[lv]))]
                       for lv, p in self.parent.items()}  # fmt: skip
        # within-parent weights of the codes of each level below the top
        self.w_upper = [
            nominal.weights[level].reindex(self.codes[level]).to_numpy()
            for level in self.levels[:-1]
        ]
        self.nominal_scores = {level: lv[level].reindex(self.units) for level in self.levels}
        self.nominal_ranks = {
            level: rank_scores(self.nominal_scores[level]).to_numpy() for level in self.levels
        }

        # the factors, in a fixed order
        factors: list[Factor] = []
        rng = np.random.default_rng(seed)
        self.weight_sets = None
        if space.varies_weights:
            sizes = (len(self.indicators), *(len(wl) for wl in self.w_upper))
            v = rng.uniform(-1.0, 1.0, size=(space.n_weight_sets, sum(sizes)))
            # one noise per column (the same draws whatever the noise, so a
            # single number gives the sets it always gave)
            weighted = ("indicator", *self.levels[:-1])
            noise = np.repeat([space.noise(lv) for lv in weighted], sizes)
            self.weight_sets = 1.0 + noise * v
            factors.append(Factor("weights", "weights", n_sets=space.n_weight_sets))
        if len(imps) > 1:
            factors.append(Factor("imputation", "choice", tuple(imps)))
        if len(treats) > 1:
            factors.append(Factor("treatment", "choice", tuple(treats)))
        if len(norms) > 1:
            factors.append(Factor("normaliser", "choice", tuple(map(_norm_label, norms))))
        if tied is not None and len(tied) > 1:
            factors.append(Factor("aggregator", "choice", tuple(tied)))
        for level in self.levels:
            specs = self.level_specs[level]
            if tied is None and len(specs) > 1:
                factors.append(
                    Factor(f"aggregator.{level}", "choice", tuple(s.method for s in specs))
                )
        for ind in space.drop:
            factors.append(Factor(f"drop.{ind}", "drop", probability=space.drop_probability))
        self.factors = factors

    # -- evaluation ------------------------------------------------------------
    def choices(self, u: np.ndarray) -> dict[str, np.ndarray]:
        """Option index of every factor for each row of ``u``."""
        u = np.asarray(u, dtype="float64")
        if u.ndim != 2 or u.shape[1] != len(self.factors):
            raise UsageError(
                f"expected an array of shape (replications, {len(self.factors)}), got {u.shape}"
            )
        return {f.name: f.index(u[:, j]) for j, f in enumerate(self.factors)}

    def evaluate(self, u: np.ndarray, levels: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Scores (replications x units x codes) of the requested levels (default: all).

        ``min_indicators`` of each level is applied per replication (see the
        class notes); the indicator counts are only computed when a level sets one.
        """
        levels = self.levels if levels is None else levels
        c = self.choices(u)
        r = len(u)
        zero = np.zeros(r, dtype=np.intp)
        variant = (
            c.get("imputation", zero) * len(self.treatments) + c.get("treatment", zero)
        ) * len(self.normalisers) + c.get("normaliser", zero)
        x = self.tables[variant]  # (r, units, indicators): a gather, not a rebuild
        k = len(self.indicators)
        w = self.w_ind[variant].copy()
        w_upper = [np.broadcast_to(wl, (r, len(wl))).copy() for wl in self.w_upper]
        if self.weight_sets is not None:
            m = self.weight_sets[c["weights"]]
            w *= m[:, :k]
            # a weight set holds the indicators' weights, then each level's in turn
            start = k
            for wl in w_upper:
                wl *= m[:, start : start + wl.shape[1]]
                start += wl.shape[1]
        for ind in self.space.drop:
            j = self.indicators.index(ind)
            w[:, j] = np.where(c[f"drop.{ind}"] == 1, 0.0, w[:, j])
        out: dict[str, np.ndarray] = {}
        below = x
        # Indicators beneath each code, counted only up to the highest level
        # with a min_indicators (the same at every aggregator choice of a level).
        minimum = [self.level_specs[lv][0].min_indicators for lv in self.levels]
        top = max((i for i, m in enumerate(minimum) if m > 0), default=-1)
        counts: np.ndarray | None = None
        tied = c.get("aggregator", zero)
        for i, (level, wl) in enumerate(zip(self.levels, (w, *w_upper), strict=True)):
            counts = self._count(below, wl, level, counts) if i <= top else None
            below = self._aggregate(below, wl, level, c.get(f"aggregator.{level}", tied), counts)
            if level in levels:
                out[level] = below
        return out

    def _count(
        self, x: np.ndarray, w: np.ndarray, level: str, below: np.ndarray | None
    ) -> np.ndarray:
        """Indicators with a value (r, units, codes) beneath each code of ``level``.

        As :func:`learningcity.index.aggregate.count_indicators`: a child counts when it
        has a value and weight > 0, with its own count (``below``, or 1 for an
        indicator); a child without a score brings none.
        """
        n_parent = len(self.codes[level])
        out = np.zeros((x.shape[0], x.shape[1], n_parent), dtype=np.int64)
        for p in range(n_parent):
            cols = self.blocks[level][p]
            present = ~np.isnan(x[:, :, cols]) & (w[:, None, cols] > 0)
            if below is None:
                out[:, :, p] = present.sum(axis=-1)
            else:
                out[:, :, p] = np.where(present, below[:, :, cols], 0).sum(axis=-1)
        return out

    def _aggregate(
        self,
        x: np.ndarray,
        w: np.ndarray,
        level: str,
        choice: np.ndarray,
        counts: np.ndarray | None = None,
    ) -> np.ndarray:
        n_parent = len(self.codes[level])
        out = np.full((x.shape[0], x.shape[1], n_parent), np.nan)
        specs = self.level_specs[level]
        for m, a in enumerate(specs):
            rows = choice == m
            if not rows.any():
                continue
            xm, wm = (x, w) if rows.all() else (x[rows], w[rows])
            cm = counts if counts is None or rows.all() else counts[rows]
            for p in range(n_parent):
                cols = self.blocks[level][p]
                n_ind = None if cm is None else cm[:, :, p]
                try:
                    res = _aggregate_block(xm[:, :, cols], wm[:, cols], a, n_ind)
                except _NotPositive as exc:
                    raise self._not_positive(exc, level, p, a) from None
                if rows.all():
                    out[:, :, p] = res
                else:
                    out[rows, :, p] = res
        return out

    def _not_positive(self, exc: _NotPositive, level: str, p: int, a: Any) -> UsageError:
        """The error of a mean that met a value it cannot take, naming where."""
        children = (
            self.indicators if level == LEVELS[0] else self.codes[LEVELS[LEVELS.index(level) - 1]]
        )
        cols = np.arange(len(children))[self.blocks[level][p]]
        child = children[cols[exc.child]]
        what = "is negative" if exc.value < 0 else f"is 0 (zero_policy {a.zero_policy!r})"
        fix = (
            "choose zero_policy shift, zero or skip, or a normaliser whose scores stay above 0 "
            "(e.g. {method: minmax, l_u: [1, 100]})"
            if exc.value == 0
            else "choose a normaliser whose scores are >= 0"
        )
        return UsageError(
            f"uncertainty run: the {a.method} mean of level {level!r}, group "
            f"{self.codes[level][p]!r}, unit {self.units[exc.unit]!r} cannot take its child "
            f"{child!r}, which {what} in a replication; {fix}"
        )


class _NotPositive(Exception):
    """Raised by :func:`_aggregate_block`; :class:`RankModel` names the place."""

    def __init__(self, unit: int, child: int, value: float) -> None:
        self.unit, self.child, self.value = unit, child, value


def _block(mask: np.ndarray) -> slice | np.ndarray:
    """A contiguous run of True as a slice (indexing gives a view), else indices."""
    idx = np.flatnonzero(mask)
    if len(idx) and idx[-1] - idx[0] + 1 == len(idx):
        return slice(int(idx[0]), int(idx[-1]) + 1)
    return idx


def _positions(labels: pd.Series, codes: list[str]) -> np.ndarray:
    lookup = {c: i for i, c in enumerate(codes)}
    return np.array([lookup[str(v)] for v in labels.to_numpy()], dtype=np.intp)


def _aggregate_block(
    x: np.ndarray, w: np.ndarray, a: Any, n_ind: np.ndarray | None = None
) -> np.ndarray:
    """Aggregate children (last axis) of an (r, n, c) block; weights (r, c).

    Mirrors :func:`learningcity.index.aggregate`: weights rescale to the
    children a unit has, ``threshold`` is the least share of them, and a child
    with weight 0 (a dropped indicator) counts as absent.  ``n_ind`` (r, n) is
    the number of indicators with a value beneath the parent
    (:meth:`RankModel._count`); the parent is NaN where it is below
    ``a.min_indicators``.
    """
    wb = w[:, None, :]
    has_w = wb > 0
    present = ~np.isnan(x) & has_w
    n_base = has_w.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"), _quiet():
        avail = present.sum(axis=-1) / np.maximum(n_base, 1)
        if a.method == "mpi":
            xs = np.where(has_w, x, np.nan)
            mu = np.nanmean(xs, axis=1, keepdims=True) if xs.size else xs
            sd = np.nanstd(xs, axis=1, keepdims=True) if xs.size else xs
            z = 100 + 10 * (x - mu) / sd
            pz = present & ~np.isnan(z)
            ww = np.where(pz, wb, 0.0)
            tot = ww.sum(axis=-1)
            ww = ww / tot[..., None]
            mean = (ww * np.where(pz, z, 0.0)).sum(axis=-1)
            var = (ww * np.where(pz, (z - mean[..., None]) ** 2, 0.0)).sum(axis=-1)
            res = mean - var / mean
        else:
            p = {"arithmetic": 1.0, "geometric": 0.0, "harmonic": -1.0}.get(a.method, a.p)
            needs_positive = p <= 0 or p != int(p)
            v = x
            pres = present
            shift = None
            if needs_positive:
                # Checked before the run for the indicators; a level above can
                # still reach this, and then it is an error, never a silent 0.
                zero = present & (x == 0)
                bad = present & (x < 0)
                if a.zero_policy == "error":
                    bad |= zero
                if bad.any():
                    _r, unit, child = np.argwhere(bad)[0]
                    raise _NotPositive(int(unit), int(child), float(x[_r, unit, child]))
                if a.zero_policy == "skip":
                    pres = present & ~zero
                elif a.zero_policy == "shift":
                    # as the engine: only a replication whose block has a 0 is
                    # shifted; elsewhere the plain mean
                    hit = zero.any(axis=(1, 2))
                    if hit.any():
                        shift = np.where(hit, a.shift, 0.0)[:, None]
                        v = x + shift[:, :, None]
            ww = np.where(pres, wb, 0.0)
            tot = ww.sum(axis=-1)
            ww = ww / tot[..., None]
            if p == 0:
                res = np.exp((ww * np.log(np.where(pres, v, 1.0))).sum(axis=-1))
            elif p == 1:
                res = (ww * np.where(pres, v, 0.0)).sum(axis=-1)
            else:
                res = (ww * np.where(pres, v, 1.0) ** p).sum(axis=-1) ** (1.0 / p)
            if shift is not None:
                res = res - shift
            if needs_positive and a.zero_policy == "zero":
                res = np.where((present & (x == 0)).any(axis=-1), 0.0, res)
        res = np.where(tot == 0, np.nan, res)
        res = np.where((avail < a.threshold) | (avail == 0), np.nan, res)
        if n_ind is not None and a.min_indicators > 0:
            res = np.where(n_ind < a.min_indicators, np.nan, res)
    return res


def rank_array(scores: np.ndarray) -> np.ndarray:
    """Ranks along axis 1 (units): 1 = highest, ties share the best rank, NaN stays NaN.

    Examples
    --------
    >>> rank_array(np.array([[[50.0], [70.0], [50.0], [np.nan]]]))[0, :, 0].tolist()
    [2.0, 1.0, 2.0, nan]
    """
    a = -np.asarray(scores, dtype="float64")
    if a.shape[1] == 0:
        return a.copy()
    # Sort each column once (NaN last); a unit's rank is 1 + the position of
    # the first unit with the same score in that order (ties share it).
    order = np.argsort(a, axis=1, kind="stable")
    s = np.take_along_axis(a, order, axis=1)
    pos = np.arange(a.shape[1]).reshape((1, -1) + (1,) * (a.ndim - 2))
    new = np.ones(s.shape, dtype=bool)
    new[:, 1:] = s[:, 1:] != s[:, :-1]
    first = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    ranks = np.empty(a.shape)
    np.put_along_axis(ranks, order, first + 1.0, axis=1)
    ranks[np.isnan(a)] = np.nan
    return ranks


# ---------------------------------------------------------------------------
# Monte Carlo
# ---------------------------------------------------------------------------


@dataclass
class UncertaintyResult:
    """Scores and ranks of every replication, and their summaries.

    Attributes
    ----------
    model : RankModel
        The model (its ``nominal`` is the :class:`~learningcity.index.IndexResult`
        of the spec itself).
    inputs : ndarray
        The uniform numbers of each replication (replications x factors).
    scores, ranks : dict of ndarray
        Per level, arrays replications x units x codes.
    seed : int
    """

    model: RankModel
    inputs: np.ndarray
    scores: dict[str, np.ndarray]
    ranks: dict[str, np.ndarray]
    seed: int

    @property
    def units(self) -> pd.Index:
        """Unit codes, in the order of the arrays' second axis."""
        return self.model.units

    @property
    def factors(self) -> list[Factor]:
        """The uncertain inputs, in the order of the columns of ``inputs``."""
        return self.model.factors

    def samples(self) -> pd.DataFrame:
        """The choices made in each replication (one row per replication)."""
        cols = {f.name: f.label(self.inputs[:, j]) for j, f in enumerate(self.factors)}
        return pd.DataFrame(cols, index=pd.RangeIndex(len(self.inputs), name="replication"))

    def summary(self) -> pd.DataFrame:
        """Per unit, level and code: nominal score and rank, median rank, 5–95 % interval.

        Columns: ``unit_code``, ``level``, ``code``, ``nominal_score``,
        ``nominal_rank``, ``median_rank``, ``rank_low`` and ``rank_high``
        (5th and 95th percentiles, taken as observed ranks), ``score_median``,
        ``score_low``, ``score_high``, ``n`` (replications with a score).
        """
        parts = []
        for level, ranks in self.ranks.items():
            scores = self.scores[level]
            nom_s = self.model.nominal_scores[level].to_numpy()
            nom_r = self.model.nominal_ranks[level]
            with np.errstate(all="ignore"), _quiet():
                q = {
                    "median_rank": np.nanmedian(ranks, axis=0),
                    "rank_low": np.nanquantile(ranks, 0.05, axis=0, method="inverted_cdf"),
                    "rank_high": np.nanquantile(ranks, 0.95, axis=0, method="inverted_cdf"),
                    "score_median": np.nanmedian(scores, axis=0),
                    "score_low": np.nanquantile(scores, 0.05, axis=0),
                    "score_high": np.nanquantile(scores, 0.95, axis=0),
                }
            codes = self.model.codes[level]
            n_u, n_c = len(self.units), len(codes)
            frame = pd.DataFrame(
                {
                    "unit_code": np.repeat(self.units.to_numpy(dtype=object), n_c),
                    "level": level,
                    "code": np.tile(np.asarray(codes, dtype=object), n_u),
                    "nominal_score": nom_s.ravel(),
                    "nominal_rank": pd.array(nom_r.ravel(), dtype="Int64"),
                    **{
                        k: pd.array(v.ravel(), dtype="Int64")
                        if k.startswith("rank_")
                        else v.ravel()
                        for k, v in q.items()
                    },
                    "n": (~np.isnan(scores)).sum(axis=0).ravel(),
                }
            )
            parts.append(frame)
        return pd.concat(parts, ignore_index=True)

    def distribution(self, level: str = "overall", code: str | None = None) -> pd.DataFrame:
        """Tidy scores and ranks of every replication for one level (and code)."""
        if level not in self.scores:
            raise UsageError(f"level {level!r} was not kept (kept: {', '.join(self.scores)})")
        codes = self.model.codes[level]
        if code is None:
            if len(codes) != 1:
                raise UsageError(f"level {level!r} has several codes; name one of {codes}")
            code = codes[0]
        if code not in codes:
            raise UsageError(f"code {code!r} is not in level {level!r} (codes: {codes})")
        j = codes.index(code)
        s, r = self.scores[level][:, :, j], self.ranks[level][:, :, j]
        n_r, n_u = s.shape
        return pd.DataFrame(
            {
                "replication": np.repeat(np.arange(n_r), n_u),
                "unit_code": np.tile(self.units.to_numpy(dtype=object), n_r),
                "score": s.ravel(),
                "rank": r.ravel(),
            }
        )

    def rank_shift(self, level: str = "overall", code: str | None = None) -> np.ndarray:
        """Mean absolute rank shift from the nominal ranks, per replication."""
        codes = self.model.codes[level]
        j = codes.index(code) if code is not None else 0
        shift = np.abs(self.ranks[level][:, :, j] - self.model.nominal_ranks[level][:, j])
        with _quiet():
            return np.nanmean(shift, axis=1)


def _chunk_size(model: RankModel) -> int:
    return _chunk_for(len(model.units), len(model.indicators))


def _chunk_for(n_units: int, n_indicators: int) -> int:
    # About 4 million cells per gathered array keeps the temporaries near 0.5 GB.
    return max(1, _CHUNK_CELLS // max(n_units * max(n_indicators, 1), 1))


_CHUNK_CELLS = 4_000_000
# Working arrays of one chunk, in gathered arrays (replications x units x
# indicators): the gather, a block copy and the temporaries of a mean; 4-5
# measured with tracemalloc on the province data, 6 to stay on the safe side.
_CHUNK_COPIES = 6
# The engine's own tables while the model is built (pandas copies of units x
# indicators; about 75 of them measured for 3,000 units).
_ENGINE_COPIES = 80
# Below this many replications numpy's nanmedian sorts a masked copy of the
# whole array (see numpy.lib._nanfunctions_impl._nanmedian); about 3 copies
# of the largest level's ranks measured at the peak of the summary, 4 kept.
_NANMEDIAN_SMALL, _SUMMARY_COPIES = 600, 4


class MemoryLimitError(UsageError):
    """A run :func:`estimate_memory` puts above the memory budget, refused before it starts.

    ``need`` and ``limit`` are in bytes; ``n_max`` is the largest number of
    replications that fits (0 when even the fixed part does not).
    """

    def __init__(self, n: int, need: int, limit: int, n_max: int, detail: str) -> None:
        self.n, self.need, self.limit, self.n_max, self.detail = n, need, limit, n_max, detail
        super().__init__(self.message())

    def message(self, n_name: str = "n", limit_name: str = "max_memory") -> str:
        """The explanation, naming the options as the caller calls them."""
        if self.n_max > 0:
            advice = f"use at most {self.n_max:,} replications ({n_name})"
        else:
            advice = "use fewer weight sets (n_weight_sets), units or indicators"
        return (
            f"{n_name} = {self.n:,} replications would need about {_bytes(self.need)} "
            f"({self.detail}); the limit is {_bytes(self.limit)}; {advice}, or raise "
            f"{limit_name} if the machine has the memory"
        )


def _bytes(b: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if b < 1024:
            return f"{b:,.0f} {unit}" if unit == "bytes" else f"{b:,.1f} {unit}"
        b /= 1024
    return f"{b:,.1f} TiB"


def _memory_parts(
    data: pd.DataFrame,
    meta: pd.DataFrame,
    space: ParameterSpace,
    n: int,
    levels: Sequence[str],
    hierarchy: Sequence[str] = LEVELS,
) -> tuple[int, int, str]:
    """Bytes per replication, bytes of the fixed part, and how they were counted."""
    n_u, n_i = len(data), len(meta)  # the engine reindexes to every indicator of the metadata
    n_codes = _upper_counts(meta, hierarchy)
    codes = sum(n_codes[lv] for lv in levels)
    n_f = (
        space.varies_weights
        + sum(len(c or ()) > 1 for c in (space.imputations, space.treatments, space.normalisers))
        + sum(len(c) > 1 for c in space.aggregators.values())
        + len(space.drop)
    )
    n_var = 1
    for c in (space.imputations, space.treatments, space.normalisers):
        n_var *= len(c or (None,))
    # Per replication: a row of uniform inputs, the kept scores and ranks
    # (units x codes each), and the summary's working copy of one code's ranks.
    per_rep = 8 * (n_f + 2 * n_u * codes + n_u)
    # Fixed: the noisy weight sets (drawn, then scaled: two arrays at the peak),
    # the engine's tables and the normalised table of every variant, and the
    # working arrays of one chunk; a small run's summary copies whole arrays.
    weight_sets = (
        2 * space.n_weight_sets * _n_weights(meta, hierarchy) if space.varies_weights else 0
    )
    chunk = min(n, _chunk_for(n_u, n_i))
    tables = (_ENGINE_COPIES + n_var) * n_u * n_i + _CHUNK_COPIES * chunk * n_u * n_i
    widest = max(n_codes[lv] for lv in levels) if levels else 0
    summary = _SUMMARY_COPIES * n * n_u * widest if n < _NANMEDIAN_SMALL else 0
    fixed = 8 * (weight_sets + tables + summary)
    detail = (
        f"{_bytes(per_rep)} per replication: scores and ranks of {n_u:,} units x {codes} "
        f"codes at 8 bytes each, and the inputs; plus {_bytes(fixed)} for "
        + ("the weight sets, " if weight_sets else "")
        + "the engine's tables and the working arrays"
    )
    return per_rep, fixed, detail


def _upper_counts(meta: pd.DataFrame, hierarchy: Sequence[str] = LEVELS) -> dict[str, int]:
    """Codes of each level in the metadata (bounded by the indicators if not given)."""
    return {
        lv: 1 if lv == hierarchy[-1] else (meta[lv].nunique() if lv in meta else len(meta))
        for lv in hierarchy
    }


def _n_weights(meta: pd.DataFrame, hierarchy: Sequence[str] = LEVELS) -> int:
    n_codes = _upper_counts(meta, hierarchy)
    return len(meta) + sum(n_codes[lv] for lv in hierarchy[:-1])


def _check_weight_sets(
    meta: pd.DataFrame, space: ParameterSpace, limit: int | None, hierarchy: Sequence[str] = LEVELS
) -> None:
    if limit is None or not space.varies_weights or not isinstance(meta, pd.DataFrame):
        return  # a malformed metadata table is the engine's to report
    n_w = _n_weights(meta, hierarchy)
    need = 2 * 8 * space.n_weight_sets * n_w  # drawn, then scaled: two arrays at the peak
    if need > limit:
        raise SpaceError(
            [
                f"n_weight_sets: {space.n_weight_sets:,} noisy weight sets of {n_w} weights "
                f"would need about {_bytes(need)} (2 x sets x weights x 8 bytes); the limit "
                f"is {_bytes(limit)}; use at most {limit // (16 * n_w):,} sets"
            ]
        )


def _most_that_fit(fits: Callable[[int], bool], n: int) -> int:
    """The largest k < n with ``fits(k)`` (0 if none); ``fits`` fails at ``n``.

    The need grows with k except where numpy's nanmedian changes method (below
    :data:`_NANMEDIAN_SMALL` replications it costs more), so each side of
    that step is searched on its own.
    """

    def search(lo: int, hi: int) -> int:  # fits(lo) (or lo is 0), not fits(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        return lo

    if n > _NANMEDIAN_SMALL and fits(_NANMEDIAN_SMALL):
        return search(_NANMEDIAN_SMALL, n)
    return search(0, min(n, _NANMEDIAN_SMALL))


def estimate_memory(
    data: pd.DataFrame,
    meta: pd.DataFrame,
    space: ParameterSpace | Mapping | None = None,
    *,
    n: int = 1000,
    levels: Sequence[str] | None = None,
    spec: IndexSpec | Mapping | str | os.PathLike | None = None,
) -> int:
    """Bytes a run of :func:`uncertainty_analysis` needs at its peak (an estimate).

    Per replication the run keeps the scores and ranks of every unit for each
    code of the kept levels (``2 x units x codes x 8`` bytes), a row of uniform
    inputs (``factors x 8``) and, while summarising, a working copy of one
    code's ranks (``units x 8``).  Fixed costs are the noisy weight sets
    (``2 x n_weight_sets x (indicators + focus areas + areas) x 8``), the
    engine's tables while the model is built (80 tables of units x
    indicators) and the normalised table of each (imputation, treatment,
    normaliser) variant, the working arrays of one chunk of replications
    (6 gathered arrays; the chunks bound them whatever ``n``) and, below 600
    replications, the summary's sorted copies of the widest level's ranks.
    Units are the rows of ``data`` and indicators those of ``meta``, so
    screening can only make the need smaller.  The levels are those of
    ``spec`` (focus areas, areas and overall by default); ``levels`` keeps
    some of them (default: all).  Measured with
    :mod:`tracemalloc` on 20 to 3,000 units, the peak was 52-90 % of the
    estimate (80-90 % for long runs).

    Examples
    --------
    >>> import pandas as pd
    >>> meta = pd.DataFrame({"focus_area": ["1.1", "2.1"], "area": ["1", "2"]}, index=["a", "b"])
    >>> data = pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0]}, index=["01", "02"])
    >>> # per replication 8 x (2 x 2 units x 5 codes + 2 units) = 176 bytes; no factor;
    >>> # fixed 8 x ((80 + 1 variant) x 2 x 2 + 6 x 1,000 replications x 2 x 2) = 194,592
    >>> estimate_memory(data, meta, n=1000)
    370592
    """
    from learningcity.index import IndexSpec

    if isinstance(space, Mapping) or space is None:
        space = ParameterSpace.from_dict(space)
    hierarchy = IndexSpec.coerce(spec).levels
    levels = hierarchy if levels is None else levels
    per_rep, fixed, _ = _memory_parts(data, meta, space, n, levels, hierarchy)
    return n * per_rep + fixed


def evaluate_chunked(
    model: RankModel,
    u: np.ndarray,
    levels: Sequence[str] | None = None,
    *,
    chunk_size: int | None = None,
    progress: bool | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Scores and ranks of the rows of ``u``, computed chunk by chunk.

    ``chunk_size`` replications are gathered into one array at a time (by
    default about 4 million cells), so memory does not grow with ``len(u)``
    beyond the kept scores and ranks.  ``levels`` defaults to all of the
    model's.
    """
    levels = model.levels if levels is None else levels
    n = len(u)
    size = chunk_size or _chunk_size(model)
    if progress is None:
        progress = n * len(model.units) * len(model.indicators) > _PROGRESS_CELLS
    scores = {lv: np.empty((n, len(model.units), len(model.codes[lv]))) for lv in levels}
    ranks = {lv: np.empty_like(a) for lv, a in scores.items()}
    starts = range(0, n, size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="replications", unit="chunk", total=-(-n // size))
    for s in starts:
        part = model.evaluate(u[s : s + size], levels)
        for lv, arr in part.items():
            scores[lv][s : s + size] = arr
            ranks[lv][s : s + size] = rank_array(arr)
    return scores, ranks


def uncertainty_analysis(
    data: pd.DataFrame,
    meta: pd.DataFrame,
    space: ParameterSpace | Mapping | None = None,
    spec: IndexSpec | Mapping | str | os.PathLike | None = None,
    *,
    n: int = 1000,
    seed: int = 0,
    levels: Sequence[str] | None = None,
    chunk_size: int | None = None,
    progress: bool | None = None,
    groups: pd.DataFrame | pd.Series | None = None,
    max_memory: int | None = MEMORY_LIMIT,
) -> UncertaintyResult:
    """Monte Carlo of the index over a parameter space.

    Parameters
    ----------
    data : DataFrame
        Wide table of one year (units x indicators), as for ``build_index``.
    meta : DataFrame
        Indicator metadata.
    space : ParameterSpace or dict, optional
        The uncertain choices; a dict is read with
        :meth:`ParameterSpace.from_dict`.  By default nothing varies.
    spec : IndexSpec, dict, YAML path or text, optional
        The nominal method; its choices are the ones a space leaves fixed.
    n : int, default 1000
        Number of replications.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng` (a whole number >= 0); the
        same seed gives the same results.
    levels : sequence of str, optional
        Levels of the spec whose scores and ranks are kept (memory grows with
        them); by default all of them.
    chunk_size : int, optional
        Replications evaluated together (chosen from the size by default).
    progress : bool, optional
        Show a progress bar; by default only for long runs.
    groups : DataFrame or Series, optional
        Unit groups, as for ``build_index`` (needed by group imputation).
    max_memory : int or None, default MEMORY_LIMIT
        Memory budget in bytes; a run that :func:`estimate_memory` puts above
        it is refused before anything is built.  ``None`` drops the check.

    Returns
    -------
    UncertaintyResult

    Raises
    ------
    MemoryLimitError
        If the run would need more than ``max_memory``.

    Examples
    --------
    >>> import pandas as pd
    >>> meta = pd.DataFrame({"focus_area": ["1.1", "1.2"], "area": ["1", "1"]}, index=["a", "b"])
    >>> data = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 4.0]},
    ...                     index=["01", "02", "15"])
    >>> res = uncertainty_analysis(data, meta, {"drop": ["b"], "weight_noise": 0.5}, n=100)
    >>> s = res.summary().query("level == 'overall'")
    >>> print(s[["unit_code", "nominal_rank", "rank_low", "rank_high"]].to_string(index=False))
    unit_code  nominal_rank  rank_low  rank_high
           01             2         2          3
           02             3         2          3
           15             1         1          1
    """
    from learningcity.index import IndexSpec

    if isinstance(space, Mapping) or space is None:
        space = ParameterSpace.from_dict(space)
    spec = IndexSpec.coerce(spec)
    hierarchy = spec.levels
    levels = hierarchy if levels is None else levels
    bad = [lv for lv in levels if lv not in hierarchy]
    if bad:
        raise UsageError(f"levels: unknown {bad} (known: {', '.join(hierarchy)})")
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
        raise UsageError(f"n: expected a whole number of replications >= 1, got {_show(n)}")
    # numpy takes any whole number >= 0 as a seed; a negative one is a ValueError deep inside
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise UsageError(f"seed: expected a whole number >= 0, got {_show(seed)}")
    n = int(n)
    _check_weight_sets(meta, space, max_memory, hierarchy)
    if max_memory is not None and isinstance(data, pd.DataFrame) and isinstance(meta, pd.DataFrame):
        need = estimate_memory(data, meta, space, n=n, levels=levels, spec=spec)
        if need > max_memory:
            n_max = _most_that_fit(
                lambda k: (
                    estimate_memory(data, meta, space, n=k, levels=levels, spec=spec) <= max_memory
                ),
                n,
            )
            detail = _memory_parts(data, meta, space, n, levels, hierarchy)[2]
            raise MemoryLimitError(n, need, max_memory, n_max, detail)
    rng = np.random.default_rng(seed)
    model = RankModel(
        data, meta, space, spec, seed=int(rng.integers(2**32)), groups=groups,
        max_memory=max_memory,
    )  # fmt: skip
    u = rng.random((n, len(model.factors)))
    scores, ranks = evaluate_chunked(
        model, u, tuple(levels), chunk_size=chunk_size, progress=progress
    )
    return UncertaintyResult(model=model, inputs=u, scores=scores, ranks=ranks, seed=seed)


# ---------------------------------------------------------------------------
# Figure
# ---------------------------------------------------------------------------

_TEXT = {
    "title": N_("Rank and its 5–95 % interval over {n} replications"),
    "rank": N_("rank (1 = best)"),
    "nominal": N_("nominal rank"),
    "median": N_("median rank"),
    "interval": N_("5–95 % interval"),
}


def plot_rank_intervals(
    result: UncertaintyResult,
    level: str = "overall",
    code: str | None = None,
    *,
    lang: str = "en",
    labels: Mapping[str, str] | pd.Series | None = None,
    highlight: Sequence[str] = (),
    top: int | None = None,
) -> Figure:
    """Rank intervals per unit, ordered by nominal rank (best at the top).

    Parameters
    ----------
    result : UncertaintyResult
    level, code : str
        Which score (default: the overall index).
    lang : {"en", "vi"}
        Language of the title and labels.
    labels : mapping, optional
        Unit code -> name shown on the axis (codes by default).
    highlight : sequence of str
        Unit codes drawn in a contrasting colour (e.g. the city of the report).
    top : int, optional
        Only the best ``top`` units by nominal rank.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> meta = pd.DataFrame({"focus_area": ["1.1", "1.2"], "area": ["1", "1"]}, index=["a", "b"])
    >>> data = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 4.0]},
    ...                     index=["01", "02", "15"])
    >>> res = uncertainty_analysis(data, meta, {"weight_noise": 0.5}, n=50)
    >>> fig = plot_rank_intervals(res, lang="vi", labels={"15": "Yên Bái"}, highlight=["15"])
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['Yên Bái', '01', '02']
    """
    check_lang(lang)
    import matplotlib.pyplot as plt

    codes = result.model.codes[level]
    code = code if code is not None else codes[0]
    s = result.summary()
    s = s[(s["level"] == level) & (s["code"] == code)].dropna(subset=["nominal_rank"])
    s = s.sort_values(["nominal_rank", "median_rank"])
    if top is not None:
        s = s.head(top)
    t = translated(_TEXT, lang)
    names = pd.Series(labels) if labels is not None else pd.Series(dtype=object)
    ylab = [str(names.get(c, c)) for c in s["unit_code"]]
    y = np.arange(len(s))
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.22 * len(s) + 1.2)))
    hl = s["unit_code"].isin(list(highlight)).to_numpy()
    colour = np.where(hl, "#d95f02", "#1b9e77")
    low, high = s["rank_low"].astype("float64"), s["rank_high"].astype("float64")
    ax.hlines(y, low, high, colors=colour, lw=2.5, label=t["interval"])
    ax.plot(s["median_rank"], y, "o", ms=4, color="black", label=t["median"])
    ax.plot(
        s["nominal_rank"].astype(float), y, "D", ms=5, mfc="white", mec="black",
        label=t["nominal"],
    )  # fmt: skip
    ax.set_yticks(y, ylab, fontsize=7 if len(s) > 30 else 9)
    for tick, h in zip(ax.get_yticklabels(), hl, strict=True):
        if h:
            tick.set_fontweight("bold")
    ax.invert_yaxis()
    ax.set_xlabel(t["rank"])
    ax.set_title(t["title"].format(n=len(result.inputs)))
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------
# Command line: learningcity uncertainty
# ---------------------------------------------------------------------------


def add_parser(subparsers: Any) -> None:
    """Register ``learningcity uncertainty``."""
    from pathlib import Path as _Path

    p = subparsers.add_parser(
        "uncertainty",
        help="rank of every unit with its 5-95 %% interval over a parameter space",
        description="Monte Carlo of the readiness index over a parameter space (YAML): "
        "print each unit's nominal rank, median rank and 5-95 %% rank interval, and "
        "optionally write the summary of every level as CSV.",
    )
    p.add_argument("--space", type=_Path, required=True, metavar="YAML", help="parameter space")
    p.add_argument(
        "--spec",
        type=_Path,
        metavar="YAML",
        help="nominal method spec (default: the framework's scoring, as the reports)",
    )
    p.add_argument("--wide", type=_Path, metavar="FILE", help="wide CSV: unit_code + indicators")
    p.add_argument(
        "--year", type=int, help="year of the bundled observations (default: best covered)"
    )
    p.add_argument("--level", default="province", help="unit level (default: province)")
    p.add_argument(
        "--min-coverage",
        type=float,
        default=0.65,
        help="keep indicators with a value for at least this share of units (default 0.65)",
    )
    p.add_argument("-n", type=int, default=1000, help="replications (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="random seed >= 0 (default 0)")
    p.add_argument(
        "--max-memory",
        type=float,
        default=MEMORY_LIMIT / 1024**3,
        metavar="GIB",
        help=f"refuse a run that would need more memory (default {MEMORY_LIMIT / 1024**3:g} GiB)",
    )
    p.add_argument("--out", type=_Path, metavar="CSV", help="write the summary of every level")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.add_argument("--top", type=int, default=0, help="units shown (default 0 = all)")
    from learningcity.localdata import add_data_arguments

    add_data_arguments(p)  # the city's own data, beside the bundled figures
    p.set_defaults(func=_run)


def _cli_data(
    args: Any, spec: IndexSpec | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    from learningcity.framework import load_framework

    fw = load_framework()
    meta = fw.indicator_table()
    if args.wide and getattr(args, "data", None):
        raise UsageError("--data adds observations; it cannot be used with --wide")
    if args.wide:
        from learningcity.index.cli import read_wide_csv

        data, names = read_wide_csv(args.wide, framework=fw, spec=spec), {}
    else:
        from learningcity.data import load_bundled_observations
        from learningcity.indicators import derive_indicators, to_wide

        if getattr(args, "data", None):
            from learningcity.localdata import cli_observations

            # Every problem of every file, or a disagreement without --prefer-local: exit 2.
            obs, _ = cli_observations(args.data, args.prefer_local, "uncertainty")
        else:
            obs = load_bundled_observations()
        obs = obs[obs["level"] == args.level]
        if obs.empty:
            raise UsageError(f"no bundled observations at level {args.level!r}")
        tidy = pd.concat([obs, derive_indicators(obs)], ignore_index=True)
        values = tidy[tidy["indicator"].isin(meta.index) & tidy["value"].notna()]
        if values.empty:
            raise UsageError(f"no indicator values at level {args.level!r}")
        # By default the year with the most indicator values.
        year = args.year if args.year is not None else int(values["year"].value_counts().idxmax())
        data = to_wide(values, year, meta.index)
        if data.empty:
            raise UsageError(f"no indicator values in {year} at level {args.level!r}")
        print(f"{args.level}, {year}")
        names = obs.drop_duplicates("unit_code").set_index("unit_code")["unit_name"].to_dict()
    cover = data.reindex(columns=meta.index).notna().mean()
    kept = cover.index[cover >= args.min_coverage]
    if kept.empty:
        raise UsageError(f"no indicator has values for {args.min_coverage:.0%} of the units")
    print(f"{len(data)} units, {len(kept)} indicators with values for >= "
          f"{args.min_coverage:.0%} of them: {', '.join(kept)}")  # fmt: skip
    return data[kept], meta.loc[kept], names


def _check_options(args: Any) -> None:
    """Refuse bad numbers before any file is read (all of them at once)."""
    problems = []
    if args.n < 1:
        problems.append(f"-n: expected a whole number of replications >= 1, got {args.n}")
    if args.seed < 0:
        problems.append(f"--seed: expected a whole number >= 0 (numpy's seeds), got {args.seed}")
    if args.top < 0:
        problems.append(f"--top: expected 0 (every unit) or a number of units, got {args.top}")
    if not 0 <= args.min_coverage <= 1:  # NaN fails too
        problems.append(f"--min-coverage: expected a share in [0, 1], got {args.min_coverage}")
    if not 0 < args.max_memory < float("inf"):
        problems.append(f"--max-memory: expected a number of GiB > 0, got {args.max_memory}")
    if problems:
        raise UsageError("\n  ".join(["bad option(s):", *problems]))


def _run(args: Any) -> int:
    from learningcity.exports import write_csv
    from learningcity.index import IndexSpec

    _check_options(args)
    space = ParameterSpace.from_yaml(args.space)
    # Read now, so that a bad spec is reported before the data are read.
    if args.spec is not None:
        spec = IndexSpec.from_yaml(args.spec)
    else:  # the framework's own method, as the reports use it
        from learningcity.framework import load_framework
        from learningcity.index.spec import scoring_spec

        spec = IndexSpec.coerce(scoring_spec(load_framework().scoring()))
    if args.out and args.out.exists() and not args.force:
        raise UsageError(f"{args.out}: exists; use --force to replace it")
    data, meta, names = _cli_data(args, spec)
    try:
        res = uncertainty_analysis(
            data, meta, space, spec, n=args.n, seed=args.seed,
            max_memory=int(args.max_memory * 1024**3),
        )  # fmt: skip
    except MemoryLimitError as exc:
        raise UsageError(exc.message("-n", "--max-memory")) from None
    except SpaceError as exc:
        # problems of the space against the data: name the space file
        raise SpaceError(exc.problems, str(args.space)) from None
    summary = res.summary()
    overall = summary[summary["level"] == "overall"].sort_values(["nominal_rank", "unit_code"])
    table = pd.DataFrame(
        {
            "rank": overall["nominal_rank"],
            "unit_code": overall["unit_code"],
            "unit_name": [names.get(c, "") for c in overall["unit_code"]],
            "score": overall["nominal_score"].round(1),
            "median_rank": overall["median_rank"],
            "interval_5_95": [
                f"{lo}-{hi}" if pd.notna(lo) and pd.notna(hi) else ""
                for lo, hi in zip(overall["rank_low"], overall["rank_high"], strict=True)
            ],
        }
    )
    print(f"{args.n} replications over {len(res.factors)} factors: "
          f"{', '.join(f.name for f in res.factors) or 'none'}")  # fmt: skip
    shown = table if args.top == 0 else table.head(args.top)
    print(shown.to_string(index=False))
    if args.out:
        write_csv(summary, args.out, overwrite=args.force)
        print(f"wrote {args.out} ({len(summary)} rows)")
    return 0
