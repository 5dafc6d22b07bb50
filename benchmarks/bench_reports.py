"""Wall time of `learningcity report` against a shell loop of papermill + nbconvert.

Not a test. Runs, on the same machine and template:

* ``learningcity report`` for 1 unit and for the 9 district-level units of Yên Bái
  (with ``--jobs 1`` and ``--jobs 2``);
* the naive loop a user would write: for each unit, ``papermill`` then
  ``jupyter nbconvert --to html --no-input``, each a fresh process.

Usage: ``python benchmarks/bench_reports.py [--repeat N]``. Prints a table.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TEMPLATE = ROOT / "notebooks" / "templates" / "city.ipynb"
YEN_BAI_UNITS = ["132", "133", "135", "136", "137", "138", "139", "140", "141"]


def timed(cmd: list[str], **kw) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kw)
    return time.perf_counter() - t0


def learningcity(units: list[str], out: Path, jobs: int) -> float:
    return timed(
        [
            str(BIN / "learningcity"),
            "report",
            *units,
            "--quiet",
            "--year",
            "2023",
            "--out",
            str(out),
            "--jobs",
            str(jobs),
        ]
    )


def shell_loop(units: list[str], out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for code in units:
        nb = out / f"city-{code}.ipynb"
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(TEMPLATE),
                str(nb),
                "-k",
                "learningcity",
                "-r",
                "unit_code",
                code,
                "-p",
                "year",
                "2023",
                "-r",
                "lang",
                "vi",
                "--cwd",
                str(TEMPLATE.parent),
                "--no-progress-bar",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    rows = []
    try:
        for r in range(args.repeat):
            for label, units in (("1 unit", YEN_BAI_UNITS[1:2]), ("9 units", YEN_BAI_UNITS)):
                loop = shell_loop(units, tmp / f"loop-{r}-{len(units)}")
                one = learningcity(units, tmp / f"lc1-{r}-{len(units)}", jobs=1)
                two = learningcity(units, tmp / f"lc2-{r}-{len(units)}", jobs=2)
                rows.append((label, loop, one, two))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    head = ("batch", "shell loop", "lc -j1", "lc -j2", "ratio j1", "ratio j2")
    print("{:8} {:>11} {:>9} {:>9} {:>9} {:>9}".format(*head))
    for label, loop, one, two in rows:
        print(
            f"{label:8} {loop:10.1f}s {one:8.1f}s {two:8.1f}s {loop / one:8.2f}x {loop / two:8.2f}x"
        )


if __name__ == "__main__":
    main()
