"""GuestSettings, GuestOpening, GuestConnectorCode and GuestCharge tables."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, utcnow


class GuestSettings(Base):
    """An organisation's amount held on a guest's card before charging starts (the defaults when none)."""

    __tablename__ = "guest_settings"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    hold_minor: Mapped[int] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GuestOpening(Base):
    """A whole site, or one charger, open to guests."""

    __tablename__ = "guest_openings"
    __table_args__ = (UniqueConstraint("site_id"), UniqueConstraint("charge_point_id"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    charge_point_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("charge_points.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GuestConnectorCode(Base):
    """The short public code printed on a connector's sticker: it names the connector without showing
    the charger's OCPP identity, which must stay private."""

    __tablename__ = "guest_connector_codes"
    __table_args__ = (UniqueConstraint("charge_point_id", "connector_number"),)

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    charge_point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charge_points.id", ondelete="CASCADE"))
    connector_number: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChargeState(enum.StrEnum):
    verified = "verified"  # the mobile number is confirmed; nothing paid yet
    paying = "paying"  # a Checkout Session is open at Stripe
    authorised = "authorised"  # the hold is on the card; the start is on its way to the charger
    charging = "charging"  # the charger started a session with the guest's tag
    settling = "settling"  # the session ended (or never began): capture or release is queued
    done = "done"  # captured or released
    capture_failed = "capture_failed"  # Stripe refused the capture; the owner sees an alert
    expired = "expired"  # never paid


# While a charge is in one of these states the guest's tag may start and run a session.
HOLDING = (ChargeState.authorised, ChargeState.charging)


class GuestCharge(Base):
    """One guest's charge at one connector: from the confirmed mobile number through the card hold, the
    session and the capture of its price. Every Stripe call about it is keyed by its id."""

    __tablename__ = "guest_charges"
    __table_args__ = (
        Index("ix_guest_charges_org_created", "organization_id", "created_at"),
        Index("ix_guest_charges_state", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    charge_point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charge_points.id", ondelete="CASCADE"))
    connector_number: Mapped[int] = mapped_column()
    code: Mapped[str] = mapped_column(String(12))
    phone: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(5), default="nb")
    # sha256 of the guest's browser cookie: only that phone may see the charge and stop it.
    browser_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The OCPP idTag the charger is started with; valid only while the hold is on the card.
    id_tag: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[str] = mapped_column(String(20), default=ChargeState.verified)
    hold_minor: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("charging_sessions.id", ondelete="SET NULL"))
    cost_minor: Mapped[int | None] = mapped_column()
    captured_minor: Mapped[int | None] = mapped_column()
    # What the session cost beyond the hold: not collected, recorded for the owner.
    shortfall_minor: Mapped[int | None] = mapped_column()
    fee_minor: Mapped[int | None] = mapped_column()
    receipt_token: Mapped[str] = mapped_column(String(43), unique=True)
    failure: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    authorised_at: Mapped[datetime | None] = mapped_column()
    # Set (once) just before the remote start is sent: a retried task never starts the charger twice.
    start_sent_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
