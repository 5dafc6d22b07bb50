"""Rebuild the boundary polygons shipped in ``data/geo/boundaries/``.

Maintenance script, not used at run time or by the package. It turns two
geoBoundaries files of Viet Nam (ADM1 provinces and ADM2 districts, in the
format geoBoundaries publishes: a ``shapeName`` per feature) into three small
GeoJSON files with the project's GSO codes:

* ``provinces-63.geojson``: the 63 provinces before 1 July 2025;
* ``provinces-34.geojson``: the 34 provinces from 1 July 2025, each the union of
  its predecessors through the project's province crosswalk (provinces merged
  whole), checked against the 34 provinces of ``data/units/units.csv``;
* ``districts-yen-bai.geojson``: the 9 district-level units of Yên Bái before
  1 July 2025.

Steps: names are matched to codes with :func:`learningcity.geo.attach_codes`
(every unit must match, both ways, or the build stops); the 62 other provinces
and the 9 Yên Bái districts are simplified together as one coverage with
:func:`shapely.coverage_simplify`, so an edge shared by two units stays shared
and Yên Bái province is exactly the union of its districts; coordinates are
snapped to a 1e-5 degree grid; checks (validity, no overlaps, no new gaps,
areas) run before anything is written; ``metadata.json`` records the inputs
and their SHA-256, the licence, the attribution, the tolerance and the SHA-256
of every file written.

Inputs, either as files (a ``.zip`` of a shapefile, ``.shp``, ``.geojson``)::

    python scripts/build_boundaries.py --adm1 VNM-ADM1-shp.zip --adm2 VNM-ADM2-shp.zip

or downloaded (once, checked and cached) with the package's pooch-based
geoBoundaries download, :func:`learningcity.geo.fetch_geoboundaries`::

    python scripts/build_boundaries.py --fetch

The shipped files were built from the geoBoundaries 2.0.1 release of Viet Nam
(Open Development Mekong data) as mirrored in the public repository
``hikaya-io/admin-boundaries``; ``KNOWN_INPUTS`` below identifies those files
by SHA-256. ``data/geo/boundaries/README.md`` tells the whole provenance.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "geo" / "boundaries"

#: Simplification tolerance in degrees (about 200 m at Viet Nam's latitudes).
TOLERANCE = 0.002
#: Coordinates are snapped to this grid (degrees; about 1 m).
GRID = 1e-5
#: Equal-area projection used for every area check (World Cylindrical Equal Area).
EQUAL_AREA = "EPSG:6933"
#: The data of a year refer to the units in force at its end: 2024 is the last old year.
OLD_YEAR = 2024
YEN_BAI = "15"
#: Province names the name folding cannot bridge: unit name -> geoBoundaries shapeName.
ALIASES = {"Huế": "Thua Thien - Hue"}

# The files the shipped data were built from, by SHA-256.
_MIRROR = "github.com/hikaya-io/admin-boundaries"
_MIRROR_COMMIT = "9716140bf21f864282eb5ec7f253a8bd4cc137f8"
KNOWN_INPUTS = {
    "288a3792263e4e9f5fb12c865f742f74ba5e379ba5ad1c5a8f007a45f53d2799": {
        "dataset": "geoBoundaries 2.0.1, gbOpen VNM ADM1 (boundaryID VNM-ADM1-2_0_1-G602)",
        "repository": _MIRROR,
        "commit": _MIRROR_COMMIT,
        "path": "data/VNM/ADM1/VNM-ADM1-shp.zip",
        "upstream": "https://vietnam.opendevelopmentmekong.net/dataset?id=a-phn-tnh",
    },
    "0e9f00ea4519501f574f918a964f3f5389ce4ba98f141d06931e018b4339751f": {
        "dataset": "geoBoundaries 2.0.1, gbOpen VNM ADM2 (boundaryID VNM-ADM2-2_0_1-G603)",
        "repository": _MIRROR,
        "commit": _MIRROR_COMMIT,
        "path": "data/VNM/ADM2/VNM-ADM2-shp.zip",
        "upstream": "https://vietnam.opendevelopmentmekong.net/dataset?id=a-phn-huyn",
    },
}

#: Who made the data and under which licence (see data/geo/boundaries/README.md).
SOURCES = [
    {
        "name": "Open Development Mekong (Open Development Vietnam): Địa phận tỉnh "
        "(a-phn-tnh) and Địa phận huyện (a-phn-huyn); data of the Dept of Survey and "
        "Mapping, boundary year 2016",
        "licence": "CC BY-SA 4.0",
        "url": "https://vietnam.opendevelopmentmekong.net/dataset?id=a-phn-huyn",
    },
    {
        "name": "geoBoundaries gbOpen VNM (Runfola et al. 2020, PLoS ONE 15(4): e0231866)",
        "licence": "CC BY-SA 4.0 (boundaryLicense of VNM-ADM1-84948121 and "
        "VNM-ADM2-79192599, the 2021 release of the same Open Development Mekong data)",
        "url": "https://github.com/wmgeolab/geoBoundaries",
        "metadata": [
            "releaseData/gbOpen/VNM/ADM1/geoBoundaries-VNM-ADM1-metaData.json at commit "
            "3b2236a22d63e8753b82da69fc04981186ecf04d",
            "releaseData/gbOpen/VNM/ADM2/geoBoundaries-VNM-ADM2-metaData.json at commit "
            "09a620d117481744385555d0ca8bfae237b00536",
        ],
    },
]
NOTES = [
    "The input files are the geoBoundaries 2.0.1 release (2020). Its metadata gave the "
    "licence as 'Other - Organization Specific: free to copy, adapt, redistribute data for "
    "non-commercial use', citing Open Development Mekong's general terms of use. The 2021 "
    "release of the same data (same Open Development Mekong datasets, same sources, same "
    "boundary year; the vertices of its simplified provinces are vertices of the 2.0.1 "
    "provinces) cites the datasets' own pages and gives CC BY-SA 4.0, which these derived "
    "files carry (share-alike).",
    "Boundaries are those of 2016: the 1 Feb 2020 move of seven communes from Văn Chấn to "
    "Nghĩa Lộ (Res. 871/NQ-UBTVQH14) is not drawn.",
    "The 34 provinces are unions of their predecessors (provinces merged whole on "
    "1 July 2025); no new boundary was surveyed.",
    "No commune (ward) polygons are shipped: no source with a redistributable licence was "
    "found for the communes of Yên Bái city and Nghĩa Lộ.",
]

LICENCE = "CC BY-SA 4.0"
ATTRIBUTION = (
    "Boundaries: Open Development Mekong / Dept of Survey and Mapping (2016 units) "
    "via geoBoundaries (Runfola et al. 2020), CC BY-SA 4.0, simplified"
)

FILES = {
    "provinces-63": "provinces-63.geojson",
    "provinces-34": "provinces-34.geojson",
    "districts-yen-bai": "districts-yen-bai.geojson",
}


class BuildError(RuntimeError):
    """A check failed; nothing was written."""


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file (the package's own helper)."""
    from learningcity.files import sha256_file

    return sha256_file(path)


