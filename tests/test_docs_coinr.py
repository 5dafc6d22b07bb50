"""docs/coinr.md runs as written: each ``python`` block prints the ``text`` block after it.

The worked example's numbers are also checked here against the hand
computation of the page (min-max scores, then the means level by level).
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "coinr.md"
# a fenced python block, and the text block that may follow it
BLOCK = re.compile(r"```python\n(.*?)```\s*(?:```text\n(.*?)```)?", re.S)


def blocks() -> list[tuple[str, str | None]]:
    return BLOCK.findall(PAGE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def page():
    """Run every block in one namespace, as a reader would; keep what each printed."""
    ns: dict = {"__name__": "coinr_page"}
    printed = []
    for code, _ in blocks():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(PAGE), "exec"), ns)  # the page is ours
        printed.append(out.getvalue())
    return ns, printed


def test_the_page_has_runnable_blocks_with_output():
    found = blocks()
    assert len(found) >= 5
    assert sum(expected is not None and expected != "" for _, expected in found) >= 5


def test_every_block_prints_what_the_page_shows(page):
    _, printed = page
    for (code, expected), got in zip(blocks(), printed, strict=True):
        if expected:
            assert got.rstrip() == expected.rstrip(), code


def test_the_worked_example_by_hand(page):
    ns, _ = page
    res = ns["res"]
    # min-max over c1..c4, then means: see the page
    #   access  = (literacy + enrolment) / 2 = (0+0)/2, (50+50)/2, (100+25)/2, (25+100)/2
    #   places  = (libraries + clubs) / 2    = 25, 25, 25, 100
    #   support = (budget + volunteers) / 2  = (50+0)/2, (0+100)/2, (100+50)/2, (25+100)/2
    sub = res.levels["sub_pillar"]
    np.testing.assert_allclose(sub["access"], [0, 50, 62.5, 62.5])
    np.testing.assert_allclose(sub["places"], [25, 25, 25, 100])
    np.testing.assert_allclose(sub["support"], [25, 50, 75, 62.5])
    # learning = (access + places) / 2; enabling = support (its only child)
    np.testing.assert_allclose(res.levels["pillar"]["learning"], [12.5, 37.5, 43.75, 81.25])
    # overall = (2 learning + enabling) / 3
    expected = [(25 + 25) / 3, (75 + 50) / 3, (87.5 + 75) / 3, (162.5 + 62.5) / 3]
    np.testing.assert_allclose(res.levels["overall"]["overall"], expected, rtol=1e-12)
    # literacy: 1/2 of access, 1/2 of that in learning, 2/3 of that in the index
    np.testing.assert_allclose(res.effective_weights.loc["literacy"], [0.5, 0.25, 1 / 6])


def test_leaving_budget_out_by_hand(page):
    ns, _ = page
    # support = volunteers = 0, 100, 50, 100; overall = (2 learning + support) / 3
    expected = [(25 + 0) / 3, (75 + 100) / 3, (87.5 + 50) / 3, (162.5 + 100) / 3]
    np.testing.assert_allclose(ns["without"].levels["overall"]["overall"], expected)
    # so c2 and c3 trade ranks 2 and 3 when budget is dropped: both intervals span them
    s = ns["summary"].set_index("unit_code")
    assert s.loc[["c2", "c3"], ["rank_low", "rank_high"]].to_numpy().tolist() == [[2, 3]] * 2
    assert s.loc[["c1", "c4"], "rank_low"].tolist() == [4, 1]


def test_the_uncertainty_run_keeps_the_named_levels(page):
    ns, _ = page
    assert set(ns["ua"].scores) == {"sub_pillar", "pillar", "overall"}
    table = ns["sa"].table()
    assert set(table.index) == {"normaliser", "aggregator.pillar", "drop.budget"}
    assert table["ST"].notna().all()
