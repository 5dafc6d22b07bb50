"""Boundaries: shipped, read, downloaded (geoBoundaries), joined to data, dissolved.

A map needs shapes for the units of the data's year. The ways to get them:

* :func:`shipped_boundaries` reads the polygons shipped with the package
  (``data/geo/boundaries/``): the 63 provinces before 1 July 2025, the 34 after,
  and Yên Bái's 9 district-level units before; simplified, coded, no network;
* :func:`read_boundaries` reads a user's file (GeoJSON, GeoPackage, shapefile or
  zipped shapefile);
* :func:`fetch_geoboundaries` downloads geoBoundaries gbOpen Vietnam ADM1
  (provinces) or ADM2 (all districts) at full detail, checks the file's SHA-256
  and caches it, so a second run needs no network;
* :func:`attach_codes` gives shapes the project's GSO codes by name, and
  :func:`map_units` does it all in one call for a level and a data year: a
  verified download in the cache if there is one, else the shipped shapes;
* :func:`centre_points` turns administrative centres (``unit_code, lat, lon``)
  into points, which :mod:`learningcity.plots` draws as proportional symbols
  when no boundaries are available at all.

The shipped shapes and geoBoundaries gbOpen Vietnam are licensed CC BY-SA 4.0:
the attribution travels with the frame (``.attrs["attribution"]``) and is
printed on every map.

The July 2025 reform merged 63 provinces into 34 and abolished districts. The
geoBoundaries shapes are pre-reform (boundary year 2016), so they serve data of
years up to 2024 (:func:`reform_period`); post-reform provinces are the union of
their predecessors (:func:`dissolve_units`), because provinces merged whole.
A city is the union of its communes on a date (:func:`city_shape`).

Typical use (``matrix`` is the wide matrix of one year, indexed by unit code)::

    from learningcity import geo, plots

    shapes = geo.map_units("province", 2016)         # polygons, offline too
    joined, report = geo.join_units(matrix, shapes)  # by code, then by name
    print(report)                                    # what did not match, both sides
    plots.choropleth(joined, "literacy_rate", "natural_breaks", lang="vi")
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from learningcity.errors import LearningCityError, UsageError
from learningcity.files import sha256_file
from learningcity.paths import data_dir
from learningcity.text import fold, nfc

if TYPE_CHECKING:  # geopandas is heavy; imported inside the functions that need it
    import geopandas as gpd

__all__ = [
    "GEOBOUNDARIES_ATTRIBUTION",
    "GEOBOUNDARIES_FILES",
    "SHIPPED_ATTRIBUTION",
    "BoundariesUnavailableError",
    "ChecksumError",
    "JoinReport",
    "centre_points",
    "city_shape",
    "dissolve_units",
    "fetch_geoboundaries",
    "join_units",
    "map_units",
    "name_key",
    "attach_codes",
    "read_boundaries",
    "read_centres",
    "reform_period",
    "shipped_boundaries",
    "shipped_metadata",
]

#: The July 2025 reform took effect on 1 July 2025; data of a year refers to the
#: units in force at the end of that year, so years up to 2024 use the old units.
REFORM_FIRST_YEAR = 2025

GEOBOUNDARIES_LICENCE = "CC BY-SA 4.0"
GEOBOUNDARIES_ATTRIBUTION = (
    "Boundaries: geoBoundaries gbOpen VNM (2016 units), CC BY-SA 4.0; "
    "Runfola et al. 2020, PLoS ONE 15(4): e0231866"
)

# Pinned files of github.com/wmgeolab/geoBoundaries at one commit; the SHA-256
# and sizes are the Git LFS pointers of those files at that commit.
_GB_COMMIT = "ea5b27e7aa608eb6827f2cc76620a5b21acc5962"
GEOBOUNDARIES_BASE_URL = (
    f"https://media.githubusercontent.com/media/wmgeolab/geoBoundaries/{_GB_COMMIT}/"
)
GEOBOUNDARIES_FILES: dict[str, dict[str, Any]] = {
    "ADM1": {
        "path": "releaseData/gbOpen/VNM/ADM1/geoBoundaries-VNM-ADM1_simplified.geojson",
        "sha256": "aa4f24942de55466962052b1cadbe36d2f4c36f8eff94966890f53dff6c68aed",
        "size": 529049,
        "level": "province",
        "boundary_year": 2016,
    },
    "ADM2": {
        "path": "releaseData/gbOpen/VNM/ADM2/geoBoundaries-VNM-ADM2_simplified.geojson",
        "sha256": "0605c74a1b2a8efd45d096bb7ab1ca989575781684f0a265ec98eb6a4efcbead",
        "size": 5194724,
        "level": "district",
        "boundary_year": 2016,
    },
}

_READABLE = (".geojson", ".json", ".gpkg", ".shp", ".zip")

#: Credit printed on maps drawn on the shipped shapes (``data/geo/boundaries/``).
SHIPPED_ATTRIBUTION = (
    "Boundaries: Open Development Mekong / Dept of Survey and Mapping (2016 units) "
    "via geoBoundaries (Runfola et al. 2020), CC BY-SA 4.0, simplified"
)
# Province names the folding cannot bridge: unit name -> geoBoundaries shapeName.
_PROVINCE_ALIASES = {"Huế": "Thua Thien - Hue"}
# Shipped files: (level, period) -> key of data/geo/boundaries/metadata.json "files".
_SHIPPED = {
    ("province", "pre-2025"): "provinces-63",
    ("province", "post-2025"): "provinces-34",
    ("district", "pre-2025"): "districts-yen-bai",
}


class BoundariesUnavailableError(LearningCityError):
    """No boundaries could be downloaded and none are cached."""


class ChecksumError(LearningCityError):
    """A download does not match its expected SHA-256; the file was deleted."""


# --------------------------------------------------------------------------- reading


def read_boundaries(path: str | Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read boundary polygons from a GeoJSON, GeoPackage, shapefile or zipped shapefile.

    Parameters
    ----------
    path : path-like
        ``.geojson``/``.json``, ``.gpkg``, ``.shp`` (with its ``.dbf``/``.shx``
        beside it) or a ``.zip`` holding a shapefile.
    layer : str, optional
        Layer of a multi-layer GeoPackage; the first layer by default.

    Returns
    -------
    GeoDataFrame
        The features as read; ``.attrs["source_file"]`` names the file.

    Raises
    ------
    UsageError
        The file is missing, of an unknown kind, unreadable or holds no geometry.

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely.geometry import box
    >>> tmp = Path(tempfile.mkdtemp()) / "two.geojson"
    >>> gpd.GeoDataFrame({"name": ["A", "B"]},
    ...                  geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326).to_file(tmp)
    >>> read_boundaries(tmp)["name"].tolist()
    ['A', 'B']
    """
    import geopandas as gpd

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: boundary file not found")
    if path.suffix.lower() not in _READABLE:
        raise UsageError(
            f"{path}: unknown boundary file type {path.suffix!r}; "
            f"expected one of {', '.join(_READABLE)}"
        )
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types for broken files
        raise UsageError(f"{path}: cannot read boundaries ({exc})") from exc
    if "geometry" not in frame or frame.geometry.isna().all():
        raise UsageError(f"{path}: no geometry found")
    frame.attrs["source_file"] = str(path)
    return frame


