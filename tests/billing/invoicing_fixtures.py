"""Test data for invoicing, shared by the invoicing helpers' tests (names kept stable).

An organisation (optionally with a Stripe account the stand-in has made ready for charges), a site
with a charger, a price plan assigned to the default group, members, a finance user, and finished
sessions priced by the product's own pricing hook (`price_finished_session`), so their stored
`cost_snapshot` / `cost_total_minor` and `SessionPricing` row are exactly what the gateway leaves.

    seeded = await seed_invoicing(session)                          # a month as the run and webhooks leave it
    world = await invoicing_org(db, session, standin)              # ready for charges
    members = await members_with_sessions(session, world, month=date(2026, 10, 1))
    finance = await finance_user(session, world.org)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import (
    BillableItem,
    Credit,
    CreditKind,
    CreditState,
    Invoice,
    InvoicedItem,
    InvoiceReminder,
    InvoiceRun,
    InvoiceState,
    ItemKind,
    Payout,
    PayoutInvoice,
    RunState,
)
from ladeportal.billing.onboarding import onboarding_link, sync_account
from ladeportal.db.engine import Database
from ladeportal.members.groups import create_group, default_group
from ladeportal.members.models import Membership, Role
from ladeportal.orgs.models import Organization, Site
from ladeportal.platform.audit import Actor
from ladeportal.pricing import services as plan_services
from ladeportal.pricing.assignments import assign_group_plan
from ladeportal.pricing.models import PricePlan
from ladeportal.sessions.models import ChargingSession, SessionState
from ladeportal.sessions.pricing_hook import price_finished_session
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.conftest import REFRESH_URL, RETURN_URL, stored_account
from tests.factories import ACTOR, make_charger, make_member, make_org, make_site, mobile_number

PLAN_FROM = datetime(2020, 1, 1, tzinfo=UTC)


def _detach(session: AsyncSession, *rows: object) -> None:
    """Returned rows are detached with their values loaded: a rollback in the test (a refused
    operation) then cannot expire them, so `world.org.id` stays readable without I/O."""
    for row in rows:
        if row in session:
            session.expunge(row)


@dataclass
class InvoicingOrg:
    org: Organization
    admin: Membership
    site: Site
    charge_point_id: uuid.UUID
    plan: PricePlan
    group_id: uuid.UUID
    account_id: str | None  # the owner's Stripe account (None: no account, payments not ready)

    @property
    def actor(self) -> Actor:
        """The organisation's administrator, as the portal passes them to a domain operation."""
        return Actor(label="admin", user_id=self.admin.user_id)


def plan_definition(
    *, price_per_kwh: str = "2.50", monthly_fee: str = "0", monthly_fee_basis: str | None = None
) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "energy": {"type": "fixed", "price_per_kwh": price_per_kwh},
        "monthly_fee_per_member": monthly_fee,
    }
    if monthly_fee_basis is not None:
        definition["monthly_fee_basis"] = monthly_fee_basis
    return definition


async def ready_stripe_account(
    db: Database, session: AsyncSession, standin: StandinServer, org_id: uuid.UUID, admin: Membership
) -> str:
    """Onboard the organisation at the stand-in and complete it: the account can take charges."""
    await onboarding_link(db, org_id, actor_user_id=admin.user_id, return_url=RETURN_URL, refresh_url=REFRESH_URL)
    row = await stored_account(session, org_id)
    assert row is not None and row.account_id is not None
    standin.complete_onboarding(row.account_id)
    await sync_account(db, org_id)
    return row.account_id


async def invoicing_org(
    db: Database,
    session: AsyncSession,
    standin: StandinServer | None = None,
    *,
    price_per_kwh: str = "2.50",
    monthly_fee: str = "0",
    monthly_fee_basis: str | None = None,
    site_time_zone: str | None = None,
) -> InvoicingOrg:
    """An organisation with a site, a charger and a plan for its default group; with `standin`, also a
    Stripe account that is ready for charges."""
    org = await make_org(session)
    admin = await make_member(session, org, mobile_number(), role=Role.org_admin, name="Styreleder")
    site = await make_site(session, org, **({"time_zone": site_time_zone} if site_time_zone else {}))
    cp = (await make_charger(session, site)).charge_point
    plan = await plan_services.create_plan(
        session,
        ACTOR,
        org.id,
        f"Beboerpris {uuid.uuid4().hex[:4]}",
        plan_definition(price_per_kwh=price_per_kwh, monthly_fee=monthly_fee, monthly_fee_basis=monthly_fee_basis),
        effective_from=PLAN_FROM,
    )
    group = await default_group(session, org.id)
    await assign_group_plan(session, ACTOR, org.id, group.id, plan.id)
    account_id = None
    if standin is not None:
        account_id = await ready_stripe_account(db, session, standin, org.id, admin)
    await session.commit()
    _detach(session, org, admin, site, plan)
    return InvoicingOrg(org, admin, site, cp.id, plan, group.id, account_id)


