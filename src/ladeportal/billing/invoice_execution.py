"""Making the members' invoices of an approved run at Stripe: the `billing.invoice_run` outbox task.

The task claims members' items onto invoice rows fifty members at a time (`invoice_runs.
claim_next_invoices`, one transaction per batch), then `execute_invoice` makes each invoice at Stripe
and stores it. Every Stripe step is keyed by our own row ids and each answer is stored before the next step, so
a crash, a retried task or a second worker at any point repeats nothing at Stripe and sends no second
message:

1. the member's platform customer (the `billing_customers` row first; its id is the key), brought up
   to date when the member's name, e-mail or language changed since the last invoice;
2. the draft invoice, made by the platform on behalf of the owner's account (`on_behalf_of`,
   `transfer_data[destination]`, the platform's fee as `application_fee_amount`); its id is stored at
   once. A draft made by a step that crashed before storing it is found again by its metadata;
3. one invoice item per line (the invoiced items grouped by `line_no`), skipping lines already on the
   draft; amounts are the stored gross amounts with Stripe's inclusive "MVA" rate of the items;
4. finalize; then, in one transaction, the number, links and due date, `state` open, the run's
   progress and the member's SMS/e-mail (`invoice_notify.notify_member`).

No transaction is open while Stripe is asked. Stripe being down (PaymentsUnavailable) stops the task
and leaves a continuation for later, so the run is never lost; Stripe refusing one member's invoice
is noted on that invoice and the run goes on with the others (they are tried again later). A task
works for a couple of minutes and then hands over to a continuation (well inside the outbox lease),
and a periodic job gives a running run whose tasks all failed for good a new one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing import invoice_runs
from ladeportal.billing.invoice_models import (
    BillableItem,
    BillingCustomer,
    Invoice,
    InvoicedItem,
    InvoiceRun,
    InvoiceState,
    LineMode,
    RunState,
)
from ladeportal.billing.invoice_notify import notify_member
from ladeportal.billing.invoice_preview import draft_lines
from ladeportal.billing.invoice_settings import billing_settings, platform_fee_minor
from ladeportal.billing.line_words import item_words, language_of, site_month_words
from ladeportal.billing.models import StripeAccount
from ladeportal.billing.stripe_gateway import InvoiceSnapshot, PaymentsUnavailable, StripeGateway, gateway
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.errors import DomainError, NotFound, ValidationFailed
from ladeportal.jobs.models import OutboxTask, TaskState
from ladeportal.jobs.outbox import TaskContext, enqueue, task_handler
from ladeportal.jobs.periodic import periodic
from ladeportal.members.models import Membership, User
from ladeportal.messaging.email_address import valid_address
from ladeportal.orgs.models import Organization, Site
from ladeportal.pricing.models import PricePlan
from ladeportal.settings import get_settings

log = logging.getLogger(__name__)

RUN_TASK = "billing.invoice_run"
# One task works this long, then hands over to a continuation: well inside the outbox lease (5 min).
CLAIM_BATCH = 50
RUN_BUDGET_SECONDS = 120.0
# After Stripe was unavailable, or refused some invoices, the run is taken up again this much later.
RETRY_UNAVAILABLE = timedelta(minutes=2)
RETRY_REFUSED = timedelta(minutes=30)
# Stripe keeps an idempotency key 24 h: a step older than this looks for its invoice before making one.
IDEMPOTENCY_WINDOW = timedelta(hours=23)
# A running run whose tasks all ended (failed for good) is given a new task after this long.
STALLED_AFTER = timedelta(minutes=15)
INVOICE_KEY = "invoice_row"  # metadata of a Stripe invoice: our Invoice row id
LINE_KEY = "line_no"  # metadata of a Stripe invoice item: its line on our invoice
STATES = {
    "draft": InvoiceState.pending,
    "open": InvoiceState.open,
    "paid": InvoiceState.paid,
    "void": InvoiceState.void,
    "uncollectible": InvoiceState.uncollectible,
}


@dataclass(frozen=True)
class StripeLine:
    """One line of an invoice as sent to Stripe: the items on it (same line_no) added up."""

    line_no: int
    description: str
    gross_minor: int
    vat_minor: int
    vat_rate_bp: int
    period: tuple[datetime, datetime] | None
    item_ids: tuple[int, ...]


def _midnight(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def lines_of(
    items: list[tuple[int, Any]],
    site_names: dict[uuid.UUID, str],
    *,
    language: str = "nb",
    time_zone: str = "Europe/Oslo",
    plan_names: dict[uuid.UUID, str] | None = None,
) -> list[StripeLine]:
    """(line_no, item) pairs -> the invoice's lines in order, grouped as the preview groups them
    (`invoice_preview.draft_lines`: the claimed items of one line are one draft line again) and worded
    in the member's `language` (`line_words`)."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for line_no, item in items:
        grouped[line_no].append(item)
    lines = []
    for line_no in sorted(grouped):
        group = grouped[line_no]
        rates = {i.vat_rate_bp for i in group}
        if len(rates) != 1:
            raise ValueError(f"line {line_no} mixes VAT rates {sorted(rates)}")
        mode = LineMode.per_session if len(group) == 1 else LineMode.per_site_month
        drafted = draft_lines(group, mode, site_names)
        if len(group) == 1:
            description = item_words(group[0], site_names, plan_names or {}, time_zone, language)
        elif len(drafted) == 1 and group[0].site_id in site_names:
            description = site_month_words(site_names[group[0].site_id], group[0].period_month, language)
        else:
            description = drafted[0].description if len(drafted) == 1 else group[0].description
        start, end = _midnight(drafted[0].period_start), _midnight(drafted[0].period_end)
        lines.append(
            StripeLine(
                line_no=line_no,
                description=description,
                gross_minor=sum(i.gross_minor for i in group),
                vat_minor=sum(i.vat_minor for i in group),
                vat_rate_bp=group[0].vat_rate_bp,
                period=(start, end) if start and end and len(drafted) == 1 else None,
                item_ids=tuple(sorted(i.id for i in group)),
            )
        )
    return lines


