"""Build provinces-papi-education.csv (PAPI sub-dimension 6.2, public primary education).

Reads the PAPI workbooks as redistributed in mdtrinh/vietnam_elections
(Data/PAPI/, commit 84348767096a193634f9d4fb6c4116dbf4789a05), extracted with
`git -C <mirror> show HEAD:Data/PAPI/<file> > <dir>/<file>` into the directory given
as the first argument. Writes the tidy CSV and prints the checks (kept in
data/governance/papi-education-checks.txt).
Maintenance script, run by hand; not used by the package or the tests.

Usage::

    python scripts/build_papi_education.py EXTRACTED_DIR
"""

import csv
import pathlib
import sys

import openpyxl

src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/papi")
root = pathlib.Path(__file__).resolve().parents[1]
out = root / "data" / "observations" / "provinces-papi-education.csv"
with open(root / "data/gso/province-names.csv", encoding="utf-8") as fh:
    names = {r["code"]: r["name_vi"] for r in csv.DictReader(fh)}

wb = openpyxl.load_workbook(src / "PAPI 2011-2019.xlsx", read_only=True, data_only=True)
rows_out, checks = [], []
maxdiff_sum = 0.0
sum_checked = 0
for year in range(2011, 2020):
    rows = list(wb[f"{year}_PAPI"].iter_rows(values_only=True))
    h_en, h_vi = rows[0], rows[1]
    i6 = h_en.index("Public Service Delivery")
    ip = h_en.index("Public Primary Education")
    assert h_vi[ip] == "Giáo dục tiểu học công lập", h_vi[ip]
    assert h_en[i6 + 1 : i6 + 5] == (
        "Public Health",
        "Public Primary Education",
        "Basic Infrastructure",
        "Law and Order",
    )
    seen = set()
    for r in rows[2:]:
        if r[0] is None or r[0] == 999:
            continue
        code = f"{int(r[0]):02d}"
        assert code in names, code
        seen.add(code)
        v = r[ip]
        d6 = r[i6]
        subs = r[i6 + 1 : i6 + 5]
        if isinstance(v, (int, float)) and v != 0:
            assert 0.25 <= v <= 2.5, (year, code, v)
            val, note = f"{round(v, 6):.6f}".rstrip("0").rstrip("."), ""
        else:
            val, note = (
                "",
                "Blank in the published PAPI dataset (no score published for this province "
                "and year).",
            )
        if all(isinstance(s, (int, float)) for s in subs) and isinstance(d6, (int, float)):
            diff = abs(sum(subs) - d6)
            maxdiff_sum = max(maxdiff_sum, diff)
            sum_checked += 1
        rows_out.append(
            [
                code,
                names[code],
                "province",
                year,
                "papi_public_primary_education",
                val,
                "",
                "papi-subdim-2011-2019",
                note,
            ]
        )
    assert seen == set(names), (year, set(names) - seen)

# same-source check: per-year English workbooks of the same repository, sheet
# "<year>- PAPI ALL Dimensions " (2011-2017), "2018PAPI-ALLDimentions" (2018) and
# "2019PAPI_Dim 6" (2019), column "6.2: Primary Education", matched on the English name.
# (The "Dimension 6" sheet of "PAPI 2012 eng.xlsx" repeats the 2011 values; not used.)
eng_names = {}
for r in list(wb["2019_PAPI"].iter_rows(values_only=True))[2:]:
    if r[0] not in (None, 999):
        eng_names[f"{int(r[0]):02d}"] = r[1]


def norm(s):
    s = "".join(ch for ch in str(s).lower() if ch.isalnum())
    return {"tphochiminh": "hochiminh", "hochiminhcity": "hochiminh", "tthue": "thuathienhue"}.get(
        s, s
    )


ours = {(int(r[3]), r[0]): r[5] for r in rows_out}
sheet = {y: f"{y}- PAPI ALL Dimensions " for y in range(2011, 2018)}
sheet.update({2018: "2018PAPI-ALLDimentions", 2019: "2019PAPI_Dim 6"})
n_cmp = n_agree = n_blank_both = 0
maxdiff_eng = 0.0
unmatched = []
for year in range(2011, 2020):
    ws = openpyxl.load_workbook(src / f"PAPI {year} eng.xlsx", read_only=True, data_only=True)[
        sheet[year]
    ]
    rr = list(ws.iter_rows(values_only=True))
    hi = [i for i, r in enumerate(rr[:5]) if "6.2: Primary Education" in [str(c) for c in r]][0]
    col = [str(c) for c in rr[hi]].index("6.2: Primary Education")
    byname = {norm(r[0]): r[col] for r in rr[hi + 1 :] if r[0]}
    for code, en in eng_names.items():
        key = norm(en)
        if key not in byname:
            unmatched.append((year, code, en))
            continue
        theirs, mine = byname[key], ours[(year, code)]
        if mine == "":
            n_blank_both += theirs in (None, "", 0)
            continue
        n_cmp += 1
        d = abs(float(mine) - theirs)
        maxdiff_eng = max(maxdiff_eng, d)
        n_agree += d < 1e-5

# 2019: the provincial indicator workbook (province codes in row 1,
# "6.2: Giáo dục tiểu học công lập*")
ws = openpyxl.load_workbook(
    src / "2019_PAPI_Provincial_indicators2019_VIE_ENG.xlsx", read_only=True, data_only=True
)["2019PAPI_Indicators_VIE"]
rr = list(ws.iter_rows(values_only=True))
row = [r for r in rr if r[0] and str(r[0]).startswith("6.2: Giáo dục tiểu học công lập")][0]
scale_2019 = row[1]
n19 = 0
maxd19 = 0.0
for j, c in enumerate(rr[0]):
    if isinstance(c, (int, float)) and j >= 2:
        code = f"{int(c):02d}"
        if (2019, code) in ours and ours[(2019, code)] != "":
            n19 += 1
            maxd19 = max(maxd19, abs(float(ours[(2019, code)]) - row[j]))

with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(
        [
            "unit_code",
            "unit_name",
            "level",
            "year",
            "indicator",
            "value",
            "qualifier",
            "source_id",
            "note",
        ]
    )
    w.writerows(sorted(rows_out, key=lambda r: (r[0], r[3])))

vals = [float(r[5]) for r in rows_out if r[5] != ""]
print("rows", len(rows_out), "with value", len(vals), "min", min(vals), "max", max(vals))
for y in range(2011, 2020):
    print(y, sum(1 for r in rows_out if r[3] == y and r[5] != ""))
print(f"sum of 6.1-6.4 vs dimension 6: {sum_checked} province-years, max |diff| {maxdiff_sum:.2e}")
print(
    f"per-year eng workbooks: {n_cmp} compared, {n_agree} agree, max diff {maxdiff_eng:.2e}, "
    f"blank in both {n_blank_both}, unmatched {unmatched}"
)
print(f"2019 indicator workbook: scale '{scale_2019}', {n19} compared, max diff {maxd19:.2e}")
