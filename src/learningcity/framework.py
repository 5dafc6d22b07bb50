"""The indicator framework: KFLC areas, focus areas, features, variables and indicators.

A framework is a YAML file. The one shipped with the package
(``frameworks/kflc-vn.yaml``) follows UNESCO's Key Features of Learning Cities
(3 areas, 12 areas of focus coded ``1.1`` … ``3.3``) and adds readiness
indicators that Vietnamese statistics can supply, with goalposts, national
targets and the formula that computes each from raw variables. Each end of
each indicator's goalposts states its basis (``goalpost_basis``: a scale bound,
a national target, a legal norm, an observed range or a project choice; see
:data:`BASIS_KINDS` and :meth:`Framework.goalpost_basis`), and an optional
``scoring`` block says how reports score a unit (:meth:`Framework.scoring`).
A user can pass their own file; :func:`load_framework` checks it and lists
every problem in one :class:`FrameworkError`.

Examples
--------
>>> fw = load_framework()
>>> fw.focus_areas()["code"].tolist()[:3]
['1.1', '1.2', '1.3']
>>> fw.indicator_table().loc["learning_families", "target_2025"]
np.float64(70.0)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from learningcity.errors import LearningCityError

__all__ = [
    "BASIS_KINDS",
    "RULES",
    "SCORING_LEVELS",
    "VARIABLE_KINDS",
    "Framework",
    "FrameworkError",
    "default_framework_path",
    "load_framework",
]

#: Kinds of raw variable a framework may declare.
VARIABLE_KINDS = ("count", "share", "rate", "amount", "year", "flag")
#: Derivation rules that are not arithmetic formulas (see learningcity.indicators).
RULES = ("gnlc_status",)
#: Kinds of basis a goalpost may rest on (``goalpost_basis`` in the YAML):
#: ``scale`` the instrument's own scale or natural bound, ``target`` a national target
#: of the indicator, ``norm`` a legal or regulatory floor that is not a target,
#: ``observed`` the range observed in a named year and source, ``choice`` a project
#: choice (its reason in the text) where nothing else is true.
BASIS_KINDS = ("scale", "target", "norm", "observed", "choice")
#: Levels of the score that ``scoring.min_indicators`` may name.
SCORING_LEVELS = ("focus_area", "area", "overall")
#: The scoring a framework without a ``scoring`` block gets.
_DEFAULT_SCORING: dict[str, Any] = {"normalise": "goalposts", "min_indicators": {}}
_BASIS_FIELDS = {"kind", "en", "vi", "source", "year"}
_ENDS = ("low", "high")

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_FOCUS = re.compile(r"^[1-9]\.[1-9]$")


class FrameworkError(LearningCityError):
    """A framework file that cannot be used; ``problems`` lists every mistake found."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = list(problems)
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s) in the framework:\n{listing}")


def default_framework_path() -> Path:
    """Path of the framework shipped with the package."""
    return Path(__file__).resolve().parent / "frameworks" / "kflc-vn.yaml"


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _text(x: Any) -> bool:
    return isinstance(x, str) and x.strip() != ""


def _source_ids(text: str) -> list[str]:
    """Split a ``source`` naming one or more source ids joined with ``"; "``."""
    return [s.strip() for s in text.split(";") if s.strip()]


