"""Reading the first sheet of an uploaded XLSX workbook as rows of text, within fixed limits.

An XLSX file is a zip of XML parts, so a small upload can claim a great deal: a dimension of
A1:XFD1048576 (openpyxl would pad every row to 16,384 cells and add a million empty rows), a
part that unpacks to gigabytes (a zip bomb), cells far apart. The limits here follow the data that
is actually present: the declared dimension is ignored, the unpacked size of the parts is capped
before anything is parsed (zipfile refuses to unpack a part beyond its declared size), and rows and
columns are counted as they are read.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from ladeportal.errors import ValidationFailed

MAX_PARTS = 1_000
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# Old Excel workbooks (.xls) and password-protected XLSX files are OLE compound documents.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NOT_XLSX = "The file is not a valid XLSX workbook; save it again from Excel, or upload CSV."
_DAMAGED = "The XLSX workbook could not be read (it may be damaged); save it again from Excel, or upload CSV."


def xlsx_grid(content: bytes, max_lines: int, max_columns: int) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) for every row of the first sheet up to `max_lines`; more is a ValidationFailed."""
    if content.startswith(_OLE_MAGIC):
        raise ValidationFailed(
            "The workbook is password-protected or in the old .xls format; save it as an XLSX workbook "
            "without a password, or as CSV.",
            field="file",
            code="import.xlsx_old_or_protected",
        )
    _check_archive(content)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    except Exception:  # a damaged file fails in many ways inside openpyxl (zip, XML, styles, types)
        raise ValidationFailed(_NOT_XLSX, field="file", code="import.not_xlsx") from None
    try:
        if not workbook.worksheets:
            raise ValidationFailed("The workbook has no sheet.", field="file", code="import.no_sheet")
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # the dimension the file declares is not trusted
        rows = sheet.iter_rows(values_only=True)
        line = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception:  # broken XML, bad shared-string indices, dates out of range, ...
                raise ValidationFailed(_DAMAGED, field="file", code="import.xlsx_damaged") from None
            line += 1
            if line > max_lines:
                raise ValidationFailed(
                    f"The sheet has more than {max_lines} rows; split the file.",
                    field="file",
                    code="import.sheet_too_long",
                    params={"limit": max_lines},
                )
            yield line, _cells(values, line, max_columns)
    finally:
        workbook.close()


def _check_archive(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise ValidationFailed(_NOT_XLSX, field="file", code="import.not_xlsx") from None
    if len(parts) > MAX_PARTS:
        raise ValidationFailed(_NOT_XLSX, field="file", code="import.not_xlsx")
    if any(part.flag_bits & 0x1 for part in parts):
        raise ValidationFailed(
            "The workbook is password-protected; save it without a password.", field="file", code="import.xlsx_password"
        )
    if sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
        raise ValidationFailed(
            f"The workbook is larger than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB unpacked; split the file.",
            field="file",
            code="import.xlsx_too_large",
            params={"megabytes": MAX_UNPACKED_BYTES // (1024 * 1024)},
        )


def _cells(values: tuple[object, ...], line: int, max_columns: int) -> list[str]:
    width = len(values)
    while width and values[width - 1] is None:
        width -= 1
    if width > max_columns:
        raise ValidationFailed(
            f"Row {line} has more than {max_columns} columns.",
            field="file",
            code="import.sheet_row_too_wide",
            params={"line": line, "limit": max_columns},
        )
    return [_text(v) for v in values[:width]]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        # A phone number typed into Excel is stored as the number 91234567.0.
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)
