"""Report spine without kernels: naming, parameters, contracts, safe writes."""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from learningcity.files import atomic_write_bytes, atomic_write_text, unique_stem
from learningcity.reports.manifest import append_run, read_manifest
from learningcity.reports.params import (
    ParameterError,
    coerce,
    parse_assignments,
    validate_parameters,
)
from learningcity.reports.runner import plan_run, run_reports
from learningcity.reports.templates import Parameter, TemplateError, find_template


def make_template(path, params_source: str, body: str = "x = 1", tags=("parameters",)):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(params_source, metadata={"tags": list(tags)})]
    nb.cells.append(nbformat.v4.new_code_cell(body))
    nb.metadata["kernelspec"] = {"name": "learningcity", "display_name": "x", "language": "python"}
    nbformat.write(nb, path)
    return path


GOOD_PARAMS = 'unit_code: str = "133"\nyear: int = 2023\nlang: str = "vi"\n'


# --- naming -----------------------------------------------------------------------------


def test_unique_stem_adds_a_counter_when_either_file_exists(tmp_path):
    (tmp_path / "city-nghia-lo.html").write_text("old")
    assert unique_stem(tmp_path, "city-nghia-lo", (".ipynb", ".html")) == "city-nghia-lo-2"
    (tmp_path / "city-nghia-lo-2.ipynb").write_text("old")
    assert unique_stem(tmp_path, "city-nghia-lo", (".ipynb", ".html")) == "city-nghia-lo-3"


def test_unique_stem_respects_names_taken_in_the_same_run(tmp_path):
    assert unique_stem(tmp_path, "a", (".ipynb",), {"a", "a-2"}) == "a-3"


# --- atomic writes ------------------------------------------------------------------------


