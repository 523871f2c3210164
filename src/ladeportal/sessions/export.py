"""The filtered sessions list as CSV or XLSX, in the reader's language.

Amounts and energy are numbers (the currency in its own column) so a spreadsheet can sum them; times are
local to each session's site, with the zone in its own column. Rows are read in batches; an export
larger than MAX_ROWS is refused with a request to narrow the filter, which bounds the memory it takes.
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.errors import ValidationFailed
from ladeportal.i18n import N_, translations
from ladeportal.sessions.filters import SessionFilter
from ladeportal.sessions.labels import FLAG_LABELS, STATE_LABELS, state_of
from ladeportal.sessions.listing import SessionRow, count_sessions, iter_sessions

FORMATS = ("csv", "xlsx")
MAX_ROWS = 100_000
HEADERS = {
    "nb": (
        "Økt",
        "Start",
        "Slutt",
        "Tidssone",
        "Varighet (min)",
        "Anlegg",
        "Lader",
        "Kontakt",
        "Person",
        "Gruppe",
        "Energi (kWh)",
        "Beløp",
        "Valuta",
        "Status",
        "Merknader",
    ),
    "en": (
        "Session",
        "Start",
        "End",
        "Time zone",
        "Duration (min)",
        "Site",
        "Charger",
        "Connector",
        "Person",
        "Group",
        "Energy (kWh)",
        "Amount",
        "Currency",
        "State",
        "Flags",
    ),
}
SHEET_TITLE = {"nb": "Ladeøkter", "en": "Charging sessions"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    # A name that starts like a formula would run as one in a spreadsheet (CSV injection).
    return "'" + value if value.startswith(_FORMULA_START) else value


def _values(row: SessionRow, language: str) -> list[object]:
    translate = translations(language).gettext
    zone = ZoneInfo(row.time_zone)
    stopped = row.stopped_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if row.stopped_at else ""
    minutes = int(row.duration().total_seconds() // 60) if row.stopped_at else None
    flags = row.flags
    return [
        row.id,
        row.started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        stopped,
        row.time_zone,
        minutes,
        _text(row.site_name),
        _text(row.charger_name),
        row.connector_number,
        _text(row.person),
        _text(row.group_name or ""),
        Decimal(row.energy_wh).scaleb(-3),
        Decimal(row.cost_minor).scaleb(-2) if row.cost_minor is not None else None,
        row.currency or "",
        translate(STATE_LABELS[state_of(row.running, flags)]),
        "; ".join(translate(FLAG_LABELS.get(code, code)) for code in flags),
    ]


def _csv_number(value: object, language: str) -> object:
    # Norwegian spreadsheets read "12,5" as a number and "12.5" as text.
    if isinstance(value, Decimal):
        text = f"{value:f}"
        return text.replace(".", ",") if language == "nb" else text
    return "" if value is None else value


def _write_csv(headers: Sequence[str], rows: list[list[object]], language: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_number(v, language) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _write_xlsx(headers: Sequence[str], rows: list[list[object]], title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def export_sessions(
    session: AsyncSession,
    org_id: uuid.UUID,
    flt: SessionFilter,
    time_zone: str,
    fmt: str,
    language: str,
) -> bytes:
    if fmt not in FORMATS:
        raise ValidationFailed(N_("Export as CSV or XLSX."), field="format", code="sessions.export_format")
    if await count_sessions(session, org_id, flt, time_zone) > MAX_ROWS:
        raise ValidationFailed(
            N_("Too many sessions for one file: choose a shorter period."),
            field="since",
            code="sessions.export_too_many",
        )
    language = language if language in HEADERS else "nb"
    rows = [_values(row, language) async for row in iter_sessions(session, org_id, flt, time_zone)]
    if fmt == "csv":
        return _write_csv(HEADERS[language], rows, language)
    # Building a large workbook takes seconds of CPU: off the event loop that also serves the chargers.
    return await asyncio.to_thread(_write_xlsx, HEADERS[language], rows, SHEET_TITLE[language])
