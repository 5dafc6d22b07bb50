"""Time of unit look-ups, the crosswalk and city aggregation.

Not a test. Usage: ``python benchmarks/bench_units.py [--repeat N]``. Prints the
median wall time of each operation after one warm-up call (which loads and
caches the bundled tables).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from learningcity.cities import aggregate_to_city, city_members
from learningcity.crosswalk import crosswalk
from learningcity.units import load_units, resolve_unit, search_units


def median_ms(func, repeat: int) -> float:
    func()  # warm-up: loads and caches the tables
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    t0 = time.perf_counter()
    units = load_units()
    first_load = 1000 * (time.perf_counter() - t0)

    members = city_members("Nghĩa Lộ", "2024-01-01")
    rng = np.random.default_rng(0)
    tidy = pd.DataFrame(
        {
            "unit_code": np.repeat(members["code"].to_numpy(), 6),
            "year": np.tile(np.arange(2019, 2025), len(members)),
            "indicator": "learners",
            "value": rng.integers(0, 500, 6 * len(members)).astype(float),
            "source_id": "synthetic",
        }
    )
    cases = {
        "resolve_unit by code ('133')": lambda: resolve_unit("133"),
        "resolve_unit by name ('TX Nghia Lo')": lambda: resolve_unit("TX Nghia Lo"),
        "search_units('Nghia Lo')": lambda: search_units("Nghia Lo"),
        "crosswalk(level='district')": lambda: crosswalk(level="district"),
        "city_members('Nghĩa Lộ', 2024-01-01)": lambda: city_members("Nghĩa Lộ", "2024-01-01"),
        "aggregate_to_city, 14 communes x 6 years": lambda: aggregate_to_city(tidy, "nghia-lo"),
    }
    print(f"units table: {len(units)} rows, first load {first_load:.0f} ms")
    for name, func in cases.items():
        print(f"{name:45s} {median_ms(func, args.repeat):8.1f} ms")


if __name__ == "__main__":
    main()
