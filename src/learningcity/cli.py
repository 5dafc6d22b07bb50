"""The ``learningcity`` command line.

Each sub-command lives beside the code it drives and registers itself through
an ``add_parser(subparsers)`` function listed in :data:`COMMANDS`; the heavy
modules behind a command are imported only when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from learningcity import __version__
from learningcity.errors import LearningCityError

#: Modules that define ``add_parser(subparsers)``; each parser sets ``func``.
COMMANDS: tuple[str, ...] = (
    "learningcity.reports.cli",
    "learningcity.reports.scorecli",
    "learningcity.trendcli",
    "learningcity.unitscli",
    "learningcity.datacli",
    "learningcity.geocli",
    "learningcity.index.cli",
    "learningcity.coverage",
    "learningcity.uncertainty",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="learningcity",
        description="Learning-city readiness indicators, maps and reports (Vietnam, GNLC).",
    )
    parser.add_argument("--version", action="version", version=f"learningcity {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    Exit status: 0 success, 1 some work failed (e.g. a report), 2 bad input.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except LearningCityError as exc:
        print(f"learningcity {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # A file or folder the user named cannot be read or written (permissions, a
        # full disk, a folder where a file was expected): the user's to fix, no bug.
        where = f": {exc.filename}" if exc.filename else ""
        print(f"learningcity {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
