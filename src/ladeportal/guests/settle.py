"""After a guest's session: the price by the public plan (the session's own pricing hook), captured up
to the hold and the rest released; the hold released in full when nothing is owed or charging never
began; a receipt by SMS with a link. A capture Stripe refuses is kept as `capture_failed` and shown
to the owner (an alert, the guest payments list).

`observe_charges` (a periodic job) moves each held charge along as its session appears and ends;
`settle_charge` (an outbox task per charge) talks to Stripe, keyed by the charge's id.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_settings import billing_settings, platform_fee_minor
from ladeportal.billing.stripe_gateway import StripeGateway
from ladeportal.chargers.models import ChargePoint
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.errors import ValidationFailed
from ladeportal.guests.charges import charging_session
from ladeportal.guests.models import ChargeState, GuestCharge
from ladeportal.i18n.formatting import money
from ladeportal.jobs.outbox import enqueue
from ladeportal.messaging.queue import queue_sms
from ladeportal.orgs.models import Organization
from ladeportal.sessions.models import SessionState
from ladeportal.settings import Settings

SETTLE_TASK = "guests.settle"
# A guest who paid but plugged in no car: the hold is released after this long without a session.
START_TIMEOUT = timedelta(minutes=5)
# An unpaid Checkout Session lives at most 24 hours at Stripe.
PAYING_TIMEOUT = timedelta(hours=24)

RECEIPT_TEXT = {
    "nb": "Kvittering for lading hos {org}: {amount} er trukket fra kortet ditt. {url}",
    "en": "Receipt for charging at {org}: {amount} was charged to your card. {url}",
    "sv": "Kvitto för laddning hos {org}: {amount} har dragits från ditt kort. {url}",
}
RELEASED_TEXT = {
    "nb": "Ladingen hos {org} startet ikke. Beløpet som var reservert på kortet ditt, er frigitt. {url}",
    "en": "Charging at {org} did not start. The amount reserved on your card has been released. {url}",
    "sv": "Laddningen hos {org} startade inte. Beloppet som reserverades på ditt kort har släppts. {url}",
}


async def _to_settling(
    session: AsyncSession, row: GuestCharge, *, session_id: int | None, cost: int | None, failure: str | None
) -> None:
    result = await session.execute(
        update(GuestCharge)
        .where(GuestCharge.id == row.id, GuestCharge.state == row.state)
        .values(state=ChargeState.settling, session_id=session_id, cost_minor=cost, failure=failure)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        await enqueue(session, SETTLE_TASK, {"charge_id": str(row.id)}, dedupe_key=f"guest-settle:{row.id}")


async def start_failed(db: Database, charge_id: uuid.UUID, failure: str) -> None:
    """The charger refused or did not answer the start: nothing was delivered, the hold is released."""
    async with db.session() as session, unit_of_work(session):
        row = await session.get(GuestCharge, charge_id)
        if row is not None and row.state == ChargeState.authorised:
            await _to_settling(session, row, session_id=None, cost=0, failure=failure)


async def observe_charges(db: Database, now: datetime | None = None) -> int:
    """Bring every held charge in line with its session; returns how many changed."""
    now = now or utcnow()
    changed = 0
    async with db.session() as session, unit_of_work(session):
        rows = (
            await session.scalars(
                select(GuestCharge).where(
                    GuestCharge.state.in_((ChargeState.authorised, ChargeState.charging, ChargeState.paying))
                )
            )
        ).all()
        for row in rows:
            if row.state == ChargeState.paying:
                if row.created_at < now - PAYING_TIMEOUT:
                    row.state = ChargeState.expired
                    changed += 1
                continue
            found = await charging_session(session, row)
            if found is None:
                if row.authorised_at is not None and row.authorised_at < now - START_TIMEOUT:
                    await _to_settling(session, row, session_id=None, cost=0, failure="guest.no_car")
                    changed += 1
            elif found.state == SessionState.active:
                if row.state == ChargeState.authorised or row.session_id != found.id:
                    row.state, row.session_id = ChargeState.charging, found.id
                    changed += 1
            else:
                await _to_settling(session, row, session_id=found.id, cost=found.cost_total_minor, failure=None)
                changed += 1
    return changed


def _texts(row: GuestCharge, org: Organization, url: str) -> str:
    lang = row.language if row.language in RECEIPT_TEXT else "nb"
    if row.captured_minor:
        amount = money(row.captured_minor, row.currency, lang)
        return RECEIPT_TEXT[lang].format(org=org.legal_name[:40], amount=amount, url=url)
    return RELEASED_TEXT[lang].format(org=org.legal_name[:40], url=url)


async def settle_charge(db: Database, gw: StripeGateway, settings: Settings, charge_id: uuid.UUID) -> str:
    """Capture what the session cost (at most the hold) or release the hold; the receipt is queued in
    the same transaction as the outcome. Returns the charge's new state."""
    async with db.session() as session:
        row = await session.get(GuestCharge, charge_id)
        if row is None or row.state != ChargeState.settling:
            return row.state if row is not None else ""
        intent, cost, hold = row.payment_intent_id, row.cost_minor, row.hold_minor
        fee_settings = await billing_settings(session, row.organization_id)
        await session.commit()
    captured = fee = shortfall = 0
    failure: str | None = None
    if intent is None:
        pass
    elif cost is None:
        failure = "guest.not_priced"  # the session could not be priced: the owner decides
    else:
        try:
            if cost <= 0:
                await gw.cancel_payment(intent, idempotency_key=f"guest:{charge_id}:release")
            else:
                captured = min(cost, hold)
                shortfall = cost - captured
                fee = platform_fee_minor(fee_settings, settings, captured)
                await gw.capture_payment(
                    intent, amount_minor=captured, fee_minor=fee, idempotency_key=f"guest:{charge_id}:capture"
                )
        except ValidationFailed as exc:  # refused by Stripe; an outage is retried by the outbox
            stripe_code = str(exc.params.get("stripe_code") or exc.code or "")
            failure = f"stripe:{stripe_code}"[:200]
    async with db.session() as session, unit_of_work(session):
        row = await session.get(GuestCharge, charge_id)
        if row is None or row.state != ChargeState.settling:
            return row.state if row is not None else ""
        if failure is not None and failure.startswith(("stripe:", "guest.not_priced")):
            row.state, row.failure = ChargeState.capture_failed, failure
            return row.state
        row.state = ChargeState.done
        row.captured_minor, row.fee_minor, row.shortfall_minor = captured, fee, shortfall
        row.finished_at = utcnow()
        org = await session.get(Organization, row.organization_id)
        if org is not None and intent is not None:
            url = f"{settings.public_url.rstrip('/')}/app/r/{row.receipt_token}"
            await queue_sms(
                session, row.phone, _texts(row, org, url), purpose="guest_receipt", dedupe_key=f"guest_receipt:{row.id}"
            )
        return row.state


async def failed_captures(session: AsyncSession, org_id: uuid.UUID) -> list[tuple[GuestCharge, str]]:
    """The organisation's charges whose capture failed, with their charger's name (for alerts)."""
    rows = await session.execute(
        select(GuestCharge, ChargePoint.name)
        .join(ChargePoint, ChargePoint.id == GuestCharge.charge_point_id)
        .where(GuestCharge.organization_id == org_id, GuestCharge.state == ChargeState.capture_failed)
    )
    return [(row, name or "") for row, name in rows.all()]
