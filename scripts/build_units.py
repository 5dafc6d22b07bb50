"""Build ``data/units/units.csv`` and ``data/units/crosswalk_2025.csv``.

The facts (names, types and GSO codes of Vietnam's administrative units before
and after the reform of 1 July 2025, and which old unit went into which new
one) are read from the dataset bundled with the MIT-licensed PyPI package
``vietnamadminunits`` 1.0.4 (Tran Ngoc Minh Hieu; compiled from the GSO unit
list of 18 July 2025 and the conversion lists of sapnhap.bando.com.vn). Only
facts are taken; no code of the package is used beyond reading its data files.

Run it from the repository with the package installed in the environment::

    pip install vietnamadminunits==1.0.4
    python scripts/build_units.py

The output is deterministic (sorted rows), so re-running it on the same
package version leaves the files unchanged.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import sqlite3
import sys
from pathlib import Path

import pandas as pd

from learningcity.files import atomic_write_text
from learningcity.text import nfc

SOURCE_ID = "vietnamadminunits-1.0.4"
OLD_UNTIL = "2025-06-30"  # last day of the 63-province, three-tier geography
NEW_FROM = "2025-07-01"  # Resolution 202/2025/QH15 and the two-tier local government
PROVINCE_TYPES = ("Thành phố", "Tỉnh")
OUT = Path(__file__).resolve().parents[1] / "data" / "units"


def _split_type(full: str, short: str, known: tuple[str, ...]) -> str:
    """Return the type prefix of ``full`` ("Tỉnh Yên Bái" -> "Tỉnh")."""
    prefix = nfc(full[: len(full) - len(short)])
    if prefix not in known or nfc(full) != nfc(f"{prefix} {short}"):
        raise ValueError(f"cannot split the unit type from {full!r} (short name {short!r})")
    return prefix


def _read_package() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    version = importlib.metadata.version("vietnamadminunits")
    if version != "1.0.4":
        sys.exit(f"expected vietnamadminunits 1.0.4, found {version}; update SOURCE_ID first")
    base = importlib.resources.files("vietnamadminunits") / "data"
    with sqlite3.connect(str(base / "dataset.db")) as con:
        legacy = pd.read_sql("SELECT * FROM admin_units_legacy", con)
        new = pd.read_sql("SELECT * FROM admin_units", con)
    converter = json.loads((base / "converter_2025.json").read_text(encoding="utf-8"))
    return legacy, new, converter


def build_units(legacy: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Return one row per unit: old provinces, districts, communes; new provinces, communes."""
    rows = []
    for r in legacy.drop_duplicates("provinceCode").itertuples():
        rows.append(
            (
                r.provinceCode,
                r.provinceShort,
                _split_type(r.province, r.provinceShort, PROVINCE_TYPES),
                "province",
                "",
                "",
                OLD_UNTIL,
            )
        )
    for r in legacy.drop_duplicates("districtCode").itertuples():
        rows.append(
            (
                r.districtCode,
                r.districtShort,
                r.districtType,
                "district",
                r.provinceCode,
                "",
                OLD_UNTIL,
            )
        )
    for r in legacy.dropna(subset=["wardCode"]).itertuples():
        rows.append((r.wardCode, r.wardShort, r.wardType, "commune", r.districtCode, "", OLD_UNTIL))
    for r in new.drop_duplicates("provinceCode").itertuples():
        rows.append(
            (
                r.provinceCode,
                r.provinceShort,
                _split_type(r.province, r.provinceShort, PROVINCE_TYPES),
                "province",
                "",
                NEW_FROM,
                "",
            )
        )
    for r in new.itertuples():
        rows.append((r.wardCode, r.wardShort, r.wardType, "commune", r.provinceCode, NEW_FROM, ""))
    cols = ["code", "name", "type", "level", "parent_code", "valid_from", "valid_to"]
    units = pd.DataFrame(rows, columns=cols).astype(str)
    units["name"] = units["name"].map(nfc)
    units["type"] = units["type"].map(nfc)
    units["source_id"] = SOURCE_ID
    level_order = {"province": 0, "district": 1, "commune": 2}
    units = units.sort_values(
        ["valid_from", "level", "code"],
        key=lambda s: s.map(level_order) if s.name == "level" else s,
    )
    if units.duplicated(["code", "level", "valid_from"]).any():
        raise ValueError("duplicated unit codes within one period")
    return units.reset_index(drop=True)


