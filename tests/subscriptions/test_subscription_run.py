"""A quarter's run against the Stripe stand-in: one invoice per organisation and quarter, never two, even
when the run is interrupted, taken up again or started twice; chargers added and retired mid-quarter;
a failed card payment and its retry arriving by webhook; the state the operator console shows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.stripe_gateway import StripeGateway, gateway
from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.db.engine import Database
from ladeportal.errors import ValidationFailed
from ladeportal.jobs.outbox import run_due_tasks
from ladeportal.platform.subscription_state import SubscriptionState, subscription_states
from ladeportal.stripe_standin.server import StandinServer
from ladeportal.subscriptions import execution, sync
from ladeportal.subscriptions.models import SubInvoiceState, SubscriptionInvoice
from ladeportal.subscriptions.plans import assign_plan, plan_of
from ladeportal.subscriptions.quarters import Quarter
from ladeportal.subscriptions.runs import progress, retry_failed, start_run
from tests.billing.conftest import PLATFORM_SECRET, signed
from tests.factories import make_charger, make_site
from tests.subscriptions.world import LONG_AGO, STAFF, a_plan, an_org_with_chargers, backdate, run_quarter

DECLINED = "4000000000000002"
assert sync.subscription_invoice_event  # registers the invoice.* handler, as the worker does


async def rows(session: AsyncSession, quarter: str) -> list[SubscriptionInvoice]:
    found = list(await session.scalars(select(SubscriptionInvoice).where(SubscriptionInvoice.quarter == quarter)))
    await session.commit()
    for row in found:
        await session.refresh(row)
    return found


def stripe_invoices(standin: StandinServer, org_row: SubscriptionInvoice) -> list[dict[str, Any]]:
    made = [e["data"]["object"] for e in standin.events("invoice.created")]
    return [i for i in made if (i.get("metadata") or {}).get("subscription_invoice") == str(org_row.id)]


async def test_a_quarter_makes_one_open_invoice_per_organisation_with_the_counted_price(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    await a_plan(session, minimum=60000)
    big = await an_org_with_chargers(session, 12, created=LONG_AGO)
    small = await an_org_with_chargers(session, 1, created=LONG_AGO)
    await run_quarter(db, session, "2027-Q1")
    by_org = {row.organization_id: row for row in await rows(session, "2027-Q1")}
    assert set(by_org) == {big.id, small.id}
    row = by_org[big.id]
    assert row.quantity == 12 and row.state == SubInvoiceState.open
    assert row.net_minor == 3 * (10 * 10000 + 2 * 8000) and row.vat_minor == row.net_minor // 4
    snapshot = await gateway().retrieve_invoice(row.stripe_invoice_id or "")
    assert snapshot.total == row.total_minor and snapshot.tax == row.vat_minor
    assert row.pdf_url and row.hosted_url and row.number and row.due_at
    assert by_org[small.id].net_minor == 60000  # the minimum per quarter


async def test_running_the_quarter_again_never_duplicates(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    await a_plan(session)
    await an_org_with_chargers(session, 2, created=LONG_AGO)
    await run_quarter(db, session, "2027-Q2")
    first = await rows(session, "2027-Q2")
    await run_quarter(db, session, "2027-Q2")
    again = await rows(session, "2027-Q2")
    assert [r.stripe_invoice_id for r in again] == [r.stripe_invoice_id for r in first]
    assert len(stripe_invoices(standin, again[0])) == 1


class Crash(Exception):
    pass


@pytest.mark.parametrize("step", ["create_invoice_item", "finalize_invoice", "create_platform_invoice"])
async def test_an_interrupted_run_resumes_without_duplicates(
    db: Database, session: AsyncSession, standin: StandinServer, step: str
) -> None:
    await a_plan(session, minimum=100000)  # two lines each: the tier and the minimum top-up
    orgs = [await an_org_with_chargers(session, n, created=LONG_AGO) for n in (1, 2, 3)]
    run = await start_run(session, STAFF, Quarter.parse("2027-Q3"))
    calls = {"n": 0}
    original = getattr(StripeGateway, step)

    async def crash_on_second(self: StripeGateway, *args: Any, **kw: Any) -> Any:
        calls["n"] += 1
        mine = calls["n"]  # invoices are made concurrently: count before waiting
        result = await original(self, *args, **kw)
        if mine == 2:
            raise Crash  # after Stripe did it, before we stored it
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StripeGateway, step, crash_on_second)
        with pytest.raises(Crash):
            await execution.work_on_run(db, gateway(), run.id)
    assert await execution.work_on_run(db, gateway(), run.id)
    made = await rows(session, "2027-Q3")
    assert len(made) == len(orgs) and all(r.state == SubInvoiceState.open for r in made)
    for row in made:
        (only,) = stripe_invoices(standin, row)
        snapshot = await gateway().retrieve_invoice(only["id"])
        assert snapshot.id == row.stripe_invoice_id and snapshot.total == row.total_minor
        lines = await gateway().invoice_line_keys(only["id"], execution.LINE_KEY)
        assert lines == {line["key"] for line in row.lines}
    current = await progress(session, run)
    assert (current.total, current.counted, current.made, current.failed) == (3, 3, 3, 0)


async def test_chargers_added_and_retired_mid_quarter(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    await a_plan(session, proration="prorate")
    org = await an_org_with_chargers(session, 2, created=LONG_AGO)
    await run_quarter(db, session, "2026-Q3")  # counted now, with 2 chargers
    chargers = list(await session.scalars(select(ChargePoint).where(ChargePoint.organization_id == org.id)))
    # One more charger came on 1 September (30 of the 92 days of Q3 left), and one of the first was retired.
    site = await make_site(session, org)
    added = await make_charger(session, site)
    await session.execute(
        update(ChargePoint)
        .where(ChargePoint.id == chargers[0].id)
        .values(commissioning_state=CommissioningState.retired)
    )
    await session.commit()
    await backdate(session, added.charge_point.id, datetime(2026, 8, 31, 22, 0, tzinfo=UTC))  # 1 Sept, Oslo
    # Q3 was counted at the start of the quarter, before the charger came.
    await session.execute(
        update(SubscriptionInvoice)
        .where(SubscriptionInvoice.quarter == "2026-Q3")
        .values(counted_at=datetime(2026, 7, 1, 6, 0, tzinfo=UTC))
    )
    await session.commit()
    await run_quarter(db, session, "2026-Q4")
    (row,) = await rows(session, "2026-Q4")
    assert row.quantity == 2  # one retired, one added
    prorate = [line for line in row.lines if line["kind"] == "prorate"]
    assert [(p["units"], p["first_unit"], p["last_unit"]) for p in prorate] == [(1, 30, 92)]
    assert prorate[0]["net_minor"] == round(10000 * 3 * 30 / 92)

    # A plan that bills added chargers from the next quarter adds no such line.
    await a_plan(session, proration="next_quarter")
    other = await an_org_with_chargers(session, 1, created=datetime(2026, 12, 1, tzinfo=UTC))
    await run_quarter(db, session, "2027-Q1")
    by_org = {r.organization_id: r for r in await rows(session, "2027-Q1")}
    assert [line["kind"] for line in by_org[other.id].lines] == ["tier"]


async def deliver(db: Database, client: httpx.AsyncClient, standin: StandinServer, stripe_id: str, *types: str) -> None:
    for event in standin.events():
        if event["data"]["object"].get("id") == stripe_id and (not types or event["type"] in types):
            body, headers = signed(event, PLATFORM_SECRET)
            assert (await client.post("/webhooks/stripe", content=body, headers=headers)).status_code == 200
    await run_due_tasks(db, "test-worker")


async def test_a_failed_card_payment_then_a_retry_shows_paid(
    db: Database, session: AsyncSession, client: httpx.AsyncClient, standin: StandinServer
) -> None:
    await a_plan(session)
    org = await an_org_with_chargers(session, 3, created=LONG_AGO)
    await run_quarter(db, session, "2027-Q4")
    (row,) = await rows(session, "2027-Q4")
    stripe_id = row.stripe_invoice_id or ""
    assert (await subscription_states(session, [org.id])) == {org.id: SubscriptionState.active}

    standin.pay_invoice(stripe_id, card=DECLINED)
    await deliver(db, client, standin, stripe_id, "invoice.payment_failed")
    (row,) = await rows(session, "2027-Q4")
    assert row.state == SubInvoiceState.open and row.last_payment_error == "generic_decline"
    assert row.payment_failed_at is not None
    assert (await subscription_states(session, [org.id])) == {org.id: SubscriptionState.past_due}

    standin.pay_invoice(stripe_id, card="4242424242424242")
    await deliver(db, client, standin, stripe_id)  # every event, the old failure among them
    (row,) = await rows(session, "2027-Q4")
    assert row.state == SubInvoiceState.paid and row.amount_paid_minor == row.total_minor and row.paid_at
    assert (await subscription_states(session, [org.id])) == {org.id: SubscriptionState.active}


async def test_a_refused_invoice_is_listed_and_retried(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    await a_plan(session)
    await an_org_with_chargers(session, 1, created=LONG_AGO)
    run = await start_run(session, STAFF, Quarter.parse("2028-Q1"))
    original = StripeGateway.create_platform_invoice

    async def refuse(self: StripeGateway, **kw: Any) -> Any:
        raise ValidationFailed("Stripe refused the request (invalid): no", code="payments.stripe_rejected")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StripeGateway, "create_platform_invoice", refuse)
        assert await execution.work_on_run(db, gateway(), run.id)
    current = await progress(session, run)
    assert (current.made, current.failed) == (0, 1)
    assert await retry_failed(session, STAFF, run.id) == 1
    assert StripeGateway.create_platform_invoice is original
    await run_due_tasks(db, "test-worker")
    current = await progress(session, run)
    assert (current.made, current.failed) == (1, 0)


async def test_an_organisation_without_a_plan_in_its_currency_has_no_subscription(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    org = await an_org_with_chargers(session, 1)
    assert await subscription_states(session, [org.id]) == {}
    await a_plan(session)
    assert await subscription_states(session, [org.id]) == {org.id: SubscriptionState.active}
    count = await session.scalar(select(func.count()).select_from(SubscriptionInvoice))
    assert count == 0


async def test_staff_assign_a_plan_in_the_organisations_currency_only(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    plan = await a_plan(session, default=False)
    org = await an_org_with_chargers(session, 1)
    with pytest.raises(ValidationFailed) as caught:
        await assign_plan(session, STAFF, org.id, plan.id, "charge_automatically")
    assert caught.value.code == "subscriptions.card_unavailable"
    await assign_plan(session, STAFF, org.id, plan.id, "send_invoice")
    assert (await plan_of(session, org.id))[0] == plan
    swedish = await an_org_with_chargers(session, 1, country="SE")
    with pytest.raises(ValidationFailed) as caught:
        await assign_plan(session, STAFF, swedish.id, plan.id, "send_invoice")
    assert caught.value.code == "subscriptions.currency_mismatch"
