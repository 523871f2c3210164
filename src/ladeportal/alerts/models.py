"""Alert, AlertSettings, AlertPreference and AlertNotification tables."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, utcnow

DEFAULT_OFFLINE_MINUTES = 15


class Channel(enum.StrEnum):
    off = "off"
    sms = "sms"
    email = "email"


class Alert(Base):
    """One problem of one subject (a charger, a connector, a session, a price area), from the moment it
    was noticed until it cleared by itself. A subject that goes wrong again gets a new row."""

    __tablename__ = "alerts"
    __table_args__ = (
        # One open alert per subject and kind: detection can run twice at once (two workers, a slow run
        # overlapping the next) and the second insert is refused instead of duplicating the alert.
        Index(
            "uq_alerts_open_subject",
            "organization_id",
            "kind",
            "subject_key",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_alerts_org_resolved", "organization_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # The subject as one comparable value ("<charger id>", "<charger id>:<connector>", "<session id>",
    # "<area>:<currency>"), plus the ids pages link to.
    subject_key: Mapped[str] = mapped_column(String(80))
    charge_point_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("charge_points.id", ondelete="CASCADE"))
    connector_number: Mapped[int | None] = mapped_column()
    session_id: Mapped[int | None] = mapped_column(ForeignKey("charging_sessions.id", ondelete="CASCADE"))
    # What the subject said about itself: the connector's error code, the session's anomaly codes,
    # the price area; shown as it is, never matched.
    detail: Mapped[str | None] = mapped_column(String(200))
    # When the condition began as far as we know (last seen, status change, message received);
    # detected_at is when detection noticed it.
    opened_at: Mapped[datetime] = mapped_column()
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()


class AlertSettings(Base):
    """An organisation's alert thresholds; an organisation without a row uses the defaults."""

    __tablename__ = "alert_settings"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    offline_minutes: Mapped[int] = mapped_column(default=DEFAULT_OFFLINE_MINUTES)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AlertPreference(Base):
    """How one admin (a membership: the same person may want SMS from one organisation and nothing from
    another) wants to hear about alerts, and when they last did (for the grouping window)."""

    __tablename__ = "alert_preferences"

    membership_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=8), default=Channel.off)
    last_notified_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AlertNotification(Base):
    """That one alert was dealt with for one admin: told (`sent`) or not, because the organisation's SMS
    limits said no (`limited`), the platform sends no e-mail (`email_off`) or the address is unusable
    (`bad_address`). The key makes each alert reach each person at most once."""

    __tablename__ = "alert_notifications"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    membership_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=8))
    outcome: Mapped[str] = mapped_column(String(16))
    notified_at: Mapped[datetime] = mapped_column(default=utcnow)
