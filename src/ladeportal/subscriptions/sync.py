"""Subscription invoices' state from the platform account's invoice.* webhooks.

The members' invoices answer the same events (billing.invoice_sync); each handler acts only on invoices
its own table knows, so an event is dispatched by which table holds the invoice id. As there, the event
only says that something happened: the invoice is re-read from Stripe and stored unless a read that
began later is stored already, so duplicates and any order leave the state Stripe has now.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, or_, select, update

from ladeportal.billing.models import StripeEvent
from ladeportal.billing.stripe_gateway import InvoiceSnapshot, StripeGateway, gateway
from ladeportal.billing.webhooks import on_event
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.subscriptions.execution import snapshot_values
from ladeportal.subscriptions.models import SubscriptionInvoice

log = logging.getLogger(__name__)


async def store_snapshot(db: Database, snapshot: InvoiceSnapshot, read_at: datetime) -> bool:
    async with db.session() as session, unit_of_work(session):
        values = snapshot_values(snapshot)
        if snapshot.last_payment_error is not None and snapshot.status in ("open", "uncollectible"):
            values["payment_failed_at"] = func.coalesce(SubscriptionInvoice.payment_failed_at, read_at)
        result = await session.execute(
            update(SubscriptionInvoice)
            .where(
                SubscriptionInvoice.stripe_invoice_id == snapshot.id,
                SubscriptionInvoice.finalized_at.is_not(None),
                or_(SubscriptionInvoice.synced_at.is_(None), SubscriptionInvoice.synced_at <= read_at),
            )
            .values(**values, synced_at=read_at)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def refresh_subscription_invoice(db: Database, gw: StripeGateway, stripe_invoice_id: str) -> bool:
    async with db.session() as session:
        ours = await session.scalar(
            select(SubscriptionInvoice.id).where(
                SubscriptionInvoice.stripe_invoice_id == stripe_invoice_id,
                SubscriptionInvoice.finalized_at.is_not(None),
            )
        )
        await session.commit()
    if ours is None:
        return False
    read_at = utcnow()
    return await store_snapshot(db, await gw.retrieve_invoice(stripe_invoice_id), read_at)


@on_event("invoice.")
async def subscription_invoice_event(db: Database, event: StripeEvent) -> None:
    # Only the platform's own invoices: a Connect event is about an owner's account, never ours.
    if event.account or not event.object_id or not event.object_id.startswith("in_"):
        return
    await refresh_subscription_invoice(db, gateway(), event.object_id)
