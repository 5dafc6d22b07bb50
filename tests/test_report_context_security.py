"""The shared report context cannot be used to run code (hostile-input issue).

The context file is a pickle; a crafted pickle runs code when it is loaded. It
must be read only when signed by the run that wrote it, and a user must not be
able to point a report at a file of their own.
"""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys

import pytest

from learningcity.reports.context import (
    KEY_ENV,
    ContextError,
    ReportContext,
    get_context,
    new_key,
)


class _Payload:
    """Unpickling this object creates ``marker``: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _crafted(tmp_path):
    marker = tmp_path / "code-ran"
    evil = tmp_path / "context.pickle"
    evil.write_bytes(pickle.dumps(_Payload(marker)))
    return evil, marker


def _tiny_context() -> ReportContext:
    fields = {f.name: None for f in dataclasses.fields(ReportContext) if f.init}
    fields.update(year=2026, index_year=2016, kept=[], n_replications=0, seed=1)
    fields.pop("version")
    fields.pop("notes")
    return ReportContext(**fields)


def test_crafted_pickle_is_refused_before_unpickling(tmp_path):
    evil, marker = _crafted(tmp_path)
    with pytest.raises(ContextError, match="not a report context written by this run"):
        ReportContext.load(evil, new_key())
    assert not marker.exists()


def test_crafted_pickle_with_the_header_but_a_wrong_signature_is_refused(tmp_path):
    evil, marker = _crafted(tmp_path)
    # The right magic line and a signature made with another key.
    good = tmp_path / "good.pickle"
    _tiny_context().save(good, new_key())
    head = good.read_bytes()[: len(b"learningcity-context-v1\n") + 32]
    evil.write_bytes(head + evil.read_bytes())
    with pytest.raises(ContextError):
        ReportContext.load(evil, new_key())
    assert not marker.exists()


def test_signed_context_round_trips_only_with_its_key(tmp_path):
    path = tmp_path / "context.pickle"
    key = new_key()
    _tiny_context().save(path, key)
    back = ReportContext.load(path, key)
    assert (back.year, back.index_year, back.seed) == (2026, 2016, 1)
    with pytest.raises(ContextError):
        ReportContext.load(path, new_key())


def test_get_context_without_the_runs_key_refuses_a_path(tmp_path, monkeypatch):
    evil, marker = _crafted(tmp_path)
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ContextError, match="only inside the run that wrote it"):
        get_context(str(evil), 2026)
    assert not marker.exists()


def test_context_parameter_is_refused_on_the_command_line(tmp_path):
    evil, marker = _crafted(tmp_path)
    out = tmp_path / "reports"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "learningcity",
            "report",
            "TX Nghĩa Lộ",
            "--year",
            "2023",
            "--quiet",
            "--out",
            str(out),
            "-p",
            f"context={evil}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "context is set by the runner" in done.stderr
    assert "Traceback" not in done.stderr
    assert not marker.exists()
    assert not out.exists()  # checked before anything is written


@pytest.mark.slow
def test_a_run_reads_its_own_signed_context_and_keeps_the_key_to_its_kernels(tmp_path):
    import os

    from learningcity.reports.runner import run_reports

    result = run_reports(["TX Nghĩa Lộ"], year=2023, out=tmp_path, progress=False)
    assert result.exit_code == 0, [j.outcome for j in result.jobs]
    assert result.run["context"]["sha256"]  # the report used the run's context file
    assert KEY_ENV not in os.environ
