"""Batch report runs: one dated folder, one notebook and HTML per unit, a manifest.

Everything the user asked for is checked before any kernel starts (template
contract, parameters, units, date, output folder). Each report executes into a
staging folder and is published under its final name as soon as it is done,
with a hard link that refuses to replace an existing file, so a report that
exists is never overwritten unless ``force`` is given. ``manifest.json`` lists
the run from the start, its reports "pending" until they are published: after a
crash, what is listed as done is there, and nothing unfinished looks done.

Reports run in worker processes (one warm kernel each); the main process only
hands out reports, publishes them and handles signals. SIGINT and SIGTERM stop
the run within seconds: finished reports stay published, the others are marked
"interrupted", and the exit status is 130 (SIGINT) or 143 (SIGTERM). A worker
whose parent dies (``kill -9``) kills its kernel and exits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from learningcity import __version__
from learningcity.errors import UsageError
from learningcity.files import atomic_write_text, link_exclusive, sha256_file, unique_stem
from learningcity.i18n import N_, gettext
from learningcity.paths import data_dir, project_root, reports_dir
from learningcity.reports.execute import Outcome, execute_notebook
from learningcity.reports.kernel import WarmKernel, private_kernel
from learningcity.reports.manifest import append_run, close_run, summarize, update_run
from learningcity.reports.params import ParameterError, validate_parameters
from learningcity.reports.pdf import (
    PdfError,
    find_chromium,
    header_text,
    how_to_get_pdf,
    render_pdf,
)
from learningcity.reports.render import render_html
from learningcity.reports.templates import Template, find_template
from learningcity.text import slugify

__all__ = ["MIN_TIMEOUT", "Interrupted", "ReportJob", "RunResult", "plan_run", "run_reports"]

log = logging.getLogger(__name__)

#: Smallest per-cell ``timeout`` accepted (seconds): the first cells of a report import
#: pandas, matplotlib and the package, which takes seconds on a fresh kernel.
MIN_TIMEOUT = 5.0

# A staging folder without its lock file is that young only while a run creates it;
# one older than this was left by an earlier version (or a run killed at that instant).
_STALE_UNLOCKED_S = 3600

LANGS = ("vi", "en")
_TITLES = N_("Learning-city readiness: {name}, {year}")


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
    pdf: str | None = None
    published: bool = False  # its notebook is in the run folder under ``stem``
    base: str = ""  # ``stem`` before any -2, -3 … suffix


@dataclass
class RunResult:
    """What a run produced.

    ``exit_code`` is 0 when every report succeeded, 1 when one failed, and
    128 + the signal number (130 for SIGINT, 143 for SIGTERM) when a signal
    stopped the run.
    """

    folder: Path
    run: dict[str, Any]
    jobs: list[ReportJob] = field(default_factory=list)
    interrupted: int | None = None  # the signal that stopped the run

    @property
    def failed(self) -> list[ReportJob]:
        return [j for j in self.jobs if j.outcome is None or j.outcome.status != "ok"]

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 128 + self.interrupted
        return 1 if self.failed else 0


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped a run before any report started.

    A subclass of :class:`KeyboardInterrupt`, so that code which lets Ctrl-C
    through lets this through too.
    """

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process killed by it."""
        return 128 + self.signum


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


#: The planner copies a run can write besides each notebook.
FORMATS = ("html", "pdf")


def _check_formats(formats: Sequence[str] | None) -> str | None:
    """The Chromium to print PDFs with, or None for HTML only (see ``run_reports``)."""
    asked = formats is not None
    chosen = list(formats) if asked else list(FORMATS)
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise UsageError(f"--format {','.join(chosen)}: expected html, pdf or html,pdf")
    if "pdf" not in chosen:
        return None
    if "html" not in chosen:
        raise UsageError("--format pdf: the PDF is printed from the HTML; give --format html,pdf")
    chromium = find_chromium()
    if chromium is None:
        if asked:
            raise UsageError(how_to_get_pdf().replace("not written", "cannot be written"))
        print(f"learningcity report: {how_to_get_pdf()}", file=sys.stderr)
    return chromium


def _check_data_units(local: Any, job_list: Sequence[ReportJob]) -> None:
    """Refuse a ``--data`` file with no figure for any unit of the run (another city's)."""
    from learningcity.cities import resolve_place
    from learningcity.localdata import check_units
    from learningcity.reports.context import report_date

    if not job_list:
        return
    date = report_date(int(job_list[0].parameters["year"]))
    units = [resolve_place(job.unit_code, date).unit for job in job_list]
    check_units(local, units, date)


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
    from learningcity.cities import resolve_place
    from learningcity.reports.context import COMPARE, report_date

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
    if "context" in extra:
        # The shared context is a signed file the runner writes; never a user's path.
        problems.append("context is set by the runner for each run and cannot be given with -p")
    try:  # the options shared by every unit are checked once, whatever the units
        validate_parameters(tmpl, {"lang": lang, **extra, **({"year": year} if year else {})})
    except ParameterError as exc:
        problems.extend(exc.problems)
    jobs: list[ReportJob] = []
    seen: set[str] = set()
    year_value = year if year is not None else tmpl.parameters["year"].default_value
    # Units are looked up as they are at the report's date (the end of its year, or today for
    # the current year): codes were re-used in 2025 and towns became sets of wards.
    when = None
    if str(year_value).strip().isdigit():
        try:
            when = report_date(int(year_value))
        except UsageError as exc:
            problems.append(str(exc))
    if "compare" in tmpl.parameters and str(extra.get("compare", COMPARE[0])) not in COMPARE:
        problems.append(f"compare {extra['compare']!r}: expected one of {', '.join(COMPARE)}")
    for query in units:
        try:
            place = resolve_place(query, date=when)
        except UsageError as exc:
            problems.append(str(exc))
            continue
        row = place.unit
        if place.note:  # a successor, a re-used code, a city chosen over same-named wards
            print(f"learningcity report: {place.note}", file=sys.stderr)
        if row["code"] in seen:
            continue
        seen.add(row["code"])
        # The template re-resolves what the user named, to say the same in the report.
        named = {"unit_query": query} if place.note and "unit_query" in tmpl.parameters else {}
        values = {"unit_code": row["code"], "lang": lang, "year": year_value, **extra, **named}
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


# The reused kernel of this process (a worker; the main process runs no kernel).
_WARM: WarmKernel | None = None


def _worker_main(conn: Any, parent_pid: int) -> None:
    """A worker process: run the reports the main process sends, one at a time.

    Messages: ``("setup", (kernel, cwd, env, log))`` once, then ``("run", call)``
    for each report, then None. The worker never outlives the main process: a
    watchdog thread kills the kernel and exits as soon as the parent is gone
    (``kill -9`` included), and SIGTERM does the same. Ctrl-C reaches every
    process of the terminal, so the worker ignores SIGINT and lets the main
    process decide.
    """
    global _WARM
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def die(code: int) -> None:
        if _WARM is not None:
            _WARM.kill()
        os._exit(code)

    signal.signal(signal.SIGTERM, lambda signum, frame: die(128 + signum))
    threading.Thread(target=_watch_parent, args=(parent_pid, die), daemon=True).start()
    # Imported while the main process plans the run; the report's execution needs them.
    with contextlib.suppress(Exception):
        import jupyter_client.manager  # noqa: F401
        import nbconvert  # noqa: F401
        import papermill  # noqa: F401
    try:
        while True:
            try:
                msg = conn.recv()
            except EOFError:  # the main process is gone
                break
            if msg is None:
                break
            kind, payload = msg
            if kind == "setup":
                kernel, cwd, env, log_path = payload
                os.environ.update(env)  # the main process's, as of the first report
                _WARM = WarmKernel(kernel, cwd, log=log_path)
                try:
                    _WARM.start()  # boots while the first report is read and parameterised
                except Exception:
                    log.debug("kernel start failed; the report retries it", exc_info=True)
            else:
                conn.send(_execute_safely(payload))
    finally:
        if _WARM is not None:
            _WARM.shutdown()


def _watch_parent(parent_pid: int, on_orphan: Callable[[int], None]) -> None:
    # Polling works on every platform (PR_SET_PDEATHSIG is Linux-only) and costs nothing.
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    on_orphan(1)


def _execute_safely(call: tuple) -> dict[str, Any]:
    """:func:`_execute_job`, with a bug in it failing that report, not the worker."""
    try:
        return _execute_job(*call)
    except Exception as exc:
        log.debug("report failed in the worker", exc_info=True)
        return _failed_result("worker-error", f"{type(exc).__name__}: {exc}")


def _failed_result(failure: str, message: str, started: str | None = None) -> dict[str, Any]:
    return {
        "outcome": Outcome("failed", failure, message),
        "started": started,
        "ended": _now(),
        "duration_s": None,
        "has_html": False,
        "has_pdf": False,
    }


def _execute_job(
    template: str,
    staging: str,
    stem: str,
    parameters: dict[str, Any],
    kernel: str,
    title: str,
    lang: str,
    timeout: float | None,
    chromium: str | None = None,
    header: str = "",
) -> dict[str, Any]:
    """Run one report in a worker: execute, then render HTML (and a PDF) if it succeeded."""
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
                "has_pdf": False,
            }
    outcome = execute_notebook(
        Path(template), nb_path, parameters, kernel_name=kernel, timeout=timeout, km=km
    )
    if outcome.failure not in {None, "cell-error", "incomplete"} and _WARM is not None:
        # Dead, stuck in a cell past the timeout, or in an unknown state: kill it, and
        # the next report gets a fresh kernel.
        _WARM.shutdown()
    html_text = None
    if outcome.status == "ok":
        try:
            html_text = render_html(nb_path, stage / f"{stem}.html", title=title, lang=lang)
        except Exception as exc:  # nbconvert problems fail this report only
            outcome = Outcome("failed", "render-error", f"{type(exc).__name__}: {exc}")
    has_pdf = False
    if html_text is not None:
        atomic_write_text(stage / f"{stem}.html", html_text)
        if chromium:
            try:
                render_pdf(html_text, stage / f"{stem}.pdf", header=header, lang=lang,
                           chromium=chromium)  # fmt: skip
                has_pdf = True
            except PdfError as exc:  # asked for, not made: the report says so
                outcome = Outcome("failed", "pdf-error", str(exc))
    return {
        "outcome": outcome,
        "started": started,
        "ended": _now(),
        "duration_s": round(time.perf_counter() - t0, 3),
        "has_html": html_text is not None,
        "has_pdf": has_pdf,
    }


