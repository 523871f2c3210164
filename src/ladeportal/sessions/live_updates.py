"""In-process wake-ups for live views of a session: the meter writer calls `notify` after the
commit that stored a session's meter values, and every open live stream of that session in this
process re-reads it at once. Streams in another process (web and gateway run apart) miss these and
fall back on re-reading the database every few seconds, so a notification is only ever a shortcut.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

_listeners: dict[int, set[asyncio.Event]] = {}


def notify(session_id: int) -> None:
    for event in _listeners.get(session_id, ()):
        event.set()


@contextmanager
def listen(session_id: int) -> Iterator[asyncio.Event]:
    """An event set whenever the session's meter values were committed in this process."""
    event = asyncio.Event()
    _listeners.setdefault(session_id, set()).add(event)
    try:
        yield event
    finally:
        waiting = _listeners.get(session_id)
        if waiting is not None:
            waiting.discard(event)
            if not waiting:
                _listeners.pop(session_id, None)
