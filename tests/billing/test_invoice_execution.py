"""Members' invoices made at Stripe (the stand-in, through the real SDK): on behalf of the owner with the
money transferred to it and the platform's fee kept; lines that add up to the total with Stripe's VAT
equal to ours; the member told once by SMS (and e-mail). Crashes at any step, Stripe answering 500/429,
Stripe being down and a run interrupted halfway all end with each invoice made once and each message
sent once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing import invoice_execution
from ladeportal.billing.invoice_execution import RUN_TASK, execute_invoice, resume_stalled_runs, run_invoices
from ladeportal.billing.invoice_models import (
    BillableItem,
    BillingCustomer,
    Invoice,
    InvoicedItem,
    InvoiceRun,
    InvoiceState,
    ItemKind,
    RunState,
)
from ladeportal.billing.invoice_runs import approve_run, open_run
from ladeportal.billing.stripe_gateway import StripeGateway, gateway
from ladeportal.db.engine import Database
from ladeportal.demo import FINANCE_PHONE, RESIDENTS, load_demo, prepare_demo_invoicing
from ladeportal.jobs.models import OutboxTask
from ladeportal.jobs.outbox import run_due_tasks
from ladeportal.members.models import Membership, User
from ladeportal.messaging.email_models import EmailDelivery
from ladeportal.platform.audit import Actor
from ladeportal.settings import get_settings
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.after_invoice_fixtures import sdk
from tests.billing.conftest import set_language
from tests.billing.invoicing_fixtures import InvoicingOrg, invoicing_org, members_with_sessions
from tests.factories import make_member, mobile_number

MONTH = date(2026, 10, 1)


@pytest.fixture(autouse=True)
def fee_and_email(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A platform fee of 2.5 % and e-mail switched on (the console provider), after the stand-in settings."""
    monkeypatch.setenv("LADEPORTAL_INVOICE_PLATFORM_FEE_BP", "250")
    monkeypatch.setenv("LADEPORTAL_EMAIL_PROVIDER", "console")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def split(gross: int, rate_bp: int = 2500) -> tuple[int, int]:
    net = (2 * gross * 10000 + (10000 + rate_bp)) // (2 * (10000 + rate_bp))
    return net, gross - net


async def claimed_invoice(
    session: AsyncSession,
    world: InvoicingOrg,
    member: Membership,
    lines: list[list[int]],
    *,
    run: InvoiceRun | None = None,
) -> Invoice:
    """An invoice row as the run claims it: items (gross amounts) on lines, line by line."""
    invoice = Invoice(
        organization_id=world.org.id,
        run_id=run.id if run else None,
        membership_id=member.id,
        period_month=MONTH,
        currency="NOK",
    )
    session.add(invoice)
    await session.flush()
    net_total = vat_total = gross_total = 0
    for line_no, grosses in enumerate(lines):
        for n, gross in enumerate(grosses):
            net, vat = split(gross)
            item = BillableItem(
                organization_id=world.org.id,
                membership_id=member.id,
                kind=ItemKind.manual,
                source_key=f"manual:{uuid.uuid4()}",
                site_id=world.site.id,
                period_month=MONTH,
                occurred_at=datetime(2026, 10, 2 + n, 12, tzinfo=UTC),
                description=f"Lading {line_no}.{n}",
                energy_wh=1000,
                currency="NOK",
                vat_rate_bp=2500,
                net_minor=net,
                vat_minor=vat,
                gross_minor=gross,
                created_by="test",
            )
            session.add(item)
            await session.flush()
            session.add(InvoicedItem(item_id=item.id, invoice_id=invoice.id, line_no=line_no))
            net_total, vat_total, gross_total = net_total + net, vat_total + vat, gross_total + gross
    invoice.net_minor, invoice.vat_minor, invoice.total_minor = net_total, vat_total, gross_total
    await session.commit()
    return invoice


async def running_run(session: AsyncSession, world: InvoicingOrg) -> InvoiceRun:
    run = InvoiceRun(
        organization_id=world.org.id,
        period_month=MONTH,
        state=RunState.running,
        cutoff_at=datetime(2026, 11, 1, tzinfo=UTC),
        currency="NOK",
    )
    session.add(run)
    await session.commit()
    return run


async def fresh(session: AsyncSession, invoice_id: uuid.UUID) -> Invoice:
    row = await session.get(Invoice, invoice_id, populate_existing=True)
    await session.commit()
    assert row is not None
    return row


