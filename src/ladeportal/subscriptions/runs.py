"""A quarter's run: staff start it (or the quarterly job does), and the `subscriptions.quarter_run` task
first COUNTS each organisation onto an invoice row (a batch of organisations per transaction, unique on
(organisation, quarter), so a re-run or a second worker adds nothing twice), then makes each counted
invoice at Stripe (`execution`). Progress is read from the rows: counted, made, refused by Stripe."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import NotFound
from ladeportal.jobs.outbox import enqueue
from ladeportal.orgs.models import Organization
from ladeportal.platform.audit import Actor, record
from ladeportal.subscriptions.counting import added_last_quarter, unit_counts
from ladeportal.subscriptions.models import (
    Collection,
    OrgSubscription,
    PlanUnit,
    Proration,
    SubInvoiceState,
    SubscriptionInvoice,
    SubscriptionPlan,
    SubscriptionRun,
)
from ladeportal.subscriptions.pricing import quarter_quote, tiers_of
from ladeportal.subscriptions.quarters import Quarter

RUN_TASK = "subscriptions.quarter_run"
COUNT_BATCH = 500


def eligible_orgs() -> Select[uuid.UUID, uuid.UUID]:
    """Organisations to invoice and their plan ids: not archived, on a plan."""
    default = aliased(SubscriptionPlan)
    plan_id = func.coalesce(OrgSubscription.plan_id, default.id).label("plan_id")
    query = (
        select(Organization.id, plan_id)
        .select_from(Organization)
        .outerjoin(OrgSubscription, OrgSubscription.organization_id == Organization.id)
        .outerjoin(
            default,
            and_(
                OrgSubscription.plan_id.is_(None),
                default.is_default.is_(True),
                default.currency == Organization.currency,
            ),
        )
        .where(Organization.archived_at.is_(None), or_(OrgSubscription.plan_id.is_not(None), default.id.is_not(None)))
    )
    return query


async def start_run(session: AsyncSession, actor: Actor, quarter: Quarter) -> SubscriptionRun:
    """Start the quarter's run, or take an existing one up again (it adds only what is missing)."""
    async with unit_of_work(session):
        run = await session.scalar(select(SubscriptionRun).where(SubscriptionRun.quarter == str(quarter)))
        total = await session.scalar(select(func.count()).select_from(eligible_orgs().subquery())) or 0
        if run is None:
            run = SubscriptionRun(quarter=str(quarter), started_by=actor.label[:120], org_total=total)
            session.add(run)
            await session.flush()
            record(session, actor, "subscription_run.start", "subscription_run", run.id, new={"quarter": str(quarter)})
        else:
            # Organisations added since the start are counted too when the run is taken up again.
            counted = await _counted(session, run.id)
            run.org_total = max(total, counted)
            run.finished_at = None
            record(session, actor, "subscription_run.resume", "subscription_run", run.id)
        await enqueue_run(session, run.id)
    return run


async def enqueue_run(session: AsyncSession, run_id: uuid.UUID, run_after: datetime | None = None) -> None:
    await enqueue(
        session,
        RUN_TASK,
        {"run_id": str(run_id)},
        dedupe_key=f"subrun:{run_id}:{uuid.uuid4().hex}",
        run_after=run_after,
    )


async def retry_failed(session: AsyncSession, actor: Actor, run_id: uuid.UUID) -> int:
    """Clear the failures of a run's invoices Stripe refused and take the run up again."""
    async with unit_of_work(session):
        run = await session.get(SubscriptionRun, run_id)
        if run is None:
            raise NotFound("No such run.", code="subscriptions.run_not_found")
        result = await session.execute(
            update(SubscriptionInvoice)
            .where(SubscriptionInvoice.run_id == run_id, SubscriptionInvoice.failed_at.is_not(None))
            .values(failed_at=None, error=None)
        )
        run.finished_at = None
        record(session, actor, "subscription_run.retry", "subscription_run", run.id)
        await enqueue_run(session, run.id)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _counted(session: AsyncSession, run_id: uuid.UUID) -> int:
    return int(await session.scalar(select(func.count()).where(SubscriptionInvoice.run_id == run_id)) or 0)


