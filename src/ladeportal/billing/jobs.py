"""The billing area's work for the worker: the `billing.stripe_event` outbox handler (webhooks.py)
and the hourly payments reminders (reminders.py)."""

from __future__ import annotations

import logging
from datetime import timedelta

import ladeportal.billing.webhooks  # noqa: F401  (registers the billing.stripe_event handler)
from ladeportal.billing.reminders import run_reminders
from ladeportal.db.engine import Database
from ladeportal.jobs.periodic import periodic

log = logging.getLogger(__name__)


@periodic("billing.payment_reminders", every=timedelta(hours=1))
async def payment_reminders_job(db: Database) -> None:
    sent = await run_reminders(db)
    if sent:
        log.info("payments: %d reminders queued", sent)
