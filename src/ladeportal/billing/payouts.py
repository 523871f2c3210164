"""Payouts from an owner's Stripe balance to its bank, as Stripe reports them.

Stripe sends `payout.created`, `.updated`, `.paid`, `.failed`, `.canceled` as Connect events of the
owner's account. The handler finds the organisation by the account and re-reads the payout from Stripe
rather than trusting the event's copy, then writes the `payouts` row (its key is Stripe's id), so
events arriving twice or out of order leave what Stripe says now. `sync_payouts` reads the account's
whole list, for an organisation whose events were missed (or before webhooks were set up).

Both also record which invoices each payout carried (`payout_invoices`, for the accountant's export):
the payout's balance transactions at Stripe, each traced back to the payment intent of one of the
organisation's invoices. A payout that failed or was canceled carried nothing, so its links go.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import Invoice, Payout, PayoutInvoice
from ladeportal.billing.models import StripeAccount, StripeEvent
from ladeportal.billing.stripe_gateway import PayoutPayment, PayoutSnapshot, StripeGateway, gateway
from ladeportal.billing.webhooks import on_event
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work

log = logging.getLogger(__name__)

MAX_PAGES = 1000  # 100 000 payouts: a bound, not a limit anyone meets
CARRIES_MONEY = ("pending", "in_transit", "paid")


async def _organisation_of(db: Database, account_id: str) -> uuid.UUID | None:
    async with db.session() as session:
        org_id = await session.scalar(
            select(StripeAccount.organization_id).where(StripeAccount.account_id == account_id)
        )
        await session.commit()
    return org_id


async def store_payout(session: AsyncSession, org_id: uuid.UUID, payout: PayoutSnapshot) -> None:
    """Insert or update the row in the caller's transaction."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values: dict[str, Any] = {
        "amount_minor": payout.amount,
        "currency": payout.currency,
        "status": payout.status,
        "arrival_date": payout.arrival_date,
        "stripe_created_at": payout.created,
        "details": payout.details,
    }
    now = utcnow()
    await session.execute(
        insert(Payout)
        .values(id=payout.id, organization_id=org_id, created_at=now, updated_at=now, **values)
        .on_conflict_do_update(index_elements=[Payout.id], set_={**values, "updated_at": now})
    )


async def link_invoices(
    session: AsyncSession, org_id: uuid.UUID, payout: PayoutSnapshot, payments: list[PayoutPayment]
) -> int:
    """Make the payout's links to invoices what Stripe says now, in the caller's transaction; returns how
    many there are. Amounts of one invoice (a payment and a reversal of it) are added up. Upserts, so two
    events of one payout handled at once both succeed."""
    amounts: dict[str, int] = {}
    if payout.status in CARRIES_MONEY:
        for payment in payments:
            if payment.payment_intent:
                amounts[payment.payment_intent] = amounts.get(payment.payment_intent, 0) + payment.net
    invoices = (
        (
            await session.execute(
                select(Invoice.id, Invoice.stripe_payment_intent_id).where(
                    Invoice.organization_id == org_id, Invoice.stripe_payment_intent_id.in_(list(amounts))
                )
            )
        ).all()
        if amounts
        else []
    )
    await session.execute(
        delete(PayoutInvoice).where(
            PayoutInvoice.payout_id == payout.id, PayoutInvoice.invoice_id.not_in([i for i, _ in invoices])
        )
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for invoice_id, intent in invoices:
        amount = amounts[str(intent)]
        await session.execute(
            insert(PayoutInvoice)
            .values(payout_id=payout.id, invoice_id=invoice_id, organization_id=org_id, amount_minor=amount)
            .on_conflict_do_update(
                index_elements=[PayoutInvoice.payout_id, PayoutInvoice.invoice_id], set_={"amount_minor": amount}
            )
        )
    return len(invoices)


async def _payments_of(gw: StripeGateway, account_id: str, payout: PayoutSnapshot) -> list[PayoutPayment]:
    if payout.status not in CARRIES_MONEY:
        return []
    return await gw.payout_payments(account_id, payout.id)


@on_event("payout.")
async def payout_event(db: Database, event: StripeEvent) -> None:
    if not event.account or not event.object_id:
        return  # the platform's own payouts are not an owner's
    org_id = await _organisation_of(db, event.account)
    if org_id is None:
        log.warning(
            "stripe event %s (%s) is about unknown account %s; ignored", event.event_id, event.type, event.account
        )
        return
    gw = gateway()
    payout = await gw.retrieve_payout(event.account, event.object_id)
    payments = await _payments_of(gw, event.account, payout)
    async with db.session() as session, unit_of_work(session):
        await store_payout(session, org_id, payout)
        await link_invoices(session, org_id, payout, payments)


async def sync_payouts(db: Database, gw: StripeGateway | None, org_id: uuid.UUID, *, page_size: int = 100) -> int:
    """Read every payout of the organisation's account from Stripe and store it; returns how many."""
    gw = gw or gateway()
    async with db.session() as session:
        account_id = await session.scalar(
            select(StripeAccount.account_id).where(StripeAccount.organization_id == org_id)
        )
        await session.commit()
    if account_id is None:
        return 0
    stored = 0
    after: str | None = None
    for _ in range(MAX_PAGES):
        page, more = await gw.list_payouts(account_id, starting_after=after, limit=page_size)
        if page:
            carried = [(payout, await _payments_of(gw, account_id, payout)) for payout in page]
            async with db.session() as session, unit_of_work(session):
                for payout, payments in carried:
                    await store_payout(session, org_id, payout)
                    await link_invoices(session, org_id, payout, payments)
            stored += len(page)
            after = page[-1].id
        if not more or not page:
            break
    return stored


async def organisation_payouts(session: AsyncSession, org_id: uuid.UUID, *, limit: int = 100) -> list[Payout]:
    """The organisation's payouts, newest first (for the payouts page)."""
    rows = await session.scalars(
        select(Payout)
        .where(Payout.organization_id == org_id)
        .order_by(Payout.stripe_created_at.desc(), Payout.id)
        .limit(limit)
    )
    return list(rows)
