"""The 2025 crosswalk, checked against the published facts.

Expected values: Resolution 202/2025/QH15 (63 -> 34 provinces, 11 unchanged,
52 merged into 23) and the GSO conversion table for Yên Bái as summarised in
the reference notes (data-sources.md §2.2-§2.4).
"""

from __future__ import annotations

import pandas as pd
import pytest

from learningcity.cli import main
from learningcity.crosswalk import (
    crosswalk,
    load_crosswalk,
    predecessors,
    successors,
    to_new_units,
)
from learningcity.errors import UsageError


@pytest.fixture(scope="module")
def provinces() -> pd.DataFrame:
    return crosswalk(level="province")


def test_yen_bai_province_goes_whole_into_lao_cai(provinces):
    row = provinces[provinces["old_code"] == "15"]
    assert len(row) == 1
    assert row.iloc[0][["old_name", "new_code", "new_name", "share", "new_share"]].tolist() == [
        "Yên Bái", "15", "Lào Cai", "whole", "partial"
    ]  # fmt: skip
    # The new Lào Cai is the old Lào Cai (10) and Yên Bái (15).
    into = provinces[provinces["new_code"] == "15"]
    assert sorted(into["old_name"]) == ["Lào Cai", "Yên Bái"]


def test_provinces_63_to_34(provinces):
    assert provinces["old_code"].nunique() == 63
    assert provinces["new_code"].nunique() == 34
    assert (provinces["share"] == "whole").all()  # no province was divided


def test_eleven_provinces_unchanged_and_52_merged_into_23(provinces):
    unchanged = provinces[provinces["new_share"] == "whole"]
    assert sorted(unchanged["new_name"]) == sorted(
        [
            "Cao Bằng",
            "Điện Biên",
            "Hà Tĩnh",
            "Lai Châu",
            "Lạng Sơn",
            "Nghệ An",
            "Quảng Ninh",
            "Thanh Hóa",
            "Sơn La",
            "Hà Nội",
            "Huế",
        ]  # fmt: skip
    )
    merged = provinces[provinces["new_share"] == "partial"]
    assert (merged["old_code"].nunique(), merged["new_code"].nunique()) == (52, 23)


def test_yen_bai_city_becomes_four_wards():
    succ = successors("132")
    assert dict(zip(succ["new_code"], succ["new_name"], strict=True)) == {
        "04252": "Yên Bái", "04273": "Nam Cường", "04279": "Văn Phú", "04543": "Âu Lâu"
    }  # fmt: skip
    assert set(succ["new_type"]) == {"Phường"}
    assert (succ["share"] == "partial").all()  # the city was divided between them
    # Phường Yên Bái is made only of the city's wards; the others took in a commune
    # of Trấn Yên or Yên Bình.
    assert succ.set_index("new_code")["new_share"].to_dict() == {
        "04252": "whole", "04273": "partial", "04279": "partial", "04543": "partial"
    }  # fmt: skip


def test_nghia_lo_town_becomes_three_wards_and_part_of_a_commune():
    succ = successors("133").set_index("new_code")
    assert succ["new_name"].to_dict() == {
        "04288": "Nghĩa Lộ", "04660": "Liên Sơn", "04663": "Trung Tâm", "04681": "Cầu Thia"
    }  # fmt: skip
    assert succ.loc["04660", ["new_type", "new_share", "parts", "parts_total"]].tolist() == [
        "Xã", "partial", 2, 3
    ]  # fmt: skip
    assert succ.loc[["04663", "04681"], "new_share"].tolist() == ["whole", "whole"]


# New unit -> its predecessors (old code, old district): data-sources.md §2.4.
PREDECESSORS = {
    "04252": {("04252", "132"), ("04255", "132"), ("04258", "132"), ("04261", "132"),
              ("04264", "132")},
    "04273": {("04270", "132"), ("04273", "132"), ("04276", "132"), ("04522", "138")},
    "04279": {("04249", "132"), ("04279", "132"), ("04558", "132"), ("04783", "141")},
    "04543": {("04540", "132"), ("04543", "132"), ("04546", "132"), ("04567", "138")},
    "04288": {("04282", "133"), ("04288", "133"), ("04300", "133"), ("04666", "140")},
    "04663": {("04285", "133"), ("04294", "133"), ("04624", "133"), ("04663", "133")},
    "04681": {("04291", "133"), ("04675", "133"), ("04678", "133"), ("04681", "133"),
              ("04684", "133")},
    "04660": {("04297", "133"), ("04660", "133"), ("04621", "140")},
}  # fmt: skip


@pytest.mark.parametrize("new_code", sorted(PREDECESSORS))
def test_predecessors_of_the_new_wards(new_code):
    found = predecessors(new_code)
    assert (
        set(zip(found["old_code"], found["old_district_code"], strict=True))
        == (PREDECESSORS[new_code])
    )
    assert (found["share"] == "whole").all()  # all "Nhập toàn bộ" in the GSO table


def test_yen_bai_168_communes_become_51_units():
    cw = load_crosswalk()
    yb = cw[cw["old_province_code"] == "15"]
    assert yb["old_code"].nunique() == 168
    assert yb["new_code"].nunique() == 51


def test_a_commune_shared_by_two_old_districts():
    # Xã Tú Lệ took in communes of both Mù Cang Chải (137) and Văn Chấn (140).
    for district in ("137", "140"):
        succ = successors(district).set_index("new_name")
        assert succ.loc["Tú Lệ", "new_share"] == "partial"


