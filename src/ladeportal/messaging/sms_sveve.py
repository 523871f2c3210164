"""Sveve (sveve.no), a Norwegian SMS gateway, through its HTTP JSON API.

POST {base}/SMS/SendMessage with {"user", "passwd", "to", "msg", "from", "ref", "f": "json"}; the
answer is {"response": {"msgOkCount": n, "ids": [...], "fatalError": "...", "errors": [...]}}.
LADEPORTAL_SMS_API_URL is the base (https://sveve.no), LADEPORTAL_SMS_API_TOKEN is "user:api-password".
"""

from __future__ import annotations

from typing import Any

import httpx

from ladeportal.messaging.sms import SmsMessage, SmsRejected
from ladeportal.settings import Settings

# The sender name on the recipient's phone: at most 11 characters, letters and digits only.
SENDER = "Ladeportal"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class SveveProvider:
    name = "sveve"

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        sender: str = SENDER,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/SMS/SendMessage"
        self.user, self.password, self.sender = user, password, sender
        self.transport = transport

    @classmethod
    def from_settings(cls, settings: Settings) -> SveveProvider:
        user, _, password = settings.sms_api_token.get_secret_value().partition(":")
        return cls(settings.sms_api_url, user, password, sender=settings.sms_sender)

    async def send(self, message: SmsMessage) -> str:
        body = {
            "user": self.user,
            "passwd": self.password,
            "to": message.to.lstrip("+"),
            "msg": message.text,
            "from": self.sender,
            "ref": message.reference[:36],
            "f": "json",
        }
        async with httpx.AsyncClient(timeout=TIMEOUT, transport=self.transport) as client:
            response = await client.post(self.url, json=body)
        if response.status_code >= 500 or response.status_code == 429:
            response.raise_for_status()  # worth retrying: the outbox backs off
        if response.status_code >= 400:
            raise SmsRejected(f"HTTP {response.status_code}")
        return _message_id(response.json())


def _message_id(data: Any) -> str:
    answer = data.get("response", {}) if isinstance(data, dict) else {}
    if answer.get("msgOkCount", 0) >= 1 and answer.get("ids"):
        return str(answer["ids"][0])
    errors = answer.get("errors") or []
    reason = answer.get("fatalError") or "; ".join(str(e.get("message", e)) for e in errors) or "no message sent"
    # Sveve reports bad credentials and bad numbers alike as errors in a 200 answer; neither heals
    # by itself, so the task fails for good and shows up in the outbox for someone to look at.
    raise SmsRejected(str(reason))
