"""Command-line commands for data files: ``template`` and ``validate``.

``learningcity template FILE.xlsx [--level LEVEL] [--unit UNIT --year YEAR]``
writes the collection workbook (with a unit and a year, pre-filled with what is
published for it); ``learningcity validate FILE [FILE ...]`` checks CSV or Excel files
and exits 1 with every problem listed (file, row, column, problem), 0 with a
summary of each file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from learningcity.errors import UsageError

__all__ = ["add_parser"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``template`` and ``validate``."""
    template = subparsers.add_parser(
        "template",
        help="write an Excel workbook for collecting local data",
        description="Write an Excel workbook (one sheet per KFLC area) for local data "
        "collection; re-import it with `learningcity validate` or read_observations().",
    )
    template.add_argument("file", type=Path, help="the .xlsx to create")
    template.add_argument(
        "--level", help="pre-fill the level column (province, district, commune, city, gnlc_city)"
    )
    template.add_argument(
        "--unit",
        metavar="UNIT",
        help="pre-fill unit_code and unit_name: a GSO code (e.g. 133); with --year also a "
        "name or city (e.g. 'Nghĩa Lộ', 'Tỉnh Yên Bái'), with its published figures",
    )
    template.add_argument(
        "--year",
        type=int,
        help="the year of the collection: --unit is found in that year's geography (its end, "
        "or today) and the latest figures published up to it are pre-filled",
    )
    template.add_argument("--framework", type=Path, help="a framework YAML (default: shipped)")
    template.add_argument("--force", action="store_true", help="replace an existing file")
    template.set_defaults(func=_template)

    validate = subparsers.add_parser(
        "validate",
        help="check a data file (CSV or Excel) and list every problem",
        description="Check a data file; exit 1 with the list of problems (file, row, "
        "column, problem), 0 with a summary.",
    )
    validate.add_argument(
        "files", type=Path, nargs="*", metavar="FILE", help="a .csv or .xlsx data file"
    )
    validate.add_argument("--framework", type=Path, help="a framework YAML (default: shipped)")
    validate.add_argument("--sources", type=Path, help="a sources CSV (default: data/sources.csv)")
    validate.add_argument(
        "--decimal",
        choices=[",", "."],
        metavar="MARK",
        help="the decimal mark, ',' or '.', for numbers like 1.234 (default: read from the file)",
    )
    from learningcity.localdata import add_data_arguments

    # The city's own data: checked as FILEs are, and against the published figures.
    add_data_arguments(validate)
    validate.set_defaults(func=_validate)


def _framework(path: Path | None):
    from learningcity.framework import load_framework

    try:
        return load_framework(path)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None


def _template(args: argparse.Namespace) -> int:
    import os

    from learningcity.workbook import published_values, write_template

    file = args.file
    if file.suffix.lower() != ".xlsx":
        raise UsageError(f"{file}: the template is an Excel file; give a name ending .xlsx")
    # Checked before the workbook is built; the write itself never replaces a
    # file without --force (it claims the name atomically) whatever happens between.
    if file.is_dir():
        raise UsageError(f"{file} is a folder; give the path of a .xlsx file (e.g. {file}/x.xlsx)")
    folder = file.parent
    if not folder.exists():
        raise UsageError(f"{file}: the folder {folder} does not exist; create it first")
    if not folder.is_dir():
        raise UsageError(f"{file}: {folder} is a file, not a folder")
    if file.exists() and not args.force:
        raise UsageError(f"{file} exists; pass --force to replace it")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{file}: the folder {folder} cannot be written to")
    framework = _framework(args.framework)
    prefill = None
    if args.year is not None:
        if args.unit is None:
            raise UsageError("--year pre-fills the published figures of a unit: give --unit too")
        prefill = published_values(args.unit, args.year, framework=framework)
    try:
        path = write_template(
            file,
            framework=framework,
            level=args.level,
            unit=args.unit if prefill is None else None,
            prefill=prefill,
            overwrite=args.force,
        )
    except FileExistsError:
        raise UsageError(f"{file} exists; pass --force to replace it") from None
    except OSError as exc:
        raise UsageError(f"{file}: cannot write it ({exc.strerror or exc})") from None
    print(f"wrote {path}")
    if prefill is not None:
        print(
            f"{prefill.unit_name} ({prefill.level} {prefill.unit_code}, geography of "
            f"{prefill.date}): {len(prefill.values)} published figure(s) up to {prefill.year} "
            "pre-filled; the other lines are blank to collect"
        )
        if prefill.note:
            print(prefill.note)
    return 0


