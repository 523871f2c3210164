"""A report as CSV (one table) or XLSX (every table on its own sheet), in the reader's language.

Energy in kWh and amounts in whole currency units are numbers, so a spreadsheet can sum them; the
currency has its own column. The workbook is built in a worker thread: openpyxl is CPU work that must not
hold up the event loop, which also serves the chargers.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from ladeportal.reports.report import Figures, Line, Report

TABLES = ("series", "site", "charger", "group", "member", "plan", "electricity", "invoicing")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

WORDS: dict[str, dict[str, str]] = {
    "nb": {
        "series": "Periode",
        "site": "Anlegg",
        "charger": "Lader",
        "group": "Gruppe",
        "member": "Person",
        "electricity": "Strøm",
        "plan": "Prisplan",
        "invoicing": "Fakturert",
        "invoices": "Fakturaer",
        "invoiced": "Fakturert inkl. mva",
        "paid": "Betalt",
        "credited": "Kreditert",
        "outstanding": "Utestående",
        "months": "Måneder",
        "not_by_filter": "Fakturaer gjelder person og måned, og vises uten filter på anlegg, lader eller gruppe.",
        "start": "Fra",
        "name": "Navn",
        "sessions": "Økter",
        "energy": "Energi (kWh)",
        "plugged": "Tilkoblet (timer)",
        "charging": "Lading (timer)",
        "gross": "Inntekt inkl. mva",
        "net": "Inntekt eks. mva",
        "vat": "Mva",
        "currency": "Valuta",
        "utilisation": "Belegg (%)",
        "bought": "Strømkostnad spot eks. mva",
        "unpriced": "Timer uten spotpris",
        "margin": "Margin eks. mva",
        "none": "(ingen)",
    },
    "en": {
        "series": "Period",
        "site": "Site",
        "charger": "Charger",
        "group": "Group",
        "member": "Person",
        "electricity": "Electricity",
        "plan": "Price plan",
        "invoicing": "Invoiced",
        "invoices": "Invoices",
        "invoiced": "Invoiced incl. VAT",
        "paid": "Paid",
        "credited": "Credited",
        "outstanding": "Outstanding",
        "months": "Months",
        "not_by_filter": (
            "Invoices are per person and month, so they are shown without a site, charger or group filter."
        ),
        "start": "From",
        "name": "Name",
        "sessions": "Sessions",
        "energy": "Energy (kWh)",
        "plugged": "Plugged in (hours)",
        "charging": "Charging (hours)",
        "gross": "Revenue incl. VAT",
        "net": "Revenue excl. VAT",
        "vat": "VAT",
        "currency": "Currency",
        "utilisation": "Utilisation (%)",
        "bought": "Electricity at spot price excl. VAT",
        "unpriced": "Hours without spot price",
        "margin": "Margin excl. VAT",
        "none": "(none)",
    },
}


def _text(value: str) -> str:
    # A name that starts like a formula would run as one in a spreadsheet (CSV injection).
    return "'" + value if value.startswith(_FORMULA_START) else value


def _kwh(wh: int) -> Decimal:
    return Decimal(wh) / 1000


def _units(minor: int) -> Decimal:
    return Decimal(minor) / 100


def _hours(seconds: int) -> Decimal:
    return (Decimal(seconds) / 3600).quantize(Decimal("0.01"))


def _figure_cells(f: Figures, currency: str) -> list[object]:
    return [
        f.sessions,
        _kwh(f.energy_wh),
        _hours(f.plugged_seconds),
        _hours(f.charging_seconds),
        _units(f.gross(currency)),
        _units(f.net(currency)),
        _units(f.vat(currency)),
        currency,
    ]


def _figure_head(w: dict[str, str]) -> list[str]:
    return [w["sessions"], w["energy"], w["plugged"], w["charging"], w["gross"], w["net"], w["vat"], w["currency"]]


def _start_text(start: date | datetime, time_zone: str) -> str:
    if isinstance(start, datetime):
        return start.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M")
    return start.isoformat()


def table(report: Report, name: str, language: str) -> tuple[str, list[list[object]]]:
    """(sheet title, rows with the header first) of one of TABLES."""
    w = WORDS.get(language, WORDS["en"])
    cur = report.currency
    if name == "series":
        rows: list[list[object]] = [[w["start"], *_figure_head(w)]]
        rows += [[_start_text(s, report.time_zone), *_figure_cells(f, cur)] for s, f in report.series]
        return w["series"], rows
    if name == "electricity":
        rows = [[w["site"], w["energy"], w["bought"], w["unpriced"], w["net"], w["margin"], w["currency"]]]
        rows += [
            [
                _text(m.name),
                _kwh(m.energy_wh),
                _units(m.bought_minor),
                m.unpriced_hours,
                _units(m.sold_net_minor),
                _units(m.margin_minor),
                cur,
            ]
            for m in report.margins
        ]
        return w["electricity"], rows
    if name == "invoicing":
        inv = report.invoicing
        if inv is None:
            return w["invoicing"], [[w["not_by_filter"]]]
        rows = [[w["months"], w["invoices"], w["invoiced"], w["paid"], w["credited"], w["outstanding"], w["currency"]]]
        rows.append(
            [
                f"{inv.first_month.isoformat()[:7]} – {inv.last_month.isoformat()[:7]}",
                inv.invoices,
                _units(inv.invoiced_minor),
                _units(inv.paid_minor),
                _units(inv.credited_minor),
                _units(inv.outstanding_minor),
                inv.currency,
            ]
        )
        return w["invoicing"], rows
    lines: Sequence[Line] = {
        "site": report.by_site,
        "charger": report.by_charger,
        "group": report.by_group,
        "member": report.by_member,
        "plan": report.by_plan,
    }[name]
    head: list[object] = [w[name], *_figure_head(w)]
    if name == "charger":
        head.append(w["utilisation"])
    rows = [head]
    for line in lines:
        cells: list[object] = [_text(line.name) if line.key else w["none"], *_figure_cells(line.figures, cur)]
        if name == "charger":
            cells.append(round(Decimal(line.utilisation or 0) * 100, 1))
        rows.append(cells)
    return w[name], rows


def to_csv(report: Report, name: str, language: str) -> bytes:
    _, rows = table(report, name, language)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([str(c).replace(".", ",") if isinstance(c, Decimal) else c for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: Report, language: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name in TABLES:
        title, rows = table(report, name, language)
        sheet = book.create_sheet(title[:31])
        for row in rows:
            sheet.append([float(c) if isinstance(c, Decimal) else c for c in row])
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def export_report(report: Report, fmt: str, language: str, name: str = "series") -> bytes:
    if fmt == "xlsx":
        return await asyncio.to_thread(to_xlsx, report, language)
    return await asyncio.to_thread(to_csv, report, name, language)
