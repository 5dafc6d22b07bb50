"""The sections of the planner reports: text, tables and figures per unit.

Templates stay short: each cell calls one function here with the run's shared
:class:`~learningcity.reports.context.ReportContext`, the unit and the
language, and displays what it returns (Markdown text, an HTML table or a
matplotlib figure). Everything a planner reads is written for a planner, in
Vietnamese or English, with numbers formatted for the language.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd

from learningcity.numbers import format_number

__all__ = [
    "appendix_gaps",
    "appendix_method",
    "appendix_sources",
    "checklist_table",
    "district_table",
    "facts_table",
    "headline",
    "html_table",
    "map_figure",
    "peers_section",
    "profile_figure",
    "rank_interval_figure",
    "strengths_table",
    "targets_table",
    "tr",
]

TEXT: dict[str, dict[str, str]] = {
    "title": {
        "vi": "# Mức độ sẵn sàng trở thành thành phố học tập: {unit}",
        "en": "# Readiness to become a learning city: {unit}",
    },
    "title_overview": {
        "vi": "# Tổng quan mức độ sẵn sàng thành phố học tập: {unit}",
        "en": "# Learning-city readiness overview: {unit}",
    },
    "intro": {
        "vi": "Báo cáo năm {year}, lập ngày {today}. Mọi số liệu đều kèm nguồn; "
        "không có số liệu nào là ước tính.",
        "en": "Report for {year}, prepared on {today}. Every figure has its source; "
        "none is an estimate.",
    },
    "score_line": {
        "vi": "**{unit}** đạt **{score}/100** điểm sẵn sàng, mức **{level}**; xếp thứ "
        "**{rank}/{n}** tỉnh, thành phố (năm {iyear}). Với {reps} cách tính hợp lý khác "
        "nhau, thứ hạng nằm trong khoảng **{low}–{high}** (90 % số lần). Trong vùng "
        "{region}: thứ {grank}/{gn}.",
        "en": "**{unit}** scores **{score}/100** for readiness, level **{level}**; rank "
        "**{rank} of {n}** provinces ({iyear}). Across {reps} reasonable variants of the "
        "method the rank lies between **{low} and {high}** (90 % of them). Within the "
        "{region}: {grank} of {gn}.",
    },
    "no_score": {
        "vi": "Chưa thể tính điểm sẵn sàng cho **{unit}**: các chỉ số của bộ khung chưa được "
        "công bố ở cấp này (có {k}/{K} chỉ số). Phần dưới dùng số liệu của **{province}** "
        "để so sánh, và liệt kê những gì cần thu thập.",
        "en": "A readiness score cannot be computed for **{unit}**: the framework's indicators "
        "are not published at this level ({k} of {K} indicators). The sections below use "
        "**{province}** for comparison and list what needs collecting.",
    },
    "coverage_line": {
        "vi": "Mức độ đầy đủ của số liệu: {k}/{K} chỉ số của bộ khung có số liệu cho {unit} "
        "({share}); chỉ số tổng hợp cấp tỉnh dùng {kept} chỉ số có ở cả 63 tỉnh năm "
        "{iyear}; lĩnh vực {missing_areas} chưa có số liệu cấp tỉnh.",
        "en": "Data coverage: {k} of {K} framework indicators are published for {unit} "
        "({share}); the province index uses the {kept} indicators published for all 63 "
        "provinces in {iyear}; area {missing_areas} has no province data yet.",
    },
    "profile": {
        "vi": "## Hồ sơ theo 12 lĩnh vực trọng tâm\n\nĐiểm của {unit} (0–100) so với trung vị "
        "và khoảng tứ phân vị của 63 tỉnh, thành phố (năm {iyear}).",
        "en": "## Profile over the 12 focus areas\n\nScores of {unit} (0–100) against the median "
        "and interquartile range of the 63 provinces ({iyear}).",
    },
    "areas": {"vi": "Điểm theo 3 lĩnh vực:", "en": "Scores of the 3 areas:"},
    "strengths": {
        "vi": "## Điểm mạnh và điểm yếu\n\nCác chỉ số {unit} xếp hạng cao nhất và thấp nhất "
        "trong 63 tỉnh.",
        "en": "## Strengths and weaknesses\n\nThe indicators on which {unit} ranks highest and "
        "lowest among the 63 provinces.",
    },
    "targets": {
        "vi": "## Khoảng cách tới mục tiêu quốc gia 2025 và 2030\n\nSố liệu mới nhất đã công "
        "bố so với mục tiêu trong các quyết định của Thủ tướng.",
        "en": "## Gap to the national 2025 and 2030 targets\n\nThe latest published figure "
        "against the targets of the Prime Minister's decisions.",
    },
    "no_targets": {
        "vi": "Chưa có số liệu công bố cho các chỉ số có mục tiêu quốc gia.",
        "en": "No published figure yet for the indicators that have national targets.",
    },
    "checklist": {
        "vi": "## Danh mục hồ sơ đăng ký Mạng lưới thành phố học tập toàn cầu UNESCO\n\n"
        "Những gì đơn đăng ký yêu cầu (theo UIL) và những gì số liệu cho thấy: "
        "đã có, còn thiếu, hoặc chưa rõ.",
        "en": "## UNESCO GNLC application checklist\n\nWhat the application asks for (UIL) and "
        "what the data shows: in place, missing, or unknown.",
    },
    "peers": {
        "vi": "## Các tỉnh tương đồng\n\n{sentence} Các tỉnh có thành viên Mạng lưới thành "
        "phố học tập toàn cầu được đánh dấu ★.",
        "en": "## Similar provinces\n\n{sentence} Provinces with a GNLC member city are marked ★.",
    },
    "map": {
        "vi": "## Bản đồ\n\nĐiểm sẵn sàng của 63 tỉnh, thành phố (năm {iyear}).",
        "en": "## Map\n\nReadiness scores of the 63 provinces ({iyear}).",
    },
    "intervals": {
        "vi": "## Thứ hạng và độ bất định\n\nThứ hạng của từng tỉnh và khoảng 90 % của nó "
        "qua {reps} cách tính hợp lý.",
        "en": "## Ranks and their uncertainty\n\nEach province's rank and its 90 % interval "
        "over {reps} reasonable variants of the method.",
    },
    "districts": {
        "vi": "## Các đơn vị cấp huyện\n\nSố liệu đã công bố cho từng huyện, thị xã, thành phố "
        "(trước ngày 1/7/2025).",
        "en": "## District-level units\n\nPublished figures for each district, town and city "
        "(before 1 July 2025).",
    },
    "facts": {
        "vi": "## Số liệu đã công bố về {unit}",
        "en": "## Published figures for {unit}",
    },
    "appendix": {"vi": "## Phụ lục", "en": "## Appendix"},
    "sources": {"vi": "### Nguồn số liệu", "en": "### Sources"},
    "method": {
        "vi": "### Phương pháp\n\nChuẩn hóa min–max (0–100), trung bình cộng trong mỗi lĩnh "
        "vực trọng tâm và lĩnh vực, xử lý ngoại lai tự động; chỉ số có ở ít nhất 65 % số "
        "tỉnh. Khoảng thứ hạng: {reps} lần tính với cách thay thế số liệu thiếu, chuẩn "
        "hóa, tổng hợp, trọng số khác nhau (hạt giống {seed}). Các mức sẵn sàng do dự án "
        "đặt ra, không phải của UNESCO.",
        "en": "### Method\n\nMin–max normalisation (0–100), arithmetic means within focus areas "
        "and areas, automatic outlier treatment; indicators published for at least 65 % of "
        "provinces. Rank intervals: {reps} runs varying imputation, normalisation, "
        "aggregation and weights (seed {seed}). The readiness levels are this project's "
        "choice, not UNESCO's.",
    },
    "gaps": {
        "vi": "### Số liệu cần thu thập\n\nCác chỉ số của bộ khung chưa có số liệu cho {unit}:",
        "en": "### Data to collect\n\nFramework indicators with no published figure for {unit}:",
    },
    "none": {"vi": "Không có.", "en": "None."},
    "no_data": {"vi": "Không có số liệu", "en": "No data"},
}

COLUMNS: dict[str, dict[str, str]] = {
    "indicator": {"vi": "Chỉ số", "en": "Indicator"},
    "focus_area": {"vi": "Lĩnh vực trọng tâm", "en": "Focus area"},
    "kind": {"vi": "Loại", "en": "Kind"},
    "rank": {"vi": "Hạng (/63)", "en": "Rank (of 63)"},
    "score": {"vi": "Điểm", "en": "Score"},
    "value": {"vi": "Giá trị", "en": "Value"},
    "year": {"vi": "Năm", "en": "Year"},
    "target": {"vi": "Mục tiêu", "en": "Target"},
    "target_year": {"vi": "Năm mục tiêu", "en": "Target year"},
    "gap": {"vi": "Còn thiếu", "en": "Gap"},
    "met": {"vi": "Đạt?", "en": "Met?"},
    "source": {"vi": "Nguồn", "en": "Source"},
    "item": {"vi": "Yêu cầu", "en": "Requirement"},
    "status": {"vi": "Tình trạng", "en": "Status"},
    "evidence": {"vi": "Căn cứ", "en": "Evidence"},
    "unit": {"vi": "Đơn vị", "en": "Unit"},
    "distance": {"vi": "Khoảng cách", "en": "Distance"},
    "gnlc": {"vi": "Thành viên GNLC", "en": "GNLC member"},
}
_YES = {"vi": "có", "en": "yes"}
_NO = {"vi": "chưa", "en": "no"}
_KIND = {
    "strength": {"vi": "điểm mạnh", "en": "strength"},
    "weakness": {"vi": "điểm yếu", "en": "weakness"},
}
_REGION_VI = {
    "Red River Delta": "Đồng bằng sông Hồng",
    "Northern midlands and mountain areas": "Trung du và miền núi phía Bắc",
    "North Central and Central coastal areas": "Bắc Trung Bộ và duyên hải miền Trung",
    "Central Highlands": "Tây Nguyên",
    "South East": "Đông Nam Bộ",
    "Mekong River Delta": "Đồng bằng sông Cửu Long",
}
_TYPE_EN = {
    "Tỉnh": "province",
    "Thành phố": "city",
    "Thị xã": "town",
    "Huyện": "district",
    "Quận": "urban district",
    "Phường": "ward",
    "Xã": "commune",
    "Thị trấn": "township",
}


def tr(key: str, lang: str, **values: Any) -> str:
    """A report text in the report's language, with values filled in.

    Examples
    --------
    >>> tr("facts", "en", unit="Nghĩa Lộ")
    '## Published figures for Nghĩa Lộ'
    """
    return TEXT[key][lang].format(**values)


def unit_label(unit: pd.Series, lang: str) -> str:
    """ "Thị xã Nghĩa Lộ" in Vietnamese, "Nghĩa Lộ (town)" in English."""
    if lang == "vi":
        return f"{unit['type']} {unit['name']}"
    return f"{unit['name']} ({_TYPE_EN.get(unit['type'], unit['type'])})"


def _fmt(x: Any, lang: str, decimals: int | None = None, *, indicator: str = "") -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return TEXT["no_data"][lang]
    if indicator.endswith("_year"):
        return str(int(x))  # a calendar year takes no thousands separator
    if decimals is None:
        decimals = 0 if float(x).is_integer() else 1
    return format_number(float(x), lang, decimals)


def _ind_name(ctx, indicator: str, lang: str) -> str:
    col = "name_vi" if lang == "vi" else "name_en"
    if indicator in ctx.meta.index and col in ctx.meta.columns:
        return str(ctx.meta.loc[indicator, col])
    return indicator


def html_table(df: pd.DataFrame):
    """An HTML table for the report: no row numbers, full text, stable element ids."""
    from IPython.display import HTML

    digest = hashlib.sha1(df.to_csv().encode("utf-8")).hexdigest()[:10]
    styler = (
        df.style.hide(axis="index")
        .set_uuid(f"t{digest}")
        .set_properties(**{"text-align": "left", "white-space": "normal"})
        .set_table_styles([{"selector": "th", "props": [("text-align", "left")]}])
    )
    return HTML(styler.to_html())


def _scope(ctx, unit: pd.Series) -> str | None:
    """The province whose index row speaks for the unit."""
    return ctx.province_of(unit["code"])


def headline(ctx, unit: pd.Series, lang: str, *, overview: bool = False) -> str:
    """Title, the score/rank sentence (or why there is none) and the coverage sentence."""
    import datetime as dt

    label = unit_label(unit, lang)
    parts = [
        tr("title_overview" if overview else "title", lang, unit=label),
        tr(
            "intro",
            lang,
            year=ctx.year,
            today=dt.date.today().strftime("%d/%m/%Y" if lang == "vi" else "%d %B %Y"),
        ),
    ]
    province = _scope(ctx, unit)
    summary = ctx.summary()
    known = ctx.latest_values(unit["code"])
    k = int(known["indicator"].isin(ctx.meta.index).sum())
    big_k = len(ctx.meta)
    if unit["code"] in summary.index:
        parts.append(_score_sentence(ctx, unit["code"], label, lang))
    else:
        # "Tỉnh Yên Bái", not "Yên Bái": the city and its province share the name.
        rows = ctx.units[ctx.units["code"] == province]
        prov_label = unit_label(rows.iloc[0], lang) if len(rows) else "—"
        parts.append(tr("no_score", lang, unit=label, k=k, K=big_k, province=prov_label))
        if province in summary.index:
            parts.append(_score_sentence(ctx, province, prov_label, lang))
    covered_areas = set(ctx.meta.loc[ctx.kept, "area"])
    missing_areas = sorted(set(ctx.meta["area"]) - covered_areas) or ["—"]
    parts.append(
        tr(
            "coverage_line",
            lang,
            k=k,
            K=big_k,
            unit=label,
            share=format_number(100 * k / big_k, lang, 0) + " %",
            kept=len(ctx.kept),
            iyear=ctx.index_year,
            missing_areas=", ".join(missing_areas),
        )
    )
    return "\n\n".join(parts)


def _score_sentence(ctx, code: str, label: str, lang: str) -> str:
    row = ctx.summary().loc[code]
    scores = ctx.index.scores
    overall = scores[(scores["level"] == "overall") & (scores["unit_code"] == code)].iloc[0]
    region = ctx.regions.get(code, "")
    in_region = ctx.regions[ctx.regions == region].index
    readiness = ctx.index.readiness.set_index("unit_code").loc[code, "readiness"]
    bands = ctx.bands.set_index("level")
    level = bands.loc[readiness, "name_vi" if lang == "vi" else "name_en"]
    n = int(ctx.summary()["nominal_rank"].notna().sum())
    outside = ""
    if not row["rank_low"] <= row["nominal_rank"] <= row["rank_high"]:
        outside = {
            "vi": " Lưu ý: thứ hạng theo phương pháp chính nằm ngoài khoảng mà đa số cách tính "
            "khác cho ra, nên cần đọc thứ hạng này thận trọng.",
            "en": " Note: the main method ranks it outside the range most variants give, so "
            "read this rank with care.",
        }[lang]
    sentence = tr(
        "score_line",
        lang,
        unit=label,
        score=_fmt(row["nominal_score"], lang, 1),
        level=level,
        rank=int(row["nominal_rank"]),
        n=n,
        iyear=ctx.index_year,
        reps=ctx.n_replications,
        low=int(row["rank_low"]),
        high=int(row["rank_high"]),
        region=_REGION_VI.get(region, region) if lang == "vi" else region,
        grank=int(overall.get("rank_in_region", 0)),
        gn=int(
            scores[(scores["level"] == "overall") & scores["unit_code"].isin(in_region)][
                "unit_code"
            ].nunique()
        ),
    )
    return sentence + outside


def profile_figure(ctx, unit: pd.Series, lang: str):
    """Radar of the 12 focus areas: the unit's province against all provinces."""
    import matplotlib.pyplot as plt

    from learningcity.plots import profile

    code = _scope(ctx, unit)
    fig = plt.figure(figsize=(6.5, 6.5))
    ax = fig.add_subplot(projection="polar")
    wide = ctx.index.levels["focus_area"].reindex(columns=sorted(ctx.meta["focus_area"].unique()))
    profile(wide, code, kind="radar", lang=lang, names=ctx.province_names(), ax=ax)
    fig.tight_layout()
    return fig


