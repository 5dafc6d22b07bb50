"""The method of an index as a small declarative spec.

A spec is a tree of frozen dataclasses, one per step, that round-trips to a plain
dict and to YAML, so the same method can be a keyword argument, a YAML file or a
papermill parameter.  Any subset of keys may be given; the rest take defaults.
Every field is checked and *all* problems are reported at once.

Example YAML::

    screen: {threshold: 0.66, after: impute}
    normalise: {method: goalposts, scale: 100}
    treat: {method: none, individual: {gni_per_capita: log}}
    aggregate:
      focus_area: {method: arithmetic, threshold: 0.5}
      area: {method: geometric, zero_policy: shift, min_indicators: 2}

The hierarchy above the indicators is named by ``levels``, bottom to top; the
default is the KFLC's ``[focus_area, area, overall]``.  Each level below the
top is a column of the indicator metadata; the top is always ``overall`` (the
index itself, one code).  A framework of any depth declares its own, e.g.::

    levels: [sub_pillar, pillar, overall]
    aggregate:
      pillar: {method: geometric, zero_policy: shift}
    weights:
      levels: {pillar: {P1: 2}}
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import reprlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learningcity.errors import UsageError
from learningcity.index.aggregate import METHODS as AGGREGATE_METHODS
from learningcity.index.aggregate import ZERO_POLICIES
from learningcity.index.impute import METHODS as IMPUTE_METHODS
from learningcity.index.normalise import METHODS as NORMALISE_METHODS
from learningcity.index.outliers import TREATMENTS
from learningcity.index.weights import METHODS as WEIGHT_METHODS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LEVELS",
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "RESERVED_LEVEL_NAMES",
    "SCREEN_AFTER",
    "TOP_LEVEL",
    "AggregateSpec",
    "DenominateSpec",
    "ImputeSpec",
    "IndexSpec",
    "NormaliseSpec",
    "ResultsSpec",
    "ScreenSpec",
    "SpecError",
    "TreatSpec",
    "WeightSpec",
    "load_method_yaml",
    "scoring_spec",
]

#: The default aggregation levels above the indicators, bottom to top (the KFLC's).
LEVELS: tuple[str, ...] = ("focus_area", "area", "overall")
#: Name of the top level: the index itself, whose one code is also ``"overall"``.
TOP_LEVEL: str = "overall"
#: Names a level may not take: the level of the indicators themselves and the
#: other columns of the indicator metadata.
RESERVED_LEVEL_NAMES: tuple[str, ...] = (
    "indicator",
    "direction",
    "weight",
    "goalpost_low",
    "goalpost_high",
    "target_2025",
    "target_2030",
)


#: Largest method file read, in bytes (a method file is a few hundred bytes).
MAX_YAML_BYTES: int = 1 << 20
#: Most YAML nodes (scalars, lists, mappings) a method file may hold.
MAX_YAML_NODES: int = 100_000
#: Deepest nesting of lists and mappings in a method file.
MAX_YAML_DEPTH: int = 20

# Values quoted in messages are cut short: a hostile file may hold huge ones.
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 2, 60, 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4


def _show(value: Any) -> str:
    return _REPR.repr(value)


def _got(value: Any) -> str:
    """What a value is, for "expected X, got ..." messages."""
    if isinstance(value, list | tuple):
        return f"a list {_show(value)}"
    if isinstance(value, Mapping):
        return f"a mapping {_show(value)}"
    if isinstance(value, bool) or value is None:
        return _show(value)
    if isinstance(value, int | float):
        return f"the number {_show(value)}"
    return _show(value)


def _problem_list(source: str, problems: list[str], shown: int = 30) -> str:
    lines = [f"{source}: {len(problems)} problem(s):", *(f"  - {p}" for p in problems[:shown])]
    if len(problems) > shown:
        lines.append(f"  … and {len(problems) - shown} more (all in .problems)")
    return "\n".join(lines)


class SpecError(UsageError):
    """A method spec with one or more invalid fields (all listed in the message)."""

    def __init__(self, problems: list[str], source: str = "spec") -> None:
        self.problems = problems
        super().__init__(_problem_list(source, problems))


def load_method_yaml(
    path_or_text: str | os.PathLike,
    *,
    text_source: str = "spec YAML",
    error: Callable[[list[str], str], Exception] = SpecError,
) -> tuple[dict[str, Any] | None, str]:
    """Read a method file (or YAML text) as a mapping, refusing hostile or broken YAML.

    A path (or a one-line string ending ``.yml``/``.yaml``) is read as a file;
    any other string is YAML text.  Before anything is built the text is
    checked: it must be UTF-8, at most :data:`MAX_YAML_BYTES` long, hold no
    YAML anchor or alias (``&name``, ``*name``: PyYAML expands aliases by
    reference, so a few lines can stand for billions of nodes), no key twice
    in one mapping (YAML would keep the last one silently), at most
    :data:`MAX_YAML_NODES` nodes nested at most :data:`MAX_YAML_DEPTH` deep,
    and a mapping at the top.

    Parameters
    ----------
    path_or_text : str or path-like
        The file, or YAML text.
    text_source : str, default "spec YAML"
        How errors name YAML given as text (a file is named by its path).
    error : callable, default SpecError
        ``error(problems, source)`` makes the exception raised.

    Returns
    -------
    data : dict or None
        The top mapping (None for an empty file).
    source : str
        The file name, or ``text_source``.

    Examples
    --------
    >>> load_method_yaml("normalise: {method: rank}")
    ({'normalise': {'method': 'rank'}}, 'spec YAML')
    >>> load_method_yaml("a: &x [1, 2]\\nb: *x")
    Traceback (most recent call last):
    ...
    learningcity.index.spec.SpecError: spec YAML: 1 problem(s):
      - line 1: YAML anchors and aliases (&name, *name) are not read in a method file (2 found); write each value out in full
    """  # noqa: E501
    import yaml

    text, source = str(path_or_text), text_source
    path = Path(path_or_text)
    if isinstance(path_or_text, os.PathLike) or (
        "\n" not in text and path.suffix in (".yml", ".yaml")
    ):
        source = str(path)
        if not path.is_file():
            what = "a folder, not a file" if path.is_dir() else "file not found"
            raise error([f"{what}: {path}"], source)
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise error(
                [f"the file has {size:,} bytes; a method file has at most {MAX_YAML_BYTES:,}"],
                source,
            )
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            shown = raw.split(b"\n")[line - 1].decode("utf-8", errors="replace").strip()
            raise error(
                [
                    f"line {line} ({_show(shown)}): not UTF-8 text; save the file as UTF-8 "
                    "(Windows-1258 and TCVN3 files are not read)"
                ],
                source,
            ) from None
    elif len(text) > MAX_YAML_BYTES:
        raise error([f"the text has {len(text):,} characters; at most {MAX_YAML_BYTES:,}"], source)
    try:
        problems = _scan_yaml(text)
        if problems:
            raise error(problems, source)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error([f"not valid YAML: {exc}"], source) from None
    if data is not None and not isinstance(data, dict):
        raise error([f"expected a mapping at the top, got {_got(data)}"], source)
    return data, source


def _scan_yaml(text: str) -> list[str]:
    """Problems found in the YAML events, read without building any node."""
    import yaml

    problems: list[str] = []
    marks: list[int] = []  # lines of anchors and aliases
    # one entry per open collection: [is a mapping, keys seen, the next node is a key]
    stack: list[list] = []
    nodes = 0
    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(ev, yaml.CollectionEndEvent):
            stack.pop()
            continue
        if not isinstance(ev, yaml.NodeEvent):
            continue
        nodes += 1
        line = ev.start_mark.line + 1
        if isinstance(ev, yaml.AliasEvent) or ev.anchor is not None:
            marks.append(line)
        if stack and stack[-1][0]:
            frame = stack[-1]
            if frame[2] and isinstance(ev, yaml.ScalarEvent):
                if ev.value in frame[1]:
                    problems.append(
                        f"line {line}: key {_show(ev.value)} is given twice in one mapping"
                    )
                frame[1].add(ev.value)
            frame[2] = not frame[2]
        if isinstance(ev, yaml.CollectionStartEvent):
            stack.append([isinstance(ev, yaml.MappingStartEvent), set(), True])
            if len(stack) > MAX_YAML_DEPTH:
                problems.append(f"line {line}: nested more than {MAX_YAML_DEPTH} levels deep")
                break
        if nodes > MAX_YAML_NODES:
            problems.append(f"line {line}: more than {MAX_YAML_NODES:,} values")
            break
    if marks:
        problems.insert(
            0,
            f"line {marks[0]}: YAML anchors and aliases (&name, *name) are not read in a "
            f"method file ({len(marks)} found); write each value out in full",
        )
    return problems


def _choice(*options: str) -> dict:
    return {"choices": options}


@dataclass(frozen=True)
class DenominateSpec:
    """Indicator -> denominator column, and a scale (1000 gives "per 1,000")."""

    by: Mapping[str, str] = field(default_factory=dict)
    scale: float | Mapping[str, float] = 1.0


#: Steps unit screening may follow (``screen.after``), in pipeline order.
SCREEN_AFTER: tuple[str, ...] = ("denominate", "impute")


@dataclass(frozen=True)
class ScreenSpec:
    """Unit screening by data availability or zeros (threshold 0 keeps every unit).

    Attributes
    ----------
    threshold : float in [0, 1], default 0
        Least share of indicators with a value a kept unit needs.
    by : {"na", "zeros", "na_and_zeros"}
        Screen on availability, on the share of non-zero values (at least
        ``nonzero_threshold``), or on both (COINr's ``byNA``, ``byzeros``,
        ``byNAandzeros``).
    nonzero_threshold : float in [0, 1], default 0.05
        Least share of non-zero values, for ``by: zeros`` and ``na_and_zeros``.
    include, exclude : list of unit codes
        Units kept or dropped whatever their data (``exclude`` wins).
    after : {"denominate", "impute"}, default "denominate"
        The step screening follows.  ``denominate`` screens the data as
        given, before imputation; ``impute`` screens the imputed table, as
        COINr's example index does, so only the gaps imputation could not
        fill (and zeros, imputed ones included) count, and every unit,
        also one screened out, takes part in the imputation.

    Examples
    --------
    >>> IndexSpec.from_dict({"screen": {"threshold": 0.9, "after": "impute"}}).screen.after
    'impute'
    >>> IndexSpec.from_dict({"screen": {"after": "treat"}})
    Traceback (most recent call last):
    ...
    learningcity.index.spec.SpecError: spec: 1 problem(s):
      - screen.after: 'treat' is not one of denominate, impute
    """

    threshold: float = field(default=0.0, metadata={"range": (0.0, 1.0)})
    by: str = field(default="na", metadata=_choice("na", "zeros", "na_and_zeros"))
    nonzero_threshold: float = field(default=0.05, metadata={"range": (0.0, 1.0)})
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    after: str = field(default="denominate", metadata=_choice(*SCREEN_AFTER))


@dataclass(frozen=True)
class ImputeSpec:
    """Imputation method; ``group`` names a column of the ``groups`` table."""

    method: str = field(default="none", metadata=_choice(*IMPUTE_METHODS))
    group: str | None = None
    n_neighbors: int = field(default=5, metadata={"range": (1, 1000)})
    # scikit-learn takes seeds in [0, 2**32)
    random_state: int = field(default=0, metadata={"range": (0, 2**32 - 1)})


@dataclass(frozen=True)
class TreatSpec:
    """Outlier treatment: ``auto`` (winsorise, then transform) or ``none``."""

    method: str = field(default="auto", metadata=_choice("auto", "none"))
    winmax: int = field(default=5, metadata={"range": (0, 10**6)})
    skew_max: float = 2.0
    kurt_max: float = 3.5
    transform: str = field(
        default="log_ct", metadata=_choice("log_ct", "log_ct_plus", "boxcox", "none")
    )
    boxcox_lambda: float = 0.5
    individual: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NormaliseSpec:
    """Normaliser and its parameters; ``individual`` overrides per indicator."""

    method: str = field(default="minmax", metadata=_choice(*NORMALISE_METHODS))
    low: float = 0.0
    high: float = 100.0
    scale: float = 100.0
    reference: str | None = None
    cap: bool = True
    truncate: bool = True
    target: str = field(default="target_2030", metadata=_choice("target_2025", "target_2030"))
    individual: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WeightSpec:
    """Weights of indicators within their groups, and of the levels above.

    ``method`` weights the indicators; ``"manual"`` reads the ``weight`` column
    of the indicator metadata.  ``upper`` weights the codes of every level
    within their parent (focus areas within areas, areas within the overall
    score): ``"manual"`` uses ``levels``, keyed by the level of the weighted
    codes, e.g. ``{"focus_area": {"1.1": 2}}`` (missing ones weigh 1); a
    statistical method is computed on the scores of that level.  ``outcome``
    names a column of the data (not an indicator) for ``outcome`` weights.

    The keys of ``levels`` are the spec's levels below the top
    (:attr:`IndexSpec.levels`), its codes text (quote them in YAML:
    ``"1.1": 2``) and their weights finite and >= 0.  Whether each code is a
    code of its level is checked when the spec meets the indicator metadata
    (:meth:`IndexSpec.check_structure`, called by
    :func:`~learningcity.index.build_index`): a misspelt code is an error, not
    a weight silently left at 1.
    """

    method: str = field(default="manual", metadata=_choice(*WEIGHT_METHODS))
    upper: str = field(default="manual", metadata=_choice(*WEIGHT_METHODS))
    outcome: str | None = None
    levels: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class AggregateSpec:
    """How one level is aggregated from the level below it.

    Attributes
    ----------
    method : str, default "arithmetic"
        The mean (see :mod:`learningcity.index.aggregate`).
    p : float, default 1
        Exponent of ``genmean``.
    zero_policy : {"error", "shift", "zero", "skip"}
        Zeros in the geometric and harmonic means.
    shift : float, default 1
        Shift of ``zero_policy: shift``.
    threshold : float in [0, 1], default 0
        Least share of a code's children (with weight > 0) a unit must have
        a value for; below it the code has no score (NaN).
    min_indicators : int >= 0, default 0
        Least number of *indicators* beneath a code a unit must have a value
        for (after imputation; an indicator with weight 0, or under a child
        that has no score, does not count); below it the code has no score,
        and it counts as missing for the level above.  It counts indicators,
        not children: an area of two focus areas, one with a single indicator
        with data and one with none, rests on 1 indicator.  0 (the default)
        sets no minimum.  The counts are kept in
        :meth:`IndexResult.n_indicators <learningcity.index.IndexResult.n_indicators>`.

    Examples
    --------
    >>> a = IndexSpec.from_dict({"aggregate": {"area": {"min_indicators": 2}}}).aggregate
    >>> a["area"].min_indicators, a["overall"].min_indicators
    (2, 0)
    """

    method: str = field(default="arithmetic", metadata=_choice(*AGGREGATE_METHODS))
    p: float = 1.0
    zero_policy: str = field(default="error", metadata=_choice(*ZERO_POLICIES))
    shift: float = 1.0
    threshold: float = field(default=0.0, metadata={"range": (0.0, 1.0)})
    min_indicators: int = field(default=0, metadata={"range": (0, 10**6)})


@dataclass(frozen=True)
class ResultsSpec:
    """Number of strengths and weaknesses listed per unit."""

    top_n: int = field(default=3, metadata={"range": (0, 1000)})


@dataclass(frozen=True)
class IndexSpec:
    """The whole method: one spec per step, one aggregation spec per level.

    Attributes
    ----------
    levels : tuple of str, default ("focus_area", "area", "overall")
        The aggregation levels above the indicators, bottom to top.  Each but
        the last is a column of the indicator metadata giving every
        indicator's code at that level; the last is the overall index and is
        named ``"overall"``.  ``aggregate`` and ``weights.levels`` are keyed
        by these names; a level not given in ``aggregate`` is an arithmetic
        mean.  Written by :meth:`to_dict` only when it is not the default.

    Examples
    --------
    >>> spec = IndexSpec.from_dict({"normalise": {"method": "zscore"},
    ...                             "aggregate": {"overall": {"method": "geometric"}}})
    >>> spec.normalise.method, spec.aggregate["overall"].method, spec.aggregate["area"].method
    ('zscore', 'geometric', 'arithmetic')
    >>> IndexSpec.from_dict(spec.to_dict()) == spec
    True

    A framework of four levels (indicators in sub-pillars in pillars):

    >>> deep = IndexSpec.from_dict({"levels": ["sub_pillar", "pillar", "overall"],
    ...                             "aggregate": {"pillar": {"method": "geometric"}}})
    >>> {lvl: a.method for lvl, a in deep.aggregate.items()}
    {'sub_pillar': 'arithmetic', 'pillar': 'geometric', 'overall': 'arithmetic'}
    >>> IndexSpec.from_dict({"aggregate": {"pillar": {}}})
    Traceback (most recent call last):
    ...
    learningcity.index.spec.SpecError: spec: 1 problem(s):
      - aggregate: unknown level 'pillar' (the levels are focus_area, area, overall)
    """

    denominate: DenominateSpec = field(default_factory=DenominateSpec)
    screen: ScreenSpec = field(default_factory=ScreenSpec)
    impute: ImputeSpec = field(default_factory=ImputeSpec)
    treat: TreatSpec = field(default_factory=TreatSpec)
    normalise: NormaliseSpec = field(default_factory=NormaliseSpec)
    weights: WeightSpec = field(default_factory=WeightSpec)
    # filled in by __post_init__: one AggregateSpec per level of ``levels``
    aggregate: Mapping[str, AggregateSpec] = field(default_factory=dict)
    results: ResultsSpec = field(default_factory=ResultsSpec)
    levels: tuple[str, ...] = LEVELS

    # -- conversion ---------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain dict of builtin types (lists, not tuples), ready for YAML/JSON.

        ``levels`` is left out when it is the default, so that the spec files
        of a three-level framework read as they always have.
        """
        out = _plain(dataclasses.asdict(self))
        if tuple(self.levels) == LEVELS:
            del out["levels"]
        return out

    def to_yaml(self) -> str:
        """The spec as YAML text."""
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def __post_init__(self) -> None:
        # Every declared level gets an aggregation spec, in the levels' order
        # (codes of unknown levels are kept, for the checks below to name).
        levels = self.levels
        if isinstance(levels, list):
            levels = tuple(levels)
            object.__setattr__(self, "levels", levels)
        given = dict(self.aggregate or {})
        if isinstance(levels, tuple) and all(isinstance(lv, str) for lv in levels):
            filled = {lv: given.pop(lv, AggregateSpec()) for lv in levels}
            object.__setattr__(self, "aggregate", {**filled, **given})
        # Specs built in code get the same checks as those read from a dict or YAML.
        problems: list[str] = []
        d = _plain(dataclasses.asdict(self))
        _parse(d, problems)
        if problems:
            raise SpecError(problems)

    @property
    def source(self) -> str:
        """Where the spec was read: its file, ``"spec YAML"`` (text) or ``"spec"`` (code).

        Errors found later, when the spec meets the data (see
        :meth:`check_structure`), name it.  Not a field: two specs with the same
        fields are equal wherever they came from, and :meth:`updated` gives a
        spec built in code.

        Examples
        --------
        >>> IndexSpec.from_yaml("normalise: {method: rank}").source
        'spec YAML'
        """
        # set by from_dict on the frozen instance; not part of equality or to_dict
        return self.__dict__.get("_source", "spec")

    def check_structure(self, structure: pd.DataFrame | Mapping[str, str] | pd.Series) -> None:
        """Check the codes of ``weights.levels`` against the framework's structure.

        A spec alone does not know the codes of its levels, so
        :func:`~learningcity.index.build_index` calls this with the indicator
        metadata.  Every code given at a level must be a code of that level (a
        misspelt one would silently leave every group at weight 1); with
        ``upper: manual``, a group whose children all weigh 0 would have no
        score.

        Parameters
        ----------
        structure : DataFrame, mapping or Series
            The indicator metadata, with one column per level of
            :attr:`levels` below the top (each group in one parent: see
            :func:`~learningcity.index.prepare_meta`); or, for a spec of three
            levels, the map of the bottom level's codes to those above (focus
            area code -> area code).

        Raises
        ------
        SpecError
            Listing every problem, under the spec's :attr:`source` (its file).

        Examples
        --------
        >>> spec = IndexSpec.from_dict({"weights": {"levels": {"focus_area": {"11": 2}}}})
        >>> spec.check_structure({"1.1": "1", "1.2": "1", "2.1": "2"})
        Traceback (most recent call last):
        ...
        learningcity.index.spec.SpecError: spec: 1 problem(s):
          - weights.levels.focus_area: unknown focus area code '11' (did you mean '1.1'?); the focus areas are 1.1, 1.2, 2.1
        """  # noqa: E501
        parents = _parent_maps(structure, self.levels)
        problems: list[str] = []
        for level, given in self.weights.levels.items():
            known = list(parents[level])
            others = {lv: p for lv, p in parents.items() if lv != level}
            unknown = [_unknown_code(c, known, others) for c in given if c not in known]
            if unknown:
                name = _level_label(level)
                problems.append(
                    f"weights.levels.{level}: unknown {name} "
                    f"code{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                    f"the {name}s are {_code_list(known)}"
                )
            if self.weights.upper != "manual":
                continue  # the weights of levels are not used: a 0 does no harm
            children: dict[str, list[str]] = {}
            for child, parent in parents[level].items():
                children.setdefault(parent, []).append(child)
            up = self.levels[self.levels.index(level) + 1]
            for parent, kids in children.items():
                if all(given.get(k, 1.0) == 0 for k in kids):
                    if up == TOP_LEVEL:
                        group, score = f"every {_level_label(level)} weighs 0", "the overall index"
                    else:
                        score = f"{_level_label(up)} {parent!r}"
                        group = f"every {_level_label(level)} of {score} weighs 0"
                    problems.append(
                        f"weights.levels.{level}: {group} ({_code_list(kids)}), so {score} "
                        "would have no score; give one of them a weight > 0"
                    )
        if problems:
            raise SpecError(problems, self.source)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, source: str = "spec") -> IndexSpec:
        """Build and validate a spec; raise :class:`SpecError` listing every problem."""
        if data is not None and not isinstance(data, Mapping):
            raise SpecError([f"expected a mapping, got {type(data).__name__}"], source)
        problems: list[str] = []
        kwargs = _parse(dict(data or {}), problems)
        if problems:
            raise SpecError(problems, source)
        spec = cls(**kwargs)
        object.__setattr__(spec, "_source", source)  # frozen: see the source property
        return spec

    def updated(self, changes: Mapping[str, Any]) -> IndexSpec:
        """A new spec with ``changes`` merged in (nested dicts merge key by key).

        Examples
        --------
        >>> base = IndexSpec.from_dict({"normalise": {"method": "goalposts", "scale": 1.0}})
        >>> alt = base.updated({"normalise": {"method": "minmax"}})
        >>> alt.normalise.method, alt.normalise.scale, base.normalise.method
        ('minmax', 1.0, 'goalposts')
        """
        return IndexSpec.from_dict(_merge(self.to_dict(), changes))

    @classmethod
    def from_yaml(cls, path_or_text: str | os.PathLike) -> IndexSpec:
        """Read a spec from a YAML file (or YAML text); see :func:`load_method_yaml`."""
        data, source = load_method_yaml(path_or_text, text_source="spec YAML", error=SpecError)
        return cls.from_dict(data, source)

    @classmethod
    def coerce(cls, spec: IndexSpec | Mapping | str | os.PathLike | None) -> IndexSpec:
        """Accept a spec, a dict, a YAML path or text, or None (defaults)."""
        if spec is None:
            return cls()
        if isinstance(spec, cls):
            return spec
        if isinstance(spec, Mapping):
            return cls.from_dict(spec)
        if isinstance(spec, str | os.PathLike):
            return cls.from_yaml(spec)
        raise SpecError([f"cannot use a {type(spec).__name__} as a spec"])


