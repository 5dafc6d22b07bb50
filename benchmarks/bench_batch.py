"""Batch of planner reports: `learningcity report` against a papermill + nbconvert loop.

Not a test. The batch of issue 8: the 9 district-level units of Yên Bái plus the
63 provinces (72 reports), city template, year 2023, Vietnamese. Compares

* ``learningcity report <72 units> --jobs N`` (shared context computed once, warm
  kernels, in-process rendering), with
* the shell loop a user would write: for each unit ``papermill`` then
  ``jupyter nbconvert --to html --no-input``, each a fresh process (the notebook
  then computes its own context).

Usage: ``python benchmarks/bench_batch.py [--limit K] [--jobs N]``; ``--limit``
takes the first K units of the batch for a quicker, smaller comparison.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

# The two ways of running a batch are timed exactly as in bench_reports.py.
from bench_reports import YEN_BAI_UNITS as YEN_BAI
from bench_reports import learningcity, shell_loop


def batch_units() -> list[str]:
    from learningcity.units import units_at

    return YEN_BAI + sorted(units_at("2016-12-31", "province")["code"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first K units only")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-loop", action="store_true", help="time learningcity only")
    args = parser.parse_args()
    units = batch_units()[: args.limit]
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        ours = learningcity(units, tmp / "lc", args.jobs)
        html = sorted((tmp / "lc").rglob("*.html"))
        print(
            f"learningcity report, {len(units)} units, --jobs {args.jobs}: {ours:.1f} s "
            f"({ours / len(units):.2f} s per report, {len(html) - 1} HTML reports)"
        )
        if not args.skip_loop:
            loop = shell_loop(units, tmp / "loop")
            print(
                f"papermill + nbconvert loop, {len(units)} units: {loop:.1f} s "
                f"({loop / len(units):.2f} s per report)"
            )
            print(f"ratio: {loop / ours:.1f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
