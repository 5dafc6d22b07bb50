"""Safe, exact reading of Excel workbooks (.xlsx, .xlsm) into observation blocks.

:func:`observation_blocks` hands :func:`learningcity.data.read_observations`
the data sheets of a workbook as blocks ``(sheet, header row, header, body)``
with the spreadsheet's own row numbers. Underneath, :class:`XlsxReader` reads
the workbook's XML itself, streaming with :mod:`pyexpat` (openpyxl only
supplies its tables of number formats and its date conversion), so that it

* says what a file is when it is no workbook: a text or CSV file, an empty
  file, an old binary ``.xls``, a password-protected workbook, an ``.ods``, a
  Word document, a damaged zip, Excel's ``~$`` lock file;
* refuses a zip bomb from the zip directory alone, before decompressing
  anything: more than :data:`MAX_UNCOMPRESSED_BYTES` in all, a member larger
  than :data:`RATIO_CHECKED_ABOVE` compressed more than
  :data:`MAX_COMPRESSION_RATIO` times, or more than :data:`MAX_MEMBER_COUNT`
  members (:mod:`zipfile` never inflates a member beyond the size the
  directory declares, so these limits hold);
* stops at data beyond row :data:`MAX_ROWS` of a sheet, and never pads rows
  to the sheet's declared dimension (a tiny file may claim ``A1:XFD1048576``);
* refuses XML carrying a document type declaration (entity expansion);
* reads a cell shown as a percentage (``95,8 %``, stored as 0.958) as the
  number shown, 95.8, exactly: the stored decimal text, kept to Excel's 15
  significant digits, is scaled by 100 (a ``%`` in quotes is only a sign);
* reads a formula as the result the spreadsheet stored with it, and tells a
  formula whose result was never computed (a workbook written by a program
  and never opened in a spreadsheet, or one asking to be recalculated when
  opened) from an empty cell.

Every refusal is a :class:`~learningcity.data.DataValidationError` naming the
file, the sheet, row and column where there is one, and what was expected.

Examples
--------
>>> import tempfile, pathlib, openpyxl
>>> book = openpyxl.Workbook()
>>> book.active.append(["unit_code", "year", "indicator", "value"])
>>> book.active.append(["15", 2020, "learning_families_share", 0.958])
>>> book.active["D2"].number_format = "0.0%"  # shown as 95.8%
>>> path = pathlib.Path(tempfile.mkdtemp()) / "shares.xlsx"
>>> book.save(path)
>>> blocks, sources = observation_blocks(path)
>>> blocks[0][3]
[(2, ['15', 2020, 'learning_families_share', 95.8])]
"""

from __future__ import annotations

import math
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from decimal import Context
from pathlib import Path
from types import TracebackType
from xml.parsers import expat

import pandas as pd
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

from learningcity.data import PROBLEM_COLUMNS, DataValidationError, _cell_text, _column_key
from learningcity.text import nfc
from learningcity.workbook import structure_problems

__all__ = [
    "EXPECTED_WORKBOOK",
    "MAX_COMPRESSION_RATIO",
    "MAX_MEMBER_COUNT",
    "MAX_ROWS",
    "MAX_UNCOMPRESSED_BYTES",
    "RATIO_CHECKED_ABOVE",
    "UncomputedFormula",
    "XlsxReader",
    "observation_blocks",
]

#: Largest uncompressed size of all members of a workbook's zip together
#: (200 MB). A sheet of 200,000 rows of about 30 filled columns takes that much.
MAX_UNCOMPRESSED_BYTES = 200 * 1024**2
#: Largest compression ratio of a member bigger than :data:`RATIO_CHECKED_ABOVE`;
#: sheets of data compress about 5 to 20 times, a sheet of one repeated byte 1,000.
MAX_COMPRESSION_RATIO = 100
#: Members up to this uncompressed size (10 MB) are not checked for their ratio.
RATIO_CHECKED_ABOVE = 10 * 1024**2
#: Most members (files) in a workbook's zip.
MAX_MEMBER_COUNT = 10_000
#: Last row of a sheet that may hold data (Excel's own limit is 1,048,576).
MAX_ROWS = 200_000
#: What a file given as .xlsx must be; every refusal of a non-workbook says it.
EXPECTED_WORKBOOK = "an Excel workbook (.xlsx) saved by Excel/LibreOffice"