def area_table(ctx, unit: pd.Series, lang: str):
    """The 3 areas: the province's score and rank."""
    code = _scope(ctx, unit)
    areas = ctx.index.levels["area"]
    ranks = areas.rank(ascending=False, method="min")
    names = {
        "1": {"vi": "Lợi ích lâu dài", "en": "Wider benefits"},
        "2": {"vi": "Các yếu tố chính", "en": "Major building blocks"},
        "3": {"vi": "Điều kiện cơ bản", "en": "Fundamental conditions"},
    }
    rows = []
    for a in ("1", "2", "3"):
        has = a in areas.columns and code in areas.index and pd.notna(areas.loc[code, a])
        rows.append(
            {
                COLUMNS["focus_area"][lang]: f"{a}. {names[a][lang]}",
                COLUMNS["score"][lang]: _fmt(areas.loc[code, a], lang, 1)
                if has
                else TEXT["no_data"][lang],
                COLUMNS["rank"][lang]: str(int(ranks.loc[code, a])) if has else "—",
            }
        )
    return html_table(pd.DataFrame(rows))


def strengths_table(ctx, unit: pd.Series, lang: str):
    """Best and worst indicators of the unit's province among the 63."""
    code = _scope(ctx, unit)
    table = ctx.index.strengths[ctx.index.strengths["unit_code"] == code]
    raw = ctx.index.raw
    out = pd.DataFrame(
        {
            COLUMNS["kind"][lang]: table["kind"].map(lambda k: _KIND[k][lang]),
            COLUMNS["indicator"][lang]: table["indicator"].map(lambda i: _ind_name(ctx, i, lang)),
            COLUMNS["value"][lang]: [_fmt(raw.loc[code, i], lang) for i in table["indicator"]],
            COLUMNS["rank"][lang]: table["rank"].astype(int).astype(str),
        }
    )
    return html_table(out)


