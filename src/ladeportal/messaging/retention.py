"""Sent messages are personal data (a phone number or address, a text that may name the person): the
outbox keeps them only as long as someone may need to look into a delivery, then deletes them.

Pending and running tasks are never touched, whatever their age: deleting them would lose a message.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.jobs.models import OutboxTask, TaskState
from ladeportal.jobs.periodic import periodic
from ladeportal.messaging.org_limits import forget_old_sends
from ladeportal.messaging.queue import EMAIL_TASK, SMS_TASK
from ladeportal.settings import get_settings

MESSAGE_KINDS = (SMS_TASK, EMAIL_TASK)


async def purge_sent_messages(session: AsyncSession, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete messages that finished (sent, or failed for good) longer than `older_than` ago, and the
    organisations' send history once no limit counts it any more."""
    now = now or utcnow()
    cutoff = now - older_than
    async with unit_of_work(session):
        await forget_old_sends(session, now)
        result = await session.execute(
            delete(OutboxTask).where(
                OutboxTask.kind.in_(MESSAGE_KINDS),
                OutboxTask.state.in_((TaskState.done, TaskState.failed)),
                OutboxTask.finished_at < cutoff,
            )
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


@periodic("messaging.purge_sent", every=timedelta(hours=1))
async def purge_sent_messages_job(db: Database) -> None:
    async with db.session() as session:
        await purge_sent_messages(session, timedelta(days=get_settings().message_retention_days))
