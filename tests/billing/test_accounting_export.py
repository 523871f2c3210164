"""The accountant's export of one month: a row per invoice sent in the month, a negative row per credit
note or refund, a totals row; the totals reconcile to the invoices to the øre, in CSV (semicolons,
decimal comma, UTF-8 with BOM) and XLSX (numbers as numbers). Another organisation's invoices never
appear, nor invoices of other months, pending or void ones.

`seed_invoicing` (used by the portal and API tests too) writes a month of invoicing straight into
the tables, the way the run and the webhooks leave them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.accounting_export import credit_vat, export_month, export_rows, month_bounds, totals
from ladeportal.billing.invoice_models import (
    BillableItem,
    Credit,
    CreditKind,
    CreditState,
    Invoice,
    InvoicedItem,
    InvoiceReminder,
    InvoiceRun,
    InvoiceState,
    ItemKind,
    Payout,
    RunState,
)
from ladeportal.members.groups import create_group
from ladeportal.members.models import Membership
from ladeportal.orgs.models import Organization
from tests.factories import ACTOR, make_member, make_org

MONTH = date(2026, 10, 1)
SENT = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


@dataclass
class Seeded:
    org: Organization
    run: InvoiceRun
    kari: Membership
    ola: Membership
    paid: Invoice
    open: Invoice
    pending: Invoice
    void: Invoice
    credit: Credit
    refund: Credit


def _vat(gross: int) -> int:
    # VAT inside a VAT-inclusive price of 25 %: gross * 25 / 125, half up.
    return int((Decimal(gross) / 5).quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def _invoice(
    session: AsyncSession,
    org: Organization,
    run: InvoiceRun | None,
    member: Membership,
    state: InvoiceState,
    grosses: list[int],
    *,
    number: str | None,
    finalized_at: datetime | None = SENT,
    paid: bool = False,
    period: date = MONTH,
) -> Invoice:
    invoice = Invoice(
        organization_id=org.id,
        run_id=run.id if run else None,
        membership_id=member.id,
        period_month=period,
        state=state,
        currency="NOK",
        number=number,
        stripe_invoice_id=f"in_{uuid.uuid4().hex[:20]}" if number else None,
        hosted_url="http://standin.test/i/x" if number else None,
        pdf_url="http://standin.test/i/x.pdf" if number else None,
        finalized_at=finalized_at,
        due_date=(finalized_at + timedelta(days=14)).date() if finalized_at else None,
    )
    session.add(invoice)
    await session.flush()
    for line_no, gross in enumerate(grosses):
        vat = _vat(gross)
        item = BillableItem(
            organization_id=org.id,
            membership_id=member.id,
            kind=ItemKind.session,
            source_key=f"test:{uuid.uuid4()}",
            period_month=period,
            occurred_at=datetime(2026, 10, 10 + line_no, 18, 0, tzinfo=UTC),
            description=f"Lading {line_no + 1}",
            energy_wh=10_000 + line_no,
            currency="NOK",
            vat_rate_bp=2500,
            net_minor=gross - vat,
            vat_minor=vat,
            gross_minor=gross,
            created_by="test",
        )
        session.add(item)
        await session.flush()
        session.add(InvoicedItem(item_id=item.id, invoice_id=invoice.id, line_no=line_no))
        invoice.net_minor += gross - vat
        invoice.vat_minor += vat
        invoice.total_minor += gross
        invoice.energy_wh += item.energy_wh
    invoice.application_fee_minor = invoice.total_minor // 100
    if paid:
        invoice.amount_paid_minor = invoice.total_minor
        invoice.paid_at = SENT + timedelta(days=2)
    await session.flush()
    return invoice


async def seed_invoicing(session: AsyncSession, org: Organization | None = None) -> Seeded:
    """Two members with invoices for October 2026 sent on 5 November: one paid (and partly refunded),
    one open (with a credit note), one still pending and one void; an unbilled item for Kari; a payout
    that carried the paid invoice."""
    org = org or await make_org(session, legal_name="Regnskap Borettslag")
    garage = await create_group(session, ACTOR, org.id, "Garasje B")
    kari = await make_member(session, org, name="Kari Hansen", group_id=garage.id)
    ola = await make_member(session, org, name="Ola Åsen")
    run = InvoiceRun(
        organization_id=org.id,
        period_month=MONTH,
        state=RunState.done,
        cutoff_at=datetime(2026, 11, 1, tzinfo=UTC),
        currency="NOK",
        members_total=4,
        invoices_done=4,
        total_minor=0,
    )
    session.add(run)
    await session.flush()
    paid = await _invoice(session, org, run, kari, InvoiceState.paid, [12_345, 6_789], number="INV-0001", paid=True)
    opened = await _invoice(session, org, run, ola, InvoiceState.open, [20_001], number="INV-0002")
    other = await make_member(session, org, name="Per Venter")
    pending = await _invoice(session, org, run, other, InvoiceState.pending, [5_000], number=None, finalized_at=None)
    voided = await make_member(session, org, name="Vera Void")
    void = await _invoice(session, org, run, voided, InvoiceState.void, [7_000], number="INV-0003")
    run.total_minor = paid.total_minor + opened.total_minor + pending.total_minor + void.total_minor
    credit = Credit(
        organization_id=org.id,
        invoice_id=opened.id,
        kind=CreditKind.credit_note,
        amount_minor=5_001,
        reason="Feil måling",
        state=CreditState.done,
        stripe_id=f"cn_{uuid.uuid4().hex[:20]}",
        created_at=datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
    )
    refund = Credit(
        organization_id=org.id,
        invoice_id=paid.id,
        kind=CreditKind.refund,
        amount_minor=1_000,
        reason="Dobbel start",
        state=CreditState.done,
        stripe_id=f"re_{uuid.uuid4().hex[:20]}",
        created_at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
    )
    failed = Credit(
        organization_id=org.id,
        invoice_id=paid.id,
        kind=CreditKind.refund,
        amount_minor=999,
        reason="Avvist",
        state=CreditState.failed,
        created_at=datetime(2026, 11, 26, 12, 0, tzinfo=UTC),
    )
    session.add_all([credit, refund, failed])
    session.add(InvoiceReminder(invoice_id=opened.id, reminder="due+3", sent_at=datetime(2026, 11, 22, 8, tzinfo=UTC)))
    opened.amount_credited_minor = credit.amount_minor
    paid.amount_credited_minor = refund.amount_minor
    session.add(
        BillableItem(
            organization_id=org.id,
            membership_id=kari.id,
            kind=ItemKind.manual,
            source_key=f"manual:{uuid.uuid4()}",
            period_month=date(2026, 11, 1),
            occurred_at=datetime(2026, 11, 3, tzinfo=UTC),
            description="Nøkkelbrikke",
            currency="NOK",
            vat_rate_bp=2500,
            net_minor=8_000,
            vat_minor=2_000,
            gross_minor=10_000,
            created_by="test",
        )
    )
    session.add(
        Payout(
            id=f"po_{uuid.uuid4().hex[:20]}",
            organization_id=org.id,
            amount_minor=paid.total_minor - paid.application_fee_minor,
            currency="NOK",
            status="paid",
            arrival_date=date(2026, 11, 10),
            stripe_created_at=datetime(2026, 11, 8, tzinfo=UTC),
            details={"invoice_ids": [paid.stripe_invoice_id]},
        )
    )
    await session.commit()
    return Seeded(org, run, kari, ola, paid, opened, pending, void, credit, refund)


def _rows_of_csv(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    text = content.decode("utf-8")[1:]
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def _øre(text: str) -> int:
    assert "." not in text, text  # decimal comma, no other separator
    return int(Decimal(text.replace(",", ".")) * 100)


async def test_csv_has_a_row_per_sent_invoice_and_credit_and_totals_that_reconcile(session: AsyncSession) -> None:
    seeded = await seed_invoicing(session)
    other = await seed_invoicing(session)  # another organisation, the same month: never in this export
    content = await export_month(session, seeded.org.id, date(2026, 11, 1), seeded.org.time_zone, "csv", "nb")
    table = _rows_of_csv(content)
    assert table[0] == [
        "Dato",
        "Fakturanummer",
        "Kunde",
        "Netto",
        "MVA",
        "Brutto",
        "Plattformgebyr",
        "Utbetaling",
        "Status",
    ]
    body, total = table[1:-1], table[-1]
    assert [(r[0], r[1], r[2], r[8]) for r in body] == [
        ("2026-11-05", "INV-0001", "Kari Hansen", "Betalt"),
        ("2026-11-05", "INV-0002", "Ola Åsen", "Ubetalt"),
        ("2026-11-20", "INV-0002", "Ola Åsen", "Kreditnota"),
        ("2026-11-25", "INV-0001", "Kari Hansen", "Refusjon"),
    ]
    assert body[0][7] != "" and body[1][7] == ""  # the payout that carried the paid invoice
    assert body[0][5] == "191,34" and body[2][5] == "-50,01"
    # Totals: the invoices sent (pending and void left out) less the credits, to the øre.
    expected_gross = seeded.paid.total_minor + seeded.open.total_minor - 5_001 - 1_000
    assert total[0] == "Totalt" and _øre(total[5]) == expected_gross
    assert _øre(total[3]) == sum(_øre(r[3]) for r in body)
    assert _øre(total[4]) == sum(_øre(r[4]) for r in body)
    assert _øre(total[3]) + _øre(total[4]) == _øre(total[5])
    assert _øre(total[6]) == seeded.paid.application_fee_minor + seeded.open.application_fee_minor
    for row in body:
        assert _øre(row[3]) + _øre(row[4]) == _øre(row[5])
    assert other.org.legal_name.encode() not in content
    # October (the month billed, not sent) has nothing; December neither.
    for month in (date(2026, 10, 1), date(2026, 12, 1)):
        empty = _rows_of_csv(await export_month(session, seeded.org.id, month, seeded.org.time_zone, "csv", "nb"))
        assert len(empty) == 2 and _øre(empty[-1][5]) == 0


async def test_xlsx_keeps_numbers_as_numbers_and_its_totals_equal_the_csv(session: AsyncSession) -> None:
    seeded = await seed_invoicing(session)
    month = date(2026, 11, 1)
    content = await export_month(session, seeded.org.id, month, seeded.org.time_zone, "xlsx", "en")
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Date", "Invoice number", "Customer")
    assert len(rows) == 1 + 4 + 1
    assert all(isinstance(r[5], int | float) for r in rows[1:])
    total = rows[-1]
    assert total[0] == "Total"
    sums = totals(await export_rows(session, seeded.org.id, month, seeded.org.time_zone))
    assert round(float(total[5]) * 100) == sums.gross_minor
    assert sums.net_minor + sums.vat_minor == sums.gross_minor
    assert sums.gross_minor == seeded.paid.total_minor + seeded.open.total_minor - 6_001


async def test_a_name_that_looks_like_a_formula_is_written_as_text(session: AsyncSession) -> None:
    seeded = await seed_invoicing(session)
    seeded.kari.name = "=HYPERLINK(1)"
    await session.commit()
    content = await export_month(session, seeded.org.id, date(2026, 11, 1), seeded.org.time_zone, "csv", "nb")
    assert "'=HYPERLINK(1)" in content.decode("utf-8")


def test_the_month_is_the_organisations_month() -> None:
    start, end = month_bounds(date(2026, 11, 1), "Europe/Oslo")
    assert start == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


@given(
    total=st.integers(min_value=1, max_value=10**9),
    data=st.data(),
)
def test_a_credits_vat_never_exceeds_its_amount_and_splits_exactly(total: int, data: st.DataObject) -> None:
    vat = data.draw(st.integers(min_value=0, max_value=total))
    amount = data.draw(st.integers(min_value=0, max_value=total))
    part = credit_vat(amount, vat, total)
    assert 0 <= part <= amount
    if amount == total:
        assert part == vat


def _cli(url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ladeportal.cli.main", "invoicing", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "LADEPORTAL_DATABASE_URL": url},
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
async def test_preview_approve_and_export_from_the_shell(
    session: AsyncSession, database_url: str, tmp_path: Path
) -> None:
    seeded = await seed_invoicing(session)
    number = seeded.org.org_number
    preview = _cli(database_url, "preview", number, "2026-11", "--json", cwd=tmp_path)
    assert preview.returncode == 0, preview.stderr
    data = json.loads(preview.stdout)
    assert (data["state"], data["invoices"], data["preview_total_minor"]) == ("awaiting_approval", 1, 10_000)
    assert [m["name"] for m in data["members"]] == ["Kari Hansen"]
    refused = _cli(database_url, "approve", number, "2026-11", cwd=tmp_path)
    assert refused.returncode == 1 and "Stripe account cannot take payments" in refused.stderr
    wrong = _cli(database_url, "approve", number, "2026-10", cwd=tmp_path)
    assert wrong.returncode == 1 and "preview first" in wrong.stderr
    target = tmp_path / "november.csv"
    written = _cli(database_url, "export", number, "2026-11", "--output", str(target), cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert target.read_bytes() == await export_month(
        session, seeded.org.id, date(2026, 11, 1), seeded.org.time_zone, "csv", "nb"
    )
    bad = _cli(database_url, "export", number, "2026-11", "--output", str(tmp_path / "x.pdf"), cwd=tmp_path)
    assert bad.returncode == 1 and not (tmp_path / "x.pdf").exists()
