"""An organisation's invoice run for one month: opened (items collected, a preview to look at),
approved by its administrator or finance contact (later runs automatically when they allow it), then
worked through member by member: each member's unbilled items are claimed onto one invoice row in one
transaction, before anything is asked of Stripe (billing/invoice_execution.py does that part).

Nothing is invoiced twice: the run is unique per organisation and month, the invoice per run and
member, and an item's row in `invoiced_items` is keyed by the item, so the database refuses an item
on two invoices whatever two workers do at the same moment.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import BillableItem, Invoice, InvoicedItem, InvoiceRun, InvoiceState, RunState
from ladeportal.billing.invoice_preview import (
    MemberDraft,
    RunScope,
    member_draft,
    member_drafts,
    member_drafts_of,
    run_scope,
)
from ladeportal.billing.invoice_settings import billing_settings, platform_fee_minor, require_billing_staff
from ladeportal.billing.items import collect_items, unbilled
from ladeportal.billing.models import StripeAccount
from ladeportal.billing.onboarding import payments_status
from ladeportal.billing.plan_fees import month_start
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.jobs.outbox import enqueue
from ladeportal.jobs.periodic import periodic
from ladeportal.limits import check_date
from ladeportal.members.models import Membership
from ladeportal.orgs.models import Organization
from ladeportal.platform.audit import Actor, record
from ladeportal.settings import get_settings

log = logging.getLogger(__name__)

RUN_TASK = "billing.invoice_run"
SYSTEM = Actor.system("invoicing")
_CLAIM_ATTEMPTS = 3


def run_not_found() -> NotFound:
    return NotFound("No such invoice run.", code="invoicing.run_not_found")


async def get_run(session: AsyncSession, org_id: uuid.UUID, run_id: uuid.UUID) -> InvoiceRun:
    run = await session.scalar(select(InvoiceRun).where(InvoiceRun.id == run_id, InvoiceRun.organization_id == org_id))
    if run is None:
        raise run_not_found()
    return run


async def _run_of_month(session: AsyncSession, org_id: uuid.UUID, month: date) -> InvoiceRun | None:
    return await session.scalar(
        select(InvoiceRun)
        .where(InvoiceRun.organization_id == org_id, InvoiceRun.period_month == month)
        .execution_options(populate_existing=True)
    )


async def open_run(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, period_month: date, *, now: datetime | None = None
) -> InvoiceRun:
    """The run of `period_month` (any day of it), waiting for approval, with every item up to now
    collected; the existing run when the month has one. Only months that have ended can be invoiced."""
    org = await require_billing_staff(session, actor, org_id)
    org_currency, time_zone = org.currency, org.time_zone
    check_date(period_month, "period_month")
    month = month_start(period_month)
    at = now or utcnow()
    if month >= month_start(at.astimezone(ZoneInfo(time_zone)).date()):
        raise ValidationFailed(
            "Only a month that has ended can be invoiced.",
            field="period_month",
            code="invoicing.period_not_ended",
            params={"month": month.isoformat()},
        )
    existing = await _run_of_month(session, org_id, month)
    await session.commit()
    if existing is not None:
        return existing
    first = await session.scalar(select(func.min(InvoiceRun.period_month)).where(InvoiceRun.organization_id == org_id))
    await collect_items(session, org_id, until=at, fee_months_from=min(first, month) if first else month)
    run = InvoiceRun(
        id=uuid.uuid4(),
        organization_id=org_id,
        period_month=month,
        state=RunState.awaiting_approval,
        cutoff_at=utcnow(),  # after the collect: every item it wrote is on this run
        currency=org_currency,
    )
    session.add(run)
    record(
        session,
        actor,
        "invoicing.run_open",
        "invoice_run",
        run.id,
        organization_id=org_id,
        new={"period_month": month.isoformat()},
    )
    try:
        await session.commit()
    except IntegrityError:  # opened by someone else at the same moment
        await session.rollback()
        other = await _run_of_month(session, org_id, month)
        if other is None:  # pragma: no cover - the other insert committed
            raise
        return other
    return run


async def _payments_ready(session: AsyncSession, org_id: uuid.UUID) -> bool:
    return (await payments_status(session, org_id)).charges_enabled


async def approve_run(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, run_id: uuid.UUID, *, automatic: bool = False
) -> InvoiceRun:
    """Approve the run: its figures are fixed from the preview and the worker starts making invoices.
    Refused while the organisation's Stripe account cannot take charges."""
    async with unit_of_work(session):
        await require_billing_staff(session, actor, org_id)
        run = await session.scalar(
            select(InvoiceRun)
            .where(InvoiceRun.id == run_id, InvoiceRun.organization_id == org_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if run is None:
            raise run_not_found()
        if run.state != RunState.awaiting_approval:
            raise Conflict("The run is already approved.", code="invoicing.run_already_approved")
        if not await _payments_ready(session, org_id):
            raise Conflict(
                "The organisation's Stripe account cannot take payments yet.", code="invoicing.payments_not_ready"
            )
        # Another run still claiming members would race this one for the same items (the database would
        # refuse the second claim, but the figures fixed here would be wrong): wait until it has claimed all.
        running = await session.scalars(
            select(InvoiceRun).where(
                InvoiceRun.organization_id == org_id, InvoiceRun.state == RunState.running, InvoiceRun.id != run.id
            )
        )
        for other in list(running):
            if await next_unclaimed_member_in(session, other) is None:
                continue
            raise Conflict("Another invoice run is still being made.", code="invoicing.run_in_progress")
        drafts = await member_drafts(session, run)
        invoiced = [d for d in drafts if not d.carried_over]
        run.members_total = len(invoiced)
        run.carried_over = len(drafts) - len(invoiced)
        run.total_minor = sum(d.total_minor for d in invoiced)
        run.state = RunState.running
        run.approved_at = utcnow()
        run.approved_by = actor.user_id
        run.automatic = automatic
        await enqueue(session, RUN_TASK, {"run_id": str(run.id)}, dedupe_key=f"invoice-run:{run.id}")
        record(
            session,
            actor,
            "invoicing.run_approve",
            "invoice_run",
            run.id,
            organization_id=org_id,
            new={
                "period_month": run.period_month.isoformat(),
                "members": run.members_total,
                "total_minor": run.total_minor,
                "automatic": automatic,
            },
        )
    return run


async def _invoice_of(session: AsyncSession, run_id: uuid.UUID, membership_id: uuid.UUID) -> Invoice | None:
    return await session.scalar(
        select(Invoice)
        .where(Invoice.run_id == run_id, Invoice.membership_id == membership_id)
        .execution_options(populate_existing=True)
    )


async def claim_member_invoice(
    session: AsyncSession, run: InvoiceRun | RunScope, membership_id: uuid.UUID
) -> Invoice | None:
    """The member's invoice of this run: made here (state pending, its items claimed, in one
    transaction) or the one made before. None when the member has nothing to bill or is carried over."""
    run = await run_scope(session, run)
    run_id, org_id = run.id, run.organization_id
    for _attempt in range(_CLAIM_ATTEMPTS):
        settings = await billing_settings(session, org_id)
        draft = await member_draft(session, run, membership_id, settings=settings)
        if draft is None or draft.carried_over:
            # Nothing left: claimed before (its items are on that invoice), or never anything to bill.
            existing = await _invoice_of(session, run_id, membership_id)
            await session.commit()
            return existing
        invoice = _invoice_of_draft(run, draft, platform_fee_minor(settings, get_settings(), draft.total_minor))
        links = _links(invoice.id, draft)
        try:
            session.add(invoice)
            await session.flush()
            await session.execute(insert(InvoicedItem), links)
            await session.commit()
        except IntegrityError:
            # Claimed before with items added since (the unique run and member), or by another worker
            # at the same moment (the member, or one of the items): the invoice made then, or read again.
            await session.rollback()
            existing = await _invoice_of(session, run_id, membership_id)
            await session.commit()
            if existing is not None:
                return existing
            continue
        return invoice
    raise Conflict(
        "The member's items changed while their invoice was made; try again.", code="invoicing.claim_conflict"
    )


async def claim_next_invoices(session: AsyncSession, run: InvoiceRun | RunScope, *, limit: int = 200) -> list[Invoice]:
    """Claim the next `limit` members of the run at once: their invoice rows and invoiced items in one
    transaction (all or none). The same rows as `claim_member_invoice` member by member, with a fraction
    of the round trips; for a worker that makes the Stripe invoices afterwards from the pending rows.
    An empty list: every member is claimed (or carried over)."""
    scope = await run_scope(session, run)
    settings = await billing_settings(session, scope.organization_id)
    start = await _search_start(session, scope)
    members = await _candidates(session, scope, start, limit, settings.minimum_amount_minor)
    if not members and start is not None:
        members = await _candidates(session, scope, None, limit, settings.minimum_amount_minor)
    drafts = await member_drafts_of(session, scope, members, settings=settings)
    fee_settings = get_settings()
    rows: list[dict[str, object]] = []
    links: list[dict[str, object]] = []
    now = utcnow()
    for member in members:
        draft = drafts.get(member)
        if draft is None or draft.carried_over:
            continue
        invoice = _invoice_of_draft(scope, draft, platform_fee_minor(settings, fee_settings, draft.total_minor))
        rows.append({c.key: getattr(invoice, c.key) for c in _INVOICE_COLUMNS} | {"created_at": now, "updated_at": now})
        links += _links(invoice.id, draft)
    try:
        # Core inserts: the ORM's unit of work costs more than the database for a few hundred rows.
        if rows:
            await session.execute(insert(Invoice), rows)
            await session.execute(insert(InvoicedItem), links)
        await session.commit()
    except IntegrityError:
        # Someone claimed one of them meanwhile: member by member, each finds its own invoice.
        await session.rollback()
        claimed = [await claim_member_invoice(session, scope, member) for member in members]
        return [invoice for invoice in claimed if invoice is not None]
    ids = [row["id"] for row in rows]
    if ids:
        await _keep_statistics_fresh(session, scope.id)
    return list(await session.scalars(select(Invoice).where(Invoice.id.in_(ids)))) if ids else []


async def _keep_statistics_fresh(session: AsyncSession, run_id: uuid.UUID) -> None:
    """PostgreSQL only: analyse the invoice tables whenever this run has doubled them since they were
    last analysed. Every invoiced item's foreign-key check looks its invoice up with a plan the server
    cached when `invoices` was small (a sequential scan); on a first run that table grows from empty to
    thousands of rows within minutes, before autovacuum looks, and each check then reads all of it
    (measured: 0.2 s per 200 invoices at the start, 3 s at 9,000). ANALYZE invalidates those plans;
    doubling keeps it to a handful of ANALYZEs per run."""
    if session.get_bind().dialect.name != "postgresql":
        return
    known = await session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'invoices'::regclass"))
    made = await session.scalar(select(func.count()).select_from(Invoice).where(Invoice.run_id == run_id))
    await session.commit()
    if int(made or 0) > 2 * max(float(known or 0), 100.0):
        await session.execute(text("ANALYZE invoices, invoiced_items"))
        await session.commit()


_INVOICE_COLUMNS = [
    Invoice.id,
    Invoice.organization_id,
    Invoice.run_id,
    Invoice.membership_id,
    Invoice.period_month,
    Invoice.state,
    Invoice.currency,
    Invoice.net_minor,
    Invoice.vat_minor,
    Invoice.total_minor,
    Invoice.energy_wh,
    Invoice.application_fee_minor,
]


def _invoice_of_draft(run: RunScope, draft: MemberDraft, fee_minor: int) -> Invoice:
    return Invoice(
        id=uuid.uuid4(),
        organization_id=run.organization_id,
        run_id=run.id,
        membership_id=draft.membership_id,
        period_month=run.period_month,
        state=InvoiceState.pending,
        currency=run.currency,
        net_minor=draft.net_minor,
        vat_minor=draft.vat_minor,
        total_minor=draft.total_minor,
        energy_wh=draft.energy_wh,
        application_fee_minor=fee_minor,
    )


def _links(invoice_id: uuid.UUID, draft: MemberDraft) -> list[dict[str, object]]:
    return [
        {"item_id": item_id, "invoice_id": invoice_id, "line_no": line_no}
        for line_no, line in enumerate(draft.lines)
        for item_id in line.item_ids
    ]


async def _candidates(
    session: AsyncSession, run: RunScope, after: uuid.UUID | None, limit: int = 1, minimum: int | None = None
) -> list[uuid.UUID]:
    """The first `limit` members (by id, after `after`) with items this run bills, no invoice of this run
    and a balance at or above the minimum. Walks memberships, not items: a member already invoiced in this
    run costs one probe of the (run, member) unique index however many items they have."""
    if minimum is None:
        minimum = (await billing_settings(session, run.organization_id)).minimum_amount_minor
    items = unbilled(run.organization_id, cutoff_at=run.cutoff_at, period_month=run.period_month)
    balance = (
        select(func.coalesce(func.sum(BillableItem.gross_minor), 0))
        .where(items, BillableItem.membership_id == Membership.id)
        .scalar_subquery()
    )
    # A scalar subquery with LIMIT 1 rather than EXISTS: PostgreSQL would turn EXISTS into a semi-join
    # planned from statistics that a run's inserts have just made stale, aggregating every item of the
    # organisation for each batch; this stays one index probe per member.
    has_items = (
        select(BillableItem.id).where(items, BillableItem.membership_id == Membership.id).limit(1).scalar_subquery()
    )
    found: list[uuid.UUID] = []
    while len(found) < limit:
        query = (
            select(Membership.id, balance)
            .where(
                Membership.organization_id == run.organization_id,
                ~exists().where(Invoice.run_id == run.id, Invoice.membership_id == Membership.id),
                has_items.is_not(None),
            )
            .order_by(Membership.id)
            .limit(limit - len(found))
        )
        if after is not None:
            query = query.where(Membership.id > after)
        rows = (await session.execute(query)).all()
        if not rows:
            break
        found += [member for member, total in rows if int(total or 0) >= minimum]  # the rest carry over
        after = rows[-1][0]
    return found


async def _search_start(session: AsyncSession, run: RunScope) -> uuid.UUID | None:
    return await session.scalar(
        select(Invoice.membership_id).where(Invoice.run_id == run.id).order_by(Invoice.membership_id.desc()).limit(1)
    )


async def next_unclaimed_member_in(
    session: AsyncSession, run: InvoiceRun | RunScope, *, after: uuid.UUID | None = None
) -> uuid.UUID | None:
    """As `next_unclaimed_member`, inside the caller's transaction (no commit).

    Members are claimed in id order, so the search starts after the last member invoiced in this run
    (and after `after`); only when nothing is found there does it look again from the start, for a
    member a failed claim left behind. A run of n members thus costs n short searches and one full one."""
    scope = await run_scope(session, run)
    start = after or await _search_start(session, scope)
    found = await _candidates(session, scope, start) if start is not None else []
    if not found and after is None:
        found = await _candidates(session, scope, None)
    return found[0] if found else None


async def next_unclaimed_member(
    session: AsyncSession, run: InvoiceRun | RunScope, *, after: uuid.UUID | None = None
) -> uuid.UUID | None:
    """A member the run still has to invoice: items within the run (written by its cutoff, of its month
    or earlier) on no invoice yet, no invoice of this run, and a balance at or above the minimum amount.
    None when every member is claimed (or carried over). `after`: only members after this id."""
    found = await next_unclaimed_member_in(session, run, after=after)
    await session.commit()
    return found


async def finish_run_if_complete(session: AsyncSession, run_id: uuid.UUID) -> bool:
    """Mark the run done when no member is left to claim and none of its invoices is still pending."""
    async with unit_of_work(session):
        run = await session.scalar(
            select(InvoiceRun)
            .where(InvoiceRun.id == run_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if run is None:
            raise run_not_found()
        if run.state == RunState.done:
            return True
        if run.state != RunState.running:
            return False
        if await next_unclaimed_member_in(session, run) is not None:
            return False
        pending = await session.scalar(
            select(func.count())
            .select_from(Invoice)
            .where(Invoice.run_id == run.id, Invoice.state == InvoiceState.pending)
        )
        if pending:
            return False
        run.invoices_done = int(
            await session.scalar(select(func.count()).select_from(Invoice).where(Invoice.run_id == run.id)) or 0
        )
        run.state = RunState.done
        run.finished_at = utcnow()
    return True


def previous_month(day: date) -> date:
    first = month_start(day)
    return month_start(first - timedelta(days=1))


async def open_due_run(db: Database, org_id: uuid.UUID, *, now: datetime | None = None) -> InvoiceRun | None:
    """On or after the organisation's invoice day: open last month's run if it has none, and approve it
    when the organisation lets runs go automatically and a person approved an earlier one."""
    at = now or utcnow()
    async with db.session() as session:
        org = await session.get(Organization, org_id)
        if org is None:
            return None
        settings = await billing_settings(session, org_id)
        today = at.astimezone(ZoneInfo(org.time_zone)).date()
        month = previous_month(today)
        if today.day < settings.invoice_day or await _run_of_month(session, org_id, month) is not None:
            await session.commit()
            return None
        run = await open_run(session, SYSTEM, org_id, month, now=at)
        if not settings.auto_approve or run.state != RunState.awaiting_approval:
            return run
        approved_by_person = await session.scalar(
            select(InvoiceRun.id).where(
                InvoiceRun.organization_id == org_id,
                InvoiceRun.approved_by.is_not(None),
                InvoiceRun.automatic.is_(False),
                InvoiceRun.id != run.id,
            )
        )
        await session.commit()
        if approved_by_person is None:
            return run
        run_id = run.id
        try:
            return await approve_run(session, SYSTEM, org_id, run_id, automatic=True)
        except Conflict as refused:
            log.warning("invoicing: automatic approval of run %s refused: %s", run_id, refused.code)
            return await get_run(session, org_id, run_id)


async def open_due_runs(db: Database, *, now: datetime | None = None) -> int:
    """Every organisation whose Stripe account can take charges: open (and approve) its due run."""
    async with db.session() as session:
        org_ids = list(
            await session.scalars(select(StripeAccount.organization_id).where(StripeAccount.charges_enabled.is_(True)))
        )
        await session.commit()
    opened = 0
    for org_id in org_ids:
        try:
            if await open_due_run(db, org_id, now=now) is not None:
                opened += 1
        except Exception:  # one organisation's trouble must not stop the others' invoicing
            log.exception("invoicing: opening the due run of %s failed", org_id)
    return opened


@periodic("billing.invoice_runs", every=timedelta(hours=1))
async def invoice_runs_job(db: Database) -> None:
    opened = await open_due_runs(db)
    if opened:
        log.info("invoicing: %d invoice runs opened", opened)
