"""Maps and profiles, checked through their matplotlib objects (not pixels)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgba
from shapely.geometry import box

from learningcity import geo, plots
from learningcity.errors import UsageError


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _squares(**columns):
    n = len(next(iter(columns.values())))
    return gpd.GeoDataFrame(
        {"unit_code": [f"u{i}" for i in range(n)], **columns},
        geometry=[box(i, 0, i + 1, 1) for i in range(n)],
        crs="EPSG:4326",
    )


def _by_gid(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    assert len(found) == 1, f"expected one collection with gid {gid!r}"
    return found[0]


def _legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


# --------------------------------------------------------------------------- classes


def test_quantiles_by_hand():
    # Quintile upper bounds of 1..10 (linear percentiles): 2.8, 4.6, 6.4, 8.2, 10.
    cls, labels = plots.classify(pd.Series(np.arange(1.0, 11.0)), "quantiles", k=5, lang="en")
    assert cls.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert labels[0] == "1.0 – 2.8"
    assert labels[-1] == "8.2 – 10.0"


def test_natural_breaks_finds_the_gaps():
    values = pd.Series([1.0, 2, 3, 10, 11, 12, 30, 31])
    cls, _ = plots.classify(values, "natural_breaks", k=3)
    assert cls.tolist() == [0, 0, 0, 1, 1, 1, 2, 2]


def test_natural_breaks_on_many_values_still_finds_the_gaps():
    # 1,500 values (above the exact limit) in three separated runs.
    values = pd.Series(
        np.concatenate(
            [np.linspace(0, 10, 500), np.linspace(40, 50, 500), np.linspace(90, 100, 500)]
        )
    )
    cls, _ = plots.classify(values, "natural_breaks", k=3)
    assert cls.tolist() == [0] * 500 + [1] * 500 + [2] * 500


def test_user_defined_bins_and_vietnamese_number_format():
    cls, labels = plots.classify(pd.Series([10.0, 60, 80, 100]), "user_defined", bins=[50, 75])
    assert cls.tolist() == [0, 1, 2, 2]
    assert labels == ["10,0 – 50,0", "50,0 – 75,0", "75,0 – 100,0"]


def test_readiness_bands_from_the_framework():
    values = pd.Series([10.0, 25.0, 50.0, 74.9, 75.0, 100.0, np.nan])
    cls, labels = plots.classify(values, "bands", lang="en")
    # min <= score < max, the top band closed (framework bands 0/25/50/75/100).
    assert cls.tolist() == [0, 1, 2, 2, 3, 3, pd.NA]
    assert labels == ["Emerging", "Developing", "Established", "Ready to apply to the GNLC"]
    with pytest.raises(UsageError, match=r"value 120.0 of unit 0 lies outside the bands"):
        plots.classify(pd.Series([120.0]), "bands")


def test_custom_bands():
    bands = pd.DataFrame(
        {
            "min": [0.0, 50.0],
            "max": [50.0, 100.0],
            "name_vi": ["Thấp", "Cao"],
            "name_en": ["Low", "High"],
        }
    )
    cls, labels = plots.classify(pd.Series([49.9, 50.0]), "bands", bands=bands, lang="vi")
    assert cls.tolist() == [0, 1]
    assert labels == ["Thấp", "Cao"]


def test_unknown_scheme_and_language():
    with pytest.raises(UsageError, match="unknown scheme 'jenks'"):
        plots.classify(pd.Series([1.0, 2.0]), "jenks")
    with pytest.raises(UsageError, match="lang: expected 'vi' or 'en'"):
        plots.classify(pd.Series([1.0, 2.0]), lang="fr")


# --------------------------------------------------------------------------- choropleth


def test_choropleth_colours_missing_legend_title_and_attribution():
    gdf = _squares(score=[20.0, np.nan, 60.0, 90.0])
    gdf.attrs["attribution"] = geo.GEOBOUNDARIES_ATTRIBUTION
    ax = plots.choropleth(
        gdf, "score", "user_defined", bins=[50, 80], title="Điểm sẵn sàng", year=2024
    )

    data = _by_gid(ax, "data")
    missing = _by_gid(ax, "missing")
    # Three classes on cividis: first, middle and last colour of the map.
    cividis = mpl.colormaps["cividis"]
    expected = [cividis(0.0), cividis(0.5), cividis(1.0)]
    assert np.allclose(data.get_facecolors(), expected)
    assert len(missing.get_paths()) == 1
    assert np.allclose(missing.get_facecolors()[0], to_rgba(plots.MISSING_COLOUR))
    assert missing.get_hatch() == "///"

    assert _legend_texts(ax) == [
        "20,0 – 50,0",
        "50,0 – 80,0",
        "80,0 – 90,0",
        "Không có số liệu",
    ]
    assert ax.get_legend().legend_handles[-1].get_hatch() == "///"
    assert ax.get_title() == "Điểm sẵn sàng (2024)"
    corner = [t for t in ax.texts if t.get_gid() == "attribution"]
    assert len(corner) == 1
    assert "Năm số liệu: 2024" in corner[0].get_text()
    assert "CC BY-SA 4.0" in corner[0].get_text()
    assert "Runfola et al. 2020" in corner[0].get_text()


def test_choropleth_english_and_year_from_attrs():
    gdf = _squares(v=[1.0, 2.0, np.nan])
    gdf.attrs["year"] = 2022
    ax = plots.choropleth(gdf, "v", "equal_interval", k=2, lang="en")
    assert _legend_texts(ax) == ["1.0 – 1.5", "1.5 – 2.0", "No data"]
    assert ax.get_title() == "v (2022)"
    corner = [t.get_text() for t in ax.texts if t.get_gid() == "attribution"]
    assert corner == ["Data year: 2022"]


def test_choropleth_without_missing_has_no_missing_entry():
    ax = plots.choropleth(_squares(v=[1.0, 2.0, 3.0]), "v", "quantiles", k=3, lang="en")
    assert "No data" not in _legend_texts(ax)
    assert not [c for c in ax.collections if c.get_gid() == "missing"]


def test_choropleth_bad_input():
    with pytest.raises(UsageError, match="no column 'nope' to map"):
        plots.choropleth(_squares(v=[1.0]), "nope")
    with pytest.raises(UsageError, match="a map needs a GeoDataFrame"):
        plots.choropleth(pd.DataFrame({"v": [1.0]}), "v")


def test_fallback_draws_proportional_symbols_and_says_so():
    centres = pd.DataFrame(
        {
            "unit_code": ["132", "133", "14", "87"],
            "lat": [21.7, 21.6, 21.3, 10.5],
            "lon": [104.9, 104.5, 103.9, 105.6],
        }
    )
    points = geo.centre_points(centres)
    points["score"] = [10.0, 20.0, 40.0, np.nan]
    ax = plots.choropleth(points, "score", "user_defined", bins=[15, 30], lang="en")
    data = _by_gid(ax, "data")
    # Symbol area proportional to the value (900 for the largest, 40), largest drawn first.
    assert data.get_sizes().tolist() == pytest.approx([900.0, 450.0, 225.0])
    assert data.get_offsets().tolist() == [[103.9, 21.3], [104.5, 21.6], [104.9, 21.7]]
    cividis = mpl.colormaps["cividis"]
    assert np.allclose(data.get_facecolors(), [cividis(1.0), cividis(0.5), cividis(0.0)])
    missing = _by_gid(ax, "missing")
    assert np.allclose(missing.get_facecolors()[0], to_rgba(plots.MISSING_COLOUR))
    notes = [t.get_text() for t in ax.texts if t.get_gid() == "fallback-note"]
    assert notes and notes[0].startswith("No boundaries available: proportional symbols")
    assert _legend_texts(ax)[-1] == "No data"


def test_fallback_with_no_data_at_all_does_not_crash():
    points = geo.centre_points(pd.DataFrame({"unit_code": ["a"], "lat": [21.0], "lon": [105.0]}))
    points["score"] = [np.nan]
    ax = plots.choropleth(points, "score", lang="vi")
    assert _legend_texts(ax) == ["Không có số liệu"]
    assert any(t.get_gid() == "fallback-note" for t in ax.texts)


def test_small_multiples_on_centre_points_say_so_once_for_the_figure():
    centres = pd.DataFrame(
        {"unit_code": ["15", "10", "01"], "lat": [21.7, 22.4, 21.0], "lon": [104.9, 104.0, 105.8]}
    )
    points = geo.centre_points(centres)
    points["1"], points["2"] = [10.0, 20.0, 30.0], [40.0, 50.0, np.nan]
    fig = plots.small_multiples(points, ("1", "2"), k=2, lang="en")
    # Three panels' notes side by side overlapped: the note is written once, on the figure.
    assert not [t for ax in fig.axes for t in ax.texts if t.get_gid() == "fallback-note"]
    notes = [t.get_text() for t in fig.texts if t.get_gid() == "fallback-note"]
    assert len(notes) == 1 and notes[0].startswith("No boundaries available")


# --------------------------------------------------------------------------- small multiples


def test_small_multiples_one_map_per_area_with_shared_classes():
    gdf = _squares(**{"1": [10.0, 90.0], "2": [90.0, 50.0], "3": [np.nan, 10.0]})
    gdf.attrs["attribution"] = geo.GEOBOUNDARIES_ATTRIBUTION
    fig = plots.small_multiples(
        gdf, scheme="equal_interval", k=2, lang="vi", year=2024, title="Điểm theo lĩnh vực"
    )
    assert [ax.get_title() for ax in fig.axes] == [
        "1. Lợi ích lâu dài",
        "2. Các yếu tố chính",
        "3. Điều kiện cơ bản",
    ]
    first = _by_gid(fig.axes[0], "data").get_facecolors()
    second = _by_gid(fig.axes[1], "data").get_facecolors()
    # 90 is in the top class on both maps; 10 in the bottom class on maps 1 and 3.
    assert np.allclose(first[1], second[0])
    third = _by_gid(fig.axes[2], "data").get_facecolors()
    assert np.allclose(first[0], third[0])
    assert len(_by_gid(fig.axes[2], "missing").get_paths()) == 1
    footers = [t.get_text() for t in fig.texts if t.get_gid() == "attribution"]
    assert len(footers) == 1 and "CC BY-SA 4.0" in footers[0]
    assert fig._suptitle.get_text() == "Điểm theo lĩnh vực (2024)"
    # One legend for the three maps: pooled values 10..90 in two equal intervals.
    assert [ax.get_legend() for ax in fig.axes] == [None, None, None]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["10,0 – 50,0", "50,0 – 90,0", "Không có số liệu"]


# --------------------------------------------------------------------------- profile


@pytest.fixture
def scores():
    cols = ["1.1", "1.2", "2.1", "3.1"]
    return pd.DataFrame(
        [
            [60.0, np.nan, 40.0, 80.0],
            [20.0, 30.0, 40.0, 50.0],
            [40.0, 50.0, 60.0, 70.0],
            [60.0, 70.0, 80.0, 90.0],
        ],
        index=["132", "14", "87", "01"],
        columns=cols,
    )


def test_radar_profile(scores):
    ax = plots.profile(scores, "132", ["14", "87", "01"], lang="en", names={"132": "Yên Bái"})
    assert ax.name == "polar"
    lines = {line.get_label(): line for line in ax.get_lines()}
    unit = lines["Yên Bái"]
    # Closed ring: first value repeated at the end; the gap stays NaN.
    assert np.allclose(unit.get_ydata(), [60, np.nan, 40, 80, 60], equal_nan=True)
    median = lines["Comparison group median (n=3)"]
    assert np.allclose(median.get_ydata(), [40, 50, 60, 70, 40])
    assert _legend_texts(ax) == [
        "Yên Bái",
        "Comparison group median (n=3)",
        "Group interquartile range",
    ]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["1.1", "1.2\n(No data)", "2.1", "3.1"]
    assert ax.get_title() == "Yên Bái"


def test_profile_puts_focus_areas_in_framework_order(scores):
    shuffled = scores[["3.1", "1.2", "2.1", "1.1"]]
    ax = plots.profile(shuffled, "132", kind="bar")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1.1", "1.2", "2.1", "3.1"]
    bars = [p.get_height() for p in ax.patches if p.get_gid() == "unit"]
    assert bars == [60.0, 0.0, 40.0, 80.0]


def test_bar_profile_default_group_is_everyone_else(scores):
    ax = plots.profile(scores, "132", kind="bar", lang="vi")
    bars = [p for p in ax.patches if p.get_gid() == "unit"]
    assert [b.get_height() for b in bars] == [60.0, 0.0, 40.0, 80.0]
    assert [b.get_visible() for b in bars] == [True, False, True, True]
    assert _legend_texts(ax)[1] == "Trung vị nhóm so sánh (n=3)"
    medians = [c for c in ax.collections if c.get_label() == "Trung vị nhóm so sánh (n=3)"][0]
    assert medians.get_offsets()[:, 1].tolist() == [40.0, 50.0, 60.0, 70.0]
    assert "Không có số liệu" in [t.get_text() for t in ax.texts]


def test_radar_scale_follows_the_scores(scores):
    assert plots.profile(scores, "132").get_ylim() == (0.0, 100.0)
    assert plots.profile(scores / 100, "132").get_ylim() == (0.0, 1.0)
    z = (scores - 50) / 20  # z-like scores from -1.5 to 2.0
    assert plots.profile(z, "132").get_ylim() == (-1.5, 2.0)


def test_profile_errors(scores):
    with pytest.raises(UsageError, match="unit '999' has no row"):
        plots.profile(scores, "999")
    with pytest.raises(UsageError, match=r"comparison unit\(s\) \['77'\]"):
        plots.profile(scores, "132", ["77"])
    with pytest.raises(UsageError, match="unknown kind 'pie'"):
        plots.profile(scores, "132", kind="pie")


def test_profile_accepts_the_index_engine_tidy_scores(scores):
    tidy = (
        scores.rename_axis("unit_code")
        .reset_index()
        .melt(id_vars="unit_code", var_name="code", value_name="score")
        .assign(level="focus_area")
    )
    extra = pd.DataFrame({"unit_code": ["132"], "code": ["1"], "score": [55.0], "level": "area"})
    tidy = pd.concat([tidy, extra], ignore_index=True)
    wide = plots.wide_scores(tidy)
    assert wide.loc["87"].tolist() == [40.0, 50.0, 60.0, 70.0]
    assert list(wide.columns) == ["1.1", "1.2", "2.1", "3.1"]
    assert plots.wide_scores(tidy, "area").to_dict("index") == {"132": {"1": 55.0}}
    ax = plots.profile(tidy, "132", kind="bar", lang="en")
    bars = [p.get_height() for p in ax.patches if p.get_gid() == "unit"]
    assert bars == [60.0, 0.0, 40.0, 80.0]
    with pytest.raises(UsageError, match="no scores at level 'overall'"):
        plots.wide_scores(tidy, "overall")


def test_categorical_map_of_cluster_labels():
    gdf = _squares(cluster=[2.0, 1.0, np.nan, 2.0, 3.0])
    cls, labels = plots.classify(gdf["cluster"], "categorical")
    assert cls.tolist() == [1, 0, pd.NA, 1, 2]
    assert labels == ["1", "2", "3"]
    ax = plots.choropleth(gdf, "cluster", "categorical", lang="en", legend_title="Cluster")
    data = _by_gid(ax, "data")
    okabe = [to_rgba(c) for c in plots.OKABE_ITO]
    assert np.allclose(data.get_facecolors(), [okabe[1], okabe[0], okabe[1], okabe[2]])
    assert _legend_texts(ax) == ["1", "2", "3", "No data"]
    assert ax.get_legend().get_title().get_text() == "Cluster"
    many = _squares(cluster=list(range(9)))
    with pytest.raises(UsageError, match="9 categories"):
        plots.choropleth(many, "cluster", "categorical")


# --------------------------------------------------------------------------- properties


_finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.one_of(_finite, st.just(float("nan"))), min_size=1, max_size=40),
    scheme=st.sampled_from(["quantiles", "natural_breaks", "equal_interval"]),
    k=st.integers(min_value=1, max_value=6),
)
def test_classes_follow_the_order_of_values(values, scheme, k):
    series = pd.Series(values, dtype=float)
    cls, labels = plots.classify(series, scheme, k)
    assert cls.isna().tolist() == series.isna().tolist()
    known = pd.DataFrame({"v": series, "c": cls}).dropna().sort_values("v")
    assert known["c"].is_monotonic_increasing
    if not known.empty:
        assert known["c"].min() >= 0 and known["c"].max() < len(labels)


def test_equal_values_make_one_class():
    cls, labels = plots.classify(pd.Series([7.5, 7.5, np.nan]), "equal_interval", k=4, lang="vi")
    assert cls.tolist() == [0, 0, pd.NA]
    assert labels == ["7,5"]
    ax = plots.choropleth(_squares(v=[7.5, 7.5]), "v", "natural_breaks", lang="en")
    assert _legend_texts(ax) == ["7.5"]


def test_titles_and_legend_name_the_indicator_from_the_framework():
    gdf = _squares(literacy_rate=[88.9, 95.0])
    ax = plots.choropleth(gdf, "literacy_rate", "equal_interval", k=2, lang="vi", year=2016)
    assert ax.get_title() == "Tỷ lệ biết chữ của dân số từ 15 tuổi trở lên (%) (2016)"
    legend_title = ax.get_legend().get_title().get_text()
    assert legend_title.replace("\n", " ") == "Tỷ lệ biết chữ của dân số từ 15 tuổi trở lên (%)"
    assert plots.column_label("3", "en") == "3. Fundamental conditions"


def test_a_class_with_one_value_is_labelled_by_it():
    # The first bound equals the minimum: that class holds the value 1 only.
    cls, labels = plots.classify(pd.Series([1.0, 2, 3, 4, 5]), "user_defined", bins=[1, 3, 5])
    assert cls.tolist() == [0, 1, 1, 2, 2]
    assert labels == ["1,0", "1,0 – 3,0", "3,0 – 5,0"]
    assert plots.column_label("population_density", "en") == "Population density (persons/km²)"
