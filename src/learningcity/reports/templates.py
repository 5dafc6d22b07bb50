"""Report templates: where they live and the parameter contract they declare.

A template is a notebook in ``notebooks/templates/`` with exactly one cell
tagged ``parameters``. That cell holds one annotated assignment per line,
``name: type = default  # help``, which papermill's inspector reads without
starting a kernel. The runner refuses templates that break the contract,
instead of relying on papermill, which only warns (it injects at the top when
the tag is missing, and accepts unknown parameter names).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learningcity.errors import UsageError
from learningcity.paths import notebooks_dir

__all__ = ["Parameter", "Template", "TemplateError", "find_template", "list_templates"]

#: Parameters the runner itself fills for every unit.
RUNNER_PARAMETERS = ("unit_code", "year", "lang")

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_TYPE_RE = re.compile(r"^(?:Optional\[(?P<opt>\w+)\]|list\[(?P<list>\w+)\]|(?P<plain>\w+))$")
_SUPPORTED = {"str", "int", "float", "bool"}


class TemplateError(UsageError):
    """A template that cannot be run as it is."""


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a template."""

    name: str
    type: str  # "str", "int", "float", "bool", "Optional[int]", "list[str]" …
    default: str  # the source text of the default, as written in the cell
    help: str = ""

    @property
    def base_type(self) -> str:
        """The scalar type: ``int`` for ``Optional[int]`` or ``list[int]``."""
        m = _TYPE_RE.match(self.type)
        return (m.group("opt") or m.group("list") or m.group("plain")) if m else self.type

    @property
    def default_value(self) -> Any:
        """The default as a Python value (literals only; never executed)."""
        try:
            return ast.literal_eval(self.default)
        except (ValueError, SyntaxError):
            return None

    @property
    def optional(self) -> bool:
        return self.type.startswith("Optional[")

    @property
    def is_list(self) -> bool:
        return self.type.startswith("list[")


@dataclass(frozen=True)
class Template:
    """A report template and its parameter contract."""

    name: str
    path: Path
    parameters: dict[str, Parameter]

    @property
    def slug(self) -> str:
        from learningcity.text import slugify

        return slugify(self.name, default="report")


def templates_dir() -> Path:
    """Folder of the report templates."""
    return notebooks_dir() / "templates"


def list_templates() -> list[str]:
    """Names of the templates shipped in ``notebooks/templates/``.

    Examples
    --------
    >>> "city" in list_templates()
    True
    """
    return sorted(p.stem for p in templates_dir().glob("*.ipynb"))


def find_template(name: str) -> Template:
    """Return the template called ``name`` (or at path ``name``), checked.

    Parameters
    ----------
    name : str
        A template name such as ``"city"``, or a path to a ``.ipynb`` file.

    Raises
    ------
    TemplateError
        Unknown name, unreadable file, or a broken parameter contract.

    Examples
    --------
    >>> t = find_template("city")
    >>> {"unit_code", "year", "lang"} <= set(t.parameters)
    True
    """
    candidate = Path(name)
    if candidate.suffix == ".ipynb" and candidate.is_file():
        path = candidate.resolve()
    elif _NAME_RE.match(name) and (templates_dir() / f"{name}.ipynb").is_file():
        path = templates_dir() / f"{name}.ipynb"
    else:
        known = ", ".join(list_templates()) or "none"
        raise TemplateError(f"unknown template {name!r}; available: {known}")
    return Template(name=path.stem, path=path, parameters=read_contract(path))


def read_contract(path: Path) -> dict[str, Parameter]:
    """Read and check the ``parameters`` cell of a template notebook."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types
        raise TemplateError(f"{path}: not a readable notebook ({exc})") from exc
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise TemplateError(
            f"{path}: needs exactly one cell tagged 'parameters', found {len(tagged)}"
        )
    if not nb.metadata.get("kernelspec", {}).get("name"):
        raise TemplateError(f"{path}: notebook metadata has no kernelspec")
    problems: list[str] = []
    params: dict[str, Parameter] = {}
    for lineno, raw in enumerate(tagged[0].source.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(
            r"^(?P<name>[A-Za-z_]\w*)\s*:\s*(?P<type>[^=]+?)\s*=\s*(?P<default>.+?)"
            r"\s*(?:#\s*(?P<help>.*))?$",
            line,
        )
        if not m:
            problems.append(f"line {lineno}: expected 'name: type = default  # help', got {line!r}")
            continue
        ptype = m.group("type").replace(" ", "")
        tm = _TYPE_RE.match(ptype)
        base = tm and (tm.group("opt") or tm.group("list") or tm.group("plain"))
        if not tm or base not in _SUPPORTED:
            problems.append(
                f"line {lineno}: parameter {m.group('name')!r} has type {ptype!r}; use str, "
                "int, float, bool, Optional[...] or list[...] (not 'X | None')"
            )
            continue
        params[m.group("name")] = Parameter(
            m.group("name"), ptype, m.group("default"), (m.group("help") or "").strip()
        )
    missing = [p for p in RUNNER_PARAMETERS if p not in params]
    if missing:
        problems.append(f"the runner passes {', '.join(missing)}, which the cell does not declare")
    if problems:
        raise TemplateError(f"{path}: parameters cell: " + "; ".join(problems))
    return params
