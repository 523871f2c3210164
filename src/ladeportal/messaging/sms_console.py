"""The development SMS provider: prints each message and keeps the latest ones in memory.

In development the person trying the portal reads the login code in the server's console.
"""

from __future__ import annotations

import sys
from collections import deque
from itertools import count
from typing import ClassVar

from ladeportal.messaging.sms import SmsMessage


class ConsoleProvider:
    name = "console"
    _shared: ClassVar[ConsoleProvider | None] = None

    def __init__(self, keep: int = 100) -> None:
        self.sent: deque[SmsMessage] = deque(maxlen=keep)
        self._ids = count(1)

    @classmethod
    def shared(cls) -> ConsoleProvider:
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    async def send(self, message: SmsMessage) -> str:
        self.sent.append(message)
        body = message.text.replace("\n", "\n    ")
        print(f"\n=== SMS to {message.to} ({message.purpose}) ===\n    {body}\n", file=sys.stderr, flush=True)
        return f"console-{next(self._ids)}"