# --------------------------------------------------------------------------- inputs


def _read(path: Path):
    from learningcity import geo

    frame = geo.read_boundaries(path)
    if "shapeName" not in frame.columns:
        raise BuildError(f"{path}: no 'shapeName' column (not a geoBoundaries file?)")
    frame = frame.to_crs("EPSG:4326")[["shapeName", "geometry"]]
    frame["geometry"] = shapely.make_valid(frame.geometry.values)
    return frame


def _one_row_per_unit(frame):
    """geoBoundaries splits some units into one feature per island: merge them by name."""
    return frame.dissolve("shapeName", sort=False).reset_index()


def _input_record(path: Path, role: str, origin: dict | None = None) -> dict:
    digest = sha256(path)
    record = {"role": role, "file": path.name, "sha256": digest, "bytes": path.stat().st_size}
    known = KNOWN_INPUTS.get(digest)
    if known:
        record.update(known)
    elif origin:
        record.update(origin)
    else:
        record["origin"] = "a file given by the user; not one of the known inputs"
        print(f"warning: {path.name} is not a known input (SHA-256 {digest})", file=sys.stderr)
    return record


# --------------------------------------------------------------------------- steps


def code_units(adm1, adm2):
    """Coded provinces (63) and Yên Bái districts (9); stop on any unmatched unit."""
    from learningcity import geo
    from learningcity.units import load_units

    provinces, report = geo.attach_codes(
        _one_row_per_unit(adm1), "province", OLD_YEAR, aliases=ALIASES
    )
    if not (report.ok and report.unmatched_shapes.empty) or len(provinces) != 63:
        raise BuildError(f"provinces do not all match their codes:\n{report}")
    units = load_units()
    districts = units[(units["level"] == "district") & (units["parent_code"] == YEN_BAI)]
    yen_bai = provinces.loc[provinces["unit_code"] == YEN_BAI, "geometry"].iloc[0]
    # Names repeat across provinces (eleven Châu Thành): keep Yên Bái's features first.
    inside = _one_row_per_unit(adm2[adm2.geometry.representative_point().within(yen_bai)])
    coded, dreport = geo.attach_codes(
        inside, "district", OLD_YEAR, parents=provinces, units=districts
    )
    if not (dreport.ok and dreport.unmatched_shapes.empty) or len(coded) != len(districts):
        raise BuildError(f"Yên Bái districts do not all match their codes:\n{dreport}")
    return provinces, coded, str(report), str(dreport)