def targets_table(ctx, unit: pd.Series, lang: str):
    """Latest values against the national 2025 and 2030 targets (unit, else province)."""
    rows = []
    targets = ctx.meta[["target_2025", "target_2030", "direction"]].dropna(
        subset=["target_2025", "target_2030"], how="all"
    )
    for code in dict.fromkeys([unit["code"], _scope(ctx, unit)]):
        latest = ctx.latest_values(code).set_index("indicator")
        for ind, t in targets.iterrows():
            if ind not in latest.index:
                continue
            value, year = latest.loc[ind, "value"], int(latest.loc[ind, "year"])
            for ty in (2025, 2030):
                target = t[f"target_{ty}"]
                if pd.isna(target):
                    continue
                gap = (target - value) * (1 if t["direction"] >= 0 else -1)
                rows.append(
                    {
                        COLUMNS["unit"][lang]: ctx.name(code),
                        COLUMNS["indicator"][lang]: _ind_name(ctx, ind, lang),
                        COLUMNS["value"][lang]: f"{_fmt(value, lang)} ({year})",
                        COLUMNS["target"][lang]: f"{_fmt(target, lang)} ({ty})",
                        COLUMNS["gap"][lang]: _fmt(max(gap, 0.0), lang),
                        COLUMNS["met"][lang]: (_YES if gap <= 0 else _NO)[lang],
                        COLUMNS["source"][lang]: latest.loc[ind, "publisher"] or "",
                    }
                )
        if rows:
            break
    if not rows:
        from IPython.display import Markdown

        return Markdown(TEXT["no_targets"][lang])
    return html_table(pd.DataFrame(rows))


