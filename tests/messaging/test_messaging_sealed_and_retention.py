"""Sealed SMS payloads survive retries and open only with the server's key; sent messages are
deleted from the outbox after the retention period by a periodic job."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import ladeportal.jobs.registry  # noqa: F401  (the worker's view of the registered work)
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.jobs.models import OutboxTask, TaskState
from ladeportal.jobs.outbox import run_due_tasks
from ladeportal.jobs.periodic import registered_jobs
from ladeportal.messaging import sms
from ladeportal.messaging.queue import queue_sms
from ladeportal.messaging.retention import purge_sent_messages
from ladeportal.messaging.sms import SmsMessage
from ladeportal.messaging.sms_console import ConsoleProvider
from ladeportal.settings import get_settings

TEXT = "Din innloggingskode for Ladeportal er 481516."


class Flaky(ConsoleProvider):
    """Fails the first attempt like a provider outage, then delivers."""

    failed = False

    async def send(self, message: SmsMessage) -> str:
        if not self.failed:
            self.failed = True
            raise ConnectionError("provider down")
        return await super().send(message)


async def _queue(db: Database, secret: str) -> None:
    async with db.session() as session, unit_of_work(session):
        await queue_sms(session, "+4791234567", TEXT, purpose="login_code", seal_with=secret)


async def _only_task(db: Database) -> OutboxTask:
    async with db.session() as session:
        task = await session.scalar(select(OutboxTask))
        assert task is not None
        return task


async def test_a_sealed_sms_is_unreadable_in_the_outbox_and_delivered_after_a_retry(db: Database) -> None:
    await _queue(db, get_settings().secret_key.get_secret_value())
    stored = json.dumps((await _only_task(db)).payload)
    assert "481516" not in stored and "91234567" not in stored and "login_code" in stored
    provider = Flaky()
    sms.set_provider(provider)
    try:
        await run_due_tasks(db, "test")
        assert (await _only_task(db)).state == TaskState.pending
        async with db.session() as session, unit_of_work(session):
            task = await session.scalar(select(OutboxTask))
            assert task is not None
            task.run_after = utcnow() - timedelta(seconds=1)
        await run_due_tasks(db, "test")
    finally:
        sms.set_provider(None)
    assert [(m.to, m.text) for m in provider.sent] == [("+4791234567", TEXT)]
    assert (await _only_task(db)).state == TaskState.done


async def test_a_payload_sealed_under_another_key_fails_for_good_without_sending(db: Database) -> None:
    await _queue(db, "another-secret-key-" + "x" * 32)
    provider = ConsoleProvider()
    sms.set_provider(provider)
    try:
        await run_due_tasks(db, "test")
    finally:
        sms.set_provider(None)
    task = await _only_task(db)
    assert task.state == TaskState.failed and "sealed" in (task.last_error or "")
    assert not provider.sent


async def test_sent_messages_are_purged_after_the_retention_period(db: Database, session: AsyncSession) -> None:
    now = utcnow()
    old, recent = now - timedelta(days=8), now - timedelta(days=1)
    rows = {
        "sent long ago": OutboxTask(
            kind="sms.send", payload={"to": "+4791234567", "text": "x"}, state=TaskState.done, finished_at=old
        ),
        "failed long ago": OutboxTask(
            kind="sms.send", payload={"purpose": "x"}, state=TaskState.failed, finished_at=old
        ),
        "e-mail long ago": OutboxTask(
            kind="email.send", payload={"to": "a@b.no"}, state=TaskState.done, finished_at=old
        ),
        "sent yesterday": OutboxTask(
            kind="sms.send", payload={"purpose": "x"}, state=TaskState.done, finished_at=recent
        ),
        "still pending": OutboxTask(
            kind="sms.send", payload={"purpose": "x"}, state=TaskState.pending, created_at=old, run_after=old
        ),
        "other work": OutboxTask(kind="ocpp.sync_local_list", payload={}, state=TaskState.done, finished_at=old),
    }
    session.add_all(rows.values())
    await session.commit()
    ids = {name: row.id for name, row in rows.items()}
    assert await purge_sent_messages(session, timedelta(days=7), now) == 3
    left = set((await session.scalars(select(OutboxTask.id))).all())
    assert left == {ids["sent yesterday"], ids["still pending"], ids["other work"]}
    assert "messaging.purge_sent" in [job.name for job in registered_jobs()]
