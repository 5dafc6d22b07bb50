"""``learningcity boundaries``: download and cache geoBoundaries before going offline.

    learningcity boundaries fetch                  # provinces and districts
    learningcity boundaries fetch --level ADM1 --cache-dir ./cache

Maps made later read the verified cached copy without the network.
"""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    """Register ``boundaries fetch``."""
    parser = subparsers.add_parser(
        "boundaries",
        help="download and cache geoBoundaries Vietnam (CC BY-SA 4.0)",
        description=__doc__.split("\n\n")[0],
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    fetch = actions.add_parser("fetch", help="download, check (SHA-256) and cache boundary files")
    fetch.add_argument(
        "--level",
        choices=("ADM1", "ADM2"),
        action="append",
        help="ADM1 provinces, ADM2 districts (pre-2025 units); both by default",
    )
    fetch.add_argument("--cache-dir", help="cache folder (default: the user cache)")
    fetch.add_argument("--base-url", help="a mirror of the geoBoundaries release files")
    fetch.add_argument(
        "--sha256", help="expected checksum (with one --level) when a mirror serves another version"
    )
    fetch.set_defaults(func=_fetch)


def _fetch(args: argparse.Namespace) -> int:
    from learningcity import geo

    options = {"cache_dir": args.cache_dir, "sha256": args.sha256}
    if args.base_url:
        options["base_url"] = args.base_url
    for level in args.level or ["ADM1", "ADM2"]:
        shapes = geo.fetch_geoboundaries(level, **options)
        print(f"{level}: {len(shapes)} shapes, boundary year {shapes.attrs['boundary_year']}")
    print(geo.GEOBOUNDARIES_ATTRIBUTION)
    return 0