Block = tuple[str, int, list[str], list[tuple[int, list]]]

_MAIN = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # Strict Open XML
)
_ROW, _CELL, _VALUE, _FORMULA, _INLINE, _TEXT, _PHONETIC = range(7)
_SHEET_TAGS = {
    f"{ns} {local}": code
    for ns in _MAIN
    for local, code in (
        ("row", _ROW),
        ("c", _CELL),
        ("v", _VALUE),
        ("f", _FORMULA),
        ("is", _INLINE),
        ("t", _TEXT),
        ("rPh", _PHONETIC),
    )
}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# What zipfile raises for a member it cannot inflate: a bad CRC or header, a corrupt
# deflate stream, an offset beyond the file, a compression it does not know.
_BROKEN_MEMBER = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)
_CHUNK = 1 << 18
_MAX_COLUMN = 16_384  # XFD, Excel's last column
_HEADER_KEYS = {"unit_code", "indicator", "source_id"}
# Quoted text, escaped characters, [colour]/[$-locale] tags, _ padding and * fill
# of a number format: a % there is a literal sign, not a percentage.
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_EXCEL_DIGITS = Context(prec=15)  # Excel keeps 15 significant digits of a number
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")  # ECMA-376 ST_Xstring: _x000D_ is a CR
_SAVE_AS = "open it in Excel or LibreOffice and save it as 'Excel Workbook (.xlsx)'"
_DAMAGED = (
    f"{EXPECTED_WORKBOOK}; the file is damaged or incomplete: copy or download it again, "
    "or open it in Excel (which offers to repair it) and save it"
)


class UncomputedFormula:
    """A formula cell whose result the file does not hold, or cannot be trusted for.

    :meth:`XlsxReader.rows` gives one in place of a value; :func:`observation_blocks`
    reports those in the cells it reads.

    Examples
    --------
    >>> UncomputedFormula("=B2*100", "C2")
    UncomputedFormula('=B2*100', 'C2')
    """

    __slots__ = ("cell", "formula")

    def __init__(self, formula: str, cell: str):
        self.formula = formula
        self.cell = cell

    def __repr__(self) -> str:
        return f"UncomputedFormula({self.formula!r}, {self.cell!r})"


def _refusal(
    file: str, value: str, expected: str, sheet: str = "", row: int = 0, column: str = ""
) -> DataValidationError:
    return DataValidationError(
        pd.DataFrame([[file, sheet, row, column, value, expected]], columns=PROBLEM_COLUMNS)
    )


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _letters(column: int) -> str:
    out = ""
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out


def _is_percent(code: str) -> bool:
    return "%" in _FORMAT_LITERALS.sub("", code)


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text


def _number(text: str) -> int | float | None:
    """The number a numeric cell stores, as openpyxl gives it (int or float)."""
    try:
        if "." in text or "e" in text or "E" in text:
            number = float(text)
            return number if math.isfinite(number) else None
        return int(text)
    except ValueError:
        return None


def _percent(text: str, number: int | float) -> int | float:
    # Scale the stored decimal text, not the float (0.958 gives 95.8, not 95.80000000000001),
    # kept to Excel's 15 significant digits: openpyxl writes 0.009 as 0.008999999999999999.
    scaled = _EXCEL_DIGITS.create_decimal(text.strip()).scaleb(2)
    return int(scaled) if isinstance(number, int) else float(scaled)


