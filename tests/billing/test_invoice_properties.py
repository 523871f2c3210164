"""The invariants of invoicing, over random sessions, manual items, settings and claim orders:
- no item is on two invoices (and the database refuses a second row for an item);
- every draft's lines add up to its totals, and every invoice's items to the invoice's totals;
- collecting and claiming again changes nothing;
- once held sessions are released and a later run is made, every finished priced session of a member
  is on exactly one invoice, and the energy billed equals the sessions' energy."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import BillableItem, Invoice, InvoicedItem, InvoiceRun, ItemKind
from ladeportal.billing.invoice_preview import member_drafts
from ladeportal.billing.invoice_runs import claim_member_invoice, claim_next_invoices, next_unclaimed_member, open_run
from ladeportal.billing.invoice_settings import update_billing_settings
from ladeportal.billing.items import add_manual_item, collect_items
from ladeportal.db.engine import Database
from ladeportal.sessions.models import ChargingSession
from ladeportal.sessions.review import mark_reviewed
from tests.billing.invoicing_fixtures import add_members, finished_session, invoicing_org

NOV = date(2026, 11, 1)
DEC_5 = datetime(2026, 12, 5, 8, tzinfo=UTC)
JAN_5 = datetime(2027, 1, 5, 8, tzinfo=UTC)

sessions_strategy = st.lists(
    st.tuples(
        st.integers(0, 2),  # member
        st.integers(0, 45 * 24),  # hours after 1 Nov 00:00 UTC that it stopped
        st.integers(0, 60_000),  # Wh
        st.booleans(),  # flagged meter values: waits for a review
    ),
    max_size=12,
)
manual_strategy = st.lists(st.tuples(st.integers(0, 2), st.integers(1, 20_000)), max_size=3)


async def _org_rows(
    session: AsyncSession, org_id: uuid.UUID
) -> tuple[list[BillableItem], list[Invoice], list[InvoicedItem]]:
    items = list(await session.scalars(select(BillableItem).where(BillableItem.organization_id == org_id)))
    invoices = list(await session.scalars(select(Invoice).where(Invoice.organization_id == org_id)))
    ids = [i.id for i in invoices]
    links = list(await session.scalars(select(InvoicedItem).where(InvoicedItem.invoice_id.in_(ids)))) if ids else []
    await session.commit()
    return items, invoices, links


async def _claim(session: AsyncSession, run: InvoiceRun, first: list[uuid.UUID], batch: int = 0) -> None:
    for member in first:  # some members claimed in a random order (a worker resuming), then the rest
        await claim_member_invoice(session, run, member)
    if batch:
        while await claim_next_invoices(session, run, limit=batch):
            pass
    while (member := await next_unclaimed_member(session, run)) is not None:
        assert await claim_member_invoice(session, run, member) is not None


def _check_invoices(items: list[BillableItem], invoices: list[Invoice], links: list[InvoicedItem]) -> None:
    assert len({link.item_id for link in links}) == len(links)
    by_id = {i.id: i for i in items}
    for invoice in invoices:
        mine = [by_id[link.item_id] for link in links if link.invoice_id == invoice.id]
        assert mine, "an invoice without items"
        assert {i.membership_id for i in mine} == {invoice.membership_id}
        assert sum(i.gross_minor for i in mine) == invoice.total_minor
        assert sum(i.net_minor for i in mine) == invoice.net_minor
        assert sum(i.vat_minor for i in mine) == invoice.vat_minor
        assert invoice.net_minor + invoice.vat_minor == invoice.total_minor
        assert sum(i.energy_wh for i in mine) == invoice.energy_wh


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sessions=sessions_strategy,
    manual=manual_strategy,
    minimum=st.sampled_from([0, 3000]),
    mode=st.sampled_from(["per_session", "per_site_month"]),
    claim_order=st.lists(st.integers(0, 2), max_size=4),
    batch=st.sampled_from([0, 1, 2]),
)
async def test_invoicing_invariants(
    db: Database,
    sessions: list[tuple[int, int, int, bool]],
    manual: list[tuple[int, int]],
    minimum: int,
    mode: str,
    claim_order: list[int],
    batch: int,
) -> None:
    async with db.session() as session:
        world = await invoicing_org(db, session)
        org_id = world.org.id
        await update_billing_settings(session, world.actor, org_id, minimum_amount_minor=minimum, line_mode=mode)
        members = await add_members(session, world.org, 3)
        made: list[ChargingSession] = []
        for member, hours, energy, flagged in sessions:
            stopped = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=hours, minutes=len(made))
            made.append(
                await finished_session(
                    session,
                    world,
                    members[member],
                    stopped_at=stopped,
                    energy_wh=energy,
                    anomalies=["meter_reset"] if flagged else None,
                )
            )
        for member, gross in manual:
            await add_manual_item(
                session, world.actor, org_id, members[member].id, description="Brikke", gross_minor=gross
            )

        run = await open_run(session, world.actor, org_id, NOV, now=DEC_5)
        for draft in await member_drafts(session, run):
            assert sum(line.gross_minor for line in draft.lines) == draft.total_minor
            assert sum(line.net_minor for line in draft.lines) == draft.net_minor
            assert sum(line.vat_minor for line in draft.lines) == draft.vat_minor
            assert sum(line.energy_wh for line in draft.lines) == draft.energy_wh
            assert draft.carried_over == (draft.total_minor < minimum)
        await _claim(session, run, [members[i].id for i in claim_order], batch)
        first = await _org_rows(session, org_id)
        _check_invoices(*first)

        # Again: collecting and claiming change nothing.
        assert await collect_items(session, org_id, until=DEC_5) == 0
        assert (await open_run(session, world.actor, org_id, NOV, now=DEC_5)).id == run.id
        await _claim(session, run, [m.id for m in members])
        again = await _org_rows(session, org_id)
        assert [len(rows) for rows in again] == [len(rows) for rows in first]

        # The database refuses an item on a second invoice.
        items, invoices, links = again
        if links:
            other = Invoice(
                id=uuid.uuid4(),
                organization_id=org_id,
                membership_id=invoices[0].membership_id,
                period_month=NOV,
                currency="NOK",
            )
            session.add(other)
            await session.flush()
            with pytest.raises(IntegrityError):
                await session.execute(
                    insert(InvoicedItem).values(item_id=links[0].item_id, invoice_id=other.id, line_no=0)
                )
            await session.rollback()

        # Reviews release the held sessions; with no minimum, the next run bills everything left.
        for row in made:
            if row.anomalies:
                await mark_reviewed(session, world.actor, org_id, row.id)
        await update_billing_settings(session, world.actor, org_id, minimum_amount_minor=0)
        december = await open_run(session, world.actor, org_id, date(2026, 12, 1), now=JAN_5)
        await _claim(session, december, [], batch)
        items, invoices, links = await _org_rows(session, org_id)
        _check_invoices(items, invoices, links)
        invoiced = {link.item_id for link in links}
        assert invoiced == {i.id for i in items}
        session_items = [i for i in items if i.kind == ItemKind.session]
        assert sorted(i.session_id for i in session_items) == sorted(s.id for s in made)
        billed_energy = sum(inv.energy_wh for inv in invoices)
        assert billed_energy == sum(s.energy_wh or 0 for s in made)
        stored = await session.scalar(
            select(func.sum(ChargingSession.cost_total_minor)).where(ChargingSession.organization_id == org_id)
        )
        assert sum(inv.total_minor for inv in invoices) == (stored or 0) + sum(g for _, g in manual)