def checklist_table(ctx, unit: pd.Series, lang: str):
    """The GNLC application checklist filled from the unit's data."""
    from learningcity.checklist import evaluate_checklist

    latest = ctx.latest_values(unit["code"]).set_index("indicator")["value"]
    names = {**_variable_names(lang), **{i: _ind_name(ctx, i, lang) for i in ctx.meta.index}}
    out = evaluate_checklist(latest, ctx.meta, lang=lang, names=names)
    icon = {"in_place": "✔", "missing": "✘", "unknown": "?"}
    table = pd.DataFrame(
        {
            COLUMNS["item"][lang]: out["item"],
            COLUMNS["status"][lang]: [
                f"{icon[s]} {lbl}"
                for s, lbl in zip(out["status"], out["status_label"], strict=True)
            ],
            COLUMNS["evidence"][lang]: out["evidence"],
        }
    )
    return html_table(table)


def peers_section(ctx, unit: pd.Series, lang: str, n: int = 5):
    """Nearest provinces in indicator space, GNLC host provinces marked; text and table."""
    from learningcity.clusters import peers

    code = _scope(ctx, unit)
    members = set(ctx.gnlc["province_code"].dropna())
    names = ctx.province_names()
    table = peers(ctx.index.raw, code, n, mark=members, names=names)
    everyone = peers(ctx.index.raw, code, len(ctx.index.raw), mark=members, names=names)
    near = ", ".join(table["unit_name"].head(3))
    sentence = {
        "vi": f"{names.get(code, code)} gần nhất với {near} về các chỉ số.",
        "en": f"{names.get(code, code)} is closest to {near} on the indicators.",
    }[lang]
    hosts = everyone[everyone["marked"]]
    if len(hosts):
        first = hosts.iloc[0]
        sentence += {
            "vi": f" Trong các tỉnh có thành viên GNLC, gần nhất là {first['unit_name']} "
            f"(thứ {hosts.index[0]} trong {len(everyone)} tỉnh).",
            "en": f" Of the provinces with a GNLC member, the closest is {first['unit_name']} "
            f"({hosts.index[0]} of {len(everyone)}).",
        }[lang]
    sentence += _cluster_sentence(ctx, code, names, lang)
    shown = pd.DataFrame(
        {
            COLUMNS["unit"][lang]: [
                f"{nm} ★" if m else nm
                for nm, m in zip(table["unit_name"], table["marked"], strict=True)
            ],
            COLUMNS["distance"][lang]: [_fmt(d, lang, 2) for d in table["distance"]],
            COLUMNS["gnlc"][lang]: [(_YES if m else _NO)[lang] for m in table["marked"]],
        }
    )
    return tr("peers", lang, sentence=sentence), html_table(shown)


