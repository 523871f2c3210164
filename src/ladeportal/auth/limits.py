"""Send limits for login codes: every SMS costs money, and a flood of codes is a nuisance to the owner
of the number. Limits are counted from login_codes rows, so they hold across processes and restarts.

Three allowances, so that a stranger cannot lock the real person out:
- a browser that has signed in with the number before (a trusted device, see TrustedDevice) has its
  own allowance for that number, which nobody else's requests use up;
- every other request for the number shares one allowance that never closes for good: a few codes
  at once, then a pause that doubles with every further code, up to LONGEST_PAUSE. Requests that
  are held back send nothing and do not lengthen the pause; staff are alerted (audit trail, warning
  log) at most once an hour while a number is held back;
- each source address has its own allowance (a board behind one address gets more than a number).

Counting and recording must be one step, or parallel requests all count the same rows and all pass.
Each request therefore first locks a row for its number and one for its address (login_send_keys)
and holds both until its transaction ends; requests for the same number or from the same address
take turns, and each counts the rows its predecessors committed. The number is always locked before
the address, so two requests can never wait for each other in a circle.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.auth.models import LoginCode, SendLimitKey
from ladeportal.errors import DomainError

log = logging.getLogger(__name__)

# A housing cooperative's board may sit behind one address, so the address allows more than a number.
PER_ADDRESS = ((timedelta(minutes=15), 10), (timedelta(hours=24), 50))
# The person's own browser: as much as a person ever needs, and a stranger cannot use it up.
PER_TRUSTED_DEVICE = ((timedelta(minutes=15), 3), (timedelta(hours=24), 10))
# Everyone else asking for one number: FREE_CODES in a day without waiting, then a pause after the
# latest code of FIRST_PAUSE, doubling with each code, at most LONGEST_PAUSE. That is at most about
# 18 codes a day (3 + 5 min, 10, 20, 40, 80 min, then one every 2 h), and never a lockout.
FREE_CODES = 3
FIRST_PAUSE = timedelta(minutes=5)
LONGEST_PAUSE = timedelta(hours=2)
COUNTED_FOR = timedelta(hours=24)
ALERT_EVERY = timedelta(hours=1)
LONGEST_WINDOW = max([window for window, _ in PER_ADDRESS + PER_TRUSTED_DEVICE] + [COUNTED_FOR])

NUMBER_HELD_BACK = "Too many codes were requested for this number. Wait a while and try again."


class RateLimited(DomainError):
    kind = "rate_limited"


class NumberHeldBack(RateLimited):
    """Requests for this number from unknown browsers must pause; the caller alerts staff."""


@dataclass(frozen=True)
class Requester:
    """Where a request comes from: the client address and the sha256 of the browser's device cookie."""

    address: str
    device_key: str | None = None

    @classmethod
    def of(cls, address: str, device_id: str | None = None) -> Requester:
        key = hashlib.sha256(device_id.encode()).hexdigest() if device_id else None
        return cls(address[:45], key)


def pause_after(codes: int) -> timedelta:
    """How long an untrusted request must wait after the latest code, when the number got `codes`
    codes from untrusted requests in the last 24 hours."""
    if codes < FREE_CODES:
        return timedelta(0)
    return min(FIRST_PAUSE * 2 ** (codes - FREE_CODES), LONGEST_PAUSE)


async def take_turn(session: AsyncSession, key: str, now: datetime) -> None:
    """Lock the key's row until the transaction ends, creating it first if this is its first request.

    PostgreSQL: the UPDATE's row lock makes the next request wait, and under READ COMMITTED its
    following count sees what this one committed. SQLite: the INSERT is the transaction's first write,
    which takes the database's write lock, so requests run one after another anyway."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(SendLimitKey).values(key=key, touched_at=now).on_conflict_do_nothing())
    await session.execute(update(SendLimitKey).where(SendLimitKey.key == key).values(touched_at=now))


async def _count(session: AsyncSession, since: datetime, *where: ColumnElement[bool]) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(LoginCode).where(LoginCode.created_at >= since, *where))
        or 0
    )


async def _check_untrusted(session: AsyncSession, phone: str, now: datetime) -> None:
    untrusted = (LoginCode.phone == phone, LoginCode.trusted_device.is_(False))
    codes = await _count(session, now - COUNTED_FOR, *untrusted)
    if codes < FREE_CODES:
        return
    latest = await session.scalar(select(func.max(LoginCode.created_at)).where(*untrusted))
    if latest is not None and now - latest < pause_after(codes):
        raise NumberHeldBack(NUMBER_HELD_BACK, code="login.number_held_back")


async def check_send_limits(
    session: AsyncSession, phone: str, requester: Requester, now: datetime, *, trusted: bool = False
) -> None:
    """Raise RateLimited when this request would exceed a limit (NumberHeldBack for the number's
    shared allowance). Known and unknown numbers are counted alike, so the answer reveals nothing
    about the number; `trusted` is true only for a browser that signed in with this number.

    Call it inside the transaction that records the request (a LoginCode row), before anything else
    in it: the turn it takes lasts until that transaction commits or rolls back."""
    await take_turn(session, f"phone:{phone}", now)
    await take_turn(session, f"address:{requester.address}", now)
    if trusted:
        # The person's own browser: limited per number and device only, so neither a stranger hammering
        # the number nor one sharing the person's network (a café, a mobile carrier's NAT) can stop it.
        for window, most in PER_TRUSTED_DEVICE:
            if (
                await _count(
                    session, now - window, LoginCode.phone == phone, LoginCode.device_key == requester.device_key
                )
                >= most
            ):
                raise RateLimited(NUMBER_HELD_BACK, code="login.number_held_back")
        return
    await _check_untrusted(session, phone, now)
    for window, most in PER_ADDRESS:
        if await _count(session, now - window, LoginCode.source_address == requester.address) >= most:
            raise RateLimited(
                "Too many codes were requested from your network. Wait a while and try again.",
                code="login.network_held_back",
            )


async def claim_alert(session: AsyncSession, phone: str, now: datetime) -> bool:
    """True (once an hour per number) when staff should be told that the number is being held back."""
    result = await session.execute(
        update(SendLimitKey)
        .where(
            SendLimitKey.key == f"phone:{phone}",
            (SendLimitKey.alerted_at.is_(None)) | (SendLimitKey.alerted_at < now - ALERT_EVERY),
        )
        .values(alerted_at=now)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


async def forget_idle_keys(session: AsyncSession, now: datetime) -> None:
    """Keys hold numbers and addresses; one unused for longer than any window locks nothing worth keeping."""
    await session.execute(delete(SendLimitKey).where(SendLimitKey.touched_at < now - LONGEST_WINDOW))
