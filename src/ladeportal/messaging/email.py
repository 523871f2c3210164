"""Sending e-mail: the one seam between the product and mail servers.

Domain code never sends directly: it queues an e-mail (email_queue.queue_email) in its own transaction,
and the worker hands it to the configured provider here: `smtp` (email_smtp.py) or, in development,
`console` (email_console.py). A temporary failure (a 4xx answer, a server that cannot be reached) is
retried with the outbox's back-off; a permanent one (5xx) ends the delivery at once. Either way the
reason is kept on the delivery record (email_deliveries.py). Tests replace the provider with
`set_provider` or point the settings at an SMTP server of their own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from ladeportal.db.engine import Database
from ladeportal.jobs.outbox import PermanentFailure, TaskContext, task_handler

# email_deliveries also registers the periodic clean-up of old delivery records with the worker.
from ladeportal.messaging.email_deliveries import record_failure, record_sent
from ladeportal.messaging.email_models import DeliveryState, EmailDelivery
from ladeportal.messaging.queue import EMAIL_TASK
from ladeportal.settings import Settings, get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str
    language: str
    template: str
    # The left part of the Message-ID: fixed when the e-mail is queued, so a message sent twice (a
    # worker that died after the server accepted it) is recognisable as one by the recipient's mail system.
    message_key: str


class EmailRejected(Exception):
    """The mail server refused the e-mail for good (a 5xx answer): retrying cannot help."""


class EmailDeferred(Exception):
    """The e-mail could not be handed over now (a 4xx answer, no connection): worth retrying."""


class EmailProvider(Protocol):
    name: str

    async def send(self, message: OutgoingEmail) -> str:
        """Hand the message over; return what identifies it (the server's answer). Raise EmailRejected
        for permanent refusals, any other exception for failures worth retrying."""


_override: EmailProvider | None = None


def set_provider(provider: EmailProvider | None) -> None:
    """Replace the configured provider (tests)."""
    global _override
    _override = provider


def provider_for(settings: Settings) -> EmailProvider:
    if _override is not None:
        return _override
    if settings.email_provider == "smtp":
        from ladeportal.messaging.email_smtp import SmtpProvider

        return SmtpProvider.from_settings(settings)
    if settings.email_provider == "console":
        from ladeportal.messaging.email_console import ConsoleEmailProvider

        return ConsoleEmailProvider.shared(show_text=settings.mode == "dev")
    raise EmailRejected("e-mail is switched off (LADEPORTAL_EMAIL_PROVIDER=none)")


def failure_reason(exc: BaseException) -> str:
    """One readable line for the delivery record (the mail server's own words where there are any)."""
    text = str(exc).strip()
    if isinstance(exc, EmailRejected | EmailDeferred) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@task_handler(EMAIL_TASK)
async def send_email_task(db: Database, payload: dict[str, Any], ctx: TaskContext) -> None:
    delivery_id = payload.get("delivery_id")
    if not isinstance(delivery_id, int):
        raise PermanentFailure("not an e-mail queued with messaging.email_queue.queue_email")
    async with db.session() as session:
        delivery = await session.get(EmailDelivery, delivery_id)
    if delivery is None:
        raise PermanentFailure(f"delivery {delivery_id} no longer exists (its organisation was deleted)")
    if delivery.state != DeliveryState.queued:
        # Run again after a worker died between recording the outcome and finishing the task.
        return
    message = OutgoingEmail(
        to=delivery.recipient,
        subject=str(payload["subject"]),
        text=str(payload["text"]),
        html=str(payload["html"]),
        language=delivery.language,
        template=delivery.template,
        message_key=str(payload["message_key"]),
    )
    last_attempt = ctx.attempt >= int(payload.get("max_attempts", 1))
    try:
        provider = provider_for(get_settings())
        answer = await provider.send(message)
    except EmailRejected as exc:
        await record_failure(db, delivery_id, ctx.attempt, failure_reason(exc), final=True)
        raise PermanentFailure(failure_reason(exc)) from exc
    except Exception as exc:
        await record_failure(db, delivery_id, ctx.attempt, failure_reason(exc), final=last_attempt)
        raise
    await record_sent(db, delivery_id, ctx.attempt)
    # Who and which template, never the text: it may hold an invitation link.
    log.info("e-mail %s (%s) sent via %s: %s", delivery_id, delivery.template, provider.name, answer)
