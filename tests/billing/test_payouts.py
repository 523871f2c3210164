"""Payouts to an owner's bank: Connect events delivered in any order and repeatedly leave the payout as
Stripe has it now; an unknown account's events are ignored; `sync_payouts` reads the whole list, only
the organisation's own."""

from __future__ import annotations

import copy
import uuid
from dataclasses import replace
from typing import Any

import pytest
import stripe
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import ladeportal.billing.payouts  # noqa: F401  (registers the payout.* handler)
from ladeportal.billing.accounting_export import export_rows
from ladeportal.billing.invoice_models import Payout, PayoutInvoice
from ladeportal.billing.invoice_sync import refresh_invoice
from ladeportal.billing.payouts import link_invoices, organisation_payouts, sync_payouts
from ladeportal.billing.stripe_gateway import gateway
from ladeportal.billing.webhooks import receive_event
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.jobs.outbox import run_due_tasks
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.after_invoice_fixtures import invoice_row, sdk, stripe_invoice
from tests.billing.conftest import CONNECT_SECRET, signed
from tests.billing.invoicing_fixtures import add_members, invoicing_org


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


async def _links(session: AsyncSession, org_id: uuid.UUID) -> list[tuple[str, uuid.UUID]]:
    rows = await session.execute(
        select(PayoutInvoice.payout_id, PayoutInvoice.invoice_id).where(PayoutInvoice.organization_id == org_id)
    )
    found = sorted((str(p), i) for p, i in rows.all())
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


async def test_a_payout_is_linked_to_the_invoices_whose_money_it_carried(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    other = await invoicing_org(db, session, standin)
    assert world.account_id is not None and other.account_id is not None
    member = (await add_members(session, world.org, 1))[0]
    paid_at_stripe = stripe_invoice(standin, world.account_id, 12_500, fee_minor=125)
    unpaid_at_stripe = stripe_invoice(standin, world.account_id, 4_000)
    paid = await invoice_row(session, world.org.id, member.id, total_minor=12_500, stripe_invoice=paid_at_stripe)
    unpaid = await invoice_row(session, world.org.id, member.id, total_minor=4_000, stripe_invoice=unpaid_at_stripe)
    standin.pay_invoice(str(paid_at_stripe.id))
    # Another owner's paid invoice goes into that owner's payout, never into this one.
    standin.pay_invoice(str(stripe_invoice(standin, other.account_id, 999).id))
    assert await refresh_invoice(db, gateway(), str(paid_at_stripe.id))

    payout = standin.make_payout(world.account_id, 12_375, "nok", arrival_date=1_900_000_000)
    for event in _events_of(standin, payout["id"]):
        await _deliver(db, event)
    links = await _links(session, world.org.id)
    assert links == [(payout["id"], paid.id)]
    amount = await session.scalar(select(PayoutInvoice.amount_minor).where(PayoutInvoice.invoice_id == paid.id))
    await session.commit()
    assert amount == 12_500  # what the transfer carried to the owner's balance
    # The full sync finds the same link again, without doubling it; a later payout carries nothing of it.
    standin.make_payout(world.account_id, 1, "nok")
    assert await sync_payouts(db, None, world.org.id) == 2
    assert await _links(session, world.org.id) == [(payout["id"], paid.id)]
    assert unpaid.id not in {invoice_id for _, invoice_id in links}

    rows = await export_rows(session, world.org.id, paid.finalized_at.date().replace(day=1), world.org.time_zone)
    by_number = {r.number: r for r in rows}
    assert by_number[paid.number].payout == payout["id"]
    assert by_number[paid.number].payout_date is not None and by_number[paid.number].payout_date.year == 2030
    assert by_number[unpaid.number].payout == ""

    # Had the payout failed, the money went back to the balance: it carried nothing.
    snapshot = await gateway().retrieve_payout(world.account_id, payout["id"])
    async with db.session() as s, unit_of_work(s):
        assert await link_invoices(s, world.org.id, replace(snapshot, status="failed"), []) == 0
    assert await _links(session, world.org.id) == []


async def test_balance_transactions_of_a_payout_lead_back_to_the_invoices_payment(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    """The stand-in's trail, as Stripe's: payout -> balance transaction -> the account's payment py_ ->
    its source transfer -> the platform's charge -> the invoice's payment intent."""
    client = sdk(standin)
    account = (await invoicing_org(db, session, standin)).account_id
    assert account is not None
    invoice = stripe_invoice(standin, account, 5_000, fee_minor=50)
    intent = standin.pay_invoice(str(invoice.id))
    payout = standin.make_payout(account, 4_950, "nok")
    page = client.v1.balance_transactions.list(
        {"payout": payout["id"], "expand": ["data.source.source_transfer.source_transaction"]},
        options={"stripe_account": account},
    )
    kinds = sorted(t.type for t in page.data)
    assert kinds == ["payment", "payout"]
    payment = next(t for t in page.data if t.type == "payment").to_dict()
    assert payment["source"]["id"].startswith("py_")
    transfer = payment["source"]["source_transfer"]
    assert transfer["destination"] == account and transfer["destination_payment"] == payment["source"]["id"]
    assert transfer["source_transaction"]["payment_intent"] == intent["id"]
    own = next(t for t in page.data if t.type == "payout")
    assert own.amount == -4_950 and own.source.id == payout["id"]  # expanded: the payout itself
    # From the platform's side, or for another account's payout: "No such payout".
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.balance_transactions.list({"payout": payout["id"]})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.balance_transactions.list({"expand": ["data.source.customer"]}, options={"stripe_account": account})
