"""Queueing messages inside the caller's transaction; a worker sends them (see sms.py / email.py).

A provider outage therefore loses nothing: the task stays in the outbox and is retried with back-off.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.jobs.outbox import enqueue
from ladeportal.messaging.sealing import seal

SMS_TASK = "sms.send"
EMAIL_TASK = "email.send"


async def queue_sms(
    session: AsyncSession,
    to: str,
    text: str,
    *,
    purpose: str,
    dedupe_key: str | None = None,
    seal_with: str | None = None,
) -> None:
    """`to` is E.164; `purpose` (login_code, invite, ...) stays readable for the outbox view and provider
    tags. With `seal_with` (the server secret) the number and the text are stored encrypted: a login
    code must not be readable by whoever can read the database, its backups or its query log."""
    fields = {"to": to, "text": text}
    payload = {"purpose": purpose, **(seal(seal_with, fields) if seal_with else fields)}
    await enqueue(session, SMS_TASK, payload, dedupe_key=dedupe_key)


async def queue_email(
    session: AsyncSession, to: str, subject: str, text: str, *, purpose: str, dedupe_key: str | None = None
) -> None:
    await enqueue(
        session, EMAIL_TASK, {"to": to, "subject": subject, "text": text, "purpose": purpose}, dedupe_key=dedupe_key
    )
