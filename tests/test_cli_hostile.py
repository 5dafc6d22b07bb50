"""Hostile and broken input to the command line: a message, exit status 2, nothing changed.

Each case checks the message (file, key or line and column, what was
expected), the exit status, that no traceback reached stderr, and that an
existing output file kept its bytes.  The cases that would eat memory if
their check broke run in a subprocess capped at 1 GiB of address space.
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata

import numpy as np
import pandas as pd
import pytest

from learningcity.cli import main
from learningcity.errors import UsageError

# Three units, three indicators (focus areas 1.1, 1.2 and 2.5; areas 1 and 2).
WIDE = (
    "unit_code,literacy_rate,trained_workers_rate,upper_secondary_graduation\n"
    "01,99,40,98\n02,95,30,90\n15,90,10,80\n"
)
SPACE = "normalisers: [minmax, rank]\nweight_noise: 0.5\n"
OLD = b"an earlier result\n"


@pytest.fixture
def files(tmp_path):
    """A good wide CSV, a good space, and an existing --out file."""
    (tmp_path / "wide.csv").write_text(WIDE, encoding="utf-8")
    (tmp_path / "space.yaml").write_text(SPACE, encoding="utf-8")
    (tmp_path / "out.csv").write_bytes(OLD)
    return tmp_path


def _fails(argv, capsys) -> str:
    """Run the command; it must exit 2 with a message and no traceback."""
    assert main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith(f"learningcity {argv[0]}: error: ")
    return err


def _fails_in_subprocess(argv, cwd) -> str:
    # A check that regressed would allocate gigabytes: cap the address space.
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from learningcity.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    return proc.stderr


def _uncertainty(tmp_path, *more):
    return [
        "uncertainty", "--space", tmp_path / "space.yaml", "--wide", tmp_path / "wide.csv",
        "-n", "20", "--out", tmp_path / "out.csv", "--force", *more,
    ]  # fmt: skip


def _index(tmp_path, *more):
    return ["index", "--wide", tmp_path / "wide.csv", "--out", tmp_path / "out.csv", "--force",
            *more]  # fmt: skip


def _windows_1258(text: str) -> bytes:
    # Windows-1258 writes Vietnamese as base letter + combining mark (NFD).
    return unicodedata.normalize("NFD", text).encode("cp1258")


def _billion_laughs() -> tuple[str, int]:
    """Nine anchors, each a list of nine aliases of the one before: 9**9 names."""
    lines = ["a: &a [minmax, minmax, minmax, minmax, minmax, minmax, minmax, minmax, minmax]"]
    for name, before in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{before}"] * 9) + "]")
    lines.append("normalisers: *i")
    return "\n".join(lines) + "\n", 9 + 8 * 9 + 1  # anchors + aliases


# -- 1. method and space files: names, aliases, encoding ----------------------------


def test_space_with_lists_where_names_are_expected(files, capsys):
    (files / "space.yaml").write_text(
        "drop: [[literacy_rate, trained_workers_rate]]\nnormalisers: [[minmax], [minmax]]\n",
        encoding="utf-8",
    )
    err = _fails(_uncertainty(files), capsys)
    assert f"{files / 'space.yaml'}: 3 problem(s)" in err
    assert "normalisers[0]: expected a name, got a list ['minmax']" in err
    assert "normalisers[1]: expected a name, got a list ['minmax']" in err
    assert "drop[0]: expected an indicator id, got a list ['literacy_rate', " in err
    assert (files / "out.csv").read_bytes() == OLD


def test_spec_with_lists_where_names_are_expected(files, capsys):
    spec = files / "method.yaml"
    spec.write_text(
        "normalise: {method: [minmax]}\nscreen: {include: [[a, b], 01]}\n"
        "treat: {individual: {literacy_rate: [log]}}\n",
        encoding="utf-8",
    )
    err = _fails(_index(files, "--spec", spec), capsys)
    assert f"{spec}: 4 problem(s)" in err
    assert "normalise.method: expected a name (one of minmax, zscore," in err
    assert "got a list ['minmax']" in err
    assert "screen.include[0]: expected a unit code as quoted text (e.g. '01'), got a list" in err
    # YAML reads an unquoted 01 as the number 1: the leading zero is lost, so refused
    assert (
        "screen.include[1]: expected a unit code as quoted text (e.g. '01'), got the number 1"
        in err
    )
    assert "treat.individual.literacy_rate: expected a name (one of auto, none," in err
    assert (files / "out.csv").read_bytes() == OLD


@pytest.mark.parametrize("option", ["--space", "--spec"])
def test_yaml_aliases_are_refused_before_anything_is_built(files, option):
    text, marks = _billion_laughs()
    bad = files / "laughs.yaml"
    bad.write_text(text, encoding="utf-8")
    argv = ["uncertainty", "--space", files / "space.yaml", "--wide", files / "wide.csv",
            "--out", files / "out.csv", "--force", option, bad]  # fmt: skip
    err = _fails_in_subprocess(argv, files)
    assert f"{bad}: 1 problem(s)" in err
    assert (
        f"line 1: YAML anchors and aliases (&name, *name) are not read in a method file "
        f"({marks} found); write each value out in full"
    ) in err
    assert (files / "out.csv").read_bytes() == OLD


def test_spec_aliases_are_refused_by_the_index_command(files, capsys):
    bad = files / "method.yaml"
    bad.write_text("normalise: &n {method: rank}\ntreat: {method: none}\n", encoding="utf-8")
    err = _fails(_index(files, "--spec", bad), capsys)
    assert f"{bad}: 1 problem(s)" in err and "line 1: YAML anchors and aliases" in err
    assert "(1 found)" in err
    assert (files / "out.csv").read_bytes() == OLD


@pytest.mark.parametrize("command", ["space", "spec", "index-spec"])
def test_a_windows_1258_file_is_refused_as_not_utf8(files, capsys, command):
    bad = files / "vi.yaml"
    first = "normalisers: [minmax, rank]" if command == "space" else "treat: {method: none}"
    bad.write_bytes(_windows_1258(f"{first}\n# Phòng Giáo dục\n"))
    if command == "index-spec":
        argv = _index(files, "--spec", bad)
    else:
        argv = _uncertainty(files, f"--{command}", bad)
    err = _fails(argv, capsys)
    assert f"{bad}: 1 problem(s)" in err
    assert "line 2 ('# Pho" in err
    assert "not UTF-8 text; save the file as UTF-8 (Windows-1258 and TCVN3" in err
    assert (files / "out.csv").read_bytes() == OLD


def test_a_key_given_twice_is_refused_not_silently_the_last(files, capsys):
    (files / "space.yaml").write_text(
        "normalisers: [minmax, rank]\nweight_noise: 0.2\nnormalisers: [zscore]\n", encoding="utf-8"
    )
    err = _fails(_uncertainty(files), capsys)
    assert "line 3: key 'normalisers' is given twice in one mapping" in err


def test_nesting_and_size_of_a_method_file_are_bounded(files, capsys):
    spec = files / "deep.yaml"
    spec.write_text("normalise: " + "[" * 30 + "]" * 30 + "\n", encoding="utf-8")
    assert "line 1: nested more than 20 levels deep" in _fails(
        _index(files, "--spec", spec), capsys
    )
    spec.write_text("# padding\n" * 200_000, encoding="utf-8")  # 2 MB of comments
    err = _fails(_index(files, "--spec", spec), capsys)
    assert "the file has 2,000,000 bytes; a method file has at most 1,048,576" in err


def test_long_lists_in_a_space_are_capped(files, capsys):
    names = ", ".join(f"x{i}" for i in range(65))
    (files / "space.yaml").write_text(f"drop: [{names}]\n", encoding="utf-8")
    err = _fails(_uncertainty(files), capsys)
    assert "drop: 65 entries; a list holds at most 64, each name given once" in err


def test_yaml_text_with_an_alias_is_refused_by_the_api_too():
    from learningcity.index import IndexSpec, SpecError
    from learningcity.uncertainty import ParameterSpace, SpaceError

    with pytest.raises(SpaceError, match=r"space YAML: .*\n  - line 2: YAML anchors"):
        ParameterSpace.from_yaml("\nx: &a [minmax]\nnormalisers: *a\n")
    with pytest.raises(SpecError, match=r"spec YAML: .*\n  - line 1: YAML anchors"):
        IndexSpec.from_yaml("normalise: &a {method: rank}\ntreat: *a\n")


def test_non_finite_numbers_and_bad_seeds_in_a_spec_are_refused():
    from learningcity.index import IndexSpec, SpecError

    with pytest.raises(SpecError) as err:
        IndexSpec.from_yaml("aggregate: {area: {p: .nan}}\nimpute: {random_state: -1}\n")
    assert err.value.problems == [
        "impute.random_state: -1 is outside [0, 4294967295]",
        "aggregate.area.p: expected a finite number, got nan",
    ]


# -- 2. sizes, seeds and counts ----------------------------------------------------------


def test_a_billion_replications_are_refused_with_the_memory_they_need(files):
    # Worked by hand for 3 units, 3 indicators (3 focus areas, 2 areas), 2 factors
    # (weights, normaliser), 2 normaliser variants, 100 weight sets of 3 + 3 + 2:
    #   per replication 8 x (2 inputs + 2 x 3 units x (3 + 2 + 1) codes + 3) = 328 bytes;
    #   fixed 8 x (2 x 100 x 8 + (80 + 2) x 3 x 3 + 6 x (4,000,000 // 9) x 3 x 3)
    #       = 192,018,512 bytes;
    #   need 10**9 x 328 + 192,018,512 = 328,192,018,512 bytes = 305.65 GiB;
    #   at most (2**31 - 192,018,512) // 328 = 5,961,783 replications in 2 GiB.
    argv = ["uncertainty", "--space", files / "space.yaml", "--wide", files / "wide.csv",
            "-n", "1000000000", "--out", files / "out.csv", "--force"]  # fmt: skip
    err = _fails_in_subprocess(argv, files)
    assert "-n = 1,000,000,000 replications would need about 305.7 GiB (328 bytes per" in err
    assert "the limit is 2.0 GiB; use at most 5,961,783 replications (-n)" in err
    assert "raise --max-memory" in err
    assert (files / "out.csv").read_bytes() == OLD


def test_the_largest_run_offered_is_accepted(files, capsys):
    # --max-memory 0.01 GiB = 10,737,418 bytes.  At n >= 600 the need is
    # 328 n + 8 x (1,600 + 738 + 54 n) = 760 n + 18,704 bytes, so 14,103 fit and 14,104 not.
    err = _fails(_uncertainty(files, "--max-memory", "0.01", "-n", "100000"), capsys)
    assert "-n = 100,000 replications would need about 72.5 MiB" in err
    assert "the limit is 10.2 MiB; use at most 14,103 replications" in err
    assert "use at most 14,103 replications" in _fails(
        _uncertainty(files, "--max-memory", "0.01", "-n", "14104"), capsys
    )
    assert main([str(a) for a in _uncertainty(files, "--max-memory", "0.01", "-n", "14103")]) == 0
    assert "14103 replications over 2 factors" in capsys.readouterr().out


def test_a_billion_weight_sets_are_refused_naming_the_space_file(files, capsys):
    (files / "space.yaml").write_text(SPACE + "n_weight_sets: 1000000000\n", encoding="utf-8")
    err = _fails(_uncertainty(files), capsys)
    # 10**9 sets x 8 weights x 8 bytes x 2 arrays = 1.28e11 bytes = 119.2 GiB;
    # 2 GiB / (16 x 8) = 16,777,216 sets
    assert f"{files / 'space.yaml'}: 1 problem(s)" in err
    assert (
        "n_weight_sets: 1,000,000,000 noisy weight sets of 8 weights would need about "
        "119.2 GiB (2 x sets x weights x 8 bytes); the limit is 2.0 GiB; use at most "
        "16,777,216 sets"
    ) in err
    assert (files / "out.csv").read_bytes() == OLD


@pytest.mark.parametrize(
    "more, words",
    [
        (["--seed", "-1"], "--seed: expected a whole number >= 0 (numpy's seeds), got -1"),
        (["-n", "0"], "-n: expected a whole number of replications >= 1, got 0"),
        (["-n", "-5"], "-n: expected a whole number of replications >= 1, got -5"),
        (["--top", "-1"], "--top: expected 0 (every unit) or a number of units, got -1"),
        (["--min-coverage", "nan"], "--min-coverage: expected a share in [0, 1], got nan"),
        (["--max-memory", "0"], "--max-memory: expected a number of GiB > 0, got 0.0"),
    ],
)
def test_bad_numbers_are_refused_before_any_file_is_read(files, capsys, more, words):
    (files / "space.yaml").write_text("not: [valid", encoding="utf-8")  # never read
    err = _fails(_uncertainty(files, *more), capsys)
    assert words in err and "space.yaml" not in err
    assert (files / "out.csv").read_bytes() == OLD


def test_every_bad_number_is_listed_at_once(files, capsys):
    err = _fails(_uncertainty(files, "-n", "0", "--seed", "-3", "--top", "-2"), capsys)
    assert err.count("\n  -") == 3


def test_seed_is_checked_by_the_api():
    from learningcity.uncertainty import uncertainty_analysis

    meta = pd.DataFrame({"focus_area": ["1.1"], "area": ["1"]}, index=["a"])
    data = pd.DataFrame({"a": [1.0, 2.0]}, index=["01", "02"])
    for seed in (-1, 1.5, True):
        with pytest.raises(UsageError, match="seed: expected a whole number >= 0"):
            uncertainty_analysis(data, meta, n=5, seed=seed)
    assert uncertainty_analysis(data, meta, n=5, seed=2**40).seed == 2**40  # any size is fine


def test_memory_estimate_bounds_the_measured_peak():
    import tracemalloc

    from learningcity.framework import load_framework
    from learningcity.uncertainty import estimate_memory, uncertainty_analysis

    meta = load_framework().indicator_table().iloc[:12]
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        rng.uniform(1, 99, (200, 12)), index=[f"{i:03d}" for i in range(200)], columns=meta.index
    )
    space = {"normalisers": ["minmax", "rank"], "weight_noise": 0.3,
             "aggregators": {"area": ["arithmetic", "geometric"]}}  # fmt: skip
    need = estimate_memory(data, meta, space, n=3000)
    tracemalloc.start()
    try:
        res = uncertainty_analysis(data, meta, space, n=3000, seed=1, progress=False)
        res.summary()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 0.5 * need < peak <= need


# -- 3. wide tables get the checks of observation files ------------------------------


BAD_WIDE = (
    "unit_code,literacy_rate,trained_workers_rate,bogus\n"
    "01,250,40,1\n"
    "02,-40,abc,2\n"
    "\n"
    "01,100,0,3\n"
    "15,90\n"
)


@pytest.mark.parametrize("command", ["index", "uncertainty"])
def test_every_problem_of_a_wide_file_is_listed_with_line_and_column(files, capsys, command):
    wide = files / "wide.csv"
    wide.write_text(BAD_WIDE, encoding="utf-8")
    err = _fails(_index(files) if command == "index" else _uncertainty(files), capsys)
    rng = "expected a value between 0 and 100 for 'literacy_rate' (the framework's valid range)"
    lines = err.splitlines()
    assert lines[0].endswith(f"{wide}: 6 problem(s)")
    assert [ln.strip() for ln in lines[1:]] == [
        f"{wide}: line 1, column 'bogus': got 'bogus'; expected an indicator or variable id "
        "of the framework (e.g. 'literacy_rate'; see `learningcity template`)",
        f"{wide}: line 2, column 'literacy_rate': got '250'; {rng}",
        f"{wide}: line 3, column 'literacy_rate': got '-40'; {rng}",
        f"{wide}: line 3, column 'trained_workers_rate': got 'abc'; expected a number such "
        "as 95.8 ('.' as the decimal mark, no thousands separator) or nothing",
        # the blank line 4 is skipped, yet counted
        f"{wide}: line 5, column 'unit_code': got '01'; expected each unit once (also on line 2)",
        f"{wide}: line 6: 2 cells; expected 4, as in the header",
    ]
    assert (files / "out.csv").read_bytes() == OLD


def test_values_at_the_bounds_and_empty_cells_are_accepted(tmp_path):
    from learningcity.index.cli import read_wide_csv

    wide = tmp_path / "wide.csv"
    wide.write_text("unit_code,literacy_rate,libraries_per_100k\n01,0,\n02,100,1e6\n", "utf-8")
    data = read_wide_csv(wide)
    assert data.index.tolist() == ["01", "02"]
    assert data["literacy_rate"].tolist() == [0.0, 100.0]
    assert (
        np.isnan(data.loc["01", "libraries_per_100k"])
        and data.loc["02", "libraries_per_100k"] == 1e6
    )


@pytest.mark.parametrize("cell", ["95,8", "1_000", "nan", "inf", "1e999", ">99", "0x10"])
def test_only_plain_finite_numbers_are_read(tmp_path, cell):
    from learningcity.index.cli import read_wide_csv

    wide = tmp_path / "wide.csv"
    wide.write_text(f'unit_code,libraries_per_100k\n01,"{cell}"\n', encoding="utf-8")
    with pytest.raises(
        UsageError, match=re.escape(f"line 2, column 'libraries_per_100k': got {cell!r}")
    ):
        read_wide_csv(wide)


def test_columns_the_spec_names_are_allowed(tmp_path):
    from learningcity.index.cli import read_wide_csv

    wide = tmp_path / "wide.csv"
    wide.write_text("unit_code,literacy_rate,satisfaction\n01,90,3.5\n", encoding="utf-8")
    with pytest.raises(UsageError, match="column 'satisfaction': got 'satisfaction'"):
        read_wide_csv(wide)
    spec = {"weights": {"method": "outcome", "outcome": "satisfaction"}}
    assert read_wide_csv(wide, spec=spec).loc["01", "satisfaction"] == 3.5


def test_a_wide_file_in_windows_1258_is_refused(files, capsys):
    (files / "wide.csv").write_bytes(_windows_1258("unit_code,literacy_rate\n01,90 # Hà Giang\n"))
    err = _fails(_index(files), capsys)
    assert f"{files / 'wide.csv'}: line 2: not UTF-8 text; save the file as 'CSV UTF-8'" in err
    assert (files / "out.csv").read_bytes() == OLD


# -- 4. template: folders and existing files ---------------------------------------------


def test_template_force_onto_a_folder(tmp_path, capsys):
    folder = tmp_path / "book.xlsx"
    folder.mkdir()
    (folder / "keep.txt").write_text("kept", encoding="utf-8")
    err = _fails(["template", folder, "--force"], capsys)
    assert f"{folder} is a folder; give the path of a .xlsx file" in err
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def test_template_where_the_parent_is_a_file(tmp_path, capsys):
    parent = tmp_path / "notes"
    parent.write_bytes(OLD)
    err = _fails(["template", parent / "book.xlsx"], capsys)
    assert f"{parent / 'book.xlsx'}: {parent} is a file, not a folder" in err
    assert parent.read_bytes() == OLD


def test_template_into_a_missing_folder_does_not_create_it(tmp_path, capsys):
    target = tmp_path / "missing" / "book.xlsx"
    err = _fails(["template", target], capsys)
    assert f"{target}: the folder {target.parent} does not exist; create it first" in err
    assert not target.parent.exists()


def test_template_never_replaces_a_file_without_force(tmp_path, capsys):
    target = tmp_path / "book.xlsx"
    target.write_bytes(OLD)
    err = _fails(["template", target], capsys)
    assert f"{target} exists; pass --force to replace it" in err
    assert target.read_bytes() == OLD
    assert main(["template", str(target), "--force"]) == 0
    assert target.read_bytes()[:2] == b"PK"  # now an .xlsx (a zip file)


def test_index_refuses_a_negative_top_before_reading(files, capsys):
    err = _fails(_index(files, "--top", "-1"), capsys)
    assert "--top -1" in err
    assert (files / "out.csv").read_bytes() == OLD