def build_crosswalk(legacy: pd.DataFrame, new: pd.DataFrame, converter: dict) -> pd.DataFrame:
    """Return one row per (old unit, new commune-level unit) pair, with whole/partial."""
    legacy = legacy.assign(
        key=legacy["provinceKey"]
        + "_"
        + legacy["districtKey"]
        + "_"
        + legacy["wardKey"].fillna(""),
        old_code=legacy["wardCode"].fillna(legacy["districtCode"]),
        old_level=legacy["wardCode"].map(lambda c: "district" if pd.isna(c) else "commune"),
    ).set_index("key")
    if not legacy.index.is_unique:
        raise ValueError("old-unit keys are not unique")
    province_key = new.drop_duplicates("provinceKey").set_index("provinceKey")["provinceCode"]
    new_code = new.set_index(["provinceKey", "wardKey"])["wardCode"]
    if not new_code.index.is_unique:
        raise ValueError("new-unit keys are not unique")

    rows = []
    for pkey, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for wkey, old_keys in wards.items():
            rows += [(k, new_code[(pkey, wkey)], "whole", "") for k in old_keys]
    for pkey, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in olds.items():
            for t in targets:
                default = "yes" if t["isDefaultNewWard"] else "no"
                rows.append((old_key, new_code[(pkey, t["newWardKey"])], "partial", default))
    cw = pd.DataFrame(rows, columns=["key", "new_code", "share", "main_successor"])
    missing = set(cw["key"]) - set(legacy.index)
    if missing:
        raise ValueError(f"crosswalk keys not in the old-unit table: {sorted(missing)[:5]}")
    unmapped = set(legacy.index) - set(cw["key"])
    if unmapped:
        raise ValueError(f"old units without a successor: {sorted(unmapped)[:5]}")
    old = legacy.loc[cw["key"]]
    out = pd.DataFrame(
        {
            "old_code": old["old_code"].to_numpy(),
            "old_level": old["old_level"].to_numpy(),
            "old_name": old["wardShort"].fillna(old["districtShort"]).map(nfc).to_numpy(),
            "old_district_code": old["districtCode"].to_numpy(),
            "old_province_code": old["provinceCode"].to_numpy(),
            "new_code": cw["new_code"].to_numpy(),
            "share": cw["share"].to_numpy(),
            "main_successor": cw["main_successor"].to_numpy(),
        }
    )
    new_info = new.set_index("wardCode")
    out["new_name"] = out["new_code"].map(new_info["wardShort"]).map(nfc)
    out["new_province_code"] = out["new_code"].map(new_info["provinceCode"])
    # The new province of an old unit must be one of the successors of its old province.
    expected = {province_key[p]: set(olds) for p, olds in converter["DICT_PROVINCE"].items()}
    old_pkey = legacy.drop_duplicates("provinceCode").set_index("provinceCode")["provinceKey"]
    bad = [
        r
        for r in out.itertuples()
        if old_pkey[r.old_province_code] not in expected[r.new_province_code]
    ]
    if bad:
        raise ValueError(f"{len(bad)} rows cross into an unrelated province, e.g. {bad[0]}")
    out["source_id"] = SOURCE_ID
    cols = [
        "old_code",
        "old_level",
        "old_name",
        "old_district_code",
        "old_province_code",
        "new_code",
        "new_name",
        "new_province_code",
        "share",
        "main_successor",
        "source_id",
    ]
    out = out[cols].sort_values(["old_province_code", "old_district_code", "old_code", "new_code"])
    if out.duplicated(["old_code", "new_code"]).any():
        raise ValueError("duplicated old/new pairs")
    return out.reset_index(drop=True)


def main() -> None:
    legacy, new, converter = _read_package()
    units = build_units(legacy, new)
    crosswalk = build_crosswalk(legacy, new, converter)
    OUT.mkdir(parents=True, exist_ok=True)
    atomic_write_text(OUT / "units.csv", units.to_csv(index=False, lineterminator="\n"))
    atomic_write_text(
        OUT / "crosswalk_2025.csv", crosswalk.to_csv(index=False, lineterminator="\n")
    )
    counts = units.groupby(["valid_from", "level"]).size()
    print(counts.to_string())
    print(crosswalk["share"].value_counts().to_string())


if __name__ == "__main__":
    main()
