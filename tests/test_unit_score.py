"""A score for one city: goalposts, the availability threshold, the interval, the place.

The collection workbook is written by ``learningcity template`` for Nghĩa Lộ and
filled in by the test. Every value filled in is illustrative, made up by the test
(its note and its source say so): none is a real figure of Nghĩa Lộ, and none is
written into data/. The right answers are worked out by hand from the goalposts of
the framework (checked against the YAML itself below).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from tests_support import fill

from learningcity.cli import main
from learningcity.framework import default_framework_path
from learningcity.reports import sections as s
from learningcity.reports.context import build_context
from learningcity.reports.unitscore import score_unit

TODAY = dt.date(2026, 12, 1)
# The illustrative figures of the workbook (conftest.FILL): literacy 96.5 %, poverty 8 %,
# learning families 72 %, clans 65 %, communities 60 %, CLCs applying IT 80 %, learning
# citizens 35 %, all of 2025.
# The goalposts of these indicators in kflc-vn.yaml (asserted against the file below).
GOALPOSTS = {
    "literacy_rate": (60, 100),
    "poverty_rate_inverse": (0, 30),
    "learning_families": (0, 100),
    "learning_clans": (0, 100),
    "learning_communities": (0, 100),
    "clc_ict": (0, 100),
    "learning_citizens": (0, 100),
    "gnlc_status": (0, 2),
}

# By hand: a figure scores (x - low) / (high - low) * 100, reversed when lower is better.
LITERACY = (96.5 - 60) / (100 - 60) * 100  # 91.25
POVERTY = (30 - 8.0) / (30 - 0) * 100  # 73.33
FA_1_1 = (LITERACY + POVERTY) / 2  # 82.29
AREA_1 = FA_1_1  # 1.2 and 1.3 have no figure
FA_2_2 = (72 + 65 + 60) / 3  # 65.67
AREA_2 = (FA_2_2 + 80 + 35) / 3  # focus areas 2.2, 2.4 and 2.6: 60.22
# Area 3 holds only the published GNLC stage (applied in 2025: 1 of 0-2): one indicator,
# fewer than the framework's 2, so no area score; the overall score is of areas 1 and 2.
OVERALL = (AREA_1 + AREA_2) / 2  # 71.26, "established" (50-75)
# The framework has 34 indicators: 24 of its own, 8 PAPI dimensions, PAPI's public primary
# education and the income gap between the richest and poorest fifth (issue 12).


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    return fill(tmp_path_factory.mktemp("score") / "nghia-lo-2025.xlsx")


@pytest.fixture(scope="module")
def ctx(workbook):
    return build_context(2026, n_replications=200, today=TODAY, data=[workbook])


def test_the_goalposts_used_by_hand_are_those_of_the_framework():
    text = default_framework_path().read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    found = {i["id"]: tuple(i["goalposts"]) for i in doc["indicators"] if i["id"] in GOALPOSTS}
    assert found == GOALPOSTS
    assert doc["scoring"] == {"normalise": "goalposts", "min_indicators": {"area": 2}}


def test_the_city_scores_as_the_hand_computation(ctx):
    us = score_unit(ctx, "nghia-lo")
    assert us.overall == pytest.approx(OVERALL)
    assert us.scores["area"]["1"] == pytest.approx(AREA_1)
    assert us.scores["area"]["2"] == pytest.approx(AREA_2)
    assert math.isnan(us.scores["area"].get("3", float("nan")))
    assert us.scores["focus_area"]["3.1"] == pytest.approx(50.0)  # the stage alone, kept
    assert us.counts.to_dict() == {"1": 2, "2": 5, "3": 1}
    assert us.n_indicators == 7  # those of the scored areas
    assert us.readiness == "established"
    assert us.years == (2025, 2025)
    # The collected figures are marked as such; the GNLC stage is published (carried).
    used = us.values.set_index("indicator")
    assert used.loc["learning_families", "provenance"] == "local"
    assert used.loc["gnlc_status", "provenance"] == "published"
    assert us.n_local == 7


def test_the_headline_gives_the_score_the_level_and_what_it_rests_on(ctx):
    unit = ctx.unit_row("nghia-lo")
    vi = s.headline(ctx, unit, "vi")
    assert f"**{OVERALL:.1f}/100**".replace(".", ",") in vi
    assert "Khá vững" in vi and "7/34 chỉ số" in vi
    assert "Lĩnh vực 3 chưa có điểm" in vi and "ít nhất 2 chỉ số" in vi
    en = s.headline(ctx, unit, "en")
    assert f"**{OVERALL:.1f}/100**" in en and "from **7 of 34 indicators**" in en
    assert "7 collected locally" in en
    # The province stays beside it for comparison, with its own rank.
    assert "The compared provinces that hold the area of Nghĩa Lộ (city):" in en
    assert "rank **" in en


def _hand_index(table: pd.DataFrame, meta: pd.DataFrame, method: str) -> pd.Series:
    """Overall scores by hand: normalise, focus-area means, areas with >= 2 indicators."""
    x = table * meta.loc[table.columns, "direction"]
    if method == "goalposts":
        lo = np.where(meta.loc[table.columns, "direction"] > 0,
                      meta.loc[table.columns, "goalpost_low"],
                      -meta.loc[table.columns, "goalpost_high"])  # fmt: skip
        hi = np.where(meta.loc[table.columns, "direction"] > 0,
                      meta.loc[table.columns, "goalpost_high"],
                      -meta.loc[table.columns, "goalpost_low"])  # fmt: skip
        norm = ((x - lo) / (hi - lo)).clip(0, 1) * 100
    else:  # min-max over the rows of the table; no spread, no score
        span = x.max() - x.min()
        norm = (x - x.min()) / span.where(span > 0) * 100
    fa = norm.T.groupby(meta.loc[table.columns, "focus_area"]).mean().T
    area_of_fa = {f: f.split(".")[0] for f in fa.columns}
    area = fa.T.groupby(area_of_fa).mean().T
    counts = norm.notna().T.groupby(meta.loc[table.columns, "area"]).sum().T
    area = area.where(counts.reindex(columns=area.columns) >= 2)
    return area.mean(axis=1)


def test_its_place_among_the_provinces_is_on_their_indicators(ctx):
    us = score_unit(ctx, "nghia-lo")
    # Of the provinces' indicators the city has literacy and poverty: area 1 alone.
    assert us.place["k"] == 2 and us.place["K"] == len(ctx.kept)
    assert us.place["score"] == pytest.approx(FA_1_1)
    provinces = _hand_index(ctx.index.raw[ctx.kept], ctx.meta, "goalposts").dropna()
    assert len(provinces) == us.place["n"] == 34
    assert us.place["rank"] == 1 + int((provinces > FA_1_1).sum())


def test_the_interval_is_the_spread_over_the_method_variants(workbook):
    one = build_context(2026, n_replications=50, today=TODAY, data=[workbook],
                        space={"normalisers": ("goalposts",)})  # fmt: skip
    assert score_unit(one, "nghia-lo").interval == pytest.approx((OVERALL, OVERALL))

    two = build_context(2026, n_replications=200, today=TODAY, data=[workbook],
                        space={"normalisers": ("goalposts", "minmax")})  # fmt: skip
    us = score_unit(two, "nghia-lo")
    # Min-max places the city among the compared provinces' figures of the data year.
    cols = list(us.values.loc[us.values["used"], "indicator"])
    tidy = two.compared_tidy[two.compared_tidy["level"] == "province"]
    tidy = tidy[(tidy["year"] == two.index_year) & tidy["indicator"].isin(cols)]
    peers = tidy.pivot_table(index="unit_code", columns="indicator", values="value")
    peers = peers[peers.index.isin(set(two.compared["code"]))].reindex(columns=cols)
    city = us.values.set_index("indicator").loc[cols, "value"].astype(float).rename("nghia-lo")
    table = pd.concat([peers, city.to_frame().T])
    minmax = _hand_index(table, two.meta, "minmax")["nghia-lo"]
    low, high = sorted([OVERALL, minmax])
    assert us.interval == pytest.approx((low, high))


def test_without_collected_data_the_city_has_no_score_and_says_why():
    ctx = build_context(2026, n_replications=20, today=TODAY)
    us = score_unit(ctx, "nghia-lo")
    assert not us.has_score and us.counts.to_dict() == {"3": 1}  # the GNLC stage only
    en = s.headline(ctx, ctx.unit_row("nghia-lo"), "en")
    assert "cannot be computed" in en and "1 of 34 framework indicators" in en
    assert "the 2 indicators the framework requires" in en


def test_a_bound_is_left_out_of_the_score():
    from learningcity.framework import load_framework
    from learningcity.reports.unitscore import unit_values

    rows = pd.DataFrame({"indicator": ["learning_families", "clc_ict", "learning_clans",
                                       "learning_clans"], "year": [2025, 2025, 2020, 2025],
                         "value": [50.0, 80.0, 40.0, 45.0],
                         "qualifier": ["", ">", "", ">"]})  # fmt: skip
    values, bounds = unit_values(rows, load_framework().indicator_table())
    got = values.set_index("indicator")[["year", "value", "used"]].to_dict("index")
    # A newer bound does not hide an older exact figure: that one is scored.
    assert got == {"clc_ict": {"year": 2025, "value": 80.0, "used": False},
                   "learning_clans": {"year": 2020, "value": 40.0, "used": True},
                   "learning_families": {"year": 2025, "value": 50.0, "used": True}}  # fmt: skip
    assert bounds == ["clc_ict"]


def test_the_score_command_prints_the_score_and_writes_each_indicator(workbook, tmp_path, capsys):
    out = tmp_path / "scores.csv"
    assert main(["score", "Nghĩa Lộ", "--year", "2026", "--data", str(workbook), "-n", "50",
                 "--out", str(out)]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert f"Đô thị Nghĩa Lộ (nghia-lo): {OVERALL:.1f}/100, Established, from 7 of 34" in text
    assert f"area 1: {AREA_1:.1f} (2 indicator(s))" in text
    assert "area 3: no score (1 indicator(s))" in text
    table = pd.read_csv(out, dtype={"area": str}).set_index("indicator")
    assert table.loc["literacy_rate", "score"] == pytest.approx(LITERACY, abs=0.005)
    assert table.loc["poverty_rate_inverse", "score"] == pytest.approx(POVERTY, abs=0.005)
    assert table.loc["learning_families", "provenance"] == "local"
    assert main(["score", "Nghĩa Lộ", "--out", str(out)]) == 2  # never overwritten


def report(*args):
    return subprocess.run(
        [sys.executable, "-m", "learningcity", "report", "--quiet", "--date", "2026-12-01",
         *args], capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.mark.slow
def test_the_report_shows_the_score_and_the_collected_mark(tmp_path, workbook):
    out = tmp_path / "reports"
    done = report("Nghĩa Lộ", "--year", "2026", "--out", str(out), "--data", str(workbook))
    assert done.returncode == 0, done.stderr
    folder = out / "2026-12-01"
    html = (folder / "city-nghia-lo.html").read_text(encoding="utf-8")
    assert f"{OVERALL:.1f}/100".replace(".", ",") in html and "7/34 chỉ số" in html
    assert "số liệu địa phương tự thu thập" in html
    assert "Cách tính điểm của" in html  # the table of the city's own scores
    assert f"{LITERACY:.1f}".replace(".", ",") in html  # literacy's own 0-100 score
    assert "Căn cứ mốc thấp" in html  # every goalpost's basis, in the appendix
    run = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["runs"][0]
    assert [r["status"] for r in run["reports"]] == ["ok"]