# --------------------------------------------------------------------------- download


def _default_cache() -> Path:
    env = os.environ.get("LEARNINGCITY_CACHE")
    if env:
        return Path(env).expanduser() / "geoboundaries"
    import pooch

    return Path(pooch.os_cache("learningcity")) / "geoboundaries"


def _sha256(path: Path) -> str:
    return sha256_file(path)


def _cached_geoboundaries(
    level: str, cache_dir: str | Path | None = None, sha256: str | None = None
) -> Path | None:
    """The cached download of ``level`` if it is there and matches its SHA-256; no network."""
    spec = GEOBOUNDARIES_FILES[level]
    expected = (sha256 or spec["sha256"]).lower().removeprefix("sha256:")
    cache = Path(cache_dir) if cache_dir is not None else _default_cache()
    cached = cache / Path(spec["path"]).name
    return cached if cached.is_file() and _sha256(cached) == expected else None


def fetch_geoboundaries(
    level: Literal["ADM1", "ADM2"] = "ADM1",
    *,
    cache_dir: str | Path | None = None,
    base_url: str = GEOBOUNDARIES_BASE_URL,
    sha256: str | None = None,
) -> gpd.GeoDataFrame:
    """Download (once) and read geoBoundaries gbOpen Vietnam provinces or districts.

    The file is checked against its SHA-256 and kept in a cache; a later call
    reads the cached copy without touching the network.

    Parameters
    ----------
    level : {"ADM1", "ADM2"}
        ``"ADM1"`` for the 63 provinces, ``"ADM2"`` for the districts (both as
        of the 2016 boundary year, i.e. before the 2025 reform).
    cache_dir : path-like, optional
        Where downloads are kept; ``$LEARNINGCITY_CACHE/geoboundaries`` or the
        user cache folder (``pooch.os_cache("learningcity")``) by default.
    base_url : str
        Folder URL the release paths are appended to (a mirror, or a local
        server in tests); the pinned geoBoundaries commit by default.
    sha256 : str, optional
        Expected checksum; the pinned one by default. Give it with a mirror
        that serves another version of the file.

    Returns
    -------
    GeoDataFrame
        Features with ``shapeName``, ``shapeISO``, ``shapeID`` …; ``.attrs``
        holds ``attribution``, ``licence``, ``boundary_year``, ``level``.

    Raises
    ------
    ChecksumError
        The download does not match the checksum (the file is deleted).
    BoundariesUnavailableError
        The download failed and nothing is cached; :func:`map_units` then
        falls back to centre points.

    Examples
    --------
    >>> sorted(GEOBOUNDARIES_FILES)
    ['ADM1', 'ADM2']
    >>> fetch_geoboundaries("ADM3")
    Traceback (most recent call last):
    ...
    learningcity.errors.UsageError: unknown geoBoundaries level 'ADM3'; expected ADM1 or ADM2
    """
    import pooch

    if level not in GEOBOUNDARIES_FILES:
        raise UsageError(f"unknown geoBoundaries level {level!r}; expected ADM1 or ADM2")
    spec = GEOBOUNDARIES_FILES[level]
    expected = (sha256 or spec["sha256"]).lower().removeprefix("sha256:")
    cache = Path(cache_dir) if cache_dir is not None else _default_cache()
    fname = Path(spec["path"]).name
    url = base_url.rstrip("/") + "/" + spec["path"]
    cached = cache / fname
    # A cached file with the right checksum is used as is: no network at all.
    if _cached_geoboundaries(level, cache, expected) is None:
        try:
            pooch.retrieve(url, known_hash=f"sha256:{expected}", fname=fname, path=cache)
        except ValueError as exc:
            if "hash" in str(exc).lower():
                raise ChecksumError(
                    f"download of {url} does not match its SHA-256 checksum "
                    f"(expected {expected}); the file was rejected and deleted. "
                    "The server may serve a corrupted or different version."
                ) from exc
            raise
        except Exception as exc:  # requests' connection and HTTP errors
            raise BoundariesUnavailableError(
                f"cannot download geoBoundaries {level} from {url} ({exc}) and no "
                f"verified copy is cached in {cache}; read your own file with "
                "read_boundaries() or draw centre points (map_units falls back)"
            ) from exc
    frame = read_boundaries(cached)
    frame.attrs.update(
        attribution=GEOBOUNDARIES_ATTRIBUTION,
        licence=GEOBOUNDARIES_LICENCE,
        boundary_year=spec["boundary_year"],
        level=spec["level"],
        source_url=url,
    )
    return frame


# --------------------------------------------------------------------------- shipped


def _shipped_folder() -> Path:
    return data_dir() / "geo" / "boundaries"


def shipped_metadata() -> dict[str, Any]:
    """The record of the shipped boundary files (``data/geo/boundaries/metadata.json``).

    It gives the sources with their commit and SHA-256, the licence, the
    attribution, the simplification tolerance, the match reports of the build
    (``scripts/build_boundaries.py``) and, per file, its SHA-256, size and
    number of features.

    Raises
    ------
    BoundariesUnavailableError
        The record is missing or unreadable.

    Examples
    --------
    >>> meta = shipped_metadata()
    >>> meta["licence"], sorted(meta["files"])
    ('CC BY-SA 4.0', ['districts-yen-bai', 'provinces-34', 'provinces-63'])
    """
    import json

    path = _shipped_folder() / "metadata.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BoundariesUnavailableError(
            f"{path}: the record of the shipped boundaries cannot be read ({exc})"
        ) from exc


def _day(date: object) -> str:
    """An ISO day; a year stands for its last day (the units data of a year refer to)."""
    if isinstance(date, int | np.integer) and not isinstance(date, bool):
        return f"{int(date)}-12-31"
    from learningcity.units import _iso

    return _iso(date)


