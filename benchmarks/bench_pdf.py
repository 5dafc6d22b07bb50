"""A batch of reports with their PDF copies against the same batch in HTML only.

Not a test. The main job's city reports (Yên Bái and Nghĩa Lộ) and their province,
this year, ``--jobs 2``: once with ``--format html``, once with the default
``html,pdf`` (each PDF printed by headless Chromium in the worker that ran the
report). Needs Chromium.

Usage: ``python benchmarks/bench_pdf.py [--repeat R]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
from pathlib import Path

from bench_reports import BIN, timed

UNITS = ["Yên Bái", "Nghĩa Lộ", "Tỉnh Lào Cai"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    year = str(dt.date.today().year)
    try:
        for fmt in ("html", "html,pdf"):
            times = []
            for i in range(args.repeat):
                out = tmp / f"{fmt.replace(',', '-')}-{i}"
                times.append(timed([str(BIN / "learningcity"), "report", *UNITS, "--quiet",
                                    "--year", year, "--out", str(out), "--jobs", "2",
                                    "--format", fmt]))  # fmt: skip
            pdfs = sorted(out.rglob("*.pdf"))
            size = sum(p.stat().st_size for p in pdfs) / 1e6
            print(f"--format {fmt}: best of {args.repeat}: {min(times):.1f} s "
                  f"({len(pdfs)} PDF, {size:.1f} MB)")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
