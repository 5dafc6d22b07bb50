"""Boundaries: reading, download with cache and checksum, joins, dissolves, fallback."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import zipfile
from functools import partial
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from learningcity import geo
from learningcity.errors import UsageError


@pytest.fixture(autouse=True)
def _no_proxy_for_the_local_server(monkeypatch):
    # A proxy set in the environment must not intercept requests to 127.0.0.1.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def _squares(names, codes=None):
    """Unit squares side by side: square i spans x in [i, i+1]."""
    cols = {"shapeName": names}
    if codes is not None:
        cols["code"] = codes
    return gpd.GeoDataFrame(
        cols, geometry=[box(i, 0, i + 1, 1) for i in range(len(names))], crs="EPSG:4326"
    )


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp"])
def test_read_boundaries_formats(tmp_path, suffix):
    path = tmp_path / f"units{suffix}"
    _squares(["Yên Bái", "Nghĩa Lộ"]).to_file(path)
    frame = geo.read_boundaries(path)
    assert frame["shapeName"].tolist() == ["Yên Bái", "Nghĩa Lộ"]
    assert [g.bounds for g in frame.geometry] == [(0, 0, 1, 1), (1, 0, 2, 1)]
    assert frame.attrs["source_file"] == str(path)


def test_read_boundaries_zipped_shapefile(tmp_path):
    shp = tmp_path / "shp" / "units.shp"
    shp.parent.mkdir()
    _squares(["A", "B", "C"]).to_file(shp)
    archive = tmp_path / "units.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, part.name)
    frame = geo.read_boundaries(archive)
    assert frame["shapeName"].tolist() == ["A", "B", "C"]
    # Square C spans x from 2 to 3.
    assert frame.geometry.iloc[2].bounds == (2.0, 0.0, 3.0, 1.0)


def test_read_boundaries_errors_name_the_file(tmp_path):
    with pytest.raises(UsageError, match="nope.geojson: boundary file not found"):
        geo.read_boundaries(tmp_path / "nope.geojson")
    odd = tmp_path / "units.csv"
    odd.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"units.csv: unknown boundary file type '.csv'"):
        geo.read_boundaries(odd)
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(UsageError, match="broken.geojson: cannot read boundaries"):
        geo.read_boundaries(broken)


# --------------------------------------------------------------------------- download


class _Server:
    """A static file server on 127.0.0.1 that records the paths asked for."""

    def __init__(self, root: Path):
        self.requests: list[str] = []
        log = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                log.append(self.path)
                super().do_GET()

            def log_message(self, *args):  # keep test output quiet
                pass

        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(Handler, directory=str(root))
        )
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def served(tmp_path):
    """A served ADM1 file at the geoBoundaries release path; yields (server, bytes)."""
    root = tmp_path / "www"
    target = root / geo.GEOBOUNDARIES_FILES["ADM1"]["path"]
    target.parent.mkdir(parents=True)
    _squares(["Yen Bai", "Lao Cai"]).to_file(target, driver="GeoJSON")
    server = _Server(root)
    yield server, target.read_bytes()
    server.stop()


def _free_port_url() -> str:
    """URL of a port that nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_download_is_checked_cached_and_reused_offline(served, tmp_path):
    server, payload = served
    digest = hashlib.sha256(payload).hexdigest()
    cache = tmp_path / "cache"
    first = geo.fetch_geoboundaries("ADM1", cache_dir=cache, base_url=server.url, sha256=digest)
    assert first["shapeName"].tolist() == ["Yen Bai", "Lao Cai"]
    assert server.requests == ["/" + geo.GEOBOUNDARIES_FILES["ADM1"]["path"]]
    assert (cache / "geoBoundaries-VNM-ADM1_simplified.geojson").read_bytes() == payload
    # The licence and citation travel with the frame.
    assert "CC BY-SA 4.0" in first.attrs["attribution"]
    assert "Runfola et al. 2020" in first.attrs["attribution"]
    assert first.attrs["boundary_year"] == 2016

    server.stop()  # no network from here on
    again = geo.fetch_geoboundaries("ADM1", cache_dir=cache, base_url=server.url, sha256=digest)
    assert again["shapeName"].tolist() == ["Yen Bai", "Lao Cai"]
    assert len(server.requests) == 1


