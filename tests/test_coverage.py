"""Coverage counts on a small hand-made table; every expected number is counted by hand.

The table (indicators a, b; units 01, 15; years 2015, 2016) has these cells with a value:
a/01/2015, a/15/2015, a/15/2016 and b/15/2016. a/01/2016 is a row with an empty value
(a published "not available"), which must count as missing. Indicator c has no row.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from learningcity.coverage import (
    computable,
    coverage,
    coverage_summary,
    framework_areas,
    presence_matrix,
)
from learningcity.errors import UsageError


@pytest.fixture
def tidy() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicator": ["a", "a", "a", "a", "b"],
            "unit_code": ["01", "01", "15", "15", "15"],
            "year": [2015, 2016, 2015, 2016, 2016],
            "value": [1.0, math.nan, 2.0, 3.0, 5.0],
            "source_id": ["s"] * 5,
        }
    )


def test_counts_per_indicator_include_indicators_without_data(tidy):
    got = coverage(tidy, indicators=["a", "b", "c"], by=["indicator"])
    # each indicator has 2 units x 2 years = 4 cells
    assert got["cells"].to_dict() == {"a": 4, "b": 4, "c": 4}
    assert got["present"].to_dict() == {"a": 3, "b": 1, "c": 0}
    assert got["missing"].to_dict() == {"a": 1, "b": 3, "c": 4}
    assert got["share_present"].to_dict() == {"a": 0.75, "b": 0.25, "c": 0.0}


def test_counts_per_year_and_per_unit(tidy):
    by_year = coverage(tidy, indicators=["a", "b", "c"], by=["year"])
    # 3 indicators x 2 units = 6 cells a year; 2015: a/01, a/15; 2016: a/15, b/15
    assert by_year["cells"].to_dict() == {2015: 6, 2016: 6}
    assert by_year["present"].to_dict() == {2015: 2, 2016: 2}
    by_unit = coverage(tidy, indicators=["a", "b", "c"], by=["unit_code"])
    assert by_unit["present"].to_dict() == {"01": 1, "15": 3}
    assert by_unit["missing"].to_dict() == {"01": 5, "15": 3}


def test_each_cell_is_present_or_missing(tidy):
    cells = coverage(tidy)  # grid from the data: a, b x 01, 15 x 2015, 2016
    assert len(cells) == 8
    assert cells["present"].sum() == 4
    assert cells.loc[("a", "01", 2016), "present"] == 0  # a row with an empty value
    assert cells.loc[("a", "15", 2016), "present"] == 1
    assert cells.loc[("b", "01", 2015), "present"] == 0  # no row at all


def test_a_grid_given_by_the_caller_is_respected(tidy):
    got = coverage(tidy, by=["indicator"], units=["15", "96"], years=[2016])
    # 2 units x 1 year; a and b each have a value for 15 in 2016 only
    assert got["cells"].to_dict() == {"a": 2, "b": 2}
    assert got["present"].to_dict() == {"a": 1, "b": 1}


def test_duplicated_rows_count_once(tidy):
    doubled = pd.concat([tidy, tidy], ignore_index=True)
    got = coverage(doubled, by=["indicator"])
    assert got["present"].to_dict() == {"a": 3, "b": 1}


def test_values_read_as_text_are_understood(tidy):
    text = tidy.astype({"year": str, "value": str})
    got = coverage(text, by=["indicator"])
    assert got["present"].to_dict() == {"a": 3, "b": 1}


def test_summary_per_area(tidy):
    framework = pd.DataFrame({"indicator": ["a", "b", "c", "a"], "area": ["1", "2", "2", "3"]})
    got = coverage_summary(tidy, framework)
    # area 1: a only -> 4 cells, 3 present; area 2: b and c -> 8 cells, 1 present
    assert got["indicators"].to_dict() == {"1": 1, "2": 2, "3": 1}
    assert got["with_data"].to_dict() == {"1": 1, "2": 1, "3": 1}
    assert got["cells"].to_dict() == {"1": 4, "2": 8, "3": 4}
    assert got["present"].to_dict() == {"1": 3, "2": 1, "3": 3}
    assert got["share_present"].to_dict() == {"1": 0.75, "2": 0.125, "3": 0.75}


def test_summary_accepts_an_indicator_table_indexed_by_id(tidy):
    table = pd.DataFrame(
        {"focus_area": ["1.1", "2.2", "2.2"], "area": ["1", "2", "2"]},
        index=pd.Index(["a", "b", "c"], name="id"),
    )
    got = coverage_summary(tidy, table, level="focus_area")
    assert got["present"].to_dict() == {"1.1": 3, "2.2": 1}
    assert got["missing"].to_dict() == {"1.1": 1, "2.2": 7}


def test_presence_matrix_counts_years_with_a_value(tidy):
    got = presence_matrix(tidy)
    assert got.loc["15"].to_dict() == {"a": 2, "b": 1}
    assert got.loc["01"].to_dict() == {"a": 1, "b": 0}
    one_year = presence_matrix(tidy, years=[2016])
    assert one_year.loc["01"].to_dict() == {"a": 0, "b": 0}


def test_computable_needs_every_input(tidy):
    got = computable(tidy, {"x": ["a", "b"], "y": ["a"]})
    # x needs a and b: only unit 15 in 2016 has both; y needs a: three cells
    x = got[got["indicator"] == "x"]
    assert list(zip(x["unit_code"], x["year"], strict=True)) == [("15", 2016)]
    y = got[got["indicator"] == "y"]
    assert list(zip(y["unit_code"], y["year"], strict=True)) == [
        ("01", 2015),
        ("15", 2015),
        ("15", 2016),
    ]
    summary = coverage_summary(
        got,
        pd.DataFrame({"indicator": ["x", "y"], "area": ["2", "2"]}),
        units=["01", "15"],
        years=[2015, 2016],
    )
    # 2 indicators x 4 cells = 8 cells, 1 + 3 computable
    assert summary.loc["2", ["cells", "present"]].tolist() == [8, 4]


def test_framework_areas_maps_inputs_to_the_indicator_area():
    class Fake:
        def indicators(self):
            return pd.DataFrame(
                {"id": ["rate", "per_100k"], "focus_area": ["1.1", "2.2"], "area": ["1", "2"]}
            )

        def inputs(self, ident):
            return {"rate": ["share"], "per_100k": ["count", "population"]}[ident]

    got = framework_areas(Fake())
    assert set(map(tuple, got.to_numpy())) == {
        ("rate", "1.1", "1"),
        ("share", "1.1", "1"),
        ("per_100k", "2.2", "2"),
        ("count", "2.2", "2"),
        ("population", "2.2", "2"),
    }


def test_bad_input_is_reported_with_the_missing_column(tidy):
    with pytest.raises(UsageError, match="value"):
        coverage(tidy.drop(columns="value"))
    with pytest.raises(UsageError, match="by must be"):
        coverage(tidy, by=["region"])
    with pytest.raises(UsageError, match="area"):
        coverage_summary(tidy, pd.DataFrame({"indicator": ["a"], "kflc": ["1"]}))


def test_command_counts_a_hand_made_file(tmp_path, capsys):
    from learningcity.cli import main

    path = tmp_path / "two-provinces.csv"
    path.write_text(
        "unit_code,unit_name,level,year,indicator,value,qualifier,source_id,note\n"
        "15,Yên Bái,province,2016,literacy_rate_15plus,89.0,,gso-t-literacy-15plus,\n"
        "10,Lào Cai,province,2016,literacy_rate_15plus,,,gso-t-literacy-15plus,\n"
        "10,Lào Cai,province,2016,poverty_rate,18.1,,gso-t-poverty,\n",
        encoding="utf-8",
    )
    assert main(["coverage", str(path), "--by", "indicator", "--raw"]) == 0
    out = capsys.readouterr().out
    assert "2 units x 1 years" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:]}
    # literacy: 2 cells, 1 value (Lào Cai's row is empty); poverty: 2 cells, 1 value
    assert rows["literacy_rate_15plus"] == ["2", "1", "1", "50.0"]
    assert rows["poverty_rate"] == ["2", "1", "1", "50.0"]


def test_command_reports_an_empty_selection(capsys):
    from learningcity.cli import main

    assert main(["coverage", "--level", "gnlc_city"]) == 2
    assert "no observations" in capsys.readouterr().err


@pytest.mark.slow
def test_coverage_notebook_runs_on_the_bundled_data():
    import nbformat
    from nbclient import NotebookClient

    from learningcity.paths import notebooks_dir

    nb = nbformat.read(notebooks_dir() / "01-data-coverage.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("ename")]
    assert errors == []
    # the first cell reports the size of what it loaded
    assert "rows" in nb.cells[1].outputs[0]["text"]