def _a(word: str) -> str:
    """``word`` with its indefinite article (``an observed``, ``a target``)."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _check_basis(
    where: str,
    iid: str,
    basis: Any,
    goal: list,
    target_values: dict[int, float],
    source_ids: set[str] | None,
) -> list[str]:
    """Problems of one indicator's ``goalpost_basis`` (``goal`` = its valid goalposts).

    Each problem names the YAML path and, in brackets, the indicator id, e.g.
    ``indicators[2].goalpost_basis.high.source (trained_workers_rate): missing …``.
    """
    problems: list[str] = []
    tag = f" ({iid})" if iid else ""

    def say(path: str, message: str) -> None:
        problems.append(f"{where}.goalpost_basis{path}{tag}: {message}")

    if basis is None:
        say("", "missing (state the basis of each goalpost: low and high, each with kind, en, vi)")
        return problems
    if not isinstance(basis, dict):
        say("", f"expected a mapping with low and high, got {basis!r}")
        return problems
    for key in basis:
        if key not in _ENDS:
            say(f".{key}", "unknown end (expected low and high)")
    for k, end in enumerate(_ENDS):
        item = basis.get(end)
        if item is None:
            say(f".{end}", "missing (expected kind, en and vi)")
            continue
        if not isinstance(item, dict):
            say(f".{end}", f"expected a mapping with kind, en and vi, got {item!r}")
            continue
        unknown = sorted(map(str, set(item) - _BASIS_FIELDS))
        if unknown:
            say(f".{end}", f"unknown field(s) {', '.join(unknown)}")
        kind = item.get("kind")
        if kind not in BASIS_KINDS:
            say(f".{end}.kind", f"{kind!r} is not one of {BASIS_KINDS}")
        for lang in ("en", "vi"):
            if not _text(item.get(lang)):
                say(f".{end}.{lang}", "missing (expected a short phrase giving the basis)")
        source, year = item.get("source"), item.get("year")
        if source is not None and not _text(source):
            say(f".{end}.source", f"{source!r} (expected a non-empty text)")
        if year is not None and not (
            isinstance(year, int) and not isinstance(year, bool) and 1900 <= year <= 2100
        ):
            say(f".{end}.year", f"{year!r} (expected a whole year such as 2016)")
            year = None
        if kind in ("target", "norm", "observed") and source is None:
            needs = "the source id(s) of data/sources.csv" if kind == "observed" else "the document"
            say(f".{end}.source", f"missing ({_a(kind)} basis needs {needs})")
        if kind == "observed" and item.get("year") is None:
            say(f".{end}.year", "missing (an observed basis needs the year observed)")
        value = goal[k] if goal else None
        if kind == "target" and value is not None:
            listed = ", ".join(f"{v:g} ({y})" for y, v in sorted(target_values.items()))
            if not target_values:
                say(f".{end}", "kind target, but the indicator has no targets")
            elif year is not None and year not in target_values:
                say(f".{end}.year", f"the indicator has no target for {year} (targets: {listed})")
            elif year is not None and target_values[year] != value:
                say(
                    f".{end}",
                    f"goalpost {value:g} is not the {year} target {target_values[year]:g}",
                )
            elif value not in target_values.values():
                say(f".{end}", f"goalpost {value:g} is not one of the targets ({listed})")
        if kind in ("observed", "choice") and _text(source) and source_ids is not None:
            missing = [s for s in _source_ids(str(source)) if s not in source_ids]
            if missing:
                say(
                    f".{end}.source",
                    f"{', '.join(map(repr, missing))} not in data/sources.csv "
                    f"({_a(kind)} basis names source ids)",
                )
    return problems


def _check_breaks(where: str, breaks: Any) -> list[str]:
    """Problems of a variable's ``breaks``: a list of ``{year, en, vi[, source]}``."""
    if breaks is None:
        return []
    if not isinstance(breaks, list):
        return [f"{where}.breaks: expected a list of {{year, en, vi}}, got {breaks!r}"]
    problems, years = [], set()
    for k, item in enumerate(breaks):
        bw = f"{where}.breaks[{k}]"
        if not isinstance(item, dict):
            problems.append(f"{bw}: expected a mapping with year, en and vi")
            continue
        year = item.get("year")
        if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2100:
            problems.append(f"{bw}.year: {year!r} (expected the first year of the new series)")
        elif year in years:
            problems.append(f"{bw}.year: a second break in {year}")
        years.add(year)
        for lang in ("en", "vi"):
            if not _text(item.get(lang)):
                problems.append(f"{bw}.{lang}: missing (expected why the series breaks)")
    return problems


def _check_scoring(scoring: Any) -> list[str]:
    """Problems of the optional top-level ``scoring`` block."""
    from learningcity.index.normalise import METHODS

    if scoring is None:
        return []
    if not isinstance(scoring, dict):
        return [f"scoring: expected a mapping with normalise and min_indicators, got {scoring!r}"]
    problems = [
        f"scoring.{key}: unknown key (expected normalise and min_indicators)"
        for key in scoring
        if key not in ("normalise", "min_indicators")
    ]
    method = scoring.get("normalise", _DEFAULT_SCORING["normalise"])
    if method not in METHODS:
        problems.append(f"scoring.normalise: {method!r} is not one of {METHODS}")
    minimum = scoring.get("min_indicators", {})
    if minimum is None:
        minimum = {}
    if not isinstance(minimum, dict):
        problems.append(
            f"scoring.min_indicators: expected a mapping such as {{area: 2}}, got {minimum!r}"
        )
        minimum = {}
    for level, count in minimum.items():
        mw = f"scoring.min_indicators.{level}"
        if level not in SCORING_LEVELS:
            problems.append(f"{mw}: unknown level (expected one of {SCORING_LEVELS})")
        if not (_is_number(count) and float(count).is_integer() and count >= 0):
            problems.append(f"{mw}: {count!r} (expected a whole number >= 0)")
    return problems


def _cut_texts(where: str, item: dict) -> list[str]:
    """Keys that are the rest of a text cut at a comma in a ``{…}`` entry.

    In YAML's one-line mappings a comma ends a value, so ``{text_en: A safe,
    harmonious community}`` silently reads as ``text_en: A safe`` and a key
    ``harmonious community`` with no value.
    """
    problems = []
    for key, value in item.items():
        if isinstance(value, dict):
            problems += _cut_texts(f"{where}.{key}", value)
        elif value is None and isinstance(key, str) and " " in key.strip():
            problems.append(
                f"{where}: {key!r} reads as a field with no value: a text before it holds a "
                "comma and is cut there; put that text in quotes"
            )
    return problems


