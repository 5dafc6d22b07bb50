"""The boundary polygons shipped in data/geo/boundaries: offline, coded, consistent, small."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import socket
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from learningcity import geo
from learningcity.crosswalk import crosswalk
from learningcity.units import load_units, units_at

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "data" / "geo" / "boundaries"
#: The stated size budget of the shipped folder (README.md of the folder).
BUDGET_BYTES = 3_000_000
EQUAL_AREA = "EPSG:6933"


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _meta() -> dict:
    return json.loads((FOLDER / "metadata.json").read_text(encoding="utf-8"))


def _areas(geoms) -> np.ndarray:
    return gpd.GeoSeries(list(geoms), crs="EPSG:4326").to_crs(EQUAL_AREA).area.to_numpy()


# --------------------------------------------------------------------------- files


def test_files_match_their_recorded_sha256_and_the_size_budget():
    meta = _meta()
    listed = {entry["file"] for entry in meta["files"].values()}
    assert listed == {"provinces-63.geojson", "provinces-34.geojson", "districts-yen-bai.geojson"}
    for entry in meta["files"].values():
        data = (FOLDER / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        assert len(data) == entry["bytes"]
    # Nothing else in the folder but the record and its README.
    assert {p.name for p in FOLDER.iterdir()} == listed | {"metadata.json", "README.md"}
    total = sum(p.stat().st_size for p in FOLDER.iterdir())
    assert total < BUDGET_BYTES, f"data/geo/boundaries holds {total:,} bytes"


def test_metadata_names_sources_licence_attribution_and_tolerance():
    meta = _meta()
    assert meta["licence"] == "CC BY-SA 4.0"
    assert "Open Development Mekong" in meta["attribution"]
    assert "geoBoundaries" in meta["attribution"]
    assert meta["simplification"]["tolerance_degrees"] > 0
    for source in meta["inputs"]:
        assert len(source["sha256"]) == 64
        assert len(source["commit"]) == 40 and source["repository"] and source["path"]
    # GADM forbids redistribution: it is no source here.
    assert "gadm" not in json.dumps(meta).lower()


def test_a_changed_file_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "boundaries"
    copy.mkdir()
    for p in FOLDER.iterdir():
        (copy / p.name).write_bytes(p.read_bytes())
    with open(copy / "districts-yen-bai.geojson", "ab") as handle:
        handle.write(b" ")
    monkeypatch.setattr(geo, "_shipped_folder", lambda: copy)
    with pytest.raises(geo.ChecksumError, match="does not match the SHA-256"):
        geo.shipped_boundaries("district", 2024)
    assert len(geo.shipped_boundaries("district", 2024, verify=False)) == 9


# --------------------------------------------------------------------------- codes


def test_63_provinces_load_offline_every_unit_matched_both_ways(offline):
    shapes = geo.shipped_boundaries("province", "2025-06-30")
    units = units_at("2025-06-30", "province")
    assert len(shapes) == 63
    assert sorted(shapes["unit_code"]) == sorted(units["code"])
    names = dict(zip(units["code"], units["name"], strict=True))
    assert (shapes["unit_name"] == shapes["unit_code"].map(names)).all()
    assert shapely.is_valid(shapes.geometry.values).all()
    assert shapes.attrs["source"] == "shipped" and shapes.attrs["licence"] == "CC BY-SA 4.0"
    # The codes are those the project's name matching gives to the source names.
    again, report = geo.attach_codes(
        shapes.drop(columns=["unit_code", "unit_name"]),
        "province",
        2024,
        aliases={"Huế": "Thua Thien - Hue"},
    )
    assert report.ok and report.unmatched_shapes.empty
    assert again["unit_code"].tolist() == shapes["unit_code"].tolist()
    # Data join by code: all 63 found, no shape left over.
    data = units.rename(columns={"code": "unit_code", "name": "unit_name"})
    _, joined = geo.join_units(data[["unit_code", "unit_name"]], shapes)
    assert joined.ok and joined.unmatched_shapes.empty
    assert (joined.matched["by"] == "code").all()


def test_yen_bai_districts_load_offline_matched_and_make_up_the_province(offline):
    districts = geo.shipped_boundaries("district", "2024-01-01")
    units = load_units()
    yen_bai = units[(units["level"] == "district") & (units["parent_code"] == "15")]
    assert districts["unit_code"].tolist() == sorted(yen_bai["code"]) == [
        "132", "133", "135", "136", "137", "138", "139", "140", "141"
    ]  # fmt: skip
    assert (districts["parent_code"] == "15").all()
    assert shapely.is_valid(districts.geometry.values).all()
    again, report = geo.attach_codes(
        districts.drop(columns=["unit_code", "unit_name"]), "district", 2024, units=yen_bai
    )
    assert report.ok and report.unmatched_shapes.empty
    assert again["unit_code"].tolist() == districts["unit_code"].tolist()
    # Yên Bái province is the union of its districts, to the square metre.
    province = geo.shipped_boundaries("province", 2024).set_index("unit_code").geometry["15"]
    union = shapely.union_all(districts.geometry.values)
    assert _areas([province.symmetric_difference(union)])[0] < 1.0
    # 2016 boundaries: Nghĩa Lộ is the small town of before 2020 (about 26-30 km²).
    areas = dict(zip(districts["unit_code"], _areas(districts.geometry) / 1e6, strict=True))
    assert 20 < areas["133"] < 35


def test_districts_do_not_exist_after_the_reform():
    with pytest.raises(geo.UsageError, match="districts were abolished"):
        geo.shipped_boundaries("district", "2025-07-01")
    with pytest.raises(geo.UsageError, match="unknown level"):
        geo.shipped_boundaries("commune", 2024)


# --------------------------------------------------------------------------- 34


def test_34_provinces_are_the_unions_of_their_predecessors(offline):
    old = geo.shipped_boundaries("province", "2025-06-30").set_index("unit_code")
    new = geo.shipped_boundaries("province", "2025-07-01").set_index("unit_code")
    official = units_at("2025-07-01", "province")
    assert sorted(new.index) == sorted(official["code"]) and len(new) == 34
    names = dict(zip(official["code"], official["name"], strict=True))
    assert (new["unit_name"] == new.index.map(names)).all()
    cw = crosswalk(level="province")
    for code, row in new.iterrows():
        parts = sorted(cw.loc[cw["new_code"] == code, "old_code"])
        assert row["parts"] == ";".join(parts) and row["n_parts"] == len(parts)
        union = shapely.union_all(old.geometry[parts].values)
        area = _areas([row.geometry])[0]
        assert area == pytest.approx(_areas([union])[0], rel=1e-6), code
        assert _areas([union.symmetric_difference(row.geometry)])[0] < 1e-6 * area, code
    assert shapely.is_valid(new.geometry.values).all()


# --------------------------------------------------------------------------- topology


@pytest.mark.parametrize("date", ["2024-12-31", "2025-07-01"])
def test_shared_edges_stay_shared(date):
    shapes = geo.shipped_boundaries("province", date)
    geoms = shapes.geometry.values
    # Edges match along every shared boundary, and nothing overlaps.
    assert shapely.coverage_is_valid(geoms)
    union = shapely.union_all(geoms)
    total = _areas(geoms).sum()
    assert total == pytest.approx(_areas([union])[0], rel=1e-9)
    # No gap opened between neighbours: the only holes in the country are the
    # lagoons of the Hoàng Sa and Trường Sa atolls (east of 110° E, offshore).
    polys = union.geoms if union.geom_type == "MultiPolygon" else [union]
    holes = [shapely.Polygon(ring) for p in polys for ring in p.interiors]
    assert all(h.bounds[0] > 110.0 for h in holes)
    assert _areas(holes).sum() / 1e6 < 250


def test_yen_bai_districts_share_their_edges():
    districts = geo.shipped_boundaries("district", 2024).geometry.values
    assert shapely.coverage_is_valid(districts)
    union = shapely.union_all(districts)
    assert union.geom_type == "Polygon" and not union.interiors
    assert _areas(districts).sum() == pytest.approx(_areas([union])[0], rel=1e-9)


def test_simplified_areas_stay_close_to_the_published_ones():
    # Province areas against the GSO areas would mix definitions; the build's own
    # before/after figures are recorded, and must stay within the stated bounds.
    checks = _meta()["checks"]
    assert checks["max_province_area_change_share"] < 0.05
    assert checks["max_district_area_change_share"] < 0.05
    assert abs(checks["gap_change_km2"]) < 1.0
    assert checks["overlap_share"] < 1e-9
    # Yên Bái province: 6,887.7 km² published (GSO 2019); the shapes give about that.
    yb = geo.shipped_boundaries("province", 2024).set_index("unit_code").geometry["15"]
    assert _areas([yb])[0] / 1e6 == pytest.approx(6887.7, rel=0.02)


# --------------------------------------------------------------------------- maps


def test_choropleth_from_the_shipped_shapes_with_the_network_blocked(offline, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from learningcity import plots

    for year, n in ((2016, 63), (2025, 34)):
        shapes = geo.map_units("province", year, cache_dir=tmp_path)
        assert len(shapes) == n and shapes.attrs["source"] == "shipped"
        data = pd.DataFrame({"unit_code": ["15", "01"], "score": [40.0, 80.0]})
        joined, report = geo.join_units(data, shapes)
        assert report.ok
        ax = plots.choropleth(joined, "score", "bands", lang="en")
        assert not [t for t in ax.texts if t.get_gid() == "fallback-note"]
        assert [c for c in ax.collections if c.get_gid() == "data"]
        corner = [t.get_text() for t in ax.texts if t.get_gid() == "attribution"]
        assert len(corner) == 1
        assert "Open Development Mekong" in corner[0] and "CC BY-SA 4.0" in corner[0]
        assert f"Data year: {year}" in corner[0]
        plt.close("all")


def test_a_verified_cached_download_is_preferred_to_the_shipped_shapes(tmp_path, monkeypatch):
    # A cached file with the pinned checksum is the finer source; no network is needed.
    target = tmp_path / Path(geo.GEOBOUNDARIES_FILES["ADM1"]["path"]).name
    gpd.GeoDataFrame(
        {"shapeName": ["Yen Bai", "Lao Cai"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs="EPSG:4326",
    ).to_file(target, driver="GeoJSON")
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    monkeypatch.setitem(geo.GEOBOUNDARIES_FILES["ADM1"], "sha256", digest)
    shapes = geo.map_units("province", 2024, cache_dir=tmp_path)
    assert shapes.attrs["source"] == "geoBoundaries"
    assert shapes["unit_code"].tolist() == ["15", "10"]
    # Districts need the ADM2 download too: without it, the shipped districts.
    assert geo.map_units("district", 2024, cache_dir=tmp_path).attrs["source"] == "shipped"


# --------------------------------------------------------------------------- build script


def _script():
    spec = importlib.util.spec_from_file_location(
        "build_boundaries", ROOT / "scripts" / "build_boundaries.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _synthetic_inputs(folder: Path) -> tuple[Path, Path]:
    """63 provinces as squares on a 9 x 7 grid; Yên Bái's square cut into its 9 districts."""
    units = units_at("2024-12-31", "province").sort_values("code")
    names = ["Thua Thien - Hue" if n == "Huế" else n for n in units["name"]]
    cells = [box(i % 9, i // 9, i % 9 + 1, i // 9 + 1) for i in range(len(names))]
    adm1 = gpd.GeoDataFrame({"shapeName": names}, geometry=cells, crs="EPSG:4326")
    x0, y0 = cells[list(units["code"]).index("15")].bounds[:2]
    district_names = [
        "Yen Bai", "Nghia Lo", "Luc Yen", "Van Yen", "Mu Cang Chai",
        "Tran Yen", "Tram Tau", "Van Chan", "Yen Binh",
    ]  # fmt: skip
    parts = [
        box(x0 + (i % 3) / 3, y0 + (i // 3) / 3, x0 + (i % 3 + 1) / 3, y0 + (i // 3 + 1) / 3)
        for i in range(9)
    ]
    # A district of another province with a Yên Bái-like name is left out.
    adm2 = gpd.GeoDataFrame(
        {"shapeName": [*district_names, "Yen Binh"]},
        geometry=[*parts, cells[0]],
        crs="EPSG:4326",
    )
    p1, p2 = folder / "adm1.geojson", folder / "adm2.geojson"
    adm1.to_file(p1, driver="GeoJSON")
    adm2.to_file(p2, driver="GeoJSON")
    return p1, p2


def test_build_script_rebuilds_coded_files_and_records_their_hashes(tmp_path, offline):
    script = _script()
    adm1, adm2 = _synthetic_inputs(tmp_path)
    out = tmp_path / "out"
    assert script.main(["--adm1", str(adm1), "--adm2", str(adm2), "--out", str(out)]) == 0
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    for entry in meta["files"].values():
        assert hashlib.sha256((out / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    assert [i["sha256"] for i in meta["inputs"]] == [
        hashlib.sha256(adm1.read_bytes()).hexdigest(),
        hashlib.sha256(adm2.read_bytes()).hexdigest(),
    ]
    assert meta["match_reports"]["provinces"].startswith("matched 63 units")
    provinces = gpd.read_file(out / "provinces-63.geojson")
    districts = gpd.read_file(out / "districts-yen-bai.geojson")
    merged = gpd.read_file(out / "provinces-34.geojson")
    assert len(provinces) == 63 and len(districts) == 9 and len(merged) == 34
    assert sorted(districts["unit_code"]) == [str(c) for c in range(132, 142) if c != 134]
    lao_cai = merged.set_index("unit_code").loc["15"]
    assert lao_cai["parts"] == "10;15" and lao_cai.geometry.area == pytest.approx(2.0)


def test_build_script_stops_on_an_unmatched_unit(tmp_path):
    script = _script()
    adm1, adm2 = _synthetic_inputs(tmp_path)
    frame = gpd.read_file(adm1)
    frame.loc[0, "shapeName"] = "Atlantis"
    frame.to_file(adm1, driver="GeoJSON")
    out = tmp_path / "out"
    assert script.main(["--adm1", str(adm1), "--adm2", str(adm2), "--out", str(out)]) == 1
    assert not out.exists()


def test_command_line_info_names_the_shipped_files_and_licence(tmp_path, capsys, offline):
    from learningcity.cli import main

    assert main(["boundaries", "info", "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "provinces-63.geojson: 63 province units, until 2025-06-30" in out
    assert "provinces-34.geojson: 34 province units, from 2025-07-01" in out
    assert "districts-yen-bai.geojson: 9 district units" in out
    assert "CC BY-SA 4.0" in out and "cached full-detail download: none" in out