def shipped_boundaries(
    level: Literal["province", "district"] = "province",
    date: object = None,
    *,
    verify: bool = True,
) -> gpd.GeoDataFrame:
    """The polygons shipped with the package for the units of ``level`` on ``date``.

    No network is used. Before 1 July 2025: the 63 provinces, or the 9
    district-level units of Yên Bái province (the only districts shipped; use
    :func:`fetch_geoboundaries` for all of them). From 1 July 2025: the 34
    provinces, each the union of its predecessors (provinces merged whole).
    Shapes are of the 2016 boundary year (Open Development Mekong / Dept of
    Survey and Mapping, via geoBoundaries), simplified topologically (shared
    edges stay shared; tolerance in ``.attrs["tolerance_degrees"]``), fit for
    statistical maps, not for surveying or legal boundaries.

    Parameters
    ----------
    level : {"province", "district"}
    date : str, date or int
        Day of the geography (``"2024-01-01"``); a year stands for its last day,
        as in :func:`map_units` (2025 gives the 34 provinces). Today by default.
    verify : bool, default True
        Check the file's SHA-256 against ``metadata.json`` first.

    Returns
    -------
    GeoDataFrame
        ``unit_code``, ``unit_name`` (GSO codes and names of the units on that
        date) and the geometry; districts also ``parent_code``, the 34 provinces
        ``parts`` (predecessor codes, ";"-joined) and ``n_parts``.
        ``.attrs``: ``attribution``, ``licence``, ``boundary_year``, ``level``,
        ``source`` (``"shipped"``), ``source_file``, ``date``,
        ``tolerance_degrees``, ``code_report``.

    Raises
    ------
    UsageError
        An unknown level, or districts on or after 1 July 2025 (abolished).
    BoundariesUnavailableError
        The shipped file is missing (:func:`map_units` then falls back to centres).
    ChecksumError
        The file does not match its recorded SHA-256 (it was changed or damaged).

    Examples
    --------
    >>> old = shipped_boundaries("province", "2024-01-01")
    >>> len(old), old.loc[old["unit_code"] == "15", "unit_name"].item()
    (63, 'Yên Bái')
    >>> new = shipped_boundaries("province", 2025)
    >>> len(new), new.loc[new["unit_code"] == "15", "parts"].item()
    (34, '10;15')
    >>> shipped_boundaries("district", 2024)["unit_name"].tolist()[:2]
    ['Yên Bái', 'Nghĩa Lộ']
    """
    import datetime as dt

    from learningcity.units import REFORM_DATE

    if level not in ("province", "district"):
        raise UsageError(f"unknown level {level!r}; expected 'province' or 'district'")
    day = _day(dt.date.today() if date is None else date)
    period = "pre-2025" if day < REFORM_DATE else "post-2025"
    if level == "district" and period == "post-2025":
        raise UsageError(
            f"districts were abolished on 1 July 2025: there are none on {day}; "
            "draw provinces, or read commune boundaries with read_boundaries()"
        )
    meta = shipped_metadata()
    key = _SHIPPED[(level, period)]
    entry = meta.get("files", {}).get(key)
    if entry is None:
        raise BoundariesUnavailableError(f"metadata.json lists no file {key!r}")
    path = _shipped_folder() / entry["file"]
    if not path.is_file():
        raise BoundariesUnavailableError(f"{path}: shipped boundary file not found")
    if verify and _sha256(path) != entry["sha256"]:
        raise ChecksumError(
            f"{path} does not match the SHA-256 in metadata.json ({entry['sha256']}); "
            "the file was changed or damaged: rebuild it (scripts/build_boundaries.py) "
            "or reinstall the package"
        )
    frame = read_boundaries(path)
    frame["unit_code"] = frame["unit_code"].astype(str)
    reports = meta.get("match_reports", {})
    report = {
        "provinces-63": reports.get("provinces", ""),
        "provinces-34": "the 63 provinces dissolved through the province crosswalk: "
        + ", ".join(sorted(frame["unit_code"])),
        "districts-yen-bai": reports.get("districts_yen_bai", ""),
    }[key]
    frame.attrs.update(
        attribution=meta.get("attribution", SHIPPED_ATTRIBUTION),
        licence=meta.get("licence", "CC BY-SA 4.0"),
        boundary_year=meta.get("boundary_year", 2016),
        level=level,
        source="shipped",
        source_file=str(path),
        date=day,
        tolerance_degrees=meta.get("simplification", {}).get("tolerance_degrees"),
        code_report=report,
    )
    return frame


# --------------------------------------------------------------------------- centres


#: Kinds of centre point in ``data/geo/centres.csv``, best first: the seat of the
#: unit's government before a point geocoded from the unit's name.
CENTRE_KINDS = ("seat", "seat_geocode", "province_geocode", "district_geocode")


def read_centres(path: str | Path | None = None, *, level: str | None = None) -> pd.DataFrame:
    """Read administrative centres: one row per unit with ``unit_code, lat, lon``.

    Parameters
    ----------
    path : path-like, optional
        A CSV; the bundled ``data/geo/centres.csv`` (pre-2025 units) by default.
    level : str, optional
        Keep the rows of this ``level`` column value (``"province"``,
        ``"district"``); codes repeat across levels and dates.

    Returns
    -------
    DataFrame
        ``unit_code`` as str (leading zeros kept), ``lat``/``lon`` as float,
        other columns as read. Where a unit has several points (a ``kind``
        column), the seat of government is kept (:data:`CENTRE_KINDS` order).

    Raises
    ------
    UsageError
        Missing file or columns, a coordinate that is not a number in range
        (the message names the file, row and column), or a unit twice.

    Examples
    --------
    >>> import tempfile
    >>> csv = Path(tempfile.mkdtemp()) / "c.csv"
    >>> _ = csv.write_text("unit_code,lat,lon\\n04252,21.719,104.896\\n", encoding="utf-8")
    >>> read_centres(csv).loc[0, "unit_code"]
    '04252'
    """
    path = Path(path) if path is not None else data_dir() / "geo" / "centres.csv"
    if not path.is_file():
        raise UsageError(f"{path}: centres file not found")
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if level is not None:
        if "level" not in table.columns:
            raise UsageError(f"{path}: no 'level' column to select {level!r} centres from")
        table = table[table["level"] == level]
    if "kind" in table.columns:
        rank = table["kind"].map({k: i for i, k in enumerate(CENTRE_KINDS)})
        table = (
            table.assign(_rank=rank.fillna(len(CENTRE_KINDS)))
            .sort_values("_rank", kind="stable")
            .drop_duplicates(["unit_code", *(["level"] if "level" in table else [])])
            .sort_index()
            .drop(columns="_rank")
        )
    return _check_centres(table, str(path))


