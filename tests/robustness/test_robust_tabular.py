"""Uploaded sheets are read within limits that follow the data actually present, and every damaged
or hostile file ends in a clear validation error, never in an unhandled exception."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ladeportal.errors import ValidationFailed
from ladeportal.members import tabular
from ladeportal.members.member_import import MEMBER_COLUMNS
from ladeportal.members.tabular import MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS, Table, load_table, read_table
from ladeportal.members.tag_import import TAG_COLUMNS, parse_expiry
from ladeportal.members.xlsx_grid import MAX_UNPACKED_BYTES
from tests.robustness.spreadsheets import SHEET, regex_in, replace_in, rewrite, xlsx

ROWS: list[list[object]] = [["Mobil", "Navn"], ["91234567", "Kari"], ["92345678", "Ola"]]


def read(content: bytes, filename: str = "members.xlsx") -> Table:
    return read_table(content, filename, MEMBER_COLUMNS, required=("phone",))


def test_a_declared_dimension_of_the_whole_sheet_allocates_nothing(tmp_path: Path) -> None:
    # Every row declared 16,384 columns wide by a file of a few hundred KB; read where memory is
    # capped, so a reader that trusts the declaration fails instead of taking the machine down.
    rows = [["Mobil", "Navn"]] + [[f"9{i:07d}", "Kari"] for i in range(10_000)]
    content = rewrite(
        xlsx(rows), replace_in(SHEET, b'<dimension ref="A1:B10001" />', b'<dimension ref="A1:XFD1048576" />')
    )
    assert len(content) < 1_000_000
    path = tmp_path / "declared.xlsx"
    path.write_bytes(content)
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1024 * 1024 * 1024,) * 2)\n"
        "from ladeportal.members.member_import import MEMBER_COLUMNS\n"
        "from ladeportal.members.tabular import read_table\n"
        f"table = read_table(open({str(path)!r}, 'rb').read(), 'x.xlsx', MEMBER_COLUMNS, ('phone',))\n"
        "print(len(table.rows), table.rows[-1].values['phone'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "10000 90009999"


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    padding = b" " * (MAX_UNPACKED_BYTES + 1)
    content = rewrite(xlsx(ROWS), replace_in(SHEET, b"<sheetData>", padding + b"<sheetData>"))
    assert len(content) < 1_000_000
    with pytest.raises(ValidationFailed, match="unpacked") as caught:
        read(content)
    assert caught.value.field == "file"


BROKEN_XLSX = {
    "not a zip": lambda: b"PK\x03\x04" + b"\x00garbage" * 50,
    "broken sheet XML": lambda: rewrite(xlsx(ROWS), replace_in(SHEET, b"</sheetData>", b"<row><c></sheetData>")),
    "sheet part missing": lambda: rewrite(xlsx(ROWS), lambda name, data: None if name == SHEET else data),
    "no sheet in the workbook": lambda: rewrite(
        xlsx(ROWS),
        replace_in("xl/workbook.xml", b'<sheet name="Sheet" sheetId="1" state="visible" r:id="rId1" />', b""),
    ),
    "bad shared string index": lambda: rewrite(
        xlsx([["Mobil"], ["x"]]), regex_in(SHEET, rb'<c r="A2"[^>]*>.*?</c>', b'<c r="A2" t="s"><v>99999</v></c>')
    ),
    "password-protected (OLE container)": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000,
    "encrypted zip entry": lambda: _flag_encrypted(xlsx(ROWS)),
}


def _flag_encrypted(content: bytes) -> bytes:
    data = bytearray(content)
    offset = 0
    while (offset := data.find(b"PK\x01\x02", offset)) >= 0:  # central directory entries
        data[offset + 8] |= 1
        offset += 4
    return bytes(data)


@pytest.mark.parametrize("case", list(BROKEN_XLSX))
def test_a_damaged_workbook_is_a_validation_error(case: str) -> None:
    content = BROKEN_XLSX[case]()
    with pytest.raises(ValidationFailed) as caught:
        read(content)
    assert caught.value.field == "file" and caught.value.message


def test_a_date_beyond_the_calendar_is_read_as_a_value_the_row_check_refuses() -> None:
    content = rewrite(
        xlsx([["RFID", "Mobil", "Utløper"], ["04A1B2C3", "91234567", dt.datetime(2026, 1, 1)]]),
        regex_in(SHEET, rb'(<c r="C2"[^>]*><v>)[^<]*', rb"\g<1>1e20"),
    )
    with pytest.warns(UserWarning, match="outside the limits for dates"):
        table = read_table(content, "tags.xlsx", TAG_COLUMNS, ("uid",))
    assert table.rows[0].values["expiry"] == "#VALUE!"
    with pytest.raises(ValidationFailed) as caught:
        parse_expiry(table.rows[0].values["expiry"], ZoneInfo("Europe/Oslo"))
    assert caught.value.field == "expiry"


def test_rows_columns_and_cells_are_limited_by_what_is_there() -> None:
    header = "mobil;navn\n"
    too_many_rows = (header + "91234567;Kari\n" * (MAX_ROWS + 1)).encode()
    with pytest.raises(ValidationFailed, match=f"more than {MAX_ROWS} rows"):
        read(too_many_rows, "big.csv")
    wide = (header + "91234567;Kari" + ";" * MAX_COLUMNS + "\n").encode()
    with pytest.raises(ValidationFailed, match=f"Line 2 has more than {MAX_COLUMNS} columns"):
        read(wide, "wide.csv")
    wide_xlsx = xlsx([["Mobil", "Navn"], ["91234567", "Kari", *([None] * MAX_COLUMNS), "far away"]])
    with pytest.raises(ValidationFailed, match=f"Row 2 has more than {MAX_COLUMNS} columns"):
        read(wide_xlsx)
    long_cell = (header + "91234567;" + "K" * (MAX_CELL_CHARS + 1) + "\n92345678;Ola\n").encode()
    table = read(long_cell, "long.csv")
    assert [r.problem for r in table.rows] == [f"name: longer than {MAX_CELL_CHARS} characters", None]


def test_text_in_a_damaged_encoding_is_a_validation_error() -> None:
    for content in (b"\xff\xfem\x00o\x00b", b"\xef\xbb\xbfmobil\n\xff\xfe\xfa"):
        with pytest.raises(ValidationFailed, match="encoding"):
            read(content, "members.csv")


async def test_parsing_runs_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []
    original = tabular.read_table

    def recording(*args: object) -> Table:
        threads.append(threading.get_ident())
        return original(*args)

    monkeypatch.setattr(tabular, "read_table", recording)
    table = await load_table(b"uid\n04A1B2C3\n", "tags.csv", TAG_COLUMNS, ("uid",))
    assert [r.values["uid"] for r in table.rows] == ["04A1B2C3"]
    assert threads and threads[0] != threading.get_ident()
    assert asyncio.get_running_loop().is_running()


def test_a_valid_workbook_still_reads_with_its_dates() -> None:
    content = xlsx([["RFID", "Mobil", "Utløper"], ["04a1b2c3", 91234567.0, dt.datetime(2026, 12, 31)]])
    table = read_table(content, "tags.xlsx", TAG_COLUMNS, ("uid",))
    assert table.rows[0].values == {"uid": "04a1b2c3", "phone": "91234567", "expiry": "2026-12-31T00:00:00"}
    assert zipfile.is_zipfile(__import__("io").BytesIO(content))


def test_an_imported_expiry_at_the_end_of_the_calendar_is_a_row_error() -> None:
    for text in ("31.12.9999", "9999-12-31", "9999-12-31T23:00:00-05:00"):
        with pytest.raises(ValidationFailed) as caught:
            parse_expiry(text, ZoneInfo("Europe/Oslo"))
        assert caught.value.field == "expiry", text
