"""``learningcity report`` against hostile and broken input: dying kernels, endless
cells, signals, killed runs, bad options and unwritable folders.

Every command runs in a subprocess with a timeout, so a regression that hangs fails
here instead of hanging the suite. Each test also checks that an earlier report in
the same folder (planted by :func:`plant_earlier`) is left exactly as it was.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_reports_run import _outputs, tiny_template

from learningcity.cli import main as cli_main
from learningcity.files import sha256_file
from learningcity.reports.manifest import append_run, read_manifest
from learningcity.reports.runner import MIN_TIMEOUT, _check_timeout, _cpu_count

DATE = "2026-01-15"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
UNITS = ("133", "132", "135")  # Nghĩa Lộ, Yên Bái, Lục Yên
NAMES = {"133": "nghia-lo", "132": "yen-bai", "135": "luc-yen"}


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "learningcity", "report", "--quiet", "--date", DATE, *args]


def report(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), capture_output=True, text=True, timeout=timeout)


def start(*args: str) -> subprocess.Popen:
    """Start a run in a session of its own, as a terminal would (Ctrl-C hits the group)."""
    return subprocess.Popen(
        command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def alive(pid: int) -> bool:
    """True if ``pid`` runs; a zombie (dead, not yet reaped by PID 1) counts as dead."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # not Linux
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}


def recording_template(path: Path, pids: Path, body: str) -> str:
    """A tiny template that writes its kernel's and worker's pids to ``pids/<unit>.json``."""
    return tiny_template(
        path,
        "import json, os, pathlib\n"
        f"pathlib.Path({str(pids)!r}).mkdir(exist_ok=True)\n"
        f"pathlib.Path({str(pids)!r}, unit_code + '.json').write_text(json.dumps("
        "{'kernel': os.getpid(), 'worker': os.getppid()}))\n" + body,
    )


def recorded(pids: Path) -> dict[str, dict[str, int]]:
    return {p.stem: json.loads(p.read_text()) for p in pids.glob("*.json")}


