"""Queueing messages inside the caller's transaction; a worker sends them (see sms.py / email.py).

A provider outage therefore loses nothing: the task stays in the outbox and is retried with back-off.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.jobs.outbox import enqueue

SMS_TASK = "sms.send"
EMAIL_TASK = "email.send"


async def queue_sms(session: AsyncSession, to: str, text: str, *, purpose: str, dedupe_key: str | None = None) -> None:
    """`to` is E.164; `purpose` (otp, invite, ...) is kept for the outbox view and provider tags."""
    await enqueue(session, SMS_TASK, {"to": to, "text": text, "purpose": purpose}, dedupe_key=dedupe_key)


async def queue_email(
    session: AsyncSession, to: str, subject: str, text: str, *, purpose: str, dedupe_key: str | None = None
) -> None:
    await enqueue(
        session, EMAIL_TASK, {"to": to, "subject": subject, "text": text, "purpose": purpose}, dedupe_key=dedupe_key
    )
