"""A member's invoice as Stripe describes it now: paid, payment failed, void, uncollectible.

Webhook events (`invoice.*`) only say that something happened: the handler re-reads the invoice from
Stripe and stores what it says, unless a read that began later is stored already (as
`onboarding.refresh_account` does for accounts). Events arriving twice, late or in any order therefore
leave the state Stripe has now. An invoice still being made (`finalized_at` not set) is left to the
run's task, which stores it when it is finalized; events about invoices that are not ours are ignored.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, or_, select, update

from ladeportal.billing.invoice_execution import snapshot_values
from ladeportal.billing.invoice_models import Invoice
from ladeportal.billing.models import StripeEvent
from ladeportal.billing.stripe_gateway import InvoiceSnapshot, StripeGateway, gateway
from ladeportal.billing.webhooks import on_event
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.orgs.models import Organization

log = logging.getLogger(__name__)


async def store_invoice_snapshot(db: Database, snapshot: InvoiceSnapshot, read_at: datetime) -> bool:
    """Store what Stripe said at `read_at` (when the read began) about a finalized invoice of ours; False
    when it is not ours, not finalized yet, or a newer read is stored."""
    async with db.session() as session, unit_of_work(session):
        found = (
            await session.execute(
                select(Invoice.id, Organization.time_zone)
                .join(Organization, Organization.id == Invoice.organization_id)
                .where(Invoice.stripe_invoice_id == snapshot.id, Invoice.finalized_at.is_not(None))
            )
        ).one_or_none()
        if found is None:
            return False
        invoice_id, time_zone = found
        values = snapshot_values(snapshot, time_zone)
        failed = snapshot.last_payment_error is not None and snapshot.status in ("open", "uncollectible")
        if failed:
            # The first failure is kept: the page says since when the payment has failed.
            values["payment_failed_at"] = func.coalesce(Invoice.payment_failed_at, read_at)
        result = await session.execute(
            update(Invoice)
            .where(Invoice.id == invoice_id, or_(Invoice.synced_at.is_(None), Invoice.synced_at <= read_at))
            .values(**values, synced_at=read_at)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def refresh_invoice(db: Database, gw: StripeGateway, stripe_invoice_id: str) -> bool:
    """Re-read one invoice from Stripe and store it; False when there was nothing (newer) to store."""
    async with db.session() as session:
        ours = await session.scalar(
            select(Invoice.id).where(Invoice.stripe_invoice_id == stripe_invoice_id, Invoice.finalized_at.is_not(None))
        )
        await session.commit()  # ends the read before Stripe is asked
    if ours is None:
        return False
    read_at = utcnow()
    snapshot = await gw.retrieve_invoice(stripe_invoice_id)
    return await store_invoice_snapshot(db, snapshot, read_at)


@on_event("invoice.")
async def invoice_event(db: Database, event: StripeEvent) -> None:
    if not event.object_id or not event.object_id.startswith("in_"):
        return
    if not await refresh_invoice(db, gateway(), event.object_id):
        log.info("stripe event %s (%s): nothing new to store for %s", event.event_id, event.type, event.object_id)
