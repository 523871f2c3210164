"""Spreadsheets in and out: CSV (as Excel writes it in Norway and Sweden) and XLSX.

Reading maps the header row onto field names through aliases (Norwegian, Swedish and English
spellings), so a file from the old platform, Excel or Google Sheets is accepted as it is. Writing
produces what Excel opens correctly: UTF-8 with BOM and ';' separators, or XLSX with text cells.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.errors import ValidationFailed
from ladeportal.members.xlsx_grid import xlsx_grid

MAX_BYTES = 20 * 1024 * 1024
# Far above any housing cooperative's member or tag list, far below what would tie up a web process.
MAX_ROWS = 50_000
MAX_LINES = 2 * MAX_ROWS  # blank lines included
MAX_COLUMNS = 200
MAX_CELL_CHARS = 1_000
_FORMULA_START = ("=", "@", "\t", "\r")


@dataclass(frozen=True)
class TableRow:
    line: int
    values: dict[str, str]
    problem: str | None = None
    # The problem's code and values, so that a page shows it in the reader's language.
    problem_code: str | None = None
    problem_params: dict[str, Any] | None = None


@dataclass(frozen=True)
class Table:
    fields: list[str]
    rows: list[TableRow]
    ignored_columns: list[str]


def header_key(text: str) -> str:
    """'E-post *' -> 'e post'; the same folding is applied to aliases."""
    folded = text.replace("\ufeff", "").strip().lower().rstrip(":*").strip()
    return re.sub(r"[\s_\-./]+", " ", folded).strip()


async def load_table(
    content: bytes, filename: str, aliases: dict[str, Sequence[str]], required: Sequence[str]
) -> Table:
    """`read_table` in a worker thread: parsing a large sheet must not hold up the event loop, which
    also serves the portal, the API and the chargers."""
    return await asyncio.to_thread(read_table, content, filename, aliases, required)


def read_table(content: bytes, filename: str, aliases: dict[str, Sequence[str]], required: Sequence[str]) -> Table:
    if len(content) > MAX_BYTES:
        raise ValidationFailed("The file is larger than 20 MB.", field="file", code="import.file_too_large")
    if not content.strip():
        raise ValidationFailed("The file is empty.", field="file", code="import.file_empty")
    name = (filename or "").lower()
    if name.endswith((".xlsx", ".xlsm")) or content.startswith(b"PK\x03\x04"):
        grid: Iterable[tuple[int, list[str]]] = xlsx_grid(content, MAX_LINES, MAX_COLUMNS)
    elif name.endswith((".xls", ".ods", ".numbers")):
        raise ValidationFailed(
            "Save the sheet as CSV or XLSX (Excel workbook) and upload it again.",
            field="file",
            code="import.format_unsupported",
        )
    else:
        grid = _csv_rows(content)
    return _map_columns(grid, aliases, required)


def _map_columns(
    grid: Iterable[tuple[int, list[str]]], aliases: dict[str, Sequence[str]], required: Sequence[str]
) -> Table:
    lookup = {header_key(alias): field for field, names in aliases.items() for alias in (field, *names)}
    rows_iter = iter(grid)
    header: list[str] | None = None
    for _line, cells in rows_iter:
        if any(c.strip() for c in cells):
            header = cells
            break
    if header is None:
        raise ValidationFailed("The file has no header row.", field="file", code="import.no_header")
    positions: dict[int, str] = {}
    ignored: list[str] = []
    for index, title in enumerate(header):
        field = lookup.get(header_key(title[:MAX_CELL_CHARS]))
        if field is None:
            if title.strip():
                ignored.append(title.strip()[:80])
            continue
        if field in positions.values():
            raise ValidationFailed(
                f"Two columns mean the same thing ({field}): keep one of them.",
                field="file",
                code="import.duplicate_column",
                params={"column": field},
            )
        positions[index] = field
    missing = [f for f in required if f not in positions.values()]
    if missing:
        expected = "; ".join(f"{f}: {', '.join((f, *aliases[f]))}" for f in missing)
        raise ValidationFailed(
            f"Missing column(s) {', '.join(missing)}. Accepted headers: {expected}.",
            field="file",
            code="import.missing_columns",
            params={"columns": ", ".join(missing), "accepted": expected},
        )
    rows: list[TableRow] = []
    for line, cells in rows_iter:
        if not any(c.strip() for c in cells):
            continue
        if len(rows) == MAX_ROWS:
            raise ValidationFailed(
                f"The file has more than {MAX_ROWS} rows; split it into smaller files.",
                field="file",
                code="import.too_many_rows",
                params={"limit": MAX_ROWS},
            )
        values = {field: _unescape(cells[i].strip()) if i < len(cells) else "" for i, field in positions.items()}
        rows.append(TableRow(line, values, *_row_problem(cells, len(header), values)))
    return Table(list(positions.values()), rows, ignored)


def _row_problem(cells: list[str], width: int, values: dict[str, str]) -> tuple[str | None, str | None, dict[str, Any]]:
    """(message, code, params) of what is wrong with a row as read, or Nones."""
    if any(c.strip() for c in cells[width:]):
        return "more values than columns in the header", "import.row_too_wide", {}
    too_long = [name for name, value in values.items() if len(value) > MAX_CELL_CHARS]
    if too_long:
        return (
            f"{too_long[0]}: longer than {MAX_CELL_CHARS} characters",
            "import.cell_too_long",
            {"column": too_long[0], "limit": MAX_CELL_CHARS},
        )
    return None, None, {}


def expire_loaded(session: AsyncSession, classes: tuple[type, ...]) -> None:
    """Bulk UPDATEs by primary key bypass the identity map; expire what the session holds of those
    classes so the caller reads the new values (other objects, like the organisation, stay loaded)."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, classes):
            session.expire(obj)