async def finance_user(session: AsyncSession, org: Organization) -> Membership:
    """A member with the finance role (sees and approves invoicing)."""
    made = await make_member(session, org, mobile_number(), role=Role.finance, name="Kasserer")
    _detach(session, made)
    return made


async def add_members(
    session: AsyncSession, org: Organization, count: int, *, prefix: str = "Beboer"
) -> list[Membership]:
    made = [await make_member(session, org, mobile_number(), name=f"{prefix} {n}") for n in range(1, count + 1)]
    _detach(session, *made)
    return made


async def finished_session(
    session: AsyncSession,
    world: InvoicingOrg,
    membership: Membership,
    *,
    stopped_at: datetime,
    energy_wh: int = 10_000,
    minutes: int = 60,
    anomalies: list[str] | None = None,
    site: Site | None = None,
    charge_point_id: uuid.UUID | None = None,
) -> ChargingSession:
    """A finished session of `membership`, priced by the product's pricing hook and committed."""
    site = site or world.site
    started = stopped_at - timedelta(minutes=minutes)
    meter_start = 1_000_000 + int(started.timestamp()) % 1_000_000
    row = ChargingSession(
        organization_id=world.org.id,
        site_id=site.id,
        charge_point_id=charge_point_id or world.charge_point_id,
        connector_number=1,
        id_tag=membership.id.hex[:20].upper(),
        membership_id=membership.id,
        group_id=membership.group_id or world.group_id,
        auth_status="Accepted",
        state=SessionState.stopped,
        started_at=started,
        stopped_at=stopped_at,
        stop_reason="Local",
        meter_start_wh=meter_start,
        meter_stop_wh=meter_start + energy_wh,
        meter_last_wh=meter_start + energy_wh,
        segment_start_wh=meter_start,
        energy_carried_wh=0,
        energy_wh=energy_wh,
        anomalies=list(anomalies or []),
    )
    session.add(row)
    await session.flush()
    await price_finished_session(session, row)
    await session.commit()
    _detach(session, row)
    return row


