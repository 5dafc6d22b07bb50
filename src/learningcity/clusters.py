"""Clusters and peers: which cities are alike, and which units are a city's nearest.

Input is the wide matrix of the conventions (indexed by ``unit_code``, one
column per indicator or focus-area score). Columns are standardised to
z-scores first, so that no indicator weighs more because of its unit.

* :func:`fit_clusters` — k-means, Ward or a Gaussian mixture, labels 1..k;
* :func:`choose_k` — silhouette for every method and k, BIC for mixtures
  (:func:`plot_choose_k` draws the table);
* :func:`stability` — bootstrap adjusted Rand index against the full-data labels;
* :func:`cluster_profiles` — mean of each column per cluster, and
  :func:`ranks_within` — a unit's rank inside its cluster;
* :func:`pca_biplot` — units and indicator loadings on the first two components;
* :func:`peers` — a unit's nearest units, with e.g. GNLC members marked.

Everything random takes a ``seed``: the same seed gives the same answer.
scikit-learn is imported here only, inside the functions.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from learningcity.errors import UsageError
from learningcity.i18n import N_, gettext

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "choose_k",
    "cluster_profiles",
    "fit_clusters",
    "pca_biplot",
    "peer_sentence",
    "peers",
    "plot_choose_k",
    "ranks_within",
    "standardise",
    "stability",
]

Method = Literal["kmeans", "ward", "gmm"]
METHODS: tuple[str, ...] = ("kmeans", "ward", "gmm")


def standardise(matrix: pd.DataFrame) -> pd.DataFrame:
    """Return column z-scores (mean 0, population standard deviation 1).

    Missing values stay missing. Columns with fewer than two values or no
    spread carry no information for distances; they are dropped and listed
    in ``.attrs["dropped"]``.

    Parameters
    ----------
    matrix : DataFrame
        Units in rows, numeric indicators in columns.

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> m = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [5.0, 5.0, 5.0]}, index=["x", "y", "z"])
    >>> z = standardise(m)
    >>> z["a"].round(4).tolist(), z.attrs["dropped"]
    ([-1.2247, 0.0, 1.2247], ['b'])
    """
    numeric = _numeric(matrix)
    mean = numeric.mean()
    std = numeric.std(ddof=0)
    keep = (numeric.notna().sum() >= 2) & (std > 0)
    z = (numeric.loc[:, keep] - mean[keep]) / std[keep]
    z.attrs["dropped"] = list(numeric.columns[~keep])
    return z


def _numeric(matrix: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(matrix, pd.DataFrame) or matrix.empty:
        raise UsageError("expected a non-empty DataFrame of units (rows) by indicators (columns)")
    bad = [c for c in matrix.columns if not pd.api.types.is_numeric_dtype(matrix[c])]
    if bad:
        raise UsageError(f"column(s) {bad} are not numeric; pass indicator values only")
    if matrix.index.duplicated().any():
        dup = matrix.index[matrix.index.duplicated()][0]
        raise UsageError(f"unit {dup!r} appears more than once in the matrix")
    return matrix.astype(float)


def _prepare(
    matrix: pd.DataFrame, *, scale: bool, missing: Literal["drop", "mean"]
) -> pd.DataFrame:
    """Standardised (or not), complete data ready for scikit-learn."""
    data = standardise(matrix) if scale else _numeric(matrix)
    if missing == "drop":
        complete = data.dropna()
        dropped = list(data.index[data.isna().any(axis=1)])
    elif missing == "mean":
        complete = data.fillna(data.mean())
        dropped = []
    else:
        raise UsageError(f"unknown missing={missing!r}; expected 'drop' or 'mean'")
    complete.attrs = {"dropped_units": dropped, "dropped": data.attrs.get("dropped", [])}
    if complete.shape[1] == 0:
        raise UsageError("no indicator with at least two distinct values to cluster on")
    if complete.empty:
        raise UsageError(
            "every unit misses at least one indicator; drop sparse indicators first "
            "or use missing='mean'"
        )
    return complete


def _relabel(raw: np.ndarray) -> np.ndarray:
    """Number clusters 1..k in order of first appearance, so labels are reproducible."""
    order = {}
    for value in raw:
        order.setdefault(value, len(order) + 1)
    return np.array([order[v] for v in raw])


def _one_thread():
    """Limit BLAS/OpenMP to one thread: on a few dozen units, thread start-up costs
    ten times the work (k-means on 63 units: 12 ms instead of 120 ms)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def _model(method: str, k: int, seed: int, covariance_type: str):
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.mixture import GaussianMixture

    if method == "kmeans":
        return KMeans(n_clusters=k, n_init=10, random_state=seed)
    if method == "ward":
        return AgglomerativeClustering(n_clusters=k, linkage="ward")
    if method == "gmm":
        return GaussianMixture(
            n_components=k, covariance_type=covariance_type, n_init=5, random_state=seed
        )
    raise UsageError(f"unknown clustering method {method!r}; expected one of {METHODS}")


