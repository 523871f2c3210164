"""Invoicing members: settings, billable items, invoice runs, invoices, credits, reminders and payouts.

The money trail is append-only: a billable item is written once and never changed; an item is put on
an invoice by a row in `invoiced_items`, whose primary key is the item's id, so the database itself
refuses an item on two invoices. Corrections are credit notes or refunds, never edits.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, TimestampMixin, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")


class LineMode(enum.StrEnum):
    """How an invoice shows charging: one line per session, or one per site and month with the
    session list attached (the invoice's PDF lists the lines; the portal's statement lists the sessions)."""

    per_session = "per_session"
    per_site_month = "per_site_month"


class ItemKind(enum.StrEnum):
    session = "session"  # a finished session's stored price (never recomputed)
    plan_fee = "plan_fee"  # a price plan's monthly fee for one member and month
    manual = "manual"  # an item an admin added (key card fee) or a credit (negative)


class RunState(enum.StrEnum):
    awaiting_approval = "awaiting_approval"  # previewed; an admin approves it (first runs always)
    running = "running"  # approved (or automatic): invoices are being made
    done = "done"  # every member with billable items has an invoice (or carried over)


class InvoiceState(enum.StrEnum):
    pending = "pending"  # row and items claimed here; Stripe not finished yet
    open = "open"  # finalized and sent; money due
    paid = "paid"
    void = "void"
    uncollectible = "uncollectible"


class CreditKind(enum.StrEnum):
    credit_note = "credit_note"  # reduces what is owed on an open invoice (or credits a paid one)
    refund = "refund"  # money back to the card of a paid invoice


class CreditState(enum.StrEnum):
    pending = "pending"
    done = "done"
    failed = "failed"


class BillingSettings(Base):
    """An organisation's invoicing choices. No row means the defaults below."""

    __tablename__ = "billing_settings"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    # The run for a month is made on this day of the next month (1-28, so every month has it).
    invoice_day: Mapped[int] = mapped_column(default=1)
    days_until_due: Mapped[int] = mapped_column(default=14)
    invoice_text: Mapped[str | None] = mapped_column(String(500))
    footer: Mapped[str | None] = mapped_column(String(500))
    line_mode: Mapped[LineMode] = mapped_column(
        Enum(LineMode, native_enum=False, length=16), default=LineMode.per_site_month
    )
    # A member's balance below this (gross, minor units) carries over to the next run.
    minimum_amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # Platform fee in basis points of each invoice's total; NULL: the platform's default setting.
    # Set by platform staff only.
    platform_fee_bp: Mapped[int | None] = mapped_column()
    # After the first approved run an admin may let later runs go without approval.
    auto_approve: Mapped[bool] = mapped_column(default=False)
    # Days after the due date on which a reminder goes out, e.g. [3, 10].
    reminder_days: Mapped[list[int]] = mapped_column(JSON, default=lambda: [3, 10])
    # Charging is refused for a member with an invoice overdue by more than this many days; NULL: never.
    block_after_days: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class BillableItem(Base):
    """One thing a member is billed for, written once. `source_key` makes writing it idempotent:
    "session:<id>", "fee:<plan id>:<membership id>:<YYYY-MM>", "manual:<uuid>"."""

    __tablename__ = "billable_items"
    __table_args__ = (Index("ix_billable_items_org_member", "organization_id", "membership_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    membership_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("memberships.id"))
    kind: Mapped[ItemKind] = mapped_column(Enum(ItemKind, native_enum=False, length=16))
    source_key: Mapped[str] = mapped_column(String(120), unique=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("charging_sessions.id"), unique=True)
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id"))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("price_plans.id"))
    # The month (first day, in the organisation's time zone) the item belongs to: a session's is the
    # month it ended in; a late session still goes on the next invoice made after it arrived.
    period_month: Mapped[date] = mapped_column()
    occurred_at: Mapped[datetime] = mapped_column()  # UTC: session end, fee month start, manual entry
    description: Mapped[str] = mapped_column(String(200))
    energy_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    vat_rate_bp: Mapped[int] = mapped_column()
    # net + vat == gross; negative for a credit.
    net_minor: Mapped[int] = mapped_column(BigInteger)
    vat_minor: Mapped[int] = mapped_column(BigInteger)
    gross_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))


