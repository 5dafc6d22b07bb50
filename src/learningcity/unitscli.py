"""``learningcity units``: look up units, the 2025 crosswalk and city members.

Examples
--------
``learningcity units search "Nghia Lo"``
    candidates with code, type, name, level, parent and validity;
``learningcity units search "Yên Bái" --level commune --date 2025-07-01``
    only the new ward;
``learningcity units successors 133``
    the new units that Nghĩa Lộ town went into (whole or partial);
``learningcity units members "Nghĩa Lộ" --date 2024-01-01``
    the communes that make up a city on a date;
``learningcity units place 133 --date 2026-12-01``
    what a report names at a date: a unit, a city, or an old unit's successor.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["add_parser"]


def _print(table: pd.DataFrame, empty: str) -> None:
    import pandas as pd

    if table.empty:
        print(empty)
        return
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(table.to_string(index=False))


def _search(args: argparse.Namespace) -> int:
    from learningcity.units import search_units

    hits = search_units(args.query, level=args.level, date=args.date)
    if not args.all:
        exact = hits[hits["match"] != "partial"]
        hits = exact if len(exact) else hits
    shown = hits.head(args.limit)
    shown = shown.rename(columns={"parent_code": "parent", "parent_name": "parent name"})
    _print(shown.fillna(""), f"no unit matches {args.query!r}")
    if len(hits) > len(shown):
        print(f"... {len(hits) - len(shown)} more; use --limit")
    return 0 if len(hits) else 1


def _successors(args: argparse.Namespace) -> int:
    from learningcity.crosswalk import successors

    _print(successors(args.code), "")
    return 0


def _members(args: argparse.Namespace) -> int:
    from learningcity.cities import city_members

    members = city_members(args.city, args.date)
    _print(members[["code", "type", "name", "level", "share", "via"]], "")
    return 0


def _place(args: argparse.Namespace) -> int:
    from learningcity.cities import resolve_place

    place = resolve_place(args.query, args.date)
    row = place.unit
    print(f"{row['type']} {row['name']} ({row['level']} {row['code']})")
    if place.note:
        print(place.note)
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``units`` command and its sub-commands."""
    parser = subparsers.add_parser(
        "units",
        help="find provinces, districts and communes; the 2025 crosswalk; city members",
        description=__doc__.split("\n\n")[0],
    )
    sub = parser.add_subparsers(dest="units_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)

    search = sub.add_parser(
        "search",
        help="units whose code or name fits QUERY (diacritics and prefixes optional)",
    )
    search.add_argument("query", metavar="QUERY", help='a name or code, e.g. "TX. Nghia Lo"')
    search.add_argument("--level", choices=("province", "district", "commune"))
    search.add_argument("--date", help="only units valid on this day (YYYY-MM-DD)")
    search.add_argument("--all", action="store_true", help="also list partial name matches")
    search.add_argument("--limit", type=int, default=50, help="rows shown (default 50)")
    search.set_defaults(func=_search)

    succ = sub.add_parser("successors", help="new units an old unit went into on 1 July 2025")
    succ.add_argument("code", metavar="CODE", help="old GSO code (2, 3 or 5 digits)")
    succ.set_defaults(func=_successors)

    members = sub.add_parser("members", help="the communes that make up a city on a date")
    members.add_argument("city", metavar="CITY", help='a city id or name, e.g. "Nghĩa Lộ"')
    members.add_argument("--date", required=True, help="the day (YYYY-MM-DD)")
    members.set_defaults(func=_members)

    place = sub.add_parser(
        "place", help="what a report on QUERY is about at a date (unit, city or successor)"
    )
    place.add_argument("query", metavar="QUERY", help='a name, code or city, e.g. "Nghĩa Lộ"')
    place.add_argument("--date", required=True, help="the report's day (YYYY-MM-DD)")
    place.set_defaults(func=_place)
    return parser