def _check_centres(table: pd.DataFrame, where: str, *, file_rows: bool = True) -> pd.DataFrame:
    """Check codes and coordinates; ``file_rows``: the index holds 0-based data-row numbers."""
    missing = [c for c in ("unit_code", "lat", "lon") if c not in table.columns]
    if missing:
        raise UsageError(f"{where}: missing column(s) {', '.join(missing)}")
    table = table.copy()
    table["unit_code"] = table["unit_code"].astype(str).str.strip()
    for col, bound in (("lat", 90.0), ("lon", 180.0)):
        values = pd.to_numeric(table[col], errors="coerce")
        bad = values.isna() | (values.abs() > bound)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            # File rows count the header line: data row 0 is line 2.
            row = f"row {int(table.index[pos]) + 2}" if file_rows else f"unit {pos + 1}"
            raise UsageError(
                f"{where}: {row}, column {col!r}: {table[col].iloc[pos]!r} is not a "
                f"number between -{bound:g} and {bound:g}"
            )
        table[col] = values.astype(float)
    dupes = table["unit_code"][table["unit_code"].duplicated()]
    if not dupes.empty:
        raise UsageError(
            f"{where}: unit_code {dupes.iloc[0]!r} appears more than once; "
            "select one level (level=...) or keep one point per unit"
        )
    return table


def centre_points(centres: pd.DataFrame) -> gpd.GeoDataFrame:
    """Turn a table of centres (``unit_code, lat, lon``) into WGS 84 points.

    The result is marked ``.attrs["fallback"] = "centres"`` so that maps draw
    proportional symbols and say that no boundaries were available.

    Examples
    --------
    >>> pts = centre_points(pd.DataFrame({"unit_code": ["132"], "lat": [21.7], "lon": [104.9]}))
    >>> pts.geometry.iloc[0].x, pts.attrs["fallback"]
    (104.9, 'centres')
    """
    import geopandas as gpd

    table = _check_centres(centres, "centres", file_rows=False)
    points = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326"
    )
    points.attrs.update(centres.attrs)
    points.attrs["fallback"] = "centres"
    return points


# --------------------------------------------------------------------------- reform


def reform_period(year: int) -> Literal["pre-2025", "post-2025"]:
    """Which unit set data of ``year`` is drawn on.

    Data of a year refers to the units in force at its end: up to 2024 the 63
    provinces with districts; from 2025 the 34 provinces without districts.

    Examples
    --------
    >>> reform_period(2024), reform_period(2025)
    ('pre-2025', 'post-2025')
    """
    return "pre-2025" if int(year) < REFORM_FIRST_YEAR else "post-2025"


