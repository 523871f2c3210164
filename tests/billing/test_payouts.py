"""Payouts to an owner's bank: Connect events delivered in any order and repeatedly leave the payout as
Stripe has it now; an unknown account's events are ignored; `sync_payouts` reads the whole list, only
the organisation's own."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import ladeportal.billing.payouts  # noqa: F401  (registers the payout.* handler)
from ladeportal.billing.invoice_models import Payout
from ladeportal.billing.payouts import organisation_payouts, sync_payouts
from ladeportal.billing.webhooks import receive_event
from ladeportal.db.engine import Database
from ladeportal.jobs.outbox import run_due_tasks
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.conftest import CONNECT_SECRET, signed
from tests.billing.invoicing_fixtures import invoicing_org


async def _deliver(db: Database, event: dict[str, Any]) -> bool:
    body, headers = signed(event, CONNECT_SECRET)
    received = await receive_event(db, body, headers["stripe-signature"])
    await run_due_tasks(db, "test-worker")
    return not received.duplicate


async def _payouts(session: AsyncSession, org_id: uuid.UUID) -> list[tuple[str, int, str, str]]:
    rows = await session.scalars(
        select(Payout).where(Payout.organization_id == org_id).execution_options(populate_existing=True)
    )
    found = sorted((p.id, p.amount_minor, p.currency, p.status) for p in rows)
    await session.commit()
    return found


def _events_of(standin: StandinServer, payout_id: str) -> list[dict[str, Any]]:
    return [e for e in standin.events() if e["type"].startswith("payout.") and e["data"]["object"]["id"] == payout_id]


async def test_events_in_any_order_and_repeated_leave_what_stripe_says(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    assert world.account_id is not None
    payout = standin.make_payout(world.account_id, 250000, "nok", arrival_date=1_900_000_000)
    created, paid = _events_of(standin, payout["id"])
    assert (created["type"], paid["type"]) == ("payout.created", "payout.paid")

    assert await _deliver(db, paid) is True
    assert await _payouts(session, world.org.id) == [(payout["id"], 250000, "NOK", "paid")]
    # The older event arrives late: the payout is read again, so it stays paid.
    assert await _deliver(db, created) is True
    assert await _deliver(db, paid) is False  # the same delivery again: nothing to do
    redelivered = copy.deepcopy(created)
    redelivered["id"] = f"evt_{uuid.uuid4().hex[:24]}"  # another event about the same payout
    assert await _deliver(db, redelivered) is True
    assert await _payouts(session, world.org.id) == [(payout["id"], 250000, "NOK", "paid")]
    row = (await organisation_payouts(session, world.org.id))[0]
    assert row.arrival_date.isoformat() == "2030-03-17" and row.details["type"] == "bank_account"


async def test_an_unknown_accounts_payouts_are_ignored(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    assert world.account_id is not None
    payout = standin.make_payout(world.account_id, 1000)
    event = copy.deepcopy(_events_of(standin, payout["id"])[-1])
    event["account"] = "acct_nobodyknows"
    assert await _deliver(db, event) is True
    assert await _payouts(session, world.org.id) == []


async def test_sync_reads_every_page_of_the_organisations_own_payouts(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    other = await invoicing_org(db, session, standin)
    assert world.account_id is not None and other.account_id is not None
    made = []
    for n in range(1, 4):
        made.append(standin.make_payout(world.account_id, 1000 * n)["id"])
        standin.advance_time(60)
    standin.make_payout(other.account_id, 99)
    assert await sync_payouts(db, None, world.org.id, page_size=2) == 3  # two pages
    assert await sync_payouts(db, None, world.org.id) == 3
    assert sorted(p[0] for p in await _payouts(session, world.org.id)) == sorted(made)
    assert [p.amount_minor for p in await organisation_payouts(session, world.org.id)] == [3000, 2000, 1000]
    none_yet = await invoicing_org(db, session)  # no Stripe account
    assert await sync_payouts(db, None, none_yet.org.id) == 0
