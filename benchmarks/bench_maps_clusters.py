"""Time of the boundary join, a district choropleth and the clustering steps.

Not a test. Usage: ``python benchmarks/bench_maps_clusters.py [--repeat N]``.
Shapes are synthetic grid squares named after the 696 pre-2025 districts (ASCII
spellings, so the join goes through name matching within each province); the
indicator values are random. Prints the median wall time of each operation.
"""

from __future__ import annotations

import argparse
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from shapely.geometry import box

from learningcity import clusters, geo, plots
from learningcity.text import strip_diacritics
from learningcity.units import load_units


def median_ms(func, repeat: int) -> float:
    func()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
        plt.close("all")
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    units = load_units()
    districts = units[(units["level"] == "district") & (units["valid_to"] == "2025-06-30")]
    n = len(districts)
    side = int(np.ceil(np.sqrt(n)))
    shapes = gpd.GeoDataFrame(
        {
            "shapeName": [strip_diacritics(x) for x in districts["name"]],
            "province": districts["parent_code"].to_numpy(),
        },
        geometry=[box(i % side, i // side, i % side + 1, i // side + 1) for i in range(n)],
        crs="EPSG:4326",
    )
    rng = np.random.default_rng(0)
    data = pd.DataFrame(
        {
            "unit_code": districts["code"].to_numpy(),
            "unit_name": districts["name"].to_numpy(),
            "province": districts["parent_code"].to_numpy(),
            "score": rng.uniform(0, 100, n),
        }
    )
    joined, report = geo.join_units(
        data, shapes, parent_col="province", shape_parent_col="province"
    )
    matrix = pd.DataFrame(
        rng.normal(size=(63, 12)), columns=[f"{a}.{b}" for a in (1, 2, 3) for b in range(1, 5)]
    )
    cases = {
        f"join_units, {n} districts by name within province": lambda: geo.join_units(
            data, shapes, parent_col="province", shape_parent_col="province"
        ),
        f"choropleth, {n} polygons, natural breaks": lambda: plots.choropleth(
            joined, "score", "natural_breaks"
        ),
        "choose_k, 63 units x 12, k 2..8, 3 methods": lambda: clusters.choose_k(
            matrix, range(2, 9)
        ),
        "stability, k-means k=4, 100 replicates": lambda: clusters.stability(
            matrix, "kmeans", 4, n_boot=100
        ),
        "peers, 63 units": lambda: clusters.peers(matrix, 0, n=5),
    }
    print(f"join: {len(report.matched)} matched, {len(report.unmatched_data)} unmatched")
    for label, func in cases.items():
        print(f"{label:55s} {median_ms(func, args.repeat):9.1f} ms")


if __name__ == "__main__":
    main()
