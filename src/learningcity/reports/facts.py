"""Published facts about a unit, ready for a report: tables and figures with sources.

This is what the first report template shows until the readiness index is
in place: only figures with a recorded source, never an estimate.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from learningcity.paths import data_dir

__all__ = [
    "facts_table",
    "show_table",
    "format_value",
    "learning_models_figure",
    "population_figure",
    "read_bundled",
    "sources_table",
    "t",
]

MESSAGES: dict[str, dict[str, str]] = {
    "indicator": {"vi": "Chỉ tiêu", "en": "Indicator"},
    "year": {"vi": "Năm", "en": "Year"},
    "value": {"vi": "Giá trị", "en": "Value"},
    "source": {"vi": "Nguồn", "en": "Source"},
    "note": {"vi": "Ghi chú", "en": "Note"},
    "no_data": {"vi": "Chưa có số liệu được công bố.", "en": "No published figure yet."},
    "population": {"vi": "Dân số (người)", "en": "Population (persons)"},
    "highlight": {"vi": "đơn vị của báo cáo", "en": "unit of this report"},
}

LABELS: dict[str, dict[str, str]] = {
    "population": {"vi": "Dân số", "en": "Population"},
    "literacy_classes": {"vi": "Số lớp xóa mù chữ", "en": "Literacy classes"},
    "literacy_learners": {"vi": "Số học viên xóa mù chữ", "en": "Literacy learners"},
    "study_promotion_funds_mobilised": {
        "vi": "Kinh phí huy động cho quỹ khuyến học (tỉ đồng)",
        "en": "Study-promotion funds mobilised (billion VND)",
    },
    "school_age_enrolment_rate": {
        "vi": "Tỉ lệ huy động trẻ trong độ tuổi ra lớp (%)",
        "en": "School-age children enrolled (%)",
    },
    "gnlc_application_year": {
        "vi": "Năm đăng ký Mạng lưới thành phố học tập toàn cầu UNESCO",
        "en": "Year of UNESCO GNLC application",
    },
    "learning_families_share": {"vi": "Gia đình học tập (%)", "en": "Learning families (%)"},
    "learning_clans_share": {"vi": "Dòng họ học tập (%)", "en": "Learning clans (%)"},
    "learning_communities_share": {
        "vi": "Cộng đồng học tập thôn, tổ (%)",
        "en": "Learning communities, villages (%)",
    },
    "learning_units_share": {"vi": "Đơn vị học tập (%)", "en": "Learning units (%)"},
}

_QUALIFIER = {
    ">": {"vi": "trên ", "en": "above "},
    "<": {"vi": "dưới ", "en": "below "},
    "~": {"vi": "khoảng ", "en": "about "},
}


def t(key: str, lang: str) -> str:
    """Translate a report message key.

    Examples
    --------
    >>> t("source", "vi")
    'Nguồn'
    """
    return MESSAGES[key][lang]


def format_value(
    value: float, lang: str = "vi", qualifier: str = "", decimals: int | None = None
) -> str:
    """Format a number the way the reader's language writes it.

    Examples
    --------
    >>> format_value(821030, "vi")
    '821.030'
    >>> format_value(57.48, "vi")
    '57,48'
    >>> format_value(57.48, "en", ">")
    'above 57.48'
    """
    if pd.isna(value):
        return "—"
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 2
    text = f"{value:,.{decimals}f}"
    if decimals:
        text = text.rstrip("0").rstrip(".")
    if lang == "vi":
        text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    prefix = _QUALIFIER.get(qualifier or "", {}).get(lang, "")
    return prefix + text


def read_bundled(folder: Path | None = None) -> pd.DataFrame:
    """All bundled observations (``data/observations/*.csv``) joined with their sources."""
    folder = folder or data_dir()
    frames = [
        pd.read_csv(
            p,
            dtype={"unit_code": str, "source_id": str},
            keep_default_na=False,
            na_values={"value": [""]},
            encoding="utf-8-sig",
        )
        for p in sorted((folder / "observations").glob("*.csv"))
    ]
    obs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    sources = pd.read_csv(folder / "sources.csv", dtype=str, keep_default_na=False).rename(
        columns={"year": "source_year", "note": "source_note"}
    )
    return obs.merge(sources, on="source_id", how="left", validate="many_to_one")


def facts_table(
    obs: pd.DataFrame, unit_code: str, lang: str = "vi", year: int | None = None
) -> pd.DataFrame:
    """The published figures of one unit as a display table (label, year, value, source)."""
    rows = obs[obs["unit_code"] == unit_code]
    if year is not None:
        rows = rows[rows["year"] <= year]
    out = pd.DataFrame(
        {
            t("indicator", lang): rows["indicator"].map(lambda i: LABELS.get(i, {}).get(lang, i)),
            t("year", lang): rows["year"].astype(int),
            t("value", lang): [
                format_value(v, lang, q)
                for v, q in zip(rows["value"], rows["qualifier"], strict=True)
            ],
            t("source", lang): rows["publisher"] + " (" + rows["source_year"] + ")",
        }
    )
    return out.reset_index(drop=True)


def sources_table(obs: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """The distinct sources behind ``obs``: publisher, document, table, year, link."""
    cols = ["source_id", "publisher", "document", "table_or_page", "url"]
    src = obs[cols].drop_duplicates().sort_values("source_id").reset_index(drop=True)
    names = {
        "vi": ["Mã", "Nơi công bố", "Tài liệu", "Bảng / trang", "Đường dẫn"],
        "en": ["Id", "Publisher", "Document", "Table / page", "Link"],
    }[lang]
    return src.set_axis(names, axis=1)


def population_figure(obs: pd.DataFrame, unit_code: str, parent_code: str, lang: str = "vi"):
    """Bar chart of the population of the units under ``parent_code``, one highlighted.

    Returns the matplotlib Figure; its caption names the source.
    """
    import matplotlib.pyplot as plt

    from learningcity.units import load_units

    units = load_units()
    members = units.loc[units["parent_code"] == parent_code, ["code", "type", "name"]]
    pop = obs[(obs["indicator"] == "population") & obs["unit_code"].isin(members["code"])]
    pop = pop.merge(members, left_on="unit_code", right_on="code").sort_values("value")
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(len(pop), 3) + 1))
    colours = ["#d95f02" if c == unit_code else "#7570b3" for c in pop["unit_code"]]
    ax.barh(pop["type"] + " " + pop["name"], pop["value"], color=colours)
    ax.set_xlabel(t("population", lang))
    ax.xaxis.set_major_formatter(lambda x, _: format_value(x, lang, decimals=0))
    for y, (v, yr) in enumerate(zip(pop["value"], pop["year"], strict=True)):
        ax.text(v, y, f" {format_value(v, lang)} ({yr})", va="center", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(0, pop["value"].max() * 1.3 if len(pop) else 1)
    fig.text(
        0.01,
        0.01,
        f"{t('source', lang)}: " + "; ".join(sorted(set(pop["publisher"]))),
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def learning_models_figure(obs: pd.DataFrame, unit_code: str, lang: str = "vi"):
    """Shares of recognised learning families, clans, communities and units by year."""
    import matplotlib.pyplot as plt

    ids = [
        "learning_families_share",
        "learning_clans_share",
        "learning_communities_share",
        "learning_units_share",
    ]
    rows = obs[(obs["unit_code"] == unit_code) & obs["indicator"].isin(ids)]
    wide = rows.pivot_table(index="indicator", columns="year", values="value").reindex(ids)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    width = 0.8 / max(len(wide.columns), 1)
    palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a"]
    for k, year in enumerate(wide.columns):
        xs = [i + k * width for i in range(len(ids))]
        bars = ax.bar(xs, wide[year], width=width, label=str(year), color=palette[k % 4])
        ax.bar_label(bars, labels=[format_value(v, lang) for v in wide[year]], fontsize=8)
    ax.set_xticks([i + width * (len(wide.columns) - 1) / 2 for i in range(len(ids))])
    ax.set_xticklabels([LABELS[i][lang].replace(" (%)", "") for i in ids], fontsize=8)
    ax.set_ylabel("%")
    ax.set_ylim(0, 105)
    ax.legend(title=t("year", lang), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.text(
        0.01,
        0.01,
        f"{t('source', lang)}: " + "; ".join(sorted(set(rows["publisher"]))),
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


_SECTIONS: dict[str, dict[str, str]] = {
    "intro": {
        "vi": (
            "# Mức độ sẵn sàng trở thành thành phố học tập: {type} {name}\n\n"
            "Báo cáo cho năm {year}, lập ngày {today}. Bản này trình bày **các số liệu đã được "
            "công bố** về {type_l} {name} và tỉnh Yên Bái, mỗi số liệu kèm nguồn. "
            "Chỉ số tổng hợp về mức độ sẵn sàng theo Khung đặc trưng chính của thành phố học "
            "tập (UNESCO) sẽ được bổ sung khi bộ dữ liệu đầy đủ được đưa vào; "
            "không có số liệu nào ở đây là ước tính."
        ),
        "en": (
            "# Readiness to become a learning city: {name} ({type_en})\n\n"
            "Report for {year}, prepared on {today}. This edition shows the **published figures** "
            "about {name} and Yên Bái province, each with its source. The composite readiness "
            "score against UNESCO's Key Features of Learning Cities will be added once the full "
            "dataset is in place; no figure here is an estimate."
        ),
    },
    "population": {
        "vi": "## Dân số\n\nDân số các đơn vị cấp huyện của tỉnh, {name} được tô màu cam.",
        "en": (
            "## Population\n\nPopulation of the province's district-level units; {name} in orange."
        ),
    },
    "facts": {
        "vi": "## Số liệu đã công bố về {name}",
        "en": "## Published figures for {name}",
    },
    "province": {
        "vi": (
            "## Xây dựng xã hội học tập ở tỉnh Yên Bái\n\n"
            "Tỉ lệ gia đình, dòng họ, cộng đồng (thôn, tổ dân phố) và đơn vị được công nhận "
            "danh hiệu học tập. Năm 2020 tỉnh đã vượt mục tiêu năm 2025 của Quyết định "
            "387/QĐ-TTg về cộng đồng học tập (65 %) và đơn vị học tập (80 %)."
        ),
        "en": (
            "## Building a learning society in Yên Bái province\n\n"
            "Shares of families, clans, communities (villages, residential groups) and units "
            "recognised with a learning title. In 2020 the province was already above the 2025 "
            "targets of Decision 387/QĐ-TTg for learning communities (65 %) and units (80 %)."
        ),
    },
    "sources": {
        "vi": "## Nguồn số liệu\n\nMọi số liệu trong báo cáo này đến từ các nguồn sau.",
        "en": "## Sources\n\nEvery figure in this report comes from these sources.",
    },
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


def section(key: str, lang: str, unit: pd.Series | None = None, year: int | None = None) -> str:
    """Markdown text of a report section in the report's language.

    Examples
    --------
    >>> section("facts", "en", pd.Series({"name": "Nghĩa Lộ", "type": "Thị xã"}))
    '## Published figures for Nghĩa Lộ'
    """
    import datetime as dt

    unit = unit if unit is not None else pd.Series({"name": "", "type": ""})
    return _SECTIONS[key][lang].format(
        name=unit["name"],
        type=unit["type"],
        type_l=str(unit["type"]).lower(),
        type_en=_TYPE_EN.get(unit["type"], unit["type"]),
        year=year,
        today=dt.date.today().strftime("%d/%m/%Y" if lang == "vi" else "%d %B %Y"),
    )


def show_table(df: pd.DataFrame):
    """A table for the HTML report: no row numbers, full text, left-aligned.

    The HTML is identical for identical tables (no random element ids), so
    two runs on the same data give the same report.
    """
    import hashlib

    from IPython.display import HTML

    digest = hashlib.sha1(df.to_csv().encode("utf-8")).hexdigest()[:10]
    styler = (
        df.style.hide(axis="index")
        .set_uuid(f"t{digest}")
        .set_properties(**{"text-align": "left", "white-space": "normal"})
        .set_table_styles([{"selector": "th", "props": [("text-align", "left")]}])
    )
    return HTML(styler.to_html())
