"""The development e-mail provider: prints each e-mail and keeps the latest ones in memory.

In development (LADEPORTAL_MODE=dev) the whole plain-text part is printed, so invitation links can be
followed from the server's console. In other modes only the recipient's domain and the template are
printed; production refuses this provider altogether (settings.py).
"""

from __future__ import annotations

import sys
from collections import deque
from itertools import count
from typing import ClassVar

from ladeportal.messaging.email import OutgoingEmail


class ConsoleEmailProvider:
    name = "console"
    _shared: ClassVar[ConsoleEmailProvider | None] = None

    def __init__(self, keep: int = 100, *, show_text: bool = False) -> None:
        self.sent: deque[OutgoingEmail] = deque(maxlen=keep)
        self.show_text = show_text
        self._ids = count(1)

    @classmethod
    def shared(cls, *, show_text: bool = False) -> ConsoleEmailProvider:
        if cls._shared is None:
            cls._shared = cls(show_text=show_text)
        cls._shared.show_text = show_text
        return cls._shared

    async def send(self, message: OutgoingEmail) -> str:
        self.sent.append(message)
        if self.show_text:
            body = message.text.rstrip("\n").replace("\n", "\n    ")
            print(
                f"\n=== E-mail to {message.to} ({message.template}, {message.language}) ===\n"
                f"    Subject: {message.subject}\n\n    {body}\n",
                file=sys.stderr,
                flush=True,
            )
        else:
            domain = message.to.rpartition("@")[2]
            print(
                f"=== E-mail to …@{domain} ({message.template}), text shown only in dev mode ===",
                file=sys.stderr,
                flush=True,
            )
        return f"console-{next(self._ids)}"
