"""The wrong-answer limit of a login code holds under parallel guesses, on SQLite and PostgreSQL: of
any number of guesses sent at once (each in its own database session, as separate web requests would
be), at most five are compared with the code, and a right code after them fails."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.auth.codes import MAX_WRONG_ANSWERS, LoginFailed, request_login_code
from ladeportal.auth.limits import Requester
from ladeportal.auth.models import LoginCode, PortalSession
from ladeportal.auth.sessions import SessionPolicy, SignedIn, sign_in
from ladeportal.db.engine import Database
from tests.auth.helpers import code_secrets, latest_code, staff_member

POLICY = SessionPolicy(idle=timedelta(hours=1), absolute=timedelta(hours=12))
PARALLEL = 24


async def _guess(db: Database, phone: str, code: str) -> SignedIn | None:
    async with db.session() as session:
        try:
            return await sign_in(session, phone, code, code_secrets(), POLICY)
        except LoginFailed:
            return None


async def _attempts(session: AsyncSession, phone: str) -> int:
    row = await session.scalar(select(LoginCode).where(LoginCode.phone == phone).order_by(LoginCode.created_at.desc()))
    await session.commit()
    assert row is not None
    await session.refresh(row)
    return row.failed_attempts


async def test_parallel_guesses_are_compared_at_most_five_times(db: Database, session: AsyncSession) -> None:
    phone = await staff_member(session)
    # Three rounds with a fresh code each: the right code is sent among 23 wrong ones (behind 6, 9 and
    # 12 of them), all at once. Whatever order the database serves them in, wrong answers counted plus
    # a sign-in never exceed five: the right code either came among the first five compared, or it
    # is refused.
    for round_, position in enumerate((6, 9, 12)):
        await request_login_code(session, phone, Requester.of(f"198.51.100.{round_}"), code_secrets())
        code = await latest_code(session, phone)
        wrong = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, PARALLEL)]
        guesses = [*wrong[:position], code, *wrong[position:]]
        outcomes = await asyncio.gather(*(_guess(db, phone, guess) for guess in guesses))
        signed_in = [o for o in outcomes if o is not None]
        attempts = await _attempts(session, phone)
        assert attempts <= MAX_WRONG_ANSWERS
        assert attempts + len(signed_in) <= MAX_WRONG_ANSWERS, (round_, attempts, len(signed_in))
        if not signed_in:
            assert attempts == MAX_WRONG_ANSWERS
            assert await _guess(db, phone, code) is None  # the right code after the limit fails


async def test_after_parallel_wrong_guesses_the_right_code_fails(db: Database, session: AsyncSession) -> None:
    phone = await staff_member(session)
    await request_login_code(session, phone, Requester.of("198.51.100.9"), code_secrets())
    code = await latest_code(session, phone)
    wrong = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, PARALLEL + 1)]
    outcomes = await asyncio.gather(*(_guess(db, phone, guess) for guess in wrong))
    assert outcomes == [None] * PARALLEL
    assert await _attempts(session, phone) == MAX_WRONG_ANSWERS
    assert await _guess(db, phone, code) is None
    assert (await session.scalars(select(PortalSession))).all() == []


async def test_parallel_right_answers_sign_in_once(db: Database, session: AsyncSession) -> None:
    phone = await staff_member(session)
    await request_login_code(session, phone, Requester.of("198.51.100.10"), code_secrets())
    code = await latest_code(session, phone)
    outcomes = await asyncio.gather(*(_guess(db, phone, code) for _ in range(8)))
    assert sum(1 for o in outcomes if o is not None) == 1
    assert await _attempts(session, phone) == 0