async def invoice_lines(
    session: AsyncSession, invoice_id: uuid.UUID, *, language: str = "nb", time_zone: str = "Europe/Oslo"
) -> list[StripeLine]:
    rows = await session.execute(
        select(InvoicedItem.line_no, BillableItem)
        .join(BillableItem, BillableItem.id == InvoicedItem.item_id)
        .where(InvoicedItem.invoice_id == invoice_id)
    )
    pairs = [(line_no, item) for line_no, item in rows.all()]
    site_ids = {item.site_id for _, item in pairs if item.site_id is not None}
    plan_ids = {item.plan_id for _, item in pairs if item.plan_id is not None}
    names = dict((await session.execute(select(Site.id, Site.name).where(Site.id.in_(site_ids)))).all())
    plans = (
        dict((await session.execute(select(PricePlan.id, PricePlan.name).where(PricePlan.id.in_(plan_ids)))).all())
        if plan_ids
        else {}
    )
    return lines_of(pairs, names, language=language, time_zone=time_zone, plan_names=plans)


# -- one invoice ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    invoice: Invoice
    account_id: str
    customer_row_id: uuid.UUID
    customer_id: str | None
    days_until_due: int
    description: str | None
    footer: str | None
    fee_minor: int
    time_zone: str


async def _customer_row(session: AsyncSession, invoice: Invoice) -> BillingCustomer:
    """The membership's billing_customers row, made (committed) if it has none: its id is the key of the
    customer at Stripe, so it exists before the customer does."""
    found = await session.scalar(select(BillingCustomer).where(BillingCustomer.membership_id == invoice.membership_id))
    if found is not None:
        return found
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(BillingCustomer)
        .values(
            id=uuid.uuid4(),
            organization_id=invoice.organization_id,
            membership_id=invoice.membership_id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["membership_id"])
    )
    await session.commit()
    row = await session.scalar(select(BillingCustomer).where(BillingCustomer.membership_id == invoice.membership_id))
    assert row is not None  # made just above, or by a step that ran at the same moment
    return row


