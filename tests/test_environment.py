"""environment.yml (conda) must list the same packages as pyproject.toml (pip)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# PyPI and conda-forge names that differ for the same package.
PYPI_TO_CONDA: dict[str, str] = {}


def _split(requirement: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert m, requirement
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def pip_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return {PYPI_TO_CONDA.get(n, n): v for n, v in map(_split, reqs)}


def conda_requirements() -> tuple[dict[str, str], dict]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    plain = [d for d in env["dependencies"] if isinstance(d, str)]
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict))
    return dict(map(_split, plain)), {"env": env, "pip": pip_section["pip"]}


def test_same_packages_and_lower_bounds():
    pip = pip_requirements()
    conda, _ = conda_requirements()
    conda = {k: v for k, v in conda.items() if k not in {"python", "pip"}}
    assert sorted(set(pip) - set(conda)) == [], "in pyproject.toml but not environment.yml"
    assert sorted(set(conda) - set(pip)) == [], "in environment.yml but not pyproject.toml"
    mismatched = {n: (pip[n], conda[n]) for n in pip if pip[n] != conda[n]}
    assert mismatched == {}


def test_environment_uses_conda_forge_and_installs_the_package():
    _, extra = conda_requirements()
    assert extra["env"]["channels"] == ["conda-forge"]
    assert "-e ." in extra["pip"]


def test_python_floor_agrees():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    conda, _ = conda_requirements()
    assert project["requires-python"] == conda["python"] == ">=3.11"