def fit_clusters(
    matrix: pd.DataFrame,
    method: Method = "kmeans",
    k: int = 3,
    *,
    seed: int = 0,
    scale: bool = True,
    missing: Literal["drop", "mean"] = "drop",
    covariance_type: str = "diag",
) -> pd.Series:
    """Cluster units with k-means, Ward's hierarchical method or a Gaussian mixture.

    Parameters
    ----------
    matrix : DataFrame
        Units by indicators (or focus-area scores).
    method : {"kmeans", "ward", "gmm"}
    k : int
        Number of clusters.
    seed : int
        Random state of k-means and the mixture (Ward is deterministic).
    scale : bool, default True
        Standardise columns first (:func:`standardise`).
    missing : {"drop", "mean"}
        Leave out units with a missing value (listed in
        ``.attrs["dropped_units"]``), or fill with the column mean.
    covariance_type : str, default "diag"
        Of the mixture; "diag" needs fewer units than "full".

    Returns
    -------
    Series
        Cluster 1..k per unit (numbered in order of first appearance), named
        ``"cluster"``, indexed like ``matrix``.

    Examples
    --------
    >>> m = pd.DataFrame({"x": [0.0, 0.1, 5.0, 5.1]}, index=["a", "b", "c", "d"])
    >>> fit_clusters(m, "ward", k=2).tolist()
    [1, 1, 2, 2]
    """
    data = _prepare(matrix, scale=scale, missing=missing)
    if not 1 <= k <= len(data):
        raise UsageError(f"k={k} clusters need between 1 and {len(data)} (the number of units)")
    model = _model(method, k, seed, covariance_type)
    with _one_thread():
        raw = model.fit_predict(data.to_numpy())
    labels = pd.Series(_relabel(raw), index=data.index, name="cluster")
    labels.attrs = {"method": method, "k": k, "seed": seed, **data.attrs}
    return labels


def choose_k(
    matrix: pd.DataFrame,
    ks: Iterable[int] = range(2, 7),
    methods: Iterable[str] = METHODS,
    *,
    seed: int = 0,
    scale: bool = True,
    missing: Literal["drop", "mean"] = "drop",
    covariance_type: str = "diag",
) -> pd.DataFrame:
    """Score each method and number of clusters: silhouette, and BIC for mixtures.

    Parameters
    ----------
    matrix : DataFrame
        Units by indicators.
    ks : iterable of int
        Numbers of clusters to try (2 to n - 1 are scored).
    methods : iterable of str
        Any of "kmeans", "ward", "gmm".
    seed, scale, missing, covariance_type
        As in :func:`fit_clusters`.

    Returns
    -------
    DataFrame
        One row per (method, k): ``silhouette`` (higher is better, in
        [-1, 1]), ``bic`` (mixtures only, lower is better), and
        ``best_silhouette`` / ``best_bic`` marking the best k of each method.

    Examples
    --------
    >>> m = pd.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1, 5.2]})
    >>> t = choose_k(m, ks=[2, 3], methods=["kmeans"])
    >>> int(t.loc[t["best_silhouette"], "k"].iloc[0])
    2
    """
    data = _prepare(matrix, scale=scale, missing=missing)
    x = data.to_numpy()
    ks = list(ks)
    with _one_thread():
        rows = _score_ks(x, ks, methods, seed, covariance_type)
    if not rows:
        raise UsageError(f"no k in {list(ks)} fits {len(data)} units (need 2 <= k < units)")
    table = pd.DataFrame(rows)
    best_sil = table.groupby("method")["silhouette"].transform("max")
    table["best_silhouette"] = table["silhouette"].eq(best_sil) & table["silhouette"].notna()
    best_bic = table.groupby("method")["bic"].transform("min")
    table["best_bic"] = table["bic"].eq(best_bic) & table["bic"].notna()
    table.attrs = dict(data.attrs)
    return table