def _units_of_year(units: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows of a units table (``valid_from``/``valid_to`` ISO dates) valid on 31 Dec."""
    day = f"{int(year)}-12-31"
    start = units.get("valid_from", pd.Series("", index=units.index)).fillna("")
    end = units.get("valid_to", pd.Series("", index=units.index)).fillna("")
    ok = ((start == "") | (start <= day)) & ((end == "") | (end >= day))
    return units[ok]


def dissolve_units(
    shapes: gpd.GeoDataFrame,
    crosswalk: Mapping[str, str] | pd.DataFrame,
    *,
    code_col: str = "unit_code",
    from_col: str = "old_code",
    to_col: str = "new_code",
) -> gpd.GeoDataFrame:
    """Merge unit polygons into larger units: wards into a city, old into new provinces.

    Parameters
    ----------
    shapes : GeoDataFrame
        Polygons with a code column.
    crosswalk : mapping or DataFrame
        Old code → new code (a dict, or a table with ``from_col`` and
        ``to_col``). Each old unit must go whole into one new unit.
    code_col, from_col, to_col : str
        Column names.

    Returns
    -------
    GeoDataFrame
        One row per new unit: ``code_col`` (the new code), ``parts`` (the old
        codes, ";"-joined), ``n_parts`` and the union geometry. Shapes not in the
        crosswalk are left out and listed in ``.attrs["not_dissolved"]``.

    Raises
    ------
    UsageError
        An old unit maps to several new units (it was split, so its part of each
        new unit has no boundary here), or a column is missing.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> wards = gpd.GeoDataFrame({"unit_code": ["a", "b", "c"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)])
    >>> city = dissolve_units(wards, {"a": "city", "b": "city"})
    >>> city["unit_code"].tolist(), float(city.area.iloc[0]), city.attrs["not_dissolved"]
    (['city'], 2.0, ['c'])
    """
    if code_col not in shapes.columns:
        raise UsageError(f"shapes have no column {code_col!r}")
    if isinstance(crosswalk, pd.DataFrame):
        for col in (from_col, to_col):
            if col not in crosswalk.columns:
                raise UsageError(f"crosswalk has no column {col!r}")
        pairs = crosswalk[[from_col, to_col]].astype(str).drop_duplicates()
    else:
        pairs = pd.DataFrame(
            {from_col: list(map(str, crosswalk)), to_col: list(map(str, crosswalk.values()))}
        )
    split = pairs[from_col][pairs[from_col].duplicated()]
    if not split.empty:
        targets = pairs.loc[pairs[from_col] == split.iloc[0], to_col].tolist()
        raise UsageError(
            f"crosswalk: unit {split.iloc[0]!r} goes to several new units {targets}; only "
            "units merged whole can be dissolved (a split unit needs its new boundaries)"
        )
    mapping = dict(zip(pairs[from_col], pairs[to_col], strict=True))
    codes = shapes[code_col].astype(str)
    target = codes.map(mapping)
    keep = target.notna()
    work = shapes.loc[keep, [shapes.geometry.name]].copy()
    work["_new"] = target[keep].to_numpy()
    work["_old"] = codes[keep].to_numpy()
    merged = work.dissolve(by="_new", aggfunc={"_old": lambda s: ";".join(sorted(s))})
    merged = merged.rename(columns={"_old": "parts"}).reset_index(names=code_col)
    merged["n_parts"] = merged["parts"].str.count(";") + 1
    merged = merged[[code_col, "parts", "n_parts", merged.geometry.name]]
    merged.attrs.update(shapes.attrs)
    merged.attrs["not_dissolved"] = codes[~keep].tolist()
    return merged


def city_shape(
    shapes: gpd.GeoDataFrame,
    city: str,
    date: object,
    *,
    code_col: str = "unit_code",
    partial: Literal["include", "exclude"] = "include",
) -> gpd.GeoDataFrame:
    """Draw a city as the union of its commune-level units on a date.

    A "city" is a named set of wards and communes (``data/units/cities.csv``);
    its members differ before and after 1 July 2025
    (:func:`learningcity.cities.city_members`).

    Parameters
    ----------
    shapes : GeoDataFrame
        Commune-level polygons of that date, with GSO codes in ``code_col``.
    city : str
        City id or name (``"nghia-lo"``, ``"Nghĩa Lộ"``).
    date : str or date
        Day of the geography, e.g. ``"2024-01-01"`` or ``"2025-07-01"``.
    code_col : str
        The shapes' code column.
    partial : {"include", "exclude"}
        A new unit only partly made of the old city (Liên Sơn for Nghĩa Lộ) is
        drawn whole, or left out; either way it is listed in
        ``.attrs["partial_members"]``.

    Returns
    -------
    GeoDataFrame
        One row: ``unit_code`` (the city id), ``unit_name``, ``parts``,
        ``n_parts`` and the union. Members without a shape are listed in
        ``.attrs["missing_members"]``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> wards = gpd.GeoDataFrame({"unit_code": ["04252", "04273", "04279", "04543"]},
    ...     geometry=[box(i, 0, i + 1, 1) for i in range(4)])
    >>> city = city_shape(wards, "Yên Bái", "2025-07-01")
    >>> city["unit_name"].iloc[0], float(city.area.iloc[0])
    ('Yên Bái', 4.0)
    """
    from learningcity.cities import city_members, resolve_city

    city_id, city_name = resolve_city(city)
    members = city_members(city_id, date)
    part = members.loc[members["share"] != "whole", "code"].astype(str).tolist()
    if partial == "exclude":
        members = members[members["share"] == "whole"]
    elif partial != "include":
        raise UsageError(f"partial must be 'include' or 'exclude', not {partial!r}")
    codes = members["code"].astype(str).tolist()
    have = set(shapes[code_col].astype(str)) if code_col in shapes.columns else set()
    out = dissolve_units(shapes, dict.fromkeys(codes, city_id), code_col=code_col)
    if out.empty:
        raise UsageError(
            f"none of the {len(codes)} units of {city_name} on {date} has a shape "
            f"(codes {', '.join(codes[:5])}…); are the shapes of that date?"
        )
    out.insert(1, "unit_name", city_name)
    out.attrs["partial_members"] = part
    out.attrs["missing_members"] = [c for c in codes if c not in have]
    return out


# --------------------------------------------------------------------------- joining

# Type words written before a Vietnamese unit name (with diacritics, lower case),
# and a few English ones written after it. Matching tries the name as written
# first, so "Quan Hóa" (a district, not "Quận …") still matches exactly.
_TYPE_PREFIXES = (
    "thành phố",
    "thị xã",
    "thị trấn",
    "tỉnh",
    "huyện",
    "quận",
    "phường",
    "xã",
    "tp.",
    "tp",
    "tx.",
    "tx",
    "tt.",
    "tt",
    "h.",
    "q.",
    "p.",
    "thanh pho",
    "thi xa",
    "thi tran",
    "huyen",
)
_PREFIX_RE = re.compile(
    r"^(?:" + "|".join(map(re.escape, sorted(_TYPE_PREFIXES, key=len, reverse=True))) + r")\s*"
)
_SUFFIX_RE = re.compile(r"\s+(?:city|town|district|province|municipality)$")
_PUNCT_RE = re.compile(r"[^0-9a-z]+")


def name_key(name: str, *, strip_type: bool = True) -> str:
    """Return the key names are matched on: folded, punctuation-free, type word removed.

    Parameters
    ----------
    name : str
        A unit name as published, in any spelling.
    strip_type : bool, default True
        Remove a leading type word (``Thành phố``, ``TX.``, ``Huyện`` …) or a
        trailing English one (``city``, ``district`` …).

    Examples
    --------
    >>> name_key("TX. Nghĩa Lộ") == name_key("Nghia Lo town") == "nghia lo"
    True
    >>> name_key("Bà Rịa – Vũng Tàu")
    'ba ria vung tau'
    >>> name_key("Thành phố Yên Bái", strip_type=False)
    'thanh pho yen bai'
    """
    text = nfc(str(name)).lower()
    if strip_type:
        text = _PREFIX_RE.sub("", text, count=1) or text
    key = _PUNCT_RE.sub(" ", fold(text)).strip()
    if strip_type:
        key = _SUFFIX_RE.sub("", key) or key
    return key


@dataclass
class JoinReport:
    """What :func:`join_units` matched and what it could not.

    Attributes
    ----------
    matched : DataFrame
        ``unit_code, unit_name, shape_row, by`` (``"code"`` or ``"name"``).
    unmatched_data : DataFrame
        Data units with no shape: ``unit_code, unit_name, reason``.
    unmatched_shapes : DataFrame
        Shapes with no data: ``shape_row, shape_code, shape_name, reason``.
    """

    matched: pd.DataFrame
    unmatched_data: pd.DataFrame
    unmatched_shapes: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every data unit found a shape."""
        return self.unmatched_data.empty

    def __str__(self) -> str:
        lines = [
            f"matched {len(self.matched)} units "
            f"({(self.matched['by'] == 'code').sum()} by code, "
            f"{(self.matched['by'] == 'name').sum()} by name)"
        ]
        if not self.unmatched_data.empty:
            lines.append(f"{len(self.unmatched_data)} data unit(s) without a shape:")
            lines += [
                f"  {r.unit_code} {r.unit_name}: {r.reason}"
                for r in self.unmatched_data.itertuples()
            ]
        if not self.unmatched_shapes.empty:
            lines.append(f"{len(self.unmatched_shapes)} shape(s) without data:")
            lines += [
                f"  {r.shape_code} {r.shape_name}: {r.reason}"
                for r in self.unmatched_shapes.itertuples()
            ]
        return "\n".join(lines + self.notes)


def _unique_lookup(keys: pd.Series) -> tuple[dict[str, int], set[str]]:
    """Key → position for keys held by one row only; and the keys held by several."""
    counts = keys[keys != ""].value_counts()
    dupes = set(counts.index[counts > 1])
    lookup = {k: i for i, k in enumerate(keys) if k != "" and k not in dupes}
    return lookup, dupes


def join_units(
    data: pd.DataFrame,
    shapes: gpd.GeoDataFrame,
    *,
    code_col: str = "unit_code",
    name_col: str = "unit_name",
    shape_code_col: str | None = "auto",
    shape_name_col: str | None = "auto",
    aliases: Mapping[str, str] | None = None,
    year: int | None = None,
    units: pd.DataFrame | None = None,
    parent_col: str | None = None,
    shape_parent_col: str | None = None,
) -> tuple[gpd.GeoDataFrame, JoinReport]:
    """Join data to shapes by code, then by normalised name; report what did not match.

    Parameters
    ----------
    data : DataFrame
        One row per unit: a ``code_col`` column (or index) and, for matching by
        name, a ``name_col`` column. A wide matrix indexed by ``unit_code``
        works; its names are then looked up in ``units``.
    shapes : GeoDataFrame
        Polygons (or centre points) of the units of the data's year.
    code_col, name_col : str
        Columns of ``data``.
    shape_code_col : str or None, default "auto"
        Column of ``shapes`` holding the same codes; ``"auto"`` takes
        ``unit_code`` when the shapes have it (:func:`map_units`,
        :func:`centre_points`); ``None`` matches by name only.
    shape_name_col : str or None, default "auto"
        Column of ``shapes`` holding names; ``"auto"`` takes ``shapeName``
        (geoBoundaries) or else ``unit_name``; ``None`` matches by code only.
    aliases : mapping, optional
        Data name → shape name for spellings the normalisation cannot bridge
        (``{"TP Hồ Chí Minh": "Ho Chi Minh City"}``).
    year : int, optional
        The data's year. With ``units``, a code that is not a unit of that
        year (e.g. a 2025 commune in 2023 data) is reported, not joined.
    units : DataFrame, optional
        A units table (``code, name, valid_from, valid_to``), e.g.
        :func:`learningcity.units.load_units`; used for names and the year.
    parent_col, shape_parent_col : str, optional
        Parent unit codes in ``data`` and in ``shapes``: names then match only
        within the same parent (Vietnam has eleven districts named Châu Thành).

    Returns
    -------
    (GeoDataFrame, JoinReport)
        Every shape once (shapes without data keep NaN, so maps draw them as
        missing), the data's columns, ``unit_code`` and ``match``
        (``"code"``, ``"name"`` or ``""``); and the report.

    Raises
    ------
    UsageError
        A column is missing or a unit code appears twice in ``data``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> shapes = gpd.GeoDataFrame({"shapeName": ["Yen Bai", "Nghia Lo", "Van Chan"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> data = pd.DataFrame({"unit_code": ["132", "133", "999"],
    ...     "unit_name": ["TP Yên Bái", "TX. Nghĩa Lộ", "Nowhere"], "score": [60.0, 50.0, 1.0]})
    >>> joined, report = join_units(data, shapes)
    >>> joined["score"].tolist()
    [60.0, 50.0, nan]
    >>> report.unmatched_data["unit_name"].tolist(), report.unmatched_shapes["shape_name"].tolist()
    (['Nowhere'], ['Van Chan'])
    """
    import geopandas as gpd

    table = data.reset_index() if code_col not in data.columns else data.copy()
    if code_col not in table.columns:
        raise UsageError(f"data has no column or index named {code_col!r}")
    table[code_col] = table[code_col].astype(str).str.strip()
    dup = np.flatnonzero(table[code_col].duplicated().to_numpy())
    if dup.size:
        raise UsageError(
            f"data: unit_code {table[code_col].iloc[dup[0]]!r} appears more than once "
            f"(data row {dup[0] + 1}); give one row per unit (one year at a time)"
        )
    notes: list[str] = []
    valid_codes: set[str] | None = None
    if units is not None:
        lookup_units = units if year is None else _units_of_year(units, year)
        valid_codes = set(lookup_units["code"].astype(str))
        if name_col not in table.columns:
            names = dict(zip(units["code"].astype(str), units["name"], strict=False))
            if year is not None:
                names.update(
                    zip(lookup_units["code"].astype(str), lookup_units["name"], strict=True)
                )
            table[name_col] = table[code_col].map(names)
    if name_col not in table.columns:
        table[name_col] = ""
    table[name_col] = table[name_col].fillna("").astype(str)
    if shape_code_col == "auto":
        shape_code_col = "unit_code" if "unit_code" in shapes.columns else None
    if shape_name_col == "auto":
        found = [c for c in ("shapeName", "unit_name") if c in shapes.columns]
        shape_name_col = found[0] if found else None
    scoped = parent_col is not None and shape_parent_col is not None
    if scoped and parent_col not in table.columns:
        raise UsageError(f"data has no column {parent_col!r}")
    for col in (shape_code_col, shape_name_col, shape_parent_col if scoped else None):
        if col is not None and col not in shapes.columns:
            raise UsageError(f"shapes have no column {col!r}; columns: {list(shapes.columns)}")

    n_shapes = len(shapes)
    shape_codes = (
        shapes[shape_code_col].fillna("").astype(str).str.strip().reset_index(drop=True)
        if shape_code_col
        else pd.Series([""] * n_shapes, dtype=str)
    )
    shape_names = (
        shapes[shape_name_col].fillna("").astype(str).reset_index(drop=True)
        if shape_name_col
        else pd.Series([""] * n_shapes, dtype=str)
    )
    alias_map = {name_key(k): v for k, v in (aliases or {}).items()}
    if scoped:
        shape_parents = shapes[shape_parent_col].fillna("").astype(str).reset_index(drop=True)
        data_parents = table[parent_col].fillna("").astype(str)
    else:
        shape_parents = pd.Series([""] * n_shapes, dtype=str)
        data_parents = pd.Series([""] * len(table), index=table.index, dtype=str)

    def shape_key(p: int, strip: bool) -> str:
        key = name_key(shape_names[p], strip_type=strip)
        return f"{shape_parents[p]}|{key}" if key else ""

    def data_key(i: int, strip: bool) -> str:
        name = table[name_col].iloc[i]
        key = name_key(alias_map.get(name_key(name), name), strip_type=strip)
        return f"{data_parents.iloc[i]}|{key}" if key else ""

    taken: dict[int, str] = {}  # shape position -> data code
    matched: list[dict[str, Any]] = []
    unmatched: list[dict[str, str]] = []
    pending: list[int] = []
    code_lookup, code_dupes = _unique_lookup(shape_codes)
    for i, row in enumerate(table[[code_col, name_col]].itertuples(index=False)):
        code, name = row
        if valid_codes is not None and year is not None and code not in valid_codes:
            unmatched.append(
                {
                    "unit_code": code,
                    "unit_name": name,
                    "reason": f"not a unit in {year} (2025 reform: use that year's units)",
                }
            )
            continue
        pos = code_lookup.get(code)
        if pos is not None and pos not in taken:
            taken[pos] = code
            matched.append({"unit_code": code, "unit_name": name, "shape_row": pos, "by": "code"})
        else:
            pending.append(i)

    # Names: first as written (folded), then without type words.
    free = [p for p in range(n_shapes) if p not in taken]
    still = pending
    for strip in (False, True):
        keys = pd.Series([shape_key(p, strip) for p in free], dtype=str)
        lookup, dupes = _unique_lookup(keys)
        # A name shared by several data units matches none of them: no guessing.
        wanted = {i: data_key(i, strip) for i in still}
        counts = pd.Series(list(wanted.values()), dtype=str).value_counts()
        shared = {k for k, c in counts.items() if c > 1 and k != ""}
        left: list[int] = []
        for i in still:
            code, name = table[code_col].iloc[i], table[name_col].iloc[i]
            j = None if wanted[i] in shared else lookup.get(wanted[i])
            if j is not None and free[j] not in taken:
                taken[free[j]] = code
                matched.append(
                    {"unit_code": code, "unit_name": name, "shape_row": free[j], "by": "name"}
                )
            else:
                left.append(i)
        still = left
        if strip:
            for i in still:
                code, name = table[code_col].iloc[i], table[name_col].iloc[i]
                key = data_key(i, True)
                if not name:
                    reason = "no shape with this code, and no name to match"
                elif key in shared:
                    reason = "several data units have this name; give codes or an alias"
                elif key in dupes:
                    reason = "name matches several shapes; give codes or an alias"
                else:
                    reason = "no shape with this code or name"
                unmatched.append({"unit_code": code, "unit_name": name, "reason": reason})
        free = [p for p in range(n_shapes) if p not in taken]

    if code_dupes:
        notes.append(f"shape codes used more than once (not matched by code): {sorted(code_dupes)}")
    lost_shapes = [
        {
            "shape_row": p,
            "shape_code": shape_codes[p],
            "shape_name": shape_names[p],
            "reason": "no data unit with this code or name",
        }
        for p in range(n_shapes)
        if p not in taken
    ]

    out = shapes.reset_index(drop=True).copy()
    key = pd.Series(taken, dtype=str).reindex(range(n_shapes))
    # Data attach through the matches only; a shape's own code (if any) stays for the rest.
    out["_key"] = key.to_numpy()
    own = out["unit_code"].astype("string") if "unit_code" in out.columns else None
    out["match"] = ""
    for m in matched:
        out.loc[m["shape_row"], "match"] = m["by"]
    values = table.rename(columns={code_col: "_key"})
    clash = [c for c in values.columns if c != "_key" and c in out.columns]
    values = values.drop(columns=clash)
    joined = out.merge(values, on="_key", how="left")
    codes = joined.pop("_key")
    if own is not None:
        codes = codes.fillna(own)
    joined["unit_code"] = codes.to_numpy()
    joined = gpd.GeoDataFrame(joined, geometry=shapes.geometry.name, crs=shapes.crs)
    joined.attrs.update(shapes.attrs)
    if year is not None:
        joined.attrs["year"] = int(year)

    report = JoinReport(
        matched=pd.DataFrame(matched, columns=["unit_code", "unit_name", "shape_row", "by"]),
        unmatched_data=pd.DataFrame(unmatched, columns=["unit_code", "unit_name", "reason"]),
        unmatched_shapes=pd.DataFrame(
            lost_shapes, columns=["shape_row", "shape_code", "shape_name", "reason"]
        ),
        notes=notes,
    )
    return joined, report


# --------------------------------------------------------------------------- codes


def attach_codes(
    shapes: gpd.GeoDataFrame,
    level: Literal["province", "district"],
    year: int,
    *,
    name_col: str = "shapeName",
    parents: gpd.GeoDataFrame | None = None,
    units: pd.DataFrame | None = None,
    aliases: Mapping[str, str] | None = None,
) -> tuple[gpd.GeoDataFrame, JoinReport]:
    """Give shapes the GSO codes of the units of ``level`` in force at the end of ``year``.

    Shapes from geoBoundaries carry names, not GSO codes; this matches them by
    name (:func:`join_units`) to the project's units table, so data can then be
    joined by code.

    Parameters
    ----------
    shapes : GeoDataFrame
        Polygons with a name column.
    level : {"province", "district"}
    year : int
        The units valid on 31 December of this year are used.
    name_col : str
        The shapes' name column.
    parents : GeoDataFrame, optional
        Parent polygons with ``unit_code`` (e.g. coded provinces for
        districts): each shape is placed in the parent holding its
        representative point and matched only to that parent's units.
    units : DataFrame, optional
        Units table (``code, name, level, parent_code, valid_from, valid_to``);
        :func:`learningcity.units.load_units` by default.
    aliases : mapping, optional
        Unit name → shape name, as in :func:`join_units`.

    Returns
    -------
    (GeoDataFrame, JoinReport)
        Every shape with ``unit_code``, ``unit_name`` (NaN where unmatched)
        and ``match``; the report also sits in ``.attrs["code_report"]`` as text.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> shapes = gpd.GeoDataFrame({"shapeName": ["Yen Bai", "Lao Cai"]},
    ...     geometry=[box(0, 0, 1, 1), box(0, 1, 1, 2)], crs=4326)
    >>> coded, report = attach_codes(shapes, "province", 2024)
    >>> coded["unit_code"].tolist()
    ['15', '10']
    """
    import geopandas as gpd

    if units is None:
        from learningcity.units import load_units

        units = load_units()
    table = _units_of_year(units[units["level"] == level], year)
    data = pd.DataFrame(
        {
            "unit_code": table["code"].astype(str).to_numpy(),
            "unit_name": table["name"].to_numpy(),
            "parent_code": table.get("parent_code", pd.Series("", index=table.index)).to_numpy(),
        }
    )
    work = shapes.drop(columns=[c for c in ("unit_code", "unit_name") if c in shapes.columns])
    scoped = parents is not None
    if scoped:
        if "unit_code" not in parents.columns:
            raise UsageError("parents need a 'unit_code' column (see attach_codes)")
        points = gpd.GeoDataFrame(
            geometry=work.geometry.representative_point(), crs=work.crs
        ).reset_index(drop=True)
        inside = gpd.sjoin(
            points, parents[["unit_code", parents.geometry.name]].to_crs(work.crs), how="left"
        )
        inside = inside[~inside.index.duplicated()]
        work = work.reset_index(drop=True)
        work["parent_code"] = inside["unit_code"].reindex(work.index).to_numpy()
    joined, report = join_units(
        data,
        work,
        shape_name_col=name_col,
        aliases=aliases,
        parent_col="parent_code" if scoped else None,
        shape_parent_col="parent_code" if scoped else None,
    )
    if not scoped:
        joined = joined.drop(columns="parent_code")
    joined.attrs["code_report"] = str(report)
    return joined, report


# --------------------------------------------------------------------------- one call


def map_units(
    level: Literal["province", "district"],
    year: int,
    *,
    centres: pd.DataFrame | None = None,
    crosswalk: pd.DataFrame | None = None,
    cache_dir: str | Path | None = None,
    base_url: str | None = None,
) -> gpd.GeoDataFrame:
    """Coded shapes to draw data of ``year`` on; no network unless a mirror is given.

    The shapes, best first:

    1. the full-detail geoBoundaries files when a verified download is in the
       cache (``learningcity boundaries fetch`` puts them there), or when
       ``base_url`` names a mirror to download them from: provinces (ADM1) or
       districts (ADM2), given GSO codes by name (:func:`attach_codes`;
       districts within their province);
    2. the shapes shipped with the package (:func:`shipped_boundaries`): the 63
       provinces, the 34 from 2025, Yên Bái's 9 districts (the only ones
       shipped);
    3. centre points, when even the shipped files are missing.

    From 2025 the old provinces are dissolved into the 34 new ones with the
    province crosswalk (:func:`learningcity.crosswalk.crosswalk`), since
    provinces merged whole. Districts no longer exist from 2025.

    Parameters
    ----------
    level : {"province", "district"}
        Unit level of the data.
    year : int
        Year of the data; picks the unit set (:func:`reform_period`).
    centres : DataFrame, optional
        ``unit_code, lat, lon`` of the units: the last fallback. Before 2025,
        ``data/geo/centres.csv`` is used when not given (it holds pre-2025
        units, so later years need their own).
    crosswalk : DataFrame, optional
        ``old_code, new_code`` of provinces; the project's crosswalk by default
        (the shipped 34 provinces were dissolved with it).
    cache_dir : path-like, optional
        Where :func:`fetch_geoboundaries` keeps its downloads (the user cache
        by default); only read unless ``base_url`` is given.
    base_url : str, optional
        A mirror of the geoBoundaries release files to download from (once,
        checked and cached); when the download fails the shipped shapes are used.

    Returns
    -------
    GeoDataFrame
        Polygons with ``unit_code``, ``unit_name`` (``.attrs``: attribution,
        licence, source (``"geoBoundaries"`` or ``"shipped"``), year, level,
        ``code_report``), or points marked ``.attrs["fallback"] = "centres"``.

    Raises
    ------
    UsageError
        District data for 2025 or later (the district level was abolished).
    BoundariesUnavailableError
        Neither boundaries nor centres are available.

    Examples
    --------
    >>> shapes = map_units("province", 2016, cache_dir="/nonexistent")
    >>> len(shapes), shapes.attrs["source"], shapes.attrs["licence"]
    (63, 'shipped', 'CC BY-SA 4.0')
    >>> map_units("district", 2025)
    Traceback (most recent call last):
    ...
    learningcity.errors.UsageError: districts were abolished on 1 July 2025: ...
    """
    if level not in ("province", "district"):
        raise UsageError(f"unknown level {level!r}; expected 'province' or 'district'")
    post = reform_period(year) == "post-2025"
    if post and level == "district":
        raise UsageError(
            "districts were abolished on 1 July 2025: data of 2025 or later is drawn on "
            "provinces or communes; read commune boundaries with read_boundaries()"
        )
    levels = ["ADM1", "ADM2"] if level == "district" else ["ADM1"]
    frames: dict[str, gpd.GeoDataFrame] = {}
    try:
        if base_url is not None:
            for adm in levels:
                frames[adm] = fetch_geoboundaries(adm, cache_dir=cache_dir, base_url=base_url)
        elif all(_cached_geoboundaries(adm, cache_dir) for adm in levels):
            # Only a verified cached copy is read: fetch_geoboundaries goes no further.
            for adm in levels:
                frames[adm] = fetch_geoboundaries(adm, cache_dir=cache_dir)
    except BoundariesUnavailableError:
        frames = {}
    if not frames:
        return _shipped_or_centres(level, year, centres, crosswalk)
    old_year = min(int(year), REFORM_FIRST_YEAR - 1)
    coded, _ = attach_codes(frames["ADM1"], "province", old_year, aliases=_PROVINCE_ALIASES)
    if level == "district":
        coded, _ = attach_codes(frames["ADM2"], "district", year, parents=coded)
    elif post:
        coded = _dissolve_to_new(coded, year, crosswalk)
    coded.attrs["source"] = "geoBoundaries"
    coded.attrs["year"] = int(year)
    coded.attrs["level"] = level
    return coded


def _dissolve_to_new(
    coded: gpd.GeoDataFrame, year: int, crosswalk: pd.DataFrame | None
) -> gpd.GeoDataFrame:
    """Old provinces (coded) merged into the provinces of ``year`` through the crosswalk."""
    if crosswalk is None:
        from learningcity.crosswalk import crosswalk as province_crosswalk

        crosswalk = province_crosswalk(level="province")
    report = coded.attrs.get("code_report", "")
    merged = dissolve_units(coded[coded["unit_code"].notna()], crosswalk)
    from learningcity.units import load_units

    new = _units_of_year(load_units().query("level == 'province'"), year)
    names = dict(zip(new["code"].astype(str), new["name"], strict=True))
    merged.insert(1, "unit_name", merged["unit_code"].map(names))
    merged.attrs["code_report"] = report
    return merged


def _shipped_or_centres(
    level: str, year: int, centres: pd.DataFrame | None, crosswalk: pd.DataFrame | None
) -> gpd.GeoDataFrame:
    """The shipped shapes for data of ``year``, or centre points when they are missing."""
    try:
        if crosswalk is not None and reform_period(year) == "post-2025":
            # A crosswalk of one's own: dissolve the shipped old provinces with it.
            old = shipped_boundaries(level, REFORM_FIRST_YEAR - 1)
            shapes = _dissolve_to_new(old, year, crosswalk)
            shapes.attrs["date"] = _day(year)
        else:
            shapes = shipped_boundaries(level, year)
    except BoundariesUnavailableError as exc:
        if centres is None:
            if reform_period(year) == "post-2025":
                raise BoundariesUnavailableError(
                    f"{exc}; the bundled centres are pre-2025 units, so pass centres of "
                    f"the {year} units"
                ) from None
            try:
                centres = read_centres(level=level)
            except UsageError:
                raise exc from None
        return _fallback(centres, year)
    shapes.attrs["year"] = int(year)
    shapes.attrs["level"] = level
    return shapes


def _fallback(centres: pd.DataFrame, year: int) -> gpd.GeoDataFrame:
    points = centre_points(centres)
    points.attrs["year"] = int(year)
    return points
