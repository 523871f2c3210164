"""One month of invoicing for the accountant, as CSV or XLSX.

A row per invoice dated in the month (the day it was finalized and sent, in the organisation's time
zone; an invoice voided in that same month was never owed and is left out), a negative row per credit
note or refund made in the month and per invoice of an earlier month voided in it (a reversal: the
earlier month's export keeps the invoice, so exporting a month again gives what the accountant booked),
then a totals row. Columns: date, invoice number, customer, net, VAT, gross, platform fee, the payout
that carried the money and the day it arrived (when Stripe has told us), state. The XLSX has a notes
sheet saying so.

Amounts are computed in integer øre and written as exact decimals, so the totals reconcile with the
invoices to the øre. A credit's VAT is its invoice's VAT share of the credited amount, rounded half up
to whole øre; its net is the rest, so net + VAT = gross on every row and in the totals.

CSV the way Norwegian accounting systems (Tripletex, Fiken, PowerOffice, Visma) import it: `;` between
fields (the comma is the decimal sign), UTF-8 with a byte-order mark (so Excel reads "Ø" right),
decimal comma, no thousands separator, dates as YYYY-MM-DD. XLSX keeps numbers as numbers.
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_listing import CREDIT_KIND_LABELS, INVOICE_STATE_LABELS
from ladeportal.billing.invoice_models import Credit, CreditState, Invoice, InvoiceState, Payout, PayoutInvoice
from ladeportal.errors import ValidationFailed
from ladeportal.i18n import N_, translations
from ladeportal.members.models import Membership, User

FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HEADERS = {
    "nb": (
        "Dato",
        "Fakturanummer",
        "Kunde",
        "Netto",
        "MVA",
        "Brutto",
        "Plattformgebyr",
        "Utbetaling",
        "Utbetalt dato",
        "Status",
    ),
    "en": (
        "Date",
        "Invoice number",
        "Customer",
        "Net",
        "VAT",
        "Gross",
        "Platform fee",
        "Payout",
        "Payout date",
        "State",
    ),
}
TOTAL_LABEL = N_("Total")
REVERSAL_LABEL = N_("Reversal of a cancelled invoice")
SHEET_TITLE = {"nb": "Fakturaer", "en": "Invoices"}
NOTES_TITLE = {"nb": "Merknader", "en": "Notes"}
# What the workbook's notes sheet tells the accountant; the CSV stays a plain table for importing.
NOTES = (
    N_("Each invoice is listed in the month it was sent, dated the day it was sent."),
    N_(
        "An invoice cancelled in the month it was sent was never owed and is not listed. An invoice "
        "cancelled in a later month keeps its row in the month it was sent, so an export made again "
        "reads as before, and is reversed by a negative row in the month it was cancelled."
    ),
    N_("Credit notes and refunds are negative rows in the month they were made."),
    N_("Payout and payout date: the payout that carried the invoice's money to the bank, once Stripe has reported it."),
    N_("The state column says what each invoice is at the time of the export."),
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportRow:
    day: date
    number: str
    customer: str
    net_minor: int
    vat_minor: int
    gross_minor: int
    fee_minor: int
    payout: str
    state: str  # an English msgid, translated when written
    payout_date: date | None = None


@dataclass(frozen=True)
class Totals:
    net_minor: int
    vat_minor: int
    gross_minor: int
    fee_minor: int


def month_bounds(month: date, time_zone: str) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in UTC, by the organisation's clock."""
    zone = ZoneInfo(time_zone)
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        datetime.combine(first, time(), zone).astimezone(ZoneInfo("UTC")),
        datetime.combine(following, time(), zone).astimezone(ZoneInfo("UTC")),
    )


def credit_vat(amount_minor: int, invoice_vat_minor: int, invoice_total_minor: int) -> int:
    """The VAT in a credit of `amount_minor` on an invoice: the invoice's VAT share, half up to øre."""
    if invoice_total_minor == 0:
        return 0
    share = Decimal(amount_minor) * Decimal(invoice_vat_minor) / Decimal(invoice_total_minor)
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _customer(name: str | None, phone: str | None) -> str:
    return name or phone or ""


@dataclass(frozen=True)
class PayoutRef:
    id: str
    arrival_date: date


