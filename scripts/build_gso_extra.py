"""Reshape eight GSO by-province tables into ``data/observations/provinces-gso-inclusion.csv``.

Maintenance script, run by hand; not used by the package or the tests.

Input: the bare git directory of https://github.com/choisy/gso (as returned by a clone
or mirror), read at commit c333b8d, where ``data-raw/<chapter>/<title>.csv`` holds GSO's
English PX-Web exports (title line, blank line, header row of ``"<year> <item>"`` cells,
then one ``;``-separated row per province or region, ``..`` for a missing cell). Only the
figures are taken (facts); none of the compilation's files is copied.

Output: one tidy table (columns of ``docs/conventions.md``) holding the eight GSO tables,
and ``data/gso-extra/checks.txt``, the report of the arithmetic checks. Their sources
(``data/sources.csv``, ids ``gso-t-*``) and ``data/gso-extra/README.md`` are written by hand.

Usage::

    python scripts/build_gso_extra.py MIRROR_GIT_DIR
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "data" / "gso-extra"
OUT = ROOT / "data" / "observations" / "provinces-gso-inclusion.csv"
# Rows of each table by its former file name, for the cross-checks (filled by main).
_WRITTEN: dict[str, list[dict]] = {}
NAMES = ROOT / "data" / "gso" / "province-names.csv"
COMMIT = "c333b8d"
COLUMNS = ["unit_code", "unit_name", "level", "year", "indicator", "value", "qualifier"]
COLUMNS += ["source_id", "note"]

REGIONS = {
    "whole country",
    "red river delta",
    "northern midlands and mountain areas",
    "northern central area and central coastal area",
    "central highlands",
    "south east",
    "mekong river delta",
}
# Rows kept out of the output but used in the sums: Ha Tay (merged into Ha Noi in 2008,
# no code among the 63), "Other provinces" of the "by some provinces" tables and GSO's
# footnote rows of pupils counted nationally but not in a province.
OTHER_ROWS = {
    "ha tay": "Ha Tay",
    "other provinces": "Other provinces",
    "upper secondary schoolgirls in universities have been excluded in province": "universities",
}
ALIASES = {"dac lak": "dak lak"}

HEADER = re.compile(r"^(?P<pre>Prel?\.\s*)?(?P<year>(19|20)\d\d)\s*(?P<item>.*)$")

BOUNDARY = {
    "01": (2007, "Hà Nội before the merger with Hà Tây and parts of Vĩnh Phúc and Hòa Bình"),
    "26": (2007, "Vĩnh Phúc before Mê Linh district moved to Hà Nội (1 Aug 2008)"),
    "17": (2007, "Hòa Bình before part of Lương Sơn moved to Hà Nội (1 Aug 2008)"),
}

LEVELS = {
    "Total": "general",
    "Primary": "primary",
    "Lower secondary": "lower_secondary",
    "Upper secondary": "upper_secondary",
}


@dataclass
class Table:
    out: str
    path: str
    source_id: str
    items: dict[str, str]  # header item -> indicator id
    note: str
    # (unit_code, year, indicator) -> warning
    suspect: dict[tuple[str, int, str], str] = field(default_factory=dict)
    level_sums: bool = False  # Total = Primary + Lower secondary + Upper secondary
    count: bool = True  # provinces should add up to the whole country


def _levels(prefix: str) -> dict[str, str]:
    return {item: f"{prefix}_{lvl}" for item, lvl in LEVELS.items()}


JUMP = "as published; GSO's value jumps and reverts"
LEVELS_GAP = (
    "as published, but implausible; GSO's total exceeds the sum of its three levels by {:,}"
)

Q5_DIFF = (
    "as published in the quintile table; GSO's table of the highest and lowest quintiles "
    "(gso-t-income-quintile-ratio) gives {} (digits swapped in one of the two)"
)


def _jumps(rows: list[dict]) -> dict[tuple[str, int, str], str]:
    """Cells that jump and revert: the neighbours agree within 15 % and the cell is more
    than 30 % off their mean (and by more than 50 units for counts, 5 for rates)."""
    series: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for r in rows:
        if r["value"]:
            series[(r["unit_code"], r["indicator"])][r["year"]] = float(r["value"])
    found = {}
    for (code, indicator), s in series.items():
        years = sorted(s)
        rate = any(w in indicator for w in ("rate", "share", "ratio"))
        for y0, y1, y2 in zip(years, years[1:], years[2:], strict=False):
            a, b, c = s[y0], s[y1], s[y2]
            mean = (a + c) / 2
            if min(a, c) <= 0 or abs(a - c) / mean >= 0.15:
                continue
            if abs(b - mean) / mean > 0.3 and abs(b - mean) > (5 if rate else 50):
                found[(code, y1, indicator)] = f"{JUMP} ({_fmt(a)} in {y0}, {_fmt(c)} in {y2})"
    return found


TABLES = [
    Table(
        "schoolgirls.csv",
        "Education/Number of schoolgirls of general education as of 30 September by province.csv",
        "gso-t-schoolgirls",
        _levels("schoolgirls"),
        "girls among pupils of general education on 30 September",
        suspect={
            ("02", 2011, "schoolgirls_primary"): "as published, but impossible: more girls "
            "than GSO's 77,258 primary pupils of Hà Giang in 2011 (gso-t-general-pupils)",
            ("02", 2011, "schoolgirls_general"): "as published, but implausible: 84 % of "
            "GSO's 141,174 pupils of Hà Giang in 2011 (gso-t-general-pupils)",
            ("67", 2005, "schoolgirls_lower_secondary"): "74 % of GSO's 22,873 lower-secondary "
            "pupils of Đắk Nông in 2005 (gso-t-general-pupils), a pupil count that itself "
            "jumps and reverts; the girls' series is smooth",
        },
        level_sums=True,
    ),
    Table(
        "female-teachers.csv",
        "Education/Number of direct teaching woman teachers of general education as of 30 "
        "September by province.csv",
        "gso-t-female-teachers",
        _levels("female_teachers"),
        "women among direct-teaching teachers of general education on 30 September",
        suspect={
            ("79", 2012, "female_teachers_primary"): "as published, but equal to GSO's "
            "17,362 primary teachers of all sexes (gso-t-general-teachers); the share is "
            "81-84 % in 2011 and 2013",
            ("22", 2009, "female_teachers_primary"): "plausible here, while GSO's 2009 "
            "primary teachers of Quảng Ninh (6) are not (gso-t-general-teachers)",
            ("22", 2009, "female_teachers_lower_secondary"): "plausible here, while GSO's 2009 "
            "lower-secondary teachers of Quảng Ninh (5) are not (gso-t-general-teachers)",
        },
        level_sums=True,
    ),
    Table(
        "ethnic-minority-pupils.csv",
        "Education/Number of ethnic minority pupils of general education as of 30 September "
        "by some provinces.csv",
        "gso-t-ethnic-minority-pupils",
        _levels("ethnic_minority_pupils"),
        "ethnic-minority pupils of general education on 30 September; GSO lists some "
        "provinces only",
        suspect={
            ("01", 2011, "ethnic_minority_pupils_upper_secondary"): LEVELS_GAP.format(1824),
            ("26", 2011, "ethnic_minority_pupils_upper_secondary"): LEVELS_GAP.format(1323),
            ("22", 2011, "ethnic_minority_pupils_upper_secondary"): LEVELS_GAP.format(3903),
        },
        level_sums=True,
    ),
    Table(
        "ethnic-minority-teachers.csv",
        "Education/Number of ethnic minority direct teaching teachers of general education "
        "as of 30 September by some provinces.csv",
        "gso-t-ethnic-minority-teachers",
        _levels("ethnic_minority_teachers"),
        "ethnic-minority direct-teaching teachers of general education on 30 September; "
        "GSO lists some provinces only",
        suspect={
            ("38", 2010, "ethnic_minority_teachers_general"): "as published; GSO's total "
            "exceeds the sum of its three levels (3,511) by 2,188",
        },
        level_sums=True,
    ),
    Table(
        "income-quintiles.csv",
        "Health, Culture and Living Standard/Monthly average income per capita at current "
        "prices by income quintile and by province.csv",
        "gso-t-income-quintiles",
        {f"Quintile {q}": f"income_per_capita_q{q}" for q in range(1, 6)},
        "thousand VND a month per person, current prices; quintile 1 = poorest fifth",
        suspect={
            ("26", 2016, "income_per_capita_q5"): Q5_DIFF.format("6,208"),
            ("35", 2016, "income_per_capita_q5"): Q5_DIFF.format("5,740")
            + "; 5,740 fits GSO's ratio (6.1) and general average (2,814), 7,540 does not",
            ("19", 2016, "income_per_capita_q5"): Q5_DIFF.format("6,937"),
            ("45", 2016, "income_per_capita_q5"): Q5_DIFF.format("4,467"),
        },
        count=False,
    ),
    Table(
        "income-quintile-ratio.csv",
        "Health, Culture and Living Standard/Difference between the highest income quintile "
        "and the lowest income quintile on monthly average income per capita at current "
        "prices by province.csv",
        "gso-t-income-quintile-ratio",
        {
            (
                "The highest income quintile compared with the lowest income quintile (Time)"
            ): "income_ratio_q5_q1"
        },
        "GSO's ratio of the richest to the poorest fifth (times), as published",
        count=False,
    ),
    Table(
        "immunisation.csv",
        "Health, Culture and Living Standard/Percentage of children under 1 year old "
        "immunized fully caccinations by province.csv",
        "gso-t-immunisation",
        {"": "children_under1_fully_immunised_share"},
        "% of children under 1 year old fully immunised",
        count=False,
    ),
    Table(
        "under5-mortality.csv",
        "Population and Employment/Under five mortality rate by province.csv",
        "gso-t-under5-mortality",
        {"": "under5_mortality_rate"},
        "deaths under age 5 per 1,000 live births",
        count=False,
    ),
]


def _key(name: str) -> str:
    key = re.sub(r"\s+", " ", name.replace("-", " ")).strip().lower()
    return ALIASES.get(key, key)


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


def read_table(mirror: Path, path: str):
    """Header (year, item, preliminary) per column and the rows as (name, values)."""
    text = subprocess.run(
        ["git", "-C", str(mirror), "show", f"{COMMIT}:data-raw/{path}"],
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8-sig")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    header = next(csv.reader([lines[1]], delimiter=";"))
    cols = []
    for cell in header[1:]:
        m = HEADER.match(cell.strip())
        if not m:
            sys.exit(f"{path}: header cell {cell!r} is not '<year> <item>'")
        cols.append((int(m["year"]), m["item"].strip(), bool(m["pre"])))
    rows = []
    for raw in csv.reader(io.StringIO("\n".join(lines[2:])), delimiter=";"):
        rows.append((raw[0].strip(), [_number(x) for x in raw[1:]]))
    return cols, rows


def build(table: Table, mirror: Path, names, report: list[str]) -> list[dict]:
    cols, rows = read_table(mirror, table.path)
    out = []
    seen: dict[int, set[str]] = defaultdict(set)
    sums: dict[tuple[int, str], float] = defaultdict(float)
    nation: dict[tuple[int, str], float | None] = {}
    other: dict[tuple[int, str], float] = defaultdict(float)
    for name, vals in rows:
        key = _key(name)
        for (year, item, _), v in zip(cols, vals, strict=False):
            if key == "whole country":
                nation[(year, item)] = v
            elif key in OTHER_ROWS and v is not None:
                other[(year, item)] += v
        if key in REGIONS or key in OTHER_ROWS:
            continue
        if key not in names:
            sys.exit(f"{table.path}: unknown province {name!r}")
        code, name_vi = names[key]
        for (year, item, pre), v in zip(cols, vals, strict=False):
            if v is not None:
                sums[(year, item)] += v
            if item not in table.items:
                continue
            indicator = table.items[item]
            notes = [table.note]
            if pre:
                notes.append("preliminary (Prel.)")
            if v is None:
                notes.append("'..' (not available) in the GSO table")
            if (code, year, indicator) in table.suspect:
                notes.append(table.suspect[(code, year, indicator)])
            if code in BOUNDARY and year <= BOUNDARY[code][0]:
                notes.append(f"boundaries differ from later years: {BOUNDARY[code][1]}")
            seen[year].add(code)
            out.append(
                {
                    "unit_code": code,
                    "unit_name": name_vi,
                    "level": "province",
                    "year": year,
                    "indicator": indicator,
                    "value": "" if v is None else _fmt(v),
                    "qualifier": "",
                    "source_id": table.source_id,
                    "note": "; ".join(notes),
                }
            )
        if table.level_sums:
            for i in range(0, len(vals), 4):
                total, *parts = vals[i : i + 4]
                known = [x for x in parts if x is not None]
                if total is not None and known and abs(total - sum(known)) > 0.5:
                    year = cols[i][0]
                    report.append(
                        f"  levels: {name} {year}: total {_fmt(total)} != "
                        f"primary+lower+upper {_fmt(sum(known))} (diff {_fmt(total - sum(known))})"
                    )
    all_codes = {c for c, _ in names.values()}
    report.append("  provinces per year:")
    for year in sorted(seen):
        absent = sorted(all_codes - seen[year])
        blanks = sorted(
            r["unit_code"]
            for r in out
            if r["year"] == year
            and r["value"] == ""
            and r["indicator"] == next(iter(table.items.values()))
        )
        report.append(
            f"    {year}: {len(seen[year])} listed"
            + (f"; absent {absent}" if absent and len(absent) < 20 else "")
            + (f"; absent {len(absent)} provinces" if len(absent) >= 20 else "")
            + (f"; '..' for {blanks}" if blanks else "")
        )
    if table.count:
        report.append(
            "  63 provinces (+ Ha Tay, 'Other provinces', footnote rows) vs whole country:"
        )
        for year, item, _ in cols:
            n = nation.get((year, item))
            s = sums[(year, item)]
            o = other[(year, item)]
            if n is None:
                report.append(f"    {year} {item}: whole country '..'; provinces sum {_fmt(s)}")
                continue
            d = n - s - o
            report.append(
                f"    {year} {item}: whole country {_fmt(n)}; provinces {_fmt(s)}"
                + (f" + other rows {_fmt(o)}" if o else "")
                + f"; difference {_fmt(d)}"
                + (f" ({100 * d / n:.2f} %)" if n else "")
            )
    return out


NATIONAL_GIRLS = (
    "Education/Number of woman teachers and schoolgirls of general schools as of 30 September.csv"
)
PROVINCES_GSO = ROOT / "data" / "observations" / "provinces-gso.csv"


def _read(name: str) -> list[dict]:
    # As the CSV reader gives them back: every value text.
    return [{k: "" if v is None else str(v) for k, v in r.items()} for r in _WRITTEN[name]]


def cross_checks(mirror: Path) -> list[str]:
    """Second readings of the keyed values (other GSO tables of the compilation)."""
    rep = ["== cross-checks"]
    # A. whole-country row of the by-province tables vs GSO's national table (thousands)
    text = subprocess.run(
        ["git", "-C", str(mirror), "show", f"{COMMIT}:data-raw/{NATIONAL_GIRLS}"],
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8-sig")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    header = next(csv.reader([lines[1]], delimiter=";"))
    years = [int(re.search(r"(\d{4})-", h)[1]) for h in header[2:]]
    national = {}
    for raw in csv.reader(lines[2:], delimiter=";"):
        if raw[0] == "Number":
            national[raw[1]] = dict(zip(years, (_number(x) for x in raw[2:]), strict=False))
    labels = {
        "schoolgirls.csv": ("Schoolgirls", "", TABLES[0].path),
        "female-teachers.csv": ("Woman teachers", "", TABLES[1].path),
    }
    n_ok = n_all = 0
    for out, (label, _, path) in labels.items():
        cols, rows = read_table(mirror, path)
        whole = next(v for name, v in rows if _key(name) == "whole country")
        for (year, item, _), v in zip(cols, whole, strict=False):
            lab = label if item == "Total" else f"{label} - {item}"
            lab = next(k for k in national if k.startswith(lab + " ("))
            ref = national[lab].get(year)
            n_all += 1
            if v is not None and ref is not None and abs(v / 1000 - ref) <= 0.1:
                n_ok += 1
            else:
                rep.append(f"  A. {out} whole country {year} {item}: {v} vs national {ref}")
    rep.append(
        f"  A. whole-country rows vs national table (thousands): {n_ok}/{n_all} agree "
        "within 0.1 thousand"
    )
    # B. quintiles 1 and 5 vs the lowest/highest columns of the ratio table, and the ratio
    q = {
        (r["unit_code"], r["year"], r["indicator"]): r["value"]
        for r in _read("income-quintiles.csv")
    }
    cols, rows = read_table(mirror, TABLES[5].path)
    names = read_names()
    n_ok = n_all = r_ok = r_all = r_near = 0
    for name, vals in rows:
        key = _key(name)
        if key not in names:
            continue
        code = names[key][0]
        for (year, item, _), v in zip(cols, vals, strict=False):
            y = str(year)
            if "quintile" in item and "compared" not in item:
                ind = "income_per_capita_q1" if "lowest" in item else "income_per_capita_q5"
                n_all += 1
                if float(q[(code, y, ind)]) == v:
                    n_ok += 1
                else:
                    rep.append(f"  B. {name} {year} {ind}: {q[(code, y, ind)]}; ratio table {v}")
            elif "compared" in item:
                r_all += 1
                q1 = float(q[(code, y, "income_per_capita_q1")])
                q5 = float(q[(code, y, "income_per_capita_q5")])
                if abs(q5 / q1 - v) <= 0.051:
                    r_ok += 1
                elif abs(q5 / q1 - v) <= 0.1:
                    r_near += 1
                else:
                    rep.append(f"  B. {name} {year}: Q5/Q1 = {q5 / q1:.2f}, GSO's ratio {v}")
    rep.append(f"  B. Q1 and Q5 vs the ratio table's lowest/highest columns: {n_ok}/{n_all} equal")
    rep.append(
        f"  B. Q5/Q1 vs GSO's published ratio: {r_ok}/{r_all} within 0.05, {r_near} more "
        "within 0.1 (GSO computes from unrounded incomes)"
    )
    # C. general average of the quintile table vs income_per_capita_monthly (provinces-gso)
    cols, rows = read_table(mirror, TABLES[4].path)
    with PROVINCES_GSO.open(encoding="utf-8", newline="") as fh:
        base = {
            (r["indicator"], r["unit_code"], int(r["year"])): r["value"] for r in csv.DictReader(fh)
        }
    n_ok = n_all = m_ok = mono = 0
    for name, vals in rows:
        key = _key(name)
        if key not in names:
            continue
        code = names[key][0]
        by = defaultdict(dict)
        for (year, item, _), v in zip(cols, vals, strict=False):
            by[year][item] = v
        for year, d in by.items():
            n_all += 1
            ref = base.get(("income_per_capita_monthly", code, year))
            if ref and float(ref) == d["General average"]:
                n_ok += 1
            else:
                rep.append(f"  C. {name} {year}: {d['General average']} vs provinces-gso {ref}")
            qs = [d[f"Quintile {i}"] for i in range(1, 6)]
            mono += all(a < b for a, b in zip(qs, qs[1:], strict=False))
            mean = sum(qs) / 5
            if abs(mean - d["General average"]) / d["General average"] <= 0.03:
                m_ok += 1
            else:
                rep.append(
                    f"  D. {name} {year}: mean of quintiles {mean:.0f} vs general average "
                    f"{d['General average']:.0f}"
                )
    rep.append(f"  C. general average vs income_per_capita_monthly: {n_ok}/{n_all} equal")
    rep.append(f"  D. quintiles rising Q1 < ... < Q5: {mono}/{n_all}")
    rep.append(f"  D. mean of the five quintiles within 3 % of the general average: {m_ok}/{n_all}")
    # E. subgroups do not exceed their whole (provinces-gso pupils and teachers)
    for out, prefix, whole in [
        ("schoolgirls.csv", "schoolgirls", "pupils"),
        ("female-teachers.csv", "female_teachers", "teachers"),
        ("ethnic-minority-pupils.csv", "ethnic_minority_pupils", "pupils"),
        ("ethnic-minority-teachers.csv", "ethnic_minority_teachers", "teachers"),
    ]:
        n = 0
        shares = []
        for r in _read(out):
            lvl = r["indicator"][len(prefix) + 1 :]
            ref = base.get((f"{lvl}_{whole}", r["unit_code"], int(r["year"])))
            if not r["value"] or not ref:
                continue
            n += 1
            share = 100 * float(r["value"]) / float(ref)
            shares.append(share)
            if share > 100 or (prefix == "schoolgirls" and not 35 <= share <= 62):
                rep.append(
                    f"  E. {out}: {r['unit_name']} {r['year']} {r['indicator']} {r['value']} "
                    f"= {share:.1f} % of {lvl}_{whole} {ref}"
                )
        rep.append(
            f"  E. {out}: {n} values with a base; share of {whole} {min(shares):.1f}-"
            f"{max(shares):.1f} %"
        )
    return rep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mirror", type=Path, help="git directory of choisy/gso")
    args = ap.parse_args(argv)
    names = read_names()
    report: list[str] = []
    for table in TABLES:
        report.append(f"== {table.out} ({table.source_id})")
        rows = build(table, args.mirror, names, report)
        jumps = _jumps(rows)
        for r in rows:
            k = (r["unit_code"], r["year"], r["indicator"])
            if k in jumps and JUMP not in r["note"]:
                r["note"] += "; " + jumps[k]
        report.append("  jump-and-revert cells (noted):")
        value = {(r["unit_code"], r["year"], r["indicator"]): r["value"] for r in rows}
        report += [
            f"    {k[0]} {k[1]} {k[2]} = {value[k]} {v[len(JUMP) + 1 :]}"
            for k, v in sorted(jumps.items())
        ]
        rows.sort(key=lambda r: (r["indicator"], r["unit_code"], r["year"]))
        _WRITTEN[table.out] = rows
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for name in sorted(_WRITTEN):  # the tables in the order of their former file names
            writer.writerows(_WRITTEN[name])
    print(f"wrote {sum(map(len, _WRITTEN.values()))} rows to {OUT}")
    report += cross_checks(args.mirror)
    (DOC / "checks.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