_LEVEL_NAMES = {"focus_area": "focus area"}


def _level_label(level: str) -> str:
    """A level's name in a message: "focus area" for ``focus_area``, else the name."""
    return _LEVEL_NAMES.get(level, level)


def _parent_maps(
    structure: pd.DataFrame | Mapping[str, str] | pd.Series, levels: tuple[str, ...]
) -> dict[str, dict[str, str]]:
    """Level below the top -> {code: its parent's code}, from the metadata or a map."""
    import pandas as pd

    below = levels[:-1]
    if isinstance(structure, pd.DataFrame):
        missing = [lv for lv in below if lv not in structure.columns]
        if missing:
            raise SpecError(
                [f"levels: no column {', '.join(map(repr, missing))} in the indicator metadata"]
            )
        cols = [structure[lv].astype(str) for lv in below]
        cols.append(pd.Series(TOP_LEVEL, index=structure.index))
        return {lv: dict(zip(cols[i], cols[i + 1], strict=True)) for i, lv in enumerate(below)}
    if len(below) != 2:
        raise SpecError(
            [
                f"levels: a map of codes describes three levels; for the {len(levels)} levels "
                f"{', '.join(levels)} give the indicator metadata"
            ]
        )
    bottom = {str(k): str(v) for k, v in structure.items()}
    return {below[0]: bottom, below[1]: dict.fromkeys(bottom.values(), TOP_LEVEL)}


