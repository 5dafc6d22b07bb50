"""The ``learningcity index`` command: build the readiness index from files.

``learningcity index --wide FILE.csv`` reads a wide table (a ``unit_code``
column and one column per indicator); without ``--wide`` the indicators are
derived from observation files (the bundled ``data/observations`` by default)
for one ``--year`` and ``--level``.  The method comes from ``--spec`` (YAML).
The overall ranking is printed; ``--out`` writes the tidy score table as CSV.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from learningcity.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

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
    p.add_argument("--spec", type=Path, metavar="YAML", help="method spec (default: defaults)")
    p.add_argument("--framework", type=Path, help="a framework YAML (default: shipped)")
    p.add_argument("--out", type=Path, metavar="CSV", help="write the tidy score table here")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.add_argument("--top", type=int, default=10, help="units shown (default 10; 0 = all)")
    p.set_defaults(func=_run)


def read_wide_csv(path: Path) -> pd.DataFrame:
    """Read a wide CSV; errors name the file, line and column.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "wide.csv"
    >>> _ = f.write_text("unit_code,x\\n01,1.5\\n", encoding="utf-8")
    >>> read_wide_csv(f).loc["01", "x"]
    np.float64(1.5)
    """
    import pandas as pd

    if not path.is_file():
        raise UsageError(f"{path}: file not found")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "unit_code" not in raw.columns:
        raise UsageError(f"{path}: no 'unit_code' column (found: {', '.join(raw.columns)})")
    dup = raw["unit_code"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise UsageError(f"{path}: line {i + 2}, column 'unit_code': {raw.iat[i, 0]!r} repeats")
    out = {}
    for col in raw.columns.drop("unit_code"):
        text = raw[col].str.strip()
        num = pd.to_numeric(text.where(text != "", None), errors="coerce")
        bad = num.isna() & (text != "")
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise UsageError(
                f"{path}: line {i + 2}, column {col!r}: expected a number or an empty cell, "
                f"got {raw[col].iat[i]!r}"
            )
        out[col] = num.astype("float64").to_numpy()
    return pd.DataFrame(out, index=pd.Index(raw["unit_code"], name="unit_code"))


def _from_observations(args: argparse.Namespace, meta: pd.DataFrame, fw) -> pd.DataFrame:
    import pandas as pd

    from learningcity.data import load_bundled_observations, read_observations
    from learningcity.indicators import derive_indicators, to_wide

    if args.observations:
        tidy = pd.concat([read_observations(f) for f in args.observations], ignore_index=True)
    else:
        tidy = load_bundled_observations()
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
    from learningcity.files import atomic_write_text
    from learningcity.framework import load_framework
    from learningcity.index import build_index

    try:
        fw = load_framework(args.framework)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    meta = fw.indicator_table()
    data = read_wide_csv(args.wide) if args.wide else _from_observations(args, meta, fw)
    spec = args.spec
    if spec is not None and not spec.is_file():
        raise UsageError(f"{spec}: file not found")
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
        atomic_write_text(args.out, res.scores.to_csv(index=False))
        print(f"wrote {args.out} ({len(res.scores)} rows)")
    return 0
