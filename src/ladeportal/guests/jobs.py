"""The guest area's background work: the start at the charger after the hold, the capture or release
after the session, the periodic look at held charges, and checkout.session.* Stripe events."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from ladeportal.billing.models import StripeEvent
from ladeportal.billing.stripe_gateway import gateway
from ladeportal.billing.webhooks import on_event
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.guests.charges import START_TASK, charge_of_checkout, confirm_payment, start_at_charger
from ladeportal.guests.models import ChargeState, GuestCharge
from ladeportal.guests.settle import SETTLE_TASK, observe_charges, settle_charge, start_failed
from ladeportal.jobs.outbox import TaskContext, task_handler
from ladeportal.jobs.periodic import periodic
from ladeportal.settings import get_settings

log = logging.getLogger(__name__)


@task_handler(START_TASK)
async def start_task(db: Database, payload: dict[str, Any], ctx: TaskContext) -> None:
    charge_id = uuid.UUID(payload["charge_id"])
    async with db.session() as session:
        claimed = await session.execute(
            update(GuestCharge)
            .where(
                GuestCharge.id == charge_id,
                GuestCharge.state == ChargeState.authorised,
                GuestCharge.start_sent_at.is_(None),
            )
            .values(start_sent_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return  # started already (a retried task) or no longer held
        row = await session.get(GuestCharge, charge_id)
        if row is None:
            return
        outcome = await start_at_charger(session, row)
    if not outcome.accepted:
        log.info("guest charge %s: the charger did not start (%s); releasing the hold", charge_id, outcome.failure)
        await start_failed(db, charge_id, outcome.failure or "guest.start_rejected")


@task_handler(SETTLE_TASK)
async def settle_task(db: Database, payload: dict[str, Any], ctx: TaskContext) -> None:
    await settle_charge(db, gateway(), get_settings(), uuid.UUID(payload["charge_id"]))


@periodic("guests.observe", timedelta(seconds=10))
async def observe_job(db: Database) -> int:
    return await observe_charges(db)


@on_event("checkout.session.")
async def checkout_event(db: Database, event: StripeEvent) -> None:
    if not event.object_id or not event.object_id.startswith("cs_"):
        return
    async with db.session() as session:
        charge_id = await charge_of_checkout(session, event.object_id)
        await session.commit()
    if charge_id is not None:
        await confirm_payment(db, gateway(), charge_id)