def _code_list(codes: list[str], shown: int = 40) -> str:
    """Codes for a message, cut short when there are very many."""
    out = ", ".join(codes[:shown])
    return out + f", … ({len(codes) - shown} more)" if len(codes) > shown else out


def _unknown_code(code: Any, known: list[str], others: Mapping[str, Mapping[str, str]]) -> str:
    """An unknown code of ``weights.levels`` for a message, with a hint when one is likely."""
    if not isinstance(code, str):  # only from a spec built in code: YAML keys were checked
        return f"{_show(code)} (a number; codes are text)"
    for other, codes in others.items():
        if code in codes:
            name = _level_label(other)
            article = "an" if name[:1] in "aeiou" else "a"
            return f"{_show(code)} ({article} {name} code: give it under {other})"
    near = difflib.get_close_matches(code, known, n=1)
    return f"{_show(code)} (did you mean {near[0]!r}?)" if near else _show(code)


_STEP_CLASSES = (
    DenominateSpec,
    ScreenSpec,
    ImputeSpec,
    TreatSpec,
    NormaliseSpec,
    WeightSpec,
    ResultsSpec,
)


def _parse(data: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """Check a spec dict; append every problem; return the step objects given."""
    kwargs: dict[str, Any] = {}
    step_types = {f.name: f for f in dataclasses.fields(IndexSpec)}
    for key in data:
        if key not in step_types:
            problems.append(f"unknown step {_show(key)} (known: {', '.join(step_types)})")
    # the levels first: the keys of aggregate and weights.levels are checked against them
    declared = _check_levels(data.get("levels", LEVELS), problems)
    if "levels" in data and declared is not None:
        kwargs["levels"] = declared
    for name, f in step_types.items():
        if name not in data or name == "levels":
            continue
        if name == "aggregate":
            levels = data[name] or {}
            if not isinstance(levels, Mapping):
                problems.append(f"aggregate: expected a mapping of levels, got {_got(levels)}")
                continue
            built = {}
            for lvl, sub in levels.items():
                if declared is not None and lvl not in declared:
                    problems.append(
                        f"aggregate: unknown level {_show(lvl)} "
                        f"(the levels are {', '.join(declared)})"
                    )
                    continue
                built[lvl] = _build(AggregateSpec, sub, f"aggregate.{lvl}", problems)
            kwargs[name] = built
        else:
            sub_cls = {s.__name__: s for s in _STEP_CLASSES}[f.type]
            kwargs[name] = _build(sub_cls, data[name], name, problems)
    _cross_checks(kwargs, problems, declared)
    return kwargs


def _check_levels(value: Any, problems: list[str]) -> tuple[str, ...] | None:
    """The declared levels as a tuple, or None (and problems) when they are not valid."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        problems.append(f"levels: expected a list of level names, bottom to top, got {_got(value)}")
        return None
    before = len(problems)
    names = [v for v in value if isinstance(v, str)]
    for i, v in enumerate(value):
        if not isinstance(v, str) or not v.strip():
            problems.append(f"levels[{i}]: expected a level name (text), got {_got(v)}")
    if not value or value[-1] != TOP_LEVEL:
        problems.append(
            f"levels: the last level is the overall index and is named {TOP_LEVEL!r} "
            f"(got {_show(list(value))})"
        )
    if TOP_LEVEL in names[:-1]:
        problems.append(f"levels: {TOP_LEVEL!r} is the top level and comes last only")
    dup = sorted(v for v, c in Counter(names).items() if c > 1 and v != TOP_LEVEL)
    if dup:
        problems.append(f"levels: listed more than once: {', '.join(dup)}")
    reserved = [v for v in names if v in RESERVED_LEVEL_NAMES]
    if reserved:
        problems.append(
            f"levels: {', '.join(map(repr, reserved))} cannot name a level (the names "
            f"{', '.join(RESERVED_LEVEL_NAMES)} are taken)"
        )
    return tuple(value) if len(problems) == before else None


def _cross_checks(
    steps: dict[str, Any], problems: list[str], levels: tuple[str, ...] | None = LEVELS
) -> None:
    """Fields that only make sense together."""
    w = steps.get("weights", WeightSpec())
    if levels is not None:
        weighted = levels[:-1]  # the top has no parent to be weighted in
        for lvl in w.levels:
            if lvl not in weighted:
                known = ", ".join(weighted) if weighted else "none: the indicators go straight in"
                problems.append(
                    f"weights.levels: unknown level {_show(lvl)} (the levels weighted within "
                    f"their parent are {known})"
                )
    imp = steps.get("impute", ImputeSpec())
    if imp.method in ("group_mean", "group_median") and not imp.group:
        problems.append(f"impute.group: method {imp.method!r} needs a group column name")
    if "outcome" in (w.method, w.upper) and not w.outcome:
        problems.append("weights.outcome: method 'outcome' needs the outcome column name")
    n = steps.get("normalise", NormaliseSpec())
    uses_ref = n.method == "dist2ref" or any(
        (o == "dist2ref") if isinstance(o, str) else (dict(o).get("method") == "dist2ref")
        for o in n.individual.values()
        if isinstance(o, str | Mapping)
    )
    if uses_ref and not n.reference:
        problems.append("normalise.reference: method 'dist2ref' needs a reference unit code")


def _merge(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def _plain(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _finite(v: Any) -> bool:
    """A number that is neither NaN nor infinite (nor an int too large for a float)."""
    try:
        return _is_number(v) and math.isfinite(float(v))
    except OverflowError:
        return False


def _build(cls: type, data: Any, where: str, problems: list[str]) -> Any:
    if data is None:
        return cls()
    if not isinstance(data, Mapping):
        problems.append(f"{where}: expected a mapping, got {_got(data)}")
        return cls()
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            problems.append(f"{where}: unknown field {_show(key)} (known: {', '.join(fields)})")
            continue
        f = fields[key]
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        label = f"{where}.{key}"
        choices = f.metadata.get("choices")
        ok = True
        if cls is DenominateSpec and key == "scale" and isinstance(value, Mapping):
            # one scale per indicator
            value = dict(value)
            for ind, v in value.items():
                if not _finite(v):
                    problems.append(f"{label}.{ind}: expected a finite number, got {_got(v)}")
                    ok = False
        elif choices is not None:
            if not isinstance(value, str):
                problems.append(
                    f"{label}: expected a name (one of {', '.join(choices)}), got {_got(value)}"
                )
                ok = False
            elif value not in choices:
                problems.append(f"{label}: {_show(value)} is not one of {', '.join(choices)}")
                ok = False
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                problems.append(f"{label}: expected true or false, got {_got(value)}")
                ok = False
        elif _is_number(default):
            if not _is_number(value):
                problems.append(f"{label}: expected a number, got {_got(value)}")
                ok = False
            elif not _finite(value):
                problems.append(f"{label}: expected a finite number, got {_show(value)}")
                ok = False
            elif isinstance(default, int) and not float(value).is_integer():
                problems.append(f"{label}: expected a whole number, got {_show(value)}")
                ok = False
            else:
                lo, hi = f.metadata.get("range", (None, None))
                if lo is not None and not lo <= value <= hi:
                    problems.append(f"{label}: {_show(value)} is outside [{lo}, {hi}]")
                    ok = False
                value = type(default)(value)
        elif isinstance(default, tuple):
            if isinstance(value, str) or not isinstance(value, list | tuple):
                problems.append(f"{label}: expected a list, got {_got(value)}")
                ok = False
            else:
                # unit codes: a YAML number has lost its leading zeros (01 reads as 1)
                for i, v in enumerate(value):
                    if not isinstance(v, str):
                        problems.append(
                            f"{label}[{i}]: expected a unit code as quoted text (e.g. '01'), "
                            f"got {_got(v)}"
                        )
                        ok = False
                value = tuple(value)
        elif isinstance(default, Mapping):
            if not isinstance(value, Mapping):
                problems.append(f"{label}: expected a mapping, got {_got(value)}")
                ok = False
            else:
                value = dict(value)
                _check_mapping(cls, key, value, label, problems)
        elif value is not None and not isinstance(value, str):
            problems.append(f"{label}: expected text, got {_got(value)}")
            ok = False
        if ok:
            kwargs[key] = value
    return cls(**kwargs)


def _check_mapping(cls: type, key: str, value: dict, label: str, problems: list[str]) -> None:
    """Check the values of the mapping fields (per-indicator overrides)."""
    if cls is TreatSpec and key == "individual":
        for ind, t in value.items():
            if not isinstance(t, str):
                problems.append(
                    f"{label}.{ind}: expected a name (one of {', '.join(TREATMENTS)}), "
                    f"got {_got(t)}"
                )
            elif t not in TREATMENTS:
                problems.append(f"{label}.{ind}: {_show(t)} is not one of {', '.join(TREATMENTS)}")
    elif cls is NormaliseSpec and key == "individual":
        # the target column is chosen once for all indicators
        allowed = {f.name for f in dataclasses.fields(NormaliseSpec)} - {"individual", "target"}
        for ind, over in value.items():
            over = {"method": over} if isinstance(over, str) else over
            if not isinstance(over, Mapping):
                problems.append(
                    f"{label}.{ind}: expected a method name or a mapping, got {_got(over)}"
                )
                continue
            for k in over:
                if k not in allowed:
                    problems.append(f"{label}.{ind}: unknown field {_show(k)}")
            # the fields an override may set get the same checks as the step's own
            _build(NormaliseSpec, {k: v for k, v in over.items() if k in allowed},
                   f"{label}.{ind}", problems)  # fmt: skip
    elif cls is DenominateSpec and key == "by":
        for ind, col in value.items():
            if not isinstance(col, str):
                problems.append(f"{label}.{ind}: expected a column name, got {_got(col)}")
    elif cls is WeightSpec and key == "levels":
        # the level names are checked against the spec's levels (_cross_checks)
        for lvl, sub in value.items():
            if not isinstance(sub, Mapping):
                problems.append(
                    f"{label}.{lvl}: expected a mapping code -> weight, got {_got(sub)}"
                )
                continue
            for code, v in sub.items():
                where = f"{label}.{lvl}[{_show(code)}]"
                if not isinstance(code, str):
                    # YAML reads an unquoted 1.1 or 2 as a number: it would match no code
                    problems.append(
                        f"{label}.{lvl}: code {_show(code)} is a number; write it as quoted "
                        f"text ('{code}': ...)"
                    )
                if not _is_number(v):
                    problems.append(f"{where}: expected a weight (a number >= 0), got {_got(v)}")
                elif not _finite(v):
                    problems.append(f"{where}: expected a finite weight, got {_show(v)}")
                elif v < 0:
                    problems.append(f"{where}: the weight {_show(v)} is negative")


def scoring_spec(scoring: Mapping[str, Any]) -> dict[str, Any]:
    """The method a framework's ``scoring`` block names, as a spec dict.

    Its normaliser, its ``min_indicators`` per level, and neither imputation nor
    outlier treatment: with goalposts a unit's score then depends on its own
    figures alone (see :meth:`learningcity.framework.Framework.scoring`).

    Examples
    --------
    >>> spec = scoring_spec({"normalise": "goalposts", "min_indicators": {"area": 2}})
    >>> spec["normalise"], spec["aggregate"], spec["treat"]
    ({'method': 'goalposts'}, {'area': {'min_indicators': 2}}, {'method': 'none'})
    """
    return {
        "impute": {"method": "none"},
        "treat": {"method": "none"},
        "normalise": {"method": str(scoring["normalise"])},
        "aggregate": {
            level: {"min_indicators": int(n)}
            for level, n in (scoring.get("min_indicators") or {}).items()
        },
    }