def _publish(stage: Path, folder: Path, job: ReportJob, force: bool, taken: set[str]) -> None:
    """Move a finished report from staging to its final name (no clobbering)."""
    suffixes = (".ipynb", ".html", ".pdf")
    while True:
        files = [s for s in suffixes if (stage / f"{job.stem}{s}").exists()]
        made: list[Path] = []
        try:
            for s in files:
                src, dst = stage / f"{job.stem}{s}", folder / f"{job.stem}{s}"
                if force:
                    os.replace(src, dst)
                else:
                    link_exclusive(src, dst)
                    made.append(dst)
            break
        except FileExistsError:
            for dst in made:  # half a report under a name another run holds: take it back
                dst.unlink()
            # Someone took the name since planning (a parallel run): pick the next one.
            new = unique_stem(folder, job.base or job.stem, suffixes, taken)
            for s in files:
                if (stage / f"{job.stem}{s}").exists():
                    os.replace(stage / f"{job.stem}{s}", stage / f"{new}{s}")
            taken.add(new)
            job.stem = new


@dataclass
class _Worker:
    process: Any
    conn: Any
    job: int | None = None  # index of the report it holds
    set_up: bool = False


class _Pool:
    """Worker processes for one run, each with its own pipe and one report at a time.

    The workers are started before the run is planned, so that their imports
    overlap the planning; they start no kernel before :meth:`run` sends them
    their set-up, after every check passed. Because the main process always
    knows which report a worker holds, a worker that dies fails that report
    only, and a new one takes over the rest.
    """

    def __init__(self, n_workers: int):
        import multiprocessing

        self._ctx = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []
        self.closed = False
        self.launched = 0
        for _ in range(n_workers):
            self._launch()
        self._initial = n_workers

    def _launch(self) -> _Worker:
        here, there = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(there, os.getpid()), daemon=True)
        proc.start()
        there.close()
        worker = _Worker(proc, here)
        self.workers.append(worker)
        self.launched += 1
        return worker

    def run(
        self,
        calls: Sequence[tuple],
        setup: tuple[str, str, dict[str, str], str],
        guard: _Guard,
        on_start: Callable[[int], None],
        on_done: Callable[[int, dict[str, Any]], None],
    ) -> None:
        """Run ``calls`` until all are done or a signal stops the run, then end the workers.

        ``on_done`` runs in this process as each report finishes (it publishes it).
        """
        from multiprocessing.connection import wait

        todo = list(reversed(range(len(calls))))  # popped from the end: first report first

        def give(worker: _Worker) -> None:
            worker.job = todo.pop()
            try:
                if not worker.set_up:
                    worker.conn.send(("setup", setup))
                    worker.set_up = True
                worker.conn.send(("run", calls[worker.job]))
            except OSError:  # the worker is gone: the report waits for another
                todo.append(worker.job)
                worker.job = None
                return
            on_start(worker.job)

        def receive(worker: _Worker) -> bool:
            try:
                if not worker.conn.poll():
                    return False
                result = worker.conn.recv()
            except (EOFError, OSError):
                return False
            done, worker.job = worker.job, None
            on_done(done, result)
            return True

        clean = False
        try:
            while not guard.signum:
                for worker in self.workers:
                    if todo and worker.job is None and worker.process.is_alive():
                        give(worker)
                busy = [w for w in self.workers if w.job is not None]
                if not busy:
                    if not todo:
                        break
                    # Every worker died before taking a report: try new ones, a few times.
                    if self.launched >= self._initial + 2 * len(calls):
                        for lost in todo:
                            on_done(lost, _failed_result("worker-crashed", "no worker started"))
                        todo.clear()
                        break
                    self.workers = [w for w in self.workers if w.process.is_alive()]
                    self._launch()
                    continue
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], 0.5))
                for worker in busy:
                    if worker.conn not in ready and worker.process.sentinel not in ready:
                        continue
                    if receive(worker) or worker.process.is_alive():
                        continue
                    lost, worker.job = worker.job, None
                    code = worker.process.exitcode
                    message = f"the worker process ended with status {code}"
                    on_done(lost, _failed_result("worker-crashed", message))
                    self.workers.remove(worker)
                    worker.conn.close()
                    if todo:
                        self._launch()
            clean = True
        finally:
            # A report that finished while the run was being stopped is published, not lost.
            for worker in self.workers:
                if worker.job is not None:
                    receive(worker)
            self.close(now=not clean or bool(guard.signum))

    def close(self, *, now: bool) -> None:
        """End the workers: told to finish (they stop their kernels), or SIGTERM when ``now``."""
        if self.closed:
            return
        self.closed = True
        for worker in self.workers:
            with contextlib.suppress(OSError):
                if now:
                    worker.process.terminate()  # the worker kills its kernel and exits
                else:
                    worker.conn.send(None)
        deadline = time.monotonic() + (5 if now else 30)
        for worker in self.workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                # Stuck: SIGKILL. Its kernel sees its parent gone (ipykernel's parent
                # poller, told by JPY_PARENT_PID) and exits within a second.
                worker.process.kill()
                worker.process.join(5)
            worker.conn.close()


