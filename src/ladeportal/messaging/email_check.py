"""Checking the e-mail settings: the test e-mail, queued like any other or sent at once.

Sent at once it bypasses the outbox and records nothing, so the operator sees the mail server's own
answer (or refusal) right away instead of looking for it in a delivery record.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.errors import ValidationFailed
from ladeportal.messaging.email import OutgoingEmail, provider_for
from ladeportal.messaging.email_address import valid_address
from ladeportal.messaging.email_queue import email_enabled, queue_email
from ladeportal.messaging.email_render import render_email
from ladeportal.settings import get_settings

TEST_TEMPLATE = "test"


def _refuse_when_switched_off() -> None:
    if not email_enabled():
        raise ValidationFailed(
            "E-mail is switched off: set LADEPORTAL_EMAIL_PROVIDER to smtp (or console).",
            field="email_provider",
            code="email.switched_off",
        )


async def queue_test_email(session: AsyncSession, to: str, language: str) -> int | None:
    """Queue the test e-mail in the caller's transaction; returns its delivery record's id."""
    _refuse_when_switched_off()
    return await queue_email(session, to, TEST_TEMPLATE, language, {})


async def send_test_email_now(to: str, language: str) -> tuple[str, str]:
    """Send the test e-mail through the configured provider; returns (provider, the server's answer).
    Raises EmailRejected or EmailDeferred with the server's reason when it is not accepted."""
    _refuse_when_switched_off()
    address = valid_address(to)
    settings = get_settings()
    email = render_email(TEST_TEMPLATE, language, {"public_url": settings.public_url})
    provider = provider_for(settings)
    message = OutgoingEmail(
        to=address,
        subject=email.subject,
        text=email.text,
        html=email.html,
        language=email.language,
        template=email.template,
        message_key=uuid.uuid4().hex,
    )
    return provider.name, await provider.send(message)
