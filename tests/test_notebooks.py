"""Notebooks in git: no outputs, a title, a kernelspec; templates keep their contract."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from learningcity.reports.templates import find_template, list_templates

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert dirty == [], f"cells {dirty} carry outputs: strip them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebook_reads_as_a_document(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.lstrip().startswith("# ")
    assert nb.metadata.get("kernelspec", {}).get("name")
    # Notebooks are documents: prose between the code.
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= 2


@pytest.mark.parametrize("name", list_templates())
def test_template_contract(name):
    template = find_template(name)
    assert {"unit_code", "year", "lang"} <= set(template.parameters)