def _describe_other(path: Path, head: bytes) -> tuple[str, str]:
    """What a file that is no zip archive is, and what to do about it."""
    if not head:
        return "an empty file (0 bytes)", (
            f"{EXPECTED_WORKBOOK}; this file is empty: was it saved or copied completely?"
        )
    if path.name.startswith("~$"):
        return "Excel's lock file", (
            f"{EXPECTED_WORKBOOK}, not the '~$' file Excel keeps beside a workbook while it "
            "is open: read the workbook without the '~$'"
        )
    if head.startswith(_OLE2):
        with path.open("rb") as stream:
            sample = stream.read(1 << 20)
        names = {n: n.encode("utf-16-le") in sample for n in ("EncryptionInfo", "Workbook")}
        if names["EncryptionInfo"]:
            return "a password-protected (encrypted) workbook", (
                f"{EXPECTED_WORKBOOK} without a password: open it, remove the password "
                "(File > Info > Protect Workbook) and save it"
            )
        kind = "an old binary Excel file (.xls)" if names["Workbook"] else "an old Office file"
        return f"{kind} (OLE2 compound document), renamed", f"{EXPECTED_WORKBOOK}; {_SAVE_AS}"
    if head.startswith(b"%PDF"):
        return "a PDF file", f"{EXPECTED_WORKBOOK}; a PDF table has to be typed or converted"
    with path.open("rb") as stream:
        sample = stream.read(4096)
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "a UTF-16 text file (Excel's 'Unicode Text')", (
            f"{EXPECTED_WORKBOOK}; {_SAVE_AS}, or save it as 'CSV UTF-8' named .csv"
        )
    text = sample.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if "\x00" in text or text.count("\ufffd") > len(text) // 10:
        return f"a file of another kind (it starts with bytes {head.hex(' ')})", (
            f"{EXPECTED_WORKBOOK}"
        )
    if text.startswith("<"):
        low = text[:1000].lower()
        if "<html" in low or "<!doctype html" in low:
            kind = "an HTML page (web sites often export tables as HTML named .xls)"
        elif "urn:schemas-microsoft-com:office:spreadsheet" in low:
            kind = "an 'XML Spreadsheet 2003' file"
        else:
            kind = "an XML file"
        return kind, f"{EXPECTED_WORKBOOK}; {_SAVE_AS}"
    first = text.splitlines()[0][:40] if text.strip() else ""
    return f"a text file, not a workbook (it starts {first!r})", (
        f"{EXPECTED_WORKBOOK}; a CSV file must be named .csv"
    )