def _validate(args: argparse.Namespace) -> int:
    from learningcity.data import DataValidationError, known_source_ids, read_observations

    if not args.files and not args.data:
        raise UsageError("give a FILE to check, or --data FILE")
    missing = [str(f) for f in [*args.files, *args.data] if not f.is_file()]
    if missing:
        raise UsageError(f"no such file: {', '.join(missing)}")
    framework = _framework(args.framework)
    # Read once, before any data file: a missing or broken sources file stops here.
    sources = known_source_ids(args.sources)
    status = _validate_local(args, framework, sources) if args.data else 0
    for file in args.files:
        try:
            obs = read_observations(
                file, framework=framework, sources=sources, decimal=args.decimal
            )
        except DataValidationError as exc:
            status = 1
            problems = exc.problems
            print(f"{file}: {len(problems)} problem(s)")
            for p in problems.itertuples():
                where = f"{p.file}[{p.sheet}]" if p.sheet else str(p.file)
                row = f":{p.row}" if p.row else ""  # 0: the sheet as a whole
                print(f"{where}{row}: column {p.column!r}: got {p.value!r}; {p.expected}")
            continue
        years = f"{obs['year'].min()}–{obs['year'].max()}" if len(obs) else "none"
        print(
            f"{file}: OK, {len(obs)} observations, {obs['unit_code'].nunique()} units, "
            f"{obs['indicator'].nunique()} indicators, years {years}, "
            f"{int(obs['value'].isna().sum())} missing values"
        )
    return status


def _print_problems(problems) -> None:
    for p in problems.itertuples():
        where = f"{p.file}[{p.sheet}]" if p.sheet else str(p.file)
        row = f":{p.row}" if p.row else ""  # 0: the sheet as a whole
        print(f"{where}{row}: column {p.column!r}: got {p.value!r}; {p.expected}")


def _validate_local(args: argparse.Namespace, framework, sources: set[str]) -> int:
    """Check ``--data`` files as the reports read them: 1 with every problem, else 0.

    Beyond the checks of a FILE: a value disagreeing with a bundled published
    figure (unless ``--prefer-local``), and the same unit, year and indicator
    in two files.
    """
    from learningcity.data import DataValidationError, load_bundled_observations
    from learningcity.localdata import compare_with_published, disagreement_lines, read_local_data

    try:
        local = read_local_data(args.data, framework=framework, sources=sources,
                                decimal=args.decimal)  # fmt: skip
        local = compare_with_published(
            local, load_bundled_observations(), prefer_local=args.prefer_local
        )
    except DataValidationError as exc:
        print(f"--data: {len(exc.problems)} problem(s)")
        _print_problems(exc.problems)
        return 1
    for f in local.files.itertuples():
        rows = local.tidy[local.tidy["local_file"] == f.path]
        who = ", ".join(sorted({w for w in rows["collected_by"] if w})) or "not said"
        print(f"{f.path}: OK, {f.rows} locally collected value(s), collected by {who}")
    cities = local.tidy[local.tidy["level"] == "city"]
    # Rows summed from communes list their members' rows (file:sheet:row); a city's own
    # rows (its collection workbook) have a plain row number.
    cities = cities[cities["local_row"].astype(str).str.contains(":", regex=False)]
    if len(cities):
        print(f"--data: {len(cities)} city value(s) aggregated from commune rows")
    if local.confirmed:
        print(f"--data: {local.confirmed} value(s) equal to a published figure")
    for line in disagreement_lines(local):
        print(f"--data: {line}")
    return 0
