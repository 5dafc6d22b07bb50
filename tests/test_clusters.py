"""Clusters and peers on synthetic data whose answer is known by construction."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.patches import FancyArrow
from sklearn.metrics import adjusted_rand_score

from learningcity import clusters
from learningcity.errors import UsageError


@pytest.fixture(scope="module")
def blobs():
    """Three tight groups of 12 units, 10 standard deviations apart, shuffled."""
    rng = np.random.default_rng(42)
    centres = np.array([[0, 0, 0, 0], [10, 0, 10, 0], [0, 10, 0, 10]], dtype=float)
    truth = np.repeat([0, 1, 2], 12)
    x = centres[truth] + rng.normal(scale=0.5, size=(36, 4))
    order = rng.permutation(36)
    index = pd.Index([f"u{i:02d}" for i in range(36)], name="unit_code")
    matrix = pd.DataFrame(x[order], index=index, columns=["a", "b", "c", "d"])
    return matrix, pd.Series(truth[order], index=index)


def test_standardise_by_hand():
    m = pd.DataFrame({"x": [2.0, 4.0, 6.0, 8.0], "y": [1.0, np.nan, 1.0, 3.0]})
    z = clusters.standardise(m)
    # mean 5, population sd sqrt(5)
    assert z["x"].tolist() == pytest.approx(
        [-3 / math.sqrt(5), -1 / math.sqrt(5), 1 / math.sqrt(5), 3 / math.sqrt(5)]
    )
    # y: values 1, 1, 3 -> mean 5/3, sd sqrt(8/9); the gap stays a gap
    sd = math.sqrt(8 / 9)
    assert z["y"].iloc[0] == pytest.approx((1 - 5 / 3) / sd)
    assert np.isnan(z["y"].iloc[1])


@pytest.mark.parametrize("method", ["kmeans", "ward", "gmm"])
def test_labels_recover_separated_groups(blobs, method):
    matrix, truth = blobs
    labels = clusters.fit_clusters(matrix, method, k=3, seed=1)
    assert adjusted_rand_score(truth, labels) == 1.0
    assert sorted(labels.unique()) == [1, 2, 3]
    # Numbered in order of first appearance.
    assert labels.iloc[0] == 1
    assert labels.index.equals(matrix.index)
    again = clusters.fit_clusters(matrix, method, k=3, seed=1)
    assert again.equals(labels)


def test_choose_k_finds_three_groups(blobs):
    matrix, _ = blobs
    table = clusters.choose_k(matrix, ks=range(2, 7), seed=0)
    assert set(table["method"]) == {"kmeans", "ward", "gmm"}
    assert len(table) == 15
    assert table["silhouette"].between(-1, 1).all()
    best = table[table["best_silhouette"]].set_index("method")["k"]
    assert best.to_dict() == {"kmeans": 3, "ward": 3, "gmm": 3}
    assert table.loc[table["best_bic"], "k"].tolist() == [3]
    assert table.loc[table["method"] != "gmm", "bic"].isna().all()


def test_stability_near_one_for_separated_data(blobs):
    matrix, _ = blobs
    ari = clusters.stability(matrix, "kmeans", 3, n_boot=30, seed=3)
    assert len(ari) == 30
    assert ari.between(-1, 1).all()
    assert ari.mean() > 0.95
    assert clusters.stability(matrix, "kmeans", 3, n_boot=30, seed=3).equals(ari)


@pytest.mark.parametrize("method", ["ward", "gmm"])
def test_stability_other_methods_in_range(blobs, method):
    matrix, _ = blobs
    ari = clusters.stability(matrix, method, 3, n_boot=10, seed=0)
    assert ari.between(-1, 1).all()
    assert ari.median() == pytest.approx(1.0)


def test_stability_lower_on_structureless_data():
    rng = np.random.default_rng(7)
    noise = pd.DataFrame(rng.uniform(size=(40, 3)), columns=["a", "b", "c"])
    ari = clusters.stability(noise, "kmeans", 4, n_boot=20, seed=0)
    assert ari.between(-1, 1).all()
    assert ari.mean() < 0.9


def test_missing_units_dropped_or_filled(blobs):
    matrix, truth = blobs
    gappy = matrix.copy()
    gappy.iloc[0, 1] = np.nan
    dropped = clusters.fit_clusters(gappy, "kmeans", 3)
    assert len(dropped) == 35
    assert dropped.attrs["dropped_units"] == [matrix.index[0]]
    filled = clusters.fit_clusters(gappy, "kmeans", 3, missing="mean")
    assert len(filled) == 36


def test_cluster_profiles_by_hand():
    m = pd.DataFrame(
        {"lit": [90.0, 94.0, 60.0, np.nan], "clc": [1.0, 3.0, 8.0, 10.0]},
        index=["a", "b", "c", "d"],
    )
    labels = pd.Series([1, 1, 2, 2], index=["a", "b", "c", "d"])
    prof = clusters.cluster_profiles(m, labels)
    assert prof.loc[1].to_dict() == {"n": 2, "lit": 92.0, "clc": 2.0}
    assert prof.loc[2, "lit"] == 60.0  # the gap is ignored, not counted as 0
    assert prof.loc[2, "clc"] == 9.0


def test_ranks_within_clusters_by_hand():
    scores = pd.Series({"yb": 55.0, "nl": 40.0, "sl": 70.0, "cl": 55.0, "xx": np.nan, "vi": 90.0})
    groups = pd.Series({"yb": 1, "nl": 1, "sl": 1, "cl": 1, "xx": 1, "vi": 2})
    table = clusters.ranks_within(scores, groups)
    # Cluster 1 ranked high to low: sl 70 (1), yb and cl 55 (2, tied), nl 40 (4); xx unranked.
    ranked = table["rank"].dropna().to_dict()
    assert ranked == {"yb": 2, "nl": 4, "sl": 1, "cl": 2, "vi": 1}
    assert pd.isna(table.loc["xx", "rank"])
    assert table.loc["yb", "of"] == 4
    assert table.loc["vi", "of"] == 1


def test_peers_distances_by_hand():
    m = pd.DataFrame(
        {"x": [0.0, 1.0, 3.0, np.nan, 0.5], "y": [0.0, np.nan, 4.0, np.nan, 0.0]},
        index=["yb", "nl", "sl", "xx", "cl"],
    )
    table = clusters.peers(m, "yb", n=5, scale=False, mark={"sl", "cl"})
    # cl: 0.5; nl: one of two indicators, sqrt(2/1 * 1^2); sl: 3-4-5; xx shares nothing.
    assert table["unit_code"].tolist() == ["cl", "nl", "sl"]
    assert table["distance"].tolist() == pytest.approx([0.5, math.sqrt(2), 5.0])
    assert table["n_common"].tolist() == [2, 1, 2]
    assert table["marked"].tolist() == [True, False, True]
    assert table.index.tolist() == [1, 2, 3]
    named = clusters.peers(m, "yb", n=1, scale=False, names={"cl": "Cao Lãnh"})
    assert named["unit_name"].tolist() == ["Cao Lãnh"]
    assert clusters.peer_sentence(table, {"sl": "Sơn La", "cl": "Cao Lãnh"}) == (
        "closest to Cao Lãnh and Sơn La"
    )


def test_peers_in_standardised_space():
    # x has sd 10 x larger than y: standardised, both count the same.
    m = pd.DataFrame({"x": [0.0, 10.0, 20.0], "y": [0.0, 2.0, 1.0]}, index=["a", "b", "c"])
    table = clusters.peers(m, "a", n=2)
    # z(x) = [-1, 0, 1] * sqrt(3/2); z(y) = [-1, 1, 0] * sqrt(3/2)
    s = math.sqrt(1.5)
    assert table.set_index("unit_code")["distance"].to_dict() == pytest.approx(
        {"b": s * math.sqrt(1 + 4), "c": s * math.sqrt(4 + 1)}
    )
    # A tie is broken by code.
    assert table["unit_code"].tolist() == ["b", "c"]


def test_peer_sentence_without_marked_units():
    t = pd.DataFrame({"unit_code": ["a", "b"], "marked": [False, False]})
    assert clusters.peer_sentence(t) == "none of the 2 nearest units is marked"


def test_pca_biplot_objects():
    # b is a multiple of a, c is uncorrelated with a: correlation eigenvalues 2, 1, 0.
    m = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, 6.0, 8.0], "c": [1.0, -1.0, -1.0, 1.0]},
        index=["p", "q", "r", "s"],
    )
    labels = pd.Series([1, 1, 2, 2], index=m.index)
    ax = clusters.pca_biplot(m, labels, names={"p": "Yên Bái"})
    assert ax.get_xlabel() == "PC1 (66.7% variance)"
    assert ax.get_ylabel() == "PC2 (33.3% variance)"
    points = ax.collections[0]
    assert len(points.get_offsets()) == 4
    colours = points.get_facecolors()
    assert (colours[0] == colours[1]).all() and not (colours[0] == colours[2]).all()
    arrows = [p for p in ax.patches if isinstance(p, FancyArrow)]
    assert len(arrows) == 3
    texts = [t.get_text() for t in ax.texts]
    assert {"a", "b", "c"} <= set(texts)
    assert "Yên Bái" in texts
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Cluster 1", "Cluster 2"]
    vi = clusters.pca_biplot(m, lang="vi")
    assert vi.get_xlabel() == "PC1 (66.7% phương sai)"


def test_bad_input_is_explained():
    m = pd.DataFrame({"x": [1.0, 2.0, 3.0], "name": ["a", "b", "c"]})
    with pytest.raises(UsageError, match=r"\['name'\] are not numeric"):
        clusters.fit_clusters(m)
    num = pd.DataFrame({"x": [1.0, 2.0, 3.0]}, index=["a", "b", "c"])
    with pytest.raises(UsageError, match="unknown clustering method 'dbscan'"):
        clusters.fit_clusters(num, "dbscan", 2)
    with pytest.raises(UsageError, match="unit 'zz' is not in the matrix"):
        clusters.peers(num, "zz")
    sparse = pd.DataFrame({"x": [1.0, np.nan, 3.0, np.nan], "y": [np.nan, 2.0, np.nan, 5.0]})
    with pytest.raises(UsageError, match="every unit misses at least one indicator"):
        clusters.fit_clusters(sparse, "kmeans", 2)
    with pytest.raises(UsageError, match="k=5 clusters need between 1 and 3"):
        clusters.fit_clusters(num, "kmeans", 5)


def test_plot_choose_k_shows_the_table(blobs):
    matrix, _ = blobs
    table = clusters.choose_k(matrix, ks=range(2, 5), seed=0)
    ax = clusters.plot_choose_k(table, lang="vi")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"k-means", "Ward", "GMM"}
    kmeans = table[table["method"] == "kmeans"]
    assert lines["k-means"].get_ydata().tolist() == pytest.approx(kmeans["silhouette"].tolist())
    # The best k (3) of each method is circled.
    circled = {tuple(c.get_offsets()[0]) for c in ax.collections}
    assert {k for k, _ in circled} == {3}
    twin = ax.figure.axes[1]
    gmm = table[table["method"] == "gmm"]
    assert twin.get_lines()[0].get_ydata().tolist() == pytest.approx(gmm["bic"].tolist())
    assert ax.get_xlabel() == "Số cụm k"


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=10_000),
    n=st.integers(min_value=6, max_value=25),
    k=st.integers(min_value=2, max_value=4),
    method=st.sampled_from(["kmeans", "ward", "gmm"]),
)
def test_random_data_labels_stability_and_peers_keep_their_contracts(seed, n, k, method):
    rng = np.random.default_rng(seed)
    matrix = pd.DataFrame(rng.normal(size=(n, 3)), index=[f"u{i}" for i in range(n)])
    labels = clusters.fit_clusters(matrix, method, k, seed=seed)
    assert set(labels) <= set(range(1, k + 1))
    assert labels.iloc[0] == 1
    ari = clusters.stability(matrix, method, k, n_boot=3, seed=seed)
    assert ari.dropna().between(-1, 1).all()
    table = clusters.peers(matrix, "u0", n=n)
    assert len(table) == n - 1
    assert table["distance"].is_monotonic_increasing
    assert "u0" not in set(table["unit_code"])