def node_coverage(geoms: np.ndarray) -> np.ndarray:
    """Rebuild polygons from their noded boundaries, so neighbours share their vertices.

    The district layer and the province layer trace the same lines with different
    vertices, and a few provinces of the source do too; ``coverage_simplify`` needs
    a shared edge to have the same vertices on both sides. Every boundary is noded
    once (``union_all``), the faces are polygonized, and each face goes to the unit
    it lies in. Faces inside no unit (gaps of the source) stay gaps.
    """
    lines = shapely.union_all(shapely.boundary(geoms))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    inside, unit = shapely.STRtree(geoms).query(shapely.point_on_surface(faces), "within")
    owner = np.full(len(faces), -1)
    for face, index in zip(inside, unit, strict=True):
        if owner[face] < 0:
            owner[face] = index
    noded = np.array([shapely.union_all(faces[owner == i]) for i in range(len(geoms))])
    if shapely.is_empty(noded).any():
        raise BuildError("a unit lost all its area while noding the boundaries")
    return noded


def simplify(provinces, districts, tolerance: float = TOLERANCE):
    """Simplify the 62 other provinces and the Yên Bái districts as one coverage."""
    import geopandas as gpd

    others = provinces[provinces["unit_code"] != YEN_BAI]
    parts = pd.concat(
        [
            others[["unit_code", "unit_name", "shapeName", "geometry"]].assign(kind="province"),
            districts[["unit_code", "unit_name", "shapeName", "parent_code", "geometry"]].assign(
                kind="district"
            ),
        ],
        ignore_index=True,
    )
    parts = gpd.GeoDataFrame(parts, geometry="geometry", crs="EPSG:4326")
    simple = shapely.coverage_simplify(node_coverage(parts.geometry.values), tolerance)
    simple = shapely.set_precision(simple, GRID)
    bad = ~shapely.is_valid(simple) | shapely.is_empty(simple)
    if bad.any():
        raise BuildError(f"simplification made invalid shapes: {parts.unit_name[bad].tolist()}")
    out = parts.copy()
    out["geometry"] = simple
    new_districts = out[out["kind"] == "district"].drop(columns="kind")
    new_districts = new_districts[
        ["unit_code", "unit_name", "parent_code", "shapeName", "geometry"]
    ]
    yen_bai = provinces[provinces["unit_code"] == YEN_BAI].iloc[0]
    whole = shapely.union_all(new_districts.geometry.values)
    new_provinces = pd.concat(
        [
            out[out["kind"] == "province"].drop(columns=["kind", "parent_code"]),
            gpd.GeoDataFrame(
                {
                    "unit_code": [YEN_BAI],
                    "unit_name": [yen_bai["unit_name"]],
                    "shapeName": [yen_bai["shapeName"]],
                },
                geometry=[whole],
                crs="EPSG:4326",
            ),
        ],
        ignore_index=True,
    )
    new_provinces = gpd.GeoDataFrame(new_provinces, geometry="geometry", crs="EPSG:4326")
    new_provinces = new_provinces.sort_values("unit_code", kind="stable").reset_index(drop=True)
    new_districts = new_districts.sort_values("unit_code", kind="stable").reset_index(drop=True)
    return new_provinces, new_districts