def _cluster_sentence(ctx, code: str, names: dict[str, str], lang: str) -> str:
    """Which group of similar provinces the unit falls in, and how far to trust it."""
    label = ctx.clusters.get(code)
    if label is None or pd.isna(label):
        return ""
    same = sorted(names.get(c, c) for c in ctx.clusters.index[ctx.clusters == label] if c != code)
    k, ari = ctx.clusters.nunique(), _fmt(ctx.cluster_stability, lang, 2)
    steady = ctx.cluster_stability >= 0.75  # a common reading of a "stable" mean ARI
    name = names.get(code, code)
    listed = ", ".join(same[:6]) + ("…" if len(same) > 6 else "")
    if lang == "vi":
        return (
            f" Chia 63 tỉnh thành {k} nhóm (k-means, số nhóm chọn theo hệ số silhouette): "
            f"{name} thuộc nhóm {label} cùng {len(same)} tỉnh khác ({listed}). "
            + (
                "Cách chia nhóm ổn định"
                if steady
                else "Cách chia nhóm không ổn định, chỉ để tham khảo"
            )
            + f" (chỉ số Rand hiệu chỉnh trung bình {ari})."
        )
    return (
        f" Split into {k} groups (k-means, number chosen by silhouette), {name} is in group "
        f"{label} with {len(same)} other provinces ({listed}). "
        + ("The grouping is stable" if steady else "The grouping is unstable and only indicative")
        + f" (mean adjusted Rand index {ari})."
    )