def test_corrupted_download_is_rejected(served, tmp_path):
    server, payload = served
    wrong = hashlib.sha256(payload + b" ").hexdigest()
    cache = tmp_path / "cache"
    with pytest.raises(geo.ChecksumError, match="does not match its SHA-256 checksum"):
        geo.fetch_geoboundaries("ADM1", cache_dir=cache, base_url=server.url, sha256=wrong)
    assert not (cache / "geoBoundaries-VNM-ADM1_simplified.geojson").exists()


def test_pinned_checksum_rejects_a_different_file(served, tmp_path):
    # The test's file is not the real geoBoundaries release: the pinned hash refuses it.
    server, _ = served
    with pytest.raises(geo.ChecksumError, match="aa4f24942de55466"):
        geo.fetch_geoboundaries("ADM1", cache_dir=tmp_path / "c", base_url=server.url)


def test_tampered_cache_is_not_used(served, tmp_path):
    server, payload = served
    digest = hashlib.sha256(payload).hexdigest()
    cache = tmp_path / "cache"
    geo.fetch_geoboundaries("ADM1", cache_dir=cache, base_url=server.url, sha256=digest)
    (cache / "geoBoundaries-VNM-ADM1_simplified.geojson").write_bytes(b"{}")
    # Online, a bad cached copy is downloaded again.
    fixed = geo.fetch_geoboundaries("ADM1", cache_dir=cache, base_url=server.url, sha256=digest)
    assert len(fixed) == 2 and len(server.requests) == 2
    (cache / "geoBoundaries-VNM-ADM1_simplified.geojson").write_bytes(b"{}")
    server.stop()
    with pytest.raises(geo.BoundariesUnavailableError, match="no verified copy is cached"):
        geo.fetch_geoboundaries("ADM1", cache_dir=cache, base_url=server.url, sha256=digest)


def test_offline_with_empty_cache_raises_unavailable(tmp_path):
    with pytest.raises(geo.BoundariesUnavailableError, match="cannot download geoBoundaries"):
        geo.fetch_geoboundaries("ADM2", cache_dir=tmp_path, base_url=_free_port_url())