async def _facts(db: Database, invoice_id: uuid.UUID) -> _Facts | None:
    """What the Stripe steps need, read and committed before Stripe is asked; None when the invoice is
    made already. The platform's fee is fixed on the row before the invoice exists at Stripe."""
    async with db.session() as session:
        invoice = await session.get(Invoice, invoice_id)
        if invoice is None:
            raise NotFound("No such invoice.", code="invoicing.invoice_not_found")
        if invoice.finalized_at is not None:
            await session.commit()
            return None
        org = await session.get(Organization, invoice.organization_id)
        account = await session.scalar(
            select(StripeAccount).where(StripeAccount.organization_id == invoice.organization_id)
        )
        if org is None or account is None or account.account_id is None:
            await session.commit()
            raise ValidationFailed(
                "The organisation's Stripe account cannot take payments yet.", code="invoicing.payments_not_ready"
            )
        settings = await billing_settings(session, invoice.organization_id)
        customer = await _customer_row(session, invoice)
        fee = invoice.application_fee_minor
        if invoice.stripe_invoice_id is None:
            fee = platform_fee_minor(settings, get_settings(), invoice.total_minor)
            if fee != invoice.application_fee_minor:
                invoice.application_fee_minor = fee
        facts = _Facts(
            invoice=invoice,
            account_id=account.account_id,
            customer_row_id=customer.id,
            customer_id=customer.stripe_customer_id,
            days_until_due=settings.days_until_due,
            description=settings.invoice_text,
            footer=settings.footer,
            fee_minor=fee,
            time_zone=org.time_zone,
        )
        await session.commit()
    return facts