def _check(data: Any, source_ids: set[str] | None = None) -> list[str]:
    """Return every problem of a parsed framework, each with its YAML path.

    ``source_ids`` are those of ``data/sources.csv``; ``None`` skips the check
    that an ``observed`` goalpost basis names known sources.
    """
    from learningcity.indicators import FormulaError, formula_names

    if not isinstance(data, dict):
        return ["the file must hold a mapping with areas, focus_areas and indicators"]
    problems: list[str] = []

    def items(key: str, required: bool = True) -> list[tuple[str, dict]]:
        value = data.get(key)
        if value is None:
            if required:
                problems.append(f"{key}: missing (expected a list)")
            return []
        if not isinstance(value, list):
            problems.append(f"{key}: expected a list, got {type(value).__name__}")
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                out.append((f"{key}[{i}]", item))
                problems.extend(_cut_texts(f"{key}[{i}]", item))
            else:
                problems.append(f"{key}[{i}]: expected a mapping, got {item!r}")
        return out

    def unique(entries: list[tuple[str, dict]], key: str) -> set[str]:
        seen: dict[str, str] = {}
        for where, item in entries:
            value = item.get(key)
            if not _text(value):
                problems.append(f"{where}.{key}: missing (expected a non-empty text)")
                continue
            value = str(value)
            if value in seen:
                problems.append(
                    f"{where}.{key}: duplicate {key} {value!r} (first at {seen[value]})"
                )
            else:
                seen[value] = where
        return set(seen)

    def names(where: str, item: dict) -> None:
        for key in ("name_en", "name_vi"):
            if not _text(item.get(key)):
                problems.append(f"{where}.{key}: missing (expected a non-empty text)")

    areas = items("areas")
    area_codes = unique(areas, "code")
    for where, item in areas:
        names(where, item)

    focus = items("focus_areas")
    focus_codes = unique(focus, "code")
    focus_area_of: dict[str, str] = {}
    for where, item in focus:
        names(where, item)
        code = str(item.get("code", ""))
        if code and not _FOCUS.match(code):
            problems.append(f"{where}.code: {code!r} is not a focus-area code like '2.2'")
        if str(item.get("area")) not in area_codes:
            problems.append(f"{where}.area: {item.get('area')!r} is not one of the areas")
        focus_area_of[code] = str(item.get("area"))

    features = items("features", required=False)
    feature_ids = unique(features, "id")
    feature_focus: dict[str, str] = {}
    for where, item in features:
        if str(item.get("focus_area")) not in focus_codes:
            problems.append(f"{where}.focus_area: {item.get('focus_area')!r} is not a focus area")
        if not isinstance(item.get("verified"), bool):
            problems.append(f"{where}.verified: expected true or false")
        if not _text(item.get("text_en")):
            problems.append(f"{where}.text_en: missing (expected the feature's wording)")
        feature_focus[str(item.get("id"))] = str(item.get("focus_area"))

    variables = items("variables", required=False)
    variable_ids = unique(variables, "id")
    for where, item in variables:
        vid = str(item.get("id", ""))
        if vid and not _ID.match(vid):
            problems.append(f"{where}.id: {vid!r} is not snake_case ASCII")
        names(where, item)
        if not _text(item.get("unit")):
            problems.append(f"{where}.unit: missing")
        if item.get("kind") not in VARIABLE_KINDS:
            problems.append(f"{where}.kind: {item.get('kind')!r} is not one of {VARIABLE_KINDS}")
        lo, hi = item.get("valid_min"), item.get("valid_max")
        for key, v in (("valid_min", lo), ("valid_max", hi)):
            if v is not None and not _is_number(v):
                problems.append(f"{where}.{key}: expected a number or null, got {v!r}")
        if _is_number(lo) and _is_number(hi) and lo > hi:
            problems.append(f"{where}: valid_min {lo} is above valid_max {hi}")
        problems += _check_breaks(where, item.get("breaks"))

    indicators = items("indicators")
    indicator_ids = unique(indicators, "id")
    for clash in sorted(indicator_ids & variable_ids):
        problems.append(f"indicators: id {clash!r} is also a variable id (ids must differ)")
    for where, item in indicators:
        iid = str(item.get("id", ""))
        if iid and not _ID.match(iid):
            problems.append(f"{where}.id: {iid!r} is not snake_case ASCII")
        names(where, item)
        if not _text(item.get("unit")):
            problems.append(f"{where}.unit: missing")
        direction = item.get("direction")
        if direction not in (1, -1) or isinstance(direction, bool):
            problems.append(f"{where}.direction: {direction!r} (expected 1 or -1)")
        fa = str(item.get("focus_area"))
        if fa not in focus_codes:
            problems.append(f"{where}.focus_area: {item.get('focus_area')!r} is not a focus area")
        feat = item.get("feature")
        if feat is not None:
            if str(feat) not in feature_ids:
                problems.append(f"{where}.feature: {feat!r} is not a feature")
            elif feature_focus.get(str(feat)) != fa:
                problems.append(f"{where}.feature: {feat!r} is not under focus area {fa!r}")
        weight = item.get("weight", 1)
        if not _is_number(weight) or weight < 0:
            problems.append(f"{where}.weight: {weight!r} (expected a number >= 0)")
        goal = item.get("goalposts")
        goal_ok = isinstance(goal, list) and len(goal) == 2 and all(map(_is_number, goal))
        if not goal_ok:
            problems.append(f"{where}.goalposts: {goal!r} (expected [low, high], two numbers)")
        elif goal[0] >= goal[1]:
            problems.append(
                f"{where}.goalposts: low {goal[0]} is not below high {goal[1]} "
                "(give [low, high]; the direction says which end is better)"
            )
        formula, rule = item.get("formula"), item.get("rule")
        if (formula is None) == (rule is None):
            problems.append(f"{where}: give exactly one of formula or rule")
        elif formula is not None:
            try:
                unknown = formula_names(str(formula)) - variable_ids
            except FormulaError as exc:
                problems.append(f"{where}.formula: {exc}")
            else:
                if unknown:
                    problems.append(
                        f"{where}.formula: unknown variable(s) {', '.join(sorted(unknown))}"
                    )
        else:
            if rule not in RULES:
                problems.append(f"{where}.rule: {rule!r} is not one of {RULES}")
            inputs = item.get("inputs") or []
            if not isinstance(inputs, list) or set(map(str, inputs)) - variable_ids:
                problems.append(f"{where}.inputs: expected a list of variable ids")
        targets = item.get("targets") or []
        if not isinstance(targets, list):
            problems.append(f"{where}.targets: expected a list")
            targets = []
        years: set[int] = set()
        for j, target in enumerate(targets):
            tw = f"{where}.targets[{j}]"
            if not isinstance(target, dict):
                problems.append(f"{tw}: expected a mapping with year, value and source")
                continue
            year = target.get("year")
            if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2100:
                problems.append(f"{tw}.year: {year!r} (expected a year such as 2025)")
            elif year in years:
                problems.append(f"{tw}.year: a second target for {year}")
            else:
                years.add(year)
            if not _is_number(target.get("value")):
                problems.append(f"{tw}.value: {target.get('value')!r} (expected a number)")
            if not _text(target.get("source")):
                problems.append(
                    f"{tw}.source: missing (expected the document, e.g. 'QĐ 387/QĐ-TTg')"
                )
        target_values = {
            t["year"]: float(t["value"])
            for t in targets
            if isinstance(t, dict) and isinstance(t.get("year"), int) and _is_number(t.get("value"))
        }
        problems += _check_basis(
            where,
            iid,
            item.get("goalpost_basis"),
            list(goal) if goal_ok else [],
            target_values,
            source_ids,
        )

    levels = items("readiness_levels")
    unique(levels, "code")
    bounds = []
    for where, item in levels:
        names(where, item)
        lo, hi = item.get("min"), item.get("max")
        if not (_is_number(lo) and _is_number(hi)) or lo >= hi:
            problems.append(f"{where}: min {lo!r} and max {hi!r} (expected numbers, min < max)")
        else:
            bounds.append((lo, hi, where))
    bounds.sort()
    for (_, hi, _w), (lo, _, where) in zip(bounds, bounds[1:], strict=False):
        if lo != hi:
            problems.append(f"{where}: starts at {lo} but the band below ends at {hi}")
    score_range = (data.get("framework") or {}).get("score_range", [0, 100])
    if bounds and (bounds[0][0] != score_range[0] or max(b[1] for b in bounds) != score_range[1]):
        problems.append(
            f"readiness_levels: the bands cover {bounds[0][0]}–{max(b[1] for b in bounds)}, "
            f"not the whole score range {score_range[0]}–{score_range[1]}"
        )
    problems += _check_scoring(data.get("scoring"))
    return problems


