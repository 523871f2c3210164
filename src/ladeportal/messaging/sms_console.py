"""The development SMS provider: prints each message and keeps the latest ones in memory.

In development (LADEPORTAL_MODE=dev) the person trying the portal reads the login code in the server's
console: that is how `make run` signs in. In every other mode it prints only who and why, never the
text, so codes do not end up in logs; production refuses this provider altogether (settings.py).
"""

from __future__ import annotations

import sys
from collections import deque
from itertools import count
from typing import ClassVar

from ladeportal.messaging.redact import mask_phone
from ladeportal.messaging.sms import SmsMessage


class ConsoleProvider:
    name = "console"
    _shared: ClassVar[ConsoleProvider | None] = None

    def __init__(self, keep: int = 100, *, show_text: bool = False) -> None:
        self.sent: deque[SmsMessage] = deque(maxlen=keep)
        self.show_text = show_text
        self._ids = count(1)

    @classmethod
    def shared(cls, *, show_text: bool = False) -> ConsoleProvider:
        if cls._shared is None:
            cls._shared = cls(show_text=show_text)
        cls._shared.show_text = show_text
        return cls._shared

    async def send(self, message: SmsMessage) -> str:
        self.sent.append(message)
        if self.show_text:
            body = message.text.replace("\n", "\n    ")
            print(f"\n=== SMS to {message.to} ({message.purpose}) ===\n    {body}\n", file=sys.stderr, flush=True)
        else:
            print(
                f"=== SMS to {mask_phone(message.to)} ({message.purpose}), text shown only in dev mode ===",
                file=sys.stderr,
                flush=True,
            )
        return f"console-{next(self._ids)}"