async def sms_to(session: AsyncSession, phone: str) -> list[dict[str, Any]]:
    tasks = list(await session.scalars(select(OutboxTask).where(OutboxTask.kind == "sms.send")))
    await session.commit()
    return [t.payload for t in tasks if t.payload.get("to") == phone and t.payload.get("purpose") == "invoice"]


async def standin_invoices(standin: StandinServer, customer: str) -> list[dict[str, Any]]:
    """Every invoice the stand-in holds for `customer` (listed through its API, as Stripe would)."""
    async with httpx.AsyncClient(base_url=standin.url, auth=(standin.api_key, "")) as http:
        page = (await http.get("/v1/invoices", params={"customer": customer, "limit": 100})).json()
    return [standin.invoice(i["id"]) for i in page["data"]]


async def phone_of(session: AsyncSession, member: Membership) -> str:
    phone = await session.scalar(select(User.phone).where(User.id == member.user_id))
    await session.commit()
    assert phone is not None
    return phone


async def a_member(session: AsyncSession, world: InvoicingOrg, email: str | None = None) -> Membership:
    member = await make_member(session, world.org, mobile_number(), name="Kari Nordmann")
    if email:
        await session.execute(update(Membership).where(Membership.id == member.id).values(email=email))
        await session.commit()
    return member


