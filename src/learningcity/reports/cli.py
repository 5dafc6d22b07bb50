"""``learningcity report`` and ``learningcity templates``."""

from __future__ import annotations

import argparse
import signal
import sys

__all__ = ["add_parser"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the report commands."""
    p = subparsers.add_parser(
        "report",
        help="run a report template for one or more units",
        description=(
            "Execute a report template for each unit and write "
            "OUT/YYYY-MM-DD/<template>-<unit>.ipynb, an HTML copy without code, "
            "manifest.json and index.html. Existing reports are never overwritten "
            "(a second run gets -2, -3 … names) unless --force. Each report is "
            "published as soon as it is done; manifest.json lists the others as "
            "pending until then."
        ),
        epilog=(
            "Exit status: 0 all reports written, 1 some report failed, 2 bad input "
            "(nothing written; also a --data file with problems, or a local value that "
            "disagrees with a published figure without --prefer-local), 130 stopped by "
            "Ctrl-C (SIGINT), 143 stopped by SIGTERM. "
            "When stopped, finished reports stay published and the others are marked "
            "interrupted in manifest.json and index.html."
        ),
    )
    p.add_argument(
        "units",
        nargs="+",
        metavar="UNIT",
        help="unit names or GSO codes, e.g. 'TX Nghĩa Lộ' or 133",
    )
    p.add_argument(
        "--template",
        "-t",
        default="city",
        help="template name in notebooks/templates/ (default: city) or a notebook path",
    )
    p.add_argument("--year", "-y", default=None, help="year of the data (default: the template's)")
    p.add_argument(
        "--lang", "-l", default="vi", choices=["vi", "en"], help="report language (default: vi)"
    )
    p.add_argument(
        "--date",
        "-d",
        default=None,
        metavar="YYYY-MM-DD",
        help="date of the run folder (default: today), for reproducible runs",
    )
    p.add_argument(
        "--out",
        "-o",
        default=None,
        metavar="DIR",
        help="output root (default: the project's reports/)",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=1,
        metavar="N",
        help="reports run in parallel, one process and kernel each (default: 1; "
        "at most the number of CPUs)",
    )
    p.add_argument("--force", action="store_true", help="replace reports of the same name")
    p.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="another template parameter (repeatable)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=600,
        metavar="SECONDS",
        help="time allowed per cell (default: 600); 0 means no limit. At least 5: "
        "a report's first cells import pandas and matplotlib, which takes seconds. "
        "A cell past the limit fails its report and its kernel is replaced",
    )
    p.add_argument(
        "--format",
        "-f",
        default=None,
        metavar="html,pdf",
        help="planner copies of each report (default: html,pdf; the PDF, A4, where "
        "Chromium is found, otherwise one line says how to get it)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    from learningcity.localdata import add_data_arguments

    # Read once per run, into the shared context; marked "collected locally" in the reports.
    add_data_arguments(p)
    p.set_defaults(func=_report)

    t = subparsers.add_parser("templates", help="list report templates and their parameters")
    t.set_defaults(func=_templates)


def _report(args: argparse.Namespace) -> int:
    from learningcity.reports.params import parse_assignments
    from learningcity.reports.runner import Interrupted, run_reports

    try:
        result = run_reports(
            args.units,
            template=args.template,
            year=args.year,
            lang=args.lang,
            date=args.date,
            out=args.out,
            jobs=args.jobs,
            force=args.force,
            params=parse_assignments(args.param),
            timeout=args.timeout,
            progress=not args.quiet,
            command=["learningcity", "report", *sys.argv[2:]],
            data=args.data,
            prefer_local=args.prefer_local,
            formats=None
            if args.format is None
            else [f.strip() for f in args.format.split(",") if f.strip()],
        )
    except Interrupted as exc:  # before any report started: nothing was published
        print(f"learningcity report: interrupted ({exc}); no report written", file=sys.stderr)
        return exc.exit_code
    if result.interrupted:
        name = signal.Signals(result.interrupted).name
        print(f"learningcity report: stopped by {name}; finished reports are kept", file=sys.stderr)
    ok = len(result.jobs) - len(result.failed)
    print(f"{ok} of {len(result.jobs)} report(s) written to {result.folder}")
    for job in result.jobs:
        status = job.outcome.status if job.outcome is not None else "failed"
        mark = {"ok": "ok    ", "interrupted": "INTERRUPTED"}.get(status, "FAILED")
        detail = job.html or (f"{job.stem}.ipynb" if job.published else "no file written")
        if job.pdf:
            detail += f", {job.pdf}"
        if job in result.failed and job.outcome is not None:
            detail += f"  ({job.outcome.failure}: {job.outcome.message})"
        print(f"  {mark} {job.unit_name} ({job.unit_code}): {detail}")
    print(f"  index: {result.folder / 'index.html'}")
    return result.exit_code


def _templates(args: argparse.Namespace) -> int:
    from learningcity.reports.templates import find_template, list_templates

    for name in list_templates():
        tmpl = find_template(name)
        print(f"{name}  ({tmpl.path})")
        for p in tmpl.parameters.values():
            print(f"  {p.name}: {p.type} = {p.default}" + (f"  # {p.help}" if p.help else ""))
    return 0