class _Guard:
    """What a run must undo however it ends, and the signals that stop it.

    SIGINT and SIGTERM raise :class:`Interrupted` until :attr:`raising` is
    turned off (no report has started: nothing to save); from then on they are
    only recorded in :attr:`signum`, and the run stops at its next safe point,
    never in the middle of publishing a file or writing the manifest.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.raising = True
        self.staging: Path | None = None
        self.lock: IO[str] | None = None
        self.folder: Path | None = None
        self.run_id: str | None = None  # set while the run's manifest record is open
        self.pool: _Pool | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Guard:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._old[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is None:
            self.signum = signum
        if self.raising:
            raise Interrupted(signum)

    def __exit__(self, *exc: object) -> None:
        self.raising = False
        try:
            if self.pool is not None:
                self.pool.close(now=True)  # bad input, an error, or a signal before reports
            if self.folder is not None and self.run_id is not None:
                # The run ended on an error of its own: its record must not stay "running".
                close_run(self.folder, self.run_id, message="the run stopped on an error")
        finally:
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
            if self.lock is not None:
                self.lock.close()  # releases the staging lock
            for signum, handler in self._old.items():
                signal.signal(signum, handler)


def _hold_staging(folder: Path, run_id: str, guard: _Guard) -> Path:
    """Create the run's staging folder and hold its lock while the run lives.

    The lock tells later runs this folder is in use; when the process dies, so
    does the lock, and the next run in the folder removes it.
    """
    staging = folder / f".staging-{run_id}"
    try:
        staging.mkdir()
    except OSError as exc:
        raise UsageError(f"cannot write in output folder {folder}: {exc.strerror or exc}") from None
    guard.staging = staging
    guard.lock = open(staging / ".lock", "w")  # noqa: SIM115 - held for the run's lifetime
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: stale folders are left alone
        return staging
    fcntl.flock(guard.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    guard.lock.write(f"{os.getpid()}\n")
    guard.lock.flush()
    return staging


def _remove_stale_staging(folder: Path, own: Path) -> list[str]:
    """Remove the staging folders of runs that died; return their run ids.

    A live run holds the lock in its staging folder, so a folder whose lock can
    be taken belongs to no live run. The dead run's manifest record, if still
    "running", is closed first: its unfinished reports become "interrupted".
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        return []
    removed = []
    for path in sorted(folder.glob(".staging-*")):
        if path == own or not path.is_dir():
            continue
        try:
            fh = open(path / ".lock", "r+")  # noqa: SIM115
        except FileNotFoundError:
            with contextlib.suppress(OSError):
                if time.time() - path.stat().st_mtime > _STALE_UNLOCKED_S:
                    shutil.rmtree(path, ignore_errors=True)
            continue
        except OSError:
            continue
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live run holds it
            run_id = path.name.removeprefix(".staging-")
            close_run(folder, run_id, message="the run was killed before this report finished")
            shutil.rmtree(path, ignore_errors=True)
            removed.append(run_id)
    return removed


