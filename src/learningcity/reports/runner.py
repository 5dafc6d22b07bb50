"""Batch report runs: one dated folder, one notebook and HTML per unit, a manifest.

Everything the user asked for is checked before any kernel starts (template
contract, parameters, units, date, output folder). Each report executes into a
staging folder and is published under its final name only when done, with a
hard link that refuses to replace an existing file, so a report that exists is
never overwritten unless ``force`` is given.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from learningcity import __version__
from learningcity.errors import UsageError
from learningcity.files import atomic_write_text, link_exclusive, sha256_file, unique_stem
from learningcity.paths import data_dir, project_root, reports_dir
from learningcity.reports.execute import Outcome, execute_notebook
from learningcity.reports.kernel import WarmKernel, private_kernel
from learningcity.reports.manifest import append_run
from learningcity.reports.params import ParameterError, validate_parameters
from learningcity.reports.render import render_html
from learningcity.reports.templates import Template, find_template
from learningcity.text import slugify

__all__ = ["ReportJob", "RunResult", "plan_run", "run_reports"]

LANGS = ("vi", "en")
_TITLES = {
    "vi": "Mức độ sẵn sàng thành phố học tập: {name}, {year}",
    "en": "Learning-city readiness: {name}, {year}",
}


@dataclass
class ReportJob:
    """One unit's report within a run."""

    unit_code: str
    unit_name: str
    unit_type: str
    parameters: dict[str, Any]
    stem: str = ""
    outcome: Outcome | None = None
    started: str | None = None
    ended: str | None = None
    duration_s: float | None = None
    html: str | None = None


@dataclass
class RunResult:
    """What a run produced; ``exit_code`` is 0 only when every report succeeded."""

    folder: Path
    run: dict[str, Any]
    jobs: list[ReportJob] = field(default_factory=list)

    @property
    def failed(self) -> list[ReportJob]:
        return [j for j in self.jobs if j.outcome is None or j.outcome.status != "ok"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def _parse_date(value: str | dt.date | None) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--date {value!r}: expected a calendar date as YYYY-MM-DD") from None


def _git_info(root: Path) -> dict[str, Any] | None:
    if not (root / ".git").exists():
        return None
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty)}