@pytest.fixture
def vietnam_server(tmp_path, monkeypatch):
    """Serve synthetic ADM1 (4 provinces) and ADM2 files; pin their checksums."""
    root = tmp_path / "www"
    # Provinces as unit squares: Yên Bái and Lào Cai side by side, two Mekong provinces below.
    adm1 = gpd.GeoDataFrame(
        {"shapeName": ["Yen Bai", "Lao Cai", "Tien Giang", "Ben Tre"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, -2, 1, -1), box(1, -2, 2, -1)],
        crs="EPSG:4326",
    )
    # Districts: Yên Bái city in Yên Bái; a "Chau Thanh" in each Mekong province.
    adm2 = gpd.GeoDataFrame(
        {"shapeName": ["Yen Bai City", "Chau Thanh", "Chau Thanh"]},
        geometry=[box(0, 0, 0.5, 0.5), box(0, -2, 0.5, -1.5), box(1, -2, 1.5, -1.5)],
        crs="EPSG:4326",
    )
    for level, frame in (("ADM1", adm1), ("ADM2", adm2)):
        target = root / geo.GEOBOUNDARIES_FILES[level]["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.to_file(target, driver="GeoJSON")
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        monkeypatch.setitem(geo.GEOBOUNDARIES_FILES[level], "sha256", digest)
    server = _Server(root)
    yield server
    server.stop()


def test_map_units_codes_pre_reform_provinces(vietnam_server, tmp_path):
    shapes = geo.map_units("province", 2023, cache_dir=tmp_path, base_url=vietnam_server.url)
    # GSO codes of the 63 provinces: Yên Bái 15, Lào Cai 10, Tiền Giang 82, Bến Tre 83.
    assert shapes["unit_code"].tolist() == ["15", "10", "82", "83"]
    assert shapes["unit_name"].tolist() == ["Yên Bái", "Lào Cai", "Tiền Giang", "Bến Tre"]
    assert shapes.attrs["year"] == 2023
    assert "CC BY-SA 4.0" in shapes.attrs["attribution"]


def test_map_units_dissolves_provinces_from_2025(vietnam_server, tmp_path):
    shapes = geo.map_units("province", 2025, cache_dir=tmp_path, base_url=vietnam_server.url)
    by_code = shapes.set_index("unit_code")
    # Yên Bái + Lào Cai -> Lào Cai (15); Tiền Giang -> Đồng Tháp (82); Bến Tre -> Vĩnh Long (86).
    assert sorted(by_code.index) == ["15", "82", "86"]
    assert by_code.loc["15", "unit_name"] == "Lào Cai"
    assert by_code.loc["15", "parts"] == "10;15"
    assert by_code.loc["15"].geometry.bounds == (0.0, 0.0, 2.0, 1.0)
    assert by_code.loc["86", "unit_name"] == "Vĩnh Long"


def test_map_units_districts_matched_within_their_province(vietnam_server, tmp_path):
    shapes = geo.map_units("district", 2024, cache_dir=tmp_path, base_url=vietnam_server.url)
    # Two "Châu Thành" districts: 821 in Tiền Giang (82), 831 in Bến Tre (83).
    assert shapes["unit_code"].tolist() == ["132", "821", "831"]
    assert shapes["parent_code"].tolist() == ["15", "82", "83"]


def test_data_join_to_coded_shapes_keeps_codes_of_shapes_without_data(vietnam_server, tmp_path):
    shapes = geo.map_units("province", 2024, cache_dir=tmp_path, base_url=vietnam_server.url)
    data = pd.DataFrame({"unit_code": ["15", "82"], "literacy": [88.9, 96.0]})
    joined, report = geo.join_units(data, shapes, shape_code_col="unit_code", shape_name_col=None)
    assert joined["unit_code"].tolist() == ["15", "10", "82", "83"]
    assert joined["literacy"].tolist()[::2] == [88.9, 96.0]
    assert joined["literacy"].iloc[1::2].isna().all()
    assert joined["match"].tolist() == ["code", "", "code", ""]
    assert report.unmatched_shapes["shape_code"].tolist() == ["10", "83"]


@pytest.fixture
def no_shipped(tmp_path, monkeypatch):
    """The shipped boundary files are missing (a damaged install, a bare data folder)."""
    empty = tmp_path / "no-boundaries"
    empty.mkdir()
    monkeypatch.setattr(geo, "_shipped_folder", lambda: empty)


def test_map_units_offline_draws_the_shipped_polygons(tmp_path):
    # The download fails (nothing listens): the shipped shapes are used, not centres.
    shapes = geo.map_units("district", 2023, cache_dir=tmp_path, base_url=_free_port_url())
    assert "fallback" not in shapes.attrs
    assert shapes.attrs["source"] == "shipped"
    assert shapes["unit_code"].tolist() == [
        "132", "133", "135", "136", "137", "138", "139", "140", "141"
    ]  # fmt: skip
    assert shapes.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert shapes.attrs["year"] == 2023 and "CC BY-SA 4.0" in shapes.attrs["attribution"]


def test_map_units_falls_back_to_centres_without_shipped_files(tmp_path, no_shipped):
    centres = pd.DataFrame(
        {"unit_code": ["132", "133"], "lat": [21.72, 21.60], "lon": [104.90, 104.51]}
    )
    points = geo.map_units(
        "district", 2023, centres=centres, cache_dir=tmp_path, base_url=_free_port_url()
    )
    assert points.attrs["fallback"] == "centres"
    assert points.attrs["year"] == 2023
    assert points.geometry.iloc[1] == Point(104.51, 21.60)


def test_offline_map_end_to_end_draws_symbols(tmp_path, no_shipped):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from learningcity import plots

    centres = pd.DataFrame(
        {
            "unit_code": ["132", "133", "135"],
            "unit_name": ["Yên Bái", "Nghĩa Lộ", "Lục Yên"],
            "lat": [21.72, 21.60, 22.11],
            "lon": [104.91, 104.51, 104.77],
        }
    )
    points = geo.map_units(
        "district", 2023, centres=centres, cache_dir=tmp_path, base_url=_free_port_url()
    )
    data = pd.DataFrame({"unit_code": ["132", "133"], "score": [62.0, 48.0]})
    joined, report = geo.join_units(data, points)
    assert joined["score"].tolist()[:2] == [62.0, 48.0]
    assert report.unmatched_shapes["shape_name"].tolist() == ["Lục Yên"]
    ax = plots.choropleth(joined, "score", "bands", lang="en")
    assert any(t.get_gid() == "fallback-note" for t in ax.texts)
    assert ax.get_title() == "score (2023)"
    plt.close("all")


def test_map_units_respects_the_2025_reform(tmp_path, monkeypatch):
    with pytest.raises(UsageError, match="districts were abolished on 1 July 2025"):
        geo.map_units("district", 2025, cache_dir=tmp_path)
    # Offline, 2025 provinces are the 34 shipped ones (new Lào Cai, code 15, is 10 + 15).
    new = geo.map_units("province", 2025, cache_dir=tmp_path, base_url=_free_port_url())
    assert len(new) == 34 and new.attrs["source"] == "shipped"
    assert new.set_index("unit_code").loc["15", "parts"] == "10;15"
    # Without the shipped files, they are drawn at the centres given.
    empty = tmp_path / "no-boundaries"
    empty.mkdir()
    monkeypatch.setattr(geo, "_shipped_folder", lambda: empty)
    centres = pd.DataFrame({"unit_code": ["15"], "lat": [22.06], "lon": [104.35]})
    new = geo.map_units(
        "province", 2025, centres=centres, cache_dir=tmp_path, base_url=_free_port_url()
    )
    assert new.attrs["fallback"] == "centres"
    assert geo.reform_period(2024) == "pre-2025"
    assert geo.reform_period(2025) == "post-2025"
    # The bundled centres are pre-2025 units: not used for 2025 data.
    with pytest.raises(geo.BoundariesUnavailableError, match="pass centres of the 2025 units"):
        geo.map_units("province", 2025, cache_dir=tmp_path, base_url=_free_port_url())


# --------------------------------------------------------------------------- centres


def test_read_centres_prefers_the_seat_and_selects_a_level(tmp_path):
    csv = tmp_path / "centres.csv"
    csv.write_text(
        "unit_code,level,kind,lat,lon\n"
        "15,province,province_geocode,21.68,104.57\n"
        "15,province,seat_geocode,21.72,104.91\n"
        "15,district,seat_geocode,10.0,100.0\n",
        "utf-8",
    )
    provinces = geo.read_centres(csv, level="province")
    assert provinces[["unit_code", "lat", "lon"]].values.tolist() == [["15", 21.72, 104.91]]
    with pytest.raises(UsageError, match="'15' appears more than once"):
        geo.read_centres(csv)


@pytest.mark.skipif(
    not (geo.data_dir() / "geo" / "centres.csv").is_file(), reason="no bundled centres file"
)
def test_bundled_centres_are_usable():
    provinces = geo.read_centres(level="province")
    assert len(provinces) == 63
    assert provinces["unit_code"].is_unique


def test_read_centres_reports_file_row_and_column(tmp_path):
    csv = tmp_path / "centres.csv"
    csv.write_text("unit_code,lat,lon\n04252,21.719,104.896\n04288,north,104.481\n", "utf-8")
    with pytest.raises(UsageError, match=r"centres.csv: row 3, column 'lat': 'north'"):
        geo.read_centres(csv)
    csv.write_text("unit_code,lat,lon\n04252,21.719,204.896\n", "utf-8")
    with pytest.raises(UsageError, match=r"row 2, column 'lon'"):
        geo.read_centres(csv)
    csv.write_text("unit_code,lat\n04252,21.719\n", "utf-8")
    with pytest.raises(UsageError, match=r"missing column\(s\) lon"):
        geo.read_centres(csv)


# --------------------------------------------------------------------------- names and joins


@pytest.mark.parametrize(
    "written",
    ["Nghĩa Lộ", "NGHIA LO", "TX. Nghĩa Lộ", "Thị xã Nghĩa Lộ", "Nghia Lo Town", "tx nghia lo"],
)
def test_name_key_spellings(written):
    assert geo.name_key(written) == "nghia lo"


def test_join_by_code_then_name_and_report_both_sides():
    shapes = _squares(
        ["Yen Bai", "Nghia Lo", "Van Chan", "Tran Yen"], codes=["132", None, "140", "138"]
    )
    data = pd.DataFrame(
        {
            "unit_code": ["132", "133", "140", "777"],
            "unit_name": ["Thành phố Yên Bái", "TX. Nghĩa Lộ", "Huyện Văn Chấn", "Atlantis"],
            "score": [61.0, 48.0, 30.0, 99.0],
        }
    )
    joined, report = geo.join_units(data, shapes, shape_code_col="code")
    assert len(joined) == 4  # every shape, once
    assert joined["unit_code"].tolist()[:3] == ["132", "133", "140"]
    assert joined["score"].tolist()[:3] == [61.0, 48.0, 30.0]
    assert pd.isna(joined["score"].iloc[3])
    assert joined["match"].tolist() == ["code", "name", "code", ""]
    assert report.matched.set_index("unit_code")["by"].to_dict() == {
        "132": "code",
        "140": "code",
        "133": "name",
    }
    assert report.unmatched_data["unit_code"].tolist() == ["777"]
    assert report.unmatched_shapes["shape_name"].tolist() == ["Tran Yen"]
    assert not report.ok
    assert "Atlantis" in str(report) and "Tran Yen" in str(report)


def test_join_exact_name_beats_type_stripping():
    # "Quan Hoa" is a district name, not "Quận Hoa": the exact folded name wins.
    shapes = _squares(["Quan Hoa", "Hoa"])
    data = pd.DataFrame({"unit_code": ["1", "2"], "unit_name": ["Quan Hóa", "Hòa"], "v": [1, 2]})
    joined, report = geo.join_units(data, shapes)
    assert joined["v"].tolist() == [1, 2]
    assert report.ok


def test_join_ambiguous_name_is_reported_not_guessed():
    shapes = _squares(["Chau Thanh", "Châu Thành", "Cao Lanh"])
    data = pd.DataFrame({"unit_code": ["a", "b"], "unit_name": ["Huyện Châu Thành", "Cao Lãnh"]})
    joined, report = geo.join_units(data, shapes)
    assert report.unmatched_data["reason"].iloc[0].startswith("name matches several shapes")
    assert joined["unit_code"].tolist()[2] == "b"
    assert joined["unit_code"].iloc[:2].isna().all()


def test_join_two_data_units_with_one_name_match_neither():
    shapes = _squares(["Chau Thanh"])
    data = pd.DataFrame({"unit_code": ["821", "831"], "unit_name": ["Châu Thành", "Châu Thành"]})
    joined, report = geo.join_units(data, shapes)
    assert joined["unit_code"].isna().all()
    assert report.unmatched_data["reason"].str.startswith("several data units").all()


def test_join_aliases_and_wide_matrix_with_units_table():
    units = pd.DataFrame(
        {
            "code": ["15", "79"],
            "name": ["Yên Bái", "Hồ Chí Minh"],
            "valid_from": ["", ""],
            "valid_to": ["2025-06-30", ""],
        }
    )
    matrix = pd.DataFrame(
        {"literacy": [88.9, 98.7]}, index=pd.Index(["15", "79"], name="unit_code")
    )
    shapes = _squares(["Yen Bai", "Ho Chi Minh City"])
    joined, report = geo.join_units(
        matrix, shapes, units=units, aliases={"Hồ Chí Minh": "Ho Chi Minh City"}
    )
    assert joined["literacy"].tolist() == [88.9, 98.7]
    assert report.ok


def test_join_rejects_units_of_another_year():
    units = pd.DataFrame(
        {
            "code": ["133", "04288"],
            "name": ["Nghĩa Lộ", "Nghĩa Lộ"],
            "valid_from": ["", "2025-07-01"],
            "valid_to": ["2025-06-30", ""],
        }
    )
    data = pd.DataFrame({"unit_code": ["04288"], "unit_name": ["Phường Nghĩa Lộ"], "v": [1.0]})
    joined, report = geo.join_units(data, _squares(["Nghia Lo"]), year=2023, units=units)
    assert report.unmatched_data["reason"].iloc[0].startswith("not a unit in 2023")
    assert joined["v"].isna().all()
    # The same ward joins to 2025 shapes.
    _, later = geo.join_units(data, _squares(["Nghia Lo"]), year=2025, units=units)
    assert later.ok


def test_join_rejects_duplicate_codes():
    data = pd.DataFrame({"unit_code": ["132", "132"], "unit_name": ["Yên Bái", "Yên Bái"]})
    with pytest.raises(UsageError, match=r"'132' appears more than once \(data row 2\)"):
        geo.join_units(data, _squares(["Yen Bai"]))


# --------------------------------------------------------------------------- dissolve


def test_dissolve_wards_into_a_city_and_provinces():
    wards = _squares(["a", "b", "c", "d"], codes=["04252", "04273", "04279", "04288"])
    crosswalk = pd.DataFrame(
        {"old_code": ["04252", "04273", "04279"], "new_code": ["yen-bai", "yen-bai", "yen-bai"]}
    )
    city = geo.dissolve_units(wards, crosswalk, code_col="code")
    assert city["code"].tolist() == ["yen-bai"]
    assert city["n_parts"].tolist() == [3]
    assert city["parts"].iloc[0] == "04252;04273;04279"
    # Three unit squares in a row make a 3 x 1 rectangle.
    assert city.geometry.iloc[0].area == pytest.approx(3.0)
    assert city.geometry.iloc[0].bounds == (0.0, 0.0, 3.0, 1.0)
    assert city.attrs["not_dissolved"] == ["04288"]


def test_dissolve_refuses_split_units():
    wards = _squares(["a"], codes=["04297"])
    crosswalk = pd.DataFrame({"old_code": ["04297", "04297"], "new_code": ["x", "y"]})
    with pytest.raises(UsageError, match="'04297' goes to several new units"):
        geo.dissolve_units(wards, crosswalk, code_col="code")


def test_city_shape_before_and_after_the_reform():
    # Nghĩa Lộ after 1 July 2025: wards 04288, 04663, 04681 whole, commune 04660 in part.
    new_units = _squares(["a", "b", "c", "d", "e"], codes=["04288", "04663", "04681", "04660", "x"])
    city = geo.city_shape(new_units, "Nghĩa Lộ", "2025-07-01", code_col="code")
    assert city["code"].tolist() == ["nghia-lo"]
    assert city["unit_name"].tolist() == ["Nghĩa Lộ"]
    assert city.geometry.iloc[0].bounds == (0.0, 0.0, 4.0, 1.0)
    assert city.attrs["partial_members"] == ["04660"]
    whole = geo.city_shape(new_units, "nghia-lo", "2025-07-01", code_col="code", partial="exclude")
    assert whole.geometry.iloc[0].bounds == (0.0, 0.0, 3.0, 1.0)
    # Before the reform the city is its 14 old communes: here only two have shapes.
    old_units = _squares(["p", "q"], codes=["04282", "04285"])
    before = geo.city_shape(old_units, "Nghĩa Lộ", "2024-01-01", code_col="code")
    assert before["n_parts"].tolist() == [2]
    assert len(before.attrs["missing_members"]) == 12
    with pytest.raises(UsageError, match="none of the 4 units of Nghĩa Lộ on 2025-07-01"):
        geo.city_shape(old_units, "Nghĩa Lộ", "2025-07-01", code_col="code")


def test_command_line_fetch_and_rejection(served, tmp_path, capsys):
    from learningcity.cli import main

    server, payload = served
    digest = hashlib.sha256(payload).hexdigest()
    args = ["boundaries", "fetch", "--level", "ADM1", "--base-url", server.url]
    assert main([*args, "--cache-dir", str(tmp_path / "a"), "--sha256", digest]) == 0
    out = capsys.readouterr().out
    assert "ADM1: 2 shapes, boundary year 2016" in out
    assert "CC BY-SA 4.0" in out
    wrong = "0" * 64
    assert main([*args, "--cache-dir", str(tmp_path / "b"), "--sha256", wrong]) == 2
    assert "does not match its SHA-256 checksum" in capsys.readouterr().err


# --------------------------------------------------------------------------- properties


_names = st.sampled_from(["Yên Bái", "Yen Bai", "Nghĩa Lộ", "TX Nghia Lo", "Châu Thành", "Hòa"])


@settings(max_examples=40, deadline=None)
@given(
    data_names=st.lists(_names, min_size=1, max_size=6),
    shape_names=st.lists(_names, min_size=1, max_size=6),
)
def test_join_accounts_for_every_unit_and_uses_a_shape_once(data_names, shape_names):
    data = pd.DataFrame(
        {"unit_code": [f"d{i}" for i in range(len(data_names))], "unit_name": data_names}
    )
    joined, report = geo.join_units(data, _squares(shape_names))
    assert len(joined) == len(shape_names)
    assert len(report.matched) + len(report.unmatched_data) == len(data)
    assert report.matched["shape_row"].is_unique
    assert len(report.matched) + len(report.unmatched_shapes) == len(shape_names)
    # Every match joins names with the same key.
    for row in report.matched.itertuples():
        assert geo.name_key(row.unit_name) == geo.name_key(shape_names[row.shape_row])