async def _payouts_of(
    session: AsyncSession, org_id: uuid.UUID, invoice_ids: set[uuid.UUID]
) -> dict[uuid.UUID, PayoutRef]:
    """{invoice id: the payout that carried its money}, the first to arrive when there were several."""
    if not invoice_ids:
        return {}
    rows = await session.execute(
        select(PayoutInvoice.invoice_id, Payout.id, Payout.arrival_date)
        .join(Payout, Payout.id == PayoutInvoice.payout_id)
        .where(
            PayoutInvoice.organization_id == org_id,
            PayoutInvoice.invoice_id.in_(list(invoice_ids)),
            PayoutInvoice.amount_minor > 0,
        )
        .order_by(Payout.arrival_date.desc(), Payout.id.desc())
    )
    return {invoice_id: PayoutRef(payout_id, arrival) for invoice_id, payout_id, arrival in rows.all()}


async def _credit_vat_of(session: AsyncSession, invoices: list[Invoice]) -> dict[uuid.UUID, int]:
    """{invoice id: the VAT of its done credits}, each credit's VAT worked out as its own row's."""
    if not invoices:
        return {}
    by_id = {inv.id: inv for inv in invoices}
    found: dict[uuid.UUID, int] = {}
    credits = await session.scalars(
        select(Credit).where(Credit.invoice_id.in_(list(by_id)), Credit.state == CreditState.done)
    )
    for credit in credits:
        inv = by_id[credit.invoice_id]
        found[inv.id] = found.get(inv.id, 0) + credit_vat(credit.amount_minor, inv.vat_minor, inv.total_minor)
    return found


async def export_rows(session: AsyncSession, org_id: uuid.UUID, month: date, time_zone: str) -> list[ExportRow]:
    """The month's rows. An invoice is shown in the month it was sent; one voided in the same month was
    never owed and is left out, one voided in a later month keeps its row (an export made again reads
    as before) and is reversed by a negative row in the month it was voided, for what was not credited
    before."""
    start, end = month_bounds(month, time_zone)
    zone = ZoneInfo(time_zone)
    member = and_(Membership.id == Invoice.membership_id, Membership.organization_id == org_id)
    owed = Invoice.state.in_((InvoiceState.open, InvoiceState.paid, InvoiceState.uncollectible))
    voided_later = and_(Invoice.state == InvoiceState.void, Invoice.voided_at >= end)
    invoices = (
        await session.execute(
            select(Invoice, Membership.name, User.phone)
            .join(Membership, member)
            .join(User, User.id == Membership.user_id)
            .where(
                Invoice.organization_id == org_id,
                Invoice.finalized_at >= start,
                Invoice.finalized_at < end,
                or_(owed, voided_later),
            )
            .order_by(Invoice.finalized_at, Invoice.number)
        )
    ).all()
    reversed_here = (
        await session.execute(
            select(Invoice, Membership.name, User.phone)
            .join(Membership, member)
            .join(User, User.id == Membership.user_id)
            .where(
                Invoice.organization_id == org_id,
                Invoice.state == InvoiceState.void,
                Invoice.voided_at >= start,
                Invoice.voided_at < end,
                Invoice.finalized_at < start,
            )
            .order_by(Invoice.voided_at, Invoice.number)
        )
    ).all()
    credits = (
        await session.execute(
            select(Credit, Invoice, Membership.name, User.phone)
            .join(Invoice, and_(Invoice.id == Credit.invoice_id, Invoice.organization_id == org_id))
            .join(Membership, member)
            .join(User, User.id == Membership.user_id)
            .where(
                Credit.organization_id == org_id,
                Credit.state == CreditState.done,
                Credit.created_at >= start,
                Credit.created_at < end,
            )
            .order_by(Credit.created_at, Credit.id)
        )
    ).all()
    payouts = await _payouts_of(session, org_id, {inv.id for inv, _, _ in invoices})
    credited_vat = await _credit_vat_of(session, [inv for inv, _, _ in reversed_here])
    rows: list[tuple[datetime, ExportRow]] = []
    for inv, name, phone in invoices:
        assert inv.finalized_at is not None
        payout = payouts.get(inv.id)
        rows.append(
            (
                inv.finalized_at,
                ExportRow(
                    day=inv.finalized_at.astimezone(zone).date(),
                    number=inv.number or "",
                    customer=_customer(name, phone),
                    net_minor=inv.net_minor,
                    vat_minor=inv.vat_minor,
                    gross_minor=inv.total_minor,
                    fee_minor=inv.application_fee_minor,
                    payout=payout.id if payout else "",
                    state=INVOICE_STATE_LABELS[inv.state],
                    payout_date=payout.arrival_date if payout else None,
                ),
            )
        )
    for inv, name, phone in reversed_here:
        assert inv.voided_at is not None
        gross = inv.total_minor - inv.amount_credited_minor
        vat = inv.vat_minor - credited_vat.get(inv.id, 0)
        rows.append(
            (
                inv.voided_at,
                ExportRow(
                    day=inv.voided_at.astimezone(zone).date(),
                    number=inv.number or "",
                    customer=_customer(name, phone),
                    net_minor=-(gross - vat),
                    vat_minor=-vat,
                    gross_minor=-gross,
                    fee_minor=-inv.application_fee_minor,
                    payout="",
                    state=REVERSAL_LABEL,
                ),
            )
        )
    for credit, inv, name, phone in credits:
        vat = credit_vat(credit.amount_minor, inv.vat_minor, inv.total_minor)
        rows.append(
            (
                credit.created_at,
                ExportRow(
                    day=credit.created_at.astimezone(zone).date(),
                    number=inv.number or "",
                    customer=_customer(name, phone),
                    net_minor=-(credit.amount_minor - vat),
                    vat_minor=-vat,
                    gross_minor=-credit.amount_minor,
                    fee_minor=0,
                    payout="",
                    state=CREDIT_KIND_LABELS[credit.kind],
                ),
            )
        )
    rows.sort(key=lambda pair: pair[0])
    return [row for _, row in rows]