class InvoiceRun(Base):
    """One organisation's run for one month: previewed, approved, then worked through member by
    member. The unique (organisation, month) makes a second run of the same month impossible."""

    __tablename__ = "invoice_runs"
    __table_args__ = (UniqueConstraint("organization_id", "period_month"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    period_month: Mapped[date] = mapped_column()
    state: Mapped[RunState] = mapped_column(
        Enum(RunState, native_enum=False, length=24), default=RunState.awaiting_approval
    )
    # Items written up to this instant (UTC) are on this run; later ones wait for the next.
    cutoff_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column()
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    automatic: Mapped[bool] = mapped_column(default=False)
    # Progress, for the page: members with items at approval, invoices finished, members carried over.
    members_total: Mapped[int] = mapped_column(default=0)
    invoices_done: Mapped[int] = mapped_column(default=0)
    carried_over: Mapped[int] = mapped_column(default=0)
    total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    last_error_code: Mapped[str | None] = mapped_column(String(80))


class BillingCustomer(Base):
    """A member as a customer of the platform's Stripe account (invoices are made by the platform on
    behalf of the owner). The row is made before the customer, its id is the idempotency key."""

    __tablename__ = "billing_customers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    membership_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("memberships.id"), unique=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # A digest of the name, e-mail and language last sent to Stripe: the customer is updated when the
    # membership's differ.
    details_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invoice(Base):
    """A member's invoice as we made it and as Stripe last described it."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("run_id", "membership_id"),
        Index("ix_invoices_org_state", "organization_id", "state"),
        # The invoice list: one organisation's invoices, newest month first (and a month's, filtered).
        Index("ix_invoices_org_period", "organization_id", "period_month"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoice_runs.id"))
    membership_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("memberships.id"), index=True)
    period_month: Mapped[date] = mapped_column()
    state: Mapped[InvoiceState] = mapped_column(
        Enum(InvoiceState, native_enum=False, length=16), default=InvoiceState.pending
    )
    currency: Mapped[str] = mapped_column(String(3))
    net_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    vat_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    energy_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    application_fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # Credit notes and refunds made so far (done ones).
    amount_credited_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64))
    stripe_invoice_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    number: Mapped[str | None] = mapped_column(String(40))
    hosted_url: Mapped[str | None] = mapped_column(String(500))
    pdf_url: Mapped[str | None] = mapped_column(String(500))
    due_date: Mapped[date | None] = mapped_column()
    finalized_at: Mapped[datetime | None] = mapped_column()
    paid_at: Mapped[datetime | None] = mapped_column()
    # When Stripe voided it: the accountant's export reverses it in that month.
    voided_at: Mapped[datetime | None] = mapped_column()
    # The payment intent of its payment: what a payout's balance transactions lead back to.
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payment_failed_at: Mapped[datetime | None] = mapped_column()
    last_payment_error: Mapped[str | None] = mapped_column(String(80))
    notified_at: Mapped[datetime | None] = mapped_column()
    # When Stripe's description was read (the start of that read): an older read never overwrites a newer.
    synced_at: Mapped[datetime | None] = mapped_column()
    last_error_code: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InvoicedItem(Base):
    """An item on an invoice. The primary key is the item: an item is on at most one invoice."""

    __tablename__ = "invoiced_items"

    item_id: Mapped[int] = mapped_column(ForeignKey("billable_items.id"), primary_key=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    # The invoice line (0-based) the item is shown on; in per-site-and-month mode several items share one.
    line_no: Mapped[int] = mapped_column()


class Credit(Base):
    """A credit note or refund on an invoice, with the finance user's reason."""

    __tablename__ = "invoice_credits"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    kind: Mapped[CreditKind] = mapped_column(Enum(CreditKind, native_enum=False, length=16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(500))
    state: Mapped[CreditState] = mapped_column(
        Enum(CreditState, native_enum=False, length=16), default=CreditState.pending
    )
    stripe_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    last_error_code: Mapped[str | None] = mapped_column(String(80))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvoiceReminder(Base):
    """That a reminder ("due+3", "blocked") about an invoice went out: each goes once."""

    __tablename__ = "invoice_reminders"

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True)
    reminder: Mapped[str] = mapped_column(String(40), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payout(TimestampMixin, Base):
    """A payout from an owner's Stripe balance to its bank, as Stripe reports it."""

    __tablename__ = "payouts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # Stripe's po_... id
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24))
    arrival_date: Mapped[date] = mapped_column()
    stripe_created_at: Mapped[datetime] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PayoutInvoice(Base):
    """An invoice whose money a payout carried to the owner's bank, from the payout's balance
    transactions at Stripe."""

    __tablename__ = "payout_invoices"

    payout_id: Mapped[str] = mapped_column(ForeignKey("payouts.id", ondelete="CASCADE"), primary_key=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    # What the payout carried for the invoice (the owner's share; negative for a reversed transfer).
    amount_minor: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_payout_invoices_invoice", "invoice_id"),)
