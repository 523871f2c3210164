"""Invoice runs: opened once per month with a preview whose lines add up, approved by staff only when
the owner's Stripe account can take payments, claimed member by member without ever putting an item on
two invoices; late sessions and carried-over balances land on the next run."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import (
    Invoice,
    InvoicedItem,
    InvoiceRun,
    InvoiceState,
    LineMode,
    RunState,
)
from ladeportal.billing.invoice_preview import member_draft, member_drafts
from ladeportal.billing.invoice_runs import (
    RUN_TASK,
    approve_run,
    claim_member_invoice,
    claim_next_invoices,
    finish_run_if_complete,
    get_run,
    next_unclaimed_member,
    open_due_run,
    open_due_runs,
    open_run,
)
from ladeportal.billing.invoice_settings import (
    billing_settings,
    platform_fee_minor,
    set_platform_fee,
    update_billing_settings,
)
from ladeportal.billing.items import add_manual_item, held_back_sessions, invoiced_session
from ladeportal.db.engine import Database
from ladeportal.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.models import Membership
from ladeportal.platform.audit import Actor
from ladeportal.platform.models import AuditEvent, OperatorAccount
from ladeportal.pricing.invoice_hold import is_invoiced
from ladeportal.sessions.models import ChargingSession
from ladeportal.settings import get_settings
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.invoicing_fixtures import (
    InvoicingOrg,
    actor_of,
    add_members,
    finance_user,
    finished_session,
    invoicing_org,
    members_with_sessions,
)

NOV = date(2026, 11, 1)
DEC_5 = datetime(2026, 12, 5, 8, tzinfo=UTC)
JAN_5 = datetime(2027, 1, 5, 8, tzinfo=UTC)


async def _claim_all(session: AsyncSession, run: InvoiceRun) -> list[Invoice]:
    invoices, after = [], None
    while (member := await next_unclaimed_member(session, run, after=after)) is not None:
        invoice = await claim_member_invoice(session, run, member)
        assert invoice is not None
        invoices.append(invoice)
        after = member
    return invoices


async def _count(session: AsyncSession, model: type) -> int:
    n = int(await session.scalar(select(func.count()).select_from(model)) or 0)
    await session.commit()
    return n


async def _approved(session: AsyncSession, world: InvoicingOrg, month: date = NOV, now: datetime = DEC_5) -> InvoiceRun:
    run = await open_run(session, world.actor, world.org.id, month, now=now)
    return await approve_run(session, world.actor, world.org.id, run.id)


async def test_a_run_previews_per_site_and_month_and_its_lines_add_up(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    members = await members_with_sessions(session, world, month=NOV, members=3, sessions_each=4, energy_wh=7_777)
    run = await open_run(session, world.actor, world.org.id, date(2026, 11, 17), now=DEC_5)
    assert (run.period_month, run.state) == (NOV, RunState.awaiting_approval)
    assert (await open_run(session, world.actor, world.org.id, NOV, now=DEC_5)).id == run.id  # one per month

    drafts = await member_drafts(session, run)
    assert {d.membership_id for d in drafts} == {m.id for m in members}
    for draft in drafts:
        [line] = draft.lines  # four sessions at one site in one month: one line
        assert line.quantity == Decimal("31.108") and line.unit == "kWh"
        assert line.description == f"Lading {world.site.name} november 2026"
        assert (draft.net_minor, draft.vat_minor, draft.total_minor) == (
            line.net_minor,
            line.vat_minor,
            line.gross_minor,
        )
        assert draft.total_minor == 4 * 1944 and draft.net_minor + draft.vat_minor == draft.total_minor
        assert len(draft.item_ids) == 4 and not draft.carried_over

    await update_billing_settings(session, world.actor, world.org.id, line_mode="per_session")
    per_session = await member_draft(session, run, members[0].id)
    assert per_session is not None and len(per_session.lines) == 4
    assert sum(line.gross_minor for line in per_session.lines) == per_session.total_minor == 4 * 1944


async def test_approval_fixes_the_figures_queues_the_run_and_claims_make_each_invoice_once(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    members = await members_with_sessions(session, world, month=NOV, members=3, sessions_each=2)
    finance = await finance_user(session, world.org)
    run = await open_run(session, actor_of(finance), world.org.id, NOV, now=DEC_5)
    run = await approve_run(session, actor_of(finance), world.org.id, run.id)
    assert (run.state, run.members_total, run.total_minor, run.carried_over) == (RunState.running, 3, 3 * 2 * 2500, 0)
    assert run.approved_by == finance.user_id
    [task] = list(await session.scalars(select(OutboxTask).where(OutboxTask.kind == RUN_TASK)))
    assert task.payload == {"run_id": str(run.id)} and task.dedupe_key == f"invoice-run:{run.id}"
    await session.commit()
    with pytest.raises(Conflict) as again:
        await approve_run(session, world.actor, world.org.id, run.id)
    assert again.value.code == "invoicing.run_already_approved"

    invoices = await _claim_all(session, run)
    assert len(invoices) == 3 and {i.membership_id for i in invoices} == {m.id for m in members}
    assert all(i.state == InvoiceState.pending and i.total_minor == 5000 and i.energy_wh == 20_000 for i in invoices)
    assert await _count(session, InvoicedItem) == 6
    # Claiming again returns the same invoice and writes nothing.
    again_invoice = await claim_member_invoice(session, run, members[0].id)
    assert again_invoice is not None and again_invoice.id in {i.id for i in invoices}
    assert await _count(session, Invoice) == 3 and await _count(session, InvoicedItem) == 6
    assert await next_unclaimed_member(session, run) is None

    sessions = [s for s in await session.scalars(select(ChargingSession))]
    await session.commit()
    assert all([await invoiced_session(session, s.id) for s in sessions])
    assert await is_invoiced(session, sessions[0])

    assert not await finish_run_if_complete(session, run.id)  # invoices still pending at Stripe
    await session.execute(update(Invoice).where(Invoice.run_id == run.id).values(state=InvoiceState.open))
    await session.commit()
    assert await finish_run_if_complete(session, run.id)
    done = await get_run(session, world.org.id, run.id)
    assert done.state == RunState.done and done.invoices_done == 3 and done.finished_at is not None


async def test_the_database_refuses_an_item_on_two_invoices(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    [member] = await members_with_sessions(session, world, month=NOV, members=1, sessions_each=1)
    run = await _approved(session, world)
    [invoice] = await _claim_all(session, run)
    assert invoice.total_minor == 2500
    item_id = await session.scalar(select(InvoicedItem.item_id))
    other = Invoice(
        id=uuid.uuid4(),
        organization_id=world.org.id,
        run_id=None,
        membership_id=member.id,
        period_month=NOV,
        currency="NOK",
    )
    session.add(other)
    await session.flush()
    with pytest.raises(IntegrityError):
        await session.execute(insert(InvoicedItem).values(item_id=item_id, invoice_id=other.id, line_no=0))
    await session.rollback()
    assert await _count(session, InvoicedItem) == 1


async def test_approval_is_refused_while_the_stripe_account_cannot_take_payments(
    db: Database, session: AsyncSession
) -> None:
    world = await invoicing_org(db, session)  # no Stripe account
    await members_with_sessions(session, world, month=NOV, members=1, sessions_each=1)
    run = await open_run(session, world.actor, world.org.id, NOV, now=DEC_5)
    run_id = run.id
    with pytest.raises(Conflict) as refused:
        await approve_run(session, world.actor, world.org.id, run_id)
    assert refused.value.code == "invoicing.payments_not_ready"
    stored = await get_run(session, world.org.id, run_id)
    assert stored.state == RunState.awaiting_approval and stored.approved_at is None
    assert await session.scalar(select(func.count()).select_from(OutboxTask).where(OutboxTask.kind == RUN_TASK)) == 0


async def test_outsiders_plain_members_and_bad_months_reach_nothing(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    outsider = await invoicing_org(db, session, standin)
    [member] = await members_with_sessions(session, world, month=NOV, members=1, sessions_each=1)
    run_id = (await open_run(session, world.actor, world.org.id, NOV, now=DEC_5)).id

    with pytest.raises(NotFound) as missing:
        await get_run(session, outsider.org.id, run_id)
    assert missing.value.code == "invoicing.run_not_found"
    with pytest.raises(NotFound):
        await approve_run(session, outsider.actor, outsider.org.id, run_id)  # their org, our run
    with pytest.raises(NotFound):
        await approve_run(session, outsider.actor, world.org.id, run_id)  # our org, not their staff
    with pytest.raises(NotFound):
        await approve_run(session, actor_of(member), world.org.id, run_id)  # a plain member
    with pytest.raises(NotFound):
        await open_run(session, outsider.actor, world.org.id, NOV, now=DEC_5)
    with pytest.raises(ValidationFailed) as early:
        await open_run(session, world.actor, world.org.id, date(2026, 12, 1), now=DEC_5)
    assert early.value.code == "invoicing.period_not_ended"
    with pytest.raises(ValidationFailed):
        await open_run(session, world.actor, world.org.id, date(1800, 1, 1), now=DEC_5)
    stored = await get_run(session, world.org.id, run_id)
    assert stored.state == RunState.awaiting_approval and await _count(session, InvoiceRun) == 1


async def test_a_late_session_and_a_removed_members_last_sessions_go_on_the_next_run(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    stays, leaves = await members_with_sessions(session, world, month=NOV, members=2, sessions_each=1)
    run = await _approved(session, world)
    assert len(await _claim_all(session, run)) == 2

    # A charger that was offline replays a November session after the run; the other member leaves
    # after charging in December.
    late = await finished_session(session, world, stays, stopped_at=datetime(2026, 11, 28, 12, tzinfo=UTC))
    await finished_session(session, world, leaves, stopped_at=datetime(2026, 12, 3, 12, tzinfo=UTC))
    await session.execute(
        update(Membership).where(Membership.id == leaves.id).values(removed_at=datetime(2026, 12, 4, tzinfo=UTC))
    )
    await session.commit()

    december = await _approved(session, world, date(2026, 12, 1), JAN_5)
    assert december.members_total == 2
    invoices = {i.membership_id: i for i in await _claim_all(session, december)}
    assert set(invoices) == {stays.id, leaves.id}
    assert await invoiced_session(session, late.id)
    assert await _count(session, InvoicedItem) == 4


async def test_a_balance_under_the_minimum_carries_over_to_the_next_run(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    await update_billing_settings(session, world.actor, world.org.id, minimum_amount_minor=4000)
    small, big = await members_with_sessions(session, world, month=NOV, members=2, sessions_each=1)
    await finished_session(session, world, big, stopped_at=datetime(2026, 11, 20, 12, tzinfo=UTC))

    run = await open_run(session, world.actor, world.org.id, NOV, now=DEC_5)
    drafts = {d.membership_id: d for d in await member_drafts(session, run)}
    assert drafts[small.id].carried_over and not drafts[big.id].carried_over
    run = await approve_run(session, world.actor, world.org.id, run.id)
    assert (run.members_total, run.carried_over, run.total_minor) == (1, 1, 5000)
    assert [i.membership_id for i in await _claim_all(session, run)] == [big.id]
    assert await claim_member_invoice(session, run, small.id) is None

    await finished_session(session, world, small, stopped_at=datetime(2026, 12, 10, 12, tzinfo=UTC))
    december = await _approved(session, world, date(2026, 12, 1), JAN_5)
    [invoice] = await _claim_all(session, december)
    assert (invoice.membership_id, invoice.total_minor) == (small.id, 5000)  # November's 25 kr + December's


async def test_manual_items_of_the_month_are_on_its_invoice_and_later_ones_wait(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    [member] = await members_with_sessions(session, world, month=NOV, members=1, sessions_each=2)
    in_november = datetime(2026, 11, 20, 9, tzinfo=UTC)
    for description, gross, at in (
        ("Kreditt", -1000, in_november),
        ("Brikke", 15000, in_november),
        ("Senere", 700, DEC_5),
    ):
        await add_manual_item(
            session, world.actor, world.org.id, member.id, description=description, gross_minor=gross, now=at
        )
    # An item belongs to the month it was added in: December's waits for December's run.
    run = await open_run(session, world.actor, world.org.id, NOV, now=DEC_5)
    [draft] = await member_drafts(session, run)
    assert draft.total_minor == 5000 - 1000 + 15000
    assert [line.description for line in draft.lines][-2:] == ["Kreditt", "Brikke"]
    assert sum(line.gross_minor for line in draft.lines) == draft.total_minor
    settings = await billing_settings(session, world.org.id)
    assert settings.line_mode == LineMode.per_site_month


async def test_the_periodic_job_opens_last_months_run_and_approves_it_after_a_person_approved_one(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    await members_with_sessions(session, world, month=NOV, members=1, sessions_each=1)
    await update_billing_settings(session, world.actor, world.org.id, invoice_day=5, auto_approve=True)
    assert await open_due_run(db, world.org.id, now=datetime(2026, 12, 4, 8, tzinfo=UTC)) is None  # before the day
    november = await open_due_run(db, world.org.id, now=DEC_5)
    assert november is not None and november.state == RunState.awaiting_approval  # first run: a person approves
    assert await open_due_run(db, world.org.id, now=DEC_5) is None
    await _claim_all(session, await approve_run(session, world.actor, world.org.id, november.id))
    await finished_session(
        session, world, (await add_members(session, world.org, 1))[0], stopped_at=datetime(2026, 12, 9, tzinfo=UTC)
    )
    december = await open_due_run(db, world.org.id, now=datetime(2027, 1, 6, tzinfo=UTC))
    assert december is not None and december.state == RunState.running and december.automatic


async def test_held_back_sessions_are_counted_for_the_preview(db: Database, session: AsyncSession) -> None:
    world = await invoicing_org(db, session)
    [member] = await add_members(session, world.org, 1)
    await finished_session(
        session, world, member, stopped_at=datetime(2026, 11, 3, tzinfo=UTC), anomalies=["meter_reset"]
    )
    run = await open_run(session, world.actor, world.org.id, NOV, now=DEC_5)
    assert await member_drafts(session, run) == []
    assert await held_back_sessions(session, world.org.id, until=run.cutoff_at) == 1


async def test_claiming_in_batches_makes_the_same_invoices_once(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    await update_billing_settings(session, world.actor, world.org.id, minimum_amount_minor=3000)
    members = await members_with_sessions(session, world, month=NOV, members=5, sessions_each=2)
    small = (await add_members(session, world.org, 1))[0]
    await finished_session(session, world, small, stopped_at=datetime(2026, 11, 9, tzinfo=UTC))  # 25 kr: carried
    run = await _approved(session, world)
    first = await claim_member_invoice(session, run, members[2].id)  # a worker claimed one already
    batches = [await claim_next_invoices(session, run, limit=2) for _ in range(4)]
    assert sum(len(b) for b in batches) == 4 and batches[-1] == []  # the carried-over member is never claimed
    claimed = {i.membership_id for b in batches for i in b} | {first.membership_id if first else None}
    assert claimed == {m.id for m in members}
    assert await _count(session, Invoice) == 5 and await _count(session, InvoicedItem) == 10
    assert await next_unclaimed_member(session, run) is None


async def test_the_worker_knows_the_job_and_it_opens_runs_only_for_organisations_ready_for_payments(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    import ladeportal.jobs.registry  # noqa: F401  (what the worker imports)
    from ladeportal.jobs.periodic import registered_jobs

    assert "billing.invoice_runs" in {job.name for job in registered_jobs()}
    ready = await invoicing_org(db, session, standin)
    not_ready = await invoicing_org(db, session)
    await members_with_sessions(session, ready, month=NOV, members=1, sessions_each=1)
    await members_with_sessions(session, not_ready, month=NOV, members=1, sessions_each=1)
    assert await open_due_runs(db, now=DEC_5) == 1
    assert await open_due_runs(db, now=DEC_5) == 0
    runs = list(await session.scalars(select(InvoiceRun)))
    await session.commit()
    assert [(r.organization_id, r.period_month, r.automatic) for r in runs] == [(ready.org.id, NOV, False)]


async def test_settings_are_validated_audited_and_only_staff_change_them(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session)
    outsider = await invoicing_org(db, session)
    [member] = await add_members(session, world.org, 1)
    assert (await billing_settings(session, world.org.id)).invoice_day == 1  # defaults, nothing stored
    changed = await update_billing_settings(
        session, world.actor, world.org.id, invoice_day=5, reminder_days=[10, 5, 5], invoice_text="  Takk!  "
    )
    assert (changed.invoice_day, changed.reminder_days, changed.invoice_text) == (5, [5, 10], "Takk!")
    [audit] = list(await session.scalars(select(AuditEvent).where(AuditEvent.action == "invoicing.settings")))
    assert audit.new_values == {"invoice_day": 5, "invoice_text": "Takk!", "reminder_days": [5, 10]}
    await session.commit()

    bad = [
        ({"invoice_day": 29}, "invoicing.invoice_day"),
        ({"invoice_day": "5"}, "invoicing.invoice_day"),
        ({"days_until_due": 0}, "invoicing.days_until_due"),
        ({"minimum_amount_minor": -1}, "invoicing.minimum_amount"),
        ({"reminder_days": [0]}, "invoicing.reminder_days"),
        ({"block_after_days": 0}, "invoicing.block_after_days"),
        ({"footer": "x" * 501}, "invoicing.text_too_long"),
        ({"line_mode": "per_hour"}, "invoicing.line_mode"),
        ({"platform_fee_bp": 0}, "invoicing.setting_unknown"),
    ]
    for values, code in bad:
        with pytest.raises(ValidationFailed) as refused:
            await update_billing_settings(session, world.actor, world.org.id, **values)
        assert refused.value.code == code
    for actor in (outsider.actor, actor_of(member)):
        with pytest.raises(NotFound):
            await update_billing_settings(session, actor, world.org.id, invoice_day=7)
    stored = await billing_settings(session, world.org.id)
    assert (stored.invoice_day, stored.days_until_due, stored.footer) == (5, 14, None)
    await session.commit()

    with pytest.raises(PermissionDenied):
        await set_platform_fee(session, world.actor, world.org.id, 250)
    staff_user = (await add_members(session, outsider.org, 1))[0].user_id
    session.add(OperatorAccount(user_id=staff_user))
    await session.commit()
    staff = Actor(label="staff", user_id=staff_user, is_operator=True)
    with pytest.raises(ValidationFailed):
        await set_platform_fee(session, staff, world.org.id, 10001)
    row = await set_platform_fee(session, staff, world.org.id, 250)
    assert row.platform_fee_bp == 250
    assert platform_fee_minor(row, get_settings(), 10_000) == 250
    assert platform_fee_minor(row, get_settings(), 199) == 5  # 4.975 øre, rounded half up
    assert platform_fee_minor(row, get_settings(), -500) == 0  # a credit pays no fee
    default = await billing_settings(session, outsider.org.id)
    assert platform_fee_minor(default, get_settings(), 10_000) == get_settings().invoice_platform_fee_bp