def plant_earlier(folder: Path, stem: str):
    """An earlier run's report named ``stem`` in ``folder``; returns a check it is untouched."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {folder / f"{stem}.ipynb": "{}\n", folder / f"{stem}.html": "<p>earlier</p>\n"}
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    record = {
        "run_id": "earlier-run",
        "status": "done",
        "template": {"name": "earlier"},
        "parameters": {},
        "reports": [
            {
                "unit_code": "133",
                "unit_name": "Nghĩa Lộ",
                "notebook": f"{stem}.ipynb",
                "html": f"{stem}.html",
                "status": "ok",
            }
        ],
    }
    append_run(folder, json.loads(json.dumps(record)))
    hashes = {path: sha256_file(path) for path in files}

    def check() -> None:
        assert {path: sha256_file(path) for path in files} == hashes
        (kept,) = [r for r in read_manifest(folder)["runs"] if r["run_id"] == "earlier-run"]
        assert kept == record

    return check


def manifest_run(folder: Path, index: int = -1) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["runs"][index]


def statuses(run: dict) -> dict[str, tuple]:
    return {r["unit_code"]: (r["status"], r["failure"]) for r in run["reports"]}


def visible_files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if not p.name.startswith(".")}


# --- checked before anything runs (no kernel) ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0.5", "too short"),
        ("4.9", "at least 5 seconds, or 0 for no limit"),
        ("-1", "expected 0 (no limit) or a number of seconds"),
        ("nan", "expected 0 (no limit) or a number of seconds"),
    ],
)
def test_bad_timeout_is_refused_before_any_kernel(tmp_path, capsys, value, message):
    check = plant_earlier(tmp_path / DATE, "tiny-nghia-lo")
    before = sorted(p.name for p in (tmp_path / DATE).iterdir())
    code = cli_main(["report", "133", "--out", str(tmp_path), "--date", DATE, "--timeout", value])
    err = capsys.readouterr().err
    assert code == 2
    assert f"--timeout {value}" in err and message in err and "Traceback" not in err
    assert sorted(p.name for p in (tmp_path / DATE).iterdir()) == before
    check()


def test_timeout_zero_means_no_limit_and_help_says_so(capsys):
    assert _check_timeout(0) is None and _check_timeout(None) is None
    assert _check_timeout(MIN_TIMEOUT) == MIN_TIMEOUT
    with pytest.raises(SystemExit):
        cli_main(["report", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "0 means no limit" in text and "At least 5" in text
    assert "130 stopped by Ctrl-C (SIGINT), 143 stopped by SIGTERM" in text


def test_output_under_a_regular_file_is_refused(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("keep me\n")
    done = report("133", "--out", str(blocker / "reports"), timeout=60)
    assert done.returncode == 2
    assert "cannot create output folder" in done.stderr and "Traceback" not in done.stderr
    assert blocker.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]


def test_unwritable_output_folder_is_refused(tmp_path, capsys, monkeypatch):
    # Tests run as root, for whom a read-only folder is writable: the refusal of the
    # file system is simulated where the run first writes (its staging folder).
    folder = tmp_path / DATE
    check = plant_earlier(folder, "tiny-nghia-lo")
    before = sorted(p.name for p in folder.iterdir())
    real_mkdir = os.mkdir

    def refuse(path, *args, **kwargs):
        if Path(path).name.startswith(".staging-"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", refuse)
    code = cli_main(["report", "133", "--out", str(tmp_path), "--date", DATE])
    err = capsys.readouterr().err
    assert code == 2
    assert f"cannot write in output folder {folder}: Permission denied" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in folder.iterdir()) == before
    check()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder_is_refused(tmp_path):
    folder = tmp_path / DATE
    check = plant_earlier(folder, "tiny-nghia-lo")
    folder.chmod(0o555)
    try:
        done = report("133", "--out", str(tmp_path), timeout=60)
    finally:
        folder.chmod(0o755)
    assert done.returncode == 2
    assert "cannot write in output folder" in done.stderr and "Traceback" not in done.stderr
    check()


# --- kernels that die or never finish ------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "1000"])  # 1000: capped, one worker per CPU
def test_dead_kernel_and_endless_cell_fail_only_their_report(tmp_path, jobs):
    pids = tmp_path / "pids"
    template = recording_template(
        tmp_path / "broken.ipynb",
        pids,
        'if unit_code == "133":\n    os._exit(1)  # as an OOM kill would\n'
        'if unit_code == "132":\n    while True:\n        pass\n',
    )
    out = tmp_path / "out"
    check = plant_earlier(out / DATE, "broken-nghia-lo")
    t0 = time.monotonic()
    done = report(
        *UNITS, "--template", template, "--out", str(out), "--jobs", jobs, "--timeout", "5"
    )
    assert done.returncode == 1, done.stderr
    assert time.monotonic() - t0 < 90  # the endless cell is stopped after --timeout 5
    assert "FAILED Nghĩa Lộ (133)" in done.stdout and "kernel-died" in done.stdout
    assert "FAILED Yên Bái (132)" in done.stdout and "timeout" in done.stdout
    run = manifest_run(out / DATE)
    assert statuses(run) == {
        "133": ("failed", "kernel-died"),
        "132": ("failed", "timeout"),
        "135": ("ok", None),
    }
    assert run["status"] == "done" and run["summary"] == {"ok": 1, "failed": 2}
    folder = out / DATE
    assert (folder / "broken-luc-yen.html").exists()
    assert not (folder / "broken-nghia-lo-2.html").exists()  # failed: notebook only
    assert (folder / "broken-nghia-lo-2.ipynb").exists()  # the earlier name was kept
    # Each report after a dead or stuck kernel ran on a fresh one.
    kernels = {unit: p["kernel"] for unit, p in recorded(pids).items()}
    assert len(set(kernels.values())) == 3
    wait_for(lambda: not any(alive(k) for k in kernels.values()), 10, "kernels to exit")
    if jobs == "1000":
        cpus = _cpu_count()
        assert f"--jobs 1000 capped at {cpus}" in done.stderr
        assert len({p["worker"] for p in recorded(pids).values()}) <= min(cpus, 3)
    check()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts fds in /proc")
def test_reset_of_an_unresponsive_kernel_is_bounded_and_clients_are_closed(tmp_path):
    """A reused kernel that stops answering is replaced in bounded time; fds do not leak."""
    script = tmp_path / "reset.py"
    script.write_text(
        """
import json, os, signal, sys, time
from learningcity.reports.kernel import WarmKernel, private_kernel

def fds():
    return len(os.listdir("/proc/self/fd"))

with private_kernel() as name:
    warm = WarmKernel(name, ".", reset_timeout=60)  # a booting kernel may be slow to answer
    first = warm.manager().provisioner.pid
    # As nbclient does for a kernel it does not own: a client left open after each report.
    counts = []
    for _ in range(8):
        kc = warm.manager().client()
        kc.start_channels()
        counts.append(fds())
    same = warm.manager().provisioner.pid
    os.kill(same, signal.SIGSTOP)  # alive, but answers nothing
    warm.reset_timeout = 2
    t0 = time.monotonic()
    fresh = warm.manager().provisioner.pid
    seconds = time.monotonic() - t0
    warm.shutdown()
