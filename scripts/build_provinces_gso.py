"""Reshape keyed GSO by-province tables into ``data/observations/provinces-gso.csv``.

Maintenance script, not used at run time or by the tests.

Input: a folder of text files keyed from GSO's statistical tables "by province" in the
layout GSO's PX-Web pages export (a title line, a blank line, a header row of
``"<year> <item>"`` cells, then one ``;``-separated row per province or region,
``..`` for a missing cell). The tables were read from the compilation of GSO's English
tables in https://github.com/choisy/gso (``data-raw/``); see ``data/README.md``.

Output: the project's tidy table (docs/conventions.md), one row per published cell of
the 63 provinces; regions, the whole country and the former Hà Tây are left out.

Usage::

    python scripts/build_provinces_gso.py KEYED_DIR [--out data/observations/provinces-gso.csv]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAMES = ROOT / "data" / "gso" / "province-names.csv"
OUT = ROOT / "data" / "observations" / "provinces-gso.csv"
COLUMNS = ["unit_code", "unit_name", "level", "year", "indicator", "value", "qualifier"]
COLUMNS += ["source_id", "note"]

# Rows of GSO tables that are not one of the 63 provinces.
NOT_PROVINCES = {
    "whole country",
    "red river delta",
    "northern midlands and mountain areas",
    "northern central area and central coastal area",
    "central highlands",
    "south east",
    "mekong river delta",
    "ha tay",  # merged into Ha Noi in 2008; no code in the 63-province list
}

HEADER = re.compile(
    r"^(?P<pre>Prel?\.\s*)?(?:(?P<start>(19|20)\d\d)-)?(?P<year>(19|20)\d\d)"
    r"(?P<star>\s*\(\*+\))?\s*(?P<item>.*)$"
)


@dataclass
class Table:
    file: str
    source_id: str
    # item label in the header (after the year) -> (indicator id, factor to project unit)
    items: dict[str, tuple[str, float]]
    note: str = ""
    # extra note for some years, e.g. a break in the series
    year_notes: dict[int, str] = field(default_factory=dict)
    # extra note for one indicator of the table
    indicator_notes: dict[str, str] = field(default_factory=dict)
    # (indicator, year) -> (factor, note) where GSO's unit differs from the header's
    unit_fixes: dict[tuple[str, int], tuple[float, str]] = field(default_factory=dict)
    # indicator -> (numerator item, denominator item, note): a share in % of two items
    derived: dict[str, tuple[str, str, str]] = field(default_factory=dict)


BREAK_2012_13 = (
    "GSO's 2012 and 2013 figures count far more libraries (2,584 and 2,612 nationally, "
    "against 716 in 2010 and 731 in 2014): probably a wider definition; not comparable "
    "with the other years"
)

KG_PUPILS_UNIT = (
    "the header says thousands, but GSO's 2015 and 2016 values are persons "
    "(whole country 3,978,521 against 3,755 thousand in 2014); kept as persons"
)
PUPILS_THOUSANDS = "published in thousands of pupils"

# Provinces whose boundaries changed inside the years covered: values up to the given
# year refer to the old province (Res. 22/2003/QH11, in force 1 Jan 2004; Res.
# 15/2008/QH12, in force 1 Aug 2008).
BOUNDARY = {
    "12": (2003, "old Lai Châu, before Điện Biên was split off (1 Jan 2004)"),
    "66": (2003, "old Đắk Lắk, before Đắk Nông was split off (1 Jan 2004)"),
    "92": (2003, "old Cần Thơ province, before its split into Cần Thơ city and Hậu Giang"),
    "01": (2007, "Hà Nội before the merger with Hà Tây and parts of Vĩnh Phúc and Hòa Bình"),
    "26": (2007, "Vĩnh Phúc before Mê Linh district moved to Hà Nội (1 Aug 2008)"),
    "17": (2007, "Hòa Bình before part of Lương Sơn moved to Hà Nội (1 Aug 2008)"),
}

# Cells that are as published but cannot be right; kept, with a warning in the note.
SUSPECT = {
    ("22", 2009, "primary_teachers"): "as published, but implausible (total 12,515 teachers)",
    ("22", 2009, "lower_secondary_teachers"): "as published, but implausible (total 12,515)",
    ("95", 2004, "general_classes"): "as published; the classes by level add up to 5,071",
    # Values that jump and revert (checked against GSO's table; data/gso-extra/README.md).
    ("54", 2004, "general_classes"): (
        "as published; GSO's value jumps and reverts (lower-secondary classes 3,169 against "
        "1,844 in 2003 and 1,901 in 2005; pupils and schools do not jump)"
    ),
    ("67", 2005, "general_pupils"): (
        "as published; GSO's value jumps and reverts (lower-secondary pupils 22,873 against "
        "33,497 in 2004 and 35,602 in 2006, while lower-secondary schoolgirls are 16,902)"
    ),
    ("67", 2005, "lower_secondary_pupils"): (
        "as published; GSO's value jumps and reverts (33,497 in 2004, 35,602 in 2006; "
        "lower-secondary schoolgirls 16,902 in 2005)"
    ),
    ("51", 2013, "general_classes"): (
        "as published; GSO's classes rise 2013-2015 and fall back in 2016 with steady pupils; "
        "Quảng Ngãi's statistical yearbook 2016 (table 216) gives 7,162 for 2013"
    ),
    ("51", 2014, "general_classes"): (
        "as published; Quảng Ngãi's statistical yearbook 2016 (table 216) gives 7,015"
    ),
    ("51", 2015, "general_classes"): (
        "as published; Quảng Ngãi's statistical yearbook 2016 (table 216) gives 7,060"
    ),
}
# The poverty line changed for 2011-2015: GSO's rates from 2010 are on the new line.
POVERTY_BREAK = (
    "Series break: from 2010 the rate follows the poverty line of 2011–2015 "
    "(QĐ 09/2011/QĐ-TTg); 42 of 63 provinces rise from 2008 to 2010. Not comparable with "
    "2008 and earlier."
)

TABLES = [
    Table("literacy_rate_15plus.txt", "gso-t-literacy-15plus", {"": ("literacy_rate_15plus", 1)}),
    Table(
        "trained_workers_share.txt",
        "gso-t-trained-workers",
        {"": ("trained_workers_share", 1)},
    ),
    Table(
        "poverty_rate.txt",
        "gso-t-poverty",
        {"": ("poverty_rate", 1)},
        year_notes={2010: POVERTY_BREAK},
    ),
    Table(
        "households_with_electricity_share.txt",
        "gso-t-electricity",
        {"": ("households_with_electricity_share", 1)},
    ),
    Table(
        "income_per_capita_monthly.txt",
        "gso-t-income",
        {"Total": ("income_per_capita_monthly", 1)},
        note="thousand VND a month per person, current prices (column Total)",
    ),
    Table(
        "libraries.txt",
        "gso-t-libraries",
        {
            "Number of libraries (Unit)": ("libraries", 1),
            "Number of books in library (Thous. copies)": ("library_books", 1),
        },
        year_notes={2012: BREAK_2012_13, 2013: BREAK_2012_13},
    ),
    Table(
        "area_population.txt",
        "gso-t-area-population",
        {
            "Area (Km2)": ("area_km2", 1),
            "Population density (Person/km2)": ("population_density", 1),
        },
    ),
    Table(
        "average_population.txt",
        "gso-t-average-population",
        {"Total": ("population", 1000)},
        indicator_notes={
            "population": "average population of the year, published in thousands",
        },
        derived={
            "urban_population_share": (
                "Urban",
                "Total",
                "Derived: urban ÷ total average population × 100 (both published in thousands)",
            ),
        },
    ),
    Table(
        "general_schools.txt",
        "gso-t-general-schools",
        {"Total": ("general_schools", 1)},
        note="schools of general education on 30 September",
    ),
    Table(
        "general_classes.txt",
        "gso-t-general-classes",
        {"Total": ("general_classes", 1)},
        note="classes of general education on 30 September",
    ),
    Table(
        "general_teachers.txt",
        "gso-t-general-teachers",
        {
            "Total": ("general_teachers", 1),
            "Primary": ("primary_teachers", 1),
            "Lower secondary": ("lower_secondary_teachers", 1),
            "Upper secondary": ("upper_secondary_teachers", 1),
        },
        note="direct-teaching teachers of general education on 30 September",
    ),
    Table(
        "general_pupils.txt",
        "gso-t-general-pupils",
        {
            "Total": ("general_pupils", 1),
            "Primary": ("primary_pupils", 1),
            "Lower secondary": ("lower_secondary_pupils", 1),
            "Upper secondary": ("upper_secondary_pupils", 1),
        },
        note="pupils of general education on 30 September",
    ),
    Table(
        "kindergartens.txt",
        "gso-t-kindergartens",
        {
            "School": ("kindergartens", 1),
            "Teacher (Pers.)": ("kindergarten_teachers", 1),
            "Pupil (Thous. Pupil)": ("kindergarten_pupils", 1000),
        },
        note="kindergarten education on 30 September",
        unit_fixes={("kindergarten_pupils", y): (1, KG_PUPILS_UNIT) for y in (2015, 2016)},
    ),
    Table(
        "upper_secondary_graduation_rate.txt",
        "gso-t-graduation",
        {"": ("upper_secondary_graduation_rate", 1)},
        note="graduates as a share of candidates; year = end of the school year",
    ),
    Table(
        "universities.txt",
        "gso-t-universities",
        {"Student": ("university_students", 1)},
        note="students of universities and colleges (all ownerships) in the province",
    ),
]


def _key(name: str) -> str:
    # "Thua Thien-Hue" and "Thua Thien Hue", "Quang  Nam" and "Quang Nam" are one name
    return re.sub(r"\s+", " ", name.replace("-", " ")).strip().lower()


def read_names() -> dict[str, tuple[str, str]]:
    with NAMES.open(encoding="utf-8", newline="") as fh:
        return {_key(r["name_gso_en"]): (r["code"], r["name_vi"]) for r in csv.DictReader(fh)}


def _number(text: str) -> float | None:
    text = text.strip()
    if text in {"..", "...", "-", ""}:
        return None
    return float(text.replace(",", ""))


def _fmt(value: float) -> str:
    value = round(value, 6)
    return str(int(value)) if value == int(value) else repr(value)


def _boundary(code: str, year: int) -> list[str]:
    if code in BOUNDARY and year <= BOUNDARY[code][0]:
        return [f"boundaries differ from later years: {BOUNDARY[code][1]}"]
    return []


def parse(path: Path, table: Table, names: dict[str, tuple[str, str]]) -> list[dict]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    header = next(csv.reader([lines[1]], delimiter=";"))
    cols = []
    by_item: dict[tuple[int, str], tuple[int, bool]] = {}  # (year, item) -> (column, prel.)
    for j, cell in enumerate(header[1:], start=1):
        m = HEADER.match(cell.strip())
        if not m:
            sys.exit(f"{path}: header cell {j} {cell!r} is not '<year> <item>'")
        item = m["item"].strip()
        by_item[(int(m["year"]), item)] = (j, bool(m["pre"]))
        if item not in table.items:
            continue
        indicator, factor = table.items[item]
        period = f"school year {m['start']}-{m['year']}" if m["start"] else ""
        cols.append((j, int(m["year"]), bool(m["pre"]), bool(m["star"]), indicator, factor, period))
    if not cols:
        sys.exit(f"{path}: no column matches {sorted(table.items)}")
    derived_cols = []
    for indicator, (num, den, dnote) in table.derived.items():
        for (year, item), (j, pre) in sorted(by_item.items()):
            if item == num and (year, den) in by_item:
                derived_cols.append((indicator, year, j, by_item[(year, den)][0], pre, dnote))
    rows = []
    seen = set()
    for lineno, raw in enumerate(lines[2:], start=4):
        cells = next(csv.reader([raw], delimiter=";"))
        key = _key(cells[0])
        if key in NOT_PROVINCES:
            continue
        if key not in names:
            sys.exit(f"{path}: line {lineno}: unknown province {cells[0]!r}")
        code, name_vi = names[key]
        seen.add(code)
        for j, year, pre, star, indicator, factor, period in cols:
            value = _number(cells[j])
            notes = [table.note] if table.note else []
            if period:
                notes.append(period)
            if (indicator, year) in table.unit_fixes:
                factor, fix = table.unit_fixes[(indicator, year)]
                notes.append(fix)
            elif factor == 1000 and indicator == "kindergarten_pupils":
                notes.append(PUPILS_THOUSANDS)
            if indicator in table.indicator_notes:
                notes.append(table.indicator_notes[indicator])
            if pre:
                notes.append("preliminary (Prel.)")
            if star:
                notes.append("GSO marks this year '(*)' (footnote not in the table read)")
            if year in table.year_notes:
                notes.append(table.year_notes[year])
            if value is None:
                notes.append("'..' (not available) in the GSO table")
            if (code, year, indicator) in SUSPECT:
                notes.append(SUSPECT[(code, year, indicator)])
            notes += _boundary(code, year)
            rows.append(
                {
                    "unit_code": code,
                    "unit_name": name_vi,
                    "level": "province",
                    "year": year,
                    "indicator": indicator,
                    "value": "" if value is None else _fmt(value * factor),
                    "qualifier": "",
                    "source_id": table.source_id,
                    "note": "; ".join(n for n in notes if n),
                }
            )
        for indicator, year, jn, jd, pre, dnote in derived_cols:
            num, den = _number(cells[jn]), _number(cells[jd])
            notes = [dnote]
            if pre:
                notes.append("preliminary (Prel.)")
            if num is None or den is None:
                notes.append("'..' (not available) in the GSO table")
            notes += _boundary(code, year)
            value = "" if num is None or den is None else f"{100 * num / den:.2f}"
            rows.append(
                {
                    "unit_code": code,
                    "unit_name": name_vi,
                    "level": "province",
                    "year": year,
                    "indicator": indicator,
                    "value": value,
                    "qualifier": "",
                    "source_id": table.source_id,
                    "note": "; ".join(notes),
                }
            )
    missing = sorted({c for c, _ in names.values()} - seen)
    if missing:
        print(f"{path.name}: provinces absent from the table: {missing}", file=sys.stderr)
    return rows


# Keying checks: in these tables the first column of each block is the sum of the others.
PART_SUMS = {
    "general_schools.txt": 6,
    "general_classes.txt": 4,
    "general_teachers.txt": 4,
    "general_pupils.txt": 4,
    "income_per_capita_monthly.txt": 5,
}


def _values(path: Path) -> list[tuple[str, list[float | None]]]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return [(r[0], [_number(x) for x in r[1:]]) for r in csv.reader(lines[2:], delimiter=";")]


def check_keyed(keyed_dir: Path) -> list[str]:
    """Arithmetic checks that catch keying slips (and the publisher's own slips)."""
    problems = []
    for name, width in PART_SUMS.items():
        path = keyed_dir / name
        if not path.is_file():
            continue
        for prov, vals in _values(path):
            for i in range(0, len(vals), width):
                total, *parts = vals[i : i + width]
                known = [x for x in parts if x is not None]
                if total is not None and abs(total - sum(known)) > 0.5 * width:
                    problems.append(f"{name}: {prov}, block {i // width}: {total} != {sum(known)}")
    path = keyed_dir / "average_population.txt"
    if path.is_file():
        for prov, v in _values(path):
            for i in range(22):  # Total, Male, Female, Urban, Rural for 1995-2016
                t, m, f, u, r = v[i], v[22 + i], v[44 + i], v[66 + i], v[88 + i]
                if t is not None and (abs(t - m - f) > 0.25 or abs(t - u - r) > 0.25):
                    problems.append(f"average_population.txt: {prov}, {1995 + i}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("keyed_dir", type=Path)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    names = read_names()
    for problem in check_keyed(args.keyed_dir):
        print(f"check: {problem}", file=sys.stderr)
    rows: list[dict] = []
    for table in TABLES:
        path = args.keyed_dir / table.file
        if not path.is_file():
            print(f"skipped (not keyed yet): {table.file}", file=sys.stderr)
            continue
        rows += parse(path, table, names)
    rows.sort(key=lambda r: (r["indicator"], r["unit_code"], r["year"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