@dataclass(frozen=True)
class Framework:
    """A checked framework; its parts are returned as tidy DataFrames.

    Build it with :func:`load_framework`.
    """

    data: dict = field(repr=False)
    path: str = ""

    @property
    def id(self) -> str:
        """The framework's id (``kflc-vn`` for the shipped one)."""
        return str((self.data.get("framework") or {}).get("id", Path(self.path).stem))

    def areas(self) -> pd.DataFrame:
        """The KFLC areas: ``code, name_en, name_vi``."""
        return _frame(self.data["areas"], ["code", "name_en", "name_vi"], str_cols=["code"])

    def focus_areas(self) -> pd.DataFrame:
        """The areas of focus: ``code, area, name_en, name_vi``."""
        cols = ["code", "area", "name_en", "name_vi"]
        return _frame(self.data["focus_areas"], cols, str_cols=["code", "area"])

    def features(self) -> pd.DataFrame:
        """Key features: ``id, focus_area, area, text_en, verified``.

        ``verified`` is False where the wording is a paraphrase, not checked
        against UIL's document.
        """
        df = _frame(
            self.data.get("features") or [],
            ["id", "focus_area", "text_en", "verified"],
            str_cols=["id", "focus_area"],
        )
        df.insert(2, "area", df["focus_area"].str.split(".").str[0])
        df["verified"] = df["verified"].astype(bool)
        return df

    def variables(self) -> pd.DataFrame:
        """Raw variables: ``id, name_en, name_vi, unit, kind, valid_min, valid_max``."""
        cols = ["id", "name_en", "name_vi", "unit", "kind", "valid_min", "valid_max"]
        df = _frame(self.data.get("variables") or [], cols, str_cols=["id"])
        for col in ("valid_min", "valid_max"):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
        return df

    def indicators(self) -> pd.DataFrame:
        """Readiness indicators, one row each, with formula, goalposts and notes.

        ``goalpost_low_basis`` and ``goalpost_high_basis`` give, in English, why
        each goalpost is where it is (all of the basis: :meth:`goalpost_basis`).

        Examples
        --------
        >>> row = load_framework().indicators().set_index("id").loc["trained_workers_rate"]
        >>> float(row["goalpost_high"]), row["goalpost_high_basis"]
        (60.0, 'the 2030 national target')
        """
        rows = []
        for item in self.data["indicators"]:
            low, high = item["goalposts"]
            rows.append(
                {
                    "id": str(item["id"]),
                    "name_en": item["name_en"],
                    "name_vi": item["name_vi"],
                    "unit": item["unit"],
                    "direction": int(item["direction"]),
                    "weight": float(item.get("weight", 1)),
                    "focus_area": str(item["focus_area"]),
                    "area": str(item["focus_area"]).split(".")[0],
                    "feature": str(item.get("feature") or ""),
                    "formula": str(item.get("formula") or ""),
                    "rule": str(item.get("rule") or ""),
                    "inputs": ", ".join(self.inputs(str(item["id"]))),
                    "goalpost_low": float(low),
                    "goalpost_high": float(high),
                    "goalpost_low_basis": str(item["goalpost_basis"]["low"]["en"]),
                    "goalpost_high_basis": str(item["goalpost_basis"]["high"]["en"]),
                    "notes": str(item.get("notes") or ""),
                }
            )
        return pd.DataFrame(rows)

    def goalpost_basis(self, lang: str = "en") -> pd.DataFrame:
        """Why each goalpost is where it is: one row per indicator and end.

        Parameters
        ----------
        lang : {"en", "vi"}
            Language of ``text``.

        Returns
        -------
        DataFrame
            Columns ``indicator, end, value, kind, text, source, year``: ``end``
            is ``"low"`` or ``"high"``, ``value`` the goalpost, ``kind`` one of
            :data:`BASIS_KINDS`, ``source`` the document (``target``, ``norm``) or
            the source id(s) of ``data/sources.csv`` (``observed``, and a
            ``choice`` that rests on data), ``""`` if none, and ``year`` (Int64)
            the year observed or of the target, missing if none.

        Raises
        ------
        UsageError
            ``lang`` is not ``"en"`` or ``"vi"``.

        Examples
        --------
        >>> gb = load_framework().goalpost_basis().set_index(["indicator", "end"])
        >>> low = gb.loc[("literacy_rate", "low")]
        >>> float(low["value"]), low["kind"], int(low["year"]), low["source"]
        (60.0, 'observed', 2016, 'gso-t-literacy-15plus')
        >>> load_framework().goalpost_basis("vi").iloc[0]["text"][:13]
        'ngay dưới mức'
        """
        from learningcity.errors import UsageError

        if lang not in ("en", "vi"):
            raise UsageError(f"lang must be 'en' or 'vi', not {lang!r}")
        rows = []
        for item in self.data["indicators"]:
            for end, value in zip(_ENDS, item["goalposts"], strict=True):
                basis = item["goalpost_basis"][end]
                rows.append(
                    {
                        "indicator": str(item["id"]),
                        "end": end,
                        "value": float(value),
                        "kind": str(basis["kind"]),
                        "text": str(basis[lang]),
                        "source": str(basis.get("source") or ""),
                        "year": basis.get("year"),
                    }
                )
        cols = ["indicator", "end", "value", "kind", "text", "source", "year"]
        df = pd.DataFrame(rows, columns=cols)
        df["value"] = df["value"].astype(float)
        df["year"] = pd.array(df["year"].tolist(), dtype="Int64")
        return df

    def scoring(self) -> dict:
        """How reports score a unit: the ``scoring`` block, defaults filled.

        Returns
        -------
        dict
            ``{"normalise": str, "min_indicators": dict[str, int]}``; a
            framework without the block scores with goalposts and no minimum
            number of indicators (``{"normalise": "goalposts",
            "min_indicators": {}}``). ``min_indicators`` maps a level
            (``focus_area``, ``area`` or ``overall``) to the fewest indicators
            with a value a unit needs for a score at that level.

        Examples
        --------
        >>> load_framework().scoring()
        {'normalise': 'goalposts', 'min_indicators': {'area': 2}}
        """
        block = self.data.get("scoring") or {}
        minimum = block.get("min_indicators") or {}
        return {
            "normalise": str(block.get("normalise", _DEFAULT_SCORING["normalise"])),
            "min_indicators": {str(k): int(v) for k, v in minimum.items()},
        }

    def series_breaks(self, lang: str = "en") -> pd.DataFrame:
        """Where a variable's series breaks: values from ``year`` on do not compare with earlier.

        Returns
        -------
        DataFrame
            ``variable, year, source, reason``, one row per break; ``indicators``
            lists the indicators that use the variable.

        Examples
        --------
        >>> b = load_framework().series_breaks()
        >>> row = b.set_index("variable").loc["poverty_rate"]
        >>> int(row["year"]), row["indicators"]
        (2010, 'poverty_rate_inverse')
        """
        rows = []
        for v in self.data.get("variables") or []:
            for b in v.get("breaks") or []:
                users = [
                    str(i["id"]) for i in self.data["indicators"]
                    if str(v["id"]) in self.inputs(str(i["id"]))
                ]  # fmt: skip
                rows.append({
                    "variable": str(v["id"]), "year": int(b["year"]),
                    "source": str(b.get("source") or ""), "reason": str(b[lang]),
                    "indicators": ", ".join(users),
                })  # fmt: skip
        cols = ["variable", "year", "source", "reason", "indicators"]
        return pd.DataFrame(rows, columns=cols).astype({"year": "int64"})

    def indicator_breaks(self) -> dict[str, tuple[int, ...]]:
        """Each indicator's break years, from the variables it is computed from.

        Examples
        --------
        >>> load_framework().indicator_breaks()["poverty_rate_inverse"]
        (2010,)
        """
        out: dict[str, set[int]] = {}
        for row in self.series_breaks().itertuples():
            for ind in filter(None, row.indicators.split(", ")):
                out.setdefault(ind, set()).add(int(row.year))
        return {k: tuple(sorted(v)) for k, v in out.items()}

    def targets(self) -> pd.DataFrame:
        """National targets: ``indicator, year, value, source, confidence, note``."""
        rows = [
            {
                "indicator": str(item["id"]),
                "year": int(t["year"]),
                "value": float(t["value"]),
                "source": str(t["source"]),
                "confidence": str(t.get("confidence") or ""),
                "note": str(t.get("note") or ""),
            }
            for item in self.data["indicators"]
            for t in item.get("targets") or []
        ]
        cols = ["indicator", "year", "value", "source", "confidence", "note"]
        return pd.DataFrame(rows, columns=cols).astype({"year": "int64", "value": float})

    def readiness_levels(self) -> pd.DataFrame:
        """Bands of the overall score: ``code, min, max, name_en, name_vi``, low to high."""
        df = _frame(self.data["readiness_levels"], ["code", "min", "max", "name_en", "name_vi"])
        df[["min", "max"]] = df[["min", "max"]].astype(float)
        return df.sort_values("min", ignore_index=True)

    def readiness_level(self, scores: pd.Series, lang: str = "code") -> pd.Series:
        """Name the readiness band of each score (NaN stays missing).

        A band holds ``min <= score < max``; the top band also holds its ``max``.

        Examples
        --------
        >>> load_framework().readiness_level(pd.Series([10.0, 50.0, 100.0])).tolist()
        ['emerging', 'established', 'ready']
        """
        levels = self.readiness_levels()
        edges = [*levels["min"], levels["max"].iloc[-1]]
        labels = levels["code" if lang == "code" else f"name_{lang}"].tolist()
        cut = pd.cut(pd.Series(scores, dtype=float), edges, right=False, labels=labels)
        top = pd.Series(scores, dtype=float) == edges[-1]
        out = cut.astype(object).where(~top, labels[-1])
        return out.where(out.notna(), np.nan)

    def inputs(self, indicator: str) -> list[str]:
        """Variable ids an indicator is computed from, in order of appearance."""
        from learningcity.indicators import formula_names

        item = self._indicator(indicator)
        if item.get("formula"):
            return formula_names(str(item["formula"]), ordered=True)
        return [str(v) for v in item.get("inputs") or []]

    def _indicator(self, indicator: str) -> dict:
        for item in self.data["indicators"]:
            if str(item["id"]) == indicator:
                return item
        raise KeyError(f"{indicator!r} is not an indicator of framework {self.id!r}")

    def valid_ranges(self) -> pd.DataFrame:
        """Allowed ``valid_min``/``valid_max`` of every id a data file may hold.

        Variables carry their own range; an indicator computed from a single
        variable (``formula: learning_families_share``) inherits it, a
        ``"%"`` indicator is bounded by 0 and 100, and one computed without
        subtraction from non-negative inputs (a rate per population) by 0.

        Examples
        --------
        >>> load_framework().valid_ranges().loc["libraries_per_100k"].tolist()
        [0.0, nan]
        """
        var = self.variables().set_index("id")[["valid_min", "valid_max"]]
        rows = {}
        for item in self.data["indicators"]:
            formula = str(item.get("formula") or "").strip()
            if formula in var.index:
                rows[str(item["id"])] = var.loc[formula].tolist()
            elif item["unit"] == "%":
                rows[str(item["id"])] = [0.0, 100.0]
            elif (
                formula
                and "-" not in formula
                and (var.loc[self.inputs(str(item["id"])), "valid_min"] >= 0).all()
            ):
                # Sums, products and ratios of non-negative inputs are non-negative.
                rows[str(item["id"])] = [0.0, np.nan]
            else:
                rows[str(item["id"])] = [np.nan, np.nan]
        ind = pd.DataFrame.from_dict(rows, orient="index", columns=["valid_min", "valid_max"])
        return pd.concat([var, ind]).astype(float)

    def known_ids(self) -> set[str]:
        """Every variable and indicator id."""
        return set(self.variables()["id"]) | {str(i["id"]) for i in self.data["indicators"]}

    def indicator_table(self) -> pd.DataFrame:
        """Indicator metadata for the index engine (see docs/conventions.md).

        Returns
        -------
        DataFrame
            Indexed by indicator id, with ``focus_area, area, direction, weight,
            goalpost_low, goalpost_high, target_2025, target_2030, name_en,
            name_vi, unit, series_breaks``; a missing target is NaN;
            ``series_breaks`` lists the years where the indicator's series breaks
            ("2010"; empty for none), which :func:`~learningcity.index.score_changes`
            does not compare across.
        """
        ind = self.indicators().set_index("id")
        breaks = self.indicator_breaks()
        ind["series_breaks"] = [", ".join(map(str, breaks.get(i, ()))) for i in ind.index]
        tgt = self.targets()
        for year in (2025, 2030):
            values = tgt[tgt["year"] == year].set_index("indicator")["value"]
            ind[f"target_{year}"] = values.reindex(ind.index).astype(float)
        cols = [
            "focus_area",
            "area",
            "direction",
            "weight",
            "goalpost_low",
            "goalpost_high",
            "target_2025",
            "target_2030",
            "name_en",
            "name_vi",
            "unit",
            "series_breaks",
        ]
        out = ind[cols].copy()
        out.index.name = "indicator"
        return out

    def tidy(self) -> pd.DataFrame:
        """One row per indicator with its focus area and area names (for reports).

        ``targets`` spells out the national targets, e.g.
        ``"2025: 70 (QĐ 387/QĐ-TTg (25/3/2022))"``.

        Examples
        --------
        >>> row = load_framework().tidy().set_index("id").loc["learning_units"]
        >>> row["area_en"], row["targets"]
        ('Major building blocks', '2025: 80 (QĐ 387/QĐ-TTg (25/3/2022))')
        """
        fa = self.focus_areas().rename(
            columns={"code": "focus_area", "name_en": "focus_area_en", "name_vi": "focus_area_vi"}
        )
        ar = self.areas().rename(
            columns={"code": "area", "name_en": "area_en", "name_vi": "area_vi"}
        )
        ind = self.indicators().drop(columns="area")
        tgt = self.targets().sort_values(["indicator", "year"])
        text = tgt["year"].astype(str) + ": " + tgt["value"].map("{:g}".format)
        text = text + " (" + tgt["source"] + ")"
        ind["targets"] = ind["id"].map(text.groupby(tgt["indicator"]).agg("; ".join)).fillna("")
        out = ind.merge(fa, on="focus_area", how="left").merge(ar, on="area", how="left")
        return out.sort_values(["focus_area", "id"], kind="stable", ignore_index=True)

    def plot_tree(self, lang: str = "en", ax=None):
        """Draw the framework as a tree: areas → focus areas → indicators.

        Parameters
        ----------
        lang : {"en", "vi"}
            Language of the labels.
        ax : matplotlib Axes, optional
            Where to draw; a new figure is made otherwise.

        Returns
        -------
        matplotlib.figure.Figure

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> fig = load_framework().plot_tree()
        >>> len(fig.axes)
        1
        """
        import matplotlib.pyplot as plt

        name = f"name_{lang}"
        focus = self.focus_areas()
        ind = self.indicators()
        n_rows = len(self.areas()) + len(focus) + len(ind)
        if ax is None:
            fig, ax = plt.subplots(figsize=(11, 0.25 * n_rows + 1))
        else:
            fig = ax.figure
        colours = plt.get_cmap("tab10")
        xs = (0.0, 0.03, 0.08)  # x of areas, focus areas, indicators

        def branch(x: float, y_parent: float, y_child: float, x_child: float, colour) -> None:
            ax.plot(
                [x + 0.01, x + 0.01, x_child - 0.005],
                [-y_parent, -y_child, -y_child],
                color=colour,
                lw=0.8,
            )

        y = 0.0
        for k, area in enumerate(self.areas().itertuples()):
            colour = colours(k % 10)
            area_y = y
            ax.text(
                xs[0],
                -y,
                f"{area.code}. {getattr(area, name)}",
                va="center",
                fontsize=10,
                fontweight="bold",
                color=colour,
            )
            y += 1
            for fa in focus[focus["area"] == area.code].itertuples():
                fa_y = y
                branch(xs[0], area_y, fa_y, xs[1], colour)
                ax.text(
                    xs[1],
                    -y,
                    f"{fa.code} {getattr(fa, name)}",
                    va="center",
                    fontsize=8,
                    fontweight="bold",
                    color=colour,
                )
                y += 1
                for leaf in ind[ind["focus_area"] == fa.code].itertuples():
                    branch(xs[1], fa_y, y, xs[2], colour)
                    ax.text(xs[2], -y, f"{leaf.id}: {getattr(leaf, name)}", va="center", fontsize=7)
                    y += 1
            y += 0.5
        ax.set_xlim(-0.01, 0.7)
        ax.set_ylim(-y, 1)
        ax.axis("off")
        ax.set_title(str((self.data.get("framework") or {}).get(name, self.id)), fontsize=10)
        return fig


