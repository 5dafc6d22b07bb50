"""The planner templates (city, overview) on the bundled data, in both languages."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest

from learningcity.reports.context import MIN_COVERAGE, ReportContext, build_context
from learningcity.reports.runner import run_reports
from learningcity.reports.sections import _fmt

pytestmark = pytest.mark.slow
DATE = "2026-03-01"


@pytest.fixture(scope="module")
def ctx() -> ReportContext:
    return build_context(2023, n_replications=60, seed=7)


def _text(html: str) -> str:
    """Visible text of an nbconvert page, roughly: tags and styles dropped."""
    html = re.sub(r"<style.*?</style>|<script.*?</script>", " ", html, flags=re.S)
    html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def vi_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("vi")
    # A city, a district with little data and a province, in one batch.
    result = run_reports(
        ["TP Yên Bái", "Mù Căng Chải", "Tỉnh Yên Bái"],
        lang="vi",
        date=DATE,
        out=out,
        jobs=2,
        progress=False,
    )
    return result


@pytest.fixture(scope="module")
def en_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("en")
    city = run_reports(
        ["TX Nghĩa Lộ", "Tỉnh Yên Bái"], lang="en", date=DATE, out=out, progress=False
    )
    overview = run_reports(
        ["Tỉnh Yên Bái"], template="overview", lang="en", date=DATE, out=out, progress=False
    )
    return city, overview


def test_context_uses_only_well_covered_province_indicators(ctx):
    assert ctx.index_year == 2016  # GSO's by-province tables end in 2016
    prov = ctx.tidy[(ctx.tidy["level"] == "province") & (ctx.tidy["year"] == 2016)]
    share = prov.groupby("indicator")["unit_code"].nunique() / 63
    for ind in ctx.kept:
        assert share[ind] >= MIN_COVERAGE
    assert len(ctx.index.levels["overall"]) == 63


def test_rank_intervals_are_ordered_ranks(ctx):
    s = ctx.summary()
    s = s[s["nominal_rank"].notna()]
    assert ((s["rank_low"] <= s["median_rank"]) & (s["median_rank"] <= s["rank_high"])).all()
    assert s["rank_low"].min() >= 1 and s["rank_high"].max() <= 63
    assert s["nominal_rank"].sort_values().tolist() == list(range(1, 64))


def test_headline_flags_a_nominal_rank_outside_its_interval(ctx):
    from learningcity.reports.sections import _score_sentence

    s = ctx.summary()
    outside = s[(s["nominal_rank"] < s["rank_low"]) | (s["nominal_rank"] > s["rank_high"])]
    inside = s.drop(outside.index)
    if len(outside):
        assert "outside" in _score_sentence(ctx, outside.index[0], "X", "en")
    assert "outside" not in _score_sentence(ctx, inside.index[0], "X", "en")


def test_latest_values_pick_the_last_year_up_to_the_report_year(ctx):
    latest = ctx.latest_values("15", 2019).set_index("indicator")
    # Báo Yên Bái: learning families 57.48 % (2018) then 65 % (2020).
    assert latest.loc["learning_families_share", "value"] == pytest.approx(57.48)
    assert (
        ctx.latest_values("15", 2023).set_index("indicator").loc["learning_families_share", "value"]
        == 65
    )


def test_vietnamese_batch_runs_for_city_district_and_province(vi_run, ctx):
    assert vi_run.exit_code == 0
    by_code = {j.unit_code: j for j in vi_run.jobs}
    assert set(by_code) == {"132", "137", "15"}
    city = _text((vi_run.folder / by_code["132"].html).read_text(encoding="utf-8"))
    assert "Mức độ sẵn sàng trở thành thành phố học tập: Thành phố Yên Bái" in city
    assert "Danh mục hồ sơ đăng ký" in city and "Phụ lục" in city
    # The city applied in 2023 (seed article): the checklist says so.
    assert "Đã có" in city

    province = _text((vi_run.folder / by_code["15"].html).read_text(encoding="utf-8"))
    row = ctx.summary().loc["15"]
    # The score and rank shown are the engine's, written the Vietnamese way (comma decimals).
    assert f"{row['nominal_score']:.1f}".replace(".", ",") + "/100" in province
    assert re.search(r"xếp thứ \d+/63", province)

    district = _text((vi_run.folder / by_code["137"].html).read_text(encoding="utf-8"))
    # Little data: the report says no score can be computed and what to collect.
    assert "Chưa thể tính điểm sẵn sàng cho Huyện Mù Căng Chải" in district
    # The province is named as a province: the city and the province share a name.
    assert "dùng số liệu của Tỉnh Yên Bái" in district
    assert "Số liệu cần thu thập" in district


def test_shared_context_is_built_once_per_run(vi_run):
    assert vi_run.run["context"]["seconds"] > 0
    for job in vi_run.jobs:
        nb = nbformat.read(vi_run.folder / f"{job.stem}.ipynb", as_version=4)
        injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
        assert "context = " in injected.source
    # The staging folder (and the context file in it) is gone after the run.
    assert not list(vi_run.folder.glob(".staging-*"))


def test_english_reports_and_overview(en_run):
    city, overview = en_run
    assert city.exit_code == overview.exit_code == 0
    town = _text((city.folder / "city-nghia-lo.html").read_text(encoding="utf-8"))
    assert "Readiness to become a learning city: Nghĩa Lộ (town)" in town
    assert "A readiness score cannot be computed for Nghĩa Lộ (town)" in town
    assert "68,206" in town  # population, English thousands separator
    over = _text((overview.folder / "overview-yen-bai.html").read_text(encoding="utf-8"))
    assert "Learning-city readiness overview: Yên Bái (province)" in over
    for district in ("Mù Căng Chải", "Trạm Tấu", "Nghĩa Lộ", "Văn Chấn"):
        assert district in over
    # the progress section (learningcity.progress) in both templates
    assert "Progress over the years" in town
    assert "Progress over the years" in over


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (1234.5, "vi", "1.234,5"),
        (1234.5, "en", "1,234.5"),
        (68206, "vi", "68.206"),
        (float("nan"), "vi", "Không có số liệu"),
        (float("nan"), "en", "No data"),
    ],
)
def test_numbers_are_written_the_readers_way(value, lang, expected):
    assert _fmt(value, lang) == expected


def test_years_take_no_thousands_separator():
    assert _fmt(2023.0, "vi", indicator="gnlc_application_year") == "2023"


def test_missing_values_are_not_shown_as_numbers(ctx):
    # Nghĩa Lộ has no literacy figure: it must be listed as a gap, not as 0.
    from learningcity.reports.sections import appendix_gaps
    from learningcity.units import resolve_unit

    gaps = appendix_gaps(ctx, resolve_unit("133", date=2023), "en")
    assert "Literacy rate" in gaps
    assert pd.isna(
        ctx.tidy.query("unit_code == '133' and indicator == 'literacy_rate'")["value"].max()
    )


def test_peer_section_names_the_unit_group_and_its_stability(ctx):
    from learningcity.reports.sections import peers_section
    from learningcity.units import resolve_unit

    text, _ = peers_section(ctx, resolve_unit("15", date=2023), "en")
    label = ctx.clusters["15"]
    same = (ctx.clusters == label).sum() - 1
    assert f"is in group {label} with {same} other provinces" in text
    verdict = "stable" if ctx.cluster_stability >= 0.75 else "unstable and only indicative"
    assert f"The grouping is {verdict}" in text
    # The nearest province is named first.
    from learningcity.clusters import peers

    nearest = peers(ctx.index.raw, "15", 1, names=ctx.province_names())["unit_name"].iloc[0]
    assert f"Yên Bái is closest to {nearest}" in text
