"""The audit notebook runs from top to bottom on the bundled data."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "04-audit.ipynb"


@pytest.mark.slow
def test_audit_notebook_executes_without_errors(tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]  # fmt: skip
    assert errors == []
    # The sentence a planner reads: Yên Bái's rank with its interval.
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Yên Bái: rank " in text and "in 90 % of" in text


def test_audit_notebook_walks_the_ten_steps():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    steps = [h for h in headings if h.startswith("## ") and h[3:4].isdigit()]
    assert [s.split(".")[0] for s in steps] == [f"## {i}" for i in range(1, 11)]
    assert nb.metadata["kernelspec"]["name"] == "learningcity"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