def _data_hashes(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def plan_run(
    units: Sequence[str],
    *,
    template: str = "city",
    year: int | str | None = None,
    lang: str = "vi",
    params: Mapping[str, Any] | None = None,
) -> tuple[Template, list[ReportJob]]:
    """Check a request and return the template and one job per unit.

    Every problem found (unknown template, parameter, unit; wrong type) is
    raised together before anything runs.

    Examples
    --------
    >>> template, jobs = plan_run(["TX Nghĩa Lộ"], year=2023)
    >>> jobs[0].unit_code, jobs[0].parameters["year"]
    ('133', 2023)
    """
    from learningcity.units import resolve_unit

    tmpl = find_template(template)
    problems: list[str] = []
    if lang not in LANGS:
        problems.append(f"lang {lang!r}: expected one of {', '.join(LANGS)}")
    if not units:
        problems.append("no unit given: name at least one unit (name or GSO code)")
    extra = dict(params or {})
    clash = sorted(set(extra) & {"unit_code", "year", "lang"})
    if clash:
        problems.append(f"{', '.join(clash)} must be given with their own options, not -p")
    try:  # the options shared by every unit are checked once, whatever the units
        validate_parameters(tmpl, {"lang": lang, **extra, **({"year": year} if year else {})})
    except ParameterError as exc:
        problems.extend(exc.problems)
    jobs: list[ReportJob] = []
    seen: set[str] = set()
    year_value = year if year is not None else tmpl.parameters["year"].default_value
    # Units are looked up as they were in the data's year: codes were re-used in 2025.
    when = int(year_value) if str(year_value).strip().isdigit() else None
    for query in units:
        try:
            row = resolve_unit(query, date=when)
        except UsageError as exc:
            problems.append(str(exc))
            continue
        if row["code"] in seen:
            continue
        seen.add(row["code"])
        values = {"unit_code": row["code"], "lang": lang, "year": year_value, **extra}
        try:
            typed = validate_parameters(tmpl, values)
        except ParameterError:
            continue  # already reported by the shared check above
        jobs.append(ReportJob(row["code"], row["name"], row.get("type", ""), typed))
    if isinstance(year, int | str) and str(year).strip().lstrip("-").isdigit():
        y = int(year)
        if not 1990 <= y <= 2100:
            problems.append(f"year {y}: expected a year between 1990 and 2100")
    if problems:
        raise ParameterError(problems)
    return tmpl, jobs


# The reused kernel of this process (a pool worker, or the main process for --jobs 1).
_WARM: WarmKernel | None = None


def _start_worker(kernel: str, cwd: str, env: dict[str, str]) -> None:
    """Pool initializer: one warm kernel per worker process, stopped at exit."""
    import atexit

    global _WARM
    os.environ.update(env)
    _WARM = WarmKernel(kernel, cwd)
    atexit.register(_WARM.shutdown)


def _execute_job(
    template: str,
    staging: str,
    stem: str,
    parameters: dict[str, Any],
    kernel: str,
    title: str,
    lang: str,
    timeout: float | None,
) -> dict[str, Any]:
    """Run one report in a worker: execute, then render HTML if it succeeded."""
    stage = Path(staging)
    nb_path = stage / f"{stem}.ipynb"
    started, t0 = _now(), time.perf_counter()
    km = None
    if _WARM is not None:
        try:
            km = _WARM.manager()
        except Exception as exc:  # no kernel: this report fails, the batch goes on
            outcome = Outcome("failed", "kernel-start", f"{type(exc).__name__}: {exc}")
            return {
                "outcome": outcome,
                "started": started,
                "ended": _now(),
                "duration_s": round(time.perf_counter() - t0, 3),
                "has_html": False,
            }
    outcome = execute_notebook(
        Path(template), nb_path, parameters, kernel_name=kernel, timeout=timeout, km=km
    )
    if outcome.failure in {"kernel-died", "timeout"} and _WARM is not None:
        _WARM.shutdown()  # the next report gets a fresh kernel
    html_text = None
    if outcome.status == "ok":
        try:
            html_text = render_html(nb_path, stage / f"{stem}.html", title=title, lang=lang)
        except Exception as exc:  # nbconvert problems fail this report only
            outcome = Outcome("failed", "render-error", f"{type(exc).__name__}: {exc}")
    if html_text is not None:
        atomic_write_text(stage / f"{stem}.html", html_text)
    return {
        "outcome": outcome,
        "started": started,
        "ended": _now(),
        "duration_s": round(time.perf_counter() - t0, 3),
        "has_html": html_text is not None,
    }


def _publish(stage: Path, folder: Path, job: ReportJob, force: bool, taken: set[str]) -> None:
    """Move a finished report from staging to its final name (no clobbering)."""
    suffixes = (".ipynb", ".html")
    while True:
        files = [s for s in suffixes if (stage / f"{job.stem}{s}").exists()]
        try:
            for s in files:
                src, dst = stage / f"{job.stem}{s}", folder / f"{job.stem}{s}"
                if force:
                    os.replace(src, dst)
                else:
                    link_exclusive(src, dst)
            break
        except FileExistsError:
            # Someone took the name since planning (a parallel run): pick the next one.
            new = unique_stem(folder, job.stem, suffixes, taken)
            for s in files:
                if (stage / f"{job.stem}{s}").exists():
                    os.replace(stage / f"{job.stem}{s}", stage / f"{new}{s}")
            taken.add(new)
            job.stem = new


def run_reports(
    units: Sequence[str],
    *,
    template: str = "city",
    year: int | str | None = None,
    lang: str = "vi",
    date: str | dt.date | None = None,
    out: str | os.PathLike | None = None,
    jobs: int = 1,
    force: bool = False,
    params: Mapping[str, Any] | None = None,
    timeout: float | None = 600,
    progress: bool = True,
    command: Sequence[str] | None = None,
) -> RunResult:
    """Run a report template for each unit into ``<out>/<YYYY-MM-DD>/``.

    Parameters
    ----------
    units : sequence of str
        Unit names or GSO codes (``"TX Nghĩa Lộ"``, ``"133"``).
    template : str, default "city"
        A template in ``notebooks/templates/`` or a path to a notebook.
    year : int, optional
        Year of the data; the template's default when omitted.
    lang : {"vi", "en"}
        Language of the report.
    date : str or date, optional
        The run's date (folder name), ``YYYY-MM-DD``; today by default.
    out : path-like, optional
        Output root; ``reports/`` of the project by default.
    jobs : int, default 1
        Reports executed in parallel (processes).
    force : bool, default False
        Replace reports of the same name instead of adding ``-2``, ``-3`` ….
    params : mapping, optional
        Further template parameters (checked against its contract).
    timeout : float, optional
        Seconds allowed per cell.

    Returns
    -------
    RunResult
        The folder, the manifest record and the jobs; ``exit_code`` is 1 if
        any report failed.
    """
    run_date = _parse_date(date)
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: expected 1 or more")
    tmpl, job_list = plan_run(units, template=template, year=year, lang=lang, params=params)
    root = Path(out) if out is not None else reports_dir()
    folder = (root / run_date.isoformat()).resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create output folder {folder}: {exc.strerror}") from None

    suffixes = (".ipynb", ".html")
    taken: set[str] = set()
    for job in job_list:
        base = f"{tmpl.slug}-{slugify(job.unit_name)}"
        if any(j.stem == base or j.stem.startswith(base + "-") for j in job_list if j.stem):
            base = f"{base}-{slugify(job.unit_code)}"  # two units share a name
        job.stem = base if force else unique_stem(folder, base, suffixes, taken)
        taken.add(job.stem)
        # Slugs hold only [a-z0-9-]; the check guards against future changes.
        assert (folder / f"{job.stem}.ipynb").resolve().parent == folder

    run_id = f"{dt.datetime.now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    staging = folder / f".staging-{run_id}"
    staging.mkdir()
    started, t0 = _now(), time.perf_counter()
    run: dict[str, Any] = {
        "run_id": run_id,
        "command": list(command) if command else None,
        "template": {
            "name": tmpl.name,
            "path": _display_path(tmpl.path),
            "sha256": sha256_file(tmpl.path),
        },
        "parameters": {
            "year": job_list[0].parameters["year"] if job_list else year,
            "lang": lang,
            "date": run_date.isoformat(),
            **{
                k: v
                for k, v in (job_list[0].parameters if job_list else {}).items()
                if k not in {"unit_code", "year", "lang", "context"}
            },
        },
        "package_version": __version__,
        "python": platform.python_version(),
        "executable": sys.executable,
        "git": _git_info(project_root()),
        "data_files": _data_hashes(data_dir()),
        "started": started,
    }

    if "context" in tmpl.parameters and job_list and not job_list[0].parameters.get("context"):
        # What every report shares is computed once here, not once per notebook.
        from learningcity.reports.context import build_context

        t_ctx = time.perf_counter()
        ctx_path = staging / "context.pickle"
        build_context(int(job_list[0].parameters["year"])).save(ctx_path)
        for job in job_list:
            job.parameters["context"] = str(ctx_path)
        run["context"] = {
            "seconds": round(time.perf_counter() - t_ctx, 3),
            "sha256": sha256_file(ctx_path),
        }

    results: dict[int, dict[str, Any]] = {}
    with private_kernel() as kernel:
        calls = [
            (
                str(tmpl.path),
                str(staging),
                job.stem,
                job.parameters,
                kernel,
                _TITLES[lang].format(name=job.unit_name, year=job.parameters.get("year", "")),
                lang,
                timeout,
            )
            for job in job_list
        ]
        bar = _progress(len(calls), progress)
        worker_args = (kernel, str(tmpl.path.parent), {"JUPYTER_PATH": os.environ["JUPYTER_PATH"]})
        if jobs == 1 or len(calls) == 1:
            global _WARM
            _WARM = WarmKernel(kernel, tmpl.path.parent)
            try:
                for i, call in enumerate(calls):
                    bar.set_postfix_str(job_list[i].unit_name, refresh=False)
                    results[i] = _execute_job(*call)
                    bar.update()
            finally:
                _WARM.shutdown()
                _WARM = None
        else:
            import multiprocessing

            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(
                max_workers=min(jobs, len(calls)),
                mp_context=ctx,
                initializer=_start_worker,
                initargs=worker_args,
            ) as pool:
                futures = {pool.submit(_execute_job, *call): i for i, call in enumerate(calls)}
                for fut in as_completed(futures):
                    i = futures[fut]
                    try:
                        results[i] = fut.result()
                    except Exception as exc:  # a worker crashed: record, go on
                        results[i] = {
                            "outcome": Outcome("failed", "worker-crashed", repr(exc)),
                            "started": None,
                            "ended": _now(),
                            "duration_s": None,
                            "has_html": False,
                        }
                    bar.update()
        bar.close()

    for i, job in enumerate(job_list):
        res = results[i]
        job.outcome, job.started, job.ended, job.duration_s = (
            res["outcome"],
            res["started"],
            res["ended"],
            res["duration_s"],
        )
        if (staging / f"{job.stem}.ipynb").exists():
            _publish(staging, folder, job, force, taken)
        job.html = f"{job.stem}.html" if res["has_html"] else None
    shutil.rmtree(staging, ignore_errors=True)

    run["ended"] = _now()
    run["duration_s"] = round(time.perf_counter() - t0, 3)
    run["reports"] = [_job_record(j) for j in job_list]
    run["summary"] = {
        "ok": sum(j.outcome is not None and j.outcome.status == "ok" for j in job_list),
        "failed": sum(j.outcome is None or j.outcome.status != "ok" for j in job_list),
    }
    append_run(folder, run)
    return RunResult(folder, run, job_list)


def _display_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(project_root()).as_posix()
    except ValueError:
        return str(path)


def _job_record(job: ReportJob) -> dict[str, Any]:
    outcome = job.outcome or Outcome("failed", "not-run")
    # The context file lives in the staging folder only while the run lasts.
    params = {k: v for k, v in job.parameters.items() if k != "context"}
    return {
        "unit_code": job.unit_code,
        "unit_name": job.unit_name,
        "unit_type": job.unit_type,
        "parameters": params,
        "notebook": f"{job.stem}.ipynb",
        "html": job.html,
        "status": outcome.status,
        "failure": outcome.failure,
        "message": outcome.message,
        "cell_index": outcome.cell_index,
        "started": job.started,
        "ended": job.ended,
        "duration_s": job.duration_s,
    }


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="reports", unit="report", disable=not enabled, file=sys.stderr)
