"""Send limits hold under parallel requests: many browsers asking for codes at the same moment get
exactly as many codes as the limit allows, never "a few more"."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.auth.limits import FREE_CODES, PER_ADDRESS
from ladeportal.auth.models import LoginCode, SendLimitKey
from ladeportal.auth.sessions import purge_expired
from ladeportal.db.base import utcnow
from ladeportal.members.models import Role
from tests.factories import make_member, make_org, mobile_number
from tests.portal.conftest import csrf_of, new_client
from tests.portal.test_portal_login import login_sms_count

PARALLEL = 8


async def _ready_browsers(app: FastAPI, n: int) -> list[tuple[httpx.AsyncClient, str]]:
    """n browsers, each with the login page (and so its CSRF cookie and token) already loaded."""
    browsers = []
    for _ in range(n):
        c = new_client(app)
        browsers.append((c, csrf_of((await c.get("/portal/login")).text)))
    return browsers


async def _ask_all_at_once(browsers: list[tuple[httpx.AsyncClient, str]], phones: list[str]) -> list[int]:
    try:
        responses = await asyncio.gather(
            *(
                c.post("/portal/login", data={"phone": phone, "csrf_token": token})
                for (c, token), phone in zip(browsers, phones, strict=True)
            )
        )
    finally:
        for c, _ in browsers:
            await c.aclose()
    return sorted(r.status_code for r in responses)


async def _codes(session: AsyncSession) -> int:
    await session.commit()
    return int(await session.scalar(select(func.count()).select_from(LoginCode)) or 0)


async def test_parallel_requests_for_one_number_get_exactly_the_limit(app: FastAPI, session: AsyncSession) -> None:
    org = await make_org(session)
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin)
    most = FREE_CODES
    statuses = await _ask_all_at_once(await _ready_browsers(app, PARALLEL), [phone] * PARALLEL)
    assert statuses == [303] * most + [429] * (PARALLEL - most)
    assert await _codes(session) == most
    assert await login_sms_count(session) == most


async def test_parallel_requests_from_one_address_get_exactly_the_limit(app: FastAPI, session: AsyncSession) -> None:
    most = PER_ADDRESS[0][1]
    parallel = most + 4
    # Unknown numbers count like known ones (the answer must not tell them apart).
    phones = [mobile_number() for _ in range(parallel)]
    statuses = await _ask_all_at_once(await _ready_browsers(app, parallel), phones)
    assert statuses == [303] * most + [429] * (parallel - most)
    assert await _codes(session) == most


async def test_idle_send_limit_keys_are_forgotten(app: FastAPI, session: AsyncSession) -> None:
    await _ask_all_at_once(await _ready_browsers(app, 1), [mobile_number()])
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(SendLimitKey)) == 2  # the number and the address
    await purge_expired(session, utcnow() + timedelta(hours=23))
    assert await session.scalar(select(func.count()).select_from(SendLimitKey)) == 2  # still inside a window
    await purge_expired(session, utcnow() + timedelta(hours=25))
    assert await session.scalar(select(func.count()).select_from(SendLimitKey)) == 0