def _frame(items: list[dict], cols: list[str], str_cols: tuple | list = ()) -> pd.DataFrame:
    df = pd.DataFrame([{c: item.get(c) for c in cols} for item in items], columns=cols)
    for col in str_cols:
        df[col] = df[col].astype(str)
    return df


def _sources_stamp() -> tuple[str, float]:
    """Path and mtime of ``data/sources.csv`` (mtime -1 if it is not a file)."""
    from learningcity.paths import data_dir

    path = data_dir() / "sources.csv"
    return str(path), path.stat().st_mtime if path.is_file() else -1.0


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float, sources: tuple[str, float]) -> Framework:
    import yaml

    try:
        with open(path, encoding="utf-8-sig") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise FrameworkError(path, [f"not valid YAML: {exc}"]) from None
    source_ids: set[str] | None = None
    problems: list[str] = []
    try:
        from learningcity.data import known_source_ids

        source_ids = known_source_ids(sources[0])
    except LearningCityError as exc:
        # A user's framework can be checked without the project's data; the
        # shipped one names its sources and must find them.
        if Path(path) == default_framework_path():
            problems.append(f"cannot check the goalposts' source ids: {exc}")
    problems = _check(data, source_ids) + problems
    if problems:
        raise FrameworkError(path, problems)
    return Framework(data=data, path=path)


