"""Send limits for login codes: every SMS costs money, and a flood of codes is a nuisance to the owner
of the number. Limits are counted from login_codes rows, so they hold across processes and restarts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from ladeportal.auth.models import LoginCode
from ladeportal.errors import DomainError

# (window, most requests in that window)
PER_NUMBER = ((timedelta(minutes=15), 3), (timedelta(hours=24), 10))
# A housing cooperative's board may sit behind one address, so the address allows more than a number.
PER_ADDRESS = ((timedelta(minutes=15), 10), (timedelta(hours=24), 50))


class RateLimited(DomainError):
    code = "rate_limited"


async def _count_since(session: AsyncSession, column: InstrumentedAttribute[str], value: str, since: datetime) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(LoginCode).where(column == value, LoginCode.created_at >= since)
        ) or 0
    )


async def check_send_limits(session: AsyncSession, phone: str, source_address: str, now: datetime) -> None:
    """Raise RateLimited when this request would exceed a limit. Known and unknown numbers are
    counted alike, so the answer reveals nothing about the number."""
    for window, most in PER_NUMBER:
        if await _count_since(session, LoginCode.phone, phone, now - window) >= most:
            raise RateLimited("Too many codes were requested for this number. Wait a while and try again.")
    for window, most in PER_ADDRESS:
        if await _count_since(session, LoginCode.source_address, source_address, now - window) >= most:
            raise RateLimited("Too many codes were requested from your network. Wait a while and try again.")
