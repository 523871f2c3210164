"""Invoices for the tests of what happens after an invoice (credits, reminders, blocking): made at the
Stripe stand-in directly with the SDK, the way the invoice run makes them (platform invoice on behalf of
the owner, the money transferred to the owner's account, inclusive MVA 25 %), with the matching
`invoices` row."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import Invoice, InvoiceState
from ladeportal.stripe_standin.server import StandinServer


def sdk(standin: StandinServer) -> stripe.StripeClient:
    return stripe.StripeClient(
        standin.api_key,
        base_addresses={"api": standin.url, "connect": standin.url, "files": standin.url},
        http_client=stripe.HTTPXClient(allow_sync_methods=True),
        max_network_retries=0,
    )


def stripe_invoice(standin: StandinServer, account_id: str, gross_minor: int, fee_minor: int = 0) -> stripe.Invoice:
    """A finalized send_invoice invoice of `gross_minor` (VAT included) at the stand-in."""
    client = sdk(standin)
    customer = client.v1.customers.create({"name": "Kari Nordmann", "phone": "+4791234567"})
    rate = client.v1.tax_rates.create({"display_name": "MVA", "percentage": 25.0, "inclusive": True, "country": "NO"})
    params: dict[str, object] = {
        "customer": customer.id,
        "collection_method": "send_invoice",
        "days_until_due": 14,
        "currency": "nok",
        "on_behalf_of": account_id,
        "transfer_data": {"destination": account_id},
        "default_tax_rates": [rate.id],
    }
    if fee_minor:
        params["application_fee_amount"] = fee_minor
    invoice = client.v1.invoices.create(params)  # type: ignore[arg-type]
    client.v1.invoice_items.create(
        {
            "customer": customer.id,
            "invoice": invoice.id,
            "amount": gross_minor,
            "currency": "nok",
            "description": "Lading",
        }
    )
    return client.v1.invoices.finalize_invoice(str(invoice.id))


async def invoice_row(
    session: AsyncSession,
    org_id: uuid.UUID,
    membership_id: uuid.UUID,
    *,
    total_minor: int,
    stripe_invoice: stripe.Invoice | None = None,
    state: InvoiceState = InvoiceState.open,
    due_date: date | None = None,
) -> Invoice:
    row = Invoice(
        organization_id=org_id,
        membership_id=membership_id,
        period_month=date(2026, 10, 1),
        state=state,
        currency="NOK",
        net_minor=total_minor * 4 // 5,
        vat_minor=total_minor - total_minor * 4 // 5,
        total_minor=total_minor,
        amount_paid_minor=total_minor if state == InvoiceState.paid else 0,
        stripe_invoice_id=stripe_invoice.id if stripe_invoice else f"in_test_{uuid.uuid4().hex[:16]}",
        number=stripe_invoice.number if stripe_invoice else "TEST-0001",
        hosted_url=str(stripe_invoice.hosted_invoice_url) if stripe_invoice else "https://pay.test/i/x",
        due_date=due_date or (datetime.now(UTC).date() + timedelta(days=14)),
        finalized_at=datetime.now(UTC),
    )
    session.add(row)
    await session.commit()
    return row