@dataclass(frozen=True)
class _CustomerDetails:
    name: str
    phone: str | None
    email: str | None
    locale: str | None

    def digest(self) -> str:
        """What the customer at Stripe was last told: name, e-mail and language (the phone is the person's
        login and does not change under a membership)."""
        text = json.dumps([self.name, self.email, self.locale], ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


async def _customer_details(db: Database, membership_id: uuid.UUID) -> tuple[_CustomerDetails, str | None]:
    async with db.session() as session:
        row = (
            await session.execute(
                select(Membership.name, Membership.email, User.phone, User.language, BillingCustomer.details_digest)
                .join(User, User.id == Membership.user_id)
                .outerjoin(BillingCustomer, BillingCustomer.membership_id == Membership.id)
                .where(Membership.id == membership_id)
            )
        ).one()
        await session.commit()
    name, email, phone, language, digest = row
    try:
        email = valid_address(email) if email else None
    except ValidationFailed:
        email = None  # an address Stripe would refuse must not stop the invoice; the SMS carries it
    locale = language if language in ("nb", "en", "sv") else None
    return _CustomerDetails(name=name or phone or "?", phone=phone, email=email, locale=locale), digest


async def _ensure_customer(db: Database, gw: StripeGateway, facts: _Facts) -> str:
    """The member's customer at Stripe, made once; when the membership's name or e-mail or the person's
    language changed since Stripe was last told, the customer is updated first (keyed by the invoice and
    the new details, so a repeated step changes nothing more)."""
    invoice = facts.invoice
    details, told = await _customer_details(db, invoice.membership_id)
    digest = details.digest()
    if facts.customer_id is not None:
        if told == digest:
            return facts.customer_id
        await gw.update_customer(
            facts.customer_id,
            name=details.name,
            email=details.email,
            locale=details.locale,
            idempotency_key=f"cus:{facts.customer_row_id}:update:{invoice.id}:{digest[:16]}",
        )
        async with db.session() as session, unit_of_work(session):
            await session.execute(
                update(BillingCustomer).where(BillingCustomer.id == facts.customer_row_id).values(details_digest=digest)
            )
        return facts.customer_id
    customer_id = await gw.ensure_customer(
        name=details.name,
        phone=details.phone,
        email=details.email,
        metadata={
            "organization_id": str(invoice.organization_id),
            "membership_id": str(invoice.membership_id),
            "billing_customer": str(facts.customer_row_id),
        },
        idempotency_key=f"cus:{facts.customer_row_id}",
        locale=details.locale,
    )
    async with db.session() as session, unit_of_work(session):
        await session.execute(
            update(BillingCustomer)
            .where(BillingCustomer.id == facts.customer_row_id, BillingCustomer.stripe_customer_id.is_(None))
            .values(stripe_customer_id=customer_id, details_digest=digest)
        )
        stored = await session.scalar(
            select(BillingCustomer.stripe_customer_id).where(BillingCustomer.id == facts.customer_row_id)
        )
    return stored or customer_id


async def _ensure_draft(
    db: Database, gw: StripeGateway, facts: _Facts, customer_id: str
) -> tuple[InvoiceSnapshot, bool]:
    """The invoice at Stripe (made as a draft if it is not there yet); True when it was made by this step
    (a draft that has none of its lines yet)."""
    invoice = facts.invoice
    if invoice.stripe_invoice_id is not None:
        return await gw.retrieve_invoice(invoice.stripe_invoice_id), False
    snapshot = None
    if utcnow() - invoice.created_at > IDEMPOTENCY_WINDOW:
        snapshot = await gw.find_invoice(customer_id, INVOICE_KEY, str(invoice.id))
    if snapshot is None:
        snapshot = await gw.create_invoice(
            customer=customer_id,
            currency=invoice.currency,
            days_until_due=facts.days_until_due,
            on_behalf_of=facts.account_id,
            application_fee_amount=facts.fee_minor,
            description=facts.description,
            footer=facts.footer,
            metadata={
                INVOICE_KEY: str(invoice.id),
                "organization_id": str(invoice.organization_id),
                "membership_id": str(invoice.membership_id),
                "period": invoice.period_month.isoformat()[:7],
            },
            idempotency_key=f"inv:{invoice.id}:create",
        )
    async with db.session() as session, unit_of_work(session):
        await session.execute(
            update(Invoice)
            .where(Invoice.id == invoice.id, Invoice.stripe_invoice_id.is_(None))
            .values(stripe_invoice_id=snapshot.id, stripe_customer_id=customer_id)
        )
    # Lines are added only after the id is stored, so an invoice whose id was not stored has none.
    return snapshot, True


async def _add_lines(
    db: Database, gw: StripeGateway, facts: _Facts, customer_id: str, stripe_id: str, fresh: bool
) -> None:
    invoice = facts.invoice
    async with db.session() as session:
        language = await session.scalar(
            select(User.language)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.id == invoice.membership_id)
        )
        lines = await invoice_lines(session, invoice.id, language=language_of(language), time_zone=facts.time_zone)
        await session.commit()
    present = set() if fresh else await gw.invoice_line_keys(stripe_id, LINE_KEY)
    for line in lines:
        if str(line.line_no) in present:
            continue
        tax_rates = [await gw.ensure_tax_rate(line.vat_rate_bp)] if line.vat_rate_bp else []
        await gw.create_invoice_item(
            customer=customer_id,
            invoice=stripe_id,
            amount=line.gross_minor,
            currency=invoice.currency,
            description=line.description,
            period=line.period,
            tax_rates=tax_rates,
            metadata={LINE_KEY: str(line.line_no), INVOICE_KEY: str(invoice.id)},
            idempotency_key=f"inv:{invoice.id}:line:{line.line_no}",
        )


