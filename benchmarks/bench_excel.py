"""Time of reading Excel workbooks: learningcity.excel against the openpyxl reader it replaced.

Not a test. Usage: ``python benchmarks/bench_excel.py [--rows N] [--repeat N]``.
Writes the collection template and a workbook of N observation rows (50,000
by default, written by openpyxl) to a temporary folder, then prints the
median wall time of each reading after one warm-up call. Validation is left
out of the end-to-end time: it is data.py's, timed by bench_data.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from learningcity.data import read_observations
from learningcity.excel import observation_blocks
from learningcity.workbook import write_template

# The previous reader (openpyxl), as the baseline: the same one the tests compare with.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from tests_support import openpyxl_blocks


def median_ms(func, repeat: int) -> float:
    func()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def write_rows(path: Path, n: int) -> Path:
    """N rows of the long layout: district codes x years 1990-2025 x four indicators."""
    from learningcity.units import load_units

    units = load_units()
    codes = sorted(set(units.loc[units["level"] == "district", "code"]))
    indicators = ["population", "libraries", "poverty_rate", "learning_families_share"]
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Data")
    columns = ["unit_code", "unit_name", "level", "year", "indicator", "value"]
    sheet.append([*columns, "qualifier", "source_id", "note"])
    for i in range(n):
        ind, rest = indicators[i % 4], i // 4
        year, code = 1990 + rest % 36, codes[rest // 36 % len(codes)]
        note = "ước tính" if i % 7 == 0 else None
        sheet.append([code, None, "district", year, ind, 10 + i % 80, "", "gso-census-2019", note])
    book.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    template = write_template(folder / "template.xlsx")
    big = write_rows(folder / "rows.xlsx", args.rows)
    results = {}
    for label, path in (("template", template), (f"{args.rows:,} rows", big)):
        results[f"openpyxl reader (before), {label}"] = median_ms(
            lambda p=path: openpyxl_blocks(p), args.repeat
        )
        results[f"excel.observation_blocks, {label}"] = median_ms(
            lambda p=path: observation_blocks(p), args.repeat
        )
        results[f"read_observations(validate=False), {label}"] = median_ms(
            lambda p=path: read_observations(p, validate=False), args.repeat
        )
    for name, ms in results.items():
        print(f"{ms:9.1f} ms  {name}")


if __name__ == "__main__":
    main()