def _cpu_count() -> int:
    """CPUs this process may use (its affinity mask, not the machine's count)."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counter is not None:
        return counter() or 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _check_timeout(timeout: float | None) -> float | None:
    """The per-cell limit for nbclient: None for no limit; bad values are refused."""
    if timeout is None:
        return None
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        raise UsageError(f"--timeout {timeout!r}: expected a number of seconds") from None
    if math.isnan(value) or value < 0:
        raise UsageError(f"--timeout {timeout}: expected 0 (no limit) or a number of seconds")
    if value == 0 or math.isinf(value):
        return None
    if value < MIN_TIMEOUT:
        raise UsageError(
            f"--timeout {timeout}: too short; a report's first cells import pandas, "
            f"matplotlib and the package, which takes seconds. Give at least "
            f"{MIN_TIMEOUT:g} seconds, or 0 for no limit"
        )
    return value


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
    data: Sequence[str | os.PathLike] = (),
    prefer_local: bool = False,
    formats: Sequence[str] | None = None,
) -> RunResult:
    """Run a report template for each unit into ``<out>/<YYYY-MM-DD>/``.

    Every argument is checked before anything is written or any kernel starts
    (a :class:`~learningcity.errors.UsageError` or
    :class:`~learningcity.reports.params.ParameterError` otherwise). Each
    report is published as soon as it is done and the manifest updated; see
    the module docstring for what a signal or a crash leaves behind.

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
        Reports executed in parallel (worker processes, one kernel each);
        capped at the number of CPUs this process may use, with a note on
        stderr.
    force : bool, default False
        Replace reports of the same name instead of adding ``-2``, ``-3`` ….
    params : mapping, optional
        Further template parameters (checked against its contract).
    timeout : float, optional
        Seconds allowed per cell (default 600). ``0`` or None means no limit;
        a negative value, or one below :data:`MIN_TIMEOUT` (5 s: a fresh
        kernel needs seconds to import pandas), is refused. A cell that runs
        past it fails its report ("timeout") and its kernel is replaced.
    progress : bool, default True
        Show a progress bar on stderr.
    command : sequence of str, optional
        The command line, recorded in the manifest.
    data : sequence of path-like, optional
        The city's own data files (``--data``): read and checked once, before
        anything is written, and given to the run's shared context (see
        :mod:`learningcity.localdata`); the manifest records each one's path
        and sha256.
    prefer_local : bool, default False
        Use local values that disagree with published figures (each listed in
        the reports' appendix) instead of refusing the run.
    formats : sequence of {"html", "pdf"}, optional
        The planner copies of each report besides its notebook. By default
        both, the PDF only where Chromium is found (otherwise one line on
        stderr says how to get it, and the HTML is written); asking for
        ``"pdf"`` explicitly without Chromium is refused before anything runs.

    Returns
    -------
    RunResult
        The folder, the manifest record and the jobs; ``exit_code`` is 0 when
        all succeeded, 1 if any report failed, 130 or 143 if SIGINT or SIGTERM
        stopped the run once reports had started.

    Raises
    ------
    Interrupted
        SIGINT or SIGTERM before any report started (nothing is published).
    """
    with _Guard() as guard:
        return _run_reports(
            units,
            template=template,
            year=year,
            lang=lang,
            date=date,
            out=out,
            jobs=jobs,
            force=force,
            params=params,
            timeout=timeout,
            progress=progress,
            command=command,
            guard=guard,
            data=data,
            prefer_local=prefer_local,
            formats=formats,
        )


def _run_reports(
    units: Sequence[str],
    *,
    template: str,
    year: int | str | None,
    lang: str,
    date: str | dt.date | None,
    out: str | os.PathLike | None,
    jobs: int,
    force: bool,
    params: Mapping[str, Any] | None,
    timeout: float | None,
    progress: bool,
    command: Sequence[str] | None,
    guard: _Guard,
    data: Sequence[str | os.PathLike] = (),
    prefer_local: bool = False,
    formats: Sequence[str] | None = None,
) -> RunResult:
    """:func:`run_reports`, with ``guard`` undoing what it must however it ends."""
    run_date = _parse_date(date)
    chromium = _check_formats(formats)
    if not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"--jobs {jobs}: expected 1 or more")
    timeout = _check_timeout(timeout)
    cpus = _cpu_count()
    if jobs > cpus:
        # Each worker holds a kernel of several hundred MB; more than the CPUs only queue.
        print(
            f"learningcity report: --jobs {jobs} capped at {cpus}, "
            "the number of CPUs this process may use",
            file=sys.stderr,
        )
    if units:
        # Started now, so their imports overlap the planning; no kernel before set-up.
        guard.pool = _Pool(min(jobs, cpus, len(units)))
    tmpl, job_list = plan_run(units, template=template, year=year, lang=lang, params=params)
    local = None
    if data:  # read and checked once, before anything is written (a bad file: exit 2)
        if "context" not in tmpl.parameters:
            raise UsageError(f"--data: template {tmpl.name!r} has no shared context to take it")
        from learningcity.localdata import load_local_data

        local = load_local_data(data, prefer_local=prefer_local)
        _check_data_units(local, job_list)
    root = Path(out) if out is not None else reports_dir()
    folder = (root / run_date.isoformat()).resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create output folder {folder}: {exc.strerror}") from None

    suffixes = (".ipynb", ".html", ".pdf")
    taken: set[str] = set()
    for job in job_list:
        base = f"{tmpl.slug}-{slugify(job.unit_name)}"
        if any(j.stem == base or j.stem.startswith(base + "-") for j in job_list if j.stem):
            base = f"{base}-{slugify(job.unit_code)}"  # two units share a name
        job.base = base
        job.stem = base if force else unique_stem(folder, base, suffixes, taken)
        taken.add(job.stem)
        # Slugs hold only [a-z0-9-]; the check guards against future changes.
        assert (folder / f"{job.stem}.ipynb").resolve().parent == folder

    run_id = f"{dt.datetime.now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    staging = _hold_staging(folder, run_id, guard)
    _remove_stale_staging(folder, staging)
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

    run_env: dict[str, str] = {}  # for this run's kernels only
    if "context" in tmpl.parameters and job_list:
        # What every report shares is computed once here, not once per notebook. The
        # file is signed with a key of this run alone, handed only to this run's kernels
        # in their environment (never to this process's, nor as a parameter).
        from learningcity.reports.context import KEY_ENV, build_context, new_key

        t_ctx = time.perf_counter()
        ctx_path = staging / "context.pickle"
        key = new_key()
        # The user's data files were read once above; the context is still built once.
        build_context(int(job_list[0].parameters["year"]), data=local).save(ctx_path, key)
        run_env[KEY_ENV] = key
        for job in job_list:
            job.parameters["context"] = str(ctx_path)
        run["context"] = {
            "seconds": round(time.perf_counter() - t_ctx, 3),
            "sha256": sha256_file(ctx_path),
        }
        if local is not None:
            run["local_data"] = {
                "files": [
                    {"path": f.path, "sha256": f.sha256, "rows": int(f.rows)}
                    for f in local.files.itertuples()
                ],
                "prefer_local": bool(prefer_local),
                "disagreements": len(local.disagreements),
            }

    # From here a signal stops the run at its next safe point (see _Guard).
    guard.raising = False
    run["status"] = "running"
    run["reports"] = [_job_record(j) for j in job_list]
    run["summary"] = summarize(run["reports"])
    append_run(folder, run)  # listed at once, every report "pending"
    guard.folder, guard.run_id = folder, run_id
    bar = _progress(len(job_list), progress)

    def on_start(i: int) -> None:
        bar.set_postfix_str(job_list[i].unit_name, refresh=False)

    def on_done(i: int, res: dict[str, Any]) -> None:
        # Published and listed as soon as it is done: a crash later loses nothing.
        job = job_list[i]
        job.outcome, job.started, job.ended, job.duration_s = (
            res["outcome"],
            res["started"],
            res["ended"],
            res["duration_s"],
        )
        if (staging / f"{job.stem}.ipynb").exists():
            _publish(staging, folder, job, force, taken)
            job.published = True
        job.html = f"{job.stem}.html" if res["has_html"] and job.published else None
        job.pdf = f"{job.stem}.pdf" if res.get("has_pdf") and job.published else None
        run["reports"][i] = _job_record(job)
        run["summary"] = summarize(run["reports"])
        update_run(folder, run, published=[f"{job.stem}.ipynb"] if job.published else [])
        bar.update()

    # In the staging folder: left behind by a killed run, it goes with that folder. (Not
    # if the path holds the separator of JUPYTER_PATH, which would split it.)
    with private_kernel(staging if os.pathsep not in str(staging) else None) as kernel:
        calls = [
            (
                str(tmpl.path),
                str(staging),
                job.stem,
                job.parameters,
                kernel,
                gettext(_TITLES, lang).format(
                    name=job.unit_name, year=job.parameters.get("year", "")
                ),
                lang,
                timeout,
                chromium,
                header_text(f"{job.unit_type} {job.unit_name}".strip(), run_date.isoformat(), lang),
            )
            for job in job_list
        ]
        # The whole environment, as of now: the kernels need what the run has set in it.
        # Kernels write their warnings (e.g. "running over TCP without encryption") to the
        # run's log, not to the user's terminal.
        log_file = folder / "logs" / f"{run_id}-kernels.log"
        log_file.parent.mkdir(exist_ok=True)
        run["kernel_log"] = f"logs/{log_file.name}"
        setup = (kernel, str(tmpl.path.parent), {**os.environ, **run_env}, str(log_file))
        try:
            guard.pool.run(calls, setup, guard, on_start, on_done)
        finally:
            bar.close()

    unfinished = [j for j in job_list if j.outcome is None]
    stopped = guard.signum if unfinished else None
    for job in unfinished:
        why = f"was stopped by {signal.Signals(stopped).name}" if stopped else "ended"
        job.outcome = Outcome(
            "interrupted", "interrupted", f"the run {why} before this report finished"
        )
    run["status"] = "interrupted" if stopped else "done"
    run["ended"] = _now()
    run["duration_s"] = round(time.perf_counter() - t0, 3)
    run["reports"] = [_job_record(j) for j in job_list]
    run["summary"] = summarize(run["reports"])
    update_run(folder, run)
    guard.run_id = None  # the record is complete
    return RunResult(folder, run, job_list, interrupted=stopped)


def _display_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(project_root()).as_posix()
    except ValueError:
        return str(path)


def _job_record(job: ReportJob) -> dict[str, Any]:
    # "pending" until a result comes back; a file is named only once it is in the folder.
    outcome = job.outcome or Outcome("pending")
    # The context file lives in the staging folder only while the run lasts.
    params = {k: v for k, v in job.parameters.items() if k != "context"}
    return {
        "unit_code": job.unit_code,
        "unit_name": job.unit_name,
        "unit_type": job.unit_type,
        "parameters": params,
        "notebook": f"{job.stem}.ipynb" if job.published else None,
        "html": job.html,
        "pdf": job.pdf,
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
