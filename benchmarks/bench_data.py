"""Time of reading and validating observation files and deriving indicators.

Not a test. Usage: ``python benchmarks/bench_data.py [--repeat N] [--big-rows N]``.
Prints the median wall time of each operation after one warm-up call (which
imports pandera and loads the framework, units and sources), then reads two
generated long CSV files of ``--big-rows`` rows (default 1,000,000; 0 skips
them) in a fresh process each and prints the seconds of ``read_observations``
and the process's peak resident memory:

* ``long``: about 77 bytes a row (77 MB for a million rows), ``;``-separated
  Vietnamese numbers ("57,4", "trên 99%"), communes x years x 10 variables;
* ``notes``: the same rows with a quoted note of about 120 characters on each
  (about 200 MB), as a file exported from a collection sheet would have.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from learningcity.data import load_bundled_observations, read_observations
from learningcity.indicators import derive_indicators, to_wide
from learningcity.numbers import parse_number
from learningcity.paths import data_dir
from learningcity.units import load_units
from learningcity.workbook import write_template

# (variable, kind of value written, source); every value is within its valid range.
_VARIABLES = [
    ("population", "count", "gso-t-area-population"),
    ("libraries", "small", "gso-t-libraries"),
    ("kindergartens", "small", "gso-t-kindergartens"),
    ("general_pupils", "count", "gso-t-general-pupils"),
    ("area_km2", "decimal", "gso-t-area-population"),
    ("poverty_rate", "share", "gso-t-poverty"),
    ("literacy_rate_15plus", "share", "gso-t-literacy-15plus"),
    ("trained_workers_share", "share", "gso-t-trained-workers"),
    ("households_with_electricity_share", "share", "gso-t-electricity"),
    ("urban_population_share", "share", "gso-t-area-population"),
]
_NOTE = (
    '"Số liệu ước tính, theo báo cáo của UBND xã; chưa kiểm tra với niên giám thống kê, '
    'xem ghi chú ở trang 12, bảng 3 (bản in)"'
)


def write_big_csv(path: Path, rows: int, notes: bool = False, seed: int = 0) -> int:
    """Write a valid long CSV of about ``rows`` rows; return the rows written."""
    units = load_units()
    communes = units[(units["level"] == "commune") & (units["valid_to"] == "2025-06-30")]
    per_unit = 10 * len(_VARIABLES)  # years 2016-2025
    communes = communes.head(max(1, -(-rows // per_unit)))
    rng = np.random.default_rng(seed)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("unit_code;unit_name;level;year;indicator;value;qualifier;source_id;note\n")
        for code, name in zip(communes["code"], communes["name"], strict=True):
            lines = []
            for year in range(2016, 2026):
                for variable, kind, source in _VARIABLES:
                    if written == rows:
                        break
                    r = rng.random()
                    if kind == "count":
                        value = str(int(1000 + 30000 * r))
                    elif kind == "small":
                        value = str(int(20 * r))
                    elif kind == "decimal":
                        value = f"{5 + 80 * r:.2f}".replace(".", ",")
                    elif r < 0.01:
                        value = "trên 99%"
                    elif r < 0.02:
                        value = ""
                    else:
                        value = f"{100 * r:.1f}".replace(".", ",")
                    note = _NOTE if notes else ("chưa công bố" if value == "" else "")
                    lines.append(
                        f"{code};{name};commune;{year};{variable};{value};;{source};{note}\n"
                    )
                    written += 1
            out.write("".join(lines))
    return written


_CHILD = """
import json, resource, sys, time
from learningcity.data import read_observations
t0 = time.perf_counter()
obs = read_observations(sys.argv[1])
seconds = time.perf_counter() - t0
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "rows": len(obs)}))
"""


def measure_big(path: Path) -> dict:
    """Read ``path`` in a fresh interpreter; seconds of the call and peak RSS (MB)."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"reading {path} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


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
    parser.add_argument("--big-rows", type=int, default=1_000_000, help="0: skip big files")
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
    if args.big_rows:
        with tempfile.TemporaryDirectory() as big:
            for label, notes in (("long", False), ("notes", True)):
                path = Path(big) / f"{label}.csv"
                n = write_big_csv(path, args.big_rows, notes=notes)
                size = path.stat().st_size / 1e6
                got = measure_big(path)
                print(
                    f"{got['seconds']:9.1f} s   read_observations({label}: {n:,} rows, "
                    f"{size:.0f} MB), peak RSS {got['peak_mb']:.0f} MB"
                )
                path.unlink()


if __name__ == "__main__":
    main()
