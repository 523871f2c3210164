"""Portal fixtures: the app on the test database, an HTTP client, and signing in through the real
login flow (the code is read from the SMS queued in the outbox, as a person reads their phone)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import Database
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.models import Role
from ladeportal.messaging.sealing import unseal
from ladeportal.orgs.models import Organization
from ladeportal.settings import get_settings, load_settings
from ladeportal.web import app as web_app
from tests.factories import make_member, make_org, mobile_number

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
async def app(db: Database, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FastAPI]:
    settings = load_settings(database_url=db.url, mode="test", run_worker_in_process=False)
    application = web_app.create_app(settings, db=db)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(app) as c:
        yield c


def new_client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


async def last_code(session: AsyncSession, phone: str) -> str | None:
    payloads = (
        await session.scalars(
            select(OutboxTask.payload).where(OutboxTask.kind == "sms.send").order_by(OutboxTask.id.desc())
        )
    ).all()
    await session.commit()  # ends the read transaction without expiring the test's objects
    secret = get_settings().secret_key.get_secret_value()
    for sealed in payloads:
        payload = unseal(secret, sealed)  # login codes are queued sealed; the worker opens them the same way
        if payload["to"] == phone:
            found = re.search(r"\b(\d{6})\b", payload["text"])
            return found.group(1) if found else None
    return None


async def request_code(client: httpx.AsyncClient, phone: str) -> httpx.Response:
    page = await client.get("/portal/login")
    return await client.post("/portal/login", data={"phone": phone, "csrf_token": csrf_of(page.text)})


async def sign_in(client: httpx.AsyncClient, session: AsyncSession, phone: str) -> httpx.Response:
    response = await request_code(client, phone)
    assert response.status_code == 303, response.text
    code = await last_code(session, phone)
    assert code is not None
    page = await client.get("/portal/login/code")
    return await client.post("/portal/login/code", data={"code": code, "csrf_token": csrf_of(page.text)})


async def form_post(client: httpx.AsyncClient, page_url: str, url: str, data: Mapping[str, object]) -> httpx.Response:
    """Load the page for its CSRF token, then post the form as a browser would."""
    page = await client.get(page_url)
    assert page.status_code == 200, page.text
    return await client.post(url, data={**data, "csrf_token": csrf_of(page.text)})


@dataclass
class Person:
    phone: str
    client: httpx.AsyncClient


@dataclass
class TwoOrgs:
    org_a: Organization
    org_b: Organization
    admin_a: Person
    finance_a: Person
    admin_b: Person


@pytest.fixture
async def two_orgs(app: FastAPI, session: AsyncSession) -> AsyncIterator[TwoOrgs]:
    """An admin of A, a finance user of A and an admin of B, each signed in with their own browser."""
    org_a, org_b = await make_org(session, legal_name="Alfa Borettslag"), await make_org(session, legal_name="Beta AS")
    people = []
    for org, role in ((org_a, Role.org_admin), (org_a, Role.finance), (org_b, Role.org_admin)):
        phone = mobile_number()
        await make_member(session, org, phone, role=role)
        c = new_client(app)
        assert (await sign_in(c, session, phone)).status_code == 303
        people.append(Person(phone, c))
    try:
        yield TwoOrgs(org_a, org_b, *people)
    finally:
        for p in people:
            await p.client.aclose()