def totals(rows: list[ExportRow]) -> Totals:
    return Totals(
        net_minor=sum(r.net_minor for r in rows),
        vat_minor=sum(r.vat_minor for r in rows),
        gross_minor=sum(r.gross_minor for r in rows),
        fee_minor=sum(r.fee_minor for r in rows),
    )


def _kroner(minor: int) -> Decimal:
    return Decimal(minor).scaleb(-2)


def _text(value: str) -> str:
    # A name that starts like a formula would run as one in a spreadsheet (CSV injection).
    return "'" + value if value.startswith(_FORMULA_START) else value


def _table(rows: list[ExportRow], language: str) -> list[list[object]]:
    translate = translations(language).gettext
    table: list[list[object]] = [
        [
            r.day,
            _text(r.number),
            _text(r.customer),
            _kroner(r.net_minor),
            _kroner(r.vat_minor),
            _kroner(r.gross_minor),
            _kroner(r.fee_minor),
            r.payout,
            r.payout_date or "",
            translate(r.state),
        ]
        for r in rows
    ]
    sums = totals(rows)
    table.append(
        [
            translate(TOTAL_LABEL),
            "",
            "",
            _kroner(sums.net_minor),
            _kroner(sums.vat_minor),
            _kroner(sums.gross_minor),
            _kroner(sums.fee_minor),
            "",
            "",
            "",
        ]
    )
    return table


def _csv_value(value: object) -> object:
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")  # decimal comma, no thousands separator
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_csv(rows: list[ExportRow], language: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS[language])
    for row in _table(rows, language):
        writer.writerow([_csv_value(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(rows: list[ExportRow], language: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE[language])
    sheet.append(list(HEADERS[language]))
    table = _table(rows, language)
    for index, values in enumerate(table):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            if index == len(table) - 1:
                cell.font = Font(bold=True)
            cells.append(cell)
        sheet.append(cells)
    translate = translations(language).gettext
    notes = workbook.create_sheet(NOTES_TITLE[language])
    for note in NOTES:
        notes.append([translate(note)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def export_month(
    session: AsyncSession, org_id: uuid.UUID, month: date, time_zone: str, fmt: str, language: str
) -> bytes:
    if fmt not in FORMATS:
        raise ValidationFailed(N_("Export as CSV or XLSX."), field="format", code="sessions.export_format")
    language = language if language in HEADERS else "nb"
    rows = await export_rows(session, org_id, month, time_zone)
    if fmt == "csv":
        return write_csv(rows, language)
    # Building a workbook takes CPU: off the event loop that also serves the chargers.
    return await asyncio.to_thread(write_xlsx, rows, language)
