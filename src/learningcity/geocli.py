"""``learningcity boundaries``: the shipped shapes, and finer ones to download before going offline.

    learningcity boundaries info                   # what maps are drawn on, and its licence
    learningcity boundaries fetch                  # provinces and districts, full detail
    learningcity boundaries fetch --level ADM1 --cache-dir ./cache

Maps need no download: the package ships the 63 and 34 provinces and Yên Bái's
districts (simplified). A fetch adds the full-detail geoBoundaries files, and
every district; maps made later read the verified cached copy without the network.
"""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    """Register ``boundaries info`` and ``boundaries fetch``."""
    parser = subparsers.add_parser(
        "boundaries",
        help="shipped boundaries; download and cache geoBoundaries Vietnam (CC BY-SA 4.0)",
        description=__doc__.split("\n\n")[0],
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    info = actions.add_parser(
        "info", help="the shipped boundary files, their licence, and any cached download"
    )
    info.add_argument("--cache-dir", help="cache folder (default: the user cache)")
    info.set_defaults(func=_info)
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


def _info(args: argparse.Namespace) -> int:
    from learningcity import geo

    meta = geo.shipped_metadata()
    print(
        f"shipped ({meta['licence']}, boundary year {meta['boundary_year']}, simplified "
        f"{meta['simplification']['tolerance_degrees']} degrees):"
    )
    for entry in meta["files"].values():
        span = (
            f"from {entry['valid_from']}" if "valid_from" in entry else f"until {entry['valid_to']}"
        )
        print(f"  {entry['file']}: {entry['features']} {entry['level']} units, {span}")
    print(meta["attribution"])
    cached = [
        level for level in geo.GEOBOUNDARIES_FILES
        if geo._cached_geoboundaries(level, args.cache_dir) is not None
    ]  # fmt: skip
    print(
        "cached full-detail download: "
        + (", ".join(cached) if cached else "none")
        + " (maps use it first; 'learningcity boundaries fetch' adds it)"
    )
    return 0


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
