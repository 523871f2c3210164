"""Small spreadsheets for the import tests, and ways to damage them."""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable, Sequence

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"


def xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rewrite(content: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    """A copy of the zip with each part passed through `change` (None leaves the part out)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = change(info.filename, source.read(info))
            if data is not None:
                target.writestr(info.filename, data)
    return out.getvalue()


def replace_in(part: str, old: bytes, new: bytes) -> Callable[[str, bytes], bytes | None]:
    def change(name: str, data: bytes) -> bytes | None:
        if name != part:
            return data
        assert old in data, (part, old, data[:500])
        return data.replace(old, new, 1)

    return change


def damaged(content: bytes, seed: int) -> bytes:
    """A deterministic corruption: flipped bytes, a cut, or a zeroed stretch."""
    rng = random.Random(seed)
    data = bytearray(content)
    kind = seed % 3
    if kind == 0:
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == 1:
        del data[rng.randrange(1, len(data)) :]
    else:
        start = rng.randrange(len(data))
        data[start : start + rng.randint(1, 64)] = bytes(min(64, len(data) - start))
    return bytes(data)


def regex_in(part: str, pattern: bytes, new: bytes) -> Callable[[str, bytes], bytes | None]:
    def change(name: str, data: bytes) -> bytes | None:
        if name != part:
            return data
        changed, count = re.subn(pattern, new, data, count=1)
        assert count == 1, (part, pattern)
        return changed

    return change
