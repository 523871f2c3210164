"""Transaction messages (Start/Stop/MeterValues) in order, kept across offline periods."""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ladeportal.simulator.connectors import Transaction
from ladeportal.simulator.frames import CallErrorReply, ConnectionLost, Payload

logger = logging.getLogger(__name__)


@dataclass
class QueuedMessage:
    action: str
    payload: Payload
    transaction: Transaction | None
    # Resolves to the reply, or None when the message was dropped after its last attempt.
    done: asyncio.Future[Payload | None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    attempts: int = 0


Send = Callable[[QueuedMessage], Awaitable[Payload]]


class Outbox:
    """A FIFO that only the connected session drains, so queued messages keep their order and
    their original timestamps (OCPP 1.6 section 4.7: billing relies on them)."""

    def __init__(self) -> None:
        self._items: collections.deque[QueuedMessage] = collections.deque()
        self._added = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def items(self) -> list[QueuedMessage]:
        return list(self._items)

    def put(self, action: str, payload: Payload, transaction: Transaction | None) -> QueuedMessage:
        item = QueuedMessage(action, payload, transaction)
        self._items.append(item)
        self._empty.clear()
        self._added.set()
        return item

    async def wait_empty(self) -> None:
        await self._empty.wait()

    async def drain(self, send: Send, max_attempts: int, retry_interval: float) -> None:
        """Send until empty. ConnectionLost propagates and leaves the head in place for later."""
        while self._items:
            item = self._items[0]
            try:
                reply = await send(item)
            except (CallErrorReply, TimeoutError) as exc:
                # Real chargers retry TransactionMessageAttempts times, then drop the message.
                item.attempts += 1
                if item.attempts < max_attempts:
                    logger.info("%s failed (%s), retry %d", item.action, exc, item.attempts)
                    await asyncio.sleep(retry_interval * item.attempts)
                    continue
                logger.warning("%s dropped after %d attempts: %s", item.action, item.attempts, exc)
                self._items.popleft()
                if not item.done.done():
                    item.done.set_result(None)
                continue
            except ConnectionLost:
                raise
            self._items.popleft()
            if not item.done.done():
                item.done.set_result(reply)
        # No await between the loop's last check and here, so nothing can slip in unseen.
        self._added.clear()
        self._empty.set()

    async def run(self, send: Send, max_attempts: Callable[[], int], retry_interval: Callable[[], float]) -> None:
        while True:
            await self._added.wait()
            await self.drain(send, max_attempts(), retry_interval())
