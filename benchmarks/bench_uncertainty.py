"""Time and peak memory of the Monte Carlo uncertainty analysis.

Not a test.  Usage::

    python benchmarks/bench_uncertainty.py [--reps 1000] [--case province|asem|synthetic|all]

Three cases:

* ``province``: the bundled GSO table of the 63 provinces (2016, the indicators
  with data for most provinces), real data.
* ``asem``: 51 generated units x 49 indicators in 8 focus areas and 2 areas,
  the size and shape of COINr's ASEM example (51 countries, 49 indicators,
  8 pillars, 2 sub-indices); random numbers, not the ASEM data.
* ``synthetic``: 10,600 generated units x 50 indicators (12 focus areas,
  3 areas, 5 % missing).  The numbers are random and mean nothing: they
  exist only to time the code at the size of all Vietnamese communes.

Each case runs in a fresh process so that the peak resident memory
(``ru_maxrss``) is that case's own; ``tracemalloc`` gives the peak of the
arrays allocated during the run.  The space varies weights (noise 0.25),
normaliser (3), imputation (2), the area and overall aggregators (2 each) and
drops 2 indicators: 7 factors.  The province case also times the Sobol
analysis (base sample 256, every unit's rank and the mean rank shift as
outputs, 500 bootstrap resamples).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd


def province_case() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    from learningcity.data import load_bundled_observations
    from learningcity.framework import load_framework
    from learningcity.indicators import derive_indicators, to_wide

    meta = load_framework().indicator_table()
    obs = load_bundled_observations()
    tidy = pd.concat([obs, derive_indicators(obs)], ignore_index=True)
    wide = to_wide(tidy[tidy["level"] == "province"], 2016, meta.index)
    keep = wide.columns[wide.notna().mean() > 0.5]
    space = {
        "normalisers": ["minmax", "rank", "goalposts"],
        "imputations": ["none", "mean"],
        "aggregators": {
            "area": ["arithmetic", "geometric"],
            "overall": ["arithmetic", "geometric"],
        },
        "weight_noise": 0.25,
        "drop": ["literacy_rate", "electricity_access"],
    }
    return wide[keep], meta.loc[keep], space


def synthetic_case(
    n_units: int = 10_600, n_ind: int = 50
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    rng = np.random.default_rng(2026)
    ids = [f"x{i:02d}" for i in range(n_ind)]
    fa = [f"{1 + i % 3}.{1 + (i // 3) % 4}" for i in range(n_ind)]  # 12 focus areas
    meta = pd.DataFrame({"focus_area": fa, "area": [f[0] for f in fa]}, index=ids)
    values = rng.lognormal(mean=3.0, sigma=0.5, size=(n_units, n_ind))
    values[rng.random(values.shape) < 0.05] = np.nan
    units = [f"{i:05d}" for i in range(n_units)]
    data = pd.DataFrame(values, index=units, columns=ids)
    space = {
        "normalisers": ["minmax", "rank", "prank"],
        "imputations": ["none", "mean"],
        "aggregators": {
            "area": ["arithmetic", "geometric"],
            "overall": ["arithmetic", "geometric"],
        },
        "weight_noise": 0.25,
        "drop": ["x00", "x01"],
    }
    return data, meta, space


def asem_case() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    rng = np.random.default_rng(2014)
    sizes = (5, 7, 5, 7, 6, 7, 8, 4)  # 49 indicators in 8 pillars
    fa = [f"{1 + (j >= 5)}.{j + 1}" for j, k in enumerate(sizes) for _ in range(k)]
    ids = [f"i{i:02d}" for i in range(len(fa))]
    meta = pd.DataFrame({"focus_area": fa, "area": [f[0] for f in fa]}, index=ids)
    values = rng.lognormal(mean=3.0, sigma=0.5, size=(51, len(ids)))
    values[rng.random(values.shape) < 0.03] = np.nan
    data = pd.DataFrame(values, index=[f"c{i:02d}" for i in range(51)], columns=ids)
    space = {
        "normalisers": ["minmax", "rank", "prank"],
        "imputations": ["none", "mean"],
        "aggregators": {
            "area": ["arithmetic", "geometric"],
            "overall": ["arithmetic", "geometric"],
        },
        "weight_noise": 0.25,
        "drop": ["i00", "i01"],
    }
    return data, meta, space


CASES = {"province": province_case, "asem": asem_case, "synthetic": synthetic_case}


def run(case: str, reps: int) -> dict:
    from learningcity.uncertainty import ParameterSpace, RankModel, evaluate_chunked

    data, meta, space_dict = CASES[case]()
    space = ParameterSpace.from_dict(space_dict)
    tracemalloc.start()
    t0 = time.perf_counter()
    model = RankModel(
        data, meta, space, {"treat": {"method": "none"}} if case != "province" else None
    )
    t1 = time.perf_counter()
    u = np.random.default_rng(0).random((reps, len(model.factors)))
    levels = ("overall",) if case == "synthetic" else ("area", "overall")
    scores, ranks = evaluate_chunked(model, u, levels, progress=False)
    t2 = time.perf_counter()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    sobol = {}
    if case == "province":
        from learningcity.sensitivity import sensitivity_analysis

        t3 = time.perf_counter()
        sens = sensitivity_analysis(data, meta, space, n=256, seed=0, n_boot=500)
        sobol = {
            "sobol_runs": len(sens.inputs),
            "sobol_outputs": sens.outputs.shape[1],
            "sobol_s": round(time.perf_counter() - t3, 3),
        }
    return {
        **sobol,
        "case": case,
        "units": data.shape[0],
        "indicators": data.shape[1],
        "factors": len(model.factors),
        "replications": reps,
        "setup_s": round(t1 - t0, 3),
        "monte_carlo_s": round(t2 - t1, 3),
        "ms_per_replication": round(1000 * (t2 - t1) / reps, 3),
        "tracemalloc_peak_mb": round(peak / 2**20, 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--case", choices=(*CASES, "all"), default="all")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run(args.case, args.reps)))
        return
    cases = tuple(CASES) if args.case == "all" else (args.case,)
    for case in cases:
        out = subprocess.run(
            [sys.executable, __file__, "--one", "--case", case, "--reps", str(args.reps)],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['case']:>9}: {r['units']} units x {r['indicators']} indicators, "
            f"{r['factors']} factors, {r['replications']} replications: "
            f"setup {r['setup_s']} s, Monte Carlo {r['monte_carlo_s']} s "
            f"({r['ms_per_replication']} ms per replication), "
            f"peak traced {r['tracemalloc_peak_mb']} MB, max RSS {r['max_rss_mb']} MB"
        )
        if "sobol_s" in r:
            print(
                f"{'':>9}  Sobol (n = 256, {r['sobol_runs']} runs, {r['sobol_outputs']} outputs, "
                f"500 bootstrap resamples, setup included): {r['sobol_s']} s"
            )


if __name__ == "__main__":
    main()