def map_figure(ctx, unit: pd.Series, lang: str):
    """Provinces coloured by readiness band (symbols at centres when no boundaries)."""
    import matplotlib.pyplot as plt

    from learningcity.geo import map_units
    from learningcity.plots import choropleth

    shapes = map_units("province", ctx.index_year)
    overall = ctx.index.levels["overall"]["overall"]
    gdf = shapes.merge(overall.rename("score"), left_on="unit_code", right_index=True, how="left")
    gdf.attrs.update(shapes.attrs)
    fig, ax = plt.subplots(figsize=(8, 8.5))
    bands = ctx.bands.rename(columns={"lower": "min", "upper": "max"})
    choropleth(
        gdf,
        "score",
        scheme="bands",
        bands=bands,
        lang=lang,
        year=ctx.index_year,
        ax=ax,
        title={
            "vi": "Điểm sẵn sàng thành phố học tập theo tỉnh",
            "en": "Learning-city readiness by province",
        }[lang],
        legend_title={"vi": "Mức sẵn sàng", "en": "Readiness level"}[lang],
    )
    code = _scope(ctx, unit)
    here = gdf[gdf["unit_code"] == code]
    if len(here):
        pt = here.geometry.iloc[0].representative_point()
        ax.annotate(
            ctx.name(code),
            (pt.x, pt.y),
            xytext=(12, 12),
            textcoords="offset points",
            arrowprops={"arrowstyle": "-", "color": "#333"},
            fontsize=9,
            fontweight="bold",
        )
    return fig


