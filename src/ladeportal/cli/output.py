"""Printing results for people or, with --json, for scripts; errors go to stderr with exit status 1."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.errors import DomainError
from ladeportal.settings import SettingsError

T = TypeVar("T")


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@asynccontextmanager
async def command_session() -> AsyncIterator[AsyncSession]:
    """A session on the configured database, opened for one command and closed afterwards."""
    from ladeportal.db.engine import Database
    from ladeportal.settings import get_settings

    db = Database(get_settings().database_url)
    try:
        async with db.session() as s:
            yield s
    finally:
        await db.dispose()


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run an async command body, turning domain and configuration errors into clear messages."""
    try:
        return asyncio.run(coro_fn())  # type: ignore[arg-type]
    except DomainError as exc:
        field = f" ({exc.field})" if exc.field else ""
        fail(f"{exc.message}{field}")
    except SettingsError as exc:
        fail(str(exc), code=2)
    raise AssertionError("unreachable")


def emit(as_json: bool, data: dict[str, Any], human: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False, indent=2) + "\n")
    else:
        typer.echo(human)