def plot_choose_k(
    table: pd.DataFrame, *, ax: Axes | None = None, lang: Literal["vi", "en"] = "en"
) -> Axes:
    """Silhouette by number of clusters for each method, and BIC of the mixtures.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`choose_k`.
    ax : Axes, optional
        Where to draw; a new figure by default. BIC goes on a twin axis
        (the figure's next Axes) when the table has mixtures.
    lang : {"vi", "en"}

    Returns
    -------
    Axes
        One line per method labelled with its name; the best k of each method
        is circled.

    Examples
    --------
    >>> t = pd.DataFrame({"method": ["kmeans", "kmeans"], "k": [2, 3],
    ...                   "silhouette": [0.6, 0.4], "bic": [float("nan")] * 2,
    ...                   "best_silhouette": [True, False], "best_bic": [False, False]})
    >>> [line.get_label() for line in plot_choose_k(t).get_lines()]
    ['k-means']
    """
    import matplotlib.pyplot as plt

    names = {"kmeans": "k-means", "ward": "Ward", "gmm": "GMM"}
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    colours = {"kmeans": "#0072B2", "ward": "#D55E00", "gmm": "#009E73"}
    for method, part in table.groupby("method", sort=False):
        colour = colours.get(method, "#000000")
        ax.plot(
            part["k"], part["silhouette"], marker="o", color=colour, label=names.get(method, method)
        )
        best = part[part["best_silhouette"]]
        ax.scatter(best["k"], best["silhouette"], s=160, facecolors="none", edgecolors=colour)
    ax.set_xlabel(gettext(N_("Number of clusters k"), lang))
    ax.set_ylabel("Silhouette")
    ax.legend(loc="upper right", fontsize=8)
    mixtures = table[table["bic"].notna()]
    if not mixtures.empty:
        twin = ax.twinx()
        twin.plot(mixtures["k"], mixtures["bic"], ls=":", marker="s", color="#009E73", label="BIC")
        twin.set_ylabel("BIC (GMM, " + gettext(N_("lower is better"), lang) + ")")
    return ax


def _score_ks(x: np.ndarray, ks: list[int], methods, seed: int, covariance_type: str) -> list:
    from sklearn.metrics import silhouette_score

    rows = []
    for method in methods:
        for k in ks:
            if not 2 <= k < len(x):
                continue
            model = _model(method, k, seed, covariance_type)
            raw = model.fit_predict(x)
            sil = silhouette_score(x, raw) if len(set(raw)) > 1 else np.nan
            bic = model.bic(x) if method == "gmm" else np.nan
            rows.append({"method": method, "k": k, "silhouette": sil, "bic": bic})
    return rows


