"""The ``learningcity index`` command: build the readiness index from files.

``learningcity index --wide FILE.csv`` reads a wide table (a ``unit_code``
column and one column per indicator); without ``--wide`` the indicators are
derived from observation files (the bundled ``data/observations`` by default)
for one ``--year`` and ``--level``.  The method comes from ``--spec`` (YAML).
The overall ranking is printed; ``--out`` writes the tidy score table as CSV.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from learningcity.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from learningcity.framework import Framework
    from learningcity.index.spec import IndexSpec

__all__ = ["add_parser", "read_wide_csv"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``index``."""
    p = subparsers.add_parser(
        "index",
        help="build the readiness index (scores and ranks at every level)",
        description="Build the readiness index from a wide CSV or from observation files, "
        "with a method spec (YAML); print the overall ranking and optionally write every score.",
    )
    p.add_argument("--wide", type=Path, metavar="FILE", help="wide CSV: unit_code + indicators")
    p.add_argument(
        "--observations",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="tidy observation CSV/Excel files (default: the bundled data/observations)",
    )
    p.add_argument("--year", type=int, help="year to index (default: the best-covered year)")
    p.add_argument("--level", default="province", help="unit level (default: province)")
    p.add_argument(
        "--spec",
        type=Path,
        metavar="YAML",
        help="method spec (default: the framework's scoring, goalposts, as in the reports)",
    )
    p.add_argument("--framework", type=Path, help="a framework YAML (default: shipped)")
    p.add_argument("--out", type=Path, metavar="CSV", help="write the tidy score table here")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.add_argument("--top", type=int, default=10, help="units shown (default 10; 0 = all)")
    from learningcity.localdata import add_data_arguments

    add_data_arguments(p)  # the city's own data, beside the bundled (or --observations) figures
    p.set_defaults(func=_run)


