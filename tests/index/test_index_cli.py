"""The ``learningcity index`` command on a small wide CSV."""

from __future__ import annotations

import pandas as pd

from learningcity.cli import main
from learningcity.framework import load_framework


def _wide(tmp_path, rows: dict[str, dict[str, str]]):
    meta = load_framework().indicator_table()
    cols = ["unit_code", *meta.index]
    lines = [",".join(cols)]
    for unit, vals in rows.items():
        lines.append(",".join([unit] + [vals.get(c, "") for c in meta.index]))
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_index_command_ranks_and_writes_scores(tmp_path, capsys):
    # Literacy on its 60..100 goalposts: 70 -> 25, 90 -> 75 (the only indicator given).
    path = _wide(tmp_path, {"132": {"literacy_rate": "70"}, "133": {"literacy_rate": "90"}})
    spec = tmp_path / "method.yaml"
    spec.write_text("normalise: {method: goalposts}\ntreat: {method: none}\n", encoding="utf-8")
    out = tmp_path / "scores.csv"
    code = main(["index", "--wide", str(path), "--spec", str(spec), "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "133" in printed.splitlines()[1]  # first ranked
    scores = pd.read_csv(out, dtype={"unit_code": str})
    overall = scores.query("level == 'overall'").set_index("unit_code")["score"]
    assert overall.to_dict() == {"132": 25.0, "133": 75.0}
    # an existing output is not replaced without --force
    assert main(["index", "--wide", str(path), "--spec", str(spec), "--out", str(out)]) == 2


def test_bad_cell_is_reported_with_file_line_and_column(tmp_path, capsys):
    path = _wide(tmp_path, {"132": {"literacy_rate": "70"}, "133": {"literacy_rate": "n/a"}})
    assert main(["index", "--wide", str(path)]) == 2
    err = capsys.readouterr().err
    assert "wide.csv: line 3, column 'literacy_rate'" in err