def stability(
    matrix: pd.DataFrame,
    method: Method = "kmeans",
    k: int = 3,
    *,
    n_boot: int = 100,
    seed: int = 0,
    scale: bool = True,
    missing: Literal["drop", "mean"] = "drop",
    covariance_type: str = "diag",
) -> pd.Series:
    """Bootstrap stability of a clustering: adjusted Rand index of each replicate.

    Each replicate draws the units with replacement, clusters the draw, assigns
    every unit to the nearest replicate cluster (the mixture's own prediction,
    the nearest centroid for k-means and Ward) and compares that with the
    full-data labels. 1 means the same partition; about 0 is chance.

    Parameters
    ----------
    matrix : DataFrame
        Units by indicators.
    method, k, seed, scale, missing, covariance_type
        As in :func:`fit_clusters`; ``seed`` also drives the resampling.
    n_boot : int
        Number of bootstrap replicates.

    Returns
    -------
    Series
        ``ari`` per replicate (NaN when a draw holds fewer distinct units
        than ``k``); summarise with ``.describe()`` or quantiles.

    Examples
    --------
    >>> m = pd.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1, 5.2]})
    >>> float(stability(m, "kmeans", 2, n_boot=20).median())
    1.0
    """
    data = _prepare(matrix, scale=scale, missing=missing)
    x = data.to_numpy()
    reference = fit_clusters(
        data, method, k, seed=seed, scale=False, covariance_type=covariance_type
    ).to_numpy()
    rng = np.random.default_rng(seed)
    with _one_thread():
        scores = _bootstrap(x, reference, method, k, n_boot, rng, covariance_type)
    result = pd.Series(scores, name="ari", dtype=float)
    result.index.name = "replicate"
    result.attrs = {"method": method, "k": k, "seed": seed, "n_boot": n_boot}
    return result


def _bootstrap(
    x: np.ndarray,
    reference: np.ndarray,
    method: str,
    k: int,
    n_boot: int,
    rng: np.random.Generator,
    covariance_type: str,
) -> list[float]:
    from sklearn.metrics import adjusted_rand_score

    scores = []
    for _ in range(n_boot):
        draw = rng.integers(0, len(x), size=len(x))
        sample = x[draw]
        if len(np.unique(sample, axis=0)) < k:  # too few distinct units to form k clusters
            scores.append(np.nan)
            continue
        model = _model(method, k, int(rng.integers(2**31 - 1)), covariance_type)
        raw = model.fit_predict(sample)
        if method == "gmm":
            assigned = model.predict(x)
        else:
            centres = np.vstack([sample[raw == c].mean(axis=0) for c in np.unique(raw)])
            dist = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
            assigned = dist.argmin(axis=1)
        scores.append(adjusted_rand_score(reference, assigned))
    return scores


