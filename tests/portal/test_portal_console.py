"""The operator console: every organisation, searched by name or number, filtered by chargers,
members, payments, prices, terms and activity, paged in SQL, and the same statements for a page of
a small platform as of a large one (one query per column group)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.members.groups import default_group
from ladeportal.members.models import Role
from ladeportal.members.services import make_operator
from ladeportal.orgs.models import Organization
from ladeportal.platform.audit import Actor
from ladeportal.platform.console import PAGE_SIZE
from ladeportal.platform.models import AuditEvent
from ladeportal.pricing import services as pricing
from ladeportal.pricing.assignments import assign_group_plan
from ladeportal.terms.acceptance import accept_terms
from tests.factories import ACTOR, make_charger, make_member, make_org, make_site, mobile_number
from tests.portal.conftest import new_client, sign_in
from tests.query_count import statements_sent
from tests.terms.support import published

FIXED = {"energy": {"type": "fixed", "price_per_kwh": "2.50"}}


@pytest.fixture
async def staff(app: FastAPI, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    phone = mobile_number()
    await make_operator(session, ACTOR, phone, "Ola Operatør")
    async with new_client(app) as c:
        assert (await sign_in(c, session, phone)).status_code == 303
        yield c


def _names(html: str) -> list[str]:
    return re.findall(r'data-testid="org-row"><td><a href="[^"]+">([^<]+)</a>', html)


async def _world(session: AsyncSession) -> dict[str, Organization]:
    """Fjord: a charger online, prices, members, accepted terms. Bakken: a charger offline, no
    prices, nothing accepted. Tomt: nothing at all, no activity for a year."""
    fjord = await make_org(session, legal_name="Fjord Borettslag", org_number="923609016")
    bakken = await make_org(session, legal_name="Bakken Sameie")
    tomt = await make_org(session, legal_name="Tomt AS")
    for org, seen in ((fjord, utcnow()), (bakken, utcnow() - timedelta(hours=3))):
        charger = await make_charger(session, await make_site(session, org))
        await session.execute(
            update(ChargePoint).where(ChargePoint.id == charger.charge_point.id).values(last_seen_at=seen)
        )
    admin = await make_member(session, fjord, role=Role.org_admin)
    await make_member(session, bakken)
    plan = await pricing.create_plan(
        session, ACTOR, fjord.id, "Beboere", FIXED, effective_from=datetime(2026, 1, 1, tzinfo=UTC)
    )
    await assign_group_plan(session, ACTOR, fjord.id, (await default_group(session, fjord.id)).id, plan.id)
    version = await published(session)
    await accept_terms(session, Actor("user:x", user_id=admin.user_id), fjord.id, [version.id], "10.0.0.1")
    await session.execute(
        update(AuditEvent).where(AuditEvent.organization_id == tomt.id).values(at=utcnow() - timedelta(days=365))
    )
    await session.commit()
    return {"fjord": fjord, "bakken": bakken, "tomt": tomt}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Bakken Sameie", "Fjord Borettslag", "Tomt AS"]),
        ("q=fjord", ["Fjord Borettslag"]),
        ("q=923+609", ["Fjord Borettslag"]),
        ("q=%25", []),  # a LIKE wildcard is searched for as a character
        ("chargers=offline", ["Bakken Sameie"]),
        ("chargers=all_online", ["Fjord Borettslag"]),
        ("chargers=none", ["Tomt AS"]),
        ("members=no", ["Tomt AS"]),
        ("prices=yes", ["Fjord Borettslag"]),
        ("prices=no", ["Bakken Sameie", "Tomt AS"]),
        ("terms=accepted", ["Fjord Borettslag"]),
        ("terms=waiting", ["Bakken Sameie", "Tomt AS"]),
        ("stripe=not_started", ["Bakken Sameie", "Fjord Borettslag", "Tomt AS"]),
        ("stripe=ready", []),
        ("activity=inactive", ["Tomt AS"]),
        ("subscription=none", ["Bakken Sameie", "Fjord Borettslag", "Tomt AS"]),
        ("subscription=past_due", []),
        ("chargers=offline&prices=yes", []),
        ("chargers=bogus&page=x", ["Bakken Sameie", "Fjord Borettslag", "Tomt AS"]),  # ignored, not an error
    ],
)
async def test_search_and_filters(
    staff: httpx.AsyncClient, session: AsyncSession, query: str, expected: list[str]
) -> None:
    await _world(session)
    page = await staff.get(f"/portal/operator/?{query}")
    assert page.status_code == 200
    assert _names(page.text) == expected
    if not expected:
        assert "Ingen organisasjon passer" in page.text


async def test_the_row_shows_each_column_group(staff: httpx.AsyncClient, session: AsyncSession) -> None:
    await _world(session)
    page = await staff.get("/portal/operator/?q=fjord")
    row = re.search(r'data-testid="org-row">.*?</tr>', page.text, re.S)
    assert row
    cells = dict(re.findall(r'data-testid="(online|offline|members)">(\d+)<', row.group(0)))
    assert cells == {"online": "1", "offline": "0", "members": "1"}
    assert "Godtatt" in row.group(0) and "Ja" in row.group(0) and "Ikke startet" in row.group(0)


async def test_pages_of_fifty_in_name_order(staff: httpx.AsyncClient, session: AsyncSession) -> None:
    for n in range(PAGE_SIZE + 3):
        await make_org(session, legal_name=f"Lag {n:03d}")
    first = await staff.get("/portal/operator/?q=lag")
    assert len(_names(first.text)) == PAGE_SIZE and "53 organisasjoner" in first.text
    assert 'data-testid="next-page"' in first.text
    second = await staff.get("/portal/operator/?q=lag&page=2")
    assert _names(second.text) == ["Lag 050", "Lag 051", "Lag 052"]


async def test_a_page_sends_the_same_statements_for_few_and_many_organisations(
    db: Database, staff: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _world(session)

    async def counted() -> list[str]:
        assert (await staff.get("/portal/operator/")).status_code == 200
        with statements_sent(db.engine) as sent:
            assert (await staff.get("/portal/operator/")).status_code == 200
        return [s for s in sent if not s.startswith("UPDATE portal_sessions")]

    small = await counted()
    for _ in range(12):
        org = await make_org(session)
        await make_charger(session, await make_site(session, org))
        await make_member(session, org)
    large = await counted()
    assert len(large) == len(small), "\n".join(large)
