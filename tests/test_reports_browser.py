"""The HTML reports as a planner sees them (headless Chromium), and the notebooks
as a researcher opens them (a running Jupyter server)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
DATE = "2026-02-01"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "learningcity",
            "report",
            "TX Nghĩa Lộ",
            "TP Yên Bái",
            "--quiet",
            "--date",
            DATE,
            "--out",
            str(out),
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out / DATE


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip(
            "headless Chromium is not installed (Debian package 'chromium'; "
            ".ci/run installs it): the browser check of the HTML reports is skipped"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield b
        b.close()


@pytest.mark.parametrize(
    ("stem", "name"), [("city-nghia-lo", "Nghĩa Lộ"), ("city-yen-bai", "Yên Bái")]
)
def test_report_page_as_a_planner_sees_it(run_folder, browser, stem, name):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    failed_requests: list[str] = []
    page.on("requestfailed", lambda r: failed_requests.append(r.url))
    response = page.goto((run_folder / f"{stem}.html").as_uri(), wait_until="load")
    assert response is None or response.ok

    heading = page.locator("h1").first
    assert heading.is_visible()
    assert unicodedata.normalize("NFC", name) in heading.inner_text()
    assert page.get_by_text(unicodedata.normalize("NFC", name)).first.is_visible()

    images = page.evaluate(
        "Array.from(document.images)"
        ".map(i => ({w: i.naturalWidth, h: i.naturalHeight, ok: i.complete}))"
    )
    assert images, "the report shows no figure"
    assert all(i["ok"] and i["w"] > 0 and i["h"] > 0 for i in images), images

    # No code: neither input areas nor prompts are rendered, and no Python shows as text.
    assert page.locator(".jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt").count() == 0
    text = page.inner_text("body")
    for code in ("import ", "resolve_unit", "facts.", "unit_code ="):
        assert code not in text
    # Nothing is fetched from the internet: the page is complete offline.
    assert not [u for u in failed_requests if not u.startswith("file:")]
    assert page.evaluate("document.documentElement.lang") == "vi"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
    assert (ARTIFACTS / f"{stem}.png").stat().st_size > 10_000
    page.close()


def test_index_page_links_every_report(run_folder, browser):
    page = browser.new_page()
    page.goto((run_folder / "index.html").as_uri())
    hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
    assert {"city-nghia-lo.html", "city-yen-bai.html"} <= set(hrefs)
    page.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_executed_notebooks_open_in_a_jupyter_server(run_folder):
    port, token = _free_port(), secrets.token_hex(16)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--ServerApp.token={token}",
            "--allow-root",
            f"--ServerApp.root_dir={run_folder.parent}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    base = f"http://127.0.0.1:{port}/api/contents"
    headers = {"Authorization": f"token {token}"}

    def get(path: str):
        req = urllib.request.Request(f"{base}/{path}", headers=headers)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    try:
        for _ in range(120):  # the server needs a few seconds to start
            try:
                listing = get(DATE)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the Jupyter server did not answer on 127.0.0.1")
        names = {item["name"] for item in listing["content"]}
        assert {"city-nghia-lo.ipynb", "city-yen-bai.ipynb"} <= names
        model = get(f"{DATE}/city-nghia-lo.ipynb?content=1")
        assert model["type"] == "notebook"
        cells = model["content"]["cells"]
        assert any("injected-parameters" in c["metadata"].get("tags", []) for c in cells)
        assert any(
            o.get("output_type") == "display_data" for c in cells for o in c.get("outputs", [])
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