def rank_interval_figure(ctx, unit: pd.Series, lang: str):
    """Every province's rank with its 5–95 % interval, the unit's province highlighted."""
    from learningcity.uncertainty import plot_rank_intervals

    return plot_rank_intervals(
        ctx.uncertainty, lang=lang, labels=ctx.province_names(), highlight=[_scope(ctx, unit)]
    )


def facts_table(ctx, unit: pd.Series, lang: str):
    """Every published figure for the unit (latest per indicator), with its source."""
    latest = ctx.latest_values(unit["code"])
    variables = _variable_names(lang)
    out = pd.DataFrame(
        {
            COLUMNS["indicator"][lang]: [
                variables.get(i) or _ind_name(ctx, i, lang) for i in latest["indicator"]
            ],
            COLUMNS["year"][lang]: latest["year"].astype(int).astype(str),
            COLUMNS["value"][lang]: [
                (
                    {
                        "": "",
                        ">": {"vi": "trên ", "en": "above "}[lang],
                        "<": {"vi": "dưới ", "en": "below "}[lang],
                        "~": {"vi": "khoảng ", "en": "about "}[lang],
                    }.get(q or "", "")
                    + _fmt(v, lang, indicator=i)
                )
                for v, q, i in zip(
                    latest["value"],
                    latest["qualifier"].fillna(""),
                    latest["indicator"],
                    strict=True,
                )
            ],
            COLUMNS["source"][lang]: latest["publisher"].fillna(""),
        }
    )
    return html_table(out)


def _variable_names(lang: str) -> dict[str, str]:
    from learningcity.framework import load_framework

    v = load_framework().variables()
    col = "name_vi" if lang == "vi" else "name_en"
    return dict(zip(v["id"], v[col], strict=True)) if "id" in v.columns else v[col].to_dict()


def district_table(ctx, province: pd.Series, lang: str):
    """The province's district-level units with their main published figures."""
    members = ctx.units[
        (ctx.units["parent_code"] == province["code"]) & (ctx.units["level"] == "district")
    ]
    wanted = ["population", "area_km2", "urban_population_share", "gnlc_application_year"]
    variables = _variable_names(lang)
    rows = []
    for _, m in members.iterrows():
        latest = ctx.latest_values(m["code"]).set_index("indicator")
        row = {COLUMNS["unit"][lang]: unit_label(m, lang)}
        for w in wanted:
            row[variables.get(w, w)] = (
                f"{_fmt(latest.loc[w, 'value'], lang, indicator=w)} ({int(latest.loc[w, 'year'])})"
                if w in latest.index
                else "—"
            )
        k = int(latest.index.isin(ctx.meta.index).sum())
        row[{"vi": "Chỉ số có số liệu", "en": "Indicators with data"}[lang]] = (
            f"{k}/{len(ctx.meta)}"
        )
        rows.append(row)
    return html_table(pd.DataFrame(rows))


def appendix_sources(ctx, codes: list[str], lang: str):
    """Sources of every figure shown for these units (and the province index)."""
    used = ctx.tidy[
        ctx.tidy["unit_code"].isin(codes)
        | (
            (ctx.tidy["level"] == "province")
            & (ctx.tidy["year"] == ctx.index_year)
            & ctx.tidy["indicator"].isin(ctx.kept)
        )
    ]
    src = used[["source_id", "publisher", "document", "table_or_page", "url"]]
    src = src.drop_duplicates("source_id").sort_values("source_id")
    heads = {
        "vi": ["Mã", "Nơi công bố", "Tài liệu", "Bảng / trang", "Đường dẫn"],
        "en": ["Id", "Publisher", "Document", "Table / page", "Link"],
    }[lang]
    return html_table(src.set_axis(heads, axis=1))


def appendix_method(ctx, lang: str) -> str:
    """How the scores and intervals were made."""
    return tr("method", lang, reps=ctx.n_replications, seed=ctx.seed)


def appendix_gaps(ctx, unit: pd.Series, lang: str) -> str:
    """Framework indicators still without a published figure for the unit."""
    have = set(ctx.latest_values(unit["code"])["indicator"])
    missing = [i for i in ctx.meta.index if i not in have]
    label = unit_label(unit, lang)
    if not missing:
        return tr("gaps", lang, unit=label) + "\n\n" + TEXT["none"][lang]
    lines = [f"- {_ind_name(ctx, i, lang)} ({ctx.meta.loc[i, 'focus_area']})" for i in missing]
    return tr("gaps", lang, unit=label) + "\n\n" + "\n".join(lines)
