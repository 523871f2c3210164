"""Delivery records of e-mails: written when an e-mail is queued, updated by the worker after each
attempt, read by the portal (which e-mails an organisation's people were sent and why one failed),
deleted LADEPORTAL_EMAIL_DELIVERY_RETENTION_DAYS after they finished (they name a person's address).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.jobs.periodic import periodic
from ladeportal.messaging.email_models import DeliveryState, EmailDelivery
from ladeportal.messaging.email_render import RenderedEmail
from ladeportal.settings import get_settings

ERROR_MAX = 1000


async def add_delivery(
    session: AsyncSession, to: str, email: RenderedEmail, organization_id: uuid.UUID | None, dedupe_key: str | None
) -> int | None:
    """Insert the record in the caller's transaction; None when `dedupe_key` was used before."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(EmailDelivery).values(
        organization_id=organization_id,
        recipient=to,
        template=email.template,
        language=email.language,
        subject=email.subject[:300],
        state=DeliveryState.queued,
        attempts=0,
        dedupe_key=dedupe_key,
        created_at=utcnow(),
    )
    if dedupe_key is not None:
        # The database decides, so two requests racing with one key queue one e-mail between them.
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    return await session.scalar(stmt.returning(EmailDelivery.id))


async def _record(db: Database, delivery_id: int, **values: object) -> None:
    async with db.session() as session, unit_of_work(session):
        await session.execute(update(EmailDelivery).where(EmailDelivery.id == delivery_id).values(**values))


async def record_sent(db: Database, delivery_id: int, attempt: int) -> None:
    now = utcnow()
    await _record(
        db, delivery_id, state=DeliveryState.sent, attempts=attempt, error=None, last_attempt_at=now, finished_at=now
    )


async def record_failure(db: Database, delivery_id: int, attempt: int, error: str, *, final: bool) -> None:
    """A final failure ends the delivery; any other keeps it queued for the outbox's next attempt."""
    now = utcnow()
    values: dict[str, object] = {"attempts": attempt, "error": error[:ERROR_MAX], "last_attempt_at": now}
    if final:
        values.update(state=DeliveryState.failed, finished_at=now)
    await _record(db, delivery_id, **values)


async def deliveries_for_org(session: AsyncSession, org_id: uuid.UUID, *, limit: int = 100) -> Sequence[EmailDelivery]:
    """The organisation's e-mails, newest first."""
    rows = await session.scalars(
        select(EmailDelivery)
        .where(EmailDelivery.organization_id == org_id)
        .order_by(EmailDelivery.created_at.desc(), EmailDelivery.id.desc())
        .limit(limit)
    )
    return rows.all()


async def purge_finished_deliveries(session: AsyncSession, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete records that finished longer than `older_than` ago; queued ones are never touched."""
    cutoff = (now or utcnow()) - older_than
    async with unit_of_work(session):
        result = await session.execute(
            delete(EmailDelivery).where(EmailDelivery.state != DeliveryState.queued, EmailDelivery.finished_at < cutoff)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


@periodic("messaging.purge_email_deliveries", every=timedelta(hours=6))
async def purge_email_deliveries_job(db: Database) -> None:
    async with db.session() as session:
        await purge_finished_deliveries(session, timedelta(days=get_settings().email_delivery_retention_days))
