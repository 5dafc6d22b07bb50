"""Write ``data/geo/centres.csv``: points for the Yên Bái units, the provinces and GNLC cities.

Maintenance script, not used at run time or by the tests. It reads the geocoded points
published in the ``vietnamadminunits`` package (1.0.4, MIT; table ``admin_units_legacy``
of its ``dataset.db``), which are Google Geocoding results, not surveyed positions:

* ``seat_geocode``: the ward or township (thị trấn) that is the seat of a district, for
  the 9 district-level units of Yên Bái (seats as listed in the project's reference
  notes, from the district articles), and for Yên Bái province (its capital's seat
  ward, where the provincial People's Committee sits);
* ``district_geocode``: the point returned for a district's name (GNLC member cities);
* ``province_geocode``: the point returned for a province's name. It is *not* the
  provincial capital (for Yên Bái it falls 30 km west of Yên Bái city).

Usage::

    python scripts/build_centres.py [--out data/geo/centres.csv]
"""

from __future__ import annotations

import argparse
import csv
import importlib.resources
import sqlite3
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "geo" / "centres.csv"
SOURCE = "vietnamadminunits-1.0.4"
COLUMNS = ["unit_code", "unit_name", "level", "kind", "place", "lat", "lon", "source_id"]
COLUMNS += ["note"]

# district code -> (name, seat ward code); seats from data/README.md (district articles)
YEN_BAI_SEATS = {
    "132": ("Yên Bái", "04261"),
    "133": ("Nghĩa Lộ", "04285"),
    "135": ("Lục Yên", "04303"),
    "136": ("Văn Yên", "04375"),
    "137": ("Mù Cang Chải", "04456"),
    "138": ("Trấn Yên", "04498"),
    "139": ("Trạm Tấu", "04585"),
    "140": ("Văn Chấn", "04672"),
    "141": ("Yên Bình", "04714"),
}
PROVINCE_NOTE = "Google-geocoded point for the province's name; not necessarily its capital"
GNLC_DISTRICTS = ("867", "412", "866", "116")  # Sa Đéc, Vinh, Cao Lãnh, Sơn La


def _db() -> Path:
    return Path(str(importlib.resources.files("vietnamadminunits") / "data" / "dataset.db"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    con = sqlite3.connect(_db())
    con.row_factory = sqlite3.Row
    rows = []
    for code, (name, ward) in YEN_BAI_SEATS.items():
        r = con.execute(
            "select wardShort, wardType, wardLat, wardLon from admin_units_legacy "
            "where districtCode = ? and wardCode = ?",
            (code, ward),
        ).fetchone()
        note = "Google-geocoded point of the seat ward/township, not the HQ building"
        if code == "139":
            note += "; the geocoder gives Xã Trạm Tấu the very same point"
        rows.append(
            [code, name, "district", "seat_geocode", f"{r['wardType']} {r['wardShort']} ({ward})"]
            + [r["wardLat"], r["wardLon"], SOURCE, note]
        )
        if code == "132":
            rows.append(
                ["15", "Yên Bái", "province", "seat_geocode"]
                + [f"{r['wardType']} {r['wardShort']} ({ward})", r["wardLat"], r["wardLon"]]
                + [SOURCE, "seat ward of the provincial capital (Yên Bái city); geocoded point"]
            )
    for r in con.execute(
        "select distinct districtCode, districtShort, districtLat, districtLon "
        "from admin_units_legacy where districtCode in (?, ?, ?, ?)",
        GNLC_DISTRICTS,
    ):
        rows.append(
            [r["districtCode"], r["districtShort"].split(" (")[0], "district"]
            + ["district_geocode", r["districtShort"], r["districtLat"], r["districtLon"]]
            + [SOURCE, "Google-geocoded point for the city's name (GNLC member)"]
        )
    for r in con.execute(
        "select distinct provinceCode, provinceShort, provinceLat, provinceLon "
        "from admin_units_legacy order by provinceCode"
    ):
        rows.append(
            [r["provinceCode"], r["provinceShort"], "province", "province_geocode"]
            + [r["provinceShort"], r["provinceLat"], r["provinceLon"], SOURCE]
            + [PROVINCE_NOTE]
        )
    rows.sort(key=lambda x: (len(x[0]), x[0], x[3]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