async def test_an_invoice_is_made_for_the_owner_finalized_and_the_member_told_once(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    member = await a_member(session, world, email="kari@example.no")
    phone = await phone_of(session, member)
    invoice = await claimed_invoice(session, world, member, [[2501, 1999], [30000], [1]])

    assert await execute_invoice(db, gateway(), invoice.id) is True
    row = await fresh(session, invoice.id)
    assert row.state == InvoiceState.open and row.number and row.hosted_url and row.pdf_url
    assert row.due_date is not None and 13 <= (row.due_date - date.today()).days <= 15
    assert row.application_fee_minor == (34501 * 250 + 5000) // 10000
    assert row.notified_at is not None and row.finalized_at is not None

    at_stripe = standin.invoice(row.stripe_invoice_id or "")
    assert at_stripe["on_behalf_of"] == world.account_id
    assert at_stripe["transfer_data"]["destination"] == world.account_id
    assert at_stripe["application_fee_amount"] == row.application_fee_minor
    assert at_stripe["collection_method"] == "send_invoice" and at_stripe["status"] == "open"
    assert at_stripe["metadata"]["invoice_row"] == str(invoice.id)
    # One Stripe line per invoice line; they add up to our total, and Stripe's VAT is ours to the øre.
    assert [line["amount"] for line in at_stripe["lines"]["data"]] == [4500, 30000, 1]
    assert sum(line["amount"] for line in at_stripe["lines"]["data"]) == at_stripe["total"] == row.total_minor
    assert sum(t["amount"] for t in at_stripe["total_taxes"]) == sum(split(g)[1] for g in (4500, 30000, 1))
    assert at_stripe["subtotal_excluding_tax"] == sum(split(g)[0] for g in (4500, 30000, 1))

    [sms] = await sms_to(session, phone)
    assert row.hosted_url in sms["text"] and "faktura for oktober 2026" in sms["text"]
    assert "forfaller" in sms["text"] and "345,01" in sms["text"]
    mails = list(await session.scalars(select(EmailDelivery).where(EmailDelivery.template == "invoice")))
    await session.commit()
    assert [m.recipient for m in mails] == ["kari@example.no"]

    # Again (a repeated task): nothing new at Stripe, no second message.
    assert await execute_invoice(db, gateway(), invoice.id) is False
    customer = row.stripe_customer_id or ""
    assert len(await standin_invoices(standin, customer)) == 1
    assert len(await sms_to(session, phone)) == 1


async def test_the_invoice_keeps_the_vat_stripe_works_out_per_line(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    """Two sessions of 3 øre each hold 1 øre VAT each; their line of 6 øre holds 1 øre at Stripe (VAT per
    invoice line, as on the invoice the member gets): the invoice row says what Stripe's invoice says."""
    world = await invoicing_org(db, session, standin)
    invoice = await claimed_invoice(session, world, await a_member(session, world), [[3, 3], [2501]])
    assert invoice.vat_minor == 2 + 500
    await execute_invoice(db, gateway(), invoice.id)
    row = await fresh(session, invoice.id)
    at_stripe = standin.invoice(row.stripe_invoice_id or "")
    assert sum(t["amount"] for t in at_stripe["total_taxes"]) == row.vat_minor == 1 + 500
    assert row.net_minor + row.vat_minor == row.total_minor == at_stripe["total"] == 2507


async def test_the_member_is_told_in_their_language(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    member = await a_member(session, world, email="ola@example.no")
    await set_language(session, member, "en")
    invoice = await claimed_invoice(session, world, member, [[123456]])
    await execute_invoice(db, gateway(), invoice.id)
    [sms] = await sms_to(session, await phone_of(session, member))
    assert "invoice for October 2026, NOK" in sms["text"] and ", due " in sms["text"]
    mail = await session.scalar(select(EmailDelivery).where(EmailDelivery.recipient == "ola@example.no"))
    await session.commit()
    assert mail is not None and mail.language == "en" and mail.subject.startswith("Invoice from ")


async def test_paying_transfers_the_money_to_the_owner_and_keeps_the_platform_fee(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    invoice = await claimed_invoice(session, world, await a_member(session, world), [[12345]])
    await execute_invoice(db, gateway(), invoice.id)
    row = await fresh(session, invoice.id)
    standin.pay_invoice(row.stripe_invoice_id or "", card="4242424242424242")

    [transfer] = [t for t in standin.transfers() if t["destination"] == world.account_id]
    assert transfer["amount"] == 12345
    [fee] = [f for f in standin.application_fees() if f["account"] == world.account_id]
    assert fee["amount"] == row.application_fee_minor == (12345 * 250 + 5000) // 10000


class Crash(Exception):
    pass


@pytest.mark.parametrize("step", ["create_invoice_item", "finalize_invoice", "notify"])
async def test_a_crash_at_any_step_is_resumed_without_duplicates(
    db: Database, session: AsyncSession, standin: StandinServer, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    world = await invoicing_org(db, session, standin)
    member = await a_member(session, world)
    invoice = await claimed_invoice(session, world, member, [[1000], [2000], [3000]])
    gw = gateway()
    calls = {"n": 0}
    with pytest.MonkeyPatch.context() as patch:
        if step == "notify":

            async def crash_notify(*args: Any, **kw: Any) -> bool:
                raise Crash

            patch.setattr(invoice_execution, "notify_member", crash_notify)
        else:
            original = getattr(StripeGateway, step)

            async def crash_second(self: StripeGateway, *args: Any, **kw: Any) -> Any:
                calls["n"] += 1
                if calls["n"] == 2 or step == "finalize_invoice":
                    raise Crash
                return await original(self, *args, **kw)

            patch.setattr(StripeGateway, step, crash_second)
        with pytest.raises(Crash):
            await execute_invoice(db, gw, invoice.id)
    assert (await fresh(session, invoice.id)).state == InvoiceState.pending

    assert await execute_invoice(db, gateway(), invoice.id) is True
    row = await fresh(session, invoice.id)
    [at_stripe] = await standin_invoices(standin, row.stripe_customer_id or "")
    assert [line["amount"] for line in at_stripe["lines"]["data"]] == [1000, 2000, 3000]
    assert at_stripe["status"] == "open" and row.state == InvoiceState.open
    customers = int(await session.scalar(select(func.count()).select_from(BillingCustomer)) or 0)
    await session.commit()
    assert customers == 1
    assert len(await sms_to(session, await phone_of(session, member))) == 1


async def test_an_invoice_made_before_a_crash_is_found_again_after_stripe_forgot_the_key(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    """The first step made the draft and crashed before storing its id; the step is repeated two days
    later, when Stripe no longer knows the idempotency key: the draft is found by its metadata."""
    world = await invoicing_org(db, session, standin)
    invoice = await claimed_invoice(session, world, await a_member(session, world), [[5000]])
    gw = gateway()
    facts = await invoice_execution._facts(db, invoice.id)
    assert facts is not None
    customer = await invoice_execution._ensure_customer(db, gw, facts)
    made = await gw.create_invoice(
        customer=customer,
        currency="NOK",
        days_until_due=14,
        on_behalf_of=world.account_id or "",
        application_fee_amount=facts.fee_minor,
        description=None,
        footer=None,
        metadata={"invoice_row": str(invoice.id)},
        idempotency_key=f"an-expired-key-{uuid.uuid4()}",
    )
    await session.execute(
        update(Invoice).where(Invoice.id == invoice.id).values(created_at=datetime.now(UTC) - timedelta(days=2))
    )
    await session.commit()

    await execute_invoice(db, gw, invoice.id)
    row = await fresh(session, invoice.id)
    assert row.stripe_invoice_id == made.id
    assert len(await standin_invoices(standin, customer)) == 1


async def test_stripe_answering_500_and_429_changes_nothing(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    invoice = await claimed_invoice(session, world, await a_member(session, world), [[700], [800]])
    standin.inject_failures(500, 429, 500)
    await execute_invoice(db, gateway(), invoice.id)
    row = await fresh(session, invoice.id)
    [at_stripe] = await standin_invoices(standin, row.stripe_customer_id or "")
    assert at_stripe["total"] == 1500 and len(at_stripe["lines"]["data"]) == 2


async def test_stripe_down_leaves_the_run_to_continue_later(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    run = await running_run(session, world)
    invoice = await claimed_invoice(session, world, await a_member(session, world), [[900]], run=run)
    standin.inject_failures(503, 503, 503)  # the first call and the SDK's two retries
    outcome = await run_invoices(db, gateway(), run.id, continuation_key="t1")
    assert outcome.continued and not outcome.finished
    row = await fresh(session, invoice.id)
    assert row.state == InvoiceState.pending and row.last_error_code == "payments.stripe_unavailable"
    stored_run = await session.get(InvoiceRun, run.id, populate_existing=True)
    assert stored_run is not None and stored_run.last_error_code == "payments.stripe_unavailable"
    later = list(await session.scalars(select(OutboxTask).where(OutboxTask.kind == RUN_TASK)))
    await session.commit()
    assert [t.dedupe_key for t in later] == [f"invoice-run:{run.id}:t1:unavailable"]

    await execute_invoice(db, gateway(), invoice.id)
    assert (await fresh(session, invoice.id)).state == InvoiceState.open


# -- a whole run, through the outbox --------------------------------------------------------------------


async def approved_run(
    db: Database, session: AsyncSession, standin: StandinServer, members: int
) -> tuple[InvoicingOrg, InvoiceRun, list[Membership]]:
    world = await invoicing_org(db, session, standin)
    made = await members_with_sessions(session, world, month=MONTH, members=members, sessions_each=2)
    actor = Actor(label=f"user:{world.admin.user_id}", user_id=world.admin.user_id)
    run = await open_run(session, actor, world.org.id, MONTH)
    run = await approve_run(session, actor, world.org.id, run.id)
    return world, run, made


async def run_tasks_now(db: Database, session: AsyncSession) -> None:
    """Run what the outbox holds as if the back-off had passed (a resumed worker)."""
    await session.execute(update(OutboxTask).where(OutboxTask.state == "pending").values(run_after=datetime.now(UTC)))
    await session.commit()
    await run_due_tasks(db, "test-worker")


async def assert_each_member_invoiced_once(
    session: AsyncSession, standin: StandinServer, run: InvoiceRun, members: list[Membership]
) -> None:
    invoices = list(await session.scalars(select(Invoice).where(Invoice.run_id == run.id)))
    await session.commit()
    assert sorted(i.membership_id for i in invoices) == sorted(m.id for m in members)
    for invoice in invoices:
        assert invoice.state == InvoiceState.open and invoice.notified_at is not None
        [at_stripe] = await standin_invoices(standin, invoice.stripe_customer_id or "")
        assert at_stripe["id"] == invoice.stripe_invoice_id and at_stripe["total"] == invoice.total_minor
        assert sum(line["amount"] for line in at_stripe["lines"]["data"]) == invoice.total_minor
        assert sum(t["amount"] for t in at_stripe["total_taxes"]) == invoice.vat_minor
    for member in members:
        assert len(await sms_to(session, await phone_of(session, member))) == 1
    items = int(await session.scalar(select(func.count()).select_from(InvoicedItem)) or 0)
    await session.commit()
    assert items == 2 * len(members)


async def test_a_run_interrupted_after_two_invoices_resumes_where_it_stopped(
    db: Database, session: AsyncSession, standin: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _world, run, members = await approved_run(db, session, standin, members=5)
    real_notify = invoice_execution.notify_member
    told = {"n": 0}

    async def crash_on_the_third(session: AsyncSession, invoice: Invoice) -> bool:
        told["n"] += 1
        if told["n"] == 3:  # the third invoice is finalized at Stripe, then the worker dies
            raise Crash
        return await real_notify(session, invoice)

    monkeypatch.setattr(invoice_execution, "notify_member", crash_on_the_third)
    await run_due_tasks(db, "test-worker")
    stored = await session.get(InvoiceRun, run.id, populate_existing=True)
    await session.commit()
    assert stored is not None and stored.state == RunState.running and stored.invoices_done == 2
    states = list(await session.scalars(select(Invoice.state).where(Invoice.run_id == run.id)))
    await session.commit()
    # The members are claimed in one batch (their invoice rows pending), two were made at Stripe.
    assert sorted(states) == sorted([InvoiceState.open] * 2 + [InvoiceState.pending] * 3)

    monkeypatch.setattr(invoice_execution, "notify_member", real_notify)
    await run_tasks_now(db, session)
    stored = await session.get(InvoiceRun, run.id, populate_existing=True)
    await session.commit()
    assert stored is not None and stored.state == RunState.done and stored.invoices_done == 5
    assert stored.started_at is not None and stored.finished_at is not None and stored.last_error_code is None
    await assert_each_member_invoiced_once(session, standin, run, members)

    # The task delivered again (a lease that expired) changes nothing.
    await run_invoices(db, gateway(), run.id, continuation_key="again")
    await assert_each_member_invoiced_once(session, standin, run, members)


async def test_stripe_answering_500_and_429_in_the_middle_of_a_run(
    db: Database, session: AsyncSession, standin: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _world, run, members = await approved_run(db, session, standin, members=4)
    real_execute = invoice_execution.execute_invoice
    calls = {"n": 0}

    async def failures_after_two(db: Database, gw: StripeGateway, invoice_id: uuid.UUID) -> bool:
        calls["n"] += 1
        if calls["n"] == 3:
            standin.inject_failures(500, 429, 502, 429)
        return await real_execute(db, gw, invoice_id)

    monkeypatch.setattr(invoice_execution, "execute_invoice", failures_after_two)
    await run_due_tasks(db, "test-worker")
    stored = await session.get(InvoiceRun, run.id, populate_existing=True)
    await session.commit()
    assert stored is not None and stored.state == RunState.done
    await assert_each_member_invoiced_once(session, standin, run, members)


async def test_a_run_past_its_time_budget_hands_over_to_a_continuation(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    _world, run, members = await approved_run(db, session, standin, members=3)
    outcome = await run_invoices(db, gateway(), run.id, continuation_key="budget", budget_seconds=0)
    assert outcome.continued and not outcome.finished and outcome.invoices_made == 0
    keys = list(await session.scalars(select(OutboxTask.dedupe_key).where(OutboxTask.kind == RUN_TASK)))
    await session.commit()
    assert f"invoice-run:{run.id}:budget:more" in keys
    await run_tasks_now(db, session)
    await assert_each_member_invoiced_once(session, standin, run, members)


async def test_a_step_resumed_after_stripe_forgot_its_keys_adds_only_the_missing_lines(
    db: Database, session: AsyncSession, standin: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Crashed after the first line; resumed 25 hours later, when Stripe no longer knows the keys: the
    lines already on the draft are read from Stripe and not added again."""
    world = await invoicing_org(db, session, standin)
    invoice = await claimed_invoice(session, world, await a_member(session, world), [[1100], [2200], [3300]])
    original = StripeGateway.create_invoice_item
    calls = {"n": 0}

    async def crash_second(self: StripeGateway, *args: Any, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash
        return await original(self, *args, **kw)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StripeGateway, "create_invoice_item", crash_second)
        with pytest.raises(Crash):
            await execute_invoice(db, gateway(), invoice.id)
    standin.advance_time(25 * 3600)
    await session.execute(
        update(Invoice).where(Invoice.id == invoice.id).values(created_at=datetime.now(UTC) - timedelta(hours=25))
    )
    await session.commit()

    await execute_invoice(db, gateway(), invoice.id)
    row = await fresh(session, invoice.id)
    [at_stripe] = await standin_invoices(standin, row.stripe_customer_id or "")
    assert [line["amount"] for line in at_stripe["lines"]["data"]] == [1100, 2200, 3300]


async def test_the_demo_cooperative_is_ready_to_invoice_last_month_and_its_finance_user_approves(
    db: Database, session: AsyncSession, standin: StandinServer, tmp_path: Path
) -> None:
    demo = await load_demo(db, str(tmp_path / "demo-chargers.json"))
    said = await prepare_demo_invoicing(db, standin.url)
    assert "ready to receive payments" in said and "awaiting approval" in said
    assert await prepare_demo_invoicing(db, standin.url) == said  # again: nothing new

    run = await session.scalar(select(InvoiceRun).where(InvoiceRun.organization_id == demo.organization_id))
    finance = await session.scalar(
        select(Membership).join(User, User.id == Membership.user_id).where(User.phone == FINANCE_PHONE)
    )
    await session.commit()
    assert run is not None and run.state == RunState.awaiting_approval and finance is not None
    actor = Actor(label=f"user:{finance.user_id}", user_id=finance.user_id)
    await approve_run(session, actor, demo.organization_id, run.id)
    await run_due_tasks(db, "test-worker")

    stored = await session.get(InvoiceRun, run.id, populate_existing=True)
    invoices = list(await session.scalars(select(Invoice).where(Invoice.run_id == run.id)))
    await session.commit()
    assert stored is not None and stored.state == RunState.done
    assert len(invoices) == len(RESIDENTS) and all(i.state == InvoiceState.open for i in invoices)
    kari = await sms_to(session, RESIDENTS[0][0])
    assert len(kari) == 1 and "Solbakken Borettslag: faktura for" in kari[0]["text"]
    assert standin.url in kari[0]["text"]


async def test_a_run_whose_task_failed_for_good_is_resumed_by_the_periodic_job(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    _world, run, members = await approved_run(db, session, standin, members=2)
    await session.execute(update(OutboxTask).where(OutboxTask.kind == RUN_TASK).values(state="failed"))
    await session.commit()
    soon = datetime.now(UTC) + timedelta(minutes=5)
    assert await resume_stalled_runs(db, now=soon) == 0  # approved a moment ago: not stalled yet
    later = datetime.now(UTC) + timedelta(minutes=20)
    assert await resume_stalled_runs(db, now=later) == 1
    assert await resume_stalled_runs(db, now=later) == 0  # its new task is pending
    await run_tasks_now(db, session)
    stored = await session.get(InvoiceRun, run.id, populate_existing=True)
    await session.commit()
    assert stored is not None and stored.state == RunState.done
    await assert_each_member_invoiced_once(session, standin, run, members)
    assert await resume_stalled_runs(db, now=later) == 0  # done runs are left alone


async def test_the_next_invoice_brings_the_customer_at_stripe_up_to_date_once(
    db: Database, session: AsyncSession, standin: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await invoicing_org(db, session, standin)
    member = await a_member(session, world, email="kari@example.no")
    gw = gateway()
    updates: list[str] = []
    real_update = gw.update_customer

    async def counted(customer_id: str, **kwargs: Any) -> None:
        updates.append(customer_id)
        await real_update(customer_id, **kwargs)

    monkeypatch.setattr(gw, "update_customer", counted)
    first = await claimed_invoice(session, world, member, [[10000]])
    await execute_invoice(db, gw, first.id)
    customer_id = (await fresh(session, first.id)).stripe_customer_id or ""
    assert updates == []  # made with the details it has: nothing to update

    await session.execute(
        update(Membership).where(Membership.id == member.id).values(name="Kari Nordmann Berg", email="kari@berg.no")
    )
    await session.commit()
    await set_language(session, member, "en")
    second = await claimed_invoice(session, world, member, [[20000]])
    await execute_invoice(db, gw, second.id)
    at_stripe = sdk(standin).v1.customers.retrieve(customer_id)
    assert (at_stripe.name, at_stripe.email, at_stripe.preferred_locales) == (
        "Kari Nordmann Berg",
        "kari@berg.no",
        ["en"],
    )
    assert (await fresh(session, second.id)).stripe_customer_id == customer_id
    assert updates == [customer_id]

    # Nothing changed since: the next invoices ask Stripe nothing more; a step repeated neither.
    third = await claimed_invoice(session, world, member, [[30000]])
    await execute_invoice(db, gw, third.id)
    await execute_invoice(db, gw, second.id)
    assert updates == [customer_id]
    # An e-mail removed is removed at Stripe too.
    await session.execute(update(Membership).where(Membership.id == member.id).values(email=None))
    await session.commit()
    await execute_invoice(db, gw, (await claimed_invoice(session, world, member, [[40000]])).id)
    assert sdk(standin).v1.customers.retrieve(customer_id).email is None
    assert len(updates) == 2


async def test_the_invoice_leaves_the_payment_methods_to_stripes_settings(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    """Apple Pay and Google Pay show on Stripe's hosted page when the platform has them switched on: the
    invoice must not name payment method types, which would hide them."""
    world = await invoicing_org(db, session, standin)
    invoice = await claimed_invoice(session, world, await a_member(session, world), [[5000]])
    await execute_invoice(db, gateway(), invoice.id)
    at_stripe = standin.invoice((await fresh(session, invoice.id)).stripe_invoice_id or "")
    assert at_stripe["payment_settings"]["payment_method_types"] is None
