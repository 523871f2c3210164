"""Counting the SQL statements a piece of code sends: the N+1 guard of the page and import tests.

A statement is one cursor execution; an executemany of many rows counts once, which is the point:
work done in batches stays flat as the data grows, work done per row does not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def statements_sent(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements executed on the engine inside the block, in order (SQLite's PRAGMAs on connect
    are not counted: they run on the raw driver connection before the engine sees it)."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
