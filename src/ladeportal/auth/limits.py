"""Send limits for login codes: every SMS costs money, and a flood of codes is a nuisance to the owner
of the number. Limits are counted from login_codes rows, so they hold across processes and restarts.

Counting and recording must be one step, or parallel requests all count the same rows and all pass.
Each request therefore first locks a row for its number and one for its address (login_send_keys)
and holds both until its transaction ends; requests for the same number or from the same address
take turns, and each counts the rows its predecessors committed. The number is always locked before
the address, so two requests can never wait for each other in a circle.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from ladeportal.auth.models import LoginCode, SendLimitKey
from ladeportal.errors import DomainError

# (window, most requests in that window)
PER_NUMBER = ((timedelta(minutes=15), 3), (timedelta(hours=24), 10))
# A housing cooperative's board may sit behind one address, so the address allows more than a number.
PER_ADDRESS = ((timedelta(minutes=15), 10), (timedelta(hours=24), 50))
LONGEST_WINDOW = max(window for window, _ in PER_NUMBER + PER_ADDRESS)


class RateLimited(DomainError):
    code = "rate_limited"


async def _take_turn(session: AsyncSession, key: str, now: datetime) -> None:
    """Lock the key's row until the transaction ends, creating it first if this is its first request.

    PostgreSQL: the UPDATE's row lock makes the next request wait, and under READ COMMITTED its
    following count sees what this one committed. SQLite: the INSERT is the transaction's first write,
    which takes the database's write lock, so requests run one after another anyway."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(SendLimitKey).values(key=key, touched_at=now).on_conflict_do_nothing())
    await session.execute(update(SendLimitKey).where(SendLimitKey.key == key).values(touched_at=now))


async def _count_since(session: AsyncSession, column: InstrumentedAttribute[str], value: str, since: datetime) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(LoginCode).where(column == value, LoginCode.created_at >= since)
        ) or 0
    )


async def check_send_limits(session: AsyncSession, phone: str, source_address: str, now: datetime) -> None:
    """Raise RateLimited when this request would exceed a limit. Known and unknown numbers are
    counted alike, so the answer reveals nothing about the number.

    Call it inside the transaction that records the request (a LoginCode row), before anything else
    in it: the turn it takes lasts until that transaction commits or rolls back."""
    await _take_turn(session, f"phone:{phone}", now)
    await _take_turn(session, f"address:{source_address[:45]}", now)
    for window, most in PER_NUMBER:
        if await _count_since(session, LoginCode.phone, phone, now - window) >= most:
            raise RateLimited("Too many codes were requested for this number. Wait a while and try again.")
    for window, most in PER_ADDRESS:
        if await _count_since(session, LoginCode.source_address, source_address[:45], now - window) >= most:
            raise RateLimited("Too many codes were requested from your network. Wait a while and try again.")


async def forget_idle_keys(session: AsyncSession, now: datetime) -> None:
    """Keys hold numbers and addresses; one unused for longer than any window locks nothing worth keeping."""
    await session.execute(delete(SendLimitKey).where(SendLimitKey.touched_at < now - LONGEST_WINDOW))