async def _check_draft(gw: StripeGateway, invoice: Invoice, stripe_id: str) -> None:
    """The draft must add up to our total before it is finalized: a finalized invoice cannot be changed."""
    draft = await gw.retrieve_invoice(stripe_id)
    if draft.total != invoice.total_minor:
        log.error(
            "invoice %s: draft %s adds up to %s, ours to %s", invoice.id, stripe_id, draft.total, invoice.total_minor
        )
        raise ValidationFailed(
            "The invoice at Stripe does not add up to the invoice's total; it was not sent.",
            code="invoicing.stripe_total_mismatch",
            params={"stripe_total": draft.total, "total": invoice.total_minor},
        )


def local_due_date(snapshot: InvoiceSnapshot, time_zone: str) -> date | None:
    return snapshot.due_date.astimezone(ZoneInfo(time_zone)).date() if snapshot.due_date else None


def snapshot_values(snapshot: InvoiceSnapshot, time_zone: str) -> dict[str, Any]:
    """The columns of an invoice row that Stripe's description sets."""
    state = STATES.get(snapshot.status, InvoiceState.open)
    values: dict[str, Any] = {
        "state": state,
        "number": snapshot.number,
        "hosted_url": snapshot.hosted_invoice_url,
        "pdf_url": snapshot.invoice_pdf,
        "due_date": local_due_date(snapshot, time_zone),
        "amount_paid_minor": snapshot.amount_paid,
        "paid_at": snapshot.paid_at,
        "voided_at": snapshot.voided_at,
    }
    if snapshot.payment_intent:
        values["stripe_payment_intent_id"] = snapshot.payment_intent
    if state == InvoiceState.paid:
        values["last_payment_error"] = None
    elif snapshot.last_payment_error:
        values["last_payment_error"] = snapshot.last_payment_error
    return values


async def _store_finalized(db: Database, facts: _Facts, snapshot: InvoiceSnapshot, read_at: datetime) -> bool:
    """Store the finalized invoice, count it on its run and queue the member's messages, in one
    transaction; False when another step stored it first."""
    invoice_id = facts.invoice.id
    values = snapshot_values(snapshot, facts.time_zone)
    if snapshot.total == facts.invoice.total_minor and snapshot.tax != facts.invoice.vat_minor:
        # VAT is worked out per invoice line at Stripe (prices include it); a line that adds up several
        # sessions can differ from the sum of their VAT by rounding. The invoice the member gets is what
        # the accounts follow, so its split is stored.
        log.warning(
            "invoice %s: VAT %s at Stripe, %s summed from items", invoice_id, snapshot.tax, facts.invoice.vat_minor
        )
        values.update(vat_minor=snapshot.tax, net_minor=snapshot.total - snapshot.tax)
    async with db.session() as session, unit_of_work(session):
        stored = await session.execute(
            update(Invoice)
            .where(Invoice.id == invoice_id, Invoice.finalized_at.is_(None))
            .values(
                **values,
                finalized_at=snapshot.finalized_at or read_at,
                synced_at=read_at,
                last_error_code=None,
            )
            .execution_options(synchronize_session=False)
        )
        if stored.rowcount != 1:  # type: ignore[attr-defined]
            return False
        invoice = await session.get(Invoice, invoice_id, populate_existing=True)
        assert invoice is not None
        if invoice.run_id is not None:
            await session.execute(
                update(InvoiceRun)
                .where(InvoiceRun.id == invoice.run_id)
                .values(invoices_done=InvoiceRun.invoices_done + 1)
            )
        if invoice.hosted_url and invoice.state in (InvoiceState.open, InvoiceState.uncollectible):
            await notify_member(session, invoice)
    return True


