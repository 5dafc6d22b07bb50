"""The real ``learningcity report`` command, end to end (starts Jupyter kernels)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import unicodedata

import nbformat
import pytest

from learningcity.files import sha256_file

pytestmark = pytest.mark.slow

DATE = "2026-01-15"


def report(*args, cwd=None):
    """Run the command as a user would, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "learningcity", "report", "--quiet", "--date", DATE, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def tiny_template(path, body: str):
    """A template whose only work is ``body`` (fast to run)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny"),
        nbformat.v4.new_code_cell(
            'unit_code: str = "133"\nyear: int = 2023\nlang: str = "vi"',
            metadata={"tags": ["parameters"]},
        ),
        nbformat.v4.new_code_cell(body),
        nbformat.v4.new_code_cell('print("reached the end")'),
    ]
    nb.metadata["kernelspec"] = {"name": "learningcity", "display_name": "x", "language": "python"}
    nbformat.write(nb, path)
    return str(path)


def test_city_report_end_to_end(tmp_path):
    done = report("TX Nghĩa Lộ", "--out", str(tmp_path), "--year", "2023")
    assert done.returncode == 0, done.stderr
    folder = tmp_path / DATE
    pdf = ["city-nghia-lo.pdf"] if shutil.which("chromium") else []  # printed where it can be
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted([
        "city-nghia-lo.html",
        "city-nghia-lo.ipynb",
        *pdf,
        "index.html",
        "logs",
        "manifest.json",
    ])  # fmt: skip

    nb = nbformat.read(folder / "city-nghia-lo.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'unit_code = "133"' in injected[0].source
    assert nb.metadata.kernelspec.name == "learningcity"

    html = (folder / "city-nghia-lo.html").read_text(encoding="utf-8")
    assert '<html lang="vi"' in html
    assert unicodedata.normalize("NFC", "Nghĩa Lộ") in html
    # Figures are embedded (as SVG: vectors in the PDF), not linked.
    images = re.findall(r'<img[^>]*src="data:image/([a-z+]+);base64,', html)
    assert images and set(images) == {"svg+xml"}, images
    for code in ("resolve_unit(", "import ", "unit_code = ", "facts.section("):
        assert code not in html, f"code leaked into the planner HTML: {code!r}"
    assert "remove-cell" not in html and "Setup." not in html  # researcher notes are dropped
    assert "68.206" in html  # Nghĩa Lộ population, formatted the Vietnamese way

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    (run,) = manifest["runs"]
    assert run["template"]["name"] == "city"
    assert run["template"]["sha256"] == sha256_file("notebooks/templates/city.ipynb")
    assert run["parameters"] == {"year": 2023, "lang": "vi", "date": DATE}
    assert run["data_files"]["sources.csv"] == sha256_file("data/sources.csv")
    assert run["package_version"] and run["started"] <= run["ended"]
    assert run["git"] is None or len(run["git"]["commit"]) == 40
    (rep,) = run["reports"]
    assert rep["status"] == "ok" and rep["html"] == "city-nghia-lo.html"
    assert rep["parameters"] == {"unit_code": "133", "year": 2023, "lang": "vi"}

    index = (folder / "index.html").read_text(encoding="utf-8")
    assert 'href="city-nghia-lo.html"' in index and "Nghĩa Lộ" in index


def test_second_run_same_day_never_overwrites_and_force_does(tmp_path):
    template = tiny_template(tmp_path / "tiny.ipynb", "x = 1")
    out = tmp_path / "out"
    assert report("133", "--template", template, "--out", str(out)).returncode == 0
    first = out / DATE / "tiny-nghia-lo.ipynb"
    first_hash = sha256_file(first)

    second = report("133", "--template", template, "--out", str(out), "--lang", "en")
    assert second.returncode == 0, second.stderr
    assert (out / DATE / "tiny-nghia-lo-2.ipynb").exists()
    assert (out / DATE / "tiny-nghia-lo-2.html").exists()
    assert sha256_file(first) == first_hash

    forced = report("133", "--template", template, "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert not (out / DATE / "tiny-nghia-lo-3.ipynb").exists()
    assert sha256_file(first) != first_hash  # replaced on purpose
    manifest = json.loads((out / DATE / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["runs"]) == 3
    assert manifest["runs"][0]["reports"][0]["replaced_by"] == manifest["runs"][2]["run_id"]


def test_failing_unit_keeps_partial_notebook_while_others_run(tmp_path):
    template = tiny_template(
        tmp_path / "fragile.ipynb",
        'if unit_code == "133":\n    raise ValueError("no data for this unit")',
    )
    done = report("133", "132", "--template", template, "--out", str(tmp_path), "--jobs", "2")
    assert done.returncode == 1
    assert "FAILED Nghĩa Lộ (133)" in done.stdout and "ValueError" in done.stdout
    folder = tmp_path / DATE
    # The failed notebook is kept, with the error visible; no HTML for it.
    failed = nbformat.read(folder / "fragile-nghia-lo.ipynb", as_version=4)
    errors = [
        o
        for c in failed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert errors and errors[0].evalue == "no data for this unit"
    assert not (folder / "fragile-nghia-lo.html").exists()
    # The other unit ran to the end.
    assert (folder / "fragile-yen-bai.html").exists()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    status = {r["unit_code"]: (r["status"], r["failure"]) for r in manifest["runs"][0]["reports"]}
    assert status == {"133": ("failed", "cell-error"), "132": ("ok", None)}
    assert manifest["runs"][0]["summary"] == {"ok": 1, "failed": 1}
    assert not any(p.name.startswith(".staging") for p in folder.iterdir())


def test_early_exit_is_reported_as_incomplete(tmp_path):
    template = tiny_template(tmp_path / "quits.ipynb", "import sys\nsys.exit(0)")
    done = report("133", "--template", template, "--out", str(tmp_path))
    assert done.returncode == 1
    manifest = json.loads((tmp_path / DATE / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["runs"][0]["reports"][0]["failure"] == "incomplete"


def test_bad_parameters_fail_before_any_kernel_with_exit_2(tmp_path):
    done = report("Atlantis", "--param", "colour=red", "--out", str(tmp_path))
    assert done.returncode == 2
    assert "Atlantis" in done.stderr and "'colour' is not a parameter" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_kernel_is_this_interpreter(tmp_path):
    template = tiny_template(tmp_path / "which.ipynb", "import sys\nprint(sys.executable)")
    assert report("133", "--template", template, "--out", str(tmp_path)).returncode == 0
    nb = nbformat.read(tmp_path / DATE / "which-nghia-lo.ipynb", as_version=4)
    printed = nb.cells[3].outputs[0].text.strip()
    assert printed == sys.executable


def test_module_help_works():
    done = subprocess.run(
        [sys.executable, "-m", "learningcity", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "report" in done.stdout


def _outputs(path):
    """Cell outputs and execution counts, without timing metadata or stderr.

    stderr carries diagnostics (e.g. a library saying it tries a download once per
    process); the planner HTML drops it, and it is not part of the report.
    """
    nb = nbformat.read(path, as_version=4)
    return [
        (
            c.execution_count,
            [
                {k: v for k, v in o.items() if k != "metadata"}
                for o in c.outputs
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ],
        )
        for c in nb.cells
        if c.cell_type == "code"
    ]


def test_reused_kernel_gives_the_same_report_as_a_fresh_one(tmp_path):
    # In one run the second unit executes on the kernel the first one used.
    batch = report("132", "133", "--out", str(tmp_path / "batch"))
    alone = report("133", "--out", str(tmp_path / "alone"))
    assert batch.returncode == alone.returncode == 0, batch.stderr + alone.stderr
    warm = _outputs(tmp_path / "batch" / DATE / "city-nghia-lo.ipynb")
    fresh = _outputs(tmp_path / "alone" / DATE / "city-nghia-lo.ipynb")
    assert warm == fresh
    assert [count for count, _ in fresh] == list(range(1, len(fresh) + 1))