print(json.dumps({"first": first, "same": same, "fresh": fresh, "seconds": seconds,
                  "counts": counts}))
"""
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["same"] == got["first"]  # a responsive kernel is reused
    assert got["fresh"] != got["same"] and got["seconds"] < 20
    assert not alive(got["same"]) and not alive(got["fresh"])
    counts = got["counts"]
    # zmq's own fds come and go by a few; each leaked client would keep ~17 (100+ here).
    assert max(counts) - min(counts) < 15, counts


# --- signals and killed runs ----------------------------------------------------------------


def slow_batch(tmp_path: Path) -> tuple[str, Path, Path]:
    """A batch where Nghĩa Lộ finishes at once and the other units take two minutes."""
    pids = tmp_path / "pids"
    template = recording_template(
        tmp_path / "slow.ipynb",
        pids,
        'import time\nif unit_code != "133":\n    time.sleep(120)\n',
    )
    return template, tmp_path / "out", pids


def wait_first_published(proc: subprocess.Popen, folder: Path) -> dict:
    def published() -> bool:
        assert proc.poll() is None, proc.communicate()
        if not (folder / "slow-nghia-lo.html").exists():
            return False
        run = manifest_run(folder)
        return statuses(run).get("133") == ("ok", None)

    wait_for(published, 90, "the first report to be published")
    return manifest_run(folder)


def assert_no_survivors(pids: Path) -> None:
    procs = [pid for rec in recorded(pids).values() for pid in rec.values()]
    assert procs
    wait_for(lambda: not any(alive(p) for p in procs), 10, "workers and kernels to exit")


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_within_seconds_and_keeps_finished_reports(tmp_path, jobs):
    template, out, pids = slow_batch(tmp_path)
    folder = out / DATE
    check = plant_earlier(folder, "earlier")
    proc = start(*UNITS, "--template", template, "--out", str(out), "--jobs", jobs)
    try:
        during = wait_first_published(proc, folder)
        # Published while the batch runs; the rest listed as pending, with no file.
        assert during["status"] == "running"
        assert {r["unit_code"]: r["status"] for r in during["reports"]}["132"] == "pending"
        pending = [r for r in during["reports"] if r["status"] == "pending"]
        assert pending and all(r["notebook"] is None and r["html"] is None for r in pending)
        index = (folder / "index.html").read_text(encoding="utf-8")
        assert 'href="slow-nghia-lo.html"' in index and "not finished" in index
        t0 = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert time.monotonic() - t0 < 15
    assert proc.returncode == 130, stderr
    assert "stopped by SIGINT" in stderr and "INTERRUPTED Yên Bái (132)" in stdout
    run = manifest_run(folder)
    assert run["status"] == "interrupted"
    assert statuses(run) == {
        "133": ("ok", None),
        "132": ("interrupted", "interrupted"),
        "135": ("interrupted", "interrupted"),
    }
    assert run["summary"] == {"ok": 1, "failed": 0, "interrupted": 2}
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "interrupted" in index and 'href="slow-nghia-lo.html"' in index
    assert visible_files(folder) == {
        "earlier.ipynb",
        "earlier.html",
        "slow-nghia-lo.ipynb",
        "slow-nghia-lo.html",
        *({"slow-nghia-lo.pdf"} if CHROMIUM else ()),
        "manifest.json",
        "index.html",
        "logs",
    }
    assert not list(folder.glob(".staging-*"))
    assert_no_survivors(pids)
    check()


@pytest.mark.slow
def test_sigterm_stops_the_run_and_its_workers(tmp_path):
    template, out, pids = slow_batch(tmp_path)
    folder = out / DATE
    check = plant_earlier(folder, "earlier")
    proc = start(*UNITS, "--template", template, "--out", str(out), "--jobs", "2")
    try:
        wait_first_published(proc, folder)
        wait_for(lambda: len(recorded(pids)) >= 2, 30, "the second report to start")
        proc.send_signal(signal.SIGTERM)  # the main process only, as a service manager does
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143, stderr
    assert "stopped by SIGTERM" in stderr
    run = manifest_run(folder)
    assert run["status"] == "interrupted"
    assert statuses(run)["133"] == ("ok", None)
    assert {statuses(run)[u][0] for u in ("132", "135")} == {"interrupted"}
    assert not list(folder.glob(".staging-*"))
    assert_no_survivors(pids)
    check()


@pytest.mark.slow
def test_kill_9_leaves_no_orphans_nothing_false_and_the_next_run_cleans_up(tmp_path):
    template, out, pids = slow_batch(tmp_path)
    folder = out / DATE
    check = plant_earlier(folder, "earlier")
    proc = start(*UNITS, "--template", template, "--out", str(out), "--jobs", "2")
    try:
        wait_first_published(proc, folder)
        wait_for(lambda: len(recorded(pids)) >= 2, 30, "the second report to start")
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    # Workers notice their parent is gone and take their kernels with them.
    assert_no_survivors(pids)

    # Nothing is presented as complete that is not: every file listed is there, and
    # what is not finished is listed as such, with no file.
    run = manifest_run(folder)
    assert run["status"] == "running"
    assert statuses(run) == {
        "133": ("ok", None),
        "132": ("pending", None),
        "135": ("pending", None),
    }
    listed = {r[k] for r in run["reports"] for k in ("notebook", "html", "pdf") if r.get(k)}
    pdf = {"slow-nghia-lo.pdf"} if CHROMIUM else set()  # printed where Chromium is
    assert listed == {"slow-nghia-lo.ipynb", "slow-nghia-lo.html", *pdf}
    assert visible_files(folder) - {"manifest.json", "index.html", "logs"} == listed | {
        "earlier.ipynb",
        "earlier.html",
    }
    (stale,) = folder.glob(".staging-*")

    # A live run's staging folder (its lock held, here by this test) must survive.
    live = folder / ".staging-live-run"
    live.mkdir()
    with open(live / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        ok = tiny_template(tmp_path / "ok.ipynb", "x = 1")
        done = report("133", "--template", ok, "--out", str(out))
        assert done.returncode == 0, done.stderr
        assert live.is_dir()
    assert not stale.exists()
    dead = manifest_run(folder, -2)
    assert dead["run_id"] == run["run_id"] and dead["status"] == "interrupted"
    assert statuses(dead) == {
        "133": ("ok", None),
        "132": ("interrupted", "interrupted"),
        "135": ("interrupted", "interrupted"),
    }
    assert manifest_run(folder)["status"] == "done"
    check()


# --- parallel and repeated runs ---------------------------------------------------------------


@pytest.mark.slow
def test_two_runs_of_the_same_report_at_once_get_distinct_files(tmp_path):
    template = tiny_template(tmp_path / "tiny.ipynb", "import time\ntime.sleep(1)")
    out = tmp_path / "out"
    check = plant_earlier(out / DATE, "tiny-nghia-lo")
    procs = [start("133", "--template", template, "--out", str(out)) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    manifest = read_manifest(out / DATE)  # valid JSON, every run kept
    runs = [r for r in manifest["runs"] if r["run_id"] != "earlier-run"]
    assert len(runs) == 2 and {r["status"] for r in runs} == {"done"}
    names = [r["reports"][0]["notebook"] for r in runs]
    assert sorted(names) == ["tiny-nghia-lo-2.ipynb", "tiny-nghia-lo-3.ipynb"]
    for name in names:
        assert (out / DATE / name).exists()
    check()


@pytest.mark.slow
def test_the_same_command_twice_gives_identical_numbers(tmp_path):
    pids = tmp_path / "pids"
    template = recording_template(
        tmp_path / "numbers.ipynb",
        pids,
        "import numpy as np\n"
        "from learningcity.units import resolve_unit\n"
        # Set order depends on the hash seed, which the kernelspec fixes.
        "print(list({'an', 'binh', 'cuong', 'dung', 'giang', 'ha', 'khanh', 'linh'}))\n"
        "print(np.random.default_rng(7).normal(size=3).round(9).tolist())\n"
        "print(resolve_unit(unit_code)['name'])",
    )
    out = tmp_path / "out"
    check = plant_earlier(out / DATE, "earlier")
    for _ in range(2):
        done = report("133", "132", "--template", template, "--out", str(out), "--timeout", "0")
        assert done.returncode == 0, done.stderr
        # One worker, one kernel: the second report ran on the first one's, reset.
        assert len({rec["kernel"] for rec in recorded(pids).values()}) == 1
        for stale in pids.glob("*.json"):
            stale.unlink()
    for unit in ("nghia-lo", "yen-bai"):
        first = _outputs(out / DATE / f"numbers-{unit}.ipynb")
        second = _outputs(out / DATE / f"numbers-{unit}-2.ipynb")
        assert first == second
        printed = "".join(o.get("text", "") for _, outs in first for o in outs)
        assert "'linh'" in printed and ("Nghĩa Lộ" in printed or "Yên Bái" in printed)
    check()
