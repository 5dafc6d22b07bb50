"""Time of reading and validating observation files and deriving indicators.

Not a test. Usage: ``python benchmarks/bench_data.py [--repeat N]``. Prints the
median wall time of each operation after one warm-up call (which imports
pandera and loads the framework, units and sources).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from learningcity.data import load_bundled_observations, read_observations
from learningcity.indicators import derive_indicators, to_wide
from learningcity.numbers import parse_number
from learningcity.paths import data_dir
from learningcity.workbook import write_template


def median_ms(func, repeat: int) -> float:
    func()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    biggest = max((data_dir() / "observations").glob("*.csv"), key=lambda p: p.stat().st_size)
    rows = sum(1 for _ in biggest.open(encoding="utf-8")) - 1
    tidy = load_bundled_observations()
    folder = Path(tempfile.mkdtemp())
    results = {
        f"read_observations({biggest.name}, {rows} rows)": median_ms(
            lambda: read_observations(biggest), args.repeat
        ),
        f"load_bundled_observations() ({len(tidy)} rows)": median_ms(
            load_bundled_observations, args.repeat
        ),
        "derive_indicators(all indicators, bundled data)": median_ms(
            lambda: derive_indicators(tidy), args.repeat
        ),
        "to_wide(bundled data, 2016)": median_ms(lambda: to_wide(tidy, 2016), args.repeat),
        "parse_number x 10,000": median_ms(
            lambda: [parse_number("1.234.567,8") for _ in range(10_000)], args.repeat
        ),
        "write_template(xlsx)": median_ms(
            lambda: write_template(folder / "t.xlsx", overwrite=True), args.repeat
        ),
    }
    for name, ms in results.items():
        print(f"{ms:9.1f} ms  {name}")


if __name__ == "__main__":
    main()
