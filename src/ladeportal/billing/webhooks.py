"""Stripe's webhook events: received fast, worked through by the outbox.

`receive_event` verifies the signature (platform or Connect secret), then stores the event id under
its unique constraint together with a `billing.stripe_event` outbox task, in one transaction, and
asks Stripe nothing: the request is answered at once. A repeated delivery finds the id stored and
changes nothing. The task re-reads the account from Stripe instead of trusting the event's copy, so
events arriving in any order, late or twice, leave the state Stripe has now. An event about an
account that no organisation has is logged and ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ladeportal.billing.models import StripeAccount, StripeEvent
from ladeportal.billing.onboarding import refresh_account
from ladeportal.billing.stripe_gateway import VerifiedEvent, gateway, verify_event
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.errors import ValidationFailed
from ladeportal.jobs.outbox import PermanentFailure, TaskContext, enqueue, task_handler
from ladeportal.settings import Settings

log = logging.getLogger(__name__)

EVENT_TASK = "billing.stripe_event"
# Events that say something about a connected account; each makes us re-read that account.
ACCOUNT_EVENTS = ("account.updated", "account.application.authorized", "capability.updated", "person.")


# Handlers of other kinds of events (invoices, payouts, credit notes), registered by the modules that
# own those objects: `@on_event("invoice.")`. Each receives the stored event (with `object_id` and
# `account`) and must be idempotent and order-independent: re-read the object from Stripe rather
# than trust the event's copy. A DomainError other than PaymentsUnavailable ends the task.
EventHandler = Callable[[Database, StripeEvent], Awaitable[None]]
_EVENT_HANDLERS: list[tuple[str, EventHandler]] = []


def on_event(prefix: str) -> Callable[[EventHandler], EventHandler]:
    def register(fn: EventHandler) -> EventHandler:
        _EVENT_HANDLERS.append((prefix, fn))
        return fn

    return register


def _handlers_for(event_type: str) -> list[EventHandler]:
    return [fn for prefix, fn in _EVENT_HANDLERS if event_type.startswith(prefix)]


@dataclass(frozen=True)
class Received:
    event_id: str
    duplicate: bool


async def receive_event(
    db: Database, payload: bytes, signature: str | None, settings: Settings | None = None
) -> Received:
    """Verify and store one delivery; ValidationFailed(payments.webhook_signature) stores nothing."""
    event: VerifiedEvent = verify_event(payload, signature, settings)
    async with db.session() as session, unit_of_work(session):
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        result = await session.execute(
            insert(StripeEvent)
            .values(
                event_id=event.id,
                type=event.type[:100],
                account=event.account[:64] if event.account else None,
                endpoint=event.endpoint,
                object_id=event.object_id[:255] if event.object_id else None,
                received_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["event_id"])
        )
        duplicate = result.rowcount != 1  # type: ignore[attr-defined]
        if not duplicate:
            await enqueue(session, EVENT_TASK, {"event_id": event.id}, dedupe_key=f"stripe-event:{event.id}")
    if duplicate:
        log.info("stripe event %s received again; nothing to do", event.id)
    return Received(event.id, duplicate)


def _about_an_account(event_type: str) -> bool:
    return event_type.startswith(ACCOUNT_EVENTS)


@task_handler(EVENT_TASK)
async def handle_stripe_event(db: Database, payload: dict[str, Any], ctx: TaskContext) -> None:
    async with db.session() as session:
        event = await session.scalar(select(StripeEvent).where(StripeEvent.event_id == payload["event_id"]))
        row = None
        if event is not None and event.account and _about_an_account(event.type):
            row = await session.scalar(select(StripeAccount).where(StripeAccount.account_id == event.account))
        await session.commit()  # ends the read
    if event is None or event.processed_at is not None:
        return
    if row is None or row.account_id is None:
        if _about_an_account(event.type):
            log.warning(
                "stripe event %s (%s) is about unknown account %s; ignored", event.event_id, event.type, event.account
            )
    else:
        try:
            await refresh_account(db, gateway(), row.id, row.account_id)
        except ValidationFailed as exc:
            # Stripe refused (the account is gone, the key lost access) or payments are switched off:
            # asking again cannot help. An outage (PaymentsUnavailable) is retried by the outbox.
            raise PermanentFailure(f"account {row.account_id}: {exc.message}") from exc
    for handler in _handlers_for(event.type):
        try:
            await handler(db, event)
        except ValidationFailed as exc:
            raise PermanentFailure(f"event {event.event_id} ({event.type}): {exc.message}") from exc
    async with db.session() as session, unit_of_work(session):
        await session.execute(update(StripeEvent).where(StripeEvent.id == event.id).values(processed_at=utcnow()))
