"""The PAPI and PCI tables: complete where published, totals equal to their parts, and a
sample of values equal to an independent reading (data/governance/README.md lists all)."""

from __future__ import annotations

import pandas as pd
import pytest

from learningcity.data import load_bundled_observations
from learningcity.paths import data_dir

OBS = data_dir() / "observations"
DIMENSIONS = [
    "papi_participation",
    "papi_transparency",
    "papi_vertical_accountability",
    "papi_control_of_corruption",
    "papi_public_admin_procedures",
    "papi_public_service_delivery",
]
NEW_DIMENSIONS = ["papi_environmental_governance", "papi_e_governance"]  # from 2018


@pytest.fixture(scope="module")
def papi() -> pd.DataFrame:
    return pd.read_csv(OBS / "provinces-papi.csv", dtype={"unit_code": str})


@pytest.fixture(scope="module")
def pci() -> pd.DataFrame:
    return pd.read_csv(OBS / "provinces-pci.csv", dtype={"unit_code": str})


def test_the_tables_load_with_the_bundled_data_and_every_source_is_known():
    obs = load_bundled_observations()  # validates ranges, source ids and duplicates
    got = obs[obs["indicator"].str.startswith(("papi_", "pci_"))]
    assert len(got) == 7056 + 945 + 567  # dimensions and total, PCI, primary education
    sources = set(pd.read_csv(data_dir() / "sources.csv")["source_id"])
    assert set(got["source_id"]) <= sources


def test_each_year_lists_the_63_provinces(papi, pci):
    for (year, var), g in papi.groupby(["year", "indicator"]):
        assert g["unit_code"].nunique() == 63 == len(g), (year, var)
    assert set(papi.loc[papi["year"] < 2018, "indicator"]) == {*DIMENSIONS, "papi_total"}
    assert set(papi.loc[papi["year"] >= 2018, "indicator"]) == {
        *DIMENSIONS,
        *NEW_DIMENSIONS,
        "papi_total",
    }
    assert sorted(pci["year"].unique()) == list(range(2005, 2020))
    assert (pci.groupby("year")["unit_code"].nunique() == 63).all()
    # Where a value is missing the note says why (the province was not published).
    assert papi.loc[papi["value"].isna(), "note"].notna().all()
    assert pci.loc[pci["value"].isna(), "note"].notna().all()


def test_scales(papi, pci):
    dims = papi[papi["indicator"] != "papi_total"]["value"].dropna()
    assert dims.between(1, 10).all()
    total = papi[papi["indicator"] == "papi_total"].dropna(subset=["value"])
    assert total.loc[total["year"] < 2018, "value"].between(6, 60).all()
    assert total.loc[total["year"] >= 2018, "value"].between(8, 80).all()
    assert pci["value"].dropna().between(0, 100).all()


def test_the_papi_total_is_the_sum_of_its_dimensions(papi):
    wide = papi.pivot_table(index=["year", "unit_code"], columns="indicator", values="value")
    for year, g in wide.groupby(level="year"):
        dims = DIMENSIONS + (NEW_DIMENSIONS if year >= 2018 else [])
        full = g.dropna(subset=[*dims, "papi_total"])
        assert len(full) >= 60, year
        gap = (full[dims].sum(axis=1) - full["papi_total"]).abs().max()
        assert gap < 1e-4, (year, gap)


# Values read elsewhere than the tables' own source, at the precision they were printed.
INDEPENDENT = [
    # (year, GSO code, variable, value read, where)
    (2023, "01", "papi_public_service_delivery", 7.8486, "PAPI 2023 report, Table 3.6"),
    (2023, "15", "papi_public_service_delivery", 7.5827, "PAPI 2023 report, Table 3.6"),
    (2023, "10", "papi_public_service_delivery", 7.1670, "PAPI 2023 report, Table 3.6"),
    (2023, "19", "papi_public_service_delivery", 8.0022, "PAPI 2023 report, Table 3.6"),
    (2023, "02", "papi_public_service_delivery", 7.1704, "PAPI 2023 report, Table 3.6"),
    (2023, "01", "papi_total", 43.96, "Hanoi Times, 2 Apr 2024"),
    (2019, "46", "papi_total", 45.86, "Báo Thừa Thiên Huế, 29 Apr 2020"),
    (2019, "46", "papi_participation", 5.24, "Báo Thừa Thiên Huế, 29 Apr 2020"),
    (2019, "46", "papi_e_governance", 4.31, "Báo Thừa Thiên Huế, 29 Apr 2020"),
    (2019, "83", "papi_total", 46.74, "Báo Thừa Thiên Huế, 29 Apr 2020"),
    (2020, "87", "papi_total", 46.961, "VietnamPlus (VNA), 15 Apr 2021"),
    (2021, "74", "papi_total", 47.178, "SGGP News"),
    (2014, "48", "pci_weighted", 66.87, "vinhphuc.vn, PCI 2005-2014 ranking"),
    (2014, "10", "pci_weighted", 64.67, "vinhphuc.vn, PCI 2005-2014 ranking"),
    (2011, "10", "pci_weighted", 73.53, "vinhphuc.vn, PCI 2005-2014 ranking"),
    (2013, "46", "pci_weighted", 65.56, "vinhphuc.vn, PCI 2005-2014 ranking"),
    (2010, "82", "pci_weighted", 59.63, "PCI website, Tiền Giang profile"),
]


@pytest.mark.parametrize(("year", "code", "variable", "read", "where"), INDEPENDENT)
def test_a_sample_agrees_with_an_independent_reading(papi, pci, year, code, variable, read, where):
    table = pci if variable.startswith("pci_") else papi
    row = table[(table["year"] == year) & (table["unit_code"] == code)]
    value = row.loc[row["indicator"] == variable, "value"].item()
    decimals = len(str(read).split(".")[1])
    assert round(value, decimals) == pytest.approx(read, abs=10**-decimals * 0.51), where