async def count_next_batch(session: AsyncSession, run: SubscriptionRun, limit: int = COUNT_BATCH) -> int:
    """Count up to `limit` organisations of the run that have no invoice row for the quarter yet, in one
    transaction; returns how many rows were added (0: all are counted)."""
    quarter = Quarter.parse(run.quarter)
    taken = select(SubscriptionInvoice.organization_id).where(SubscriptionInvoice.quarter == run.quarter)
    base = eligible_orgs().where(Organization.id.not_in(taken)).order_by(Organization.id).limit(limit)
    async with unit_of_work(session):
        picked = (await session.execute(base)).all()
        if not picked:
            return 0
        org_ids = [org_id for org_id, _ in picked]
        orgs = {o.id: o for o in await session.scalars(select(Organization).where(Organization.id.in_(org_ids)))}
        plans = {
            p.id: p
            for p in await session.scalars(
                select(SubscriptionPlan).where(SubscriptionPlan.id.in_({plan for _, plan in picked}))
            )
        }
        collections = dict(
            (
                await session.execute(
                    select(OrgSubscription.organization_id, OrgSubscription.collection).where(
                        OrgSubscription.organization_id.in_(org_ids)
                    )
                )
            ).all()
        )
        counts = await unit_counts(session, org_ids)
        prorating = [
            (org_id, orgs[org_id].time_zone, plans[plan_id].unit)
            for org_id, plan_id in picked
            if plans[plan_id].proration == Proration.prorate
        ]
        added = await added_last_quarter(session, quarter, prorating)
        now = utcnow()
        rows = []
        for org_id, plan_id in picked:
            org, plan = orgs[org_id], plans[plan_id]
            quantity = counts[PlanUnit(plan.unit)].get(org_id, 0)
            quote = quarter_quote(
                tiers_of(plan.tiers),
                quantity,
                minimum_quarter_minor=plan.minimum_quarter_minor,
                currency=plan.currency,
                vat_rate_bp=org.vat_rate_bp,
                added=added.get(org_id, ()),
            )
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "organization_id": org_id,
                    "run_id": run.id,
                    "quarter": run.quarter,
                    "plan_id": plan_id,
                    "collection": collections.get(org_id, Collection.send_invoice),
                    "counted_at": now,
                    "quantity": quantity,
                    "lines": [line.as_dict() for line in quote.lines],
                    "currency": plan.currency,
                    "vat_rate_bp": org.vat_rate_bp,
                    "net_minor": quote.net_minor,
                    "vat_minor": quote.vat_minor,
                    "total_minor": quote.total_minor,
                    "state": SubInvoiceState.pending,
                    "amount_paid_minor": 0,
                }
            )
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        result = await session.execute(
            insert(SubscriptionInvoice)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["organization_id", "quarter"])
        )
    return max(int(result.rowcount or 0), 0) or len(rows)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Progress:
    run: SubscriptionRun
    total: int
    counted: int
    made: int
    failed: int
    paid: int

    @property
    def done(self) -> bool:
        return self.run.finished_at is not None


async def progress(session: AsyncSession, run: SubscriptionRun) -> Progress:
    made = func.count(SubscriptionInvoice.finalized_at)
    failed = func.count(SubscriptionInvoice.failed_at)
    paid = func.count().filter(SubscriptionInvoice.state == SubInvoiceState.paid)
    counted, made_n, failed_n, paid_n = (
        await session.execute(select(func.count(), made, failed, paid).where(SubscriptionInvoice.run_id == run.id))
    ).one()
    return Progress(run, max(run.org_total, counted), counted, made_n, failed_n, paid_n)


async def list_runs(session: AsyncSession) -> list[SubscriptionRun]:
    return list(await session.scalars(select(SubscriptionRun).order_by(SubscriptionRun.quarter.desc()).limit(12)))


async def failures(session: AsyncSession, run_id: uuid.UUID, limit: int = 100) -> list[tuple[str, str, str]]:
    """(organisation name, org number, Stripe's reason) of the run's refused invoices."""
    rows = await session.execute(
        select(Organization.legal_name, Organization.org_number, SubscriptionInvoice.error)
        .join(Organization, Organization.id == SubscriptionInvoice.organization_id)
        .where(SubscriptionInvoice.run_id == run_id, SubscriptionInvoice.failed_at.is_not(None))
        .order_by(Organization.legal_name)
        .limit(limit)
    )
    return [(name, number, error or "") for name, number, error in rows.all()]
