"""Signing in to the app: the portal's SMS codes and limits, for any member; a long-lived session per
phone that the person logs out (one phone or all) and an admin revokes in the portal."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.enduser.models import AppSession
from ladeportal.jobs.models import OutboxTask
from tests.enduser.conftest import World, app_sign_in
from tests.factories import make_org, mobile_number
from tests.portal.conftest import csrf_of, new_client


async def test_a_member_without_a_portal_role_signs_in_and_sees_the_app(world: World) -> None:
    page = await world.me.client.get("/app/")
    assert page.status_code == 200
    assert "Garasjen" in page.text and "Lader A" in page.text
    # The portal stays closed to a plain member: the app session is not a portal session.
    portal = await world.me.client.get("/portal/", follow_redirects=False)
    assert portal.status_code in (303, 307) and "/portal/login" in portal.headers["location"]


async def test_without_a_session_every_page_leads_to_the_login(app: FastAPI) -> None:
    async with new_client(app) as c:
        for url in ("/app/", "/app/history", "/app/invoices", "/app/tags", "/app/account"):
            response = await c.get(url)
            assert response.status_code == 303 and response.headers["location"] == "/app/login", url
        assert (await c.get("/app/sessions/1/live")).status_code == 401


async def test_an_unknown_number_gets_the_same_answer_and_no_sms(app: FastAPI, session: AsyncSession) -> None:
    async with new_client(app) as c:
        page = await c.get("/app/login")
        sent = await c.post("/app/login", data={"phone": mobile_number(), "csrf_token": csrf_of(page.text)})
        assert sent.status_code == 303 and sent.headers["location"] == "/app/login/code"
    assert (await session.scalar(select(OutboxTask.id).where(OutboxTask.kind == "sms.send"))) is None


async def test_a_bad_number_is_explained_in_norwegian(app: FastAPI) -> None:
    async with new_client(app) as c:
        page = await c.get("/app/login")
        sent = await c.post("/app/login", data={"phone": "12", "csrf_token": csrf_of(page.text)})
        assert sent.status_code == 422
        assert 'aria-invalid="true"' in sent.text


async def test_a_wrong_code_is_refused(app: FastAPI, session: AsyncSession, world: World) -> None:
    async with new_client(app) as c:
        page = await c.get("/app/login")
        await c.post("/app/login", data={"phone": world.me.phone, "csrf_token": csrf_of(page.text)})
        page = await c.get("/app/login/code")
        response = await c.post("/app/login/code", data={"code": "000000", "csrf_token": csrf_of(page.text)})
        assert response.status_code == 422
        assert (await c.get("/app/")).status_code == 303


async def test_forms_without_the_csrf_token_are_refused(world: World) -> None:
    response = await world.me.client.post("/app/logout-everywhere")
    assert response.status_code == 403


async def test_the_session_lasts_weeks_but_not_past_the_idle_limit(world: World, session: AsyncSession) -> None:
    await session.execute(update(AppSession).values(last_seen_at=utcnow() - timedelta(days=30)))
    await session.commit()
    assert (await world.me.client.get("/app/")).status_code == 200
    await session.execute(update(AppSession).values(last_seen_at=utcnow() - timedelta(days=61)))
    await session.commit()
    assert (await world.me.client.get("/app/")).status_code == 303


async def test_log_out_this_phone_and_everywhere(app: FastAPI, session: AsyncSession, world: World) -> None:
    second = new_client(app)
    assert (await app_sign_in(second, session, world.me.phone)).status_code == 303
    account = await world.me.client.get("/app/account")
    assert account.text.count('/logout"') == 2  # both phones listed
    out = await world.me.client.post("/app/logout-everywhere", data={"csrf_token": csrf_of(account.text)})
    assert out.status_code == 303
    assert (await world.me.client.get("/app/")).status_code == 303
    assert (await second.get("/app/")).status_code == 303
    # The neighbour's phone is untouched.
    assert (await world.neighbour.client.get("/app/")).status_code == 200
    await second.aclose()


async def test_a_person_cannot_log_out_someone_elses_phone(world: World, session: AsyncSession) -> None:
    theirs = await session.scalar(select(AppSession.id).where(AppSession.user_id == world.neighbour.membership.user_id))
    page = await world.me.client.get("/app/account")
    response = await world.me.client.post(
        f"/app/account/phones/{theirs}/logout", data={"csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 404
    assert (await world.neighbour.client.get("/app/")).status_code == 200


async def test_someone_in_two_organisations_sees_both_labelled(
    app: FastAPI, session: AsyncSession, world: World
) -> None:
    from ladeportal.db.base import utcnow
    from tests.factories import make_member, make_site
    from tests.portal.ocpp_rows import charger

    second_org = await make_org(session, legal_name="Fjellvegen Sameie")
    site = await make_site(session, second_org, name="P-kjeller")
    await charger(session, site, "APP-FJELL", seen=utcnow(), name="Lader F")
    await make_member(session, second_org, world.me.phone)
    page = await world.me.client.get("/app/")
    assert "Solsiden Borettslag" in page.text and "Fjellvegen Sameie" in page.text
    assert "Lader A" in page.text and "Lader F" in page.text
    # The neighbour sees only their own organisation.
    theirs = await world.neighbour.client.get("/app/")
    assert "Lader F" not in theirs.text