def cluster_profiles(matrix: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Mean of every column per cluster, with the cluster sizes.

    Parameters
    ----------
    matrix : DataFrame
        Units by indicators (raw values read best; z-scores show the contrast).
    labels : Series
        Cluster per unit, e.g. from :func:`fit_clusters`; units without a
        label are left out.

    Returns
    -------
    DataFrame
        Indexed by cluster: ``n`` (units) then the column means (NaN ignored).

    Examples
    --------
    >>> m = pd.DataFrame({"x": [1.0, 3.0, 10.0]}, index=["a", "b", "c"])
    >>> cluster_profiles(m, pd.Series([1, 1, 2], index=["a", "b", "c"])).to_dict("list")
    {'n': [2, 1], 'x': [2.0, 10.0]}
    """
    common = matrix.index.intersection(labels.dropna().index)
    if common.empty:
        raise UsageError("no unit of the matrix has a cluster label")
    groups = labels.loc[common].rename("cluster")
    means = _numeric(matrix.loc[common]).groupby(groups).mean()
    means.insert(0, "n", groups.value_counts().reindex(means.index).astype(int))
    return means


def ranks_within(scores: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Rank units inside their group (cluster or peer group): 1 is the highest score.

    Parameters
    ----------
    scores : Series
        A score per unit (higher is better), e.g. the overall index.
    groups : Series
        Group per unit, e.g. :func:`fit_clusters` labels.

    Returns
    -------
    DataFrame
        Indexed by unit: ``group``, ``score``, ``rank`` (ties share the best
        rank; NaN scores are not ranked) and ``of`` (units ranked in the group).

    Examples
    --------
    >>> s = pd.Series({"a": 50.0, "b": 70.0, "c": 60.0, "d": 10.0})
    >>> g = pd.Series({"a": 1, "b": 1, "c": 2, "d": 2})
    >>> ranks_within(s, g)[["rank", "of"]].to_dict("index")["a"]
    {'rank': 2, 'of': 2}
    """
    common = scores.index.intersection(groups.dropna().index)
    table = pd.DataFrame({"group": groups.loc[common], "score": scores.loc[common].astype(float)})
    table["rank"] = (
        table.groupby("group")["score"].rank(ascending=False, method="min").astype("Int64")
    )
    table["of"] = table.groupby("group")["score"].transform("count").astype(int)
    return table


def pca_biplot(
    matrix: pd.DataFrame,
    labels: pd.Series | None = None,
    *,
    names: Mapping[str, str] | None = None,
    ax: Axes | None = None,
    lang: Literal["vi", "en"] = "en",
    missing: Literal["drop", "mean"] = "drop",
) -> Axes:
    """Units on the first two principal components, with indicator loadings as arrows.

    Parameters
    ----------
    matrix : DataFrame
        Units by indicators (at least two columns); standardised first.
    labels : Series, optional
        Cluster per unit; points are coloured by cluster (colour-blind-safe).
    names : mapping, optional
        Unit code → name to write beside each point.
    ax : Axes, optional
        Where to draw; a new figure by default.
    lang : {"vi", "en"}
        Language of the axis labels.
    missing : {"drop", "mean"}
        As in :func:`fit_clusters`.

    Returns
    -------
    Axes
        ``ax.collections[0]`` holds the units; one arrow (``FancyArrow``
        patch) and one text per indicator; axis labels give the explained
        variance; with ``labels``, a legend names the clusters.

    Examples
    --------
    >>> m = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 1, 4, 3], "c": [0.0, 1, 0, 1]})
    >>> ax = pca_biplot(m)
    >>> ax.get_xlabel().startswith("PC1")
    True
    """
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA

    data = _prepare(matrix, scale=True, missing=missing)
    if data.shape[1] < 2 or len(data) < 3:
        raise UsageError("a biplot needs at least 3 units and 2 indicators with spread")
    pca = PCA(n_components=2).fit(data.to_numpy())
    scores = pca.transform(data.to_numpy())
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    colours = None
    if labels is not None:
        lab = labels.reindex(data.index)
        cmap = plt.get_cmap("tab10")  # Tableau 10: distinguishable for most colour vision
        colours = [cmap((int(v) - 1) % 10) if pd.notna(v) else "#bdbdbd" for v in lab]
    ax.scatter(scores[:, 0], scores[:, 1], c=colours, s=30, zorder=3)
    if labels is not None:
        from matplotlib.lines import Line2D

        word = gettext(N_("Cluster"), lang)
        present = sorted({int(v) for v in lab.dropna()})
        handles = [
            Line2D([], [], ls="", marker="o", color=cmap((c - 1) % 10), label=f"{word} {c}")
            for c in present
        ]
        ax.legend(handles=handles, fontsize=8, loc="best")
    if names:
        for code, (px, py) in zip(data.index, scores, strict=True):
            if code in names:
                ax.annotate(
                    names[code], (px, py), fontsize=8, xytext=(3, 3), textcoords="offset points"
                )
    # Loadings scaled to the spread of the scores so arrows and points share the axes.
    loadings = pca.components_.T * np.sqrt(pca.explained_variance_)
    reach = np.abs(scores).max() / max(np.abs(loadings).max(), 1e-12) * 0.8
    for column, (lx, ly) in zip(data.columns, loadings * reach, strict=True):
        ax.arrow(0, 0, lx, ly, color="#404040", width=0.005 * reach, length_includes_head=True)
        ax.text(lx * 1.08, ly * 1.08, str(column), color="#404040", fontsize=8, ha="center")
    share = pca.explained_variance_ratio_ * 100
    word = gettext(N_("variance"), lang)
    ax.set_xlabel(f"PC1 ({share[0]:.1f}% {word})")
    ax.set_ylabel(f"PC2 ({share[1]:.1f}% {word})")
    ax.axhline(0, color="#999999", lw=0.5)
    ax.axvline(0, color="#999999", lw=0.5)
    ax.set_title(gettext(N_("PCA biplot"), lang))
    return ax


def peers(
    matrix: pd.DataFrame,
    unit: str,
    n: int = 5,
    *,
    mark: Collection[str] | None = None,
    names: Mapping[str, str] | None = None,
    scale: bool = True,
) -> pd.DataFrame:
    """A unit's nearest units in (standardised) indicator space.

    Distances are Euclidean over the indicators both units have, scaled up
    for the ones missing (``sqrt(p / p_common)``, as scikit-learn's
    ``nan_euclidean_distances``), so a unit with gaps is not made to look
    close.

    Parameters
    ----------
    matrix : DataFrame
        Units by indicators.
    unit : str
        The unit's code (an index value of ``matrix``).
    n : int
        How many peers.
    mark : collection of str, optional
        Codes to flag, e.g. the Vietnamese GNLC members.
    names : mapping, optional
        Unit code → name, added as a ``unit_name`` column.
    scale : bool, default True
        Standardise columns first.

    Returns
    -------
    DataFrame
        Indexed by rank 1..n: ``unit_code``, ``distance``, ``n_common``
        (indicators compared) and ``marked``. Ties are broken by code.

    Examples
    --------
    >>> m = pd.DataFrame({"x": [0.0, 1.0, 3.0]}, index=["a", "b", "c"])
    >>> table = peers(m, "a", 2, scale=False, mark={"c"})
    >>> table[["unit_code", "distance", "marked"]].to_dict("list")
    {'unit_code': ['b', 'c'], 'distance': [1.0, 3.0], 'marked': [False, True]}
    """
    from sklearn.metrics.pairwise import nan_euclidean_distances

    data = standardise(matrix) if scale else _numeric(matrix)
    if unit not in data.index:
        raise UsageError(
            f"unit {unit!r} is not in the matrix; units are codes such as {data.index[0]!r}"
        )
    x = data.to_numpy()
    target = x[data.index.get_loc(unit)][None, :]
    dist = nan_euclidean_distances(target, x)[0]
    common = (~np.isnan(x) & ~np.isnan(target)).sum(axis=1)
    table = pd.DataFrame(
        {"unit_code": data.index.astype(str), "distance": dist, "n_common": common}
    )
    table = table[(table["unit_code"] != str(unit)) & (table["n_common"] > 0)]
    table = table.sort_values(["distance", "unit_code"], kind="stable").head(n)
    marks = {str(c) for c in (mark or ())}
    table["marked"] = table["unit_code"].isin(marks)
    if names is not None:
        table.insert(1, "unit_name", table["unit_code"].map(dict(names)))
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    return table


def peer_sentence(
    table: pd.DataFrame,
    names: Mapping[str, str] | None = None,
    *,
    lang: Literal["vi", "en"] = "en",
) -> str:
    """Say which marked units are among the peers, nearest first.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`peers`.
    names : mapping, optional
        Unit code → display name.
    lang : {"vi", "en"}

    Returns
    -------
    str

    Examples
    --------
    >>> t = pd.DataFrame({"unit_code": ["14", "87", "01"], "marked": [True, True, False]})
    >>> peer_sentence(t, {"14": "Sơn La", "87": "Cao Lãnh"})
    'closest to Sơn La and Cao Lãnh'
    >>> peer_sentence(t, {"14": "Sơn La", "87": "Cao Lãnh"}, lang="vi")
    'gần nhất với Sơn La và Cao Lãnh'
    """
    names = names or {}
    hits = [names.get(c, c) for c in table.loc[table["marked"], "unit_code"]]
    if not hits:
        return gettext(N_("none of the {n} nearest units is marked"), lang).format(n=len(table))
    conj = gettext(N_(" and "), lang)
    listed = hits[0] if len(hits) == 1 else ", ".join(hits[:-1]) + conj + hits[-1]
    return gettext(N_("closest to {units}"), lang).format(units=listed)
