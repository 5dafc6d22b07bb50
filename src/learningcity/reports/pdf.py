"""A4 PDF copies of the planner reports, printed by headless Chromium.

Vietnamese offices file and send PDF. The planner HTML is printed as it is, with a
print style sheet added: A4 pages, the unit, date and language in each page's
header and "page X of Y" in its footer (CSS page-margin boxes), tables that break
between rows and repeat their header, figures that do not split. The figures are
SVG in the HTML (:func:`learningcity.reports.sections.use_vector_figures`), so
they stay vectors in the PDF; Chromium embeds (subsets of) the fonts it uses, and
the style asks for fonts that carry every Vietnamese diacritic (DejaVu, Noto).

Why Chromium: the tests already drive Debian's ``chromium`` for the HTML, so it
adds no Python dependency and prints exactly what the planner sees in a browser;
WeasyPrint would be a second layout engine (with Pango as a system library) whose
rendering of nbconvert's pages differs from the browser's. Chromium is a system
program: when it is missing, :func:`find_chromium` returns None and the caller
says how to get it.
"""

from __future__ import annotations

import html as html_lib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from babel import Locale

from learningcity.errors import LearningCityError
from learningcity.i18n import N_, gettext

__all__ = [
    "CHROMIUM_ENV",
    "PdfError",
    "find_chromium",
    "header_text",
    "how_to_get_pdf",
    "print_html",
    "render_pdf",
]

#: Environment variable naming the Chromium (or Chrome) program to print with.
CHROMIUM_ENV = "LEARNINGCITY_CHROMIUM"
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Flags of a quiet, offline, throw-away browser (no profile, no network, no GPU).
_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw")  # fmt: skip


class PdfError(LearningCityError):
    """Chromium could not print a report (its message says why)."""


def find_chromium() -> str | None:
    """The Chromium program to print with, or None when there is none.

    ``$LEARNINGCITY_CHROMIUM`` first (a path or a name on ``PATH``; set it to an
    empty string to turn PDFs off), then the usual names on ``PATH``.

    Examples
    --------
    >>> import os
    >>> os.environ[CHROMIUM_ENV] = "/nonexistent/chromium"
    >>> find_chromium() is None
    True
    >>> del os.environ[CHROMIUM_ENV]
    """
    chosen = os.environ.get(CHROMIUM_ENV)
    if chosen is not None:
        return shutil.which(chosen) if chosen.strip() else None
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def how_to_get_pdf() -> str:
    """One line saying how to get PDFs on a machine without Chromium."""
    return (
        "PDF copies not written: no Chromium found (install it, e.g. `apt install chromium` "
        f"on Debian or Ubuntu, or set {CHROMIUM_ENV} to a Chromium or Chrome program); the "
        "HTML reports are written"
    )


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (quotes, backslashes, line breaks escaped)."""
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\{ord(c):x} "
                         for c in text) + '"'  # fmt: skip


# TRANSLATORS: the footer's word before the page number: "Page 3 of 12".
_PAGE = N_("Page")
# TRANSLATORS: between the page number and the page count: "Page 3 of 12", "Trang 3 / 12".
_OF = N_("of")


def print_html(page: str, *, header: str, lang: str = "vi") -> str:
    """The planner HTML with the print style sheet for A4 added.

    Parameters
    ----------
    page : str
        A planner HTML page (:func:`learningcity.reports.render.render_html`).
    header : str
        The text of every page's header (unit, date, language).
    lang : {"vi", "en"}
        The language of the "page X of Y" footer.

    Examples
    --------
    >>> out = print_html("<html><head></head><body>x</body></html>", header='Nghĩa Lộ "2026"')
    >>> "@page" in out and '"Nghĩa Lộ \\\\22 2026\\\\22 "' in out
    True
    """
    page_word, of_word = gettext(_PAGE, lang), gettext(_OF, lang)
    css = f"""
<style media="print">
@page {{
  size: A4; margin: 18mm 14mm 16mm 14mm;
  @top-left {{ content: {_css_string(header)}; font: 8pt "DejaVu Sans", "Noto Sans", sans-serif;
              color: #555; }}
  @bottom-right {{ content: "{page_word} " counter(page) " {of_word} " counter(pages);
                  font: 8pt "DejaVu Sans", "Noto Sans", sans-serif; color: #555; }}
}}
html, body {{ font-family: "DejaVu Sans", "Noto Sans", "Liberation Sans", sans-serif; }}
body {{ font-size: 9.5pt; margin: 0; }}
.jp-Notebook, main, .container {{ max-width: none !important; padding: 0 !important; }}
table {{ border-collapse: collapse; width: 100%; font-size: 8.5pt; }}
thead {{ display: table-header-group; }}
tr, td, th {{ break-inside: avoid; page-break-inside: avoid; }}
img, svg, figure, .jp-RenderedImage, .jp-RenderedSVG {{ break-inside: avoid; max-width: 100%;
  height: auto; }}
h1, h2, h3 {{ break-after: avoid; page-break-after: avoid; }}
a {{ color: inherit; text-decoration: none; }}
</style>
"""
    head_end = page.find("</head>")
    if head_end < 0:
        return css + page
    return page[:head_end] + css + page[head_end:]


def render_pdf(
    page: str,
    pdf: str | os.PathLike,
    *,
    header: str,
    lang: str = "vi",
    chromium: str | None = None,
    timeout: float = 120,
) -> Path:
    """Print a planner HTML page to ``pdf`` (A4) with headless Chromium.

    The page is printed from a temporary copy with :func:`print_html`'s style
    sheet; the PDF is written next to ``pdf`` and moved into place only when it
    is complete, so a failed print leaves nothing behind.

    Parameters
    ----------
    page : str
        The HTML text.
    pdf : path-like
        Where the PDF goes.
    header, lang
        As for :func:`print_html`.
    chromium : str, optional
        The program (:func:`find_chromium` by default).
    timeout : float, default 120
        Seconds allowed for the print.

    Raises
    ------
    PdfError
        No Chromium, a print that failed or timed out, or an output that is not a PDF.
    """
    program = chromium or find_chromium()
    if program is None:
        raise PdfError(how_to_get_pdf())
    target = Path(pdf)
    with tempfile.TemporaryDirectory(prefix="learningcity-pdf-") as tmp:
        source = Path(tmp) / "report.html"
        source.write_text(print_html(page, header=header, lang=lang), encoding="utf-8")
        out = Path(tmp) / "report.pdf"
        cmd = [program, *_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
               f"--print-to-pdf={out}", source.as_uri()]  # fmt: skip
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)  # fmt: skip
        except subprocess.TimeoutExpired:
            raise PdfError(f"Chromium did not finish printing within {timeout:g} s") from None
        except OSError as exc:
            raise PdfError(f"cannot run {program}: {exc.strerror or exc}") from None
        if not out.exists() or out.read_bytes()[:5] != b"%PDF-":
            tail = " ".join((done.stderr or "").strip().splitlines()[-2:])
            raise PdfError(f"Chromium wrote no PDF (exit {done.returncode}): {tail[:300]}")
        partial = target.with_name(f".{target.name}.part")
        shutil.copyfile(out, partial)
        os.replace(partial, target)
    return target


def header_text(unit: str, date: str, lang: str) -> str:
    """The page header: "Nghĩa Lộ · 2026-12-01 · Tiếng Việt"."""
    language = Locale.parse(lang).get_display_name(lang)  # "Tiếng Việt", from CLDR
    return html_lib.unescape(f"{unit} · {date} · {language}")