def dissolve_34(provinces):
    """The 34 provinces from 1 July 2025, checked against the official list."""
    from learningcity import geo
    from learningcity.crosswalk import crosswalk
    from learningcity.units import REFORM_DATE, units_at

    merged = geo.dissolve_units(provinces, crosswalk(level="province"))
    if merged.attrs["not_dissolved"]:
        raise BuildError(f"provinces outside the crosswalk: {merged.attrs['not_dissolved']}")
    new = units_at(REFORM_DATE, "province")
    names = dict(zip(new["code"].astype(str), new["name"], strict=True))
    if set(merged["unit_code"]) != set(names) or len(merged) != 34:
        raise BuildError(
            f"the dissolve gives {sorted(merged['unit_code'])}, not the 34 of units.csv "
            f"{sorted(names)}"
        )
    merged.insert(1, "unit_name", merged["unit_code"].map(names))
    merged["geometry"] = shapely.set_precision(merged.geometry.values, GRID)
    return merged.sort_values("unit_code", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- checks


def _areas(geoms) -> np.ndarray:
    import geopandas as gpd

    return gpd.GeoSeries(list(geoms), crs="EPSG:4326").to_crs(EQUAL_AREA).area.to_numpy()


def _hole_area(geom) -> float:
    polys = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
    rings = [shapely.Polygon(r) for p in polys for r in p.interiors]
    return float(_areas(rings).sum()) if rings else 0.0


def check(source_provinces, source_districts, provinces, districts, merged) -> dict:
    """Area, overlap and gap figures; raise when one is out of bounds."""
    figures: dict[str, float] = {}
    union = shapely.union_all(provinces.geometry.values)
    total = float(_areas(provinces.geometry).sum())
    figures["overlap_share"] = (total - float(_areas([union])[0])) / total
    before = shapely.union_all(source_provinces.geometry.values)
    figures["gap_change_km2"] = (_hole_area(union) - _hole_area(before)) / 1e6
    figures["country_area_change_share"] = float(_areas([union])[0] / _areas([before])[0] - 1)
    src = source_provinces.set_index("unit_code").geometry
    new = provinces.set_index("unit_code").geometry.reindex(src.index)
    change = np.abs(_areas(new) / _areas(src) - 1)
    figures["max_province_area_change_share"] = float(change.max())
    figures["max_province_area_change_unit"] = str(src.index[int(change.argmax())])
    srcd = source_districts.set_index("unit_code").geometry
    newd = districts.set_index("unit_code").geometry.reindex(srcd.index)
    dchange = np.abs(_areas(newd) / _areas(srcd) - 1)
    figures["max_district_area_change_share"] = float(dchange.max())
    yb = provinces.loc[provinces["unit_code"] == YEN_BAI, "geometry"].iloc[0]
    figures["yen_bai_vs_districts_share"] = float(
        _areas([yb.symmetric_difference(shapely.union_all(districts.geometry.values))])[0]
        / _areas([yb])[0]
    )
    figures["dissolve_vs_parts_share"] = float(abs(_areas(merged.geometry).sum() - total) / total)
    limits = {
        "overlap_share": 1e-9,
        "gap_change_km2": 1.0,
        "country_area_change_share": 0.01,
        "max_province_area_change_share": 0.05,
        "max_district_area_change_share": 0.05,
        "yen_bai_vs_districts_share": 1e-9,
        "dissolve_vs_parts_share": 1e-9,
    }
    for key, limit in limits.items():
        if abs(figures[key]) > limit:
            raise BuildError(f"check {key} = {figures[key]:.3g} exceeds {limit:g}")
    return figures


# --------------------------------------------------------------------------- writing


def _round(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, list | tuple):
        return [_round(v) for v in value]
    return value


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def write_geojson(frame, path: Path, columns: list[str]) -> None:
    """One feature per line (diffs stay readable), coordinates with 5 decimals."""
    lines = []
    for row in frame.itertuples(index=False):
        geometry = shapely.geometry.mapping(row.geometry)
        feature = {
            "type": "Feature",
            "properties": {c: _plain(getattr(row, c)) for c in columns},
            "geometry": {"type": geometry["type"], "coordinates": _round(geometry["coordinates"])},
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def build(adm1_path: Path, adm2_path: Path, out: Path, *, tolerance: float, origins=None) -> dict:
    origins = origins or {}
    adm1, adm2 = _read(adm1_path), _read(adm2_path)
    provinces, districts, preport, dreport = code_units(adm1, adm2)
    new_provinces, new_districts = simplify(provinces, districts, tolerance)
    merged = dissolve_34(new_provinces)
    figures = check(provinces, districts, new_provinces, new_districts, merged)

    out.mkdir(parents=True, exist_ok=True)
    write_geojson(
        new_provinces, out / FILES["provinces-63"], ["unit_code", "unit_name", "shapeName"]
    )
    write_geojson(
        merged, out / FILES["provinces-34"], ["unit_code", "unit_name", "parts", "n_parts"]
    )
    write_geojson(
        new_districts,
        out / FILES["districts-yen-bai"],
        ["unit_code", "unit_name", "parent_code", "shapeName"],
    )
    files = {}
    for key, name in FILES.items():
        path = out / name
        files[key] = {
            "file": name,
            "sha256": sha256(path),
            "bytes": path.stat().st_size,
            "features": {"provinces-63": 63, "provinces-34": 34}.get(key, len(new_districts)),
        }
    files["provinces-63"].update(level="province", valid_to="2025-06-30")
    files["provinces-34"].update(level="province", valid_from="2025-07-01")
    files["districts-yen-bai"].update(level="district", parent_code=YEN_BAI, valid_to="2025-06-30")
    meta = {
        "title": "Boundaries of Viet Nam's provinces (63 and 34) and of Yên Bái's districts",
        "licence": LICENCE,
        "licence_url": "https://creativecommons.org/licenses/by-sa/4.0/",
        "attribution": ATTRIBUTION,
        "boundary_year": 2016,
        "simplification": {
            "method": "shapely.coverage_simplify (shared edges simplified once)",
            "tolerance_degrees": tolerance,
            "grid_degrees": GRID,
            "shapely": shapely.__version__,
        },
        "inputs": [
            _input_record(adm1_path, "ADM1 provinces", origins.get("ADM1")),
            _input_record(adm2_path, "ADM2 districts", origins.get("ADM2")),
        ],
        "sources": SOURCES,
        "notes": NOTES,
        "match_reports": {"provinces": preport, "districts_yen_bai": dreport},
        "checks": figures,
        "files": files,
    }
    (out / "metadata.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adm1", type=Path, help="geoBoundaries VNM ADM1 file (zip, shp, geojson)")
    ap.add_argument("--adm2", type=Path, help="geoBoundaries VNM ADM2 file (zip, shp, geojson)")
    ap.add_argument(
        "--fetch",
        action="store_true",
        help="download the pinned geoBoundaries files (learningcity.geo.fetch_geoboundaries)",
    )
    ap.add_argument("--cache-dir", type=Path, help="download cache (with --fetch)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--tolerance", type=float, default=TOLERANCE, help="degrees")
    args = ap.parse_args(argv)
    origins = {}
    if args.fetch:
        from learningcity import geo

        paths = {}
        for level in ("ADM1", "ADM2"):
            frame = geo.fetch_geoboundaries(level, cache_dir=args.cache_dir)
            paths[level] = Path(frame.attrs["source_file"])
            origins[level] = {
                "dataset": f"geoBoundaries gbOpen VNM {level} (pinned download)",
                "repository": "github.com/wmgeolab/geoBoundaries",
                "commit": geo._GB_COMMIT,
                "path": geo.GEOBOUNDARIES_FILES[level]["path"],
                "url": frame.attrs["source_url"],
            }
        adm1, adm2 = paths["ADM1"], paths["ADM2"]
    elif args.adm1 and args.adm2:
        adm1, adm2 = args.adm1, args.adm2
    else:
        ap.error("give --adm1 and --adm2, or --fetch")
    try:
        meta = build(adm1, adm2, args.out, tolerance=args.tolerance, origins=origins)
    except BuildError as exc:
        print(f"build_boundaries: {exc}", file=sys.stderr)
        return 1
    for entry in meta["files"].values():
        print(f"{entry['file']}: {entry['features']} features, {entry['bytes']:,} bytes")
    print(meta["match_reports"]["provinces"].splitlines()[0])
    print(meta["match_reports"]["districts_yen_bai"].splitlines()[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
