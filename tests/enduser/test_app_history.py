"""History, invoices and cards in the app: only the person's own, and "mark as lost" blocks a card at
once through the tag service (local list version bumped, audited)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import Invoice, InvoiceState
from ladeportal.members.local_list import local_list_version as current_version
from ladeportal.members.models import IdTag, TagState
from ladeportal.platform.models import AuditEvent
from ladeportal.sessions.models import ChargingSession
from tests.enduser.conftest import World, running_session_of
from tests.portal.conftest import csrf_of


async def _invoice(
    session: AsyncSession, world: World, membership_id: uuid.UUID, number: str, state: InvoiceState
) -> None:
    session.add(
        Invoice(
            organization_id=world.org.id,
            membership_id=membership_id,
            period_month=date(2026, 10, 1),
            state=state,
            currency="NOK",
            total_minor=43_210,
            stripe_invoice_id=f"in_{uuid.uuid4().hex[:12]}",
            number=number,
            hosted_url=f"https://pay.test/{number}",
            due_date=datetime.now(UTC).date() + timedelta(days=14),
        )
    )
    await session.commit()


async def test_history_shows_my_sessions_with_their_stored_price(world: World, session: AsyncSession) -> None:
    mine = await running_session_of(session, world, world.me)
    await session.execute(
        update(ChargingSession)
        .where(ChargingSession.id == mine)
        .values(
            stopped_at=datetime.now(UTC),
            state="stopped",
            energy_wh=7_500,
            cost_total_minor=1_234,
            currency="NOK",
            cost_snapshot={"status": "priced", "lines": [{"kind": "energy", "label": "Strøm 7,5 kWh", "gross": 1234}]},
        )
    )
    await session.commit()
    theirs = await running_session_of(session, world, world.neighbour, connector=2)
    page = await world.me.client.get("/app/history")
    assert f"/app/sessions/{mine}" in page.text and f"/app/sessions/{theirs}" not in page.text
    assert "12,34" in page.text
    detail = await world.me.client.get(f"/app/sessions/{mine}")
    assert "Strøm 7,5 kWh" in detail.text and "Prisoppstilling" in detail.text
    assert "Energi" in detail.text and ">energy<" not in detail.text  # the line's kind in words, not its code
    for other in (world.neighbour, world.outsider):
        assert (await other.client.get(f"/app/sessions/{mine}")).status_code == 404
        assert (await other.client.get(f"/app/sessions/{mine}/live")).status_code == 404


async def test_invoices_show_status_and_the_pay_link_of_my_own_only(world: World, session: AsyncSession) -> None:
    await _invoice(session, world, world.me.membership.id, "MINE-1", InvoiceState.open)
    await _invoice(session, world, world.me.membership.id, "MINE-2", InvoiceState.paid)
    await _invoice(session, world, world.neighbour.membership.id, "THEIRS-1", InvoiceState.open)
    page = await world.me.client.get("/app/invoices")
    assert "MINE-1" in page.text and "MINE-2" in page.text and "THEIRS-1" not in page.text
    assert 'href="https://pay.test/MINE-1"' in page.text
    assert "https://pay.test/MINE-2" not in page.text  # paid: nothing to pay
    outsider = await world.outsider.client.get("/app/invoices")
    assert "MINE-1" not in outsider.text and "Ingen fakturaer ennå." in outsider.text


async def test_mark_a_card_as_lost_after_confirming(world: World, session: AsyncSession) -> None:
    org_id = world.org.id
    before = await current_version(session, org_id)
    cards = await world.me.client.get("/app/tags")
    assert world.my_card.uid in cards.text and world.neighbour_card.uid not in cards.text
    confirm = await world.me.client.get(f"/app/tags/{world.my_card.id}/lost")
    assert confirm.status_code == 200 and "Sperr brikken" in confirm.text
    # Nothing happens before the confirmation is posted.
    tag = await session.scalar(select(IdTag.state).where(IdTag.id == world.my_card.id))
    assert tag == TagState.active
    done = await world.me.client.post(f"/app/tags/{world.my_card.id}/lost", data={"csrf_token": csrf_of(confirm.text)})
    assert done.status_code == 303
    session.expire_all()
    assert await session.scalar(select(IdTag.state).where(IdTag.id == world.my_card.id)) == TagState.blocked
    assert await current_version(session, org_id) > before
    audit = await session.scalar(
        select(AuditEvent.action).where(AuditEvent.entity_id == str(world.my_card.id)).order_by(AuditEvent.id.desc())
    )
    assert audit == "tag.blocked"


async def test_nobody_else_can_mark_my_card_lost(world: World, session: AsyncSession) -> None:
    for other in (world.neighbour, world.outsider):
        assert (await other.client.get(f"/app/tags/{world.my_card.id}/lost")).status_code == 404
        page = await other.client.get("/app/account")
        response = await other.client.post(
            f"/app/tags/{world.my_card.id}/lost", data={"csrf_token": csrf_of(page.text)}
        )
        assert response.status_code == 404
    assert await session.scalar(select(IdTag.state).where(IdTag.id == world.my_card.id)) == TagState.active
