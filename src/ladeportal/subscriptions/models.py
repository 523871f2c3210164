"""Subscription plans, each organisation's plan and collection method, the quarter runs and one invoice row
per (organisation, quarter): the row exists before its invoice does at Stripe, and its id keys every call."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, TimestampMixin, utcnow


class PlanUnit(enum.StrEnum):
    charger = "charger"
    connector = "connector"


class Proration(enum.StrEnum):
    # A charger added during a quarter pays its share of that quarter on the next invoice...
    prorate = "prorate"
    # ...or first counts on the next quarter's invoice.
    next_quarter = "next_quarter"


class Collection(enum.StrEnum):
    send_invoice = "send_invoice"
    charge_automatically = "charge_automatically"


class SubInvoiceState(enum.StrEnum):
    pending = "pending"  # counted; not (fully) made at Stripe yet
    open = "open"
    paid = "paid"
    void = "void"
    uncollectible = "uncollectible"


class SubscriptionPlan(TimestampMixin, Base):
    __tablename__ = "subscription_plans"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    unit: Mapped[PlanUnit] = mapped_column(Enum(PlanUnit, native_enum=False, length=16))
    currency: Mapped[str] = mapped_column(String(3))
    # Graduated tiers, each [{"up_to": int | None, "unit_price_minor": int}] per unit and month, ascending;
    # the last has up_to None. A plan with one price has one tier.
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    minimum_quarter_minor: Mapped[int] = mapped_column(default=0)
    proration: Mapped[Proration] = mapped_column(Enum(Proration, native_enum=False, length=16))
    days_until_due: Mapped[int] = mapped_column(default=14)
    is_default: Mapped[bool] = mapped_column(default=False)


class OrgSubscription(TimestampMixin, Base):
    """An organisation's plan chosen by staff (without a row: the default plan), how it pays, and its
    customer at the platform's own Stripe account (the row id keys the customer's creation)."""

    __tablename__ = "org_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), unique=True)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subscription_plans.id"), index=True)
    collection: Mapped[Collection] = mapped_column(
        Enum(Collection, native_enum=False, length=24), default=Collection.send_invoice
    )
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64))


class SubscriptionRun(Base):
    __tablename__ = "subscription_runs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    quarter: Mapped[str] = mapped_column(String(7), unique=True)  # "2027-Q1"
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by: Mapped[str] = mapped_column(String(120))
    # Organisations to invoice, fixed when the run starts (the progress is made of x of this).
    org_total: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None] = mapped_column()


class SubscriptionInvoice(Base):
    __tablename__ = "subscription_invoices"
    __table_args__ = (
        UniqueConstraint("organization_id", "quarter"),
        Index("ix_subscription_invoices_run_state", "run_id", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscription_runs.id"))
    quarter: Mapped[str] = mapped_column(String(7))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscription_plans.id"))
    collection: Mapped[Collection] = mapped_column(Enum(Collection, native_enum=False, length=24))
    counted_at: Mapped[datetime] = mapped_column()
    quantity: Mapped[int] = mapped_column()
    # The lines as priced when counted: [{"key", "description", "net_minor", "vat_minor"}]; the invoice at
    # Stripe is made of exactly these.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3))
    vat_rate_bp: Mapped[int] = mapped_column()
    net_minor: Mapped[int] = mapped_column()
    vat_minor: Mapped[int] = mapped_column()
    total_minor: Mapped[int] = mapped_column()
    state: Mapped[SubInvoiceState] = mapped_column(
        Enum(SubInvoiceState, native_enum=False, length=16), default=SubInvoiceState.pending
    )
    create_started_at: Mapped[datetime | None] = mapped_column()
    stripe_invoice_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    number: Mapped[str | None] = mapped_column(String(64))
    hosted_url: Mapped[str | None] = mapped_column(String(1000))
    pdf_url: Mapped[str | None] = mapped_column(String(1000))
    due_at: Mapped[datetime | None] = mapped_column()
    finalized_at: Mapped[datetime | None] = mapped_column()
    amount_paid_minor: Mapped[int] = mapped_column(default=0)
    paid_at: Mapped[datetime | None] = mapped_column()
    last_payment_error: Mapped[str | None] = mapped_column(String(80))
    payment_failed_at: Mapped[datetime | None] = mapped_column()
    synced_at: Mapped[datetime | None] = mapped_column()
    # Why Stripe refused this invoice the last time (shown to staff with a retry); cleared on success.
    error: Mapped[str | None] = mapped_column(String(500))
    failed_at: Mapped[datetime | None] = mapped_column()