def test_atomic_write_never_overwrites_when_asked_not_to(tmp_path):
    target = tmp_path / "report.html"
    atomic_write_text(target, "first")
    with pytest.raises(FileExistsError):
        atomic_write_bytes(target, b"second", overwrite=False)
    assert target.read_text() == "first"
    # No temporary file is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_atomic_write_replaces_whole_file_and_uses_umask_mode(tmp_path):
    target = tmp_path / "m.json"
    atomic_write_text(target, "a" * 1000)
    atomic_write_text(target, "b")
    assert target.read_text() == "b"
    umask = os.umask(0)
    os.umask(umask)
    assert (target.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_failed_write_leaves_the_old_file_untouched(tmp_path, monkeypatch):
    target = tmp_path / "index.html"
    atomic_write_text(target, "old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


# --- parameters ---------------------------------------------------------------------------


def test_codes_keep_their_leading_zeros():
    assert coerce(Parameter("unit_code", "str", '"133"'), "04252") == "04252"


@pytest.mark.parametrize(
    ("ptype", "raw", "expected"),
    [
        ("int", "2023", 2023),
        ("float", "0.5", 0.5),
        ("bool", "yes", True),
        ("bool", "False", False),
        ("Optional[int]", "None", None),
        ("list[str]", "a,b", ["a", "b"]),
        ("list[int]", "1, 2", [1, 2]),
    ],
)
def test_command_line_text_is_typed_by_the_declaration(ptype, raw, expected):
    assert coerce(Parameter("p", ptype, "None"), raw) == expected


@pytest.mark.parametrize(
    ("ptype", "raw"), [("int", "2023.5"), ("int", "abc"), ("bool", "maybe"), ("str", 5)]
)
def test_wrong_types_are_rejected(ptype, raw):
    with pytest.raises(TypeError):
        coerce(Parameter("p", ptype, "None"), raw)


def test_unknown_and_mistyped_parameters_are_all_reported_together():
    template = find_template("city")
    with pytest.raises(ParameterError) as info:
        validate_parameters(template, {"year": "twenty", "colour": "red", "lang": "en"})
    message = str(info.value)
    assert "'colour' is not a parameter" in message
    assert "year: expected a whole number" in message
    assert len(info.value.problems) == 2


def test_parse_assignments_rejects_missing_equals():
    with pytest.raises(ParameterError, match="expected NAME=VALUE"):
        parse_assignments(["k5"])


# --- template contract --------------------------------------------------------------------


def test_template_without_parameters_tag_is_refused(tmp_path):
    path = make_template(tmp_path / "t.ipynb", GOOD_PARAMS, tags=())
    with pytest.raises(TemplateError, match="exactly one cell tagged 'parameters'"):
        find_template(str(path))


def test_pep604_annotation_and_missing_runner_parameter_are_refused(tmp_path):
    path = make_template(tmp_path / "t.ipynb", 'unit_code: str = "1"\nyear: int | None = None\n')
    with pytest.raises(TemplateError) as info:
        find_template(str(path))
    assert "not 'X | None'" in str(info.value)
    assert "lang" in str(info.value)


def test_unknown_template_lists_the_available_ones():
    with pytest.raises(TemplateError, match="available: .*city"):
        find_template("no-such-template")


def test_template_name_cannot_escape_the_templates_folder():
    with pytest.raises(TemplateError):
        find_template("../templates/city")


# --- planning: units and hostile input ------------------------------------------------------


def test_plan_resolves_names_with_and_without_diacritics():
    _, jobs = plan_run(["TX Nghĩa Lộ", "thanh pho yen bai", "133"], year=2023)
    # "133" is the same unit as "TX Nghĩa Lộ": planned once.
    assert [j.unit_code for j in jobs] == ["133", "132"]
    assert jobs[0].parameters == {"unit_code": "133", "lang": "vi", "year": 2023}


def test_plan_fills_the_template_default_year():
    _, jobs = plan_run(["133"])
    assert jobs[0].parameters["year"] == 2023


@pytest.mark.parametrize("name", ["../../x", 'Nghĩa"Lộ\n', "/etc/passwd", "Atlantis"])
def test_hostile_or_unknown_units_are_refused_before_anything_runs(tmp_path, name):
    with pytest.raises(ParameterError) as info:
        run_reports([name], out=tmp_path, progress=False)
    assert "no unit" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_ambiguous_name_lists_candidates():
    with pytest.raises(ParameterError) as info:
        plan_run(["Yên Bái"])
    text = str(info.value)
    assert "Tỉnh Yên Bái" in text and "15" in text
    assert "Thành phố Yên Bái" in text and "132" in text


def test_several_problems_are_reported_at_once(tmp_path):
    with pytest.raises(ParameterError) as info:
        plan_run(["Atlantis", "133"], year="20x3", lang="fr")
    text = str(info.value)
    assert "Atlantis" in text and "lang 'fr'" in text and "year" in text


@pytest.mark.parametrize("date", ["2026-13-01", "28/11/2026", "2026-1-5", "../../x"])
def test_bad_dates_are_refused(tmp_path, date):
    from learningcity.errors import UsageError

    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        run_reports(["133"], date=date, out=tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


# --- manifest -----------------------------------------------------------------------------


def _run(run_id, notebook):
    return {
        "run_id": run_id,
        "template": {"name": "city"},
        "parameters": {},
        "reports": [
            {
                "unit_code": "133",
                "unit_name": "Nghĩa Lộ",
                "notebook": notebook,
                "html": None,
                "status": "ok",
            }
        ],
    }


def test_manifest_keeps_every_run_of_the_day(tmp_path):
    append_run(tmp_path, _run("r1", "city-nghia-lo.ipynb"))
    append_run(tmp_path, _run("r2", "city-nghia-lo-2.ipynb"))
    manifest = read_manifest(tmp_path)
    assert [r["run_id"] for r in manifest["runs"]] == ["r1", "r2"]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "city-nghia-lo.ipynb" in index and "city-nghia-lo-2.ipynb" in index
    assert "Nghĩa Lộ" in index


def test_forced_rerun_marks_the_replaced_report(tmp_path):
    append_run(tmp_path, _run("r1", "city-nghia-lo.ipynb"))
    append_run(tmp_path, _run("r2", "city-nghia-lo.ipynb"))
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["runs"][0]["reports"][0]["replaced_by"] == "r2"
    assert "replaced_by" not in manifest["runs"][1]["reports"][0]