def read_wide_csv(
    path: Path,
    framework: Framework | None = None,
    spec: IndexSpec | Mapping | str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Read and check a wide CSV: a ``unit_code`` column and one column per indicator.

    The values and ids get the checks ``learningcity validate`` gives
    observation files, and every problem is reported at once with its file,
    line and column: a cell that is not a plain number (``95.8``; an empty
    cell is missing), a value outside the framework's valid range of its
    column (:meth:`~learningcity.framework.Framework.valid_ranges`), a column
    that is not an indicator or variable id of the framework
    (:meth:`~learningcity.framework.Framework.known_ids`; nor a denominator
    or outcome column that ``spec`` names), a unit code that is empty or
    given twice, and a line with more or fewer cells than the header.  Unit
    codes are not looked up in the unit lists: a wide table may hold units
    of any country.

    Parameters
    ----------
    path : Path
        The UTF-8 CSV file.
    framework : Framework, optional
        Its ids and valid ranges (the shipped framework by default).
    spec : IndexSpec, dict, YAML path or text, optional
        The method; the ``denominate.by`` and ``weights.outcome`` columns it
        names may be columns of the file too.

    Returns
    -------
    DataFrame
        Indexed by ``unit_code``, float columns in the file's order.

    Raises
    ------
    UsageError
        Listing the problems (the first 30, and how many more).

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "wide.csv"
    >>> _ = f.write_text("unit_code,literacy_rate\\n01,91.5\\n", encoding="utf-8")
    >>> read_wide_csv(f).loc["01", "literacy_rate"]
    np.float64(91.5)
    >>> _ = f.write_text("unit_code,literacy_rate,x\\n01,250,1\\n01,n/a,2\\n", encoding="utf-8")
    >>> read_wide_csv(f)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    learningcity.errors.UsageError: ...wide.csv: 4 problem(s)
      ...wide.csv: line 1, column 'x': got 'x'; expected an indicator or variable id ...
      ...wide.csv: line 2, column 'literacy_rate': got '250'; expected a value between 0 and 100 ...
      ...wide.csv: line 3, column 'unit_code': got '01'; expected each unit once (also on line 2)
      ...wide.csv: line 3, column 'literacy_rate': got 'n/a'; expected a number ...
    """
    import pandas as pd

    from learningcity.framework import load_framework
    from learningcity.index.spec import IndexSpec

    if not path.is_file():
        raise UsageError(f"{path}: {'a folder, not a file' if path.is_dir() else 'file not found'}")
    fw = framework if framework is not None else load_framework()
    method = IndexSpec.coerce(spec)
    extra = set(method.denominate.by.values()) | ({method.weights.outcome} - {None})
    lines = _csv_lines(path)
    header_line, header = lines[0]
    header = [h.strip() for h in header]
    if "unit_code" not in header:
        raise UsageError(f"{path}: no 'unit_code' column (found: {', '.join(header)})")
    ranges = fw.valid_ranges()
    known = fw.known_ids() | extra
    problems: list[tuple[int, str, str, str]] = []  # line, column, value, expected
    add = problems.append
    checked: dict[int, tuple[float, float]] = {}  # position of a data column -> valid range
    first: dict[str, int] = {}
    for j, name in enumerate(header):
        if name in first:
            add((header_line, name, name, f"each column once (also column {first[name] + 1})"))
            continue
        first[name] = j
        if name == "unit_code":
            continue
        if name not in known:
            add((header_line, name, name, f"an indicator or variable id of the framework {_IDS}"))
            continue
        lo, hi = ranges.loc[name].tolist() if name in ranges.index else (math.nan, math.nan)
        checked[j] = (-math.inf if math.isnan(lo) else lo, math.inf if math.isnan(hi) else hi)
    at = header.index("unit_code")
    seen: dict[str, int] = {}
    codes: list[str] = []
    values: dict[int, list[float]] = {j: [] for j in checked}
    for line, row in lines[1:]:
        if len(row) != len(header):
            add((line, "", f"{len(row)} cells", f"{len(header)}, as in the header"))
            continue
        code = row[at]
        if not code.strip():
            add((line, "unit_code", code, "a unit code"))
        elif code in seen:
            add((line, "unit_code", code, f"each unit once (also on line {seen[code]})"))
        else:
            seen[code] = line
        codes.append(code)
        for j, (lo, hi) in checked.items():
            cell = row[j].strip()
            v = float(cell) if _NUMBER.fullmatch(cell) else math.nan
            if cell and not math.isfinite(v):  # not a number, or too large for one (1e999)
                add((line, header[j], row[j], _A_NUMBER))
                v = math.nan
            elif cell and not lo <= v <= hi:
                bounds = f"between {_fmt(lo)} and {_fmt(hi)}"
                add((line, header[j], row[j], f"a value {bounds} for {header[j]!r} ({_RANGE})"))
            values[j].append(v)
    if problems:
        raise UsageError(_wide_problems(path, problems))
    out = {header[j]: values[j] for j in checked}
    return pd.DataFrame(out, index=pd.Index(codes, name="unit_code"), dtype="float64")


# A plain decimal number: what a wide CSV cell may hold besides nothing.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_A_NUMBER = "a number such as 95.8 ('.' as the decimal mark, no thousands separator) or nothing"
_IDS = "(e.g. 'literacy_rate'; see `learningcity template`)"
_RANGE = "the framework's valid range"
_SHOWN = 30


def _csv_lines(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every line with a cell that is not empty."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"{path}: line {line}: not UTF-8 text; save the file as 'CSV UTF-8' "
            "(Windows-1258 and TCVN3 files are not read)"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        lines = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise UsageError(f"{path}: line {reader.line_num}: not a CSV line ({exc})") from None
    if not lines:
        raise UsageError(f"{path}: empty; expected a header line naming unit_code and indicators")
    return lines


def _wide_problems(path: Path, problems: list[tuple[int, str, str, str]]) -> str:
    problems = sorted(problems, key=lambda p: p[0])  # by line; stable within a line
    shown = [f"{path}: {len(problems)} problem(s)"]
    for line, col, value, expected in problems[:_SHOWN]:
        got = repr(value if len(value) <= 60 else value[:60] + "…")
        if col:
            shown.append(f"{path}: line {line}, column {col!r}: got {got}; expected {expected}")
        else:  # a line of the wrong length: the value says what it holds
            shown.append(f"{path}: line {line}: {value}; expected {expected}")
    if len(problems) > _SHOWN:
        shown.append(f"… and {len(problems) - _SHOWN} more")
    return "\n  ".join(shown)


def _fmt(x: float) -> str:
    return ("∞" if x > 0 else "-∞") if math.isinf(x) else f"{x:g}"


def _from_observations(args: argparse.Namespace, meta: pd.DataFrame, fw) -> pd.DataFrame:
    from learningcity.data import load_bundled_observations, read_observation_files
    from learningcity.indicators import derive_indicators, to_wide

    if args.observations:
        # Every file must exist, and every problem of every file is listed together.
        tidy = read_observation_files(args.observations)
    else:
        tidy = load_bundled_observations()
    if args.data:
        from learningcity.localdata import cli_observations

        # Checked against the figures this index uses; a disagreement stops it (exit 2).
        tidy, _ = cli_observations(args.data, args.prefer_local, "index", published=tidy)
    tidy = tidy[tidy["level"] == args.level]
    if tidy.empty:
        raise UsageError(f"no observations at level {args.level!r}")
    derived = derive_indicators(tidy, fw, max_lag=4)
    derived = derived[derived["value"].notna()]
    if derived.empty:
        raise UsageError("no indicator can be derived from these observations")
    year = args.year or int(derived.groupby("year")["value"].size().idxmax())
    wide = to_wide(derived, year, indicators=meta.index)
    if wide.empty:
        years = sorted(derived["year"].astype(int).unique())
        raise UsageError(
            f"no indicator values for {year} at level {args.level!r} "
            f"(years with values: {', '.join(map(str, years))})"
        )
    names = tidy.drop_duplicates("unit_code").set_index("unit_code")["unit_name"]
    wide.attrs["unit_name"] = names.reindex(wide.index).to_dict()
    print(f"{args.level}, {year}: {len(wide)} units")
    return wide


def _run(args: argparse.Namespace) -> int:
    from learningcity.exports import write_csv
    from learningcity.framework import load_framework
    from learningcity.index import build_index

    if args.top < 0:
        raise UsageError(f"--top {args.top}: expected 0 (all units) or a positive number")
    try:
        fw = load_framework(args.framework)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    meta = fw.indicator_table()
    if args.wide and args.data:
        raise UsageError("--data adds observations; it cannot be used with --wide")
    if args.wide:
        data = read_wide_csv(args.wide, framework=fw, spec=args.spec)
    else:
        data = _from_observations(args, meta, fw)
    spec = args.spec
    if spec is not None and not spec.is_file():
        raise UsageError(f"{spec}: file not found")
    if spec is None:  # the framework's own method, as the reports use it
        from learningcity.index.spec import scoring_spec

        spec = scoring_spec(fw.scoring())
    res = build_index(data, meta, spec, bands=fw.readiness_levels())
    overall = res.scores.query("level == 'overall'").merge(res.readiness, on=["unit_code", "score"])
    overall = overall.sort_values(["rank", "unit_code"])[
        ["rank", "unit_code", "score", "readiness"]
    ]
    names = data.attrs.get("unit_name")
    if names:
        overall.insert(2, "unit_name", overall["unit_code"].map(names))
    shown = overall if args.top == 0 else overall.head(args.top)
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    for note in res.notes:
        print(f"note: {note}")
    if args.out:
        if args.out.exists() and not args.force:
            raise UsageError(f"{args.out}: exists; use --force to replace it")
        write_csv(res.scores, args.out, overwrite=args.force)
        print(f"wrote {args.out} ({len(res.scores)} rows)")
    return 0
