"""Queueing an e-mail: the one function every flow (invitations, alerts, the upgrade notice) calls.

The e-mail is rendered now, in the caller's transaction, so a bad address or a template error fails
the request that caused it; what is stored is the finished message (in the outbox task, deleted after
the retention period) and its delivery record (email_deliveries.py). The worker sends it (email.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.jobs.outbox import enqueue
from ladeportal.messaging.email_address import valid_address
from ladeportal.messaging.email_deliveries import add_delivery
from ladeportal.messaging.email_render import render_email
from ladeportal.messaging.queue import EMAIL_TASK
from ladeportal.settings import get_settings


def email_enabled() -> bool:
    return get_settings().email_provider != "none"


async def queue_email(
    session: AsyncSession,
    to: str,
    template: str,
    language: str,
    context: Mapping[str, Any],
    *,
    organization_id: uuid.UUID | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue `template` (templates/email/<language>/<template>.txt and .html) rendered with `context` to
    `to`; returns the delivery record's id. Returns None, queueing nothing, when e-mail is switched off
    (LADEPORTAL_EMAIL_PROVIDER=none) or when `dedupe_key` was used before (a retried request).
    Raises ValidationFailed for a malformed address, an unknown template or language."""
    address = valid_address(to)
    settings = get_settings()
    email = render_email(template, language, {"public_url": settings.public_url, **context})
    if settings.email_provider == "none":
        return None
    delivery_id = await add_delivery(session, address, email, organization_id, dedupe_key)
    if delivery_id is None:
        return None
    max_attempts = settings.outbox_max_attempts
    payload = {
        "delivery_id": delivery_id,
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "message_key": uuid.uuid4().hex,
        "max_attempts": max_attempts,
    }
    await enqueue(session, EMAIL_TASK, payload, max_attempts=max_attempts)
    return delivery_id
