"""The accountant's export of one month: a row per invoice sent in the month, a negative row per credit
note or refund, a totals row; the totals reconcile to the invoices to the øre, in CSV (semicolons,
decimal comma, UTF-8 with BOM) and XLSX (numbers as numbers). Another organisation's invoices never
appear, nor invoices of other months, pending or void ones.

`seed_invoicing` (tests/billing/invoicing_fixtures.py) writes a month of invoicing straight into the
tables, the way the run and the webhooks leave them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.accounting_export import credit_vat, export_month, export_rows, month_bounds, totals
from ladeportal.billing.invoice_models import InvoiceState
from tests.billing.invoicing_fixtures import seed_invoicing


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
        "Utbetalt dato",
        "Status",
    ]
    body, total = table[1:-1], table[-1]
    assert [(r[0], r[1], r[2], r[9]) for r in body] == [
        ("2026-11-05", "INV-0001", "Kari Hansen", "Betalt"),
        ("2026-11-05", "INV-0002", "Ola Åsen", "Ubetalt"),
        ("2026-11-20", "INV-0002", "Ola Åsen", "Kreditnota"),
        ("2026-11-25", "INV-0001", "Kari Hansen", "Refusjon"),
    ]
    # The payout that carried the paid invoice, and the day it arrived.
    assert body[0][7].startswith("po_") and body[0][8] == "2026-11-10"
    assert body[1][7] == body[1][8] == ""
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


async def test_an_invoice_voided_in_a_later_month_is_reversed_there_and_its_month_reads_as_before(
    session: AsyncSession,
) -> None:
    seeded = await seed_invoicing(session)
    november, december = date(2026, 11, 1), date(2026, 12, 1)
    zone = seeded.org.time_zone
    booked = _rows_of_csv(await export_month(session, seeded.org.id, november, zone, "csv", "nb"))
    # Ola's open invoice (credited 50,01 in November) is voided in December, after November was exported.
    seeded.open.state = InvoiceState.void
    seeded.open.voided_at = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    await session.commit()

    again = _rows_of_csv(await export_month(session, seeded.org.id, november, zone, "csv", "nb"))
    # The same rows and amounts; only the state column says what the invoice is now.
    assert [r[:9] for r in again] == [r[:9] for r in booked]
    assert next(r[9] for r in again if r[1] == "INV-0002") == "Annullert"
    table = _rows_of_csv(await export_month(session, seeded.org.id, december, zone, "csv", "nb"))
    body, total = table[1:-1], table[-1]
    assert [(r[0], r[1], r[2], r[9]) for r in body] == [
        ("2026-12-03", "INV-0002", "Ola Åsen", "Tilbakeføring av annullert faktura")
    ]
    # What was still owed is reversed: the invoice less the credit note, its VAT less the note's VAT.
    owed = seeded.open.total_minor - seeded.credit.amount_minor
    owed_vat = seeded.open.vat_minor - credit_vat(
        seeded.credit.amount_minor, seeded.open.vat_minor, seeded.open.total_minor
    )
    row = body[0]
    assert (_øre(row[3]), _øre(row[4]), _øre(row[5])) == (-(owed - owed_vat), -owed_vat, -owed)
    assert _øre(row[6]) == -seeded.open.application_fee_minor
    assert _øre(total[5]) == -owed
    # Across both months the voided invoice comes to nothing: sent, credited, reversed.
    rows = await export_rows(session, seeded.org.id, november, zone) + await export_rows(
        session, seeded.org.id, december, zone
    )
    ola = [r for r in rows if r.number == "INV-0002"]
    assert sum(r.gross_minor for r in ola) == 0 and sum(r.vat_minor for r in ola) == 0


async def test_an_invoice_voided_in_its_own_month_is_left_out_and_not_reversed(session: AsyncSession) -> None:
    seeded = await seed_invoicing(session)
    zone = seeded.org.time_zone
    for month in (date(2026, 11, 1), date(2026, 12, 1)):
        numbers = {r.number for r in await export_rows(session, seeded.org.id, month, zone)}
        assert "INV-0003" not in numbers  # Vera's invoice, voided the day after it was sent


async def test_the_workbook_tells_the_accountant_how_reversals_are_shown(session: AsyncSession) -> None:
    seeded = await seed_invoicing(session)
    content = await export_month(session, seeded.org.id, date(2026, 11, 1), seeded.org.time_zone, "xlsx", "nb")
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Fakturaer", "Merknader"]
    notes = " ".join(str(r[0]) for r in book["Merknader"].iter_rows(values_only=True))
    assert "negativ rad" in notes and "utbetaling" in notes.lower()
    rows = list(book["Fakturaer"].iter_rows(values_only=True))
    assert rows[0][7:10] == ("Utbetaling", "Utbetalt dato", "Status")
    assert str(rows[1][7]).startswith("po_") and rows[1][8] is not None


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