async def execute_invoice(db: Database, gw: StripeGateway, invoice_id: uuid.UUID) -> bool:
    """Make the claimed invoice at Stripe, finalize it and tell the member; True when this call finished
    it, False when it was finished before. Safe to call again at any point after a crash."""
    facts = await _facts(db, invoice_id)
    if facts is None:
        return False
    try:
        customer_id = await _ensure_customer(db, gw, facts)
        snapshot, fresh = await _ensure_draft(db, gw, facts, customer_id)
        if snapshot.status == "draft":
            await _add_lines(db, gw, facts, customer_id, snapshot.id, fresh)
            await _check_draft(gw, facts.invoice, snapshot.id)
            snapshot = await gw.finalize_invoice(snapshot.id, idempotency_key=f"inv:{invoice_id}:finalize")
        read_at = utcnow()
    except DomainError as exc:
        await _note_error(db, invoice_id, exc)
        raise
    return await _store_finalized(db, facts, snapshot, read_at)


def error_code(exc: DomainError) -> str:
    if isinstance(exc, PaymentsUnavailable):
        return "payments.stripe_unavailable"
    return str(exc.params.get("stripe_code") or exc.code or "payments.stripe_rejected")[:80]


async def _note_error(db: Database, invoice_id: uuid.UUID, exc: DomainError) -> None:
    async with db.session() as session, unit_of_work(session):
        await session.execute(update(Invoice).where(Invoice.id == invoice_id).values(last_error_code=error_code(exc)))


# -- the run -------------------------------------------------------------------------------------------


@dataclass
class RunOutcome:
    invoices_made: int = 0
    refused: int = 0
    finished: bool = False
    continued: bool = False  # a continuation task was left for the rest


async def _run(db: Database, run_id: uuid.UUID) -> InvoiceRun | None:
    async with db.session() as session:
        run = await session.get(InvoiceRun, run_id)
        await session.commit()
    return run


async def _unfinished_invoices(db: Database, run_id: uuid.UUID) -> list[uuid.UUID]:
    """Invoices of the run claimed but not yet made at Stripe (a crash, an outage, a refusal)."""
    async with db.session() as session:
        ids = list(
            await session.scalars(
                select(Invoice.id)
                .where(Invoice.run_id == run_id, Invoice.finalized_at.is_(None))
                .order_by(Invoice.created_at, Invoice.id)
            )
        )
        await session.commit()
    return ids


async def _progress(db: Database, run_id: uuid.UUID, **values: Any) -> None:
    async with db.session() as session, unit_of_work(session):
        await session.execute(update(InvoiceRun).where(InvoiceRun.id == run_id).values(**values))


async def _continue_later(db: Database, run_id: uuid.UUID, key: str, after: timedelta) -> None:
    async with db.session() as session, unit_of_work(session):
        await enqueue(
            session,
            RUN_TASK,
            {"run_id": str(run_id)},
            dedupe_key=f"invoice-run:{run_id}:{key}",
            run_after=utcnow() + after,
        )


async def _claim_batch(db: Database, run_id: uuid.UUID) -> list[uuid.UUID]:
    """Claim the next members' invoices in one transaction (their rows and items, all or none); an
    empty list when every member is claimed or carried over. Claiming in batches keeps the database's
    part of a 10,000-member run well under a minute (bench/invoice_run.py)."""
    async with db.session() as session:
        run = await session.get(InvoiceRun, run_id)
        if run is None:
            await session.commit()
            return []
        invoices = await invoice_runs.claim_next_invoices(session, run, limit=CLAIM_BATCH)
        claimed = [invoice.id for invoice in invoices]
        await session.commit()
    return claimed


