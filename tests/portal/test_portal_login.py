"""Signing in with an SMS code: codes, limits, sessions, CSRF, logging out."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.auth.models import LoginCode, PortalSession
from ladeportal.db.base import utcnow
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.models import Role
from tests.factories import make_member, make_org, mobile_number
from tests.portal.conftest import csrf_of, last_code, request_code, sign_in


async def login_sms_count(session: AsyncSession) -> int:
    payloads = (await session.scalars(select(OutboxTask.payload).where(OutboxTask.kind == "sms.send"))).all()
    return sum(1 for p in payloads if p.get("purpose") == "login_code")


async def _staff(session: AsyncSession, role: Role = Role.org_admin) -> str:
    org = await make_org(session)
    phone = mobile_number()
    await make_member(session, org, phone, role=role)
    return phone


async def test_an_admin_signs_in_with_the_code_from_the_sms(client: httpx.AsyncClient, session: AsyncSession) -> None:
    phone = await _staff(session)
    response = await sign_in(client, session, phone)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "lp_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    dashboard = await client.get("/portal/", follow_redirects=True)
    assert dashboard.status_code == 200
    assert "Dashboard" in dashboard.text or "Oversikt" in dashboard.text


async def test_the_code_has_six_digits_and_the_sms_is_queued_in_the_outbox(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    phone = await _staff(session)
    await request_code(client, phone)
    code = await last_code(session, phone)
    assert code is not None and len(code) == 6
    row = await session.scalar(select(LoginCode).where(LoginCode.phone == phone))
    # Stored only as a keyed digest: 64 hex characters, never the code itself. (A substring check
    # would fail by chance now and then: a 6-digit run turns up in a random hex digest.)
    assert row is not None and row.code_hash is not None
    assert re.fullmatch(r"[0-9a-f]{64}", row.code_hash) and row.code_hash != code


async def test_unknown_and_known_numbers_get_the_same_answer(client: httpx.AsyncClient, session: AsyncSession) -> None:
    known = await _staff(session)
    member_only = await _staff(session, Role.member)
    answers = []
    for phone in (known, mobile_number(), member_only):
        response = await request_code(client, phone)
        answers.append((response.status_code, response.headers["location"]))
    assert answers[0] == answers[1] == answers[2]
    assert await login_sms_count(session) == 1  # only the admin costs an SMS


async def test_a_wrong_code_is_refused_and_five_wrong_tries_spend_the_code(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    phone = await _staff(session)
    await request_code(client, phone)
    code = await last_code(session, phone)
    assert code is not None
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        page = await client.get("/portal/login/code")
        response = await client.post("/portal/login/code", data={"code": wrong, "csrf_token": csrf_of(page.text)})
        assert response.status_code == 422
        assert "is-invalid" in response.text
    page = await client.get("/portal/login/code")
    response = await client.post("/portal/login/code", data={"code": code, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 422
    assert await session.scalar(select(func.count()).select_from(PortalSession)) == 0


async def test_a_wrong_code_and_a_bad_number_are_explained_in_norwegian(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    phone = await _staff(session)
    await request_code(client, phone)
    code = await last_code(session, phone)
    assert code is not None
    page = await client.get("/portal/login/code")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = await client.post("/portal/login/code", data={"code": wrong, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 422
    assert "Koden er feil eller utløpt. Sjekk SMS-en eller be om en ny kode." in response.text
    page = await client.get("/portal/login")
    response = await client.post("/portal/login", data={"phone": "12345", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 422
    assert "12345 er ikke et gyldig telefonnummer." in response.text


async def test_a_code_works_once(client: httpx.AsyncClient, session: AsyncSession, app: object) -> None:
    phone = await _staff(session)
    assert (await sign_in(client, session, phone)).status_code == 303
    code = await last_code(session, phone)
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    page = await other.get("/portal/login")
    # Without the pending-login cookie of the first browser, and with it, the spent code is refused.
    await other.post("/portal/login", data={"phone": phone, "csrf_token": csrf_of(page.text)})
    page = await other.get("/portal/login/code")
    response = await other.post("/portal/login/code", data={"code": code, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 422
    await other.aclose()


async def test_an_expired_code_is_refused(client: httpx.AsyncClient, session: AsyncSession) -> None:
    phone = await _staff(session)
    await request_code(client, phone)
    code = await last_code(session, phone)
    await session.execute(update(LoginCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    await session.commit()
    page = await client.get("/portal/login/code")
    response = await client.post("/portal/login/code", data={"code": code, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 422


async def test_send_limits_per_number_and_per_address(client: httpx.AsyncClient, session: AsyncSession) -> None:
    phone = await _staff(session)
    statuses = [(await request_code(client, phone)).status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
    statuses = [(await request_code(client, mobile_number())).status_code for _ in range(8)]
    assert statuses[-1] == 429  # 10 per address in 15 minutes, counting the 3 above
    assert await login_sms_count(session) == 3


async def test_bad_numbers_get_a_clear_error_and_nothing_is_stored(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for raw in ("", "abc", "12", "+47 22 22 22 22"):
        response = await request_code(client, raw)
        assert response.status_code == 422
        assert "invalid-feedback" in response.text
    assert await session.scalar(select(func.count()).select_from(LoginCode)) == 0


async def test_forms_without_a_csrf_token_are_refused(client: httpx.AsyncClient, session: AsyncSession) -> None:
    phone = await _staff(session)
    await client.get("/portal/login")
    response = await client.post("/portal/login", data={"phone": phone})
    assert response.status_code == 403
    response = await client.post("/portal/login", data={"phone": phone, "csrf_token": "forged"})
    assert response.status_code == 403
    assert await session.scalar(select(func.count()).select_from(LoginCode)) == 0


async def test_idle_and_absolute_timeouts_end_the_session(client: httpx.AsyncClient, session: AsyncSession) -> None:
    phone = await _staff(session)
    await sign_in(client, session, phone)
    assert (await client.get("/portal/")).status_code in (200, 303)
    await session.execute(update(PortalSession).values(last_seen_at=utcnow() - timedelta(hours=2)))
    await session.commit()
    response = await client.get("/portal/")
    assert response.status_code == 303 and response.headers["location"].startswith("/portal/login")
    await sign_in(client, session, phone)
    await session.execute(update(PortalSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    await session.commit()
    assert (await client.get("/portal/")).headers["location"].startswith("/portal/login")


async def test_logout_everywhere_ends_every_session(client: httpx.AsyncClient, session: AsyncSession) -> None:
    org = await make_org(session)
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin)
    dashboard = f"/portal/o/{org.id}/"  # answers 200 only while signed in (/portal/ redirects either way)
    await sign_in(client, session, phone)
    second = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    await sign_in(second, session, phone)
    assert (await client.get(dashboard)).status_code == 200
    assert (await second.get(dashboard)).status_code == 200
    page = await client.get(dashboard)
    response = await client.post("/portal/logout-everywhere", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303
    for browser in (second, client):
        after = await browser.get(dashboard)
        assert after.status_code == 303 and after.headers["location"].startswith("/portal/login")
    await second.aclose()


async def test_the_api_accepts_a_signed_in_browser(client: httpx.AsyncClient, session: AsyncSession) -> None:
    org = await make_org(session)
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin)
    url = f"/api/v1/orgs/{org.id}/chargers"
    assert (await client.get(url)).status_code == 401
    await sign_in(client, session, phone)
    assert (await client.get(url)).status_code == 200
