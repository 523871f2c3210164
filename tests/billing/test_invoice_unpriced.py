"""Sessions no price plan priced (none for the member's group at that site): not billed, not counted as
waiting for a review, and shown to the finance user in the run's preview with the reason, per site and
group, and a link to the prices; another organisation's never."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import BillableItem
from ladeportal.billing.items import collect_items, held_back_sessions
from ladeportal.billing.unpriced import unpriced_sessions
from ladeportal.db.engine import Database
from ladeportal.members.groups import create_group
from ladeportal.members.models import User
from ladeportal.pricing.models import SessionPricing
from ladeportal.sessions.models import ChargingSession
from tests.billing.invoicing_fixtures import InvoicingOrg, finance_user, finished_session, invoicing_org
from tests.factories import ACTOR, make_member, mobile_number
from tests.portal.conftest import csrf_of, new_client, sign_in
from tests.portal.test_invoicing_pages import assert_norwegian

LATER = datetime(2026, 12, 20, tzinfo=UTC)


async def _world_with_an_unpriced_session(db: Database, session: AsyncSession) -> tuple[InvoicingOrg, ChargingSession]:
    world = await invoicing_org(db, session)
    guests = await create_group(session, ACTOR, world.org.id, "Gjesteplasser")
    await session.commit()
    guest = await make_member(session, world.org, mobile_number(), name="Gunn Gjest", group_id=guests.id)
    priced = await make_member(session, world.org, mobile_number(), name="Per Priset")
    unpriced = await finished_session(
        session, world, guest, stopped_at=datetime(2026, 11, 3, 12, tzinfo=UTC), energy_wh=7_500
    )
    await finished_session(session, world, guest, stopped_at=datetime(2026, 11, 4, 12, tzinfo=UTC), energy_wh=2_500)
    await finished_session(session, world, priced, stopped_at=datetime(2026, 11, 5, 12, tzinfo=UTC))
    return world, unpriced


async def test_an_unpriced_session_is_not_billed_nor_waiting_and_is_listed_with_its_site_and_group(
    db: Database, session: AsyncSession
) -> None:
    world, unpriced = await _world_with_an_unpriced_session(db, session)
    pricing = await session.get(SessionPricing, unpriced.id)
    assert pricing is not None and pricing.plan_id is None and pricing.needs_review  # as the pricing hook leaves it
    await session.commit()
    other, _ = await _world_with_an_unpriced_session(db, session)

    assert await held_back_sessions(session, world.org.id, until=LATER) == 0
    assert await collect_items(session, world.org.id, until=LATER) == 1  # Per's session only
    billed = list(
        await session.scalars(select(BillableItem.session_id).where(BillableItem.organization_id == world.org.id))
    )
    await session.commit()
    assert unpriced.id not in billed
    [group] = await unpriced_sessions(session, world.org.id, until=LATER)
    assert (group.site_name, group.group_name, group.sessions, group.energy_wh) == (
        world.site.name,
        "Gjesteplasser",
        2,
        10_000,
    )
    assert group.last_ended_at == datetime(2026, 11, 4, 12, tzinfo=UTC)
    # Before the cutoff only what ended by then.
    [early] = await unpriced_sessions(session, world.org.id, until=datetime(2026, 11, 3, 13, tzinfo=UTC))
    assert early.sessions == 1
    assert len(await unpriced_sessions(session, other.org.id, until=LATER)) == 1  # its own only


async def test_the_preview_shows_unpriced_sessions_apart_with_a_link_to_the_prices(
    app: FastAPI, db: Database, session: AsyncSession
) -> None:
    world, _ = await _world_with_an_unpriced_session(db, session)
    finance = await finance_user(session, world.org)
    phone = await session.scalar(select(User.phone).where(User.id == finance.user_id))
    await session.commit()
    assert phone is not None
    async with new_client(app) as c:
        assert (await sign_in(c, session, phone)).status_code == 303
        base = f"/portal/o/{world.org.id}/invoicing"
        overview = await c.get(base)
        opened = await c.post(f"{base}/runs", data={"month": "2026-11", "csrf_token": csrf_of(overview.text)})
        preview = await c.get(opened.headers["location"])
        assert preview.status_code == 200
        assert_norwegian(preview)
        assert 'data-testid="held-back">0<' in preview.text
        assert "Ikke priset: ingen prisplan for denne gruppen på dette anlegget" in preview.text
        assert preview.text.count('data-testid="unpriced-row"') == 1 and "Gjesteplasser" in preview.text
        assert f'href="/portal/o/{world.org.id}/prices/assignments"' in preview.text
        assert preview.text.count('data-testid="draft"') == 1 and "Per Priset" in preview.text
        assert "Gunn Gjest" not in preview.text
        prices = await c.get(f"/portal/o/{world.org.id}/prices/assignments")
        assert prices.status_code == 200
