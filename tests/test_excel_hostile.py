"""Hostile and broken Excel input: files that are no workbook, zip bombs, percentages, formulas.

Every refusal is a DataValidationError naming the file (and sheet, row and
column where there is one); the commands print it without a traceback and
leave every file as it was.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import random
import re
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from tests_support import openpyxl_blocks

from learningcity import excel
from learningcity.cli import main
from learningcity.data import DataValidationError, read_observations
from learningcity.excel import EXPECTED_WORKBOOK, XlsxReader, observation_blocks
from learningcity.workbook import write_template

SRC = "baoyenbai-2021-201796"  # a row of data/sources.csv
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = ["unit_code", "unit_name", "level", "year", "indicator", "value", "source_id"]

# --- building files --------------------------------------------------------------------


def deflate(data: bytes, final: bool = True) -> bytes:
    """Raw deflate; a non-final part ends on a full flush, so parts can be concatenated."""
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    return co.compress(data) + co.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def raw_zip(path: Path, members: dict[str, bytes | tuple[bytes, int, int]]) -> Path:
    """Write a zip by hand: bytes are deflated here, (raw deflate, crc, size) taken as is."""
    out, central = bytearray(), bytearray()
    for name, data in members.items():
        raw, crc, size = (
            (deflate(data), zlib.crc32(data), len(data)) if isinstance(data, bytes) else data
        )
        n = name.encode()
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(raw), size, len(n), 0
        )
        out += n + raw
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            len(raw),
            size,
            len(n),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += n
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0
    )
    path.write_bytes(bytes(out + central + end))
    return path


def workbook_parts(
    sheets: dict[str, str],
    *,
    strings: list[str] | None = None,
    styles: str | None = None,
    before: str = "",
) -> dict[str, bytes]:
    """The parts of a minimal workbook as Excel lays it out; ``sheets`` maps names to rows XML."""
    types = [
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>',
        '<Default Extension="xml" ContentType="application/xml"/>',
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>',
    ]
    rels, entries, parts = [], [], {}
    ws = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    for i, (name, rows) in enumerate(sheets.items(), start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = (
            f'<worksheet xmlns="{MAIN}">{before}<sheetData>{rows}</sheetData></worksheet>'
        ).encode()
        types.append(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        )
        rels.append(
            f'<Relationship Id="rId{i}" Type="{ws}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        )
        entries.append(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>')
    extra = {"styles": styles}
    if strings is not None:
        items = "".join(s if s.startswith("<si>") else f"<si><t>{s}</t></si>" for s in strings)
        extra["sharedStrings"] = f'<sst xmlns="{MAIN}">{items}</sst>'
    for kind, xml in extra.items():
        if xml is not None:
            parts[f"xl/{kind}.xml"] = xml.encode()
            rels.append(f'<Relationship Id="r{kind}" Type="{ws}/{kind}" Target="{kind}.xml"/>')
            types.append(
                f'<Override PartName="/xl/{kind}.xml" ContentType="application/'
                f'vnd.openxmlformats-officedocument.spreadsheetml.{kind}+xml"/>'
            )
    ct = "http://schemas.openxmlformats.org/package/2006/content-types"
    pr = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts["[Content_Types].xml"] = f'<Types xmlns="{ct}">{"".join(types)}</Types>'.encode()
    parts["_rels/.rels"] = (
        f'<Relationships xmlns="{pr}"><Relationship Id="rId1" Type="{ws}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ).encode()
    parts["xl/workbook.xml"] = (
        f'<workbook xmlns="{MAIN}" xmlns:r="{ws}"><sheets>{"".join(entries)}</sheets></workbook>'
    ).encode()
    parts["xl/_rels/workbook.xml.rels"] = (
        f'<Relationships xmlns="{pr}">{"".join(rels)}</Relationships>'
    ).encode()
    return parts


def row_xml(r: int, *values: object) -> str:
    """One row of cells A, B, …: str as inline text, numbers as numbers."""
    cells = []
    for j, v in enumerate(values):
        ref = f"{chr(65 + j)}{r}"
        if isinstance(v, str):
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>')
        elif v is not None:
            cells.append(f'<c r="{ref}"><v>{v}</v></c>')
    return f'<row r="{r}">{"".join(cells)}</row>'


def rewrite(path: Path, member: str, edit) -> Path:
    """Replace one member of a zip by ``edit(text)``, as a spreadsheet saving it would."""
    with zipfile.ZipFile(path) as old:
        items = [(info, old.read(info)) for info in old.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as new:
        for info, data in items:
            if info.filename == member:
                data = edit(data.decode()).encode()
            new.writestr(info.filename, data)
    path.write_bytes(buffer.getvalue())
    return path


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def refused(path: Path) -> tuple[dict, str]:
    """The single problem of a refused file, and the message."""
    with pytest.raises(DataValidationError) as info:
        read_observations(path)
    found = info.value.problems
    assert len(found) == 1, found
    return found.iloc[0].to_dict(), str(info.value)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "learningcity", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def observations_book(path: Path, rows: list[list], formats: dict[str, str] | None = None):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(HEADER)
    for r in rows:
        sheet.append(r)
    for ref, fmt in (formats or {}).items():
        sheet[ref].number_format = fmt
    book.save(path)
    return path


# --- 1. files that are no workbook ---------------------------------------------------


def _ole2(*streams: str) -> bytes:
    # An OLE2 header and a directory sector naming the streams, as .xls files begin.
    head = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    names = b"".join(s.encode("utf-16-le").ljust(128, b"\0") for s in ("Root Entry", *streams))
    return head + names


def _zip_bytes(members: dict[str, bytes], stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            kind = zipfile.ZIP_STORED if name == stored_first else zipfile.ZIP_DEFLATED
            z.writestr(name, data, compress_type=kind)
    return buffer.getvalue()


def _truncated_workbook() -> bytes:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


ODS = "application/vnd.oasis.opendocument.spreadsheet"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NOT_WORKBOOKS = {
    # name: (bytes, what the problem's value must say, a hint the expectation must give)
    "text": (
        "unit_code,unit_name,level,year,indicator,value\n15,Yên Bái,province,2020,x,1\n".encode(),
        "a text file, not a workbook (it starts 'unit_code,unit_name,level,year,indicator')",
        "a CSV file must be named .csv",
    ),
    "empty": (b"", "an empty file (0 bytes)", "saved or copied completely"),
    "zip-without-workbook": (
        _zip_bytes({"data.csv": b"unit_code\n15\n"}),
        "a zip archive of 1 file(s) (data.csv), no workbook in it",
        "",
    ),
    "xls": (_ole2("Workbook", "SummaryInformation"), "an old binary Excel file (.xls)", "save it"),
    "encrypted": (
        _ole2("EncryptionInfo", "EncryptedPackage"),
        "a password-protected (encrypted) workbook",
        "remove the password",
    ),
    "ods": (
        _zip_bytes({"mimetype": ODS.encode(), "content.xml": b"<x/>"}, stored_first="mimetype"),
        "an OpenDocument spreadsheet (.ods), renamed",
        "Excel 2007-365 (.xlsx)",
    ),
    "docx": (
        _zip_bytes(
            {
                "_rels/.rels": (
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                    f'relationships"><Relationship Id="rId1" Type="{REL}" '
                    'Target="word/document.xml"/></Relationships>'
                ).encode(),
                "word/document.xml": f'<w:document xmlns:w="{W}"><w:body/></w:document>'.encode(),
            }
        ),
        "a Word document, renamed",
        "",
    ),
    "main-part-missing": (
        _zip_bytes(
            {
                "_rels/.rels": (
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                    f'relationships"><Relationship Id="rId1" Type="{REL}" '
                    'Target="xl/workbook.xml"/></Relationships>'
                ).encode()
            }
        ),
        "a zip archive whose main part is missing",
        "damaged or incomplete",
    ),
    "truncated": (
        _truncated_workbook(),
        "a damaged or incomplete zip archive",
        "download it again",
    ),
    "html": (
        b"<!DOCTYPE html><html><body><table><tr><td>15</td></tr></table></body></html>",
        "an HTML page",
        "save it as 'Excel Workbook (.xlsx)'",
    ),
}


@pytest.mark.parametrize("kind", list(NOT_WORKBOOKS))
def test_a_file_that_is_no_workbook_is_named_and_explained(tmp_path, kind):
    data, said, hint = NOT_WORKBOOKS[kind]
    path = tmp_path / "obs.xlsx"
    path.write_bytes(data)
    before = snapshot(tmp_path)
    problem, message = refused(path)
    assert problem["file"] == str(path)
    assert (problem["sheet"], problem["row"], problem["column"]) == ("", 0, "")
    assert problem["value"].startswith(said), problem["value"]
    assert problem["expected"].startswith(EXPECTED_WORKBOOK)
    assert hint in problem["expected"]
    assert message.startswith(f"{path}: 1 problem(s)")
    assert snapshot(tmp_path) == before


def test_excel_lock_file_is_recognised(tmp_path):
    path = tmp_path / "~$collect.xlsx"
    path.write_bytes(b"\x08Nguyen An" + bytes(155))  # 165 bytes, as Excel writes them
    problem, _ = refused(path)
    assert problem["value"] == "Excel's lock file"
    assert "without the '~$'" in problem["expected"]


@pytest.mark.parametrize("kind", list(NOT_WORKBOOKS))
def test_commands_report_a_file_that_is_no_workbook(tmp_path, kind, capsys):
    path = tmp_path / "obs.xlsx"
    path.write_bytes(NOT_WORKBOOKS[kind][0])
    before = snapshot(tmp_path)
    # validate lists the file's problems on stdout and exits 1, as for any bad file.
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}: 1 problem(s)" in out and EXPECTED_WORKBOOK in out
    for command in (["coverage", str(path)], ["index", "--observations", str(path)]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert f"error: {path}: 1 problem(s)" in err and EXPECTED_WORKBOOK in err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("kind", ["text", "empty", "zip-without-workbook"])
def test_validate_process_gives_a_message_not_a_traceback(tmp_path, kind):
    path = tmp_path / "obs.xlsx"
    path.write_bytes(NOT_WORKBOOKS[kind][0])
    before = snapshot(tmp_path)
    done = run("validate", path.name, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stderr == ""
    assert "obs.xlsx: 1 problem(s)" in done.stdout
    assert NOT_WORKBOOKS[kind][1] in done.stdout and EXPECTED_WORKBOOK in done.stdout
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command", [["coverage"], ["index", "--observations"]])
def test_other_commands_exit_2_without_a_traceback(tmp_path, command):
    path = tmp_path / "obs.xlsx"
    path.write_bytes(NOT_WORKBOOKS["text"][0])
    before = snapshot(tmp_path)
    done = run(*command, path.name, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "error: obs.xlsx: 1 problem(s)" in done.stderr and "a text file" in done.stderr
    assert snapshot(tmp_path) == before


# --- 2. zip bombs and limits -----------------------------------------------------------

BOMB_MB = 300


def spaces_sheet(mib: int) -> tuple[bytes, int, int]:
    """A valid sheet XML padded with ``mib`` MiB of spaces, deflated without ever holding it."""
    head = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
    tail = b"</sheetData></worksheet>"
    chunk = b" " * 2**20
    segment = deflate(chunk, final=False)  # full flush: independent of what precedes it
    crc = zlib.crc32(head)
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    raw = deflate(head, final=False) + segment * mib + deflate(tail)
    return raw, crc, len(head) + mib * 2**20 + len(tail)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    parts = workbook_parts({"Data": ""})
    parts["xl/worksheets/sheet1.xml"] = spaces_sheet(BOMB_MB)
    return raw_zip(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", parts)


def test_the_bomb_is_a_genuine_valid_zip(bomb):
    with zipfile.ZipFile(bomb) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
        assert info.file_size > BOMB_MB * 2**20 and info.file_size / info.compress_size > 900
        inflated = 0
        with z.open(info) as stream:  # streamed: zipfile checks the CRC at the end
            while chunk := stream.read(2**22):
                inflated += len(chunk)
        assert inflated == info.file_size
    assert bomb.stat().st_size < 400_000


def test_zip_bomb_is_refused_from_the_directory(bomb):
    before = snapshot(bomb.parent)
    tracemalloc.start()
    t0 = time.perf_counter()
    problem, message = refused(bomb)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 1 and peak < 20 * 2**20  # nothing was inflated
    assert problem["value"].startswith("300.0 MB uncompressed (from ")
    assert "largest member xl/worksheets/sheet1.xml, 300.0 MB" in problem["value"]
    limit = "at most 200.0 MB uncompressed (learningcity.excel.MAX_UNCOMPRESSED_BYTES)"
    assert limit in problem["expected"]
    assert "zip bomb" in message
    assert snapshot(bomb.parent) == before


def test_zip_bomb_through_the_command(bomb):
    t0 = time.perf_counter()
    done = run("validate", str(bomb), cwd=bomb.parent)
    assert time.perf_counter() - t0 < 30
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "300.0 MB uncompressed" in done.stdout and "200.0 MB" in done.stdout


def test_highly_compressed_member_is_refused(tmp_path):
    parts = workbook_parts({"Data": ""})
    parts["xl/worksheets/sheet1.xml"] = spaces_sheet(20)  # 20 MB from about 20 KB
    path = raw_zip(tmp_path / "ratio.xlsx", parts)
    problem, _ = refused(path)
    assert re.match(
        r"xl/worksheets/sheet1\.xml expands \d+\.\d KB to 20\.0 MB \([\d,]+ times\)",
        problem["value"],
    ), problem["value"]
    assert "at most 100 times (learningcity.excel.MAX_COMPRESSION_RATIO" in problem["expected"]


def test_too_many_members_are_refused(tmp_path):
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(excel.MAX_MEMBER_COUNT + 1):
            z.writestr(f"x/{i}", b"")
    problem, _ = refused(path)
    assert problem["value"] == "a zip archive of 10,001 members"
    assert "at most 10,000 members (learningcity.excel.MAX_MEMBER_COUNT)" in problem["expected"]


def _data_rows(last_row: int) -> str:
    return row_xml(1, *HEADER) + row_xml(
        last_row, "15", "Yên Bái", "province", 2020, "population", 800000, SRC
    )


def test_rows_beyond_the_limit_are_refused_naming_the_sheet(tmp_path):
    limit = excel.MAX_ROWS
    # A bogus dimension claims every cell of the sheet; nothing is padded to it (openpyxl's
    # read-only mode yields each row up to the last padded to 16,384 cells: the reader
    # before took 1 s for data on row 2,000, so about 100 s for this file).
    before = '<dimension ref="A1:XFD1048576"/>'
    ok = raw_zip(tmp_path / "ok.xlsx", workbook_parts({"Data": _data_rows(limit)}, before=before))
    t0 = time.perf_counter()
    blocks, _ = observation_blocks(ok)
    assert time.perf_counter() - t0 < 1
    assert [len(values) for _, values in blocks[0][3]] == [7]
    assert read_observations(ok)["value"].tolist() == [800000.0]
    over = raw_zip(tmp_path / "over.xlsx", workbook_parts({"Data": _data_rows(limit + 1)}))
    problem, message = refused(over)
    assert (problem["sheet"], problem["row"]) == ("Data", limit + 1)
    assert problem["value"] == "data on row 200,001"
    assert problem["expected"].startswith(
        "at most 200,000 rows per sheet (learningcity.excel.MAX_ROWS)"
    )
    assert "sheet 'Data' row 200001" in message


def test_rows_are_not_padded_to_a_far_header_cell(tmp_path):
    # A header cell in the last column and many one-cell rows: each row stays one cell
    # long (a reader padding rows to the header would hold 20,000 x 16,384 cells).
    far = '<c r="XFD1" t="inlineStr"><is><t>far</t></is></c>'
    rows = row_xml(1, *HEADER).replace("</row>", far + "</row>")
    rows += "".join(f'<row r="{r}"><c r="A{r}"><v>15</v></c></row>' for r in range(2, 20_002))
    path = raw_zip(tmp_path / "far.xlsx", workbook_parts({"Data": rows}))
    t0 = time.perf_counter()
    blocks, _ = observation_blocks(path)
    assert time.perf_counter() - t0 < 3
    (_, header_row, header, body) = blocks[0]
    assert len(header) == 16_384 and header[-1] == "far"
    assert len(body) == 20_000 and {len(record) for _, record in body} == {1}


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"])
def test_xml_with_a_dtd_is_refused(tmp_path, part):
    parts = workbook_parts({"Data": row_xml(1, *HEADER)}, strings=["x"])
    root = parts[part].decode()
    parts[part] = (LAUGHS + root.replace("<t>x</t>", "<t>&lol3;</t>")).encode()
    problem, _ = refused(raw_zip(tmp_path / "dtd.xlsx", parts))
    assert problem["value"] == f"a document type declaration (<!DOCTYPE>) in {part}"
    assert "Excel never writes one" in problem["expected"]


def test_damaged_sheet_xml_names_the_sheet(tmp_path):
    parts = workbook_parts({"Dữ liệu": row_xml(1, *HEADER)})
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"][:-30]
    problem, _ = refused(raw_zip(tmp_path / "cut.xlsx", parts))
    assert problem["sheet"] == "Dữ liệu"
    assert problem["value"].startswith("damaged XML in xl/worksheets/sheet1.xml (")
    assert "damaged or incomplete" in problem["expected"]


# --- 3. percentages ----------------------------------------------------------------------


def test_percent_cells_read_as_the_percentage_shown(tmp_path):
    rows = [
        ["15", "Yên Bái", "province", 2020, "learning_families_share", 0.958, SRC],
        ["15", "Yên Bái", "province", 2021, "learning_families_share", 1, SRC],
        ["15", "Yên Bái", "province", 2018, "learning_families_share", 0.5748, SRC],
        # A literal % sign in the format does not scale: 95.8 is shown as 95.8%.
        ["15", "Yên Bái", "province", 2019, "learning_families_share", 95.8, SRC],
        ["15", "Yên Bái", "province", 2017, "learning_families_share", 57.5, SRC],
        ["15", "Yên Bái", "province", 2016, "learning_families_share", "56,1 %", SRC],
    ]
    formats = {"F2": "0.0%", "F3": "0%", "F4": "0.00%", "F5": '0.0"%"', "F6": "0.0\\%"}
    path = observations_book(tmp_path / "shares.xlsx", rows, formats)
    obs = read_observations(path).set_index("year")["value"]
    assert obs[2020] == float("95.8")
    assert obs.to_dict() == {
        2020: 95.8,
        2021: 100.0,
        2018: 57.48,
        2019: 95.8,
        2017: 57.5,
        2016: 56.1,
    }


def test_every_one_decimal_percentage_is_exact(tmp_path):
    book = openpyxl.Workbook()
    for k in range(1001):
        book.active.append([k / 1000])
        book.active.cell(k + 1, 1).number_format = "0.0%"
    path = tmp_path / "p.xlsx"
    book.save(path)
    with XlsxReader(path) as xlsx:
        got = [cells[0][1] for _, cells in xlsx.rows(xlsx.sheets[0])]
    assert got == [float(Decimal(k) / 10) for k in range(1001)]


def test_percent_stored_with_seventeen_digits(tmp_path):
    # Excel may store 95,8 % as 0.95799999999999996; that is still 95.8.
    path = observations_book(
        tmp_path / "s.xlsx",
        [["15", "Yên Bái", "province", 2020, "learning_families_share", 0.958, SRC]],
        {"F2": "0.0%"},
    )
    rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda x: x.replace("<v>0.958</v>", "<v>0.95799999999999996</v>"),
    )
    assert read_observations(path)["value"].item() == 95.8


def test_percent_cells_pass_validate(tmp_path):
    path = observations_book(
        tmp_path / "s.xlsx",
        [["15", "Yên Bái", "province", 2020, "learning_families_share", 0.958, SRC]],
        {"F2": "0.0%"},
    )
    done = run("validate", path.name, cwd=tmp_path)
    assert done.returncode == 0 and "OK, 1 observations" in done.stdout


# --- 4. formulas -------------------------------------------------------------------------


def formula_book(path: Path) -> Path:
    return observations_book(
        path,
        [
            ["15", "Yên Bái", "province", 2020, "population", 831586, SRC],
            ["15", '="Yên "&"Bái"', "province", 2020, "libraries", "=30+1", SRC],
        ],
    )


def test_formula_never_computed_is_an_error_naming_the_cell(tmp_path):
    path = formula_book(tmp_path / "f.xlsx")
    before = snapshot(tmp_path)
    with pytest.raises(DataValidationError) as info:
        read_observations(path)
    found = info.value.problems
    assert found[["sheet", "row", "column", "value"]].values.tolist() == [
        ["Data", 3, "unit_name", '="Yên "&"Bái"'],
        ["Data", 3, "value", "=30+1"],
    ]
    expected = found.loc[1, "expected"]
    assert expected.startswith("a value: cell F3 holds a formula whose result was never computed")
    assert "open and save the file in Excel or LibreOffice, or type the value" in expected
    assert "sheet 'Data' row 3, column 'value': got '=30+1'" in str(info.value)
    done = run("validate", path.name, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "[Data]:3: column 'value': got '=30+1'; a value: cell F3 holds a formula" in done.stdout
    assert snapshot(tmp_path) == before


def _as_saved_by_excel(path: Path, keep_recalc: bool = False) -> Path:
    """Cached results written in, and the recalculation flag dropped, as Excel saves."""

    def cells(xml: str) -> str:
        edits = [
            ('<c r="B3"><f>', '<c r="B3" t="str"><f>'),  # a text result
            ('"Bái"</f><v /></c>', '"Bái"</f><v>Yên Bái</v></c>'),
            ("<f>30+1</f><v /></c>", "<f>30+1</f><v>31</v></c>"),
        ]
        for old, new in edits:
            assert xml.count(old) == 1, old
            xml = xml.replace(old, new)
        return xml

    rewrite(path, "xl/worksheets/sheet1.xml", cells)
    if not keep_recalc:
        with zipfile.ZipFile(path) as z:
            assert b' fullCalcOnLoad="1"' in z.read("xl/workbook.xml")
        rewrite(path, "xl/workbook.xml", lambda x: x.replace(' fullCalcOnLoad="1"', ""))
    return path


def test_formula_with_a_cached_result_reads_as_its_value(tmp_path):
    path = _as_saved_by_excel(formula_book(tmp_path / "f.xlsx"))
    obs = read_observations(path).set_index("indicator")
    assert obs.loc["libraries", "value"] == 31.0
    assert obs.loc["libraries", "unit_name"] == "Yên Bái"


def test_cached_results_of_a_workbook_marked_for_recalculation_are_not_trusted(tmp_path):
    # XlsxWriter stores 0 for every formula and asks for a recalculation on opening.
    path = _as_saved_by_excel(formula_book(tmp_path / "f.xlsx"), keep_recalc=True)
    with XlsxReader(path) as xlsx:
        assert xlsx.recalc_on_load
    with pytest.raises(DataValidationError) as info:
        read_observations(path)
    assert info.value.problems["column"].tolist() == ["unit_name", "value"]


def test_formulas_outside_the_data_are_not_read(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "README"
    book.active.append(["Tổng số dòng", "=COUNTA(Data!A:A)"])
    data = book.create_sheet("Data")
    data.append(HEADER)
    data.append(["15", "Yên Bái", "province", 2020, "population", 831586, SRC])
    path = tmp_path / "f.xlsx"
    book.save(path)
    assert read_observations(path)["value"].tolist() == [831586.0]


# --- 5. what worked before still works ------------------------------------------------


def _trimmed(blocks: list) -> list:
    # openpyxl pads every row to the sheet's width; the new reader stops at the last value
    # within the header's width: compare what lies within the header, no trailing blanks.
    def trim(values, width):
        values = list(values[:width])
        while values and values[-1] is None:
            values.pop()
        return values

    out = []
    for sheet, header_row, header, body in blocks:
        width = max(i + 1 for i, h in enumerate(header) if h)
        filled = [
            (r, v) for r, v in body if any(x is not None and str(x).strip() for x in v[:width])
        ]
        out.append((sheet, header_row, header[:width], [(r, trim(v, width)) for r, v in filled]))
    return out


def test_filled_template_reads_as_before(tmp_path):
    path = write_template(tmp_path / "collect.xlsx", level="province")
    book = openpyxl.load_workbook(path)
    sheet = book["2 Major building blocks"]
    header = [c.value for c in sheet[1]]
    col = {name: i + 1 for i, name in enumerate(header)}
    rows = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    r = rows["learning_families_share"]
    for key, value in {"unit_code": "15", "year": 2018, "value": "57,48", "source_id": SRC}.items():
        sheet.cell(r, col[key]).value = value
    extra = sheet.max_row + 3  # a copied line below two empty ones
    sheet.cell(extra, 1).value = "learning_families_share"
    for key, value in {
        "unit_code": 15,
        "level": "province",
        "year": 2020.0,
        "value": 65,
        "source_id": SRC,
        "note": "  hai dòng\nghi chú ",
    }.items():
        sheet.cell(extra, col[key]).value = value
    book["Sources"].append(["local-survey-2024", "Phòng GDĐT", "Báo cáo", "p. 3", "2024"])
    book.save(path)
    new, old = observation_blocks(path), openpyxl_blocks(path)
    assert _trimmed(new[0]) == _trimmed(old[0]) and new[1] == old[1]
    assert "local-survey-2024" in new[1]
    obs = read_observations(path)
    assert obs[["year", "value"]].values.tolist() == [[2018, 57.48], [2020, 65.0]]
    assert obs.loc[1, "note"] == "hai dòng ghi chú"
    # Spreadsheet row numbers, not positions among the filled lines.
    body = {b[0]: b[3] for b in new[0]}["2 Major building blocks"]
    assert {r, extra} <= {row for row, _ in body}
    assert body[-1][0] == extra


def test_mixed_workbook_reads_as_openpyxl_did(tmp_path):
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Ghi chú"
    notes.append(["Nguồn: Cục Thống kê"])
    data = book.create_sheet("Dữ liệu")
    data.append(["Bảng 1. Số liệu tỉnh"])
    data.append([])
    data.append(
        ["unit_code", "unit_name", "level", "indicator", 2018, 2020.0, "source", None, "note"]
    )
    data.append([1, "Hà Nội", "province", "libraries", 31, None, SRC, None, "đủ"])
    data.append([None] * 9)
    data.append(
        [
            15,
            "Yên Bái",
            "province",
            "learning_families_share",
            "57,48",
            65.5,
            SRC,
            True,
            datetime.datetime(2021, 5, 1),
        ]
    )
    data.append([15, "Yên Bái", "province", "libraries", -3, 1e-7, SRC, False, 12345678901234])
    src = book.create_sheet("Sources")
    src.append(["source_id", "publisher"])
    src.append(["nguồn-địa-phương", "UBND"])
    src.append([2024, "số"])
    path = tmp_path / "mixed.xlsx"
    book.save(path)
    new, old = observation_blocks(path), openpyxl_blocks(path)
    assert _trimmed(new[0]) == _trimmed(old[0])
    assert new[1] == old[1] == {"nguồn-địa-phương", "2024"}
    assert [row for row, _ in new[0][0][3]] == [4, 6, 7]


def excel_like_parts() -> dict[str, bytes]:
    """A workbook as Excel writes one: shared strings (rich text too), styles, error cells."""
    strings = [
        "unit_code",
        "unit_name",
        "indicator",
        "value",
        "year",
        # Rich text runs join; the phonetic guide is no part of the text.
        "<si><r><t>Yên </t></r><r><rPr><b/></rPr><t>Bái</t></r>"
        "<rPh sb='0' eb='1'><t>x</t></rPh></si>",
        "population",
        "dòng một_x000D_\ndòng hai",
    ]
    styles = (
        f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" '
        'formatCode="0.0%"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/>'
        '<xf numFmtId="14"/></cellXfs></styleSheet>'
    )

    def s(i, ref):
        return f'<c r="{ref}" t="s"><v>{i}</v></c>'

    rows = (
        f'<row r="1">{s(0, "A1")}{s(1, "B1")}{s(2, "C1")}{s(3, "D1")}{s(4, "E1")}</row>'
        f'<row r="2"><c r="A2"><v>15</v></c>{s(5, "B2")}{s(6, "C2")}'
        '<c r="D2" s="1"><v>0.95799999999999996</v></c><c r="E2" s="2"><v>44197</v></c></row>'
        f'<row r="3">{s(7, "B3")}<c r="D3" t="e"><v>#N/A</v></c><c r="E3" t="b"><v>1</v></c></row>'
    )
    return workbook_parts({"Data": rows}, strings=strings, styles=styles)


def zipped(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")  # openpyxl, below
def test_excel_style_shared_strings_rich_text_and_escapes(tmp_path):
    path = zipped(tmp_path / "excel.xlsx", excel_like_parts())
    with XlsxReader(path) as xlsx:
        got = list(xlsx.rows("Data"))
    assert got == [
        (1, [(1, "unit_code"), (2, "unit_name"), (3, "indicator"), (4, "value"), (5, "year")]),
        (
            2,
            [
                (1, 15),
                (2, "Yên Bái"),
                (3, "population"),
                (4, 95.8),
                (5, datetime.datetime(2021, 1, 1)),
            ],
        ),
        (3, [(2, "dòng một\r\ndòng hai"), (4, "#N/A"), (5, True)]),
    ]
    # openpyxl agrees on the cells it reads the same way (the rest is this module's point).
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)["Data"]
    theirs = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert theirs[1][:3] == [15, "Yên Bái", "population"] and theirs[1][4] == got[1][1][4][1]
    assert theirs[1][3] == pytest.approx(0.958) and theirs[2][3:] == ["#N/A", True]


def test_damaged_workbooks_give_a_message_never_an_exception(tmp_path):
    """Seeded random damage to the XML inside and to the zip's bytes."""
    rng = random.Random(20240601)
    good = excel_like_parts()
    snippets = [b'<c r="A1"><v>1</v></c>', b'<row r="9">', b"</row>", b"<f>1</f>", b' t="s"']
    snippets += [b' s="1"', b' r="XFD3"', b"<v>99</v>", b"<is><t>", b' r="0"', b"<v>-1</v>"]
    outcomes = {"read": 0, "refused": 0}
    for i in range(400):
        parts = dict(good)
        if i % 4:  # the XML of one part
            name = rng.choice(sorted(parts))
            data = bytearray(parts[name])
            for _ in range(rng.choice([1, 3, 10])):
                pos = rng.randrange(len(data))
                if rng.random() < 0.5:
                    data[pos : pos + rng.randrange(1, 20)] = b""
                else:
                    data[pos:pos] = rng.choice(snippets)
            parts[name] = bytes(data)
            path = zipped(tmp_path / f"{i}.xlsx", parts)
        else:  # the bytes of the zip
            path = zipped(tmp_path / f"{i}.xlsx", parts)
            data = bytearray(path.read_bytes())
            for _ in range(rng.choice([1, 2, 8])):
                data[rng.randrange(len(data))] = rng.randrange(256)
            path.write_bytes(bytes(data[: rng.randrange(len(data) // 2, len(data) + 1)]))
        try:
            observation_blocks(path)
            outcomes["read"] += 1
        except DataValidationError as exc:
            assert exc.problems["file"].tolist() == [str(path)] * len(exc.problems)
            outcomes["refused"] += 1
    assert outcomes["read"] > 20 and outcomes["refused"] > 200, outcomes
