"""Payouts from an owner's Stripe balance to its bank, as Stripe reports them.

Stripe sends `payout.created`, `.updated`, `.paid`, `.failed`, `.canceled` as Connect events of the
owner's account. The handler finds the organisation by the account and re-reads the payout from Stripe
rather than trusting the event's copy, then writes the `payouts` row (its key is Stripe's id), so
events arriving twice or out of order leave what Stripe says now. `sync_payouts` reads the account's
whole list, for an organisation whose events were missed (or before webhooks were set up).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import Payout
from ladeportal.billing.models import StripeAccount, StripeEvent
from ladeportal.billing.stripe_gateway import PayoutSnapshot, StripeGateway, gateway
from ladeportal.billing.webhooks import on_event
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work

log = logging.getLogger(__name__)

MAX_PAGES = 1000  # 100 000 payouts: a bound, not a limit anyone meets


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
    payout = await gateway().retrieve_payout(event.account, event.object_id)
    async with db.session() as session, unit_of_work(session):
        await store_payout(session, org_id, payout)


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
            async with db.session() as session, unit_of_work(session):
                for payout in page:
                    await store_payout(session, org_id, payout)
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
