"""StripeAccount, StripeEvent, InvoicingSwitchDate and PaymentReminder tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, TimestampMixin, utcnow


class StripeAccount(TimestampMixin, Base):
    """An organisation's Stripe Connect Express account as Stripe last described it.

    The row is made before the account: its id is the idempotency key of the create call, so a crash
    between Stripe's answer and storing `account_id` makes no second account when the step is run
    again. `account_id` is NULL until Stripe has answered."""

    __tablename__ = "stripe_accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), unique=True)
    account_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Fixed when the row is made, so a repeated create call sends the same parameters.
    country: Mapped[str] = mapped_column(String(2))
    business_type: Mapped[str] = mapped_column(String(32))
    charges_enabled: Mapped[bool] = mapped_column(default=False)
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    currently_due: Mapped[list[Any]] = mapped_column(JSON, default=list)
    past_due: Mapped[list[Any]] = mapped_column(JSON, default=list)
    eventually_due: Mapped[list[Any]] = mapped_column(JSON, default=list)
    pending_verification: Mapped[list[Any]] = mapped_column(JSON, default=list)
    current_deadline: Mapped[datetime | None] = mapped_column()
    disabled_reason: Mapped[str | None] = mapped_column(String(80))
    # The PaymentsState of the stored description, kept with it so the operator overview can filter
    # and page in SQL; "not_started" until the account exists.
    state: Mapped[str] = mapped_column(String(24), default="not_started", index=True)
    # When the description was read from Stripe (the start of that read: an older read never
    # overwrites a newer one).
    synced_at: Mapped[datetime | None] = mapped_column()
    # Stripe's code of the last refused call (or payments.stripe_unavailable); cleared by a success.
    last_error_code: Mapped[str | None] = mapped_column(String(80))
    # Account links made so far: each link's idempotency key is acct:<id>:link:<n>.
    links_made: Mapped[int] = mapped_column(default=0, server_default="0")


class StripeEvent(Base):
    """A webhook event received from Stripe; the unique event id makes a repeated delivery a no-op."""

    __tablename__ = "stripe_events"
    __table_args__ = (Index("ix_stripe_events_account", "account"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    # The connected account the event is about (Connect events), or the account object's id.
    account: Mapped[str | None] = mapped_column(String(64))
    # The id of the object the event is about (in_..., po_..., cn_...), so its handler can re-read it.
    object_id: Mapped[str | None] = mapped_column(String(255))
    # Which signing secret verified it: "platform" or "connect".
    endpoint: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()


class InvoicingSwitchDate(Base):
    """The day an organisation's invoicing moves to Stripe; set by platform staff."""

    __tablename__ = "invoicing_switch_dates"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    switch_date: Mapped[date] = mapped_column()
    set_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PaymentReminder(Base):
    """That one reminder ("switch:2027-01-01:14", "past_due:<deadline>") was sent to an organisation's
    admins; the key makes each reminder go out once, however often the job runs and however long
    the outbox keeps its rows."""

    __tablename__ = "payment_reminders"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    reminder: Mapped[str] = mapped_column(String(80), primary_key=True)
    recipients: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
