"""Checking and typing report parameters before any kernel starts.

papermill turns command-line values into numbers where it can (``04252``
becomes ``4252``) and only warns about unknown names. Here every value is
typed by the template's declaration, and every problem is reported at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from learningcity.errors import UsageError
from learningcity.reports.templates import Parameter, Template

__all__ = ["ParameterError", "coerce", "parse_assignments", "validate_parameters"]

_INT_RE = re.compile(r"^[+-]?\d+$")
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


class ParameterError(UsageError):
    """One or more parameters do not fit the template's contract."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("bad report parameters:\n  - " + "\n  - ".join(problems))


def _scalar(value: Any, base: str) -> Any:
    if base == "str":
        if isinstance(value, str):
            return value
        raise TypeError(f"expected text, got {type(value).__name__} {value!r}")
    if base == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise TypeError(f"expected true or false, got {value!r}")
    if base == "int":
        if isinstance(value, bool):
            raise TypeError(f"expected a whole number, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            return int(value)
        raise TypeError(f"expected a whole number, got {value!r}")
    if base == "float":
        if isinstance(value, bool):
            raise TypeError(f"expected a number, got {value!r}")
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise TypeError(f"expected a number, got {value!r}")
    raise TypeError(f"unsupported type {base}")  # pragma: no cover - contract checked


def coerce(param: Parameter, value: Any) -> Any:
    """Return ``value`` typed as ``param`` declares, or raise TypeError.

    Text from the command line is converted (``"2023"`` → 2023); Python
    values must already have the right type. Codes declared ``str`` keep
    their leading zeros.

    Examples
    --------
    >>> coerce(Parameter("unit_code", "str", '"133"'), "04252")
    '04252'
    >>> coerce(Parameter("year", "int", "2023"), "2023")
    2023
    >>> coerce(Parameter("year", "Optional[int]", "None"), "none") is None
    True
    """
    if param.optional and (
        value is None or (isinstance(value, str) and value.lower() in {"none", ""})
    ):
        return None
    if param.is_list:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise TypeError(f"expected a list, got {value!r}")
        return [_scalar(v.strip() if isinstance(v, str) else v, param.base_type) for v in items]
    return _scalar(value, param.base_type)


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """Split ``NAME=VALUE`` strings from the command line into a dict.

    Examples
    --------
    >>> parse_assignments(["k=5", "title=Báo cáo = 1"])
    {'k': '5', 'title': 'Báo cáo = 1'}
    """
    out: dict[str, str] = {}
    bad = [p for p in pairs if "=" not in p or not p.split("=", 1)[0].strip()]
    if bad:
        raise ParameterError([f"{p!r}: expected NAME=VALUE" for p in bad])
    for pair in pairs:
        name, value = pair.split("=", 1)
        out[name.strip()] = value
    return out


def validate_parameters(template: Template, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``values`` against ``template``'s contract and return them typed.

    Every problem (unknown name, wrong type) is collected and raised together
    as one :class:`ParameterError`.
    """
    problems: list[str] = []
    typed: dict[str, Any] = {}
    for name, value in values.items():
        param = template.parameters.get(name)
        if param is None:
            known = ", ".join(sorted(template.parameters))
            problems.append(f"{name!r} is not a parameter of template {template.name!r} ({known})")
            continue
        try:
            typed[name] = coerce(param, value)
        except TypeError as exc:
            problems.append(f"{name}: {exc} (declared {param.type})")
    if problems:
        raise ParameterError(problems)
    return typed