async def members_with_sessions(
    session: AsyncSession,
    world: InvoicingOrg,
    *,
    month: date,
    members: int = 3,
    sessions_each: int = 2,
    energy_wh: int = 10_000,
) -> list[Membership]:
    """`members` new members, each with `sessions_each` finished priced sessions ending in `month`
    (mid-day UTC on days 2, 3, ... so they are in that month in any European time zone)."""
    made = await add_members(session, world.org, members)
    for membership in made:
        for n in range(sessions_each):
            stopped = datetime(month.year, month.month, 2 + n % 25, 12, n // 25, tzinfo=UTC)
            await finished_session(session, world, membership, stopped_at=stopped, energy_wh=energy_wh)
    return made


async def sessions_of(session: AsyncSession, membership_id: uuid.UUID) -> list[ChargingSession]:
    rows = list(
        await session.scalars(
            select(ChargingSession).where(ChargingSession.membership_id == membership_id).order_by(ChargingSession.id)
        )
    )
    await session.commit()
    return rows


def actor_of(membership: Membership, label: str = "user") -> Actor:
    return Actor(label=label, user_id=membership.user_id)


# -- a month of invoicing written straight into the tables (export, portal and API tests) ----------

MONTH = date(2026, 10, 1)
SENT = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


@dataclass
class Seeded:
    org: Organization
    run: InvoiceRun
    kari: Membership
    ola: Membership
    paid: Invoice
    open: Invoice
    pending: Invoice
    void: Invoice
    credit: Credit
    refund: Credit


def _vat(gross: int) -> int:
    # VAT inside a VAT-inclusive price of 25 %: gross * 25 / 125, half up.
    return int((Decimal(gross) / 5).quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def _invoice(
    session: AsyncSession,
    org: Organization,
    run: InvoiceRun | None,
    member: Membership,
    state: InvoiceState,
    grosses: list[int],
    *,
    number: str | None,
    finalized_at: datetime | None = SENT,
    paid: bool = False,
    period: date = MONTH,
) -> Invoice:
    invoice = Invoice(
        organization_id=org.id,
        run_id=run.id if run else None,
        membership_id=member.id,
        period_month=period,
        state=state,
        currency="NOK",
        number=number,
        stripe_invoice_id=f"in_{uuid.uuid4().hex[:20]}" if number else None,
        hosted_url="http://standin.test/i/x" if number else None,
        pdf_url="http://standin.test/i/x.pdf" if number else None,
        finalized_at=finalized_at,
        due_date=(finalized_at + timedelta(days=14)).date() if finalized_at else None,
    )
    session.add(invoice)
    await session.flush()
    for line_no, gross in enumerate(grosses):
        vat = _vat(gross)
        item = BillableItem(
            organization_id=org.id,
            membership_id=member.id,
            kind=ItemKind.session,
            source_key=f"test:{uuid.uuid4()}",
            period_month=period,
            occurred_at=datetime(2026, 10, 10 + line_no, 18, 0, tzinfo=UTC),
            description=f"Lading {line_no + 1}",
            energy_wh=10_000 + line_no,
            currency="NOK",
            vat_rate_bp=2500,
            net_minor=gross - vat,
            vat_minor=vat,
            gross_minor=gross,
            created_by="test",
        )
        session.add(item)
        await session.flush()
        session.add(InvoicedItem(item_id=item.id, invoice_id=invoice.id, line_no=line_no))
        invoice.net_minor += gross - vat
        invoice.vat_minor += vat
        invoice.total_minor += gross
        invoice.energy_wh += item.energy_wh
    invoice.application_fee_minor = invoice.total_minor // 100
    if paid:
        invoice.amount_paid_minor = invoice.total_minor
        invoice.paid_at = SENT + timedelta(days=2)
    await session.flush()
    return invoice


async def seed_invoicing(session: AsyncSession, org: Organization | None = None) -> Seeded:
    """Two members with invoices for October 2026 sent on 5 November: one paid (and partly refunded),
    one open (with a credit note), one still pending and one void; an unbilled item for Kari; a payout
    that carried the paid invoice."""
    org = org or await make_org(session, legal_name="Regnskap Borettslag")
    garage = await create_group(session, ACTOR, org.id, "Garasje B")
    kari = await make_member(session, org, name="Kari Hansen", group_id=garage.id)
    ola = await make_member(session, org, name="Ola Åsen")
    run = InvoiceRun(
        organization_id=org.id,
        period_month=MONTH,
        state=RunState.done,
        cutoff_at=datetime(2026, 11, 1, tzinfo=UTC),
        currency="NOK",
        members_total=4,
        invoices_done=4,
        total_minor=0,
    )
    session.add(run)
    await session.flush()
    paid = await _invoice(session, org, run, kari, InvoiceState.paid, [12_345, 6_789], number="INV-0001", paid=True)
    opened = await _invoice(session, org, run, ola, InvoiceState.open, [20_001], number="INV-0002")
    other = await make_member(session, org, name="Per Venter")
    pending = await _invoice(session, org, run, other, InvoiceState.pending, [5_000], number=None, finalized_at=None)
    voided = await make_member(session, org, name="Vera Void")
    void = await _invoice(session, org, run, voided, InvoiceState.void, [7_000], number="INV-0003")
    void.voided_at = SENT + timedelta(days=1)  # in the month it was sent: never owed
    run.total_minor = paid.total_minor + opened.total_minor + pending.total_minor + void.total_minor
    credit = Credit(
        organization_id=org.id,
        invoice_id=opened.id,
        kind=CreditKind.credit_note,
        amount_minor=5_001,
        reason="Feil måling",
        state=CreditState.done,
        stripe_id=f"cn_{uuid.uuid4().hex[:20]}",
        created_at=datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
    )
    refund = Credit(
        organization_id=org.id,
        invoice_id=paid.id,
        kind=CreditKind.refund,
        amount_minor=1_000,
        reason="Dobbel start",
        state=CreditState.done,
        stripe_id=f"re_{uuid.uuid4().hex[:20]}",
        created_at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
    )
    failed = Credit(
        organization_id=org.id,
        invoice_id=paid.id,
        kind=CreditKind.refund,
        amount_minor=999,
        reason="Avvist",
        state=CreditState.failed,
        created_at=datetime(2026, 11, 26, 12, 0, tzinfo=UTC),
    )
    session.add_all([credit, refund, failed])
    session.add(InvoiceReminder(invoice_id=opened.id, reminder="due+3", sent_at=datetime(2026, 11, 22, 8, tzinfo=UTC)))
    opened.amount_credited_minor = credit.amount_minor
    paid.amount_credited_minor = refund.amount_minor
    session.add(
        BillableItem(
            organization_id=org.id,
            membership_id=kari.id,
            kind=ItemKind.manual,
            source_key=f"manual:{uuid.uuid4()}",
            period_month=date(2026, 11, 1),
            occurred_at=datetime(2026, 11, 3, tzinfo=UTC),
            description="Nøkkelbrikke",
            currency="NOK",
            vat_rate_bp=2500,
            net_minor=8_000,
            vat_minor=2_000,
            gross_minor=10_000,
            created_by="test",
        )
    )
    payout = Payout(
        id=f"po_{uuid.uuid4().hex[:20]}",
        organization_id=org.id,
        amount_minor=paid.total_minor - paid.application_fee_minor,
        currency="NOK",
        status="paid",
        arrival_date=date(2026, 11, 10),
        stripe_created_at=datetime(2026, 11, 8, tzinfo=UTC),
        details={},
    )
    session.add(payout)
    await session.flush()
    session.add(
        PayoutInvoice(payout_id=payout.id, invoice_id=paid.id, organization_id=org.id, amount_minor=payout.amount_minor)
    )
    await session.commit()
    return Seeded(org, run, kari, ola, paid, opened, pending, void, credit, refund)
