"""Invoice state from Stripe's webhooks: the events the stand-in recorded are delivered, signed as Stripe
signs them, to POST /webhooks/stripe; the outbox task re-reads the invoice, so duplicates and any order
end in the state Stripe has now. A card declined on the hosted page shows as a failed payment until
the member pays with another card."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_execution import execute_invoice
from ladeportal.billing.invoice_models import Invoice, InvoiceState
from ladeportal.billing.invoice_sync import refresh_invoice, store_invoice_snapshot
from ladeportal.billing.models import StripeEvent
from ladeportal.billing.stripe_gateway import StripeGateway, gateway
from ladeportal.db.engine import Database
from ladeportal.jobs.outbox import run_due_tasks
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.after_invoice_fixtures import sdk
from tests.billing.conftest import PLATFORM_SECRET, signed
from tests.billing.invoicing_fixtures import InvoicingOrg, invoicing_org
from tests.billing.test_invoice_execution import Crash, a_member, claimed_invoice, fresh

URL = "/webhooks/stripe"
DECLINED = "4000000000000002"


async def open_invoice(db: Database, session: AsyncSession, world: InvoicingOrg, grosses: list[int]) -> Invoice:
    invoice = await claimed_invoice(session, world, await a_member(session, world), [[g] for g in grosses])
    await execute_invoice(db, gateway(), invoice.id)
    return await fresh(session, invoice.id)


def events_about(standin: StandinServer, stripe_id: str, *types: str) -> list[dict[str, Any]]:
    found = [e for e in standin.events() if e["data"]["object"].get("id") == stripe_id]
    return [e for e in found if not types or e["type"] in types]


async def deliver(db: Database, client: httpx.AsyncClient, events: list[dict[str, Any]]) -> None:
    for event in events:
        body, headers = signed(event, PLATFORM_SECRET)
        assert (await client.post(URL, content=body, headers=headers)).status_code == 200
    await run_due_tasks(db, "test-worker")


async def test_a_declined_card_shows_a_failed_payment_then_paying_shows_paid_whatever_the_order(
    db: Database, session: AsyncSession, client: httpx.AsyncClient, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    invoice = await open_invoice(db, session, world, [12500, 2000])
    stripe_id = invoice.stripe_invoice_id or ""

    standin.pay_invoice(stripe_id, card=DECLINED)
    await deliver(db, client, events_about(standin, stripe_id, "invoice.payment_failed"))
    row = await fresh(session, invoice.id)
    assert row.state == InvoiceState.open and row.payment_failed_at is not None
    assert row.last_payment_error == "generic_decline" and row.amount_paid_minor == 0
    failed_at = row.payment_failed_at

    standin.pay_invoice(stripe_id, card="4242424242424242")
    everything = events_about(standin, stripe_id)
    # Newest first, each twice, and the old "payment failed" last: the invoice ends paid.
    late_failure = events_about(standin, stripe_id, "invoice.payment_failed")
    await deliver(db, client, list(reversed(everything)) + everything + late_failure)
    row = await fresh(session, invoice.id)
    assert row.state == InvoiceState.paid and row.amount_paid_minor == row.total_minor == 14500
    assert row.paid_at is not None and row.last_payment_error is None
    assert row.payment_failed_at == failed_at  # when the payment first failed stays on record
    stored = list(await session.scalars(select(StripeEvent.event_id)))
    await session.commit()
    assert len(stored) == len(set(stored)) == len({e["id"] for e in everything})


async def test_an_older_read_never_overwrites_a_newer_one(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    invoice = await open_invoice(db, session, world, [5000])
    stripe_id = invoice.stripe_invoice_id or ""
    gw = gateway()
    stale = await gw.retrieve_invoice(stripe_id)  # "open", read first ...
    standin.pay_invoice(stripe_id)
    assert await refresh_invoice(db, gw, stripe_id) is True  # ... "paid", read later, stored first
    row = await fresh(session, invoice.id)
    assert row.state == InvoiceState.paid and row.synced_at is not None

    assert await store_invoice_snapshot(db, stale, row.synced_at - timedelta(seconds=1)) is False
    assert (await fresh(session, invoice.id)).state == InvoiceState.paid


@pytest.mark.parametrize(
    ("action", "state"), [("void", InvoiceState.void), ("uncollectible", InvoiceState.uncollectible)]
)
async def test_void_and_uncollectible_come_back_from_stripe(
    db: Database,
    session: AsyncSession,
    client: httpx.AsyncClient,
    standin: StandinServer,
    action: str,
    state: InvoiceState,
) -> None:
    world = await invoicing_org(db, session, standin)
    invoice = await open_invoice(db, session, world, [3000])
    stripe_id = invoice.stripe_invoice_id or ""
    gw = gateway()
    if action == "void":
        done = await gw.void_invoice(stripe_id, idempotency_key=f"inv:{invoice.id}:void")
        assert done.status == "void"
        await deliver(db, client, events_about(standin, stripe_id, "invoice.voided"))
    else:
        done = await gw.mark_uncollectible(stripe_id, idempotency_key=f"inv:{invoice.id}:uncollectible")
        assert done.status == "uncollectible"
        await deliver(db, client, events_about(standin, stripe_id, "invoice.marked_uncollectible"))
    assert (await fresh(session, invoice.id)).state == state


async def test_events_about_invoices_that_are_not_ours_or_not_finished_change_nothing(
    db: Database,
    session: AsyncSession,
    client: httpx.AsyncClient,
    standin: StandinServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = await invoicing_org(db, session, standin)
    invoice = await claimed_invoice(session, world, await a_member(session, world), [[4000]])

    async def crash(*args: Any, **kw: Any) -> Any:
        raise Crash

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StripeGateway, "finalize_invoice", crash)
        with pytest.raises(Crash):
            await execute_invoice(db, gateway(), invoice.id)
    draft = await fresh(session, invoice.id)
    assert draft.stripe_invoice_id is not None and draft.state == InvoiceState.pending
    # Events about the draft that is still being made: the run's task stores it, not the webhook.
    await deliver(db, client, events_about(standin, draft.stripe_invoice_id))
    assert (await fresh(session, invoice.id)).state == InvoiceState.pending

    # An invoice someone else made on the platform (not one of ours): ignored, and marked processed.
    other = await claimed_invoice(session, world, await a_member(session, world), [[100]])
    await execute_invoice(db, gateway(), other.id)
    foreign = await fresh(session, other.id)
    foreign_event = events_about(standin, foreign.stripe_invoice_id or "", "invoice.finalized")[0]
    foreign_event["data"]["object"]["id"] = "in_notours00000000000000"
    foreign_event["id"] = "evt_notours00000000000000"
    await deliver(db, client, [foreign_event])
    processed = await session.scalar(
        select(StripeEvent.processed_at).where(StripeEvent.event_id == "evt_notours00000000000000")
    )
    await session.commit()
    assert processed is not None

    await execute_invoice(db, gateway(), invoice.id)
    assert (await fresh(session, invoice.id)).state == InvoiceState.open


async def test_the_payment_intent_and_the_moment_of_voiding_are_kept(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    """The payment intent leads a payout back to the invoice; the moment Stripe voided it dates the
    reversal in the accountant's export."""
    world = await invoicing_org(db, session, standin)
    invoice = await claimed_invoice(session, world, await a_member(session, world), [[5000]])
    await execute_invoice(db, gateway(), invoice.id)
    row = await fresh(session, invoice.id)
    assert row.stripe_payment_intent_id is not None and row.stripe_payment_intent_id.startswith("pi_")
    assert row.voided_at is None
    standin.advance_time(3600)
    voided = sdk(standin).v1.invoices.void_invoice(row.stripe_invoice_id or "")
    assert await refresh_invoice(db, gateway(), row.stripe_invoice_id or "")
    row = await fresh(session, invoice.id)
    assert row.state == InvoiceState.void
    assert row.voided_at is not None
    assert int(row.voided_at.timestamp()) == voided.status_transitions.voided_at