def load_framework(path: str | Path | None = None) -> Framework:
    """Read and check a framework file.

    Parameters
    ----------
    path : path-like, optional
        A framework YAML; the shipped ``kflc-vn.yaml`` by default.

    Returns
    -------
    Framework

    Raises
    ------
    FrameworkError
        The file breaks a rule (duplicate id, indicator under a missing focus
        area, direction not ±1, goalposts not ordered, target without a year
        or a source, a goalpost without its basis, a ``target`` basis that is
        not one of the indicator's targets, an ``observed`` basis without its
        year or with a source id not in ``data/sources.csv``, an unknown
        scoring method, …). All problems are listed, each with its YAML path
        such as ``indicators[3].goalposts``. The source ids are checked
        against the project's ``data/sources.csv``; for a user's file that
        check is skipped when that file cannot be read.
    FileNotFoundError
        No such file.

    Examples
    --------
    >>> fw = load_framework()
    >>> len(fw.focus_areas()), sorted(set(fw.indicators()["focus_area"])) == sorted(
    ...     fw.focus_areas()["code"])
    (12, True)
    """
    p = Path(path) if path is not None else default_framework_path()
    p = p.expanduser().resolve()
    if not p.is_file():
        raise FileNotFoundError(f"framework file not found: {p}")
    return _load_cached(str(p), p.stat().st_mtime, _sources_stamp())
