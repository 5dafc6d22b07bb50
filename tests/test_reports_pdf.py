"""The PDF copy of every report, the run's site, the kernel log and the source list.

The PDFs are read back with poppler-utils (pdftotext, pdfinfo, pdffonts, pdfimages),
as a planner's viewer would show them; the site is used in headless Chromium.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from learningcity.reports import pdf as pdfmod

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts") and shutil.which("pdfinfo")
DATE = "2026-12-01"
needs_pdf_tools = pytest.mark.skipif(
    not (CHROMIUM and POPPLER),
    reason="Chromium or poppler-utils is not installed (Debian packages 'chromium' and "
    "'poppler-utils'; .ci/run installs them): the PDF checks are skipped",
)


def report(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "learningcity", "report", "--quiet", "--date", DATE, *args],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if not (CHROMIUM and POPPLER):
        pytest.skip("Chromium or poppler-utils is not installed")
    out = tmp_path_factory.mktemp("pdf")
    done = report("Nghĩa Lộ", "Tỉnh Lào Cai", "--year", "2026", "--out", str(out), "--jobs", "2")
    assert done.returncode == 0, done.stderr
    return out / DATE, done


def tool(*args) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
@needs_pdf_tools
def test_every_report_has_an_a4_pdf_with_its_text_and_fonts(run):
    folder, _ = run
    for stem, name in (("city-nghia-lo", "Đô thị Nghĩa Lộ"), ("city-lao-cai", "Tỉnh Lào Cai")):
        pdf = folder / f"{stem}.pdf"
        text = tool("pdftotext", str(pdf), "-")
        # The unit with its diacritics, the headline's words, the page header and footer.
        assert name in text and "điểm sẵn sàng" in text
        assert f"{name} · {DATE} · Tiếng Việt" in text
        info = tool("pdfinfo", str(pdf))
        pages = int(re.search(r"Pages:\s+(\d+)", info)[1])
        assert 3 <= pages <= 40, pages
        assert f"Trang 1 / {pages}" in text and f"Trang {pages} / {pages}" in text
        assert "(A4)" in re.search(r"Page size:.*", info)[0]  # 595 x 842 pt
        fonts = tool("pdffonts", str(pdf)).splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # emb
        # The figures are vectors: no raster image in the PDF.
        if shutil.which("pdfimages"):
            assert len(tool("pdfimages", "-list", str(pdf)).splitlines()) == 2
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [r["pdf"] for r in manifest["runs"][0]["reports"]] == [
        "city-nghia-lo.pdf", "city-lao-cai.pdf"]  # fmt: skip


@pytest.mark.slow
@needs_pdf_tools
def test_kernel_warnings_go_to_the_log_not_the_terminal(run):
    folder, done = run
    assert "running over TCP without encryption" not in done.stderr
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    log = folder / manifest["runs"][0]["kernel_log"]
    assert "running over TCP without encryption" in log.read_text(encoding="utf-8")


@pytest.mark.slow
@needs_pdf_tools
def test_the_site_lists_links_and_filters_offline(run):
    from playwright.sync_api import sync_playwright

    folder, _ = run
    with sync_playwright() as p:
        args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        page = browser.new_page()
        page.route("**/*", lambda r: r.abort() if r.request.url.startswith("http") else
                   r.continue_())  # fmt: skip
        page.goto((folder / "index.html").as_uri())
        rows = page.locator("tr.report")
        assert rows.count() == 2
        heads = page.locator("th").all_inner_texts()
        assert {"Cấp · Level", "Năm · Year", "Ngôn ngữ · Language", "PDF"} <= set(heads)
        # Every link of the page leads to a file of the folder.
        hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
        assert {h.rsplit(".", 1)[-1] for h in hrefs} >= {"html", "pdf", "ipynb"}
        assert all((folder / h).exists() for h in hrefs), hrefs
        # The filter ignores case and diacritics.
        page.fill("#filter", "nghia lo")
        assert [rows.nth(i).is_visible() for i in range(2)] == [True, False]
        page.fill("#filter", "")
        assert [rows.nth(i).is_visible() for i in range(2)] == [True, True]
        browser.close()


def test_a_failed_report_shows_its_error_kind_in_the_site():
    from learningcity.reports.manifest import render_index

    rep = {"unit_name": "Nghĩa Lộ", "unit_code": "nghia-lo", "unit_type": "Đô thị",
           "status": "failed", "failure": "cell-error", "message": "ValueError: boom",
           "parameters": {"year": 2026, "lang": "vi"}}  # fmt: skip
    page = render_index({"folder": DATE, "runs": [{"run_id": "r", "reports": [rep]}]})
    assert "cell-error: ValueError: boom" in page and "đô thị · city" in page


def test_pdf_asked_for_without_chromium_is_refused_before_anything_runs(tmp_path, monkeypatch):
    env = {**__import__("os").environ, pdfmod.CHROMIUM_ENV: ""}
    out = tmp_path / "reports"
    done = report("Nghĩa Lộ", "--year", "2026", "--out", str(out), "--format", "html,pdf",
                  env=env)  # fmt: skip
    assert done.returncode == 2 and "no Chromium found" in done.stderr
    assert not out.exists()


def test_without_chromium_the_default_says_in_one_line_how_to_get_pdfs(monkeypatch, capsys):
    from learningcity.reports.runner import _check_formats

    monkeypatch.setenv(pdfmod.CHROMIUM_ENV, "")
    assert _check_formats(None) is None  # HTML only, and said
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "PDF copies not written" in line and "apt install chromium" in line
    assert _check_formats(["html"]) is None and capsys.readouterr().err == ""
    with pytest.raises(Exception, match="expected html, pdf or html,pdf"):
        _check_formats(["docx"])


def test_the_page_header_is_a_safe_css_string():
    hostile = 'x"; } body { display: none } @top-left { content: "'
    page = pdfmod.print_html("<html><head></head><body></body></html>", header=hostile)
    # The quotes are escaped: the whole header stays one CSS string, adding no rule.
    assert 'content: "x\\22 ; } body { display: none } @top-left { content: \\22 ";' in page


@pytest.mark.slow
@needs_pdf_tools
def test_sources_are_listed_one_a_line_with_every_source_of_a_joined_figure(run):
    folder, _ = run
    text = tool("pdftotext", str(folder / "city-lao-cai.pdf"), "-")
    appendix = text[text.index("Nguồn số liệu") :]
    # pupils per teacher joins two GSO tables: both are listed, and no "nan" row.
    assert "gso-t-general-pupils" in appendix and "gso-t-general-teachers" in appendix
    assert not re.search(r"\bnan\b", appendix)


def test_make_lab_runs_as_root(tmp_path):
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(["make", "-n", "-C", str(root), "lab"], capture_output=True,
                          text=True)  # fmt: skip
    import os

    line = [ln for ln in done.stdout.splitlines() if "jupyter lab" in ln][0]
    assert ("--allow-root" in line) == (os.geteuid() == 0)