def test_every_old_unit_has_successors_and_shares_are_consistent():
    cw = load_crosswalk()
    per_old = cw.groupby("old_code").agg(n=("new_code", "size"), shares=("share", set))
    assert len(per_old) == 10035 + 5  # communes + island districts without communes
    whole = per_old[per_old["shares"] == {"whole"}]
    divided = per_old[per_old["shares"] == {"partial"}]
    assert len(whole) + len(divided) == len(per_old)
    assert (whole["n"] == 1).all() and (divided["n"] >= 2).all()
    # Exactly one main successor for every divided unit.
    main_rows = cw[(cw["share"] == "partial") & (cw["main_successor"] == "yes")]
    assert main_rows["old_code"].value_counts().eq(1).all()
    assert set(main_rows["old_code"]) == set(divided.index)


def test_dates_must_straddle_the_reform():
    with pytest.raises(UsageError, match="2025-07-01"):
        crosswalk("2020-01-01", "2024-01-01")
    with pytest.raises(UsageError, match="not a date"):
        crosswalk("2024", "2025-07-01")
    with pytest.raises(UsageError, match="unknown level"):
        crosswalk(level="ward")
    with pytest.raises(UsageError, match="no old district"):
        successors("999")


def test_cli_successors(capsys):
    assert main(["units", "successors", "133"]) == 0
    out = capsys.readouterr().out
    assert "Liên Sơn" in out and "partial" in out and "04681" in out


def _old(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unit_code", "year", "indicator", "value", "source_id"])


def test_province_data_carried_to_the_new_provinces():
    # Libraries: Yên Bái 10, Lào Cai 10 -> new Lào Cai 20. Literacy 89.0 (pop 800)
    # and 85.5 (pop 700): (89.0*800 + 85.5*700) / 1500 = (71200 + 59850) / 1500 = 87.3667.
    # Hà Nội (01) is unchanged: its value passes through.
    old = _old(
        [("15", 2016, "libraries", 10, "gso"), ("10", 2016, "libraries", 10, "gso"),
         ("01", 2016, "libraries", 31, "gso"),
         ("15", 2016, "literacy", 89.0, "gso"), ("10", 2016, "literacy", 85.5, "gso"),
         ("15", 2016, "population", 800, "pop"), ("10", 2016, "population", 700, "pop")]
    )  # fmt: skip
    counts = to_new_units(old, "province", indicators=["libraries"]).set_index("unit_code")
    assert counts.loc["15", ["unit_name", "value", "qualifier"]].tolist() == ["Lào Cai", 20.0, ""]
    assert counts.loc["01", ["unit_name", "value", "qualifier"]].tolist() == ["Hà Nội", 31.0, ""]
    rates = to_new_units(old, "province", kind={"literacy": "rate"}).set_index("unit_code")
    assert rates.loc["15", "value"] == pytest.approx(87.3667, abs=1e-4)
    assert rates.loc["15", "source_id"] == "gso;pop"
    assert list(rates.index) == ["15"]  # Hà Nội has no literacy row


def test_a_missing_old_province_makes_a_lower_bound():
    out = to_new_units(_old([("15", 2016, "libraries", 10, "gso")]), "province").iloc[0]
    assert out[["unit_code", "value", "qualifier"]].tolist() == ["15", 10.0, ">"]
    assert "missing: Tỉnh Lào Cai (10)" in out["note"]


def test_commune_data_carried_to_the_new_ward_despite_the_reused_code():
    # Phường Trung Tâm (new 04663) = Trung Tâm 04285 + Nghĩa Lợi 04294 + Nghĩa Lộ 04624
    # + Phù Nham (old 04663): 10 + 20 + 30 + 40 = 100.
    old = _old([(c, 2023, "learners", v, "s") for c, v in
                [("04285", 10), ("04294", 20), ("04624", 30), ("04663", 40)]])  # fmt: skip
    out = to_new_units(old, "commune").set_index("unit_code")
    assert out.loc["04663", ["unit_name", "value", "qualifier"]].tolist() == [
        "Trung Tâm", 100.0, ""
    ]  # fmt: skip


def test_unknown_old_codes_are_refused():
    with pytest.raises(UsageError, match="not province codes.*99"):
        to_new_units(_old([("99", 2016, "libraries", 1, "gso")]), "province")
    with pytest.raises(UsageError, match="'province' or 'commune'"):
        to_new_units(_old([("133", 2016, "libraries", 1, "gso")]), "district")


def test_a_divided_old_commune_is_a_partial_member_of_each_new_unit():
    cw = load_crosswalk()
    # Any new unit formed from exactly one divided old commune and some whole ones.
    counts = cw.groupby("new_code")["share"].value_counts().unstack(fill_value=0)
    new_code = sorted(counts[(counts["partial"] == 1) & (counts["whole"] >= 1)].index)[0]
    preds = cw[cw["new_code"] == new_code]
    whole = preds.loc[preds["share"] == "whole", "old_code"].tolist()
    divided = preds.loc[preds["share"] == "partial", "old_code"].iloc[0]
    rows = [(c, 2023, "learners", 10, "s") for c in whole] + [(divided, 2023, "learners", 5, "s")]
    # Left out: 10 per whole predecessor, a lower bound; counted whole: + 5, an upper bound.
    out = to_new_units(_old(rows), "commune").set_index("unit_code").loc[new_code]
    assert out[["value", "qualifier"]].tolist() == [10.0 * len(whole), ">"]
    inc = to_new_units(_old(rows), "commune", partial="include").set_index("unit_code")
    assert inc.loc[new_code, ["value", "qualifier"]].tolist() == [10.0 * len(whole) + 5, "<"]
