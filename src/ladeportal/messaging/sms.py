"""Sending SMS: the one seam between the product and SMS providers.

Domain code never sends directly: it queues an "sms.send" outbox task (queue.queue_sms) in its own
transaction, and the worker hands it to the configured provider here. A provider outage therefore
loses nothing; the task is retried with back-off. Tests patch `set_provider` and nothing else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from ladeportal.db.engine import Database
from ladeportal.jobs.outbox import PermanentFailure, TaskContext, task_handler
from ladeportal.messaging.queue import SMS_TASK
from ladeportal.messaging.redact import mask_phone
from ladeportal.messaging.sealing import SealBroken, unseal
from ladeportal.settings import Settings, get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    text: str
    purpose: str
    # Stable across retries of one outbox task, so a provider that deduplicates can do so.
    reference: str


class SmsRejected(Exception):
    """The provider refused the message for good (bad number, blocked recipient): retrying cannot help."""


class SmsProvider(Protocol):
    name: str

    async def send(self, message: SmsMessage) -> str:
        """Deliver to the provider; return its message id. Raise SmsRejected for permanent refusals,
        any other exception for failures worth retrying."""


_override: SmsProvider | None = None


def set_provider(provider: SmsProvider | None) -> None:
    """Replace the configured provider (tests, and the development console)."""
    global _override
    _override = provider


def provider_for(settings: Settings) -> SmsProvider:
    if _override is not None:
        return _override
    if settings.sms_provider == "http":
        from ladeportal.messaging.sms_sveve import SveveProvider

        return SveveProvider.from_settings(settings)
    from ladeportal.messaging.sms_console import ConsoleProvider

    return ConsoleProvider.shared(show_text=settings.mode == "dev")


@task_handler(SMS_TASK)
async def send_sms_task(db: Database, payload: dict[str, Any], ctx: TaskContext) -> None:
    settings = get_settings()
    try:
        payload = unseal(settings.secret_key.get_secret_value(), payload)
    except SealBroken as exc:
        raise PermanentFailure(str(exc)) from exc
    message = SmsMessage(
        to=str(payload["to"]),
        text=str(payload["text"]),
        purpose=str(payload.get("purpose", "")),
        reference=f"outbox-{ctx.task_id}",
    )
    provider = provider_for(settings)
    try:
        provider_id = await provider.send(message)
    except SmsRejected as exc:
        raise PermanentFailure(f"{provider.name} rejected the SMS: {exc}") from exc
    # The text holds login codes: log who (masked) and why, never what.
    log.info(
        "sms sent via %s to %s (%s), provider id %s",
        provider.name,
        mask_phone(message.to),
        message.purpose,
        provider_id,
    )


# Registered with the worker through this module (jobs/registry.py imports it): sent messages are
# deleted after the retention period.
import ladeportal.messaging.retention  # noqa: E402,F401
