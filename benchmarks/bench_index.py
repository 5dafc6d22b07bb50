"""Benchmark of the readiness index engine (timing only, not a test).

Runs :func:`learningcity.index.build_index` on

* a generated table of 10,600 units x 50 indicators.  The numbers are SYNTHETIC
  (random, seeded), made only to time the engine at the size of Vietnam's
  commune-level units; they describe no real place;
* a small table the size of Vietnam's 34 provinces x 50 indicators (also synthetic);
* a table of 51 units x 49 indicators (synthetic), the size of a province's
  communes and wards with the shipped framework, under the default spec (outlier
  treatment ``auto``: winsorise, then transform), where the outlier step weighs most;
* the bundled province data, ``data/observations/provinces-gso.csv``, with the
  shipped framework, when both exist.

Reports the best wall and CPU time of a few runs (CPU time is steadier on a
shared machine) and the peak Python memory (tracemalloc, measured in a separate
run because tracing slows the code).

Usage::

    .venv/bin/python benchmarks/bench_index.py [--repeat 3]
"""

from __future__ import annotations

import os

# One core, as the goal says (set before numpy loads its BLAS).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from learningcity.index import build_index  # noqa: E402


def synthetic(n_units: int, n_ind: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random table and metadata (12 focus areas, 3 areas); 5 % missing, some skewed."""
    rng = np.random.default_rng(seed)
    x = rng.normal(50, 15, size=(n_units, n_ind))
    skewed = rng.choice(n_ind, size=max(1, n_ind // 5), replace=False)
    x[:, skewed] = rng.lognormal(2, 1.2, size=(n_units, len(skewed)))
    x[rng.random(x.shape) < 0.05] = np.nan
    cols = [f"ind_{j:02d}" for j in range(n_ind)]
    focus = [f"{1 + (j % 12) // 4}.{1 + (j % 12) % 4}" for j in range(n_ind)]
    meta = pd.DataFrame(
        {
            "focus_area": focus,
            "area": [f[0] for f in focus],
            "direction": rng.choice([1, -1], size=n_ind),
            "weight": 1.0,
        },
        index=cols,
    )
    units = [f"{i:05d}" for i in range(n_units)]
    return pd.DataFrame(x, index=pd.Index(units, name="unit_code"), columns=cols), meta


def bundled() -> tuple[pd.DataFrame, pd.DataFrame, int] | None:
    """Province indicators derived from the bundled data, for its best-covered year."""
    from learningcity.paths import data_dir

    path = data_dir() / "observations" / "provinces-gso.csv"
    if not path.is_file():
        return None
    from learningcity.data import read_observations
    from learningcity.framework import load_framework
    from learningcity.indicators import derive_indicators, to_wide

    meta = load_framework().indicator_table()
    tidy = read_observations(path, validate=False)  # timing only: validation is not timed
    tidy = tidy[tidy["level"] == "province"]
    derived = derive_indicators(tidy, max_lag=4)
    derived = derived[derived["value"].notna()]
    if derived.empty:
        return None
    year = int(derived.groupby("year")["value"].size().idxmax())
    wide = to_wide(derived, year, indicators=meta.index)
    return wide, meta, year


def measure(label: str, data, meta, spec, repeat: int) -> None:
    times, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        build_index(data, meta, spec)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    tracemalloc.start()
    build_index(data, meta, spec)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    shape = f"{data.shape[0]:>6} x {data.shape[1]:<3}"
    print(
        f"{label:<44} {shape} wall {min(times):6.3f} s  cpu {min(cpu):6.3f} s  "
        f"peak {peak / 2**20:6.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    default = None  # treat auto, min-max, arithmetic at every level
    imputed = {"impute": {"method": "mean"}}
    geo = {
        "impute": {"method": "mean"},
        "aggregate": {"area": {"method": "geometric", "zero_policy": "shift"}},
    }
    big = synthetic(10_600, 50)
    small = synthetic(34, 50, seed=1)
    mid = synthetic(51, 49, seed=2)
    print("learningcity index benchmark (synthetic tables are random numbers, for timing only)")
    measure("synthetic 10,600 units, default spec", *big, default, args.repeat)
    measure("synthetic 10,600 units, mean imputation", *big, imputed, args.repeat)
    measure("synthetic 10,600 units, + geometric areas", *big, geo, args.repeat)
    measure("synthetic 34 units, default spec", *small, default, args.repeat)
    measure("synthetic 51 units, default spec (treat auto)", *mid, default, args.repeat)
    try:
        real = bundled()
    except Exception as exc:  # the bundled data is another module's, still changing
        print(f"bundled data/observations/provinces-gso.csv: skipped ({exc})")
        return
    if real is None:
        print("bundled data/observations/provinces-gso.csv: not available, skipped")
    else:
        wide, meta, year = real
        label = f"bundled provinces-gso.csv ({year}), goalposts"
        measure(label, wide, meta, {"normalise": {"method": "goalposts"}}, args.repeat)


if __name__ == "__main__":
    main()
