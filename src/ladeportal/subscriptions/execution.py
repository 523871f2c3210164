"""Making one counted subscription invoice at the platform's own Stripe account, and the run's task.

Every step is keyed by our own row ids and its answer stored before the next, so a crash, a retried task
or a second worker at any point repeats nothing at Stripe:

1. the organisation's customer (the `org_subscriptions` row first; its id keys the customer);
2. the draft invoice: the moment it is asked for is stored first, so a step that crashed before storing
   the id looks for the draft by its metadata (the idempotency key may be forgotten by then);
3. one invoice item per counted line, skipping lines already on the draft (their metadata);
4. finalize, then for invoices by e-mail Stripe sends it; the number, links, due date and state stored.

No transaction is open while Stripe is asked. Stripe being down stops the task and leaves a continuation;
Stripe refusing one organisation's invoice is noted on its row (listed to staff with a retry) and the run
goes on with the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ladeportal.billing.stripe_gateway import InvoiceSnapshot, PaymentsUnavailable, StripeGateway, gateway
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.errors import ValidationFailed
from ladeportal.jobs.outbox import TaskContext, task_handler
from ladeportal.orgs.models import Organization
from ladeportal.subscriptions import runs
from ladeportal.subscriptions.models import (
    Collection,
    OrgSubscription,
    PlanUnit,
    SubInvoiceState,
    SubscriptionInvoice,
    SubscriptionPlan,
    SubscriptionRun,
)
from ladeportal.subscriptions.quarters import Quarter
from ladeportal.subscriptions.wording import line_text

log = logging.getLogger(__name__)

ROW_KEY = "subscription_invoice"  # metadata of the Stripe invoice: our row id
LINE_KEY = "subscription_line"  # metadata of an invoice item: the line's key
MAKE_BATCH = 50
CONCURRENCY = 8
RUN_BUDGET_SECONDS = 120.0
RETRY_UNAVAILABLE = timedelta(minutes=2)
STATES = {
    "draft": SubInvoiceState.pending,
    "open": SubInvoiceState.open,
    "paid": SubInvoiceState.paid,
    "void": SubInvoiceState.void,
    "uncollectible": SubInvoiceState.uncollectible,
}


def snapshot_values(snapshot: InvoiceSnapshot) -> dict[str, Any]:
    return {
        "state": STATES.get(snapshot.status, SubInvoiceState.open),
        "number": snapshot.number,
        "hosted_url": snapshot.hosted_invoice_url,
        "pdf_url": snapshot.invoice_pdf,
        "due_at": snapshot.due_date,
        "amount_paid_minor": snapshot.amount_paid,
        "paid_at": snapshot.paid_at,
        "last_payment_error": snapshot.last_payment_error,
    }


async def _customer(db: Database, gw: StripeGateway, org_id: uuid.UUID) -> str:
    async with db.session() as session:
        sub = await session.scalar(select(OrgSubscription).where(OrgSubscription.organization_id == org_id))
        if sub is None:
            insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            await session.execute(
                insert(OrgSubscription)
                .values(
                    id=uuid.uuid4(),
                    organization_id=org_id,
                    collection=Collection.send_invoice,
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["organization_id"])
            )
            await session.commit()
            sub = await session.scalar(select(OrgSubscription).where(OrgSubscription.organization_id == org_id))
        assert sub is not None
        org = await session.get(Organization, org_id)
        assert org is not None
        sub_id, customer = sub.id, sub.stripe_customer_id
        name, email, country = org.legal_name, org.contact_email, org.country
        await session.commit()
    if customer:
        return customer
    customer = await gw.ensure_customer(
        name=name,
        phone=None,
        email=email,
        metadata={"organization": str(org_id)},
        idempotency_key=f"subcus:{sub_id}",
        locale="nb" if country == "NO" else "sv" if country == "SE" else "en",
    )
    async with db.session() as session, unit_of_work(session):
        await session.execute(
            update(OrgSubscription).where(OrgSubscription.id == sub_id).values(stripe_customer_id=customer)
        )
    return customer


async def _store(db: Database, row_id: uuid.UUID, **values: Any) -> None:
    async with db.session() as session, unit_of_work(session):
        await session.execute(update(SubscriptionInvoice).where(SubscriptionInvoice.id == row_id).values(**values))


@dataclass(frozen=True)
class _Facts:
    """What the Stripe steps need, read before Stripe is asked."""

    org_id: uuid.UUID
    quarter: Quarter
    lines: list[dict[str, Any]]
    currency: str
    collection: Collection
    stripe_id: str | None
    create_started: bool
    unit: PlanUnit
    days: int
    country: str
    time_zone: str
    vat_rate_bp: int
    language: str


async def make_invoice(db: Database, gw: StripeGateway, row_id: uuid.UUID) -> None:
    """Make (or finish making) one counted invoice at Stripe; a no-op once it is finalized."""
    async with db.session() as session:
        row = await session.get(SubscriptionInvoice, row_id)
        if row is None or row.finalized_at is not None:
            await session.commit()
            return
        plan = await session.get(SubscriptionPlan, row.plan_id)
        org = await session.get(Organization, row.organization_id)
        assert plan is not None and org is not None
        facts = _Facts(
            org_id=row.organization_id,
            quarter=Quarter.parse(row.quarter),
            lines=list(row.lines),
            currency=row.currency,
            collection=row.collection,
            stripe_id=row.stripe_invoice_id,
            create_started=row.create_started_at is not None,
            unit=PlanUnit(plan.unit),
            days=plan.days_until_due,
            country=org.country,
            time_zone=org.time_zone,
            vat_rate_bp=row.vat_rate_bp,
            language="nb" if org.country == "NO" else "en",
        )
        await session.commit()
    customer = await _customer(db, gw, facts.org_id)
    quarter = facts.quarter
    stripe_id = facts.stripe_id
    current: InvoiceSnapshot | None = None
    if stripe_id is None and facts.create_started:
        # The draft may exist with its id never stored; the idempotency key may be forgotten by now.
        current = await gw.find_invoice(customer, ROW_KEY, str(row_id))
        if current is not None:
            stripe_id = current.id
            await _store(db, row_id, stripe_invoice_id=stripe_id)
    elif stripe_id is not None:
        current = await gw.retrieve_invoice(stripe_id)
    if current is not None and current.status != "draft":
        # Taken up again after a crash: the invoice was finalized already.
        await _store(db, row_id, **snapshot_values(current), finalized_at=current.finalized_at or utcnow())
        return
    if stripe_id is None:
        await _store(db, row_id, create_started_at=utcnow())
        draft = await gw.create_platform_invoice(
            customer=customer,
            currency=facts.currency,
            collection_method=facts.collection.value,
            days_until_due=facts.days,
            description=f"Ladeportal {quarter}",
            metadata={ROW_KEY: str(row_id), "quarter": str(quarter)},
            idempotency_key=f"subinv:{row_id}:create",
        )
        stripe_id = draft.id
        await _store(db, row_id, stripe_invoice_id=stripe_id)
    on_it = await gw.invoice_line_keys(stripe_id, LINE_KEY)
    tax_rate = await gw.ensure_vat_rate(facts.vat_rate_bp, facts.country)
    period = (quarter.starts_at(facts.time_zone), quarter.ends_at(facts.time_zone))
    for line in facts.lines:
        if line["key"] in on_it:
            continue
        await gw.create_invoice_item(
            customer=customer,
            invoice=stripe_id,
            amount=line["net_minor"],
            currency=facts.currency,
            description=line_text(line, facts.unit, facts.currency, facts.language),
            period=period if line["kind"] != "prorate" else None,
            tax_rates=[tax_rate],
            metadata={LINE_KEY: line["key"]},
            idempotency_key=f"subinv:{row_id}:line:{line['key']}",
        )
    final = await gw.finalize_invoice(stripe_id, idempotency_key=f"subinv:{row_id}:finalize")
    if facts.collection == Collection.send_invoice and final.status == "open":
        try:
            await gw.send_invoice(stripe_id, idempotency_key=f"subinv:{row_id}:send")
        except ValidationFailed as exc:  # e.g. no e-mail address: the invoice stays in the portal
            log.info("subscription invoice %s not sent by Stripe: %s", stripe_id, exc.message)
    await _store(
        db, row_id, **snapshot_values(final), finalized_at=final.finalized_at or utcnow(), synced_at=utcnow(),
        error=None, failed_at=None,
    )  # fmt: skip


async def _make_one(db: Database, gw: StripeGateway, row_id: uuid.UUID, limit: asyncio.Semaphore) -> None:
    async with limit:
        try:
            await make_invoice(db, gw, row_id)
        except PaymentsUnavailable:
            raise
        except ValidationFailed as exc:
            log.warning("subscription invoice %s refused: %s", row_id, exc.message)
            await _store(db, row_id, error=exc.message[:500], failed_at=utcnow())


async def _next_to_make(db: Database, run_id: uuid.UUID) -> list[uuid.UUID]:
    async with db.session() as session:
        ids = list(
            await session.scalars(
                select(SubscriptionInvoice.id)
                .where(
                    SubscriptionInvoice.run_id == run_id,
                    SubscriptionInvoice.finalized_at.is_(None),
                    SubscriptionInvoice.failed_at.is_(None),
                )
                .order_by(SubscriptionInvoice.id)
                .limit(MAKE_BATCH)
            )
        )
        await session.commit()
    return ids


async def work_on_run(db: Database, gw: StripeGateway, run_id: uuid.UUID, budget: float = RUN_BUDGET_SECONDS) -> bool:
    """Count and make the run's invoices for about `budget` seconds; True when nothing is left."""
    deadline = time.monotonic() + budget
    async with db.session() as session:
        run = await session.get(SubscriptionRun, run_id)
        if run is None:
            return True
        while await runs.count_next_batch(session, run):
            if time.monotonic() > deadline:
                return False
    # Invoices are made a few at a time: each waits on Stripe for most of its time, and several in
    # flight stay well inside Stripe's rate limit (about 7 requests an invoice).
    limit = asyncio.Semaphore(CONCURRENCY)
    while time.monotonic() <= deadline:
        batch = await _next_to_make(db, run_id)
        if not batch:
            async with db.session() as session, unit_of_work(session):
                await session.execute(
                    update(SubscriptionRun).where(SubscriptionRun.id == run_id).values(finished_at=utcnow())
                )
            return True
        results = await asyncio.gather(*(_make_one(db, gw, row_id, limit) for row_id in batch), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result  # Stripe is unavailable (or a bug): the task stops, a continuation follows
    return False


@task_handler(runs.RUN_TASK)
async def run_task(db: Database, payload: dict[str, Any], ctx: TaskContext) -> None:
    run_id = uuid.UUID(payload["run_id"])
    try:
        finished = await work_on_run(db, gateway(), run_id)
    except PaymentsUnavailable:
        finished = False
        later: datetime | None = utcnow() + RETRY_UNAVAILABLE
    else:
        later = None
    if not finished:
        async with db.session() as session, unit_of_work(session):
            await runs.enqueue_run(session, run_id, run_after=later)
