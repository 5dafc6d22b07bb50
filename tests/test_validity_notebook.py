"""The validity notebook (issue 16) runs from top to bottom on the bundled data."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "05-validity.ipynb"


@pytest.mark.slow
def test_validity_notebook_executes_and_answers_its_three_questions(tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert errors == [], [f"{e.ename}: {e.evalue}" for e in errors]
    text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    # The index of the reports: 63 provinces of 2016.
    assert "63 provinces scored in 2016" in text
    # Known groups: five provinces host the six members (Đồng Tháp hosts two).
    assert "GNLC host provinces: 5 of 63" in text and "p = " in text and "d = " in text
    for province in ("Hà Nội", "Hồ Chí Minh", "Đồng Tháp", "Nghệ An", "Sơn La"):
        assert province in text
    assert "R² of the overall index on log income: " in text
    assert "Adjacent-year rank correlation of the overall index: " in text


def test_validity_notebook_is_a_document_with_parameters():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    steps = [h for h in headings if h.startswith("## ") and h[3:4].isdigit()]
    assert [s.split(".")[0] for s in steps] == ["## 1", "## 2", "## 3"]
    assert nb.metadata["kernelspec"]["name"] == "learningcity"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
