"""A batch of reports with the city's own workbook (``--data``) against one without.

Not a test. The main job's units (the cities Yên Bái and Nghĩa Lộ and their province),
this year, in Vietnamese, run twice: on the bundled data alone, then with a collection
workbook for Nghĩa Lộ written by ``learningcity template`` and filled with illustrative
values (made up here, labelled so in the workbook; never written into data/). The
workbook is read once and the shared context is built once per run; each report then
scores its own unit (and its interval over the method variants) in its kernel.

Usage: ``python benchmarks/bench_local_data.py [--jobs N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from pathlib import Path

from bench_reports import BIN, timed

UNITS = ["Yên Bái", "Nghĩa Lộ", "Tỉnh Lào Cai"]
ILLUSTRATIVE = "illustrative, made up by the benchmark"
FILL = {"literacy_rate_15plus": 96.5, "poverty_rate": 8.0, "learning_families_share": 72,
        "learning_clans_share": 65, "learning_communities_share": 60, "clc_ict_share": 80,
        "learning_citizens_share": 35}  # fmt: skip


def workbook(path: Path) -> Path:
    """Nghĩa Lộ's template, filled with the illustrative values above."""
    import openpyxl

    from learningcity.workbook import write_template

    write_template(path, unit="Nghĩa Lộ", year=2025)
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        head = [c.value for c in sheet[1]]
        if "indicator" not in head:
            continue
        for r in range(2, sheet.max_row + 1):
            var = sheet.cell(r, head.index("indicator") + 1).value
            if var in FILL:
                for col, v in {"year": 2025, "value": FILL[var], "source_id": "bench",
                               "note": ILLUSTRATIVE}.items():  # fmt: skip
                    sheet.cell(r, head.index(col) + 1, v)
    names = [c.value for c in book["Sources"][1]]
    row = {"source_id": "bench", "publisher": ILLUSTRATIVE, "document": ILLUSTRATIVE}
    book["Sources"].append([row.get(n, "") for n in names])
    book.save(path)
    return path


def run(out: Path, jobs: int, data: Path | None) -> tuple[float, float, list[float]]:
    """Wall time, the shared context's seconds and each report's seconds."""
    command = [str(BIN / "learningcity"), "report", *UNITS, "--quiet", "--year",
               str(dt.date.today().year), "--out", str(out), "--jobs", str(jobs)]  # fmt: skip
    if data is not None:
        command += ["--data", str(data)]
    seconds = timed(command)
    (manifest,) = out.rglob("manifest.json")
    last = json.loads(manifest.read_text(encoding="utf-8"))["runs"][-1]
    return seconds, last["context"]["seconds"], [r["duration_s"] for r in last["reports"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-local-"))
    try:
        book = workbook(tmp / "nghia-lo.xlsx")
        for label, data in (("bundled data only", None), ("with Nghĩa Lộ's workbook", book)):
            times = []
            for i in range(args.repeat):
                t0 = time.perf_counter()
                wall, context, reports = run(tmp / f"{label[:4]}-{i}", args.jobs, data)
                times.append(wall)
                print(f"{label}: {wall:.1f} s (context {context:.1f} s, reports "
                      f"{', '.join(f'{r:.1f}' for r in reports)} s; "
                      f"{time.perf_counter() - t0:.1f} s)")  # fmt: skip
            print(f"{label}: best of {args.repeat}: {min(times):.1f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