def _unescape(value: str) -> str:
    # Our own export prefixes formula-like text with an apostrophe (see `_cell`); take it off again.
    if value.startswith("'") and value[1:2] in ("=", "@", "+", "-"):
        return value[1:]
    return value


def _decode(content: bytes) -> str:
    try:
        if content.startswith(b"\xef\xbb\xbf"):
            return content[3:].decode("utf-8", errors="strict")
        if content.startswith((b"\xff\xfe", b"\xfe\xff")):
            return content.decode("utf-16")  # Excel's "Unicode text"
    except UnicodeDecodeError:
        raise ValidationFailed(
            "The file's text encoding is damaged; save it again as CSV UTF-8.",
            field="file",
            code="import.encoding_damaged",
        ) from None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV (semicolon separated)" in the ANSI code page, cp1252 in the
        # Nordics; latin-1 decodes the few bytes cp1252 leaves undefined.
        try:
            return content.decode("cp1252")
        except UnicodeDecodeError:
            return content.decode("latin-1")


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(content)
    if "\x00" in text:
        raise ValidationFailed(
            "This is not a text (CSV) file; upload CSV or XLSX.", field="file", code="import.not_text"
        )
    first = next((line for line in text.splitlines() if line.strip()), "")
    # Norwegian Excel separates with ';' because ',' is the decimal mark; pick what the header uses.
    delimiter = max((";", ",", "\t"), key=first.count) if any(d in first for d in ";,\t") else ","
    _check_width(text, delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            if reader.line_num > MAX_LINES:
                raise ValidationFailed(
                    f"The file has more than {MAX_ROWS} rows; split it into smaller files.",
                    field="file",
                    code="import.too_many_rows",
                    params={"limit": MAX_ROWS},
                )
            yield reader.line_num, row
    except csv.Error as exc:
        raise ValidationFailed(
            f"The CSV file is malformed near line {reader.line_num}: {exc}.",
            field="file",
            code="import.csv_malformed",
            params={"line": reader.line_num, "problem": str(exc)},
        ) from None


def _check_width(text: str, delimiter: str) -> None:
    """Refuse a line with too many separators before the csv module turns it into a list of that many
    values (one line of 20 MB of ';' would be twenty million of them)."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.count(delimiter) >= MAX_COLUMNS:
            raise ValidationFailed(
                f"Line {number} has more than {MAX_COLUMNS} columns.",
                field="file",
                code="import.line_too_wide",
                params={"line": number, "limit": MAX_COLUMNS},
            )


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell that starts like a formula would run as one in Excel (CSV injection); phone numbers
    # (+47...) are left alone because they are plain numbers to Excel.
    if text.startswith(_FORMULA_START) or (text[:1] in ("+", "-") and not re.fullmatch(r"[+\-][\d ]+", text)):
        return "'" + text
    return text


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[object]], title: str = "Export") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(list(headers))
    for row in rows:
        sheet.append([_cell(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