async def run_invoices(
    db: Database,
    gw: StripeGateway,
    run_id: uuid.UUID,
    *,
    continuation_key: str,
    budget_seconds: float = RUN_BUDGET_SECONDS,
) -> RunOutcome:
    """Work through an approved run: first the invoices left unfinished, then member by member. Stops
    after `budget_seconds` or when Stripe is unavailable, leaving a continuation task (dedupe key from
    `continuation_key`, so a repeated task leaves one)."""
    outcome = RunOutcome()
    run = await _run(db, run_id)
    if run is None or run.state != RunState.running:
        return outcome
    if run.started_at is None:
        async with db.session() as session, unit_of_work(session):
            await session.execute(
                update(InvoiceRun)
                .where(InvoiceRun.id == run_id, InvoiceRun.started_at.is_(None))
                .values(started_at=utcnow())
            )
    deadline = time.monotonic() + budget_seconds
    seen: set[uuid.UUID] = set()

    async def one(invoice_id: uuid.UUID) -> bool:
        """False when the run must stop here (Stripe unavailable)."""
        try:
            if await execute_invoice(db, gw, invoice_id):
                outcome.invoices_made += 1
        except PaymentsUnavailable:
            await _progress(db, run_id, last_error_code="payments.stripe_unavailable")
            await _continue_later(db, run_id, f"{continuation_key}:unavailable", RETRY_UNAVAILABLE)
            outcome.continued = True
            return False
        except DomainError as exc:
            log.warning("invoice %s of run %s refused: %s", invoice_id, run_id, exc)
            outcome.refused += 1
            await _progress(db, run_id, last_error_code=error_code(exc))
        return True

    for invoice_id in await _unfinished_invoices(db, run_id):
        if not await one(invoice_id):
            return outcome
    while True:
        if time.monotonic() > deadline:
            await _continue_later(db, run_id, f"{continuation_key}:more", timedelta(0))
            outcome.continued = True
            return outcome
        claimed = [invoice_id for invoice_id in await _claim_batch(db, run_id) if invoice_id not in seen]
        if not claimed:
            break
        seen.update(claimed)
        for invoice_id in claimed:
            # Claimed but not yet made at Stripe when the budget ends: the continuation's first step
            # (the unfinished invoices) makes them.
            if time.monotonic() > deadline:
                break
            if not await one(invoice_id):
                return outcome
    if await _unfinished_invoices(db, run_id):
        # Stripe refused some invoices (noted on each): they are tried again later, the run stays open.
        await _continue_later(db, run_id, f"{continuation_key}:refused", RETRY_REFUSED)
        outcome.continued = True
        return outcome
    async with db.session() as session:
        outcome.finished = await invoice_runs.finish_run_if_complete(session, run_id)
        await session.commit()
    if outcome.finished:
        await _progress(db, run_id, last_error_code=None)
    return outcome


@task_handler(RUN_TASK)
async def handle_invoice_run(db: Database, payload: dict[str, Any], ctx: TaskContext) -> None:
    await run_invoices(db, gateway(), uuid.UUID(payload["run_id"]), continuation_key=f"after:{ctx.task_id}")


async def resume_stalled_runs(db: Database, *, now: datetime | None = None) -> int:
    """Give every running run without a task of its own (its task failed for good: a bug, a worker
    killed over and over) a new one, so no approved run is left half made. Returns how many."""
    at = now or utcnow()
    async with db.session() as session:
        runs = list(
            await session.scalars(
                select(InvoiceRun.id).where(
                    InvoiceRun.state == RunState.running, InvoiceRun.approved_at < at - STALLED_AFTER
                )
            )
        )
        stalled = []
        for run_id in runs:
            busy = await session.scalar(
                select(OutboxTask.id)
                .where(
                    OutboxTask.kind == RUN_TASK,
                    OutboxTask.dedupe_key.like(f"invoice-run:{run_id}%"),
                    OutboxTask.state.in_((TaskState.pending, TaskState.running)),
                )
                .limit(1)
            )
            if busy is None:
                stalled.append(run_id)
        await session.commit()
    for run_id in stalled:
        log.warning("invoice run %s has no task left; resuming it", run_id)
        await _continue_later(db, run_id, f"resume:{at:%Y%m%d%H%M}", timedelta(0))
    return len(stalled)


@periodic("billing.invoice_runs_resume", every=STALLED_AFTER)
async def resume_stalled_runs_job(db: Database) -> None:
    await resume_stalled_runs(db)
