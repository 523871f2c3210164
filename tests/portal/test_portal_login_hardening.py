"""Login codes that nobody can read on the way, and send limits that a stranger cannot turn against
the person: their own browser keeps its allowance, everyone else gets a growing pause instead of a
lockout, and staff hear about a number that is being hammered."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.auth.limits import LONGEST_PAUSE, pause_after
from ladeportal.auth.models import LoginCode, SendLimitKey
from ladeportal.db.base import utcnow
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.models import Role, User
from ladeportal.platform.models import AuditEvent
from tests.factories import make_member, make_org, mobile_number
from tests.portal.conftest import csrf_of, last_code, new_client, request_code, sign_in

HELD_BACK = "auth.login_codes_held_back"


async def _staff(session: AsyncSession) -> str:
    phone = mobile_number()
    await make_member(session, await make_org(session), phone, role=Role.org_admin)
    return phone


async def _codes_for(session: AsyncSession, phone: str) -> int:
    await session.commit()
    return int(
        await session.scalar(
            select(func.count()).select_from(LoginCode).where(LoginCode.phone == phone, LoginCode.user_id.is_not(None))
        )
        or 0
    )


async def _age_requests(session: AsyncSession, by: timedelta) -> None:
    """Move every recorded request into the past, as if `by` had gone by."""
    await session.commit()
    for row in (await session.scalars(select(LoginCode))).all():
        await session.refresh(row)
        row.created_at -= by
    await session.commit()


async def _alerts(session: AsyncSession) -> int:
    await session.commit()
    return int(
        await session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == HELD_BACK)) or 0
    )


async def test_the_login_code_is_not_readable_in_the_outbox(client: httpx.AsyncClient, session: AsyncSession) -> None:
    phone = await _staff(session)
    assert (await request_code(client, phone)).status_code == 303
    tasks = (await session.scalars(select(OutboxTask).where(OutboxTask.kind == "sms.send"))).all()
    [task] = [t for t in tasks if t.payload["purpose"] == "login_code"]
    stored = json.dumps(task.payload)
    code = await last_code(session, phone)  # opened with the server secret, as the worker does
    assert code is not None
    assert code not in stored and phone not in stored and phone.lstrip("+") not in stored
    assert not re.search(r"\b\d{6}\b", stored)
    assert task.payload["purpose"] == "login_code"  # why it was sent stays visible


async def test_a_stranger_cannot_use_up_the_persons_own_browser(app: FastAPI, session: AsyncSession) -> None:
    phone = await _staff(session)
    person = new_client(app)
    assert (await sign_in(person, session, phone)).status_code == 303
    page = await person.get("/portal/", follow_redirects=True)
    assert (await person.post("/portal/logout", data={"csrf_token": csrf_of(page.text)})).status_code == 303

    # A stranger (from the same network, even) asks for the person's number until refused.
    stranger = new_client(app)
    statuses = [(await request_code(stranger, phone)).status_code for _ in range(6)]
    assert statuses[-1] == 429 and statuses.count(303) < 6
    before = await _codes_for(session, phone)

    # The person's browser, which signed in with this number before, still gets a code and signs in.
    response = await sign_in(person, session, phone)
    assert response.status_code == 303, response.text
    assert await _codes_for(session, phone) == before + 1
    # ...while yet another unknown browser is still held back.
    assert (await request_code(new_client(app), phone)).status_code == 429
    for c in (person, stranger):
        await c.aclose()


async def test_strangers_get_a_pause_that_grows_not_a_lockout(client: httpx.AsyncClient, session: AsyncSession) -> None:
    assert [pause_after(n) for n in range(3)] == [timedelta(0)] * 3
    assert [pause_after(n) for n in range(3, 8)] == [timedelta(minutes=m) for m in (5, 10, 20, 40, 80)]
    assert pause_after(20) == LONGEST_PAUSE == timedelta(hours=2)

    phone = await _staff(session)
    assert [(await request_code(client, phone)).status_code for _ in range(4)] == [303, 303, 303, 429]
    await _age_requests(session, timedelta(minutes=6))
    assert (await request_code(client, phone)).status_code == 303  # 4th code after a 5-minute pause
    assert (await request_code(client, phone)).status_code == 429
    await _age_requests(session, timedelta(minutes=6))
    assert (await request_code(client, phone)).status_code == 429  # now the pause is 10 minutes
    await _age_requests(session, timedelta(minutes=5))
    assert (await request_code(client, phone)).status_code == 303
    assert await _codes_for(session, phone) == 5


async def test_a_day_of_many_codes_still_allows_one_after_the_longest_pause(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    phone = await _staff(session)
    user_id = await session.scalar(select(User.id).where(User.phone == phone))
    now = utcnow()
    # Twelve codes today (more than the old fixed daily cap of ten), the latest just over 2 hours ago.
    for n in range(12):
        at = now - LONGEST_PAUSE - timedelta(minutes=1) - timedelta(minutes=80 * n)
        session.add(
            LoginCode(
                phone=phone,
                source_address=f"203.0.113.{n}",
                user_id=user_id,
                created_at=at,
                expires_at=at + timedelta(minutes=10),
            )
        )
    await session.commit()
    assert (await request_code(client, phone)).status_code == 303
    assert (await request_code(client, phone)).status_code == 429


async def test_a_number_held_back_alerts_staff_at_most_hourly(client: httpx.AsyncClient, session: AsyncSession) -> None:
    phone = await _staff(session)
    statuses = [(await request_code(client, phone)).status_code for _ in range(6)]
    assert statuses == [303] * 3 + [429] * 3
    assert await _alerts(session) == 1
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == HELD_BACK))
    user_id = await session.scalar(select(User.id).where(User.phone == phone))
    assert event is not None and event.entity_id == str(user_id)
    await session.execute(
        update(SendLimitKey)
        .where(SendLimitKey.key == f"phone:{phone}")
        .values(alerted_at=utcnow() - timedelta(minutes=61))
    )
    await session.commit()
    assert (await request_code(client, phone)).status_code == 429
    assert await _alerts(session) == 2
    # An unknown number held back is logged, but there is nobody to alert about.
    stranger_number = mobile_number()
    for _ in range(4):
        await request_code(client, stranger_number)
    assert await _alerts(session) == 2