class XlsxReader:
    """An .xlsx or .xlsm workbook opened for reading its cell values.

    Opening checks what the file is and its zip directory against the limits
    of this module; :meth:`rows` streams one sheet. Use it as a context manager.

    Parameters
    ----------
    path : path-like
        The workbook.
    max_rows : int, optional
        Last row that may hold data; :data:`MAX_ROWS` by default.

    Attributes
    ----------
    sheets : list of str
        Worksheet names in workbook order (chart sheets are left out).
    recalc_on_load : bool
        The workbook asks to have every formula recomputed when it is opened
        (written by a program such as openpyxl or XlsxWriter, never saved by a
        spreadsheet), so the results it stores for formulas are not trusted.

    Raises
    ------
    DataValidationError
        The file is no workbook, is damaged, or exceeds a limit.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> book = openpyxl.Workbook()
    >>> book.active.append(["year", 2020])
    >>> book.active.append(["total", "=B1*2"])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "b.xlsx"
    >>> book.save(path)
    >>> with XlsxReader(path) as xlsx:
    ...     list(xlsx.rows(xlsx.sheets[0]))
    [(1, [(1, 'year'), (2, 2020)]), (2, [(1, 'total'), (2, UncomputedFormula('=B1*2', 'B2'))])]
    """

    def __init__(self, path: str | Path, *, max_rows: int | None = None):
        self.path = Path(path)
        self.file = str(path)
        self.max_rows = MAX_ROWS if max_rows is None else max_rows
        self._zip = self._open_zip()
        try:
            self._read_workbook()
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> XlsxReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._zip.close()

    # --- the container ------------------------------------------------------------

    def _open_zip(self) -> zipfile.ZipFile:
        with self.path.open("rb") as stream:
            head = stream.read(8)
        if not head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
            raise _refusal(self.file, *_describe_other(self.path, head))
        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
            what = f"a damaged or incomplete zip archive ({exc})"
            raise _refusal(self.file, what, _DAMAGED) from None
        try:
            self._check_directory(archive.infolist())
        except BaseException:
            archive.close()
            raise
        # Member names as Excel looks them up: case-insensitively.
        self._names = {n.replace("\\", "/").casefold(): n for n in archive.namelist()}
        return archive

    def _check_directory(self, infos: list[zipfile.ZipInfo]) -> None:
        """Refuse a zip bomb from the sizes the directory declares, before inflating."""
        if len(infos) > MAX_MEMBER_COUNT:
            raise _refusal(
                self.file,
                f"a zip archive of {len(infos):,} members",
                f"{EXPECTED_WORKBOOK}, with at most {MAX_MEMBER_COUNT:,} members "
                "(learningcity.excel.MAX_MEMBER_COUNT)",
            )
        total = sum(i.file_size for i in infos)
        if total > MAX_UNCOMPRESSED_BYTES:
            big = max(infos, key=lambda i: i.file_size)
            raise _refusal(
                self.file,
                f"{_size(total)} uncompressed (from {_size(self.path.stat().st_size)}; "
                f"largest member {big.filename}, {_size(big.file_size)})",
                f"{EXPECTED_WORKBOOK} of at most {_size(MAX_UNCOMPRESSED_BYTES)} uncompressed "
                "(learningcity.excel.MAX_UNCOMPRESSED_BYTES); refused before decompressing, "
                "as it may be a zip bomb: split genuine data this large into CSV files",
            )
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > RATIO_CHECKED_ABOVE and ratio > MAX_COMPRESSION_RATIO:
                raise _refusal(
                    self.file,
                    f"{info.filename} expands {_size(info.compress_size)} to "
                    f"{_size(info.file_size)} ({ratio:,.0f} times)",
                    f"{EXPECTED_WORKBOOK}: members above {_size(RATIO_CHECKED_ABOVE)} "
                    f"compressed at most {MAX_COMPRESSION_RATIO} times "
                    "(learningcity.excel.MAX_COMPRESSION_RATIO; sheets of data compress 5 to "
                    "20 times); refused before decompressing, as it may be a zip bomb",
                )
            if info.flag_bits & 0x1:
                raise _refusal(
                    self.file,
                    f"a zip archive with password-protected members ({info.filename})",
                    f"{EXPECTED_WORKBOOK} without a password",
                )
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _refusal(
                    self.file,
                    f"a zip archive compressed with method {info.compress_type} "
                    f"({info.filename}), which Excel does not use",
                    f"{EXPECTED_WORKBOOK}; {_SAVE_AS}",
                )

    def _member(self, name: str) -> str | None:
        return self._names.get(name.casefold()) if name else None

    def _feed(
        self,
        member: str,
        start: Callable | None = None,
        end: Callable | None = None,
        text: Callable | None = None,
        sheet: str = "",
    ) -> Iterator[None]:
        """Parse one XML member, yielding after each chunk (DTDs refused, errors reported)."""
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.buffer_size = _CHUNK

        def no_dtd(*_):
            # Office files never declare a DTD; one can only serve entity expansion.
            raise _refusal(
                self.file,
                f"a document type declaration (<!DOCTYPE>) in {member}",
                f"{EXPECTED_WORKBOOK}; Excel never writes one (it could expand entities)",
                sheet,
            )

        parser.StartDoctypeDeclHandler = no_dtd
        parser.EntityDeclHandler = no_dtd
        if start:
            parser.StartElementHandler = start
        if end:
            parser.EndElementHandler = end
        if text:
            parser.CharacterDataHandler = text
        try:
            with self._zip.open(member) as stream:
                while chunk := stream.read(_CHUNK):
                    parser.Parse(chunk, False)
                    yield
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise _refusal(
                self.file,
                f"damaged XML in {member} ({expat.ErrorString(exc.code)})",
                _DAMAGED,
                sheet,
            ) from None
        except _BROKEN_MEMBER as exc:
            raise self._damaged_member(member, exc, sheet) from None
        yield

    def _damaged_member(self, member: str, exc: Exception, sheet: str = "") -> DataValidationError:
        return _refusal(self.file, f"a damaged member {member} ({exc})", _DAMAGED, sheet)

    def _parse(self, member: str, start=None, end=None, text=None) -> None:
        for _ in self._feed(member, start, end, text):
            pass

    def _relationships(self, member: str, source_dir: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, member path) of one ``.rels`` part."""
        rels: dict[str, tuple[str, str]] = {}

        def start(name, attrs):
            local = name.rpartition(" ")[2]
            if local == "Relationship" and attrs.get("TargetMode") != "External":
                target = attrs.get("Target", "")
                if target.startswith("/"):
                    target = target[1:]
                else:
                    target = posixpath.normpath(posixpath.join(source_dir, target))
                rels[attrs.get("Id", "")] = (attrs.get("Type", ""), target)

        self._parse(member, start)
        return rels

    # --- the workbook ---------------------------------------------------------------

    def _not_a_workbook(self, value: str, expected: str | None = None) -> DataValidationError:
        return _refusal(self.file, value, expected or f"{EXPECTED_WORKBOOK}; {_SAVE_AS}")

    def _read_workbook(self) -> None:
        names = self._zip.namelist()
        root_rels = self._member("_rels/.rels")
        if root_rels is None:
            mimetype = self._member("mimetype")
            info = self._zip.getinfo(mimetype) if mimetype else None
            if info is not None and info.file_size < 200:
                try:
                    mime = self._zip.read(mimetype).decode("ascii", "replace").strip()
                except _BROKEN_MEMBER as exc:
                    raise self._damaged_member(mimetype, exc) from None
                if mime == "application/vnd.oasis.opendocument.spreadsheet":
                    raise self._not_a_workbook(
                        "an OpenDocument spreadsheet (.ods), renamed",
                        f"{EXPECTED_WORKBOOK}; in LibreOffice, use File > Save As > "
                        "'Excel 2007-365 (.xlsx)'",
                    )
                raise self._not_a_workbook(f"an OpenDocument file ({mime})")
            shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
            raise self._not_a_workbook(
                f"a zip archive of {len(names)} file(s) ({shown or 'empty'}), no workbook in it",
                EXPECTED_WORKBOOK,
            )
        rels = self._relationships(root_rels, "").values()
        office = [target for kind, target in rels if kind.endswith("/officeDocument")]
        part = self._member(office[0]) if office else None
        if part is None:
            raise _refusal(self.file, "a zip archive whose main part is missing", _DAMAGED)
        if part.endswith(".bin"):
            raise self._not_a_workbook("an Excel binary workbook (.xlsb), renamed")
        sheets: list[tuple[str, str]] = []
        flags = {"date1904": False, "recalc": False}
        root: list[str] = []

        def start(name, attrs):
            local = name.rpartition(" ")[2]
            if not root:
                root.append(local)
                if local != "workbook":
                    kinds = {"document": "a Word document", "presentation": "a PowerPoint file"}
                    kind = kinds.get(local, f"an Office file whose main part is <{local}>")
                    raise self._not_a_workbook(f"{kind}, renamed", EXPECTED_WORKBOOK)
            elif local == "sheet":
                rid = next((v for k, v in attrs.items() if k.endswith(" id")), "")
                sheets.append((attrs.get("name", ""), rid))
            elif local == "workbookPr":
                flags["date1904"] = attrs.get("date1904", "0") in ("1", "true")
            elif local == "calcPr":
                flags["recalc"] = attrs.get("fullCalcOnLoad", "0") in ("1", "true")

        self._parse(part, start)
        folder, base = posixpath.split(part)
        part_rels = self._member(posixpath.join(folder, "_rels", base + ".rels"))
        rels = self._relationships(part_rels, folder) if part_rels else {}
        self.recalc_on_load = flags["recalc"]
        self._epoch = MAC_EPOCH if flags["date1904"] else WINDOWS_EPOCH
        self._worksheets: dict[str, str] = {}
        for title, rid in sheets:
            kind, target = rels.get(rid, ("", ""))
            if kind and not kind.endswith("/worksheet"):
                continue  # a chart sheet, dialog or macro sheet: no cells
            member = self._member(target) if target else None
            if member is None:
                raise _refusal(self.file, f"sheet {title!r} has no data part", _DAMAGED, title)
            self._worksheets.setdefault(title, member)
        self.sheets = list(self._worksheets)
        by_kind = {kind.rpartition("/")[2]: target for kind, target in rels.values()}
        styles = self._member(by_kind.get("styles", ""))
        self._styles = self._read_styles(styles) if styles else {}
        strings = self._member(by_kind.get("sharedStrings", ""))
        self._strings = self._read_strings(strings) if strings else []

    def _read_styles(self, member: str) -> dict[str, str]:
        """Cell style index (as written in ``s``) -> "%", "d" (date) or "t" (duration)."""
        custom: dict[int, str] = {}
        styles: list[int] = []
        where: list[str] = []

        def start(name, attrs):
            local = name.rpartition(" ")[2]
            where.append(local)
            parent = where[-2] if len(where) > 1 else ""
            try:
                if local == "numFmt" and parent == "numFmts":
                    custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
                elif local == "xf" and parent == "cellXfs":
                    styles.append(int(attrs.get("numFmtId", "0")))
            except ValueError:
                raise _refusal(self.file, f"a damaged style in {member}", _DAMAGED) from None

        self._parse(member, start, lambda name: where.pop())
        kinds = {}
        for index, fmt_id in enumerate(styles):
            code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, "General"))
            if is_date_format(code):
                kinds[str(index)] = "t" if is_timedelta_format(code) else "d"
            elif _is_percent(code):
                kinds[str(index)] = "%"
        return kinds

    def _read_strings(self, member: str) -> list[str]:
        """The shared strings: plain and rich text, phonetic guides left out."""
        strings: list[str] = []
        # Text is gathered in lists: joining once stays linear for a string of many runs.
        state: dict = {"text": None, "item": None, "phonetic": 0}

        def start(name, attrs):
            local = name.rpartition(" ")[2]
            if local == "si":
                state["item"] = []
            elif local == "rPh":
                state["phonetic"] += 1
            elif local == "t" and state["item"] is not None and not state["phonetic"]:
                state["text"] = state["item"]

        def end(name):
            local = name.rpartition(" ")[2]
            if local == "t":
                state["text"] = None
            elif local == "rPh":
                state["phonetic"] -= 1
            elif local == "si" and state["item"] is not None:
                strings.append(_unescape("".join(state["item"])))
                state["item"] = None

        def text(data):
            if state["text"] is not None:
                state["text"].append(data)

        self._parse(member, start, end, text)
        return strings

    # --- the cells ------------------------------------------------------------------

    def rows(self, sheet: str) -> Iterator[tuple[int, list[tuple[int, object]]]]:
        """Stream the rows of one sheet that hold a value.

        Parameters
        ----------
        sheet : str
            One of :attr:`sheets`.

        Yields
        ------
        (int, list of (int, object))
            The spreadsheet row number and its cells as (column number, value),
            empty cells left out. Values are str, int, float, bool, datetime,
            or :class:`UncomputedFormula`; numbers shown as percentages are
            scaled by 100.

        Raises
        ------
        DataValidationError
            Damaged XML, or data beyond row ``max_rows``.
        """
        member = self._worksheets[sheet]
        max_rows, strings, styles = self.max_rows, self._strings, self._styles
        recalc, epoch, tags = self.recalc_on_load, self._epoch, _SHEET_TAGS
        done: list[tuple[int, list]] = []
        columns: dict[str, int] = {}
        row = column = phonetic = 0
        cells: list = []
        kind = style = ref = ""
        value = formula = inline = collect = None

        def damaged(what: str) -> DataValidationError:
            cell = ref or f"{_letters(column)}{row}"
            return _refusal(self.file, f"{what} in cell {cell}", _DAMAGED, sheet, row)

        def column_of(ref: str) -> int:
            letters = ref.rstrip("0123456789")
            number = columns.get(letters)
            if number is None:
                number = 0
                for ch in letters.upper():
                    if not "A" <= ch <= "Z":
                        raise damaged(f"a bad cell reference {ref!r}")
                    number = number * 26 + ord(ch) - 64
                if not 0 < number <= _MAX_COLUMN:
                    raise damaged(f"a bad cell reference {ref!r}")
                columns[letters] = number
            return number

        def convert(text: str) -> object:
            if kind == "s":
                index = _number(text)
                if isinstance(index, int) and 0 <= index < len(strings):
                    return strings[index]
                raise damaged(f"a missing shared string {text!r}")
            if kind == "n":
                number = _number(text)
                shown = styles.get(style)
                if number is None or shown is None:
                    return text if number is None else number
                if shown == "%":
                    return _percent(text, number)
                try:
                    return from_excel(number, epoch, timedelta=shown == "t")
                except (OverflowError, ValueError):
                    return number
            if kind == "b":
                return text.strip() in ("1", "true")
            if kind == "d":
                try:
                    return from_ISO8601(text)
                except ValueError:
                    return text
            return _unescape(text)  # "str" (a formula's text result) or "e" (#N/A, …)

        def start(name: str, attrs: dict) -> None:
            nonlocal row, column, kind, style, ref, value, formula, inline, collect, phonetic
            nonlocal cells
            tag = tags.get(name)
            if tag == _CELL:
                ref = attrs.get("r", "")
                column = column_of(ref) if ref else column + 1
                kind = attrs.get("t", "n")
                style = attrs.get("s", "0")
                value = formula = inline = None
            elif tag in (_VALUE, _FORMULA):
                collect = []  # pieces joined once, whatever the length of the text
            elif tag == _ROW:
                number = attrs.get("r")
                previous = row
                try:
                    row = int(number) if number else row + 1
                except ValueError:
                    row = 0
                if row < 1:
                    what = f"a bad row number {number!r} after row {previous}"
                    raise _refusal(self.file, what, _DAMAGED, sheet, previous)
                column = 0
                cells = []
            elif tag == _INLINE:
                inline = []
            elif tag == _TEXT:
                if inline is not None and not phonetic:
                    collect = inline
            elif tag == _PHONETIC:
                phonetic += 1

        def end(name: str) -> None:
            nonlocal value, formula, inline, collect, phonetic
            tag = tags.get(name)
            if tag == _CELL:
                # No result, or an empty one that is no text, or results the workbook
                # itself says are stale (XlsxWriter stores 0 for every formula).
                if formula is not None and (
                    recalc or value is None or (not value and kind != "str")
                ):
                    shown = ref or f"{_letters(column)}{row}"
                    written = "=" + formula if formula else "= (a shared formula)"
                    cells.append((column, UncomputedFormula(written, shown)))
                elif kind == "inlineStr":
                    if inline:
                        cells.append((column, _unescape("".join(inline))))
                elif value:
                    cells.append((column, convert(value)))
            elif tag == _VALUE:
                value, collect = "".join(collect), None
            elif tag == _FORMULA:
                formula, collect = "".join(collect), None
            elif tag == _ROW:
                if cells:
                    if row > max_rows:
                        raise _refusal(
                            self.file,
                            f"data on row {row:,}",
                            f"at most {max_rows:,} rows per sheet "
                            "(learningcity.excel.MAX_ROWS): split the data over several "
                            "sheets or files, or delete what lies below",
                            sheet,
                            row,
                        )
                    done.append((row, cells))
            elif tag == _TEXT:
                collect = None
            elif tag == _PHONETIC:
                phonetic -= 1

        def text(data: str) -> None:
            if collect is not None:
                collect.append(data)

        for _ in self._feed(member, start, end, text, sheet):
            if done:
                yield from done
                done.clear()


def _formula_problem(file: str, sheet: str, row: int, column: str, cell: UncomputedFormula):
    return [
        file,
        sheet,
        row,
        column,
        cell.formula,
        f"a value: cell {cell.cell} holds a formula whose result was never computed (the "
        "workbook was written by a program, not saved by a spreadsheet); open and save the "
        "file in Excel or LibreOffice, or type the value",
    ]


def observation_blocks(path: str | Path) -> tuple[list[Block], set[str]]:
    """The data sheets of a workbook as blocks for :func:`learningcity.data.read_observations`.

    A sheet is read from its header: the first of its first ten non-empty
    rows that names ``unit_code``, ``indicator`` or ``source_id``; sheets
    without one (README, notes) are skipped. A sheet named ``Sources``
    contributes its ``source_id`` values instead of observations.

    Parameters
    ----------
    path : path-like
        An .xlsx or .xlsm workbook.

    Returns
    -------
    blocks : list of (str, int, list of str, list of (int, list))
        For each data sheet: its name, the header's row number, the header
        (as text) and the non-empty rows below it as (row number, values),
        each cut to the header's width.
    sources : set of str
        The ``source_id`` values of the ``Sources`` sheet.

    Raises
    ------
    DataValidationError
        The file is no workbook or exceeds a limit of this module, or a cell
        read holds a formula whose result was never computed (each named by
        sheet, row and column).

    Examples
    --------
    >>> from learningcity.workbook import write_template
    >>> import tempfile, pathlib
    >>> blocks, sources = observation_blocks(
    ...     write_template(pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"))
    >>> [sheet for sheet, *_ in blocks][:2], "gso-census-2019" in sources
    (['Context', '1 Wider benefits'], True)
    """
    file = str(path)
    blocks: list[Block] = []
    sources: set[str] = set()
    problems: list[list] = []
    headers: dict[str, list[str] | None] = {}
    with XlsxReader(path) as book:
        for title in book.sheets:
            headers[title] = None
            rows = book.rows(title)
            header_row, header_cells, seen = 0, [], 0
            for row, cells in rows:
                if not any(_filled(v) for _, v in cells):
                    continue
                keys = {
                    _column_key(_cell_text(v))
                    for _, v in cells
                    if not isinstance(v, UncomputedFormula)
                }
                if keys & _HEADER_KEYS:
                    header_row, header_cells = row, cells
                    break
                seen += 1
                if seen == 10:
                    break
            if not header_row:
                rows.close()  # a sheet of notes: read no further
                continue
            width = max(c for c, _ in header_cells)
            header_values = _dense(header_cells, width)
            header = [
                "" if isinstance(v, UncomputedFormula) else _cell_text(v) for v in header_values
            ]
            headers[title] = header
            names = [h or _letters(i + 1) for i, h in enumerate(header)]
            keys = [_column_key(h) for h in header]
            # Of the Sources sheet only source_id is read; of a data sheet every column.
            is_sources = title.strip().casefold() == "sources" and "source_id" in keys
            only = keys.index("source_id") + 1 if is_sources else 0
            for c, v in _formulas(header_cells, width, only):
                problems.append(_formula_problem(file, title, header_row, names[c - 1], v))
            body = []
            for row, cells in rows:
                record = _dense(cells, width)
                if not any(_filled(v) for v in record):
                    continue
                for c, v in _formulas(cells, len(record), only):
                    problems.append(_formula_problem(file, title, row, names[c - 1], v))
                body.append((row, record))
            if only:
                k = only - 1
                sources |= {nfc(str(r[k])) for _, r in body if k < len(r) and r[k] is not None}
                continue
            blocks.append((title, header_row, header, body))
    # A workbook of `learningcity template` must keep its sheets and columns.
    problems += structure_problems(file, headers)
    if problems:
        raise DataValidationError(pd.DataFrame(problems, columns=PROBLEM_COLUMNS))
    return blocks, sources


def _formulas(cells: list, top: int, only: int) -> Iterator[tuple[int, UncomputedFormula]]:
    """The uncomputed formulas among cells read: columns up to ``top`` (or only ``only``)."""
    for c, v in cells:
        if type(v) is UncomputedFormula and c <= top and only in (0, c):
            yield c, v


def _filled(value: object) -> bool:
    return value is not None and bool(str(value).strip())


def _dense(cells: list[tuple[int, object]], width: int) -> list:
    """Cells as a list by column, up to the last filled one within ``width``."""
    top = min(width, max(c for c, _ in cells))
    record: list = [None] * top
    for c, v in cells:
        if c <= top:
            record[c - 1] = v
    return record
